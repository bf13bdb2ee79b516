//! Replay benchmark: the userspace pipeline alone — decode → normalize
//! (process table) → rules (the default pack) → NDJSON to /dev/null — on
//! one core, over raw ring-buffer records built byte for byte as the kernel
//! writes them. Prints records/s; `make bench` puts it in its table. Then
//! the same replay writing OCSF and ECS records instead (`format`).
//!
//! `cargo bench --bench replay` (N=records, default 500000). With
//! `SIGMA_RULES=DIR`, the Sigma rules under DIR (e.g. SigmaHQ's Linux
//! rules, ../shared/sigma/rules) are loaded next to the default pack.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use rand_guard::bpf::abi::build;
use rand_guard::config::Config;
use rand_guard::pipeline::normalize::{Normalizer, Outcome, Selection};
use rand_guard::process::{ProcessTable, Users};
use rand_guard::record::time::BootClock;
use rand_guard::record::{EventType, Format};
use rand_guard::rules::{Engine, RuleSet};

/// A host-like mix: mostly file reads and writes, a steady trickle of
/// process lifecycle, some network; a few records that trip rules.
fn raw_mix(n: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n + 2000);
    let t = |pid: u32, comm: &str| build::task(pid, pid, 900, 1000, comm, "bash");
    for pid in 1000..3000u32 {
        out.push(build::exec(
            t(pid, "python3"),
            1,
            "/usr/bin/python3",
            &["python3", "app.py", "--serve"],
            "/usr/bin/python3.11",
            "/home/u/app",
        ));
    }
    let mut ktime = 10u64;
    for i in 0..n {
        ktime += 1000;
        let pid = 1000 + (i % 2000) as u32;
        let raw = match i % 20 {
            0 => build::exec(t(pid, "ls"), ktime, "/usr/bin/ls", &["ls", "-la", "/home/u"], "/usr/bin/ls", "/home/u"),
            1 => build::fork(t(pid, "bash"), ktime, 900),
            2 => build::exit(t(pid, "ls"), ktime, 0, 5),
            3..=8 => {
                build::file(EventType::FileOpen, t(pid, "python3"), ktime, 11, "/home/u/app/data/input.json", None)
            }
            9..=12 => build::file(EventType::FileWrite, t(pid, "python3"), ktime, 20, "/home/u/app/out.log", None),
            13 => build::file(
                EventType::FileRename,
                t(pid, "vim"),
                ktime,
                32,
                "/home/u/app/.x.swp",
                Some("/home/u/app/x"),
            ),
            14 => build::file(EventType::FileUnlink, t(pid, "rm"), ktime, 41, "/tmp/build-123/obj.o", None),
            15 => build::net(EventType::NetworkConnect, t(pid, "curl"), ktime, 2, &[93, 184, 216, 34], 443, 40000),
            16 => build::net(
                EventType::NetworkAccept,
                t(pid, "nginx"),
                ktime,
                10,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                51000,
                443,
            ),
            17 => build::file(EventType::FileOpen, t(pid, "cat"), ktime, 11, "/etc/shadow", None),
            18 => build::file(EventType::FileOpen, t(pid, "bash"), ktime, 11, "/etc/cron.d/backup", None),
            _ => build::file(
                EventType::FileOpen,
                t(pid, "python3"),
                ktime,
                11,
                "/usr/lib/python3.11/json/decoder.py",
                None,
            ),
        };
        out.push(raw);
    }
    out
}

fn pin_to_one_core() {
    // SAFETY: a zeroed cpu_set_t with one bit set; pid 0 = this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn main() {
    let n: usize = std::env::var("N").ok().and_then(|v| v.parse().ok()).unwrap_or(500_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = Config::load(&root.join("config/rand-guard.toml")).expect("shipped config loads");
    let raws = raw_mix(n);
    let extra: Vec<std::path::PathBuf> = std::env::var_os("SIGMA_RULES").map(Into::into).into_iter().collect();
    pin_to_one_core();
    // with Sigma rules, the rand-guard shape alone: the rules are what is measured
    let formats: &[Format] = if extra.is_empty() { &Format::ALL } else { &[Format::RandGuard] };
    for &format in formats {
        replay(&cfg, &raws, format, &extra);
    }
}

/// Replays `raws` three times writing `format`; prints the best round.
fn replay(cfg: &Config, raws: &[Vec<u8>], format: Format, extra: &[std::path::PathBuf]) {
    let load = || RuleSet::load(&cfg.text, &cfg.path, extra).expect("default pack (and Sigma rules) load");
    let sigma_loaded = load().sigma_report().loaded;
    let select = Selection { execve: true, execveat: true, paths: cfg.file.filter.clone() };
    let mut devnull = File::create("/dev/null").expect("/dev/null");
    let mut best = f64::MAX;
    let (mut emitted, mut alerts_total, mut filtered) = (0u64, 0u64, 0u64);
    for _round in 0..3 {
        let table = ProcessTable::new(cfg.performance.max_process_cache_entries);
        let mut norm = Normalizer::new(
            table,
            BootClock::with_offset(1_795_338_000_000_000_000),
            Arc::from("bench"),
            select.clone(),
        )
        .with_proc_root("/nonexistent".into())
        // user names as the sensor has them (the bench runs as root, so
        // /etc/passwd is readable); exe hashing needs live processes: off
        .with_users(Users::load(std::path::Path::new(rand_guard::process::users::PASSWD)));
        let mut engine = Engine::new(load());
        let mut buf = Vec::with_capacity(256 * 1024);
        let mut alerts = Vec::new();
        (emitted, alerts_total, filtered) = (0, 0, 0);
        let start = Instant::now();
        for raw in raws {
            match norm.normalize(raw) {
                Outcome::Record(mut r) => {
                    alerts.clear();
                    engine.process(&mut r, &mut alerts);
                    format.write_record(&mut buf, &r);
                    for a in &alerts {
                        a.write(format, &mut buf, &r);
                    }
                    emitted += 1;
                    alerts_total += alerts.len() as u64;
                    if buf.len() >= 64 * 1024 {
                        devnull.write_all(&buf).expect("write /dev/null");
                        buf.clear();
                    }
                }
                Outcome::Filtered => filtered += 1,
                Outcome::Invalid(e) => panic!("bench record invalid: {e}"),
            }
        }
        devnull.write_all(&buf).expect("write /dev/null");
        best = best.min(start.elapsed().as_secs_f64());
    }
    let total = raws.len() as f64;
    // the default format keeps the line `make bench` has always read
    let mut label = match format {
        Format::RandGuard => "replay".to_owned(),
        Format::Ocsf | Format::Ecs => format!("replay format={}", format.as_str()),
    };
    if !extra.is_empty() {
        label = label.replacen("replay", &format!("replay+sigma({sigma_loaded} rules)"), 1);
    }
    println!(
        "{label}: {} raw records ({emitted} emitted, {filtered} filtered, {alerts_total} alerts) in {best:.3} s = {:.0} records/s on one core ({:.0} ns/record)",
        raws.len(),
        total / best,
        best * 1e9 / total
    );
}
