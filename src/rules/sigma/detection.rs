//! A Sigma `detection` search identifier (a selection) compiled into the
//! engine's `Cond`: field names through the field map, values through
//! their modifiers, strings matched case-insensitively with `*`/`?`
//! wildcards, as the Sigma specification says.

use regex::Regex;

use super::fieldmap::{is_type, target, FieldProblem, LogSource, Target};
use super::yaml::{Kind, Node};
use super::{Reason, Rejected};
use crate::record::EventType;
use crate::rules::eval::{Cidr, Cond, IntOp, Test};
use crate::rules::fields::{Field, FieldType};

/// The modifiers rand-guard implements.
pub const MODIFIERS: &str = "contains, startswith, endswith, all, re (with i, m, s), cidr, windash, base64, \
                             base64offset, exists, gt, gte, lt, lte";

/// Compiles one search identifier; `fields` collects the engine fields it
/// reads, for the caller's presence check.
pub fn selection(node: &Node, ls: LogSource, fields: &mut Vec<(Field, usize)>) -> Result<Cond, Rejected> {
    match &node.kind {
        Kind::Map(entries) => {
            if entries.is_empty() {
                return Err(rej(node.line, Reason::Invalid("an empty selection".into())));
            }
            let mut all = Vec::new();
            for (key, value) in entries {
                all.push(field_cond(key, value, ls, fields)?);
            }
            Ok(and(all))
        }
        Kind::Seq(items) if items.iter().all(|i| matches!(i.kind, Kind::Map(_))) && !items.is_empty() => {
            let mut any = Vec::new();
            for i in items {
                any.push(selection(i, ls, fields)?);
            }
            Ok(or(any))
        }
        Kind::Seq(items) if items.iter().all(|i| i.scalar().is_some()) && !items.is_empty() => {
            let mut any = Vec::new();
            for i in items {
                any.push(keyword(i, ls, fields)?);
            }
            Ok(or(any))
        }
        Kind::Scalar(..) => keyword(node, ls, fields),
        _ => Err(rej(
            node.line,
            Reason::Invalid(format!(
                "a selection must be a mapping, a list of mappings or a list of keywords, not {}",
                node.type_name()
            )),
        )),
    }
}

fn rej(line: usize, reason: Reason) -> Rejected {
    Rejected { line, reason }
}

fn and(mut v: Vec<Cond>) -> Cond {
    if v.len() == 1 {
        v.pop().unwrap_or(Cond::Const(true))
    } else {
        Cond::And(v.into())
    }
}

fn or(mut v: Vec<Cond>) -> Cond {
    if v.len() == 1 {
        v.pop().unwrap_or(Cond::Const(false))
    } else {
        Cond::Or(v.into())
    }
}

/// A keyword (a value without a field): a case-insensitive substring of
/// the command line of a process, of the path of a file event.
fn keyword(node: &Node, ls: LogSource, fields: &mut Vec<(Field, usize)>) -> Result<Cond, Rejected> {
    let name = match ls {
        LogSource::ProcessCreation => "CommandLine",
        LogSource::FileEvent => "TargetFilename",
        LogSource::NetworkConnection => {
            return Err(rej(node.line, Reason::Unsupported("keywords in a network_connection rule".into())));
        }
    };
    field_cond(&format!("{name}|contains"), node, ls, fields)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Match {
    Plain,
    Contains,
    StartsWith,
    EndsWith,
    Re,
    Cidr,
    Exists,
    Cmp(IntOp),
}

#[derive(Default)]
struct Mods {
    all: bool,
    windash: bool,
    base64: bool,
    base64offset: bool,
    re_flags: String,
}

/// `Field|mod|mod: value(s)`.
fn field_cond(key: &str, value: &Node, ls: LogSource, fields: &mut Vec<(Field, usize)>) -> Result<Cond, Rejected> {
    let line = value.line;
    let mut parts = key.split('|');
    let name = parts.next().unwrap_or("");
    let mut m = Match::Plain;
    let mut mods = Mods::default();
    let set = |m: &mut Match, to: Match| {
        if *m != Match::Plain {
            return Err(rej(line, Reason::Invalid(format!("`{key}`: more than one match modifier"))));
        }
        *m = to;
        Ok(())
    };
    for md in parts {
        match md {
            "contains" => set(&mut m, Match::Contains)?,
            "startswith" => set(&mut m, Match::StartsWith)?,
            "endswith" => set(&mut m, Match::EndsWith)?,
            "re" => set(&mut m, Match::Re)?,
            "cidr" => set(&mut m, Match::Cidr)?,
            "exists" => set(&mut m, Match::Exists)?,
            "gt" => set(&mut m, Match::Cmp(IntOp::Gt))?,
            "gte" => set(&mut m, Match::Cmp(IntOp::Ge))?,
            "lt" => set(&mut m, Match::Cmp(IntOp::Lt))?,
            "lte" => set(&mut m, Match::Cmp(IntOp::Le))?,
            "i" | "m" | "s" if m == Match::Re => mods.re_flags.push_str(md),
            "all" => mods.all = true,
            "windash" => mods.windash = true,
            "base64" => mods.base64 = true,
            "base64offset" => mods.base64offset = true,
            other => return Err(rej(line, Reason::Modifier(other.to_string()))),
        }
    }
    let tgt = target(name, ls).map_err(|p| {
        rej(
            line,
            match p {
                FieldProblem::Unmapped => Reason::Field { field: name.to_string(), needs: None },
                FieldProblem::NotProvided(f) => Reason::Field { field: name.to_string(), needs: Some(f.to_string()) },
            },
        )
    })?;
    let values: Vec<&Node> = match &value.kind {
        Kind::Seq(items) => items.iter().collect(),
        _ => vec![value],
    };
    if values.is_empty() {
        return Err(rej(line, Reason::Invalid(format!("`{key}`: an empty value list"))));
    }
    let mut conds = Vec::new();
    for v in values {
        let Kind::Scalar(text, quoted) = &v.kind else {
            return Err(rej(
                v.line,
                Reason::Invalid(format!("`{key}`: a value must be a scalar, not {}", v.type_name())),
            ));
        };
        let text = text.as_str();
        if v.is_null() && !quoted && m == Match::Plain {
            conds.push(Cond::Not(Box::new(on_target(tgt, Test::Exists, fields, v.line)?)));
            continue;
        }
        if m == Match::Exists {
            let c = on_target(tgt, Test::Exists, fields, v.line)?;
            conds.push(match text.to_ascii_lowercase().as_str() {
                "true" | "yes" => c,
                "false" | "no" => Cond::Not(Box::new(c)),
                _ => {
                    return Err(rej(
                        v.line,
                        Reason::Invalid(format!("`{key}`: `exists` takes true or false, not `{text}`")),
                    ))
                }
            });
            continue;
        }
        let mut alts = Vec::new();
        for t in tests(tgt, text, m, &mods, v.line, key)? {
            alts.push(on_target(tgt, t, fields, v.line)?);
        }
        conds.push(or(alts));
    }
    Ok(if mods.all { and(conds) } else { or(conds) })
}

/// The tests one value stands for (several with windash or base64offset).
fn tests(tgt: Target, text: &str, m: Match, mods: &Mods, line: usize, key: &str) -> Result<Vec<Test>, Rejected> {
    let bad = |what: String| rej(line, Reason::Invalid(format!("`{key}`: {what}")));
    match tgt {
        Target::Initiated => {
            let dir = match (m, text.to_ascii_lowercase().as_str()) {
                (Match::Plain, "true") => "outbound",
                (Match::Plain, "false") => "inbound",
                _ => return Err(bad(format!("`Initiated` is 'true' or 'false', not `{text}`"))),
            };
            return Ok(vec![Test::StrEq(dir.into())]);
        }
        Target::Hashes => {
            let hex = text.split_once('=').filter(|(alg, _)| alg.eq_ignore_ascii_case("SHA256")).map(|(_, h)| h);
            return match (m, hex) {
                (Match::Plain | Match::Contains, Some(h))
                    if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    Ok(vec![Test::IStrEq(h.to_ascii_lowercase().into())])
                }
                _ => Err(rej(line, Reason::Unsupported(format!("`{key}` value `{text}`: only SHA256=<hex> hashes")))),
            };
        }
        Target::Field(_) | Target::TargetFilename => {}
    }
    let ty = target_type(tgt);
    match m {
        Match::Cmp(_) | Match::Plain if ty == Some(FieldType::Int) => {
            let op = if let Match::Cmp(o) = m { o } else { IntOp::Eq };
            let n: i64 = text.trim().parse().map_err(|_| bad(format!("`{text}` is not an integer")))?;
            return Ok(vec![Test::Int(op, n)]);
        }
        Match::Cmp(_) => return Err(bad("gt/gte/lt/lte need an integer field".into())),
        _ if ty == Some(FieldType::Int) => return Err(bad("a string modifier on an integer field".into())),
        Match::Re => {
            let flags = if mods.re_flags.is_empty() { String::new() } else { format!("(?{})", mods.re_flags) };
            let re = Regex::new(&format!("{flags}{text}")).map_err(|e| {
                rej(
                    line,
                    Reason::Invalid(format!(
                        "`{key}`: regex `{text}` is not supported by rand-guard's regex engine: {}",
                        first_line(&e.to_string())
                    )),
                )
            })?;
            return Ok(vec![Test::Regex(re)]);
        }
        Match::Cidr => {
            let c = Cidr::parse(text).ok_or_else(|| bad(format!("`{text}` is not a CIDR network")))?;
            return Ok(vec![Test::Cidr(Box::new(c))]);
        }
        _ => {}
    }
    // string values: transformations first, then the match type
    let mut variants: Vec<Vec<Tok>> = if mods.base64 || mods.base64offset {
        let raw = unescape(text);
        let encoded = if mods.base64offset { base64_offsets(raw.as_bytes()) } else { vec![base64(raw.as_bytes())] };
        encoded.into_iter().map(|s| vec![Tok::Lit(s)]).collect()
    } else {
        vec![tokens(text)]
    };
    if mods.windash {
        variants = variants.iter().flat_map(|v| windash(v)).collect();
    }
    let mut out = Vec::new();
    for mut toks in variants {
        match m {
            Match::Contains => {
                toks.insert(0, Tok::Star);
                toks.push(Tok::Star);
            }
            Match::StartsWith => toks.push(Tok::Star),
            Match::EndsWith => toks.insert(0, Tok::Star),
            _ => {}
        }
        out.push(plan(&toks).map_err(|e| bad(format!("value `{text}`: {e}")))?);
    }
    Ok(out)
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

fn target_type(t: Target) -> Option<FieldType> {
    match t {
        Target::Field(n) => Field::from_name(n).map(Field::ty),
        _ => Some(FieldType::Str),
    }
}

/// A test on a target; for `TargetFilename`, on `path` of opens and
/// writes and on `dest_path` of renames.
fn on_target(t: Target, test: Test, fields: &mut Vec<(Field, usize)>, line: usize) -> Result<Cond, Rejected> {
    let field = |n: &str| {
        Field::from_name(n).ok_or_else(|| rej(line, Reason::Field { field: n.to_string(), needs: Some(n.to_string()) }))
    };
    Ok(match t {
        Target::Field(n) => {
            let f = field(n)?;
            fields.push((f, line));
            Cond::Test(f, test)
        }
        Target::Hashes => {
            let f = field("exe_sha256")?;
            fields.push((f, line));
            Cond::Test(f, test)
        }
        Target::Initiated => {
            fields.push((Field::Direction, line));
            Cond::Test(Field::Direction, test)
        }
        Target::TargetFilename => {
            fields.push((Field::Path, line));
            let open_or_write = Cond::Or(vec![is_type(EventType::FileOpen), is_type(EventType::FileWrite)].into());
            Cond::Or(
                vec![
                    Cond::And(vec![open_or_write, Cond::Test(Field::Path, test.clone())].into()),
                    Cond::And(vec![is_type(EventType::FileRename), Cond::Test(Field::DestPath, test)].into()),
                ]
                .into(),
            )
        }
    })
}

/// A value split at its wildcards.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Lit(String),
    Star,
    Quest,
}

fn push_char(toks: &mut Vec<Tok>, c: char) {
    match toks.last_mut() {
        Some(Tok::Lit(s)) => s.push(c),
        _ => toks.push(Tok::Lit(c.to_string())),
    }
}

/// Sigma's wildcards: `*` any run, `?` one character; `\*`, `\?` and `\\`
/// are the characters themselves, any other backslash is literal.
fn tokens(v: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    push_char(&mut toks, n);
                }
                _ => push_char(&mut toks, '\\'),
            },
            '*' => toks.push(Tok::Star),
            '?' => toks.push(Tok::Quest),
            c => push_char(&mut toks, c),
        }
    }
    toks
}

/// The value without its escapes (base64 encodes the plain text).
fn unescape(v: &str) -> String {
    tokens(v)
        .into_iter()
        .map(|t| match t {
            Tok::Lit(s) => s,
            Tok::Star => "*".into(),
            Tok::Quest => "?".into(),
        })
        .collect()
}

/// The cheapest test matching the wildcard pattern case-insensitively.
fn plan(toks: &[Tok]) -> Result<Test, String> {
    let lead = toks.first() == Some(&Tok::Star);
    let trail = toks.len() > 1 && toks.last() == Some(&Tok::Star);
    let inner: Vec<&Tok> =
        toks.iter().skip(usize::from(lead)).take(toks.len() - usize::from(lead) - usize::from(trail)).collect();
    match inner.as_slice() {
        [] if lead || trail => return Ok(Test::Exists),
        [] => return Ok(Test::IStrEq("".into())),
        [Tok::Lit(s)] => {
            let s: Box<str> = s.to_ascii_lowercase().into();
            return Ok(match (lead, trail) {
                (false, false) => Test::IStrEq(s),
                (true, false) => Test::IEndsWith(s),
                (false, true) => Test::IStartsWith(s),
                (true, true) => Test::IContains(s),
            });
        }
        _ => {}
    }
    let mut re = String::from("(?is)^");
    for t in toks {
        match t {
            Tok::Lit(s) => re.push_str(&regex::escape(s)),
            Tok::Star => re.push_str(".*"),
            Tok::Quest => re.push('.'),
        }
    }
    re.push('$');
    Regex::new(&re).map(Test::Regex).map_err(|e| first_line(&e.to_string()))
}

/// `windash`: every option dash (`-` or `/` at the start of a word) as
/// each of `-`, `/`, en dash, em dash and horizontal bar.
fn windash(toks: &[Tok]) -> Vec<Vec<Tok>> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    DASHES
        .iter()
        .map(|&d| {
            let mut prev_space = true;
            toks.iter()
                .map(|t| match t {
                    Tok::Lit(s) => {
                        let mut o = String::with_capacity(s.len());
                        for c in s.chars() {
                            o.push(if (c == '-' || c == '/') && prev_space { d } else { c });
                            prev_space = c.is_whitespace();
                        }
                        Tok::Lit(o)
                    }
                    other => {
                        prev_space = false;
                        other.clone()
                    }
                })
                .collect()
        })
        .collect()
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `base64offset`: the three encodings of the value at each offset in a
/// larger base64 text, without the characters its neighbours change.
fn base64_offsets(value: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut data = vec![b' '; i];
            data.extend_from_slice(value);
            let enc = base64(&data);
            let end_cut = END[(value.len() + i) % 3];
            let end = enc.len().saturating_sub(end_cut);
            enc.get(START[i]..end.max(START[i])).unwrap_or("").to_string()
        })
        .collect()
}

#[cfg(test)]
#[path = "detection_tests.rs"]
mod tests;
