//! Privileged end-to-end tests of what `process_exec` and `process_ptrace`
//! say beyond the program: an exec that changed credentials (a real
//! setuid-root, setgid and file-capability binary run as nobody), the
//! script an interpreter runs (`#!`, `python3 x.py`, `ld.so /path/x`), and
//! the target of a real ptrace, with the default rules on each and their
//! benign look-alikes.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::rule_pack::{expect_alert, expect_no_alert};
use common::tools::{run, run_status, PYTHON};
use common::*;
use serde_json::{json, Value};

/// Only the hooks these tests need, and the default rule pack.
fn config() -> String {
    format!(
        r#"
[agent]
id = "e2e-host"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "execveat", "fork", "exit", "ptrace"]

[file]
hooks = ["unlink"]
watch_paths = ["/etc/rg-e2e"]

[detection]
rule_dirs = ["{RULES_DIR}"]
"#
    )
}

const NOBODY: u32 = 65534;

/// A copy of /usr/bin/id at `dir/name` with `mode`, owned by root.
fn id_copy(dir: &TempDir, name: &str, mode: u32) -> String {
    let p = dir.path(name);
    fs::copy("/usr/bin/id", &p).expect("copy id");
    // set_permissions after the copy: copy keeps the source's mode
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod");
    p.to_str().expect("utf-8").to_string()
}

/// Runs `exe` as nobody; returns its pid.
fn as_nobody(exe: &str, args: &[&str]) -> u32 {
    run_status(Command::new(exe).args(args).uid(NOBODY).gid(NOBODY)).0
}

fn exec_rec(sensor: &Sensor, what: &str, pid: u32) -> Value {
    sensor.wait_for(what, |v| is(v, "process_exec") && v["pid"] == pid)
}

/// (old_uid, old_euid, old_gid, old_egid) -> (uid, euid, gid, egid) of an exec record.
fn ids(r: &Value) -> [i64; 8] {
    ["old_uid", "old_euid", "old_gid", "old_egid", "uid", "euid", "gid", "egid"].map(|k| n(r, k))
}

#[test]
fn setuid_setgid_and_file_capability_execs_are_marked_as_privilege_changes() {
    let sensor = Sensor::start(&config());
    let dir = TempDir::new("suid");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let rootid = id_copy(&dir, "rootid", 0o4755);
    let gid0 = id_copy(&dir, "gid0", 0o2755);
    let capid = id_copy(&dir, "capid", 0o755);
    run(Command::new("/usr/sbin/setcap").args(["cap_net_raw+ep", &capid]));
    let plain = id_copy(&dir, "plain", 0o755);

    // a setuid-root copy in /tmp, run by nobody: euid 0 and every capability
    let pid = as_nobody(&rootid, &[]);
    let r = exec_rec(&sensor, "setuid-root exec", pid);
    let n65 = i64::from(NOBODY);
    assert_eq!(ids(&r), [n65, n65, n65, n65, n65, 0, n65, n65], "{r}");
    assert_eq!((&r["privilege_change"], s(&r, "exe")), (&json!(true), rootid.as_str()), "{r}");
    let gained: Vec<&str> =
        r["caps_gained"].as_array().expect("caps_gained").iter().filter_map(|c| c.as_str()).collect();
    assert!(gained.contains(&"CAP_SYS_ADMIN") && gained.contains(&"CAP_SETUID"), "{r}");
    let (alert, _) =
        expect_alert(&sensor, "RG-PRIV-SETUID-EXEC", "nobody runs a setuid-root copy", |a| a["pid"] == pid);
    assert_eq!(s(&alert, "exe"), rootid, "{alert}");

    // setgid-root: only the effective gid changes
    let pid = as_nobody(&gid0, &[]);
    let r = exec_rec(&sensor, "setgid exec", pid);
    assert_eq!(ids(&r), [n65, n65, n65, n65, n65, n65, n65, 0], "{r}");
    assert_eq!((&r["privilege_change"], &r["caps_gained"]), (&json!(true), &json!([])), "{r}");

    // file capabilities: the ids stay, one capability is gained
    let pid = as_nobody(&capid, &[]);
    let r = exec_rec(&sensor, "file-caps exec", pid);
    assert_eq!(ids(&r), [n65; 8], "{r}");
    assert_eq!((&r["privilege_change"], &r["caps_gained"]), (&json!(true), &json!(["CAP_NET_RAW"])), "{r}");
    expect_no_alert(&sensor, "RG-PRIV-SETUID-EXEC", "file capabilities without root", |a| a["pid"] == pid);

    // an ordinary exec, and root running the setuid copy: no change
    let pid = as_nobody(&plain, &[]);
    let r = exec_rec(&sensor, "ordinary exec", pid);
    assert_eq!(ids(&r), [n65; 8], "{r}");
    assert_eq!((&r["privilege_change"], &r["caps_gained"]), (&json!(false), &json!([])), "{r}");
    let root_pid = run(&mut Command::new(&rootid));
    let r = exec_rec(&sensor, "root runs the setuid copy", root_pid);
    assert_eq!((n(&r, "old_euid"), n(&r, "euid"), &r["privilege_change"]), (0, 0, &json!(false)), "{r}");

    // the look-alike: nobody runs the real setuid-root passwd (its exe is allowed)
    let passwd = as_nobody("/usr/bin/passwd", &["--help"]);
    let r = exec_rec(&sensor, "nobody runs passwd", passwd);
    assert_eq!((n(&r, "old_euid"), n(&r, "euid"), &r["privilege_change"]), (n65, 0, &json!(true)), "{r}");
    expect_no_alert(&sensor, "RG-PRIV-SETUID-EXEC", "the real passwd", |a| a["pid"] == passwd || a["pid"] == root_pid);

    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    final_health(&records);
}

#[test]
fn scripts_are_named_whether_the_kernel_or_an_interpreter_found_them() {
    let sensor = Sensor::start(&config());
    let dir = TempDir::new("script");
    let sh = dir.path("x.sh");
    fs::write(&sh, "#!/bin/sh\nexit 0\n").expect("write x.sh");
    fs::set_permissions(&sh, fs::Permissions::from_mode(0o755)).expect("chmod x.sh");
    let py = dir.path("x.py");
    fs::write(&py, "pass\n").expect("write x.py");

    // ./x.sh: the kernel runs /bin/sh (dash) for the #! line
    let pid = run(Command::new("./x.sh").arg("a").current_dir(&dir.0));
    let r = exec_rec(&sensor, "#! script", pid);
    assert_eq!((s(&r, "filename"), s(&r, "exe")), ("./x.sh", "/usr/bin/dash"), "{r}");
    assert_eq!((s(&r, "interpreter"), s(&r, "script_source")), ("/bin/sh", "kernel"), "{r}");
    assert_eq!((s(&r, "script"), &r["args"]), (sh.to_str().expect("utf-8"), &json!(["/bin/sh", "./x.sh", "a"])), "{r}");

    // python3 -u x.py (relative): the interpreter's first operand, against the cwd
    let pid = run(Command::new(PYTHON).args(["-u", "x.py"]).current_dir(&dir.0));
    let r = exec_rec(&sensor, "python3 x.py", pid);
    let python_exe = fs::canonicalize(PYTHON).expect("python3");
    assert_eq!((s(&r, "exe"), s(&r, "interpreter")), (python_exe.to_str().unwrap(), s(&r, "exe")), "{r}");
    assert_eq!((s(&r, "script"), s(&r, "script_source")), (py.to_str().expect("utf-8"), "argv"), "{r}");

    // the dynamic loader run by hand: the program it loads
    let loader = "/lib64/ld-linux-x86-64.so.2";
    let pid = run(Command::new(loader).args(["--inhibit-cache", "/usr/bin/true"]));
    let r = exec_rec(&sensor, "ld.so /usr/bin/true", pid);
    assert_eq!(Path::new(s(&r, "exe")), fs::canonicalize(loader).expect("ld.so"), "{r}");
    assert_eq!((s(&r, "script"), s(&r, "script_source")), ("/usr/bin/true", "argv"), "{r}");

    // inline code and an ordinary program: no script
    let inline = run(Command::new(PYTHON).args(["-c", "pass", "x.py"]));
    let plain = run(&mut Command::new("/usr/bin/true"));
    for (what, pid) in [("python3 -c", inline), ("true", plain)] {
        let r = exec_rec(&sensor, what, pid);
        assert_eq!((&r["script"], &r["interpreter"], &r["script_source"]), (&Value::Null, &Value::Null, &Value::Null));
    }
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    final_health(&records);
}

/// Attaches to `pid`, writes its registers back (PTRACE_SETREGS) and detaches.
const TRACER: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
pid = int(sys.argv[1])
if libc.ptrace(16, pid, None, None) != 0: sys.exit("attach: %d" % ctypes.get_errno())
os.waitpid(pid, 0)
regs = ctypes.create_string_buffer(27 * 8)
if libc.ptrace(12, pid, None, regs) != 0: sys.exit("getregs: %d" % ctypes.get_errno())
if libc.ptrace(13, pid, None, regs) != 0: sys.exit("setregs: %d" % ctypes.get_errno())
libc.ptrace(17, pid, None, None)
"#;

fn ptrace_rec(sensor: &Sensor, tracer: u32, request: &str) -> Value {
    sensor.wait_for(&format!("{request} by {tracer}"), |v| {
        is(v, "process_ptrace") && v["pid"] == tracer && v["request"] == request
    })
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).spawn().expect("spawn target")
}

#[test]
#[cfg(target_arch = "x86_64")]
fn ptrace_records_name_the_target_and_register_writes_into_another_program_alert() {
    let sensor = Sensor::start(&config());
    let dir = TempDir::new("ptrace");
    let tracer = dir.path("tracer.py");
    fs::write(&tracer, TRACER).expect("write tracer");
    let mut sleeper = spawn(Command::new("/usr/bin/sleep").arg("30"));
    let mut twin = spawn(Command::new(PYTHON).args(["-c", "import time; time.sleep(30)"]));
    // the targets' execs first, so the sensor's table knows them
    exec_rec(&sensor, "sleep exec", sleeper.id());
    exec_rec(&sensor, "python twin exec", twin.id());

    let pid = run(Command::new(PYTHON).arg(&tracer).arg(sleeper.id().to_string()));
    let r = exec_rec(&sensor, "tracer exec", pid);
    assert_eq!(s(&r, "script"), tracer.to_str().expect("utf-8"), "{r}");
    for request in ["PTRACE_ATTACH", "PTRACE_SETREGS"] {
        let r = ptrace_rec(&sensor, pid, request);
        assert_eq!((n(&r, "target_pid"), n(&r, "result")), (i64::from(sleeper.id()), 0), "{r}");
        assert_eq!((s(&r, "target_comm"), s(&r, "target_exe")), ("sleep", "/usr/bin/sleep"), "{r}");
        assert_eq!((s(&r, "target_cmdline"), &r["target_same_exe"]), ("/usr/bin/sleep 30", &json!(false)), "{r}");
    }
    let (alert, source) = expect_alert(&sensor, "RG-INJECT-PTRACE", "SETREGS into sleep", |a| a["pid"] == pid);
    assert_eq!(s(&source, "request"), "PTRACE_SETREGS", "{alert}");

    // the same program tracing a copy of itself (python into python): no alert
    let benign = run(Command::new(PYTHON).arg(&tracer).arg(twin.id().to_string()));
    let r = ptrace_rec(&sensor, benign, "PTRACE_SETREGS");
    assert_eq!((n(&r, "target_pid"), &r["target_same_exe"]), (i64::from(twin.id()), &json!(true)), "{r}");
    expect_no_alert(&sensor, "RG-INJECT-PTRACE", "python tracing python", |a| a["pid"] == benign);

    for c in [&mut sleeper, &mut twin] {
        c.kill().expect("kill target");
        c.wait().expect("reap target");
    }
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    final_health(&records);
}
