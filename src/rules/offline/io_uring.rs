//! The offline parser's half for `process_io_uring` and for the
//! `io_uring_op` that file and network records made through a ring carry.

use serde_json::{Map, Value};

use super::{intern, opt_bool, opt_i32, opt_str, opt_u32, perr, RecordParseError};
use crate::record::{setup_flags_from_names, IoUring, UringReq, FD_UNKNOWN, IO_URING_OPS};

/// `flags` are names (an unknown bit as its hex value); `fd` may be null.
pub(super) fn io_uring_from_json(o: &Map<String, Value>) -> Result<IoUring, RecordParseError> {
    let flags = match o.get("flags") {
        None | Some(Value::Null) => 0,
        Some(Value::Array(a)) => {
            let names = a.iter().map(|v| v.as_str().ok_or_else(|| perr("flags", "expected strings")));
            let names = names.collect::<Result<Vec<_>, _>>()?;
            setup_flags_from_names(names).ok_or_else(|| perr("flags", "unknown io_uring setup flag"))?
        }
        Some(_) => return Err(perr("flags", "expected an array")),
    };
    Ok(IoUring {
        fd: opt_i32(o, "fd")?,
        sq_entries: opt_u32(o, "sq_entries")?.unwrap_or(0),
        cq_entries: opt_u32(o, "cq_entries")?.unwrap_or(0),
        flags,
    })
}

/// `io_uring_op`, `fd_unknown` and `result_unknown`: known names are
/// interned, others kept as written.
pub(super) fn req_from_json(o: &Map<String, Value>) -> Result<Option<UringReq>, RecordParseError> {
    let known = |table: &[(u16, &'static str)], n: &str| {
        table.iter().find(|(_, k)| *k == n).map_or_else(|| intern(n), |(_, k)| k)
    };
    let Some(op) = opt_str(o, "io_uring_op")? else {
        return Ok(None);
    };
    let fd_unknown = opt_str(o, "fd_unknown")?.map(|n| known(&FD_UNKNOWN, n));
    let result_unknown = opt_bool(o, "result_unknown")?;
    Ok(Some(UringReq { op: known(&IO_URING_OPS, op), fd_unknown, result_unknown }))
}
