//! The normalized telemetry record: what `../shared/design/records.md` calls
//! the public contract. Normalization builds these from raw kernel events;
//! detection reads them; output serializes them (see `json.rs`).

mod container;
mod cred;
pub mod ecs;
mod exec;
mod exec_id;
mod filemeta;
pub mod format;
mod inject;
mod io_uring;
pub mod json;
mod link;
mod ns;
pub mod ocsf;
mod response;
mod severity;
mod shape;
mod signal;
pub mod time;
mod utimes;
mod xattr;

use std::sync::Arc;

/// Shared text that many records repeat (exe paths, command lines, host).
pub type SharedStr = Arc<str>;

pub use crate::catalog::{EventType, NetKind};
pub use container::{ns_fields, write_context, Cgroup, Context, Namespaces, RUNTIMES};
pub use cred::{cap_bit, cap_names, cred_call, Caps, Cred, CredCall, IdChange, Ids, CAPABILITIES, GID_KEYS, UID_KEYS};
pub use exec::{script_from_argv, ExecCreds, OldCreds, Script, ScriptSource};
pub use exec_id::{ExecId, EXEC_ID_LEN};
pub use filemeta::{setgid, setuid, sticky, Chown};
pub use format::Format;
pub use inject::{
    bpf_attach_type_code, bpf_attach_type_name, bpf_cmd_code, bpf_cmd_name, bpf_prog_type_code, bpf_prog_type_name,
    memfd_flag_names, same_exe, BpfLoad, Inject, Memfd, BPF_PROG_LOAD, MEMFD_FLAGS,
};
pub use io_uring::{
    io_uring_op_name, setup_flag_names, setup_flags_from_names, IoUring, UringReq, FD_UNKNOWN, IORING_OP_LINKAT,
    IORING_OP_RENAMEAT, IORING_OP_SYMLINKAT, IORING_SETUP_REGISTERED_FD_ONLY, IO_URING_OPS, IO_URING_SETUP_FLAGS,
    RESULT_UNKNOWN_BIT,
};
pub use link::{symlink_points_at, Link, AT_SYMLINK_FOLLOW};
pub use ns::{
    bit_names, bits_of, mount_flag_table, ns_initial, Mount, Namespace, MOUNT_ATTRS, MOVE_MOUNT_FLAGS, MS_FLAGS,
    NAMESPACES, OPEN_TREE_FLAGS, UMOUNT_FLAGS,
};
pub use response::{ActionTaken, Response};
pub use severity::Severity;
pub use signal::{signal_name, signal_number, Signal};
pub use utimes::{utimes_flag_names, write_utimes, TimeSet, Utimes, UTIMES_FLAGS, UTIME_NOW, UTIME_OMIT};
pub use xattr::{write_xattr, xattr_flag_names, FileCaps, Xattr, XattrOp, XATTR_FLAGS, XATTR_SECURITY_CAPABILITY};

/// Where a record's `cmdline` came from. A process can rewrite its own argv
/// area after exec (`$0 = "[kworker/0:1]"`), so `/proc/<pid>/cmdline` read
/// later says what the process wants it to say; the argv the sensor read at
/// exec is what it was started with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmdlineSource {
    /// Read by the sensor from the new image at exec (or inherited through
    /// fork from a process whose exec it saw).
    Exec,
    /// Read from `/proc/<pid>/cmdline`: a process older than the sensor, or
    /// one it missed; spoofable.
    Procfs,
}

impl CmdlineSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CmdlineSource::Exec => "exec",
            CmdlineSource::Procfs => "procfs",
        }
    }

    pub fn from_name(name: &str) -> Option<CmdlineSource> {
        [CmdlineSource::Exec, CmdlineSource::Procfs].into_iter().find(|s| s.as_str() == name)
    }
}

/// One telemetry record: the common fields of every record, then the
/// fields of its type in `body`.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Wall-clock time of the event in the kernel, ns since the Unix epoch.
    pub timestamp_ns: u64,
    pub host: SharedStr,
    pub pid: u32,
    pub tid: u32,
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub euid: u32,
    pub comm: String,
    pub exe: Option<SharedStr>,
    pub cmdline: Option<SharedStr>,
    /// Set exactly when `cmdline` is.
    pub cmdline_source: Option<CmdlineSource>,
    pub parent_comm: Option<String>,
    pub parent_exe: Option<SharedStr>,
    /// Cgroup, container and namespaces of the acting process.
    pub context: Context,
    /// The parent's command line, from the process table.
    pub parent_cmdline: Option<SharedStr>,
    /// The names of `uid` and `euid` in the host's passwd (None: unlisted).
    pub user: Option<SharedStr>,
    pub euser: Option<SharedStr>,
    /// The image the process runs, and the one its parent runs.
    pub exec_id: Option<ExecId>,
    pub parent_exec_id: Option<ExecId>,
    pub body: Body,
    /// Set by a built-in `[[detections.*]]` match: serialized as
    /// `"alert": true, "detection_type": name`.
    pub detection: Option<SharedStr>,
}

impl Record {
    pub fn event_type(&self) -> EventType {
        match &self.body {
            Body::Exec(_) => EventType::ProcessExec,
            Body::Fork(_) => EventType::ProcessFork,
            Body::Exit(_) => EventType::ProcessExit,
            Body::Ptrace(_) => EventType::ProcessPtrace,
            Body::Signal(_) => EventType::ProcessSignal,
            Body::Cred(_) => EventType::ProcessSetuid,
            Body::Memfd(_) => EventType::ProcessMemfd,
            Body::Inject(_) => EventType::ProcessInject,
            Body::Bpf(_) => EventType::BpfLoad,
            Body::Namespace(_) => EventType::ProcessNamespace,
            Body::Mount(_) => EventType::FileMount,
            Body::IoUring(_) => EventType::ProcessIoUring,
            Body::File(f) => match f.op {
                FileOp::Open { .. } => EventType::FileOpen,
                FileOp::Write { .. } => EventType::FileWrite,
                FileOp::Rename { .. } => EventType::FileRename,
                FileOp::Unlink { .. } => EventType::FileUnlink,
                FileOp::Chmod { .. } => EventType::FileChmod,
                FileOp::Chown(_) => EventType::FileChown,
                FileOp::Truncate { .. } => EventType::FileTruncate,
                FileOp::Link(_) => EventType::FileLink,
                FileOp::Utimes(_) => EventType::FileUtimes,
                FileOp::Xattr(_) => EventType::FileXattr,
            },
            Body::Net(n) => match n.kind {
                NetKind::Connect => EventType::NetworkConnect,
                NetKind::Accept => EventType::NetworkAccept,
                NetKind::Bind => EventType::NetworkBind,
                NetKind::Listen => EventType::NetworkListen,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Exec(Exec),
    Fork(Fork),
    Exit(Exit),
    Ptrace(Ptrace),
    Signal(Signal),
    Cred(Cred),
    Memfd(Memfd),
    Inject(Inject),
    Bpf(BpfLoad),
    Namespace(Namespace),
    Mount(Mount),
    IoUring(IoUring),
    File(File),
    Net(Net),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exec {
    /// The path as passed to execve/execveat.
    pub filename: String,
    pub filename_truncated: bool,
    /// argv, argv[0] first.
    pub args: Vec<String>,
    pub args_truncated: bool,
    pub cwd: Option<String>,
    pub cwd_truncated: bool,
    pub exe_truncated: bool,
    /// The syscall that exec'd: "execve" or "execveat".
    pub syscall: &'static str,
    /// What fds 0, 1 and 2 are after exec: "file", "pipe", "socket" (a
    /// network socket), "local_socket" (unix and other local sockets),
    /// "char" (a tty or /dev/null), "dir", "block", "link", "none" (not
    /// open) or "unknown" (another kind, or a replayed record without it).
    pub stdio: [&'static str; 3],
    /// The credentials before and after: a setuid/setgid file or file
    /// capabilities change them.
    pub creds: ExecCreds,
    /// The script an interpreter was started to run; None for a program.
    pub script: Option<Script>,
    /// What the kernel did about this exec under `[response] deny_exec`;
    /// None when the file is not denied (or the record was read back).
    pub response: Option<Response>,
    /// SHA-256 of the executable in hex, when already hashed (see
    /// `process::exe_hash`); None while pending or over the size cap.
    pub exe_sha256: Option<SharedStr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fork {
    pub parent_tid: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exit {
    pub exit_code: i32,
    pub signal: Option<i32>,
    pub core_dumped: bool,
    pub lifetime_ns: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ptrace {
    pub request: i64,
    /// "PTRACE_ATTACH" and friends; None for a request we do not name.
    pub request_name: Option<&'static str>,
    pub target_pid: u32,
    /// The target's comm, exe and command line, from the process table
    /// (None for PTRACE_TRACEME, or a process the sensor cannot see).
    pub target_comm: Option<String>,
    pub target_exe: Option<SharedStr>,
    pub target_cmdline: Option<SharedStr>,
    /// Whether the target runs the tracer's own executable (None: unknown).
    pub target_same_exe: Option<bool>,
    /// The syscall's return value (negative errno on failure).
    pub result: i64,
}

/// The ptrace requests a record names (`request`), by code (`request_code`).
pub const PTRACE_REQUESTS: [(i64, &str); 9] = [
    (0, "PTRACE_TRACEME"),
    (4, "PTRACE_POKETEXT"),
    (5, "PTRACE_POKEDATA"),
    (6, "PTRACE_POKEUSER"),
    (13, "PTRACE_SETREGS"),
    (15, "PTRACE_SETFPREGS"),
    (16, "PTRACE_ATTACH"),
    (0x4205, "PTRACE_SETREGSET"),
    (0x4206, "PTRACE_SEIZE"),
];

/// The name of ptrace request `code`, if records name it.
pub fn ptrace_request_name(code: i64) -> Option<&'static str> {
    name_of(&PTRACE_REQUESTS, code)
}

/// The code of the ptrace request called `name` (the inverse).
pub fn ptrace_request_code(name: &str) -> Option<i64> {
    code_of(&PTRACE_REQUESTS, name)
}

/// The name `code` has in a (code, name) table.
fn name_of<T: PartialEq + Copy>(table: &[(T, &'static str)], code: T) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code `name` has in a (code, name) table.
fn code_of<T: Copy>(table: &[(T, &'static str)], name: &str) -> Option<T> {
    table.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// Absolute, normalized.
    pub path: String,
    pub path_truncated: bool,
    /// The kernel's walk of `path` ended at a detached mount (open_tree,
    /// fsmount): it is the path within that mount, not in the namespace.
    pub path_detached: bool,
    pub op: FileOp,
    pub syscall: &'static str,
    /// `syscall` "io_uring": the request's opcode, and why `fd` is null.
    pub io_uring: Option<UringReq>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FileOp {
    /// `fd` is -1 (null in the record) when an io_uring open put the file
    /// in the ring's registered table, where it has no fd.
    Open {
        flags: u32,
        mode: u32,
        fd: i32,
    },
    /// Through io_uring, `bytes` is the count written, not requested, and
    /// `fd` is -1 (null) when the request named a registered file.
    Write {
        bytes: u64,
        fd: i32,
    },
    /// `exchange`: renameat2 with RENAME_EXCHANGE swapped the two files, so
    /// each path now names what was at the other.
    Rename {
        new_path: String,
        new_path_truncated: bool,
        new_path_detached: bool,
        exchange: bool,
    },
    Unlink {
        is_dir: bool,
    },
    /// The permission bits (07777) the file was given.
    Chmod {
        mode: u32,
    },
    Chown(Chown),
    /// The file's new length in bytes.
    Truncate {
        length: i64,
    },
    /// `File::path` is the link created.
    Link(Link),
    /// The access and modification times the file was given.
    Utimes(Utimes),
    /// An extended attribute set or removed.
    Xattr(Xattr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    pub kind: NetKind,
    /// "ipv4", "ipv6", "unix", or "af_N" for others.
    pub family: String,
    /// "tcp", "udp", "raw", "stream", "dgram", ... (see normalize).
    pub protocol: &'static str,
    /// -1 (null in the record) when an io_uring request named a registered file.
    pub fd: i32,
    pub local_addr: Option<String>,
    pub local_port: Option<u16>,
    pub remote_addr: Option<String>,
    pub remote_port: Option<u16>,
    pub backlog: Option<u32>,
    /// The syscall's return value (connect may be -EINPROGRESS).
    pub result: i64,
    /// "connect", "accept4", ... or "io_uring".
    pub syscall: &'static str,
    /// `syscall` "io_uring": the request's opcode, and why `fd` is null.
    pub io_uring: Option<UringReq>,
}

impl File {
    /// The second path of a rename.
    pub fn new_path(&self) -> Option<&str> {
        match &self.op {
            FileOp::Rename { new_path, .. } => Some(new_path),
            _ => None,
        }
    }
}

/// renameat2's RENAME_EXCHANGE (include/uapi/linux/fs.h).
pub const RENAME_EXCHANGE: u32 = 1 << 1;

/// O_* flag names in the order the contract lists them.
pub const OPEN_FLAG_NAMES: [(u32, &str); 15] = [
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];
const O_TMPFILE_BIT: u32 = 0o20000000;
const O_SYNC_BIT: u32 = 0o4000000;

/// `flags` as names: the access mode first, then every set flag.
pub fn open_flag_names(flags: u32) -> impl Iterator<Item = &'static str> {
    let access = match flags & 0o3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let named = OPEN_FLAG_NAMES.iter().filter(move |(bit, _)| flags & bit != 0).map(|(_, name)| *name);
    let sync = (flags & O_SYNC_BIT != 0).then_some("O_SYNC");
    let tmpfile = (flags & O_TMPFILE_BIT != 0).then_some("O_TMPFILE");
    std::iter::once(access).chain(named).chain(sync).chain(tmpfile)
}

/// The contract's `access`: "read", "write" or "read_write".
pub fn open_access(flags: u32) -> &'static str {
    match flags & 0o3 {
        0 => "read",
        1 => "write",
        _ => "read_write",
    }
}
