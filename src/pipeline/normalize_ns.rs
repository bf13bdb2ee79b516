//! Normalization of `process_namespace` and `file_mount` records: raw
//! structs to bodies (the target process's names come from the caller's
//! table lookup).

use super::{absolute, lossy};
use crate::bpf::abi::{rg_mount, rg_namespace, Text};
use crate::catalog;
use crate::process::ProcessInfo;
use crate::record::{Mount, Namespace};

/// A namespace record; `target` is the setns pidfd's process, if known.
pub(super) fn namespace_body(e: &rg_namespace, target: Option<&ProcessInfo>) -> Namespace {
    let setns = e.fd >= 0;
    let ns_file = setns && e.ns_inum != 0;
    Namespace {
        flags: e.flags,
        ns_inode: ns_file.then_some(e.ns_inum),
        ns_type: ns_file.then_some(e.ns_type),
        target_pid: (e.target_pid > 0).then_some(e.target_pid),
        target_comm: target.map(|p| p.comm.clone()).filter(|c| !c.is_empty()),
        target_exe: target.and_then(|p| p.exe.clone()),
        child_pid: (e.child_pid > 0).then_some(e.child_pid),
        fd: setns.then_some(e.fd),
        syscall: catalog::syscall_name(e.syscall),
    }
}

/// A mount record: paths made normal; a source that is not a path
/// ("tmpfs", "proc") is kept as given.
pub(super) fn mount_body(e: &rg_mount, source: &Text<'_>, target: &Text<'_>, fstype: &Text<'_>) -> Mount {
    let text = |t: &Text<'_>| t.present.then(|| absolute(t));
    Mount {
        source: text(source),
        source_truncated: source.truncated,
        source_detached: source.detached,
        target: text(target),
        target_truncated: target.truncated,
        fstype: fstype.present.then(|| lossy(fstype.bytes).into_owned()),
        flags: e.flags,
        fd: (e.fd >= 0).then_some(e.fd),
        syscall: catalog::syscall_name(e.syscall),
    }
}
