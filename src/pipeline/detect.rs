//! The detect stage: runs the rule engine over each record, in order, and
//! passes the record on with the alerts it raised. A new engine sent on the
//! control channel (SIGHUP reload) replaces the running one between two
//! batches.

use crossbeam_channel::{Receiver, Sender};

use std::sync::atomic::Ordering::Relaxed;

use super::{drain_as_dropped, next_batch, send_batch, Detected, StageError};
use crate::health::Counters;
use crate::record::{ActionTaken, Record};
use crate::rules::response::ResponseAlerts;
use crate::rules::{Alert, Engine};

pub fn run(
    rx: Receiver<Vec<Record>>,
    tx: Sender<Vec<Detected>>,
    mut engine: Engine,
    counters: &Counters,
    drop_when_full: bool,
    mut ctl: Receiver<Engine>,
) -> Result<(), StageError> {
    // Sequence counters of engines replaced by a reload, so health keeps totals.
    let (mut expired, mut evicted) = (0u64, 0u64);
    let responses = ResponseAlerts::default();
    while let Some(batch) = next_batch(&rx, &mut ctl, |new| {
        let s = engine.stats();
        expired += s.sequences_expired;
        evicted += s.sequences_evicted;
        engine = new;
    }) {
        let mut out = Vec::with_capacity(batch.len());
        for mut record in batch {
            let mut alerts = Vec::new();
            engine.process(&mut record, &mut alerts);
            responses.process(&record, &mut alerts);
            count_responses(&alerts, counters);
            out.push(Detected { record, alerts });
        }
        let s = engine.stats();
        counters.pending_sequences.store(s.pending_sequences, Relaxed);
        counters.sequences_expired.store(expired + s.sequences_expired, Relaxed);
        counters.sequences_evicted.store(evicted + s.sequences_evicted, Relaxed);
        if !send_batch(&tx, out, counters, drop_when_full) {
            drain_as_dropped(&rx, counters);
            break;
        }
    }
    Ok(())
}

/// Counts each alert's `action_taken` for the health record.
fn count_responses(alerts: &[Alert], counters: &Counters) {
    for r in alerts.iter().filter_map(|a| a.response.as_ref()) {
        let c = match r.action {
            ActionTaken::Killed => &counters.response_kills,
            ActionTaken::WouldKill => &counters.response_would_kills,
            ActionTaken::KillFailed => &counters.response_failures,
            ActionTaken::Protected => &counters.response_protected,
        };
        Counters::add(c, 1);
    }
}
