//! One row per event type: its record name, category, ABI kind, the ABI
//! struct it arrives in, the config hooks that produce it and the rule
//! fields its records carry beyond the common ones.

use super::fields::Field::{self, *};
use super::hooks::{FileHook, NetHook, ProcessHook};
use super::{kind_id, Category, FileKind, Layout, MetaKind, NetKind, Prog};
use crate::bpf::skel::types::rg_kind;

/// A hook of any category, as an event row names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AnyHook {
    Process(ProcessHook),
    File(FileHook),
    Net(NetHook),
}

impl AnyHook {
    pub fn category(self) -> Category {
        match self {
            AnyHook::Process(_) => Category::Process,
            AnyHook::File(_) => Category::File,
            AnyHook::Net(_) => Category::Network,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            AnyHook::Process(h) => h.name(),
            AnyHook::File(h) => h.name(),
            AnyHook::Net(h) => h.name(),
        }
    }
    pub fn programs(self) -> &'static [Prog] {
        match self {
            AnyHook::Process(h) => h.programs(),
            AnyHook::File(h) => h.programs(),
            AnyHook::Net(h) => h.programs(),
        }
    }
}

macro_rules! events {
    ($($var:ident = $name:literal {
        category: $cat:ident,
        kind: $kind:ident,
        layout: $layout:expr,
        hooks: [$($hcat:ident($hook:expr)),+ $(,)?],
        fields: [$($field:ident),* $(,)?] $(,)?
    })+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventType { $($var),+ }

        impl EventType {
            /// Every event type, in catalog order (`TypeMask` bits follow it).
            pub const ALL: [EventType; EventType::COUNT] = [$(EventType::$var),+];
            pub const COUNT: usize = [$($name),+].len();

            /// The record's `event_type`.
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$var => $name),+ }
            }

            pub fn category(self) -> Category {
                match self { $(EventType::$var => Category::$cat),+ }
            }

            /// The ABI kind number (`enum rg_kind`) its records carry.
            pub fn kind(self) -> u16 {
                match self { $(EventType::$var => kind_id(rg_kind::$kind)),+ }
            }

            /// The ABI struct its records arrive in.
            pub fn layout(self) -> Layout {
                match self { $(EventType::$var => $layout),+ }
            }

            /// The config hooks that produce it.
            pub fn hooks(self) -> &'static [AnyHook] {
                match self { $(EventType::$var => &[$(AnyHook::$hcat($hook)),+]),+ }
            }

            /// The rule fields its records carry besides the common ones.
            pub fn fields(self) -> &'static [Field] {
                match self { $(EventType::$var => &[$($field),*]),+ }
            }
        }
    };
}

use FileKind as F;
use MetaKind as M;
use NetKind as N;

events! {
    ProcessExec = "process_exec" {
        category: Process, kind: RG_KIND_EXEC, layout: Layout::Exec,
        hooks: [Process(ProcessHook::Execve), Process(ProcessHook::Execveat)],
        fields: [Filename, FilenameName, Args, ArgsCount, ArgsTruncated, Argv0Name, Cwd, Syscall, Stdin, Stdout, Stderr,
                 Egid, OldUid, OldEuid, OldGid, OldEgid, PrivilegeChange, CapsGained,
                 Interpreter, Script, ScriptName, ScriptSourceF, ExeSha256],
    }
    ProcessFork = "process_fork" {
        category: Process, kind: RG_KIND_FORK, layout: Layout::Fork,
        hooks: [Process(ProcessHook::Fork)],
        fields: [ParentTid],
    }
    ProcessExit = "process_exit" {
        category: Process, kind: RG_KIND_EXIT, layout: Layout::Exit,
        hooks: [Process(ProcessHook::Exit)],
        fields: [ExitCode, Signal, LifetimeNs, CoreDumped],
    }
    ProcessPtrace = "process_ptrace" {
        category: Process, kind: RG_KIND_PTRACE, layout: Layout::Ptrace,
        hooks: [Process(ProcessHook::Ptrace)],
        fields: [Request, RequestCode, TargetPid, TargetComm, TargetExe, TargetCmdline, TargetSameExe, Result],
    }
    ProcessSignal = "process_signal" {
        category: Process, kind: RG_KIND_SIGNAL, layout: Layout::Signal,
        hooks: [Process(ProcessHook::Kill), Process(ProcessHook::Tkill), Process(ProcessHook::Tgkill),
                Process(ProcessHook::PidfdSendSignal)],
        fields: [Signal, SignalName, TargetPid, TargetTid, TargetComm, TargetExe, Syscall],
    }
    ProcessSetuid = "process_setuid" {
        category: Process, kind: RG_KIND_SETUID, layout: Layout::Cred,
        hooks: [Process(ProcessHook::Setuid), Process(ProcessHook::Setgid), Process(ProcessHook::Setreuid),
                Process(ProcessHook::Setregid), Process(ProcessHook::Setresuid), Process(ProcessHook::Setresgid),
                Process(ProcessHook::Setfsuid), Process(ProcessHook::Setfsgid), Process(ProcessHook::Setgroups),
                Process(ProcessHook::Capset)],
        fields: [Syscall, OldUid, NewUid, OldEuid, NewEuid, OldSuid, NewSuid, OldFsuid, NewFsuid,
                 OldGid, NewGid, OldEgid, NewEgid, OldSgid, NewSgid, OldFsgid, NewFsgid,
                 GroupCount, CapEffective, CapPermitted, CapInheritable],
    }
    ProcessMemfd = "process_memfd" {
        category: Process, kind: RG_KIND_MEMFD, layout: Layout::Memfd,
        hooks: [Process(ProcessHook::MemfdCreate)],
        fields: [MemfdName, Flags, Fd],
    }
    ProcessInject = "process_inject" {
        category: Process, kind: RG_KIND_INJECT, layout: Layout::Inject,
        hooks: [Process(ProcessHook::ProcessVmWritev)],
        fields: [TargetPid, TargetComm, TargetExe, TargetCmdline, TargetSameExe, Bytes, LocalIovcnt, RemoteIovcnt,
                 Syscall],
    }
    BpfLoad = "bpf_load" {
        category: Process, kind: RG_KIND_BPF, layout: Layout::Bpf,
        hooks: [Process(ProcessHook::Bpf)],
        fields: [BpfCmd, ProgType, ProgName, AttachType, ProgFd, InsnCount, Result],
    }
    ProcessNamespace = "process_namespace" {
        category: Process, kind: RG_KIND_NAMESPACE, layout: Layout::Namespace,
        hooks: [Process(ProcessHook::Setns), Process(ProcessHook::Unshare), Process(ProcessHook::Clone),
                Process(ProcessHook::Clone3)],
        fields: [Namespaces, NsFlags, NsInode, NsType, NsInitial, TargetPid, TargetComm, TargetExe, ChildPid, Fd,
                 Syscall],
    }
    // Named by issue 13 after what it changes (the file tree), but a
    // process event: its hooks are [process] hooks, and no [file] path
    // filter applies (its strings are the caller's, never a filter's basis).
    FileMount = "file_mount" {
        category: Process, kind: RG_KIND_MOUNT, layout: Layout::Mount,
        hooks: [Process(ProcessHook::Mount), Process(ProcessHook::Umount2), Process(ProcessHook::Fsmount),
                Process(ProcessHook::MoveMount), Process(ProcessHook::PivotRoot), Process(ProcessHook::Chroot),
                Process(ProcessHook::OpenTree)],
        fields: [Source, SourceDetached, Target, Fstype, Flags, MountFlags, Fd, Syscall],
    }
    // io_uring is a [file] hook (issue 13) that also reports the ring's
    // setup and the connects made through it.
    ProcessIoUring = "process_io_uring" {
        category: Process, kind: RG_KIND_IO_URING, layout: Layout::IoUring,
        hooks: [File(FileHook::IoUring)],
        fields: [Fd, SqEntries, CqEntries, Flags],
    }
    FileOpen = "file_open" {
        category: File, kind: RG_KIND_FILE_OPEN, layout: Layout::File(F::Open),
        hooks: [File(FileHook::Open), File(FileHook::Creat), File(FileHook::Openat), File(FileHook::Openat2),
                File(FileHook::IoUring)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, Flags, Access, Mode, Fd, IoUringOp, FdUnknown],
    }
    FileWrite = "file_write" {
        category: File, kind: RG_KIND_FILE_WRITE, layout: Layout::File(F::Write),
        hooks: [File(FileHook::Write), File(FileHook::Pwrite64), File(FileHook::Writev),
                File(FileHook::Pwritev), File(FileHook::Pwritev2), File(FileHook::IoUring)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, Fd, Bytes, IoUringOp, FdUnknown],
    }
    FileRename = "file_rename" {
        category: File, kind: RG_KIND_FILE_RENAME, layout: Layout::File(F::Rename),
        hooks: [File(FileHook::Rename), File(FileHook::Renameat), File(FileHook::Renameat2), File(FileHook::IoUring)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall,
                 NewPath, NewPathName, NewPathDir, NewPathTruncated,
                 Exchange, DestPath, IoUringOp, ResultUnknown],
    }
    FileUnlink = "file_unlink" {
        category: File, kind: RG_KIND_FILE_UNLINK, layout: Layout::File(F::Unlink),
        hooks: [File(FileHook::Unlink), File(FileHook::Unlinkat), File(FileHook::Rmdir), File(FileHook::IoUring)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, IsDir, IoUringOp, ResultUnknown],
    }
    FileLink = "file_link" {
        category: File, kind: RG_KIND_FILE_LINK, layout: Layout::File(F::Link),
        hooks: [File(FileHook::Link), File(FileHook::Linkat), File(FileHook::Symlink), File(FileHook::Symlinkat),
                File(FileHook::IoUring)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall,
                 Target, TargetTruncated, Symlink, FollowSymlinks, IoUringOp, ResultUnknown],
    }
    FileChmod = "file_chmod" {
        category: File, kind: RG_KIND_FILE_CHMOD, layout: Layout::FileMeta(M::Chmod),
        hooks: [File(FileHook::Chmod), File(FileHook::Fchmod), File(FileHook::Fchmodat), File(FileHook::Fchmodat2)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, Mode, Setuid, Setgid, Sticky],
    }
    FileChown = "file_chown" {
        category: File, kind: RG_KIND_FILE_CHOWN, layout: Layout::FileMeta(M::Chown),
        hooks: [File(FileHook::Chown), File(FileHook::Fchown), File(FileHook::Lchown), File(FileHook::Fchownat)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, OwnerUid, OwnerGid, FollowSymlinks],
    }
    FileTruncate = "file_truncate" {
        category: File, kind: RG_KIND_FILE_TRUNCATE, layout: Layout::FileMeta(M::Truncate),
        hooks: [File(FileHook::Truncate), File(FileHook::Ftruncate)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, Length],
    }
    FileUtimes = "file_utimes" {
        category: File, kind: RG_KIND_FILE_UTIMES, layout: Layout::Utimes,
        hooks: [File(FileHook::Utimensat), File(FileHook::Utimes), File(FileHook::Futimesat), File(FileHook::Utime)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, Flags, FollowSymlinks,
                 AtimeSec, AtimeNsec, AtimeSet, MtimeSec, MtimeNsec, MtimeSet, MtimeAgeS, TimesNull, TimesUnread],
    }
    FileXattr = "file_xattr" {
        category: File, kind: RG_KIND_FILE_XATTR, layout: Layout::Xattr,
        hooks: [File(FileHook::Setxattr), File(FileHook::Lsetxattr), File(FileHook::Fsetxattr),
                File(FileHook::Setxattrat), File(FileHook::Removexattr), File(FileHook::Lremovexattr),
                File(FileHook::Fremovexattr), File(FileHook::Removexattrat)],
        fields: [Path, PathName, PathDir, PathTruncated, PathDetached, Syscall, Flags, FollowSymlinks,
                 XattrName, XattrOp, ValueSize, ValueUnread, FileCaps, CapPermitted, CapInheritable,
                 CapEffective, CapRootid],
    }
    NetworkConnect = "network_connect" {
        category: Network, kind: RG_KIND_NET_CONNECT, layout: Layout::Net(N::Connect),
        hooks: [Net(NetHook::Connect), File(FileHook::IoUring)],
        fields: [Family, Protocol, Direction, LocalAddr, LocalPort, RemoteAddr, RemotePort, Fd, Result, Syscall,
                 IoUringOp, FdUnknown],
    }
    NetworkAccept = "network_accept" {
        category: Network, kind: RG_KIND_NET_ACCEPT, layout: Layout::Net(N::Accept),
        hooks: [Net(NetHook::Accept), Net(NetHook::Accept4)],
        fields: [Family, Protocol, Direction, LocalAddr, LocalPort, RemoteAddr, RemotePort, Fd, Result, Syscall],
    }
    NetworkBind = "network_bind" {
        category: Network, kind: RG_KIND_NET_BIND, layout: Layout::Net(N::Bind),
        hooks: [Net(NetHook::Bind)],
        fields: [Family, Protocol, Direction, LocalAddr, LocalPort, RemoteAddr, RemotePort, Fd, Result, Syscall],
    }
    NetworkListen = "network_listen" {
        category: Network, kind: RG_KIND_NET_LISTEN, layout: Layout::Net(N::Listen),
        hooks: [Net(NetHook::Listen)],
        fields: [Family, Protocol, Direction, LocalAddr, LocalPort, RemoteAddr, RemotePort, Fd, Result, Backlog,
                 Syscall],
    }
}

impl EventType {
    pub fn from_name(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The event type whose records carry ABI kind `kind`.
    pub fn from_kind(kind: u16) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.kind() == kind)
    }
}
