//! Owns rand-guard's configuration: loading the TOML file, checking it once, and handing out ready-to-use settings (`Config`).
//!
//! Two phases, like ripgrep's low-level/high-level args: `raw` mirrors the
//! file with serde (every key optional, unknown keys refused), then
//! `Config::try_from_raw` hands each section to its own validator module
//! (`agent`, `ebpf`, `events`, `output`, `outputs`, `ui`, `performance`),
//! which fills in defaults and returns plain types. A span tree (`tree`) of
//! the same text lets every error name the file, line:column and dotted key;
//! `ctx` holds the helpers all validators word their messages with.
//!
//! Config files of the project rand-guard descends from load unchanged; its
//! keys without effect here are accepted with a note in `Config::warnings`.

mod agent;
mod ctx;
pub mod defaults;
mod delivery;
mod ebpf;
mod error;
mod events;
mod hooks;
mod keys;
mod output;
mod outputs;
pub mod path_filter;
mod performance;
pub mod permissions;
mod raw;
mod response;
mod tree;
mod ui;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use agent::{Agent, AgentMode, LogLevel};
pub use delivery::defaults as delivery_defaults;
pub use delivery::{SpoolSpec, WhenFull};
pub use ebpf::Ebpf;
pub use error::{ConfigError, Location};
pub use events::{FileSettings, NetworkSettings, ProcessSettings};
pub use hooks::{FileHook, NetHook, ProcessHook};
pub use output::{Output, OutputSink};
pub use outputs::defaults as output_defaults;
pub use outputs::{
    FileSpec, HttpFormat, HttpSpec, OutputSpec, RecordFilter, RecordKinds, SinkSpec, SyslogSpec, SyslogTransport,
};
pub use path_filter::PathFilter;
pub use performance::Performance;
pub use response::{DeniedExe, ResponseSettings, MAX_DENY_EXEC};
pub use ui::{defaults as ui_defaults, exposure_note as ui_exposure_note, UiSettings};

use ctx::{flag, to_u32, to_usize, Ctx};
use raw::RawConfig;
use tree::Node;

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
    /// `[response]`: what `enforce` kills in the kernel (docs/response.md).
    pub response: ResponseSettings,
    /// Non-fatal notes (legacy keys accepted without effect, ignored keys),
    /// each starting with `FILE:LINE:COL: `.
    pub warnings: Vec<String>,
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
        keys::check_unknown_keys(&ctx, &tree)?;
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
        let agent = agent::check_agent(&ctx, raw.agent, &mut warnings)?;
        let ebpf = ebpf::check_ebpf(&ctx, raw.ebpf)?;
        let events = raw.events.unwrap_or_default();
        let process = events::check_process(&ctx, &events, raw.process, &mut warnings)?;
        let file = events::check_file(&ctx, &events, raw.file, &mut warnings)?;
        let network = events::check_network(&ctx, &events, raw.network, &mut warnings)?;
        let raw_output = raw.output.unwrap_or_default();
        let output = output::check_output(&ctx, &raw_output, &mut warnings)?;
        let legacy_keys = [raw_output.kind.as_ref().map(|k| k.span()), raw_output.path.as_ref().map(|p| p.span())];
        let outputs = outputs::check_outputs(
            &ctx,
            raw.outputs,
            &output.sink,
            &legacy_keys,
            &raw_output.when_full,
            &mut warnings,
        )?;
        let metrics = outputs::check_metrics(&ctx, raw.metrics, &mut warnings)?;
        let ui = ui::check_ui(&ctx, raw.ui, &mut warnings)?;
        let performance = performance::check_performance(&ctx, raw.performance, &mut warnings)?;
        let response = response::check_response(&ctx, raw.response, &agent, &process, &mut warnings)?;
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
            response,
            warnings,
        })
    }
}

/// A listen address as written in `[metrics]`/`[ui]` or on the command
/// line: `"127.0.0.1:9464"`, `"[::1]:9300"`, or a name that resolves
/// locally such as `"localhost:9464"`.
pub fn parse_listen(text: &str) -> Option<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    text.parse().ok().or_else(|| text.to_socket_addrs().ok().and_then(|mut a| a.next()))
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

#[cfg(test)]
mod tests;
