//! Owns rand-guard's configuration: loading the TOML file, checking it once, and handing out ready-to-use settings (`Config`).
//!
//! Two phases, like ripgrep's low-level/high-level args: `raw` mirrors the
//! file with serde (every key optional, unknown keys refused), then
//! `Config::try_from_raw` validates everything once into plain types with
//! defaults filled in. A span tree (`tree`) of the same text lets every
//! error name the file, line:column and dotted key.
//!
//! Config files of the project rand-guard descends from load unchanged; its
//! keys without effect here are accepted with a note in `Config::warnings`.

mod delivery;
mod error;
mod hooks;
mod outputs;
pub mod path_filter;
pub mod permissions;
mod raw;
mod tree;
mod ui;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use delivery::defaults as delivery_defaults;
pub use delivery::{SpoolSpec, WhenFull};
pub use error::{ConfigError, Location};
pub use hooks::{FileHook, NetHook, ProcessHook};
pub use outputs::defaults as output_defaults;
pub use outputs::{
    FileSpec, HttpFormat, HttpSpec, OutputSpec, RecordFilter, RecordKinds, SinkSpec, SyslogSpec, SyslogTransport,
};
pub use path_filter::PathFilter;
pub use ui::{defaults as ui_defaults, exposure_note as ui_exposure_note, UiSettings};

use hooks::Hook;
use raw::{Opt, OptList, RawConfig};
use tree::Node;

/// Default values: what an empty config file means. The shipped
/// `config/rand-guard.toml` and the docs repeat these.
pub mod defaults {
    /// `agent.mode`.
    pub const AGENT_MODE: super::AgentMode = super::AgentMode::Monitor;
    /// `agent.log_level`.
    pub const LOG_LEVEL: super::LogLevel = super::LogLevel::Info;
    /// `ebpf.buffer_size`, in KiB (8 MiB).
    pub const BUFFER_SIZE_KIB: i64 = 8192;
    /// Smallest `ebpf.buffer_size`, in KiB.
    pub const MIN_BUFFER_SIZE_KIB: i64 = 64;
    /// Largest `ebpf.buffer_size`, in KiB (1 GiB).
    pub const MAX_BUFFER_SIZE_KIB: i64 = 1024 * 1024;
    /// `events.process` and `process.enabled`.
    pub const PROCESS_ENABLED: bool = true;
    /// `events.file` and `file.enabled`.
    pub const FILE_ENABLED: bool = true;
    /// `events.network` and `network.enabled`.
    pub const NETWORK_ENABLED: bool = false;
    /// `file.watch_paths`.
    pub const WATCH_PATHS: &[&str] = &[
        "/etc",
        "/root",
        "/home",
        "/tmp",
        "/var/tmp",
        "/dev/shm",
        "/usr/bin",
        "/usr/sbin",
        "/usr/local/bin",
        "/bin",
        "/sbin",
        "/usr/lib/systemd",
        "/lib/systemd",
        "/var/spool/cron",
    ];
    /// `file.watch_patterns`.
    pub const WATCH_PATTERNS: &[&str] = &["*.service", "*.timer", "authorized_keys", "crontab"];
    /// `file.exclude_paths`.
    pub const EXCLUDE_PATHS: &[&str] =
        &["/proc", "/sys", "/var/log", "/var/cache", "/var/lib/apt", "/var/lib/dpkg", "/dev/pts"];
    /// `output.health_interval_secs`.
    pub const HEALTH_INTERVAL_SECS: i64 = 30;
    /// Largest `output.health_interval_secs` (one day).
    pub const MAX_HEALTH_INTERVAL_SECS: i64 = 86_400;
    /// `performance.max_events_per_second` (0 = unlimited).
    pub const MAX_EVENTS_PER_SECOND: i64 = 0;
    /// `performance.drop_when_full`.
    pub const DROP_WHEN_FULL: bool = false;
    /// `performance.max_process_cache_entries`.
    pub const MAX_PROCESS_CACHE_ENTRIES: i64 = 16_384;
    /// Smallest `performance.max_process_cache_entries`.
    pub const MIN_PROCESS_CACHE_ENTRIES: i64 = 64;
    /// Largest `performance.max_process_cache_entries`.
    pub const MAX_MAX_PROCESS_CACHE_ENTRIES: i64 = 16 * 1024 * 1024;
    /// `performance.max_pending_exec_sources` (legacy, no effect).
    pub const MAX_PENDING_EXEC_SOURCES: i64 = 500;
    /// `performance.channel_capacity`.
    pub const CHANNEL_CAPACITY: i64 = 4096;
    /// Smallest `performance.channel_capacity`.
    pub const MIN_CHANNEL_CAPACITY: i64 = 16;
    /// Largest `performance.channel_capacity`.
    pub const MAX_CHANNEL_CAPACITY: i64 = 1_048_576;
}

/// The checked configuration, ready to use.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (the `origin` given to `from_str`).
    pub path: PathBuf,
    /// The whole file text; the rules engine re-parses its rule tables.
    pub text: Arc<str>,
    pub agent: Agent,
    pub ebpf: Ebpf,
    pub process: ProcessSettings,
    pub file: FileSettings,
    pub network: NetworkSettings,
    pub output: Output,
    /// The outputs records go to: `[[outputs]]`, else the one `[output]` names.
    pub outputs: Vec<OutputSpec>,
    /// `[metrics].listen`: where the Prometheus endpoint binds; None = off.
    pub metrics: Option<std::net::SocketAddr>,
    /// `[ui]`: the embedded live dashboard; off unless `ui.listen` is set.
    pub ui: UiSettings,
    pub performance: Performance,
    /// Non-fatal notes (legacy keys accepted without effect, ignored keys),
    /// each starting with `FILE:LINE:COL: `.
    pub warnings: Vec<String>,
}

/// `[agent]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// `agent.id`, else the host name.
    pub id: String,
    pub mode: AgentMode,
    pub log_level: LogLevel,
}

/// `agent.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentMode {
    /// Report events and detections only.
    Monitor,
    /// Also act on detections.
    Detect,
}

impl AgentMode {
    const CHOICES: &'static [(&'static str, AgentMode)] =
        &[("monitor", AgentMode::Monitor), ("detect", AgentMode::Detect)];

    /// The name as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            AgentMode::Monitor => "monitor",
            AgentMode::Detect => "detect",
        }
    }
}

impl fmt::Display for AgentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `agent.log_level`, most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    const CHOICES: &'static [(&'static str, LogLevel)] = &[
        ("error", LogLevel::Error),
        ("warn", LogLevel::Warn),
        ("info", LogLevel::Info),
        ("debug", LogLevel::Debug),
        ("trace", LogLevel::Trace),
    ];

    /// The name as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `[ebpf]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ebpf {
    /// Ring buffer size in bytes: `ebpf.buffer_size` KiB rounded up to a
    /// power of two, 64 KiB ..= 1 GiB.
    pub ring_buffer_bytes: u32,
}

/// `[process]` (with `events.process`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSettings {
    /// `events.process && process.enabled`.
    pub enabled: bool,
    /// The hooks to attach, in canonical order, without duplicates.
    pub hooks: Vec<ProcessHook>,
}

/// `[file]` (with `events.file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// `events.file && file.enabled`.
    pub enabled: bool,
    /// The hooks to attach, in canonical order, without duplicates.
    pub hooks: Vec<FileHook>,
    /// Which paths are reported.
    pub filter: PathFilter,
}

/// `[network]` (with `events.network`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSettings {
    /// `events.network && network.enabled`: both must be true.
    pub enabled: bool,
    /// The hooks to attach, in canonical order, without duplicates.
    pub hooks: Vec<NetHook>,
}

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Where NDJSON records go.
    pub sink: OutputSink,
    /// `output.health_interval_secs`: how often a health record is written.
    pub health_interval: Duration,
}

/// `output.type` (and `output.path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSink {
    Stdout,
    File(PathBuf),
}

/// `[performance]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Performance {
    /// Events per second before dropping; 0 = unlimited.
    pub max_events_per_second: u32,
    /// Drop events when the pipeline is full instead of blocking.
    pub drop_when_full: bool,
    /// Size bound of the process table.
    pub max_process_cache_entries: usize,
    /// Legacy; accepted, no effect.
    pub max_pending_exec_sources: usize,
    /// Capacity of the channels between pipeline stages.
    pub channel_capacity: usize,
}

impl Config {
    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::from_str(&text, path)
    }

    /// Checks config `text`; `origin` names it in errors (`<inline>` when it
    /// came from no file).
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let ctx = Ctx { path: origin, text };
        let tree = Node::parse(text).map_err(|e| ConfigError::Syntax {
            path: origin.to_path_buf(),
            location: e.span().map(|s| ctx.location(s.start)),
            message: one_line(e.message()),
        })?;
        check_unknown_keys(&ctx, &tree)?;
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let span = e.span();
            let key = span.as_ref().and_then(|s| tree.path_at(s.start));
            let location = span.map(|s| ctx.location(s.start));
            match key {
                Some(key) => {
                    ConfigError::Invalid { path: origin.to_path_buf(), location, key, message: one_line(e.message()) }
                }
                None => ConfigError::Syntax { path: origin.to_path_buf(), location, message: one_line(e.message()) },
            }
        })?;
        Config::try_from_raw(raw, origin, Arc::from(text))
    }

    /// The configuration of an empty file.
    pub fn default_config() -> Config {
        match Config::from_str("", Path::new("<default>")) {
            Ok(config) => config,
            // An empty text is valid by construction; a test checks it.
            Err(e) => unreachable!("the empty config is invalid: {e}"),
        }
    }

    /// Phase two: checks the raw values once and fills in defaults.
    pub(crate) fn try_from_raw(raw: RawConfig, path: &Path, text: Arc<str>) -> Result<Config, ConfigError> {
        let ctx = Ctx { path, text: &text };
        let mut warnings = Vec::new();

        let agent = raw.agent.unwrap_or_default();
        let id = match &agent.id {
            Some(id) if id.get_ref().trim().is_empty() => {
                return Err(ctx.invalid(id.span(), "agent.id", "must not be empty"));
            }
            Some(id) => id.get_ref().clone(),
            None => host_name().unwrap_or_else(|| {
                warnings.push(format!(
                    "{}: agent.id is not set and the host name could not be read; using \"localhost\"",
                    path.display()
                ));
                "localhost".to_owned()
            }),
        };
        let agent = Agent {
            id,
            mode: ctx.choice(&agent.mode, "agent.mode", AgentMode::CHOICES, defaults::AGENT_MODE)?,
            log_level: ctx.choice(&agent.log_level, "agent.log_level", LogLevel::CHOICES, defaults::LOG_LEVEL)?,
        };

        let ebpf = raw.ebpf.unwrap_or_default();
        if let Some(enabled) = &ebpf.enabled {
            if !enabled.get_ref() {
                return Err(ctx.invalid(
                    enabled.span(),
                    "ebpf.enabled",
                    "rand-guard is an eBPF sensor; ebpf.enabled = false cannot run (remove the key or set it to true)",
                ));
            }
        }
        let kib = ctx.int_in(
            &ebpf.buffer_size,
            "ebpf.buffer_size",
            defaults::MIN_BUFFER_SIZE_KIB..=defaults::MAX_BUFFER_SIZE_KIB,
            defaults::BUFFER_SIZE_KIB,
            " (KiB, 64 KiB to 1 GiB)",
        )?;
        let ebpf = Ebpf { ring_buffer_bytes: ring_buffer_bytes(kib) };

        let events = raw.events.unwrap_or_default();
        let flag = |v: &Opt<bool>, default: bool| v.as_ref().map_or(default, |v| *v.get_ref());

        let process = raw.process.unwrap_or_default();
        for (value, key, what) in [
            (&process.collect_args, "process.collect_args", "arguments"),
            (&process.collect_cwd, "process.collect_cwd", "working directories"),
        ] {
            if let Some(v) = value {
                if !v.get_ref() {
                    warnings.push(ctx.note(
                        v.span(),
                        key,
                        &format!("= false has no effect: rand-guard always collects process {what}"),
                    ));
                }
            }
        }
        ctx.refuse_true(
            &process.collect_env,
            "process.collect_env",
            "collecting process environments is not supported",
        )?;
        let process = ProcessSettings {
            enabled: flag(&events.process, defaults::PROCESS_ENABLED)
                && flag(&process.enabled, defaults::PROCESS_ENABLED),
            hooks: ctx.hooks(&process.hooks, "process.hooks", &mut warnings)?,
        };

        let file = raw.file.unwrap_or_default();
        let watch_paths =
            ctx.string_list(&file.watch_paths, "file.watch_paths", defaults::WATCH_PATHS, path_filter::validate_path)?;
        let watch_patterns = ctx.string_list(
            &file.watch_patterns,
            "file.watch_patterns",
            defaults::WATCH_PATTERNS,
            path_filter::validate_pattern,
        )?;
        let exclude_paths = ctx.string_list(
            &file.exclude_paths,
            "file.exclude_paths",
            defaults::EXCLUDE_PATHS,
            path_filter::validate_path,
        )?;
        let filter = PathFilter::new(&watch_paths, &watch_patterns, &exclude_paths).map_err(|message| {
            ConfigError::Invalid { path: path.to_path_buf(), location: None, key: "file".to_owned(), message }
        })?;
        let file = FileSettings {
            enabled: flag(&events.file, defaults::FILE_ENABLED) && flag(&file.enabled, defaults::FILE_ENABLED),
            hooks: ctx.hooks(&file.hooks, "file.hooks", &mut warnings)?,
            filter,
        };

        let network = raw.network.unwrap_or_default();
        ctx.refuse_true(&network.collect_dns, "network.collect_dns", "DNS collection is not supported")?;
        ctx.refuse_true(&network.collect_payload, "network.collect_payload", "payload collection is not supported")?;
        let network = NetworkSettings {
            enabled: flag(&events.network, defaults::NETWORK_ENABLED)
                && flag(&network.enabled, defaults::NETWORK_ENABLED),
            hooks: ctx.hooks(&network.hooks, "network.hooks", &mut warnings)?,
        };

        let output = raw.output.unwrap_or_default();
        ctx.choice(&output.format, "output.format", &[("json", ())], ())?;
        #[derive(Clone, Copy)]
        enum Kind {
            Stdout,
            File,
        }
        let kind =
            ctx.choice(&output.kind, "output.type", &[("stdout", Kind::Stdout), ("file", Kind::File)], Kind::Stdout)?;
        let sink = match (kind, &output.path) {
            (Kind::File, Some(p)) if p.get_ref().is_empty() => {
                return Err(ctx.invalid(p.span(), "output.path", "must not be empty"));
            }
            (Kind::File, Some(p)) => OutputSink::File(PathBuf::from(p.get_ref())),
            (Kind::File, None) => {
                let span = output.kind.as_ref().map(|k| k.span());
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    location: span.map(|s| ctx.location(s.start)),
                    key: "output.type".to_owned(),
                    message: "type = \"file\" needs output.path (the NDJSON file to write)".to_owned(),
                });
            }
            (Kind::Stdout, Some(p)) => {
                warnings.push(ctx.note(p.span(), "output.path", "is ignored: output.type is \"stdout\""));
                OutputSink::Stdout
            }
            (Kind::Stdout, None) => OutputSink::Stdout,
        };
        let health = ctx.int_in(
            &output.health_interval_secs,
            "output.health_interval_secs",
            1..=defaults::MAX_HEALTH_INTERVAL_SECS,
            defaults::HEALTH_INTERVAL_SECS,
            " (seconds)",
        )?;
        let legacy_keys = [output.kind.as_ref().map(|k| k.span()), output.path.as_ref().map(|p| p.span())];
        let outputs = outputs::check_outputs(&ctx, raw.outputs, &sink, &legacy_keys, &output.when_full, &mut warnings)?;
        let metrics = outputs::check_metrics(&ctx, raw.metrics, &mut warnings)?;
        let ui = ui::check_ui(&ctx, raw.ui, &mut warnings)?;
        let output = Output { sink, health_interval: Duration::from_secs(health.unsigned_abs()) };

        let perf = raw.performance.unwrap_or_default();
        if let Some(v) = &perf.max_pending_exec_sources {
            warnings.push(ctx.note(
                v.span(),
                "performance.max_pending_exec_sources",
                "has no effect in rand-guard (accepted for compatibility)",
            ));
        }
        let performance = Performance {
            max_events_per_second: to_u32(ctx.int_in(
                &perf.max_events_per_second,
                "performance.max_events_per_second",
                0..=i64::from(u32::MAX),
                defaults::MAX_EVENTS_PER_SECOND,
                " (0 = unlimited)",
            )?),
            drop_when_full: flag(&perf.drop_when_full, defaults::DROP_WHEN_FULL),
            max_process_cache_entries: to_usize(ctx.int_in(
                &perf.max_process_cache_entries,
                "performance.max_process_cache_entries",
                defaults::MIN_PROCESS_CACHE_ENTRIES..=defaults::MAX_MAX_PROCESS_CACHE_ENTRIES,
                defaults::MAX_PROCESS_CACHE_ENTRIES,
                "",
            )?),
            max_pending_exec_sources: to_usize(ctx.int_in(
                &perf.max_pending_exec_sources,
                "performance.max_pending_exec_sources",
                0..=i64::from(u32::MAX),
                defaults::MAX_PENDING_EXEC_SOURCES,
                "",
            )?),
            channel_capacity: to_usize(ctx.int_in(
                &perf.channel_capacity,
                "performance.channel_capacity",
                defaults::MIN_CHANNEL_CAPACITY..=defaults::MAX_CHANNEL_CAPACITY,
                defaults::CHANNEL_CAPACITY,
                "",
            )?),
        };

        Ok(Config {
            path: path.to_path_buf(),
            text,
            agent,
            ebpf,
            process,
            file,
            network,
            output,
            outputs,
            metrics,
            ui,
            performance,
            warnings,
        })
    }
}

/// `kib` KiB in bytes, rounded up to a power of two. `kib` is already within
/// 64 KiB ..= 1 GiB, so the result fits in a `u32`.
fn ring_buffer_bytes(kib: i64) -> u32 {
    let bytes = kib.unsigned_abs().saturating_mul(1024).next_power_of_two();
    u32::try_from(bytes).unwrap_or(1 << 30)
}

/// A listen address as written in `[metrics]`/`[ui]` or on the command
/// line: `"127.0.0.1:9464"`, `"[::1]:9300"`, or a name that resolves
/// locally such as `"localhost:9464"`.
pub fn parse_listen(text: &str) -> Option<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    text.parse().ok().or_else(|| text.to_socket_addrs().ok().and_then(|mut a| a.next()))
}

/// Range-checked values fit; saturate rather than panic all the same.
fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn to_usize(v: i64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Makes a parser message fit on one line and hides the raw struct names
/// serde puts in type errors (`expected struct RawAgent` → `expected a table`).
fn one_line(message: &str) -> String {
    let mut out = message.trim().replace('\n', "; ");
    while let Some(at) = out.find("struct Raw") {
        let end = out[at + "struct Raw".len()..]
            .find(|c: char| !c.is_ascii_alphanumeric())
            .map_or(out.len(), |i| at + "struct Raw".len() + i);
        out.replace_range(at..end, "a table");
    }
    out
}

/// The host name, from /proc or gethostname(2).
fn host_name() -> Option<String> {
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let name = name.trim();
        if !name.is_empty() {
            return Some(name.to_owned());
        }
    }
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes
    // at most that many and we read only up to the first NUL within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// Refuses any key not known here or to another module.
fn check_unknown_keys(ctx: &Ctx<'_>, tree: &Node) -> Result<(), ConfigError> {
    let mut first: Option<(usize, ConfigError)> = None;
    let mut report = |key: &tree::Key, dotted: String, expected: &[&str]| {
        let start = key.span.as_ref().map_or(usize::MAX, |s| s.start);
        if first.as_ref().is_none_or(|(at, _)| start < *at) {
            let err = ConfigError::UnknownKey {
                path: ctx.path.to_path_buf(),
                location: key.span.as_ref().map(|s| ctx.location(s.start)),
                key: dotted,
                expected: expected.join(", "),
            };
            first = Some((start, err));
        }
    };
    let top = raw::fields_of::<RawConfig>();
    let sections = raw::sections();
    for (key, value) in tree.entries() {
        if !top.contains(&key.name.as_str()) {
            let mut dotted = String::new();
            tree::push_key(&mut dotted, &key.name);
            report(key, dotted, top);
            continue;
        }
        if key.name == "outputs" {
            let fields = raw::fields_of::<raw::RawOutputEntry>();
            if let tree::Kind::Array(items) = &value.kind {
                for (i, item) in items.iter().enumerate() {
                    for (inner, _) in item.entries() {
                        if !fields.contains(&inner.name.as_str()) {
                            let mut dotted = format!("outputs[{i}].");
                            tree::push_key(&mut dotted, &inner.name);
                            report(inner, dotted, fields);
                        }
                    }
                }
            }
            continue;
        }
        let Some((_, fields)) = sections.iter().find(|(s, _)| *s == key.name) else {
            continue; // owned by another module
        };
        for (inner, _) in value.entries() {
            if !fields.contains(&inner.name.as_str()) {
                let mut dotted = key.name.clone();
                dotted.push('.');
                tree::push_key(&mut dotted, &inner.name);
                report(inner, dotted, fields);
            }
        }
    }
    match first {
        Some((_, err)) => Err(err),
        None => Ok(()),
    }
}

/// What phase two needs to word errors and warnings.
struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn location(&self, offset: usize) -> Location {
        Location::from_offset(self.text, offset)
    }

    fn invalid(&self, span: Range<usize>, key: &str, message: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            location: Some(self.location(span.start)),
            key: key.to_owned(),
            message: message.to_owned(),
        }
    }

    /// Like `invalid`, for values whose span may be unknown.
    fn invalid_at(&self, span: Option<Range<usize>>, key: &str, message: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            location: span.map(|s| self.location(s.start)),
            key: key.to_owned(),
            message: message.to_owned(),
        }
    }

    /// A warning in the same `FILE:LINE:COL: key ...` form as errors.
    fn note(&self, span: Range<usize>, key: &str, message: &str) -> String {
        format!("{}:{}: {key} {message}", self.path.display(), self.location(span.start))
    }

    /// One of a fixed set of strings.
    fn choice<T: Copy>(
        &self,
        value: &Opt<String>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(v) = value else {
            return Ok(default);
        };
        if let Some((_, t)) = choices.iter().find(|(name, _)| name == v.get_ref()) {
            return Ok(*t);
        }
        let quoted: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let expected = match quoted.as_slice() {
            [one] => one.clone(),
            [a, b] => format!("{a} or {b}"),
            more => format!("one of {}", more.join(", ")),
        };
        Err(self.invalid(v.span(), key, &format!("expected {expected}, found {:?}", v.get_ref())))
    }

    /// An integer within `range`.
    fn int_in(
        &self,
        value: &Opt<i64>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
        unit: &str,
    ) -> Result<i64, ConfigError> {
        let Some(v) = value else {
            return Ok(default);
        };
        if range.contains(v.get_ref()) {
            return Ok(*v.get_ref());
        }
        Err(self.invalid(
            v.span(),
            key,
            &format!("must be between {} and {}{unit}, found {}", range.start(), range.end(), v.get_ref()),
        ))
    }

    /// A legacy boolean that may only be false.
    fn refuse_true(&self, value: &Opt<bool>, key: &str, why: &str) -> Result<(), ConfigError> {
        match value {
            Some(v) if *v.get_ref() => {
                Err(self.invalid(v.span(), key, &format!("{why}; set it to false or remove it")))
            }
            _ => Ok(()),
        }
    }

    /// A list of strings, each checked by `check`; `default` when absent.
    fn string_list(
        &self,
        value: &OptList,
        key: &str,
        default: &[&str],
        check: fn(&str) -> Result<(), String>,
    ) -> Result<Vec<String>, ConfigError> {
        let Some(list) = value else {
            return Ok(default.iter().map(|s| (*s).to_owned()).collect());
        };
        let mut out = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.get_ref().iter().enumerate() {
            check(item.get_ref()).map_err(|message| self.invalid(item.span(), &format!("{key}[{i}]"), &message))?;
            out.push(item.get_ref().clone());
        }
        Ok(out)
    }

    /// A hook list: all hooks when absent, else exactly those named.
    fn hooks<H: Hook>(&self, value: &OptList, key: &str, warnings: &mut Vec<String>) -> Result<Vec<H>, ConfigError> {
        let Some(list) = value else {
            return Ok(H::all().to_vec());
        };
        let valid = || H::all().iter().map(|h| h.hook_name()).collect::<Vec<_>>().join(", ");
        if list.get_ref().is_empty() {
            return Err(self.invalid(
                list.span(),
                key,
                &format!(
                    "must not be empty (remove the key to attach all {} hooks: {}; disable the category with enabled = false)",
                    H::KIND,
                    valid()
                ),
            ));
        }
        let mut hooks: Vec<H> = Vec::new();
        for (i, item) in list.get_ref().iter().enumerate() {
            let Some(hook) = H::all().iter().copied().find(|h| h.hook_name() == item.get_ref()) else {
                return Err(self.invalid(
                    item.span(),
                    &format!("{key}[{i}]"),
                    &format!("unknown {} hook {:?} (expected one of: {})", H::KIND, item.get_ref(), valid()),
                ));
            };
            if hooks.contains(&hook) {
                warnings.push(self.note(
                    item.span(),
                    &format!("{key}[{i}]"),
                    &format!("repeats hook {:?}", item.get_ref()),
                ));
            } else {
                hooks.push(hook);
            }
        }
        hooks.sort();
        Ok(hooks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = include_str!("../../tests/fixtures/original-example.toml");
    const SHIPPED: &str = include_str!("../../config/rand-guard.toml");
    const FILE: &str = "/etc/rand-guard.toml";

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_str(text, Path::new(FILE))
    }

    fn err(text: &str) -> String {
        match load(text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => {
                assert_eq!(e.exit_code(), 2);
                e.to_string()
            }
        }
    }

    #[test]
    fn original_example_loads_unchanged() {
        let c = load(ORIGINAL).unwrap();
        assert_eq!(c.agent.id, "dev-host-001");
        assert_eq!(c.agent.mode, AgentMode::Monitor);
        assert_eq!(c.agent.log_level, LogLevel::Info);
        assert_eq!(c.ebpf.ring_buffer_bytes, 8 << 20);
        assert!(c.process.enabled);
        use ProcessHook as P;
        assert_eq!(c.process.hooks, [P::Execve, P::Execveat, P::Fork, P::Exit]);
        assert!(!c.file.enabled, "events.file = false");
        assert_eq!(c.file.hooks.len(), 7);
        assert_eq!(c.file.filter.watch_paths(), ["/etc", "/usr/bin", "/bin"]);
        assert!(c.file.filter.matches("/etc/systemd/system/x.service"));
        assert!(!c.file.filter.matches("/tmp/x.service"));
        assert!(!c.network.enabled);
        assert_eq!(c.network.hooks, [NetHook::Connect]);
        assert_eq!(c.output.sink, OutputSink::Stdout);
        assert_eq!(c.performance.max_events_per_second, 5000);
        assert_eq!(c.performance.max_process_cache_entries, 5000);
        assert_eq!(c.performance.max_pending_exec_sources, 500);
        assert_eq!(&*c.text, ORIGINAL);
        assert_eq!(c.path, Path::new(FILE));
        // collect_args, collect_cwd = false and max_pending_exec_sources.
        assert_eq!(c.warnings.len(), 3, "{:#?}", c.warnings);
        assert!(c.warnings[0].starts_with("/etc/rand-guard.toml:18:16: process.collect_args"));
        assert!(c.warnings.iter().all(|w| w.contains("no effect")));
    }

    #[test]
    fn shipped_config_is_the_default_and_names_every_key() {
        let shipped = load(SHIPPED).unwrap();
        let default = Config::default_config();
        assert!(shipped.warnings.is_empty(), "{:#?}", shipped.warnings);
        assert_eq!(shipped.agent, default.agent);
        assert_eq!(shipped.ebpf, default.ebpf);
        assert_eq!(shipped.process, default.process);
        assert_eq!(shipped.file, default.file);
        assert_eq!(shipped.network, default.network);
        assert_eq!(shipped.output, default.output);
        assert_eq!(shipped.performance, default.performance);
        assert_eq!(shipped.ui, default.ui);
        for (section, keys) in raw::sections() {
            assert!(SHIPPED.contains(&format!("[{section}]\n")), "[{section}]");
            for key in keys {
                let present = SHIPPED.lines().any(|l| {
                    let l = l.trim_start_matches("# ");
                    l.starts_with(&format!("{key} = "))
                });
                assert!(present, "{section}.{key} missing from the shipped config");
            }
        }
        assert!(SHIPPED.contains("set both [events].network and [network].enabled to enable"));
    }

    #[test]
    fn defaults() {
        let c = Config::default_config();
        assert!(!c.agent.id.is_empty());
        assert_eq!(c.agent.mode, AgentMode::Monitor);
        assert_eq!(c.agent.log_level, LogLevel::Info);
        assert_eq!(c.ebpf.ring_buffer_bytes, 8 << 20);
        assert!(c.process.enabled && c.file.enabled && !c.network.enabled);
        assert_eq!(c.process.hooks, ProcessHook::ALL);
        assert_eq!(c.file.hooks, FileHook::ALL);
        assert_eq!(c.network.hooks, NetHook::ALL);
        assert_eq!(c.file.filter.watch_paths(), defaults::WATCH_PATHS);
        assert_eq!(c.file.filter.watch_patterns(), defaults::WATCH_PATTERNS);
        assert_eq!(c.file.filter.exclude_paths(), defaults::EXCLUDE_PATHS);
        assert_eq!(c.output.sink, OutputSink::Stdout);
        assert_eq!(c.output.health_interval, Duration::from_secs(30));
        assert_eq!(
            c.performance,
            Performance {
                max_events_per_second: 0,
                drop_when_full: false,
                max_process_cache_entries: 16_384,
                max_pending_exec_sources: 500,
                channel_capacity: 4096,
            }
        );
        assert!(c.warnings.is_empty());
        assert_eq!(&*c.text, "");
        // Empty file == default.
        let empty = load("").unwrap();
        assert_eq!(empty.file, c.file);
        assert_eq!(empty.performance, c.performance);
    }

    #[test]
    fn network_needs_both_switches() {
        let cases = [
            ("", false),
            ("[events]\nnetwork = true\n", false),
            ("[network]\nenabled = true\n", false),
            ("[events]\nnetwork = true\n[network]\nenabled = true\n", true),
        ];
        for (text, want) in cases {
            assert_eq!(load(text).unwrap().network.enabled, want, "{text}");
        }
        assert!(!load("[process]\nenabled = false\n").unwrap().process.enabled);
        assert!(!load("[events]\nprocess = false\n").unwrap().process.enabled);
    }

    #[test]
    fn buffer_size_rounding() {
        let cases: &[(i64, u32)] = &[
            (64, 64 << 10),
            (65, 128 << 10),
            (100, 128 << 10),
            (8192, 8 << 20),
            (8193, 16 << 20),
            (1_000_000, 1 << 30),
            (1_048_576, 1 << 30),
        ];
        for &(kib, bytes) in cases {
            let c = load(&format!("[ebpf]\nbuffer_size = {kib}\n")).unwrap();
            assert_eq!(c.ebpf.ring_buffer_bytes, bytes, "{kib} KiB");
        }
        for kib in [0, 63, -1, 1_048_577, i64::MAX] {
            let e = err(&format!("[ebpf]\nbuffer_size = {kib}\n"));
            assert_eq!(
                e,
                format!(
                    "{FILE}:2:15: ebpf.buffer_size: must be between 64 and 1048576 (KiB, 64 KiB to 1 GiB), found {kib}"
                )
            );
        }
    }

    #[test]
    fn hooks_lists() {
        let c = load("[file]\nhooks = [\"unlink\", \"open\", \"open\"]\n").unwrap();
        assert_eq!(c.file.hooks, [FileHook::Open, FileHook::Unlink]);
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with(&format!("{FILE}:2:28: file.hooks[2] repeats")));
    }

    #[test]
    fn output_variants() {
        let c = load("[output]\ntype = \"file\"\npath = \"/var/log/rg.ndjson\"\nhealth_interval_secs = 5\n").unwrap();
        assert_eq!(c.output.sink, OutputSink::File(PathBuf::from("/var/log/rg.ndjson")));
        assert_eq!(c.output.health_interval, Duration::from_secs(5));
        let c = load("[output]\npath = \"/x\"\n").unwrap();
        assert_eq!(c.output.sink, OutputSink::Stdout);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn outputs_and_metrics() {
        let c = load("").unwrap();
        assert_eq!(c.outputs.len(), 1);
        assert_eq!(c.outputs[0].sink, SinkSpec::Stdout);
        assert_eq!(c.outputs[0].name, "stdout");
        assert_eq!(c.metrics, None);
        let c = load("[output]\ntype = \"file\"\npath = \"/x.ndjson\"\n").unwrap();
        assert_eq!(
            c.outputs[0].sink,
            SinkSpec::File(FileSpec { path: PathBuf::from("/x.ndjson"), max_bytes: 0, keep: 5 })
        );
        let text = r#"
[metrics]
listen = "127.0.0.1:9464"

[[outputs]]
type = "stdout"

[[outputs]]
type = "file"
path = "/var/log/rand-guard/events.ndjson"
max_bytes = 1000
keep = 3

[[outputs]]
type = "syslog"
transport = "tcp"
address = "127.0.0.1:514"
facility = "local3"
records = "alerts"
min_severity = "high"
health = false

[[outputs]]
name = "elastic"
type = "http"
url = "http://127.0.0.1:9200/_bulk"
format = "elasticsearch"
authorization = "ApiKey abc"
gzip = false
batch_max_records = 10
"#;
        let c = load(text).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.metrics, Some("127.0.0.1:9464".parse().unwrap()));
        let names: Vec<_> = c.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["stdout", "file-1", "syslog-2", "elastic"]);
        assert_eq!(
            c.outputs[1].sink,
            SinkSpec::File(FileSpec { path: "/var/log/rand-guard/events.ndjson".into(), max_bytes: 1000, keep: 3 })
        );
        let SinkSpec::Syslog(sys) = &c.outputs[2].sink else { panic!("syslog") };
        assert_eq!((sys.facility, &sys.transport), (19, &SyslogTransport::Tcp("127.0.0.1:514".into())));
        assert_eq!(c.outputs[2].filter.records, RecordKinds::Alerts);
        assert!(!c.outputs[2].filter.health);
        let SinkSpec::Http(h) = &c.outputs[3].sink else { panic!("http") };
        assert_eq!((h.authority.as_str(), h.target.as_str()), ("127.0.0.1:9200", "/_bulk"));
        assert_eq!(h.format, HttpFormat::Elasticsearch);
        assert_eq!(h.authorization.as_deref(), Some("ApiKey abc"));
        assert!(!h.gzip);
        assert_eq!(h.batch_max_records, 10);
        let h = load("[[outputs]]\ntype = \"http\"\nurl = \"http://collector\"\n").unwrap();
        let SinkSpec::Http(h) = &h.outputs[0].sink else { panic!("http") };
        assert_eq!((h.authority.as_str(), h.target.as_str()), ("collector:80", "/"));
        // [[outputs]] replaces [output].type, with a warning.
        let c = load("[output]\ntype = \"stdout\"\n[[outputs]]\ntype = \"file\"\npath = \"/a\"\n").unwrap();
        assert_eq!(c.outputs.len(), 1);
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with(&format!("{FILE}:2:8: output.type/path is ignored")));
        let c = load("[metrics]\nlisten = \"0.0.0.0:9464\"\n").unwrap();
        assert!(c.warnings[0].contains("beyond this host"), "{:?}", c.warnings);
    }

    #[test]
    fn ui_settings() {
        let c = load("").unwrap();
        assert_eq!(c.ui, UiSettings::default());
        assert_eq!(c.ui.listen, None, "the dashboard is off by default");
        assert_eq!((c.ui.history, c.ui.max_clients, c.ui.client_buffer), (5000, 8, 4096));
        let text = "[ui]\nlisten = \"127.0.0.1:9300\"\ntoken = \"0123456789abcdef\"\nhistory = 1\n\
                    max_clients = 64\nclient_buffer = 16\n";
        let c = load(text).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.ui.listen, Some("127.0.0.1:9300".parse().unwrap()));
        assert_eq!(c.ui.token.as_deref(), Some("0123456789abcdef"));
        assert_eq!((c.ui.history, c.ui.max_clients, c.ui.client_buffer), (1, 64, 16));
        assert!(!format!("{:?}", c.ui).contains("0123456789abcdef"), "the token stays out of debug output");
        let c = load("[ui]\nlisten = \"0.0.0.0:9300\"\n").unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].starts_with(&format!(
                "{FILE}:2:10: ui.listen = \"0.0.0.0:9300\" serves the dashboard beyond this host"
            )),
            "{:?}",
            c.warnings
        );
        assert!(load("[ui]\nlisten = \"[::1]:9300\"\n").unwrap().warnings.is_empty());
    }

    #[test]
    fn ui_errors_name_file_line_and_key() {
        let cases: &[(&str, &str)] = &[
            ("[ui]\nlisten = \"nowhere\"\n", "2:10: ui.listen: expected \"address:port\" such as \"127.0.0.1:9300\", found \"nowhere\""),
            ("[ui]\nlisten = 9300\n", "2:10: ui.listen: invalid type: integer `9300`, expected a string"),
            ("[ui]\ntoken = \"short\"\n", "2:9: ui.token: must be 16 to 256 printable ASCII characters without spaces (found 5 characters); remove it"),
            ("[ui]\ntoken = \"with a space in it\"\n", "2:9: ui.token: must be 16 to 256 printable ASCII characters without spaces (found 18 characters, not all printable)"),
            ("[ui]\ntoken = \"ééééééééééééééééé\"\n", "2:9: ui.token: must be 16 to 256 printable ASCII characters without spaces (found 17 characters, not all printable)"),
            ("[ui]\nhistory = 0\n", "2:11: ui.history: must be between 1 and 100000 (records), found 0"),
            ("[ui]\nhistory = 100001\n", "2:11: ui.history: must be between 1 and 100000 (records), found 100001"),
            ("[ui]\nmax_clients = 0\n", "2:15: ui.max_clients: must be between 1 and 64, found 0"),
            ("[ui]\nmax_clients = 65\n", "2:15: ui.max_clients: must be between 1 and 64, found 65"),
            ("[ui]\nclient_buffer = 15\n", "2:17: ui.client_buffer: must be between 16 and 1048576 (records), found 15"),
            ("[ui]\ntheme = \"dark\"\n", "2:1: unknown key `ui.theme` (expected one of: listen, token, history, max_clients, client_buffer)"),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with(&format!("{FILE}:{want}")), "for:\n{text}\ngot:  {e}\nwant: {want}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn output_errors_name_file_line_and_key() {
        let cases: &[(&str, &str)] = &[
            (
                "[[outputs]]\ntype = \"kafka\"\n",
                "2:8: outputs[0].type: expected one of \"stdout\", \"file\", \"syslog\", \"http\", found \"kafka\"",
            ),
            ("[[outputs]]\npath = \"/x\"\n", "outputs[0].type: is required"),
            ("[[outputs]]\ntype = \"file\"\n", "2:8: outputs[0].path: is required for this type"),
            ("[[outputs]]\ntype = \"file\"\npath = \"rel\"\n", "3:8: outputs[0].path: must be an absolute path"),
            (
                "[[outputs]]\ntype = \"stdout\"\nurl = \"http://x\"\n",
                "2:8: outputs[0].url: does not apply to type = \"stdout\"",
            ),
            ("[[outputs]]\ntype = \"stdout\"\ncolour = 1\n", "3:1: unknown key `outputs[0].colour`"),
            (
                "[[outputs]]\ntype = \"stdout\"\n[[outputs]]\ntype = \"http\"\nurl = \"https://x/\"\n",
                "5:7: outputs[1].url: https is not supported",
            ),
            ("[[outputs]]\ntype = \"http\"\nurl = \"http://x:port/\"\n", "3:7: outputs[0].url: expected \"host:port\""),
            ("[[outputs]]\ntype = \"syslog\"\ntransport = \"udp\"\n", "2:8: outputs[0].address: is required"),
            ("[[outputs]]\ntype = \"syslog\"\nfacility = \"mail2\"\n", "3:12: outputs[0].facility: expected one of"),
            ("[[outputs]]\ntype = \"stdout\"\nmin_severity = \"severe\"\n", "3:16: outputs[0].min_severity"),
            ("[[outputs]]\ntype = \"stdout\"\nqueue_size = 0\n", "3:14: outputs[0].queue_size: must be between 1 and"),
            (
                "[[outputs]]\ntype = \"stdout\"\n[[outputs]]\ntype = \"stdout\"\nname = \"stdout\"\n",
                "5:8: outputs[1].name: \"stdout\" is already the name",
            ),
            (
                "[[outputs]]\ntype = \"http\"\nurl = \"http://x/\"\nmax_retries = \"3\"\n",
                "4:15: outputs[0].max_retries: invalid type",
            ),
            ("[metrics]\nlisten = \"nowhere\"\n", "2:10: metrics.listen: expected \"address:port\""),
            ("[metrics]\nport = 9\n", "2:1: unknown key `metrics.port` (expected one of: listen)"),
            ("outputs = []\n", "outputs: must list at least one output"),
        ];
        for (text, want) in cases {
            let e = err(text);
            assert!(e.starts_with(FILE) && e.contains(want), "for:\n{text}\ngot:  {e}\nwant: {want}");
        }
    }

    #[test]
    fn foreign_sections_are_accepted_unchecked() {
        let text = "[[rules]]\nanything = 1\n[lists]\nx = [1]\n[macros]\n[detection]\nq = 1979-05-27\n\
                    [detections]\nfoo = {}\n";
        let c = load(text).unwrap();
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn error_messages() {
        // (text, exact message)
        let cases: &[(&str, &str)] = &[
            (
                "[agent]\nid = \"a\"\nmode = \"detect\"\n\n\n\ncolour = \"red\"\n",
                "/etc/rand-guard.toml:7:1: unknown key `agent.colour` (expected one of: id, mode, log_level)",
            ),
            (
                "foo = 1\n",
                "/etc/rand-guard.toml:1:1: unknown key `foo` (expected one of: agent, ebpf, events, process, file, network, output, performance, rules, detections, lists, macros, detection, outputs, metrics, ui)",
            ),
            (
                "[process.extra]\n",
                "/etc/rand-guard.toml:1:10: unknown key `process.extra` (expected one of: enabled, hooks, collect_args, collect_env, collect_cwd)",
            ),
            (
                "[agent]\nid = \"a\"\nmode = \"loud\"\n",
                "/etc/rand-guard.toml:3:8: agent.mode: expected \"monitor\" or \"detect\", found \"loud\"",
            ),
            (
                "[agent]\nlog_level = \"verbose\"\n",
                "/etc/rand-guard.toml:2:13: agent.log_level: expected one of \"error\", \"warn\", \"info\", \"debug\", \"trace\", found \"verbose\"",
            ),
            (
                "[agent]\nid = \"  \"\n",
                "/etc/rand-guard.toml:2:6: agent.id: must not be empty",
            ),
            (
                "[agent]\nmode = 5\n",
                "/etc/rand-guard.toml:2:8: agent.mode: invalid type: integer `5`, expected a string",
            ),
            (
                "agent = 5\n",
                "/etc/rand-guard.toml:1:9: agent: invalid type: integer `5`, expected a table",
            ),
            (
                "[file]\nwatch_paths = [\n  \"/etc\",\n  \"etc\",\n]\n",
                "/etc/rand-guard.toml:4:3: file.watch_paths[1]: \"etc\" is not an absolute path",
            ),
            (
                "[file]\n\n\n\n\n\n\n\n\n\n\nwatch_paths = [\"/etc\", \"etc\"]\n",
                "/etc/rand-guard.toml:12:24: file.watch_paths[1]: \"etc\" is not an absolute path",
            ),
            (
                "[file]\nexclude_paths = [\"/proc\", \"/a/../b\"]\n",
                "/etc/rand-guard.toml:2:27: file.exclude_paths[1]: \"/a/../b\" contains a `..` component; use a plain absolute path",
            ),
            (
                "[file]\nwatch_patterns = [\"[abc\"]\n",
                "/etc/rand-guard.toml:2:19: file.watch_patterns[0]: pattern \"[abc\" has an unclosed `[`",
            ),
            (
                "[file]\nwatch_paths = [1]\n",
                "/etc/rand-guard.toml:2:16: file.watch_paths[0]: invalid type: integer `1`, expected a string",
            ),
            (
                "[process]\nhooks = [\"execve\", \"clone\"]\n",
                "/etc/rand-guard.toml:2:20: process.hooks[1]: unknown process hook \"clone\" (expected one of: execve, execveat, fork, exit, ptrace)",
            ),
            (
                "[network]\nhooks = []\n",
                "/etc/rand-guard.toml:2:9: network.hooks: must not be empty (remove the key to attach all network hooks: connect, bind, listen, accept, accept4; disable the category with enabled = false)",
            ),
            (
                "[process]\ncollect_env = true\n",
                "/etc/rand-guard.toml:2:15: process.collect_env: collecting process environments is not supported; set it to false or remove it",
            ),
            (
                "[network]\ncollect_dns = true\n",
                "/etc/rand-guard.toml:2:15: network.collect_dns: DNS collection is not supported; set it to false or remove it",
            ),
            (
                "[network]\ncollect_payload = true\n",
                "/etc/rand-guard.toml:2:19: network.collect_payload: payload collection is not supported; set it to false or remove it",
            ),
            (
                "[ebpf]\nenabled = false\n",
                "/etc/rand-guard.toml:2:11: ebpf.enabled: rand-guard is an eBPF sensor; ebpf.enabled = false cannot run (remove the key or set it to true)",
            ),
            (
                "[output]\nformat = \"xml\"\n",
                "/etc/rand-guard.toml:2:10: output.format: expected \"json\", found \"xml\"",
            ),
            (
                "[output]\ntype = \"file\"\n",
                "/etc/rand-guard.toml:2:8: output.type: type = \"file\" needs output.path (the NDJSON file to write)",
            ),
            (
                "[output]\ntype = \"syslog\"\n",
                "/etc/rand-guard.toml:2:8: output.type: expected \"stdout\" or \"file\", found \"syslog\"",
            ),
            (
                "[output]\nhealth_interval_secs = 0\n",
                "/etc/rand-guard.toml:2:24: output.health_interval_secs: must be between 1 and 86400 (seconds), found 0",
            ),
            (
                "[performance]\nchannel_capacity = 8\n",
                "/etc/rand-guard.toml:2:20: performance.channel_capacity: must be between 16 and 1048576, found 8",
            ),
            (
                "[performance]\nmax_process_cache_entries = 10\n",
                "/etc/rand-guard.toml:2:29: performance.max_process_cache_entries: must be between 64 and 16777216, found 10",
            ),
            (
                "[performance]\nmax_events_per_second = -5\n",
                "/etc/rand-guard.toml:2:25: performance.max_events_per_second: must be between 0 and 4294967295 (0 = unlimited), found -5",
            ),
            (
                "[performance]\ndrop_when_full = \"yes\"\n",
                "/etc/rand-guard.toml:2:18: performance.drop_when_full: invalid type: string \"yes\", expected a boolean",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), *want, "for:\n{text}");
        }
    }

    #[test]
    fn unknown_key_reports_the_earliest() {
        let e = err("[file]\nzzz = 1\n[agent]\ncolour = 1\n");
        assert!(e.starts_with("/etc/rand-guard.toml:2:1: unknown key `file.zzz`"), "{e}");
        let e = err("[agent]\n\"odd key\" = 1\n");
        assert!(e.starts_with("/etc/rand-guard.toml:2:1: unknown key `agent.\"odd key\"`"), "{e}");
        let e = err("agent.colour = 1\n");
        assert!(e.starts_with("/etc/rand-guard.toml:1:7: unknown key `agent.colour`"), "{e}");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = load("[agent]\nmode = \"monitor\nx = 1\n").unwrap_err();
        assert!(matches!(e, ConfigError::Syntax { location: Some(Location { line: 2, .. }), .. }), "{e}");
        assert!(e.to_string().starts_with("/etc/rand-guard.toml:2:"), "{e}");
        assert!(!e.to_string().contains('\n'), "{e}");
        let e = err("[agent]\nmode = \"monitor\"\nmode = \"detect\"\n");
        assert!(e.starts_with("/etc/rand-guard.toml:3:1: invalid TOML: duplicate key"), "{e}");
    }

    #[test]
    fn load_reports_read_errors() {
        let e = Config::load(Path::new("/nonexistent/rand-guard.toml")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().starts_with("/nonexistent/rand-guard.toml: cannot read: "), "{e}");
        let dir = std::env::temp_dir().join(format!("rg-config-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("rand-guard.toml");
        std::fs::write(&file, ORIGINAL).unwrap();
        let c = Config::load(&file).unwrap();
        assert_eq!(c.path, file);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn never_panics_on_mangled_input() {
        // Every prefix of the original and of the shipped config, and a few
        // odd inputs: errors are fine, panics are not.
        for text in [ORIGINAL, SHIPPED] {
            for (i, _) in text.char_indices() {
                let _ = load(&text[..i]);
            }
        }
        for text in [
            "\u{0}",
            "[",
            "a=",
            "[[agent]]\n",
            "[agent]\nid = 1979-05-27\n",
            "é = \"é\"\n",
            "[ebpf]\nbuffer_size = 1e400\n",
        ] {
            let _ = load(text);
        }
    }
}
