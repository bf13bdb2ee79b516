//! Privileged end-to-end tests of the `io_uring` hook: a real ring made
//! with the raw syscalls (io_uring_setup, mmap, io_uring_enter), and the
//! exact fields of what the sensor reports for it: the ring's setup
//! (`process_io_uring`), and opens, writes and a connect submitted through
//! it as the same `file_open`, `file_write`, `network_connect`,
//! `file_rename`, `file_unlink` and `file_link` records the syscalls give,
//! with `syscall: "io_uring"`. Failed requests and unwatched or excluded
//! files stay in the kernel.

mod common;

use std::ffi::CString;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::ring::*;
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
        let (g, l) = (c(&d.join("g")), c(&d.join("l")));
        for _ in 0..50 {
            let fd = ring.openat(&f, libc::O_WRONLY | libc::O_CREAT, 0o600, 0);
            assert!(fd >= 0, "open: {}", std::io::Error::from_raw_os_error(-fd));
            assert_eq!(ring.write(fd, b"x", 0), 1);
            // SAFETY: the fd the ring opened.
            unsafe { libc::close(fd) };
            assert_eq!(ring.renameat(libc::AT_FDCWD, &f, libc::AT_FDCWD, &g, 0), 0, "rename");
            assert_eq!(ring.linkat(libc::AT_FDCWD, &g, libc::AT_FDCWD, &l, 0), 0, "link");
            assert_eq!(ring.unlinkat(libc::AT_FDCWD, &l, 0), 0, "unlink");
            assert_eq!(ring.unlinkat(libc::AT_FDCWD, &g, 0), 0, "unlink");
            calls += 6;
        }
    }
    let missing = c(&watched.path("missing"));
    assert_eq!(ring.openat(&missing, libc::O_RDONLY, 0, 0), -libc::ENOENT);
    // Failed renames, links and unlinks in a watched directory: not reported.
    let other = c(&watched.path("other"));
    assert_eq!(ring.renameat(libc::AT_FDCWD, &missing, libc::AT_FDCWD, &other, 0), -libc::ENOENT);
    assert_eq!(ring.linkat(libc::AT_FDCWD, &missing, libc::AT_FDCWD, &other, 0), -libc::ENOENT);
    assert_eq!(ring.unlinkat(libc::AT_FDCWD, &missing, 0), -libc::ENOENT);
    fs::write(watched.path("other"), b"x").expect("write");
    assert_eq!(ring.symlinkat(&missing, libc::AT_FDCWD, &other), -libc::EEXIST);
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
    let health = final_health(&records);
    assert!(n(&health, "kernel_filtered") >= calls, "{calls} requests counted as kernel_filtered: {health}");
    assert_eq!(n(&health, "kernel_stash_drops"), 0, "no request's record was lost: {health}");
    let _ = fs::remove_dir_all(&unwatched);
    let _ = fs::remove_dir_all(&excluded);
}

/// A directory's fd, closed on drop.
struct DirFd(i32);

impl DirFd {
    fn open(p: &Path) -> DirFd {
        // SAFETY: a NUL-terminated path; the fd is closed on drop.
        let fd = unsafe { libc::open(c(p).as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        assert!(fd >= 0, "open {}: {}", p.display(), std::io::Error::last_os_error());
        DirFd(fd)
    }
}

impl Drop for DirFd {
    fn drop(&mut self) {
        // SAFETY: our fd.
        unsafe { libc::close(self.0) };
    }
}

fn name(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

fn text(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// A directory outside the watched ones, removed on drop.
struct Unwatched(PathBuf);

impl Unwatched {
    fn new(tag: &str) -> Unwatched {
        let d = Path::new("/run").join(format!("rg-e2e-uring-{tag}-{}", std::process::id()));
        fs::create_dir_all(&d).expect("mkdir");
        Unwatched(d)
    }
}

impl Drop for Unwatched {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn renames_through_a_ring_are_file_renames_with_paths_resolved_against_the_dirfds() {
    let sensor = Sensor::start(CONFIG);
    let tid = gettid();
    let mut ring = Ring::new(8);
    // From an unwatched directory into a watched one, both names relative
    // to a dirfd: kept because the destination is watched.
    let outside = Unwatched::new("rename");
    fs::write(outside.0.join("payload"), b"x").expect("write");
    let dir = TempDir::new("uring-rename");
    let (from, into) = (DirFd::open(&outside.0), DirFd::open(&dir.0));
    assert_eq!(ring.renameat(from.0, &name("payload"), into.0, &name("job"), 0), 0, "IORING_OP_RENAMEAT");
    let (old, dest) = (outside.0.join("payload"), dir.path("job"));
    assert!(dest.exists() && !old.exists());
    let r = uring_rec(&sensor, "file_rename", &old, |_| true);
    assert_eq!(
        (s(&r, "new_path"), s(&r, "io_uring_op"), n(&r, "tid")),
        (text(&dest), "IORING_OP_RENAMEAT", tid),
        "{r}"
    );
    assert_eq!(
        (r["exchange"].as_bool(), r["path_truncated"].as_bool(), r["new_path_truncated"].as_bool()),
        (Some(false), Some(false), Some(false)),
        "{r}"
    );
    assert_eq!((r.get("result_unknown"), r.get("fd_unknown")), (None, None), "{r}");
    assert_eq!(r["exe"], fs::read_link("/proc/self/exe").expect("exe").to_str().expect("utf-8"), "{r}");

    // RENAME_EXCHANGE, with absolute names: each path now holds the other's file.
    let (a, b) = (dir.path("a"), dir.path("b"));
    fs::write(&a, b"a").expect("write");
    fs::write(&b, b"b").expect("write");
    assert_eq!(ring.renameat(libc::AT_FDCWD, &c(&a), libc::AT_FDCWD, &c(&b), libc::RENAME_EXCHANGE), 0);
    assert_eq!(fs::read(&a).expect("read"), b"b");
    let x = uring_rec(&sensor, "file_rename", &a, |_| true);
    assert_eq!((s(&x, "new_path"), x["exchange"].as_bool()), (text(&b), Some(true)), "{x}");
}

#[test]
fn unlinks_and_links_through_a_ring_are_file_unlinks_and_file_links() {
    let sensor = Sensor::start(CONFIG);
    let tid = gettid();
    let mut ring = Ring::new(8);
    let dir = TempDir::new("uring-links");
    let d = DirFd::open(&dir.0);
    let file = dir.path("file");
    fs::write(&file, b"x").expect("write");

    // A hard link: its path is the link made, its target the existing file.
    let hard = dir.path("hard");
    assert_eq!(ring.linkat(d.0, &name("file"), libc::AT_FDCWD, &c(&hard), libc::AT_SYMLINK_FOLLOW), 0, "LINKAT");
    let l = uring_rec(&sensor, "file_link", &hard, |_| true);
    assert_eq!((s(&l, "target"), s(&l, "io_uring_op"), n(&l, "tid")), (text(&file), "IORING_OP_LINKAT", tid), "{l}");
    assert_eq!((l["symlink"].as_bool(), l["follow_symlinks"].as_bool()), (Some(false), Some(true)), "{l}");
    assert_eq!((l["target_truncated"].as_bool(), l.get("result_unknown")), (Some(false), None), "{l}");

    // A symlink: its target is the content exactly as given, never resolved.
    let soft = dir.path("soft");
    assert_eq!(ring.symlinkat(&name("../elsewhere/file"), d.0, &name("soft")), 0, "SYMLINKAT");
    assert_eq!(fs::read_link(&soft).expect("readlink").to_str(), Some("../elsewhere/file"));
    let sl = uring_rec(&sensor, "file_link", &soft, |_| true);
    assert_eq!((s(&sl, "target"), s(&sl, "io_uring_op")), ("../elsewhere/file", "IORING_OP_SYMLINKAT"), "{sl}");
    assert_eq!((sl["symlink"].as_bool(), sl["follow_symlinks"].is_null()), (Some(true), true), "{sl}");

    // An unlink relative to a dirfd, and a directory removed with AT_REMOVEDIR.
    assert_eq!(ring.unlinkat(d.0, &name("hard"), 0), 0, "UNLINKAT");
    let u = uring_rec(&sensor, "file_unlink", &hard, |_| true);
    assert_eq!(
        (u["is_dir"].as_bool(), s(&u, "io_uring_op"), n(&u, "tid")),
        (Some(false), "IORING_OP_UNLINKAT", tid),
        "{u}"
    );
    let sub = dir.path("sub");
    fs::create_dir(&sub).expect("mkdir");
    assert_eq!(ring.unlinkat(libc::AT_FDCWD, &c(&sub), libc::AT_REMOVEDIR), 0, "UNLINKAT AT_REMOVEDIR");
    let rm = uring_rec(&sensor, "file_unlink", &sub, |_| true);
    assert_eq!((rm["is_dir"].as_bool(), rm.get("result_unknown")), (Some(true), None), "{rm}");
}

#[test]
fn a_request_that_posts_no_completion_on_success_is_reported_at_submission() {
    let sensor = Sensor::start(CONFIG);
    let mut ring = Ring::new(4);
    let dir = TempDir::new("uring-skip");
    let f = dir.path("gone");
    fs::write(&f, b"x").expect("write");
    ring.run_skip_success(Ring::unlinkat_sqe(libc::AT_FDCWD, &c(&f), 0));
    // It runs in an io_uring worker and tells no one: wait for its effect.
    let deadline = Instant::now() + Duration::from_secs(30);
    while f.exists() {
        assert!(Instant::now() < deadline, "the unlink never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(ring.reap(), None, "a success posts no completion");
    let r = uring_rec(&sensor, "file_unlink", &f, |_| true);
    assert_eq!((r["result_unknown"].as_bool(), s(&r, "io_uring_op")), (Some(true), "IORING_OP_UNLINKAT"), "{r}");
    assert_eq!((r["is_dir"].as_bool(), n(&r, "tid")), (Some(false), gettid()), "{r}");

    // The same request that waits for its completion is confirmed.
    let g = dir.path("kept");
    fs::write(&g, b"x").expect("write");
    assert_eq!(ring.unlinkat(libc::AT_FDCWD, &c(&g), 0), 0);
    let r = uring_rec(&sensor, "file_unlink", &g, |_| true);
    assert_eq!(r.get("result_unknown"), None, "{r}");
}
