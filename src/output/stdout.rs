//! Owns the stdout output: NDJSON lines written in batches. A write error
//! (the reader went away) is fatal: the sensor stops, as before outputs
//! became plural.

use std::io::Write;
use std::time::Instant;

use super::{LineKind, OutputStats, Pending, Sink};

pub struct StdoutSink {
    pending: Pending,
    broken: bool,
}

impl StdoutSink {
    pub fn new() -> StdoutSink {
        StdoutSink { pending: Pending::default(), broken: false }
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        StdoutSink::new()
    }
}

impl Sink for StdoutSink {
    fn push(&mut self, line: &[u8], _: LineKind, _: &OutputStats) {
        self.pending.push(line);
    }

    fn flush(&mut self, stats: &OutputStats, _: Option<Instant>) {
        if self.pending.records == 0 {
            return;
        }
        if !self.broken {
            let mut out = std::io::stdout().lock();
            if out.write_all(&self.pending.buf).and_then(|()| out.flush()).is_err() {
                self.broken = true;
            }
        }
        if self.broken {
            stats.failed(self.pending.records);
        } else {
            stats.sent(self.pending.records);
        }
        self.pending.clear();
    }

    fn fatal(&self) -> bool {
        self.broken
    }
}
