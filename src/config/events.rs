//! Owns the three event categories: `[events]` with `[process]`, `[file]` and `[network]` — whether each is on, its hooks, and the file path filter.

use super::hooks::{FileHook, NetHook, ProcessHook};
use super::path_filter::{self, PathFilter};
use super::raw::{RawEvents, RawFile, RawNetwork, RawProcess};
use super::{defaults, flag, ConfigError, Ctx};

/// `[process]` (with `events.process`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSettings {
    /// `events.process && process.enabled`.
    pub enabled: bool,
    /// The hooks to attach, in canonical order, without duplicates.
    pub hooks: Vec<ProcessHook>,
    /// `exe_sha256` is computed for executables of at most this many
    /// bytes; 0: never (no hashing thread).
    pub hash_max_bytes: u64,
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

/// Checks `[process]`; `events.process` must also be on.
pub(super) fn check_process(
    ctx: &Ctx<'_>,
    events: &RawEvents,
    raw: Option<RawProcess>,
    warnings: &mut Vec<String>,
) -> Result<ProcessSettings, ConfigError> {
    let process = raw.unwrap_or_default();
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
    ctx.refuse_true(&process.collect_env, "process.collect_env", "collecting process environments is not supported")?;
    Ok(ProcessSettings {
        enabled: flag(&events.process, defaults::PROCESS_ENABLED) && flag(&process.enabled, defaults::PROCESS_ENABLED),
        hooks: ctx.hooks(&process.hooks, "process.hooks", warnings)?,
        hash_max_bytes: u64::try_from(ctx.int_in(
            &process.hash_max_bytes,
            "process.hash_max_bytes",
            0..=defaults::MAX_HASH_MAX_BYTES,
            defaults::HASH_MAX_BYTES,
            "",
        )?)
        .unwrap_or(0),
    })
}

/// Checks `[file]`; `events.file` must also be on.
pub(super) fn check_file(
    ctx: &Ctx<'_>,
    events: &RawEvents,
    raw: Option<RawFile>,
    warnings: &mut Vec<String>,
) -> Result<FileSettings, ConfigError> {
    let file = raw.unwrap_or_default();
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
    let filter = PathFilter::new(&watch_paths, &watch_patterns, &exclude_paths)
        .map_err(|message| ctx.invalid_at(None, "file", &message))?;
    Ok(FileSettings {
        enabled: flag(&events.file, defaults::FILE_ENABLED) && flag(&file.enabled, defaults::FILE_ENABLED),
        hooks: ctx.hooks(&file.hooks, "file.hooks", warnings)?,
        filter,
    })
}

/// Checks `[network]`; `events.network` must also be on (both default off).
pub(super) fn check_network(
    ctx: &Ctx<'_>,
    events: &RawEvents,
    raw: Option<RawNetwork>,
    warnings: &mut Vec<String>,
) -> Result<NetworkSettings, ConfigError> {
    let network = raw.unwrap_or_default();
    ctx.refuse_true(&network.collect_dns, "network.collect_dns", "DNS collection is not supported")?;
    ctx.refuse_true(&network.collect_payload, "network.collect_payload", "payload collection is not supported")?;
    Ok(NetworkSettings {
        enabled: flag(&events.network, defaults::NETWORK_ENABLED) && flag(&network.enabled, defaults::NETWORK_ENABLED),
        hooks: ctx.hooks(&network.hooks, "network.hooks", warnings)?,
    })
}
