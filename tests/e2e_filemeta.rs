//! Privileged end-to-end tests of `file_chmod`, `file_chown` and
//! `file_truncate`: every hooked syscall made for real on a watched
//! directory, the exact fields of its record, nothing for failed calls,
//! unwatched or excluded paths, and the default rules that read them.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::rule_pack::{expect_alert, expect_no_alert};
use common::tools::{python, run};
use common::*;
use serde_json::Value;

/// The e2e host settings with only the hooks these tests need: each
/// loaded program is verified at every start, and these are the heavy ones.
const CONFIG: &str = r#"
[agent]
id = "e2e-host"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "fork", "exit"]

[file]
hooks = ["chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "truncate", "ftruncate"]
watch_paths = ["/tmp", "/var/tmp", "/etc/rg-e2e"]
exclude_paths = ["/tmp/rg-e2e-excluded"]
"#;

/// The same with the default rule pack.
fn rules_config() -> String {
    format!("{CONFIG}\n[detection]\nrule_dirs = [\"{RULES_DIR}\"]\n")
}

/// x86_64 and the generic table (arm64) agree: fchmodat2 is 452.
const SYS_FCHMODAT2: libc::c_long = 452;

fn c(p: &Path) -> CString {
    CString::new(p.to_str().expect("utf-8")).expect("no NUL")
}

fn check(ret: libc::c_long, what: &str) {
    assert_eq!(ret, 0, "{what}: {}", std::io::Error::last_os_error());
}

fn open_fd(p: &Path, flags: i32) -> i32 {
    // SAFETY: a valid C string; the fd is closed by the caller.
    let fd = unsafe { libc::open(c(p).as_ptr(), flags | libc::O_CLOEXEC) };
    assert!(fd >= 0, "open {p:?}: {}", std::io::Error::last_os_error());
    fd
}

/// This process's record of type `et` for `syscall` on `path`.
fn rec(sensor: &Sensor, et: &str, syscall: &str, path: &Path) -> Value {
    let me = my_pid();
    let p = path.to_str().expect("utf-8").to_string();
    sensor.wait_for(&format!("{et} {syscall} {p}"), |v| {
        is(v, et) && v["pid"] == me && v["syscall"] == syscall && v["path"] == p.as_str()
    })
}

/// A watched directory holding the file `f`, with an fd on each: the
/// fds close on drop.
struct Target {
    dir: TempDir,
    f: std::path::PathBuf,
    dfd: i32,
    fd: i32,
}

impl Target {
    fn new(tag: &str, flags: i32) -> Target {
        let dir = TempDir::new(tag);
        let f = dir.path("f");
        fs::write(&f, b"0123456789").expect("write");
        let dfd = open_fd(&dir.0, libc::O_RDONLY | libc::O_DIRECTORY);
        let fd = open_fd(&f, flags);
        Target { dir, f, dfd, fd }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        // SAFETY: fds this struct opened.
        unsafe {
            libc::close(self.fd);
            libc::close(self.dfd);
        }
    }
}

fn mode_of(r: &Value) -> (i64, bool, bool, bool) {
    (n(r, "mode"), r["setuid"] == true, r["setgid"] == true, r["sticky"] == true)
}

#[test]
fn chmod_fchmod_fchmodat_and_fchmodat2_report_the_mode_and_its_special_bits() {
    let sensor = Sensor::start(CONFIG);
    let t = Target::new("chmod", libc::O_RDONLY);
    let (f, dfd, fd) = (&t.f, t.dfd, t.fd);
    let name = CString::new("f").expect("no NUL");
    let empty = CString::new("").expect("no NUL");
    // SAFETY: valid C strings and fds owned by this test.
    unsafe {
        check(libc::chmod(c(f).as_ptr(), 0o4755).into(), "chmod");
        check(libc::fchmod(fd, 0o2750).into(), "fchmod");
        check(libc::fchmodat(dfd, name.as_ptr(), 0o1777, 0).into(), "fchmodat");
        check(libc::syscall(SYS_FCHMODAT2, dfd, name.as_ptr(), 0o6711, 0), "fchmodat2");
        check(libc::syscall(SYS_FCHMODAT2, fd, empty.as_ptr(), 0o640, libc::AT_EMPTY_PATH), "fchmodat2 empty");
    }
    let r = rec(&sensor, "file_chmod", "chmod", f);
    assert_eq!(mode_of(&r), (0o4755, true, false, false), "{r}");
    assert_eq!(r["path_truncated"], false, "{r}");
    let r = rec(&sensor, "file_chmod", "fchmod", f);
    assert_eq!(mode_of(&r), (0o2750, false, true, false), "{r}");
    let r = rec(&sensor, "file_chmod", "fchmodat", f);
    assert_eq!(mode_of(&r), (0o1777, false, false, true), "{r}");
    let me = my_pid();
    let p = f.to_str().expect("utf-8");
    let mut both: Vec<Value> = Vec::new();
    for _ in 0..2 {
        let seen = both.len();
        both.push(sensor.wait_for("fchmodat2", |v| {
            is(v, "file_chmod") && v["pid"] == me && v["syscall"] == "fchmodat2" && v["path"] == p && {
                let m = n(v, "mode");
                !both[..seen].iter().any(|b| n(b, "mode") == m)
            }
        }));
    }
    both.sort_by_key(|v| n(v, "mode"));
    assert_eq!(mode_of(&both[0]), (0o640, false, false, false), "AT_EMPTY_PATH: the fd's file: {}", both[0]);
    assert_eq!(mode_of(&both[1]), (0o6711, true, true, false), "{}", both[1]);
    assert_eq!(fs::metadata(f).expect("stat").permissions().mode() & 0o7777, 0o640);
}

#[test]
fn chown_fchown_lchown_and_fchownat_report_the_requested_owner() {
    let sensor = Sensor::start(CONFIG);
    let t = Target::new("chown", libc::O_RDONLY);
    let (f, dfd, fd) = (&t.f, t.dfd, t.fd);
    let link = t.dir.path("link");
    std::os::unix::fs::symlink(f, &link).expect("symlink");
    let name = CString::new("f").expect("no NUL");
    let empty = CString::new("").expect("no NUL");
    let keep = u32::MAX; // (uid_t)-1: unchanged
                         // SAFETY: valid C strings and fds owned by this test; we are root.
    unsafe {
        check(libc::chown(c(f).as_ptr(), 1234, 5678).into(), "chown");
        check(libc::fchown(fd, keep, 4321).into(), "fchown");
        check(libc::lchown(c(&link).as_ptr(), 42, keep).into(), "lchown");
        check(libc::fchownat(dfd, name.as_ptr(), 7, keep, 0).into(), "fchownat");
        check(libc::fchownat(fd, empty.as_ptr(), 8, 9, libc::AT_EMPTY_PATH).into(), "fchownat empty");
    }
    let owner = |r: &Value| (r["owner_uid"].clone(), r["owner_gid"].clone(), r["follow_symlinks"].clone());
    let r = rec(&sensor, "file_chown", "chown", f);
    assert_eq!(owner(&r), (1234.into(), 5678.into(), true.into()), "{r}");
    let r = rec(&sensor, "file_chown", "fchown", f);
    assert_eq!(owner(&r), (Value::Null, 4321.into(), Value::Null), "no path, no link followed: {r}");
    let r = rec(&sensor, "file_chown", "lchown", &link);
    assert_eq!(owner(&r), (42.into(), Value::Null, false.into()), "the link itself: {r}");
    let me = my_pid();
    let p = f.to_str().expect("utf-8");
    let at = |uid: i64| {
        sensor.wait_for(&format!("fchownat {uid}"), |v| {
            is(v, "file_chown") && v["pid"] == me && v["syscall"] == "fchownat" && v["owner_uid"] == uid
        })
    };
    let r = at(7);
    assert_eq!((s(&r, "path"), owner(&r)), (p, (7.into(), Value::Null, true.into())), "{r}");
    let r = at(8);
    assert_eq!((s(&r, "path"), owner(&r)), (p, (8.into(), 9.into(), Value::Null)), "AT_EMPTY_PATH: {r}");
}

#[test]
fn truncate_and_ftruncate_report_the_new_length() {
    let sensor = Sensor::start(CONFIG);
    let t = Target::new("truncate", libc::O_WRONLY);
    let (f, fd) = (&t.f, t.fd);
    // SAFETY: a valid C string and our fd.
    unsafe {
        check(libc::truncate(c(f).as_ptr(), 0).into(), "truncate");
        check(libc::ftruncate(fd, 12345).into(), "ftruncate");
    }
    let r = rec(&sensor, "file_truncate", "truncate", f);
    assert_eq!((n(&r, "length"), &r["path_truncated"]), (0, &Value::Bool(false)), "{r}");
    let r = rec(&sensor, "file_truncate", "ftruncate", f);
    assert_eq!(n(&r, "length"), 12345, "{r}");
    assert_eq!(fs::metadata(f).expect("stat").len(), 12345);
}

#[test]
fn failed_calls_and_unwatched_or_excluded_paths_stay_in_the_kernel() {
    let sensor = Sensor::start(CONFIG);
    // /run is not watched by the e2e config; /tmp/rg-e2e-excluded is excluded.
    let unwatched = Path::new("/run").join(format!("rg-e2e-filemeta-{}", std::process::id()));
    fs::create_dir_all(&unwatched).expect("mkdir");
    let excluded = Path::new("/tmp/rg-e2e-excluded").join(format!("filemeta-{}", std::process::id()));
    fs::create_dir_all(&excluded).expect("mkdir");
    let watched = TempDir::new("filtered");
    let missing = watched.path("missing");
    for d in [&unwatched, &excluded] {
        let f = d.join("f");
        fs::write(&f, b"x").expect("write");
        let fd = open_fd(&f, libc::O_WRONLY);
        // SAFETY: valid C strings and our fd.
        unsafe {
            for _ in 0..50 {
                check(libc::chmod(c(&f).as_ptr(), 0o4755).into(), "chmod");
                check(libc::fchmod(fd, 0o644).into(), "fchmod");
                check(libc::chown(c(&f).as_ptr(), 0, 0).into(), "chown");
                check(libc::fchown(fd, 0, 0).into(), "fchown");
                check(libc::truncate(c(&f).as_ptr(), 0).into(), "truncate");
                check(libc::ftruncate(fd, 1).into(), "ftruncate");
            }
            libc::close(fd);
        }
    }
    // SAFETY: a valid C string; these fail with ENOENT.
    unsafe {
        assert_eq!(libc::chmod(c(&missing).as_ptr(), 0o4755), -1);
        assert_eq!(libc::chown(c(&missing).as_ptr(), 1, 1), -1);
        assert_eq!(libc::truncate(c(&missing).as_ptr(), 0), -1);
    }
    // The marker comes last: by then the kernel has decided them all.
    let marker = watched.path("marker");
    fs::write(&marker, b"x").expect("write");
    // SAFETY: a valid C string.
    unsafe { check(libc::truncate(c(&marker).as_ptr(), 0).into(), "marker") };
    rec(&sensor, "file_truncate", "truncate", &marker);
    let me = my_pid();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records
        .iter()
        .filter(|v| ["file_chmod", "file_chown", "file_truncate"].iter().any(|t| is(v, t)) && v["pid"] == me)
        .collect();
    assert_eq!(mine.len(), 1, "only the marker is reported: {mine:?}");
    assert!(n(&final_health(&records), "kernel_filtered") >= 600, "600 calls counted as kernel_filtered");
    let _ = fs::remove_dir_all(&unwatched);
    let _ = fs::remove_dir_all(&excluded);
}

#[test]
fn truncating_a_history_file_to_zero_alerts_and_to_a_length_does_not() {
    let sensor = Sensor::start(&rules_config());
    let dir = TempDir::new("history-trunc");
    let hist = dir.path(".bash_history");
    let hist_s = hist.to_str().expect("utf-8");
    let fill = || fs::write(&hist, b"ls\nid\n").expect("write history");
    // coreutils truncate: an open without O_TRUNC, then ftruncate
    fill();
    let pid = run(Command::new("/usr/bin/truncate").args(["-s0", hist_s]));
    let (a, src) = expect_alert(&sensor, "RG-EVADE-HISTORY", "truncate -s0", |v| v["pid"] == pid);
    assert_eq!((s(&a, "source_event_type"), s(&src, "syscall")), ("file_truncate", "ftruncate"), "{a}");
    assert_eq!((s(&a, "path"), n(&src, "length")), (hist_s, 0), "{a}");
    // python: the truncate syscall on the path
    fill();
    let pid = python("import os, sys; os.truncate(sys.argv[1], 0)", &[hist_s]);
    let (_, src) = expect_alert(&sensor, "RG-EVADE-HISTORY", "os.truncate 0", |v| v["pid"] == pid);
    assert_eq!((s(&src, "syscall"), s(&src, "path")), ("truncate", hist_s), "{src}");

    // benign: cut to a length, and a file that is not a history
    fill();
    let other = dir.path("notes");
    fs::write(&other, b"x").expect("write");
    let p1 = run(Command::new("/usr/bin/truncate").args(["-s", "3", hist_s]));
    let p2 = run(Command::new("/usr/bin/truncate").arg("-s0").arg(&other));
    for p in [p1, p2] {
        sensor.wait_for("benign truncate", |v| is(v, "file_truncate") && v["pid"] == p);
    }
    expect_no_alert(&sensor, "RG-EVADE-HISTORY", "truncate -s 3, truncate another file", |v| pid_in(v, &[p1, p2]));
}

#[test]
fn a_copy_of_chmod_named_dpkg_is_not_exempt_from_the_setuid_rule() {
    let sensor = Sensor::start(&rules_config());
    let dir = TempDir::new("setuid-dpkg");
    let f = dir.path("bin");
    fs::write(&f, b"x").expect("write");
    let tools = common::tools::Tools::new();
    let dpkg = tools.tool("dpkg", "/usr/bin/chmod");
    let pid = run(Command::new(&dpkg).arg("4755").arg(&f));
    let (a, _) = expect_alert(&sensor, "RG-PRIV-SETUID", "a chmod called dpkg", |v| v["pid"] == pid);
    assert_eq!((s(&a, "comm"), s(&a, "path")), ("dpkg", f.to_str().expect("utf-8")), "{a}");
}
