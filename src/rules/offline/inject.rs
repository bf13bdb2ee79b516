//! The offline parser's half for `process_memfd`, `process_inject` and
//! `bpf_load`: their NDJSON fields back into bodies.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{intern, opt_bool, opt_i32, opt_int, opt_str, opt_u32, perr, req_str, RecordParseError};
use crate::record::{
    bpf_attach_type_code, bpf_cmd_code, bpf_prog_type_code, same_exe, BpfLoad, Inject, Memfd, SharedStr, BPF_PROG_LOAD,
    MEMFD_FLAGS,
};

/// `memfd_name` is needed; `flags` (names) and `fd` default to none and -1.
pub(super) fn memfd_from_json(o: &Map<String, Value>) -> Result<Memfd, RecordParseError> {
    let mut flags = 0;
    match o.get("flags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for v in a {
                let n = v.as_str().ok_or_else(|| perr("flags", "expected strings"))?;
                let bit = MEMFD_FLAGS.iter().find(|(_, name)| *name == n).map(|(b, _)| *b);
                flags |= bit.ok_or_else(|| perr("flags", format!("unknown memfd flag `{n}`")))?;
            }
        }
        Some(_) => return Err(perr("flags", "expected an array")),
    }
    Ok(Memfd {
        name: req_str(o, "memfd_name")?.to_string(),
        name_truncated: opt_bool(o, "memfd_name_truncated")?,
        flags,
        fd: opt_i32(o, "fd")?.unwrap_or(-1),
    })
}

/// `target_pid` is needed; `target_same_exe` is worked out from `exe` and
/// `target_exe` when absent.
pub(super) fn inject_from_json(o: &Map<String, Value>) -> Result<Inject, RecordParseError> {
    let t = target_from_json(o)?;
    Ok(Inject {
        target_pid: opt_i32(o, "target_pid")?.ok_or_else(|| perr("target_pid", "missing"))?,
        target_comm: t.comm,
        target_exe: t.exe,
        target_cmdline: t.cmdline,
        target_same_exe: t.same_exe,
        bytes: opt_int(o, "bytes")?.map_or(0, |b| b.max(0) as u64),
        local_iovcnt: opt_u32(o, "local_iovcnt")?.unwrap_or(1),
        remote_iovcnt: opt_u32(o, "remote_iovcnt")?.unwrap_or(1),
        syscall: opt_str(o, "syscall")?.map_or("process_vm_writev", intern),
    })
}

/// The target process's fields of process_inject and process_ptrace.
pub(super) struct TargetFields {
    pub comm: Option<String>,
    pub exe: Option<SharedStr>,
    pub cmdline: Option<SharedStr>,
    pub same_exe: Option<bool>,
}

/// All optional; `target_same_exe` is worked out from `exe` and
/// `target_exe` when absent.
pub(super) fn target_from_json(o: &Map<String, Value>) -> Result<TargetFields, RecordParseError> {
    let exe = opt_str(o, "target_exe")?;
    let same_exe = match o.get("target_same_exe") {
        None | Some(Value::Null) => same_exe(opt_str(o, "exe")?, exe),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(perr("target_same_exe", "expected a boolean")),
    };
    Ok(TargetFields {
        comm: opt_str(o, "target_comm")?.map(str::to_string),
        exe: exe.map(Arc::from),
        cmdline: opt_str(o, "target_cmdline")?.map(Arc::from),
        same_exe,
    })
}

/// `bpf_cmd` is needed, by name; the type names map back to their numbers.
pub(super) fn bpf_from_json(o: &Map<String, Value>) -> Result<BpfLoad, RecordParseError> {
    let name = req_str(o, "bpf_cmd")?;
    let cmd =
        bpf_cmd_code(name).ok_or_else(|| perr("bpf_cmd", format!("`{name}` is not a command rand-guard reports")))?;
    let code = |k: &str, of: fn(&str) -> Option<u32>| -> Result<Option<u32>, RecordParseError> {
        opt_str(o, k)?.map(|n| of(n).ok_or_else(|| perr(k, format!("unknown name `{n}`")))).transpose()
    };
    let load = cmd == BPF_PROG_LOAD;
    let result = opt_int(o, "result")?.unwrap_or(0);
    Ok(BpfLoad {
        cmd,
        prog_type: code("prog_type", bpf_prog_type_code)?,
        prog_name: opt_str(o, "prog_name")?.map(str::to_string),
        attach_type: code("attach_type", bpf_attach_type_code)?,
        prog_fd: opt_i32(o, "prog_fd")?.unwrap_or(if load { i32::try_from(result).unwrap_or(-1) } else { -1 }),
        insn_count: opt_u32(o, "insn_count")?,
        result,
    })
}
