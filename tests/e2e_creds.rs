//! Privileged end-to-end tests of `process_setuid`: a real process makes
//! every credential call (set*id, setfs*id, setgroups, capset), the sensor
//! reports each change with the ids before and after, no-op calls stay in
//! the kernel, and the default rule on regaining root.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::rule_pack::{expect_alert, expect_no_alert};
use common::tools::{run, Tools, PYTHON};
use common::*;
use serde_json::{json, Value};

/// Python's ctypes view of libc's capset and setfs*id, which `os` lacks.
const PRELUDE: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class Hdr(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
class Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]
def capset(eff, perm, inh):
    d = (Data * 2)()
    d[0].effective, d[0].permitted, d[0].inheritable = eff, perm, inh
    assert libc.capset(ctypes.byref(Hdr(0x20080522, 0)), d) == 0, ctypes.get_errno()
"#;

/// The `process_setuid` records of `pid` made by `syscall`, in order, once
/// there are `count` of them.
fn creds_of(sensor: &Sensor, pid: u32, syscall: &str, count: usize) -> Vec<Value> {
    let mine = |v: &Value| is(v, "process_setuid") && v["pid"] == i64::from(pid) && v["syscall"] == syscall;
    sensor.wait_for(&format!("a {syscall} record of {pid}"), mine);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = sensor.all(mine);
        if found.len() >= count || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts the id fields of record `r`: `uids` / `gids` as [real, effective,
/// saved, fs] before and after, or null when the call is of the other family.
fn assert_ids(r: &Value, uids: Option<([u32; 4], [u32; 4])>, gids: Option<([u32; 4], [u32; 4])>) {
    let keys = [(uids, ["uid", "euid", "suid", "fsuid"]), (gids, ["gid", "egid", "sgid", "fsgid"])];
    for (ids, names) in keys {
        for (i, name) in names.iter().enumerate() {
            let (old, new) = ids.map_or((Value::Null, Value::Null), |(o, n)| (json!(o[i]), json!(n[i])));
            assert_eq!(r[format!("old_{name}")], old, "old_{name}: {r}");
            assert_eq!(r[format!("new_{name}")], new, "new_{name}: {r}");
        }
    }
}

fn assert_no_groups_or_caps(r: &Value) {
    for k in ["group_count", "groups", "cap_effective", "cap_permitted", "cap_inheritable"] {
        assert!(r[k].is_null(), "{k} is null on {}: {r}", s(r, "syscall"));
    }
}

#[test]
fn every_credential_call_is_recorded_with_the_ids_before_and_after() {
    let sensor = Sensor::start(E2E_CONFIG);
    let script = format!(
        "{PRELUDE}{}",
        r#"
os.setgroups([4242, 4243])
os.setresgid(4000, 4001, 4002)
os.setregid(4010, 4011)
os.setgid(4020)
assert libc.setfsgid(4030) == 4020
capset(1 << 0 | 1 << 6 | 1 << 7, 1 << 0 | 1 << 6 | 1 << 7, 1 << 0)
os.setresuid(1000, 1001, 0)
os.setreuid(-1, 0)
os.setuid(0)
assert libc.setfsuid(1234) == 0
assert libc.setfsuid(4321) == 1234
"#
    );
    let pid = run(Command::new(PYTHON).arg("-c").arg(&script));

    let r = &creds_of(&sensor, pid, "setgroups", 1)[0];
    assert_eq!((n(r, "group_count"), &r["groups"]), (2, &json!([4242, 4243])), "{r}");
    assert_ids(r, None, None);
    assert!(r["cap_effective"].is_null(), "{r}");

    let r = &creds_of(&sensor, pid, "setresgid", 1)[0];
    assert_ids(r, None, Some(([0, 0, 0, 0], [4000, 4001, 4002, 4001])));
    assert_no_groups_or_caps(r);
    assert_eq!((n(r, "gid"), n(r, "uid"), n(r, "euid")), (4000, 0, 0), "the common fields are the new creds: {r}");
    // root's setregid: the saved gid follows the new effective one
    let r = &creds_of(&sensor, pid, "setregid", 1)[0];
    assert_ids(r, None, Some(([4000, 4001, 4002, 4001], [4010, 4011, 4011, 4011])));
    let r = &creds_of(&sensor, pid, "setgid", 1)[0];
    assert_ids(r, None, Some(([4010, 4011, 4011, 4011], [4020, 4020, 4020, 4020])));
    let r = &creds_of(&sensor, pid, "setfsgid", 1)[0];
    assert_ids(r, None, Some(([4020, 4020, 4020, 4020], [4020, 4020, 4020, 4030])));

    let r = &creds_of(&sensor, pid, "capset", 1)[0];
    assert_eq!(r["cap_effective"], json!(["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"]), "{r}");
    assert_eq!(r["cap_permitted"], json!(["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"]), "{r}");
    assert_eq!(r["cap_inheritable"], json!(["CAP_CHOWN"]), "{r}");
    assert_ids(r, None, None);
    assert!(r["group_count"].is_null(), "{r}");

    let r = &creds_of(&sensor, pid, "setresuid", 1)[0];
    assert_ids(r, Some(([0, 0, 0, 0], [1000, 1001, 0, 1001])), None);
    assert_no_groups_or_caps(r);
    // back to euid 0 through the saved uid
    let r = &creds_of(&sensor, pid, "setreuid", 1)[0];
    assert_ids(r, Some(([1000, 1001, 0, 1001], [1000, 0, 0, 0])), None);
    assert_eq!((n(r, "uid"), n(r, "euid")), (1000, 0), "{r}");
    let r = &creds_of(&sensor, pid, "setuid", 1)[0];
    assert_ids(r, Some(([1000, 0, 0, 0], [0, 0, 0, 0])), None);
    // setfsuid returns the old fsuid: 0 and then non-zero, both successes
    let fs = creds_of(&sensor, pid, "setfsuid", 2);
    assert_eq!(fs.len(), 2, "{fs:?}");
    assert_ids(&fs[0], Some(([0, 0, 0, 0], [0, 0, 0, 1234])), None);
    assert_ids(&fs[1], Some(([0, 0, 0, 1234], [0, 0, 0, 4321])), None);
    assert_eq!(s(&fs[1], "exe"), std::fs::canonicalize(PYTHON).expect("python").to_str().expect("utf-8"));
}

#[test]
fn calls_that_change_nothing_or_fail_stay_in_the_kernel() {
    let sensor = Sensor::start(E2E_CONFIG);
    let script = r#"
import os
for _ in range(100):
    os.setresuid(-1, -1, -1)
    os.setgid(os.getgid())
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
for call in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.setgroups([1])):
    try:
        call()
        raise SystemExit("an unprivileged call succeeded")
    except PermissionError:
        pass
"#;
    let pid = run(Command::new(PYTHON).arg("-c").arg(script));
    // The marker comes after the no-ops: by then the kernel has decided them all.
    let marker = &creds_of(&sensor, pid, "setresuid", 1)[0];
    assert_ids(marker, Some(([0; 4], [65534; 4])), None);
    std::thread::sleep(Duration::from_millis(300));
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records.iter().filter(|v| is(v, "process_setuid") && v["pid"] == i64::from(pid)).collect();
    let calls: Vec<&str> = mine.iter().map(|v| s(v, "syscall")).collect();
    assert_eq!(calls, ["setresgid", "setresuid"], "only the real changes, no no-op and no failed call: {mine:?}");
    let health = final_health(&records);
    assert!(n(&health, "kernel_filtered") >= 200, "no-ops counted as kernel_filtered: {health}");
}

#[test]
fn regaining_root_alerts_and_dropping_it_or_an_elevator_does_not() {
    let sensor = Sensor::start(&rules_config());
    // Benign: root dropping to nobody, through the real runuser and setpriv.
    let runuser = run(Command::new("/usr/sbin/runuser").args(["-u", "nobody", "--", "/bin/true"]));
    let setpriv =
        run(Command::new("/usr/bin/setpriv").args(["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/true"]));
    let r = &creds_of(&sensor, setpriv, "setresuid", 1)[0];
    assert_eq!((n(r, "old_euid"), n(r, "new_euid")), (0, 65534), "{r}");
    // runuser keeps a root parent for the PAM session; its child switches
    let by_runuser =
        |v: &Value| is(v, "process_setuid") && (v["pid"] == i64::from(runuser) || v["ppid"] == i64::from(runuser));
    let r = sensor.wait_for("runuser's switch to nobody", |v| by_runuser(v) && v["new_euid"] == 65534);
    assert_eq!((s(&r, "exe"), n(&r, "old_euid")), ("/usr/sbin/runuser", 0), "{r}");
    expect_no_alert(&sensor, "RG-PRIV-GAIN-ROOT", "runuser and setpriv dropping root", |a| {
        a["pid"] == i64::from(setpriv) || s(a, "exe") == "/usr/sbin/runuser"
    });
    // Benign: root lending only its effective uid and taking it back, as
    // apt-get does around its downloads as _apt (the real uid stays 0).
    let lend = run(Command::new(PYTHON).arg("-c").arg("import os\nos.seteuid(65534)\nos.seteuid(0)\n"));
    let back = sensor.wait_for("the effective uid taken back", |v| {
        is(v, "process_setuid") && v["pid"] == i64::from(lend) && v["new_euid"] == 0
    });
    assert_eq!((n(&back, "old_uid"), n(&back, "old_euid")), (0, 65534), "{back}");
    expect_no_alert(&sensor, "RG-PRIV-GAIN-ROOT", "root taking back its lent euid", |a| a["pid"] == i64::from(lend));

    // Real triggers: a process that parked root in its saved uid takes it
    // back; a copy of python called sudo is no elevator (by exe, not comm).
    let regain = "import os\nos.setresuid(1000, 1000, 0)\nos.setresuid(0, 0, 0)\n";
    let plain = run(Command::new(PYTHON).arg("-c").arg(regain));
    let tools = Tools::new();
    let fake = tools.tool("sudo", PYTHON);
    let named_sudo = run(Command::new(&fake).arg("-c").arg(regain));
    for (pid, exe) in [(plain, std::fs::canonicalize(PYTHON).expect("python")), (named_sudo, fake.clone())] {
        let (alert, source) =
            expect_alert(&sensor, "RG-PRIV-GAIN-ROOT", "python regaining root", |a| a["pid"] == i64::from(pid));
        assert_eq!(s(&source, "exe"), exe.to_str().expect("utf-8"), "{alert}");
        assert_eq!((s(&source, "syscall"), n(&source, "old_euid"), n(&source, "new_euid")), ("setresuid", 1000, 0));
    }
}
