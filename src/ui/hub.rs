//! Owns what the dashboard serves live: the bounded history a new viewer
//! is shown first, every connected viewer's bounded queue (a viewer that
//! falls behind loses records, counted for it, and never slows anyone
//! else), the pairing of each alert with its source record, and the
//! process index the process view reads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};

use super::frame::one_line;
use super::index::{Fields, ProcessIndex};
use crate::output::LineKind;

/// One thing a viewer is sent, as its SSE event name and data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A telemetry record's JSON line, exactly as the outputs get it.
    Record(Arc<str>),
    /// `{"alert": <alert>, "source": <source record or null>}`.
    Alert(Arc<str>),
    /// A health record's JSON line.
    Health(Arc<str>),
}

impl Item {
    /// The SSE `event:` name.
    pub fn event(&self) -> &'static str {
        match self {
            Item::Record(_) => "record",
            Item::Alert(_) => "alert",
            Item::Health(_) => "health",
        }
    }

    /// The SSE `data:`, one line of JSON.
    pub fn data(&self) -> &str {
        match self {
            Item::Record(d) | Item::Alert(d) | Item::Health(d) => d,
        }
    }
}

/// The history's byte bound: `[ui] history` records, but never more than
/// this many bytes of them (a record with a 4 KiB command line and its args
/// is ~9 KB, so 5000 of them would be 45 MB).
pub const HISTORY_MAX_BYTES: usize = 4 << 20;

/// The bounds from `[ui]`.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub history: usize,
    pub max_clients: usize,
    pub client_buffer: usize,
}

#[derive(Debug)]
pub struct Hub {
    limits: Limits,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    history: VecDeque<Item>,
    /// Sum of the history's data lengths.
    history_bytes: usize,
    viewers: Vec<Viewer>,
    next_id: u64,
    index: ProcessIndex,
    /// The last telemetry record published, the source of the alerts that
    /// follow it (records.md: alert records follow their source record).
    last_record: Option<Source>,
}

#[derive(Debug)]
struct Source {
    line: Arc<str>,
    pid: Option<u32>,
    event_type: String,
}

#[derive(Debug)]
struct Viewer {
    id: u64,
    tx: Sender<Item>,
    dropped: Arc<AtomicU64>,
}

/// A connected viewer: what to replay, then its live queue. Dropping it
/// frees its place.
#[derive(Debug)]
pub struct Client {
    hub: Arc<Hub>,
    id: u64,
    /// The history at the moment it connected, oldest first; the live
    /// queue continues exactly where this ends.
    pub replay: Vec<Item>,
    pub rx: Receiver<Item>,
    dropped: Arc<AtomicU64>,
}

impl Client {
    /// Records this viewer lost because its queue was full, so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.hub.lock().viewers.retain(|v| v.id != self.id);
    }
}

impl Hub {
    pub fn new(limits: Limits) -> Hub {
        Hub::with_index(limits, ProcessIndex::default())
    }

    pub fn with_index(limits: Limits, index: ProcessIndex) -> Hub {
        Hub {
            limits,
            state: Mutex::new(State {
                history: VecDeque::with_capacity(limits.history.min(4096)),
                history_bytes: 0,
                viewers: Vec::new(),
                next_id: 0,
                index,
                last_record: None,
            }),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state usable (bounded
        // collections, no invariant spanning two of them that matters).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one NDJSON line (newline included or not) from the output
    /// stage: indexes it, keeps it in the history and queues it for every
    /// viewer, counting it as dropped for each viewer whose queue is full.
    pub fn publish(&self, line: &[u8], kind: LineKind) {
        let line = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(line));
        let line = one_line(&line);
        let fields = match kind {
            LineKind::Health => None,
            _ => serde_json::from_str::<Fields>(&line).ok(),
        };
        let line: Arc<str> = Arc::from(line.as_ref());
        let mut st = self.lock();
        let item = match kind {
            LineKind::Health => Item::Health(line),
            LineKind::Telemetry => {
                let f = fields.unwrap_or_default();
                st.index.observe(&f, &line);
                st.last_record = Some(Source { line: line.clone(), pid: f.pid, event_type: f.event_type });
                Item::Record(line)
            }
            LineKind::Alert(_) => {
                let f = fields.unwrap_or_default();
                st.index.observe(&f, &line);
                let source = st
                    .last_record
                    .as_ref()
                    .filter(|s| s.pid == f.pid && f.source_event_type.as_deref().is_none_or(|t| t == s.event_type));
                let source = source.map_or("null", |s| &s.line);
                Item::Alert(Arc::from(format!("{{\"alert\":{line},\"source\":{source}}}")))
            }
        };
        st.history_bytes += item.data().len();
        st.history.push_back(item.clone());
        while st.history.len() > self.limits.history || (st.history_bytes > HISTORY_MAX_BYTES && st.history.len() > 1) {
            let Some(old) = st.history.pop_front() else { break };
            st.history_bytes = st.history_bytes.saturating_sub(old.data().len());
        }
        st.viewers.retain(|v| match v.tx.try_send(item.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                v.dropped.fetch_add(1, Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
    }

    /// Connects a viewer, or None when `max_clients` are connected.
    pub fn subscribe(self: &Arc<Self>) -> Option<Client> {
        let mut st = self.lock();
        if st.viewers.len() >= self.limits.max_clients {
            return None;
        }
        let (tx, rx) = bounded(self.limits.client_buffer);
        st.next_id += 1;
        let id = st.next_id;
        let dropped = Arc::new(AtomicU64::new(0));
        st.viewers.push(Viewer { id, tx, dropped: dropped.clone() });
        let replay = st.history.iter().cloned().collect();
        Some(Client { hub: self.clone(), id, replay, rx, dropped })
    }

    /// Viewers connected now.
    pub fn clients(&self) -> usize {
        self.lock().viewers.len()
    }

    /// Runs `f` on the process index.
    pub fn read_index<T>(&self, f: impl FnOnce(&ProcessIndex) -> T) -> T {
        f(&self.lock().index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Severity;

    fn hub(history: usize, max_clients: usize, client_buffer: usize) -> Arc<Hub> {
        Arc::new(Hub::new(Limits { history, max_clients, client_buffer }))
    }

    fn rec(pid: u32, n: u32) -> String {
        format!("{{\"event_type\":\"file_open\",\"pid\":{pid},\"ppid\":1,\"n\":{n},\"path\":\"/tmp/x\"}}\n")
    }

    #[test]
    fn history_is_capped_and_replayed_to_new_viewers() {
        let h = hub(3, 8, 16);
        for n in 0..5 {
            h.publish(rec(7, n).as_bytes(), LineKind::Telemetry);
        }
        let c = h.subscribe().expect("a place");
        let replay: Vec<&str> = c.replay.iter().map(|i| i.data()).collect();
        assert_eq!(replay.len(), 3);
        assert!(replay[0].contains("\"n\":2") && replay[2].contains("\"n\":4"), "{replay:?}");
        assert!(replay.iter().all(|d| !d.ends_with('\n')), "newline stripped");
        h.publish(rec(7, 5).as_bytes(), LineKind::Telemetry);
        let live = c.rx.try_recv().expect("live after replay");
        assert_eq!(live.event(), "record");
        assert!(live.data().contains("\"n\":5"));
    }

    #[test]
    fn history_is_bounded_in_bytes_too() {
        let h = hub(100_000, 8, 16);
        let long = "A".repeat(8000);
        for n in 0..2000 {
            let line = format!(r#"{{"event_type":"process_exec","pid":7,"n":{n},"cmdline":"{long}"}}"#);
            h.publish(line.as_bytes(), LineKind::Telemetry);
        }
        let c = h.subscribe().expect("a place");
        let bytes: usize = c.replay.iter().map(|i| i.data().len()).sum();
        assert!(bytes <= HISTORY_MAX_BYTES, "{bytes} bytes of history");
        assert!(c.replay.len() > 400 && c.replay.len() < 2000, "{} records", c.replay.len());
        assert!(c.replay.last().is_some_and(|i| i.data().contains("\"n\":1999")), "the newest is kept");
    }

    #[test]
    fn a_full_viewer_queue_drops_and_counts_for_that_viewer_only() {
        let h = hub(100, 8, 4);
        let slow = h.subscribe().expect("slow");
        let fast = h.subscribe().expect("fast");
        for n in 0..10 {
            h.publish(rec(7, n).as_bytes(), LineKind::Telemetry);
            while fast.rx.try_recv().is_ok() {}
        }
        assert_eq!(slow.dropped(), 6);
        assert_eq!(slow.rx.len(), 4);
        assert_eq!(fast.dropped(), 0);
        let kept: Vec<Item> = slow.rx.try_iter().collect();
        assert!(kept[0].data().contains("\"n\":0") && kept[3].data().contains("\"n\":3"), "the first 4 stay");
    }

    #[test]
    fn max_clients_and_disconnects_free_places() {
        let h = hub(10, 2, 4);
        let a = h.subscribe().expect("1st");
        let b = h.subscribe().expect("2nd");
        assert!(h.subscribe().is_none(), "a third is refused");
        drop(a);
        assert_eq!(h.clients(), 1);
        let _c = h.subscribe().expect("a freed place");
        drop(b);
        assert_eq!(h.clients(), 1);
    }

    #[test]
    fn alerts_carry_their_source_record() {
        let h = hub(10, 2, 16);
        let c = h.subscribe().expect("viewer");
        let src = "{\"event_type\":\"file_open\",\"pid\":42,\"path\":\"/etc/shadow\"}\n";
        let alert = "{\"event_type\":\"alert\",\"rule_id\":\"R\",\"source_event_type\":\"file_open\",\"pid\":42}\n";
        h.publish(src.as_bytes(), LineKind::Telemetry);
        h.publish(alert.as_bytes(), LineKind::Alert(Severity::High));
        // a second alert of the same record also gets it
        h.publish(alert.as_bytes(), LineKind::Alert(Severity::High));
        // an alert that does not belong to the last record gets null
        let other = "{\"event_type\":\"alert\",\"rule_id\":\"S\",\"source_event_type\":\"process_exec\",\"pid\":42}\n";
        h.publish(other.as_bytes(), LineKind::Alert(Severity::Low));
        let items: Vec<Item> = c.rx.try_iter().collect();
        assert_eq!(items.len(), 4);
        for item in &items[1..3] {
            assert_eq!(item.event(), "alert");
            let v: serde_json::Value = serde_json::from_str(item.data()).expect("alert data is JSON");
            assert_eq!(v["alert"]["rule_id"], "R");
            assert_eq!(v["source"]["path"], "/etc/shadow");
        }
        let v: serde_json::Value = serde_json::from_str(items[3].data()).expect("json");
        assert_eq!((v["alert"]["rule_id"].as_str(), v["source"].is_null()), (Some("S"), true));
        assert_eq!(h.read_index(|ix| ix.entry(42).expect("indexed").activity.len()), 4, "the open and three alerts");
    }

    #[test]
    fn health_lines_pass_through_without_their_newline() {
        let h = hub(10, 2, 16);
        let c = h.subscribe().expect("viewer");
        h.publish(b"{\"event_type\":\"health\",\"final\":false}\n", LineKind::Health);
        let item = c.rx.try_recv().expect("health");
        assert_eq!((item.event(), item.data()), ("health", "{\"event_type\":\"health\",\"final\":false}"));
    }
}
