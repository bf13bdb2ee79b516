//! Test and replay support: builds raw records byte for byte as the kernel
//! would, so decoding and normalization can be exercised without a kernel.

use super::*;

fn as_bytes<T: Plain>(v: &T) -> &[u8] {
    // SAFETY: T is Plain (POD, no padding bytes with invariants); we only
    // read size_of::<T>() bytes of a live value.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// Appends strings after a fixed part and fixes up the header size.
pub struct RecordBuilder {
    pub buf: Vec<u8>,
}

impl RecordBuilder {
    pub fn new<T: Plain>(fixed: &T) -> RecordBuilder {
        RecordBuilder { buf: as_bytes(fixed).to_vec() }
    }

    /// Appends `bytes` and returns its descriptor, to be written into
    /// the fixed part with `set_str`.
    pub fn push(&mut self, bytes: &[u8], truncated: bool) -> rg_str {
        let off = self.buf.len() as u16;
        self.buf.extend_from_slice(bytes);
        rg_str { off, len: bytes.len() as u16, truncated: truncated as u16, _pad: 0 }
    }

    /// Overwrites the descriptor at `field_offset` in the fixed part.
    pub fn set_str(&mut self, field_offset: usize, s: rg_str) {
        self.buf[field_offset..field_offset + 8].copy_from_slice(as_bytes(&s));
    }

    pub fn finish(mut self) -> Vec<u8> {
        let size = self.buf.len() as u32;
        self.buf[4..8].copy_from_slice(&size.to_ne_bytes());
        self.buf
    }
}

pub fn header(kind: u16, ktime_ns: u64) -> rg_header {
    rg_header { kind, abi_version: ABI_VERSION, size: 0, ktime_ns }
}

pub fn task(pid: u32, tid: u32, ppid: u32, uid: u32, comm: &str, parent_comm: &str) -> rg_task {
    let mut t = rg_task { pid, tid, ppid, uid, gid: uid, euid: uid, ..Default::default() };
    for (dst, src) in [(&mut t.comm, comm), (&mut t.parent_comm, parent_comm)] {
        for (d, s) in dst.iter_mut().zip(src.bytes().take(15)) {
            *d = s as _;
        }
    }
    t
}

pub fn exec(task: rg_task, ktime: u64, filename: &str, args: &[&str], exe: &str, cwd: &str) -> Vec<u8> {
    exec_via(task, ktime, filename, None, args, exe, cwd, |_| {})
}

/// An exec record with an interpreter (`#!`) string and the fixed part
/// edited by `edit` (the credential fields).
#[allow(clippy::too_many_arguments)]
pub fn exec_via(
    task: rg_task,
    ktime: u64,
    filename: &str,
    interp: Option<&str>,
    args: &[&str],
    exe: &str,
    cwd: &str,
    edit: impl FnOnce(&mut rg_exec),
) -> Vec<u8> {
    let mut e = rg_exec {
        hdr: header(EventType::ProcessExec.kind(), ktime),
        task,
        old_tid: task.tid,
        argc: args.len() as u32,
        syscall: 1,
        dirfd: -100,
        stdio_mode: [0o020000, 0o010000, 0o140000],
        stdio_inet: 0b100,
        egid: task.gid,
        ..Default::default()
    };
    edit(&mut e);
    let mut b = RecordBuilder::new(&e);
    let mut argv = Vec::new();
    for a in args {
        argv.extend_from_slice(a.as_bytes());
        argv.push(0);
    }
    for (field, bytes) in [
        (offset_of!(rg_exec, filename), filename.as_bytes()),
        (offset_of!(rg_exec, args), &argv[..]),
        (offset_of!(rg_exec, exe), exe.as_bytes()),
        (offset_of!(rg_exec, cwd), cwd.as_bytes()),
    ] {
        let s = b.push(bytes, false);
        b.set_str(field, s);
    }
    if let Some(i) = interp {
        let s = b.push(i.as_bytes(), false);
        b.set_str(offset_of!(rg_exec, interp), s);
    }
    b.finish()
}

pub fn file(et: EventType, task: rg_task, ktime: u64, syscall: u32, path: &str, new_path: Option<&str>) -> Vec<u8> {
    let e = rg_file { hdr: header(et.kind(), ktime), task, syscall, fd: 3, flags: 0o101, ..Default::default() };
    let mut b = RecordBuilder::new(&e);
    let s = b.push(path.as_bytes(), false);
    b.set_str(offset_of!(rg_file, path), s);
    if let Some(np) = new_path {
        let s = b.push(np.as_bytes(), false);
        b.set_str(offset_of!(rg_file, new_path), s);
    }
    b.finish()
}

/// A file_chmod, file_chown or file_truncate record as the kernel sends
/// it; the caller sets the type's fields on `e`.
pub fn filemeta(task: rg_task, ktime: u64, path: &str, e: rg_filemeta) -> Vec<u8> {
    let e = rg_filemeta { task, hdr: header(e.hdr.kind, ktime), ..e };
    let mut b = RecordBuilder::new(&e);
    let s = b.push(path.as_bytes(), false);
    b.set_str(offset_of!(rg_filemeta, path), s);
    b.finish()
}

/// A file_utimes record as the kernel sends it; the caller sets the
/// type's fields on `e`.
pub fn utimes(task: rg_task, ktime: u64, path: &str, e: rg_utimes) -> Vec<u8> {
    let e = rg_utimes { task, hdr: header(EventType::FileUtimes.kind(), ktime), ..e };
    let mut b = RecordBuilder::new(&e);
    let s = b.push(path.as_bytes(), false);
    b.set_str(offset_of!(rg_utimes, path), s);
    b.finish()
}

/// A file_xattr record as the kernel sends it; the caller sets the
/// type's fields on `e`.
pub fn xattr(task: rg_task, ktime: u64, path: &str, name: &str, e: rg_xattr) -> Vec<u8> {
    let e = rg_xattr { task, hdr: header(EventType::FileXattr.kind(), ktime), ..e };
    let mut b = RecordBuilder::new(&e);
    let s = b.push(path.as_bytes(), false);
    b.set_str(offset_of!(rg_xattr, path), s);
    let s = b.push(name.as_bytes(), false);
    b.set_str(offset_of!(rg_xattr, name), s);
    b.finish()
}

pub fn fork(child: rg_task, ktime: u64, parent_pid: u32) -> Vec<u8> {
    let e =
        rg_fork { hdr: header(EventType::ProcessFork.kind(), ktime), task: child, parent_pid, parent_tid: parent_pid };
    RecordBuilder::new(&e).finish()
}

/// A network record: `remote` is an IPv4 or IPv6 address in network order.
pub fn net(
    et: EventType,
    task: rg_task,
    ktime: u64,
    family: u16,
    remote: &[u8],
    remote_port: u16,
    local_port: u16,
) -> Vec<u8> {
    let mut e = rg_net {
        hdr: header(et.kind(), ktime),
        task,
        fd: 3,
        syscall: 50,
        family,
        protocol: 6,
        sock_type: 1,
        local_port,
        remote_port,
        ..Default::default()
    };
    let n = remote.len().min(16);
    e.remote_addr[..n].copy_from_slice(&remote[..n]);
    e.local_addr[..n].copy_from_slice(&remote[..n]);
    RecordBuilder::new(&e).finish()
}

pub fn exit(task: rg_task, ktime: u64, status: u32, start_ns: u64) -> Vec<u8> {
    let e = rg_exit {
        hdr: header(EventType::ProcessExit.kind(), ktime),
        task,
        exit_code: status,
        start_ns,
        ..Default::default()
    };
    RecordBuilder::new(&e).finish()
}

/// A process_signal record: `sig` to `target_pid` through `syscall`.
pub fn signal(task: rg_task, ktime: u64, syscall: u32, sig: u32, target_pid: i32) -> Vec<u8> {
    let e = rg_signal {
        hdr: header(EventType::ProcessSignal.kind(), ktime),
        task,
        target_pid,
        sig,
        syscall,
        pidfd: -1,
        ..Default::default()
    };
    RecordBuilder::new(&e).finish()
}

/// A process_io_uring record: a ring of `sq_entries` with setup `flags` as `fd`.
pub fn io_uring(task: rg_task, ktime: u64, fd: i32, sq_entries: u32, flags: u32) -> Vec<u8> {
    let e = rg_io_uring {
        hdr: header(EventType::ProcessIoUring.kind(), ktime),
        task,
        fd,
        sq_entries,
        cq_entries: sq_entries * 2,
        flags,
    };
    RecordBuilder::new(&e).finish()
}

/// A process_setuid record: `syscall` took the task from ids `old` to `new`.
pub fn cred(task: rg_task, ktime: u64, syscall: u32, old: rg_ids, new: rg_ids) -> Vec<u8> {
    let e = rg_cred {
        hdr: header(EventType::ProcessSetuid.kind(), ktime),
        task,
        syscall,
        old_ids: old,
        new_ids: new,
        ..Default::default()
    };
    RecordBuilder::new(&e).finish()
}
/// A process_memfd record: memfd_create(`name`, `flags`) returned `fd`.
pub fn memfd(task: rg_task, ktime: u64, name: &str, flags: u32, fd: i32) -> Vec<u8> {
    let e = rg_memfd { hdr: header(EventType::ProcessMemfd.kind(), ktime), task, fd, flags, ..Default::default() };
    let mut b = RecordBuilder::new(&e);
    let s = b.push(name.as_bytes(), false);
    b.set_str(offset_of!(rg_memfd, name), s);
    b.finish()
}

/// A process_inject record: `bytes` written into `target_pid`.
pub fn inject(task: rg_task, ktime: u64, target_pid: i32, bytes: i64) -> Vec<u8> {
    let e = rg_inject {
        hdr: header(EventType::ProcessInject.kind(), ktime),
        task,
        ret: bytes,
        target_pid,
        local_iovcnt: 1,
        remote_iovcnt: 1,
        syscall: crate::bpf::skel::types::rg_syscall::RG_SYS_PROCESS_VM_WRITEV.0,
    };
    RecordBuilder::new(&e).finish()
}

/// A successful ptrace `request` on `target_pid`.
pub fn ptrace(task: rg_task, ktime: u64, request: i64, target_pid: u32) -> Vec<u8> {
    let e = rg_ptrace {
        hdr: header(EventType::ProcessPtrace.kind(), ktime),
        task,
        request,
        target_pid,
        ..Default::default()
    };
    RecordBuilder::new(&e).finish()
}

/// A bpf_load record: command `cmd`, program type, attach type, name.
pub fn bpf(task: rg_task, ktime: u64, cmd: u32, prog_type: u32, attach_type: u32, name: &str) -> Vec<u8> {
    let mut e = rg_bpf {
        hdr: header(EventType::BpfLoad.kind(), ktime),
        task,
        ret: 7,
        cmd,
        prog_type,
        attach_type,
        prog_fd: -1,
        insn_cnt: 2,
        ..Default::default()
    };
    for (d, s) in e.prog_name.iter_mut().zip(name.bytes().take(15)) {
        *d = s as _;
    }
    RecordBuilder::new(&e).finish()
}

/// A process_namespace record (`e` with its header filled in here).
pub fn namespace(task: rg_task, ktime: u64, e: rg_namespace) -> Vec<u8> {
    let e = rg_namespace { hdr: header(EventType::ProcessNamespace.kind(), ktime), task, ..e };
    RecordBuilder::new(&e).finish()
}

/// A file_mount record: `e` (header and strings filled in here) with
/// `source`, `target` and `fstype` when given.
pub fn mount(task: rg_task, ktime: u64, e: rg_mount, strs: [Option<&str>; 3]) -> Vec<u8> {
    let e = rg_mount { hdr: header(EventType::FileMount.kind(), ktime), task, ..e };
    let mut b = RecordBuilder::new(&e);
    let at = [offset_of!(rg_mount, source), offset_of!(rg_mount, target), offset_of!(rg_mount, fstype)];
    for (s, off) in strs.into_iter().zip(at) {
        if let Some(s) = s {
            let d = b.push(s.as_bytes(), false);
            b.set_str(off, d);
        }
    }
    b.finish()
}

/// A cgroup cache notice (`RG_KIND_CGROUP`): cgroup `id` of hierarchy
/// `hierarchy` made or removed (`op`) at `path`.
pub fn cgroup(ktime: u64, id: u64, hierarchy: u32, op: rg_cgroup_op, path: &str) -> Vec<u8> {
    let e =
        rg_cgroup { hdr: header(crate::catalog::CGROUP_KIND, ktime), id, hierarchy, op: op.0, ..Default::default() };
    let mut b = RecordBuilder::new(&e);
    let s = b.push(path.as_bytes(), false);
    b.set_str(offset_of!(rg_cgroup, path), s);
    b.finish()
}
