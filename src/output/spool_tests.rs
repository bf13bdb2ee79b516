//! The spool on a real directory: order, recovery, the size bound, the lock.

use super::*;
use crate::output::LineKind;
use crate::record::Severity;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("rg-spool-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        Dir(d)
    }
    fn segments(&self) -> usize {
        fs::read_dir(&self.0).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".seg")).count()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn lines(from: usize, n: usize) -> Lines {
    let mut l = Lines::default();
    for i in from..from + n {
        let kind = if i % 7 == 0 { LineKind::Alert(Severity::High) } else { LineKind::Telemetry };
        l.push(format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(100)).as_bytes(), kind);
    }
    l
}

/// Queued records as the output stage counts them before a sink spools them.
fn queued(stats: &OutputStats, n: u64) {
    stats.queued.fetch_add(n, Relaxed);
}

/// The invariant of `stats`, with `accepted` records handed to the output.
fn balanced(s: &OutputStats, accepted: u64) {
    let v = s.snapshot();
    assert_eq!(accepted + v.recovered, v.sent + v.failed + v.dropped + v.queued + v.spooled, "{v:?}");
}

fn drain(spool: &mut Spool, stats: &OutputStats) -> Lines {
    let mut all = Lines::default();
    let mut buf = Lines::default();
    while let Some(t) = spool.read(50, &mut buf).unwrap() {
        all.append(&mut buf.clone());
        spool.ack(t, 0, stats).unwrap();
    }
    all
}

#[test]
fn lines_come_back_in_order_and_delivered_segments_go() {
    let d = Dir::new("order");
    let stats = OutputStats::new("o", "http");
    let mut spool = Spool::open(&d.0, 1 << 20, &stats).unwrap();
    assert_eq!(fs::metadata(&d.0).unwrap().permissions().mode() & 0o777, 0o700);
    for i in 0..20 {
        queued(&stats, 100);
        spool.append(&lines(i * 100, 100), &stats).unwrap();
    }
    assert!(d.segments() > 1, "a 1 MiB spool uses 128 KiB segments");
    assert_eq!(stats.snapshot().spooled, 2000);
    balanced(&stats, 2000);
    let back = drain(&mut spool, &stats);
    assert_eq!(back, {
        let mut all = Lines::default();
        all.append(&mut lines(0, 2000));
        all
    });
    let s = stats.snapshot();
    assert_eq!((s.sent, s.replayed, s.spooled, s.spool_bytes), (2000, 2000, 0, 0));
    assert_eq!(d.segments(), 0);
    balanced(&stats, 2000);
}

#[test]
fn a_restart_takes_up_what_was_not_delivered() {
    let d = Dir::new("restart");
    let stats = OutputStats::new("o", "http");
    {
        let mut spool = Spool::open(&d.0, 1 << 20, &stats).unwrap();
        queued(&stats, 300);
        spool.append(&lines(0, 300), &stats).unwrap();
        let mut buf = Lines::default();
        let t = spool.read(120, &mut buf).unwrap().unwrap();
        spool.ack(t, 0, &stats).unwrap(); // 0..120 delivered
        let t = spool.read(50, &mut buf).unwrap().unwrap();
        spool.retry_later(t, &stats); // in delivery when the sensor died
    }
    let again = OutputStats::new("o", "http");
    let mut spool = Spool::open(&d.0, 1 << 20, &again).unwrap();
    assert_eq!(again.snapshot().recovered, 180);
    let back = drain(&mut spool, &again);
    assert_eq!(back, lines(120, 180));
    balanced(&again, 0);
}

#[test]
fn a_torn_last_line_is_cut_off() {
    let d = Dir::new("torn");
    let stats = OutputStats::new("o", "http");
    {
        let mut spool = Spool::open(&d.0, 1 << 20, &stats).unwrap();
        queued(&stats, 10);
        spool.append(&lines(0, 10), &stats).unwrap();
    }
    let seg =
        fs::read_dir(&d.0).unwrap().flatten().find(|e| e.file_name().to_string_lossy().ends_with(".seg")).unwrap();
    let mut f = OpenOptions::new().append(true).open(seg.path()).unwrap();
    f.write_all(b"T{\"half").unwrap(); // power lost mid-write
    let again = OutputStats::new("o", "http");
    let mut spool = Spool::open(&d.0, 1 << 20, &again).unwrap();
    assert_eq!(again.snapshot().recovered, 10);
    assert_eq!(drain(&mut spool, &again), lines(0, 10));
}

#[test]
fn a_full_spool_drops_the_oldest_and_counts_them() {
    let d = Dir::new("full");
    let stats = OutputStats::new("o", "http");
    let mut spool = Spool::open(&d.0, 1 << 20, &stats).unwrap();
    let mut accepted = 0;
    for i in 0..200 {
        queued(&stats, 100);
        accepted += 100;
        spool.append(&lines(i * 100, 100), &stats).unwrap();
        assert!(spool.bytes() <= 1 << 20, "over the bound: {}", spool.bytes());
    }
    let s = stats.snapshot();
    assert!(s.spool_dropped > 0 && s.dropped == s.spool_dropped, "{s:?}");
    balanced(&stats, accepted);
    let back = drain(&mut spool, &stats);
    // what is left is the newest, in order, ending with the last record
    let first = accepted as usize - back.len();
    assert_eq!(back, lines(first, back.len()));
    assert_eq!(stats.snapshot().sent + stats.snapshot().spool_dropped, accepted);
    balanced(&stats, accepted);
}

#[test]
fn a_batch_in_delivery_is_not_counted_twice_when_its_segment_is_dropped() {
    let d = Dir::new("inflight");
    let stats = OutputStats::new("o", "http");
    let mut spool = Spool::open(&d.0, 1 << 20, &stats).unwrap();
    let mut accepted = 0;
    queued(&stats, 100);
    accepted += 100;
    spool.append(&lines(0, 100), &stats).unwrap();
    let mut buf = Lines::default();
    let t = spool.read(40, &mut buf).unwrap().unwrap();
    for i in 1..200 {
        queued(&stats, 100);
        accepted += 100;
        spool.append(&lines(i * 100, 100), &stats).unwrap();
    }
    spool.ack(t, 0, &stats).unwrap(); // delivered after all
    balanced(&stats, accepted);
    drain(&mut spool, &stats);
    balanced(&stats, accepted);
    assert_eq!(stats.snapshot().spooled, 0);
}

#[test]
fn a_prepended_batch_is_sent_first() {
    let d = Dir::new("prepend");
    let stats = OutputStats::new("o", "http");
    let mut spool = Spool::open(&d.0, 1 << 20, &stats).unwrap();
    queued(&stats, 20);
    spool.append(&lines(10, 10), &stats).unwrap();
    spool.prepend(&lines(0, 10), &stats).unwrap();
    assert_eq!(drain(&mut spool, &stats), lines(0, 20));
    balanced(&stats, 20);
}

#[test]
fn one_sensor_at_a_time_and_a_clear_error_for_a_bad_place() {
    let d = Dir::new("lock");
    let stats = OutputStats::new("o", "http");
    let _held = Spool::open(&d.0, 1 << 20, &stats).unwrap();
    let e = Spool::open(&d.0, 1 << 20, &stats).unwrap_err();
    assert!(e.to_string().contains("in use by another rand-guard"), "{e}");
    let file = d.0.join("lock");
    let e = check_dir(&file.join("spool")).unwrap_err();
    assert!(e.to_string().contains("ot a directory"), "{e}");
    assert!(check_dir(&d.0.join("not/yet/made")).is_ok());
}
