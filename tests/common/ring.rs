//! A real io_uring ring made with the raw syscalls (io_uring_setup, mmap,
//! io_uring_enter, io_uring_register), for the tests of the `io_uring`
//! hook: it submits one request at a time and, unless the request asked
//! for no completion on success, waits for its result.

use std::ffi::CString;
use std::path::Path;

// include/uapi/linux/io_uring.h
pub const IORING_OP_CONNECT: u8 = 16;
pub const IORING_OP_OPENAT: u8 = 18;
pub const IORING_OP_WRITE: u8 = 23;
pub const IORING_OP_RENAMEAT: u8 = 35;
pub const IORING_OP_UNLINKAT: u8 = 36;
pub const IORING_OP_SYMLINKAT: u8 = 38;
pub const IORING_OP_LINKAT: u8 = 39;
pub const IOSQE_FIXED_FILE: u8 = 1;
pub const IOSQE_CQE_SKIP_SUCCESS: u8 = 1 << 6;
pub const IORING_ENTER_GETEVENTS: u32 = 1;
pub const IORING_REGISTER_FILES: u32 = 2;
pub const IORING_OFF_SQ_RING: i64 = 0;
pub const IORING_OFF_CQ_RING: i64 = 0x800_0000;
pub const IORING_OFF_SQES: i64 = 0x1000_0000;

#[repr(C)]
#[derive(Default)]
struct SqOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    flags: u32,
    dropped: u32,
    array: u32,
    resv1: u32,
    user_addr: u64,
}

#[repr(C)]
#[derive(Default)]
struct CqOffsets {
    head: u32,
    tail: u32,
    ring_mask: u32,
    ring_entries: u32,
    overflow: u32,
    cqes: u32,
    flags: u32,
    resv1: u32,
    user_addr: u64,
}

#[repr(C)]
#[derive(Default)]
struct Params {
    sq_entries: u32,
    cq_entries: u32,
    flags: u32,
    sq_thread_cpu: u32,
    sq_thread_idle: u32,
    features: u32,
    wq_fd: u32,
    resv: [u32; 3],
    sq_off: SqOffsets,
    cq_off: CqOffsets,
}

/// One submission queue entry, as the kernel reads it (64 bytes).
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub struct Sqe {
    pub opcode: u8,
    pub flags: u8,
    pub ioprio: u16,
    pub fd: i32,
    pub off: u64,
    pub addr: u64,
    pub len: u32,
    pub op_flags: u32,
    pub user_data: u64,
    pub buf_index: u16,
    pub personality: u16,
    pub file_index: u32,
    pub addr3: u64,
    pub pad: u64,
}

const _: () = assert!(std::mem::size_of::<Params>() == 120 && std::mem::size_of::<Sqe>() == 64);

/// A ring that submits one request at a time and waits for its result.
pub struct Ring {
    pub fd: i32,
    entries: u32,
    sq: *mut u8,
    sq_len: usize,
    cq: *mut u8,
    cq_len: usize,
    sqes: *mut Sqe,
    p: Params,
}

fn mmap(fd: i32, len: usize, off: i64) -> *mut u8 {
    // SAFETY: a fresh shared mapping of the ring fd; checked below.
    let m = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_POPULATE,
            fd,
            off,
        )
    };
    assert_ne!(m, libc::MAP_FAILED, "mmap ring: {}", std::io::Error::last_os_error());
    m.cast()
}

impl Ring {
    pub fn new(entries: u32) -> Ring {
        let mut p = Params::default();
        // SAFETY: io_uring_setup reads and fills `p`.
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, entries, &mut p as *mut Params) } as i32;
        assert!(fd >= 0, "io_uring_setup: {}", std::io::Error::last_os_error());
        let sq_len = (p.sq_off.array + p.sq_entries * 4) as usize;
        let cq_len = (p.cq_off.cqes + p.cq_entries * 16) as usize;
        let sq = mmap(fd, sq_len, IORING_OFF_SQ_RING);
        let cq = mmap(fd, cq_len, IORING_OFF_CQ_RING);
        let sqes = mmap(fd, p.sq_entries as usize * 64, IORING_OFF_SQES).cast();
        Ring { fd, entries: p.sq_entries, sq, sq_len, cq, cq_len, sqes, p }
    }

    fn u32_at(base: *mut u8, off: u32) -> &'static std::sync::atomic::AtomicU32 {
        // SAFETY: `off` is a kernel-given offset of an aligned u32 inside the mapping.
        unsafe { &*(base.add(off as usize).cast::<std::sync::atomic::AtomicU32>()) }
    }

    /// Puts `sqe` in the submission queue and enters the kernel: with
    /// `wait`, until one completion is posted.
    fn submit(&mut self, sqe: Sqe, wait: bool) {
        use std::sync::atomic::Ordering::{Acquire, Release};
        let tail = Self::u32_at(self.sq, self.p.sq_off.tail).load(Acquire);
        let idx = tail & (self.entries - 1);
        // SAFETY: idx < sq_entries: inside the SQE array and the index array.
        unsafe {
            *self.sqes.add(idx as usize) = sqe;
            *self.sq.add(self.p.sq_off.array as usize).cast::<u32>().add(idx as usize) = idx;
        }
        Self::u32_at(self.sq, self.p.sq_off.tail).store(tail.wrapping_add(1), Release);
        let (min, flags) = if wait { (1, IORING_ENTER_GETEVENTS) } else { (0, 0) };
        // SAFETY: the ring fd; no signal mask.
        let n = unsafe { libc::syscall(libc::SYS_io_uring_enter, self.fd, 1, min, flags, std::ptr::null::<u8>(), 0) };
        assert_eq!(n, 1, "io_uring_enter: {}", std::io::Error::last_os_error());
    }

    /// The next completion's result, if one is posted.
    pub fn reap(&mut self) -> Option<i32> {
        use std::sync::atomic::Ordering::{Acquire, Release};
        let head = Self::u32_at(self.cq, self.p.cq_off.head).load(Acquire);
        if head == Self::u32_at(self.cq, self.p.cq_off.tail).load(Acquire) {
            return None;
        }
        let at = self.p.cq_off.cqes as usize + 16 * (head & (self.p.cq_entries - 1)) as usize;
        // SAFETY: a completion entry inside the CQ mapping; res is at offset 8.
        let res = unsafe { *self.cq.add(at + 8).cast::<i32>() };
        Self::u32_at(self.cq, self.p.cq_off.head).store(head.wrapping_add(1), Release);
        Some(res)
    }

    /// Submits `sqe` and returns its completion's result.
    pub fn run(&mut self, sqe: Sqe) -> i32 {
        self.submit(sqe, true);
        self.reap().expect("a completion")
    }

    /// Submits `sqe` with IOSQE_CQE_SKIP_SUCCESS, without waiting: it
    /// posts a completion only if it fails.
    pub fn run_skip_success(&mut self, mut sqe: Sqe) {
        sqe.flags |= IOSQE_CQE_SKIP_SUCCESS;
        self.submit(sqe, false);
    }

    /// IORING_OP_RENAMEAT.
    pub fn renameat(&mut self, olddfd: i32, old: &CString, newdfd: i32, new: &CString, flags: u32) -> i32 {
        self.run(Self::renameat_sqe(olddfd, old, newdfd, new, flags))
    }

    pub fn renameat_sqe(olddfd: i32, old: &CString, newdfd: i32, new: &CString, flags: u32) -> Sqe {
        let (addr, off) = (old.as_ptr() as u64, new.as_ptr() as u64);
        Sqe { opcode: IORING_OP_RENAMEAT, fd: olddfd, addr, off, len: newdfd as u32, op_flags: flags, ..Sqe::default() }
    }

    /// IORING_OP_UNLINKAT (`flags`: AT_REMOVEDIR or 0).
    pub fn unlinkat(&mut self, dfd: i32, path: &CString, flags: i32) -> i32 {
        self.run(Self::unlinkat_sqe(dfd, path, flags))
    }

    pub fn unlinkat_sqe(dfd: i32, path: &CString, flags: i32) -> Sqe {
        Sqe {
            opcode: IORING_OP_UNLINKAT,
            fd: dfd,
            addr: path.as_ptr() as u64,
            op_flags: flags as u32,
            ..Sqe::default()
        }
    }

    /// IORING_OP_LINKAT (`flags`: AT_SYMLINK_FOLLOW or 0).
    pub fn linkat(&mut self, olddfd: i32, old: &CString, newdfd: i32, new: &CString, flags: i32) -> i32 {
        let (addr, off) = (old.as_ptr() as u64, new.as_ptr() as u64);
        let (len, op_flags) = (newdfd as u32, flags as u32);
        self.run(Sqe { opcode: IORING_OP_LINKAT, fd: olddfd, addr, off, len, op_flags, ..Sqe::default() })
    }

    /// IORING_OP_SYMLINKAT: a link at (`newdfd`, `link`) whose content is `target`.
    pub fn symlinkat(&mut self, target: &CString, newdfd: i32, link: &CString) -> i32 {
        let (addr, off) = (target.as_ptr() as u64, link.as_ptr() as u64);
        self.run(Sqe { opcode: IORING_OP_SYMLINKAT, fd: newdfd, addr, off, ..Sqe::default() })
    }

    pub fn openat(&mut self, path: &CString, flags: i32, mode: u32, file_index: u32) -> i32 {
        let sqe = Sqe {
            opcode: IORING_OP_OPENAT,
            fd: libc::AT_FDCWD,
            addr: path.as_ptr() as u64,
            len: mode,
            op_flags: flags as u32,
            file_index,
            ..Sqe::default()
        };
        self.run(sqe)
    }

    pub fn write(&mut self, fd: i32, buf: &[u8], flags: u8) -> i32 {
        let sqe = Sqe {
            opcode: IORING_OP_WRITE,
            flags,
            fd,
            addr: buf.as_ptr() as u64,
            len: buf.len() as u32,
            off: u64::MAX, // the file position
            ..Sqe::default()
        };
        self.run(sqe)
    }

    /// Registers a table of `slots` files, `fds` first and the rest empty.
    pub fn register_files(&mut self, fds: &[i32], slots: usize) {
        let mut table = vec![-1i32; slots];
        table[..fds.len()].copy_from_slice(fds);
        // SAFETY: an array of `slots` fds (-1: empty).
        let r = unsafe {
            libc::syscall(libc::SYS_io_uring_register, self.fd, IORING_REGISTER_FILES, table.as_ptr(), slots as u32)
        };
        assert_eq!(r, 0, "register files: {}", std::io::Error::last_os_error());
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: the mappings and fd this ring made.
        unsafe {
            libc::munmap(self.sqes.cast(), self.entries as usize * 64);
            libc::munmap(self.cq.cast(), self.cq_len);
            libc::munmap(self.sq.cast(), self.sq_len);
            libc::close(self.fd);
        }
    }
}

pub fn c(p: &Path) -> CString {
    CString::new(p.to_str().expect("utf-8")).expect("no NUL")
}
