//! One row per config hook: its name in the config, its syscall number in
//! the ABI (`enum rg_syscall`, from the skeleton) and the BPF programs that
//! serve it. The config validates hook names against these enums and the
//! loader autoloads exactly the programs of the enabled hooks.

use std::fmt;

use super::{Attach, Prog};
use crate::bpf::skel::types::rg_syscall;

/// `handle_exit_<sc>`, attached at `sys_exit_<sc>`.
macro_rules! exit_prog {
    ($sc:ident) => {
        Prog { name: concat!("handle_exit_", stringify!($sc)), attach: Attach::SysExit(stringify!($sc)) }
    };
}

/// `handle_enter_<sc>`, attached at `sys_enter_<sc>`.
macro_rules! enter_prog {
    ($sc:ident) => {
        Prog { name: concat!("handle_enter_", stringify!($sc)), attach: Attach::SysEnter(stringify!($sc)) }
    };
}

const EXEC: Prog = Prog { name: "handle_exec", attach: Attach::Btf("sched_process_exec") };
const FORK: Prog = Prog { name: "handle_fork", attach: Attach::Btf("sched_process_fork") };
const EXIT: Prog = Prog { name: "handle_exit", attach: Attach::Btf("sched_process_exit") };
const URING_CREATE: Prog = Prog { name: "handle_io_uring_create", attach: Attach::Btf("io_uring_create") };
const URING_SUBMIT: Prog = Prog { name: "handle_io_uring_submit", attach: Attach::Btf("io_uring_submit_req") };
const URING_COMPLETE: Prog = Prog { name: "handle_io_uring_complete", attach: Attach::Btf("io_uring_complete") };

macro_rules! hook_enum {
    ($(#[$doc:meta])* $name:ident {
        $($var:ident => $s:literal, abi: $abi:ident, progs: [$($prog:expr),+ $(,)?];)+
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($var),+
        }

        impl $name {
            /// Every hook of this category, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The hook's name as written in the config.
            pub fn name(&self) -> &'static str {
                match self {
                    $($name::$var => $s),+
                }
            }

            /// The hook with config name `name`.
            pub fn from_name(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|h| h.name() == name)
            }

            /// The syscall's number in the ABI (`RG_SYS_NONE` for the
            /// lifecycle hooks, which are not syscalls).
            pub fn abi_id(&self) -> u32 {
                match self {
                    $($name::$var => rg_syscall::$abi.0),+
                }
            }

            /// The BPF programs that must load for this hook to report.
            pub fn programs(&self) -> &'static [Prog] {
                match self {
                    $($name::$var => &[$($prog),+]),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

hook_enum! {
    /// Process lifecycle hooks.
    ProcessHook {
        // The enter programs save the caller's ids for handle_exec (and
        // tell it the exec came through execveat); the exit one drops what
        // a failed execveat left.
        Execve => "execve", abi: RG_SYS_EXECVE, progs: [EXEC, enter_prog!(execve)];
        Execveat => "execveat", abi: RG_SYS_EXECVEAT,
            progs: [EXEC, enter_prog!(execveat), exit_prog!(execveat)];
        Fork => "fork", abi: RG_SYS_NONE, progs: [FORK];
        Exit => "exit", abi: RG_SYS_NONE, progs: [EXIT];
        Ptrace => "ptrace", abi: RG_SYS_PTRACE, progs: [exit_prog!(ptrace)];
        Kill => "kill", abi: RG_SYS_KILL, progs: [exit_prog!(kill)];
        Tkill => "tkill", abi: RG_SYS_TKILL, progs: [exit_prog!(tkill)];
        Tgkill => "tgkill", abi: RG_SYS_TGKILL, progs: [exit_prog!(tgkill)];
        PidfdSendSignal => "pidfd_send_signal", abi: RG_SYS_PIDFD_SEND_SIGNAL,
            progs: [exit_prog!(pidfd_send_signal)];
        // Credential calls: the enter program saves the ids the exit one
        // compares with what the call left.
        Setuid => "setuid", abi: RG_SYS_SETUID, progs: [enter_prog!(setuid), exit_prog!(setuid)];
        Setgid => "setgid", abi: RG_SYS_SETGID, progs: [enter_prog!(setgid), exit_prog!(setgid)];
        Setreuid => "setreuid", abi: RG_SYS_SETREUID, progs: [enter_prog!(setreuid), exit_prog!(setreuid)];
        Setregid => "setregid", abi: RG_SYS_SETREGID, progs: [enter_prog!(setregid), exit_prog!(setregid)];
        Setresuid => "setresuid", abi: RG_SYS_SETRESUID, progs: [enter_prog!(setresuid), exit_prog!(setresuid)];
        Setresgid => "setresgid", abi: RG_SYS_SETRESGID, progs: [enter_prog!(setresgid), exit_prog!(setresgid)];
        Setfsuid => "setfsuid", abi: RG_SYS_SETFSUID, progs: [enter_prog!(setfsuid), exit_prog!(setfsuid)];
        Setfsgid => "setfsgid", abi: RG_SYS_SETFSGID, progs: [enter_prog!(setfsgid), exit_prog!(setfsgid)];
        Setgroups => "setgroups", abi: RG_SYS_SETGROUPS, progs: [enter_prog!(setgroups), exit_prog!(setgroups)];
        Capset => "capset", abi: RG_SYS_CAPSET, progs: [enter_prog!(capset), exit_prog!(capset)];
        MemfdCreate => "memfd_create", abi: RG_SYS_MEMFD_CREATE, progs: [exit_prog!(memfd_create)];
        ProcessVmWritev => "process_vm_writev", abi: RG_SYS_PROCESS_VM_WRITEV,
            progs: [exit_prog!(process_vm_writev)];
        Bpf => "bpf", abi: RG_SYS_BPF, progs: [exit_prog!(bpf)];
        Setns => "setns", abi: RG_SYS_SETNS, progs: [exit_prog!(setns)];
        Unshare => "unshare", abi: RG_SYS_UNSHARE, progs: [exit_prog!(unshare)];
        // Only clones that create namespaces are reported (process_fork
        // reports every new process, from the `fork` hook).
        Clone => "clone", abi: RG_SYS_CLONE, progs: [exit_prog!(clone)];
        Clone3 => "clone3", abi: RG_SYS_CLONE3, progs: [exit_prog!(clone3)];
        Mount => "mount", abi: RG_SYS_MOUNT, progs: [exit_prog!(mount)];
        // umount2 is SYSCALL_DEFINE2(umount, ...): its tracepoint is sys_exit_umount
        Umount2 => "umount2", abi: RG_SYS_UMOUNT2, progs: [exit_prog!(umount)];
        Fsmount => "fsmount", abi: RG_SYS_FSMOUNT, progs: [exit_prog!(fsmount)];
        MoveMount => "move_mount", abi: RG_SYS_MOVE_MOUNT, progs: [exit_prog!(move_mount)];
        PivotRoot => "pivot_root", abi: RG_SYS_PIVOT_ROOT, progs: [exit_prog!(pivot_root)];
        Chroot => "chroot", abi: RG_SYS_CHROOT, progs: [exit_prog!(chroot)];
        OpenTree => "open_tree", abi: RG_SYS_OPEN_TREE, progs: [exit_prog!(open_tree)];
    }
}

hook_enum! {
    /// File syscall hooks.
    FileHook {
        Open => "open", abi: RG_SYS_OPEN, progs: [exit_prog!(open)];
        Creat => "creat", abi: RG_SYS_CREAT, progs: [exit_prog!(creat)];
        Openat => "openat", abi: RG_SYS_OPENAT, progs: [exit_prog!(openat)];
        Openat2 => "openat2", abi: RG_SYS_OPENAT2, progs: [exit_prog!(openat2)];
        Write => "write", abi: RG_SYS_WRITE, progs: [enter_prog!(write)];
        Pwrite64 => "pwrite64", abi: RG_SYS_PWRITE64, progs: [enter_prog!(pwrite64)];
        Writev => "writev", abi: RG_SYS_WRITEV, progs: [enter_prog!(writev)];
        Pwritev => "pwritev", abi: RG_SYS_PWRITEV, progs: [enter_prog!(pwritev)];
        Pwritev2 => "pwritev2", abi: RG_SYS_PWRITEV2, progs: [enter_prog!(pwritev2)];
        Rename => "rename", abi: RG_SYS_RENAME, progs: [exit_prog!(rename)];
        Renameat => "renameat", abi: RG_SYS_RENAMEAT, progs: [exit_prog!(renameat)];
        Renameat2 => "renameat2", abi: RG_SYS_RENAMEAT2, progs: [exit_prog!(renameat2)];
        Unlink => "unlink", abi: RG_SYS_UNLINK, progs: [exit_prog!(unlink)];
        Unlinkat => "unlinkat", abi: RG_SYS_UNLINKAT, progs: [exit_prog!(unlinkat)];
        Rmdir => "rmdir", abi: RG_SYS_RMDIR, progs: [exit_prog!(rmdir)];
        Chmod => "chmod", abi: RG_SYS_CHMOD, progs: [exit_prog!(chmod)];
        Fchmod => "fchmod", abi: RG_SYS_FCHMOD, progs: [exit_prog!(fchmod)];
        Fchmodat => "fchmodat", abi: RG_SYS_FCHMODAT, progs: [exit_prog!(fchmodat)];
        Fchmodat2 => "fchmodat2", abi: RG_SYS_FCHMODAT2, progs: [exit_prog!(fchmodat2)];
        Chown => "chown", abi: RG_SYS_CHOWN, progs: [exit_prog!(chown)];
        Fchown => "fchown", abi: RG_SYS_FCHOWN, progs: [exit_prog!(fchown)];
        Lchown => "lchown", abi: RG_SYS_LCHOWN, progs: [exit_prog!(lchown)];
        Fchownat => "fchownat", abi: RG_SYS_FCHOWNAT, progs: [exit_prog!(fchownat)];
        Truncate => "truncate", abi: RG_SYS_TRUNCATE, progs: [exit_prog!(truncate)];
        Ftruncate => "ftruncate", abi: RG_SYS_FTRUNCATE, progs: [exit_prog!(ftruncate)];
        // Requests submitted through a ring pass no syscall tracepoint: the
        // ring's creation, the fd a request names (kept at submission) and
        // the request's result (at completion), for every opcode reported.
        IoUring => "io_uring", abi: RG_SYS_IO_URING, progs: [URING_CREATE, URING_SUBMIT, URING_COMPLETE];
        Link => "link", abi: RG_SYS_LINK, progs: [exit_prog!(link)];
        Linkat => "linkat", abi: RG_SYS_LINKAT, progs: [exit_prog!(linkat)];
        Symlink => "symlink", abi: RG_SYS_SYMLINK, progs: [exit_prog!(symlink)];
        Symlinkat => "symlinkat", abi: RG_SYS_SYMLINKAT, progs: [exit_prog!(symlinkat)];
        Utimensat => "utimensat", abi: RG_SYS_UTIMENSAT, progs: [exit_prog!(utimensat)];
        Utimes => "utimes", abi: RG_SYS_UTIMES, progs: [exit_prog!(utimes)];
        Futimesat => "futimesat", abi: RG_SYS_FUTIMESAT, progs: [exit_prog!(futimesat)];
        Utime => "utime", abi: RG_SYS_UTIME, progs: [exit_prog!(utime)];
        Setxattr => "setxattr", abi: RG_SYS_SETXATTR, progs: [exit_prog!(setxattr)];
        Lsetxattr => "lsetxattr", abi: RG_SYS_LSETXATTR, progs: [exit_prog!(lsetxattr)];
        Fsetxattr => "fsetxattr", abi: RG_SYS_FSETXATTR, progs: [exit_prog!(fsetxattr)];
        Setxattrat => "setxattrat", abi: RG_SYS_SETXATTRAT, progs: [exit_prog!(setxattrat)];
        Removexattr => "removexattr", abi: RG_SYS_REMOVEXATTR, progs: [exit_prog!(removexattr)];
        Lremovexattr => "lremovexattr", abi: RG_SYS_LREMOVEXATTR, progs: [exit_prog!(lremovexattr)];
        Fremovexattr => "fremovexattr", abi: RG_SYS_FREMOVEXATTR, progs: [exit_prog!(fremovexattr)];
        Removexattrat => "removexattrat", abi: RG_SYS_REMOVEXATTRAT, progs: [exit_prog!(removexattrat)];
    }
}

hook_enum! {
    /// Network syscall hooks.
    NetHook {
        Connect => "connect", abi: RG_SYS_CONNECT, progs: [exit_prog!(connect)];
        Bind => "bind", abi: RG_SYS_BIND, progs: [exit_prog!(bind)];
        Listen => "listen", abi: RG_SYS_LISTEN, progs: [exit_prog!(listen)];
        Accept => "accept", abi: RG_SYS_ACCEPT, progs: [exit_prog!(accept)];
        Accept4 => "accept4", abi: RG_SYS_ACCEPT4, progs: [exit_prog!(accept4)];
    }
}
