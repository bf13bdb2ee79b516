//! Privileged end-to-end tests of `file_link`: real link, linkat, symlink
//! and symlinkat calls, the exact fields of their records, the filter on
//! both sides of a link, and the default rule on hard links to credential
//! files.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::rule_pack::{expect_alert, expect_no_alert};
use common::tools::run;
use common::*;
use serde_json::Value;

/// Only the hooks these tests need; /tmp is watched and /var/lib is not.
const CONFIG: &str = r#"
[agent]
id = "e2e-host"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "fork", "exit"]

[file]
hooks = ["link", "linkat", "symlink", "symlinkat"]
watch_paths = ["/tmp"]
exclude_paths = ["/tmp/rg-e2e-excluded"]
"#;

fn c(p: &str) -> CString {
    CString::new(p).expect("no NUL")
}

fn check(ret: libc::c_int, what: &str) {
    assert_eq!(ret, 0, "{what}: {}", std::io::Error::last_os_error());
}

fn st(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// A directory on the root filesystem (so hard links from /tmp work) that
/// the config does not watch; removed on drop.
struct Unwatched(PathBuf);

impl Unwatched {
    fn new(tag: &str) -> Unwatched {
        let p = PathBuf::from(format!("/var/lib/rg-e2e-link-{}-{tag}", std::process::id()));
        fs::create_dir_all(&p).expect("mkdir");
        Unwatched(p)
    }
}

impl Drop for Unwatched {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// This process's file_link record made by `syscall` at `path`.
fn rec(sensor: &Sensor, syscall: &str, path: &Path) -> Value {
    let me = my_pid();
    let p = st(path).to_string();
    sensor.wait_for(&format!("file_link {syscall} {p}"), |v| {
        is(v, "file_link") && v["pid"] == me && v["syscall"] == syscall && v["path"] == p.as_str()
    })
}

fn link_of(r: &Value) -> (&str, bool, Value, bool, bool) {
    (
        s(r, "target"),
        r["symlink"] == true,
        r["follow_symlinks"].clone(),
        r["path_truncated"] == true,
        r["target_truncated"] == true,
    )
}

#[test]
fn link_linkat_symlink_and_symlinkat_record_the_link_and_its_target() {
    let sensor = Sensor::start(CONFIG);
    let dir = TempDir::new("links");
    let f = dir.path("f");
    fs::write(&f, b"x").expect("write");
    let (l1, l2, s1, s2) = (dir.path("l1"), dir.path("l2"), dir.path("s1"), dir.path("s2"));
    let dfd = {
        // SAFETY: a valid C string; closed below.
        let fd = unsafe { libc::open(c(dir.str()).as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        assert!(fd >= 0, "open dir: {}", std::io::Error::last_os_error());
        fd
    };
    // SAFETY: valid C strings and our own dirfd.
    unsafe {
        check(libc::link(c(st(&f)).as_ptr(), c(st(&l1)).as_ptr()), "link");
        check(libc::linkat(dfd, c("f").as_ptr(), dfd, c("l2").as_ptr(), libc::AT_SYMLINK_FOLLOW), "linkat");
        check(libc::symlink(c("f").as_ptr(), c(st(&s1)).as_ptr()), "symlink");
        check(libc::symlinkat(c("/etc/../etc/hostname").as_ptr(), dfd, c("s2").as_ptr()), "symlinkat");
        libc::close(dfd);
    }
    let fp = st(&f);
    let r = rec(&sensor, "link", &l1);
    assert_eq!(link_of(&r), (fp, false, false.into(), false, false), "{r}");
    let r = rec(&sensor, "linkat", &l2);
    assert_eq!(link_of(&r), (fp, false, true.into(), false, false), "AT_SYMLINK_FOLLOW: {r}");
    // a symlink's content is what the caller wrote, not resolved
    let r = rec(&sensor, "symlink", &s1);
    assert_eq!(link_of(&r), ("f", true, Value::Null, false, false), "{r}");
    let r = rec(&sensor, "symlinkat", &s2);
    assert_eq!(link_of(&r), ("/etc/../etc/hostname", true, Value::Null, false, false), "{r}");
    assert_eq!(fs::metadata(&l2).expect("stat").ino(), fs::metadata(&f).expect("stat").ino());
}

#[test]
fn a_link_is_kept_when_either_side_is_watched_and_filtered_in_the_kernel_otherwise() {
    let sensor = Sensor::start(CONFIG);
    let watched = TempDir::new("link-filter");
    let away = Unwatched::new("filter");
    let secret = watched.path("secret");
    fs::write(&secret, b"x").expect("write");
    let plain = away.0.join("plain");
    fs::write(&plain, b"x").expect("write");
    // a watched file linked into an unwatched directory, and the reverse
    let out = away.0.join("alias");
    let back = watched.path("back");
    // SAFETY: valid C strings.
    unsafe {
        check(libc::link(c(st(&secret)).as_ptr(), c(st(&out)).as_ptr()), "link out");
        check(libc::link(c(st(&plain)).as_ptr(), c(st(&back)).as_ptr()), "link back");
        // a symlink made in an unwatched place pointing into a watched one
        check(libc::symlink(c(st(&secret)).as_ptr(), c(st(&away.0.join("sym"))).as_ptr()), "symlink in");
    }
    let r = rec(&sensor, "link", &out);
    assert_eq!(link_of(&r).0, st(&secret), "{r}");
    let r = rec(&sensor, "link", &back);
    assert_eq!(link_of(&r).0, st(&plain), "{r}");
    let r = rec(&sensor, "symlink", &away.0.join("sym"));
    assert_eq!(link_of(&r).0, st(&secret), "{r}");

    // Neither side watched, or a failed call: nothing is sent.
    // SAFETY: valid C strings; the EEXIST calls fail.
    unsafe {
        for i in 0..50 {
            let a = away.0.join(format!("h{i}"));
            let b = away.0.join(format!("s{i}"));
            check(libc::link(c(st(&plain)).as_ptr(), c(st(&a)).as_ptr()), "unwatched link");
            check(libc::symlink(c("plain").as_ptr(), c(st(&b)).as_ptr()), "unwatched symlink");
        }
        assert_eq!(libc::link(c(st(&secret)).as_ptr(), c(st(&back)).as_ptr()), -1, "EEXIST");
        assert_eq!(libc::symlink(c("x").as_ptr(), c(st(&back)).as_ptr()), -1, "EEXIST");
    }
    let marker = watched.path("marker");
    // SAFETY: valid C strings.
    unsafe { check(libc::symlink(c("m").as_ptr(), c(st(&marker)).as_ptr()), "marker") };
    rec(&sensor, "symlink", &marker);
    let me = my_pid();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records.iter().filter(|v| is(v, "file_link") && v["pid"] == me).collect();
    assert_eq!(mine.len(), 4, "the three kept links and the marker only: {mine:?}");
    assert!(n(&final_health(&records), "kernel_filtered") >= 100, "100 calls counted as kernel_filtered");
}

#[test]
fn a_hard_link_to_shadow_alerts_and_an_ordinary_hard_link_or_a_symlink_does_not() {
    let sensor = Sensor::start(&rules_config());
    // /var/lib is not in the default watch list: the target makes it reported
    let away = Unwatched::new("rule");
    let alias = away.0.join(".s");
    let pid = run(Command::new("/usr/bin/ln").arg("/etc/shadow").arg(&alias));
    let (a, src) = expect_alert(&sensor, "RG-CRED-HARDLINK", "ln /etc/shadow", |v| v["pid"] == pid);
    assert_eq!((s(&a, "path"), s(&src, "target")), (st(&alias), "/etc/shadow"), "{a}");
    assert_eq!((s(&src, "syscall"), src["symlink"].clone()), ("linkat", false.into()), "{src}");
    fs::remove_file(&alias).expect("rm alias");

    // benign: a hard link of an ordinary file, and a symlink to shadow
    let dir = TempDir::new("link-benign");
    let hosts = dir.path("hosts");
    let sym = dir.path("shadow-link");
    let p1 = run(Command::new("/usr/bin/ln").arg("/etc/hosts").arg(&hosts));
    let p2 = run(Command::new("/usr/bin/ln").arg("-s").arg("/etc/shadow").arg(&sym));
    for p in [p1, p2] {
        sensor.wait_for("benign link", |v| is(v, "file_link") && v["pid"] == p);
    }
    expect_no_alert(&sensor, "RG-CRED-HARDLINK", "ln /etc/hosts, ln -s /etc/shadow", |v| pid_in(v, &[p1, p2]));
}
