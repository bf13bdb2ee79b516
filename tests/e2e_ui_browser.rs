//! Privileged end-to-end tests of the dashboard in a real browser: the real
//! sensor serves it (`run --ui`), Debian's headless chromium opens it through
//! playwright-core (`tests/ui/dashboard.mjs`), and this test causes real
//! activity on the host while the page watches: an exec carrying a unique
//! marker (and hostile-looking argv), a read of /etc/shadow that the default
//! rule pack alerts on, and an exec while the view is paused.
//! Needs root, node, tests/ui/node_modules and /usr/bin/chromium (`make deps-test`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const CHROMIUM: &str = "/usr/bin/chromium";
const UI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ui");
/// The whole browser session, set-up included.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);
/// The rule the test's read of /etc/shadow fires (config/rules/credential-access.toml).
const RULE: &str = "RG-CRED-SENSITIVE-READ";
const TOKEN: &str = "e2e-ui-token-0123456789abcdef";

/// What the browser side needs, or a failure saying how to get it: these
/// tests never skip.
fn node() -> PathBuf {
    let node = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("node")).find(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!("node not found on PATH: `make deps-test` installs it (Debian's nodejs) and tests/ui's modules")
        });
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} not found: `make deps-test` installs Debian's chromium and chromium-driver"
    );
    assert!(
        Path::new(UI_DIR).join("node_modules/playwright-core/package.json").is_file(),
        "{UI_DIR}/node_modules/playwright-core missing: `make deps-test` runs `npm ci --prefix tests/ui`"
    );
    node
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The sensor with the default rule pack, the dashboard on a free loopback
/// port and a known token; returns it and the dashboard's base URL.
fn start_sensor() -> (Sensor, String) {
    let port = free_port();
    let config = format!("{}\n[ui]\ntoken = \"{TOKEN}\"\n", rules_config());
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["--ui", addr.as_str()];
    if !checkout_config_is_secure() {
        args.push("--allow-insecure-config");
    }
    let sensor = Sensor::start_with_args(&config, &args);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the dashboard never listened on {addr}; stderr:\n{}", sensor.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    (sensor, format!("http://{addr}"))
}

/// `tests/ui/dashboard.mjs MODE` running in its own process group (so that
/// chromium goes with it), its stdout lines on a channel.
struct Script {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    log: Vec<String>,
}

impl Script {
    fn start(mode: &str, envs: &[(&str, String)]) -> Script {
        let mut cmd = Command::new(node());
        cmd.arg(Path::new(UI_DIR).join("dashboard.mjs"))
            .arg(mode)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("CHROMIUM", CHROMIUM)
            .env(
                "RG_UI_FAILURE_SHOT",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-ui-{mode}-failure.png")),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // RG_UI_SCREENSHOTS=docs/img refreshes the screenshots in docs/ui.md.
        if let Some(dir) = std::env::var_os("RG_UI_SCREENSHOTS") {
            cmd.env("RG_UI_SCREENSHOTS", dir);
        }
        let mut child = cmd.spawn().expect("start node tests/ui/dashboard.mjs");
        let stdin = child.stdin.take().expect("stdin");
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let e = stderr.clone();
        let mut err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            e.lock().expect("lock").push_str(&s);
        });
        Script { child, stdin, lines, stderr, log: Vec::new() }
    }

    /// Runs the script to its end, answering each `need WHAT` with `answer`;
    /// panics with the script's own words when it fails.
    fn run(mut self, sensor: &Sensor, mut answer: impl FnMut(&str) -> String) {
        let deadline = Instant::now() + SCRIPT_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    eprintln!("dashboard.mjs: {line}");
                    if let Some(what) = line.strip_prefix("need ") {
                        let reply = answer(what);
                        writeln!(self.stdin, "{reply}").expect("answer the script");
                        self.stdin.flush().expect("flush");
                    } else if line == "ok" {
                        let status = self.child.wait().expect("wait for the script");
                        assert!(status.success(), "dashboard.mjs said ok but exited {status}");
                        return;
                    }
                    self.log.push(line);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("wait for the script");
                    std::thread::sleep(Duration::from_millis(100)); // stderr reader
                    panic!(
                        "the browser test failed (exit {status}):\n{}\nits log:\n{}\nsensor stderr (tail):\n{}",
                        self.stderr.lock().expect("lock").trim(),
                        self.log.join("\n"),
                        tail(&sensor.stderr(), 20)
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!(
                        "the browser test did not finish within {SCRIPT_TIMEOUT:?}; its log:\n{}",
                        self.log.join("\n")
                    )
                }
            }
        }
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on the process group this test created.
            unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
            let _ = self.child.wait();
        }
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A child killed (and reaped) when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` with no terminal or pipes on its stdio.
fn spawn_quiet(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

/// Runs `cmd` to its end; returns its pid.
fn run_quiet(cmd: &mut Command) -> u32 {
    let mut child = spawn_quiet(cmd);
    child.wait().unwrap_or_else(|e| panic!("wait for {cmd:?}: {e}"));
    child.id()
}

fn has_arg(v: &Value, want: &str) -> bool {
    v["args"].as_array().is_some_and(|a| a.iter().any(|x| x == want))
}

#[test]
fn browser_shows_live_activity_alerts_processes_and_health() {
    require_root();
    let node = node(); // fail early, before the sensor starts, when deps are missing
    drop(node);
    let (sensor, url) = start_sensor();
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
    let marker = format!("rg-ui-{}-{nonce}", std::process::id());
    let hostile = "<b>bold</b><img src=x onerror=window.__rgPwned=1>";
    let mut keep: Vec<Reaped> = Vec::new();

    let script = Script::start(
        "live",
        &[
            ("RG_UI_URL", url),
            ("RG_UI_TOKEN", TOKEN.to_string()),
            ("RG_UI_MARKER", marker.clone()),
            ("RG_UI_ANCESTOR", std::process::id().to_string()),
            ("RG_UI_RULE", RULE.to_string()),
        ],
    );
    script.run(&sensor, |what| match what {
        // A shell that stays (so the process view has it running) with the
        // marker and markup in its argv ($0 and $1 of `sh -c`).
        "exec" => {
            let child = spawn_quiet(Command::new("/bin/sh").args(["-c", "sleep 60; exit 0", &marker, hostile]));
            let pid = child.id();
            keep.push(Reaped(child));
            sensor.wait_for("the marker exec", |v| is(v, "process_exec") && v["pid"] == pid && has_arg(v, &marker));
            format!("exec pid={pid}")
        }
        "alert" => {
            let pid = run_quiet(Command::new("/usr/bin/cat").arg("/etc/shadow"));
            sensor.wait_for("the credential-read alert", |v| is(v, "alert") && v["rule_id"] == RULE && v["pid"] == pid);
            format!("alert pid={pid}")
        }
        "paused-exec" => {
            let paused_marker = format!("{marker}-paused");
            let pid = run_quiet(Command::new("/bin/sh").args(["-c", "exit 0", &paused_marker]));
            sensor.wait_for("the exec while paused", |v| {
                is(v, "process_exec") && v["pid"] == pid && has_arg(v, &paused_marker)
            });
            format!("paused-exec pid={pid}")
        }
        other => panic!("dashboard.mjs asked for unknown activity {other:?}"),
    });
    drop(keep);
}

#[test]
fn browser_gets_nothing_with_a_wrong_or_missing_token() {
    require_root();
    drop(node());
    let (sensor, url) = start_sensor();
    Script::start("bad-token", &[("RG_UI_URL", url), ("RG_UI_TOKEN", TOKEN.to_string())])
        .run(&sensor, |what| panic!("bad-token mode asked for activity {what:?}"));
}
