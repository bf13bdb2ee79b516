//! Privileged reliability tests: the real sensor under event floods, a
//! stalled consumer, hostile file names and argument lists, process churn
//! and deep process trees, SIGHUP reloads and dropped privileges. Each
//! asserts valid records or counted loss — never a crash, wrong
//! attribution or unbounded memory. Run as root (`make test`).

mod common;

use std::ffi::{CString, OsStr};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// RSS ceiling for every load test, in KiB.
const RSS_LIMIT_KB: u64 = 64 * 1024;

fn cstr(s: &[u8]) -> CString {
    CString::new(s).expect("no NUL")
}

fn realpath(p: &str) -> String {
    fs::canonicalize(p).expect("canonicalize").to_string_lossy().into_owned()
}

/// A config with the smallest ring buffer and channels, watching `dir`.
fn tiny_config(dir: &str, drop_when_full: bool) -> String {
    format!(
        r#"
[agent]
id = "e2e-load"

[ebpf]
buffer_size = 64

[file]
watch_paths = ["{dir}"]

[output]
health_interval_secs = 1

[performance]
channel_capacity = 16
drop_when_full = {drop_when_full}
"#
    )
}

fn h(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("health field {k} missing in {v}"))
}

/// Opens (and closes) `path` `n` times.
fn open_loop(path: &str, n: usize) {
    let c = cstr(path.as_bytes());
    for _ in 0..n {
        // SAFETY: valid C string; the fd is closed at once.
        unsafe {
            let fd = libc::open(c.as_ptr(), libc::O_RDONLY);
            assert!(fd >= 0, "open {path}");
            libc::close(fd);
        }
    }
}

fn exec_loop(n: usize) {
    for _ in 0..n {
        assert!(Command::new("/bin/true").status().expect("/bin/true").success());
    }
}

#[test]
fn flood_keeps_the_accounting_invariant_and_bounded_memory() {
    let dir = TempDir::new("flood");
    let file = dir.path("target");
    fs::write(&file, "x").expect("write");
    let file = file.to_str().expect("utf-8").to_string();
    let mut sensor = Sensor::start(&tiny_config(dir.str(), false));
    let rss = RssSampler::start(sensor.pid());
    const OPENS_PER_THREAD: usize = 10_000;
    const EXECS: usize = 2_000;
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| open_loop(&file, OPENS_PER_THREAD));
        }
        s.spawn(|| exec_loop(EXECS));
    });
    let flood_time = started.elapsed();
    assert!(sensor.is_running(), "the sensor died during the flood; stderr:\n{}", sensor.stderr());
    // it still works afterwards
    let marker = Command::new("/bin/echo").arg("rg-after-flood").output().expect("echo");
    assert!(marker.status.success());
    sensor.wait_for("exec after the flood", |v| is(v, "process_exec") && v["args"][1] == "rg-after-flood");
    let samples = rss.finish();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "exit {status:?}; stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let health = final_health(&records);
    let opens = records.iter().filter(|v| is(v, "file_open") && v["path"] == file.as_str()).count() as u64;
    let execs = records
        .iter()
        .filter(|v| is(v, "process_exec") && v["filename"] == "/bin/true" && n(v, "ppid") == my_pid())
        .count() as u64;
    let ops = (2 * OPENS_PER_THREAD + EXECS) as u64;
    let lost = h(&health, "kernel_drops") + h(&health, "kernel_stash_drops") + h(&health, "userspace_drops");
    eprintln!(
        "flood: {ops} operations in {flood_time:?}: {opens} open + {execs} exec records, {lost} counted as lost; \
         RSS max {} KiB; health {health}",
        samples.iter().max().copied().unwrap_or(0)
    );
    assert!(opens + execs + lost >= ops, "records vanished uncounted: {opens} + {execs} + {lost} < {ops}");
    assert!(!samples.is_empty());
    let max = samples.iter().max().copied().unwrap_or(0);
    assert!(max < RSS_LIMIT_KB, "RSS reached {max} KiB");
}

/// Stalls stdout for 5 s under load, then resumes: memory stays bounded,
/// the loss is counted where the policy says, and the sensor carries on.
fn stalled_stdout(drop_when_full: bool) -> Value {
    let dir = TempDir::new("stall");
    let file = dir.path("target");
    fs::write(&file, "x").expect("write");
    let file = file.to_str().expect("utf-8").to_string();
    let mut sensor = Sensor::start(&tiny_config(dir.str(), drop_when_full));
    sensor.wait_for("a first health record", |v| is(v, "health"));
    let rss = RssSampler::start(sensor.pid());
    sensor.pause_output(true);
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        open_loop(&file, 2_000);
        exec_loop(10);
    }
    assert!(sensor.is_running(), "the sensor died while stdout was stalled");
    sensor.pause_output(false);
    // the backlog drains first, and a marker may itself be dropped while it
    // does (that is the policy): try once a second
    let marker = format!("rg-resumed-{drop_when_full}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Command::new("/bin/echo").arg(&marker).status().expect("echo").success());
        let pred = |v: &Value| is(v, "process_exec") && v["args"][1] == marker.as_str();
        if sensor.try_wait_for(Duration::from_secs(1), &pred).is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the sensor never recovered after stdout resumed");
    }
    let samples = rss.finish();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "exit {status:?}; stderr:\n{stderr}");
    let max = samples.iter().max().copied().unwrap_or(0);
    assert!(max < RSS_LIMIT_KB, "RSS reached {max} KiB while stdout was stalled");
    let health = final_health(&records);
    eprintln!("stalled stdout (drop_when_full = {drop_when_full}): RSS max {max} KiB; health {health}");
    health
}

#[test]
fn stalled_stdout_with_drop_when_full_counts_channel_drops() {
    let health = stalled_stdout(true);
    assert!(h(&health, "drops_channel_full") > 0, "no channel drops counted: {health}");
}

#[test]
fn stalled_stdout_without_drop_when_full_leaves_the_loss_to_the_kernel() {
    let health = stalled_stdout(false);
    assert_eq!(h(&health, "drops_channel_full"), 0, "{health}");
    assert!(h(&health, "kernel_drops") > 0, "the ring buffer never overflowed: {health}");
}

#[test]
fn hostile_file_names_give_valid_records() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("names");
    let names: [&[u8]; 5] = [
        b"rg-nl\nname",
        b"rg-quote\"'`name",
        b"rg-ctl\x01\x1b[31m\x7f\ttab",
        b"rg-bad\xff\xfeutf8",
        b"rg-json\\u0000{\"x\":1}",
    ];
    for name in names {
        let p = dir.0.join(OsStr::from_bytes(name));
        fs::write(&p, "x").expect("create hostile name");
        let want = format!("{}/{}", dir.str(), String::from_utf8_lossy(name));
        let r = sensor.wait_for(&format!("open of {want:?}"), |v| is(v, "file_open") && v["path"] == want.as_str());
        assert_eq!(r["path_truncated"], false);
        assert_eq!(n(&r, "pid"), my_pid());
    }
    assert!(sensor.bad_lines().is_empty(), "lines that are not one JSON object: {:?}", sensor.bad_lines());
}

#[test]
fn paths_over_4_kib_are_truncated_and_flagged() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("deep");
    let comp = cstr(&[b'd'; 250]);
    let leaf = cstr(b"rg-deep-leaf");
    // 20 levels of 250 bytes: about 5 KiB, beyond PATH_MAX, so walk by fd
    // SAFETY: valid C strings; every fd is closed.
    let tid = unsafe {
        let mut fd = libc::open(cstr(dir.str().as_bytes()).as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
        assert!(fd >= 0);
        for _ in 0..20 {
            assert_eq!(libc::mkdirat(fd, comp.as_ptr(), 0o755), 0, "mkdirat");
            let next = libc::openat(fd, comp.as_ptr(), libc::O_DIRECTORY | libc::O_RDONLY);
            assert!(next >= 0, "openat dir");
            libc::close(fd);
            fd = next;
        }
        let f = libc::openat(fd, leaf.as_ptr(), libc::O_CREAT | libc::O_WRONLY, 0o644);
        assert!(f >= 0, "create the leaf");
        libc::close(f);
        libc::close(fd);
        gettid()
    };
    let r = sensor.wait_for("the truncated open", |v| {
        is(v, "file_open")
            && n(v, "tid") == tid
            && v["flags"].as_array().is_some_and(|f| f.iter().any(|x| x == "O_CREAT"))
    });
    assert_eq!(r["path_truncated"], true, "{r}");
    // the leaf side is kept, behind a marker so it never looks absolute
    let p = s(&r, "path");
    assert!(p.starts_with("\u{2026}/") && p.ends_with("/rg-deep-leaf"), "{p}");
    assert!(p.len() <= 4096 + "\u{2026}".len(), "{}", p.len());
    assert!(sensor.bad_lines().is_empty());
}

#[test]
fn thousands_of_arguments_are_truncated_and_flagged() {
    let sensor = Sensor::start(E2E_CONFIG);
    let args: Vec<String> = (0..5000).map(|i| format!("rg-arg-{i}")).collect();
    let st = Command::new("/bin/true").args(&args).status().expect("true with 5000 args");
    assert!(st.success());
    let r = sensor.wait_for("exec with 5000 args", |v| is(v, "process_exec") && v["args"][1] == "rg-arg-0");
    assert_eq!(r["args_truncated"], true);
    let got = r["args"].as_array().expect("args").len();
    assert!(got > 10 && got < 5001, "{got} args");
    assert_eq!(s(&r, "exe"), realpath("/bin/true"));
    assert!(sensor.bad_lines().is_empty());
}

#[test]
fn a_binary_deleted_while_running_keeps_its_attribution() {
    let sensor = Sensor::start(E2E_CONFIG);
    let dir = TempDir::new("deleted");
    let bin = dir.path("rg-doomed-sleep");
    fs::copy("/bin/sleep", &bin).expect("copy sleep");
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut child = Command::new(&bin).arg("30").spawn().expect("start the copy");
    let path = bin.to_str().expect("utf-8").to_string();
    let pid = child.id() as i64;
    let exec = sensor.wait_for("exec of the copy", |v| is(v, "process_exec") && n(v, "pid") == pid);
    assert_eq!(s(&exec, "exe"), path);
    fs::remove_file(&bin).expect("delete the running binary");
    sensor.wait_for("unlink of the binary", |v| is(v, "file_unlink") && v["path"] == path.as_str());
    child.kill().expect("kill");
    child.wait().expect("wait");
    let exit = sensor.wait_for("exit of the copy", |v| is(v, "process_exit") && n(v, "pid") == pid);
    assert_eq!(s(&exit, "exe"), path, "the exit keeps the image it ran");
    assert_eq!(exit["signal"], 9);
    assert_eq!(s(&exit, "cmdline"), format!("{path} 30"));
    assert_eq!(n(&exit, "ppid"), my_pid());
}

#[test]
fn processes_that_exit_at_once_are_still_enriched() {
    let sensor = Sensor::start(E2E_CONFIG);
    let mut pids = Vec::new();
    for _ in 0..20 {
        let child = Command::new("/bin/true").arg("rg-quick").spawn().expect("spawn");
        pids.push(child.id() as i64);
        let mut child = child;
        child.wait().expect("wait");
    }
    let exe = realpath("/bin/true");
    for pid in pids {
        let r = sensor.wait_for("exit of a short-lived process", |v| is(v, "process_exit") && n(v, "pid") == pid);
        assert_eq!(s(&r, "exe"), exe);
        assert_eq!(s(&r, "cmdline"), "/bin/true rg-quick");
        assert_eq!(n(&r, "ppid"), my_pid());
        assert_eq!(s(&r, "parent_exe"), realpath("/proc/self/exe"));
    }
}

#[test]
fn process_churn_keeps_the_table_bounded() {
    let config = format!("{E2E_CONFIG}\n[performance]\nmax_process_cache_entries = 64\n");
    let mut sensor = Sensor::start(&config);
    let started = Instant::now();
    let mut pids = Vec::with_capacity(3000);
    for _ in 0..3000 {
        // SAFETY: the child only calls _exit.
        let pid = unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::_exit(0);
            }
            assert!(pid > 0, "fork");
            let mut st = 0;
            libc::waitpid(pid, &mut st, 0);
            pid
        };
        pids.push(pid as i64);
    }
    let took = started.elapsed();
    assert!(sensor.is_running(), "the sensor died under process churn");
    let last = *pids.last().expect("pids");
    sensor.wait_for("exit of the last child", |v| is(v, "process_exit") && n(v, "pid") == last);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    let health = final_health(&records);
    for hr in records.iter().filter(|v| is(v, "health")) {
        assert!(h(hr, "process_table_size") <= 64, "table over its bound: {hr}");
    }
    let exits: std::collections::HashSet<i64> =
        records.iter().filter(|v| is(v, "process_exit") && n(v, "ppid") == my_pid()).map(|v| n(v, "pid")).collect();
    let seen = pids.iter().filter(|p| exits.contains(p)).count() as u64;
    let lost = h(&health, "kernel_drops") + h(&health, "userspace_drops");
    eprintln!("churn: 3000 fork+exit in {took:?}, {seen} exits seen, {lost} lost; {health}");
    assert!(seen + lost >= 3000, "exits vanished: {seen} seen + {lost} lost");
    // attribution under eviction: every child's exit names this process as parent
    for r in records.iter().filter(|v| is(v, "process_exit") && pids.contains(&n(v, "pid"))) {
        assert_eq!(n(r, "ppid"), my_pid(), "{r}");
    }
}

#[test]
fn a_200_deep_process_chain_has_the_right_parent_at_every_level() {
    const DEPTH: usize = 200;
    let sensor = Sensor::start(E2E_CONFIG);
    let mut fds = [0; 2];
    // SAFETY: pipe into a valid array.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // Each level writes its pid, forks the next and waits for it; only
    // async-signal-safe calls after fork.
    // SAFETY: see above; the children never return into Rust code.
    let top = unsafe {
        let pid = libc::fork();
        if pid == 0 {
            libc::close(fds[0]);
            let mut depth = 0;
            loop {
                let me = libc::getpid();
                libc::write(fds[1], (&me as *const i32).cast(), 4);
                depth += 1;
                if depth == DEPTH {
                    libc::_exit(0);
                }
                let child = libc::fork();
                if child != 0 {
                    let mut st = 0;
                    if child > 0 {
                        libc::waitpid(child, &mut st, 0);
                    }
                    libc::_exit(0);
                }
            }
        }
        libc::close(fds[1]);
        pid
    };
    let mut pids = Vec::new();
    let mut buf = [0u8; 4];
    // SAFETY: reads into a 4-byte buffer.
    while unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), 4) } == 4 {
        pids.push(i32::from_ne_bytes(buf) as i64);
    }
    // SAFETY: waits for our own child.
    unsafe {
        libc::close(fds[0]);
        let mut st = 0;
        libc::waitpid(top, &mut st, 0);
    }
    assert_eq!(pids.len(), DEPTH);
    assert_eq!(pids[0], top as i64);
    let deepest = pids[DEPTH - 1];
    sensor.wait_for("exit of the deepest level", |v| is(v, "process_exit") && n(v, "pid") == deepest);
    sensor.wait_for("exit of the top", |v| is(v, "process_exit") && n(v, "pid") == top as i64);
    for (i, pid) in pids.iter().enumerate() {
        let parent = if i == 0 { my_pid() } else { pids[i - 1] };
        let fork = sensor.wait_for(&format!("fork of level {i}"), |v| is(v, "process_fork") && n(v, "pid") == *pid);
        assert_eq!(n(&fork, "ppid"), parent, "level {i}: {fork}");
        let exit = sensor.wait_for(&format!("exit of level {i}"), |v| is(v, "process_exit") && n(v, "pid") == *pid);
        assert_eq!(n(&exit, "ppid"), parent, "level {i}: {exit}");
    }
}

const RELOAD_RULE: &str = r#"
[[rules]]
id = "RG-TEST-RELOAD-ID"
name = "reload test ID"
type = "process"
severity = "high"
condition = "event_type = 'process_exec' and args contains 'rg-reload-ID'"
"#;

#[test]
fn sighup_reloads_rules_and_keeps_them_when_the_new_ones_are_broken() {
    let rules = TempDir::new("reload-rules");
    fs::write(rules.path("a.toml"), RELOAD_RULE.replace("ID", "one")).expect("write rule");
    let config = format!("{E2E_CONFIG}\n[detection]\nrule_dirs = [\"{}\"]\n", rules.str());
    let mut sensor = Sensor::start(&config);
    let alert = |sensor: &Sensor, id: &str| {
        let marker = format!("rg-reload-{id}");
        assert!(Command::new("/bin/echo").arg(&marker).status().expect("echo").success());
        let rule = format!("RG-TEST-RELOAD-{id}");
        sensor.try_wait_for(Duration::from_secs(5), &|v: &Value| is(v, "alert") && v["rule_id"] == rule.as_str())
    };
    assert!(alert(&sensor, "one").is_some(), "the first rule fires");
    assert!(alert(&sensor, "two").is_none(), "rule two does not exist yet");

    // a new rule file, then SIGHUP
    fs::write(rules.path("b.toml"), RELOAD_RULE.replace("ID", "two")).expect("write rule");
    sensor.signal(libc::SIGHUP);
    let err = sensor.wait_stderr("SIGHUP: reloaded", 1, Duration::from_secs(10));
    assert!(err.contains(": 2 rules"), "{err}");
    assert!(alert(&sensor, "two").is_some(), "the reloaded rule fires");

    // a broken rule file: reported, and the running rules stay
    fs::write(
        rules.path("c.toml"),
        "[[rules]]\nid = \"RG-TEST-BROKEN\"\nname = \"b\"\nseverity = \"low\"\ncondition = \"args contains\"\n",
    )
    .expect("write rule");
    sensor.signal(libc::SIGHUP);
    let err = sensor.wait_stderr("reload failed", 1, Duration::from_secs(10));
    assert!(err.contains("c.toml:5:"), "the error names file and line: {err}");
    assert!(sensor.is_running());
    assert!(alert(&sensor, "one").is_some(), "previous rules still run");
    assert!(alert(&sensor, "two").is_some(), "previous rules still run");

    let (status, _, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
}

#[test]
fn the_running_sensor_has_dropped_admin_capabilities() {
    let dir = TempDir::new("caps");
    let out = dir.path("out.ndjson");
    let config = format!(
        "[agent]\nid = \"e2e-host\"\n[file]\nwatch_paths = [\"/tmp\"]\n\
         [output]\ntype = \"file\"\npath = \"{}\"\nhealth_interval_secs = 1\n",
        out.display()
    );
    let sensor = Sensor::start(&config);
    let mode = fs::metadata(&out).expect("output file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the output file is readable by root alone");
    // it records (so the stage threads run), with enrichment
    assert!(Command::new("/bin/echo").arg("rg-caps-marker").status().expect("echo").success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = fs::read_to_string(&out).unwrap_or_default();
        let found = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| is(v, "process_exec") && v["args"][1] == "rg-caps-marker");
        if let Some(r) = found {
            assert_eq!(s(&r, "parent_exe"), realpath("/proc/self/exe"));
            break;
        }
        assert!(Instant::now() < deadline, "no exec record in the output file");
        std::thread::sleep(Duration::from_millis(100));
    }
    let tasks = fs::read_dir(format!("/proc/{}/task", sensor.pid())).expect("tasks");
    let mut threads = 0;
    for t in tasks.flatten() {
        let status = fs::read_to_string(t.path().join("status")).expect("status");
        let cap = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
                .expect("cap line")
        };
        for key in ["CapEff:", "CapPrm:"] {
            let c = cap(key);
            assert_eq!(c & (1 << 21), 0, "{key} still has CAP_SYS_ADMIN ({c:x}) in {:?}", t.path());
            assert_eq!(c & (1 << 24), 0, "{key} still has CAP_SYS_RESOURCE ({c:x})");
            assert_eq!(c & (1 << 1), 0, "{key} still has CAP_DAC_OVERRIDE ({c:x})");
            assert_ne!(c & (1 << 39), 0, "{key} lost CAP_BPF ({c:x})");
            assert_ne!(c & (1 << 19), 0, "{key} lost CAP_SYS_PTRACE ({c:x})");
        }
        threads += 1;
    }
    assert!(threads >= 5, "main + 4 stages, found {threads}");
}

/// VmHWM (peak RSS) of `pid` in KiB.
fn hwm_kb(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("sensor status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn long_command_lines_under_churn_stay_within_the_byte_bound() {
    // The fork-storm finding of issue 18: every process with a 4 KiB argv.
    // An entry bound alone would keep all 6000 (24 MB of command lines);
    // the byte bound keeps the table at 1 MiB and the sensor's peak RSS
    // grows by a few MB, whatever the count.
    const N: usize = 6000;
    const BOUND: u64 = 1 << 20;
    let config = format!("{E2E_CONFIG}\n[performance]\nmax_process_cache_bytes = {BOUND}\n");
    let mut sensor = Sensor::start(&config);
    let before = hwm_kb(sensor.pid());
    let arg = "A".repeat(4000);
    let cmdline = format!("/bin/true {arg}");
    let (path, argv0, argv1) = (cstr(b"/bin/true"), cstr(b"/bin/true"), cstr(arg.as_bytes()));
    let argv = [argv0.as_ptr(), argv1.as_ptr(), std::ptr::null()];
    let mut last = 0;
    for _ in 0..N {
        // SAFETY: the child only calls execv and _exit; every pointer in
        // argv points into CStrings that outlive the call.
        last = unsafe {
            let pid = libc::fork();
            if pid == 0 {
                libc::execv(path.as_ptr(), argv.as_ptr());
                libc::_exit(127);
            }
            assert!(pid > 0, "fork");
            let mut st = 0;
            libc::waitpid(pid, &mut st, 0);
            assert!(libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0, "/bin/true failed: {st}");
            pid as i64
        };
    }
    assert!(sensor.is_running(), "the sensor died under the storm");
    let exit = sensor.wait_for("exit of the last process", |v| is(v, "process_exit") && n(v, "pid") == last);
    assert_eq!(s(&exit, "cmdline"), cmdline, "the newest process keeps its full command line");
    let grown = hwm_kb(sensor.pid()).saturating_sub(before);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    let health = final_health(&records);
    let mut seen = 0;
    for hr in records.iter().filter(|v| is(v, "health")) {
        assert!(h(hr, "process_table_bytes") <= BOUND, "table over its byte bound: {hr}");
        seen += 1;
    }
    assert!(seen >= 2, "too few health records to judge the bound");
    assert!(h(&health, "process_table_size") < 1000, "entries held: {health}");
    eprintln!("long-argv storm: {N} processes, peak RSS grew {grown} KiB; {health}");
    assert!(grown < 12 * 1024, "peak RSS grew {grown} KiB under {N} long-argv processes");
}
