//! The sensor's own accounting, shared by every stage, and the health
//! record that reports it.
//!
//! The invariant the health record lets anyone check: every raw event read
//! from the ring buffer is emitted, filtered, dropped (by reason) or counted
//! invalid — or still in flight between stages, which is zero at shutdown.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use crate::output::{OutputSnapshot, OutputStats};
use crate::record::json::ObjectWriter;

/// Why a record was dropped in userspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// A bounded channel between stages was full and
    /// `[performance].drop_when_full` is true.
    ChannelFull,
    /// Over `[performance].max_events_per_second`.
    RateLimited,
    /// Unused since outputs became plural: each output counts what it could
    /// not deliver (`outputs[].failed`, `outputs[].dropped`). Kept so the
    /// `drops_output_error` key stays in the health record.
    OutputError,
}

impl DropReason {
    pub const ALL: [DropReason; 3] = [DropReason::ChannelFull, DropReason::RateLimited, DropReason::OutputError];

    pub fn name(self) -> &'static str {
        match self {
            DropReason::ChannelFull => "channel_full",
            DropReason::RateLimited => "rate_limited",
            DropReason::OutputError => "output_error",
        }
    }
}

#[derive(Debug, Default)]
pub struct Counters {
    /// Raw records read from the ring buffer.
    pub events_received: AtomicU64,
    /// Telemetry records handed to the outputs (each output then counts
    /// what it sent, failed, dropped or still queues).
    pub events_emitted: AtomicU64,
    pub alerts_emitted: AtomicU64,
    /// Records the config says not to report (watch paths, hooks).
    pub filtered: AtomicU64,
    /// Raw records that failed to decode.
    pub invalid_events: AtomicU64,
    drops: [AtomicU64; 3],
    pub process_table_size: AtomicU64,
    pub process_table_bytes: AtomicU64,
    pub process_table_evictions: AtomicU64,
    pub cgroup_cache_size: AtomicU64,
    pub cgroup_cache_evictions: AtomicU64,
    pub pending_sequences: AtomicU64,
    /// Partially matched sequences whose window ran out.
    pub sequences_expired: AtomicU64,
    /// Partially matched sequences evicted at `max_pending_sequences`.
    pub sequences_evicted: AtomicU64,
    /// Alerts by `action_taken` (docs/response.md).
    pub response_kills: AtomicU64,
    pub response_would_kills: AtomicU64,
    pub response_failures: AtomicU64,
    pub response_protected: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn drop_records(&self, reason: DropReason, n: u64) {
        self.drops[reason as usize].fetch_add(n, Relaxed);
    }

    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize].load(Relaxed)
    }

    pub fn userspace_drops(&self) -> u64 {
        DropReason::ALL.iter().map(|r| self.dropped(*r)).sum()
    }
}

/// Kernel-side counters (the `counters` map), read when a report is made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelCounters {
    pub ringbuf_drops: u64,
    pub stash_drops: u64,
    pub filtered: u64,
    /// SIGKILLs the kernel sent for `[response] deny_exec`.
    pub response_kills: u64,
    /// Deny-list hits the kernel did not kill (dry_run, protected, failed).
    pub response_spared: u64,
}

/// The health record's `response_*` counters: alerts by `action_taken`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseCounts {
    pub kills: u64,
    pub would_kills: u64,
    pub failures: u64,
    pub protected: u64,
}

/// A snapshot in the order the health record lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub uptime_secs: u64,
    pub events_received: u64,
    pub events_emitted: u64,
    pub alerts_emitted: u64,
    pub filtered: u64,
    pub invalid_events: u64,
    pub drops: Vec<(&'static str, u64)>,
    pub userspace_drops: u64,
    pub kernel: KernelCounters,
    pub process_table_size: u64,
    pub process_table_bytes: u64,
    pub process_table_evictions: u64,
    pub cgroup_cache_size: u64,
    pub cgroup_cache_evictions: u64,
    pub pending_sequences: u64,
    pub sequences_expired: u64,
    pub sequences_evicted: u64,
    pub response: ResponseCounts,
    pub rss_kb: u64,
    pub outputs: Vec<OutputSnapshot>,
}

impl Snapshot {
    pub fn take(
        c: &Counters,
        started: Instant,
        kernel: KernelCounters,
        outputs: &[std::sync::Arc<OutputStats>],
    ) -> Snapshot {
        // Read the downstream counters first: a record counted there was
        // counted as received earlier, so in_flight never goes negative.
        let events_emitted = c.events_emitted.load(Relaxed);
        let filtered = c.filtered.load(Relaxed);
        let invalid_events = c.invalid_events.load(Relaxed);
        let drops: Vec<_> = DropReason::ALL.iter().map(|r| (r.name(), c.dropped(*r))).collect();
        let userspace_drops = drops.iter().map(|d| d.1).sum();
        Snapshot {
            uptime_secs: started.elapsed().as_secs(),
            events_received: c.events_received.load(Relaxed),
            events_emitted,
            alerts_emitted: c.alerts_emitted.load(Relaxed),
            filtered,
            invalid_events,
            drops,
            userspace_drops,
            kernel,
            process_table_size: c.process_table_size.load(Relaxed),
            process_table_bytes: c.process_table_bytes.load(Relaxed),
            process_table_evictions: c.process_table_evictions.load(Relaxed),
            cgroup_cache_size: c.cgroup_cache_size.load(Relaxed),
            cgroup_cache_evictions: c.cgroup_cache_evictions.load(Relaxed),
            pending_sequences: c.pending_sequences.load(Relaxed),
            sequences_expired: c.sequences_expired.load(Relaxed),
            sequences_evicted: c.sequences_evicted.load(Relaxed),
            response: ResponseCounts {
                kills: c.response_kills.load(Relaxed),
                would_kills: c.response_would_kills.load(Relaxed),
                failures: c.response_failures.load(Relaxed),
                protected: c.response_protected.load(Relaxed),
            },
            rss_kb: crate::host::rss_kb(),
            outputs: outputs.iter().map(|o| o.snapshot()).collect(),
        }
    }

    /// Records read but not yet emitted, filtered, dropped or invalid.
    pub fn in_flight(&self) -> u64 {
        self.events_received
            .saturating_sub(self.events_emitted + self.filtered + self.userspace_drops + self.invalid_events)
    }

    /// Appends the health record as one NDJSON line.
    pub fn write_json(&self, out: &mut Vec<u8>, host: &str, now_ns: u64, is_final: bool) {
        let mut w = ObjectWriter::begin(out);
        w.str("event_type", "health");
        w.timestamp("timestamp", now_ns);
        w.str("host", host);
        w.u64("uptime_secs", self.uptime_secs);
        w.u64("events_received", self.events_received);
        w.u64("events_emitted", self.events_emitted);
        w.u64("alerts_emitted", self.alerts_emitted);
        w.u64("kernel_drops", self.kernel.ringbuf_drops);
        w.u64("userspace_drops", self.userspace_drops);
        w.u64("filtered", self.filtered);
        w.u64("invalid_events", self.invalid_events);
        w.u64("in_flight", self.in_flight());
        for (name, n) in &self.drops {
            let key = format!("drops_{name}");
            w.u64(&key, *n);
        }
        w.u64("kernel_stash_drops", self.kernel.stash_drops);
        w.u64("kernel_filtered", self.kernel.filtered);
        w.u64("process_table_size", self.process_table_size);
        w.u64("process_table_bytes", self.process_table_bytes);
        w.u64("process_table_evictions", self.process_table_evictions);
        w.u64("cgroup_cache_size", self.cgroup_cache_size);
        w.u64("cgroup_cache_evictions", self.cgroup_cache_evictions);
        w.u64("pending_sequences", self.pending_sequences);
        w.u64("sequences_expired", self.sequences_expired);
        w.u64("sequences_evicted", self.sequences_evicted);
        w.u64("response_kills", self.response.kills);
        w.u64("response_would_kills", self.response.would_kills);
        w.u64("response_failures", self.response.failures);
        w.u64("response_protected", self.response.protected);
        w.u64("kernel_response_kills", self.kernel.response_kills);
        w.u64("kernel_response_spared", self.kernel.response_spared);
        w.u64("rss_kb", self.rss_kb);
        w.object_array("outputs", &self.outputs, |w, o| {
            w.str("name", &o.name);
            w.str("type", o.type_name);
            w.u64("sent", o.sent);
            w.u64("failed", o.failed);
            w.u64("dropped", o.dropped);
            w.u64("queued", o.queued);
            w.u64("spooled", o.spooled);
            w.u64("spool_bytes", o.spool_bytes);
            w.u64("replayed", o.replayed);
            w.u64("spool_dropped", o.spool_dropped);
            w.u64("recovered", o.recovered);
        });
        w.bool("final", is_final);
        w.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_in_the_health_record() {
        let c = Counters::default();
        Counters::add(&c.events_received, 10);
        Counters::add(&c.events_emitted, 5);
        Counters::add(&c.filtered, 2);
        Counters::add(&c.invalid_events, 1);
        c.drop_records(DropReason::ChannelFull, 1);
        let out = std::sync::Arc::new(OutputStats::new("stdout", "stdout"));
        out.queued.fetch_add(3, Relaxed);
        out.sent(2);
        let s = Snapshot::take(&c, Instant::now(), KernelCounters { ringbuf_drops: 7, ..Default::default() }, &[out]);
        assert_eq!(s.in_flight(), 1);
        let mut out = Vec::new();
        s.write_json(&mut out, "h", 0, true);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["event_type"], "health");
        assert_eq!(v["kernel_drops"], 7);
        assert_eq!(v["userspace_drops"], 1);
        assert_eq!(v["drops_channel_full"], 1);
        assert_eq!(
            v["outputs"],
            serde_json::json!([{"name":"stdout","type":"stdout","sent":2,"failed":0,"dropped":0,"queued":1,
                "spooled":0,"spool_bytes":0,"replayed":0,"spool_dropped":0,"recovered":0}])
        );
        let sum = ["events_emitted", "filtered", "userspace_drops", "invalid_events", "in_flight"]
            .iter()
            .map(|k| v[k].as_u64().expect("number"))
            .sum::<u64>();
        assert_eq!(sum, v["events_received"].as_u64().expect("number"));
    }
}
