//! Privileged end-to-end tests of issue 18's "rules that trust names": each
//! test makes the real bypass against the real sensor and the default pack
//! (a process renamed with prctl, a renamed copy, a symlink, argv[0], another
//! spelling of an option) and asserts that the rule still fires with the
//! record's real fields, and that the real exempt program stays quiet.
//! Run as root, serially: `cargo test --test e2e_rule_bypass -- --test-threads=1`.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::rule_pack::*;
use common::tools::*;
use common::*;
use serde_json::Value;

fn link(dir: &Path, name: &str, target: &str) -> PathBuf {
    let p = dir.join(name);
    symlink(target, &p).unwrap_or_else(|e| panic!("symlink {}: {e}", p.display()));
    p
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Package managers are exempt from the persistence rules by their
/// executable: a process that calls itself dpkg is not.
#[test]
fn package_manager_exemption_needs_the_real_executable() {
    let sensor = Sensor::start(&rules_config());
    let tools = Tools::new();
    // prctl(PR_SET_NAME, "dpkg"), then a cron job
    let job = Restore::new(format!("/etc/cron.d/rg-e2e-bypass-{}", my_pid()));
    let script =
        "import ctypes, sys; ctypes.CDLL(None).prctl(15, b'dpkg'); open(sys.argv[1], 'w').write('# rg-e2e\\n')";
    let pid = python(script, &[job.str()]);
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-CRON", "python renamed dpkg", |v| v["pid"] == pid);
    assert_eq!(s(&a, "comm"), "dpkg");
    assert_eq!(s(&a, "path"), job.str());
    assert!(s(&a, "exe").contains("python"), "{a}");
    // a copy of sh named dpkg, writing a sudoers drop-in
    let dpkg_copy = tools.tool("dpkg", "/bin/sh");
    let drop_in = Restore::new(format!("/etc/sudoers.d/rg-e2e-bypass-{}", my_pid()));
    let pid = run(Command::new(&dpkg_copy).args(["-c", &format!("echo '# rg-e2e' > {}", drop_in.str())]));
    let (a, _) = expect_alert(&sensor, "RG-PRIV-SUDOERS", "a copy of sh named dpkg", |v| v["pid"] == pid);
    assert_eq!(s(&a, "comm"), "dpkg");
    assert_eq!(s(&a, "exe"), path_str(&dpkg_copy));
    // a symlink named apt-get to sh, writing a profile.d script
    let apt = link(&tools.0, "apt-get", "/bin/sh");
    let rc = Restore::new(format!("/etc/profile.d/rg-e2e-bypass-{}.sh", my_pid()));
    let pid = run(Command::new(&apt).args(["-c", &format!("echo '# rg-e2e' > {}", rc.str())]));
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-SHELL-RC", "a link named apt-get to sh", |v| v["pid"] == pid);
    assert_eq!(s(&a, "comm"), "apt-get");
    assert_eq!(s(&a, "exe"), fs::canonicalize("/bin/sh").expect("resolve /bin/sh").to_str().expect("utf-8"));

    // benign: the real dpkg writing into cron.d (its log, as `--log` asks)
    let pkg = Restore::new(format!("/etc/cron.d/rg-e2e-pkg-{}", my_pid()));
    let log = format!("--log={}", pkg.str());
    let b = run(Command::new("/usr/bin/dpkg").args([log.as_str(), "--configure", "-a"]));
    let o = open_of(&sensor, "dpkg writing its log into cron.d", b, pkg.str());
    assert_eq!(s(&o, "exe"), "/usr/bin/dpkg");
    assert_eq!(s(&o, "access"), "write");
    expect_no_alert(&sensor, "RG-PERSIST-CRON", "the real dpkg", |v| v["pid"] == b);
}

/// The web shell rule judges the parent and the shell by their executables.
#[test]
fn web_shell_by_executables_not_names() {
    let sensor = Sensor::start(&rules_config());
    let tools = Tools::new();
    // the web server (a copy of sh named nginx) runs under the name kworker
    // (a link), and starts bash through a link named x
    let nginx = tools.tool("nginx", "/bin/sh");
    let kworker = link(&tools.0, "kworker", path_str(&nginx));
    let x = link(&tools.0, "x", "/usr/bin/bash");
    let web = run(Command::new(&kworker).args(["-c", &format!("{} -c 'exit 0'; exit 0", x.display())]));
    let (a, _) = expect_alert(&sensor, "RG-EXEC-WEB-SHELL", "kworker(nginx) -> x(bash)", |v| v["ppid"] == web);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "comm"), "x");
    assert_eq!(s(&a, "parent_comm"), "kworker");
    assert_eq!(s(&a, "exe"), fs::canonicalize("/usr/bin/bash").expect("bash").to_str().expect("utf-8"));
    assert_eq!(s(&a, "filename"), path_str(&x));
    let p = sensor.wait_for("the parent's record", |v| is(v, "process_exec") && v["pid"] == web);
    assert_eq!(s(&p, "exe"), path_str(&nginx));

    // benign: a shell whose process name is nginx (a link to sh) runs a shell
    let named = tools.0.join("named");
    fs::create_dir(&named).expect("mkdir");
    let fake_nginx = link(&named, "nginx", "/bin/sh");
    let b = run(Command::new(&fake_nginx).args(["-c", "/bin/sh -c 'exit 0'; exit 0"]));
    let e = sensor.wait_for("sh named nginx", |v| is(v, "process_exec") && v["pid"] == b);
    assert_eq!(s(&e, "comm"), "nginx");
    sensor.wait_for("its child sh", |v| is(v, "process_exec") && v["ppid"] == b);
    expect_no_alert(&sensor, "RG-EXEC-WEB-SHELL", "a shell named nginx", |v| v["ppid"] == b);
}

/// Puts a TCP connection on stdin and stdout and execs argv[2] as argv[3].
const EXEC_ON_SOCKET: &str = r#"
import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
os.dup2(s.fileno(), 0)
os.dup2(s.fileno(), 1)
os.execv(sys.argv[2], [sys.argv[3], "-c", "exit 0"])
"#;

/// A shell on a socket, whatever it is called: a link, a lying argv[0], a
/// renamed copy in a temporary directory.
#[test]
fn reverse_shell_by_executable_not_name() {
    let sensor = Sensor::start(&rules_config());
    let (listener, port) = listen_benign();
    let port_s = port.to_string();
    let tools = Tools::new();
    let dir = TempDir::new("bypass-shell");
    let x = link(&tools.0, "x", "/usr/bin/bash");
    let copy = dir.path("httpd");
    fs::copy("/usr/bin/bash", &copy).expect("copy bash");
    let mut pids = Vec::new();
    for (prog, argv0) in [(path_str(&x), "x"), ("/usr/bin/bash", "[kworker/0:1]"), (path_str(&copy), "httpd")] {
        let pid = python(EXEC_ON_SOCKET, &[&port_s, prog, argv0]);
        let _conn = listener.accept().expect("accept");
        let (a, _) = expect_alert(&sensor, "RG-EXEC-REVERSE-SHELL", prog, |v| v["pid"] == pid);
        assert_eq!(s(&a, "stdin"), "socket");
        assert_eq!(s(&a, "filename"), prog);
        assert!(has_str(&a, "args", argv0), "{a}");
        pids.push(pid);
    }
    let a = sensor.wait_for("the copy's alert", |v| is_alert(v, "RG-EXEC-REVERSE-SHELL") && v["pid"] == pids[2]);
    assert_eq!(s(&a, "exe"), path_str(&copy));

    // benign: true on a socket through a link named bash
    let fake = link(&tools.0, "bash", "/usr/bin/true");
    let b = python(EXEC_ON_SOCKET, &[&port_s, path_str(&fake), "bash"]);
    let _conn = listener.accept().expect("accept");
    let e = exec_of(&sensor, "true named bash", b, "bash");
    assert_eq!(s(&e, "stdin"), "socket");
    expect_no_alert(&sensor, "RG-EXEC-REVERSE-SHELL", "true named bash on a socket", |v| v["pid"] == b);
}

/// `echo <b64 of "exit 0"> | <decoder> | <shell>`, the decoder exec'd first.
fn decode_to(decoder: &str, shell: &str) -> u32 {
    sh(&format!("echo ZXhpdCAwCg== | {decoder} | (sleep 0.3; exec {shell}); exit 0"))
}

/// The decoder's exec record in the pipeline of `outer`.
fn decoder_of(sensor: &Sensor, outer: u32) -> Value {
    sensor.wait_for("the decoder", |v| is(v, "process_exec") && v["ppid"] == outer && v["stdout"] == "pipe")
}

/// base64's -d in other getopt spellings, through a link, into a renamed shell.
#[test]
fn decode_to_shell_any_spelling() {
    let sensor = Sensor::start(&rules_config());
    let tools = Tools::new();
    let dir = TempDir::new("bypass-decode");
    let b = link(&tools.0, "b", "/usr/bin/base64");
    let shell = dir.path("x");
    fs::copy("/usr/bin/dash", &shell).or_else(|_| fs::copy("/bin/sh", &shell)).expect("copy sh");
    let b_str = path_str(&b).to_string();
    for (decoder, shell, args) in [
        ("base64 -di".to_string(), "sh", &["-di"][..]),
        ("base64 -w 0 --dec".to_string(), "sh", &["-w", "0", "--dec"]),
        (format!("{b_str} -id"), "sh", &["-id"]),
        ("base64 --decode".to_string(), path_str(&shell), &["--decode"]),
    ] {
        let outer = decode_to(&decoder, shell);
        let (a, _) = expect_alert(&sensor, "RG-SEQ-DECODE-TO-SHELL", &decoder, |v| v["ppid"] == outer);
        assert_eq!(s(&a, "stdin"), "pipe");
        let want = if shell == "sh" { fs::canonicalize("/bin/sh").expect("sh") } else { PathBuf::from(shell) };
        assert_eq!(s(&a, "exe"), path_str(&want), "{a}");
        let dec = decoder_of(&sensor, outer);
        assert_eq!(s(&dec, "exe"), "/usr/bin/base64");
        let got: Vec<&str> = dec["args"].as_array().expect("args").iter().skip(1).filter_map(Value::as_str).collect();
        assert_eq!(got, args);
    }

    // benign: encoding into a shell (-w takes -d as its value: no decode)
    let outer = sh("echo exit | base64 -w -d 2>/dev/null | (sleep 0.3; exec sh 2>/dev/null); exit 0");
    let dec = decoder_of(&sensor, outer);
    assert!(has_str(&dec, "args", "-d"), "{dec}");
    sensor.wait_for("the shell", |v| is(v, "process_exec") && v["ppid"] == outer && v["stdin"] == "pipe");
    expect_no_alert(&sensor, "RG-SEQ-DECODE-TO-SHELL", "base64 -w -d | sh", |v| v["ppid"] == outer);
}

/// kmod picks its tool by argv[0]; a parent that calls itself a kernel
/// worker is not the kernel; a value can look like a dry run.
#[test]
fn kmod_load_by_argv0_and_real_options() {
    let sensor = Sensor::start(&rules_config());
    // No module tools on this image, and loading a module is not harmless:
    // real execs of kmod-named copies of true, as the rule sees a kmod.
    let tools = Tools::new();
    let kmod = tools.tool("kmod", "/usr/bin/true");
    let modprobe = tools.tool("modprobe", "/usr/bin/true");
    let x = link(&tools.0, "x", path_str(&kmod));
    let mut alerts = Vec::new();
    let pid = run(Command::new(&kmod).arg0("modprobe").arg("rg_e2e_dummy"));
    alerts.push((pid, "kmod as modprobe"));
    let pid = run(Command::new(&x).arg0("/sbin/insmod").arg("/nonexistent/rg-e2e.ko"));
    alerts.push((pid, "a link x to kmod as insmod"));
    let pid = run(Command::new(&modprobe).args(["-C", "-n", "rg_e2e_dummy"]));
    alerts.push((pid, "modprobe -C -n"));
    for (pid, what) in &alerts {
        let (a, _) = expect_alert(&sensor, "RG-EVADE-KMOD-LOAD", what, |v| v["pid"] == *pid);
        assert_eq!(s(&a, "source_event_type"), "process_exec");
    }
    let a = sensor.wait_for("kmod as modprobe", |v| is_alert(v, "RG-EVADE-KMOD-LOAD") && v["pid"] == alerts[0].0);
    assert_eq!(s(&a, "comm"), "kmod");
    assert_eq!(a["args"][0], "modprobe");
    // a parent renamed like a kernel worker
    let script = "import ctypes, subprocess, sys; ctypes.CDLL(None).prctl(15, b'kworker/0:1'); \
                  subprocess.run([sys.argv[1], 'rg_e2e_dummy'], check=True)";
    let parent = python(script, &[path_str(&modprobe)]);
    let (a, _) = expect_alert(&sensor, "RG-EVADE-KMOD-LOAD", "modprobe under a fake kworker", |v| v["ppid"] == parent);
    assert_eq!(s(&a, "parent_comm"), "kworker/0:1");

    // benign: dry runs in other spellings, and kmod as lsmod
    let mut pids = Vec::new();
    for args in
        [&["-qn", "rg_e2e_dummy"][..], &["rg_e2e_dummy", "--dry"], &["-C", "/etc/modprobe.d", "--show-depends", "x"]]
    {
        let p = run(Command::new(&modprobe).args(args));
        exec_of(&sensor, "benign modprobe", p, "modprobe");
        pids.push(p);
    }
    let p = run(Command::new(&kmod).arg0("lsmod"));
    exec_of(&sensor, "kmod as lsmod", p, "kmod");
    pids.push(p);
    expect_no_alert(&sensor, "RG-EVADE-KMOD-LOAD", "modprobe -qn / --dry / --show-depends, lsmod", |v| {
        pid_in(v, &pids)
    });
}
