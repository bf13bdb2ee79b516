//! `rand-guard rules list` and `rules test` as a rule author uses them:
//! unprivileged, over the shipped pack and recorded NDJSON.

mod common;

use std::fs;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use common::{checkout_config_is_secure, TempDir, BIN};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Who the binary runs as when the tests run as root.
const NOBODY: u32 = 65534;

fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs the binary, as nobody when we are root: no privileges are needed.
fn run(args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(ROOT);
    if as_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    cmd.output().expect("run rand-guard")
}

/// `rules <args> --config config/rand-guard.toml`: the shipped pack, with
/// `--allow-insecure-config` where the checkout would not pass StrictModes.
fn with_pack(args: &[&str]) -> Output {
    let mut all = vec!["rules"];
    all.extend_from_slice(args);
    all.extend(["--config", "config/rand-guard.toml"]);
    if !checkout_config_is_secure() {
        all.push("--allow-insecure-config");
    }
    run(&all)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch directory the binary can read and, as its owner, trust.
fn scratch(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// Writes `text` at `path`, mode 0644, owned by whoever the binary runs as.
fn put(path: &Path, text: &str) {
    fs::write(path, text).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).expect("chmod");
    own(path);
}

fn own(path: &Path) {
    if as_root() {
        chown(path, Some(NOBODY), Some(NOBODY)).expect("chown");
    }
}

/// A `process_exec` record with exactly the fields docs/records.md lists
/// (every record's, then process_exec's): no `syscall`, no `stdin`; `exe`
/// is /usr/bin/`args[0]`.
fn contract_exec(args: &[&str]) -> serde_json::Value {
    let exe = format!("/usr/bin/{}", args.first().copied().unwrap_or_default());
    serde_json::json!({
        "event_type": "process_exec",
        "timestamp": "2026-11-22T09:19:47.123456789Z",
        "host": "h1",
        "pid": 4242,
        "tid": 4242,
        "ppid": 1,
        "uid": 1000,
        "gid": 1000,
        "euid": 1000,
        "comm": args.first().copied().unwrap_or_default(),
        "exe": exe,
        "cmdline": args.join(" "),
        "parent_comm": "bash",
        "parent_exe": "/usr/bin/bash",
        "filename": exe,
        "args": args,
        "args_truncated": false,
        "cwd": "/home/u",
    })
}

fn alerts(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .filter(|v: &serde_json::Value| v["event_type"] == "alert")
        .collect()
}

#[test]
fn rules_test_prints_the_alerts_of_recorded_records_without_root() {
    let out = with_pack(&["test", "--events", "tests/fixtures/rules/RG-PERSIST-CRON.positive.ndjson"]);
    assert!(out.status.success(), "exit {:?}; stderr: {}", out.status, stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(alerts(&out).iter().any(|a| a["rule_id"] == "RG-PERSIST-CRON"), "no cron alert in: {stdout}");
    let benign = with_pack(&["test", "--events", "tests/fixtures/rules/RG-PERSIST-CRON.benign.ndjson"]);
    assert!(benign.status.success(), "stderr: {}", stderr(&benign));
    assert!(!String::from_utf8_lossy(&benign.stdout).contains("RG-PERSIST-CRON"));
}

#[test]
fn rules_test_takes_a_record_with_only_the_contract_fields() {
    let dir = scratch("contract");
    // a module load: RG-EVADE-KMOD-LOAD reads only contract fields
    let record = contract_exec(&["insmod", "rootkit.ko"]);
    let keys = record.as_object().expect("object");
    assert!(!keys.contains_key("syscall") && !keys.contains_key("stdin"), "contract fields only");
    let events = dir.path("events.ndjson");
    put(&events, &format!("{record}\n"));
    let out = with_pack(&["test", "--events", events.to_str().expect("utf-8")]);
    assert!(out.status.success(), "exit {:?}; stderr: {}", out.status, stderr(&out));
    let alerts = alerts(&out);
    let a =
        alerts.iter().find(|a| a["rule_id"] == "RG-EVADE-KMOD-LOAD").unwrap_or_else(|| panic!("no alert: {alerts:?}"));
    assert_eq!((&a["pid"], &a["source_event_type"]), (&serde_json::json!(4242), &serde_json::json!("process_exec")));
    assert!(stderr(&out).contains("1 records (0 alert/health lines skipped), 1 matched"), "{}", stderr(&out));
}

#[test]
fn rules_test_names_a_bad_line_once_as_file_and_line() {
    let dir = scratch("badline");
    let good = contract_exec(&["chmod", "u+s", "/tmp/sh"]);
    let mut bad = good.clone();
    bad["args"] = serde_json::json!("chmod u+s /tmp/sh");
    let events = dir.path("events.ndjson");
    put(&events, &format!("{good}\n\n{bad}\n{good}\n"));
    let out = with_pack(&["test", "--events", events.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err, format!("rand-guard: {}:3: field `args`: expected an array\n", events.display()));
    assert!(!err.contains("line "), "the line is named once: {err}");
}

#[test]
fn rules_test_with_no_rules_says_so_and_fails() {
    const NO_RULES: &str = "rand-guard: rules test: no rules loaded (give --config or --rules); nothing to test";
    let dir = scratch("norules");
    let (cfg, events) = (dir.path("rand-guard.toml"), dir.path("events.ndjson"));
    put(&cfg, "[agent]\nid = \"h1\"\n");
    put(&events, &format!("{}\n", contract_exec(&["chmod", "u+s", "/tmp/sh"])));
    let (cfg, events) = (cfg.to_str().expect("utf-8"), events.to_str().expect("utf-8"));
    let mut cases = vec![vec!["rules", "test", "--config", cfg, "--events", events]];
    // with nothing installed, no --config means the built-in defaults: no rules either
    if !Path::new("/etc/rand-guard/rand-guard.toml").exists() {
        cases.push(vec!["rules", "test", "--events", events]);
    }
    for args in cases {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: stderr: {}", stderr(&out));
        assert!(stderr(&out).lines().any(|l| l == NO_RULES), "{args:?}: stderr: {}", stderr(&out));
        assert!(!stderr(&out).contains("0 alerts") && out.stdout.is_empty(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn rules_list_and_test_refuse_writable_rules_unless_allowed() {
    let dir = scratch("strict");
    own(&dir.0);
    let (cfg, rules, events) = (dir.path("rand-guard.toml"), dir.path("rules"), dir.path("events.ndjson"));
    put(&cfg, "[agent]\nid = \"h1\"\n[detection]\nrule_dirs = [\"rules\"]\n");
    fs::create_dir(&rules).expect("mkdir");
    own(&rules);
    let rule = "[[rules]]\nid = \"T-CHMOD\"\nname = \"chmod\"\ntype = \"process\"\nseverity = \"low\"\ncondition = \"comm = 'chmod'\"\n";
    put(&rules.join("t.toml"), rule);
    put(&events, &format!("{}\n", contract_exec(&["chmod", "644", "/tmp/x"])));
    let (c, e) = (cfg.to_str().expect("utf-8"), events.to_str().expect("utf-8"));
    let list = ["rules", "list", "--config", c];
    let test = ["rules", "test", "--config", c, "--events", e];

    let cases: [(&Path, u32, &str); 2] = [
        (&rules, 0o775, "insecure directory: it is writable by group"),
        (&cfg, 0o664, "insecure file: it is writable by group"),
    ];
    for (path, mode, why) in cases {
        for args in [&list[..], &test[..]] {
            let out = run(args);
            assert!(out.status.success(), "{args:?} with 0755/0644 files: {}", stderr(&out));
            assert!(String::from_utf8_lossy(&out.stdout).contains("T-CHMOD"), "{args:?}: the rule is loaded");
        }
        let before = fs::metadata(path).expect("stat").permissions().mode() & 0o7777;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        for args in [&list[..], &test[..]] {
            let out = run(args);
            assert_eq!(out.status.code(), Some(2), "{args:?} must refuse {}: {}", path.display(), stderr(&out));
            let err = stderr(&out);
            assert!(err.starts_with(&format!("rand-guard: {}: {why} (mode {mode:04o})", path.display())), "{err}");
            assert!(err.contains("--allow-insecure-config"), "{err}");
            let out = run(&[args, &["--allow-insecure-config"]].concat());
            assert!(out.status.success(), "{args:?} --allow-insecure-config: {}", stderr(&out));
            assert!(String::from_utf8_lossy(&out.stdout).contains("T-CHMOD"), "{args:?}: the rule is loaded");
        }
        fs::set_permissions(path, fs::Permissions::from_mode(before)).expect("chmod back");
    }
}

#[test]
fn rules_list_shows_every_rule_of_the_pack() {
    let out = with_pack(&["list"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for id in ["RG-PERSIST-CRON", "RG-SEQ-DROP-EXEC", "RG-EXEC-REVERSE-SHELL", "RG-PRIV-SUDOERS"] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
    assert_eq!(stdout.lines().count(), 32, "one line per rule:\n{stdout}");
}

#[test]
fn rules_test_names_a_missing_events_file() {
    let out = with_pack(&["test", "--events", "/nonexistent.ndjson"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("/nonexistent.ndjson"), "stderr: {err}");
}

/// A rule directory with two SigmaHQ rules as they are: one rand-guard
/// runs, one that needs a field it does not have.
fn sigma_setup(dir: &Path) -> std::path::PathBuf {
    let corpus = Path::new(ROOT).join("../shared/sigma/rules/linux");
    let sigma = dir.join("sigma");
    fs::create_dir(&sigma).expect("mkdir");
    own(&sigma);
    for f in [
        "process_creation/proc_creation_lnx_susp_java_children.yml",
        "network_connection/net_connection_lnx_crypto_mining_indicators.yml",
    ] {
        let text = fs::read_to_string(corpus.join(f)).expect("the SigmaHQ corpus is at ../shared/sigma");
        put(&sigma.join(Path::new(f).file_name().expect("name")), &text);
    }
    let cfg = dir.join("rand-guard.toml");
    put(&cfg, "[detection]\nrule_dirs = [\"sigma\"]\n");
    cfg
}

#[test]
fn sigma_rules_are_listed_reported_and_attributed() {
    let dir = scratch("cli-sigma");
    let cfg = sigma_setup(&dir.0);
    let events = dir.0.join("events.ndjson");
    let mut rec = contract_exec(&["bash", "-c", "id"]);
    rec["parent_exe"] = "/usr/lib/jvm/bin/java".into();
    let mut benign = contract_exec(&["bash", "-c", "id"]);
    benign["pid"] = 4343.into();
    put(&events, &format!("{rec}\n{benign}\n"));
    let c = cfg.to_str().expect("utf-8");

    let out = run(&["rules", "list", "--config", c]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = String::from_utf8_lossy(&out.stdout);
    let line = list.lines().find(|l| l.starts_with("d292e0af-9a18-420c-9525-ec0ac3936892\t")).expect("the java rule");
    assert!(line.ends_with("\tsigma") && line.contains("proc_creation_lnx_susp_java_children.yml:2\t"), "{line}");
    assert!(!list.contains("a46c93b7"), "the crypto mining rule needs remote_hostname:\n{list}");
    assert!(stderr(&out).contains("1 Sigma rule(s) not loaded"), "{}", stderr(&out));

    let out = run(&["rules", "test", "--config", c, "--events", events.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = alerts(&out);
    assert_eq!(a.len(), 1, "fires on the java child only: {a:?}");
    assert_eq!(a[0]["pid"], 4242);
    assert_eq!(a[0]["rule_name"], "Suspicious Java Children Processes");
    assert_eq!(a[0]["severity"], "high");
    assert_eq!(a[0]["rule_format"], "sigma");
    assert_eq!(a[0]["rule_author"], "Nasreddine Bencherchali (Nextron Systems)");
    assert!(a[0]["rule_file"].as_str().expect("rule_file").ends_with("proc_creation_lnx_susp_java_children.yml"));

    let out = run(&["check-config", c, "--report"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("sigma: 2 rules: 1 loaded, 0 skipped by status, 1 unsupported"), "{report}");
    assert!(report.contains("sigma: unsupported (field DestinationHostname): 1"), "{report}");
    assert!(
        report.contains(
            "net_connection_lnx_crypto_mining_indicators.yml:18:1: rule `a46c93b7-55ed-4d27-a41b-c259456c4746`"
        ),
        "{report}"
    );
}
