//! `process_setuid` lines back into `Cred` bodies (the inverse of
//! `record::cred::write_json`).

use serde_json::{Map, Value};

use super::{opt_int, opt_str, opt_u32, perr, RecordParseError};
use crate::catalog::ProcessHook;
use crate::record::{cap_bit, cred_call, Caps, Cred, CredCall, IdChange, Ids, GID_KEYS, UID_KEYS};

/// `syscall` is required: it says which of the body's parts apply. A
/// missing id takes its counterpart's value (old from new, new from old),
/// or 0 when both are missing.
pub(super) fn cred_from_json(o: &Map<String, Value>) -> Result<Cred, RecordParseError> {
    let name = opt_str(o, "syscall")?.ok_or_else(|| perr("syscall", "missing (setuid, setresgid, capset...)"))?;
    let (call, syscall) = match (cred_call(name), ProcessHook::from_name(name)) {
        (Some(call), Some(hook)) => (call, hook.name()),
        _ => return Err(perr("syscall", format!("`{name}` is not a credential call"))),
    };
    let ids = |keys: [[&str; 2]; 4]| -> Result<IdChange, RecordParseError> {
        let (mut old, mut new) = ([0u32; 4], [0u32; 4]);
        for (i, [ok, nk]) in keys.iter().enumerate() {
            let (o_v, n_v) = (opt_u32(o, ok)?, opt_u32(o, nk)?);
            old[i] = o_v.or(n_v).unwrap_or(0);
            new[i] = n_v.or(o_v).unwrap_or(0);
        }
        Ok(IdChange { old: Ids::from_array(old), new: Ids::from_array(new) })
    };
    let caps = |k: &str| caps_from_names(o, k).map(|c| c.unwrap_or(0));
    let groups = match o.get("groups") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_u64().and_then(|g| u32::try_from(g).ok()).ok_or_else(|| perr("groups", "expected group ids")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(perr("groups", "expected an array of group ids")),
    };
    let group_count = match opt_int(o, "group_count")? {
        Some(n) => u32::try_from(n).map_err(|_| perr("group_count", "out of range"))?,
        None => groups.len() as u32,
    };
    Ok(Cred {
        syscall,
        uids: (call == CredCall::Uids).then(|| ids(UID_KEYS)).transpose()?,
        gids: (call == CredCall::Gids).then(|| ids(GID_KEYS)).transpose()?,
        group_count: (call == CredCall::Groups).then_some(group_count),
        groups: if call == CredCall::Groups { groups } else { Vec::new() },
        caps: (call == CredCall::Caps)
            .then(|| -> Result<Caps, RecordParseError> {
                Ok(Caps {
                    effective: caps("cap_effective")?,
                    permitted: caps("cap_permitted")?,
                    inheritable: caps("cap_inheritable")?,
                })
            })
            .transpose()?,
    })
}

/// A capability set given by names (`["CAP_NET_RAW"]`); None when absent or null.
pub(super) fn caps_from_names(o: &Map<String, Value>, k: &str) -> Result<Option<u64>, RecordParseError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .try_fold(0u64, |bits, v| {
                let n = v.as_str().ok_or_else(|| perr(k, "expected an array of capability names"))?;
                cap_bit(n).map(|b| bits | b).ok_or_else(|| perr(k, format!("`{n}` is not a capability")))
            })
            .map(Some),
        Some(_) => Err(perr(k, "expected an array of capability names")),
    }
}

/// A capability set given by names; 0 when absent or null.
pub(super) fn caps_from_json(o: &Map<String, Value>, k: &str) -> Result<u64, RecordParseError> {
    caps_from_names(o, k).map(|c| c.unwrap_or(0))
}
