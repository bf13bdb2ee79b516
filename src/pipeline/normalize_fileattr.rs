//! The type's fields of `file_utimes` and `file_xattr` records, from their
//! raw structs (the path and the filter are normalize's, as for every file
//! event).

use crate::bpf::abi::{rg_utimes, rg_xattr};
use crate::bpf::skel::types::rg_syscall;
use crate::record::{FileCaps, FileOp, TimeSet, Utimes, Xattr, XattrOp, XATTR_SECURITY_CAPABILITY};

/// RG_TIMES_NULL and RG_TIMES_UNREAD (`enum rg_times_flag`).
const TIMES_NULL: u32 = 1;
const TIMES_UNREAD: u32 = 2;

/// A utimes-family call at `event_ns`: the kernel sends the times as passed
/// (utimes' microseconds already in ns), or says there were none (NULL:
/// both now) or that it could not read them (both unknown).
pub(super) fn utimes_op(e: &rg_utimes, event_ns: u64) -> FileOp {
    let (atime, mtime) = if e.times & TIMES_UNREAD != 0 {
        (None, None)
    } else if e.times & TIMES_NULL != 0 {
        (Some(TimeSet::Now), Some(TimeSet::Now))
    } else {
        (Some(TimeSet::from_raw(e.atime_sec, e.atime_nsec)), Some(TimeSet::from_raw(e.mtime_sec, e.mtime_nsec)))
    };
    FileOp::Utimes(Utimes::new(atime, mtime, e.times & TIMES_NULL != 0, e.flags, event_ns))
}

/// A setxattr- or removexattr-family call on the attribute `name`.
pub(super) fn xattr_op(e: &rg_xattr, name: &str) -> FileOp {
    let op = match rg_syscall(e.syscall) {
        rg_syscall::RG_SYS_REMOVEXATTR
        | rg_syscall::RG_SYS_LREMOVEXATTR
        | rg_syscall::RG_SYS_FREMOVEXATTR
        | rg_syscall::RG_SYS_REMOVEXATTRAT => XattrOp::Remove,
        _ => XattrOp::Set,
    };
    let head = &e.value[..(e.value_len as usize).min(e.value.len())];
    let caps = (op == XattrOp::Set && name == XATTR_SECURITY_CAPABILITY).then(|| FileCaps::decode(head)).flatten();
    FileOp::Xattr(Xattr {
        name: name.to_string(),
        op,
        value_size: (op == XattrOp::Set).then_some(e.size),
        flags: e.flags,
        at_flags: e.at_flags,
        value_unread: e.value_unread != 0,
        caps,
    })
}
