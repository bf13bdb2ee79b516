//! Fanout: queue bounds, the two `when_full` policies, filters.
use super::*;
use crate::config::RecordKinds;

struct Slow(Arc<AtomicBool>);
impl Sink for Slow {
    fn push(&mut self, _: &[u8], _: LineKind, stats: &OutputStats) {
        while !self.0.load(Relaxed) {
            thread::sleep(Duration::from_millis(5));
        }
        stats.sent(1);
    }
    fn flush(&mut self, _: &OutputStats, _: Option<Instant>) {}
}

fn batch(kinds: &[LineKind]) -> Batch {
    let mut b = Batch::default();
    for k in kinds {
        b.buf().extend_from_slice(b"{}\n");
        b.end_line(*k);
    }
    b
}

/// An output of capacity 10 whose sink takes nothing until `release` is set.
fn slow_output(when_full: WhenFull) -> (Fanout, Arc<OutputStats>, Arc<AtomicBool>, thread::JoinHandle<()>) {
    let release = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(OutputStats::new("slow", "test"));
    let (tx, rx) = unbounded();
    let (s, r) = (stats.clone(), release.clone());
    let room = Arc::new(Room::default());
    let rm = room.clone();
    let t = thread::spawn(move || {
        run_sink(Box::new(Slow(r)), rx, &s, &RecordFilter::ALL, &AtomicBool::new(false), &rm);
    });
    (fanout(stats.clone(), room, tx, when_full), stats, release, t)
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    let (fan, stats, release, t) = slow_output(WhenFull::Drop);
    let start = Instant::now();
    for _ in 0..5 {
        fan.dispatch(batch(&[LineKind::Telemetry; 4]));
    }
    assert!(start.elapsed() < Duration::from_secs(1), "dispatch blocked");
    let s = stats.snapshot();
    assert_eq!((s.queued, s.dropped), (8, 12));
    release.store(true, Relaxed);
    fan.finish(Batch::default(), Instant::now() + Duration::from_secs(5));
    t.join().unwrap();
    let s = stats.snapshot();
    assert_eq!((s.sent, s.failed, s.dropped, s.queued), (8, 0, 12, 0));
}

#[test]
fn filtered_lines_are_not_counted() {
    let b = batch(&[LineKind::Telemetry, LineKind::Alert(Severity::Low), LineKind::Alert(Severity::High)]);
    let alerts = RecordFilter { records: RecordKinds::Alerts, min_severity: Severity::Medium, health: false };
    assert_eq!(b.count(&alerts), 1);
    assert_eq!(b.count(&RecordFilter::ALL), 3);
}

fn fanout(stats: Arc<OutputStats>, room: Arc<Room>, tx: Sender<Msg>, when_full: WhenFull) -> Fanout {
    Fanout {
        handles: vec![Handle {
            stats,
            filter: RecordFilter::ALL,
            format: crate::record::Format::RandGuard,
            capacity: 10,
            when_full,
            room,
            tx: Some(tx),
            fatal: Arc::default(),
        }],
        stopping: Arc::default(),
        stop_wait: Duration::from_millis(300),
        stop_seen: OnceLock::new(),
    }
}

#[test]
fn a_full_blocking_queue_waits_for_room_and_drops_nothing() {
    let (fan, stats, release, t) = slow_output(WhenFull::Block);
    let releaser = {
        let release = release.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            release.store(true, Relaxed);
        })
    };
    let start = Instant::now();
    for _ in 0..5 {
        fan.dispatch(batch(&[LineKind::Telemetry; 4]));
        assert!(stats.snapshot().queued <= 10, "over capacity: {:?}", stats.snapshot());
    }
    assert!(start.elapsed() >= Duration::from_millis(250), "dispatch did not wait for room");
    releaser.join().unwrap();
    fan.finish(Batch::default(), Instant::now() + Duration::from_secs(5));
    t.join().unwrap();
    let s = stats.snapshot();
    assert_eq!((s.sent, s.failed, s.dropped, s.queued), (20, 0, 0, 0));
}

#[test]
fn a_blocked_dispatch_gives_up_once_the_sensor_stops() {
    let stats = Arc::new(OutputStats::new("stuck", "test"));
    let (tx, _rx) = unbounded();
    let mut fan = fanout(stats.clone(), Arc::default(), tx, WhenFull::Block);
    fan.stopping.store(true, Relaxed);
    fan.dispatch(batch(&[LineKind::Telemetry; 8]));
    let start = Instant::now();
    fan.dispatch(batch(&[LineKind::Telemetry; 8])); // never read: waits stop_wait, then drops
    assert!(start.elapsed() >= fan.stop_wait, "gave up early");
    let start = Instant::now();
    fan.dispatch(batch(&[LineKind::Telemetry; 8])); // the wait is over: dropped at once
    assert!(start.elapsed() < fan.stop_wait, "waited again");
    let s = stats.snapshot();
    assert_eq!((s.queued, s.dropped), (8, 16));
    fan.handles[0].tx = None;
}

#[test]
fn a_queue_is_bounded_in_bytes_too() {
    let stats = Arc::new(OutputStats::new("big", "test"));
    let (tx, _rx) = unbounded();
    let mut fan = fanout(stats.clone(), Arc::default(), tx, WhenFull::Drop);
    fan.handles[0].capacity = 1_000_000;
    let line = vec![b'x'; 64 << 10];
    let mut b = Batch::default();
    for _ in 0..40 {
        b.buf().extend_from_slice(&line);
        b.end_line(LineKind::Telemetry);
    }
    fan.dispatch(b); // 2.5 MiB: taken
    let mut b = Batch::default();
    for _ in 0..40 {
        b.buf().extend_from_slice(&line);
        b.end_line(LineKind::Telemetry);
    }
    fan.dispatch(b); // 5 MiB in all would be over QUEUE_BYTES
    let s = stats.snapshot();
    assert_eq!((s.queued, s.dropped), (40, 40));
}
