//! Records: every body through NDJSON and back, and the bench mix.

use super::*;
use crate::record::json::write_record;
use crate::record::{Chown, Exit, FileCaps, FileOp, Fork, IoUring, NetKind, Ptrace, UringReq, XattrOp};

/// `setcap cap_net_raw+ep`: vfs_cap_data revision 2, effective, bit 13.
const CAP_NET_RAW_EP: [u8; 20] = [1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn all_bodies() -> Vec<Record> {
    let mut v = vec![
        exec(T0 + 123_456_789, 1, 0, "", "/bin/ls", &["ls", "-l"], ["tty", "pipe", "socket"]),
        record(T0, 2, 1, "a", "", "b", Body::Fork(Fork { parent_tid: 1 })),
        record(
            T0,
            2,
            1,
            "a",
            "/x",
            "",
            Body::Exit(Exit { exit_code: -1, signal: Some(9), core_dumped: true, lifetime_ns: Some(5) }),
        ),
        record(
            T0,
            2,
            1,
            "a",
            "/x",
            "",
            Body::Exit(Exit { exit_code: 0, signal: None, core_dumped: false, lifetime_ns: None }),
        ),
        record(
            T0,
            2,
            1,
            "gdb",
            "/usr/bin/gdb",
            "bash",
            Body::Ptrace(Ptrace {
                request: 16,
                request_name: Some("PTRACE_ATTACH"),
                target_pid: 5,
                target_comm: Some("sleep".into()),
                target_exe: Some("/usr/bin/sleep".into()),
                target_cmdline: Some("sleep 30".into()),
                target_same_exe: Some(false),
                result: 0,
            }),
        ),
        open(T0, 3, "vi", "/etc/x\n\"q", O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | 0o4000000 | 0o20000000),
        write(T0, 3, "vi", "/etc/x"),
        rename(T0, 3, "mv", "/a", "/b"),
        unlink(T0, 3, "rm", "/a"),
        chmod(T0, 3, "chmod", "/tmp/x", 0o6755),
        chown(T0, 3, "chown", "/tmp/x", Chown::from_raw(1000, u32::MAX, Some(false))),
        chown(T0, 3, "chown", "/tmp/x", Chown::from_raw(u32::MAX, 0, None)),
        truncate(T0, 3, "truncate", "/tmp/x", 1 << 40),
        utimes(T0, "/usr/bin/touch", "/usr/local/bin/x", 978_307_200),
        xattr(T0, "/usr/sbin/setcap", "/tmp/x", "security.capability", XattrOp::Set, FileCaps::decode(&CAP_NET_RAW_EP)),
        xattr(T0, "/usr/bin/setfattr", "/tmp/x", "user.note", XattrOp::Remove, None),
        net(T0, 4, 1, "nc", NetKind::Connect, "::1", 4444),
        net(T0, 4, 1, "nc", NetKind::Accept, "10.0.0.1", 22),
        net(T0, 4, 1, "nc", NetKind::Bind, "0.0.0.0", 80),
        net(T0, 4, 1, "nc", NetKind::Listen, "0.0.0.0", 80),
    ];
    // through an io_uring ring: a write to a registered file, a connect, the ring itself
    let mut w = write(T0, 3, "db", "/etc/y");
    if let Body::File(f) = &mut w.body {
        f.syscall = "io_uring";
        f.io_uring =
            Some(UringReq { op: "IORING_OP_WRITE", fd_unknown: Some("registered_file"), result_unknown: false });
        f.op = FileOp::Write { bytes: 9, fd: -1 };
    }
    let mut c = net(T0, 4, 1, "db", NetKind::Connect, "10.0.0.2", 443);
    if let Body::Net(n) = &mut c.body {
        n.syscall = "io_uring";
        n.io_uring = Some(UringReq { op: "IORING_OP_CONNECT", fd_unknown: None, result_unknown: false });
    }
    let ring = |fd, flags| Body::IoUring(IoUring { fd, sq_entries: 8, cq_entries: 16, flags });
    v.extend([w, c, record(T0, 5, 1, "db", "/usr/bin/db", "", ring(Some(7), 2 | 1 << 30))]);
    v.push(record(T0, 5, 1, "db", "/usr/bin/db", "", ring(None, 1 << 15)));
    v[0].cmdline = None;
    v[0].parent_exe = Some(Arc::from("/usr/bin/bash"));
    v[6].detection = Some(Arc::from("cron_modified"));
    if let Body::Exec(e) = &mut v[0].body {
        e.cwd = None;
        e.args_truncated = true;
        e.exe_truncated = true;
        e.syscall = "execveat";
    }
    v
}

#[test]
fn ndjson_round_trip() {
    for r in all_bodies() {
        let mut out = Vec::new();
        write_record(&mut out, &r);
        let line = std::str::from_utf8(&out).unwrap();
        let back = record_from_json(line).unwrap().unwrap();
        assert_eq!(back, r, "{line}");
    }
    assert_eq!(record_from_json("{\"event_type\":\"health\"}").unwrap(), None);
    assert_eq!(record_from_json("{\"event_type\":\"alert\",\"x\":1}").unwrap(), None);
    let e = record_from_json("{\"event_type\":\"process_fork\",\"timestamp\":\"2026-11-22T09:00:00Z\",\"pid\":\"x\"}")
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("pid"));
    assert!(record_from_json("[1]").is_err());
    assert!(record_from_json("{").is_err());
    assert_eq!(offline::parse_rfc3339("2026-11-22T09:00:00.123456789Z"), Some(1_795_338_000_123_456_789));
    assert_eq!(offline::parse_rfc3339("2000-02-29T00:00:00.000000001Z"), Some(951_782_400_000_000_001));
    assert_eq!(offline::parse_rfc3339("1970-01-01T00:00:00.5Z"), Some(500_000_000));
    assert_eq!(offline::parse_rfc3339("1970-01-01T00:00:00.5"), None);
    assert_eq!(offline::parse_rfc3339("garbage"), None);
}

#[test]
fn bench_records_run_clean() {
    let recs = bench_records(2000);
    assert_eq!(recs.len(), 2000);
    let mut e = Engine::new(pack());
    let mut alerts = Vec::new();
    let mut n = 0;
    for mut r in recs {
        alerts.clear();
        e.process(&mut r, &mut alerts);
        n += alerts.len();
    }
    assert!(n > 0 && n < 100, "{n}");
}
