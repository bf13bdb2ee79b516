//! Owns `[[outputs]]` and `[metrics]` phase two: checks each raw output entry into an `OutputSpec` (sink, filter, queue) and `[metrics].listen` into an address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::delivery::{self, SpoolSpec, WhenFull};
use super::raw::{Opt, RawMetrics, RawOutputEntry};
use super::{parse_listen, ConfigError, Ctx, OutputSink};
use crate::record::{Format, Severity};

/// Defaults of the `[[outputs]]` keys.
pub mod defaults {
    /// `queue_size`: records waiting for one output before it drops.
    pub const QUEUE_SIZE: i64 = 16_384;
    /// `keep`: rotated files kept next to the live one.
    pub const KEEP: i64 = 5;
    /// `max_bytes`: 0 = never rotate.
    pub const MAX_BYTES: i64 = 0;
    /// `address` of a `transport = "unix"` syslog output.
    pub const SYSLOG_SOCKET: &str = "/dev/log";
    /// `app_name` (RFC 5424 APP-NAME) and the HEC `sourcetype`.
    pub const APP_NAME: &str = "rand-guard";
    /// `index` of the Elasticsearch/OpenSearch `_bulk` and Splunk HEC formats.
    pub const INDEX: &str = "rand-guard";
    pub const BATCH_MAX_RECORDS: i64 = 500;
    pub const BATCH_MAX_WAIT_MS: i64 = 1000;
    pub const MAX_RETRIES: i64 = 5;
    pub const RETRY_BACKOFF_MS: i64 = 500;
    pub const TIMEOUT_SECS: i64 = 10;
}

/// One checked `[[outputs]]` entry (or the legacy `[output]` one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    /// Unique; names the output in health records, metrics and errors.
    pub name: String,
    pub filter: RecordFilter,
    /// Records queued for this output before `when_full` applies.
    pub queue_size: usize,
    pub when_full: WhenFull,
    /// The record shape it writes (`format`).
    pub format: Format,
    /// The disk spool of a network output (None: off, or not a network output).
    pub spool: Option<SpoolSpec>,
    pub sink: SinkSpec,
}

/// Which records an output receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFilter {
    pub records: RecordKinds,
    /// Alert records below this severity are skipped.
    pub min_severity: Severity,
    /// Whether health records go to this output.
    pub health: bool,
}

impl RecordFilter {
    pub const ALL: RecordFilter =
        RecordFilter { records: RecordKinds::All, min_severity: Severity::Info, health: true };
}

/// `records`: telemetry and alerts, or one of the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKinds {
    All,
    Alerts,
    Telemetry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    File(FileSpec),
    Syslog(SyslogSpec),
    Http(HttpSpec),
}

impl SinkSpec {
    /// The `type` as written in the config.
    pub fn type_name(&self) -> &'static str {
        match self {
            SinkSpec::Stdout => "stdout",
            SinkSpec::File(_) => "file",
            SinkSpec::Syslog(_) => "syslog",
            SinkSpec::Http(_) => "http",
        }
    }

    /// `when_full` unless set: local outputs wait, network outputs (whose
    /// spool takes an outage) drop rather than stall the others.
    pub fn default_when_full(&self) -> WhenFull {
        match self {
            SinkSpec::Stdout | SinkSpec::File(_) => WhenFull::Block,
            SinkSpec::Syslog(_) | SinkSpec::Http(_) => WhenFull::Drop,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub path: PathBuf,
    /// Rotate before a write would make the file larger; 0 = never.
    pub max_bytes: u64,
    /// Rotated files kept (`path.1` newest … `path.N`).
    pub keep: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyslogTransport {
    /// A datagram socket such as /dev/log.
    Unix(PathBuf),
    Udp(String),
    /// RFC 6587 octet-counting framing.
    Tcp(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSpec {
    pub transport: SyslogTransport,
    /// RFC 5424 facility number (0–23).
    pub facility: u8,
    pub app_name: String,
}

/// The body shape of an http output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFormat {
    /// One record per line.
    Ndjson,
    /// Elasticsearch/OpenSearch `_bulk`: an action line before each record.
    Elasticsearch,
    /// Splunk HTTP Event Collector: `{"event": record, ...}` objects.
    SplunkHec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSpec {
    /// `host:port` to connect to.
    pub authority: String,
    /// Request target, starting with `/`.
    pub target: String,
    pub format: HttpFormat,
    /// `_index` of `_bulk` actions (default "rand-guard"); HEC `index` when set.
    pub index: Option<String>,
    pub sourcetype: String,
    /// The full `Authorization` header value.
    pub authorization: Option<String>,
    pub gzip: bool,
    pub batch_max_records: usize,
    pub batch_max_wait: Duration,
    /// Attempts after the first before a batch is given up.
    pub max_retries: u32,
    /// First retry delay; doubles on each retry (at most 30 s).
    pub retry_backoff: Duration,
    pub timeout: Duration,
}

const TYPES: &[(&str, Kind)] =
    &[("stdout", Kind::Stdout), ("file", Kind::File), ("syslog", Kind::Syslog), ("http", Kind::Http)];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stdout,
    File,
    Syslog,
    Http,
}

const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("authpriv", 10),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// The output list: `[[outputs]]` when present (then `[output].type`/`path`
/// are ignored with a warning), else the legacy `[output]` sink.
pub(crate) fn check_outputs(
    ctx: &Ctx<'_>,
    raw: Option<Vec<RawOutputEntry>>,
    legacy: &OutputSink,
    legacy_keys: &[Option<std::ops::Range<usize>>],
    legacy_when_full: &Opt<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<OutputSpec>, ConfigError> {
    let Some(entries) = raw else {
        let sink = match legacy {
            OutputSink::Stdout => SinkSpec::Stdout,
            OutputSink::File(path) => {
                SinkSpec::File(FileSpec { path: path.clone(), max_bytes: 0, keep: defaults::KEEP as u32 })
            }
        };
        let name = sink.type_name().to_owned();
        let when_full = delivery::when_full(ctx, legacy_when_full, "output.when_full", sink.default_when_full())?;
        return Ok(vec![OutputSpec {
            name,
            filter: RecordFilter::ALL,
            queue_size: defaults::QUEUE_SIZE as usize,
            when_full,
            format: Format::RandGuard,
            spool: None,
            sink,
        }]);
    };
    if let Some(w) = legacy_when_full {
        warnings.push(ctx.note(
            w.span(),
            "output.when_full",
            "is ignored: [[outputs]] lists the outputs (set when_full in each)",
        ));
    }
    for span in legacy_keys.iter().flatten() {
        warnings.push(ctx.note(span.clone(), "output.type/path", "is ignored: [[outputs]] lists the outputs"));
    }
    if entries.is_empty() {
        return Err(ctx.invalid_at(None, "outputs", "must list at least one output"));
    }
    let mut out: Vec<OutputSpec> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let spec = check_entry(ctx, i, e)?;
        if let Some(dup) = out.iter().find(|o| o.name == spec.name) {
            let span = e.name.as_ref().or(e.kind.as_ref()).map(|s| s.span());
            return Err(ctx.invalid_at(
                span,
                &format!("outputs[{i}].name"),
                &format!("{:?} is already the name of another output (set a unique name)", dup.name),
            ));
        }
        if let Some(dup) = spec.spool.as_ref().and_then(|sp| out.iter().find(|o| o.spool.as_ref() == Some(sp))) {
            let span = e.spool_dir.as_ref().or(e.name.as_ref()).map(|s| s.span());
            return Err(ctx.invalid_at(
                span,
                &format!("outputs[{i}].spool_dir"),
                &format!("is also the spool of output {:?} (each output needs its own)", dup.name),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

fn check_entry(ctx: &Ctx<'_>, i: usize, e: &RawOutputEntry) -> Result<OutputSpec, ConfigError> {
    let key = |k: &str| format!("outputs[{i}].{k}");
    let Some(kind_value) = &e.kind else {
        return Err(ctx.invalid_at(None, &key("type"), "is required: \"stdout\", \"file\", \"syslog\" or \"http\""));
    };
    let kind = ctx.choice(&e.kind, &key("type"), TYPES, Kind::Stdout)?;
    let type_name = kind_value.get_ref().as_str();

    // Keys that only some types take.
    let only: &[(&str, &[Kind], bool)] = &[
        ("path", &[Kind::File], e.path.is_some()),
        ("max_bytes", &[Kind::File], e.max_bytes.is_some()),
        ("keep", &[Kind::File], e.keep.is_some()),
        ("transport", &[Kind::Syslog], e.transport.is_some()),
        ("address", &[Kind::Syslog], e.address.is_some()),
        ("facility", &[Kind::Syslog], e.facility.is_some()),
        ("app_name", &[Kind::Syslog], e.app_name.is_some()),
        ("url", &[Kind::Http], e.url.is_some()),
        ("envelope", &[Kind::Http], e.envelope.is_some()),
        ("index", &[Kind::Http], e.index.is_some()),
        ("sourcetype", &[Kind::Http], e.sourcetype.is_some()),
        ("authorization", &[Kind::Http], e.authorization.is_some()),
        ("gzip", &[Kind::Http], e.gzip.is_some()),
        ("batch_max_records", &[Kind::Http], e.batch_max_records.is_some()),
        ("batch_max_wait_ms", &[Kind::Http], e.batch_max_wait_ms.is_some()),
        ("max_retries", &[Kind::Http], e.max_retries.is_some()),
        ("retry_backoff_ms", &[Kind::Http], e.retry_backoff_ms.is_some()),
        ("timeout_secs", &[Kind::Http], e.timeout_secs.is_some()),
        ("spool", &[Kind::Http, Kind::Syslog], e.spool.is_some()),
        ("spool_dir", &[Kind::Http, Kind::Syslog], e.spool_dir.is_some()),
        ("spool_max_bytes", &[Kind::Http, Kind::Syslog], e.spool_max_bytes.is_some()),
    ];
    if let Some((k, _, _)) = only.iter().find(|(_, kinds, set)| *set && !kinds.contains(&kind)) {
        return Err(ctx.invalid_at(
            Some(kind_value.span()),
            &key(k),
            &format!("does not apply to type = {type_name:?}"),
        ));
    }

    let records = ctx.choice(
        &e.records,
        &key("records"),
        &[("all", RecordKinds::All), ("alerts", RecordKinds::Alerts), ("telemetry", RecordKinds::Telemetry)],
        RecordKinds::All,
    )?;
    let severities = Severity::ALL.map(|s| (s.as_str(), s));
    let min_severity = ctx.choice(&e.min_severity, &key("min_severity"), &severities, Severity::Info)?;
    let (format, envelope) = format_and_envelope(ctx, e, &key, kind)?;
    let health = e.health.as_ref().map_or(format.health_by_default(), |h| *h.get_ref());
    let filter = RecordFilter { records, min_severity, health };
    let queue_size =
        ctx.int_in(&e.queue_size, &key("queue_size"), 1..=16 * 1024 * 1024, defaults::QUEUE_SIZE, " (records)")?;

    let sink = match kind {
        Kind::Stdout => SinkSpec::Stdout,
        Kind::File => {
            let path = required(ctx, &e.path, kind_value.span(), &key("path"), "the NDJSON file to append to")?;
            if !path.starts_with('/') {
                return Err(ctx.invalid_at(
                    e.path.as_ref().map(|p| p.span()),
                    &key("path"),
                    "must be an absolute path",
                ));
            }
            SinkSpec::File(FileSpec {
                path: PathBuf::from(path),
                max_bytes: ctx.int_in(
                    &e.max_bytes,
                    &key("max_bytes"),
                    0..=i64::MAX,
                    defaults::MAX_BYTES,
                    " (0 = never rotate)",
                )? as u64,
                keep: ctx.int_in(&e.keep, &key("keep"), 1..=1000, defaults::KEEP, " (rotated files)")? as u32,
            })
        }
        Kind::Syslog => {
            #[derive(Clone, Copy)]
            enum T {
                Unix,
                Udp,
                Tcp,
            }
            let t = ctx.choice(
                &e.transport,
                &key("transport"),
                &[("unix", T::Unix), ("udp", T::Udp), ("tcp", T::Tcp)],
                T::Unix,
            )?;
            let transport = match t {
                T::Unix => SyslogTransport::Unix(PathBuf::from(
                    e.address.as_ref().map_or(defaults::SYSLOG_SOCKET, |a| a.get_ref().as_str()),
                )),
                T::Udp | T::Tcp => {
                    let addr = required(
                        ctx,
                        &e.address,
                        kind_value.span(),
                        &key("address"),
                        "\"host:port\" of the syslog server",
                    )?;
                    check_host_port(ctx, &e.address, &key("address"), addr)?;
                    if matches!(t, T::Udp) {
                        SyslogTransport::Udp(addr.to_owned())
                    } else {
                        SyslogTransport::Tcp(addr.to_owned())
                    }
                }
            };
            SinkSpec::Syslog(SyslogSpec {
                transport,
                facility: ctx.choice(&e.facility, &key("facility"), FACILITIES, 3)?,
                app_name: printable(ctx, &e.app_name, &key("app_name"), defaults::APP_NAME, 48)?,
            })
        }
        Kind::Http => {
            let url = required(
                ctx,
                &e.url,
                kind_value.span(),
                &key("url"),
                "where to POST records, e.g. \"http://127.0.0.1:9200/_bulk\"",
            )?;
            let url_span = e.url.as_ref().map(|u| u.span());
            let Some(rest) = url.strip_prefix("http://") else {
                let why = if url.starts_with("https://") {
                    "https is not supported: terminate TLS in a local forwarder and point the url at it (http://...)"
                } else {
                    "must start with http://"
                };
                return Err(ctx.invalid_at(url_span, &key("url"), why));
            };
            let (authority, target) = match rest.find('/') {
                Some(at) => (&rest[..at], &rest[at..]),
                None => (rest, "/"),
            };
            let authority = if authority.contains(':') && !authority.ends_with(']') {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            };
            check_host_port(ctx, &e.url, &key("url"), &authority)?;
            if target.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
                return Err(ctx.invalid_at(url_span, &key("url"), "must not contain spaces or control characters"));
            }
            let authorization = match &e.authorization {
                Some(a) if a.get_ref().bytes().any(|b| b.is_ascii_control()) => {
                    return Err(ctx.invalid(a.span(), &key("authorization"), "must not contain control characters"));
                }
                Some(a) => Some(a.get_ref().clone()),
                None => None,
            };
            SinkSpec::Http(HttpSpec {
                authority,
                target: target.to_owned(),
                format: envelope,
                index: match &e.index {
                    Some(_) => Some(printable(ctx, &e.index, &key("index"), "", 255)?),
                    None => None,
                },
                sourcetype: printable(ctx, &e.sourcetype, &key("sourcetype"), defaults::APP_NAME, 255)?,
                authorization,
                gzip: e.gzip.as_ref().is_none_or(|g| *g.get_ref()),
                batch_max_records: ctx.int_in(
                    &e.batch_max_records,
                    &key("batch_max_records"),
                    1..=100_000,
                    defaults::BATCH_MAX_RECORDS,
                    "",
                )? as usize,
                batch_max_wait: ms(ctx.int_in(
                    &e.batch_max_wait_ms,
                    &key("batch_max_wait_ms"),
                    1..=600_000,
                    defaults::BATCH_MAX_WAIT_MS,
                    " (ms)",
                )?),
                max_retries: ctx.int_in(&e.max_retries, &key("max_retries"), 0..=100, defaults::MAX_RETRIES, "")?
                    as u32,
                retry_backoff: ms(ctx.int_in(
                    &e.retry_backoff_ms,
                    &key("retry_backoff_ms"),
                    1..=600_000,
                    defaults::RETRY_BACKOFF_MS,
                    " (ms)",
                )?),
                timeout: Duration::from_secs(
                    ctx.int_in(&e.timeout_secs, &key("timeout_secs"), 1..=3600, defaults::TIMEOUT_SECS, " (seconds)")?
                        .unsigned_abs(),
                ),
            })
        }
    };
    let name = match &e.name {
        Some(_) => {
            let n = printable(ctx, &e.name, &key("name"), "", 64)?;
            if n.is_empty() {
                return Err(ctx.invalid_at(e.name.as_ref().map(|n| n.span()), &key("name"), "must not be empty"));
            }
            n
        }
        None if i == 0 => sink.type_name().to_owned(),
        None => format!("{}-{i}", sink.type_name()),
    };
    let when_full = delivery::when_full(ctx, &e.when_full, &key("when_full"), sink.default_when_full())?;
    let spool = match &sink {
        SinkSpec::Stdout | SinkSpec::File(_) => None,
        SinkSpec::Http(_) => delivery::spool(ctx, e, &key, &name, true)?,
        // a local socket's receiver is this host's syslog daemon
        SinkSpec::Syslog(s) => delivery::spool(ctx, e, &key, &name, !matches!(s.transport, SyslogTransport::Unix(_)))?,
    };
    Ok(OutputSpec { name, filter, queue_size: queue_size as usize, when_full, format, spool, sink })
}

/// The http envelopes, as `envelope` names them.
const ENVELOPES: &[(&str, HttpFormat)] = &[
    ("ndjson", HttpFormat::Ndjson),
    ("elasticsearch", HttpFormat::Elasticsearch),
    ("splunk_hec", HttpFormat::SplunkHec),
];

/// `format` (the record shape, every type) and, for http, `envelope`. An
/// http output's `format` named its envelope before record shapes existed:
/// those values still mean the envelope, with rand-guard records.
fn format_and_envelope(
    ctx: &Ctx<'_>,
    e: &RawOutputEntry,
    key: &dyn Fn(&str) -> String,
    kind: Kind,
) -> Result<(Format, HttpFormat), ConfigError> {
    let legacy = match (&e.format, kind) {
        (Some(f), Kind::Http) => ENVELOPES.iter().find(|(n, _)| n == f.get_ref()).map(|(_, env)| (*env, f.span())),
        _ => None,
    };
    if let Some((envelope, span)) = legacy {
        if e.envelope.is_some() {
            return Err(ctx.invalid(
                span,
                &key("format"),
                "names an envelope, and so does `envelope`: set format to a record shape \
                 (\"rand-guard\", \"ocsf\" or \"ecs\") and the envelope in `envelope`",
            ));
        }
        return Ok((Format::RandGuard, envelope));
    }
    let formats = Format::ALL.map(|f| (f.as_str(), f));
    let format = ctx.choice(&e.format, &key("format"), &formats, Format::RandGuard)?;
    let envelope = ctx.choice(&e.envelope, &key("envelope"), ENVELOPES, HttpFormat::Ndjson)?;
    Ok((format, envelope))
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.unsigned_abs())
}

/// A required non-empty string; `at` locates the error when it is missing.
fn required<'v>(
    ctx: &Ctx<'_>,
    value: &'v Opt<String>,
    at: std::ops::Range<usize>,
    key: &str,
    what: &str,
) -> Result<&'v str, ConfigError> {
    match value {
        Some(v) if v.get_ref().is_empty() => Err(ctx.invalid(v.span(), key, "must not be empty")),
        Some(v) => Ok(v.get_ref()),
        None => Err(ctx.invalid(at, key, &format!("is required for this type ({what})"))),
    }
}

/// A string of printable ASCII without spaces (names, indexes, APP-NAME).
fn printable(ctx: &Ctx<'_>, value: &Opt<String>, key: &str, default: &str, max: usize) -> Result<String, ConfigError> {
    let Some(v) = value else {
        return Ok(default.to_owned());
    };
    let s = v.get_ref();
    if s.len() > max || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ctx.invalid(
            v.span(),
            key,
            &format!("must be at most {max} printable ASCII characters without spaces, found {s:?}"),
        ));
    }
    Ok(s.clone())
}

/// `host:port` with a numeric port; the host is resolved when connecting.
fn check_host_port(ctx: &Ctx<'_>, value: &Opt<String>, key: &str, addr: &str) -> Result<(), ConfigError> {
    let span = value.as_ref().map(|v| v.span());
    let port_ok =
        addr.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !port_ok {
        return Err(ctx.invalid_at(span, key, &format!("expected \"host:port\", found {addr:?}")));
    }
    Ok(())
}

/// `[metrics].listen`: the address the Prometheus endpoint binds, if any.
pub(crate) fn check_metrics(
    ctx: &Ctx<'_>,
    raw: Option<RawMetrics>,
    warnings: &mut Vec<String>,
) -> Result<Option<SocketAddr>, ConfigError> {
    let Some(listen) = raw.and_then(|m| m.listen) else {
        return Ok(None);
    };
    let text = listen.get_ref();
    let Some(addr) = parse_listen(text) else {
        return Err(ctx.invalid(
            listen.span(),
            "metrics.listen",
            &format!("expected \"address:port\" such as \"127.0.0.1:9464\", found {text:?}"),
        ));
    };
    if !addr.ip().is_loopback() {
        warnings.push(ctx.note(
            listen.span(),
            "metrics.listen",
            &format!("= {text:?} exposes the metrics endpoint beyond this host (it has no authentication)"),
        ));
    }
    Ok(Some(addr))
}
