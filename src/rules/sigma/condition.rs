//! A Sigma `condition`: `and`, `or`, `not`, parentheses, `1 of X*`,
//! `all of X*`, `1 of them`, `all of them` over the compiled search
//! identifiers. Aggregations (`| count() ...`) are refused by name.

use super::Reason;
use crate::rules::eval::Cond;

#[derive(Debug, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
}

fn lex(text: &str) -> Result<Vec<Tok>, Reason> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '(' => {
                chars.next();
                out.push(Tok::Open);
            }
            ')' => {
                chars.next();
                out.push(Tok::Close);
            }
            '|' => return Err(Reason::Unsupported("aggregations (`|` in the condition)".into())),
            c if c.is_whitespace() => {
                chars.next();
            }
            c if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.') {
                        w.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Word(w));
            }
            other => return Err(Reason::Condition(format!("unexpected `{other}`"))),
        }
    }
    Ok(out)
}

/// Compiles `text` over the named selections (in document order).
pub fn compile(text: &str, sels: &[(String, Cond)]) -> Result<Cond, Reason> {
    let toks = lex(text)?;
    let mut p = P { toks, pos: 0, sels };
    let c = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(c),
        Some(t) => Err(Reason::Condition(format!("unexpected {} after a complete condition", desc(t)))),
    }
}

fn desc(t: &Tok) -> String {
    match t {
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::Word(w) => format!("`{w}`"),
    }
}

struct P<'a> {
    toks: Vec<Tok>,
    pos: usize,
    sels: &'a [(String, Cond)],
}

impl P<'_> {
    fn word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x == w)
    }

    fn or(&mut self) -> Result<Cond, Reason> {
        let mut v = vec![self.and()?];
        while self.word("or") {
            self.pos += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Cond::Or(v.into()) })
    }

    fn and(&mut self) -> Result<Cond, Reason> {
        let mut v = vec![self.not()?];
        while self.word("and") {
            self.pos += 1;
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Cond::And(v.into()) })
    }

    fn not(&mut self) -> Result<Cond, Reason> {
        if self.word("not") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, Reason> {
        let t = self.toks.get(self.pos).ok_or_else(|| Reason::Condition("ends too early".into()))?;
        self.pos += 1;
        match t {
            Tok::Open => {
                let c = self.or()?;
                match self.toks.get(self.pos) {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(c)
                    }
                    _ => Err(Reason::Condition("missing `)`".into())),
                }
            }
            Tok::Close => Err(Reason::Condition("unexpected `)`".into())),
            Tok::Word(w) if w == "1" || w == "all" || w == "any" => {
                let all = w == "all";
                if !self.word("of") {
                    return Err(Reason::Condition(format!("`{w}` must be followed by `of`")));
                }
                self.pos += 1;
                let target = match self.toks.get(self.pos) {
                    Some(Tok::Word(x)) => x.clone(),
                    _ => return Err(Reason::Condition(format!("`{w} of` needs a name pattern or `them`"))),
                };
                self.pos += 1;
                let picked: Vec<Cond> = self
                    .sels
                    .iter()
                    .filter(|(n, _)| if target == "them" { !n.starts_with('_') } else { glob(&target, n) })
                    .map(|(_, c)| c.clone())
                    .collect();
                if picked.is_empty() {
                    return Err(Reason::Condition(format!("`{w} of {target}` matches no search identifier")));
                }
                Ok(if all { Cond::And(picked.into()) } else { Cond::Or(picked.into()) })
            }
            Tok::Word(w) if matches!(w.as_str(), "and" | "or" | "of" | "them") => {
                Err(Reason::Condition(format!("unexpected `{w}`")))
            }
            Tok::Word(w) => self
                .sels
                .iter()
                .find(|(n, _)| n == w)
                .map(|(_, c)| c.clone())
                .ok_or_else(|| Reason::Condition(format!("unknown search identifier `{w}`"))),
        }
    }
}

/// `*`-only glob over a search identifier name.
fn glob(pat: &str, name: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sels() -> Vec<(String, Cond)> {
        ["selection_a", "selection_b", "filter_main_x", "_hidden"]
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), Cond::Const(i % 2 == 0)))
            .collect()
    }

    fn eval(c: &Cond) -> bool {
        match c {
            Cond::Const(b) => *b,
            Cond::And(v) => v.iter().all(eval),
            Cond::Or(v) => v.iter().any(eval),
            Cond::Not(c) => !eval(c),
            _ => panic!("unexpected {c:?}"),
        }
    }

    #[test]
    fn operators_and_quantifiers() {
        let s = sels();
        let e = |t: &str| eval(&compile(t, &s).unwrap());
        assert!(e("selection_a"));
        assert!(!e("selection_b"));
        assert!(e("1 of selection_*"));
        assert!(!e("all of selection_*"));
        assert!(e("selection_a and not selection_b"));
        assert!(!e("selection_a and not filter_main_x"));
        assert!(e("not (selection_b or filter_main_x) or selection_a"));
        // `and` binds tighter than `or`
        assert!(e("selection_b and selection_a or selection_a"));
        assert!(!e("selection_b and (selection_a or selection_a)"));
        // `them` ignores identifiers starting with `_`
        assert!(!e("all of them"));
        assert!(e("1 of them"));
        assert!(e("1 of *_x"));
    }

    #[test]
    fn errors_name_the_problem() {
        let s = sels();
        let err = |t: &str| compile(t, &s).unwrap_err().to_string();
        assert!(err("selection_c").contains("unknown search identifier `selection_c`"));
        assert!(err("1 of nope*").contains("matches no search identifier"));
        assert!(err("selection_a | count() > 5").contains("aggregations"));
        assert!(err("(selection_a").contains("missing `)`"));
        assert!(err("selection_a selection_b").contains("unexpected `selection_b`"));
    }

    #[test]
    fn globs() {
        assert!(glob("sel*", "selection"));
        assert!(glob("*tion", "selection"));
        assert!(glob("s*c*n", "selection"));
        assert!(!glob("x*", "selection"));
        assert!(glob("*", "a"));
        assert!(!glob("ab*ba", "aba"));
    }
}
