//! `rand-guard rules list` and `rules test` as a rule author uses them:
//! unprivileged, over the shipped pack and recorded NDJSON.

use std::os::unix::process::CommandExt;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rand-guard");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Runs the binary, as nobody when we are root: no privileges are needed.
fn run(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(ROOT);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    cmd.output().expect("run rand-guard")
}

#[test]
fn rules_test_prints_the_alerts_of_recorded_records_without_root() {
    let out = run(&[
        "rules",
        "test",
        "--config",
        "config/rand-guard.toml",
        "--events",
        "tests/fixtures/rules/RG-PERSIST-CRON.positive.ndjson",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}; stderr: {}", out.status, String::from_utf8_lossy(&out.stderr));
    let alerts: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .filter(|v: &serde_json::Value| v["event_type"] == "alert")
        .collect();
    assert!(alerts.iter().any(|a| a["rule_id"] == "RG-PERSIST-CRON"), "no cron alert in: {stdout}");
    let benign = run(&[
        "rules",
        "test",
        "--config",
        "config/rand-guard.toml",
        "--events",
        "tests/fixtures/rules/RG-PERSIST-CRON.benign.ndjson",
    ]);
    assert!(benign.status.success());
    assert!(!String::from_utf8_lossy(&benign.stdout).contains("RG-PERSIST-CRON"));
}

#[test]
fn rules_list_shows_every_rule_of_the_pack() {
    let out = run(&["rules", "list", "--config", "config/rand-guard.toml"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for id in ["RG-PERSIST-CRON", "RG-SEQ-DROP-EXEC", "RG-EXEC-REVERSE-SHELL", "RG-PRIV-SUDOERS"] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
    assert_eq!(stdout.lines().count(), 20, "one line per rule:\n{stdout}");
}

#[test]
fn rules_test_names_a_missing_events_file() {
    let out = run(&["rules", "test", "--config", "config/rand-guard.toml", "--events", "/nonexistent.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent.ndjson"), "stderr: {err}");
}
