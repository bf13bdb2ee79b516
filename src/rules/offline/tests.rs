//! `record_from_json` over records the contract allows, and `test_events`
//! naming a bad line and refusing to run without rules.

use super::*;
use crate::record::{CmdlineSource, ExecId, Inject};
use serde_json::json;
use std::path::PathBuf;

/// A record of `event_type` with the contract's common fields and `extra`.
fn contract(event_type: &str, extra: Value) -> String {
    let mut v = json!({
        "event_type": event_type, "timestamp": "2026-11-22T09:00:00.5Z", "host": "h",
        "pid": 42, "tid": 43, "ppid": 7, "uid": 1000, "gid": 1000, "euid": 0,
        "comm": "chmod", "exe": "/usr/bin/chmod", "cmdline": null, "parent_comm": "bash", "parent_exe": null,
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut v, extra) {
        o.extend(e);
    }
    v.to_string()
}

fn parse(event_type: &str, extra: Value) -> Result<Record, RecordParseError> {
    record_from_json(&contract(event_type, extra)).map(|r| r.expect("a telemetry record"))
}

fn missing(event_type: &str, extra: Value) -> Option<String> {
    parse(event_type, extra).expect_err("a required field is missing").field
}

#[test]
fn a_contract_exec_needs_no_sensor_only_field() {
    let extra = json!({"filename": "/usr/bin/chmod", "args": ["chmod", "u+s", "/tmp/sh"], "args_truncated": false, "cwd": null});
    let r = parse("process_exec", extra).expect("contract fields are enough");
    assert_eq!((r.pid, r.tid, r.ppid, r.euid), (42, 43, 7, 0));
    assert_eq!(r.timestamp_ns, 1_795_338_000_500_000_000);
    let Body::Exec(e) = r.body else { panic!("not an exec: {:?}", r.body) };
    assert_eq!((e.syscall, e.stdio), ("execve", ["unknown"; 3]));
    assert_eq!(e.args, ["chmod", "u+s", "/tmp/sh"]);
    assert!(!e.filename_truncated && !e.cwd_truncated && !e.exe_truncated && e.cwd.is_none());
    assert_eq!(missing("process_exec", json!({"args": []})).as_deref(), Some("filename"));
    assert_eq!(missing("process_exec", json!({"filename": "/bin/x"})).as_deref(), Some("args"));
}

#[test]
fn enrichment_fields_are_read_and_checked() {
    let id = "0123456789abcdef0123456789abcdef";
    let hash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let extra = json!({"filename": "/bin/x", "args": ["x"], "parent_cmdline": "bash -l", "user": "alice",
        "euser": "root", "exec_id": id, "parent_exec_id": null, "exe_sha256": hash.to_uppercase()});
    let r = parse("process_exec", extra).expect("enriched exec");
    assert_eq!(
        (r.parent_cmdline.as_deref(), r.user.as_deref(), r.euser.as_deref()),
        (Some("bash -l"), Some("alice"), Some("root"))
    );
    assert_eq!((r.exec_id, r.parent_exec_id), (ExecId::parse(id), None));
    let Body::Exec(e) = r.body else { panic!("not an exec: {:?}", r.body) };
    assert_eq!(e.exe_sha256.as_deref(), Some(hash), "kept as lowercase");
    let base = json!({"filename": "/bin/x", "args": ["x"]});
    let with = |k: &str, v: Value| {
        let mut e = base.clone();
        e.as_object_mut().expect("object").insert(k.to_string(), v);
        parse("process_exec", e).expect_err("a bad value")
    };
    let e = with("parent_exec_id", json!("1234"));
    assert_eq!(e.to_string(), "field `parent_exec_id`: `1234` is not an exec id (32 lowercase hex digits)");
    assert_eq!(with("exe_sha256", json!("abc")).field.as_deref(), Some("exe_sha256"));
    assert_eq!(with("user", json!(0)).field.as_deref(), Some("user"));
}

#[test]
fn cmdline_source_is_optional_and_checked() {
    let exec = json!({"filename": "/bin/x", "args": ["x"]});
    assert_eq!(parse("process_exec", exec.clone()).expect("without it").cmdline_source, None);
    let with = |extra: Value| {
        let mut e = exec.clone();
        e.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        parse("process_exec", e)
    };
    let r = with(json!({"cmdline": "x", "cmdline_source": "procfs"})).expect("procfs");
    assert_eq!(r.cmdline_source, Some(CmdlineSource::Procfs));
    let e = with(json!({"cmdline": "x", "cmdline_source": "argv"})).expect_err("unknown source");
    assert_eq!(e.to_string(), "field `cmdline_source`: unknown source `argv` (expected exec or procfs)");
    let e = with(json!({"cmdline_source": "exec"})).expect_err("a source without a cmdline");
    assert_eq!(e.field.as_deref(), Some("cmdline_source"));
}

#[test]
fn file_records_default_to_the_syscall_named_after_them() {
    let syscall = |et: &str, extra: Value| match parse(et, extra) {
        Ok(Record { body: Body::File(f), .. }) => (f.syscall, f.op),
        other => panic!("{et}: {other:?}"),
    };
    let open = syscall("file_open", json!({"path": "/etc/x", "flags": ["O_WRONLY", "O_CREAT"], "access": "write"}));
    assert_eq!(open, ("openat", FileOp::Open { flags: 0o101, mode: 0, fd: -1 }));
    assert_eq!(
        syscall("file_write", json!({"path": "/etc/x", "bytes": 5})),
        ("write", FileOp::Write { bytes: 5, fd: -1 })
    );
    let rename = syscall("file_rename", json!({"path": "/a", "new_path": "/b"}));
    assert_eq!(
        rename,
        (
            "rename",
            FileOp::Rename {
                new_path: "/b".into(),
                new_path_truncated: false,
                new_path_detached: false,
                exchange: false
            }
        )
    );
    assert_eq!(
        syscall("file_unlink", json!({"path": "/a", "is_dir": false})),
        ("unlink", FileOp::Unlink { is_dir: false })
    );
    assert_eq!(
        syscall("file_unlink", json!({"path": "/a", "is_dir": true})),
        ("rmdir", FileOp::Unlink { is_dir: true })
    );
    // the sensor's own value wins over the default
    assert_eq!(syscall("file_unlink", json!({"path": "/a", "is_dir": true, "syscall": "unlinkat"})).0, "unlinkat");
    // a hand-written chmod may give only the special bits
    assert_eq!(
        syscall("file_chmod", json!({"path": "/a", "setuid": true})),
        ("fchmodat", FileOp::Chmod { mode: 0o4000 })
    );
    assert_eq!(
        syscall("file_chmod", json!({"path": "/a", "mode": 0o2755, "setuid": false, "syscall": "chmod"})),
        ("chmod", FileOp::Chmod { mode: 0o2755 })
    );
    let c = Chown { owner_uid: Some(0), owner_gid: None, follow_symlinks: None };
    assert_eq!(syscall("file_chown", json!({"path": "/a", "owner_uid": 0})), ("fchownat", FileOp::Chown(c)));
    assert_eq!(
        syscall("file_truncate", json!({"path": "/a", "length": 0})),
        ("truncate", FileOp::Truncate { length: 0 })
    );
    assert_eq!(missing("file_truncate", json!({"path": "/a"})).as_deref(), Some("length"));
    assert_eq!(missing("file_open", json!({"path": "/etc/x"})).as_deref(), Some("flags"));
    assert_eq!(missing("file_write", json!({"bytes": 1})).as_deref(), Some("path"));
    assert_eq!(missing("file_rename", json!({"path": "/a"})).as_deref(), Some("new_path"));
}

#[test]
fn process_and_network_records_take_their_contract_fields_only() {
    let fork = parse("process_fork", json!({})).expect("fork");
    assert_eq!(fork.body, Body::Fork(Fork { parent_tid: 7 }), "a fork from the parent's main thread");
    let exit = parse("process_exit", json!({"exit_code": 1, "signal": null, "lifetime_ns": null})).expect("exit");
    assert_eq!(exit.body, Body::Exit(Exit { exit_code: 1, signal: None, core_dumped: false, lifetime_ns: None }));
    assert_eq!(missing("process_exit", json!({})).as_deref(), Some("exit_code"));
    let extra = json!({"family": "ipv4", "protocol": "tcp", "direction": "outbound", "remote_addr": "10.0.0.1", "remote_port": 4444});
    let Body::Net(n) = parse("network_connect", extra).expect("connect").body else { panic!("not net") };
    assert_eq!((n.kind, n.fd, n.result, n.remote_port), (NetKind::Connect, -1, 0, Some(4444)));
    let extra = json!({"direction": "listen", "local_addr": "0.0.0.0", "local_port": 80, "backlog": 5});
    let Body::Net(n) = parse("network_listen", extra).expect("listen").body else { panic!("not net") };
    assert_eq!((n.kind, n.family.as_str(), n.protocol, n.backlog), (NetKind::Listen, "unknown", "unknown", Some(5)));
}

#[test]
fn ptrace_takes_either_the_request_or_its_code() {
    let ptrace = |extra: Value| match parse("process_ptrace", extra) {
        Ok(Record { body: Body::Ptrace(p), .. }) => Ok((p.request, p.request_name)),
        Ok(other) => panic!("not ptrace: {other:?}"),
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(ptrace(json!({"request": "PTRACE_ATTACH"})), Ok((16, Some("PTRACE_ATTACH"))));
    assert_eq!(ptrace(json!({"request_code": 16})), Ok((16, Some("PTRACE_ATTACH"))));
    assert_eq!(ptrace(json!({"request_code": 99, "request": null})), Ok((99, None)));
    assert!(ptrace(json!({})).is_err_and(|e| e.starts_with("field `request_code`: missing")));
    assert!(ptrace(json!({"request": "PTRACE_NOPE"})).is_err_and(|e| e.contains("PTRACE_NOPE")));
}

#[test]
fn errors_name_the_field_not_the_line() {
    let e = parse("process_exec", json!({"filename": "/bin/x", "args": "x"})).expect_err("args not an array");
    assert_eq!(e.to_string(), "field `args`: expected an array");
    let e = record_from_json("{\"event_type\": 1}").expect_err("not a string");
    assert_eq!(e.to_string(), "field `event_type`: expected a string");
    let e = record_from_json("{\"event_type\",}").expect_err("bad JSON");
    assert_eq!(e.to_string(), "invalid JSON at column 14: expected `:`");
    assert_eq!(record_from_json("[1]").expect_err("array").to_string(), "not a JSON object");
}

struct Tmp(PathBuf);
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn events_file(tag: &str, text: &[u8]) -> Tmp {
    let p = std::env::temp_dir().join(format!("rg-offline-{}-{tag}.ndjson", std::process::id()));
    std::fs::write(&p, text).expect("write events");
    Tmp(p)
}

fn chmod_rule() -> RuleSet {
    let text = "[[rules]]\nid = \"R\"\ntype = \"process\"\ncondition = \"comm = 'chmod'\"\n";
    RuleSet::from_sources(&[(PathBuf::from("t.toml"), text.to_string())]).expect("rule")
}

#[test]
fn test_events_names_a_bad_line_once_and_wants_rules() {
    let good = contract("process_exec", json!({"filename": "/bin/chmod", "args": ["chmod"], "cwd": null}));
    let f = events_file("bad", format!("{good}\n\n{{\"event_type\":\"file_open\"\n").as_bytes());
    let err = test_events(chmod_rule(), &f.0, &mut Vec::new()).expect_err("line 3 is cut short").to_string();
    assert_eq!(err, format!("{}:3: invalid JSON at column 25: EOF while parsing an object", f.0.display()));
    let f = events_file("utf8", b"\n\xff\n");
    let err = test_events(chmod_rule(), &f.0, &mut Vec::new()).expect_err("not UTF-8").to_string();
    assert_eq!(err, format!("{}:2: not valid UTF-8 (byte 1)", f.0.display()));
    let f = events_file("good", format!("{good}\n").as_bytes());
    let mut out = Vec::new();
    assert_eq!(test_events(chmod_rule(), &f.0, &mut out).expect("replay").by_rule.get("R"), Some(&1));
    let none = RuleSet::from_sources(&[]).expect("no sources");
    assert!(matches!(test_events(none, &f.0, &mut out), Err(RuleError::NoRules)));
}

#[test]
fn memfd_inject_and_bpf_records_round_trip() {
    use crate::rules::bench::{bpf_prog_load, inject, memfd};
    for r in [memfd(1, "/usr/bin/python3", "x", 0x13), inject(2, "/tmp/a", "/usr/bin/b"), bpf_prog_load(3, "/x", "p")] {
        let mut line = Vec::new();
        crate::record::json::write_record(&mut line, &r);
        let back = record_from_json(std::str::from_utf8(&line).expect("utf-8")).expect("parses").expect("a record");
        assert_eq!(back.body, r.body);
    }
    // what the contract needs, and what it works out
    assert_eq!(missing("process_memfd", json!({"flags": []})).as_deref(), Some("memfd_name"));
    assert_eq!(missing("process_inject", json!({})).as_deref(), Some("target_pid"));
    assert_eq!(missing("bpf_load", json!({"prog_type": "BPF_PROG_TYPE_XDP"})).as_deref(), Some("bpf_cmd"));
    let r = parse("process_inject", json!({"target_pid": 9, "target_exe": "/usr/bin/chmod"})).expect("parses");
    assert!(matches!(r.body, Body::Inject(Inject { target_same_exe: Some(true), .. })), "{:?}", r.body);
    let e = parse("process_memfd", json!({"memfd_name": "x", "flags": ["O_RDONLY"]})).expect_err("not a memfd flag");
    assert_eq!(e.field.as_deref(), Some("flags"));
}

#[test]
fn namespace_and_mount_records_round_trip() {
    use crate::record::{Mount, Namespace};
    use crate::rules::bench::{mount, namespace};
    let mut setns = namespace(1, "/usr/bin/nsenter", "setns", 0x0400_0000, Some(0xEFFF_FFFE));
    if let Body::Namespace(n) = &mut setns.body {
        n.target_exe = Some("/usr/bin/sleep".into());
    }
    let mut detached = mount(4, "/usr/bin/python3", "open_tree", Some("/"), None, Some("tmpfs"), 0x80001);
    if let Body::Mount(m) = &mut detached.body {
        m.source_detached = true;
    }
    for r in [
        setns,
        namespace(2, "/usr/bin/unshare", "clone3", 0x0c00_0080, None),
        mount(3, "/usr/bin/mount", "mount", Some("/"), Some("/mnt"), None, 0x5000),
        detached,
        mount(5, "/usr/sbin/chroot", "chroot", None, Some("/srv"), None, 0),
    ] {
        let mut line = Vec::new();
        crate::record::json::write_record(&mut line, &r);
        let back = record_from_json(std::str::from_utf8(&line).expect("utf-8")).expect("parses").expect("a record");
        assert_eq!(back.body, r.body);
    }
    assert_eq!(missing("process_namespace", json!({})).as_deref(), Some("syscall"));
    assert_eq!(missing("file_mount", json!({"source": "/"})).as_deref(), Some("syscall"));
    // names stand in for the raw flags
    let r = parse("process_namespace", json!({"syscall": "unshare", "namespaces": ["mnt", "pid"]})).expect("parses");
    assert!(matches!(r.body, Body::Namespace(Namespace { flags: 0x2002_0000, .. })), "{:?}", r.body);
    let r = parse("file_mount", json!({"syscall": "mount", "flags": ["MS_BIND", "MS_REC"]})).expect("parses");
    assert!(matches!(r.body, Body::Mount(Mount { flags: 0x5000, .. })), "{:?}", r.body);
    parse("file_mount", json!({"syscall": "open"})).expect_err("not a mount call");
    parse("file_mount", json!({"syscall": "umount2", "flags": ["MS_BIND"]})).expect_err("not an umount2 flag");
}
