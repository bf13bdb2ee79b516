//! The detect stage: runs the rule engine over each record, in order, and
//! passes the record on with the alerts it raised. A new engine sent on the
//! control channel (SIGHUP reload) replaces the running one between two
//! batches.

use crossbeam_channel::{Receiver, Sender};

use super::{next_batch, send_batch, Detected, StageError};
use crate::health::Counters;
use crate::record::Record;
use crate::rules::Engine;

pub fn run(
    rx: Receiver<Vec<Record>>,
    tx: Sender<Vec<Detected>>,
    mut engine: Engine,
    counters: &Counters,
    drop_when_full: bool,
    mut ctl: Receiver<Engine>,
) -> Result<(), StageError> {
    while let Some(batch) = next_batch(&rx, &mut ctl, |new| engine = new) {
        let mut out = Vec::with_capacity(batch.len());
        for mut record in batch {
            let mut alerts = Vec::new();
            engine.process(&mut record, &mut alerts);
            out.push(Detected { record, alerts });
        }
        counters.pending_sequences.store(engine.stats().pending_sequences, std::sync::atomic::Ordering::Relaxed);
        if !send_batch(&tx, out, counters, drop_when_full) {
            break;
        }
    }
    Ok(())
}
