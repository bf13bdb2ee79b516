//! What the OCSF and ECS shapes both read off a record: the process it acts
//! on, the file it is about, its two network endpoints. One place, so the
//! two mappers agree and a new record field is wired once.

use super::{Body, FileOp, Net, NetKind, Record};

/// The process a record acts on when that is not the acting process:
/// ptrace, process_vm_writev and signal targets, the process whose
/// namespaces a setns entered, a clone's child.
pub struct Target<'a> {
    pub pid: i64,
    pub comm: Option<&'a str>,
    pub exe: Option<&'a str>,
    pub cmdline: Option<&'a str>,
}

pub fn target(body: &Body) -> Option<Target<'_>> {
    match body {
        Body::Ptrace(p) => Some(Target {
            pid: p.target_pid.into(),
            comm: p.target_comm.as_deref(),
            exe: p.target_exe.as_deref(),
            cmdline: p.target_cmdline.as_deref(),
        }),
        Body::Inject(i) => Some(Target {
            pid: i.target_pid.into(),
            comm: i.target_comm.as_deref(),
            exe: i.target_exe.as_deref(),
            cmdline: i.target_cmdline.as_deref(),
        }),
        Body::Signal(s) => s.target_pid.map(|pid| Target {
            pid: pid.into(),
            comm: s.target_comm.as_deref(),
            exe: s.target_exe.as_deref(),
            cmdline: None,
        }),
        Body::Namespace(n) => match (n.target_pid, n.child_pid) {
            (Some(pid), _) => Some(Target {
                pid: pid.into(),
                comm: n.target_comm.as_deref(),
                exe: n.target_exe.as_deref(),
                cmdline: None,
            }),
            (None, Some(pid)) => Some(Target { pid: pid.into(), comm: None, exe: None, cmdline: None }),
            (None, None) => None,
        },
        Body::Exec(_)
        | Body::Fork(_)
        | Body::Exit(_)
        | Body::Cred(_)
        | Body::Memfd(_)
        | Body::Bpf(_)
        | Body::Mount(_)
        | Body::IoUring(_)
        | Body::File(_)
        | Body::Net(_) => None,
    }
}

/// What kind of file a record's path names, as far as the record says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Unknown,
    Regular,
    Dir,
    Symlink,
}

/// The file a record is about: its path and kind, and for a rename the
/// path it got. A mount is about its mount point (or its source when it
/// has none: fsmount).
pub struct FileRef<'a> {
    pub path: &'a str,
    pub kind: FileKind,
    pub new_path: Option<&'a str>,
}

pub fn file(r: &Record) -> Option<FileRef<'_>> {
    match &r.body {
        Body::File(f) => {
            let kind = match &f.op {
                FileOp::Unlink { is_dir: true } => FileKind::Dir,
                FileOp::Link(l) if l.symlink => FileKind::Symlink,
                FileOp::Write { .. } | FileOp::Truncate { .. } => FileKind::Regular,
                FileOp::Open { .. }
                | FileOp::Rename { .. }
                | FileOp::Unlink { .. }
                | FileOp::Chmod { .. }
                | FileOp::Chown(_)
                | FileOp::Link(_)
                | FileOp::Utimes(_)
                | FileOp::Xattr(_) => FileKind::Unknown,
            };
            Some(FileRef { path: &f.path, kind, new_path: f.new_path() })
        }
        Body::Mount(m) => m.target.as_deref().or(m.source.as_deref()).map(|path| FileRef {
            path,
            kind: FileKind::Dir,
            new_path: None,
        }),
        Body::Exec(_)
        | Body::Fork(_)
        | Body::Exit(_)
        | Body::Ptrace(_)
        | Body::Signal(_)
        | Body::Cred(_)
        | Body::Memfd(_)
        | Body::Inject(_)
        | Body::Bpf(_)
        | Body::Namespace(_)
        | Body::IoUring(_)
        | Body::Net(_) => None,
    }
}

/// The last component of `path` ("/" for "/").
pub fn base_name(path: &str) -> &str {
    match path.trim_end_matches('/').rsplit('/').next() {
        Some(name) if !name.is_empty() => name,
        _ => path,
    }
}

/// The directory `path` is in, when it has one.
pub fn dir_name(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) if trimmed.len() > 1 => Some("/"),
        Some(0) | None => None,
        Some(at) => Some(&trimmed[..at]),
    }
}

/// One end of a connection: an address (IP, or a unix socket path) and
/// a port.
#[derive(Clone, Copy)]
pub struct Endpoint<'a> {
    pub addr: Option<&'a str>,
    pub port: Option<u16>,
    /// `addr` is an IP address (families ipv4 and ipv6).
    pub is_ip: bool,
}

impl Endpoint<'_> {
    pub fn is_empty(&self) -> bool {
        self.addr.is_none() && self.port.is_none()
    }
}

/// The source and destination of a network record: a connect goes from
/// the local end to the remote one, an accepted connection the other
/// way; a bind or listen names the local end as the destination.
pub fn endpoints(n: &Net) -> (Endpoint<'_>, Endpoint<'_>) {
    let is_ip = matches!(n.family.as_str(), "ipv4" | "ipv6");
    let local = Endpoint { addr: n.local_addr.as_deref(), port: n.local_port, is_ip };
    let remote = Endpoint { addr: n.remote_addr.as_deref(), port: n.remote_port, is_ip };
    match n.kind {
        NetKind::Connect => (local, remote),
        NetKind::Accept | NetKind::Bind | NetKind::Listen => (remote, local),
    }
}

/// Whether a network call succeeded (a non-blocking connect in progress
/// counts: EINPROGRESS).
pub fn net_ok(n: &Net) -> bool {
    n.result >= 0 || n.result == -115
}

#[cfg(test)]
mod tests {
    use super::{base_name, dir_name};

    #[test]
    fn path_parts() {
        assert_eq!(base_name("/etc/passwd"), "passwd");
        assert_eq!(base_name("/tmp/d/"), "d");
        assert_eq!(base_name("/"), "/");
        assert_eq!(dir_name("/etc/passwd"), Some("/etc"));
        assert_eq!(dir_name("/etc"), Some("/"));
        assert_eq!(dir_name("/"), None);
        assert_eq!(dir_name("rel"), None);
    }
}
