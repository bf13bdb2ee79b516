//! The original engine's list matchers (`process_names`, `paths`, `ports`,
//! ...) and built-in detections, lowered to the same `Cond` tree.

// FxHash: rule-defined sets of short strings; lookups are per record.
use crate::catalog::Category;
use rustc_hash::FxHashSet as HashSet;

use super::eval::{glob_regex, Cond, PathMatcher, Pattern, Test};
use super::fields::{Field, TypeMask};
use crate::record::EventType;

/// `comm in (...)`; an empty list means "any".
pub fn names(field: Field, names: &[String]) -> Option<Cond> {
    if names.is_empty() {
        return None;
    }
    let set: HashSet<Box<str>> = names.iter().map(|s| Box::from(s.as_str())).collect();
    Some(Cond::Test(field, Test::StrIn(set)))
}

/// `open|write|rename|unlink`, `file_*` or `*`; None names the bad entry.
pub fn operations(ops: &[String]) -> Result<TypeMask, String> {
    if ops.is_empty() {
        return Ok(TypeMask::category(Category::File));
    }
    let mut m = TypeMask::NONE;
    for op in ops {
        m = m.union(match op.as_str() {
            "*" => TypeMask::category(Category::File),
            "open" | "file_open" => TypeMask::of(EventType::FileOpen),
            "write" | "file_write" => TypeMask::of(EventType::FileWrite),
            "rename" | "file_rename" => TypeMask::of(EventType::FileRename),
            "unlink" | "file_unlink" => TypeMask::of(EventType::FileUnlink),
            _ => return Err(op.clone()),
        });
    }
    Ok(m)
}

pub const OPERATIONS: &str = "open, write, rename, unlink, file_open, file_write, file_rename, file_unlink, *";
pub const DIRECTIONS: &str = "outbound, inbound, listen";

/// `outbound` = connect, `inbound` = accept, `listen` = bind or listen.
pub fn direction(d: &str) -> Option<TypeMask> {
    Some(match d {
        "outbound" => TypeMask::of(EventType::NetworkConnect),
        "inbound" => TypeMask::of(EventType::NetworkAccept),
        "listen" => TypeMask::of_all(&[EventType::NetworkBind, EventType::NetworkListen]),
        _ => return None,
    })
}

/// Builds the path matcher; Err is (pattern, message) for a bad glob.
pub fn paths(paths: &[String], patterns: &[String], builtin: bool) -> Result<Option<Cond>, (String, String)> {
    if paths.is_empty() && patterns.is_empty() {
        return Ok(None);
    }
    let mut pats = Vec::new();
    for p in patterns {
        let pat = if let Some(ext) = p.strip_prefix("*.").filter(|e| !e.contains(['*', '?', '[', '/'])) {
            Pattern::Suffix(format!(".{ext}").into())
        } else if builtin && !p.contains(['*', '?', '[']) {
            Pattern::Contains(p.as_str().into())
        } else {
            let re = glob_regex(p).map_err(|e| (p.clone(), e))?;
            Pattern::Glob { re, full_path: p.contains('/') }
        };
        pats.push(pat);
    }
    Ok(Some(Cond::Paths(Box::new(PathMatcher {
        paths: paths.iter().map(|p| Box::from(p.as_str())).collect(),
        patterns: pats,
        plain_prefix: builtin,
    }))))
}

pub fn ports(ports: &[u16]) -> Option<Cond> {
    (!ports.is_empty()).then(|| Cond::Ports(ports.into()))
}

/// ANDs the present parts; nothing present means "always".
pub fn all(parts: Vec<Option<Cond>>) -> Cond {
    let mut v: Vec<Cond> = parts.into_iter().flatten().collect();
    match v.len() {
        0 => Cond::Const(true),
        1 => v.remove(0),
        _ => Cond::And(v.into()),
    }
}
