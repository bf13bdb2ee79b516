//! Privileged end-to-end tests of the `io_uring` hook: a real ring made
//! with the raw syscalls (io_uring_setup, mmap, io_uring_enter), and the
//! exact fields of what the sensor reports for it: the ring's setup
//! (`process_io_uring`), and opens, writes and a connect submitted through
//! it as the same `file_open`, `file_write` and `network_connect` records
//! the syscalls give, with `syscall: "io_uring"`. Failed requests and
//! unwatched or excluded files stay in the kernel.

mod common;

use std::ffi::CString;
use std::fs;
use std::net::TcpListener;
use std::path::Path;

use common::*;
use serde_json::Value;

/// Only the io_uring hook on [file], and [network] on for its connects;
/// the lifecycle hooks give the records their exe.
const CONFIG: &str = r#"
[agent]
id = "e2e-host"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "fork", "exit"]

[file]
hooks = ["io_uring"]
watch_paths = ["/tmp", "/var/tmp"]
exclude_paths = ["/tmp/rg-e2e-excluded"]

[events]
network = true

[network]
enabled = true
hooks = ["listen"]
"#;

/// The same with network records off: a ring's connects are not reported.
fn config_network_off() -> String {
    CONFIG.replace("network = true", "network = false")
}

// include/uapi/linux/io_uring.h
const IORING_OP_CONNECT: u8 = 16;
const IORING_OP_OPENAT: u8 = 18;
const IORING_OP_WRITE: u8 = 23;
const IOSQE_FIXED_FILE: u8 = 1;
const IORING_ENTER_GETEVENTS: u32 = 1;
const IORING_REGISTER_FILES: u32 = 2;
const IORING_OFF_SQ_RING: i64 = 0;
const IORING_OFF_CQ_RING: i64 = 0x800_0000;
const IORING_OFF_SQES: i64 = 0x1000_0000;

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
struct Sqe {
    opcode: u8,
    flags: u8,
    ioprio: u16,
    fd: i32,
    off: u64,
    addr: u64,
    len: u32,
    op_flags: u32,
    user_data: u64,
    buf_index: u16,
    personality: u16,
    file_index: u32,
    addr3: u64,
    pad: u64,
}

const _: () = assert!(std::mem::size_of::<Params>() == 120 && std::mem::size_of::<Sqe>() == 64);

/// A ring that submits one request at a time and waits for its result.
struct Ring {
    fd: i32,
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
    fn new(entries: u32) -> Ring {
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

    /// Submits `sqe` and returns its completion's result.
    fn run(&mut self, sqe: Sqe) -> i32 {
        use std::sync::atomic::Ordering::{Acquire, Release};
        let tail = Self::u32_at(self.sq, self.p.sq_off.tail).load(Acquire);
        let idx = tail & (self.entries - 1);
        // SAFETY: idx < sq_entries: inside the SQE array and the index array.
        unsafe {
            *self.sqes.add(idx as usize) = sqe;
            *self.sq.add(self.p.sq_off.array as usize).cast::<u32>().add(idx as usize) = idx;
        }
        Self::u32_at(self.sq, self.p.sq_off.tail).store(tail.wrapping_add(1), Release);
        // SAFETY: the ring fd; no signal mask.
        let n = unsafe {
            libc::syscall(libc::SYS_io_uring_enter, self.fd, 1, 1, IORING_ENTER_GETEVENTS, std::ptr::null::<u8>(), 0)
        };
        assert_eq!(n, 1, "io_uring_enter: {}", std::io::Error::last_os_error());
        let head = Self::u32_at(self.cq, self.p.cq_off.head).load(Acquire);
        assert_ne!(head, Self::u32_at(self.cq, self.p.cq_off.tail).load(Acquire), "a completion");
        let at = self.p.cq_off.cqes as usize + 16 * (head & (self.p.cq_entries - 1)) as usize;
        // SAFETY: a completion entry inside the CQ mapping; res is at offset 8.
        let res = unsafe { *self.cq.add(at + 8).cast::<i32>() };
        Self::u32_at(self.cq, self.p.cq_off.head).store(head.wrapping_add(1), Release);
        res
    }

    fn openat(&mut self, path: &CString, flags: i32, mode: u32, file_index: u32) -> i32 {
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

    fn write(&mut self, fd: i32, buf: &[u8], flags: u8) -> i32 {
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
    fn register_files(&mut self, fds: &[i32], slots: usize) {
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

fn c(p: &Path) -> CString {
    CString::new(p.to_str().expect("utf-8")).expect("no NUL")
}

/// This thread's record of type `et`, made through a ring, on `path`.
fn uring_rec(sensor: &Sensor, et: &str, path: &Path, extra: impl Fn(&Value) -> bool) -> Value {
    let (me, p) = (my_pid(), path.to_str().expect("utf-8").to_string());
    sensor.wait_for(&format!("{et} io_uring {p}"), |v| {
        is(v, et) && v["pid"] == me && v["syscall"] == "io_uring" && v["path"] == p.as_str() && extra(v)
    })
}

#[test]
fn a_ring_and_the_files_it_opens_and_writes_are_reported_like_the_syscalls() {
    let sensor = Sensor::start(CONFIG);
    let (me, tid) = (my_pid(), gettid());
    let mut ring = Ring::new(8);
    let setup = sensor.wait_for("process_io_uring", |v| is(v, "process_io_uring") && v["pid"] == me);
    assert_eq!((n(&setup, "fd"), n(&setup, "tid")), (i64::from(ring.fd), tid), "{setup}");
    assert_eq!((n(&setup, "sq_entries"), n(&setup, "cq_entries")), (8, 16), "{setup}");
    assert_eq!(setup["flags"], serde_json::json!([]), "{setup}");
    assert_eq!(setup["exe"], fs::read_link("/proc/self/exe").expect("exe").to_str().expect("utf-8"), "{setup}");

    let dir = TempDir::new("uring");
    let f = dir.path("written");
    let fd = ring.openat(&c(&f), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o640, 0);
    assert!(fd >= 0, "IORING_OP_OPENAT: {}", std::io::Error::from_raw_os_error(-fd));
    let open = uring_rec(&sensor, "file_open", &f, |_| true);
    assert_eq!(
        (open["io_uring_op"].as_str(), n(&open, "fd"), n(&open, "tid")),
        (Some("IORING_OP_OPENAT"), i64::from(fd), tid)
    );
    // the flags the kernel opened with: io_openat_prep adds O_LARGEFILE on 64-bit
    assert_eq!(open["flags"], serde_json::json!(["O_WRONLY", "O_CREAT", "O_TRUNC", "O_LARGEFILE"]), "{open}");
    assert_eq!((s(&open, "access"), n(&open, "mode")), ("write", 0o640), "{open}");
    assert_eq!((open["path_truncated"].as_bool(), open["path_detached"].as_bool()), (Some(false), Some(false)));
    assert_eq!(open.get("fd_unknown"), None, "{open}");

    assert_eq!(ring.write(fd, b"hello ring\n", 0), 11);
    let w = uring_rec(&sensor, "file_write", &f, |_| true);
    assert_eq!((w["io_uring_op"].as_str(), n(&w, "fd"), n(&w, "bytes")), (Some("IORING_OP_WRITE"), i64::from(fd), 11));
    assert_eq!(fs::read(&f).expect("read"), b"hello ring\n");

    // A registered file has no fd: the record says null, with the real path.
    ring.register_files(&[fd], 4);
    assert_eq!(ring.write(0, b"fixed\n", IOSQE_FIXED_FILE), 6);
    let w = uring_rec(&sensor, "file_write", &f, |v| v["bytes"] == 6);
    assert_eq!((w["fd"].is_null(), w["io_uring_op"].as_str()), (true, Some("IORING_OP_WRITE")), "{w}");
    assert_eq!(w["fd_unknown"], "registered_file", "{w}");
    // An open into slot 2 of the table: the path comes from the table.
    let g = dir.path("into-slot");
    assert_eq!(ring.openat(&c(&g), libc::O_RDWR | libc::O_CREAT, 0o600, 3), 0, "open into a registered slot");
    let o = uring_rec(&sensor, "file_open", &g, |_| true);
    assert_eq!((o["fd"].is_null(), s(&o, "access"), n(&o, "mode")), (true, "read_write", 0o600), "{o}");
    assert_eq!(o["fd_unknown"], "registered_file", "{o}");
    // SAFETY: the fd the ring opened.
    unsafe { libc::close(fd) };
}

/// Connects a new TCP socket to `listener` through `ring`: (the socket, its local port).
fn ring_connect(ring: &mut Ring, listener: &TcpListener) -> (i32, u16) {
    let port = listener.local_addr().expect("addr").port();
    // SAFETY: a plain socket, closed by the caller.
    let sock = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(sock >= 0);
    let sa = libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
        sin_zero: [0; 8],
    };
    let sqe = Sqe {
        opcode: IORING_OP_CONNECT,
        fd: sock,
        addr: &sa as *const libc::sockaddr_in as u64,
        off: std::mem::size_of::<libc::sockaddr_in>() as u64,
        ..Sqe::default()
    };
    assert_eq!(ring.run(sqe), 0, "IORING_OP_CONNECT");
    let (_, peer) = listener.accept().expect("accept");
    (sock, peer.port())
}

#[test]
fn a_connect_through_a_ring_is_a_network_connect() {
    let sensor = Sensor::start(CONFIG);
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let mut ring = Ring::new(4);
    let (sock, local_port) = ring_connect(&mut ring, &listener);
    let me = my_pid();
    let r = sensor.wait_for("network_connect io_uring", |v| {
        is(v, "network_connect") && v["pid"] == me && v["syscall"] == "io_uring"
    });
    assert_eq!((s(&r, "io_uring_op"), n(&r, "fd"), n(&r, "result")), ("IORING_OP_CONNECT", i64::from(sock), 0), "{r}");
    assert_eq!((s(&r, "family"), s(&r, "protocol"), s(&r, "direction")), ("ipv4", "tcp", "outbound"), "{r}");
    assert_eq!((s(&r, "remote_addr"), n(&r, "remote_port")), ("127.0.0.1", i64::from(port)), "{r}");
    assert_eq!((s(&r, "local_addr"), n(&r, "local_port")), ("127.0.0.1", i64::from(local_port)), "{r}");
    assert_eq!(n(&r, "tid"), gettid(), "{r}");
    // SAFETY: our socket.
    unsafe { libc::close(sock) };
}

#[test]
fn failed_requests_unwatched_or_excluded_files_and_connects_with_network_off_stay_in_the_kernel() {
    let sensor = Sensor::start(&config_network_off());
    let mut ring = Ring::new(8);
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let (sock, _) = ring_connect(&mut ring, &listener);
    // SAFETY: our socket.
    unsafe { libc::close(sock) };
    let unwatched = Path::new("/run").join(format!("rg-e2e-uring-{}", std::process::id()));
    let excluded = Path::new("/tmp/rg-e2e-excluded").join(format!("uring-{}", std::process::id()));
    let watched = TempDir::new("uring-filtered");
    let mut calls = 0;
    for d in [&unwatched, &excluded] {
        fs::create_dir_all(d).expect("mkdir");
        let f = c(&d.join("f"));
        for _ in 0..50 {
            let fd = ring.openat(&f, libc::O_WRONLY | libc::O_CREAT, 0o600, 0);
            assert!(fd >= 0, "open: {}", std::io::Error::from_raw_os_error(-fd));
            assert_eq!(ring.write(fd, b"x", 0), 1);
            // SAFETY: the fd the ring opened.
            unsafe { libc::close(fd) };
            calls += 2;
        }
    }
    let missing = c(&watched.path("missing"));
    assert_eq!(ring.openat(&missing, libc::O_RDONLY, 0, 0), -libc::ENOENT);
    // The marker comes last: by then the kernel has decided them all.
    let marker = watched.path("marker");
    let fd = ring.openat(&c(&marker), libc::O_WRONLY | libc::O_CREAT, 0o600, 0);
    assert!(fd >= 0);
    uring_rec(&sensor, "file_open", &marker, |_| true);
    // SAFETY: the fd the ring opened.
    unsafe { libc::close(fd) };
    let me = my_pid();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records.iter().filter(|v| v["syscall"] == "io_uring" && v["pid"] == me).collect();
    assert_eq!(mine.len(), 1, "only the marker is reported: {mine:?}");
    assert!(n(&final_health(&records), "kernel_filtered") >= calls, "{calls} requests counted as kernel_filtered");
    let _ = fs::remove_dir_all(&unwatched);
    let _ = fs::remove_dir_all(&excluded);
}
