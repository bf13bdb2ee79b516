//! One row per rule field: its name and type. Which event types carry a
//! field is not written here but read off the event rows (`events.rs`), so
//! the two cannot disagree; the common fields are on every record.

use super::{EventType, TypeMask};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Str,
    Int,
    Bool,
    StrList,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Str => "a string",
            FieldType::Int => "an integer",
            FieldType::Bool => "a boolean",
            FieldType::StrList => "a string list",
        }
    }
}

macro_rules! fields {
    ($($var:ident = $name:literal : $ty:ident;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Field { $($var),* }
        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$var),*];
            pub fn name(self) -> &'static str {
                match self { $(Field::$var => $name),* }
            }
            pub fn ty(self) -> FieldType {
                match self { $(Field::$var => FieldType::$ty),* }
            }
        }
    };
}

fields! {
    EventTypeF = "event_type": Str;
    Timestamp = "timestamp": Int;
    Host = "host": Str;
    Pid = "pid": Int;
    Tid = "tid": Int;
    Ppid = "ppid": Int;
    Uid = "uid": Int;
    Gid = "gid": Int;
    Euid = "euid": Int;
    Comm = "comm": Str;
    Exe = "exe": Str;
    ExeName = "exe_name": Str;
    Cmdline = "cmdline": Str;
    CmdlineSourceF = "cmdline_source": Str;
    ParentComm = "parent_comm": Str;
    ParentExe = "parent_exe": Str;
    ParentExeName = "parent_exe_name": Str;
    CgroupId = "cgroup_id": Int;
    CgroupPath = "cgroup": Str;
    ContainerId = "container_id": Str;
    ContainerRuntime = "container_runtime": Str;
    PidNs = "pidns": Int;
    MntNs = "mntns": Int;
    NetNs = "netns": Int;
    UserNs = "userns": Int;
    UtsNs = "utsns": Int;
    IpcNs = "ipcns": Int;
    CgroupNs = "cgroupns": Int;
    InContainer = "in_container": Bool;
    NsPid = "ns_pid": Int;
    ParentCmdline = "parent_cmdline": Str;
    User = "user": Str;
    Euser = "euser": Str;
    ExecIdF = "exec_id": Str;
    ParentExecId = "parent_exec_id": Str;
    ExeSha256 = "exe_sha256": Str;
    Filename = "filename": Str;
    FilenameName = "filename_name": Str;
    Args = "args": StrList;
    ArgsCount = "args_count": Int;
    ArgsTruncated = "args_truncated": Bool;
    Argv0Name = "argv0_name": Str;
    Cwd = "cwd": Str;
    Syscall = "syscall": Str;
    Stdin = "stdin": Str;
    Stdout = "stdout": Str;
    Stderr = "stderr": Str;
    ParentTid = "parent_tid": Int;
    ExitCode = "exit_code": Int;
    Signal = "signal": Int;
    LifetimeNs = "lifetime_ns": Int;
    CoreDumped = "core_dumped": Bool;
    Request = "request": Str;
    RequestCode = "request_code": Int;
    TargetPid = "target_pid": Int;
    SignalName = "signal_name": Str;
    TargetTid = "target_tid": Int;
    TargetComm = "target_comm": Str;
    TargetExe = "target_exe": Str;
    OldUid = "old_uid": Int;
    NewUid = "new_uid": Int;
    OldEuid = "old_euid": Int;
    NewEuid = "new_euid": Int;
    OldSuid = "old_suid": Int;
    NewSuid = "new_suid": Int;
    OldFsuid = "old_fsuid": Int;
    NewFsuid = "new_fsuid": Int;
    OldGid = "old_gid": Int;
    NewGid = "new_gid": Int;
    OldEgid = "old_egid": Int;
    NewEgid = "new_egid": Int;
    OldSgid = "old_sgid": Int;
    NewSgid = "new_sgid": Int;
    OldFsgid = "old_fsgid": Int;
    NewFsgid = "new_fsgid": Int;
    GroupCount = "group_count": Int;
    CapEffective = "cap_effective": StrList;
    CapPermitted = "cap_permitted": StrList;
    CapInheritable = "cap_inheritable": StrList;
    TargetCmdline = "target_cmdline": Str;
    Egid = "egid": Int;
    PrivilegeChange = "privilege_change": Bool;
    CapsGained = "caps_gained": StrList;
    Interpreter = "interpreter": Str;
    Script = "script": Str;
    ScriptName = "script_name": Str;
    ScriptSourceF = "script_source": Str;
    TargetSameExe = "target_same_exe": Bool;
    LocalIovcnt = "local_iovcnt": Int;
    RemoteIovcnt = "remote_iovcnt": Int;
    MemfdName = "memfd_name": Str;
    BpfCmd = "bpf_cmd": Str;
    ProgType = "prog_type": Str;
    ProgName = "prog_name": Str;
    AttachType = "attach_type": Str;
    ProgFd = "prog_fd": Int;
    InsnCount = "insn_count": Int;
    Namespaces = "namespaces": StrList;
    NsFlags = "ns_flags": Int;
    NsInode = "ns_inode": Int;
    NsType = "ns_type": Str;
    NsInitial = "ns_initial": Bool;
    ChildPid = "child_pid": Int;
    Source = "source": Str;
    SourceDetached = "source_detached": Bool;
    Target = "target": Str;
    Fstype = "fstype": Str;
    MountFlags = "mount_flags": Int;
    Result = "result": Int;
    SqEntries = "sq_entries": Int;
    CqEntries = "cq_entries": Int;
    IoUringOp = "io_uring_op": Str;
    FdUnknown = "fd_unknown": Str;
    ResultUnknown = "result_unknown": Bool;
    Path = "path": Str;
    PathName = "path_name": Str;
    PathDir = "path_dir": Str;
    PathTruncated = "path_truncated": Bool;
    PathDetached = "path_detached": Bool;
    Flags = "flags": StrList;
    Access = "access": Str;
    Mode = "mode": Int;
    Fd = "fd": Int;
    Bytes = "bytes": Int;
    NewPath = "new_path": Str;
    NewPathName = "new_path_name": Str;
    NewPathDir = "new_path_dir": Str;
    NewPathTruncated = "new_path_truncated": Bool;
    Exchange = "exchange": Bool;
    DestPath = "dest_path": StrList;
    IsDir = "is_dir": Bool;
    Setuid = "setuid": Bool;
    Setgid = "setgid": Bool;
    Sticky = "sticky": Bool;
    OwnerUid = "owner_uid": Int;
    OwnerGid = "owner_gid": Int;
    FollowSymlinks = "follow_symlinks": Bool;
    Length = "length": Int;
    TargetTruncated = "target_truncated": Bool;
    Symlink = "symlink": Bool;
    AtimeSec = "atime_sec": Int;
    AtimeNsec = "atime_nsec": Int;
    AtimeSet = "atime_set": Str;
    MtimeSec = "mtime_sec": Int;
    MtimeNsec = "mtime_nsec": Int;
    MtimeSet = "mtime_set": Str;
    MtimeAgeS = "mtime_age_s": Int;
    TimesNull = "times_null": Bool;
    TimesUnread = "times_unread": Bool;
    XattrName = "xattr_name": Str;
    XattrOp = "xattr_op": Str;
    ValueSize = "value_size": Int;
    ValueUnread = "value_unread": Bool;
    FileCaps = "file_caps": Bool;
    CapRootid = "cap_rootid": Int;
    Family = "family": Str;
    Protocol = "protocol": Str;
    Direction = "direction": Str;
    LocalAddr = "local_addr": Str;
    LocalPort = "local_port": Int;
    RemoteAddr = "remote_addr": Str;
    RemotePort = "remote_port": Int;
    Backlog = "backlog": Int;
}

/// The fields every record carries, whatever its type.
pub const COMMON: &[Field] = &[
    Field::EventTypeF,
    Field::Timestamp,
    Field::Host,
    Field::Pid,
    Field::Tid,
    Field::Ppid,
    Field::Uid,
    Field::Gid,
    Field::Euid,
    Field::Comm,
    Field::Exe,
    Field::ExeName,
    Field::Cmdline,
    Field::CmdlineSourceF,
    Field::ParentComm,
    Field::ParentExe,
    Field::ParentExeName,
    // container and namespace context (record/container.rs)
    Field::CgroupId,
    Field::CgroupPath,
    Field::ContainerId,
    Field::ContainerRuntime,
    Field::PidNs,
    Field::MntNs,
    Field::NetNs,
    Field::UserNs,
    Field::UtsNs,
    Field::IpcNs,
    Field::CgroupNs,
    Field::InContainer,
    Field::NsPid,
    Field::ParentCmdline,
    Field::User,
    Field::Euser,
    Field::ExecIdF,
    Field::ParentExecId,
];

impl Field {
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The event types whose records carry this field.
    pub fn carriers(self) -> TypeMask {
        if COMMON.contains(&self) {
            return TypeMask::ALL;
        }
        EventType::ALL
            .into_iter()
            .filter(|t| t.fields().contains(&self))
            .fold(TypeMask::NONE, |m, t| m.union(TypeMask::of(t)))
    }

    /// The valid field name closest to `name` (edit distance ≤ 3).
    pub fn suggest(name: &str) -> Option<&'static str> {
        Field::ALL
            .iter()
            .map(|f| (edit_distance(name, f.name()), f.name()))
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    }
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
