//! ECS 9.4 shape (`format = "ecs"`): every record becomes an Elastic Common
//! Schema document, straight from the record. The categorization of each
//! event type is in `categorize` (an exhaustive match: a new event type
//! does not compile until it is categorized); what ECS has no field for is
//! under `rand_guard.`, in the record's own field names (docs/records.md).
//! docs/outputs.md has the table; tests/schemas/validate.py checks every
//! field name and type against ecs_flat.yml.

use super::json::{write_body, AlertHead, ObjectWriter};
use super::shape::{self, FileKind};
use super::{Body, CmdlineSource, EventType, FileOp, NetKind, Record, Severity};

/// The ECS version the shape follows (`ecs.version`).
pub const VERSION: &str = "9.4.0";

/// `event.category` and `event.type` of an event type's records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Categories {
    pub category: &'static [&'static str],
    pub types: &'static [&'static str],
}

pub fn categorize(t: EventType) -> Categories {
    use EventType::*;
    let (category, types): (&'static [&'static str], &'static [&'static str]) = match t {
        ProcessExec | ProcessFork => (&["process"], &["start"]),
        ProcessExit => (&["process"], &["end"]),
        ProcessPtrace | ProcessInject => (&["process"], &["access"]),
        ProcessSetuid | ProcessNamespace => (&["process"], &["change"]),
        ProcessSignal | ProcessIoUring => (&["process"], &["info"]),
        ProcessMemfd => (&["process", "file"], &["creation"]),
        BpfLoad => (&["driver", "process"], &["start"]),
        FileMount => (&["file", "configuration"], &["change"]),
        FileOpen => (&["file"], &["access"]),
        FileWrite | FileRename | FileChmod | FileChown | FileTruncate | FileUtimes | FileXattr => {
            (&["file"], &["change"])
        }
        FileUnlink => (&["file"], &["deletion"]),
        FileLink => (&["file"], &["creation"]),
        NetworkConnect | NetworkAccept => (&["network"], &["connection", "start"]),
        NetworkBind | NetworkListen => (&["network"], &["info"]),
    };
    Categories { category, types }
}

/// ECS `event.severity` of an alert severity: Elastic's 21/47/73/99 scale
/// (info below low).
pub fn severity_number(s: Option<Severity>) -> u64 {
    match s {
        Some(Severity::Info) => 1,
        Some(Severity::Low) => 21,
        Some(Severity::Medium) => 47,
        Some(Severity::High) => 73,
        Some(Severity::Critical) => 99,
        None => 0,
    }
}

fn write_head(w: &mut ObjectWriter<'_>, time_ns: u64, host: &str) {
    w.timestamp("@timestamp", time_ns);
    w.object("ecs", |w| w.lit("version", VERSION));
    w.object("agent", |w| {
        w.lit("type", "rand-guard");
        w.lit("name", "rand-guard");
        w.lit("version", env!("CARGO_PKG_VERSION"));
    });
    w.object("host", |w| {
        w.str("name", host);
        w.str("hostname", host);
        w.object("os", |w| {
            w.lit("type", "linux");
            w.lit("family", "linux");
        });
    });
}

fn write_event(w: &mut ObjectWriter<'_>, kind: &'static str, r: &Record, alert: Option<&AlertHead<'_>>) {
    let t = r.event_type();
    let c = categorize(t);
    w.object("event", |w| {
        w.lit("kind", kind);
        w.lit_array("category", c.category.iter().copied());
        w.lit_array("type", c.types.iter().copied());
        w.lit("action", t.as_str());
        w.lit("module", "rand_guard");
        w.lit("dataset", "rand_guard.events");
        if let Body::Net(n) = &r.body {
            w.lit("outcome", if shape::net_ok(n) { "success" } else { "failure" });
        }
        if let Some(a) = alert {
            w.u64("severity", severity_number(Severity::parse(a.severity)));
            w.f64("risk_score", (a.risk_score * 100.0).clamp(0.0, 100.0));
        }
    });
}

fn write_process(w: &mut ObjectWriter<'_>, r: &Record) {
    w.object("process", |w| {
        w.u64("pid", r.pid.into());
        w.object("thread", |w| w.u64("id", r.tid.into()));
        w.str("name", &r.comm);
        if let Some(e) = &r.exe {
            w.str("executable", e);
        }
        if let Some(c) = &r.cmdline {
            w.str("command_line", c);
        }
        match &r.body {
            Body::Exec(e) => {
                w.str_array("args", e.args.iter().map(String::as_str));
                w.u64("args_count", e.args.len() as u64);
                if let Some(cwd) = &e.cwd {
                    w.str("working_directory", cwd);
                }
            }
            Body::Exit(x) => w.i64("exit_code", x.exit_code.into()),
            Body::Fork(_)
            | Body::Ptrace(_)
            | Body::Signal(_)
            | Body::Cred(_)
            | Body::Memfd(_)
            | Body::Inject(_)
            | Body::Bpf(_)
            | Body::Namespace(_)
            | Body::Mount(_)
            | Body::IoUring(_)
            | Body::File(_)
            | Body::Net(_) => {}
        }
        w.object("user", |w| w.num_str("id", r.euid.into()));
        w.object("real_user", |w| w.num_str("id", r.uid.into()));
        w.object("real_group", |w| w.num_str("id", r.gid.into()));
        w.object("parent", |w| {
            w.u64("pid", r.ppid.into());
            if let Some(c) = &r.parent_comm {
                w.str("name", c);
            }
            if let Some(e) = &r.parent_exe {
                w.str("executable", e);
            }
        });
    });
    w.object("user", |w| {
        w.num_str("id", r.uid.into());
        w.object("effective", |w| w.num_str("id", r.euid.into()));
    });
    w.object("group", |w| w.num_str("id", r.gid.into()));
}

fn write_file(w: &mut ObjectWriter<'_>, r: &Record) {
    let Some(f) = shape::file(r) else { return };
    w.object("file", |w| {
        w.str("path", f.path);
        w.str("name", shape::base_name(f.path));
        if let Some(dir) = shape::dir_name(f.path) {
            w.str("directory", dir);
        }
        match f.kind {
            FileKind::Regular => w.lit("type", "file"),
            FileKind::Dir => w.lit("type", "dir"),
            FileKind::Symlink => w.lit("type", "symlink"),
            FileKind::Unknown => {}
        }
        let Body::File(file) = &r.body else { return };
        match &file.op {
            FileOp::Chmod { mode } => w.str("mode", &format!("{mode:04o}")),
            FileOp::Chown(c) => {
                if let Some(u) = c.owner_uid {
                    w.num_str("uid", u.into());
                }
                if let Some(g) = c.owner_gid {
                    w.num_str("gid", g.into());
                }
            }
            FileOp::Truncate { length } if *length >= 0 => w.i64("size", *length),
            FileOp::Link(l) if l.symlink => w.str("target_path", &l.target),
            FileOp::Open { .. }
            | FileOp::Write { .. }
            | FileOp::Rename { .. }
            | FileOp::Unlink { .. }
            | FileOp::Truncate { .. }
            | FileOp::Link(_)
            | FileOp::Utimes(_)
            | FileOp::Xattr(_) => {}
        }
    });
}

fn write_network(w: &mut ObjectWriter<'_>, r: &Record) {
    let Body::Net(n) = &r.body else { return };
    let (src, dst) = shape::endpoints(n);
    for (key, e) in [("source", src), ("destination", dst)] {
        if e.is_empty() {
            continue;
        }
        w.object(key, |w| {
            if let Some(a) = e.addr {
                w.str("address", a);
                if e.is_ip {
                    w.str("ip", a);
                }
            }
            if let Some(p) = e.port {
                w.u64("port", p.into());
            }
        });
    }
    w.object("network", |w| {
        match n.protocol {
            "tcp" | "udp" => w.lit("transport", n.protocol),
            _ => {}
        }
        match n.family.as_str() {
            "ipv4" => w.lit("type", "ipv4"),
            "ipv6" => w.lit("type", "ipv6"),
            _ => {}
        }
        match n.kind {
            NetKind::Connect => w.lit("direction", "egress"),
            NetKind::Accept => w.lit("direction", "ingress"),
            NetKind::Bind | NetKind::Listen => {}
        }
    });
}

/// `rand_guard`: the event type and every field of its type, in the
/// record's own names (docs/records.md), for what ECS has no field for.
fn write_own_fields(w: &mut ObjectWriter<'_>, r: &Record, extra: impl FnOnce(&mut ObjectWriter<'_>)) {
    w.object("rand_guard", |w| {
        w.lit("event_type", r.event_type().as_str());
        if let Some(s) = r.cmdline_source {
            w.lit("cmdline_source", CmdlineSource::as_str(s));
        }
        write_body(w, &r.body);
        if let Some(d) = &r.detection {
            w.bool("alert", true);
            w.str("detection_type", d);
        }
        extra(w);
    });
}

/// Appends `r` as one ECS document line.
pub fn write_record(out: &mut Vec<u8>, r: &Record) {
    out.reserve(1536);
    let mut w = ObjectWriter::begin(out);
    write_head(&mut w, r.timestamp_ns, &r.host);
    write_event(&mut w, "event", r, None);
    write_process(&mut w, r);
    write_file(&mut w, r);
    write_network(&mut w, r);
    write_own_fields(&mut w, r, |_| {});
    w.end();
}

/// ATT&CK technique ids in rule tags ("attack.t1003.008" gives technique
/// T1003 and subtechnique T1003.008).
fn techniques(tags: &[std::sync::Arc<str>]) -> (Vec<String>, Vec<String>) {
    let mut tech: Vec<String> = Vec::new();
    let mut sub: Vec<String> = Vec::new();
    for t in tags.iter() {
        let Some(id) = t.strip_prefix("attack.t") else { continue };
        let (main, rest) = id.split_once('.').map_or((id, None), |(m, s)| (m, Some(s)));
        if main.is_empty() || !main.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let main_id = format!("T{main}");
        if let Some(s) = rest.filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) {
            sub.push(format!("{main_id}.{s}"));
        }
        if !tech.contains(&main_id) {
            tech.push(main_id);
        }
    }
    (tech, sub)
}

/// Appends an alert about `source` as one ECS document (`event.kind`
/// "alert"), with `rule.*` and `threat.*`.
pub fn write_alert(
    out: &mut Vec<u8>,
    head: &AlertHead<'_>,
    source: &Record,
    extra: impl FnOnce(&mut ObjectWriter<'_>),
) {
    out.reserve(2048);
    let mut w = ObjectWriter::begin(out);
    write_head(&mut w, source.timestamp_ns, &source.host);
    w.str("message", head.description);
    w.str_array("tags", head.tags.iter().map(|t| &**t));
    write_event(&mut w, "alert", source, Some(head));
    w.object("rule", |w| {
        w.str("id", head.rule_id);
        w.str("name", head.rule_name);
        w.str("description", head.description);
        w.str("category", head.rule_type);
        w.lit("ruleset", "rand-guard");
    });
    let (tech, sub) = techniques(head.tags);
    if !tech.is_empty() {
        w.object("threat", |w| {
            w.lit("framework", "MITRE ATT&CK");
            w.object("technique", |w| {
                w.str_array("id", tech.iter().map(String::as_str));
                if !sub.is_empty() {
                    w.object("subtechnique", |w| w.str_array("id", sub.iter().map(String::as_str)));
                }
            });
        });
    }
    write_process(&mut w, source);
    write_file(&mut w, source);
    write_network(&mut w, source);
    write_own_fields(&mut w, source, |w| {
        w.object("alert", |w| {
            w.str("severity", head.severity);
            w.str("action", head.action);
            w.f64("risk_score", head.risk_score);
            extra(w);
        });
    });
    w.end();
}

/// Appends a health record (the rand-guard object `health`) as an ECS
/// metric document, the record under `rand_guard.health`.
pub fn write_health(out: &mut Vec<u8>, health: &[u8], host: &str, now_ns: u64) {
    let mut w = ObjectWriter::begin(out);
    write_head(&mut w, now_ns, host);
    w.object("event", |w| {
        w.lit("kind", "metric");
        w.lit("module", "rand_guard");
        w.lit("dataset", "rand_guard.health");
    });
    w.object("rand_guard", |w| w.raw("health", health));
    w.end();
}

#[cfg(test)]
mod tests {
    use super::techniques;
    use std::sync::Arc;

    #[test]
    fn attack_tags_become_technique_ids() {
        let tags: Vec<Arc<str>> =
            ["attack.credential_access", "attack.t1003.008", "attack.t1003", "attack.t1552.004", "attack.tx"]
                .into_iter()
                .map(Arc::from)
                .collect();
        let (tech, sub) = techniques(&tags);
        assert_eq!(tech, ["T1003", "T1552"]);
        assert_eq!(sub, ["T1003.008", "T1552.004"]);
    }
}
