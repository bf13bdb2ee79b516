//! Owns the span tree: a shape-only view of the config text that keeps the byte span of every key and value, so errors can name a key (`file.watch_paths[2]`) and its line:column.
//!
//! It is read with `toml_edit`, the parser under `toml` and the one the rule
//! loader reads rule files with, so config and rules get positions from one
//! reader. serde (`toml::from_str`) still does the typed phase: its errors
//! carry a byte span, which the tree turns into a dotted key.

use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, TomlError, Value};

/// A table key with its byte span, when the parser gives one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub span: Option<Range<usize>>,
}

/// A value with its byte span, when the parser gives one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub span: Option<Range<usize>>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Table(Vec<(Key, Node)>),
    Array(Vec<Node>),
    Scalar,
}

impl Node {
    /// Parses `text` into a span tree.
    pub fn parse(text: &str) -> Result<Node, TomlError> {
        let doc = ImDocument::parse(text)?;
        Ok(Node::table(doc.as_table(), None))
    }

    /// A table; `span` is its `[header]`, none for the root.
    fn table(table: &Table, span: Option<Range<usize>>) -> Node {
        let entries = table
            .iter()
            .map(|(name, item)| {
                let span = table.key(name).and_then(|k| k.span());
                (Key { name: name.to_owned(), span }, Node::item(item))
            })
            .collect();
        Node { span, kind: Kind::Table(entries) }
    }

    fn item(item: &Item) -> Node {
        match item {
            Item::None => Node { span: None, kind: Kind::Scalar },
            Item::Value(value) => Node::value(value),
            Item::Table(table) => Node::table(table, table.span()),
            Item::ArrayOfTables(tables) => {
                Node { span: None, kind: Kind::Array(tables.iter().map(|t| Node::table(t, t.span())).collect()) }
            }
        }
    }

    fn value(value: &Value) -> Node {
        let kind = match value {
            Value::Array(items) => Kind::Array(items.iter().map(Node::value).collect()),
            Value::InlineTable(table) => Kind::Table(
                table
                    .iter()
                    .map(|(name, v)| {
                        let span = table.key(name).and_then(|k| k.span());
                        (Key { name: name.to_owned(), span }, Node::value(v))
                    })
                    .collect(),
            ),
            Value::String(_) | Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Datetime(_) => {
                Kind::Scalar
            }
        };
        Node { span: value.span(), kind }
    }

    /// The entries of a table node (empty for other kinds).
    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.kind {
            Kind::Table(entries) => entries,
            _ => &[],
        }
    }

    /// The entry `name` of a table node.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&(Key, Node)> {
        self.entries().iter().find(|(k, _)| k.name == name)
    }

    /// The dotted path of the innermost key or value containing byte `offset`.
    pub fn path_at(&self, offset: usize) -> Option<String> {
        let mut path = String::new();
        if self.find(offset, &mut path) {
            Some(path)
        } else {
            None
        }
    }

    fn find(&self, offset: usize, path: &mut String) -> bool {
        let contains = |s: &Option<Range<usize>>| s.as_ref().is_some_and(|r| r.contains(&offset));
        match &self.kind {
            Kind::Table(entries) => {
                for (key, value) in entries {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    push_key(path, &key.name);
                    if contains(&key.span) {
                        return true;
                    }
                    // A `[table]` spans only its header: its values lie outside it.
                    if value.find(offset, path) || contains(&value.span) {
                        return true;
                    }
                    path.truncate(len);
                }
                false
            }
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if item.find(offset, path) || contains(&item.span) {
                        return true;
                    }
                    path.truncate(len);
                }
                false
            }
            Kind::Scalar => false,
        }
    }
}

/// Appends a key to a dotted path, quoting it unless it is a bare key.
pub(crate) fn push_key(path: &mut String, name: &str) {
    let bare = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        path.push_str(name);
    } else {
        path.push_str(&format!("{name:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_paths() {
        let text = "top = 1\n[a]\nb = [\"x\", \"y\"]\nwhen = 1979-05-27T07:32:00Z\n[[r]]\nk = { z = 1 }\n";
        let tree = Node::parse(text).unwrap();
        let (key, _) = tree.get("a").unwrap().1.get("b").unwrap();
        assert_eq!(key.span, Some(12..13));
        let y = text.find("\"y\"").unwrap();
        assert_eq!(tree.path_at(y).as_deref(), Some("a.b[1]"));
        assert_eq!(tree.path_at(0).as_deref(), Some("top"));
        let z = text.find("z =").unwrap();
        assert_eq!(tree.path_at(z).as_deref(), Some("r[0].k.z"));
        let when = text.find("1979").unwrap();
        assert_eq!(tree.path_at(when).as_deref(), Some("a.when"));
    }

    #[test]
    fn quoted_keys_in_paths() {
        let mut p = String::new();
        push_key(&mut p, "a b");
        assert_eq!(p, "\"a b\"");
    }
}
