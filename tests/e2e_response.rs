//! Privileged end-to-end tests of `[response] deny_exec`: the real kernel
//! kills a denied executable at exec (by inode, so a hard link under
//! another name too), before its first instruction; `dry_run` and
//! `monitor` never kill. Each test shares one sensor between its checks.

mod common;

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use common::*;
use serde_json::Value;

const DENY_ID: &str = "RG-RESPONSE-DENY-EXEC";

/// The files the tests run: two copies of /bin/echo (one denied), a hard
/// link to the denied copy under another name, and a C program whose first
/// action is to create the file named by its argument.
struct Files {
    dir: TempDir,
    denied: PathBuf,
    linked: PathBuf,
    other: PathBuf,
    marker_writer: PathBuf,
}

impl Files {
    fn new(tag: &str) -> Files {
        let dir = TempDir::new(tag);
        let (denied, linked, other) = (dir.path("denied-echo"), dir.path("renamed-link"), dir.path("other-echo"));
        fs::copy("/bin/echo", &denied).expect("copy /bin/echo");
        fs::copy("/bin/echo", &other).expect("copy /bin/echo");
        fs::hard_link(&denied, &linked).expect("hard link");
        let src = dir.path("marker.c");
        fs::write(
            &src,
            "#include <fcntl.h>\nint main(int argc, char **argv) {\n\
             \treturn argc > 1 && open(argv[1], O_CREAT | O_WRONLY, 0644) >= 0 ? 0 : 1;\n}\n",
        )
        .expect("write marker.c");
        let marker_writer = dir.path("marker-writer");
        let out = Command::new("cc").arg("-O2").arg("-o").arg(&marker_writer).arg(&src).output().expect("run cc");
        assert!(out.status.success(), "cc failed: {}", String::from_utf8_lossy(&out.stderr));
        Files { dir, denied, linked, other, marker_writer }
    }

    /// A sensor config in `mode` denying the echo copy and the C program.
    fn config(&self, mode: &str) -> String {
        format!(
            r#"
[agent]
id = "e2e-host"
mode = "{mode}"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "execveat", "fork", "exit"]

[file]
enabled = false

[response]
deny_exec = ["{}", "{}"]
"#,
            self.denied.display(),
            self.marker_writer.display()
        )
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// Runs `prog args`, returning its pid, status and stdout.
fn run_it(prog: &Path, args: &[&str]) -> (u32, ExitStatus, String) {
    let child = Command::new(prog)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", prog.display()));
    let pid = child.id();
    let out = child.wait_with_output().expect("wait");
    (pid, out.status, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn deny_alert(sensor: &Sensor, pid: u32) -> Value {
    sensor.wait_for(&format!("{DENY_ID} for pid {pid}"), |v| {
        is(v, "alert") && s(v, "rule_id") == DENY_ID && n(v, "pid") == i64::from(pid)
    })
}

fn alerts_for(records: &[Value], pid: u32) -> Vec<&Value> {
    records.iter().filter(|v| is(v, "alert") && s(v, "rule_id") == DENY_ID && n(v, "pid") == i64::from(pid)).collect()
}

#[test]
fn enforce_kills_denied_executables_by_inode_before_they_run() {
    let f = Files::new("resp-enforce");
    let sensor = Sensor::start(&f.config("enforce"));

    // the denied copy: SIGKILL, and echo never printed
    let (pid, status, out) = run_it(&f.denied, &["must-not-print"]);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "denied echo: {status:?}");
    assert_eq!(out, "", "the denied program ran");
    let a = deny_alert(&sensor, pid);
    assert_eq!(s(&a, "action_taken"), "killed");
    assert_eq!(s(&a, "action_reason"), "deny_exec");
    assert_eq!(s(&a, "action"), "kill");
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "exe"), p(&f.denied));
    let latency = n(&a, "response_latency_ns");
    assert!((1..1_000_000_000).contains(&latency), "response_latency_ns {latency}");
    eprintln!("deny_exec kill latency (exec tracepoint to bpf_send_signal): {latency} ns");

    // the same inode under another name: killed too
    let (link_pid, status, out) = run_it(&f.linked, &["must-not-print"]);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "hard link: {status:?}");
    assert_eq!(out, "");
    let a = deny_alert(&sensor, link_pid);
    assert_eq!(s(&a, "action_taken"), "killed");
    assert_eq!(s(&a, "exe"), p(&f.linked));

    // renamed after the sensor loaded its list: still the same inode
    let moved = f.dir.path("moved-writer");
    fs::rename(&f.marker_writer, &moved).expect("rename");
    let marker = f.dir.path("marker");
    let (writer_pid, status, _) = run_it(&moved, &[p(&marker)]);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "marker writer: {status:?}");
    assert!(!marker.exists(), "the killed program created its marker: it ran an instruction");
    assert_eq!(s(&deny_alert(&sensor, writer_pid), "action_taken"), "killed");

    // another copy of the same program is a different file: not denied
    let (other_pid, status, out) = run_it(&f.other, &["allowed"]);
    assert!(status.success(), "other echo: {status:?}");
    assert_eq!(out, "allowed\n");
    exec_of(&sensor, "the allowed copy", other_pid, "other-echo");

    let (_, records, stderr) = sensor.stop_with(libc::SIGINT);
    assert!(alerts_for(&records, other_pid).is_empty(), "an alert for the allowed copy");
    for pid in [pid, link_pid, writer_pid] {
        assert_eq!(alerts_for(&records, pid).len(), 1, "one alert for pid {pid}");
    }
    let h = final_health(&records);
    assert_eq!(n(&h, "response_kills"), 3, "health: {h}\n{stderr}");
    assert_eq!(n(&h, "response_would_kills"), 0);
    assert_eq!(n(&h, "response_failures"), 0);
    assert!(n(&h, "kernel_response_kills") >= 3, "health: {h}");
}

#[test]
fn dry_run_reports_would_kill_and_kills_nothing() {
    let f = Files::new("resp-dry");
    let sensor = Sensor::start(&f.config("dry_run"));

    let (pid, status, out) = run_it(&f.denied, &["still-runs"]);
    assert!(status.success(), "dry_run killed: {status:?}");
    assert_eq!(out, "still-runs\n");
    let a = deny_alert(&sensor, pid);
    assert_eq!(s(&a, "action_taken"), "would_kill");
    assert!(n(&a, "response_latency_ns") >= 0);

    let marker = f.dir.path("marker");
    let (writer_pid, status, _) = run_it(&f.marker_writer, &[p(&marker)]);
    assert!(status.success(), "dry_run killed the marker writer: {status:?}");
    assert!(marker.exists(), "the marker writer did not run");
    assert_eq!(s(&deny_alert(&sensor, writer_pid), "action_taken"), "would_kill");

    let (_, records, _) = sensor.stop_with(libc::SIGINT);
    let h = final_health(&records);
    assert_eq!(n(&h, "response_kills"), 0, "health: {h}");
    assert_eq!(n(&h, "response_would_kills"), 2, "health: {h}");
    assert_eq!(n(&h, "kernel_response_kills"), 0, "health: {h}");
    assert!(n(&h, "kernel_response_spared") >= 2, "health: {h}");
}

#[test]
fn monitor_and_detect_never_act_on_the_deny_list() {
    let f = Files::new("resp-monitor");
    for mode in ["monitor", "detect"] {
        let sensor = Sensor::start(&f.config(mode));
        assert!(sensor.stderr().contains("response.deny_exec is not enforced"), "{mode}: {}", sensor.stderr());
        let (pid, status, out) = run_it(&f.denied, &["runs"]);
        assert!(status.success(), "{mode} killed: {status:?}");
        assert_eq!(out, "runs\n");
        let exec = exec_of(&sensor, "the denied copy in a mode that never acts", pid, "denied-echo");
        assert!(exec.get("action_taken").is_none(), "{exec}");
        let (_, records, _) = sensor.stop_with(libc::SIGINT);
        assert!(alerts_for(&records, pid).is_empty(), "{mode}: an alert for a mode that never acts");
        let h = final_health(&records);
        assert_eq!(n(&h, "kernel_response_kills") + n(&h, "kernel_response_spared"), 0, "{mode}: {h}");
    }
}
