//! Privileged end-to-end tests: the real sensor, the real kernel, real
//! syscalls made by this test process; every test asserts the fields of
//! the record its own activity produced. Run as root (`make test`).

mod common;

use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// The process's name (its main thread's comm).
fn my_comm() -> String {
    fs::read_to_string("/proc/self/comm").expect("comm").trim().to_string()
}

/// This thread's comm: what a child forked from it starts with.
fn thread_comm() -> String {
    fs::read_to_string("/proc/thread-self/comm").expect("comm").trim().to_string()
}

fn realpath(p: &str) -> String {
    fs::canonicalize(p).expect("canonicalize").to_string_lossy().into_owned()
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

#[test]
fn exec_with_several_args() {
    let sensor = Sensor::start(E2E_CONFIG);
    let child = Command::new("/bin/echo").args(["alpha", "beta gamma", "--delta"]).output().expect("echo");
    assert!(child.status.success());
    let cwd = std::env::current_dir().expect("cwd");
    let r = sensor.wait_for("exec of /bin/echo", |v| {
        is(v, "process_exec") && v["filename"] == "/bin/echo" && v["args"][1] == "alpha"
    });
    assert_eq!(r["args"], json!(["/bin/echo", "alpha", "beta gamma", "--delta"]));
    assert_eq!(r["args_truncated"], false);
    assert_eq!(s(&r, "exe"), realpath("/bin/echo"));
    assert_eq!(s(&r, "cmdline"), "/bin/echo alpha beta gamma --delta");
    assert_eq!(n(&r, "ppid"), my_pid());
    assert_eq!(s(&r, "parent_comm"), my_comm());
    assert_eq!(s(&r, "parent_exe"), realpath("/proc/self/exe"));
    assert_eq!(s(&r, "cwd"), cwd.to_str().expect("utf-8 cwd"));
    assert_eq!(s(&r, "comm"), "echo");
    assert_eq!(n(&r, "pid"), n(&r, "tid"));
    assert_eq!(n(&r, "uid"), 0);
    assert_eq!(s(&r, "host"), "e2e-host");
    assert_eq!(s(&r, "syscall"), "execve");
    let ts = s(&r, "timestamp");
    assert!(ts.len() == 30 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T', "RFC 3339 with ns: {ts}");
}

#[test]
fn execveat_with_a_dirfd() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = cstr("/usr/bin");
    let name = cstr("true");
    let arg1 = cstr("--execveat-marker");
    let argv = [name.as_ptr(), arg1.as_ptr(), std::ptr::null()];
    let envp = [std::ptr::null::<libc::c_char>()];
    // SAFETY: everything the child touches is prepared before fork; the
    // child only makes async-signal-safe syscalls.
    let pid = unsafe {
        let dirfd = libc::open(dir.as_ptr(), libc::O_PATH | libc::O_DIRECTORY);
        assert!(dirfd >= 0);
        let pid = libc::fork();
        if pid == 0 {
            libc::syscall(libc::SYS_execveat, dirfd, name.as_ptr(), argv.as_ptr(), envp.as_ptr(), 0);
            libc::_exit(127);
        }
        libc::close(dirfd);
        let mut st = 0;
        libc::waitpid(pid, &mut st, 0);
        assert_eq!(libc::WEXITSTATUS(st), 0, "execveat failed in the child");
        pid
    };
    let r = sensor.wait_for("execveat", |v| is(v, "process_exec") && n(v, "pid") == pid as i64);
    assert_eq!(s(&r, "syscall"), "execveat");
    assert_eq!(s(&r, "filename"), "true");
    assert_eq!(s(&r, "exe"), realpath("/usr/bin/true"));
    assert_eq!(r["args"], json!(["true", "--execveat-marker"]));
    assert_eq!(n(&r, "ppid"), my_pid());
}

#[test]
fn exec_through_a_symlink() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("symlink");
    let link = dir.path("my-true");
    symlink("/usr/bin/true", &link).expect("symlink");
    let st = Command::new(&link).arg("via-link").status().expect("run link");
    assert!(st.success());
    let link = link.to_str().expect("utf-8");
    let r = sensor.wait_for("exec via symlink", |v| is(v, "process_exec") && v["filename"] == link);
    assert_eq!(s(&r, "exe"), realpath("/usr/bin/true"), "exe is the resolved image");
    assert_eq!(r["args"], json!([link, "via-link"]));
}

#[test]
fn fork_without_exec_and_its_exit() {
    let sensor = Sensor::start(E2E_CONFIG);
    // SAFETY: the child only calls _exit.
    let pid = unsafe {
        let pid = libc::fork();
        if pid == 0 {
            libc::_exit(3);
        }
        let mut st = 0;
        libc::waitpid(pid, &mut st, 0);
        pid as i64
    };
    let f = sensor.wait_for("fork", |v| is(v, "process_fork") && n(v, "pid") == pid);
    assert_eq!(n(&f, "tid"), pid);
    assert_eq!(n(&f, "ppid"), my_pid());
    assert_eq!(s(&f, "comm"), thread_comm(), "the child starts with its forking thread's comm");
    assert_eq!(s(&f, "parent_comm"), my_comm());
    assert_eq!(s(&f, "exe"), realpath("/proc/self/exe"), "a forked child runs its parent's image");
    let x = sensor.wait_for("exit of the forked child", |v| is(v, "process_exit") && n(v, "pid") == pid);
    assert_eq!(n(&x, "exit_code"), 3);
    assert_eq!(x["signal"], Value::Null);
    assert!(n(&x, "lifetime_ns") > 0);
    assert_eq!(s(&x, "exe"), realpath("/proc/self/exe"));
}

#[test]
fn exit_code_and_kill_by_signal() {
    let sensor = Sensor::start(E2E_CONFIG);
    let st = Command::new("/bin/sh").args(["-c", "exit 7"]).status().expect("sh");
    assert_eq!(st.code(), Some(7));
    let mut sleeper = Command::new("/bin/sleep").arg("60").spawn().expect("sleep");
    let pid = sleeper.id() as i64;
    sensor.wait_for("exec of sleep", |v| is(v, "process_exec") && n(v, "pid") == pid);
    sleeper.kill().expect("kill");
    let _ = sleeper.wait();
    let x = sensor.wait_for("exit 7", |v| is(v, "process_exit") && v["exit_code"] == 7 && v["comm"] == "sh");
    assert_eq!(x["signal"], Value::Null);
    assert_eq!(s(&x, "cmdline"), "/bin/sh -c exit 7");
    let k = sensor.wait_for("killed sleep", |v| is(v, "process_exit") && n(v, "pid") == pid);
    assert_eq!(n(&k, "signal"), 9);
    assert_eq!(n(&k, "exit_code"), 137);
    assert_eq!(s(&k, "exe"), realpath("/bin/sleep"));
}

#[test]
fn openat_with_dirfd_and_relative_path_then_write() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("openat");
    let d = cstr(dir.str());
    let rel = cstr("sub/../rel.txt");
    fs::create_dir(dir.path("sub")).expect("mkdir");
    // SAFETY: plain syscalls on valid C strings.
    let (fd, tid) = unsafe {
        let dirfd = libc::open(d.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        let fd = libc::openat(dirfd, rel.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o640);
        assert!(fd >= 0, "openat failed");
        assert_eq!(libc::write(fd, b"hello".as_ptr().cast(), 5), 5);
        libc::close(fd);
        libc::close(dirfd);
        (fd, gettid())
    };
    let want = format!("{}/rel.txt", dir.str());
    let o = sensor.wait_for("openat", |v| is(v, "file_open") && v["path"] == want.as_str());
    assert_eq!(o["flags"], json!(["O_WRONLY", "O_CREAT", "O_TRUNC"]));
    assert_eq!(s(&o, "access"), "write");
    assert_eq!(s(&o, "syscall"), "openat");
    assert_eq!(n(&o, "fd"), fd as i64);
    assert_eq!(n(&o, "pid"), my_pid());
    assert_eq!(n(&o, "tid"), tid);
    assert_eq!(o["path_truncated"], false);
    assert_eq!(s(&o, "exe"), realpath("/proc/self/exe"));
    let w = sensor.wait_for("write", |v| is(v, "file_write") && v["path"] == want.as_str());
    assert_eq!(n(&w, "bytes"), 5);
    assert_eq!(n(&w, "fd"), fd as i64);
    assert_eq!(s(&w, "syscall"), "write");
}

#[test]
fn rename_and_unlink_relative_and_absolute() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("rename");
    fs::write(dir.path("a"), b"x").expect("write");
    fs::rename(dir.path("a"), dir.path("b")).expect("rename");
    let (a, b) = (format!("{}/a", dir.str()), format!("{}/b", dir.str()));
    let r = sensor.wait_for("rename", |v| is(v, "file_rename") && v["path"] == a.as_str());
    assert_eq!(s(&r, "new_path"), b);
    assert_eq!(r["new_path_truncated"], false);
    // renameat with a dirfd and relative names
    let d = cstr(dir.str());
    let (from, to) = (cstr("b"), cstr("c"));
    // SAFETY: plain syscalls.
    unsafe {
        let dirfd = libc::open(d.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        assert_eq!(libc::renameat(dirfd, from.as_ptr(), dirfd, to.as_ptr()), 0);
        libc::close(dirfd);
    }
    let c = format!("{}/c", dir.str());
    let r = sensor.wait_for("renameat", |v| is(v, "file_rename") && v["new_path"] == c.as_str());
    assert_eq!(s(&r, "path"), b);
    fs::remove_file(dir.path("c")).expect("unlink");
    let u = sensor.wait_for("unlink", |v| is(v, "file_unlink") && v["path"] == c.as_str());
    assert_eq!(u["is_dir"], false);
    fs::create_dir(dir.path("dd")).expect("mkdir");
    fs::remove_dir(dir.path("dd")).expect("rmdir");
    let dd = format!("{}/dd", dir.str());
    let u = sensor.wait_for("rmdir", |v| is(v, "file_unlink") && v["path"] == dd.as_str());
    assert_eq!(u["is_dir"], true);
}

#[test]
fn long_path_and_hostile_filename() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("long");
    let mut p = dir.0.clone();
    for i in 0..12 {
        p.push(format!("component-number-{i:02}-with-some-length"));
    }
    fs::create_dir_all(&p).expect("mkdirs");
    let long = p.join("file.txt");
    fs::write(&long, b"x").expect("write long");
    let long = long.to_str().expect("utf-8").to_string();
    assert!(long.len() > 300);
    let r = sensor.wait_for("long path", |v| is(v, "file_open") && v["path"] == long.as_str());
    assert_eq!(r["path_truncated"], false);

    let evil = dir.path("new\nline \"quoted\" \\ tab\t");
    fs::write(&evil, b"x").expect("write evil");
    let evil = evil.to_str().expect("utf-8").to_string();
    sensor.wait_for("newline filename", |v| is(v, "file_open") && v["path"] == evil.as_str());

    // invalid UTF-8 still gives one valid JSON line, with U+FFFD in its place
    let bad = dir.0.join(std::ffi::OsStr::from_bytes(b"bad-\xff\xfe-name"));
    fs::write(&bad, b"x").expect("write invalid utf-8");
    let want = format!("{}/bad-\u{fffd}\u{fffd}-name", dir.str());
    sensor.wait_for("invalid utf-8 filename", |v| is(v, "file_open") && v["path"] == want.as_str());
    assert!(sensor.bad_lines().is_empty(), "non-JSON output: {:?}", sensor.bad_lines());
}

#[test]
fn a_thread_writing_a_file() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("thread");
    let path = dir.path("from-thread");
    let p2 = path.clone();
    let tid = std::thread::spawn(move || {
        let mut f = fs::File::create(&p2).expect("create");
        f.write_all(b"0123456789").expect("write");
        gettid()
    })
    .join()
    .expect("thread");
    assert_ne!(tid, my_pid());
    let path = path.to_str().expect("utf-8").to_string();
    let w = sensor.wait_for("thread write", |v| is(v, "file_write") && v["path"] == path.as_str());
    assert_eq!(n(&w, "tid"), tid);
    assert_eq!(n(&w, "pid"), my_pid());
    assert_eq!(n(&w, "bytes"), 10);
}

#[test]
fn a_process_running_as_another_uid() {
    let sensor = Sensor::start(E2E_CONFIG);
    let st = Command::new("/usr/bin/true").arg("as-nobody").uid(65534).gid(65534).status().expect("true as nobody");
    assert!(st.success());
    let r = sensor.wait_for("exec as nobody", |v| is(v, "process_exec") && v["args"][1] == "as-nobody");
    assert_eq!(n(&r, "uid"), 65534);
    assert_eq!(n(&r, "euid"), 65534);
    assert_eq!(n(&r, "gid"), 65534);
}

#[test]
fn watch_and_exclude_paths_decide_what_is_reported() {
    let sensor = Sensor::start(E2E_CONFIG);
    let excluded = format!("/tmp/rg-e2e-excluded/{}", std::process::id());
    fs::create_dir_all(&excluded).expect("mkdir");
    fs::write(format!("{excluded}/x"), b"x").expect("write excluded");
    let watched = TempDir::new("watched");
    fs::write(watched.path("x"), b"x").expect("write watched");
    let _ = fs::write("/var/lib/rg-e2e-unwatched", b"x");
    let w = format!("{}/x", watched.str());
    sensor.wait_for("watched file", |v| is(v, "file_open") && v["path"] == w.as_str());
    let _ = fs::remove_dir_all("/tmp/rg-e2e-excluded");
    let _ = fs::remove_file("/var/lib/rg-e2e-unwatched");
    let leaked = sensor
        .all(|v| v["path"].as_str().is_some_and(|p| p.starts_with(&excluded) || p == "/var/lib/rg-e2e-unwatched"));
    assert!(leaked.is_empty(), "excluded or unwatched paths reported: {leaked:?}");
    let own = sensor.pid() as i64;
    assert!(sensor.all(|v| v["pid"].as_i64() == Some(own)).is_empty(), "the sensor reported itself");
}

fn network_roundtrip(sensor: &Sensor, bind: &str, family: &str, loopback: &str) {
    let listener = std::net::TcpListener::bind(bind).expect("bind");
    let port = listener.local_addr().expect("addr").port() as i64;
    let client = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let client_port = client.local_addr().expect("client addr").port() as i64;
    let (_conn, _) = listener.accept().expect("accept");
    let me = my_pid();
    let b = sensor.wait_for("bind", |v| is(v, "network_bind") && n(v, "pid") == me && v["local_port"] == port);
    assert_eq!(s(&b, "family"), family);
    assert_eq!(s(&b, "protocol"), "tcp");
    assert_eq!(s(&b, "direction"), "listen");
    assert_eq!(s(&b, "local_addr"), loopback);
    let l = sensor.wait_for("listen", |v| is(v, "network_listen") && n(v, "pid") == me && v["local_port"] == port);
    assert_eq!(s(&l, "local_addr"), loopback);
    assert!(n(&l, "backlog") > 0);
    let c = sensor.wait_for("connect", |v| is(v, "network_connect") && n(v, "pid") == me && v["remote_port"] == port);
    assert_eq!(s(&c, "direction"), "outbound");
    assert_eq!(s(&c, "remote_addr"), loopback);
    assert_eq!(s(&c, "family"), family);
    assert_eq!(n(&c, "local_port"), client_port);
    let a = sensor.wait_for("accept", |v| is(v, "network_accept") && n(v, "pid") == me && v["local_port"] == port);
    assert_eq!(s(&a, "direction"), "inbound");
    assert_eq!(s(&a, "local_addr"), loopback);
    assert_eq!(s(&a, "remote_addr"), loopback);
    assert_eq!(n(&a, "remote_port"), client_port);
}

#[test]
fn network_ipv4_bind_listen_connect_accept() {
    let sensor = Sensor::start(E2E_CONFIG);
    network_roundtrip(&sensor, "127.0.0.1:0", "ipv4", "127.0.0.1");
}

#[test]
fn network_ipv6_bind_listen_connect_accept() {
    let sensor = Sensor::start(E2E_CONFIG);
    network_roundtrip(&sensor, "[::1]:0", "ipv6", "::1");
}

#[test]
fn network_is_off_unless_both_flags_are_on() {
    let half = "[events]\nnetwork = true\n[network]\nenabled = false\n";
    let sensor = Sensor::start(half);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let _c = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    // a process event after the network activity proves the pipeline moved past it
    let st = Command::new("/usr/bin/true").arg("net-off-marker").status().expect("true");
    assert!(st.success());
    sensor.wait_for("marker exec", |v| is(v, "process_exec") && v["args"][1] == "net-off-marker");
    let net = sensor.all(|v| v["event_type"].as_str().is_some_and(|t| t.starts_with("network_")));
    assert!(net.is_empty(), "network records with network disabled: {net:?}");
}

#[test]
fn sigterm_drains_and_writes_a_final_health_record() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("drain");
    for i in 0..200 {
        fs::write(dir.path(&format!("f{i}")), b"x").expect("write");
    }
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "exit status; stderr:\n{stderr}");
    let opens = records.iter().filter(|v| is(v, "file_open") && s(v, "path").starts_with(dir.str())).count();
    assert_eq!(opens, 200, "every open made before the signal is reported");
    let last = records.last().expect("records");
    assert!(is(last, "health"), "the last record is health: {last}");
    assert_eq!(last["final"], true);
    assert_eq!(n(last, "in_flight"), 0);
    let received = n(last, "events_received");
    let accounted =
        ["events_emitted", "filtered", "userspace_drops", "invalid_events"].iter().map(|k| n(last, k)).sum::<i64>();
    assert_eq!(received, accounted, "accounting adds up: {last}");
    let telemetry = records.iter().filter(|v| !is(v, "health") && !is(v, "alert")).count() as i64;
    assert_eq!(n(last, "events_emitted"), telemetry, "emitted counts what was written");
    assert_eq!(n(last, "kernel_drops"), 0);
    // The one (stdout) output delivered every line before the final health record.
    let out = &last["outputs"][0];
    assert_eq!((s(out, "name"), s(out, "type")), ("stdout", "stdout"), "{last}");
    assert_eq!(n(out, "sent"), records.len() as i64 - 1, "stdout sent every earlier line: {last}");
    assert_eq!((n(out, "failed"), n(out, "dropped"), n(out, "queued")), (0, 0, 0), "{last}");
    for key in ["uptime_secs", "alerts_emitted", "process_table_size", "rss_kb"] {
        assert!(last[key].is_u64(), "{key} in {last}");
    }
}

#[test]
fn sigint_also_stops_cleanly() {
    let sensor = Sensor::start(E2E_CONFIG);
    let (status, records, _) = sensor.stop_with(libc::SIGINT);
    assert_eq!(status.code(), Some(0));
    assert!(records.last().is_some_and(|v| is(v, "health") && v["final"] == true));
}

#[test]
fn not_root_is_one_clear_error_with_exit_code_2() {
    require_root();
    let out = Command::new(BIN).args(["run"]).uid(65534).gid(65534).output().expect("run as nobody");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must run as root") && err.contains("CAP_BPF"), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one message: {err}");
}

#[test]
fn attaches_when_tracefs_is_not_mounted() {
    require_root();
    // Neither place the sensor looks for tracefs may have it. With debugfs
    // mounted, tracefs is automounted under it at the first look, so debugfs
    // goes too for the test, and comes back after it.
    struct Debugfs(bool);
    impl Drop for Debugfs {
        fn drop(&mut self) {
            if self.0 {
                let (src, at) = (cstr("debugfs"), cstr("/sys/kernel/debug"));
                // SAFETY: valid C strings; remounting what the test unmounted.
                unsafe { libc::mount(src.as_ptr(), at.as_ptr(), src.as_ptr(), 0, std::ptr::null()) };
            }
        }
    }
    let mounts = fs::read_to_string("/proc/mounts").expect("mounts");
    let _debugfs = Debugfs(mounts.lines().any(|l| l.split(' ').nth(1) == Some("/sys/kernel/debug")));
    for at in ["/sys/kernel/debug/tracing", "/sys/kernel/debug", "/sys/kernel/tracing"] {
        let path = cstr(at);
        // SAFETY: umount2 with a valid path; failure (not mounted) is fine.
        unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
    }
    for at in ["/sys/kernel/debug/tracing", "/sys/kernel/tracing"] {
        assert!(!std::path::Path::new(at).join("events").exists(), "tracefs still mounted at {at}");
    }
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("tracefs");
    fs::write(dir.path("x"), b"x").expect("write");
    let p = format!("{}/x", dir.str());
    sensor.wait_for("open after mounting tracefs", |v| is(v, "file_open") && v["path"] == p.as_str());
    assert!(std::path::Path::new("/sys/kernel/tracing/events").exists());
}

#[test]
fn unwatched_paths_are_filtered_in_the_kernel_before_the_ring_buffer() {
    let watched = TempDir::new("kf-watched");
    let cfg = format!(
        "[file]\nwatch_paths = [\"{}\"]\nwatch_patterns = []\nexclude_paths = []\n[output]\nhealth_interval_secs = 1\n",
        watched.str()
    );
    let sensor = Sensor::start(&cfg);
    let unwatched = format!("/var/tmp/rg-kf-unwatched-{}", std::process::id());
    fs::write(&unwatched, b"x").expect("write unwatched");
    for _ in 0..2000 {
        drop(fs::File::open(&unwatched).expect("open unwatched"));
    }
    let target = watched.path("target");
    fs::write(&target, b"x").expect("write watched");
    for _ in 0..50 {
        drop(fs::File::open(&target).expect("open watched"));
    }
    let _ = fs::remove_file(&unwatched);
    let t = target.to_str().expect("utf-8").to_string();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let opens = records.iter().filter(|v| is(v, "file_open") && v["path"] == t.as_str()).count();
    assert_eq!(opens, 51, "the watched file's opens are all reported");
    assert!(records.iter().all(|v| v["path"] != unwatched.as_str()), "unwatched path reported");
    let health = records.last().expect("final health");
    assert!(n(health, "kernel_filtered") >= 2001, "the kernel dropped the unwatched opens: {health}");
    assert!(n(health, "filtered") < 100, "they never reached userspace: {health}");
}

/// Mounts a tmpfs at `at` for the life of the value.
struct Tmpfs(String);

impl Tmpfs {
    fn mount(at: &str) -> Tmpfs {
        fs::create_dir_all(at).expect("mkdir mount point");
        let st = std::process::Command::new("mount").args(["-t", "tmpfs", "rg-e2e", at]).status().expect("mount");
        assert!(st.success(), "mount tmpfs at {at}");
        Tmpfs(at.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let path = cstr(&self.0);
        // SAFETY: umount2 with a valid path.
        unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) };
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn opening_a_mount_root_or_slash_is_decided_in_the_kernel() {
    // The root of a mount has no name of its own in the dentry walk: the
    // kernel takes its mount point's, so `ls /mnt/x` is reported when
    // watched and filtered in the kernel when not, like any directory.
    let watched = TempDir::new("kf-mnt");
    let inner = Tmpfs::mount(&format!("{}/m", watched.str()));
    let outer = Tmpfs::mount(&format!("/var/tmp/rg-kf-mnt-{}", std::process::id()));
    let cfg = format!(
        "[file]\nwatch_paths = [\"{}\"]\nwatch_patterns = []\nexclude_paths = []\n[output]\nhealth_interval_secs = 1\n",
        watched.str()
    );
    let sensor = Sensor::start(&cfg);
    for _ in 0..1000 {
        drop(fs::File::open("/").expect("open /"));
        drop(fs::File::open(&outer.0).expect("open the unwatched mount root"));
    }
    drop(fs::File::open(&inner.0).expect("open the watched mount root"));
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(records.iter().any(|v| is(v, "file_open") && v["path"] == inner.0.as_str()), "watched mount root reported");
    assert!(records.iter().all(|v| v["path"] != "/" && v["path"] != outer.0.as_str()), "unwatched root reported");
    let health = records.last().expect("final health");
    assert!(n(health, "kernel_filtered") >= 2000, "the kernel dropped the unwatched opens: {health}");
    assert!(n(health, "filtered") < 100, "they never reached userspace: {health}");
}

#[test]
fn sighup_watching_a_new_directory_reaches_the_kernel_filter() {
    // The kernel looks up only prefixes as long as some watched directory
    // (filter_meta.dir_lens): a reload adding a directory of a new length
    // has to update that too, or its events stay filtered in the kernel.
    let first = TempDir::new("kf-a");
    let added = TempDir::new("kf-added-later");
    assert_ne!(first.str().len(), added.str().len(), "the test needs two directory lengths");
    let config = |dirs: &[&str]| {
        let list = dirs.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ");
        format!("[file]\nwatch_paths = [{list}]\nwatch_patterns = []\nexclude_paths = []\n[output]\nhealth_interval_secs = 1\n")
    };
    let sensor = Sensor::start(&config(&[first.str()]));
    let target = added.path("target");
    fs::write(&target, b"x").expect("write");
    let t = target.to_str().expect("utf-8").to_string();
    let open_n = |n: usize| (0..n).for_each(|_| drop(fs::File::open(&target).expect("open")));
    open_n(20);
    let before =
        sensor.try_wait_for(Duration::from_secs(2), &|v: &Value| is(v, "file_open") && v["path"] == t.as_str());
    assert!(before.is_none(), "reported before it was watched");

    fs::write(sensor.config_path(), config(&[first.str(), added.str()])).expect("rewrite config");
    sensor.signal(libc::SIGHUP);
    sensor.wait_stderr("SIGHUP: reloaded", 1, Duration::from_secs(10));
    open_n(20);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let opens = records.iter().filter(|v| is(v, "file_open") && v["path"] == t.as_str()).count();
    assert_eq!(opens, 20, "every open after the reload is reported, none before: {stderr}");
}

/// perl's `$0 = ...` rewrites the process's argv area, so /proc/<pid>/cmdline
/// then shows whatever it chose; waits until it does.
fn spawn_disguised(script: &str, out: &str) -> std::process::Child {
    let mut child = Command::new("perl").args(["-e", script, out]).spawn().expect("perl");
    let proc_cmdline = format!("/proc/{}/cmdline", child.id());
    for _ in 0..200 {
        if fs::read(&proc_cmdline).is_ok_and(|c| c.starts_with(b"[kworker/0:1]")) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("perl never rewrote its argv");
}

#[test]
fn a_rewritten_argv_is_marked_by_where_the_cmdline_came_from() {
    // A process older than the sensor is known from /proc, where it can
    // pose as a kernel thread (issue 18, seeded command lines); one the
    // sensor saw exec keeps the argv it was started with.
    let script = r#"$0 = "[kworker/0:1]"; $SIG{USR1} = sub { open(my $f, ">", $ARGV[0]) or die; close $f; exit 0 }; sleep 1 while 1;"#;
    let dir = TempDir::new("cmdline-source");
    let (old_out, new_out) =
        (dir.path("old").to_string_lossy().into_owned(), dir.path("new").to_string_lossy().into_owned());
    let mut old = spawn_disguised(script, &old_out);
    let sensor = Sensor::start(E2E_CONFIG);
    let mut new = spawn_disguised(script, &new_out);
    for child in [&mut old, &mut new] {
        unsafe { libc::kill(child.id() as i32, libc::SIGUSR1) };
        assert!(child.wait().expect("perl").success());
    }
    let r = sensor.wait_for("the old process's open", |v| is(v, "file_open") && v["path"] == old_out.as_str());
    assert_eq!(r["cmdline"], "[kworker/0:1]");
    assert_eq!(r["cmdline_source"], "procfs");
    let r = sensor.wait_for("the new process's open", |v| is(v, "file_open") && v["path"] == new_out.as_str());
    assert_eq!(r["cmdline"], format!("perl -e {script} {new_out}").as_str());
    assert_eq!(r["cmdline_source"], "exec");
    let exec = sensor.wait_for("its exec", |v| is(v, "process_exec") && v["pid"] == new.id());
    assert_eq!(exec["cmdline_source"], "exec");
}
