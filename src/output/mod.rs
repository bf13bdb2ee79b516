//! Owns the sinks records are delivered to: one thread and one bounded queue
//! per output. The output stage hands each serialized batch to
//! `Fanout::dispatch`; what a full queue does is the output's `when_full`:
//! `block` (stdout and file by default) waits for room, so backpressure
//! reaches the ring buffer, where the kernel counts any loss; `drop` (network
//! outputs, whose spool absorbs an outage, and the dashboard) drops the batch
//! for that output and counts it. A queue is bounded in records and bytes.
//!
//! Accounting per output: see `stats`.

pub mod dir;
pub mod file;
pub mod filter;
pub mod http;
pub mod lines;
pub mod net;
pub mod spool;
mod stats;
pub mod stdout;
pub mod syslog;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use thiserror::Error;

use crate::config::permissions::Policy;
use crate::config::{OutputSpec, RecordFilter, SinkSpec, WhenFull};
use crate::record::{Format, Severity};
pub use stats::{OutputSnapshot, OutputStats};

/// How often an idle sink thread wakes (reopen requests, http batch timer).
const TICK: Duration = Duration::from_millis(200);
/// Bytes of record lines one output's queue holds at most, whatever its
/// `queue_size` in records: the bound that keeps memory flat under a burst.
pub const QUEUE_BYTES: u64 = 4 << 20;
/// A sink writes out what it holds once this much has come in, even while
/// more is queued.
const FLUSH_BYTES: usize = 1 << 20;
/// How long a blocked dispatch still waits for room once the sensor stops.
const STOP_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("output {name}: cannot open {path}: {err}")]
    Open { name: String, path: String, err: dir::OpenError },
    #[error("output {name}: cannot start its thread: {err}")]
    Thread { name: String, err: io::Error },
    #[error("output {name}: {err}")]
    Spool { name: String, err: spool::SpoolError },
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

    /// How many lines and bytes `filter` lets through.
    pub fn measure(&self, filter: &RecordFilter) -> (u64, u64) {
        if *filter == RecordFilter::ALL {
            return (self.lines.len() as u64, self.data.len() as u64);
        }
        self.iter().filter(|(_, k)| filter.accepts(*k)).fold((0, 0), |(n, b), (l, _)| (n + 1, b + l.len() as u64))
    }
}

/// One batch of records serialized once in each format some output uses
/// (`Fanout::formats`); an output takes the batch of its own format.
#[derive(Debug, Default)]
pub struct Batches {
    by_format: [Option<Batch>; Format::ALL.len()],
}

impl Batches {
    /// The batch of `format`, started when first asked for.
    pub fn of(&mut self, format: Format) -> &mut Batch {
        self.by_format[format.index()].get_or_insert_with(Batch::default)
    }

    /// Lines in the largest batch (they hold the same records).
    pub fn len(&self) -> usize {
        self.by_format.iter().flatten().map(Batch::len).max().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<Batch> for Batches {
    /// `batch` as rand-guard records: outputs of another format get none of it.
    fn from(batch: Batch) -> Batches {
        let mut b = Batches::default();
        b.by_format[Format::RandGuard.index()] = Some(batch);
        b
    }
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
    /// A batch and the bytes of it that pass the output's filter.
    Batch(Arc<Batch>, u64),
    /// Deliver everything queued before this, give up what is not delivered
    /// by the deadline, then answer.
    Drain(Instant, Sender<()>),
}

/// Room in one output's queue: bytes queued, and a wakeup for a dispatch
/// that waits for room (`when_full = "block"`).
#[derive(Debug, Default)]
struct Room {
    bytes: AtomicU64,
    lock: Mutex<()>,
    freed: Condvar,
}

impl Room {
    /// The sink thread took `bytes` out of the queue (or wrote records).
    fn free(&self, bytes: u64) {
        self.bytes.fetch_sub(bytes, Relaxed);
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.freed.notify_all();
    }
}

struct Handle {
    stats: Arc<OutputStats>,
    filter: RecordFilter,
    format: Format,
    capacity: u64,
    when_full: WhenFull,
    room: Arc<Room>,
    tx: Option<Sender<Msg>>,
    fatal: Arc<AtomicBool>,
}

impl Handle {
    /// Whether `n` records of `bytes` fit now. An empty blocking queue
    /// takes any batch, however large: waiting could never make room.
    fn fits(&self, n: u64, bytes: u64) -> bool {
        let queued = self.stats.queued.load(Relaxed);
        (queued == 0 && self.when_full == WhenFull::Block)
            || (queued + n <= self.capacity && self.room.bytes.load(Relaxed) + bytes <= QUEUE_BYTES)
    }

    /// Waits until `n` records of `bytes` fit, the sink is gone or failed,
    /// or `stop_wait` has passed since a wait first saw the sensor stopping.
    fn wait_for_room(&self, n: u64, bytes: u64, fan: &Fanout) {
        let mut g = self.room.lock.lock().unwrap_or_else(|p| p.into_inner());
        while !self.fits(n, bytes) && self.tx.is_some() && !self.fatal.load(Relaxed) {
            if fan.stopping.load(Relaxed) && fan.stop_seen.get_or_init(Instant::now).elapsed() >= fan.stop_wait {
                return;
            }
            g = self.room.freed.wait_timeout(g, Duration::from_millis(100)).map_or_else(|p| p.into_inner().0, |r| r.0);
        }
    }
}

/// The outputs of one sensor run.
pub struct Fanout {
    handles: Vec<Handle>,
    /// Set when the sensor stops: a blocked dispatch then waits at most
    /// `stop_wait` more before it drops.
    stopping: Arc<AtomicBool>,
    stop_wait: Duration,
    stop_seen: OnceLock<Instant>,
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
    stats: Arc<OutputStats>,
    filter: RecordFilter,
    format: Format,
    queue_size: usize,
    when_full: WhenFull,
    sink: Box<dyn Sink>,
}

impl OpenedOutputs {
    /// Adds an output the sensor feeds itself (the dashboard): it gets its
    /// own thread, bounded queue and line in the health record like the
    /// configured ones, and never makes the output stage wait.
    pub fn add(&mut self, name: &str, type_name: &'static str, queue_size: usize, sink: Box<dyn Sink>) {
        self.sinks.push(Opened {
            stats: Arc::new(OutputStats::new(name, type_name)),
            filter: RecordFilter::ALL,
            format: Format::RandGuard,
            queue_size,
            when_full: WhenFull::Drop,
            sink,
        });
    }

    /// Starts every output's thread. Once `stopping` is set, a dispatch
    /// blocked on a full queue gives up after `STOP_WAIT`.
    pub fn start(self, stopping: Arc<AtomicBool>) -> Result<Fanout, OutputError> {
        Fanout::spawn(self.sinks, stopping)
    }
}

impl Fanout {
    /// Opens every output (files and spools now, so a bad path fails at
    /// start); `policy` is StrictModes for the file outputs' directories.
    pub fn open(
        specs: &[OutputSpec],
        host: &str,
        reopen: &Reopen,
        policy: &Policy,
    ) -> Result<OpenedOutputs, OutputError> {
        let mut sinks = Vec::new();
        for spec in specs {
            let stats = Arc::new(OutputStats::new(&spec.name, spec.sink.type_name()));
            let spool = match &spec.spool {
                Some(s) => Some(
                    spool::Spool::open(&s.dir, s.max_bytes, &stats)
                        .map_err(|err| OutputError::Spool { name: spec.name.clone(), err })?,
                ),
                None => None,
            };
            let sink: Box<dyn Sink> = match &spec.sink {
                SinkSpec::Stdout => Box::new(stdout::StdoutSink::new()),
                SinkSpec::File(f) => Box::new(file::FileSink::open(&spec.name, f, reopen.clone(), policy)?),
                SinkSpec::Syslog(s) => Box::new(net::NetSink::new(
                    &spec.name,
                    Box::new(syslog::SyslogTransport::new(s, host)),
                    syslog::DELIVERY,
                    spool,
                    stats.clone(),
                )),
                SinkSpec::Http(h) => Box::new(net::NetSink::new(
                    &spec.name,
                    Box::new(http::HttpTransport::new(h, host)),
                    http::delivery(h),
                    spool,
                    stats.clone(),
                )),
            };
            sinks.push(Opened {
                stats,
                filter: spec.filter,
                format: spec.format,
                queue_size: spec.queue_size,
                when_full: spec.when_full,
                sink,
            });
        }
        Ok(OpenedOutputs { sinks })
    }

    /// Opens every output and starts its thread.
    pub fn start(specs: &[OutputSpec], host: &str, reopen: &Reopen, policy: &Policy) -> Result<Fanout, OutputError> {
        Fanout::open(specs, host, reopen, policy)?.start(Arc::default())
    }

    fn spawn(sinks: Vec<Opened>, stopping: Arc<AtomicBool>) -> Result<Fanout, OutputError> {
        let mut handles = Vec::new();
        for o in sinks {
            let fatal = Arc::new(AtomicBool::new(false));
            let room = Arc::new(Room::default());
            let (tx, rx) = unbounded();
            let (s, f, r, filter, sink) = (o.stats.clone(), fatal.clone(), room.clone(), o.filter, o.sink);
            // Detached, not scoped: a sink stuck forever (a FIFO whose
            // reader stopped reading, a hung peer) must not keep the
            // sensor from exiting.
            thread::Builder::new()
                .name(format!("rg-out-{}", o.stats.name.chars().take(8).collect::<String>()))
                .spawn(move || run_sink(sink, rx, &s, &filter, &f, &r))
                .map_err(|err| OutputError::Thread { name: o.stats.name.clone(), err })?;
            handles.push(Handle {
                stats: o.stats,
                filter: o.filter,
                format: o.format,
                capacity: o.queue_size as u64,
                when_full: o.when_full,
                room,
                tx: Some(tx),
                fatal,
            });
        }
        Ok(Fanout { handles, stopping, stop_wait: STOP_WAIT, stop_seen: OnceLock::new() })
    }

    /// Every output's counters, for the health record and metrics.
    pub fn stats(&self) -> Vec<Arc<OutputStats>> {
        self.handles.iter().map(|h| h.stats.clone()).collect()
    }

    /// The formats the outputs write, each once: what the output stage
    /// serializes every record in.
    pub fn formats(&self) -> Vec<Format> {
        Format::ALL.into_iter().filter(|f| self.handles.iter().any(|h| h.format == *f)).collect()
    }

    /// Queues rand-guard records on every output that takes any of them
    /// (see `dispatch_formats`).
    pub fn dispatch(&self, batch: Batch) {
        self.dispatch_formats(batch.into());
    }

    /// Queues on every output the batch of its format, if it takes any of
    /// it. A full queue makes a `block` output wait for room and a `drop`
    /// output drop the batch (counted).
    pub fn dispatch_formats(&self, batches: Batches) {
        if batches.is_empty() {
            return;
        }
        let batches = batches.by_format.map(|b| b.map(Arc::new));
        for h in &self.handles {
            let Some(batch) = &batches[h.format.index()] else { continue };
            let (n, bytes) = batch.measure(&h.filter);
            if n == 0 {
                continue;
            }
            if h.when_full == WhenFull::Block {
                h.wait_for_room(n, bytes, self);
            }
            // One producer (this thread) adds to `queued`, so checking then
            // adding cannot overshoot the capacity.
            let sent = h.fits(n, bytes)
                && h.tx.as_ref().is_some_and(|tx| {
                    h.stats.queued.fetch_add(n, Relaxed);
                    h.room.bytes.fetch_add(bytes, Relaxed);
                    let ok = tx.send(Msg::Batch(batch.clone(), bytes)).is_ok();
                    if !ok {
                        h.stats.queued.fetch_sub(n, Relaxed);
                        h.room.bytes.fetch_sub(bytes, Relaxed);
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

    /// Waits until every output has delivered (or given up, or spooled)
    /// what it was handed, or `deadline` passes; outputs that are stuck stay
    /// counted as `queued`.
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

    /// Hands `batches` to the outputs, drains them and closes their queues.
    pub fn finish(mut self, batches: impl Into<Batches>, deadline: Instant) {
        self.stopping.store(true, Relaxed);
        self.dispatch_formats(batches.into());
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
    room: &Room,
) {
    let mut unflushed = 0usize;
    loop {
        match rx.recv_timeout(TICK) {
            Ok(Msg::Batch(batch, bytes)) => {
                for (line, kind) in batch.iter() {
                    if filter.accepts(kind) {
                        sink.push(line, kind, stats);
                        unflushed += line.len();
                    }
                }
                drop(batch);
                if rx.is_empty() || unflushed >= FLUSH_BYTES {
                    sink.flush(stats, None);
                    unflushed = 0;
                }
                room.free(bytes);
            }
            Ok(Msg::Drain(deadline, done)) => {
                sink.flush(stats, Some(deadline));
                unflushed = 0;
                room.free(0);
                let _ = done.send(());
            }
            Err(RecvTimeoutError::Timeout) => {
                sink.flush(stats, None);
                unflushed = 0;
                room.free(0);
            }
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
            crate::log_error!("output {name}: {what} (records are counted as failed until it recovers)");
        }
        self.failing = true;
    }

    pub fn recovered(&mut self, name: &str) {
        if self.failing {
            crate::log_info!("output {name}: recovered");
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
mod tests;
