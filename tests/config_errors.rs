//! `rand-guard check-config` over broken configs and rule files, and the
//! StrictModes permission check: each case runs the real binary and wants
//! exit code 2 and ONE line on stderr naming the file, line and key.

mod common;

use std::fs;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

use common::{TempDir, BIN};

fn check(args: &[&str], path: &std::path::Path) -> Output {
    Command::new(BIN).arg("check-config").arg(path).args(args).output().expect("run check-config")
}

/// Asserts exit 2 and a single stderr line holding every fragment.
fn assert_one_error(case: &str, out: &Output, fragments: &[String]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{case}: exit code; stderr:\n{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{case}: one message, got:\n{stderr}");
    for f in fragments {
        assert!(stderr.contains(f.as_str()), "{case}: {f:?} missing from:\n{stderr}");
    }
}

/// (case, config text, rule file text, fragments; `CFG`/`RULES` stand for the files)
const CASES: &[(&str, &str, Option<&str>, &[&str])] = &[
    ("malformed TOML", "[agent\nid = \"x\"\n", None, &["CFG:1:", "invalid TOML"]),
    ("unknown key", "[agent]\ncolour = \"red\"\n", None, &["CFG:2:1:", "unknown key `agent.colour`"]),
    ("wrong type", "[ebpf]\nbuffer_size = \"big\"\n", None, &["CFG:2:", "ebpf.buffer_size"]),
    ("size out of range", "[ebpf]\nbuffer_size = 32\n", None, &["CFG:2:", "ebpf.buffer_size"]),
    ("capacity out of range", "[performance]\nchannel_capacity = 1\n", None, &["CFG:2:", "performance.channel_capacity"]),
    ("negative interval", "[output]\nhealth_interval_secs = -1\n", None, &["CFG:2:", "output.health_interval_secs"]),
    ("unknown output type", "[output]\ntype = \"syslog\"\n", None, &["CFG:2:", "output.type"]),
    ("ui token too short", "[ui]\ntoken = \"short\"\n", None, &["CFG:2:9:", "ui.token: must be 16 to 256"]),
    ("ui listen not an address", "[ui]\nlisten = \"9300\"\n", None, &["CFG:2:10:", "ui.listen: expected \"address:port\""]),
    ("ui history out of range", "[ui]\nhistory = 0\n", None, &["CFG:2:11:", "ui.history"]),
    (
        "port out of range",
        "",
        Some("[[rules]]\nid = \"p\"\nname = \"p\"\ntype = \"network\"\nseverity = \"low\"\nports = [70000]\n"),
        &["RULES:6:", "ports", "70000"],
    ),
    ("empty rule id", "", Some("[[rules]]\nid = \"\"\nname = \"e\"\nseverity = \"low\"\ncondition = \"comm = 'x'\"\ntype = \"process\"\n"), &["RULES:2:", "id", "empty"]),
    (
        "duplicate rule id",
        "",
        Some("[[rules]]\nid = \"d\"\nname = \"a\"\nseverity = \"low\"\ncondition = \"comm = 'x'\"\ntype = \"process\"\n[[rules]]\nid = \"d\"\nname = \"b\"\nseverity = \"low\"\ncondition = \"comm = 'y'\"\ntype = \"process\"\n"),
        &["RULES:8:", "duplicate", "`d`", "RULES:2:"],
    ),
    ("invalid regex", "", Some("[[rules]]\nid = \"r\"\nname = \"r\"\nseverity = \"low\"\ncondition = \"exe regex '(unclosed'\"\ntype = \"process\"\n"), &["RULES:5:", "condition", "invalid regex"]),
    ("invalid glob", "", Some("[[rules]]\nid = \"g\"\nname = \"g\"\nseverity = \"low\"\ncondition = \"path glob '[abc'\"\ntype = \"file\"\n"), &["RULES:5:", "condition", "invalid glob"]),
    ("condition syntax", "", Some("[[rules]]\nid = \"s\"\nname = \"s\"\nseverity = \"low\"\ncondition = \"comm = 'x' and\"\ntype = \"process\"\n"), &["RULES:5:", "condition", "syntax error"]),
    ("unknown field", "", Some("[[rules]]\nid = \"u\"\nname = \"u\"\nseverity = \"low\"\ncondition = \"colour = 'red'\"\ntype = \"process\"\n"), &["RULES:5:", "condition", "unknown field `colour`"]),
    ("unknown rule key", "", Some("[[rules]]\nid = \"k\"\nname = \"k\"\nseverity = \"low\"\nconditon = \"comm = 'x'\"\ntype = \"process\"\n"), &["RULES:5:", "conditon"]),
    ("missing rule directory", "[detection]\nrule_dirs = [\"no-such-dir\"]\n", None, &["CFG:2:", "detection.rule_dirs", "no-such-dir"]),
];

#[test]
fn every_bad_config_gives_one_located_message_and_exit_2() {
    for (case, config, rules, fragments) in CASES {
        let dir = TempDir::new("cfgerr");
        let cfg = dir.path("rand-guard.toml");
        let rule_file = dir.path("rules/r.toml");
        let mut text = config.to_string();
        if let Some(r) = rules {
            fs::create_dir_all(dir.path("rules")).expect("mkdir");
            fs::write(&rule_file, r).expect("write rules");
            text.push_str("[detection]\nrule_dirs = [\"rules\"]\n");
        }
        fs::write(&cfg, text).expect("write config");
        let out = check(&[], &cfg);
        let fragments: Vec<String> = fragments
            .iter()
            .map(|f| f.replace("CFG", &cfg.display().to_string()).replace("RULES", &rule_file.display().to_string()))
            .collect();
        assert_one_error(case, &out, &fragments);
    }
}

#[test]
fn an_unreadable_config_is_one_message() {
    let dir = TempDir::new("unreadable");
    let cfg = dir.path("rand-guard.toml");
    fs::write(&cfg, "").expect("write");
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o000)).expect("chmod 000");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // root bypasses file permissions: read it as nobody instead
        let out = Command::new(BIN).arg("check-config").arg(&cfg).uid(65534).gid(65534).output().expect("run");
        assert_one_error("unreadable", &out, &[format!("{}: cannot read: Permission denied", cfg.display())]);
        let out = check(&[], &cfg);
        assert!(out.status.success(), "root reads a 0000 file: {}", String::from_utf8_lossy(&out.stderr));
    } else {
        let out = check(&[], &cfg);
        assert_one_error("unreadable", &out, &[format!("{}: cannot read: Permission denied", cfg.display())]);
    }
}

#[test]
fn strict_modes_refuse_writable_config_and_rules_unless_overridden() {
    let dir = TempDir::new("strict");
    let cfg = dir.path("rand-guard.toml");
    fs::create_dir_all(dir.path("rules")).expect("mkdir");
    let rule = dir.path("rules/r.toml");
    fs::write(
        &rule,
        "[[rules]]\nid = \"r\"\nname = \"r\"\nseverity = \"low\"\ncondition = \"comm = 'x'\"\ntype = \"process\"\n",
    )
    .expect("write");
    fs::write(&cfg, "[detection]\nrule_dirs = [\"rules\"]\n").expect("write");
    for p in [&cfg, &rule] {
        fs::set_permissions(p, fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    assert!(check(&[], &cfg).status.success(), "0644 root files in 0755 dirs pass");

    let cases: [(&std::path::Path, u32, &str); 4] = [
        (&cfg, 0o664, "insecure file: it is writable by group"),
        (&cfg, 0o646, "insecure file: it is writable by others"),
        (&rule, 0o666, "insecure file: it is writable by group and others"),
        (&dir.0.join("rules"), 0o777, "insecure directory: it is writable by group and others"),
    ];
    for (path, mode, why) in cases {
        let before = fs::metadata(path).expect("stat").permissions().mode() & 0o7777;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        let out = check(&[], &cfg);
        assert_one_error(why, &out, &[format!("{}: {why}", path.display()), "--allow-insecure-config".into()]);
        let out = check(&["--allow-insecure-config"], &cfg);
        assert!(out.status.success(), "override: {}", String::from_utf8_lossy(&out.stderr));
        fs::set_permissions(path, fs::Permissions::from_mode(before)).expect("chmod back");
    }
    // the config's own directory counts: a writable one lets anyone swap the file
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o777)).expect("chmod");
    assert_one_error("config dir", &check(&[], &cfg), &[format!("{}: insecure directory", dir.0.display())]);
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod");

    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        chown(&rule, Some(65534), None).expect("chown");
        let out = check(&[], &cfg);
        assert_one_error(
            "owner",
            &out,
            &[format!("{}: insecure file: it is owned by uid 65534 (expected root)", rule.display())],
        );
        assert!(check(&["--allow-insecure-config"], &cfg).status.success());
        // `run` applies the same check before it loads anything
        let out = Command::new(BIN).args(["run", "--config"]).arg(&cfg).output().expect("run");
        assert_one_error("run", &out, &[format!("{}: insecure file", rule.display())]);
    }
}

/// A file output's directory is checked like the config's: one that others
/// can write (sticky or not) would let them plant a symlink or a forged
/// file at the output's name. `check-config` and `run` (before it loads
/// anything) both refuse it, naming the output, its path and the directory.
#[test]
fn a_file_output_in_a_directory_others_can_write_is_refused() {
    let dir = TempDir::new("outdir");
    let out = dir.path("logs");
    fs::create_dir_all(&out).expect("mkdir");
    let cfg = dir.path("rand-guard.toml");
    let events = out.join("events.ndjson");
    fs::write(&cfg, format!("[[outputs]]\nname = \"local\"\ntype = \"file\"\npath = \"{}\"\n", events.display()))
        .expect("write");
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o644)).expect("chmod");
    for mode in [0o755, 0o700] {
        fs::set_permissions(&out, fs::Permissions::from_mode(mode)).expect("chmod");
        assert!(check(&[], &cfg).status.success(), "{mode:o}: {}", String::from_utf8_lossy(&check(&[], &cfg).stderr));
    }
    for (mode, who) in [(0o777, "group and others"), (0o1777, "group and others"), (0o775, "group")] {
        fs::set_permissions(&out, fs::Permissions::from_mode(mode)).expect("chmod");
        let why = format!("{}: insecure output directory: it is writable by {who}", out.display());
        assert_one_error(&format!("{mode:o}"), &check(&[], &cfg), &[format!("output local: {why}")]);
        let run = Command::new(BIN).args(["run", "--config"]).arg(&cfg).output().expect("run");
        let named = format!("output local: cannot open {}: {why}", events.display());
        assert_one_error(&format!("run {mode:o}"), &run, &[named]);
        assert!(check(&["--allow-insecure-config"], &cfg).status.success(), "the escape hatch covers it");
    }
    assert!(!events.exists(), "nothing was created");
}

/// `agent.log_level` decides which of the sensor's own messages reach
/// stderr: a config note is a warning, shown at "warn" and below it, hidden
/// at "error". The `ok` line on stdout is the command's output, not a log.
#[test]
fn agent_log_level_filters_the_sensors_own_messages() {
    let dir = TempDir::new("loglevel");
    let cfg = dir.path("rand-guard.toml");
    let note = "process.collect_args = false has no effect";
    for (level, shown) in [("error", false), ("warn", true), ("info", true), ("debug", true)] {
        fs::write(&cfg, format!("[agent]\nlog_level = \"{level}\"\n[process]\ncollect_args = false\n")).expect("write");
        fs::set_permissions(&cfg, fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = check(&["--allow-insecure-config"], &cfg);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{level}: {stderr}");
        assert_eq!(
            stderr.contains(&format!("rand-guard: warning: {}:4:16: {note}", cfg.display())),
            shown,
            "{level}: {stderr}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok ("), "{level}");
    }
}
