//! Record builders for tests and a realistic record mix for `make bench`.

use std::sync::Arc;

use crate::record::{
    ptrace_request_code, same_exe, signal_name, Body, BpfLoad, Chown, Cred, Exec, ExecCreds, Exit, File, FileCaps,
    FileOp, Fork, IdChange, Ids, Inject, Link, Memfd, Mount, Namespace, Net, NetKind, OldCreds, Ptrace, Record, Signal,
    TimeSet, Utimes, Xattr, XattrOp, BPF_PROG_LOAD,
};

/// A record with common fields filled in; `exe` also names `comm`'s image.
pub fn record(ts_ns: u64, pid: u32, ppid: u32, comm: &str, exe: &str, parent: &str, body: Body) -> Record {
    Record {
        timestamp_ns: ts_ns,
        host: Arc::from("bench-host"),
        pid,
        tid: pid,
        ppid,
        uid: 1000,
        gid: 1000,
        euid: 1000,
        comm: comm.to_string(),
        exe: (!exe.is_empty()).then(|| Arc::from(exe)),
        cmdline: None,
        cmdline_source: None,
        parent_comm: (!parent.is_empty()).then(|| parent.to_string()),
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

/// A `process_signal` from `exe` (pid 10) to pid 20, whose image is `target_exe`.
pub fn signal(ts_ns: u64, exe: &str, sig: i32, target_exe: &str) -> Record {
    let comm = exe.rsplit('/').next().unwrap_or(exe);
    let body = Body::Signal(Signal {
        signal: sig,
        signal_name: signal_name(sig),
        target_pid: Some(20),
        target_tid: None,
        target_comm: Some(target_exe.rsplit('/').next().unwrap_or(target_exe).to_string()),
        target_exe: Some(Arc::from(target_exe)),
        syscall: "kill",
    });
    record(ts_ns, 10, 1, comm, exe, "bash", body)
}

/// A `process_setuid` of `exe` (pid 10): user-id call `syscall` took the
/// task from uids `old` to `new` ([real, effective, saved, fs]).
pub fn setuid(ts_ns: u64, exe: &str, syscall: &'static str, old: [u32; 4], new: [u32; 4]) -> Record {
    let comm = exe.rsplit('/').next().unwrap_or(exe);
    let body = Body::Cred(Cred {
        syscall,
        uids: Some(IdChange { old: Ids::from_array(old), new: Ids::from_array(new) }),
        gids: None,
        group_count: None,
        groups: Vec::new(),
        caps: None,
    });
    let mut r = record(ts_ns, 10, 1, comm, exe, "bash", body);
    (r.uid, r.euid) = (new[0], new[1]);
    r
}

fn comm_of(exe: &str) -> &str {
    exe.rsplit('/').next().unwrap_or(exe)
}

/// A `process_memfd` from `exe` (pid 10): memfd_create(`name`, `flags`).
pub fn memfd(ts_ns: u64, exe: &str, name: &str, flags: u32) -> Record {
    let body = Body::Memfd(Memfd { name: name.to_string(), name_truncated: false, flags, fd: 3 });
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", body)
}

/// A `process_inject` from `exe` (pid 10) into pid 20, whose image is `target_exe`.
pub fn inject(ts_ns: u64, exe: &str, target_exe: &str) -> Record {
    let body = Body::Inject(Inject {
        target_pid: 20,
        target_comm: Some(comm_of(target_exe).to_string()),
        target_exe: Some(Arc::from(target_exe)),
        target_cmdline: Some(Arc::from(target_exe)),
        target_same_exe: same_exe(Some(exe), Some(target_exe)),
        bytes: 8,
        local_iovcnt: 1,
        remote_iovcnt: 1,
        syscall: "process_vm_writev",
    });
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", body)
}

/// A successful ptrace `request` (by name) from `exe` (pid 10) into pid 20,
/// whose image is `target_exe`.
pub fn ptrace(ts_ns: u64, exe: &str, request: &'static str, target_exe: &str) -> Record {
    let body = Body::Ptrace(Ptrace {
        request: ptrace_request_code(request).unwrap_or(-1),
        request_name: Some(request),
        target_pid: 20,
        target_comm: Some(comm_of(target_exe).to_string()),
        target_exe: Some(Arc::from(target_exe)),
        target_cmdline: Some(Arc::from(target_exe)),
        target_same_exe: same_exe(Some(exe), Some(target_exe)),
        result: 0,
    });
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", body)
}

/// An exec of `exe` by uid `old_euid` that left the effective uid at
/// `euid` and gained the capabilities `caps` (bit n = capability n).
pub fn exec_as(ts_ns: u64, exe: &str, old_euid: u32, euid: u32, caps: u64) -> Record {
    let mut r = exec(ts_ns, 30, 10, "bash", exe, &[comm_of(exe)], ["char", "char", "char"]);
    (r.uid, r.gid, r.euid) = (old_euid, old_euid, euid);
    if let Body::Exec(e) = &mut r.body {
        let (uid, egid) = (old_euid, old_euid);
        let privilege_change = euid != old_euid || caps != 0;
        let before = OldCreds { uid, euid: old_euid, gid: uid, egid, caps_gained: caps, privilege_change };
        e.creds = ExecCreds { egid, before: Some(before) };
    }
    r
}

/// A `bpf_load` from `exe` (pid 10): a socket filter called `name` loaded.
pub fn bpf_prog_load(ts_ns: u64, exe: &str, name: &str) -> Record {
    let body = Body::Bpf(BpfLoad {
        cmd: BPF_PROG_LOAD,
        prog_type: Some(1),
        prog_name: Some(name.to_string()),
        attach_type: None,
        prog_fd: 3,
        insn_count: Some(2),
        result: 3,
    });
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", body)
}

/// A `process_namespace` from `exe` (pid 10) by `syscall`, asking for
/// CLONE_NEW* `flags`; a setns names the entered namespace file's `inode`
/// and type (the single bit of `flags`).
pub fn namespace(ts_ns: u64, exe: &str, syscall: &'static str, flags: u64, inode: Option<u32>) -> Record {
    let setns = syscall == "setns";
    let body = Body::Namespace(Namespace {
        flags,
        ns_inode: inode,
        ns_type: inode.map(|_| flags as u32),
        target_pid: None,
        target_comm: None,
        target_exe: None,
        child_pid: (syscall == "clone" || syscall == "clone3").then_some(11),
        fd: setns.then_some(3),
        syscall,
    });
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", body)
}

/// A `file_mount` from `exe` (pid 10) by `syscall`.
pub fn mount(
    ts_ns: u64,
    exe: &str,
    syscall: &'static str,
    source: Option<&str>,
    target: Option<&str>,
    fstype: Option<&str>,
    flags: u64,
) -> Record {
    let body = Body::Mount(Mount {
        source: source.map(str::to_string),
        source_truncated: false,
        source_detached: false,
        target: target.map(str::to_string),
        target_truncated: false,
        fstype: fstype.map(str::to_string),
        flags,
        fd: (syscall == "open_tree" || syscall == "fsmount").then_some(3),
        syscall,
    });
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", body)
}

pub fn exec_body(filename: &str, args: &[&str], stdio: [&'static str; 3]) -> Body {
    Body::Exec(Exec {
        filename: filename.to_string(),
        filename_truncated: false,
        args: args.iter().map(|s| s.to_string()).collect(),
        args_truncated: false,
        cwd: Some("/home/u".into()),
        cwd_truncated: false,
        exe_truncated: false,
        syscall: "execve",
        stdio,
        // the uid and gid of `record`, unchanged by the exec
        creds: ExecCreds {
            egid: 1000,
            before: Some(OldCreds { uid: 1000, euid: 1000, gid: 1000, egid: 1000, ..OldCreds::default() }),
        },
        script: None,
        response: None,
        exe_sha256: None,
    })
}

/// An exec record: `comm` is the basename of `filename`, cmdline the args.
pub fn exec(
    ts_ns: u64,
    pid: u32,
    ppid: u32,
    parent: &str,
    filename: &str,
    args: &[&str],
    stdio: [&'static str; 3],
) -> Record {
    let comm: String = crate::rules::fields::basename(filename).chars().take(15).collect();
    let mut r = record(ts_ns, pid, ppid, &comm, filename, parent, exec_body(filename, args, stdio));
    r.cmdline = Some(Arc::from(args.join(" ")));
    r
}

pub fn file_body(path: &str, op: FileOp, syscall: &'static str) -> Body {
    Body::File(File {
        path: path.to_string(),
        path_truncated: false,
        path_detached: false,
        op,
        syscall,
        io_uring: None,
    })
}

pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_CREAT: u32 = 0o100;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_CLOEXEC: u32 = 0o2000000;

pub fn open(ts_ns: u64, pid: u32, comm: &str, path: &str, flags: u32) -> Record {
    let exe = format!("/usr/bin/{comm}");
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Open { flags, mode: 0o644, fd: 3 }, "openat"))
}

pub fn write(ts_ns: u64, pid: u32, comm: &str, path: &str) -> Record {
    let exe = format!("/usr/bin/{comm}");
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Write { bytes: 64, fd: 3 }, "write"))
}

pub fn rename(ts_ns: u64, pid: u32, comm: &str, from: &str, to: &str) -> Record {
    let exe = format!("/usr/bin/{comm}");
    let op = FileOp::Rename {
        new_path: to.to_string(),
        new_path_truncated: false,
        new_path_detached: false,
        exchange: false,
    };
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(from, op, "renameat2"))
}

/// renameat2(RENAME_EXCHANGE): `a` and `b` swap places.
pub fn exchange(ts_ns: u64, pid: u32, comm: &str, a: &str, b: &str) -> Record {
    let mut r = rename(ts_ns, pid, comm, a, b);
    if let Body::File(File { op: FileOp::Rename { exchange, .. }, .. }) = &mut r.body {
        *exchange = true;
    }
    r
}

pub fn unlink(ts_ns: u64, pid: u32, comm: &str, path: &str) -> Record {
    let exe = format!("/usr/bin/{comm}");
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Unlink { is_dir: false }, "unlinkat"))
}

pub fn chmod(ts_ns: u64, pid: u32, comm: &str, path: &str, mode: u32) -> Record {
    let exe = format!("/usr/bin/{comm}");
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Chmod { mode }, "fchmodat"))
}

pub fn chown(ts_ns: u64, pid: u32, comm: &str, path: &str, c: Chown) -> Record {
    let exe = format!("/usr/bin/{comm}");
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Chown(c), "fchownat"))
}

pub fn truncate(ts_ns: u64, pid: u32, comm: &str, path: &str, length: i64) -> Record {
    let exe = format!("/usr/bin/{comm}");
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Truncate { length }, "truncate"))
}

/// A link created at `path` to `target`: a hard link unless `symlink`.
pub fn link(ts_ns: u64, pid: u32, comm: &str, target: &str, path: &str, symlink: bool) -> Record {
    let exe = format!("/usr/bin/{comm}");
    let l = Link {
        target: target.to_string(),
        target_truncated: false,
        target_detached: false,
        symlink,
        follow_symlinks: (!symlink).then_some(false),
    };
    let syscall = if symlink { "symlinkat" } else { "linkat" };
    record(ts_ns, pid, 1, comm, &exe, "bash", file_body(path, FileOp::Link(l), syscall))
}

/// A utimensat by `exe` at `ts_ns` that set both times of `path` to
/// `sec` (seconds since the epoch).
pub fn utimes(ts_ns: u64, exe: &str, path: &str, sec: i64) -> Record {
    let t = Some(TimeSet::At { sec, nsec: 0 });
    let op = FileOp::Utimes(Utimes::new(t, t, false, 0, ts_ns));
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", file_body(path, op, "utimensat"))
}

/// A setxattr by `exe` of attribute `name` on `path`; `caps` is the decoded
/// value of a `security.capability`.
pub fn xattr(ts_ns: u64, exe: &str, path: &str, name: &str, op: XattrOp, caps: Option<FileCaps>) -> Record {
    let set = op == XattrOp::Set;
    let x = Xattr {
        name: name.to_string(),
        op,
        value_size: set.then_some(20),
        flags: 0,
        at_flags: 0,
        value_unread: false,
        caps,
    };
    let syscall = if set { "setxattr" } else { "removexattr" };
    record(ts_ns, 10, 1, comm_of(exe), exe, "bash", file_body(path, FileOp::Xattr(x), syscall))
}

pub fn net(ts_ns: u64, pid: u32, ppid: u32, comm: &str, kind: NetKind, addr: &str, port: u16) -> Record {
    let exe = format!("/usr/bin/{comm}");
    let (local, remote) = match kind {
        NetKind::Connect => ((None, None), (Some(addr.to_string()), Some(port))),
        NetKind::Accept => ((Some("0.0.0.0".to_string()), Some(port)), (Some(addr.to_string()), Some(40000))),
        NetKind::Bind | NetKind::Listen => ((Some(addr.to_string()), Some(port)), (None, None)),
    };
    let body = Body::Net(Net {
        kind,
        family: "ipv4".into(),
        protocol: "tcp",
        fd: 3,
        local_addr: local.0,
        local_port: local.1,
        remote_addr: remote.0,
        remote_port: remote.1,
        backlog: (kind == NetKind::Listen).then_some(128),
        result: 0,
        syscall: kind.syscall(),
        io_uring: None,
    });
    record(ts_ns, pid, ppid, comm, &exe, "bash", body)
}

/// A realistic mix for throughput measurement: mostly benign opens and
/// writes, execs, forks, exits and connections, with a few suspicious
/// records sprinkled in so match paths are exercised too.
pub fn bench_records(n: usize) -> Vec<Record> {
    const TTY: [&str; 3] = ["tty", "tty", "tty"];
    let mut out = Vec::with_capacity(n);
    let base = 1_795_338_000_000_000_000u64;
    for i in 0..n {
        let ts = base + i as u64 * 10_000;
        let pid = 1000 + (i % 5000) as u32;
        let r = match i % 20 {
            0 => exec(ts, pid, 900, "bash", "/usr/bin/ls", &["ls", "-la", "/home/u"], TTY),
            1 => record(ts, pid, 900, "bash", "/usr/bin/bash", "sshd", Body::Fork(Fork { parent_tid: 900 })),
            2 => record(
                ts,
                pid,
                900,
                "ls",
                "/usr/bin/ls",
                "bash",
                Body::Exit(Exit { exit_code: 0, signal: None, core_dumped: false, lifetime_ns: Some(1_000_000) }),
            ),
            3..=8 => open(ts, pid, "python3", "/home/u/project/data.json", O_RDONLY | O_CLOEXEC),
            9..=12 => write(ts, pid, "python3", "/home/u/project/out.log"),
            13 => open(ts, pid, "vim", "/tmp/.x.swp", O_WRONLY | O_CREAT | O_TRUNC),
            14 => net(ts, pid, 900, "curl", NetKind::Connect, "93.184.216.34", 443),
            15 => open(ts, pid, "bash", "/etc/passwd", O_RDONLY),
            16 => exec(
                ts,
                pid,
                900,
                "cron",
                "/usr/bin/sh",
                &["sh", "-c", "run-parts /etc/cron.hourly"],
                ["none", "pipe", "pipe"],
            ),
            17 => rename(ts, pid, "apt", "/usr/bin/tool.dpkg-new", "/usr/bin/tool"),
            18 if i % 200 == 18 => open(ts, pid, "cat", "/etc/shadow", O_RDONLY),
            18 => unlink(ts, pid, "rm", "/tmp/tmp.abc"),
            _ if i % 400 == 19 => net(ts, pid, 900, "nc", NetKind::Connect, "10.0.0.5", 4444),
            _ => open(ts, pid, "node", "/home/u/app/index.js", O_RDONLY),
        };
        out.push(r);
    }
    out
}
