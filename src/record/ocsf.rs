//! OCSF 1.8.0 shape (`format = "ocsf"`): every record becomes an event of
//! an OCSF class, straight from the record. The class and activity of each
//! event type are in `activity` (an exhaustive match: a new event type does
//! not compile until it is mapped); what OCSF has no attribute for stays in
//! `unmapped`, in the record's own field names. docs/outputs.md has the
//! table, and tests/schemas/validate.py checks the result against the
//! schema source.

use super::json::{write_body, AlertHead, ObjectWriter};
use super::shape::{self, Endpoint, FileKind};
use super::{Body, CmdlineSource, EventType, Net, NetKind, Record, Severity};

/// The OCSF version the shape follows (`metadata.version`).
pub const VERSION: &str = "1.8.0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    pub uid: u32,
    pub name: &'static str,
    pub category_uid: u32,
    pub category_name: &'static str,
}

pub const PROCESS_ACTIVITY: Class =
    Class { uid: 1007, name: "Process Activity", category_uid: 1, category_name: "System Activity" };
pub const FILE_SYSTEM_ACTIVITY: Class =
    Class { uid: 1001, name: "File System Activity", category_uid: 1, category_name: "System Activity" };
pub const NETWORK_ACTIVITY: Class =
    Class { uid: 4001, name: "Network Activity", category_uid: 4, category_name: "Network Activity" };
pub const DETECTION_FINDING: Class =
    Class { uid: 2004, name: "Detection Finding", category_uid: 2, category_name: "Findings" };
/// Health records (only when an output asks for them): OCSF has no class.
pub const BASE_EVENT: Class = Class { uid: 0, name: "Base Event", category_uid: 0, category_name: "Uncategorized" };

/// `activity_id` 99: OCSF's "Other", named by `activity_name`.
pub const OTHER: u32 = 99;

/// A class and one of its activities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activity {
    pub class: Class,
    pub id: u32,
    /// The schema's caption; for `OTHER`, rand-guard's name for it.
    pub name: &'static str,
}

impl Activity {
    pub fn type_uid(self) -> u64 {
        u64::from(self.class.uid) * 100 + u64::from(self.id)
    }
}

/// The class and activity of an event type's records.
pub fn activity(t: EventType) -> Activity {
    use EventType::*;
    let (class, id, name) = match t {
        ProcessExec | ProcessFork => (PROCESS_ACTIVITY, 1, "Launch"),
        ProcessExit => (PROCESS_ACTIVITY, 2, "Terminate"),
        ProcessPtrace => (PROCESS_ACTIVITY, 3, "Open"),
        ProcessInject => (PROCESS_ACTIVITY, 4, "Inject"),
        ProcessSetuid => (PROCESS_ACTIVITY, 5, "Set User ID"),
        ProcessSignal => (PROCESS_ACTIVITY, OTHER, "Signal"),
        ProcessMemfd => (PROCESS_ACTIVITY, OTHER, "Memfd Create"),
        BpfLoad => (PROCESS_ACTIVITY, OTHER, "BPF Load"),
        ProcessNamespace => (PROCESS_ACTIVITY, OTHER, "Namespace Change"),
        ProcessIoUring => (PROCESS_ACTIVITY, OTHER, "io_uring Setup"),
        FileMount => (FILE_SYSTEM_ACTIVITY, 12, "Mount"),
        FileOpen => (FILE_SYSTEM_ACTIVITY, 14, "Open"),
        FileWrite | FileTruncate => (FILE_SYSTEM_ACTIVITY, 3, "Update"),
        FileRename => (FILE_SYSTEM_ACTIVITY, 5, "Rename"),
        FileUnlink => (FILE_SYSTEM_ACTIVITY, 4, "Delete"),
        FileLink => (FILE_SYSTEM_ACTIVITY, 1, "Create"),
        FileChmod | FileChown => (FILE_SYSTEM_ACTIVITY, 7, "Set Security"),
        FileUtimes | FileXattr => (FILE_SYSTEM_ACTIVITY, 6, "Set Attributes"),
        NetworkConnect | NetworkAccept => (NETWORK_ACTIVITY, 1, "Open"),
        NetworkListen => (NETWORK_ACTIVITY, 7, "Listen"),
        NetworkBind => (NETWORK_ACTIVITY, OTHER, "Bind"),
    };
    Activity { class, id, name }
}

/// `activity` refined by the record where one event type covers several
/// OCSF activities: umount2 unmounts; chroot and pivot_root are no mount.
pub fn record_activity(r: &Record) -> Activity {
    let a = activity(r.event_type());
    let Body::Mount(m) = &r.body else { return a };
    match m.syscall {
        "umount2" => Activity { id: 13, name: "Unmount", ..a },
        "chroot" => Activity { id: OTHER, name: "Change Root", ..a },
        "pivot_root" => Activity { id: OTHER, name: "Pivot Root", ..a },
        _ => a,
    }
}

/// OCSF `severity_id` and caption of an alert severity (telemetry is
/// Informational).
pub fn severity(s: Option<Severity>) -> (u64, &'static str) {
    match s {
        Some(Severity::Info) => (1, "Informational"),
        Some(Severity::Low) => (2, "Low"),
        Some(Severity::Medium) => (3, "Medium"),
        Some(Severity::High) => (4, "High"),
        Some(Severity::Critical) => (5, "Critical"),
        None => (0, "Unknown"),
    }
}

fn write_head(w: &mut ObjectWriter<'_>, a: Activity, time_ns: u64, sev: (u64, &'static str)) {
    w.u64("class_uid", a.class.uid.into());
    w.lit("class_name", a.class.name);
    w.u64("category_uid", a.class.category_uid.into());
    w.lit("category_name", a.class.category_name);
    w.u64("activity_id", a.id.into());
    w.lit("activity_name", a.name);
    w.u64("type_uid", a.type_uid());
    w.u64("time", time_ns / 1_000_000);
    w.u64("severity_id", sev.0);
    w.lit("severity", sev.1);
    w.object("metadata", |w| {
        w.lit("version", VERSION);
        // actor and device outside the System classes come from the host profile
        w.lit_array("profiles", ["host"]);
        w.object("product", |w| {
            w.lit("name", "rand-guard");
            w.lit("vendor_name", "rand-guard");
            w.lit("version", env!("CARGO_PKG_VERSION"));
        });
    });
}

fn write_device(w: &mut ObjectWriter<'_>, host: &str) {
    w.object("device", |w| {
        w.str("hostname", host);
        w.u64("type_id", 0);
        w.lit("type", "Unknown");
        w.object("os", |w| {
            w.lit("name", "Linux");
            w.u64("type_id", 200);
            w.lit("type", "Linux");
        });
    });
}

fn write_user(w: &mut ObjectWriter<'_>, uid: u32) {
    w.object("user", |w| w.num_str("uid", uid.into()));
}

/// A `file` object: name, path, folder and type.
fn write_file(w: &mut ObjectWriter<'_>, key: &str, path: &str, kind: FileKind) {
    w.object(key, |w| {
        w.str("name", shape::base_name(path));
        w.str("path", path);
        if let Some(dir) = shape::dir_name(path) {
            w.str("parent_folder", dir);
        }
        let (id, name) = match kind {
            FileKind::Unknown => (0, "Unknown"),
            FileKind::Regular => (1, "Regular File"),
            FileKind::Dir => (2, "Folder"),
            FileKind::Symlink => (7, "Symbolic Link"),
        };
        w.u64("type_id", id);
        w.lit("type", name);
    });
}

/// The acting process, with its parent and user.
fn write_self_process(w: &mut ObjectWriter<'_>, key: &str, r: &Record) {
    w.object(key, |w| {
        w.u64("pid", r.pid.into());
        w.u64("tid", r.tid.into());
        w.str("name", &r.comm);
        if let Some(c) = &r.cmdline {
            w.str("cmd_line", c);
        }
        if let Some(e) = &r.exe {
            w.str("path", e);
            write_file(w, "file", e, FileKind::Regular);
        }
        if let Body::Exec(e) = &r.body {
            if let Some(cwd) = &e.cwd {
                w.str("working_directory", cwd);
            }
        }
        write_user(w, r.uid);
        w.object("parent_process", |w| {
            w.u64("pid", r.ppid.into());
            if let Some(c) = &r.parent_comm {
                w.str("name", c);
            }
            if let Some(e) = &r.parent_exe {
                w.str("path", e);
                write_file(w, "file", e, FileKind::Regular);
            }
        });
    });
}

fn write_actor(w: &mut ObjectWriter<'_>, r: &Record) {
    w.object("actor", |w| {
        write_self_process(w, "process", r);
        write_user(w, r.uid);
    });
}

fn write_endpoint(w: &mut ObjectWriter<'_>, key: &str, e: Endpoint<'_>) {
    // OCSF wants an ip or a name: an end with neither is left out.
    let Some(addr) = e.addr else { return };
    w.object(key, |w| {
        if e.is_ip {
            w.str("ip", addr);
        } else {
            w.str("name", addr);
        }
        if let Some(p) = e.port {
            w.u64("port", p.into());
        }
    });
}

fn write_connection(w: &mut ObjectWriter<'_>, n: &Net) {
    let (src, dst) = shape::endpoints(n);
    write_endpoint(w, "src_endpoint", src);
    write_endpoint(w, "dst_endpoint", dst);
    w.object("connection_info", |w| {
        let (id, name) = match n.kind {
            NetKind::Connect => (2, "Outbound"),
            NetKind::Accept | NetKind::Listen => (1, "Inbound"),
            NetKind::Bind => (0, "Unknown"),
        };
        w.u64("direction_id", id);
        w.lit("direction", name);
        w.lit("protocol_name", n.protocol);
        match n.protocol {
            "tcp" => w.u64("protocol_num", 6),
            "udp" => w.u64("protocol_num", 17),
            _ => {}
        }
        match n.family.as_str() {
            "ipv4" => w.u64("protocol_ver_id", 4),
            "ipv6" => w.u64("protocol_ver_id", 6),
            _ => {}
        }
    });
}

/// The objects of the record's class that say what it acted on: the
/// Process Activity `process`, the File System Activity `file`, the
/// Network Activity endpoints. Also an evidence's content (which has no
/// `file_result`).
fn write_subject(w: &mut ObjectWriter<'_>, r: &Record, class: Class, in_evidence: bool) {
    if class == PROCESS_ACTIVITY {
        match shape::target(&r.body) {
            Some(t) => w.object("process", |w| {
                w.i64("pid", t.pid);
                if let Some(c) = t.comm {
                    w.str("name", c);
                }
                if let Some(c) = t.cmdline {
                    w.str("cmd_line", c);
                }
                if let Some(e) = t.exe {
                    w.str("path", e);
                    write_file(w, "file", e, FileKind::Regular);
                }
            }),
            None => write_self_process(w, "process", r),
        }
    } else if let Some(f) = shape::file(r) {
        write_file(w, "file", f.path, f.kind);
        if let (Some(n), false) = (f.new_path, in_evidence) {
            write_file(w, "file_result", n, f.kind);
        }
    } else if let Body::Net(n) = &r.body {
        write_connection(w, n);
    } else if class == FILE_SYSTEM_ACTIVITY {
        // a mount with neither target nor source (fsmount): the schema
        // requires a file, named by what the record has
        w.object("file", |w| {
            w.lit("name", "(detached mount)");
            w.u64("type_id", 2);
            w.lit("type", "Folder");
        });
    }
}

/// The class-specific attributes beyond the subject.
fn write_details(w: &mut ObjectWriter<'_>, r: &Record) {
    match &r.body {
        Body::Exec(_) => {
            w.u64("launch_type_id", 3);
            w.lit("launch_type", "Exec");
        }
        Body::Fork(_) => {
            w.u64("launch_type_id", 2);
            w.lit("launch_type", "Fork");
        }
        Body::Exit(x) => w.i64("exit_code", x.exit_code.into()),
        Body::Inject(i) => {
            w.u64("injection_type_id", OTHER.into());
            w.lit("injection_type", i.syscall);
        }
        Body::Net(n) => {
            let ok = shape::net_ok(n);
            w.u64("status_id", if ok { 1 } else { 2 });
            w.lit("status", if ok { "Success" } else { "Failure" });
            w.str("status_code", itoa::Buffer::new().format(n.result));
        }
        Body::Ptrace(_)
        | Body::Signal(_)
        | Body::Cred(_)
        | Body::Memfd(_)
        | Body::Bpf(_)
        | Body::Namespace(_)
        | Body::Mount(_)
        | Body::IoUring(_)
        | Body::File(_) => {}
    }
}

/// `observables`: the host, the acting process, its executable, the file
/// and the addresses, each named by where it is in the event (in an alert,
/// in its evidence).
fn write_observables(w: &mut ObjectWriter<'_>, r: &Record, in_evidence: bool) {
    let pick = |event: &'static str, evidence: &'static str| if in_evidence { evidence } else { event };
    let mut obs: Vec<(&'static str, u64, &str)> = Vec::with_capacity(6);
    obs.push(("device.hostname", 1, &r.host));
    obs.push(("actor.process.name", 9, &r.comm));
    if let Some(e) = &r.exe {
        obs.push(("actor.process.file.path", 45, e));
    }
    if let Some(f) = shape::file(r) {
        obs.push((pick("file.path", "evidences.file.path"), 45, f.path));
    }
    if let Body::Net(n) = &r.body {
        let (src, dst) = shape::endpoints(n);
        let src_key = pick("src_endpoint.ip", "evidences.src_endpoint.ip");
        let dst_key = pick("dst_endpoint.ip", "evidences.dst_endpoint.ip");
        for (key, e) in [(src_key, src), (dst_key, dst)] {
            if let (Some(a), true) = (e.addr, e.is_ip) {
                obs.push((key, 2, a));
            }
        }
    }
    w.object_array("observables", &obs, |w, (name, type_id, value)| {
        w.lit("name", name);
        w.u64("type_id", *type_id);
        w.str("value", value);
    });
}

/// What OCSF has no attribute for, in the record's own names: the event
/// type and every field of its type (docs/records.md).
fn write_unmapped_fields(w: &mut ObjectWriter<'_>, r: &Record) {
    w.lit("event_type", r.event_type().as_str());
    w.u64("gid", r.gid.into());
    w.u64("euid", r.euid.into());
    if let Some(s) = r.cmdline_source {
        w.lit("cmdline_source", CmdlineSource::as_str(s));
    }
    write_body(w, &r.body);
    if let Some(d) = &r.detection {
        w.bool("alert", true);
        w.str("detection_type", d);
    }
}

/// Appends `r` as one OCSF event line.
pub fn write_record(out: &mut Vec<u8>, r: &Record) {
    out.reserve(2048);
    let a = record_activity(r);
    let mut w = ObjectWriter::begin(out);
    write_head(&mut w, a, r.timestamp_ns, severity(Some(Severity::Info)));
    write_device(&mut w, &r.host);
    write_actor(&mut w, r);
    write_subject(&mut w, r, a.class, false);
    write_details(&mut w, r);
    write_observables(&mut w, r, false);
    w.object("unmapped", |w| write_unmapped_fields(w, r));
    w.end();
}

/// Appends an alert as a Detection Finding whose evidence is `source`.
pub fn write_alert(
    out: &mut Vec<u8>,
    head: &AlertHead<'_>,
    source: &Record,
    extra: impl FnOnce(&mut ObjectWriter<'_>),
) {
    out.reserve(3072);
    let a = Activity { class: DETECTION_FINDING, id: 1, name: "Create" };
    let mut w = ObjectWriter::begin(out);
    write_head(&mut w, a, source.timestamp_ns, severity(Severity::parse(head.severity)));
    w.str("message", head.description);
    w.bool("is_alert", true);
    w.u64("status_id", 1);
    w.lit("status", "New");
    w.u64("risk_score", (head.risk_score.clamp(0.0, 1.0) * 100.0).round() as u64);
    w.object("finding_info", |w| {
        let uid = format!("{}:{}:{}:{}", head.rule_id, source.host, source.pid, source.timestamp_ns);
        w.str("uid", &uid);
        w.str("title", head.rule_name);
        w.str("desc", head.description);
        w.str_array("types", [head.rule_type]);
        w.object("analytic", |w| {
            w.str("uid", head.rule_id);
            w.str("name", head.rule_name);
            w.u64("type_id", 1);
            w.lit("type", "Rule");
        });
    });
    write_device(&mut w, &source.host);
    write_actor(&mut w, source);
    let src_class = record_activity(source).class;
    w.object_array("evidences", &[source], |w, r| {
        write_actor(w, r);
        write_subject(w, r, src_class, true);
        w.object("data", |w| write_unmapped_fields(w, r));
    });
    write_observables(&mut w, source, true);
    w.object("unmapped", |w| {
        w.str("rule_id", head.rule_id);
        w.str("rule_type", head.rule_type);
        w.str("severity", head.severity);
        w.str("action", head.action);
        w.f64("risk_score", head.risk_score);
        w.str_array("tags", head.tags.iter().map(|t| &**t));
        w.lit("source_event_type", source.event_type().as_str());
        extra(w);
    });
    w.end();
}

/// Appends a health record (the rand-guard object `health`) as a Base
/// Event of activity Other, the record under `unmapped`.
pub fn write_health(out: &mut Vec<u8>, health: &[u8], host: &str, now_ns: u64) {
    let a = Activity { class: BASE_EVENT, id: OTHER, name: "Health" };
    let mut w = ObjectWriter::begin(out);
    write_head(&mut w, a, now_ns, severity(Some(Severity::Info)));
    w.lit("message", "rand-guard health");
    write_device(&mut w, host);
    w.raw("unmapped", health);
    w.end();
}
