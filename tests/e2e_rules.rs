//! Privileged end-to-end tests of the default rule pack (`config/rules/`):
//! the real sensor loads the real pack, each test does the real
//! malicious-looking activity on this host (harmlessly, restoring every file
//! it touches, even on panic) and asserts the alert, that the alert follows
//! its source record, and that a benign look-alike does NOT fire the rule.
//! Run as root, serially: `cargo test --test e2e_rules -- --test-threads=1`.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::rule_pack::*;
use common::tools::*;
use common::*;
use serde_json::Value;

// ------------------------------------------------------ credential access

#[test]
fn cred_sensitive_read() {
    let sensor = Sensor::start(&rules_config());
    let pid = run(Command::new("/usr/bin/cat").arg("/etc/shadow"));
    let (a, _) = expect_alert(&sensor, "RG-CRED-SENSITIVE-READ", "cat /etc/shadow", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), "/etc/shadow");
    assert_eq!(s(&a, "access"), "read");
    assert_eq!(s(&a, "comm"), "cat");

    // names are not identities: a copy of cat named unix_chkpwd, and a
    // python that renames itself sshd (prctl PR_SET_NAME), still alert
    let tools = Tools::new();
    let chkpwd = tools.tool("unix_chkpwd", "/usr/bin/cat");
    let fake = run(Command::new(&chkpwd).arg("/etc/shadow"));
    expect_alert(&sensor, "RG-CRED-SENSITIVE-READ", "a copy of cat named unix_chkpwd", |v| v["pid"] == fake);
    let renamed = python("import ctypes; ctypes.CDLL(None).prctl(15, b'sshd'); open('/etc/gshadow').read()", &[]);
    let (a, _) = expect_alert(&sensor, "RG-CRED-SENSITIVE-READ", "python named sshd", |v| v["pid"] == renamed);
    assert_eq!(s(&a, "comm"), "sshd");

    // benign: the real passwd reads the shadow file; cat reads /etc/passwd
    let p1 = run(Command::new("/usr/bin/passwd").args(["-S", "root"]).stdout(Stdio::null()));
    let p2 = run(Command::new("/usr/bin/cat").arg("/etc/passwd"));
    // debconf's front end, which apt runs at every install, reads it as root through perl
    let p3 = run(Command::new("/usr/sbin/dpkg-preconfigure").arg("--apt").stdin(Stdio::null()));
    open_of(&sensor, "dpkg-preconfigure reading /etc/shadow", p3, "/etc/shadow");
    open_of(&sensor, "passwd -S reading /etc/shadow", p1, "/etc/shadow");
    open_of(&sensor, "cat reading /etc/passwd", p2, "/etc/passwd");
    expect_no_alert(&sensor, "RG-CRED-SENSITIVE-READ", "passwd -S, dpkg-preconfigure, cat /etc/passwd", |v| {
        pid_in(v, &[p1, p2, p3])
    });
}

// ------------------------------------------------------- defense evasion

#[test]
fn evade_kmod_load() {
    let sensor = Sensor::start(&rules_config());
    // No module tools on this image, and loading a module is not harmless:
    // a real exec of a program named insmod, failing on a missing module.
    let tools = Tools::new();
    let insmod = tools.tool("insmod", "/usr/bin/false");
    let modprobe = tools.tool("modprobe", "/usr/bin/true");
    let (pid, st) = run_status(Command::new(&insmod).arg("/nonexistent/rg-e2e.ko"));
    assert!(!st.success());
    let (a, _) = expect_alert(&sensor, "RG-EVADE-KMOD-LOAD", "insmod", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "comm"), "insmod");
    assert!(has_str(&a, "args", "/nonexistent/rg-e2e.ko"), "args: {a}");
    let pid2 = run(Command::new(&modprobe).args(["rg_e2e_dummy"]));
    let (a, _) = expect_alert(&sensor, "RG-EVADE-KMOD-LOAD", "modprobe", |v| v["pid"] == pid2);
    assert_eq!(s(&a, "comm"), "modprobe");

    // benign: dry-run, removal, show-config
    let mut pids = Vec::new();
    for args in [&["-n", "rg_e2e_dummy"][..], &["-r", "rg_e2e_dummy"], &["--dry-run", "rg_e2e_dummy"], &["-c"]] {
        let p = run(Command::new(&modprobe).args(args));
        exec_of(&sensor, "benign modprobe", p, "modprobe");
        pids.push(p);
    }
    expect_no_alert(&sensor, "RG-EVADE-KMOD-LOAD", "modprobe -n/-r/--dry-run/-c", |v| pid_in(v, &pids));
}

#[test]
fn evade_history() {
    let sensor = Sensor::start(&rules_config());
    let dir = TempDir::new("history");
    let hist = dir.path(".bash_history");
    let hist_s = hist.to_str().expect("utf-8").to_string();
    let create = |p: &Path| {
        let mut f = fs::OpenOptions::new().write(true).create(true).truncate(false).open(p).expect("create history");
        f.write_all(b"ls\nid\n").expect("write history");
    };
    create(&hist);
    let rm = run(Command::new("/usr/bin/rm").arg(&hist));
    let (a, _) = expect_alert(&sensor, "RG-EVADE-HISTORY", "rm .bash_history", |v| v["pid"] == rm);
    assert_eq!(s(&a, "source_event_type"), "file_unlink");
    assert_eq!(s(&a, "path"), hist_s);
    create(&hist);
    let trunc = sh(&format!(": > '{hist_s}'"));
    let (a, _) = expect_alert(&sensor, "RG-EVADE-HISTORY", "truncate .bash_history", |v| v["pid"] == trunc);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), hist_s);
    assert!(has_str(&a, "flags", "O_TRUNC"), "flags: {a}");

    // benign: history appended (bash with histappend) and read
    let dir2 = TempDir::new("history-benign");
    let hist2 = dir2.path(".bash_history");
    let hist2_s = hist2.to_str().expect("utf-8").to_string();
    create(&hist2);
    let app = sh(&format!("echo 'uptime' >> '{hist2_s}'"));
    let cat = run(Command::new("/usr/bin/cat").arg(&hist2));
    let o = open_of(&sensor, "history append", app, &hist2_s);
    assert!(has_str(&o, "flags", "O_APPEND"), "{o}");
    open_of(&sensor, "history read", cat, &hist2_s);
    expect_no_alert(&sensor, "RG-EVADE-HISTORY", "append to / read .bash_history", |v| v["path"] == hist2_s.as_str());
}

#[test]
fn evade_timestomp() {
    let sensor = Sensor::start(&rules_config());
    // a file in a binary directory, backdated by touch -d, touch -r and os.utime
    let f = Restore::new(format!("/usr/local/bin/rg-e2e-stomp-{}", my_pid()));
    fs::write(&f.path, b"x").expect("write");
    let f_s = f.str();
    let p = run(Command::new("/usr/bin/touch").args(["-d", "2001-01-01", f_s]));
    let (a, src) = expect_alert(&sensor, "RG-EVADE-TIMESTOMP", "touch -d", |v| v["pid"] == p);
    assert_eq!((s(&a, "source_event_type"), s(&a, "path")), ("file_utimes", f_s), "{a}");
    assert_eq!((s(&src, "mtime"), s(&src, "mtime_set")), ("2001-01-01T00:00:00.000000000Z", "time"), "{src}");
    assert!(n(&src, "mtime_age_s") > 30 * 86_400, "{src}");
    let p2 = run(Command::new("/usr/bin/touch").args(["-r", "/bin/ls", f_s]));
    expect_alert(&sensor, "RG-EVADE-TIMESTOMP", "touch -r /bin/ls", |v| v["pid"] == p2);
    let p3 = python("import os, sys; os.utime(sys.argv[1], (978307200, 978307200))", &[f_s]);
    let (_, src) = expect_alert(&sensor, "RG-EVADE-TIMESTOMP", "os.utime", |v| v["pid"] == p3);
    assert_eq!((s(&src, "syscall"), n(&src, "mtime_sec")), ("utimensat", 978_307_200), "{src}");

    // benign: plain touch (now), and a backdated file in /tmp (not a system location)
    let b1 = run(Command::new("/usr/bin/touch").arg(f_s));
    let dir = TempDir::new("timestomp");
    let tmp = dir.path("f");
    let b2 = run(Command::new("/usr/bin/touch").args(["-d", "2001-01-01"]).arg(&tmp));
    for b in [b1, b2] {
        sensor.wait_for("benign touch", |v| is(v, "file_utimes") && v["pid"] == b);
    }
    expect_no_alert(&sensor, "RG-EVADE-TIMESTOMP", "touch now, touch -d in /tmp", |v| pid_in(v, &[b1, b2]));
}

// -------------------------------------------------------------- execution

#[test]
fn exec_web_shell() {
    let sensor = Sensor::start(&rules_config());
    let tools = Tools::new();
    let nginx = tools.tool("nginx", "/bin/sh");
    let web = run(Command::new(&nginx).args(["-c", "/bin/sh -c 'exit 0'; exit 0"]));
    let (a, _) = expect_alert(&sensor, "RG-EXEC-WEB-SHELL", "nginx -> sh", |v| v["ppid"] == web);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "comm"), "sh");
    assert_eq!(s(&a, "parent_comm"), "nginx");
    assert_eq!(s(&a, "filename"), "/bin/sh");

    // benign: the web server runs a non-shell program; a shell runs a shell
    let web2 = run(Command::new(&nginx).args(["-c", "/usr/bin/true; exit 0"]));
    let shell = sh("/bin/sh -c 'exit 0'; exit 0");
    sensor.wait_for("nginx -> true", |v| is(v, "process_exec") && v["ppid"] == web2 && v["comm"] == "true");
    sensor.wait_for("sh -> sh", |v| is(v, "process_exec") && v["ppid"] == shell);
    expect_no_alert(&sensor, "RG-EXEC-WEB-SHELL", "nginx -> true, sh -> sh", |v| {
        v["ppid"] == web2 || v["ppid"] == shell
    });
}

/// Connects to 127.0.0.1:`port` (or makes a unix socketpair when port is 0),
/// puts the socket on stdin and stdout, and execs `prog`.
const EXEC_ON_SOCKET: &str = r#"
import os, socket, sys
port, prog = int(sys.argv[1]), sys.argv[2]
if port:
    s = socket.create_connection(("127.0.0.1", port))
else:
    s, _peer = socket.socketpair()
os.dup2(s.fileno(), 0)
os.dup2(s.fileno(), 1)
os.execv(prog, [os.path.basename(prog)] + sys.argv[3:])
"#;

#[test]
fn exec_reverse_shell() {
    let sensor = Sensor::start(&rules_config());
    let (listener, port) = listen_benign();
    let port_s = port.to_string();
    let pid = python(EXEC_ON_SOCKET, &[&port_s, "/bin/sh", "-c", "exit 0"]);
    let _conn = listener.accept().expect("accept");
    let (a, _) = expect_alert(&sensor, "RG-EXEC-REVERSE-SHELL", "sh on a TCP socket", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "comm"), "sh");
    assert_eq!(s(&a, "stdin"), "socket");
    assert_eq!(s(&a, "stdout"), "socket");

    // benign: a non-shell on a socket (inetd-style service); a shell on pipes
    let b1 = python(EXEC_ON_SOCKET, &[&port_s, "/usr/bin/true"]);
    let _conn2 = listener.accept().expect("accept");
    let mut child = Command::new("/bin/sh")
        .args(["-c", "exit 0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh on pipes");
    let b2 = child.id();
    assert!(child.wait().expect("wait").success());
    let e = exec_of(&sensor, "true on a socket", b1, "true");
    assert_eq!(s(&e, "stdin"), "socket");
    let e = exec_of(&sensor, "sh on pipes", b2, "sh");
    assert_eq!(s(&e, "stdin"), "pipe");
    expect_no_alert(&sensor, "RG-EXEC-REVERSE-SHELL", "true on a socket, sh on pipes", |v| pid_in(v, &[b1, b2]));
}

const MEMFD_EXEC: &str = r#"
import os, sys
fd = os.memfd_create("rg-e2e-payload", 0)
with open("/usr/bin/true", "rb") as f:
    os.write(fd, f.read())
os.execv("/proc/self/fd/%d" % fd, ["rg-e2e-fileless"])
"#;

/// The look-alike: exec through /proc/self/fd of a file that is on disk.
const FD_EXEC: &str = r#"
import os
fd = os.open("/usr/bin/true", os.O_RDONLY)
os.execv("/proc/self/fd/%d" % fd, ["rg-e2e-fd-exec"])
"#;

#[test]
fn exec_fileless() {
    let sensor = Sensor::start(&rules_config());
    let pid = python(MEMFD_EXEC, &[]);
    // The exec record must name the image as the kernel does
    // (/proc/<pid>/exe: "/memfd:rg-e2e-payload (deleted)").
    let e = sensor
        .wait_for("exec from memfd", |v| is(v, "process_exec") && v["pid"] == pid && v["args"][0] == "rg-e2e-fileless");
    assert!(
        e["exe"].as_str().is_some_and(|x| x.starts_with("/memfd:rg-e2e-payload")),
        "SENSOR BUG: exe of a memfd exec should be /memfd:rg-e2e-payload (deleted), got {}",
        e["exe"]
    );
    let (a, _) = expect_alert(&sensor, "RG-EXEC-FILELESS", "exec from memfd", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert!(s(&a, "exe").starts_with("/memfd:rg-e2e-payload"), "exe: {a}");
    assert!(s(&a, "filename").starts_with("/proc/self/fd/"), "filename: {a}");

    // benign: fexecve-style exec of an on-disk file
    let b = python(FD_EXEC, &[]);
    let e = sensor.wait_for("exec via /proc/self/fd", |v| {
        is(v, "process_exec") && v["pid"] == b && v["args"][0] == "rg-e2e-fd-exec"
    });
    assert_eq!(s(&e, "exe"), fs::canonicalize("/usr/bin/true").expect("realpath").to_str().expect("utf-8"));
    expect_no_alert(&sensor, "RG-EXEC-FILELESS", "exec of /usr/bin/true via /proc/self/fd", |v| v["pid"] == b);
}

// ---------------------------------------------------------------- network

#[test]
fn net_suspicious_port() {
    let sensor = Sensor::start(&rules_config());
    let (listener, port) = listen_on(SUSPICIOUS_PORTS);
    let pid = bash_connect(port);
    let _c = listener.accept().expect("accept");
    let (a, _) = expect_alert(&sensor, "RG-NET-SUSPICIOUS-PORT", "connect to a backdoor port", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "network_connect");
    assert_eq!(n(&a, "remote_port"), port as i64);
    assert_eq!(s(&a, "remote_addr"), "127.0.0.1");
    assert_eq!(s(&a, "comm"), "bash");

    // benign: the same connection to an ordinary port
    let (l2, p2) = listen_benign();
    let b = bash_connect(p2);
    let _c2 = l2.accept().expect("accept");
    sensor.wait_for("benign connect", |v| is(v, "network_connect") && v["pid"] == b && v["remote_port"] == p2);
    expect_no_alert(&sensor, "RG-NET-SUSPICIOUS-PORT", "connect to an ordinary port", |v| v["pid"] == b);
}

// ------------------------------------------------------------ persistence

#[test]
fn persist_cron() {
    let sensor = Sensor::start(&rules_config());
    let job = Restore::new(format!("/etc/cron.d/rg-e2e-{}", my_pid()));
    let pid = sh(&format!("echo '# rg-e2e test entry, no job' > {}", job.str()));
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-CRON", "cron.d file written", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), job.str());
    assert_eq!(s(&a, "access"), "write");

    // benign: reading a cron file; the package manager (its executable) writing one
    let existing = fs::read_dir("/etc/cron.d")
        .expect("cron.d")
        .map(|e| e.expect("entry").path())
        .find(|p| p.is_file() && !p.to_string_lossy().contains("rg-e2e"))
        .unwrap_or_else(|| job.path.clone());
    let existing = existing.to_str().expect("utf-8").to_string();
    let b1 = run(Command::new("/usr/bin/cat").arg(&existing));
    let pkg = Restore::new(format!("/etc/cron.d/rg-e2e-pkg-{}", my_pid()));
    let log = format!("--log={}", pkg.str());
    let b2 = run(Command::new("/usr/bin/dpkg").args([log.as_str(), "--configure", "-a"]));
    open_of(&sensor, "cat a cron file", b1, &existing);
    open_of(&sensor, "dpkg writing cron.d", b2, pkg.str());
    expect_no_alert(&sensor, "RG-PERSIST-CRON", "cat cron file, dpkg installing one", |v| pid_in(v, &[b1, b2]));
}

const UNIT: &str = "[Unit]\nDescription=rg-e2e test unit (never enabled)\n\n[Service]\nExecStart=/bin/true\n";

#[test]
fn persist_systemd() {
    let sensor = Sensor::start(&rules_config());
    let system = Restore::new(format!("/etc/systemd/system/rg-e2e-{}.service", my_pid()));
    let user = Restore::new(format!("{}/.config/systemd/user/rg-e2e-{}.timer", home(), my_pid()));
    for unit in [&system, &user] {
        let pid = sh(&format!("printf '{}' > {}", UNIT.replace('\n', "\\n"), unit.str()));
        let (a, _) = expect_alert(&sensor, "RG-PERSIST-SYSTEMD", unit.str(), |v| v["pid"] == pid);
        assert_eq!(s(&a, "source_event_type"), "file_open");
        assert_eq!(s(&a, "path"), unit.str());
    }

    // benign: a unit file written outside unit dirs; an installed unit read
    let dir = TempDir::new("systemd");
    let stray = format!("{}/rg-e2e.service", dir.str());
    let b1 = sh(&format!("printf '{}' > {stray}", UNIT.replace('\n', "\\n")));
    let b2 = run(Command::new("/usr/bin/cat").arg(system.str()));
    open_of(&sensor, "unit written in /tmp", b1, &stray);
    open_of(&sensor, "unit read", b2, system.str());
    expect_no_alert(&sensor, "RG-PERSIST-SYSTEMD", "unit in /tmp, unit read", |v| pid_in(v, &[b1, b2]));
}

#[test]
fn persist_ssh_keys() {
    let sensor = Sensor::start(&rules_config());
    let keys = Restore::with_dir_mode(format!("{}/.ssh/authorized_keys", home()), 0o700);
    let pid = sh(&format!("echo '# rg-e2e test comment, not a key' >> {}", keys.str()));
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-SSH-KEYS", "authorized_keys appended", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), keys.str());
    assert!(has_str(&a, "flags", "O_APPEND"), "flags: {a}");

    // benign: ssh recording a host in known_hosts; authorized_keys read
    let known = Restore::new(format!("{}/.ssh/known_hosts", home()));
    let b1 = sh(&format!("echo '# rg-e2e test comment' >> {}", known.str()));
    let b2 = run(Command::new("/usr/bin/cat").arg(keys.str()));
    open_of(&sensor, "known_hosts appended", b1, known.str());
    open_of(&sensor, "authorized_keys read", b2, keys.str());
    expect_no_alert(&sensor, "RG-PERSIST-SSH-KEYS", "known_hosts write, authorized_keys read", |v| {
        pid_in(v, &[b1, b2])
    });
    drop(known);
}

#[test]
fn persist_shell_rc() {
    let sensor = Sensor::start(&rules_config());
    let rc = Restore::new(format!("{}/.bashrc", home()));
    let pid = sh(&format!("echo '# rg-e2e test line' >> {}", rc.str()));
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-SHELL-RC", "~/.bashrc appended", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), rc.str());
    let profile_d = Restore::new(format!("/etc/profile.d/rg-e2e-{}.sh", my_pid()));
    let pid = sh(&format!("echo '# rg-e2e test' > {}", profile_d.str()));
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-SHELL-RC", "/etc/profile.d file", |v| v["pid"] == pid);
    assert_eq!(s(&a, "path"), profile_d.str());

    // benign: ~/.bashrc read (every interactive shell); a .bashrc outside a home
    let b1 = run(Command::new("/usr/bin/cat").arg(rc.str()));
    let dir = TempDir::new("rc");
    let stray = format!("{}/.bashrc", dir.str());
    let b2 = sh(&format!("echo '# x' > {stray}"));
    open_of(&sensor, "bashrc read", b1, rc.str());
    open_of(&sensor, "stray .bashrc", b2, &stray);
    expect_no_alert(&sensor, "RG-PERSIST-SHELL-RC", "bashrc read, .bashrc in /tmp", |v| pid_in(v, &[b1, b2]));
}

#[test]
fn persist_ld_preload() {
    let sensor = Sensor::start(&rules_config());
    let preload = Restore::new("/etc/ld.so.preload");
    // An empty file (or the original bytes): it preloads nothing.
    let pid = if preload.original.is_some() { sh(": >> /etc/ld.so.preload") } else { sh(": > /etc/ld.so.preload") };
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-LD-PRELOAD", "ld.so.preload written", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), "/etc/ld.so.preload");
    assert_ne!(s(&a, "access"), "read");

    // benign: the dynamic loader of every program reads it
    let b = run(&mut Command::new("/usr/bin/true"));
    let o = open_of(&sensor, "ld.so reading ld.so.preload", b, "/etc/ld.so.preload");
    assert_eq!(s(&o, "access"), "read");
    expect_no_alert(&sensor, "RG-PERSIST-LD-PRELOAD", "ld.so reading it", |v| v["pid"] == b);
}

/// Removes the test account (or, failing that, restores the account files).
struct Account {
    name: String,
    backups: Vec<Restore>,
}

impl Drop for Account {
    fn drop(&mut self) {
        let ok = Command::new("/usr/sbin/userdel")
            .arg(&self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success() || s.code() == Some(6));
        let _ = fs::remove_file(format!("/var/mail/{}", self.name));
        if ok {
            for b in &mut self.backups {
                b.armed = false; // userdel undid useradd: leave the files as they are
            }
        }
    }
}

#[test]
fn persist_account() {
    let sensor = Sensor::start(&rules_config());
    let name = format!("rg-e2e-{}", my_pid());
    let files = ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"];
    let (pid, account) = if Path::new("/usr/sbin/useradd").exists() && Path::new("/usr/sbin/userdel").exists() {
        let account = Account { name: name.clone(), backups: files.iter().map(Restore::new).collect() };
        let pid = run(Command::new("/usr/sbin/useradd").args(["-M", "-s", "/usr/sbin/nologin", &name]));
        (pid, account)
    } else {
        let account = Account { name: name.clone(), backups: files.iter().map(Restore::new).collect() };
        let pid = sh(&format!("echo '{name}:x:64999:64999::/nonexistent:/usr/sbin/nologin' >> /etc/passwd"));
        (pid, account)
    };
    let (a, _) = expect_alert(&sensor, "RG-PERSIST-ACCOUNT", "useradd", |v| v["pid"] == pid);
    let target = if a["new_path"].is_string() { s(&a, "new_path") } else { s(&a, "path") };
    assert!(files.contains(&target), "an account file: {a}");
    assert!(["file_open", "file_write", "file_rename"].contains(&s(&a, "source_event_type")));
    assert!(fs::read_to_string("/etc/passwd").expect("passwd").contains(&format!("{name}:")));

    // benign: account lookups read the files
    let b1 = run(Command::new("/usr/bin/cat").arg("/etc/passwd"));
    let b2 = run(Command::new("/usr/bin/cat").arg("/etc/group"));
    open_of(&sensor, "cat /etc/passwd", b1, "/etc/passwd");
    open_of(&sensor, "cat /etc/group", b2, "/etc/group");
    expect_no_alert(&sensor, "RG-PERSIST-ACCOUNT", "reading passwd/group", |v| pid_in(v, &[b1, b2]));
    drop(account);
    assert!(!fs::read_to_string("/etc/passwd").expect("passwd").contains(&format!("{name}:")), "account removed");
}

// ------------------------------------------------------------- privilege

#[test]
fn priv_sudoers() {
    let sensor = Sensor::start(&rules_config());
    let sudoers = Restore::new("/etc/sudoers");
    let pid = sh("echo '# rg-e2e test comment' >> /etc/sudoers");
    let (a, _) = expect_alert(&sensor, "RG-PRIV-SUDOERS", "sudoers appended", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "file_open");
    assert_eq!(s(&a, "path"), "/etc/sudoers");
    let drop_in = Restore::new(format!("/etc/sudoers.d/rg-e2e-{}", my_pid()));
    let pid = sh(&format!("echo '# rg-e2e' > {}", drop_in.str()));
    let (a, _) = expect_alert(&sensor, "RG-PRIV-SUDOERS", "sudoers.d file", |v| v["pid"] == pid);
    assert_eq!(s(&a, "path"), drop_in.str());

    // benign: the policy read (a copy of sh named dpkg is no package manager:
    // e2e_rule_bypass.rs; the real dpkg's exemption: persist_cron)
    let b1 = run(Command::new("/usr/bin/cat").arg("/etc/sudoers"));
    open_of(&sensor, "sudoers read", b1, "/etc/sudoers");
    expect_no_alert(&sensor, "RG-PRIV-SUDOERS", "sudoers read", |v| pid_in(v, &[b1]));
    drop(drop_in);
    drop(sudoers);
}

#[test]
fn priv_setuid() {
    let sensor = Sensor::start(&rules_config());
    let dir = TempDir::new("setuid");
    let f = dir.path("bin");
    fs::copy("/usr/bin/true", &f).expect("copy");
    let f_s = f.to_str().expect("utf-8");
    // Judged by the mode the file was given: every spelling alerts, also
    // those an argv pattern missed (=4755, install -m, os.chmod).
    let reset = || fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).expect("reset mode");
    for (mode, suid, sgid) in
        [("u+s", true, false), ("4755", true, false), ("=4755", true, false), ("g+s", false, true)]
    {
        let pid = run(Command::new("/usr/bin/chmod").args([mode, f_s]));
        let (a, src) = expect_alert(&sensor, "RG-PRIV-SETUID", &format!("chmod {mode}"), |v| v["pid"] == pid);
        assert_eq!((s(&a, "source_event_type"), s(&a, "path")), ("file_chmod", f_s), "{a}");
        assert_eq!((&src["setuid"], &src["setgid"]), (&Value::Bool(suid), &Value::Bool(sgid)), "{src}");
        reset();
    }
    let installed = dir.path("installed");
    let pid = run(Command::new("/usr/bin/install").args(["-m", "4755", f_s]).arg(&installed));
    let (a, _) = expect_alert(&sensor, "RG-PRIV-SETUID", "install -m 4755", |v| v["pid"] == pid);
    assert_eq!(s(&a, "path"), installed.to_str().expect("utf-8"), "{a}");
    let pid = python("import os, sys; os.chmod(sys.argv[1], 0o6755)", &[f_s]);
    let (a, src) = expect_alert(&sensor, "RG-PRIV-SETUID", "python os.chmod 6755", |v| v["pid"] == pid);
    assert_eq!(
        (n(&src, "mode"), &src["setuid"], &src["setgid"]),
        (0o6755, &Value::Bool(true), &Value::Bool(true)),
        "{a}"
    );
    reset();
    assert_eq!(fs::metadata(&f).expect("stat").permissions().mode() & 0o7777, 0o755);

    // benign: ordinary modes, and removing the setuid/setgid bits
    let mut pids = Vec::new();
    for mode in ["755", "0755", "u+x", "u-s", "ug-s", "a-s"] {
        let p = run(Command::new("/usr/bin/chmod").args([mode, f_s]));
        sensor.wait_for(&format!("chmod {mode}"), |v| is(v, "file_chmod") && v["pid"] == p);
        pids.push(p);
    }
    expect_no_alert(&sensor, "RG-PRIV-SETUID", "chmod 755/u+x/u-s", |v| pid_in(v, &pids));
}
