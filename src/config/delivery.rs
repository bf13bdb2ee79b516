//! Owns how an output delivers when it cannot keep up: `when_full` (in
//! `[output]` and each `[[outputs]]`) and the disk spool of network outputs
//! (`spool`, `spool_dir`, `spool_max_bytes`).

use std::path::PathBuf;

use super::raw::{Opt, RawOutputEntry};
use super::{ConfigError, Ctx};

pub mod defaults {
    /// A network output's spool is `SPOOL_ROOT/<output name>` unless `spool_dir` says.
    pub const SPOOL_ROOT: &str = "/var/lib/rand-guard/spool";
    /// `spool_max_bytes`: 1 GiB.
    pub const SPOOL_MAX_BYTES: i64 = 1 << 30;
    /// The smallest spool: one segment holds at least a few batches.
    pub const SPOOL_MIN_BYTES: i64 = 1 << 20;
}

/// What a full output queue does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Wait for room: the pipeline slows, and the ring buffer (where the
    /// kernel counts any loss) absorbs the difference.
    Block,
    /// Drop the batch for this output and count it.
    Drop,
}

/// The disk spool of a network output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolSpec {
    pub dir: PathBuf,
    pub max_bytes: u64,
}

/// `when_full = "block" | "drop"` at `key`, else `default`.
pub(crate) fn when_full(
    ctx: &Ctx<'_>,
    value: &Opt<String>,
    key: &str,
    default: WhenFull,
) -> Result<WhenFull, ConfigError> {
    ctx.choice(value, key, &[("block", WhenFull::Block), ("drop", WhenFull::Drop)], default)
}

/// The spool of a network output named `name`: on unless `spool = false`
/// (`spool_default` is false for a local syslog socket).
pub(crate) fn spool(
    ctx: &Ctx<'_>,
    e: &RawOutputEntry,
    key: &dyn Fn(&str) -> String,
    name: &str,
    spool_default: bool,
) -> Result<Option<SpoolSpec>, ConfigError> {
    let on = e.spool.as_ref().map_or(spool_default, |s| *s.get_ref());
    if !on {
        for (k, set) in [("spool_dir", e.spool_dir.is_some()), ("spool_max_bytes", e.spool_max_bytes.is_some())] {
            if set {
                let span = e.spool.as_ref().map(|s| s.span());
                return Err(ctx.invalid_at(span, &key(k), "is set but the spool is off (spool = false)"));
            }
        }
        return Ok(None);
    }
    let dir = match &e.spool_dir {
        Some(d) if !d.get_ref().starts_with('/') => {
            return Err(ctx.invalid(d.span(), &key("spool_dir"), "must be an absolute path"));
        }
        Some(d) => PathBuf::from(d.get_ref()),
        None if name.contains('/') || name == "." || name == ".." => {
            let span = e.name.as_ref().map(|n| n.span());
            return Err(ctx.invalid_at(
                span,
                &key("name"),
                "names the default spool directory, so it must not be `.`, `..` or contain `/` (or set spool_dir)",
            ));
        }
        None => PathBuf::from(defaults::SPOOL_ROOT).join(name),
    };
    let max_bytes = ctx.int_in(
        &e.spool_max_bytes,
        &key("spool_max_bytes"),
        defaults::SPOOL_MIN_BYTES..=i64::MAX,
        defaults::SPOOL_MAX_BYTES,
        " (bytes; at least 1 MiB)",
    )?;
    Ok(Some(SpoolSpec { dir, max_bytes: max_bytes.unsigned_abs() }))
}
