//! Privileged end-to-end tests of delivery: the real sensor whose reader
//! stalls or whose receiver is down, checking that nothing is lost that
//! the policy says must not be, and that what is lost is counted.
//!
//! The quiet configs here watch one test directory and record nothing else
//! (no process or network events), so every record is one this test caused
//! and the counts can be exact.

mod common;

use std::collections::HashSet;
use std::ffi::CString;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::http::*;
use common::*;
use serde_json::Value;

/// Only file opens under `dir`, a health record every second.
fn quiet_config(dir: &str, extra: &str) -> String {
    format!(
        r#"
[agent]
id = "e2e-host"

[events]
process = false
network = false

[file]
watch_paths = ["{dir}"]
watch_patterns = []

[output]
health_interval_secs = 1
{extra}
"#
    )
}

/// Opens (and closes) `path` `n` times.
fn open_loop(path: &str, n: usize) {
    let c = CString::new(path).expect("no NUL");
    for _ in 0..n {
        // SAFETY: a valid C string; the fd is closed at once.
        unsafe {
            let fd = libc::open(c.as_ptr(), libc::O_RDONLY);
            assert!(fd >= 0, "open {path}");
            libc::close(fd);
        }
    }
}

/// Creates `dir/f{i}` for i in `range`, pausing `pause` after each.
fn create_files(dir: &str, range: std::ops::Range<usize>, pause: Duration) {
    for i in range {
        std::fs::write(format!("{dir}/f{i}"), b"").expect("create");
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}

/// The index `i` of a record for `dir/f{i}`.
fn index_of(v: &Value, dir: &str) -> Option<usize> {
    v["path"].as_str()?.strip_prefix(dir)?.strip_prefix("/f")?.parse().ok()
}

fn count(health: &Value, key: &str) -> u64 {
    health[key].as_u64().unwrap_or_else(|| panic!("no {key} in {health}"))
}

fn out(health: &Value, name: &str, key: &str) -> u64 {
    count(output(health, name), key)
}

/// `accepted + recovered = sent + failed + dropped + queued + spooled` for output `name`.
fn assert_balanced(health: &Value, name: &str, accepted: u64) {
    let o = output(health, name);
    let held: u64 = ["sent", "failed", "dropped", "queued", "spooled"].iter().map(|k| count(o, k)).sum();
    assert_eq!(accepted + count(o, "recovered"), held, "output {name} does not add up: {health}");
}

#[test]
fn an_exec_after_a_burst_that_filled_the_ring_arrives_within_a_second_50_times() {
    let dir = TempDir::new("burst");
    let file = dir.path("hot");
    std::fs::write(&file, b"x").expect("write");
    let file = file.to_str().expect("utf-8").to_owned();
    // the smallest ring, so that a burst with nobody reading overflows it
    let cfg = format!("{E2E_CONFIG}\n[ebpf]\nbuffer_size = 64\n");
    let sensor = Sensor::start(&cfg);
    let mut worst = Duration::ZERO;
    for round in 0..50 {
        sensor.pause_output(true);
        open_loop(&file, 3000);
        sensor.pause_output(false);
        let marker = format!("after-burst-{round}-{}", std::process::id());
        let start = Instant::now();
        let status = Command::new("/bin/true").arg(&marker).stdout(Stdio::null()).status().expect("true");
        assert!(status.success());
        let got =
            sensor.try_wait_for(Duration::from_secs(1), &|v| is(v, "process_exec") && v["args"][1] == marker.as_str());
        let took = start.elapsed();
        assert!(got.is_some(), "round {round}: the exec after the burst was not read within 1 s");
        worst = worst.max(took);
    }
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    let health = final_health(&records);
    assert!(count(&health, "kernel_drops") > 0, "the bursts never filled the ring: {health}");
    assert_eq!(count(&health, "userspace_drops"), 0, "{health}");
    println!("slowest exec after a burst: {worst:?}");
}

/// 50,000 opens while nobody reads the sensor's stdout for 10 s, then it
/// is read: returns the opens that arrived and the final health record.
fn stall_stdout_during_a_burst(when_full: &str) -> (u64, Value) {
    const OPS: usize = 50_000;
    let dir = TempDir::new("stall");
    let file = dir.path("watched");
    std::fs::write(&file, b"x").expect("write");
    let file = file.to_str().expect("utf-8").to_owned();
    let extra = if when_full.is_empty() { String::new() } else { format!("when_full = \"{when_full}\"\n") };
    // a 1 MiB ring holds a fraction of the burst: the stall must reach it
    let cfg = format!("{}\n[ebpf]\nbuffer_size = 1024\n", quiet_config(dir.str(), &extra));
    let sensor = Sensor::start(&cfg);
    let rss = RssSampler::start(sensor.pid());
    sensor.pause_output(true);
    let stalled = Instant::now();
    open_loop(&file, OPS);
    std::thread::sleep(Duration::from_secs(10).saturating_sub(stalled.elapsed()));
    sensor.pause_output(false);
    // stop once the sensor has written out all it read: a health record
    // from after the stall with nothing left in flight or queued (a marker
    // record could itself be dropped under "drop")
    let resumed = stalled.elapsed().as_secs() + 1;
    let drained = |v: &Value| {
        is(v, "health")
            && v["uptime_secs"].as_u64().is_some_and(|u| u > resumed)
            && v["in_flight"] == 0
            && output(v, "stdout")["queued"] == 0
    };
    assert!(sensor.try_wait_for(Duration::from_secs(60), &drained).is_some(), "the sensor never caught up");
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    let peak = rss.finish().into_iter().max().unwrap_or(0);
    println!("when_full = {when_full:?}: peak RSS {peak} KiB");
    assert!(status.success(), "{stderr}");
    let opens = records.iter().filter(|v| is(v, "file_open") && v["path"] == file.as_str()).count() as u64;
    (opens, final_health(&records))
}

#[test]
fn a_stalled_stdout_loses_nothing_in_userspace_by_default() {
    let (opens, health) = stall_stdout_during_a_burst("");
    let kernel = count(&health, "kernel_drops");
    assert_eq!(count(&health, "userspace_drops"), 0, "{health}");
    assert_eq!((out(&health, "stdout", "dropped"), out(&health, "stdout", "failed")), (0, 0), "{health}");
    assert_eq!(opens, 50_000 - kernel, "every record not lost in the kernel arrived: {opens} opens, {health}");
    assert!(kernel > 0, "the stall should have backed up to the ring buffer: {health}");
}

#[test]
fn a_stalled_stdout_that_may_drop_drops_and_counts_it() {
    let (opens, health) = stall_stdout_during_a_burst("drop");
    let (kernel, dropped) = (count(&health, "kernel_drops"), out(&health, "stdout", "dropped"));
    assert!(dropped > 0, "nothing dropped at stdout: {health}");
    assert!(opens < 50_000 - kernel, "{opens} opens arrived: {health}");
    // the drops are counted: the opens that are missing are all accounted for
    // (dropped may also hold health records)
    assert!(opens + kernel + dropped >= 50_000, "{opens} opens, {kernel} + {dropped} lost: {health}");
}

/// A quiet config with stdout and an http output to `port`, spooling in `spool`.
fn http_config(dir: &str, port: u16, spool: &str, extra: &str) -> String {
    quiet_config(
        dir,
        &format!(
            "\n[[outputs]]\ntype = \"stdout\"\n\n[[outputs]]\nname = \"siem\"\ntype = \"http\"\n\
             url = \"http://127.0.0.1:{port}/in\"\ngzip = false\nbatch_max_wait_ms = 100\nretry_backoff_ms = 100\n\
             spool_dir = \"{spool}\"\n{extra}"
        ),
    )
}

/// The file indexes the receiver got, in arrival order.
fn received(seen: &std::sync::Mutex<Vec<Request>>, dir: &str) -> Vec<usize> {
    seen.lock().expect("lock").iter().flat_map(|r| r.lines()).filter_map(|v| index_of(&v, dir)).collect()
}

fn wait_for_distinct(seen: &std::sync::Mutex<Vec<Request>>, dir: &str, want: usize, within: Duration) -> Vec<usize> {
    let deadline = Instant::now() + within;
    loop {
        let got = received(seen, dir);
        if got.iter().collect::<HashSet<_>>().len() >= want {
            return got;
        }
        assert!(Instant::now() < deadline, "the receiver got {} distinct records of {want}", got.len());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Each index arrives first in order: a resend may repeat, never reorder.
fn assert_in_order(got: &[usize]) {
    let mut seen = HashSet::new();
    let firsts: Vec<usize> = got.iter().copied().filter(|i| seen.insert(*i)).collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]), "records arrived out of order");
}

#[test]
fn a_receiver_down_for_30_s_gets_every_record_in_order_once_it_is_up() {
    const N: usize = 20_000;
    let (dir, spool) = (TempDir::new("down"), TempDir::new("spool"));
    let port = free_port(); // nothing listens: connections are refused
    let sensor = Sensor::start(&http_config(dir.str(), port, &format!("{}/siem", spool.str()), ""));
    let down = Instant::now();
    create_files(dir.str(), 0..N, Duration::from_micros(250));
    std::thread::sleep(Duration::from_secs(30).saturating_sub(down.elapsed()));
    let spooled = sensor.all(|v| is(v, "health")).last().map(|h| out(h, "siem", "spooled")).unwrap_or(0);
    assert!(spooled > 0, "nothing was spooled while the receiver was down");
    let seen = http_server_on(port, |_| 200);
    let got = wait_for_distinct(&seen, dir.str(), N, Duration::from_secs(60));
    assert_in_order(&got);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    let health = final_health(&records);
    assert_eq!(count(&health, "kernel_drops"), 0, "{health}");
    let accepted = out(&health, "stdout", "sent");
    assert_eq!(out(&health, "siem", "sent"), accepted, "the receiver got all stdout got: {health}");
    assert!(out(&health, "siem", "replayed") >= spooled, "{health}");
    assert_eq!(out(&health, "siem", "spool_dropped"), 0, "{health}");
    assert_balanced(&health, "siem", accepted);
}

#[test]
fn spooled_records_survive_a_sigkill_and_arrive_after_a_restart() {
    const N: usize = 5_000;
    let (dir, spool) = (TempDir::new("kill"), TempDir::new("spool"));
    let port = free_port();
    let cfg = http_config(dir.str(), port, &format!("{}/siem", spool.str()), "");
    let sensor = Sensor::start(&cfg);
    create_files(dir.str(), 0..N, Duration::ZERO);
    let deadline = Instant::now() + Duration::from_secs(30);
    while sensor.all(|v| is(v, "health")).last().is_none_or(|h| out(h, "siem", "spooled") < N as u64) {
        assert!(Instant::now() < deadline, "the records were never spooled");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (_, _, _) = sensor.stop_with(libc::SIGKILL);
    let seen = http_server_on(port, |_| 200);
    let again = Sensor::start(&cfg);
    let got = wait_for_distinct(&seen, dir.str(), N, Duration::from_secs(60));
    assert_in_order(&got);
    let (status, records, stderr) = again.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    let health = final_health(&records);
    assert!(out(&health, "siem", "recovered") >= N as u64, "{health}");
    assert_balanced(&health, "siem", out(&health, "stdout", "sent"));
}

#[test]
fn a_full_spool_drops_the_oldest_and_counts_them() {
    const N: usize = 20_000;
    let (dir, spool) = (TempDir::new("full"), TempDir::new("spool"));
    let port = free_port();
    let cfg = http_config(dir.str(), port, &format!("{}/siem", spool.str()), "spool_max_bytes = 1048576\n");
    let sensor = Sensor::start(&cfg);
    create_files(dir.str(), 0..N, Duration::ZERO);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    let health = final_health(&records);
    let o = output(&health, "siem");
    assert!(count(o, "spool_dropped") > 0, "{health}");
    assert!(count(o, "dropped") >= count(o, "spool_dropped"), "{health}");
    assert!(count(o, "spool_bytes") <= 1 << 20, "{health}");
    assert_eq!(count(o, "sent"), 0, "{health}");
    assert_balanced(&health, "siem", out(&health, "stdout", "sent"));
    // what is left is the newest: a receiver that comes back gets the last file
    let seen = http_server_on(port, |_| 200);
    let again = Sensor::start(&cfg);
    let got = wait_for_distinct(&seen, dir.str(), 1, Duration::from_secs(30));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = got;
    while !got.contains(&(N - 1)) {
        assert!(Instant::now() < deadline, "the newest record never arrived");
        std::thread::sleep(Duration::from_millis(100));
        got = received(&seen, dir.str());
    }
    assert!(!got.contains(&0), "the oldest record should have been dropped");
    drop(again);
}

#[test]
fn a_spool_on_a_read_only_path_is_a_clear_error_at_start() {
    require_root();
    let ro = TempDir::new("ro");
    let target = CString::new(ro.str()).expect("cstr");
    let (fstype, opts) = (CString::new("tmpfs").expect("cstr"), CString::new("size=1m").expect("cstr"));
    // SAFETY: valid C strings; a read-only tmpfs over our own temp dir.
    let mounted = unsafe {
        libc::mount(fstype.as_ptr(), target.as_ptr(), fstype.as_ptr(), libc::MS_RDONLY, opts.as_ptr().cast())
    };
    assert_eq!(mounted, 0, "mount a read-only tmpfs: {}", std::io::Error::last_os_error());
    struct Unmount(CString);
    impl Drop for Unmount {
        fn drop(&mut self) {
            // SAFETY: unmounting what this test mounted.
            unsafe { libc::umount2(self.0.as_ptr(), libc::MNT_DETACH) };
        }
    }
    let _unmount = Unmount(target);
    let cfg_dir = TempDir::new("ro-cfg");
    let spool = format!("{}/spool/siem", ro.str());
    let cfg = cfg_dir.path("rand-guard.toml");
    std::fs::write(&cfg, http_config(cfg_dir.str(), free_port(), &spool, "")).expect("write config");
    let cfg = cfg.to_str().expect("utf-8");
    let insecure = if checkout_config_is_secure() { None } else { Some("--allow-insecure-config") };
    for args in [vec!["run", "--config", cfg], vec!["check-config", cfg]] {
        let out = Command::new(BIN).args(&args).args(insecure).output().expect("run rand-guard");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("output siem") && stderr.contains(&spool), "{args:?}: {stderr}");
        assert!(stderr.contains("Read-only file system"), "{args:?}: {stderr}");
        assert!(!stderr.contains("ready:"), "{args:?} must fail before loading: {stderr}");
    }
    let out = Command::new(BIN).args(["doctor", "--config", cfg]).output().expect("run doctor");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("[FAIL] output siem spool"), "{stdout}");
}
