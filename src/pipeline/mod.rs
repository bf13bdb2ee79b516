//! The pipeline: kernel → poller → normalize → detect → output, one named
//! thread per stage joined by bounded channels. Shutdown: the poller stops
//! and drains the ring buffer, drops its sender, and each stage finishes
//! its input before dropping its own — nothing read is lost.

pub mod detect;
pub mod normalize;
pub mod output;
pub mod poller;

use std::sync::atomic::Ordering;

use crossbeam_channel::{never, select, Receiver, Sender, TrySendError};
use thiserror::Error;

use crate::config::PathFilter;
use crate::health::{Counters, DropReason};
use crate::record::Record;
use crate::rules::Alert;
use normalize::{Normalizer, Outcome};

#[derive(Debug, Error)]
pub enum StageError {
    #[error("ring buffer: {0}")]
    Ring(libbpf_rs::Error),
    #[error("writing output: {0}")]
    Output(std::io::Error),
}

/// Raw records as the ring buffer delivered them, packed in one buffer.
#[derive(Debug, Default)]
pub struct RawBatch {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl RawBatch {
    pub fn push(&mut self, rec: &[u8]) {
        self.data.extend_from_slice(rec);
        self.ends.push(self.data.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let rec = &self.data[start..end];
            start = end;
            rec
        })
    }
}

/// What travels between two stages: a batch of records, counted by
/// record when it is dropped.
pub trait Batch {
    /// Records in the batch.
    fn records(&self) -> usize;
}

impl Batch for RawBatch {
    fn records(&self) -> usize {
        self.len()
    }
}

impl<T> Batch for Vec<T> {
    fn records(&self) -> usize {
        self.len()
    }
}

/// A record and the alerts it raised; the output writes them together.
#[derive(Debug)]
pub struct Detected {
    pub record: Record,
    pub alerts: Vec<Alert>,
}

/// Sends a batch downstream under the `drop_when_full` policy, counting
/// what is dropped. Returns false when downstream is gone.
pub fn send_batch<B: Batch>(tx: &Sender<B>, batch: B, counters: &Counters, drop_when_full: bool) -> bool {
    let n = batch.records() as u64;
    if n == 0 {
        return true;
    }
    let result = if drop_when_full {
        tx.try_send(batch).map_err(|e| matches!(e, TrySendError::Disconnected(_)))
    } else {
        tx.send(batch).map_err(|_| true)
    };
    match result {
        Ok(()) => true,
        Err(false) => {
            counters.drop_records(DropReason::ChannelFull, n);
            true
        }
        Err(true) => {
            counters.drop_records(DropReason::OutputError, n);
            false
        }
    }
}

/// The next batch from `rx`, after applying every control message (SIGHUP
/// reload) that came before or with it; None once `rx` is closed.
pub fn next_batch<B, C>(rx: &Receiver<B>, ctl: &mut Receiver<C>, mut apply: impl FnMut(C)) -> Option<B> {
    loop {
        select! {
            recv(ctl) -> msg => match msg {
                Ok(m) => apply(m),
                Err(_) => *ctl = never(), // no more reloads
            },
            recv(rx) -> batch => {
                let batch = batch.ok()?;
                ctl.try_iter().for_each(&mut apply);
                return Some(batch);
            }
        }
    }
}

/// Downstream is gone (its thread ended): whatever is still queued, or
/// still arrives until the pipeline stops, can no longer be emitted. Count
/// it as dropped rather than leave it unaccounted.
pub fn drain_as_dropped<B: Batch>(rx: &Receiver<B>, counters: &Counters) {
    for batch in rx.iter() {
        counters.drop_records(DropReason::OutputError, batch.records() as u64);
    }
}

/// Token bucket for `[performance].max_events_per_second` (0 = no limit).
pub struct RateLimit {
    per_sec: u64,
    window_start_ns: u64,
    used: u64,
}

impl RateLimit {
    pub fn new(per_sec: u32) -> RateLimit {
        RateLimit { per_sec: per_sec.into(), window_start_ns: 0, used: 0 }
    }

    /// Whether one more record at kernel time `ns` fits.
    pub fn admit(&mut self, ns: u64) -> bool {
        if self.per_sec == 0 {
            return true;
        }
        if ns.saturating_sub(self.window_start_ns) >= 1_000_000_000 {
            self.window_start_ns = ns;
            self.used = 0;
        }
        self.used += 1;
        self.used <= self.per_sec
    }
}

/// The normalize stage. New file-watch settings sent on `ctl` (SIGHUP
/// reload) apply from the next batch on.
pub fn run_normalize(
    rx: Receiver<RawBatch>,
    tx: Sender<Vec<Record>>,
    mut norm: Normalizer,
    mut limit: RateLimit,
    counters: &Counters,
    drop_when_full: bool,
    mut ctl: Receiver<PathFilter>,
) -> Result<(), StageError> {
    while let Some(batch) = next_batch(&rx, &mut ctl, |paths| norm.set_paths(paths)) {
        let mut out = Vec::with_capacity(batch.len());
        for raw in batch.iter() {
            match norm.normalize(raw) {
                Outcome::Record(r) => {
                    // what the kernel acted on is never rate-limited away
                    let acted = matches!(&r.body, crate::record::Body::Exec(e) if e.response.is_some());
                    if acted || limit.admit(r.timestamp_ns) {
                        out.push(r);
                    } else {
                        counters.drop_records(DropReason::RateLimited, 1);
                    }
                }
                Outcome::Filtered => Counters::add(&counters.filtered, 1),
                Outcome::Invalid(e) => {
                    if counters.invalid_events.fetch_add(1, Ordering::Relaxed) < 10 {
                        crate::log_error!("invalid record from the kernel: {e}");
                    }
                }
            }
        }
        counters.process_table_size.store(norm.table().len() as u64, Ordering::Relaxed);
        counters.process_table_bytes.store(norm.table().bytes() as u64, Ordering::Relaxed);
        counters.process_table_evictions.store(norm.table().evictions(), Ordering::Relaxed);
        counters.cgroup_cache_size.store(norm.context().cache_len() as u64, Ordering::Relaxed);
        counters.cgroup_cache_evictions.store(norm.context().cache_evictions(), Ordering::Relaxed);
        if !send_batch(&tx, out, counters, drop_when_full) {
            drain_as_dropped(&rx, counters);
            break;
        }
    }
    Ok(())
}
