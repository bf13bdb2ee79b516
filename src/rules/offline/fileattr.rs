//! The offline parser's half for `file_utimes` and `file_xattr`: their
//! NDJSON fields back into bodies (the path is `file_from_json`'s).

use serde_json::{Map, Value};

use super::cred::caps_from_names;
use super::{opt_bool, opt_int, opt_str, parse_rfc3339, perr, req_str, RecordParseError};
use crate::record::{
    FileCaps, FileOp, TimeSet, Utimes, Xattr, XattrOp, UTIMES_FLAGS, UTIME_NOW, UTIME_OMIT, XATTR_FLAGS,
};

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EMPTY_PATH: u32 = 0x1000;

/// Each time from `<t>_set` (a marker), else `<t>_sec`/`<t>_nsec`, else the
/// RFC 3339 `<t>`; `times_null` makes a missing one "now", and a time given
/// no way at all is unknown (`times_unread`). `mtime_age_s` is worked out
/// from the record's timestamp `ts`, as the sensor does.
pub(super) fn utimes_from_json(o: &Map<String, Value>, ts: u64) -> Result<FileOp, RecordParseError> {
    let times_null = opt_bool(o, "times_null")?;
    let unread = opt_bool(o, "times_unread")?;
    let time = |[key, sec, nsec, set]: [&str; 4]| -> Result<Option<TimeSet>, RecordParseError> {
        if unread {
            return Ok(None);
        }
        match opt_str(o, set)? {
            Some("UTIME_NOW") => return Ok(Some(TimeSet::Now)),
            Some("UTIME_OMIT") => return Ok(Some(TimeSet::Omit)),
            Some("time") | None => {}
            Some(other) => return Err(perr(set, format!("`{other}` is not time, UTIME_NOW or UTIME_OMIT"))),
        }
        if let Some(s) = opt_int(o, sec)? {
            let n = opt_int(o, nsec)?.unwrap_or(0);
            if !(0..1_000_000_000).contains(&n) || n == UTIME_NOW || n == UTIME_OMIT {
                return Err(perr(nsec, "out of range"));
            }
            return Ok(Some(TimeSet::from_raw(s, n)));
        }
        if let Some(t) = opt_str(o, key)? {
            let ns = parse_rfc3339(t).ok_or_else(|| perr(key, "not RFC 3339 UTC"))?;
            return Ok(Some(TimeSet::At { sec: (ns / 1_000_000_000) as i64, nsec: (ns % 1_000_000_000) as u32 }));
        }
        Ok(times_null.then_some(TimeSet::Now))
    };
    let atime = time(["atime", "atime_sec", "atime_nsec", "atime_set"])?;
    let mtime = time(["mtime", "mtime_sec", "mtime_nsec", "mtime_set"])?;
    let mut flags = bits_from_names(o, "flags", &UTIMES_FLAGS)?;
    if o.get("follow_symlinks") == Some(&Value::Bool(false)) {
        flags |= AT_SYMLINK_NOFOLLOW;
    }
    Ok(FileOp::Utimes(Utimes::new(atime, mtime, times_null, flags, ts)))
}

/// `xattr_name` is needed; `xattr_op` defaults to set. The capability sets
/// given by name make the decoded value (`cap_effective` not empty: the
/// effective flag).
pub(super) fn xattr_from_json(o: &Map<String, Value>) -> Result<Xattr, RecordParseError> {
    let op = match opt_str(o, "xattr_op")? {
        None => XattrOp::Set,
        Some(n) => XattrOp::from_name(n).ok_or_else(|| perr("xattr_op", format!("`{n}` is not set or remove")))?,
    };
    let (p, i, e) = (
        caps_from_names(o, "cap_permitted")?,
        caps_from_names(o, "cap_inheritable")?,
        caps_from_names(o, "cap_effective")?,
    );
    let rootid = opt_int(o, "cap_rootid")?.map(|r| u32::try_from(r).map_err(|_| perr("cap_rootid", "out of range")));
    let rootid = rootid.transpose()?;
    let caps = (p.is_some() || i.is_some() || e.is_some()).then(|| FileCaps {
        permitted: p.unwrap_or(0) | e.unwrap_or(0),
        inheritable: i.unwrap_or(0),
        effective: e.is_some_and(|e| e != 0),
        rootid,
    });
    // as the sensor writes it: false for AT_SYMLINK_NOFOLLOW, null for an fd's file
    let at_flags = match o.get("follow_symlinks") {
        Some(Value::Bool(false)) => AT_SYMLINK_NOFOLLOW,
        Some(Value::Null) => AT_EMPTY_PATH,
        _ => 0,
    };
    Ok(Xattr {
        name: req_str(o, "xattr_name")?.to_string(),
        op,
        value_size: opt_int(o, "value_size")?.map(|n| n.max(0) as u64),
        flags: bits_from_names(o, "flags", &XATTR_FLAGS)?,
        at_flags,
        value_unread: opt_bool(o, "value_unread")?,
        caps,
    })
}

/// A flag list given by names from a (bit, name) table; absent or null is none.
fn bits_from_names(o: &Map<String, Value>, k: &str, table: &[(u32, &str)]) -> Result<u32, RecordParseError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Array(a)) => a.iter().try_fold(0, |bits, v| {
            let n = v.as_str().ok_or_else(|| perr(k, "expected strings"))?;
            let bit = table.iter().find(|(_, name)| *name == n).map(|(b, _)| *b);
            bit.map(|b| bits | b).ok_or_else(|| perr(k, format!("unknown flag `{n}`")))
        }),
        Some(_) => Err(perr(k, "expected an array")),
    }
}
