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
pub use super::skel::types::{rg_cgroup, rg_cgroup_op, rg_ctx};

pub const ABI_VERSION: u16 = 2;

// The record kinds, syscall numbers and counter slots are the C enums of
// include/events.h as the skeleton generates them (`types::rg_kind`, ...);
// `catalog` maps them to event types, hooks and counters.

// Layout checks: the same numbers as include/events.h asserts in C.
const _: () = assert!(size_of::<rg_header>() == 16);
const _: () = assert!(size_of::<rg_task>() == 104);
const _: () = assert!(size_of::<rg_ctx>() == 48);
const _: () = assert!(offset_of!(rg_task, ctx) == 56);
const _: () = assert!(size_of::<rg_str>() == 8);
const _: () = assert!(size_of::<rg_exec>() == 224);
const _: () = assert!(size_of::<rg_fork>() == 128);
const _: () = assert!(size_of::<rg_exit>() == 136);
const _: () = assert!(size_of::<rg_ptrace>() == 144);
const _: () = assert!(size_of::<rg_signal>() == 144);
const _: () = assert!(offset_of!(rg_signal, target_pid) == 120);
const _: () = assert!(offset_of!(rg_signal, pidfd) == 136);
const _: () = assert!(size_of::<rg_ids>() == 32);
const _: () = assert!(size_of::<rg_cred>() == 280);
const _: () = assert!(offset_of!(rg_cred, old_ids) == 128);
const _: () = assert!(offset_of!(rg_cred, cap_effective) == 192);
const _: () = assert!(offset_of!(rg_cred, groups) == 216);
const _: () = assert!(size_of::<rg_memfd>() == 136);
const _: () = assert!(offset_of!(rg_memfd, name) == 128);
const _: () = assert!(size_of::<rg_inject>() == 144);
const _: () = assert!(offset_of!(rg_inject, target_pid) == 128);
const _: () = assert!(size_of::<rg_bpf>() == 168);
const _: () = assert!(offset_of!(rg_bpf, prog_name) == 152);
const _: () = assert!(size_of::<rg_file>() == 176);
const _: () = assert!(size_of::<rg_filemeta>() == 160);
const _: () = assert!(offset_of!(rg_filemeta, length) == 120);
const _: () = assert!(offset_of!(rg_filemeta, path) == 152);
const _: () = assert!(size_of::<rg_utimes>() == 176);
const _: () = assert!(offset_of!(rg_utimes, syscall) == 152);
const _: () = assert!(offset_of!(rg_utimes, path) == 168);
const _: () = assert!(size_of::<rg_xattr>() == 192);
const _: () = assert!(offset_of!(rg_xattr, value) == 148);
const _: () = assert!(offset_of!(rg_xattr, path) == 176);
const _: () = assert!(offset_of!(rg_xattr, name) == 184);
const _: () = assert!(size_of::<rg_net>() == 192);
const _: () = assert!(size_of::<rg_namespace>() == 152);
const _: () = assert!(offset_of!(rg_namespace, flags) == 120);
const _: () = assert!(offset_of!(rg_namespace, fd) == 148);
const _: () = assert!(size_of::<rg_mount>() == 160);
const _: () = assert!(offset_of!(rg_mount, source) == 136);
const _: () = assert!(offset_of!(rg_mount, fstype) == 152);
const _: () = assert!(offset_of!(rg_file, uring_op) == 156);
const _: () = assert!(offset_of!(rg_net, uring_op) == 150);
const _: () = assert!(size_of::<rg_io_uring>() == 136);
const _: () = assert!(size_of::<rg_cgroup>() == 144);
const _: () = assert!(offset_of!(rg_cgroup, path) == 136);
const _: () = assert!(offset_of!(rg_io_uring, fd) == 120);
const _: () = assert!(offset_of!(rg_header, size) == 4);
const _: () = assert!(offset_of!(rg_header, ktime_ns) == 8);
const _: () = assert!(offset_of!(rg_task, comm) == 24);
const _: () = assert!(offset_of!(rg_task, parent_comm) == 40);
const _: () = assert!(offset_of!(rg_exec, stdio_mode) == 136);
const _: () = assert!(offset_of!(rg_exec, filename) == 144);
const _: () = assert!(offset_of!(rg_exec, cwd) == 168);
const _: () = assert!(offset_of!(rg_exec, interp) == 176);
const _: () = assert!(offset_of!(rg_exec, old_uid) == 184);
const _: () = assert!(offset_of!(rg_exec, flags) == 204);
const _: () = assert!(offset_of!(rg_exec, caps_gained) == 208);
const _: () = assert!(offset_of!(rg_exec, response_ns) == 216);
const _: () = assert!(offset_of!(rg_file, path) == 160);
const _: () = assert!(offset_of!(rg_file, new_path) == 168);
const _: () = assert!(offset_of!(rg_net, local_addr) == 152);
const _: () = assert!(offset_of!(rg_net, unix_path) == 184);

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
unsafe impl Plain for rg_cgroup {}

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

/// One decoded record; `Cgroup` (`RG_KIND_CGROUP`, a cgroup made or
/// removed) updates the cgroup cache and is never a record.
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
    Cgroup { e: rg_cgroup, path: Text<'a> },
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
            RawEvent::Cgroup { e, .. } => &e.hdr,
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
    if kind == crate::catalog::CGROUP_KIND {
        let e: rg_cgroup = fixed(buf, kind)?;
        return Ok(RawEvent::Cgroup { path: text(buf, size_of::<rg_cgroup>(), &e.path, "cgroup_path")?, e });
    }
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
#[path = "abi_build.rs"]
pub mod build;

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
