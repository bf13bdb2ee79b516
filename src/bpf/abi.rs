//! Decoding raw ring-buffer records (include/events.h) into typed views.
//!
//! The structs are the skeleton's generated types (libbpf-cargo reads them
//! from the object's BTF), never hand-copied; the sizes and offsets below
//! must match the C `_Static_assert`s, or the build fails. Decoding checks
//! every length and string bound, so a short or corrupted record is an
//! error to count, never a panic or an out-of-bounds read.

use std::mem::{offset_of, size_of};

use plain::Plain;

use crate::catalog::{EventType, FileKind, Layout, MetaKind, NetKind};
use thiserror::Error;

pub use super::skel::types::{
    rg_bpf, rg_cred, rg_exec, rg_exit, rg_file, rg_filemeta, rg_fork, rg_header, rg_ids, rg_inject, rg_io_uring,
    rg_memfd, rg_mount, rg_namespace, rg_net, rg_ptrace, rg_signal, rg_str, rg_str_flag, rg_task, rg_utimes, rg_xattr,
};

pub const ABI_VERSION: u16 = 1;

// The record kinds, syscall numbers and counter slots are the C enums of
// include/events.h as the skeleton generates them (`types::rg_kind`, ...);
// `catalog` maps them to event types, hooks and counters.

// Layout checks: the same numbers as include/events.h asserts in C.
const _: () = assert!(size_of::<rg_header>() == 16);
const _: () = assert!(size_of::<rg_task>() == 56);
const _: () = assert!(size_of::<rg_str>() == 8);
const _: () = assert!(size_of::<rg_exec>() == 168);
const _: () = assert!(size_of::<rg_fork>() == 80);
const _: () = assert!(size_of::<rg_exit>() == 88);
const _: () = assert!(size_of::<rg_ptrace>() == 96);
const _: () = assert!(size_of::<rg_signal>() == 96);
const _: () = assert!(offset_of!(rg_signal, target_pid) == 72);
const _: () = assert!(offset_of!(rg_signal, pidfd) == 88);
const _: () = assert!(size_of::<rg_ids>() == 32);
const _: () = assert!(size_of::<rg_cred>() == 232);
const _: () = assert!(offset_of!(rg_cred, old_ids) == 80);
const _: () = assert!(offset_of!(rg_cred, cap_effective) == 144);
const _: () = assert!(offset_of!(rg_cred, groups) == 168);
const _: () = assert!(size_of::<rg_memfd>() == 88);
const _: () = assert!(offset_of!(rg_memfd, name) == 80);
const _: () = assert!(size_of::<rg_inject>() == 96);
const _: () = assert!(offset_of!(rg_inject, target_pid) == 80);
const _: () = assert!(size_of::<rg_bpf>() == 120);
const _: () = assert!(offset_of!(rg_bpf, prog_name) == 104);
const _: () = assert!(size_of::<rg_file>() == 128);
const _: () = assert!(size_of::<rg_filemeta>() == 112);
const _: () = assert!(offset_of!(rg_filemeta, length) == 72);
const _: () = assert!(offset_of!(rg_filemeta, path) == 104);
const _: () = assert!(size_of::<rg_utimes>() == 128);
const _: () = assert!(offset_of!(rg_utimes, syscall) == 104);
const _: () = assert!(offset_of!(rg_utimes, path) == 120);
const _: () = assert!(size_of::<rg_xattr>() == 144);
const _: () = assert!(offset_of!(rg_xattr, value) == 100);
const _: () = assert!(offset_of!(rg_xattr, path) == 128);
const _: () = assert!(offset_of!(rg_xattr, name) == 136);
const _: () = assert!(size_of::<rg_net>() == 144);
const _: () = assert!(size_of::<rg_namespace>() == 104);
const _: () = assert!(offset_of!(rg_namespace, flags) == 72);
const _: () = assert!(offset_of!(rg_namespace, fd) == 100);
const _: () = assert!(size_of::<rg_mount>() == 112);
const _: () = assert!(offset_of!(rg_mount, source) == 88);
const _: () = assert!(offset_of!(rg_mount, fstype) == 104);
const _: () = assert!(offset_of!(rg_file, uring_op) == 108);
const _: () = assert!(offset_of!(rg_net, uring_op) == 102);
const _: () = assert!(size_of::<rg_io_uring>() == 88);
const _: () = assert!(offset_of!(rg_io_uring, fd) == 72);
const _: () = assert!(offset_of!(rg_header, size) == 4);
const _: () = assert!(offset_of!(rg_header, ktime_ns) == 8);
const _: () = assert!(offset_of!(rg_task, comm) == 24);
const _: () = assert!(offset_of!(rg_task, parent_comm) == 40);
const _: () = assert!(offset_of!(rg_exec, stdio_mode) == 88);
const _: () = assert!(offset_of!(rg_exec, filename) == 96);
const _: () = assert!(offset_of!(rg_exec, cwd) == 120);
const _: () = assert!(offset_of!(rg_exec, interp) == 128);
const _: () = assert!(offset_of!(rg_exec, old_uid) == 136);
const _: () = assert!(offset_of!(rg_exec, flags) == 156);
const _: () = assert!(offset_of!(rg_exec, caps_gained) == 160);
const _: () = assert!(offset_of!(rg_file, path) == 112);
const _: () = assert!(offset_of!(rg_file, new_path) == 120);
const _: () = assert!(offset_of!(rg_net, local_addr) == 104);
const _: () = assert!(offset_of!(rg_net, unix_path) == 136);

// SAFETY: plain-old-data generated from C structs with explicit padding:
// every bit pattern is a valid value.
unsafe impl Plain for rg_header {}
unsafe impl Plain for rg_str {}
unsafe impl Plain for rg_exec {}
unsafe impl Plain for rg_fork {}
unsafe impl Plain for rg_exit {}
unsafe impl Plain for rg_ptrace {}
unsafe impl Plain for rg_signal {}
unsafe impl Plain for rg_cred {}
unsafe impl Plain for rg_memfd {}
unsafe impl Plain for rg_inject {}
unsafe impl Plain for rg_bpf {}
unsafe impl Plain for rg_file {}
unsafe impl Plain for rg_filemeta {}
unsafe impl Plain for rg_utimes {}
unsafe impl Plain for rg_xattr {}
unsafe impl Plain for rg_net {}
unsafe impl Plain for rg_namespace {}
unsafe impl Plain for rg_mount {}
unsafe impl Plain for rg_io_uring {}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("record of {0} bytes is shorter than its header")]
    ShortHeader(usize),
    #[error("record ABI version {found}, expected {ABI_VERSION}")]
    AbiVersion { found: u16 },
    #[error("record says it has {claimed} bytes but {available} arrived")]
    SizeMismatch { claimed: u32, available: usize },
    #[error("unknown record kind {0}")]
    UnknownKind(u16),
    #[error("record kind {kind} needs {need} bytes, has {have}")]
    ShortRecord { kind: u16, need: usize, have: usize },
    #[error("string {field} at {off}+{len} lies outside the {size}-byte record")]
    BadString { field: &'static str, off: u16, len: u16, size: usize },
}

/// A string packed after a record's fixed part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Text<'a> {
    pub bytes: &'a [u8],
    pub truncated: bool,
    /// A path whose walk ended at a detached mount (`RG_STR_DETACHED`): the
    /// path within that mount, not one in the namespace's tree.
    pub detached: bool,
    /// false when the kernel could not read it at all.
    pub present: bool,
}

#[derive(Debug)]
pub enum RawEvent<'a> {
    Exec { e: rg_exec, filename: Text<'a>, args: Text<'a>, exe: Text<'a>, cwd: Text<'a>, interp: Text<'a> },
    Fork(rg_fork),
    Exit(rg_exit),
    Ptrace(rg_ptrace),
    Signal(rg_signal),
    Cred(rg_cred),
    Memfd { e: rg_memfd, name: Text<'a> },
    Inject(rg_inject),
    Bpf(rg_bpf),
    Namespace(rg_namespace),
    Mount { e: rg_mount, source: Text<'a>, target: Text<'a>, fstype: Text<'a> },
    IoUring(rg_io_uring),
    File { op: FileKind, e: rg_file, path: Text<'a>, new_path: Text<'a> },
    FileMeta { op: MetaKind, e: rg_filemeta, path: Text<'a> },
    Utimes { e: rg_utimes, path: Text<'a> },
    Xattr { e: rg_xattr, path: Text<'a>, name: Text<'a> },
    Net { kind: NetKind, e: rg_net, unix_path: Text<'a> },
}

impl RawEvent<'_> {
    pub fn header(&self) -> &rg_header {
        match self {
            RawEvent::Exec { e, .. } => &e.hdr,
            RawEvent::Fork(e) => &e.hdr,
            RawEvent::Exit(e) => &e.hdr,
            RawEvent::Ptrace(e) => &e.hdr,
            RawEvent::Signal(e) => &e.hdr,
            RawEvent::Cred(e) => &e.hdr,
            RawEvent::Memfd { e, .. } => &e.hdr,
            RawEvent::Inject(e) => &e.hdr,
            RawEvent::Bpf(e) => &e.hdr,
            RawEvent::Namespace(e) => &e.hdr,
            RawEvent::Mount { e, .. } => &e.hdr,
            RawEvent::IoUring(e) => &e.hdr,
            RawEvent::File { e, .. } => &e.hdr,
            RawEvent::FileMeta { e, .. } => &e.hdr,
            RawEvent::Utimes { e, .. } => &e.hdr,
            RawEvent::Xattr { e, .. } => &e.hdr,
            RawEvent::Net { e, .. } => &e.hdr,
        }
    }
}

fn fixed<T: Plain + Default>(buf: &[u8], kind: u16) -> Result<T, DecodeError> {
    let mut v = T::default();
    plain::copy_from_bytes(&mut v, buf).map_err(|_| DecodeError::ShortRecord {
        kind,
        need: size_of::<T>(),
        have: buf.len(),
    })?;
    Ok(v)
}

fn text<'a>(buf: &'a [u8], fixed_len: usize, s: &rg_str, field: &'static str) -> Result<Text<'a>, DecodeError> {
    let truncated = s.truncated & rg_str_flag::RG_STR_CUT.0 as u16 != 0;
    let detached = s.truncated & rg_str_flag::RG_STR_DETACHED.0 as u16 != 0;
    if s.off == 0 && s.len == 0 {
        return Ok(Text { bytes: &[], truncated, detached, present: false });
    }
    let start = s.off as usize;
    let end = start + s.len as usize;
    if start < fixed_len || end > buf.len() {
        return Err(DecodeError::BadString { field, off: s.off, len: s.len, size: buf.len() });
    }
    Ok(Text { bytes: &buf[start..end], truncated, detached, present: true })
}

/// Decodes one record exactly as the ring buffer delivered it.
pub fn decode(buf: &[u8]) -> Result<RawEvent<'_>, DecodeError> {
    if buf.len() < size_of::<rg_header>() {
        return Err(DecodeError::ShortHeader(buf.len()));
    }
    let hdr: rg_header = fixed(buf, 0)?;
    if hdr.abi_version != ABI_VERSION {
        return Err(DecodeError::AbiVersion { found: hdr.abi_version });
    }
    if hdr.size as usize != buf.len() {
        return Err(DecodeError::SizeMismatch { claimed: hdr.size, available: buf.len() });
    }
    let kind = hdr.kind;
    let et = EventType::from_kind(kind).ok_or(DecodeError::UnknownKind(kind))?;
    Ok(match et.layout() {
        Layout::Exec => {
            let e: rg_exec = fixed(buf, kind)?;
            let n = size_of::<rg_exec>();
            RawEvent::Exec {
                filename: text(buf, n, &e.filename, "filename")?,
                args: text(buf, n, &e.args, "args")?,
                exe: text(buf, n, &e.exe, "exe")?,
                cwd: text(buf, n, &e.cwd, "cwd")?,
                interp: text(buf, n, &e.interp, "interp")?,
                e,
            }
        }
        Layout::Fork => RawEvent::Fork(fixed(buf, kind)?),
        Layout::Exit => RawEvent::Exit(fixed(buf, kind)?),
        Layout::Ptrace => RawEvent::Ptrace(fixed(buf, kind)?),
        Layout::Signal => RawEvent::Signal(fixed(buf, kind)?),
        Layout::Cred => RawEvent::Cred(fixed(buf, kind)?),
        Layout::Memfd => {
            let e: rg_memfd = fixed(buf, kind)?;
            RawEvent::Memfd { name: text(buf, size_of::<rg_memfd>(), &e.name, "memfd_name")?, e }
        }
        Layout::Inject => RawEvent::Inject(fixed(buf, kind)?),
        Layout::Bpf => RawEvent::Bpf(fixed(buf, kind)?),
        Layout::Namespace => RawEvent::Namespace(fixed(buf, kind)?),
        Layout::Mount => {
            let e: rg_mount = fixed(buf, kind)?;
            let n = size_of::<rg_mount>();
            RawEvent::Mount {
                source: text(buf, n, &e.source, "source")?,
                target: text(buf, n, &e.target, "target")?,
                fstype: text(buf, n, &e.fstype, "fstype")?,
                e,
            }
        }
        Layout::IoUring => RawEvent::IoUring(fixed(buf, kind)?),
        Layout::File(op) => {
            let e: rg_file = fixed(buf, kind)?;
            let n = size_of::<rg_file>();
            RawEvent::File {
                op,
                path: text(buf, n, &e.path, "path")?,
                new_path: text(buf, n, &e.new_path, "new_path")?,
                e,
            }
        }
        Layout::FileMeta(op) => {
            let e: rg_filemeta = fixed(buf, kind)?;
            RawEvent::FileMeta { op, path: text(buf, size_of::<rg_filemeta>(), &e.path, "path")?, e }
        }
        Layout::Utimes => {
            let e: rg_utimes = fixed(buf, kind)?;
            RawEvent::Utimes { path: text(buf, size_of::<rg_utimes>(), &e.path, "path")?, e }
        }
        Layout::Xattr => {
            let e: rg_xattr = fixed(buf, kind)?;
            let n = size_of::<rg_xattr>();
            RawEvent::Xattr { path: text(buf, n, &e.path, "path")?, name: text(buf, n, &e.name, "name")?, e }
        }
        Layout::Net(net) => {
            let e: rg_net = fixed(buf, kind)?;
            RawEvent::Net { kind: net, unix_path: text(buf, size_of::<rg_net>(), &e.unix_path, "unix_path")?, e }
        }
    })
}

/// Test and replay support: builds raw records byte for byte as the kernel
/// would, so decoding and normalization can be exercised without a kernel.
pub mod build {
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
        let e = rg_fork {
            hdr: header(EventType::ProcessFork.kind(), ktime),
            task: child,
            parent_pid,
            parent_tid: parent_pid,
        };
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
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    fn t() -> rg_task {
        task(100, 101, 1, 0, "bash", "systemd")
    }

    #[test]
    fn decodes_exec_with_all_strings() {
        let raw = exec(t(), 5, "/bin/ls", &["ls", "-l"], "/usr/bin/ls", "/root");
        match decode(&raw).expect("valid") {
            RawEvent::Exec { e, filename, args, exe, cwd, interp } => {
                assert_eq!(e.task.pid, 100);
                assert!(!interp.present);
                assert_eq!(filename.bytes, b"/bin/ls");
                assert_eq!(args.bytes, b"ls\0-l\0");
                assert_eq!(exe.bytes, b"/usr/bin/ls");
                assert_eq!(cwd.bytes, b"/root");
                assert!(!args.truncated);
            }
            other => panic!("wrong kind {other:?}"),
        }
    }

    #[test]
    fn every_truncation_of_a_valid_record_is_an_error_not_a_panic() {
        let raw = file(EventType::FileRename, t(), 1, 30, "/a/b", Some("/c/d"));
        assert!(decode(&raw).is_ok());
        for cut in 0..raw.len() {
            assert!(decode(&raw[..cut]).is_err(), "cut at {cut} decoded");
        }
    }

    #[test]
    fn corrupted_records_are_rejected_with_reasons() {
        let good = file(EventType::FileOpen, t(), 1, 11, "/etc/passwd", None);
        let mut bad = good.clone();
        bad[2] = 9; // ABI version
        assert_eq!(decode(&bad).unwrap_err(), DecodeError::AbiVersion { found: 9 });
        let mut bad = good.clone();
        bad[0] = 77; // kind
        assert_eq!(decode(&bad).unwrap_err(), DecodeError::UnknownKind(77));
        let mut bad = good.clone();
        bad.push(0); // size disagrees with length
        assert!(matches!(decode(&bad), Err(DecodeError::SizeMismatch { .. })));
        // a string pointing past the end, and one pointing into the fixed part
        for (off, len) in [(120u16, 4000u16), (8, 4), (u16::MAX, u16::MAX)] {
            let mut bad = good.clone();
            let p = offset_of!(rg_file, path);
            bad[p..p + 2].copy_from_slice(&off.to_ne_bytes());
            bad[p + 2..p + 4].copy_from_slice(&len.to_ne_bytes());
            assert!(matches!(decode(&bad), Err(DecodeError::BadString { field: "path", .. })), "{off}+{len}");
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        // xorshift: deterministic garbage, including valid-looking headers
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for n in 0..20_000usize {
            let len = n % 300;
            let mut buf = Vec::with_capacity(len);
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf.push(x as u8);
            }
            if len >= 8 {
                buf[2..4].copy_from_slice(&ABI_VERSION.to_ne_bytes());
                buf[4..8].copy_from_slice(&(len as u32).to_ne_bytes());
                buf[0] = [1u8, 2, 3, 4, 16, 17, 18, 19, 32, 35][n % 10];
                buf[1] = 0;
            }
            let _ = decode(&buf);
        }
    }
}
