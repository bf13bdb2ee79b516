//! The poller: drains the ring buffer and hands raw records, batched, to
//! normalization. It only copies bytes and sends; everything else happens
//! downstream.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use libbpf_rs::{MapHandle, RingBufferBuilder};

use super::{RawBatch, StageError};
use crate::health::{Counters, DropReason};

/// Records per batch: amortizes channel hand-offs under load while a
/// lone record still goes out at once (a batch is sent after every poll).
const BATCH_RECORDS: usize = 256;
/// The kernel wakes the poller only when 64 KiB are waiting
/// (bpf/record.bpf.h), so this timeout is the most a quiet host's record
/// waits before it is read.
const POLL_TIMEOUT: Duration = Duration::from_millis(20);

struct Batcher<'a> {
    batch: RawBatch,
    tx: &'a Sender<RawBatch>,
    counters: &'a Counters,
    drop_when_full: bool,
    disconnected: bool,
}

impl Batcher<'_> {
    fn push(&mut self, rec: &[u8]) {
        Counters::add(&self.counters.events_received, 1);
        self.batch.push(rec);
        if self.batch.len() >= BATCH_RECORDS {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let n = batch.len() as u64;
        let result = if self.drop_when_full {
            self.tx.try_send(batch).map_err(|e| matches!(e, TrySendError::Disconnected(_)))
        } else {
            self.tx.send(batch).map_err(|_| true)
        };
        match result {
            Ok(()) => {}
            Err(false) => self.counters.drop_records(DropReason::ChannelFull, n),
            Err(true) => {
                // downstream is gone: nothing can emit these any more
                self.disconnected = true;
                self.counters.drop_records(DropReason::OutputError, n);
            }
        }
    }
}

/// Polls until `stop` is set, then calls `detach` so no new records are
/// produced, drains what the ring buffer still holds and returns; dropping
/// `tx` tells normalization that no more is coming.
pub fn run(
    ring: &MapHandle,
    tx: Sender<RawBatch>,
    counters: &Counters,
    stop: &AtomicBool,
    drop_when_full: bool,
    detach: impl FnOnce(),
) -> Result<(), StageError> {
    let batcher =
        RefCell::new(Batcher { batch: RawBatch::default(), tx: &tx, counters, drop_when_full, disconnected: false });
    let mut builder = RingBufferBuilder::new();
    builder
        .add(ring, |rec: &[u8]| {
            batcher.borrow_mut().push(rec);
            0
        })
        .map_err(StageError::Ring)?;
    let rb = builder.build().map_err(StageError::Ring)?;

    while !stop.load(Ordering::Relaxed) && !batcher.borrow().disconnected {
        // EINTR is not an error here; anything else is.
        if let Err(e) = rb.poll(POLL_TIMEOUT) {
            if e.kind() != libbpf_rs::ErrorKind::Interrupted {
                return Err(StageError::Ring(e));
            }
        }
        // poll() only reads a ring epoll reported, and the kernel skips the
        // wakeup for small amounts: read whatever is there either way.
        rb.consume().map_err(StageError::Ring)?;
        batcher.borrow_mut().flush();
    }
    detach();
    // Whatever the kernel wrote before the detach is read and passed on.
    rb.consume().map_err(StageError::Ring)?;
    batcher.borrow_mut().flush();
    Ok(())
}
