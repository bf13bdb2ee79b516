//! Privileged end-to-end test of the enrichment every record gets (one
//! sensor): the parent's command line, user names from the host's passwd
//! (a command run as nobody through setpriv), exec ids linking a child to
//! the image that started it, and `exe_sha256` against `sha256sum`.

mod common;

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use common::tools::run;
use common::*;
use serde_json::Value;

fn config() -> String {
    r#"
[agent]
id = "e2e-host"

[output]
health_interval_secs = 1

[process]
hooks = ["execve", "execveat", "fork", "exit"]

[file]
hooks = ["unlink"]
watch_paths = ["/etc/rg-e2e"]
"#
    .to_string()
}

fn is_exec_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

#[test]
fn records_name_the_parent_command_users_exec_ids_and_the_hash() {
    let sensor = Sensor::start(&config());

    // sh forks, the child execs setpriv, which drops to nobody and execs id
    // (the trailing `true` keeps sh from exec'ing its last command itself)
    let script = "setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/id -u >/dev/null; true # rg-enrich";
    let sh_pid = run(Command::new("/bin/sh").args(["-c", script]));
    let sh = exec_of(&sensor, "the shell's exec", sh_pid, "sh");
    assert!(is_exec_id(&sh["exec_id"]), "{sh}");
    assert_eq!(sh["user"], "root", "{sh}");
    assert_eq!(sh["euser"], "root", "{sh}");

    let id = sensor.wait_for("id run as nobody", |v| is(v, "process_exec") && v["ppid"] == sh_pid && v["comm"] == "id");
    assert_eq!(n(&id, "uid"), 65534, "{id}");
    assert_eq!(id["user"], "nobody", "{id}");
    assert_eq!(id["euser"], "nobody", "{id}");
    assert_eq!(id["parent_cmdline"], format!("/bin/sh -c {script}"), "{id}");
    assert_eq!(id["parent_exec_id"], sh["exec_id"], "child's parent_exec_id is the parent's exec_id: {id}");
    assert!(is_exec_id(&id["exec_id"]), "{id}");

    // the same child ran setpriv first, as root: another image, another id
    let child = n(&id, "pid");
    let setpriv = sensor.wait_for("setpriv", |v| is(v, "process_exec") && v["pid"] == child && v["comm"] == "setpriv");
    assert_eq!(setpriv["user"], "root", "{setpriv}");
    assert_eq!(setpriv["parent_exec_id"], sh["exec_id"], "{setpriv}");
    assert_ne!(setpriv["exec_id"], id["exec_id"], "two execs of one process have two ids");
    let fork = sensor.wait_for("the fork of the child", |v| is(v, "process_fork") && v["pid"] == child);
    assert!(is_exec_id(&fork["exec_id"]), "{fork}");
    assert_ne!(fork["exec_id"], setpriv["exec_id"], "{fork}");
    assert_eq!(fork["parent_exec_id"], sh["exec_id"], "{fork}");

    // a program never seen before: its first exec is hashed in the
    // background (null on that record); a later exec carries the hash
    let dir = TempDir::new("enrich");
    let prog = dir.path("rg-enrich-true");
    fs::copy("/usr/bin/true", &prog).expect("copy true");
    let prog_str = prog.to_str().expect("utf-8").to_string();
    let want = {
        let out = Command::new("sha256sum").arg(&prog).output().expect("sha256sum");
        assert!(out.status.success(), "sha256sum failed");
        String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("a hash").to_string()
    };
    let first_pid = run(&mut Command::new(&prog));
    let first = exec_of(&sensor, "the first exec of the copy", first_pid, "rg-enrich-true");
    assert_eq!(first["exe"], prog_str.as_str(), "{first}");
    assert!(first["exe_sha256"].is_null(), "pending on the first exec: {first}");
    // generous: the worker reads a small file; only a worker that never answers fails
    let deadline = Instant::now() + Duration::from_secs(30);
    let hashed = loop {
        let pid = run(&mut Command::new(&prog));
        let rec = exec_of(&sensor, "a later exec of the copy", pid, "rg-enrich-true");
        if !rec["exe_sha256"].is_null() {
            break rec;
        }
        assert!(Instant::now() < deadline, "no exec of {prog_str} ever carried a hash: {rec}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(s(&hashed, "exe_sha256"), want, "{hashed}");

    // the records of a process carry its exec id; not a process_exec: no hash field
    let exit = sensor.wait_for("the copy's exit", |v| is(v, "process_exit") && v["pid"] == hashed["pid"]);
    assert_eq!(exit["exec_id"], hashed["exec_id"], "{exit}");
    assert!(exit.get("exe_sha256").is_none(), "{exit}");
    assert!(sensor.bad_lines().is_empty(), "{:?}", sensor.bad_lines());
}
