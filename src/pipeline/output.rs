//! The output stage: serializes records and their alerts once per record
//! format the outputs use (`Fanout::formats`), hands each batch to the outputs (`output::Fanout`, which never blocks),
//! and writes health records on a timer and a final one at shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::{Detected, StageError};
use crate::health::{Counters, KernelCounters, Snapshot};
use crate::output::{Batches, Fanout, LineKind, OutputStats};
use crate::record::time::BootClock;
use crate::record::Format;

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
    fn health(&self, stats: &[Arc<OutputStats>], formats: &[Format], is_final: bool) -> Batches {
        let snap = Snapshot::take(self.counters, self.started, (self.kernel)(), stats);
        let now = self.clock.to_wall_ns(BootClock::now_boot_ns());
        let mut line = Vec::with_capacity(2048);
        snap.write_json(&mut line, self.host, now, is_final);
        let mut batches = Batches::default();
        for &f in formats {
            let batch = batches.of(f);
            f.write_health(batch.buf(), &line, self.host, now);
            batch.end_line(LineKind::Health);
        }
        batches
    }

    /// Hands `batches` to the outputs and counts their records as emitted.
    fn dispatch(&self, batches: &mut Batches, pending: &mut (u64, u64)) {
        Counters::add(&self.counters.events_emitted, pending.0);
        Counters::add(&self.counters.alerts_emitted, pending.1);
        *pending = (0, 0);
        self.fanout.dispatch_formats(std::mem::take(batches));
        if self.fanout.fatal() {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    pub fn run(self, rx: Receiver<Vec<Detected>>) -> Result<(), StageError> {
        let stats = self.fanout.stats();
        let formats = self.fanout.formats();
        let mut batch = Batches::default();
        let mut pending = (0u64, 0u64);
        let mut next_health = Instant::now() + self.health_interval;
        loop {
            let timeout = next_health.saturating_duration_since(Instant::now());
            match rx.recv_timeout(timeout) {
                Ok(records) => {
                    for d in records {
                        for &f in &formats {
                            let b = batch.of(f);
                            f.write_record(b.buf(), &d.record);
                            b.end_line(LineKind::Telemetry);
                            for a in &d.alerts {
                                a.write(f, b.buf(), &d.record);
                                b.end_line(LineKind::Alert(a.meta.severity));
                            }
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
                    self.fanout.dispatch_formats(self.health(&stats, &formats, false));
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
        let health = self.health(&stats, &formats, true);
        let fatal = self.fanout.fatal();
        self.fanout.finish(health, Instant::now() + Duration::from_secs(2));
        if fatal {
            return Err(StageError::Output(std::io::Error::other("an output failed (stdout closed?)")));
        }
        Ok(())
    }
}
