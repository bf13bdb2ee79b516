//! The output stage: serializes records and their alerts as NDJSON, writes
//! health records on a timer and a final one at shutdown.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::{Detected, StageError};
use crate::health::{Counters, DropReason, KernelCounters, Snapshot};
use crate::record::json::write_record;
use crate::record::time::BootClock;

/// Bytes buffered before a write even when more records are waiting.
const FLUSH_BYTES: usize = 64 * 1024;

pub struct Output<'a> {
    pub sink: Box<dyn Write + Send + 'a>,
    pub host: &'a str,
    pub clock: BootClock,
    pub counters: &'a Counters,
    pub kernel: &'a (dyn Fn() -> KernelCounters + Sync),
    pub started: Instant,
    pub health_interval: Duration,
    /// Set when the sink fails, so the whole sensor stops.
    pub stop: &'a AtomicBool,
}

impl Output<'_> {
    fn health(&self, buf: &mut Vec<u8>, is_final: bool) {
        let snap = Snapshot::take(self.counters, self.started, (self.kernel)());
        let now = self.clock.to_wall_ns(BootClock::now_boot_ns());
        snap.write_json(buf, self.host, now, is_final);
    }

    /// Writes `buf` out; on failure counts `pending` records as dropped and
    /// asks the sensor to stop.
    fn write_out(&mut self, buf: &mut Vec<u8>, pending: (u64, u64), failed: &mut Option<std::io::Error>) {
        if buf.is_empty() {
            return;
        }
        if failed.is_none() {
            if let Err(e) = self.sink.write_all(buf).and_then(|()| self.sink.flush()) {
                *failed = Some(e);
                self.stop.store(true, Ordering::Relaxed);
            }
        }
        if failed.is_some() {
            self.counters.drop_records(DropReason::OutputError, pending.0);
        } else {
            Counters::add(&self.counters.events_emitted, pending.0);
            Counters::add(&self.counters.alerts_emitted, pending.1);
        }
        buf.clear();
    }

    pub fn run(mut self, rx: Receiver<Vec<Detected>>) -> Result<(), StageError> {
        let mut buf = Vec::with_capacity(2 * FLUSH_BYTES);
        let mut pending = (0u64, 0u64);
        let mut failed: Option<std::io::Error> = None;
        let mut next_health = Instant::now() + self.health_interval;
        loop {
            let timeout = next_health.saturating_duration_since(Instant::now());
            match rx.recv_timeout(timeout) {
                Ok(batch) => {
                    for d in batch {
                        write_record(&mut buf, &d.record);
                        for a in &d.alerts {
                            a.write_json(&mut buf, &d.record);
                        }
                        pending.0 += 1;
                        pending.1 += d.alerts.len() as u64;
                    }
                    if buf.len() >= FLUSH_BYTES || rx.is_empty() {
                        self.write_out(&mut buf, pending, &mut failed);
                        pending = (0, 0);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.write_out(&mut buf, pending, &mut failed);
                    pending = (0, 0);
                    self.health(&mut buf, false);
                    self.write_out(&mut buf, (0, 0), &mut failed);
                    next_health = Instant::now() + self.health_interval;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.write_out(&mut buf, pending, &mut failed);
        self.health(&mut buf, true);
        self.write_out(&mut buf, (0, 0), &mut failed);
        match failed {
            Some(e) => Err(StageError::Output(e)),
            None => Ok(()),
        }
    }
}
