//! Raw kernel events → contract records: decode, make text valid UTF-8,
//! make paths absolute and normal, name flags and addresses, and enrich
//! every record from the process table (which this stage alone owns).

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use crate::bpf::abi::{
    self, rg_bpf, rg_cred, rg_exec, rg_filemeta, rg_ids, rg_inject, rg_signal, rg_task, DecodeError, RawEvent, Text,
};
use crate::bpf::skel::types::{rg_exec_flag, rg_syscall, rg_uring_fd, rg_uring_req};
use crate::catalog::{self, FileKind, MetaKind};
use crate::config::PathFilter;
use crate::container::Resolver;
use crate::process::{ExeHasher, ProcessTable, Users};
use crate::record::time::BootClock;
use crate::record::{
    cred_call, io_uring_op_name, ptrace_request_name, same_exe, script_from_argv, signal_name, Body, BpfLoad, Caps,
    Chown, CmdlineSource, Cred, CredCall, Exec, ExecCreds, Exit, File, FileOp, Fork, IdChange, Ids, Inject, IoUring,
    Memfd, Net, NetKind, OldCreds, Ptrace, Record, Script, ScriptSource, SharedStr, Signal, UringReq, BPF_PROG_LOAD,
    FD_UNKNOWN, IORING_OP_RENAMEAT, IORING_SETUP_REGISTERED_FD_ONLY, RENAME_EXCHANGE, RESULT_UNKNOWN_BIT,
};

/// What normalization decided about one raw event.
// Not boxed: almost every outcome is a Record, moved straight into the
// batch; a box would cost one allocation per event.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Outcome {
    Record(Record),
    /// The config says not to report it.
    Filtered,
    Invalid(DecodeError),
}

/// Which parts of what the kernel sends the config wants reported.
#[derive(Clone, Debug)]
pub struct Selection {
    pub execve: bool,
    pub execveat: bool,
    pub paths: PathFilter,
}

pub struct Normalizer {
    table: ProcessTable,
    clock: BootClock,
    host: SharedStr,
    select: Selection,
    proc_root: PathBuf,
    context: Resolver,
    users: Users,
    hasher: Option<ExeHasher>,
}

impl Normalizer {
    pub fn new(table: ProcessTable, clock: BootClock, host: SharedStr, select: Selection) -> Normalizer {
        Normalizer {
            table,
            clock,
            host,
            select,
            proc_root: PathBuf::from("/proc"),
            context: ctx::empty(),
            users: Users::none(),
            hasher: None,
        }
    }

    /// Names uids (`user`, `euser`) from `users` (none without it).
    pub fn with_users(mut self, users: Users) -> Normalizer {
        self.users = users;
        self
    }

    /// Hashes executables (`exe_sha256`) with `hasher` (null without it).
    pub fn with_exe_hasher(mut self, hasher: ExeHasher) -> Normalizer {
        self.hasher = Some(hasher);
        self
    }

    /// The process table, read-only: this stage alone changes it; the
    /// stage loop reads its size and evictions for the health counters.
    pub fn table(&self) -> &ProcessTable {
        &self.table
    }

    /// Test support: where to read processes the table does not know.
    pub fn with_proc_root(mut self, root: PathBuf) -> Normalizer {
        self.proc_root = root;
        self
    }

    /// Replaces the file-watch settings (SIGHUP reload).
    pub fn set_paths(&mut self, paths: PathFilter) {
        self.select.paths = paths;
    }

    pub fn normalize(&mut self, raw: &[u8]) -> Outcome {
        let ev = match abi::decode(raw) {
            Ok(ev) => ev,
            Err(e) => return Outcome::Invalid(e),
        };
        let ktime = ev.header().ktime_ns;
        match ev {
            RawEvent::Exec { e, filename, args, exe, cwd, interp } => {
                let is_at = e.syscall == rg_syscall::RG_SYS_EXECVEAT.0;
                let response = crate::bpf::response::exec_response(&e);
                // an exec the kernel acted on is always reported
                if response.is_none() && !(if is_at { self.select.execveat } else { self.select.execve }) {
                    self.note_exec(&e.task, &exe, &args, e.argc, ktime);
                    return Outcome::Filtered;
                }
                let (argv, args_truncated) = split_args(&args, e.argc);
                let (exe_path, cmdline) = self.note_exec_split(&e.task, &exe, &argv, ktime);
                let mut fname = lossy(filename.bytes).into_owned();
                if is_at && e.dirfd != -100 {
                    fname = strip_dev_fd(&fname, e.dirfd);
                }
                let cwd_truncated = cwd.truncated;
                let cwd = cwd.present.then(|| lossy(cwd.bytes).into_owned());
                let script = exec_script(&interp, &filename, exe_path.as_deref(), &argv, cwd.as_deref());
                let exe_sha256 =
                    self.hasher.as_mut().and_then(|h| h.lookup(e.task.pid, e.task.ppid, exe_path.as_deref()));
                let body = Body::Exec(Exec {
                    filename: fname,
                    filename_truncated: filename.truncated,
                    args: argv,
                    args_truncated,
                    cwd,
                    cwd_truncated,
                    exe_truncated: exe.truncated,
                    syscall: if is_at { "execveat" } else { "execve" },
                    stdio: [0, 1, 2].map(|i| stdio_type(e.stdio_mode[i], e.stdio_inet & (1 << i) != 0)),
                    creds: exec_creds(&e),
                    script,
                    response,
                    exe_sha256,
                });
                let mut r = self.record(&e.task, ktime, body);
                r.exe = exe_path;
                r.cmdline_source = cmdline.as_ref().map(|_| CmdlineSource::Exec);
                r.cmdline = cmdline;
                Outcome::Record(r)
            }
            RawEvent::Fork(e) => {
                let t = &e.task;
                self.table.on_fork(t.pid, e.parent_pid, t.uid, &comm(&t.comm), ktime);
                Outcome::Record(self.record(t, ktime, Body::Fork(Fork { parent_tid: e.parent_tid })))
            }
            RawEvent::Exit(e) => {
                let status = e.exit_code;
                let sig = (status & 0x7f) as i32;
                let body = Body::Exit(Exit {
                    exit_code: if sig == 0 { ((status >> 8) & 0xff) as i32 } else { 128 + sig },
                    signal: (sig != 0).then_some(sig),
                    core_dumped: status & 0x80 != 0,
                    lifetime_ns: (e.start_ns > 0 && ktime >= e.start_ns).then(|| ktime - e.start_ns),
                });
                let r = self.record(&e.task, ktime, body);
                self.table.on_exit(e.task.pid, ktime);
                Outcome::Record(r)
            }
            RawEvent::Ptrace(e) => {
                // PTRACE_TRACEME's pid argument is ignored: it names no target
                let (target_comm, target_exe, target_cmdline) = match e.request {
                    0 => (None, None, None),
                    _ => self.target(e.target_pid),
                };
                let body = Body::Ptrace(Ptrace {
                    request: e.request,
                    request_name: ptrace_request_name(e.request),
                    target_pid: e.target_pid,
                    target_comm,
                    target_exe,
                    target_cmdline,
                    target_same_exe: None,
                    result: e.ret,
                });
                let mut r = self.record(&e.task, ktime, body);
                if let Body::Ptrace(p) = &mut r.body {
                    p.target_same_exe = same_exe(r.exe.as_deref(), p.target_exe.as_deref());
                }
                Outcome::Record(r)
            }
            RawEvent::Signal(e) => {
                let body = Body::Signal(self.signal(&e));
                Outcome::Record(self.record(&e.task, ktime, body))
            }
            RawEvent::Cred(e) => Outcome::Record(self.record(&e.task, ktime, Body::Cred(cred(&e)))),
            RawEvent::Memfd { e, name } => {
                let body = Body::Memfd(Memfd {
                    name: lossy(name.bytes).into_owned(),
                    name_truncated: name.truncated,
                    flags: e.flags,
                    fd: e.fd,
                });
                Outcome::Record(self.record(&e.task, ktime, body))
            }
            RawEvent::Inject(e) => {
                let body = Body::Inject(self.inject(&e));
                let mut r = self.record(&e.task, ktime, body);
                if let Body::Inject(i) = &mut r.body {
                    i.target_same_exe = same_exe(r.exe.as_deref(), i.target_exe.as_deref());
                }
                Outcome::Record(r)
            }
            RawEvent::Bpf(e) => Outcome::Record(self.record(&e.task, ktime, Body::Bpf(net::bpf_body(&e)))),
            RawEvent::File { op: FileKind::Link, e, path, new_path } => self.link(&e, ktime, &path, &new_path),
            RawEvent::Namespace(e) => {
                let target = u32::try_from(e.target_pid).ok().and_then(|p| self.lookup(p));
                let body = Body::Namespace(ns::namespace_body(&e, target));
                Outcome::Record(self.record(&e.task, ktime, body))
            }
            RawEvent::Mount { e, source, target, fstype } => {
                let body = Body::Mount(ns::mount_body(&e, &source, &target, &fstype));
                Outcome::Record(self.record(&e.task, ktime, body))
            }
            RawEvent::IoUring(e) => {
                let body = Body::IoUring(IoUring {
                    // a registered-only ring has an index, not an fd
                    fd: (e.flags & IORING_SETUP_REGISTERED_FD_ONLY == 0).then_some(e.fd),
                    sq_entries: e.sq_entries,
                    cq_entries: e.cq_entries,
                    flags: e.flags,
                });
                Outcome::Record(self.record(&e.task, ktime, body))
            }
            RawEvent::File { op, e, path, new_path } => {
                let p = absolute(&path);
                let np = (op == FileKind::Rename).then(|| absolute(&new_path));
                self.note_file(op, &p, np.as_deref());
                // A truncated path lost its leading components (the kernel
                // keeps the leaf side), and a detached one is not in the
                // namespace's tree, so the watch list cannot be checked:
                // report it rather than let deep nesting or a cloned mount
                // hide a file.
                let unknowable = |t: &Text<'_>| t.truncated || t.detached;
                let cut = unknowable(&path) || (np.is_some() && unknowable(&new_path));
                let watched =
                    cut || self.select.paths.matches(&p) || np.as_deref().is_some_and(|n| self.select.paths.matches(n));
                if !watched {
                    return Outcome::Filtered;
                }
                let op = match op {
                    FileKind::Open => FileOp::Open { flags: e.flags, mode: e.mode, fd: e.fd },
                    FileKind::Write => FileOp::Write { bytes: e.bytes, fd: e.fd },
                    FileKind::Rename => FileOp::Rename {
                        new_path: np.unwrap_or_default(),
                        new_path_truncated: new_path.truncated,
                        new_path_detached: new_path.detached,
                        exchange: (e.syscall == rg_syscall::RG_SYS_RENAMEAT2.0
                            || net::uring_op(e.syscall, e.uring_op) == Some(IORING_OP_RENAMEAT))
                            && e.flags & RENAME_EXCHANGE != 0,
                    },
                    FileKind::Unlink => FileOp::Unlink { is_dir: e.is_dir != 0 },
                    // taken by the arm above, which reads the two paths the other way round
                    FileKind::Link => return self.link(&e, ktime, &path, &new_path),
                };
                let body = Body::File(File {
                    path: p,
                    path_truncated: path.truncated,
                    path_detached: path.detached,
                    op,
                    syscall: catalog::syscall_name(e.syscall),
                    io_uring: net::uring_req(e.syscall, e.uring_op),
                });
                Outcome::Record(self.record(&e.task, ktime, body))
            }
            RawEvent::FileMeta { op, e, path } => self.meta(&e.task, ktime, &path, e.syscall, filemeta_op(&e, op)),
            RawEvent::Utimes { e, path } => {
                let op = fileattr::utimes_op(&e, self.clock.to_wall_ns(ktime));
                self.meta(&e.task, ktime, &path, e.syscall, op)
            }
            RawEvent::Xattr { e, path, name } => {
                let op = fileattr::xattr_op(&e, &lossy(name.bytes));
                self.meta(&e.task, ktime, &path, e.syscall, op)
            }
            RawEvent::Cgroup { e, path } => self.cgroup_notice(&e, &path),
            RawEvent::Net { kind, e, unix_path } => {
                Outcome::Record(self.record(&e.task, ktime, Body::Net(net::net_body(&e, kind, &unix_path))))
            }
        }
    }

    fn note_exec(&mut self, t: &rg_task, exe: &Text<'_>, args: &Text<'_>, argc: u32, ktime: u64) {
        let (argv, _) = split_args(args, argc);
        self.note_exec_split(t, exe, &argv, ktime);
    }

    /// Updates the table for an exec and returns the new exe and cmdline.
    fn note_exec_split(
        &mut self,
        t: &rg_task,
        exe: &Text<'_>,
        argv: &[String],
        ktime: u64,
    ) -> (Option<SharedStr>, Option<SharedStr>) {
        let exe = exe.present.then(|| SharedStr::from(lossy(exe.bytes)));
        let cmdline = (!argv.is_empty()).then(|| SharedStr::from(argv.join(" ")));
        self.table.on_exec(t.pid, t.ppid, t.uid, &comm(&t.comm), exe.clone(), cmdline.clone(), ktime);
        (exe, cmdline)
    }

    /// The common fields, from the kernel's view of the task and the table.
    /// A signal record, with the target's comm and exe when the table (or
    /// /proc) knows the process: kill's group and broadcast targets (0 and
    /// negative) name no one process.
    fn signal(&mut self, e: &rg_signal) -> Signal {
        let pidfd = e.syscall == rg_syscall::RG_SYS_PIDFD_SEND_SIGNAL.0;
        let target_pid = (!pidfd || e.target_pid > 0).then_some(e.target_pid);
        let tid_call = e.syscall == rg_syscall::RG_SYS_TKILL.0 || e.syscall == rg_syscall::RG_SYS_TGKILL.0;
        let target = u32::try_from(e.target_pid).ok().filter(|&p| p > 0).and_then(|p| self.lookup(p));
        Signal {
            signal: e.sig as i32,
            signal_name: signal_name(e.sig as i32),
            target_pid,
            target_tid: tid_call.then_some(e.target_tid),
            target_comm: target.map(|p| p.comm.clone()),
            target_exe: target.and_then(|p| p.exe.clone()),
            syscall: catalog::syscall_name(e.syscall),
        }
    }

    /// A process_vm_writev record, with the target's comm, exe and command
    /// line when the table (or /proc) knows the process.
    fn inject(&mut self, e: &rg_inject) -> Inject {
        let (target_comm, target_exe, target_cmdline) =
            u32::try_from(e.target_pid).map_or((None, None, None), |p| self.target(p));
        Inject {
            target_pid: e.target_pid,
            target_comm,
            target_exe,
            target_cmdline,
            target_same_exe: None,
            bytes: u64::try_from(e.ret).unwrap_or(0),
            local_iovcnt: e.local_iovcnt,
            remote_iovcnt: e.remote_iovcnt,
            syscall: catalog::syscall_name(e.syscall),
        }
    }

    /// The comm, exe and command line of the process a ptrace or
    /// process_vm_writev acts on, when the table (or /proc) knows it.
    fn target(&mut self, pid: u32) -> (Option<String>, Option<SharedStr>, Option<SharedStr>) {
        match self.lookup(pid) {
            Some(p) => ((!p.comm.is_empty()).then(|| p.comm.clone()), p.exe.clone(), p.cmdline.clone()),
            None => (None, None, None),
        }
    }

    /// A record of a change to one file's metadata, unless the path filter
    /// rules its path out: as for the other file events, a cut or detached
    /// path is reported.
    fn meta(&mut self, t: &rg_task, ktime: u64, path: &Text<'_>, syscall: u32, op: FileOp) -> Outcome {
        let p = absolute(path);
        if !path.truncated && !path.detached && !self.select.paths.matches(&p) {
            return Outcome::Filtered;
        }
        let body = Body::File(File {
            path: p,
            path_truncated: path.truncated,
            path_detached: path.detached,
            op,
            syscall: catalog::syscall_name(syscall),
            io_uring: None,
        });
        Outcome::Record(self.record(t, ktime, body))
    }
}

/// Text from the kernel as UTF-8, invalid sequences replaced. Valid text
/// (nearly all of it) takes std's fast validation path.
fn lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// A kernel comm (NUL-padded `char[16]`) as text; one allocation, called
/// twice per record.
fn comm(raw: &[i8; 16]) -> String {
    let mut bytes = [0u8; 16];
    for (b, &c) in bytes.iter_mut().zip(raw) {
        *b = c as u8;
    }
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    lossy(&bytes[..len]).into_owned()
}

/// argv from the NUL-separated arg area; truncated when the kernel cut the
/// area or it holds fewer complete arguments than argc.
fn split_args(args: &Text<'_>, argc: u32) -> (Vec<String>, bool) {
    let mut out: Vec<String> = Vec::new();
    let mut rest = args.bytes;
    while !rest.is_empty() && out.len() < argc as usize {
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        out.push(lossy(&rest[..end]).into_owned());
        rest = rest.get(end + 1..).unwrap_or(&[]);
    }
    let truncated = args.truncated || out.len() < argc as usize;
    (out, truncated)
}

/// The credentials across an exec, as handle_exec compared them.
fn exec_creds(e: &rg_exec) -> ExecCreds {
    let known = e.flags & rg_exec_flag::RG_EXEC_OLD_IDS.0 != 0;
    ExecCreds {
        egid: e.egid,
        before: known.then_some(OldCreds {
            uid: e.old_uid,
            euid: e.old_euid,
            gid: e.old_gid,
            egid: e.old_egid,
            caps_gained: e.caps_gained,
            privilege_change: e.flags & rg_exec_flag::RG_EXEC_PRIV_CHANGE.0 != 0,
        }),
    }
}

/// The script an exec ran: the file the kernel ran through its `#!` line
/// (bprm->filename, the interpreter named in `interp`), else a file a known
/// interpreter or the dynamic loader was given in argv. Made absolute
/// against the cwd.
fn exec_script(
    interp: &Text<'_>,
    filename: &Text<'_>,
    exe: Option<&str>,
    argv: &[String],
    cwd: Option<&str>,
) -> Option<Script> {
    let (interpreter, path, source) = if interp.present {
        (lossy(interp.bytes).into_owned(), lossy(filename.bytes), ScriptSource::Kernel)
    } else {
        let exe = exe?;
        (exe.to_string(), Cow::Borrowed(script_from_argv(exe, argv)?), ScriptSource::Argv)
    };
    let path = match cwd {
        Some(dir) if !path.starts_with('/') => normalize_path(&format!("{dir}/{path}")),
        _ => normalize_path(&path),
    };
    Some(Script { interpreter, path, source })
}

/// execveat(dirfd, "name") reaches the kernel as "/dev/fd/<dirfd>/name";
/// give back the name the caller passed.
fn strip_dev_fd(filename: &str, dirfd: i32) -> String {
    let prefix = format!("/dev/fd/{dirfd}");
    match filename.strip_prefix(&prefix) {
        Some("") => String::new(), // AT_EMPTY_PATH
        Some(rest) => rest.strip_prefix('/').unwrap_or(rest).to_string(),
        None => filename.to_string(),
    }
}

/// What a path the kernel had to cut starts with: it lost its leading
/// components, so it must not look absolute (no rule anchored at "/" may
/// match the part that is left).
pub const CUT_MARKER: &str = "\u{2026}";

/// A path from the kernel, made valid UTF-8 and lexically normal: the BPF
/// side joins relative names to their directory but leaves `.`, `..` and
/// doubled slashes for us. A cut one starts with CUT_MARKER.
fn absolute(t: &Text<'_>) -> String {
    let p = normalize_path(&lossy(t.bytes));
    if t.truncated && p.starts_with('/') {
        return format!("{CUT_MARKER}{p}");
    }
    p
}

pub fn normalize_path(p: &str) -> String {
    if !p.starts_with('/') {
        return p.to_string();
    }
    let already_normal = !(p.contains("//") || p.contains("/.") || (p.len() > 1 && p.ends_with('/')));
    if already_normal {
        return p.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(p.len());
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// What an stdio fd is: "socket" only for a network (IPv4/IPv6) socket;
/// unix and other local sockets (systemd gives services the journal's) are
/// "local_socket".
fn stdio_type(mode: u16, inet: bool) -> &'static str {
    match u32::from(mode) & 0o170000 {
        0 => "none",
        0o140000 if inet => "socket",
        0o140000 => "local_socket",
        0o010000 => "pipe",
        0o020000 => "char",
        0o100000 => "file",
        0o040000 => "dir",
        0o060000 => "block",
        0o120000 => "link",
        _ => "unknown",
    }
}

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EMPTY_PATH: u32 = 0x1000;

/// The type's fields of a chmod, chown or truncate record.
fn filemeta_op(e: &rg_filemeta, op: MetaKind) -> FileOp {
    match op {
        MetaKind::Chmod => FileOp::Chmod { mode: e.mode & 0o7777 },
        MetaKind::Chown => {
            // the kernel sets AT_EMPTY_PATH when the file was the fd's:
            // then no path was looked up, so no link followed either
            let follow = (e.flags & AT_EMPTY_PATH == 0).then_some(e.flags & AT_SYMLINK_NOFOLLOW == 0);
            FileOp::Chown(Chown::from_raw(e.owner_uid, e.owner_gid, follow))
        }
        MetaKind::Truncate => FileOp::Truncate { length: e.length },
    }
}

// The reasons' bits are enum rg_uring_fd of include/events.h, and the
// submission's bit enum rg_uring_req.
const _: () = assert!(
    FD_UNKNOWN[0].0 as u32 == rg_uring_fd::RG_URING_FD_REGISTERED.0
        && FD_UNKNOWN[1].0 as u32 == rg_uring_fd::RG_URING_FD_NOT_KEPT.0
        && RESULT_UNKNOWN_BIT as u32 == rg_uring_req::RG_URING_AT_SUBMIT.0
);

/// A credential record: each part filled only for the calls it applies to
/// (a setuid record carries no group ids, which it did not change).
fn cred(e: &rg_cred) -> Cred {
    let syscall = catalog::syscall_name(e.syscall);
    let call = cred_call(syscall);
    let uids = |i: &rg_ids| Ids { real: i.uid, effective: i.euid, saved: i.suid, fs: i.fsuid };
    let gids = |i: &rg_ids| Ids { real: i.gid, effective: i.egid, saved: i.sgid, fs: i.fsgid };
    let groups = (call == Some(CredCall::Groups)).then_some(e.ngroups);
    let listed = groups.map_or(0, |n| (n as usize).min(e.groups.len()));
    Cred {
        syscall,
        uids: (call == Some(CredCall::Uids)).then(|| IdChange { old: uids(&e.old_ids), new: uids(&e.new_ids) }),
        gids: (call == Some(CredCall::Gids)).then(|| IdChange { old: gids(&e.old_ids), new: gids(&e.new_ids) }),
        group_count: groups,
        groups: e.groups[..listed].to_vec(),
        caps: (call == Some(CredCall::Caps)).then_some(Caps {
            effective: e.cap_effective,
            permitted: e.cap_permitted,
            inheritable: e.cap_inheritable,
        }),
    }
}

#[path = "normalize_context.rs"]
mod context;
#[path = "normalize_ctx.rs"]
mod ctx;
#[path = "normalize_fileattr.rs"]
mod fileattr;
#[path = "normalize_link.rs"]
mod link;
#[path = "normalize_net.rs"]
mod net;
#[path = "normalize_ns.rs"]
mod ns;

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
