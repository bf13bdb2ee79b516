//! Splits condition text into tokens, each with its byte offset.

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    Var(String),
    Str(String),
    Int(i64),
    LParen,
    RParen,
    Comma,
    /// `=`, `==`, `!=`, `<`, `<=`, `>`, `>=`
    Cmp(&'static str),
}

/// A lexing error: byte offset and message.
pub type LexError = (usize, String);

pub fn lex(src: &str) -> Result<Vec<(usize, Tok)>, LexError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push((start, Tok::LParen));
                i += 1;
            }
            b')' => {
                out.push((start, Tok::RParen));
                i += 1;
            }
            b',' => {
                out.push((start, Tok::Comma));
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = b.get(i + 1) == Some(&b'=');
                let op = match (c, two) {
                    (b'=', true) => "=",
                    (b'=', false) => "=",
                    (b'!', true) => "!=",
                    (b'<', true) => "<=",
                    (b'<', false) => "<",
                    (b'>', true) => ">=",
                    (b'>', false) => ">",
                    _ => {
                        return Err((start, "`!` must be followed by `=` (use `not` for negation)".into()));
                    }
                };
                out.push((start, Tok::Cmp(op)));
                i += if two { 2 } else { 1 };
            }
            b'\'' | b'"' => {
                let (s, next) = string(src, i)?;
                out.push((start, Tok::Str(s)));
                i = next;
            }
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let text = src[start..i].replace('_', "");
                let v = if let Some(h) = text.strip_prefix("0x") {
                    i64::from_str_radix(h, 16)
                } else if let Some(o) = text.strip_prefix("0o") {
                    i64::from_str_radix(o, 8)
                } else {
                    text.parse::<i64>()
                };
                match v {
                    Ok(v) => out.push((start, Tok::Int(v))),
                    Err(_) => return Err((start, format!("bad number `{}`", &src[start..i]))),
                }
            }
            b'$' => {
                i += 1;
                let s = i;
                while i < b.len() && is_ident(b[i]) {
                    i += 1;
                }
                if s == i {
                    return Err((start, "`$` must be followed by a name".into()));
                }
                out.push((start, Tok::Var(src[s..i].to_string())));
            }
            c if is_ident(c) => {
                while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                    i += 1;
                }
                out.push((start, Tok::Ident(src[start..i].to_string())));
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err((start, format!("unexpected character `{ch}`")));
            }
        }
    }
    Ok(out)
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// A quoted string starting at `start`; returns it unescaped and the offset
/// after the closing quote.
fn string(src: &str, start: usize) -> Result<(String, usize), LexError> {
    let quote = src.as_bytes()[start] as char;
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((out, start + 1 + off + 1)),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, 'r')) => out.push('\r'),
                Some((_, '0')) => out.push('\0'),
                Some((_, c @ ('\\' | '\'' | '"'))) => out.push(c),
                // Other escapes stay as written, so regexes read naturally.
                Some((_, c)) => {
                    out.push('\\');
                    out.push(c);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    Err((start, "unterminated string".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = lex(r#"a.b != 'x\'y' and n >= -3 in ("q", $path)"#).unwrap();
        let toks: Vec<_> = t.into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            toks,
            vec![
                Tok::Ident("a.b".into()),
                Tok::Cmp("!="),
                Tok::Str("x'y".into()),
                Tok::Ident("and".into()),
                Tok::Ident("n".into()),
                Tok::Cmp(">="),
                Tok::Int(-3),
                Tok::Ident("in".into()),
                Tok::LParen,
                Tok::Str("q".into()),
                Tok::Comma,
                Tok::Var("path".into()),
                Tok::RParen,
            ]
        );
        assert!(lex("'open").is_err());
        assert_eq!(lex(r"'a\.b'").unwrap()[0].1, Tok::Str(r"a\.b".into()));
        assert!(lex("a ! b").is_err());
        assert_eq!(lex("0o4000").unwrap()[0].1, Tok::Int(2048));
    }
}
