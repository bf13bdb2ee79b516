//! Owns delivery to a network receiver (http, syslog): the output's thread
//! batches lines and hands them to a sender thread, which talks to the
//! receiver, so a slow or dead receiver never stalls the output's queue.
//!
//! With a spool (the default), nothing waits in memory for a receiver that
//! is down or behind: when a delivery fails, or the hand-off is full, the
//! batch in delivery and everything after it go to the spool, in order, and
//! are sent from there (retried for as long as it takes) until it is empty;
//! then lines flow through memory again. Without one, a batch is retried
//! `max_retries` times and then counted as failed, as before spools.
//!
//! Accounting (`OutputStats`): a line stays `queued` while in memory; moving
//! it to the spool makes it `spooled`; sending it makes it `sent` (and
//! `replayed` when it came from the spool); giving it up, `failed`; a full
//! spool's oldest lines become `dropped` and `spool_dropped`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::lines::Lines;
use super::spool::{Spool, Ticket};
use super::{ErrorLog, LineKind, OutputStats, Sink};

/// Batches handed to the sender before the output spools (or, without a
/// spool, waits).
const HANDOFF: usize = 2;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
const IDLE: Duration = Duration::from_millis(200);

/// Why one delivery attempt failed, and whether trying again can help.
#[derive(Debug)]
pub enum Attempt {
    Retry(String),
    GiveUp(String),
}

/// One receiver protocol: delivers a whole batch per call, or says why not.
/// `Ok(n)`: delivered, but for `n` lines it can never send (counted failed).
pub trait Transport: Send + 'static {
    fn send(&mut self, lines: &Lines) -> Result<u64, Attempt>;
}

/// Batching and retry settings of one network output.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub batch_max_records: usize,
    /// How long the first line of a batch waits for more (zero: not at all).
    pub batch_max_wait: Duration,
    /// Without a spool: attempts after the first before a batch is failed.
    pub max_retries: u32,
    pub retry_backoff: Duration,
}

struct State {
    /// Batches handed over in memory, oldest first.
    mem: VecDeque<Lines>,
    /// The in-memory batch being sent; taken back (into the spool, or
    /// failed) when the sender gives up on it or the sensor stops.
    sending: Option<Arc<Lines>>,
    spool: Option<Spool>,
    /// Lines go to the spool (a delivery failed or the sender fell
    /// behind) until it is empty again.
    spooling: bool,
    stop: bool,
}

struct Shared {
    name: String,
    state: Mutex<State>,
    /// Work for the sender, or room/progress for the output's thread.
    wake: Condvar,
    stats: Arc<OutputStats>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // a panic while holding the lock leaves counters, not memory, in doubt
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wait<'a>(&self, g: MutexGuard<'a, State>, d: Duration) -> MutexGuard<'a, State> {
        self.wake.wait_timeout(g, d).map_or_else(|p| p.into_inner().0, |r| r.0)
    }
}

/// The output-thread side of a network output.
pub struct NetSink {
    shared: Arc<Shared>,
    delivery: Delivery,
    transport: Option<Box<dyn Transport>>,
    pending: Lines,
    since: Option<Instant>,
    errors: ErrorLog,
}

impl NetSink {
    /// `spool`, when given, is already open (its recovered lines are sent
    /// first). The sender thread starts with the output's thread, after
    /// the sensor has dropped its capabilities.
    pub fn new(
        name: &str,
        transport: Box<dyn Transport>,
        delivery: Delivery,
        spool: Option<Spool>,
        stats: Arc<OutputStats>,
    ) -> NetSink {
        let spooling = spool.as_ref().is_some_and(|s| !s.is_empty());
        let state = State { mem: VecDeque::new(), sending: None, spool, spooling, stop: false };
        NetSink {
            shared: Arc::new(Shared { name: name.to_owned(), state: Mutex::new(state), wake: Condvar::new(), stats }),
            delivery,
            transport: Some(transport),
            pending: Lines::default(),
            since: None,
            errors: ErrorLog::default(),
        }
    }

    fn start_sender(&mut self) {
        let Some(transport) = self.transport.take() else { return };
        let (shared, delivery) = (self.shared.clone(), self.delivery);
        let name = format!("rg-send-{}", shared.name.chars().take(7).collect::<String>());
        if let Err(e) = thread::Builder::new().name(name).spawn(move || sender(&shared, transport, delivery)) {
            crate::log_error!("output {}: cannot start its sender thread: {e}", self.shared.name);
        }
    }

    /// Hands the pending batch to the sender, or to the spool.
    fn hand_over(&mut self) {
        let mut batch = std::mem::take(&mut self.pending);
        self.since = None;
        let shared = self.shared.clone();
        let mut g = shared.lock();
        loop {
            let State { mem, spool, spooling, .. } = &mut *g;
            match spool {
                Some(spool) if *spooling || mem.len() >= HANDOFF => {
                    *spooling = true;
                    match spool.append(&batch, &shared.stats) {
                        Ok(()) => self.errors.recovered(&shared.name),
                        Err(e) => self.errors.failed(&shared.name, format!("spool: {e}")),
                    }
                    break;
                }
                _ if mem.len() < HANDOFF => {
                    mem.push_back(std::mem::take(&mut batch));
                    break;
                }
                // no spool and the sender is behind: wait, as a sink without one always did
                _ => g = shared.wait(g, IDLE),
            }
        }
        shared.wake.notify_all();
    }

    /// At shutdown: waits for what is in memory to be sent until `until`;
    /// then spools it (or, without a spool, fails it).
    fn drain(&mut self, until: Instant) {
        let shared = self.shared.clone();
        let mut g = shared.lock();
        while (!g.mem.is_empty() || g.sending.is_some()) && !g.spooling && Instant::now() < until {
            g = shared.wait(g, Duration::from_millis(20));
        }
        let mut left = Lines::default();
        if let Some(b) = g.sending.take() {
            left.append(&mut Arc::unwrap_or_clone(b));
        }
        for mut b in g.mem.drain(..) {
            left.append(&mut b);
        }
        match g.spool.as_mut() {
            Some(spool) => {
                if let Err(e) = spool.prepend(&left, &shared.stats).and_then(|()| spool.sync()) {
                    crate::log_error!("output {}: spool: {e}", shared.name);
                }
            }
            None => shared.stats.failed(left.len() as u64),
        }
        shared.wake.notify_all();
    }
}

impl Sink for NetSink {
    fn push(&mut self, line: &[u8], kind: LineKind, _: &OutputStats) {
        self.since.get_or_insert_with(Instant::now);
        self.pending.push(line, kind);
    }

    fn flush(&mut self, _: &OutputStats, until: Option<Instant>) {
        self.start_sender();
        let full = self.pending.len() >= self.delivery.batch_max_records;
        let due = self.since.is_some_and(|t| t.elapsed() >= self.delivery.batch_max_wait);
        if !self.pending.is_empty() && (full || due || until.is_some()) {
            self.hand_over();
        }
        if let Some(spool) = self.shared.lock().spool.as_mut() {
            if let Err(e) = spool.sync_if_due() {
                self.errors.failed(&self.shared.name, format!("spool: {e}"));
            }
        }
        if let Some(until) = until {
            self.drain(until);
        }
    }
}

impl Drop for NetSink {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
    }
}

/// What the sender took to deliver.
enum Work {
    Mem(Arc<Lines>),
    Spool(Ticket),
}

/// The sender thread: memory first (it is older than the spool), then the
/// spool; failures move memory into the spool's front.
fn sender(shared: &Shared, mut transport: Box<dyn Transport>, d: Delivery) {
    let stats = &shared.stats;
    let mut buf = Lines::default();
    let mut backoff = d.retry_backoff;
    let mut errors = ErrorLog::default();
    loop {
        let work = {
            let mut g = shared.lock();
            loop {
                if g.stop {
                    return; // what memory held was spooled or failed by `drain`
                }
                if let Some(b) = g.mem.pop_front() {
                    let b = Arc::new(b);
                    g.sending = Some(b.clone());
                    break Work::Mem(b);
                }
                let read = g.spool.as_mut().map(|s| s.read(d.batch_max_records, &mut buf));
                match read {
                    Some(Ok(Some(t))) => break Work::Spool(t),
                    Some(Err(e)) => errors.failed(&shared.name, format!("spool: reading: {e}")),
                    Some(Ok(None)) | None => {}
                }
                g = shared.wait(g, IDLE);
            }
        };
        match work {
            Work::Mem(batch) => send_from_memory(shared, transport.as_mut(), &batch, d, &mut errors),
            Work::Spool(ticket) => {
                let result = transport.send(&buf);
                let mut g = shared.lock();
                let Some(spool) = g.spool.as_mut() else { return };
                let (acked, wait) = match result {
                    Ok(refused) => {
                        errors.recovered(&shared.name);
                        backoff = d.retry_backoff;
                        (spool.ack(ticket, refused, stats), false)
                    }
                    Err(Attempt::GiveUp(why)) => {
                        errors.failed(&shared.name, why);
                        (spool.ack(ticket, ticket.records(), stats), false)
                    }
                    Err(Attempt::Retry(why)) => {
                        errors.failed(&shared.name, format!("{why}; kept in the spool, retrying"));
                        spool.retry_later(ticket, stats);
                        (Ok(()), true)
                    }
                };
                if let Err(e) = acked {
                    errors.failed(&shared.name, format!("spool: {e}"));
                }
                if spool.is_empty() {
                    g.spooling = false;
                }
                shared.wake.notify_all();
                if wait {
                    // the next attempt after a pause that stopping cuts short
                    let until = Instant::now() + backoff;
                    while !g.stop && Instant::now() < until {
                        g = shared.wait(g, until.saturating_duration_since(Instant::now()));
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// Sends one in-memory batch. With a spool, a retryable failure moves it
/// (and the memory behind it) to the spool's front at once; without, it is
/// retried `max_retries` times, then failed.
fn send_from_memory(
    shared: &Shared,
    transport: &mut dyn Transport,
    batch: &Arc<Lines>,
    d: Delivery,
    errors: &mut ErrorLog,
) {
    let n = batch.len() as u64;
    let mut backoff = d.retry_backoff;
    let mut tries = 0;
    loop {
        let result = transport.send(batch);
        let mut g = shared.lock();
        // taken back at shutdown: its accounting is done there
        if !g.sending.as_ref().is_some_and(|s| Arc::ptr_eq(s, batch)) {
            return;
        }
        let why = match result {
            Ok(refused) => {
                errors.recovered(&shared.name);
                g.sending = None;
                let refused = refused.min(n);
                shared.stats.sent(n - refused);
                shared.stats.failed(refused);
                shared.wake.notify_all();
                return;
            }
            Err(Attempt::GiveUp(why)) => {
                errors.failed(&shared.name, why);
                g.sending = None;
                shared.stats.failed(n);
                shared.wake.notify_all();
                return;
            }
            Err(Attempt::Retry(why)) => why,
        };
        let State { mem, sending, spool, spooling, .. } = &mut *g;
        if let Some(spool) = spool {
            errors.failed(&shared.name, format!("{why}; spooling until it recovers"));
            let mut left = Lines::default();
            if let Some(b) = sending.take() {
                left.append(&mut Arc::unwrap_or_clone(b));
            }
            for mut b in mem.drain(..) {
                left.append(&mut b);
            }
            *spooling = true;
            if let Err(e) = spool.prepend(&left, &shared.stats) {
                errors.failed(&shared.name, format!("spool: {e}"));
            }
            shared.wake.notify_all();
            return;
        }
        if tries >= d.max_retries {
            errors.failed(&shared.name, format!("{why}; gave up after {} attempts", tries + 1));
            *sending = None;
            shared.stats.failed(n);
            shared.wake.notify_all();
            return;
        }
        tries += 1;
        drop(g);
        thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod tests;
