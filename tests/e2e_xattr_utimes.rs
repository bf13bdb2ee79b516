//! Privileged end-to-end tests of `file_utimes` and `file_xattr`: every
//! hooked syscall made for real on a watched directory, the exact fields of
//! its record, nothing for failed calls or unwatched paths.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use std::process::Command;

use common::rule_pack::{expect_alert, expect_no_alert};
use common::tools::run;
use common::*;
use serde_json::{json, Value};

/// The e2e host settings with only the hooks these tests need.
const CONFIG: &str = r#"
[agent]
id = "e2e-host"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "fork", "exit"]

[file]
hooks = ["utimensat", "utimes", "futimesat", "utime", "setxattr", "lsetxattr", "fsetxattr", "setxattrat",
         "removexattr", "lremovexattr", "fremovexattr", "removexattrat"]
watch_paths = ["/tmp"]
exclude_paths = ["/tmp/rg-e2e-excluded"]
"#;

/// x86_64 numbers (6.13+ for the *xattrat calls).
const SYS_FUTIMESAT: libc::c_long = 261;
const SYS_UTIME: libc::c_long = 132;
const SYS_SETXATTRAT: libc::c_long = 463;
const SYS_REMOVEXATTRAT: libc::c_long = 466;

fn c(p: &Path) -> CString {
    CString::new(p.to_str().expect("utf-8")).expect("no NUL")
}

fn cs(s: &str) -> CString {
    CString::new(s).expect("no NUL")
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

fn close(fd: i32) {
    // SAFETY: an fd this test opened.
    unsafe { libc::close(fd) };
}

/// This process's records of type `et` for `syscall` on `path`, `count` of
/// them, in the order they came.
fn recs(sensor: &Sensor, et: &str, syscall: &str, path: &Path, count: usize) -> Vec<Value> {
    let me = my_pid();
    let p = path.to_str().expect("utf-8").to_string();
    let pred = |v: &Value| is(v, et) && v["pid"] == me && v["syscall"] == syscall && v["path"] == p.as_str();
    // wait_for looks at each record once: count the matches as they come
    let found = std::cell::Cell::new(0);
    sensor.wait_for(&format!("{count} {et} {syscall} {p}"), |v| {
        found.set(found.get() + usize::from(pred(v)));
        found.get() >= count
    });
    sensor.all(pred)
}

fn rec(sensor: &Sensor, et: &str, syscall: &str, path: &Path) -> Value {
    recs(sensor, et, syscall, path, 1).remove(0)
}

/// The time fields of a file_utimes record.
fn times(r: &Value) -> Value {
    let keys = [
        "atime",
        "atime_sec",
        "atime_nsec",
        "atime_set",
        "mtime",
        "mtime_sec",
        "mtime_nsec",
        "mtime_set",
        "times_null",
        "times_unread",
        "flags",
        "follow_symlinks",
    ];
    Value::Object(keys.iter().map(|k| (k.to_string(), r[*k].clone())).collect())
}

const T2001: i64 = 978_307_200; // 2001-01-01T00:00:00Z
const T2002: i64 = 1_009_843_200; // 2002-01-01T00:00:00Z

#[test]
fn utimensat_utimes_futimesat_and_utime_report_the_times_set() {
    let sensor = Sensor::start(CONFIG);
    let dir = TempDir::new("utimes");
    let f = dir.path("f");
    fs::write(&f, b"x").expect("write");
    let link = dir.path("link");
    std::os::unix::fs::symlink(&f, &link).expect("symlink");
    let dfd = open_fd(&dir.0, libc::O_RDONLY | libc::O_DIRECTORY);
    let fd = open_fd(&f, libc::O_WRONLY);
    let name = cs("f");
    let ts = |a: (i64, i64), m: (i64, i64)| {
        [libc::timespec { tv_sec: a.0, tv_nsec: a.1 }, libc::timespec { tv_sec: m.0, tv_nsec: m.1 }]
    };
    let tv = |a: i64, m: i64| [libc::timeval { tv_sec: a, tv_usec: 5 }, libc::timeval { tv_sec: m, tv_usec: 6 }];
    // SAFETY: valid C strings, fds and times arrays owned by this test.
    unsafe {
        let t = ts((T2002, 7), (T2001, 123_456_789));
        check(libc::utimensat(libc::AT_FDCWD, c(&f).as_ptr(), t.as_ptr(), 0).into(), "utimensat path");
        let t = ts((0, libc::UTIME_NOW), (0, libc::UTIME_OMIT));
        check(libc::futimens(fd, t.as_ptr()).into(), "futimens");
        let t = ts((T2001, 0), (T2001, 0));
        check(libc::utimensat(dfd, cs("link").as_ptr(), t.as_ptr(), libc::AT_SYMLINK_NOFOLLOW).into(), "nofollow");
        check(libc::utimensat(dfd, name.as_ptr(), std::ptr::null(), 0).into(), "utimensat NULL");
        // the syscall itself: glibc's utimes() calls utimensat
        check(libc::syscall(libc::SYS_utimes, c(&f).as_ptr(), tv(T2002, T2001).as_ptr()), "utimes");
        check(libc::syscall(SYS_FUTIMESAT, dfd, name.as_ptr(), tv(T2001, T2002).as_ptr()), "futimesat");
        let ub = libc::utimbuf { actime: T2002, modtime: T2001 };
        check(libc::syscall(SYS_UTIME, c(&f).as_ptr(), &ub as *const libc::utimbuf), "utime");
        // both omitted: nothing changes, and the kernel never looks the file up
        let t = ts((0, libc::UTIME_OMIT), (0, libc::UTIME_OMIT));
        check(libc::utimensat(dfd, name.as_ptr(), t.as_ptr(), 0).into(), "omit both");
    }
    let all = recs(&sensor, "file_utimes", "utimensat", &f, 3);
    assert_eq!(
        times(&all[0]),
        json!({"atime": "2002-01-01T00:00:00.000000007Z", "atime_sec": T2002, "atime_nsec": 7, "atime_set": "time",
               "mtime": "2001-01-01T00:00:00.123456789Z", "mtime_sec": T2001, "mtime_nsec": 123_456_789,
               "mtime_set": "time", "times_null": false, "times_unread": false, "flags": [], "follow_symlinks": true}),
        "{}",
        all[0]
    );
    let age = n(&all[0], "mtime_age_s");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    assert!((now - T2001 - 5..=now - T2001).contains(&age), "mtime_age_s {age}");
    assert_eq!(
        times(&all[1]),
        json!({"atime": null, "atime_sec": null, "atime_nsec": null, "atime_set": "UTIME_NOW",
               "mtime": null, "mtime_sec": null, "mtime_nsec": null, "mtime_set": "UTIME_OMIT",
               "times_null": false, "times_unread": false, "flags": ["AT_EMPTY_PATH"], "follow_symlinks": null}),
        "futimens names the fd's file: {}",
        all[1]
    );
    assert_eq!(all[1]["mtime_age_s"], Value::Null, "{}", all[1]);
    assert_eq!(
        (&all[2]["atime_set"], &all[2]["mtime_set"], &all[2]["times_null"]),
        (&json!("UTIME_NOW"), &json!("UTIME_NOW"), &json!(true)),
        "NULL times: {}",
        all[2]
    );
    assert_eq!(all.len(), 3, "both omitted is not reported: {all:?}");
    let r = rec(&sensor, "file_utimes", "utimensat", &link);
    assert_eq!(
        (&r["flags"], &r["follow_symlinks"], n(&r, "mtime_sec")),
        (&json!(["AT_SYMLINK_NOFOLLOW"]), &json!(false), T2001),
        "{r}"
    );
    // utimes and futimesat pass microseconds, utime seconds
    let r = rec(&sensor, "file_utimes", "utimes", &f);
    assert_eq!(
        (n(&r, "atime_sec"), n(&r, "atime_nsec"), n(&r, "mtime_sec"), n(&r, "mtime_nsec")),
        (T2002, 5000, T2001, 6000),
        "{r}"
    );
    let r = rec(&sensor, "file_utimes", "futimesat", &f);
    assert_eq!((n(&r, "atime_sec"), n(&r, "mtime_sec"), n(&r, "mtime_nsec")), (T2001, T2002, 6000), "{r}");
    let r = rec(&sensor, "file_utimes", "utime", &f);
    assert_eq!(
        (n(&r, "atime_sec"), n(&r, "atime_nsec"), n(&r, "mtime_sec"), n(&r, "mtime_nsec")),
        (T2002, 0, T2001, 0),
        "{r}"
    );
    assert_eq!(s(&r, "mtime"), "2001-01-01T00:00:00.000000000Z", "{r}");
    assert_eq!(fs::metadata(&f).expect("stat").mtime(), T2001);
    close(fd);
    close(dfd);
}

/// `setcap cap_net_raw+ep` as the kernel receives it: vfs_cap_data revision
/// 2, the effective flag, CAP_NET_RAW (13) permitted.
const CAP_NET_RAW_EP: [u8; 20] = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// The type's fields of a file_xattr record.
fn xfields(r: &Value) -> Value {
    let keys = [
        "xattr_name",
        "xattr_op",
        "value_size",
        "value_unread",
        "flags",
        "follow_symlinks",
        "file_caps",
        "cap_permitted",
        "cap_inheritable",
        "cap_effective",
        "cap_rootid",
    ];
    Value::Object(keys.iter().map(|k| (k.to_string(), r[*k].clone())).collect())
}

fn user_x(op: &str, size: Value, flags: Value, follow: Value) -> Value {
    json!({"xattr_name": "user.rg", "xattr_op": op, "value_size": size, "value_unread": false, "flags": flags,
           "follow_symlinks": follow, "file_caps": false, "cap_permitted": null, "cap_inheritable": null,
           "cap_effective": null, "cap_rootid": null})
}

#[test]
fn the_setxattr_and_removexattr_families_report_the_attribute_and_file_capabilities() {
    let sensor = Sensor::start(CONFIG);
    let dir = TempDir::new("xattr");
    let f = dir.path("f");
    fs::write(&f, b"x").expect("write");
    let dfd = open_fd(&dir.0, libc::O_RDONLY | libc::O_DIRECTORY);
    let fd = open_fd(&f, libc::O_RDONLY);
    let (fc, user, cap) = (c(&f), cs("user.rg"), cs("security.capability"));
    let v = b"hello";
    // struct xattr_args (include/uapi/linux/xattr.h)
    #[repr(C)]
    struct XattrArgs {
        value: u64,
        size: u32,
        flags: u32,
    }
    let args = XattrArgs { value: v.as_ptr() as u64, size: 3, flags: 0 };
    // SAFETY: valid C strings, fds and buffers owned by this test; we are root.
    unsafe {
        let val = v.as_ptr().cast();
        check(libc::setxattr(fc.as_ptr(), user.as_ptr(), val, 5, libc::XATTR_CREATE).into(), "setxattr");
        check(libc::lsetxattr(fc.as_ptr(), user.as_ptr(), val, 4, libc::XATTR_REPLACE).into(), "lsetxattr");
        check(libc::fsetxattr(fd, user.as_ptr(), val, 2, 0).into(), "fsetxattr");
        let a = &args as *const XattrArgs;
        check(libc::syscall(SYS_SETXATTRAT, dfd, cs("f").as_ptr(), 0, user.as_ptr(), a, 16), "setxattrat");
        check(libc::fremovexattr(fd, user.as_ptr()).into(), "fremovexattr");
        check(libc::setxattr(fc.as_ptr(), user.as_ptr(), val, 1, 0).into(), "setxattr again");
        check(libc::lremovexattr(fc.as_ptr(), user.as_ptr()).into(), "lremovexattr");
        check(libc::setxattr(fc.as_ptr(), user.as_ptr(), val, 1, 0).into(), "setxattr again");
        check(libc::syscall(SYS_REMOVEXATTRAT, dfd, cs("f").as_ptr(), 0, user.as_ptr()), "removexattrat");
        let caps = CAP_NET_RAW_EP.as_ptr().cast();
        check(libc::setxattr(fc.as_ptr(), cap.as_ptr(), caps, 20, 0).into(), "setxattr security.capability");
        check(libc::removexattr(fc.as_ptr(), cap.as_ptr()).into(), "removexattr");
    }
    let set = recs(&sensor, "file_xattr", "setxattr", &f, 4);
    assert_eq!(xfields(&set[0]), user_x("set", 5.into(), json!(["XATTR_CREATE"]), true.into()), "{}", set[0]);
    let r = rec(&sensor, "file_xattr", "lsetxattr", &f);
    assert_eq!(xfields(&r), user_x("set", 4.into(), json!(["XATTR_REPLACE"]), false.into()), "{r}");
    let r = rec(&sensor, "file_xattr", "fsetxattr", &f);
    assert_eq!(xfields(&r), user_x("set", 2.into(), json!([]), Value::Null), "the fd's file: {r}");
    let r = rec(&sensor, "file_xattr", "setxattrat", &f);
    assert_eq!(xfields(&r), user_x("set", 3.into(), json!([]), true.into()), "{r}");
    let r = rec(&sensor, "file_xattr", "fremovexattr", &f);
    assert_eq!(xfields(&r), user_x("remove", Value::Null, json!([]), Value::Null), "{r}");
    let r = rec(&sensor, "file_xattr", "lremovexattr", &f);
    assert_eq!(xfields(&r), user_x("remove", Value::Null, json!([]), false.into()), "{r}");
    let r = rec(&sensor, "file_xattr", "removexattrat", &f);
    assert_eq!(xfields(&r), user_x("remove", Value::Null, json!([]), true.into()), "{r}");
    assert_eq!(
        xfields(&set[3]),
        json!({"xattr_name": "security.capability", "xattr_op": "set", "value_size": 20, "value_unread": false,
               "flags": [], "follow_symlinks": true, "file_caps": true, "cap_permitted": ["CAP_NET_RAW"],
               "cap_inheritable": [], "cap_effective": ["CAP_NET_RAW"], "cap_rootid": null}),
        "{}",
        set[3]
    );
    let r = rec(&sensor, "file_xattr", "removexattr", &f);
    assert_eq!(
        (s(&r, "xattr_name"), s(&r, "xattr_op"), &r["file_caps"]),
        ("security.capability", "remove", &json!(false)),
        "{r}"
    );
    close(fd);
    close(dfd);
}

#[test]
fn failed_calls_and_unwatched_or_excluded_paths_stay_in_the_kernel() {
    let sensor = Sensor::start(CONFIG);
    let unwatched = Path::new("/run").join(format!("rg-e2e-fileattr-{}", std::process::id()));
    fs::create_dir_all(&unwatched).expect("mkdir");
    let excluded = Path::new("/tmp/rg-e2e-excluded").join(format!("fileattr-{}", std::process::id()));
    fs::create_dir_all(&excluded).expect("mkdir");
    let watched = TempDir::new("fileattr-filtered");
    let missing = watched.path("missing");
    let user = cs("user.rg");
    for d in [&unwatched, &excluded] {
        let f = d.join("f");
        fs::write(&f, b"x").expect("write");
        let fd = open_fd(&f, libc::O_RDONLY);
        // SAFETY: valid C strings and our fd.
        unsafe {
            for _ in 0..50 {
                check(libc::utimensat(libc::AT_FDCWD, c(&f).as_ptr(), std::ptr::null(), 0).into(), "utimensat");
                check(libc::futimens(fd, std::ptr::null()).into(), "futimens");
                check(libc::setxattr(c(&f).as_ptr(), user.as_ptr(), b"x".as_ptr().cast(), 1, 0).into(), "setxattr");
                check(libc::fremovexattr(fd, user.as_ptr()).into(), "fremovexattr");
            }
        }
        close(fd);
    }
    // SAFETY: a valid C string; these fail with ENOENT.
    unsafe {
        assert_eq!(libc::utimensat(libc::AT_FDCWD, c(&missing).as_ptr(), std::ptr::null(), 0), -1);
        assert_eq!(libc::setxattr(c(&missing).as_ptr(), user.as_ptr(), b"x".as_ptr().cast(), 1, 0), -1);
        assert_eq!(libc::removexattr(c(&watched.0).as_ptr(), user.as_ptr()), -1, "ENODATA");
    }
    // The marker comes last: by then the kernel has decided them all.
    let marker = watched.path("marker");
    fs::write(&marker, b"x").expect("write");
    // SAFETY: a valid C string.
    unsafe { check(libc::utimensat(libc::AT_FDCWD, c(&marker).as_ptr(), std::ptr::null(), 0).into(), "marker") };
    rec(&sensor, "file_utimes", "utimensat", &marker);
    let me = my_pid();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> =
        records.iter().filter(|v| (is(v, "file_utimes") || is(v, "file_xattr")) && v["pid"] == me).collect();
    assert_eq!(mine.len(), 1, "only the marker is reported: {mine:?}");
    assert!(n(&final_health(&records), "kernel_filtered") >= 400, "400 calls counted as kernel_filtered");
    let _ = fs::remove_dir_all(&unwatched);
    let _ = fs::remove_dir_all(&excluded);
}

#[test]
fn setcap_alerts_and_getcap_or_setcap_r_do_not() {
    let sensor = Sensor::start(&format!("{CONFIG}\n[detection]\nrule_dirs = [\"{RULES_DIR}\"]\n"));
    let dir = TempDir::new("setcap");
    let f = dir.path("ping");
    fs::write(&f, b"x").expect("write");
    let f_s = f.to_str().expect("utf-8");
    let p = run(Command::new("/usr/sbin/setcap").args(["cap_net_raw+ep", f_s]));
    let (a, src) = expect_alert(&sensor, "RG-PRIV-FILE-CAPS", "setcap cap_net_raw+ep", |v| v["pid"] == p);
    assert_eq!(
        (s(&a, "path"), s(&a, "source_event_type"), s(&a, "exe")),
        (f_s, "file_xattr", "/usr/sbin/setcap"),
        "{a}"
    );
    assert_eq!(
        (s(&src, "xattr_name"), &src["file_caps"], &src["cap_permitted"], &src["cap_effective"]),
        ("security.capability", &json!(true), &json!(["CAP_NET_RAW"]), &json!(["CAP_NET_RAW"])),
        "{src}"
    );
    // benign: reading them back, and removing them
    let b1 = run(Command::new("/usr/sbin/getcap").arg(f_s));
    let b2 = run(Command::new("/usr/sbin/setcap").args(["-r", f_s]));
    let r = sensor.wait_for("setcap -r", |v| is(v, "file_xattr") && v["pid"] == b2);
    assert_eq!((s(&r, "xattr_op"), &r["file_caps"]), ("remove", &json!(false)), "{r}");
    sensor.wait_for("getcap's exit", |v| is(v, "process_exit") && v["pid"] == b1);
    expect_no_alert(&sensor, "RG-PRIV-FILE-CAPS", "getcap, setcap -r", |v| pid_in(v, &[b1, b2]));
}
