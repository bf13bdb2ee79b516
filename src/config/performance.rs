//! Owns `[performance]`: rate limit, back-pressure, process-table and channel sizes.

use super::raw::RawPerformance;
use super::{defaults, flag, to_u32, to_usize, ConfigError, Ctx};

/// `[performance]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Performance {
    /// Events per second before dropping; 0 = unlimited.
    pub max_events_per_second: u32,
    /// Drop events when the pipeline is full instead of blocking.
    pub drop_when_full: bool,
    /// Size bound of the process table.
    pub max_process_cache_entries: usize,
    /// Bytes the process table may hold (entries plus their text).
    pub max_process_cache_bytes: usize,
    /// Capacity of the channels between pipeline stages.
    pub channel_capacity: usize,
}

/// Checks `[performance]`.
pub(super) fn check_performance(
    ctx: &Ctx<'_>,
    raw: Option<RawPerformance>,
    warnings: &mut Vec<String>,
) -> Result<Performance, ConfigError> {
    let perf = raw.unwrap_or_default();
    // Legacy (the predecessor's exec-source queue): range-checked as it was,
    // then only noted. The shipped config no longer lists it.
    ctx.int_in(
        &perf.max_pending_exec_sources,
        "performance.max_pending_exec_sources",
        0..=i64::from(u32::MAX),
        defaults::MAX_PENDING_EXEC_SOURCES,
        "",
    )?;
    if let Some(v) = &perf.max_pending_exec_sources {
        warnings.push(ctx.note(
            v.span(),
            "performance.max_pending_exec_sources",
            "has no effect in rand-guard (accepted for compatibility)",
        ));
    }
    Ok(Performance {
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
        max_process_cache_bytes: to_usize(ctx.int_in(
            &perf.max_process_cache_bytes,
            "performance.max_process_cache_bytes",
            defaults::MIN_PROCESS_CACHE_BYTES..=defaults::MAX_MAX_PROCESS_CACHE_BYTES,
            defaults::MAX_PROCESS_CACHE_BYTES,
            "",
        )?),
        channel_capacity: to_usize(ctx.int_in(
            &perf.channel_capacity,
            "performance.channel_capacity",
            defaults::MIN_CHANNEL_CAPACITY..=defaults::MAX_CHANNEL_CAPACITY,
            defaults::CHANNEL_CAPACITY,
            "",
        )?),
    })
}
