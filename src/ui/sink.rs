//! Owns the dashboard's place among the outputs: a sink on its own output
//! thread and bounded queue (`ui` in the health record), so the output
//! stage hands it records like any output and never waits for it.

use std::sync::Arc;
use std::time::Instant;

use super::hub::Hub;
use crate::output::{LineKind, OutputStats, Sink};

pub struct UiSink {
    hub: Arc<Hub>,
}

impl UiSink {
    pub fn new(hub: Arc<Hub>) -> UiSink {
        UiSink { hub }
    }
}

impl Sink for UiSink {
    /// A record is `sent` once the hub holds it (history and viewers'
    /// queues); what each viewer then loses is counted per viewer.
    fn push(&mut self, line: &[u8], kind: LineKind, stats: &OutputStats) {
        self.hub.publish(line, kind);
        stats.sent(1);
    }

    fn flush(&mut self, _: &OutputStats, _: Option<Instant>) {}
}

#[cfg(test)]
mod tests {
    use super::super::hub::Limits;
    use super::*;
    use crate::config::permissions::Policy;
    use crate::output::{Batch, Fanout, Reopen};
    use std::time::Duration;

    #[test]
    fn the_dashboard_is_an_output_with_its_own_accounting() {
        let hub = Arc::new(Hub::new(Limits { history: 100, max_clients: 2, client_buffer: 16 }));
        let viewer = hub.subscribe().expect("viewer");
        let mut opened = Fanout::open(&[], "h", &Reopen::default(), &Policy::off()).expect("no outputs");
        opened.add("ui", "ui", 8, Box::new(UiSink::new(hub.clone())));
        let fanout = opened.start(Default::default()).expect("start");
        let stats = fanout.stats();
        let mut batch = Batch::default();
        for n in 0..5 {
            batch.buf().extend_from_slice(format!("{{\"event_type\":\"file_open\",\"pid\":{n}}}\n").as_bytes());
            batch.end_line(LineKind::Telemetry);
        }
        fanout.dispatch(batch);
        let mut big = Batch::default();
        for _ in 0..10 {
            big.buf().extend_from_slice(b"{}\n");
            big.end_line(LineKind::Telemetry);
        }
        fanout.dispatch(big); // over the queue's 8: dropped whole, for this output
        fanout.finish(Batch::default(), Instant::now() + Duration::from_secs(5));
        let s = stats[0].snapshot();
        assert_eq!((s.name.as_str(), s.type_name), ("ui", "ui"));
        assert_eq!((s.sent, s.failed, s.dropped, s.queued), (5, 0, 10, 0));
        assert_eq!(viewer.rx.len(), 5);
        assert_eq!(viewer.dropped(), 0);
    }
}
