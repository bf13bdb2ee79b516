//! Shared harness for the privileged end-to-end tests: starts the real
//! sensor binary (real BPF object, real kernel), collects its NDJSON output,
//! and lets a test wait for the record its own activity should produce.
//! `tools` does real activity on the host (commands, renamed programs,
//! system files restored on drop); `rule_pack` checks alerts against the
//! default rule pack; `http` is a loopback HTTP receiver for the output tests;
//! `ring` a raw io_uring ring.

#![allow(dead_code)]

pub mod http;
pub mod ring;
pub mod rule_pack;
pub mod tools;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_rand-guard");

/// Privileged tests fail, loudly, when not root: never a silent pass.
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(euid, 0, "this end-to-end test loads the real BPF object and must run as root (run `sudo make test`)");
}

/// A scratch directory under /tmp (watched by the test config), removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = PathBuf::from(format!("/tmp/rg-e2e-{}-{}-{}", std::process::id(), tag, n));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn str(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
struct Lines {
    records: Vec<Value>,
    bad_lines: Vec<String>,
    closed: bool,
}

pub struct Sensor {
    child: Child,
    lines: Arc<(Mutex<Lines>, Condvar)>,
    stderr: Arc<Mutex<String>>,
    paused: Arc<AtomicBool>,
    _config: TempDir,
}

/// Whether the checkout's config/ (its directory, `rand-guard.toml`, the
/// rule directory and files) passes StrictModes for root (root-owned, not
/// group/other-writable): true in CI, where root cloned the repo.
/// Otherwise (`sudo make test` in a user's clone) the tests that load the
/// checkout's rules pass `--allow-insecure-config`, as `make run` does.
pub fn checkout_config_is_secure() -> bool {
    fn secure(p: &Path) -> bool {
        match std::fs::metadata(p) {
            Ok(md) => md.uid() == 0 && md.permissions().mode() & 0o022 == 0,
            Err(_) => true,
        }
    }
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config"));
    let rules = std::fs::read_dir(root.join("rules"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_else(|_| Vec::new());
    secure(root)
        && secure(&root.join("rand-guard.toml"))
        && secure(&root.join("rules"))
        && rules.iter().all(|p| secure(p))
}

/// What every end-to-end config shares: a fixed host id, network events
/// on, a health record every second.
macro_rules! e2e_base {
    () => {
        r#"
[agent]
id = "e2e-host"

[events]
network = true

[network]
enabled = true

[output]
health_interval_secs = 1
"#
    };
}

pub const E2E_CONFIG: &str = concat!(
    e2e_base!(),
    r#"
[file]
watch_paths = ["/tmp", "/var/tmp", "/etc/rg-e2e"]
exclude_paths = ["/tmp/rg-e2e-excluded"]
"#
);

impl Sensor {
    /// Starts `rand-guard run` with `config` and waits until it is ready.
    pub fn start(config: &str) -> Sensor {
        let extra: &[&str] = if checkout_config_is_secure() { &[] } else { &["--allow-insecure-config"] };
        Sensor::start_with_args(config, extra)
    }

    /// `start` with extra arguments after `run`.
    pub fn start_with_args(config: &str, extra: &[&str]) -> Sensor {
        require_root();
        let dir = TempDir::new("cfg");
        let cfg = dir.path("rand-guard.toml");
        std::fs::write(&cfg, config).expect("write config");
        let mut child = Command::new(BIN)
            .args(["run", "--config"])
            .arg(&cfg)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start rand-guard");
        let lines: Arc<(Mutex<Lines>, Condvar)> = Arc::default();
        let stdout = child.stdout.take().expect("stdout");
        let l = lines.clone();
        let paused = Arc::new(AtomicBool::new(false));
        let p = paused.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                while p.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let (m, cv) = &*l;
                        let mut g = m.lock().expect("lock");
                        match serde_json::from_slice::<Value>(&buf) {
                            Ok(v) if buf.ends_with(b"\n") => g.records.push(v),
                            _ => g.bad_lines.push(String::from_utf8_lossy(&buf).into_owned()),
                        }
                        cv.notify_all();
                    }
                }
            }
            let (m, cv) = &*l;
            m.lock().expect("lock").closed = true;
            cv.notify_all();
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let mut err = child.stderr.take().expect("stderr");
        let e = stderr.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            let mut told = false;
            loop {
                match err.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut s = e.lock().expect("lock");
                        s.push_str(&String::from_utf8_lossy(&chunk[..n]));
                        if !told && s.contains("ready:") {
                            told = true;
                            let _ = tx.send(());
                        }
                    }
                }
            }
        });
        let mut sensor = Sensor { child, lines, stderr, paused, _config: dir };
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let status = sensor.child.try_wait().ok().flatten();
            panic!("rand-guard did not become ready (exit: {status:?}); stderr:\n{}", sensor.stderr());
        }
        sensor
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The config file the sensor was started with (rewrite it, then SIGHUP).
    pub fn config_path(&self) -> PathBuf {
        self._config.path("rand-guard.toml")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops (true) or resumes (false) reading the sensor's stdout: once
    /// the pipe is full, the sensor's writes block.
    pub fn pause_output(&self, paused: bool) {
        self.paused.store(paused, Ordering::Relaxed);
    }

    /// Whether the sensor process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` and lets the sensor go on.
    pub fn signal(&self, signal: i32) {
        // SAFETY: plain kill(2) on our child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Waits until stderr contains `needle` `count` times in all.
    pub fn wait_stderr(&self, needle: &str, count: usize, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let s = self.stderr();
            if s.matches(needle).count() >= count {
                return s;
            }
            assert!(Instant::now() < deadline, "stderr never said {needle:?} ({count}x) within {timeout:?}:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the first record matching `pred` (searching everything
    /// received so far, then new records).
    pub fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.try_wait_for(Duration::from_secs(10), &pred).unwrap_or_else(|| {
            let (m, _) = &*self.lines;
            let g = m.lock().expect("lock");
            let tail: Vec<String> = g.records.iter().rev().take(15).map(|v| v.to_string()).collect();
            panic!("no record for {what} within 10 s; last records:\n{}\nstderr:\n{}", tail.join("\n"), self.stderr())
        })
    }

    pub fn try_wait_for(&self, timeout: Duration, pred: &dyn Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        let (m, cv) = &*self.lines;
        let mut g = m.lock().expect("lock");
        let mut seen = 0;
        loop {
            if let Some(v) = g.records[seen..].iter().find(|v| pred(v)) {
                return Some(v.clone());
            }
            seen = g.records.len();
            let now = Instant::now();
            if now >= deadline || g.closed {
                return None;
            }
            g = cv.wait_timeout(g, deadline - now).expect("lock").0;
        }
    }

    /// All records matching `pred` so far.
    pub fn all(&self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let (m, _) = &*self.lines;
        m.lock().expect("lock").records.iter().filter(|v| pred(v)).cloned().collect()
    }

    pub fn bad_lines(&self) -> Vec<String> {
        let (m, _) = &*self.lines;
        m.lock().expect("lock").bad_lines.clone()
    }

    /// Sends `signal`, waits for exit, returns the status and every record.
    pub fn stop_with(mut self, signal: i32) -> (ExitStatus, Vec<Value>, String) {
        // SAFETY: plain kill(2) on our child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(Instant::now() < deadline, "rand-guard did not exit within 30 s of signal {signal}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let (m, cv) = &*self.lines;
        let mut g = m.lock().expect("lock");
        while !g.closed {
            g = cv.wait_timeout(g, Duration::from_secs(5)).expect("lock").0;
        }
        (status, g.records.clone(), self.stderr())
    }
}

impl Drop for Sensor {
    /// Kills the sensor without waiting for it to exit: the kernel detaches
    /// its ~90 tracepoint programs one RCU grace period at a time (seconds),
    /// which the next test need not wait for. A thread reaps it meanwhile; a
    /// sensor still exiting when the test binary ends is reaped by init.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let pid = self.child.id() as libc::pid_t;
            std::thread::spawn(move || {
                // SAFETY: waitpid on our own child, which std never reaps on drop.
                unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            });
        }
    }
}

/// Field helpers for assertions.
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("field {key} is not a string in {v}"))
}

pub fn n(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_else(|| panic!("field {key} is not an integer in {v}"))
}

pub fn is(v: &Value, event_type: &str) -> bool {
    v["event_type"] == event_type
}

pub fn pid_in(v: &Value, pids: &[u32]) -> bool {
    v["pid"].as_u64().is_some_and(|p| pids.contains(&(p as u32)))
}

/// The exec record of process `pid` running `comm` (a python3 that execs
/// keeps its pid: its own exec comes first).
pub fn exec_of(sensor: &Sensor, what: &str, pid: u32, comm: &str) -> Value {
    sensor.wait_for(what, |v| is(v, "process_exec") && v["pid"] == pid && v["comm"] == comm)
}

pub fn open_of(sensor: &Sensor, what: &str, pid: u32, path: &str) -> Value {
    sensor.wait_for(what, |v| is(v, "file_open") && v["pid"] == pid && v["path"] == path)
}

pub fn has_str(v: &Value, key: &str, want: &str) -> bool {
    v[key].as_array().is_some_and(|a| a.iter().any(|x| x == want))
}

/// This test process's pid, as records carry it.
pub fn my_pid() -> i64 {
    std::process::id() as i64
}

pub fn gettid() -> i64 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) }
}

/// The directory of the default rule pack, absolute (the config file lives
/// in a temp dir, so a relative `rule_dirs` would not find it).
pub const RULES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rules");

/// A config that loads the real default rule pack, with network events on,
/// the default watch paths and a health record every second.
pub fn rules_config() -> String {
    format!(concat!(e2e_base!(), "\n[detection]\nrule_dirs = [\"{}\"]\n"), RULES_DIR)
}

/// VmRSS of `pid` in KiB, or None once it is gone.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Samples the RSS of `pid` every 100 ms until dropped or stopped.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<Vec<u64>>>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !s.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    samples.push(kb);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            samples
        });
        RssSampler { stop, handle: Some(handle) }
    }

    /// Stops sampling; returns the samples in KiB.
    pub fn finish(mut self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().map(|h| h.join().expect("sampler")).unwrap_or_default()
    }
}

/// The final health record among `records`, checked against the
/// accounting invariant of records.md: every raw event read is emitted,
/// filtered, dropped or invalid, and nothing is in flight at shutdown.
pub fn final_health(records: &[Value]) -> Value {
    let h = records.iter().rev().find(|v| is(v, "health") && v["final"] == true).cloned().unwrap_or_else(|| {
        panic!("no final health record; last records: {:?}", records.iter().rev().take(5).collect::<Vec<_>>())
    });
    let get = |k: &str| h[k].as_u64().unwrap_or_else(|| panic!("health field {k} missing in {h}"));
    assert_eq!(get("in_flight"), 0, "records in flight at shutdown: {h}");
    assert_eq!(
        get("events_received"),
        get("events_emitted") + get("filtered") + get("userspace_drops") + get("invalid_events"),
        "accounting invariant broken: {h}"
    );
    let by_reason = get("drops_channel_full") + get("drops_rate_limited") + get("drops_output_error");
    assert_eq!(get("userspace_drops"), by_reason, "drops by reason add up: {h}");
    h
}
