//! Tests of the JSON writer (record bodies to NDJSON lines).

use super::*;
use crate::record::{Exec, File, Net, NetKind};
use std::sync::Arc;

fn base(body: Body) -> Record {
    Record {
        timestamp_ns: 1_795_338_000_000_000_007,
        host: Arc::from("h1"),
        pid: 10,
        tid: 11,
        ppid: 1,
        uid: 0,
        gid: 0,
        euid: 0,
        comm: "bash".into(),
        exe: Some(Arc::from("/usr/bin/bash")),
        cmdline: None,
        cmdline_source: None,
        parent_comm: Some("init".into()),
        parent_exe: None,
        context: Default::default(),
        parent_cmdline: None,
        user: None,
        euser: None,
        exec_id: None,
        parent_exec_id: None,
        body,
        detection: None,
    }
}

fn file(path: &str, op: FileOp, syscall: &'static str) -> Body {
    let (path_truncated, path_detached, io_uring) = (false, false, None);
    Body::File(File { path: path.into(), path_truncated, path_detached, op, syscall, io_uring })
}

fn line(r: &Record) -> serde_json::Value {
    let mut out = Vec::new();
    write_record(&mut out, r);
    assert_eq!(out.last(), Some(&b'\n'));
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
    serde_json::from_slice(&out).expect("valid JSON")
}

#[test]
fn the_eight_byte_scan_escapes_every_byte_the_table_does() {
    // every byte value, at every offset of strings spanning 1-3 chunks
    for b in 0u8..=0x7f {
        for len in [1usize, 7, 8, 9, 16, 23] {
            for at in 0..len {
                let mut text = vec![b'a'; len];
                text[at] = b;
                let s = std::str::from_utf8(&text).expect("ascii");
                let mut out = Vec::new();
                write_str(&mut out, s);
                let back: String = serde_json::from_slice(&out).expect("valid JSON");
                assert_eq!(back, s, "byte {b:#x} at {at} of {len}");
                let escaped = out.len() != len + 2;
                assert_eq!(escaped, NEEDS_ESCAPE[b as usize], "byte {b:#x} at {at} of {len}");
            }
        }
    }
    let mut out = Vec::new();
    write_str(&mut out, "/home/ü/naïve/\u{7f}\"x");
    assert_eq!(serde_json::from_slice::<String>(&out).expect("valid"), "/home/ü/naïve/\u{7f}\"x");
}

#[test]
fn hostile_strings_stay_one_valid_line() {
    let evil = "a\nb\"c\\d\u{1}e\u{7f}f\r\t\u{fffd}g";
    let r = base(file(evil, FileOp::Unlink { is_dir: false }, "unlink"));
    let v = line(&r);
    assert_eq!(v["path"], evil);
    assert_eq!(v["event_type"], "file_unlink");
    assert_eq!(v["timestamp"], "2026-11-22T09:00:00.000000007Z");
    assert_eq!(v["cmdline"], serde_json::Value::Null);
}

#[test]
fn exec_fields_follow_the_contract() {
    let r = base(Body::Exec(Exec {
        filename: "/bin/ls".into(),
        filename_truncated: false,
        args: vec!["ls".into(), "-l".into()],
        args_truncated: false,
        cwd: Some("/root".into()),
        cwd_truncated: false,
        exe_truncated: false,
        syscall: "execve",
        stdio: ["tty", "pipe", "socket"],
        creds: crate::record::ExecCreds {
            egid: 0,
            before: Some(crate::record::OldCreds {
                uid: 1000,
                euid: 1000,
                gid: 1000,
                egid: 1000,
                caps_gained: 1 << 13,
                privilege_change: true,
            }),
        },
        script: None,
        response: None,
        exe_sha256: None,
    }));
    let v = line(&r);
    assert_eq!(v["args"], serde_json::json!(["ls", "-l"]));
    assert_eq!(v["args_truncated"], false);
    assert_eq!(v["old_euid"], 1000);
    assert_eq!(v["egid"], 0);
    assert_eq!(v["privilege_change"], true);
    assert_eq!(v["caps_gained"], serde_json::json!(["CAP_NET_RAW"]));
    assert_eq!(v["script"], serde_json::Value::Null);
    assert_eq!(v["parent_comm"], "init");
    assert_eq!(v["pid"], 10);
    assert_eq!(v["stdout"], "pipe");
    assert_eq!(v["stderr"], "socket");
}

#[test]
fn open_flags_and_network_direction() {
    let r = base(file("/etc/x", FileOp::Open { flags: 0o1101, mode: 0o644, fd: 3 }, "openat"));
    let v = line(&r);
    assert_eq!(v["flags"], serde_json::json!(["O_WRONLY", "O_CREAT", "O_TRUNC"]));
    assert_eq!(v["access"], "write");
    let r = base(Body::Net(Net {
        kind: NetKind::Listen,
        family: "ipv6".into(),
        protocol: "tcp",
        fd: 3,
        local_addr: Some("::1".into()),
        local_port: Some(8080),
        remote_addr: None,
        remote_port: None,
        backlog: Some(5),
        result: 0,
        syscall: "listen",
        io_uring: None,
    }));
    let v = line(&r);
    assert_eq!(v["direction"], "listen");
    assert_eq!(v["local_port"], 8080);
    assert_eq!(v["backlog"], 5);
    assert_eq!((v["syscall"].as_str(), v.get("io_uring_op")), (Some("listen"), None));
    let mut r = base(file("/w/x", FileOp::Write { bytes: 5, fd: -1 }, "io_uring"));
    if let Body::File(f) = &mut r.body {
        f.io_uring = Some(crate::record::UringReq {
            op: "IORING_OP_WRITE",
            fd_unknown: Some("registered_file"),
            result_unknown: false,
        });
    }
    let v = line(&r);
    assert_eq!((v["fd"].is_null(), v["syscall"].as_str()), (true, Some("io_uring")));
    assert_eq!((&v["io_uring_op"], &v["fd_unknown"]), (&"IORING_OP_WRITE".into(), &"registered_file".into()));
    assert_eq!(v.get("result_unknown"), None, "only written when true");
    let mut r = base(file("/w/x", FileOp::Unlink { is_dir: false }, "io_uring"));
    if let Body::File(f) = &mut r.body {
        f.io_uring = Some(crate::record::UringReq { op: "IORING_OP_UNLINKAT", fd_unknown: None, result_unknown: true });
    }
    let v = line(&r);
    assert_eq!(
        (&v["io_uring_op"], &v["result_unknown"], v.get("fd_unknown")),
        (&"IORING_OP_UNLINKAT".into(), &true.into(), None)
    );
}

#[test]
fn alert_carries_rule_and_source_fields() {
    let mut r = base(file("/etc/cron.d/x", FileOp::Write { bytes: 5, fd: 3 }, "write"));
    r.detection = Some(Arc::from("cron_modified"));
    let v = line(&r);
    assert_eq!(v["alert"], true);
    assert_eq!(v["detection_type"], "cron_modified");
    let mut out = Vec::new();
    let tags = [Arc::from("attack.t1053.003")];
    let head = AlertHead {
        rule_id: "R1",
        rule_name: "cron",
        rule_type: "file",
        severity: "high",
        action: "alert",
        risk_score: 0.75,
        tags: &tags,
        description: "d",
    };
    write_alert(&mut out, &head, &r, |_| {});
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["event_type"], "alert");
    assert_eq!(v["source_event_type"], "file_write");
    assert_eq!(v["path"], "/etc/cron.d/x");
    assert_eq!(v["risk_score"], 0.75);
    assert_eq!(v["tags"][0], "attack.t1053.003");
}
