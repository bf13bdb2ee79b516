//! The poller: drains the ring buffer and hands raw records, batched, to
//! normalization. It only copies bytes and sends; everything else happens
//! downstream.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use libbpf_rs::{MapHandle, RingBufferBuilder};

use super::{send_batch, RawBatch, StageError};
use crate::health::Counters;

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
        let batch = std::mem::take(&mut self.batch);
        if !send_batch(self.tx, batch, self.counters, self.drop_when_full) {
            // downstream is gone: nothing can emit these any more
            self.disconnected = true;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::DropReason;
    use crossbeam_channel::bounded;

    fn batcher<'a>(tx: &'a Sender<RawBatch>, counters: &'a Counters, drop_when_full: bool) -> Batcher<'a> {
        Batcher { batch: RawBatch::default(), tx, counters, drop_when_full, disconnected: false }
    }

    #[test]
    fn a_full_channel_drops_the_batch_as_channel_full_and_goes_on() {
        let (tx, rx) = bounded(1);
        let counters = Counters::default();
        let mut b = batcher(&tx, &counters, true);
        b.flush(); // nothing to send: nothing sent, nothing counted
        assert!(rx.is_empty());
        for n in [2, 3] {
            for _ in 0..n {
                b.push(b"rec");
            }
            b.flush();
        }
        assert_eq!(rx.try_recv().expect("the first batch").len(), 2);
        assert_eq!(counters.dropped(DropReason::ChannelFull), 3);
        assert_eq!(counters.dropped(DropReason::OutputError), 0);
        assert!(!b.disconnected && b.batch.is_empty());
        assert_eq!(counters.events_received.load(Ordering::Relaxed), 5);
    }

    #[test]
    fn a_closed_channel_drops_the_batch_as_output_error_and_stops() {
        for drop_when_full in [true, false] {
            let (tx, rx) = bounded(4);
            drop(rx);
            let counters = Counters::default();
            let mut b = batcher(&tx, &counters, drop_when_full);
            b.push(b"rec");
            b.flush();
            assert!(b.disconnected, "drop_when_full={drop_when_full}");
            assert_eq!(counters.dropped(DropReason::OutputError), 1);
            assert_eq!(counters.dropped(DropReason::ChannelFull), 0);
        }
    }
}
