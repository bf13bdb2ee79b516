//! The output stage: serializes records and their alerts as NDJSON once,
//! hands each batch to the outputs (`output::Fanout`, which never blocks),
//! and writes health records on a timer and a final one at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::{Detected, StageError};
use crate::health::{Counters, KernelCounters, Snapshot};
use crate::output::{Batch, Fanout, LineKind, OutputStats};
use crate::record::json::write_record;
use crate::record::time::BootClock;

/// Records gathered before a batch goes out even when more are waiting.
const BATCH_RECORDS: usize = 512;
/// How long the outputs get at shutdown to deliver what they were handed.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Output<'a> {
    pub fanout: Fanout,
    pub host: &'a str,
    pub clock: BootClock,
    pub counters: &'a Counters,
    pub kernel: &'a (dyn Fn() -> KernelCounters + Sync),
    pub started: Instant,
    pub health_interval: Duration,
    /// Set when an output fails fatally (stdout closed), so the sensor stops.
    pub stop: &'a AtomicBool,
}

impl Output<'_> {
    fn health(&self, stats: &[Arc<OutputStats>], is_final: bool) -> Batch {
        let snap = Snapshot::take(self.counters, self.started, (self.kernel)(), stats);
        let now = self.clock.to_wall_ns(BootClock::now_boot_ns());
        let mut batch = Batch::default();
        snap.write_json(batch.buf(), self.host, now, is_final);
        batch.end_line(LineKind::Health);
        batch
    }

    /// Hands `batch` to the outputs and counts its records as emitted.
    fn dispatch(&self, batch: &mut Batch, pending: &mut (u64, u64)) {
        Counters::add(&self.counters.events_emitted, pending.0);
        Counters::add(&self.counters.alerts_emitted, pending.1);
        *pending = (0, 0);
        self.fanout.dispatch(std::mem::take(batch));
        if self.fanout.fatal() {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    pub fn run(self, rx: Receiver<Vec<Detected>>) -> Result<(), StageError> {
        let stats = self.fanout.stats();
        let mut batch = Batch::default();
        let mut pending = (0u64, 0u64);
        let mut next_health = Instant::now() + self.health_interval;
        loop {
            let timeout = next_health.saturating_duration_since(Instant::now());
            match rx.recv_timeout(timeout) {
                Ok(records) => {
                    for d in records {
                        write_record(batch.buf(), &d.record);
                        batch.end_line(LineKind::Telemetry);
                        for a in &d.alerts {
                            a.write_json(batch.buf(), &d.record);
                            batch.end_line(LineKind::Alert(a.meta.severity));
                        }
                        pending.0 += 1;
                        pending.1 += d.alerts.len() as u64;
                    }
                    if batch.len() >= BATCH_RECORDS || rx.is_empty() {
                        self.dispatch(&mut batch, &mut pending);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.dispatch(&mut batch, &mut pending);
                    self.fanout.dispatch(self.health(&stats, false));
                    next_health = Instant::now() + self.health_interval;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.dispatch(&mut batch, &mut pending);
        // The final health record reports what the outputs finally did with
        // every record, so let them deliver (or give up) first.
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        self.fanout.drain(deadline);
        let health = self.health(&stats, true);
        let fatal = self.fanout.fatal();
        self.fanout.finish(health, Instant::now() + Duration::from_secs(2));
        if fatal {
            return Err(StageError::Output(std::io::Error::other("an output failed (stdout closed?)")));
        }
        Ok(())
    }
}
