//! The offline parser's half for `process_namespace` and `file_mount`:
//! their NDJSON fields back into bodies.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{opt_i32, opt_int, opt_str, opt_u32, perr, RecordParseError};
use crate::record::{bits_of, mount_flag_table, EventType, Mount, Namespace, NAMESPACES};

/// `syscall`, one of the hooks of `et` (their names are the syscalls').
fn syscall_of(o: &Map<String, Value>, et: EventType) -> Result<&'static str, RecordParseError> {
    let name = opt_str(o, "syscall")?.ok_or_else(|| perr("syscall", "missing"))?;
    et.hooks()
        .iter()
        .map(|h| h.name())
        .find(|n| *n == name)
        .ok_or_else(|| perr("syscall", format!("`{name}` is not a {} call", et.as_str())))
}

/// The names in the string array `k` as bits of `table`; 0 when absent.
fn names(o: &Map<String, Value>, k: &str, table: &[(u32, &str)]) -> Result<u32, RecordParseError> {
    let a = match o.get(k) {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(perr(k, "expected an array")),
    };
    let strs =
        a.iter().map(|v| v.as_str().ok_or_else(|| perr(k, "expected strings"))).collect::<Result<Vec<_>, _>>()?;
    bits_of(strs, table).map_err(|n| perr(k, format!("unknown name `{n}`")))
}

/// `syscall` is needed; `ns_flags` wins over `namespaces` (names), and a
/// setns with `ns_inode` takes its type from `ns_type`.
pub(super) fn namespace_from_json(o: &Map<String, Value>) -> Result<Namespace, RecordParseError> {
    let syscall = syscall_of(o, EventType::ProcessNamespace)?;
    let ns_inode = opt_u32(o, "ns_inode")?;
    let ns_type = match opt_str(o, "ns_type")? {
        Some(t) => Some(bits_of([t], &NAMESPACES).map_err(|n| perr("ns_type", format!("unknown namespace `{n}`")))?),
        None => None,
    };
    let flags = match opt_int(o, "ns_flags")? {
        Some(f) => u64::try_from(f).map_err(|_| perr("ns_flags", "negative"))?,
        None if ns_type.is_some() => 0,
        None => names(o, "namespaces", &NAMESPACES)?.into(),
    };
    Ok(Namespace {
        flags,
        ns_inode,
        ns_type: ns_inode.and(ns_type),
        target_pid: opt_i32(o, "target_pid")?,
        target_comm: opt_str(o, "target_comm")?.map(str::to_string),
        target_exe: opt_str(o, "target_exe")?.map(Arc::from),
        child_pid: opt_i32(o, "child_pid")?,
        fd: opt_i32(o, "fd")?,
        syscall,
    })
}

/// `syscall` is needed; `mount_flags` wins over `flags` (names).
pub(super) fn mount_from_json(o: &Map<String, Value>) -> Result<Mount, RecordParseError> {
    let syscall = syscall_of(o, EventType::FileMount)?;
    let flags = match opt_int(o, "mount_flags")? {
        Some(f) => u64::try_from(f).map_err(|_| perr("mount_flags", "negative"))?,
        None => names(o, "flags", mount_flag_table(syscall))?.into(),
    };
    let flag = |k: &str| -> Result<bool, RecordParseError> { super::opt_bool(o, k) };
    Ok(Mount {
        source: opt_str(o, "source")?.map(str::to_string),
        source_truncated: flag("source_truncated")?,
        source_detached: flag("source_detached")?,
        target: opt_str(o, "target")?.map(str::to_string),
        target_truncated: flag("target_truncated")?,
        fstype: opt_str(o, "fstype")?.map(str::to_string),
        flags,
        fd: opt_i32(o, "fd")?,
        syscall,
    })
}
