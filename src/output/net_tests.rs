//! A network output against a fake receiver that is down, then up.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;
use crate::output::spool::Spool;

#[derive(Clone, Default)]
struct Receiver {
    up: Arc<AtomicBool>,
    got: Arc<Mutex<Vec<u64>>>,
    attempts: Arc<Mutex<u64>>,
}

impl Transport for Receiver {
    fn send(&mut self, lines: &Lines) -> Result<u64, Attempt> {
        *self.attempts.lock().unwrap() += 1;
        if !self.up.load(Relaxed) {
            return Err(Attempt::Retry("connection refused".into()));
        }
        let mut got = self.got.lock().unwrap();
        for (line, _) in lines.iter() {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap();
            got.push(v["n"].as_u64().unwrap());
        }
        Ok(0)
    }
}

const FAST: Delivery = Delivery {
    batch_max_records: 50,
    batch_max_wait: Duration::ZERO,
    max_retries: 2,
    retry_backoff: Duration::from_millis(5),
};

/// What the output's thread does with `n` new records.
fn feed(sink: &mut NetSink, stats: &OutputStats, from: u64, n: u64) {
    for i in from..from + n {
        stats.queued.fetch_add(1, Relaxed);
        sink.push(format!("{{\"n\":{i}}}\n").as_bytes(), LineKind::Telemetry, stats);
        if i % 10 == 9 {
            sink.flush(stats, None);
        }
    }
    sink.flush(stats, None);
}

fn wait_until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn balanced(s: &OutputStats, accepted: u64) {
    let v = s.snapshot();
    assert_eq!(accepted + v.recovered, v.sent + v.failed + v.dropped + v.queued + v.spooled, "{v:?}");
}

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("rg-net-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn a_receiver_that_is_down_gets_everything_in_order_once_it_is_up() {
    let d = dir("down-up");
    let stats = Arc::new(OutputStats::new("net", "http"));
    let spool = Spool::open(&d, 1 << 20, &stats).unwrap();
    let rx = Receiver::default();
    let mut sink = NetSink::new("net", Box::new(rx.clone()), FAST, Some(spool), stats.clone());
    feed(&mut sink, &stats, 0, 1000);
    wait_until("spooling", || stats.snapshot().spooled == 1000);
    balanced(&stats, 1000);
    rx.up.store(true, Relaxed);
    feed(&mut sink, &stats, 1000, 500);
    wait_until("delivery", || stats.snapshot().sent == 1500);
    assert_eq!(*rx.got.lock().unwrap(), (0..1500).collect::<Vec<_>>(), "in order, each once");
    let s = stats.snapshot();
    assert!(s.replayed >= 1000, "{s:?}");
    assert_eq!((s.spooled, s.queued, s.failed, s.dropped), (0, 0, 0, 0));
    balanced(&stats, 1500);
    drop(sink);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn what_is_spooled_at_shutdown_is_sent_by_the_next_run() {
    let d = dir("restart");
    let stats = Arc::new(OutputStats::new("net", "http"));
    let rx = Receiver::default();
    {
        let spool = Spool::open(&d, 1 << 20, &stats).unwrap();
        let mut sink = NetSink::new("net", Box::new(rx.clone()), FAST, Some(spool), stats.clone());
        feed(&mut sink, &stats, 0, 200);
        sink.flush(&stats, Some(Instant::now() + Duration::from_millis(200)));
        let s = stats.snapshot();
        assert_eq!((s.spooled, s.queued), (200, 0), "{s:?}");
    }
    std::thread::sleep(Duration::from_millis(300)); // the old sender lets go
    rx.up.store(true, Relaxed);
    let next = Arc::new(OutputStats::new("net", "http"));
    let spool = Spool::open(&d, 1 << 20, &next).unwrap();
    assert_eq!(next.snapshot().recovered, 200);
    let mut sink = NetSink::new("net", Box::new(rx.clone()), FAST, Some(spool), next.clone());
    feed(&mut sink, &next, 200, 10);
    wait_until("the spooled records", || next.snapshot().sent == 210);
    assert_eq!(*rx.got.lock().unwrap(), (0..210).collect::<Vec<_>>());
    balanced(&next, 10);
    drop(sink);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn without_a_spool_a_batch_is_retried_then_failed() {
    let stats = Arc::new(OutputStats::new("net", "http"));
    let rx = Receiver::default();
    let mut sink = NetSink::new("net", Box::new(rx.clone()), FAST, None, stats.clone());
    feed(&mut sink, &stats, 0, 100);
    wait_until("failures", || stats.snapshot().failed == 100);
    // two batches of 50, each tried 1 + max_retries times
    assert!(*rx.attempts.lock().unwrap() >= 2 * 3);
    rx.up.store(true, Relaxed);
    feed(&mut sink, &stats, 100, 10);
    wait_until("delivery", || stats.snapshot().sent == 10);
    balanced(&stats, 110);
}
