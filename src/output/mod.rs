//! Owns the sinks records are delivered to: one thread and one bounded queue
//! per configured output, so an output that is slow or down never stalls
//! collection or the other outputs. The output stage hands each serialized
//! batch to `Fanout::dispatch`, which never blocks: a full queue drops the
//! batch for that output and counts it.
//!
//! Accounting per output, in records that passed its filter:
//! `accepted = sent + failed + dropped + queued` at every moment.

pub mod file;
pub mod filter;
pub mod http;
pub mod stdout;
pub mod syslog;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use thiserror::Error;

use crate::config::{OutputSpec, RecordFilter, SinkSpec};
use crate::rules::model::Severity;

/// How often an idle sink thread wakes (reopen requests, http batch timer).
const TICK: Duration = Duration::from_millis(200);

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("output {name}: cannot open {path}: {err}")]
    Open { name: String, path: String, err: io::Error },
    #[error("output {name}: cannot start its thread: {err}")]
    Thread { name: String, err: io::Error },
}

/// What a line is, for filters and syslog severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Telemetry,
    Alert(Severity),
    Health,
}

/// Serialized records, one NDJSON line each, shared by every output.
#[derive(Debug, Default)]
pub struct Batch {
    data: Vec<u8>,
    lines: Vec<(usize, LineKind)>,
}

impl Batch {
    /// The buffer to serialize the next line into; close it with `end_line`.
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Marks everything since the last line as one line of `kind`.
    pub fn end_line(&mut self, kind: LineKind) {
        self.lines.push((self.data.len(), kind));
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Each line (with its newline) and its kind.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], LineKind)> {
        let mut start = 0;
        self.lines.iter().map(move |&(end, kind)| {
            let line = &self.data[start..end];
            start = end;
            (line, kind)
        })
    }

    /// How many lines `filter` lets through.
    pub fn count(&self, filter: &RecordFilter) -> u64 {
        self.lines.iter().filter(|(_, k)| filter.accepts(*k)).count() as u64
    }
}

/// One output's counters, shared with the health record and metrics.
#[derive(Debug)]
pub struct OutputStats {
    pub name: String,
    pub type_name: &'static str,
    /// Delivered (written, or acknowledged by the receiver).
    pub sent: AtomicU64,
    /// Given up after errors (and retries, for http).
    pub failed: AtomicU64,
    /// Refused because the output's queue was full.
    pub dropped: AtomicU64,
    /// Accepted and not yet sent or given up.
    pub queued: AtomicU64,
}

impl OutputStats {
    pub fn new(name: &str, type_name: &'static str) -> OutputStats {
        OutputStats {
            name: name.to_owned(),
            type_name,
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            queued: AtomicU64::new(0),
        }
    }

    /// `n` queued records were delivered.
    pub fn sent(&self, n: u64) {
        self.sent.fetch_add(n, Relaxed);
        self.queued.fetch_sub(n, Relaxed);
    }

    /// `n` queued records were given up.
    pub fn failed(&self, n: u64) {
        self.failed.fetch_add(n, Relaxed);
        self.queued.fetch_sub(n, Relaxed);
    }

    pub fn snapshot(&self) -> OutputSnapshot {
        // queued first: a record leaves it only after being counted elsewhere.
        let queued = self.queued.load(Relaxed);
        OutputSnapshot {
            name: self.name.clone(),
            type_name: self.type_name,
            sent: self.sent.load(Relaxed),
            failed: self.failed.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            queued,
        }
    }
}

/// One output's counters at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSnapshot {
    pub name: String,
    pub type_name: &'static str,
    pub sent: u64,
    pub failed: u64,
    pub dropped: u64,
    pub queued: u64,
}

/// A destination for record lines, driven by its own thread.
pub trait Sink: Send {
    /// Takes one line (newline included) that passed the output's filter.
    fn push(&mut self, line: &[u8], kind: LineKind, stats: &OutputStats);
    /// Delivers what is due (all of it when `until` is set: the sensor is
    /// stopping and anything not delivered by then is given up), counting
    /// each record as sent or failed. Also called on every idle tick.
    fn flush(&mut self, stats: &OutputStats, until: Option<Instant>);
    /// Whether the sink failed in a way that should stop the sensor (stdout
    /// closed: nobody reads the records any more).
    fn fatal(&self) -> bool {
        false
    }
}

enum Msg {
    Batch(Arc<Batch>),
    /// Deliver everything queued before this, give up what is not delivered
    /// by the deadline, then answer.
    Drain(Instant, Sender<()>),
}

struct Handle {
    stats: Arc<OutputStats>,
    filter: RecordFilter,
    capacity: u64,
    tx: Option<Sender<Msg>>,
    fatal: Arc<AtomicBool>,
}

/// The outputs of one sensor run.
pub struct Fanout {
    handles: Vec<Handle>,
}

/// Shared state the sinks read: the SIGHUP generation for file reopening.
#[derive(Clone, Debug, Default)]
pub struct Reopen(Arc<AtomicU64>);

impl Reopen {
    /// Asks every file output to reopen its file (logrotate's SIGHUP).
    pub fn request(&self) {
        self.0.fetch_add(1, Relaxed);
    }

    pub fn generation(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// Every output opened, no thread started yet: the sensor opens outputs
/// before loading anything (a bad path fails early) but starts their
/// threads only after dropping capabilities, which capset(2) does per
/// thread.
pub struct OpenedOutputs {
    sinks: Vec<Opened>,
}

/// One output ready to start: what its thread and queue need.
struct Opened {
    name: String,
    type_name: &'static str,
    filter: RecordFilter,
    queue_size: usize,
    sink: Box<dyn Sink>,
}

impl OpenedOutputs {
    /// Adds an output the sensor feeds itself (the dashboard): it gets its
    /// own thread, bounded queue and line in the health record like the
    /// configured ones.
    pub fn add(&mut self, name: &str, type_name: &'static str, queue_size: usize, sink: Box<dyn Sink>) {
        self.sinks.push(Opened { name: name.to_owned(), type_name, filter: RecordFilter::ALL, queue_size, sink });
    }

    /// Starts every output's thread.
    pub fn start(self) -> Result<Fanout, OutputError> {
        Fanout::spawn(self.sinks)
    }
}

impl Fanout {
    /// Opens every output (files now, so a bad path fails at start).
    pub fn open(specs: &[OutputSpec], host: &str, reopen: &Reopen) -> Result<OpenedOutputs, OutputError> {
        let mut sinks = Vec::new();
        for spec in specs {
            let sink: Box<dyn Sink> = match &spec.sink {
                SinkSpec::Stdout => Box::new(stdout::StdoutSink::new()),
                SinkSpec::File(f) => Box::new(file::FileSink::open(&spec.name, f, reopen.clone())?),
                SinkSpec::Syslog(s) => Box::new(syslog::SyslogSink::new(&spec.name, s, host)),
                SinkSpec::Http(h) => Box::new(http::HttpSink::new(&spec.name, h, host)),
            };
            sinks.push(Opened {
                name: spec.name.clone(),
                type_name: spec.sink.type_name(),
                filter: spec.filter,
                queue_size: spec.queue_size,
                sink,
            });
        }
        Ok(OpenedOutputs { sinks })
    }

    /// Opens every output and starts its thread.
    pub fn start(specs: &[OutputSpec], host: &str, reopen: &Reopen) -> Result<Fanout, OutputError> {
        Fanout::open(specs, host, reopen)?.start()
    }

    fn spawn(sinks: Vec<Opened>) -> Result<Fanout, OutputError> {
        let mut handles = Vec::new();
        for o in sinks {
            let stats = Arc::new(OutputStats::new(&o.name, o.type_name));
            let fatal = Arc::new(AtomicBool::new(false));
            let (tx, rx) = unbounded();
            let (s, f, filter, sink) = (stats.clone(), fatal.clone(), o.filter, o.sink);
            // Detached, not scoped: a sink stuck forever (a FIFO nobody
            // reads, a hung peer) must not keep the sensor from exiting.
            thread::Builder::new()
                .name(format!("rg-out-{}", o.name.chars().take(8).collect::<String>()))
                .spawn(move || run_sink(sink, rx, &s, &filter, &f))
                .map_err(|err| OutputError::Thread { name: o.name.clone(), err })?;
            handles.push(Handle { stats, filter: o.filter, capacity: o.queue_size as u64, tx: Some(tx), fatal });
        }
        Ok(Fanout { handles })
    }

    /// Every output's counters, for the health record and metrics.
    pub fn stats(&self) -> Vec<Arc<OutputStats>> {
        self.handles.iter().map(|h| h.stats.clone()).collect()
    }

    /// Queues `batch` on every output that takes any of it; never blocks.
    pub fn dispatch(&self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        let batch = Arc::new(batch);
        for h in &self.handles {
            let n = batch.count(&h.filter);
            if n == 0 {
                continue;
            }
            // One producer (this thread) adds to `queued`, so checking then
            // adding cannot overshoot the capacity.
            let queued = h.stats.queued.load(Relaxed);
            let sent = queued + n <= h.capacity
                && h.tx.as_ref().is_some_and(|tx| {
                    h.stats.queued.fetch_add(n, Relaxed);
                    let ok = tx.send(Msg::Batch(batch.clone())).is_ok();
                    if !ok {
                        h.stats.queued.fetch_sub(n, Relaxed);
                    }
                    ok
                });
            if !sent {
                h.stats.dropped.fetch_add(n, Relaxed);
            }
        }
    }

    /// Whether an output failed so that the sensor should stop.
    pub fn fatal(&self) -> bool {
        self.handles.iter().any(|h| h.fatal.load(Relaxed))
    }

    /// Waits until every output has delivered (or given up) what it was
    /// handed, or `deadline` passes; outputs that are stuck stay counted
    /// as `queued`.
    pub fn drain(&self, deadline: Instant) {
        let mut waiting = Vec::new();
        for h in &self.handles {
            let (tx, rx) = crossbeam_channel::bounded(1);
            if h.tx.as_ref().is_some_and(|t| t.send(Msg::Drain(deadline, tx)).is_ok()) {
                waiting.push(rx);
            }
        }
        for rx in waiting {
            let _ = rx.recv_timeout(deadline.saturating_duration_since(Instant::now()) + TICK);
        }
    }

    /// Hands `batch` to the outputs, drains them and closes their queues.
    pub fn finish(mut self, batch: Batch, deadline: Instant) {
        self.dispatch(batch);
        self.drain(deadline);
        for h in &mut self.handles {
            h.tx = None;
        }
    }
}

fn run_sink(
    mut sink: Box<dyn Sink>,
    rx: Receiver<Msg>,
    stats: &OutputStats,
    filter: &RecordFilter,
    fatal: &AtomicBool,
) {
    loop {
        match rx.recv_timeout(TICK) {
            Ok(Msg::Batch(batch)) => {
                for (line, kind) in batch.iter() {
                    if filter.accepts(kind) {
                        sink.push(line, kind, stats);
                    }
                }
                if rx.is_empty() {
                    sink.flush(stats, None);
                }
            }
            Ok(Msg::Drain(deadline, done)) => {
                sink.flush(stats, Some(deadline));
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => sink.flush(stats, None),
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if sink.fatal() {
            fatal.store(true, Relaxed);
        }
    }
}

/// Reports a sink's failure on stderr once per streak of failures, so a
/// receiver that is down does not flood the journal.
#[derive(Debug, Default)]
pub struct ErrorLog {
    failing: bool,
}

impl ErrorLog {
    pub fn failed(&mut self, name: &str, what: impl std::fmt::Display) {
        if !self.failing {
            eprintln!("rand-guard: output {name}: {what} (records are counted as failed until it recovers)");
        }
        self.failing = true;
    }

    pub fn recovered(&mut self, name: &str) {
        if self.failing {
            eprintln!("rand-guard: output {name}: recovered");
        }
        self.failing = false;
    }
}

/// Buffered record lines waiting for a write, with their count.
#[derive(Debug, Default)]
pub struct Pending {
    pub buf: Vec<u8>,
    pub records: u64,
    /// End offset of each line in `buf`.
    pub ends: Vec<usize>,
}

impl Pending {
    pub fn push(&mut self, line: &[u8]) {
        self.buf.extend_from_slice(line);
        self.records += 1;
        self.ends.push(self.buf.len());
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
        self.records = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RecordKinds;

    struct Slow(Arc<AtomicBool>);
    impl Sink for Slow {
        fn push(&mut self, _: &[u8], _: LineKind, stats: &OutputStats) {
            while !self.0.load(Relaxed) {
                thread::sleep(Duration::from_millis(5));
            }
            stats.sent(1);
        }
        fn flush(&mut self, _: &OutputStats, _: Option<Instant>) {}
    }

    fn batch(kinds: &[LineKind]) -> Batch {
        let mut b = Batch::default();
        for k in kinds {
            b.buf().extend_from_slice(b"{}\n");
            b.end_line(*k);
        }
        b
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_blocking() {
        let release = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(OutputStats::new("slow", "test"));
        let (tx, rx) = unbounded();
        let (s, r) = (stats.clone(), release.clone());
        let t = thread::spawn(move || {
            run_sink(Box::new(Slow(r)), rx, &s, &RecordFilter::ALL, &AtomicBool::new(false));
        });
        let fan = Fanout {
            handles: vec![Handle {
                stats: stats.clone(),
                filter: RecordFilter::ALL,
                capacity: 10,
                tx: Some(tx),
                fatal: Arc::default(),
            }],
        };
        let start = Instant::now();
        for _ in 0..5 {
            fan.dispatch(batch(&[LineKind::Telemetry; 4]));
        }
        assert!(start.elapsed() < Duration::from_secs(1), "dispatch blocked");
        let s = stats.snapshot();
        assert_eq!((s.queued, s.dropped), (8, 12));
        release.store(true, Relaxed);
        fan.finish(Batch::default(), Instant::now() + Duration::from_secs(5));
        t.join().unwrap();
        let s = stats.snapshot();
        assert_eq!((s.sent, s.failed, s.dropped, s.queued), (8, 0, 12, 0));
    }

    #[test]
    fn filtered_lines_are_not_counted() {
        let b = batch(&[LineKind::Telemetry, LineKind::Alert(Severity::Low), LineKind::Alert(Severity::High)]);
        let alerts = RecordFilter { records: RecordKinds::Alerts, min_severity: Severity::Medium, health: false };
        assert_eq!(b.count(&alerts), 1);
        assert_eq!(b.count(&RecordFilter::ALL), 3);
    }
}
