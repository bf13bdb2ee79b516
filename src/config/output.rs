//! Owns `[output]`: the seed format's one sink (stdout or an NDJSON file) and how often a health record is written. `[[outputs]]` is `outputs.rs`.

use std::path::PathBuf;
use std::time::Duration;

use super::raw::RawOutput;
use super::{defaults, ConfigError, Ctx};

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

/// Checks `[output]`.
pub(super) fn check_output(
    ctx: &Ctx<'_>,
    output: &RawOutput,
    warnings: &mut Vec<String>,
) -> Result<Output, ConfigError> {
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
            return Err(ctx.invalid_at(
                output.kind.as_ref().map(|k| k.span()),
                "output.type",
                "type = \"file\" needs output.path (the NDJSON file to write)",
            ));
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
    Ok(Output { sink, health_interval: Duration::from_secs(health.unsigned_abs()) })
}
