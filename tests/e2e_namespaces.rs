//! Privileged end-to-end tests of `process_namespace` and `file_mount`:
//! real unshare, clone, clone3, setns (nsenter and a pidfd), mount, bind
//! mounts, umount2, open_tree, move_mount, fsopen/fsmount, chroot and
//! pivot_root, the exact fields of each record, nothing for failed calls or
//! plain forks, and the default rules with their benign look-alikes. Every
//! mount happens in a private mount namespace (unshare -m), so the host's
//! tree is never touched.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::rule_pack::{expect_alert, expect_no_alert, is_alert, GRACE};
use common::tools::run;
use common::*;
use serde_json::{json, Value};

/// Only the hooks these tests need, and the default rule pack.
fn config() -> String {
    format!(
        r#"
[agent]
id = "e2e-host"

[events]
file = false

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "fork", "exit", "setns", "unshare", "clone", "clone3",
         "mount", "umount2", "fsmount", "move_mount", "pivot_root", "chroot", "open_tree"]

[detection]
rule_dirs = ["{RULES_DIR}"]
"#
    )
}

const CLONE_NEWUTS: i64 = 0x0400_0000;
const CLONE_NEWIPC: i64 = 0x0800_0000;
const PYTHON: &str = "/usr/bin/python3";

/// Runs `script` under `prefix` (e.g. `unshare -m`) with `args`, and returns
/// its pid and the integers it printed.
fn python_out(prefix: &[&str], script: &str, args: &[String]) -> (u32, Vec<i64>) {
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(PYTHON);
            c
        }
        None => Command::new(PYTHON),
    };
    let child = cmd
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait python");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "python failed: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    (pid, text.split_whitespace().map(|w| w.parse().expect("an integer")).collect())
}

/// A `sleep` in new uts and ipc namespaces (unshare(1) execs it in place),
/// killed on drop.
struct Holder(Child);

impl Holder {
    fn start() -> Holder {
        let child = Command::new("unshare")
            .args(["-u", "-i", "sleep", "30"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("unshare sleep");
        let h = Holder(child);
        let exe = format!("/proc/{}/exe", h.pid());
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_link(&exe).map_or(true, |p| !p.ends_with("sleep")) {
            assert!(Instant::now() < deadline, "the holder never exec'd sleep");
            std::thread::sleep(Duration::from_millis(10));
        }
        h
    }
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ns_inode(pid: u32, ns: &str) -> u64 {
    std::fs::metadata(format!("/proc/{pid}/ns/{ns}")).expect("stat ns").ino()
}

/// `pid`'s process_namespace record of `syscall` matching `pred`.
fn ns_rec(sensor: &Sensor, pid: u32, syscall: &str, pred: impl Fn(&Value) -> bool) -> Value {
    sensor.wait_for(&format!("{syscall} by {pid}"), |v| {
        is(v, "process_namespace") && v["pid"] == pid && v["syscall"] == syscall && pred(v)
    })
}

/// unshare(2), clone and clone3 with CLONE_NEW*, a plain fork, a failed
/// setns and one through a pidfd.
const NS_SCRIPT: &str = r#"
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_clone, SYS_clone3, SYS_pidfd_open, holder = map(int, sys.argv[1:5])
def check(r, what):
    if r < 0:
        raise OSError(ctypes.get_errno(), what)
    return r
check(libc.unshare(0x04000000), "unshare")
pid = check(libc.syscall(SYS_clone, ctypes.c_ulong(0x04000000 | 17), 0, 0, 0, 0), "clone")
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
args = struct.pack("8Q", 0x04000000 | 0x08000000, 0, 0, 0, 17, 0, 0, 0)
buf = ctypes.create_string_buffer(args, len(args))
pid3 = check(libc.syscall(SYS_clone3, buf, ctypes.c_size_t(len(args))), "clone3")
if pid3 == 0:
    os._exit(0)
os.waitpid(pid3, 0)
f = os.fork()
if f == 0:
    os._exit(0)
os.waitpid(f, 0)
assert libc.setns(9999, 0) == -1
pidfd = check(libc.syscall(SYS_pidfd_open, holder, 0), "pidfd_open")
check(libc.setns(pidfd, 0x04000000), "setns")
print(pid, pid3, f, pidfd)
"#;

#[test]
fn namespaces_made_and_entered_are_recorded_with_their_types_and_targets() {
    let sensor = Sensor::start(&config());
    let holder = Holder::start();
    let hp = holder.pid();

    // unshare(1): the holder made new uts and ipc namespaces
    let r = ns_rec(&sensor, hp, "unshare", |_| true);
    assert_eq!(s(&r, "exe"), "/usr/bin/unshare", "{r}");
    assert_eq!(r["namespaces"], json!(["uts", "ipc"]), "{r}");
    assert_eq!(n(&r, "ns_flags"), CLONE_NEWUTS | CLONE_NEWIPC, "{r}");
    for k in ["ns_inode", "ns_type", "ns_initial", "target_pid", "child_pid", "fd"] {
        assert_eq!(r[k], Value::Null, "{k}: {r}");
    }

    // unshare(2), clone, clone3; a fork; setns through a pidfd
    let nums = [libc::SYS_clone, libc::SYS_clone3, libc::SYS_pidfd_open, i64::from(hp)].map(|v| v.to_string());
    let (py, out) = python_out(&[], NS_SCRIPT, &nums);
    let (child, child3, forked, pidfd) = (out[0], out[1], out[2], out[3]);
    let r = ns_rec(&sensor, py, "unshare", |_| true);
    assert_eq!((r["namespaces"].clone(), n(&r, "ns_flags")), (json!(["uts"]), CLONE_NEWUTS), "{r}");
    let r = ns_rec(&sensor, py, "clone", |_| true);
    assert_eq!((r["namespaces"].clone(), n(&r, "ns_flags")), (json!(["uts"]), CLONE_NEWUTS), "{r}");
    assert_eq!(n(&r, "child_pid"), child, "{r}");
    let r = ns_rec(&sensor, py, "clone3", |_| true);
    assert_eq!(r["namespaces"], json!(["uts", "ipc"]), "{r}");
    assert_eq!((n(&r, "ns_flags"), n(&r, "child_pid")), (CLONE_NEWUTS | CLONE_NEWIPC, child3), "{r}");
    let r = ns_rec(&sensor, py, "setns", |_| true);
    assert_eq!((n(&r, "fd"), n(&r, "target_pid")), (pidfd, i64::from(hp)), "{r}");
    assert_eq!(s(&r, "target_exe"), "/usr/bin/sleep", "{r}");
    assert_eq!((r["namespaces"].clone(), n(&r, "ns_flags")), (json!(["uts"]), CLONE_NEWUTS), "{r}");
    assert_eq!((r["ns_inode"].clone(), r["ns_initial"].clone()), (Value::Null, Value::Null), "{r}");
    // one setns (the failed one is not reported), and the fork made no namespace record
    let mine = sensor.all(|v| is(v, "process_namespace") && v["pid"] == py);
    assert_eq!(mine.iter().filter(|v| v["syscall"] == "setns").count(), 1, "{mine:?}");
    assert!(!mine.iter().any(|v| v["child_pid"] == forked), "a fork is no namespace event: {mine:?}");
    assert_eq!(mine.len(), 4, "{mine:?}");

    // nsenter into the holder's uts namespace: a container's, no alert
    let ne = run(Command::new("nsenter").args(["-t", &hp.to_string(), "-u", "true"]));
    let r = ns_rec(&sensor, ne, "setns", |_| true);
    assert_eq!(s(&r, "exe"), "/usr/bin/nsenter", "{r}");
    assert_eq!((s(&r, "ns_type"), r["namespaces"].clone()), ("uts", json!(["uts"])), "{r}");
    assert_eq!(r["ns_inode"].as_u64(), Some(ns_inode(hp, "uts")), "{r}");
    assert_eq!((r["ns_initial"].clone(), n(&r, "ns_flags")), (json!(false), CLONE_NEWUTS), "{r}");
    assert!(n(&r, "fd") >= 0 && r["target_pid"].is_null(), "{r}");
    expect_no_alert(&sensor, "RG-PRIV-NS-ENTER-HOST", "nsenter into a container", |a| a["pid"] == ne);

    // from a new uts namespace, nsenter back into this (the host's) one: alert
    let me = std::process::id().to_string();
    let (_, st) = common::tools::run_status(Command::new("unshare").args(["-u", "nsenter", "-t", &me, "-u", "true"]));
    assert!(st.success(), "unshare nsenter: {st}");
    let host_uts = ns_inode(std::process::id(), "uts");
    let r = sensor.wait_for("setns into the host uts", |v| {
        is(v, "process_namespace") && v["syscall"] == "setns" && v["ns_inode"].as_u64() == Some(host_uts)
    });
    assert_eq!((r["ns_initial"].clone(), s(&r, "exe")), (json!(true), "/usr/bin/nsenter"), "{r}");
    let pid = r["pid"].clone();
    expect_alert(&sensor, "RG-PRIV-NS-ENTER-HOST", "nsenter into the host", |a| a["pid"] == pid);
}

/// Mounts of every kind, in the private mount namespace unshare(1) made.
const MOUNT_SCRIPT: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_pivot_root = map(int, sys.argv[1:7])
d = sys.argv[7]
def check(r, what):
    if r < 0:
        raise OSError(ctypes.get_errno(), what)
    return r
for sub in ("a", "b", "c", "p", "host"):
    os.mkdir(os.path.join(d, sub))
os.chdir(d)
assert libc.mount(b"tmpfs", b"missing/x", b"tmpfs", 0, None) == -1
check(libc.mount(b"tmpfs", os.path.join(d, "a").encode(), b"tmpfs", 0x2 | 0x4, b"size=1m"), "mount tmpfs")
check(libc.mount(b"a", b"b", None, 0x1000, None), "bind")
check(libc.umount2(b"b", 2), "umount2")
tree = check(libc.syscall(SYS_open_tree, -100, b"a", 0x1 | 0x80000), "open_tree")
check(libc.syscall(SYS_move_mount, tree, b"", -100, b"c", 0x4), "move_mount")
fs = check(libc.syscall(SYS_fsopen, b"tmpfs", 0), "fsopen")
check(libc.syscall(SYS_fsconfig, fs, 1, b"source", b"rg-fsmount", 0), "fsconfig source")
check(libc.syscall(SYS_fsconfig, fs, 6, None, None, 0), "fsconfig create")
mfd = check(libc.syscall(SYS_fsmount, fs, 1, 0x2 | 0x4), "fsmount")
root = check(libc.syscall(SYS_open_tree, -100, b"/", 0x1 | 0x80000), "open_tree /")
check(libc.mount(b"/", b"host", None, 0x1000, None), "bind /")
def child(f):
    c = os.fork()
    if c == 0:
        try:
            f()
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, st = os.waitpid(c, 0)
    assert st == 0, st
    return c
def pivot():
    check(libc.mount(b"rg-pivot", b"p", b"tmpfs", 0, None), "mount pivot")
    os.mkdir("p/old")
    os.chdir("p")
    check(libc.syscall(SYS_pivot_root, b".", b"old"), "pivot_root")
c = child(lambda: os.chroot(os.path.join(d, "a")))
p = child(pivot)
print(tree, mfd, root, c, p)
"#;

fn mount_rec(sensor: &Sensor, pid: i64, syscall: &str, pred: impl Fn(&Value) -> bool) -> Value {
    sensor.wait_for(&format!("{syscall} by {pid}"), |v| {
        is(v, "file_mount") && v["pid"] == pid && v["syscall"] == syscall && pred(v)
    })
}

/// source, target, fstype, flags, mount_flags, fd of a record.
fn fields(r: &Value) -> Value {
    json!([r["source"], r["target"], r["fstype"], r["flags"], r["mount_flags"], r["fd"]])
}

#[test]
fn mounts_are_recorded_with_source_target_type_and_flags() {
    let sensor = Sensor::start(&config());
    let dir = TempDir::new("mnt");
    let d = dir.str().to_string();
    let at = |p: &str| format!("{d}/{p}");
    let nums = [
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_pivot_root,
    ];
    let mut args: Vec<String> = nums.iter().map(|v| v.to_string()).collect();
    args.push(d.clone());
    let (py, out) = python_out(&["unshare", "-m", "--propagation", "private"], MOUNT_SCRIPT, &args);
    let py = i64::from(py);
    let (tree, mfd, root, chrooted, pivoted) = (out[0], out[1], out[2], out[3], out[4]);

    let r = mount_rec(&sensor, py, "mount", |v| v["fstype"] == "tmpfs");
    assert_eq!(fields(&r), json!(["tmpfs", at("a"), "tmpfs", ["MS_NOSUID", "MS_NODEV"], 6, null]), "{r}");
    let r = mount_rec(&sensor, py, "mount", |v| v["target"] == at("b"));
    assert_eq!(fields(&r), json!([at("a"), at("b"), null, ["MS_BIND"], 0x1000, null]), "{r}");
    let r = mount_rec(&sensor, py, "umount2", |_| true);
    assert_eq!(fields(&r), json!([null, at("b"), null, ["MNT_DETACH"], 2, null]), "{r}");
    // a clone of the tmpfs: "/" within a detached tree, not the host's root
    let r = mount_rec(&sensor, py, "open_tree", |v| v["fd"] == tree);
    assert_eq!(fields(&r), json!(["/", null, "tmpfs", ["OPEN_TREE_CLONE", "OPEN_TREE_CLOEXEC"], 0x80001, tree]));
    assert_eq!(r["source_detached"], true, "{r}");
    let r = mount_rec(&sensor, py, "move_mount", |_| true);
    assert_eq!(fields(&r), json!(["tmpfs", at("c"), "tmpfs", ["MOVE_MOUNT_F_EMPTY_PATH"], 4, tree]), "{r}");
    let r = mount_rec(&sensor, py, "fsmount", |_| true);
    let attrs = json!(["MOUNT_ATTR_NOSUID", "MOUNT_ATTR_NODEV"]);
    assert_eq!(fields(&r), json!(["rg-fsmount", null, "tmpfs", attrs, 6, mfd]), "{r}");
    // the host's root, cloned and bound: the kernel resolved both to "/"
    let r = mount_rec(&sensor, py, "open_tree", |v| v["fd"] == root);
    assert_eq!(fields(&r), json!(["/", null, "ext4", ["OPEN_TREE_CLONE", "OPEN_TREE_CLOEXEC"], 0x80001, root]));
    assert_eq!(r["source_detached"], Value::Null, "{r}");
    let r = mount_rec(&sensor, py, "mount", |v| v["target"] == at("host"));
    assert_eq!(fields(&r), json!(["/", at("host"), null, ["MS_BIND"], 0x1000, null]), "{r}");
    // chroot: the new root as the kernel walked it; pivot_root: the new root's mount
    let r = mount_rec(&sensor, chrooted, "chroot", |_| true);
    assert_eq!(fields(&r), json!([null, at("a"), null, [], 0, null]), "{r}");
    let r = mount_rec(&sensor, pivoted, "pivot_root", |_| true);
    assert_eq!(fields(&r), json!(["rg-pivot", "/", "tmpfs", [], 0, null]), "{r}");
    // unshare(1) made its namespace's mounts private before it exec'd python
    let r = mount_rec(&sensor, py, "mount", |v| v["exe"] == "/usr/bin/unshare");
    assert_eq!((r["target"].clone(), r["flags"].clone()), (json!("/"), json!(["MS_REC", "MS_PRIVATE"])), "{r}");
    // the failed mount is not reported: nine records in all
    let mine = sensor.all(|v| is(v, "file_mount") && v["pid"] == py);
    assert_eq!(mine.len(), 9, "{mine:?}");

    // the rules: the host's root cloned and bound, chroot and pivot_root by python
    let (_, src) = expect_alert(&sensor, "RG-PRIV-MOUNT-HOST", "open_tree and bind of /", |a| a["pid"] == py);
    assert_eq!(src["source"], "/", "{src}");
    let (_, src) = expect_alert(&sensor, "RG-PRIV-CHROOT", "chroot", |a| a["pid"] == chrooted);
    assert_eq!(src["syscall"], "chroot", "{src}");
    let (_, src) = expect_alert(&sensor, "RG-PRIV-CHROOT", "pivot_root", |a| a["pid"] == pivoted);
    assert_eq!(src["syscall"], "pivot_root", "{src}");
    // look-alikes (a tmpfs, a bind of a plain directory, a cloned tmpfs whose
    // root reads "/") fire nothing: two alerts, for the two of "/"
    std::thread::sleep(GRACE);
    let alerts = sensor.all(|v| is_alert(v, "RG-PRIV-MOUNT-HOST") && v["pid"] == py);
    assert_eq!(alerts.len(), 2, "{alerts:?}");
}
