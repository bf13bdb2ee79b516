//! Recursive-descent parser: `or` binds loosest, then `and`, then `not`.

use super::lexer::{lex, Tok};

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Str(String),
    Int(i64),
    Bool(bool),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Lit(Lit),
    /// A `[lists]` name inside `in (...)`.
    List(String, usize),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    Lit(Lit),
    /// `$name`: a value bound by an earlier sequence step.
    Var(String),
    Set(Vec<Item>),
    /// `has_option (wanted...) [valued (options that take a value...)]`.
    Options {
        wanted: Vec<Item>,
        valued: Vec<Item>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    And(Vec<Ast>),
    Or(Vec<Ast>),
    Not(Box<Ast>),
    Const(bool),
    /// A bare name: a macro reference, resolved by the type checker.
    Name(String, usize),
    Exists {
        field: String,
        pos: usize,
    },
    Test {
        field: String,
        pos: usize,
        op: &'static str,
        op_pos: usize,
        rhs: Rhs,
    },
}

pub type ParseError = (usize, String);

const STR_OPS: [&str; 9] =
    ["in", "contains", "icontains", "startswith", "endswith", "glob", "regex", "exists", "has_option"];
const KEYWORDS: [&str; 5] = ["and", "or", "not", "true", "false"];
/// Deepest nesting of `(` and `not` accepted. The parser, the type checker
/// and the evaluator all recurse once per level, so without a bound a
/// condition of a few thousand `(` overflows the stack.
pub const MAX_DEPTH: usize = 64;

pub fn parse(src: &str) -> Result<Ast, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, i: 0, end: src.len(), depth: 0 };
    let ast = p.or()?;
    if let Some((pos, t)) = p.toks.get(p.i) {
        return Err((*pos, format!("unexpected {} after a complete expression", describe(t))));
    }
    Ok(ast)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    end: usize,
    depth: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Var(s) => format!("`${s}`"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Int(n) => format!("number {n}"),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Cmp(o) => format!("`{o}`"),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(_, t)| t)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |(p, _)| *p)
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == kw)
    }
    fn next(&mut self) -> Option<(usize, Tok)> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn unexpected<T>(&self, wanted: &str) -> Result<T, ParseError> {
        match self.peek() {
            Some(t) => Err((self.pos(), format!("expected {wanted}, found {}", describe(t)))),
            None => Err((self.end, format!("expected {wanted}, found end of condition"))),
        }
    }

    fn or(&mut self) -> Result<Ast, ParseError> {
        let mut v = vec![self.and()?];
        while self.is_kw("or") {
            self.i += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Ast::Or(v) })
    }

    fn and(&mut self) -> Result<Ast, ParseError> {
        let mut v = vec![self.unary()?];
        while self.is_kw("and") {
            self.i += 1;
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Ast::And(v) })
    }

    /// Enters one level of `(` or `not`; errors past `MAX_DEPTH`.
    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((self.pos(), format!("nested deeper than {MAX_DEPTH} levels of `(` and `not`")));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Ast, ParseError> {
        if self.is_kw("not") {
            self.deeper()?;
            self.i += 1;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Ast::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Ast, ParseError> {
        match self.peek() {
            Some(Tok::LParen) => {
                self.deeper()?;
                self.i += 1;
                let e = self.or()?;
                match self.peek() {
                    Some(Tok::RParen) => {
                        self.i += 1;
                        self.depth -= 1;
                        Ok(e)
                    }
                    _ => self.unexpected("`)`"),
                }
            }
            Some(Tok::Ident(s)) if s == "true" || s == "false" => {
                let b = s == "true";
                self.i += 1;
                Ok(Ast::Const(b))
            }
            Some(Tok::Ident(s)) if !KEYWORDS.contains(&s.as_str()) && !STR_OPS.contains(&s.as_str()) => {
                let (pos, name) = match self.next() {
                    Some((p, Tok::Ident(n))) => (p, n),
                    _ => return self.unexpected("a field"),
                };
                self.after_name(name, pos)
            }
            _ => self.unexpected("a field, macro, `not` or `(`"),
        }
    }

    /// A parenthesized set of strings, numbers and list names after `kw`.
    fn set(&mut self, kw: &str) -> Result<Vec<Item>, ParseError> {
        if !matches!(self.peek(), Some(Tok::LParen)) {
            return self.unexpected(&format!("`(` after `{kw}`"));
        }
        self.i += 1;
        let mut items = Vec::new();
        loop {
            match self.next() {
                Some((_, Tok::Str(s))) => items.push(Item::Lit(Lit::Str(s))),
                Some((_, Tok::Int(n))) => items.push(Item::Lit(Lit::Int(n))),
                Some((p, Tok::Ident(s))) => items.push(Item::List(s, p)),
                Some((_, Tok::RParen)) if items.is_empty() => break,
                _ => {
                    self.i -= 1;
                    return self.unexpected("a string, number or list name");
                }
            }
            match self.next() {
                Some((_, Tok::Comma)) => continue,
                Some((_, Tok::RParen)) => break,
                _ => {
                    self.i -= 1;
                    return self.unexpected("`,` or `)`");
                }
            }
        }
        Ok(items)
    }

    fn after_name(&mut self, field: String, pos: usize) -> Result<Ast, ParseError> {
        let op_pos = self.pos();
        let op: &'static str = match self.peek() {
            Some(Tok::Cmp(o)) => o,
            Some(Tok::Ident(s)) => match STR_OPS.iter().find(|k| **k == s.as_str()) {
                Some(k) => k,
                None => return Ok(Ast::Name(field, pos)),
            },
            _ => return Ok(Ast::Name(field, pos)),
        };
        self.i += 1;
        match op {
            "exists" => Ok(Ast::Exists { field, pos }),
            "in" => {
                let items = self.set("in")?;
                Ok(Ast::Test { field, pos, op, op_pos, rhs: Rhs::Set(items) })
            }
            "has_option" => {
                let wanted = self.set("has_option")?;
                let valued = if self.is_kw("valued") {
                    self.i += 1;
                    self.set("valued")?
                } else {
                    Vec::new()
                };
                Ok(Ast::Test { field, pos, op, op_pos, rhs: Rhs::Options { wanted, valued } })
            }
            _ => {
                let rhs = match self.next() {
                    Some((_, Tok::Str(s))) => Rhs::Lit(Lit::Str(s)),
                    Some((_, Tok::Int(n))) => Rhs::Lit(Lit::Int(n)),
                    Some((_, Tok::Ident(s))) if s == "true" || s == "false" => Rhs::Lit(Lit::Bool(s == "true")),
                    Some((_, Tok::Var(v))) => Rhs::Var(v),
                    _ => {
                        self.i -= 1;
                        return self.unexpected(&format!("a value after `{op}`"));
                    }
                };
                Ok(Ast::Test { field, pos, op, op_pos, rhs })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(f: &str, op: &'static str, rhs: Rhs) -> Ast {
        Ast::Test { field: f.into(), pos: 0, op, op_pos: 0, rhs }
    }

    fn strip(a: Ast) -> Ast {
        match a {
            Ast::And(v) => Ast::And(v.into_iter().map(strip).collect()),
            Ast::Or(v) => Ast::Or(v.into_iter().map(strip).collect()),
            Ast::Not(b) => Ast::Not(Box::new(strip(*b))),
            Ast::Test { field, op, rhs, .. } => {
                let rhs = match rhs {
                    Rhs::Set(items) => Rhs::Set(
                        items
                            .into_iter()
                            .map(|i| match i {
                                Item::List(n, _) => Item::List(n, 0),
                                other => other,
                            })
                            .collect(),
                    ),
                    other => other,
                };
                t(&field, op, rhs)
            }
            Ast::Name(n, _) => Ast::Name(n, 0),
            Ast::Exists { field, .. } => Ast::Exists { field, pos: 0 },
            c => c,
        }
    }

    #[test]
    fn precedence_not_and_or() {
        let a = strip(parse("a = 1 or not b = 2 and c exists").unwrap());
        assert_eq!(
            a,
            Ast::Or(vec![
                t("a", "=", Rhs::Lit(Lit::Int(1))),
                Ast::And(vec![
                    Ast::Not(Box::new(t("b", "=", Rhs::Lit(Lit::Int(2))))),
                    Ast::Exists { field: "c".into(), pos: 0 },
                ]),
            ])
        );
        let a = strip(parse("(a = 1 or m) and x in ('p', 3, shells)").unwrap());
        assert_eq!(
            a,
            Ast::And(vec![
                Ast::Or(vec![t("a", "=", Rhs::Lit(Lit::Int(1))), Ast::Name("m".into(), 0)]),
                t(
                    "x",
                    "in",
                    Rhs::Set(vec![
                        Item::Lit(Lit::Str("p".into())),
                        Item::Lit(Lit::Int(3)),
                        Item::List("shells".into(), 0)
                    ])
                ),
            ])
        );
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(parse("a = ").unwrap_err().0, 4);
        assert!(parse("(a = 1").unwrap_err().1.contains("expected `)`"));
        assert!(parse("a = 1 b = 2").unwrap_err().1.contains("after a complete expression"));
        assert!(parse("a in 'x'").is_err());
        assert!(parse("and").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        for deep in [format!("{}a = 1{}", "(".repeat(100_000), ")".repeat(100_000)), "not ".repeat(100_000) + "a = 1"] {
            let (pos, msg) = parse(&deep).unwrap_err();
            assert!(msg.contains("nested deeper than"), "{msg}");
            assert!(pos > 0 && pos < deep.len());
        }
    }
}
