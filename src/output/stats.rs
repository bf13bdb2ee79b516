//! Owns one output's counters, shared by the output stage, the output's
//! threads, the health record and metrics.
//!
//! In records that passed the output's filter, at every moment:
//! `accepted + recovered = sent + failed + dropped + queued + spooled`,
//! where `recovered` counts what an earlier run left in the spool.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug)]
pub struct OutputStats {
    pub name: String,
    pub type_name: &'static str,
    /// Delivered (written, or acknowledged by the receiver).
    pub sent: AtomicU64,
    /// Given up after errors (and retries, for network outputs).
    pub failed: AtomicU64,
    /// Refused because the output's queue was full (`when_full = "drop"`),
    /// or lost from a full spool (`spool_dropped`, a part of this).
    pub dropped: AtomicU64,
    /// Accepted and held in memory, not yet sent, spooled or given up.
    pub queued: AtomicU64,
    /// Waiting in the disk spool.
    pub spooled: AtomicU64,
    /// Bytes of the spool's segment files.
    pub spool_bytes: AtomicU64,
    /// Sent from the spool (a part of `sent`).
    pub replayed: AtomicU64,
    /// The oldest spooled records dropped to make room (a part of `dropped`).
    pub spool_dropped: AtomicU64,
    /// Found in the spool at start, left by an earlier run.
    pub recovered: AtomicU64,
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
            spooled: AtomicU64::new(0),
            spool_bytes: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
            spool_dropped: AtomicU64::new(0),
            recovered: AtomicU64::new(0),
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

    /// `n` queued records were written to the spool.
    pub fn moved_to_spool(&self, n: u64) {
        self.spooled.fetch_add(n, Relaxed);
        self.queued.fetch_sub(n, Relaxed);
    }

    /// `n` spooled records were delivered.
    pub fn sent_from_spool(&self, n: u64) {
        self.sent.fetch_add(n, Relaxed);
        self.replayed.fetch_add(n, Relaxed);
        self.spooled.fetch_sub(n, Relaxed);
    }

    /// `n` spooled records were dropped (full spool, or a failed write).
    pub fn spool_drop(&self, n: u64) {
        self.dropped.fetch_add(n, Relaxed);
        self.spool_dropped.fetch_add(n, Relaxed);
        self.spooled.fetch_sub(n, Relaxed);
    }

    pub fn snapshot(&self) -> OutputSnapshot {
        // the holding counters first: a record leaves them only after
        // being counted in a final one
        let queued = self.queued.load(Relaxed);
        let spooled = self.spooled.load(Relaxed);
        OutputSnapshot {
            name: self.name.clone(),
            type_name: self.type_name,
            sent: self.sent.load(Relaxed),
            failed: self.failed.load(Relaxed),
            dropped: self.dropped.load(Relaxed),
            queued,
            spooled,
            spool_bytes: self.spool_bytes.load(Relaxed),
            replayed: self.replayed.load(Relaxed),
            spool_dropped: self.spool_dropped.load(Relaxed),
            recovered: self.recovered.load(Relaxed),
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
    pub spooled: u64,
    pub spool_bytes: u64,
    pub replayed: u64,
    pub spool_dropped: u64,
    pub recovered: u64,
}
