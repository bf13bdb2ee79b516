//! A YAML document as a small tree that keeps the line of every node, built
//! from yaml-rust2's event stream, so Sigma errors can say file:line.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// One YAML node and the line (1-based) it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A scalar as written, and whether it was quoted (a quoted `true` or
    /// `null` is a string).
    Scalar(String, bool),
    Seq(Vec<Node>),
    /// Keys in document order.
    Map(Vec<(String, Node)>),
    /// An alias (`*name`) or a non-scalar key: Sigma uses neither.
    Unsupported(&'static str),
}

impl Node {
    /// The scalar's text, when this is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Unquoted `null`, `~` or an empty value.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, false) if s.is_empty() || s == "null" || s == "~" || s == "Null" || s == "NULL")
    }

    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar(..) => "a scalar",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
            Kind::Unsupported(what) => what,
        }
    }
}

/// A YAML syntax error: the line and the parser's message.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub line: usize,
    pub msg: String,
}

/// Parses the first document of `text`.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, false)
        .map_err(|e| SyntaxError { line: e.marker().line(), msg: e.info().to_string() })?;
    Ok(b.root)
}

/// An open sequence or mapping; a mapping holds its pending key.
enum Open {
    Seq(usize, Vec<Node>),
    Map(usize, Vec<(String, Node)>, Option<String>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    root: Option<Node>,
}

impl Builder {
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, key)) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => match node.kind {
                    Kind::Scalar(s, _) => *key = Some(s),
                    _ => entries
                        .push((String::new(), Node { line: node.line, kind: Kind::Unsupported("a complex key") })),
                },
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        match ev {
            Event::Scalar(s, style, ..) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                self.push(Node { line, kind: Kind::Scalar(s, quoted) });
            }
            Event::SequenceStart(..) => self.stack.push(Open::Seq(line, Vec::new())),
            Event::MappingStart(..) => self.stack.push(Open::Map(line, Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Open::Seq(l, items)) => Node { line: l, kind: Kind::Seq(items) },
                    Some(Open::Map(l, entries, _)) => Node { line: l, kind: Kind::Map(entries) },
                    None => return,
                };
                self.push(node);
            }
            Event::Alias(_) => self.push(Node { line, kind: Kind::Unsupported("an alias") }),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_and_quoting() {
        let doc =
            parse("title: x\ndetection:\n  sel:\n    Image|endswith:\n      - '/a'\n      - b\n  condition: sel\n")
                .unwrap()
                .unwrap();
        assert_eq!(doc.get("title").unwrap().scalar(), Some("x"));
        let sel = doc.get("detection").unwrap().get("sel").unwrap();
        let vals = sel.get("Image|endswith").unwrap();
        let Kind::Seq(items) = &vals.kind else { panic!("not a list") };
        assert_eq!(items[0], Node { line: 5, kind: Kind::Scalar("/a".into(), true) });
        assert_eq!(items[1].line, 6);
        assert_eq!(doc.get("detection").unwrap().get("condition").unwrap().line, 7);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("a: b\nc: [\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }
}
