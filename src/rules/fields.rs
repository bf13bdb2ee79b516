//! The fields a condition can name: their types, the event types that
//! carry them, and zero-allocation access to their values on a record.

use crate::record::{
    bit_names, bpf_attach_type_name, bpf_cmd_name, bpf_prog_type_name, cap_names, mount_flag_table, open_access,
    setgid, setuid, sticky, Body, Context, Cred, EventType, ExecId, FileOp, IdChange, NetKind, Record, TimeSet, Utimes,
    Xattr, IO_URING_SETUP_FLAGS, MEMFD_FLAGS, NAMESPACES, OPEN_FLAG_NAMES, UTIMES_FLAGS, XATTR_FLAGS,
};

pub use crate::catalog::{edit_distance, Field, FieldType, TypeMask};

/// The index of `t` in `EventType::ALL`, which per-type tables follow.
pub fn index(t: EventType) -> usize {
    t as usize
}

/// A field's value on one record, borrowed from it.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    Missing,
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Args(&'a [String]),
    /// Where a rename put files: its `new_path`, and its `path` too when
    /// it was an exchange.
    Paths(&'a str, Option<&'a str>),
    /// Open flags, listed by name without allocating.
    Flags(u32),
    /// Capability sets, listed by name (`CAP_SYS_ADMIN`...).
    Caps(u64),
    /// Other flags: the names of the bits set, from a (bit, name) table.
    Bits(u32, &'static [(u32, &'static str)]),
}

/// Calls `f` on each element of a list value until it returns true.
pub fn any_elem(v: Val<'_>, mut f: impl FnMut(&str) -> bool) -> bool {
    match v {
        Val::Args(a) => a.iter().any(|s| f(s)),
        Val::Paths(a, b) => f(a) || b.is_some_and(f),
        Val::Flags(bits) => {
            let acc = match bits & 3 {
                0 => "O_RDONLY",
                1 => "O_WRONLY",
                2 => "O_RDWR",
                _ => "O_ACCMODE",
            };
            f(acc)
                || OPEN_FLAG_NAMES.iter().any(|(bit, name)| bits & bit != 0 && f(name))
                || (bits & 0o4000000 != 0 && f("O_SYNC"))
                || (bits & 0o20000000 != 0 && f("O_TMPFILE"))
        }
        Val::Caps(bits) => cap_names(bits).any(f),
        Val::Bits(bits, table) => table.iter().any(|(bit, name)| bits & bit != 0 && f(name)),
        _ => false,
    }
}

pub fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) if i + 1 < p.len() => &p[i + 1..],
        Some(_) => p,
        None => p,
    }
}

pub fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..i],
        None => "",
    }
}

fn opt(s: Option<&str>) -> Val<'_> {
    s.map_or(Val::Missing, Val::Str)
}

/// An fd; missing when -1 (an io_uring request's registered file).
fn fd(fd: i32) -> Val<'static> {
    if fd < 0 {
        Val::Missing
    } else {
        Val::Int(fd.into())
    }
}

pub fn get(field: Field, r: &Record) -> Val<'_> {
    use Field::*;
    match field {
        EventTypeF => Val::Str(r.event_type().as_str()),
        Timestamp => Val::Int(r.timestamp_ns.min(i64::MAX as u64) as i64),
        Host => Val::Str(&r.host),
        Pid => Val::Int(r.pid.into()),
        Tid => Val::Int(r.tid.into()),
        Ppid => Val::Int(r.ppid.into()),
        Uid => Val::Int(r.uid.into()),
        Gid => Val::Int(r.gid.into()),
        Euid => Val::Int(r.euid.into()),
        Comm => Val::Str(&r.comm),
        Exe => opt(r.exe.as_deref()),
        ExeName => opt(r.exe.as_deref().map(basename)),
        Cmdline => opt(r.cmdline.as_deref()),
        CmdlineSourceF => opt(r.cmdline_source.map(|s| s.as_str())),
        ParentComm => opt(r.parent_comm.as_deref()),
        ParentExe => opt(r.parent_exe.as_deref()),
        ParentExeName => opt(r.parent_exe.as_deref().map(basename)),
        CgroupId | CgroupPath | ContainerId | ContainerRuntime | PidNs | MntNs | NetNs | UserNs | UtsNs | IpcNs
        | CgroupNs | InContainer | NsPid => context_field(field, &r.context),
        ParentCmdline => opt(r.parent_cmdline.as_deref()),
        User => opt(r.user.as_deref()),
        Euser => opt(r.euser.as_deref()),
        ExecIdF => opt(r.exec_id.as_ref().map(ExecId::as_str)),
        ParentExecId => opt(r.parent_exec_id.as_ref().map(ExecId::as_str)),
        _ => body_field(field, &r.body),
    }
}

/// A container or namespace field; an unknown namespace (0) is missing.
fn context_field(field: Field, c: &Context) -> Val<'_> {
    use Field::*;
    let inode = |n: u32| if n == 0 { Val::Missing } else { Val::Int(n.into()) };
    match field {
        CgroupId => c.cgroup_id.map_or(Val::Missing, |id| Val::Int(id.min(i64::MAX as u64) as i64)),
        CgroupPath => opt(c.cgroup_path()),
        ContainerId => opt(c.container_id()),
        ContainerRuntime => opt(c.container_runtime()),
        PidNs => inode(c.ns.pid),
        MntNs => inode(c.ns.mnt),
        NetNs => inode(c.ns.net),
        UserNs => inode(c.ns.user),
        UtsNs => inode(c.ns.uts),
        IpcNs => inode(c.ns.ipc),
        CgroupNs => inode(c.ns.cgroup),
        InContainer => c.in_container.map_or(Val::Missing, Val::Bool),
        NsPid => c.ns_pid.map_or(Val::Missing, |p| Val::Int(p.into())),
        _ => Val::Missing,
    }
}

fn body_field(field: Field, body: &Body) -> Val<'_> {
    use Field::*;
    match body {
        Body::Exec(e) => match field {
            Filename => Val::Str(&e.filename),
            FilenameName => Val::Str(basename(&e.filename)),
            Args => Val::Args(&e.args),
            ArgsCount => Val::Int(e.args.len() as i64),
            ArgsTruncated => Val::Bool(e.args_truncated),
            // what kmod, busybox and getopt's messages go by; the caller sets it freely
            Argv0Name => e.args.first().map_or(Val::Missing, |a| Val::Str(basename(a))),
            Cwd => opt(e.cwd.as_deref()),
            ExeSha256 => opt(e.exe_sha256.as_deref()),
            Syscall => Val::Str(e.syscall),
            Stdin => Val::Str(e.stdio[0]),
            Stdout => Val::Str(e.stdio[1]),
            Stderr => Val::Str(e.stdio[2]),
            Egid => Val::Int(e.creds.egid.into()),
            OldUid => e.creds.before.map_or(Val::Missing, |b| Val::Int(b.uid.into())),
            OldEuid => e.creds.before.map_or(Val::Missing, |b| Val::Int(b.euid.into())),
            OldGid => e.creds.before.map_or(Val::Missing, |b| Val::Int(b.gid.into())),
            OldEgid => e.creds.before.map_or(Val::Missing, |b| Val::Int(b.egid.into())),
            PrivilegeChange => e.creds.before.map_or(Val::Missing, |b| Val::Bool(b.privilege_change)),
            CapsGained => e.creds.before.map_or(Val::Missing, |b| Val::Caps(b.caps_gained)),
            Interpreter => opt(e.script.as_ref().map(|s| s.interpreter.as_str())),
            Script => opt(e.script.as_ref().map(|s| s.path.as_str())),
            ScriptName => opt(e.script.as_ref().map(|s| basename(&s.path))),
            ScriptSourceF => opt(e.script.as_ref().map(|s| s.source.as_str())),
            _ => Val::Missing,
        },
        Body::Fork(f) => match field {
            ParentTid => Val::Int(f.parent_tid.into()),
            _ => Val::Missing,
        },
        Body::Exit(x) => match field {
            ExitCode => Val::Int(x.exit_code.into()),
            Signal => x.signal.map_or(Val::Missing, |s| Val::Int(s.into())),
            LifetimeNs => x.lifetime_ns.map_or(Val::Missing, |n| Val::Int(n.min(i64::MAX as u64) as i64)),
            CoreDumped => Val::Bool(x.core_dumped),
            _ => Val::Missing,
        },
        Body::Ptrace(p) => match field {
            Request => opt(p.request_name),
            RequestCode => Val::Int(p.request),
            TargetPid => Val::Int(p.target_pid.into()),
            TargetComm => opt(p.target_comm.as_deref()),
            TargetExe => opt(p.target_exe.as_deref()),
            TargetCmdline => opt(p.target_cmdline.as_deref()),
            TargetSameExe => p.target_same_exe.map_or(Val::Missing, Val::Bool),
            Result => Val::Int(p.result),
            _ => Val::Missing,
        },
        Body::Signal(g) => match field {
            Signal => Val::Int(g.signal.into()),
            SignalName => opt(g.signal_name),
            TargetPid => g.target_pid.map_or(Val::Missing, |p| Val::Int(p.into())),
            TargetTid => g.target_tid.map_or(Val::Missing, |t| Val::Int(t.into())),
            TargetComm => opt(g.target_comm.as_deref()),
            TargetExe => opt(g.target_exe.as_deref()),
            Syscall => Val::Str(g.syscall),
            _ => Val::Missing,
        },
        Body::Cred(c) => cred_field(field, c),
        Body::Memfd(m) => match field {
            MemfdName => Val::Str(&m.name),
            Flags => Val::Bits(m.flags, &MEMFD_FLAGS),
            Fd => Val::Int(m.fd.into()),
            _ => Val::Missing,
        },
        Body::Inject(i) => match field {
            TargetPid => Val::Int(i.target_pid.into()),
            TargetComm => opt(i.target_comm.as_deref()),
            TargetExe => opt(i.target_exe.as_deref()),
            TargetCmdline => opt(i.target_cmdline.as_deref()),
            TargetSameExe => i.target_same_exe.map_or(Val::Missing, Val::Bool),
            Bytes => Val::Int(i.bytes.min(i64::MAX as u64) as i64),
            LocalIovcnt => Val::Int(i.local_iovcnt.into()),
            RemoteIovcnt => Val::Int(i.remote_iovcnt.into()),
            Syscall => Val::Str(i.syscall),
            _ => Val::Missing,
        },
        Body::Bpf(b) => match field {
            BpfCmd => opt(bpf_cmd_name(b.cmd)),
            ProgType => opt(b.prog_type.and_then(bpf_prog_type_name)),
            ProgName => opt(b.prog_name.as_deref()),
            AttachType => opt(b.attach_type.and_then(bpf_attach_type_name)),
            ProgFd => Val::Int(b.prog_fd.into()),
            InsnCount => b.insn_count.map_or(Val::Missing, |n| Val::Int(n.into())),
            Result => Val::Int(b.result),
            _ => Val::Missing,
        },
        Body::Namespace(n) => match field {
            Namespaces => Val::Bits(n.ns_bits(), &NAMESPACES),
            NsFlags => Val::Int(n.flags.min(i64::MAX as u64) as i64),
            NsInode => n.ns_inode.map_or(Val::Missing, |i| Val::Int(i.into())),
            NsType => opt(n.ns_type.and_then(|t| bit_names(t, &NAMESPACES).next())),
            NsInitial => n.ns_initial().map_or(Val::Missing, Val::Bool),
            TargetPid => n.target_pid.map_or(Val::Missing, |p| Val::Int(p.into())),
            TargetComm => opt(n.target_comm.as_deref()),
            TargetExe => opt(n.target_exe.as_deref()),
            ChildPid => n.child_pid.map_or(Val::Missing, |p| Val::Int(p.into())),
            Fd => n.fd.map_or(Val::Missing, |f| Val::Int(f.into())),
            Syscall => Val::Str(n.syscall),
            _ => Val::Missing,
        },
        Body::Mount(m) => match field {
            Source => opt(m.source.as_deref()),
            SourceDetached => Val::Bool(m.source_detached),
            Target => opt(m.target.as_deref()),
            Fstype => opt(m.fstype.as_deref()),
            Flags => Val::Bits(m.flags as u32, mount_flag_table(m.syscall)),
            MountFlags => Val::Int(m.flags.min(i64::MAX as u64) as i64),
            Fd => m.fd.map_or(Val::Missing, |f| Val::Int(f.into())),
            Syscall => Val::Str(m.syscall),
            _ => Val::Missing,
        },
        Body::IoUring(u) => match field {
            Fd => u.fd.map_or(Val::Missing, |f| Val::Int(f.into())),
            SqEntries => Val::Int(u.sq_entries.into()),
            CqEntries => Val::Int(u.cq_entries.into()),
            Flags => Val::Bits(u.flags, &IO_URING_SETUP_FLAGS),
            _ => Val::Missing,
        },
        Body::File(f) => match (field, &f.op) {
            (Path, _) => Val::Str(&f.path),
            (PathName, _) => Val::Str(basename(&f.path)),
            (PathDir, _) => Val::Str(dirname(&f.path)),
            (PathTruncated, _) => Val::Bool(f.path_truncated),
            (PathDetached, _) => Val::Bool(f.path_detached),
            (Syscall, _) => Val::Str(f.syscall),
            (Flags, FileOp::Open { flags, .. }) => Val::Flags(*flags),
            (Access, FileOp::Open { flags, .. }) => Val::Str(open_access(*flags)),
            (Mode, FileOp::Open { mode, .. }) => Val::Int((*mode).into()),
            (Fd, FileOp::Open { fd: d, .. }) | (Fd, FileOp::Write { fd: d, .. }) => fd(*d),
            (IoUringOp, _) => opt(f.io_uring.map(|u| u.op)),
            (FdUnknown, _) => opt(f.io_uring.and_then(|u| u.fd_unknown)),
            // only the path requests can be reported before they ran
            (ResultUnknown, FileOp::Rename { .. } | FileOp::Unlink { .. } | FileOp::Link(_)) => {
                f.io_uring.map_or(Val::Missing, |u| Val::Bool(u.result_unknown))
            }
            (Bytes, FileOp::Write { bytes, .. }) => Val::Int((*bytes).min(i64::MAX as u64) as i64),
            (NewPath, FileOp::Rename { new_path, .. }) => Val::Str(new_path),
            (NewPathName, FileOp::Rename { new_path, .. }) => Val::Str(basename(new_path)),
            (NewPathDir, FileOp::Rename { new_path, .. }) => Val::Str(dirname(new_path)),
            (NewPathTruncated, FileOp::Rename { new_path_truncated, .. }) => Val::Bool(*new_path_truncated),
            (Exchange, FileOp::Rename { exchange, .. }) => Val::Bool(*exchange),
            (DestPath, FileOp::Rename { new_path, exchange, .. }) => {
                Val::Paths(new_path, exchange.then_some(f.path.as_str()))
            }
            (IsDir, FileOp::Unlink { is_dir }) => Val::Bool(*is_dir),
            (Mode, FileOp::Chmod { mode }) => Val::Int((*mode).into()),
            (Setuid, FileOp::Chmod { mode }) => Val::Bool(setuid(*mode)),
            (Setgid, FileOp::Chmod { mode }) => Val::Bool(setgid(*mode)),
            (Sticky, FileOp::Chmod { mode }) => Val::Bool(sticky(*mode)),
            (OwnerUid, FileOp::Chown(c)) => c.owner_uid.map_or(Val::Missing, |u| Val::Int(u.into())),
            (OwnerGid, FileOp::Chown(c)) => c.owner_gid.map_or(Val::Missing, |g| Val::Int(g.into())),
            (FollowSymlinks, FileOp::Chown(c)) => c.follow_symlinks.map_or(Val::Missing, Val::Bool),
            (Length, FileOp::Truncate { length }) => Val::Int(*length),
            (Target, FileOp::Link(l)) => Val::Str(&l.target),
            (TargetTruncated, FileOp::Link(l)) => Val::Bool(l.target_truncated),
            (Symlink, FileOp::Link(l)) => Val::Bool(l.symlink),
            (FollowSymlinks, FileOp::Link(l)) => l.follow_symlinks.map_or(Val::Missing, Val::Bool),
            (_, FileOp::Utimes(u)) => utimes_field(field, u),
            (_, FileOp::Xattr(x)) => xattr_field(field, x),
            _ => Val::Missing,
        },
        Body::Net(n) => match field {
            Family => Val::Str(&n.family),
            Protocol => Val::Str(n.protocol),
            Direction => Val::Str(n.kind.direction()),
            LocalAddr => opt(n.local_addr.as_deref()),
            LocalPort => n.local_port.map_or(Val::Missing, |p| Val::Int(p.into())),
            RemoteAddr => opt(n.remote_addr.as_deref()),
            RemotePort => n.remote_port.map_or(Val::Missing, |p| Val::Int(p.into())),
            Backlog if n.kind == NetKind::Listen => n.backlog.map_or(Val::Missing, |b| Val::Int(b.into())),
            Fd => fd(n.fd),
            Result => Val::Int(n.result),
            Syscall => Val::Str(n.syscall),
            IoUringOp if n.kind == NetKind::Connect => opt(n.io_uring.map(|u| u.op)),
            FdUnknown if n.kind == NetKind::Connect => opt(n.io_uring.and_then(|u| u.fd_unknown)),
            _ => Val::Missing,
        },
    }
}

/// A `process_setuid` field: the ids of the family the call changed, the
/// groups of setgroups, the sets of capset; Missing otherwise.
fn cred_field(field: Field, c: &Cred) -> Val<'_> {
    use Field::*;
    let id = |change: Option<IdChange>, new: bool, i: usize| {
        change.map_or(Val::Missing, |ch| Val::Int(i64::from(if new { ch.new } else { ch.old }.as_array()[i])))
    };
    match field {
        Syscall => Val::Str(c.syscall),
        OldUid => id(c.uids, false, 0),
        NewUid => id(c.uids, true, 0),
        OldEuid => id(c.uids, false, 1),
        NewEuid => id(c.uids, true, 1),
        OldSuid => id(c.uids, false, 2),
        NewSuid => id(c.uids, true, 2),
        OldFsuid => id(c.uids, false, 3),
        NewFsuid => id(c.uids, true, 3),
        OldGid => id(c.gids, false, 0),
        NewGid => id(c.gids, true, 0),
        OldEgid => id(c.gids, false, 1),
        NewEgid => id(c.gids, true, 1),
        OldSgid => id(c.gids, false, 2),
        NewSgid => id(c.gids, true, 2),
        OldFsgid => id(c.gids, false, 3),
        NewFsgid => id(c.gids, true, 3),
        GroupCount => c.group_count.map_or(Val::Missing, |n| Val::Int(n.into())),
        CapEffective => c.caps.map_or(Val::Missing, |k| Val::Caps(k.effective)),
        CapPermitted => c.caps.map_or(Val::Missing, |k| Val::Caps(k.permitted)),
        CapInheritable => c.caps.map_or(Val::Missing, |k| Val::Caps(k.inheritable)),
        _ => Val::Missing,
    }
}

/// A `file_utimes` field beyond the path's.
fn utimes_field(field: Field, u: &Utimes) -> Val<'_> {
    use Field::*;
    let sec = |t: Option<TimeSet>| match t {
        Some(TimeSet::At { sec, .. }) => Val::Int(sec),
        _ => Val::Missing,
    };
    let nsec = |t: Option<TimeSet>| match t {
        Some(TimeSet::At { nsec, .. }) => Val::Int(nsec.into()),
        _ => Val::Missing,
    };
    match field {
        AtimeSec => sec(u.atime),
        AtimeNsec => nsec(u.atime),
        AtimeSet => u.atime.map_or(Val::Missing, |t| Val::Str(t.name())),
        MtimeSec => sec(u.mtime),
        MtimeNsec => nsec(u.mtime),
        MtimeSet => u.mtime.map_or(Val::Missing, |t| Val::Str(t.name())),
        MtimeAgeS => u.mtime_age_s.map_or(Val::Missing, Val::Int),
        TimesNull => Val::Bool(u.times_null),
        TimesUnread => Val::Bool(u.times_unread()),
        Flags => Val::Bits(u.flags, &UTIMES_FLAGS),
        FollowSymlinks => u.follow_symlinks().map_or(Val::Missing, Val::Bool),
        _ => Val::Missing,
    }
}

/// A `file_xattr` field beyond the path's.
fn xattr_field(field: Field, x: &Xattr) -> Val<'_> {
    use Field::*;
    match field {
        XattrName => Val::Str(&x.name),
        XattrOp => Val::Str(x.op.as_str()),
        ValueSize => x.value_size.map_or(Val::Missing, |n| Val::Int(n.min(i64::MAX as u64) as i64)),
        ValueUnread => Val::Bool(x.value_unread),
        Flags => Val::Bits(x.flags, &XATTR_FLAGS),
        FollowSymlinks => x.follow_symlinks().map_or(Val::Missing, Val::Bool),
        FileCaps => Val::Bool(x.file_caps()),
        CapPermitted => x.caps.map_or(Val::Missing, |c| Val::Caps(c.permitted)),
        CapInheritable => x.caps.map_or(Val::Missing, |c| Val::Caps(c.inheritable)),
        CapEffective => x.caps.map_or(Val::Missing, |c| Val::Caps(c.effective_set())),
        CapRootid => x.caps.and_then(|c| c.rootid).map_or(Val::Missing, |r| Val::Int(r.into())),
        _ => Val::Missing,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_suggestions_work() {
        let mut names: Vec<_> = Field::ALL.iter().map(|f| f.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Field::ALL.len());
        assert_eq!(Field::suggest("remote_prot"), Some("remote_port"));
        assert_eq!(Field::suggest("zzzzzzzzzzzz"), None);
    }

    /// One record of each type with every optional field present.
    pub(crate) fn full_records() -> Vec<Record> {
        use crate::record::{Chown, Exit, Fork, IoUring, Ptrace, Signal, UringReq};
        use crate::rules::bench::*;
        let mut v = vec![exec(1, 2, 1, "bash", "/bin/ls", &["ls"], ["tty", "tty", "tty"])];
        if let Body::Exec(e) = &mut v[0].body {
            e.creds.before = Some(Default::default());
            let source = crate::record::ScriptSource::Kernel;
            e.script = Some(crate::record::Script { interpreter: "/bin/sh".into(), path: "/x.sh".into(), source });
        }
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Fork(Fork { parent_tid: 1 })));
        let exit = Exit { exit_code: 1, signal: Some(9), core_dumped: true, lifetime_ns: Some(5) };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Exit(exit)));
        let pt = Ptrace {
            request: 16,
            request_name: Some("PTRACE_ATTACH"),
            target_pid: 3,
            target_comm: Some("t".into()),
            target_exe: Some("/t".into()),
            target_cmdline: Some("t x".into()),
            target_same_exe: Some(false),
            result: 0,
        };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Ptrace(pt)));
        let sig = Signal {
            signal: 9,
            signal_name: Some("SIGKILL"),
            target_pid: Some(3),
            target_tid: Some(3),
            target_comm: Some("t".into()),
            target_exe: Some("/t".into()),
            syscall: "tgkill",
        };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Signal(sig)));
        // every part at once, which no single call fills, to reach every field
        let ids = crate::record::IdChange { old: Default::default(), new: Default::default() };
        let cred = crate::record::Cred {
            syscall: "setuid",
            uids: Some(ids),
            gids: Some(ids),
            group_count: Some(1),
            groups: vec![1],
            caps: Some(Default::default()),
        };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Cred(cred)));
        v.push(memfd(1, "/a", "x", 0x11));
        v.push(inject(1, "/a", "/t"));
        let mut b = bpf_prog_load(1, "/a", "p");
        if let Body::Bpf(b) = &mut b.body {
            b.attach_type = Some(2); // only attach commands have one: every field at once
        }
        v.push(b);
        let mut n = namespace(1, "/a", "setns", 0x0400_0000, Some(0xEFFF_FFFE));
        if let Body::Namespace(n) = &mut n.body {
            // a pidfd target and a child at once: every field
            (n.target_pid, n.target_comm, n.target_exe, n.child_pid) =
                (Some(1), Some("init".into()), Some("/sbin/init".into()), Some(5));
        }
        v.push(n);
        let mut m = mount(1, "/a", "move_mount", Some("/dev/sda1"), Some("/mnt"), Some("ext4"), 0x4);
        if let Body::Mount(m) = &mut m.body {
            m.fd = Some(3);
        }
        v.push(m);
        let ring = IoUring { fd: Some(3), sq_entries: 8, cq_entries: 16, flags: 2 };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::IoUring(ring)));
        let req = Some(UringReq { op: "IORING_OP_OPENAT", fd_unknown: Some("registered_file"), result_unknown: false });
        for mut r in [open(1, 2, "a", "/x/y", O_RDWR | O_CREAT), write(1, 2, "a", "/x/y")] {
            if let Body::File(f) = &mut r.body {
                f.io_uring = req;
            }
            v.push(r);
        }
        let at_submit = Some(UringReq { op: "IORING_OP_RENAMEAT", fd_unknown: None, result_unknown: true });
        let through_ring = |mut r: Record| {
            if let Body::File(f) = &mut r.body {
                f.io_uring = at_submit;
            }
            r
        };
        v.push(through_ring(rename(1, 2, "a", "/x/y", "/x/z")));
        v.push(through_ring(unlink(1, 2, "a", "/x/y")));
        v.push(chmod(1, 2, "a", "/x/y", 0o4755));
        v.push(chown(1, 2, "a", "/x/y", Chown::from_raw(0, 0, Some(true))));
        v.push(truncate(1, 2, "a", "/x/y", 0));
        v.push(through_ring(link(1, 2, "a", "/x/y", "/x/z", false)));
        v.push(utimes(1, "/a", "/x/y", 0));
        let caps = crate::record::FileCaps { permitted: 1, inheritable: 0, effective: true, rootid: Some(0) };
        v.push(xattr(1, "/a", "/x/y", "security.capability", crate::record::XattrOp::Set, Some(caps)));
        for kind in [NetKind::Connect, NetKind::Accept, NetKind::Bind, NetKind::Listen] {
            let mut r = net(1, 2, 1, "a", kind, "10.0.0.1", 80);
            if let Body::Net(n) = &mut r.body {
                (n.local_addr, n.local_port) = (Some("10.0.0.2".into()), Some(5000));
                (n.remote_addr, n.remote_port, n.backlog) = (Some("10.0.0.3".into()), Some(80), Some(1));
                n.io_uring = req.filter(|_| kind == NetKind::Connect);
            }
            v.push(r);
        }
        for r in &mut v {
            r.cmdline = Some("a b".into());
            r.cmdline_source = Some(crate::record::CmdlineSource::Exec);
            r.parent_exe = Some("/p".into());
            r.context = full_context();
            r.parent_cmdline = Some("p -x".into());
            (r.user, r.euser) = (Some("u".into()), Some("root".into()));
            r.exec_id = Some(ExecId::from_bytes(&[1; 16]));
            r.parent_exec_id = Some(ExecId::from_bytes(&[2; 16]));
            if let Body::Exec(e) = &mut r.body {
                e.exe_sha256 = Some("ab".repeat(32).into());
            }
        }
        v
    }

    /// A record's context with every field known.
    fn full_context() -> crate::record::Context {
        use crate::record::{Cgroup, Context, Namespaces};
        let cgroup = Cgroup { path: "/docker/x".into(), container_id: Some("x".into()), runtime: Some("docker") };
        let n = 0xF000_0001;
        Context {
            cgroup_id: Some(7),
            cgroup: Some(std::sync::Arc::new(cgroup)),
            ns: Namespaces { pid: n, mnt: n + 1, net: n + 2, user: n + 3, uts: n + 4, ipc: n + 5, cgroup: n + 6 },
            in_container: Some(true),
            ns_pid: Some(1),
        }
    }

    #[test]
    fn a_field_is_missing_from_every_record_type_that_does_not_carry_it() {
        // What lets `Cond::specialize` decide a test on a field the type
        // never carries: get() can only answer Missing there.
        let recs = full_records();
        assert_eq!(recs.len(), EventType::ALL.len());
        for r in &recs {
            let et = r.event_type();
            for &f in Field::ALL {
                let v = get(f, r);
                if !f.carriers().has(et) {
                    assert!(matches!(v, Val::Missing), "{} on {}: {v:?}", f.name(), et.as_str());
                } else {
                    // and the carried ones are there on a full record
                    assert!(!matches!(v, Val::Missing), "{} missing on {}", f.name(), et.as_str());
                }
            }
        }
    }

    #[test]
    fn carriers_and_paths() {
        assert!(Field::RemotePort.carriers().has(EventType::NetworkConnect));
        assert!(!Field::RemotePort.carriers().has(EventType::ProcessExec));
        // a connect carries its local end once the kernel picked one
        assert!(Field::LocalPort.carriers().has(EventType::NetworkConnect));
        assert!(!Field::LocalPort.carriers().has(EventType::FileOpen));
        assert_eq!(dirname("/tmp/x"), "/tmp");
        assert_eq!(dirname("/x"), "/");
        assert_eq!(basename("/usr/bin/ls"), "ls");
    }
}
