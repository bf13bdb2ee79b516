//! Offline rule testing: NDJSON records back into `Record`s (the inverse
//! of `record::json::write_record`) and a replay through the engine.

mod context;
mod cred;
mod exec;
mod fileattr;

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::{Alert, Engine, RuleError, RuleSet};
use crate::record::{
    ptrace_request_code, ptrace_request_name, signal_name, signal_number, Body, Chown, EventType, Exec, Exit, File,
    FileOp, Fork, Link, Net, NetKind, Ptrace, Record, Signal, XattrOp, OPEN_FLAG_NAMES,
};

/// What is wrong with one NDJSON line; the caller adds the file and line.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}{msg}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct RecordParseError {
    pub field: Option<String>,
    pub msg: String,
}

fn perr(field: &str, msg: impl Into<String>) -> RecordParseError {
    RecordParseError { field: Some(field.to_string()), msg: msg.into() }
}

fn line_err(msg: impl Into<String>) -> RecordParseError {
    RecordParseError { field: None, msg: msg.into() }
}

/// serde_json ends its message with "at line 1 column N"; a record is one
/// line, so only the column is worth saying.
fn json_err(e: &serde_json::Error) -> RecordParseError {
    let full = e.to_string();
    match full.strip_suffix(&format!(" at line {} column {}", e.line(), e.column())) {
        Some(what) => line_err(format!("invalid JSON at column {}: {what}", e.column())),
        None => line_err(format!("invalid JSON: {full}")),
    }
}

/// Parses one NDJSON record line back into a Record: a line `write_record`
/// wrote, or any record `docs/records.md` (the contract) allows. Fields the
/// contract lists for the type are read as it defines them; the sensor's
/// extra fields (`syscall`, `stdin`, `fd`, ...) may be absent and then take
/// a default (see `docs/rules.md`, "Testing rules offline"). Unknown extra
/// fields are ignored; alert and health lines give Ok(None).
pub fn record_from_json(line: &str) -> Result<Option<Record>, RecordParseError> {
    let v: Value = serde_json::from_str(line).map_err(|e| json_err(&e))?;
    let Value::Object(o) = v else {
        return Err(line_err("not a JSON object"));
    };
    let et = req_str(&o, "event_type")?;
    if et == "alert" || et == "health" {
        return Ok(None);
    }
    let et = EventType::from_name(et).ok_or_else(|| perr("event_type", format!("unknown event type `{et}`")))?;
    let timestamp_ns = parse_rfc3339(req_str(&o, "timestamp")?).ok_or_else(|| perr("timestamp", "not RFC 3339 UTC"))?;
    let ppid = opt_u32(&o, "ppid")?.unwrap_or(0);
    let body = body_from_json(&o, et, ppid, timestamp_ns)?;
    let detection = match (o.get("alert"), opt_str(&o, "detection_type")?) {
        (Some(Value::Bool(true)), Some(d)) => Some(Arc::from(d)),
        _ => None,
    };
    Ok(Some(Record {
        timestamp_ns,
        host: Arc::from(opt_str(&o, "host")?.unwrap_or("")),
        pid: req_u32(&o, "pid")?,
        tid: opt_u32(&o, "tid")?.unwrap_or(0),
        ppid,
        uid: opt_u32(&o, "uid")?.unwrap_or(0),
        gid: opt_u32(&o, "gid")?.unwrap_or(0),
        euid: opt_u32(&o, "euid")?.unwrap_or(0),
        comm: opt_str(&o, "comm")?.unwrap_or("").to_string(),
        exe: opt_str(&o, "exe")?.map(Arc::from),
        cmdline: opt_str(&o, "cmdline")?.map(Arc::from),
        cmdline_source: exec::cmdline_source(&o)?,
        parent_comm: opt_str(&o, "parent_comm")?.map(str::to_string),
        parent_exe: opt_str(&o, "parent_exe")?.map(Arc::from),
        context: context::context_from_json(&o)?,
        parent_cmdline: opt_str(&o, "parent_cmdline")?.map(Arc::from),
        user: opt_str(&o, "user")?.map(Arc::from),
        euser: opt_str(&o, "euser")?.map(Arc::from),
        exec_id: exec::exec_id_from_json(&o, "exec_id")?,
        parent_exec_id: exec::exec_id_from_json(&o, "parent_exec_id")?,
        body,
        detection,
    }))
}

/// The fields of type `et`. Where the sensor writes a field the contract
/// does not list, its default is what the sensor would most likely have
/// written: the syscall named after the event, `unknown` for what it
/// cannot guess.
fn body_from_json(o: &Map<String, Value>, et: EventType, ppid: u32, ts: u64) -> Result<Body, RecordParseError> {
    Ok(match et {
        EventType::ProcessExec => Body::Exec(exec_from_json(o)?),
        // a fork from the parent's main thread: its tid is its pid
        EventType::ProcessFork => Body::Fork(Fork { parent_tid: opt_u32(o, "parent_tid")?.unwrap_or(ppid) }),
        EventType::ProcessExit => Body::Exit(Exit {
            exit_code: req_int(o, "exit_code")? as i32,
            signal: opt_int(o, "signal")?.map(|s| s as i32),
            core_dumped: opt_bool(o, "core_dumped")?,
            lifetime_ns: opt_int(o, "lifetime_ns")?.map(|n| n as u64),
        }),
        EventType::ProcessPtrace => Body::Ptrace(ptrace_from_json(o)?),
        EventType::ProcessSignal => Body::Signal(signal_from_json(o)?),
        EventType::ProcessSetuid => Body::Cred(cred::cred_from_json(o)?),
        EventType::ProcessMemfd => Body::Memfd(inject::memfd_from_json(o)?),
        EventType::ProcessInject => Body::Inject(inject::inject_from_json(o)?),
        EventType::BpfLoad => Body::Bpf(inject::bpf_from_json(o)?),
        EventType::ProcessNamespace => Body::Namespace(ns::namespace_from_json(o)?),
        EventType::FileMount => Body::Mount(ns::mount_from_json(o)?),
        EventType::ProcessIoUring => Body::IoUring(io_uring::io_uring_from_json(o)?),
        EventType::FileOpen => {
            let op =
                FileOp::Open { flags: flags_from_names(o)?, mode: opt_u32(o, "mode")?.unwrap_or(0), fd: opt_fd(o)? };
            file_from_json(o, op, "openat")?
        }
        EventType::FileWrite => {
            let op = FileOp::Write { bytes: opt_int(o, "bytes")?.unwrap_or(0) as u64, fd: opt_fd(o)? };
            file_from_json(o, op, "write")?
        }
        EventType::FileRename => {
            let op = FileOp::Rename {
                new_path: req_str(o, "new_path")?.to_string(),
                new_path_truncated: opt_bool(o, "new_path_truncated")?,
                new_path_detached: opt_bool(o, "new_path_detached")?,
                exchange: opt_bool(o, "exchange")?,
            };
            file_from_json(o, op, "rename")?
        }
        EventType::FileUnlink => {
            let is_dir = opt_bool(o, "is_dir")?;
            file_from_json(o, FileOp::Unlink { is_dir }, if is_dir { "rmdir" } else { "unlink" })?
        }
        EventType::FileChmod => file_from_json(o, FileOp::Chmod { mode: chmod_mode(o)? }, "fchmodat")?,
        EventType::FileChown => {
            let c = Chown {
                owner_uid: opt_u32(o, "owner_uid")?,
                owner_gid: opt_u32(o, "owner_gid")?,
                follow_symlinks: opt_follow(o)?,
            };
            file_from_json(o, FileOp::Chown(c), "fchownat")?
        }
        EventType::FileTruncate => file_from_json(o, FileOp::Truncate { length: req_int(o, "length")? }, "truncate")?,
        EventType::FileLink => {
            let symlink = opt_bool(o, "symlink")?;
            let l = Link {
                target: req_str(o, "target")?.to_string(),
                target_truncated: opt_bool(o, "target_truncated")?,
                target_detached: opt_bool(o, "target_detached")?,
                symlink,
                follow_symlinks: opt_follow(o)?,
            };
            file_from_json(o, FileOp::Link(l), if symlink { "symlinkat" } else { "linkat" })?
        }
        EventType::FileUtimes => file_from_json(o, fileattr::utimes_from_json(o, ts)?, "utimensat")?,
        EventType::FileXattr => {
            let x = fileattr::xattr_from_json(o)?;
            let syscall = if x.op == XattrOp::Set { "setxattr" } else { "removexattr" };
            file_from_json(o, FileOp::Xattr(x), syscall)?
        }
        EventType::NetworkConnect => Body::Net(net_from_json(o, NetKind::Connect)?),
        EventType::NetworkAccept => Body::Net(net_from_json(o, NetKind::Accept)?),
        EventType::NetworkBind => Body::Net(net_from_json(o, NetKind::Bind)?),
        EventType::NetworkListen => Body::Net(net_from_json(o, NetKind::Listen)?),
    })
}

fn exec_from_json(o: &Map<String, Value>) -> Result<Exec, RecordParseError> {
    let args = match o.get("args") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map(str::to_string).ok_or_else(|| perr("args", "expected strings")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(perr("args", "expected an array")),
        None => return Err(perr("args", "missing")),
    };
    // `unknown`, not `none`: a record without stdio says nothing of the fds
    let stdio = |k: &str| -> Result<&'static str, RecordParseError> { Ok(opt_str(o, k)?.map_or("unknown", intern)) };
    Ok(Exec {
        filename: req_str(o, "filename")?.to_string(),
        filename_truncated: opt_bool(o, "filename_truncated")?,
        args,
        args_truncated: opt_bool(o, "args_truncated")?,
        cwd: opt_str(o, "cwd")?.map(str::to_string),
        cwd_truncated: opt_bool(o, "cwd_truncated")?,
        exe_truncated: opt_bool(o, "exe_truncated")?,
        syscall: opt_str(o, "syscall")?.map_or("execve", intern),
        stdio: [stdio("stdin")?, stdio("stdout")?, stdio("stderr")?],
        creds: exec::creds_from_json(o)?,
        script: exec::script_from_json(o)?,
        response: None,
        exe_sha256: exec::sha256_from_json(o)?,
    })
}

/// `process_ptrace` is not in the contract; the sensor writes both
/// `request` and `request_code`, and either one gives the other.
fn ptrace_from_json(o: &Map<String, Value>) -> Result<Ptrace, RecordParseError> {
    let name = opt_str(o, "request")?;
    let request = match (opt_int(o, "request_code")?, name) {
        (Some(code), _) => code,
        (None, Some(n)) => ptrace_request_code(n).ok_or_else(|| {
            perr("request_code", format!("missing, and `request` `{n}` is not a request rand-guard names"))
        })?,
        (None, None) => return Err(perr("request_code", "missing (give it or `request`)")),
    };
    let t = inject::target_from_json(o)?;
    Ok(Ptrace {
        request,
        request_name: name.map(intern).or_else(|| ptrace_request_name(request)),
        target_pid: opt_u32(o, "target_pid")?.unwrap_or(0),
        target_comm: t.comm,
        target_exe: t.exe,
        target_cmdline: t.cmdline,
        target_same_exe: t.same_exe,
        result: opt_int(o, "result")?.unwrap_or(0),
    })
}

/// `signal` or `signal_name` gives the other, like ptrace's request.
fn signal_from_json(o: &Map<String, Value>) -> Result<Signal, RecordParseError> {
    let name = opt_str(o, "signal_name")?;
    let signal = match (opt_int(o, "signal")?, name) {
        (Some(n), _) => i32::try_from(n).map_err(|_| perr("signal", format!("{n} is not a signal number")))?,
        (None, Some(n)) => signal_number(n).ok_or_else(|| {
            perr("signal", format!("missing, and `signal_name` `{n}` is not a signal rand-guard names"))
        })?,
        (None, None) => return Err(perr("signal", "missing (give it or `signal_name`)")),
    };
    Ok(Signal {
        signal,
        signal_name: name.map(intern).or_else(|| signal_name(signal)),
        target_pid: opt_i32(o, "target_pid")?,
        target_tid: opt_i32(o, "target_tid")?,
        target_comm: opt_str(o, "target_comm")?.map(str::to_string),
        target_exe: opt_str(o, "target_exe")?.map(Arc::from),
        syscall: opt_str(o, "syscall")?.map_or("kill", intern),
    })
}

fn file_from_json(o: &Map<String, Value>, op: FileOp, syscall: &'static str) -> Result<Body, RecordParseError> {
    Ok(Body::File(File {
        path: req_str(o, "path")?.to_string(),
        path_truncated: opt_bool(o, "path_truncated")?,
        path_detached: opt_bool(o, "path_detached")?,
        op,
        syscall: opt_str(o, "syscall")?.map_or(syscall, intern),
        io_uring: io_uring::req_from_json(o)?,
    }))
}

/// `follow_symlinks`: absent or null when the call named no path to follow.
fn opt_follow(o: &Map<String, Value>) -> Result<Option<bool>, RecordParseError> {
    match o.get("follow_symlinks") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => Ok(Some(opt_bool(o, "follow_symlinks")?)),
    }
}

/// `mode`, with any of `setuid`, `setgid`, `sticky` that are true added
/// (a hand-written record may give only those).
fn chmod_mode(o: &Map<String, Value>) -> Result<u32, RecordParseError> {
    let mut mode = opt_u32(o, "mode")?.unwrap_or(0) & 0o7777;
    for (k, bit) in [("setuid", 0o4000), ("setgid", 0o2000), ("sticky", 0o1000)] {
        if opt_bool(o, k)? {
            mode |= bit;
        }
    }
    Ok(mode)
}

fn net_from_json(o: &Map<String, Value>, kind: NetKind) -> Result<Net, RecordParseError> {
    Ok(Net {
        kind,
        family: opt_str(o, "family")?.unwrap_or("unknown").to_string(),
        protocol: intern(opt_str(o, "protocol")?.unwrap_or("unknown")),
        fd: opt_fd(o)?,
        local_addr: opt_str(o, "local_addr")?.map(str::to_string),
        local_port: opt_port(o, "local_port")?,
        remote_addr: opt_str(o, "remote_addr")?.map(str::to_string),
        remote_port: opt_port(o, "remote_port")?,
        backlog: opt_u32(o, "backlog")?,
        result: opt_int(o, "result")?.unwrap_or(0),
        syscall: opt_str(o, "syscall")?.map_or(kind.syscall(), intern),
        io_uring: io_uring::req_from_json(o)?,
    })
}

fn req_str<'a>(o: &'a Map<String, Value>, k: &str) -> Result<&'a str, RecordParseError> {
    opt_str(o, k)?.ok_or_else(|| perr(k, "missing"))
}
fn opt_str<'a>(o: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, RecordParseError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(perr(k, "expected a string")),
    }
}
fn opt_bool(o: &Map<String, Value>, k: &str) -> Result<bool, RecordParseError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(perr(k, "expected a boolean")),
    }
}
fn opt_int(o: &Map<String, Value>, k: &str) -> Result<Option<i64>, RecordParseError> {
    match o.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u.min(i64::MAX as u64) as i64))
            .map(Some)
            .ok_or_else(|| perr(k, "expected an integer")),
        Some(_) => Err(perr(k, "expected an integer")),
    }
}
fn req_int(o: &Map<String, Value>, k: &str) -> Result<i64, RecordParseError> {
    opt_int(o, k)?.ok_or_else(|| perr(k, "missing"))
}
fn opt_u32(o: &Map<String, Value>, k: &str) -> Result<Option<u32>, RecordParseError> {
    opt_int(o, k)?.map(|n| u32::try_from(n).map_err(|_| perr(k, "out of range for u32"))).transpose()
}
fn opt_i32(o: &Map<String, Value>, k: &str) -> Result<Option<i32>, RecordParseError> {
    opt_int(o, k)?.map(|v| i32::try_from(v).map_err(|_| perr(k, format!("{v} is out of range")))).transpose()
}
fn req_u32(o: &Map<String, Value>, k: &str) -> Result<u32, RecordParseError> {
    opt_u32(o, k)?.ok_or_else(|| perr(k, "missing"))
}
/// `fd`, -1 (no fd) when absent.
fn opt_fd(o: &Map<String, Value>) -> Result<i32, RecordParseError> {
    opt_int(o, "fd")?.map_or(Ok(-1), |n| i32::try_from(n).map_err(|_| perr("fd", "out of range for an fd")))
}
fn opt_port(o: &Map<String, Value>, k: &str) -> Result<Option<u16>, RecordParseError> {
    opt_int(o, k)?.map(|n| u16::try_from(n).map_err(|_| perr(k, "not a port"))).transpose()
}

fn flags_from_names(o: &Map<String, Value>) -> Result<u32, RecordParseError> {
    let a = match o.get("flags") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(perr("flags", "expected an array")),
        None => return Err(perr("flags", "missing")),
    };
    let mut bits = 0;
    for v in a {
        let n = v.as_str().ok_or_else(|| perr("flags", "expected strings"))?;
        bits |= match n {
            "O_RDONLY" => 0,
            "O_WRONLY" => 1,
            "O_RDWR" => 2,
            "O_ACCMODE" => 3,
            "O_SYNC" => 0o4000000,
            "O_TMPFILE" => 0o20000000,
            _ => OPEN_FLAG_NAMES
                .iter()
                .find(|(_, name)| *name == n)
                .map(|(b, _)| *b)
                .ok_or_else(|| perr("flags", format!("unknown flag `{n}`")))?,
        };
    }
    Ok(bits)
}

/// Record fields that are `&'static str` take one of a known set of
/// names; an unknown name is kept in a small, bounded leaked set.
fn intern(s: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "execve",
        "execveat",
        "open",
        "openat",
        "openat2",
        "creat",
        "write",
        "writev",
        "pwrite64",
        "pwritev",
        "pwritev2",
        "rename",
        "renameat",
        "renameat2",
        "unlink",
        "unlinkat",
        "rmdir",
        "kill",
        "tkill",
        "tgkill",
        "pidfd_send_signal",
        "process_vm_writev",
        "io_uring",
        "connect",
        "accept",
        "accept4",
        "bind",
        "listen",
        "file",
        "pipe",
        "socket",
        "local_socket",
        "link",
        "tty",
        "dir",
        "block",
        "fifo",
        "char",
        "none",
        "unknown",
        "anon_inode",
        "tcp",
        "udp",
        "raw",
        "stream",
        "dgram",
        "seqpacket",
        "icmp",
        "PTRACE_TRACEME",
        "PTRACE_PEEKTEXT",
        "PTRACE_PEEKDATA",
        "PTRACE_POKETEXT",
        "PTRACE_POKEDATA",
        "PTRACE_CONT",
        "PTRACE_KILL",
        "PTRACE_ATTACH",
        "PTRACE_DETACH",
        "PTRACE_SEIZE",
        "PTRACE_INTERRUPT",
        "PTRACE_GETREGS",
        "PTRACE_SETREGS",
        "PTRACE_SETOPTIONS",
        "PTRACE_SINGLESTEP",
        "PTRACE_SYSCALL",
    ];
    if let Some(k) = KNOWN.iter().find(|k| **k == s) {
        return k;
    }
    static EXTRA: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let Ok(mut g) = EXTRA.lock() else {
        return "unknown";
    };
    let set = g.get_or_insert_with(HashSet::new);
    if let Some(k) = set.get(s) {
        return k;
    }
    if set.len() >= 256 || s.len() > 64 {
        return "unknown";
    }
    let leaked: &'static str = Box::leak(s.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// The inverse of `record::time::write_rfc3339`: `YYYY-MM-DDTHH:MM:SS[.f]Z`
/// (UTC, up to 9 fraction digits; `+00:00` accepted for `Z`).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let t = s.get(r)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)? as i64, num(5..7)? as u32, num(8..10)? as u32);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u64;
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        let mut end = start;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
        let digits = end - start;
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(start..end)? * 10u64.pow((9 - digits) as u32);
        i = end;
    }
    match s.get(i..) {
        Some("Z") | Some("z") | Some("+00:00") => {}
        _ => return None,
    }
    let days = days_from_civil(y, mo, d);
    let secs = days.checked_mul(86_400)?.checked_add((h * 3600 + mi * 60 + sec) as i64)?;
    u64::try_from(secs).ok()?.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a replay did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestSummary {
    pub records: usize,
    /// Alert and health lines in the input.
    pub skipped: usize,
    pub matched_records: usize,
    pub alerts: usize,
    /// Alerts per rule id.
    pub by_rule: BTreeMap<String, usize>,
}

impl std::fmt::Display for TestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} records ({} alert/health lines skipped), {} matched, {} alerts",
            self.records, self.skipped, self.matched_records, self.alerts
        )?;
        for (id, n) in &self.by_rule {
            write!(f, "; {id}: {n}")?;
        }
        Ok(())
    }
}

/// Replays an NDJSON file through the engine and writes each record that
/// matched (annotated) followed by its alerts.
pub fn test_events(set: RuleSet, events: &Path, out: &mut dyn Write) -> Result<TestSummary, RuleError> {
    if set.is_empty() {
        return Err(RuleError::NoRules);
    }
    let f = std::fs::File::open(events).map_err(|e| RuleError::Io { path: events.to_path_buf(), source: e })?;
    let mut engine = Engine::new(set);
    let mut summary = TestSummary::default();
    let mut alerts: Vec<Alert> = Vec::new();
    let mut buf = Vec::new();
    for (n, line) in BufReader::new(f).split(b'\n').enumerate() {
        let line = line.map_err(|e| RuleError::Io { path: events.to_path_buf(), source: e })?;
        let at = |source| RuleError::Events { events: events.to_path_buf(), line: n + 1, source };
        let line = std::str::from_utf8(&line)
            .map_err(|e| at(line_err(format!("not valid UTF-8 (byte {})", e.valid_up_to() + 1))))?;
        if line.trim().is_empty() {
            continue;
        }
        let Some(mut rec) = record_from_json(line).map_err(at)? else {
            summary.skipped += 1;
            continue;
        };
        summary.records += 1;
        alerts.clear();
        let had = rec.detection.is_some();
        engine.process(&mut rec, &mut alerts);
        if alerts.is_empty() && (had || rec.detection.is_none()) {
            continue;
        }
        summary.matched_records += 1;
        buf.clear();
        crate::record::json::write_record(&mut buf, &rec);
        for a in &alerts {
            a.write_json(&mut buf, &rec);
            summary.alerts += 1;
            *summary.by_rule.entry(a.rule_id().to_string()).or_default() += 1;
        }
        out.write_all(&buf).map_err(RuleError::Output)?;
    }
    Ok(summary)
}

mod inject;
mod io_uring;
mod ns;
#[cfg(test)]
mod tests;
