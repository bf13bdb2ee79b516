//! The offline parser's half for the credential, script and hash fields of
//! `process_exec`, and the exec ids every record carries.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::cred::caps_from_json;
use super::{opt_bool, opt_str, opt_u32, perr, RecordParseError};
use crate::record::{CmdlineSource, ExecCreds, ExecId, OldCreds, Script, ScriptSource};

/// The caller's ids are known when any `old_*` id or `privilege_change` is
/// given; a missing old id is the new one. `privilege_change`, when absent,
/// is worked out as the sensor does: a changed euid or egid, or a
/// capability gained.
pub(super) fn creds_from_json(o: &Map<String, Value>) -> Result<ExecCreds, RecordParseError> {
    let (uid, euid, gid) = (opt_u32(o, "uid")?.unwrap_or(0), opt_u32(o, "euid")?, opt_u32(o, "gid")?.unwrap_or(0));
    let euid = euid.unwrap_or(uid);
    let egid = opt_u32(o, "egid")?.unwrap_or(gid);
    let keys = ["old_uid", "old_euid", "old_gid", "old_egid", "privilege_change"];
    if keys.iter().all(|k| matches!(o.get(*k), None | Some(Value::Null))) {
        return Ok(ExecCreds { egid, before: None });
    }
    let old = OldCreds {
        uid: opt_u32(o, "old_uid")?.unwrap_or(uid),
        euid: opt_u32(o, "old_euid")?.unwrap_or(euid),
        gid: opt_u32(o, "old_gid")?.unwrap_or(gid),
        egid: opt_u32(o, "old_egid")?.unwrap_or(egid),
        caps_gained: caps_from_json(o, "caps_gained")?,
        privilege_change: false,
    };
    let privilege_change = match o.get("privilege_change") {
        None | Some(Value::Null) => old.euid != euid || old.egid != egid || old.caps_gained != 0,
        Some(_) => opt_bool(o, "privilege_change")?,
    };
    Ok(ExecCreds { egid, before: Some(OldCreds { privilege_change, ..old }) })
}

/// `script` gives the rest: `interpreter` defaults to `exe`, the source to
/// `argv`.
pub(super) fn script_from_json(o: &Map<String, Value>) -> Result<Option<Script>, RecordParseError> {
    let Some(path) = opt_str(o, "script")? else {
        return Ok(None);
    };
    let source = match opt_str(o, "script_source")? {
        None => ScriptSource::Argv,
        Some(n) => ScriptSource::from_name(n)
            .ok_or_else(|| perr("script_source", format!("`{n}` is not `kernel` or `argv`")))?,
    };
    let interpreter = opt_str(o, "interpreter")?.or(opt_str(o, "exe")?).unwrap_or_default();
    Ok(Some(Script { interpreter: interpreter.to_string(), path: path.to_string(), source }))
}

/// An `exec_id` or `parent_exec_id`: 32 lowercase hex digits, as the
/// sensor writes them, or absent/null.
pub(super) fn exec_id_from_json(o: &Map<String, Value>, key: &str) -> Result<Option<ExecId>, RecordParseError> {
    let Some(s) = opt_str(o, key)? else {
        return Ok(None);
    };
    ExecId::parse(s).map(Some).ok_or_else(|| perr(key, format!("`{s}` is not an exec id (32 lowercase hex digits)")))
}

/// `exe_sha256`: 64 hex digits (either case, kept as lowercase), or
/// absent/null.
pub(super) fn sha256_from_json(o: &Map<String, Value>) -> Result<Option<Arc<str>>, RecordParseError> {
    let Some(s) = opt_str(o, "exe_sha256")? else {
        return Ok(None);
    };
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(perr("exe_sha256", format!("`{s}` is not a SHA-256 (64 hex digits)")));
    }
    Ok(Some(Arc::from(s.to_ascii_lowercase())))
}

/// `cmdline_source`, which only the sensor writes: absent or null for a
/// record without a `cmdline` (or one from before the field existed).
pub(super) fn cmdline_source(o: &Map<String, Value>) -> Result<Option<CmdlineSource>, RecordParseError> {
    let Some(name) = opt_str(o, "cmdline_source")? else {
        return Ok(None);
    };
    if opt_str(o, "cmdline")?.is_none() {
        return Err(perr("cmdline_source", "set while `cmdline` is null"));
    }
    CmdlineSource::from_name(name)
        .map(Some)
        .ok_or_else(|| perr("cmdline_source", format!("unknown source `{name}` (expected exec or procfs)")))
}
