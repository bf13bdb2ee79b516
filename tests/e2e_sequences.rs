//! Privileged end-to-end tests of the default pack's sequence rules
//! (`config/rules/`): the real sensor, real activity in order (a drop then
//! its exec, a decoder piped into a shell, a web server's shell connecting
//! out), the alert on the step that completes the sequence, and a benign
//! look-alike that must stay quiet. The single-event rules are in e2e_rules.
//! Run as root, serially: `cargo test --test e2e_sequences -- --test-threads=1`.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::rule_pack::*;
use common::tools::*;
use common::*;
use serde_json::Value;

// ------------------------------------------------------------- sequences

#[test]
fn seq_web_shell_connect() {
    let sensor = Sensor::start(&rules_config());
    let (listener, port) = listen_benign();
    let tools = Tools::new();
    let nginx = tools.tool("nginx", "/bin/sh");
    let script = format!("/usr/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'; exit 0");
    let web = run(Command::new(&nginx).args(["-c", &script]));
    let _c = listener.accept().expect("accept");
    let (a, _) = expect_alert(&sensor, "RG-SEQ-WEB-SHELL-CONNECT", "nginx -> bash -> connect", |v| {
        v["ppid"] == web && v["remote_port"] == port
    });
    assert_eq!(s(&a, "source_event_type"), "network_connect");
    assert_eq!(s(&a, "remote_addr"), "127.0.0.1");
    assert_eq!(s(&a, "comm"), "bash");
    let seq = a["sequence"].as_array().unwrap_or_else(|| panic!("sequence: {a}"));
    assert!(seq.iter().any(|st| st.as_str().is_some_and(|st| st.contains("process_exec"))), "{a}");

    // benign: the web server itself connects out (a reverse proxy) — no shell
    let proxy = tools.tool("nginx-proxy", "/usr/bin/bash");
    let nginx2 = tools.0.join("nginx");
    fs::remove_file(&nginx2).expect("rm");
    fs::rename(&proxy, &nginx2).expect("rename");
    let (l2, p2) = listen_benign();
    let b = run(Command::new(&nginx2).args(["-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{p2}")]));
    let _c2 = l2.accept().expect("accept");
    let c = sensor.wait_for("nginx connect", |v| is(v, "network_connect") && v["pid"] == b && v["remote_port"] == p2);
    assert_eq!(s(&c, "comm"), "nginx");
    expect_no_alert(&sensor, "RG-SEQ-WEB-SHELL-CONNECT", "nginx connecting itself", |v| v["pid"] == b);
}

#[test]
fn seq_drop_exec() {
    let sensor = Sensor::start(&rules_config());
    let dir = TempDir::new("drop");
    let x = dir.path("x");
    fs::copy("/usr/bin/true", &x).expect("drop");
    fs::set_permissions(&x, fs::Permissions::from_mode(0o755)).expect("chmod +x");
    let x_s = x.to_str().expect("utf-8").to_string();
    let pid = run(&mut Command::new(&x));
    let (a, _) = expect_alert(&sensor, "RG-SEQ-DROP-EXEC", "dropped binary run", |v| v["pid"] == pid);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "exe"), x_s);
    assert_eq!(s(&a, "filename"), x_s);
    let seq = a["sequence"].as_array().unwrap_or_else(|| panic!("sequence: {a}"));
    assert!(seq.iter().any(|st| st.as_str().is_some_and(|st| st.contains(&x_s))), "{a}");

    // benign: a file written in /tmp and only read, never executed
    let data = dir.path("data");
    let data_s = data.to_str().expect("utf-8").to_string();
    let w = sh(&format!("echo hello > {data_s}"));
    let r = run(Command::new("/usr/bin/cat").arg(&data));
    open_of(&sensor, "data written", w, &data_s);
    open_of(&sensor, "data read", r, &data_s);
    expect_no_alert(&sensor, "RG-SEQ-DROP-EXEC", "file written in /tmp, never executed", |v| {
        pid_in(v, &[w, r]) || v["exe"] == data_s.as_str() || v["path"] == data_s.as_str()
    });

    // benign: a program built in /tmp by the real compiler (its linker
    // writes the file) and run, as any developer does
    let src = dir.path("hello.c");
    fs::write(&src, "int main(void) { return 0; }\n").expect("write hello.c");
    let built = dir.path("hello");
    let built_s = built.to_str().expect("utf-8").to_string();
    let st = Command::new("cc").arg("-o").arg(&built).arg(&src).status().expect("run cc");
    assert!(st.success(), "cc: {st}");
    let ran = run(&mut Command::new(&built));
    let linked = sensor.wait_for("the linker writing the program", |v| {
        (is(v, "file_open") || is(v, "file_write")) && v["path"] == built_s.as_str() && v["access"] != "read"
    });
    assert!(s(&linked, "exe").contains("ld"), "written by the linker: {linked}");
    sensor.wait_for("the built program's exec", |v| is(v, "process_exec") && v["pid"] == ran);
    expect_no_alert(&sensor, "RG-SEQ-DROP-EXEC", "a program linked in /tmp and run", |v| {
        v["pid"] == ran || v["exe"] == built_s.as_str()
    });
}

/// `echo <base64 of "echo hi"> | base64 -d | sh`, with the decoder exec'd
/// first (`first_decoder`) or the shell exec'd first.
fn decode_pipeline(first_decoder: bool) -> u32 {
    if first_decoder {
        sh("echo ZWNobyBoaQ== | base64 -d | (sleep 0.3; exec sh); exit 0")
    } else {
        sh("echo ZWNobyBoaQ== | (sleep 0.3; exec base64 -d) | sh; exit 0")
    }
}

fn decoder_exec(sensor: &Sensor, outer: u32) -> Value {
    sensor.wait_for("base64 -d", |v| is(v, "process_exec") && v["ppid"] == outer && v["comm"] == "base64")
}

#[test]
fn seq_decode_to_shell() {
    let sensor = Sensor::start(&rules_config());
    let outer = decode_pipeline(true);
    let (a, _) = expect_alert(&sensor, "RG-SEQ-DECODE-TO-SHELL", "base64 -d | sh", |v| v["ppid"] == outer);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "comm"), "sh");
    assert_eq!(s(&a, "stdin"), "pipe");
    let dec = decoder_exec(&sensor, outer);
    assert_eq!(s(&dec, "stdout"), "pipe");
    let seq = a["sequence"].as_array().unwrap_or_else(|| panic!("sequence: {a}"));
    assert!(seq.iter().any(|st| st.as_str().is_some_and(|st| st.contains(&format!("pid={}", n(&dec, "pid"))))), "{a}");

    // benign: decoded to a pager, not to a shell
    let b = sh("echo ZWNobyBoaQ== | base64 -d | cat; exit 0");
    decoder_exec(&sensor, b);
    sensor.wait_for("cat", |v| is(v, "process_exec") && v["ppid"] == b && v["comm"] == "cat");
    expect_no_alert(&sensor, "RG-SEQ-DECODE-TO-SHELL", "base64 -d | cat", |v| v["ppid"] == b);
}

#[test]
fn seq_decode_to_shell_r() {
    let sensor = Sensor::start(&rules_config());
    let outer = decode_pipeline(false);
    let (a, _) = expect_alert(&sensor, "RG-SEQ-DECODE-TO-SHELL-R", "sh first, then base64 -d", |v| v["ppid"] == outer);
    assert_eq!(s(&a, "source_event_type"), "process_exec");
    assert_eq!(s(&a, "comm"), "base64");
    assert_eq!(s(&a, "stdout"), "pipe");
    assert!(has_str(&a, "args", "-d"), "{a}");
    let shell = sensor.wait_for("sh", |v| is(v, "process_exec") && v["ppid"] == outer && v["comm"] == "sh");
    assert_eq!(s(&shell, "stdin"), "pipe");
    let seq = a["sequence"].as_array().unwrap_or_else(|| panic!("sequence: {a}"));
    assert!(
        seq.iter().any(|st| st.as_str().is_some_and(|st| st.contains(&format!("pid={}", n(&shell, "pid"))))),
        "{a}"
    );

    // benign: a shell reading a pipe, then a decode to a file
    let dir = TempDir::new("decode");
    let b = sh(&format!("echo 'echo hi' | sh; echo ZWNobyBoaQ== | base64 -d > {}/out; exit 0", dir.str()));
    decoder_exec(&sensor, b);
    expect_no_alert(&sensor, "RG-SEQ-DECODE-TO-SHELL-R", "sh reading a pipe, base64 -d to a file", |v| v["ppid"] == b);
}
