//! Privileged end-to-end tests of fleet operations: `rand-guard doctor`
//! against this host's reality, and the release tarball unpacked,
//! installed with a DESTDIR and run.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rand-guard.toml");

fn uname_r() -> String {
    let out = Command::new("uname").arg("-r").output().expect("uname");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn doctor_as_root_reports_this_host_and_every_hook_ok() {
    require_root();
    let out = Command::new(BIN).args(["doctor", "--config", SHIPPED]).output().expect("doctor");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "stdout:\n{text}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("[ok  ] kernel: {} ", uname_r())), "{text}");
    assert_eq!(std::path::Path::new("/sys/kernel/btf/vmlinux").exists(), text.contains("[ok  ] BTF: present"));
    assert!(text.contains("[ok  ] CAP_BPF: yes"), "{text}");
    // Every process and file hook of the shipped config loads; network is off there.
    for prog in [
        "handle_exec",
        "handle_fork",
        "handle_exit",
        "handle_exit_openat",
        "handle_exit_unlinkat",
        "handle_exit_rename",
        "handle_exit_renameat2",
        "handle_exit_chmod",
        "handle_exit_fchmod",
        "handle_exit_fchmodat",
        "handle_exit_fchmodat2",
        "handle_exit_chown",
        "handle_exit_fchown",
        "handle_exit_lchown",
        "handle_exit_fchownat",
        "handle_exit_truncate",
        "handle_exit_ftruncate",
        "handle_io_uring_create",
        "handle_io_uring_submit",
        "handle_io_uring_complete",
    ] {
        assert!(text.contains(&format!("[ok  ] {prog} (")), "{prog} in\n{text}");
    }
    // The namespace and mount hooks of the shipped config, each program by
    // name and the syscall tracepoint it attaches at (umount2's is the
    // kernel's sys_exit_umount).
    for (prog, tp) in [
        ("handle_exit_setns", "sys_exit_setns"),
        ("handle_exit_unshare", "sys_exit_unshare"),
        ("handle_exit_clone", "sys_exit_clone"),
        ("handle_exit_clone3", "sys_exit_clone3"),
        ("handle_exit_mount", "sys_exit_mount"),
        ("handle_exit_umount", "sys_exit_umount"),
        ("handle_exit_fsmount", "sys_exit_fsmount"),
        ("handle_exit_move_mount", "sys_exit_move_mount"),
        ("handle_exit_pivot_root", "sys_exit_pivot_root"),
        ("handle_exit_chroot", "sys_exit_chroot"),
        ("handle_exit_open_tree", "sys_exit_open_tree"),
    ] {
        assert!(text.contains(&format!("[ok  ] {prog} (syscalls/{tp}): loads")), "{prog} at {tp} in\n{text}");
    }
    assert!(text.contains("[off ] handle_exit_connect: not enabled"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    assert!(text.contains("verdict: the sensor can run"), "{text}");
}

#[test]
fn doctor_as_nobody_fails_naming_the_missing_capabilities() {
    require_root();
    let out = Command::new(BIN).args(["doctor", "--config", SHIPPED]).uid(65534).gid(65534).output().expect("doctor");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("[miss] CAP_BPF: no"), "{text}");
    assert!(text.contains("verdict: the sensor cannot run"), "{text}");
    assert!(err.contains("missing capabilities: CAP_BPF, CAP_PERFMON"), "{err}");
}

#[test]
fn doctor_with_a_bad_config_exits_2() {
    require_root();
    let dir = TempDir::new("doctor-cfg");
    let cfg = dir.path("bad.toml");
    std::fs::write(&cfg, "[[outputs]]\ntype = \"carrier-pigeon\"\n").expect("write");
    let out = Command::new(BIN).arg("doctor").arg("--config").arg(&cfg).output().expect("doctor");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml:2:8: outputs[0].type"));
}

#[test]
fn release_tarball_installs_with_destdir_and_runs() {
    require_root();
    let dir = TempDir::new("package");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/package.sh");
    let out = Command::new(script).args([BIN, env!("CARGO_PKG_VERSION"), dir.str()]).output().expect("package.sh");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tarball = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let arch = Command::new("uname").arg("-m").output().expect("uname").stdout;
    let name = format!("rand-guard-{}-{}", env!("CARGO_PKG_VERSION"), String::from_utf8_lossy(&arch).trim());
    assert!(tarball.ends_with(&format!("{name}.tar.gz")), "{tarball}");
    let st = Command::new("tar").args(["-C", dir.str(), "-xzf", &tarball]).status().expect("tar");
    assert!(st.success());
    let root = dir.path("root");
    let st = Command::new("sh")
        .arg(dir.path(&format!("{name}/install.sh")))
        .env("DESTDIR", &root)
        .stdout(Stdio::null())
        .status()
        .expect("install.sh");
    assert!(st.success());
    let bin = root.join("usr/local/bin/rand-guard");
    let etc = root.join("etc/rand-guard");
    let unit = std::fs::read_to_string(root.join("etc/systemd/system/rand-guard.service")).expect("unit");
    assert!(unit.contains("ExecStart=/usr/local/bin/rand-guard run --config /etc/rand-guard/rand-guard.toml"));
    assert!(unit.contains("CapabilityBoundingSet=CAP_BPF CAP_PERFMON") && unit.contains("NoNewPrivileges=yes"));
    assert!(etc.join("rules/persistence.toml").exists());

    let v = Command::new(&bin).arg("--version").output().expect("--version");
    let v = String::from_utf8_lossy(&v.stdout);
    assert!(v.contains(env!("CARGO_PKG_VERSION")) && v.contains("commit") && v.contains("ABI"), "{v}");

    // A short run with the installed config (its rules dir resolves next to it).
    let mut child = Command::new(&bin)
        .arg("run")
        .arg("--config")
        .arg(etc.join("rand-guard.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run installed binary");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut chunk = [0u8; 512];
    while !seen.contains("ready:") {
        assert!(Instant::now() < deadline, "not ready: {seen}");
        let n = stderr.read(&mut chunk).expect("read stderr");
        assert!(n > 0, "exited early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&chunk[..n]));
    }
    Command::new("/bin/true").arg("installed-run-marker").status().expect("true");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let found = lines.by_ref().map_while(Result::ok).take(100_000).any(|l| l.contains("installed-run-marker"));
    assert!(found, "the installed sensor reported the marker exec");
    // SAFETY: plain kill(2) on our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    assert!(rest.last().is_some_and(|l| l.contains("\"final\":true")), "final health record");
}
