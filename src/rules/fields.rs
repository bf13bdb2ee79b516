//! The fields a condition can name: their types, the event types that
//! carry them, and zero-allocation access to their values on a record.

use crate::record::{open_access, Body, EventType, FileOp, NetKind, Record, OPEN_FLAG_NAMES};

/// A set of event types, one bit per `EventType::ALL` index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TypeMask(pub u16);

impl TypeMask {
    pub const NONE: TypeMask = TypeMask(0);
    pub const ALL: TypeMask = TypeMask((1 << 12) - 1);

    pub fn of(t: EventType) -> TypeMask {
        TypeMask(1 << index(t))
    }
    pub fn of_all(ts: &[EventType]) -> TypeMask {
        ts.iter().fold(TypeMask::NONE, |m, &t| m.union(TypeMask::of(t)))
    }
    pub fn category(cat: &str) -> TypeMask {
        TypeMask::of_all(&EventType::ALL.into_iter().filter(|t| t.category() == cat).collect::<Vec<_>>())
    }
    pub fn has(self, t: EventType) -> bool {
        self.0 & (1 << index(t)) != 0
    }
    pub fn union(self, o: TypeMask) -> TypeMask {
        TypeMask(self.0 | o.0)
    }
    pub fn inter(self, o: TypeMask) -> TypeMask {
        TypeMask(self.0 & o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn types(self) -> impl Iterator<Item = EventType> {
        EventType::ALL.into_iter().filter(move |t| self.has(*t))
    }
    /// "process_exec, file_open" for messages.
    pub fn names(self) -> String {
        self.types().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
    }
}

pub fn index(t: EventType) -> usize {
    t as usize
}

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
    ($($var:ident = $name:literal : $ty:ident @ [$($et:ident),*] ;)*) => {
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
            /// The event types whose records carry this field.
            pub fn carriers(self) -> TypeMask {
                match self { $(Field::$var => carriers(&[$($et),*])),* }
            }
        }
    };
}

const COMMON: u8 = 0;
const EXEC: u8 = 1;
const FORK: u8 = 2;
const EXIT: u8 = 3;
const PTRACE: u8 = 4;
const FILE: u8 = 5;
const OPEN: u8 = 6;
const WRITE: u8 = 7;
const RENAME: u8 = 8;
const UNLINK: u8 = 9;
const NET: u8 = 10;
const LISTEN: u8 = 11;
const ACCEPT: u8 = 12;
const BINDLISTEN: u8 = 13;

fn carriers(groups: &[u8]) -> TypeMask {
    use EventType::*;
    let mut m = TypeMask::NONE;
    for g in groups {
        m = m.union(match *g {
            COMMON => TypeMask::ALL,
            EXEC => TypeMask::of(ProcessExec),
            FORK => TypeMask::of(ProcessFork),
            EXIT => TypeMask::of(ProcessExit),
            PTRACE => TypeMask::of(ProcessPtrace),
            FILE => TypeMask::of_all(&[FileOpen, FileWrite, FileRename, FileUnlink]),
            OPEN => TypeMask::of(FileOpen),
            WRITE => TypeMask::of(FileWrite),
            RENAME => TypeMask::of(FileRename),
            UNLINK => TypeMask::of(FileUnlink),
            NET => TypeMask::of_all(&[NetworkConnect, NetworkAccept, NetworkBind, NetworkListen]),
            LISTEN => TypeMask::of(NetworkListen),
            ACCEPT => TypeMask::of(NetworkAccept),
            BINDLISTEN => TypeMask::of_all(&[NetworkAccept, NetworkBind, NetworkListen]),
            _ => TypeMask::NONE,
        });
    }
    m
}

fields! {
    EventTypeF = "event_type": Str @ [COMMON];
    Timestamp = "timestamp": Int @ [COMMON];
    Host = "host": Str @ [COMMON];
    Pid = "pid": Int @ [COMMON];
    Tid = "tid": Int @ [COMMON];
    Ppid = "ppid": Int @ [COMMON];
    Uid = "uid": Int @ [COMMON];
    Gid = "gid": Int @ [COMMON];
    Euid = "euid": Int @ [COMMON];
    Comm = "comm": Str @ [COMMON];
    Exe = "exe": Str @ [COMMON];
    ExeName = "exe_name": Str @ [COMMON];
    Cmdline = "cmdline": Str @ [COMMON];
    ParentComm = "parent_comm": Str @ [COMMON];
    ParentExe = "parent_exe": Str @ [COMMON];
    ParentExeName = "parent_exe_name": Str @ [COMMON];
    Filename = "filename": Str @ [EXEC];
    FilenameName = "filename_name": Str @ [EXEC];
    Args = "args": StrList @ [EXEC];
    ArgsCount = "args_count": Int @ [EXEC];
    ArgsTruncated = "args_truncated": Bool @ [EXEC];
    Cwd = "cwd": Str @ [EXEC];
    Syscall = "syscall": Str @ [EXEC, FILE];
    Stdin = "stdin": Str @ [EXEC];
    Stdout = "stdout": Str @ [EXEC];
    Stderr = "stderr": Str @ [EXEC];
    ParentTid = "parent_tid": Int @ [FORK];
    ExitCode = "exit_code": Int @ [EXIT];
    Signal = "signal": Int @ [EXIT];
    LifetimeNs = "lifetime_ns": Int @ [EXIT];
    CoreDumped = "core_dumped": Bool @ [EXIT];
    Request = "request": Str @ [PTRACE];
    RequestCode = "request_code": Int @ [PTRACE];
    TargetPid = "target_pid": Int @ [PTRACE];
    Result = "result": Int @ [PTRACE, NET];
    Path = "path": Str @ [FILE];
    PathName = "path_name": Str @ [FILE];
    PathDir = "path_dir": Str @ [FILE];
    PathTruncated = "path_truncated": Bool @ [FILE];
    Flags = "flags": StrList @ [OPEN];
    Access = "access": Str @ [OPEN];
    Mode = "mode": Int @ [OPEN];
    Fd = "fd": Int @ [OPEN, WRITE, NET];
    Bytes = "bytes": Int @ [WRITE];
    NewPath = "new_path": Str @ [RENAME];
    NewPathName = "new_path_name": Str @ [RENAME];
    NewPathDir = "new_path_dir": Str @ [RENAME];
    NewPathTruncated = "new_path_truncated": Bool @ [RENAME];
    IsDir = "is_dir": Bool @ [UNLINK];
    Family = "family": Str @ [NET];
    Protocol = "protocol": Str @ [NET];
    Direction = "direction": Str @ [NET];
    LocalAddr = "local_addr": Str @ [NET];
    LocalPort = "local_port": Int @ [NET];
    RemoteAddr = "remote_addr": Str @ [NET];
    RemotePort = "remote_port": Int @ [NET];
    Backlog = "backlog": Int @ [LISTEN];
}

// ACCEPT is kept for readability of the table even where unused.
const _: u8 = ACCEPT;

impl Field {
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == name)
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

/// A field's value on one record, borrowed from it.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    Missing,
    Str(&'a str),
    Int(i64),
    Bool(bool),
    Args(&'a [String]),
    /// Open flags, listed by name without allocating.
    Flags(u32),
}

/// Calls `f` on each element of a list value until it returns true.
pub fn any_elem(v: Val<'_>, mut f: impl FnMut(&str) -> bool) -> bool {
    match v {
        Val::Args(a) => a.iter().any(|s| f(s)),
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
        ParentComm => opt(r.parent_comm.as_deref()),
        ParentExe => opt(r.parent_exe.as_deref()),
        ParentExeName => opt(r.parent_exe.as_deref().map(basename)),
        _ => body_field(field, &r.body),
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
            Cwd => opt(e.cwd.as_deref()),
            Syscall => Val::Str(e.syscall),
            Stdin => Val::Str(e.stdio[0]),
            Stdout => Val::Str(e.stdio[1]),
            Stderr => Val::Str(e.stdio[2]),
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
            Result => Val::Int(p.result),
            _ => Val::Missing,
        },
        Body::File(f) => match (field, &f.op) {
            (Path, _) => Val::Str(&f.path),
            (PathName, _) => Val::Str(basename(&f.path)),
            (PathDir, _) => Val::Str(dirname(&f.path)),
            (PathTruncated, _) => Val::Bool(f.path_truncated),
            (Syscall, _) => Val::Str(f.syscall),
            (Flags, FileOp::Open { flags, .. }) => Val::Flags(*flags),
            (Access, FileOp::Open { flags, .. }) => Val::Str(open_access(*flags)),
            (Mode, FileOp::Open { mode, .. }) => Val::Int((*mode).into()),
            (Fd, FileOp::Open { fd, .. }) | (Fd, FileOp::Write { fd, .. }) => Val::Int((*fd).into()),
            (Bytes, FileOp::Write { bytes, .. }) => Val::Int((*bytes).min(i64::MAX as u64) as i64),
            (NewPath, FileOp::Rename { new_path, .. }) => Val::Str(new_path),
            (NewPathName, FileOp::Rename { new_path, .. }) => Val::Str(basename(new_path)),
            (NewPathDir, FileOp::Rename { new_path, .. }) => Val::Str(dirname(new_path)),
            (NewPathTruncated, FileOp::Rename { new_path_truncated, .. }) => Val::Bool(*new_path_truncated),
            (IsDir, FileOp::Unlink { is_dir }) => Val::Bool(*is_dir),
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
            Fd => Val::Int(n.fd.into()),
            Result => Val::Int(n.result),
            _ => Val::Missing,
        },
    }
}

#[cfg(test)]
mod tests {
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
    fn full_records() -> Vec<Record> {
        use crate::record::{Exit, Fork, Ptrace};
        use crate::rules::bench::*;
        let mut v = vec![exec(1, 2, 1, "bash", "/bin/ls", &["ls"], ["tty", "tty", "tty"])];
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Fork(Fork { parent_tid: 1 })));
        let exit = Exit { exit_code: 1, signal: Some(9), core_dumped: true, lifetime_ns: Some(5) };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Exit(exit)));
        let pt = Ptrace { request: 16, request_name: Some("PTRACE_ATTACH"), target_pid: 3, result: 0 };
        v.push(record(1, 2, 1, "a", "/a", "b", Body::Ptrace(pt)));
        v.push(open(1, 2, "a", "/x/y", O_RDWR | O_CREAT));
        v.push(write(1, 2, "a", "/x/y"));
        v.push(rename(1, 2, "a", "/x/y", "/x/z"));
        v.push(unlink(1, 2, "a", "/x/y"));
        for kind in [NetKind::Connect, NetKind::Accept, NetKind::Bind, NetKind::Listen] {
            let mut r = net(1, 2, 1, "a", kind, "10.0.0.1", 80);
            if let Body::Net(n) = &mut r.body {
                (n.local_addr, n.local_port) = (Some("10.0.0.2".into()), Some(5000));
                (n.remote_addr, n.remote_port, n.backlog) = (Some("10.0.0.3".into()), Some(80), Some(1));
            }
            v.push(r);
        }
        for r in &mut v {
            r.cmdline = Some("a b".into());
            r.parent_exe = Some("/p".into());
        }
        v
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
