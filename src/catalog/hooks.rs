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
        Execve => "execve", abi: RG_SYS_EXECVE, progs: [EXEC];
        // The enter program only tells handle_exec that the exec came
        // through execveat; the exit one drops what a failed call left.
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
