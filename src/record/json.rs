//! NDJSON serialization of records, alerts and health reports.
//!
//! Hand-written rather than serde-derived: the field order and names are
//! the public contract (records.md), every record is one line whatever its
//! strings hold (control characters and quotes are escaped; text from the
//! kernel was made valid UTF-8 at normalization), and this is the hot path.

use super::time::write_rfc3339;
use super::{open_access, open_flag_names, setgid, setuid, sticky, Body, CmdlineSource, ExecId, FileOp, Record};

/// Writes one JSON object; keys are trusted literals, values are escaped.
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn begin(out: &'a mut Vec<u8>) -> ObjectWriter<'a> {
        out.push(b'{');
        ObjectWriter { out, first: true }
    }

    // Inlined so each literal key is copied as a constant-length move.
    #[inline(always)]
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.reserve(key.len() + 3);
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    #[inline(always)]
    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(self.out, value);
    }

    /// A string this crate names itself (event types, syscalls, flags,
    /// stdio kinds): never needs escaping, so the check is skipped.
    #[inline(always)]
    pub fn lit(&mut self, key: &str, value: &'static str) {
        debug_assert!(!value.bytes().any(|b| NEEDS_ESCAPE[b as usize]), "{value:?}");
        self.key(key);
        self.out.push(b'"');
        self.out.extend_from_slice(value.as_bytes());
        self.out.push(b'"');
    }

    #[inline(always)]
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    #[inline(always)]
    pub fn null(&mut self, key: &str) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }

    #[inline(always)]
    pub fn u64(&mut self, key: &str, value: u64) {
        self.key(key);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    #[inline(always)]
    pub fn i64(&mut self, key: &str, value: i64) {
        self.key(key);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// A number as a JSON string (`"0"`): OCSF and ECS keep ids as text.
    #[inline(always)]
    pub fn num_str(&mut self, key: &str, value: u64) {
        self.key(key);
        self.out.push(b'"');
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        self.out.push(b'"');
    }

    /// `"key":` then `json`, a value this crate wrote (a health record).
    pub fn raw(&mut self, key: &str, json: &[u8]) {
        self.key(key);
        self.out.extend_from_slice(json);
    }

    #[inline(always)]
    pub fn opt_u64(&mut self, key: &str, value: Option<u64>) {
        match value {
            Some(v) => self.u64(key, v),
            None => self.null(key),
        }
    }

    pub fn f64(&mut self, key: &str, value: f64) {
        self.key(key);
        if value.is_finite() {
            let mut b = ryu::Buffer::new();
            self.out.extend_from_slice(b.format(value).as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
    }

    #[inline(always)]
    pub fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    #[inline(always)]
    pub fn timestamp(&mut self, key: &str, ns: u64) {
        self.key(key);
        self.out.push(b'"');
        write_rfc3339(self.out, ns);
        self.out.push(b'"');
    }

    pub fn str_array<'s>(&mut self, key: &str, values: impl IntoIterator<Item = &'s str>) {
        self.array(key, values, write_str);
    }

    /// `str_array` of strings this crate names itself (see `lit`).
    pub fn lit_array(&mut self, key: &str, values: impl IntoIterator<Item = &'static str>) {
        self.array(key, values, |out, v| {
            debug_assert!(!v.bytes().any(|b| NEEDS_ESCAPE[b as usize]), "{v:?}");
            out.push(b'"');
            out.extend_from_slice(v.as_bytes());
            out.push(b'"');
        });
    }

    /// `"key":[...]` of values that are JSON already (lines this crate wrote).
    pub fn raw_array<'s>(&mut self, key: &str, values: impl IntoIterator<Item = &'s str>) {
        self.array(key, values, |out, v| out.extend_from_slice(v.as_bytes()));
    }

    fn array<'s>(&mut self, key: &str, values: impl IntoIterator<Item = &'s str>, write: fn(&mut Vec<u8>, &str)) {
        self.key(key);
        self.out.push(b'[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write(self.out, v);
        }
        self.out.push(b']');
    }

    /// `"key":{...}`, the object written by `f`.
    pub fn object(&mut self, key: &str, f: impl FnOnce(&mut ObjectWriter<'_>)) {
        self.key(key);
        let mut w = ObjectWriter::begin(self.out);
        f(&mut w);
        w.out.push(b'}');
    }

    /// `"key":[{...},...]`, each object written by `f`.
    pub fn object_array<T>(&mut self, key: &str, items: &[T], mut f: impl FnMut(&mut ObjectWriter<'_>, &T)) {
        self.key(key);
        self.out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            let mut w = ObjectWriter::begin(self.out);
            f(&mut w, item);
            w.out.push(b'}');
        }
        self.out.push(b']');
    }

    /// Closes the object and the line.
    pub fn end(self) {
        self.out.extend_from_slice(b"}\n");
    }
}

/// Whether any of the 8 bytes in `x` is in NEEDS_ESCAPE (< 0x20, '"', '\\'
/// or 0x7f), with the exact has-zero-byte / has-less-than bit tricks.
fn chunk_needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
    below_space
        || has_zero(x ^ (ONES * b'"' as u64))
        || has_zero(x ^ (ONES * b'\\' as u64))
        || has_zero(x ^ (ONES * 0x7f))
}

/// Bytes that need escaping in a JSON string: control characters, DEL
/// (kept out of logs as a courtesy), quote and backslash.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[0x7f] = true;
    t
};

/// Writes `s` as a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Paths and args rarely need escaping: check eight bytes at a time and
    // copy the whole string when it is clean.
    let chunks = bytes.chunks_exact(8);
    let tail_clean = chunks.remainder().iter().all(|&b| !NEEDS_ESCAPE[b as usize]);
    if tail_clean && chunks.clone().all(|c| c.try_into().is_ok_and(|c| !chunk_needs_escape(u64::from_le_bytes(c)))) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// The fields every telemetry record and every alert carries about the
/// acting process.
fn write_process_context(w: &mut ObjectWriter<'_>, r: &Record) {
    w.u64("pid", r.pid.into());
    w.u64("tid", r.tid.into());
    w.u64("ppid", r.ppid.into());
    w.u64("uid", r.uid.into());
    w.u64("gid", r.gid.into());
    w.u64("euid", r.euid.into());
    w.str("comm", &r.comm);
    w.opt_str("exe", r.exe.as_deref());
    w.opt_str("cmdline", r.cmdline.as_deref());
    w.opt_str("cmdline_source", r.cmdline_source.map(CmdlineSource::as_str));
    w.opt_str("parent_comm", r.parent_comm.as_deref());
    w.opt_str("parent_exe", r.parent_exe.as_deref());
    super::write_context(w, &r.context);
    w.opt_str("parent_cmdline", r.parent_cmdline.as_deref());
    w.opt_str("user", r.user.as_deref());
    w.opt_str("euser", r.euser.as_deref());
    w.opt_str("exec_id", r.exec_id.as_ref().map(ExecId::as_str));
    w.opt_str("parent_exec_id", r.parent_exec_id.as_ref().map(ExecId::as_str));
}

/// The fields of the record's own type.
pub fn write_body(w: &mut ObjectWriter<'_>, body: &Body) {
    match body {
        Body::Exec(e) => {
            w.str("filename", &e.filename);
            w.str_array("args", e.args.iter().map(String::as_str));
            w.bool("args_truncated", e.args_truncated);
            w.opt_str("cwd", e.cwd.as_deref());
            w.lit("syscall", e.syscall);
            w.lit("stdin", e.stdio[0]);
            w.lit("stdout", e.stdio[1]);
            w.lit("stderr", e.stdio[2]);
            if e.filename_truncated {
                w.bool("filename_truncated", true);
            }
            if e.cwd_truncated {
                w.bool("cwd_truncated", true);
            }
            if e.exe_truncated {
                w.bool("exe_truncated", true);
            }
            super::exec::write_exec_extra(w, e);
            w.opt_str("exe_sha256", e.exe_sha256.as_deref());
        }
        Body::Fork(f) => {
            w.u64("parent_tid", f.parent_tid.into());
        }
        Body::Exit(x) => {
            w.i64("exit_code", x.exit_code.into());
            match x.signal {
                Some(s) => w.i64("signal", s.into()),
                None => w.null("signal"),
            }
            w.opt_u64("lifetime_ns", x.lifetime_ns);
            w.bool("core_dumped", x.core_dumped);
        }
        Body::Ptrace(p) => {
            match p.request_name {
                Some(name) => w.lit("request", name),
                None => w.null("request"),
            }
            w.i64("request_code", p.request);
            w.u64("target_pid", p.target_pid.into());
            super::inject::write_target(
                w,
                p.target_comm.as_deref(),
                p.target_exe.as_deref(),
                p.target_cmdline.as_deref(),
                p.target_same_exe,
            );
            w.i64("result", p.result);
        }
        Body::Signal(g) => {
            w.i64("signal", g.signal.into());
            match g.signal_name {
                Some(name) => w.lit("signal_name", name),
                None => w.null("signal_name"),
            }
            match g.target_pid {
                Some(p) => w.i64("target_pid", p.into()),
                None => w.null("target_pid"),
            }
            match g.target_tid {
                Some(t) => w.i64("target_tid", t.into()),
                None => w.null("target_tid"),
            }
            match &g.target_comm {
                Some(c) => w.str("target_comm", c),
                None => w.null("target_comm"),
            }
            match &g.target_exe {
                Some(e) => w.str("target_exe", e),
                None => w.null("target_exe"),
            }
            w.lit("syscall", g.syscall);
        }
        Body::Cred(c) => super::cred::write_json(w, c),
        Body::Memfd(m) => super::inject::write_memfd(w, m),
        Body::Inject(i) => super::inject::write_inject(w, i),
        Body::Bpf(b) => super::inject::write_bpf(w, b),
        Body::Namespace(n) => super::ns::write_namespace(w, n),
        Body::Mount(m) => super::ns::write_mount(w, m),
        Body::IoUring(u) => super::io_uring::write_json(w, u),
        Body::File(f) => {
            w.str("path", &f.path);
            w.bool("path_truncated", f.path_truncated);
            w.bool("path_detached", f.path_detached);
            match &f.op {
                FileOp::Open { flags, mode, fd } => {
                    w.lit_array("flags", open_flag_names(*flags));
                    w.lit("access", open_access(*flags));
                    w.u64("mode", (*mode).into());
                    super::io_uring::write_fd(w, *fd);
                }
                FileOp::Write { bytes, fd } => {
                    w.u64("bytes", *bytes);
                    super::io_uring::write_fd(w, *fd);
                }
                FileOp::Rename { new_path, new_path_truncated, new_path_detached, exchange } => {
                    w.str("new_path", new_path);
                    w.bool("new_path_truncated", *new_path_truncated);
                    w.bool("new_path_detached", *new_path_detached);
                    w.bool("exchange", *exchange);
                }
                FileOp::Unlink { is_dir } => w.bool("is_dir", *is_dir),
                FileOp::Chmod { mode } => {
                    w.u64("mode", (*mode).into());
                    w.bool("setuid", setuid(*mode));
                    w.bool("setgid", setgid(*mode));
                    w.bool("sticky", sticky(*mode));
                }
                FileOp::Chown(c) => {
                    w.opt_u64("owner_uid", c.owner_uid.map(u64::from));
                    w.opt_u64("owner_gid", c.owner_gid.map(u64::from));
                    match c.follow_symlinks {
                        Some(f) => w.bool("follow_symlinks", f),
                        None => w.null("follow_symlinks"),
                    }
                }
                FileOp::Truncate { length } => w.i64("length", *length),
                FileOp::Link(l) => l.write_json(w),
                FileOp::Utimes(u) => super::write_utimes(w, u),
                FileOp::Xattr(x) => super::write_xattr(w, x),
            }
            w.lit("syscall", f.syscall);
            super::io_uring::write_op(w, f.io_uring.as_ref());
        }
        Body::Net(n) => {
            w.str("family", &n.family);
            w.lit("protocol", n.protocol);
            w.lit("direction", n.kind.direction());
            w.opt_str("local_addr", n.local_addr.as_deref());
            w.opt_u64("local_port", n.local_port.map(u64::from));
            w.opt_str("remote_addr", n.remote_addr.as_deref());
            w.opt_u64("remote_port", n.remote_port.map(u64::from));
            if let Some(b) = n.backlog {
                w.u64("backlog", b.into());
            }
            super::io_uring::write_fd(w, n.fd);
            w.i64("result", n.result);
            w.lit("syscall", n.syscall);
            super::io_uring::write_op(w, n.io_uring.as_ref());
        }
    }
}

/// Appends `r` as one NDJSON line.
pub fn write_record(out: &mut Vec<u8>, r: &Record) {
    // one growth check for the usual record instead of one per field
    out.reserve(1024);
    let mut w = ObjectWriter::begin(out);
    w.lit("event_type", r.event_type().as_str());
    w.timestamp("timestamp", r.timestamp_ns);
    w.str("host", &r.host);
    write_process_context(&mut w, r);
    write_body(&mut w, &r.body);
    if let Some(d) = &r.detection {
        w.bool("alert", true);
        w.str("detection_type", d);
    }
    w.end();
}

/// What an alert says about itself; the rest of an alert record comes from
/// its source record.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertHead<'a> {
    pub rule_id: &'a str,
    pub rule_name: &'a str,
    pub rule_type: &'a str,
    pub severity: &'a str,
    pub action: &'a str,
    pub risk_score: f64,
    pub tags: &'a [std::sync::Arc<str>],
    pub description: &'a str,
}

/// Appends an alert record about `source` as one NDJSON line. `extra` lets a
/// rule add fields (a sequence rule lists the records it tied together).
pub fn write_alert(
    out: &mut Vec<u8>,
    head: &AlertHead<'_>,
    source: &Record,
    extra: impl FnOnce(&mut ObjectWriter<'_>),
) {
    let mut w = ObjectWriter::begin(out);
    w.lit("event_type", "alert");
    w.timestamp("timestamp", source.timestamp_ns);
    w.str("host", &source.host);
    w.str("rule_id", head.rule_id);
    w.str("rule_name", head.rule_name);
    w.str("rule_type", head.rule_type);
    w.str("severity", head.severity);
    w.str("action", head.action);
    w.f64("risk_score", head.risk_score);
    w.str_array("tags", head.tags.iter().map(|t| &**t));
    w.str("description", head.description);
    w.lit("source_event_type", source.event_type().as_str());
    write_process_context(&mut w, source);
    write_body(&mut w, &source.body);
    extra(&mut w);
    w.end();
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
