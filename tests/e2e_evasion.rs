//! Privileged end-to-end tests of evasions an attacker with a shell tries
//! (issue 18): each reproduces the attack with real syscalls against the
//! real sensor and the default rule pack, and asserts the record and the
//! alert. Run as root, serially: `cargo test --test e2e_evasion -- --test-threads=1`.

mod common;

use std::ffi::CString;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use common::rule_pack::*;
use common::tools::*;
use common::*;
use serde_json::json;

fn renameat2(from: &str, to: &str, flags: u32) {
    let (a, b) = (CString::new(from).expect("no NUL"), CString::new(to).expect("no NUL"));
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), flags) };
    assert_eq!(rc, 0, "renameat2({from}, {to}, {flags}): {}", std::io::Error::last_os_error());
}

#[test]
fn an_exchange_puts_a_file_at_both_paths_and_rules_see_both() {
    // renameat2(RENAME_EXCHANGE) with the cron file as the *first* path
    // moves the payload into /etc/cron.d while new_path names /tmp.
    let job = Restore::new(format!("/etc/cron.d/rg-e2e-exchange-{}", my_pid()));
    let moved = Restore::new(format!("/etc/cron.d/rg-e2e-moved-{}", my_pid()));
    fs::write(job.str(), "# rg-e2e: an existing cron file\n").expect("cron file");
    fs::write(moved.str(), "# rg-e2e: moved away, never replaced\n").expect("cron file");
    let dir = TempDir::new("exchange");
    let payload = dir.path("payload").to_string_lossy().into_owned();
    fs::write(&payload, "# rg-e2e: the payload, no job\n").expect("payload");
    let away = dir.path("away").to_string_lossy().into_owned();

    let sensor = Sensor::start(&rules_config());
    renameat2(job.str(), &payload, libc::RENAME_EXCHANGE);
    renameat2(moved.str(), &away, 0);

    let is_rename_of = |v: &serde_json::Value, path: &str| v["source_event_type"] == "file_rename" && v["path"] == path;
    let (_, source) =
        expect_alert(&sensor, "RG-PERSIST-CRON", "a payload exchanged into cron.d", |v| is_rename_of(v, job.str()));
    assert_eq!(source["new_path"], payload.as_str());
    assert_eq!(source["exchange"], true);
    assert_eq!(source["syscall"], "renameat2");
    assert_eq!(n(&source, "pid"), my_pid());
    assert_eq!(fs::read_to_string(job.str()).expect("swapped"), "# rg-e2e: the payload, no job\n");

    // a plain rename out of cron.d removes a job; it plants none
    let r = sensor.wait_for("the rename away", |v| is(v, "file_rename") && v["path"] == moved.str());
    assert_eq!((&r["new_path"], &r["exchange"]), (&serde_json::json!(away), &serde_json::json!(false)));
    expect_no_alert(&sensor, "RG-PERSIST-CRON", "a cron file renamed away", |v| is_rename_of(v, moved.str()));
}

/// open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE): a detached copy of the mount
/// at `dir`, which no path in the namespace leads to.
fn clone_tree(dir: &str) -> OwnedFd {
    let d = CString::new(dir).expect("no NUL");
    let fd = unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, d.as_ptr(), libc::OPEN_TREE_CLONE) };
    assert!(fd >= 0, "open_tree({dir}): {}", std::io::Error::last_os_error());
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

fn open_at(dir: &OwnedFd, name: &str, flags: i32) -> OwnedFd {
    let n = CString::new(name).expect("no NUL");
    let fd = unsafe { libc::openat(dir.as_raw_fd(), n.as_ptr(), flags | libc::O_CLOEXEC, 0o644) };
    assert!(fd >= 0, "openat({name}): {}", std::io::Error::last_os_error());
    unsafe { OwnedFd::from_raw_fd(fd) }
}

#[test]
fn a_detached_clone_of_etc_is_seen_at_the_real_path() {
    // The walk used to stop at the clone's root and say "/shadow", which
    // the filter dropped as unwatched: no record, no alert.
    let job = Restore::new(format!("/etc/cron.d/rg-e2e-detached-{}", my_pid()));
    let sensor = Sensor::start(&rules_config());
    let etc = clone_tree("/etc");
    drop(open_at(&etc, "shadow", libc::O_RDONLY));
    let name = job.path.strip_prefix("/etc").expect("under /etc").to_string_lossy().trim_start_matches('/').to_string();
    drop(open_at(&etc, &name, libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC));

    let me = my_pid();
    let (_, read) = expect_alert(&sensor, "RG-CRED-SENSITIVE-READ", "shadow through a clone", |v| {
        v["pid"] == me && v["path"] == "/etc/shadow"
    });
    assert_eq!((&read["path_detached"], &read["path_truncated"]), (&json!(false), &json!(false)));
    let (_, planted) = expect_alert(&sensor, "RG-PERSIST-CRON", "a cron file through a clone", |v| {
        v["pid"] == me && v["path"] == job.str()
    });
    assert_eq!(planted["access"], "write");
    assert_eq!(planted["path_detached"], false);
}

#[test]
fn a_detached_mount_of_another_filesystem_is_flagged_not_filtered() {
    // A tmpfs mounted at an unwatched place, cloned, then unmounted: only
    // the clone reaches it, and its files have no path in the namespace.
    let at = format!("/var/lib/rg-e2e-detached-{}", my_pid());
    fs::create_dir_all(&at).expect("mkdir");
    let (src, target) = (CString::new("tmpfs").expect("no NUL"), CString::new(at.as_str()).expect("no NUL"));
    let rc = unsafe { libc::mount(src.as_ptr(), target.as_ptr(), src.as_ptr(), 0, std::ptr::null()) };
    assert_eq!(rc, 0, "mount tmpfs: {}", std::io::Error::last_os_error());
    let clone = clone_tree(&at);
    unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    fs::remove_dir(&at).expect("rmdir");

    let sensor = Sensor::start(E2E_CONFIG);
    let name = format!("rg-e2e-payload-{}", my_pid());
    let f = open_at(&clone, &name, libc::O_WRONLY | libc::O_CREAT);
    assert_eq!(unsafe { libc::write(f.as_raw_fd(), b"x".as_ptr().cast(), 1) }, 1);
    let path = format!("/{name}");
    let me = my_pid();
    let open = sensor
        .wait_for("the open in the clone", |v| is(v, "file_open") && v["pid"] == me && v["path"] == path.as_str());
    assert_eq!((&open["path_detached"], &open["path_truncated"]), (&json!(true), &json!(false)));
    let write = sensor.wait_for("the write", |v| is(v, "file_write") && v["pid"] == me && v["path"] == path.as_str());
    assert_eq!((&write["path_detached"], &write["bytes"]), (&json!(true), &json!(1)));
}

/// Makes `levels` nested directories "d" under `base` and returns an fd on
/// the deepest (walked by fd: the kernel resolves each level once).
fn nest(base: &str, levels: usize) -> OwnedFd {
    let d = CString::new("d").expect("no NUL");
    let b = CString::new(base).expect("no NUL");
    // SAFETY: valid C strings; each fd is owned once opened.
    let mut fd = unsafe { OwnedFd::from_raw_fd(libc::open(b.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY)) };
    for _ in 0..levels {
        // SAFETY: as above.
        unsafe {
            assert_eq!(libc::mkdirat(fd.as_raw_fd(), d.as_ptr(), 0o755), 0, "mkdirat");
            let next = libc::openat(fd.as_raw_fd(), d.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
            assert!(next >= 0, "openat d: {}", std::io::Error::last_os_error());
            fd = OwnedFd::from_raw_fd(next);
        }
    }
    fd
}

/// The path the sensor reports for `leaf` in `dir` when it walks `walked`
/// of the components (all for an open, the directory's for a name joined
/// to a dirfd): the last 64 of them behind "…" when there are more.
fn reported(dir: &str, leaf: &str, walk_leaf: bool) -> String {
    let mut comps: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    if walk_leaf {
        comps.push(leaf);
    }
    let cut = comps.len() > 64;
    let kept = &comps[comps.len().saturating_sub(64)..];
    let mut p = format!("{}/{}", if cut { "\u{2026}" } else { "" }, kept.join("/"));
    if !walk_leaf {
        p = format!("{p}/{leaf}");
    }
    p
}

#[test]
fn deep_paths_are_reported_exactly_flagged_only_when_cut_and_never_filtered() {
    let sensor = Sensor::start(&rules_config());
    let me = my_pid();
    let find = |what: &str, et: &str, path: &str| {
        sensor.wait_for(&format!("{what}: {et} {path}"), |v| is(v, et) && v["pid"] == me && v["path"] == path)
    };
    let (f, g) = (CString::new("f").expect("no NUL"), CString::new("g").expect("no NUL"));
    // /tmp/rg-e2e-… is 2 components; the file is one more
    for total in [63usize, 64, 65, 100] {
        let base = TempDir::new(&format!("deep{total}"));
        let fd = nest(base.str(), total - 3);
        let dir = format!("{}{}", base.str(), "/d".repeat(total - 3));
        // SAFETY: valid C strings and our own dirfd.
        unsafe {
            let o = libc::openat(fd.as_raw_fd(), f.as_ptr(), libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC, 0o644);
            assert!(o >= 0, "create f");
            libc::close(o);
            assert_eq!(libc::renameat(fd.as_raw_fd(), f.as_ptr(), fd.as_raw_fd(), g.as_ptr()), 0, "renameat");
            assert_eq!(libc::unlinkat(fd.as_raw_fd(), g.as_ptr(), 0), 0, "unlinkat");
        }
        let what = format!("{total} components");
        // the open walks the file itself: `total` components
        let r = find(&what, "file_open", &reported(&dir, "f", true));
        assert_eq!(r["path_truncated"], total > 64, "{what}: {r}");
        // rename and unlink walk the dirfd, then add the name
        let r = find(&what, "file_rename", &reported(&dir, "f", false));
        assert_eq!(
            (r["path_truncated"].clone(), r["new_path_truncated"].clone()),
            (json!(total > 65), json!(total > 65))
        );
        assert_eq!(s(&r, "new_path"), reported(&dir, "g", false), "{r}");
        let r = find(&what, "file_unlink", &reported(&dir, "g", false));
        assert_eq!(r["path_truncated"], total > 65, "{what}: {r}");
    }
    // A cut path below an unwatched directory is still reported: what was
    // cut off may be watched. A complete one there is filtered.
    let away = format!("/var/lib/rg-e2e-deep-{me}");
    // directories of 63 and 100 components
    for (levels, tag) in [(59usize, "near"), (96, "far")] {
        let top = format!("{away}/{tag}");
        fs::create_dir_all(&top).expect("mkdir");
        let fd = nest(&top, levels);
        // SAFETY: valid C strings and our own dirfd.
        unsafe {
            let o = libc::openat(fd.as_raw_fd(), f.as_ptr(), libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC, 0o644);
            assert!(o >= 0, "create f");
            libc::close(o);
            assert_eq!(libc::unlinkat(fd.as_raw_fd(), f.as_ptr(), 0), 0, "unlinkat");
        }
    }
    let far = format!("{away}/far{}", "/d".repeat(96));
    let r = find("unwatched, 100 components", "file_unlink", &reported(&far, "f", false));
    assert_eq!(r["path_truncated"], true, "{r}");
    let near = format!("{away}/near");
    let seen = sensor.all(|v| v["pid"] == me && s(v, "path").contains(&near));
    assert!(seen.is_empty(), "a complete unwatched path is filtered: {seen:?}");
    let _ = fs::remove_dir_all(&away);
}
