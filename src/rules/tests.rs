//! Engine-level tests: loading errors, operators, compat rules, built-in
//! detections, sequences, the default pack against its fixtures, and the
//! NDJSON round trip.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::bench::*;
use super::*;
use crate::record::json::write_record;
use crate::record::{Exit, Fork, NetKind, Ptrace};

const T0: u64 = 1_795_338_000_000_000_000;
const S: u64 = 1_000_000_000;
const TTY: [&str; 3] = ["tty", "tty", "tty"];

fn set(text: &str) -> Result<RuleSet, RuleError> {
    RuleSet::from_sources(&[(PathBuf::from("t.toml"), text.to_string())])
}

fn err(text: &str) -> String {
    match set(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn fired(engine: &mut Engine, mut r: Record) -> Vec<String> {
    let mut alerts = Vec::new();
    engine.process(&mut r, &mut alerts);
    alerts.iter().map(|a| a.rule_id().to_string()).collect()
}

fn one_rule(cond: &str) -> Engine {
    let text = format!("[[rules]]\nid = \"R\"\ntype = \"process\"\ncondition = {}\n", toml_str(cond));
    Engine::new(set(&text).unwrap_or_else(|e| panic!("{e}")))
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn sh_exec() -> Record {
    let mut r = exec(T0, 100, 50, "nginx", "/usr/bin/bash", &["bash", "-c", "id --Version"], ["socket", "pipe", "tty"]);
    r.comm = "bash".into();
    r
}

#[test]
fn operators_and_precedence() {
    let cases: &[(&str, bool)] = &[
        ("comm = 'bash'", true),
        ("comm == 'bash'", true),
        ("comm != 'bash'", false),
        ("comm in ('sh', 'bash')", true),
        ("cmdline contains 'id --'", true),
        ("cmdline icontains 'ID --VERSION'", true),
        ("exe startswith '/usr/bin'", true),
        ("exe endswith '/bash'", true),
        ("exe glob '/usr/*/bash'", true),
        ("exe glob '/*/bash'", false),
        ("exe regex '^/usr/(s)?bin/ba'", true),
        ("pid = 100 and ppid < 51 and ppid <= 50 and pid > 99 and pid >= 100", true),
        ("pid in (1, 2, 100)", true),
        ("args contains '-c'", true),
        ("args = 'bash'", true),
        ("args != 'bash'", false),
        ("args in ('-x', '-c')", true),
        ("args_count = 3", true),
        ("args_truncated = false", true),
        ("cwd exists", true),
        ("parent_exe exists", false),
        ("not parent_exe exists", true),
        ("stdin = 'socket' and stdout = 'pipe'", true),
        ("comm = 'x' or comm = 'bash' and pid = 100", true),
        ("(comm = 'x' or comm = 'bash') and pid = 1", false),
        ("not comm = 'x' and not (pid = 1 or pid = 2)", true),
        ("true and not false", true),
        ("exe_name = 'bash' and filename_name = 'bash'", true),
        ("event_type = 'process_exec' and parent_comm = 'nginx'", true),
        ("cmdline contains \"--V\"", true),
        ("parent_exe != 'x'", false),
    ];
    for (cond, want) in cases {
        let mut e = one_rule(cond);
        assert_eq!(!fired(&mut e, sh_exec()).is_empty(), *want, "{cond}");
    }
}

#[test]
fn missing_fields_make_comparisons_false() {
    let text = "[[rules]]\nid = \"R\"\ncondition = \"not path startswith '/etc'\"\ntype = \"file\"\n";
    let mut e = Engine::new(set(text).unwrap());
    assert_eq!(fired(&mut e, open(T0, 1, "cat", "/tmp/x", O_RDONLY)), vec!["R"]);
    assert!(fired(&mut e, open(T0, 1, "cat", "/etc/x", O_RDONLY)).is_empty());
    // new_path is missing on an open: the test is false, its negation true.
    let mut e =
        Engine::new(set("[[rules]]\nid = \"R\"\ntype = \"file\"\ncondition = \"not new_path = '/x'\"\n").unwrap());
    assert_eq!(fired(&mut e, open(T0, 1, "cat", "/tmp/x", O_RDONLY)), vec!["R"]);
}

#[test]
fn lists_and_macros_across_files() {
    let a =
        "[lists]\nshells = ['bash', 'sh']\n[macros]\nshell = \"comm in (shells)\"\nweb = \"parent_comm in (web)\"\n";
    let b = "[lists]\nweb = ['nginx']\n[[rules]]\nid = \"R\"\ntype = \"process\"\ncondition = \"shell and web\"\n";
    let s = RuleSet::from_sources(&[("a.toml".into(), a.into()), ("b.toml".into(), b.into())]).unwrap();
    let mut e = Engine::new(s);
    assert_eq!(fired(&mut e, sh_exec()), vec!["R"]);
}

#[test]
fn load_errors_name_file_line_rule_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\n[[rules]]\nid = \"A\"\ntype = \"process\"\n",
            "t.toml:5:1: duplicate rule id `A` (first defined at t.toml:2:1)",
        ),
        ("[[rules]]\nid = \"\"\ntype = \"process\"\n", "t.toml:2:6: key `id`: rule id is empty"),
        ("[[rules]]\nid = \"A\"\ntype = \"process\"\nfoo = 1\n", "t.toml:4:1: rule `A`, key `foo`: unknown key `foo`"),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\nenabled = \"yes\"\n",
            "t.toml:4:11: rule `A`, key `enabled`: expected a boolean, found string",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"network\"\nports = [70000]\n",
            "rule `A`, key `ports`: port 70000 is outside 0..=65535",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\nseverity = \"urgent\"\n",
            "rule `A`, key `severity`: bad severity `urgent`",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\nrisk_score = 1.5\n",
            "rule `A`, key `risk_score`: risk_score 1.5 is outside 0.0..=1.0",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"remote_prot = 4\"\n",
            "t.toml:4:14: rule `A`, key `condition`: unknown field `remote_prot`, did you mean `remote_port`?",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"pid contains 'x'\"\n",
            "t.toml:4:18: rule `A`, key `condition`: type mismatch: `pid` is an integer and `contains` applies to strings only",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"file\"\ncondition = \"path > 3\"\n",
            "type mismatch: `path` is a string and `>` was given the number 3",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"event_type = 'process_exec' and remote_port = 4\"\n",
            "field `remote_port` is never present on process_exec records",
        ),
        ("[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"comm regex '('\"\n", "invalid regex `(`"),
        ("[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"comm glob '[a'\"\n", "invalid glob `[a`"),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"comm in (nolist)\"\n",
            "t.toml:4:23: rule `A`, key `condition`: unknown list `nolist`",
        ),
        ("[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"nomacro\"\n", "unknown macro or field `nomacro`"),
        (
            "[macros]\nm1 = \"m2\"\nm2 = \"comm = 'x' and m1\"\n[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"m1\"\n",
            "t.toml:3:22: rule `A`, key `macros.m2`: recursive macro: m1 -> m2 -> m1",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"sequence\"\nkey = \"pid\"\nwindow_secs = 5\nsteps = [\"comm = 'a'\"]\n",
            "sequence: needs at least 2 steps, has 1",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"sequence\"\nkey = \"pid\"\nsteps = [\"comm = 'a'\", \"comm = 'b'\"]\n",
            "sequence: missing `window_secs`",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"sequence\"\nwindow_secs = 5\nsteps = [\"comm = 'a'\", \"comm = 'b'\"]\n",
            "sequence: missing `key`",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"comm = \"\n",
            "t.toml:4:21: rule `A`, key `condition`: condition syntax error: expected a value after `=`",
        ),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"event_type = 'proc_exec'\"\n",
            "bad value `proc_exec`",
        ),
        ("[[rules]]\nid = \"A\"\ntype = \"process\"\nports = [1]\n", "unknown key `ports`"),
        ("[[rules]]\nid = \"A\"\ntype = \"file\"\noperations = [\"chmod\"]\n", "bad value `chmod`"),
        ("rules = 3\n", "key `rules`: expected an array of tables"),
        ("[agent]\nid = 1\n", "unknown key `agent`"),
        ("[[rules]\n", "TOML syntax error"),
        ("[lists]\na = [1]\n[lists.b]\n", "key `lists.b`: expected a value, found table"),
        (
            "[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = \"comm = $x\"\n",
            "only allowed in the second and later steps",
        ),
    ];
    for (text, want) in cases {
        let got = err(text);
        assert!(got.contains(want), "\n got: {got}\nwant: {want}");
    }
    let dup = "[lists]\nx = ['a']\n";
    let e = RuleSet::from_sources(&[("a.toml".into(), dup.into()), ("b.toml".into(), dup.into())]).unwrap_err();
    assert_eq!(e.to_string(), "b.toml:2:1: duplicate list `x` (first defined at a.toml:2:1)");
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "[[rules]]",
        "[[rules]]\nid=1",
        "[[rules]]\nid=\"a\"\ntype=\"sequence\"\nsteps=[1,2]\nkey=\"pid\"\nwindow_secs=1",
        "[[rules]]\nid=\"a\"\ntype=\"file\"\ncondition=\"((((\"",
        "[[rules]]\nid=\"a\"\ntype=\"file\"\ncondition=\"path in (\"",
        "[macros]\nx=1",
        "[detections]\npersistence = 1",
        "[[detections.network]]\nname=\"n\"\nports=[-1]",
        "[[rules]]\nid=\"a\"\ntype=\"file\"\ncondition=\"'\\u00e9\"",
        "[[rules]]\nid=\"é\"\ntype=\"process\"\ncondition=\"comm = 'é' and ¬\"",
    ];
    for s in samples {
        let _ = set(s);
    }
    for cut in 0..200 {
        let text = include_str!("../../config/rules/execution.toml");
        let end = text.char_indices().map(|(i, _)| i).nth(cut * 37).unwrap_or(text.len());
        let _ = set(&text[..end]);
    }
}

#[test]
fn compat_rules_as_the_original() {
    let text = r#"
[[rules]]
id = "PROC-001"
name = "Shell spawned by web server"
enabled = true
type = "process"
severity = "high"
action = "alert"
parent_names = ["nginx", "apache2", "httpd"]
process_names = ["sh", "bash", "dash"]

[[rules]]
id = "FILE-001"
name = "Sensitive file touched"
type = "file"
severity = "high"
action = "log"
paths = ["/etc/passwd", "/etc/shadow", "/etc/sudoers.d/"]
operations = ["file_open", "write", "file_unlink", "file_rename"]
patterns = []

[[rules]]
id = "FILE-ANY"
type = "file"
operations = ["*"]
paths = ["/srv/app/"]
patterns = ["*.php"]

[[rules]]
id = "NET-001"
type = "network"
severity = "medium"
direction = "outbound"
ports = [4444, 1337, 31337]

[[rules]]
id = "NET-LISTEN"
type = "network"
direction = "listen"
ports = [4444]
process_names = ["nc"]

[[rules]]
id = "OFF"
enabled = false
type = "process"
process_names = ["bash"]
"#;
    let mut e = Engine::new(set(text).unwrap());
    assert_eq!(fired(&mut e, sh_exec()), vec!["PROC-001"]);
    let mut r = sh_exec();
    r.parent_comm = Some("sshd".into());
    assert!(fired(&mut e, r).is_empty());
    assert_eq!(fired(&mut e, open(T0, 1, "cat", "/etc/shadow", O_RDONLY)), vec!["FILE-001"]);
    assert_eq!(fired(&mut e, write(T0, 1, "vi", "/etc/sudoers.d/x")), vec!["FILE-001"]);
    assert!(fired(&mut e, open(T0, 1, "cat", "/etc/passwd-", O_RDONLY)).is_empty(), "component boundary");
    assert!(
        fired(&mut e, open(T0, 1, "cat", "/etc/sudoers.d", O_RDONLY)).is_empty(),
        "trailing slash = directory prefix"
    );
    assert_eq!(
        fired(&mut e, rename(T0, 1, "mv", "/tmp/x", "/etc/passwd")),
        vec!["FILE-001"],
        "rename matches new_path"
    );
    assert_eq!(fired(&mut e, rename(T0, 1, "mv", "/etc/shadow", "/tmp/x")), vec!["FILE-001"], "rename matches path");
    assert_eq!(fired(&mut e, unlink(T0, 1, "rm", "/srv/app/a/shell.php")), vec!["FILE-ANY"]);
    assert!(fired(&mut e, unlink(T0, 1, "rm", "/srv/app/a/shell.phps")).is_empty());
    assert!(
        fired(&mut e, unlink(T0, 1, "rm", "/srv/other/shell.php")).is_empty(),
        "both paths and patterns must match"
    );
    assert_eq!(fired(&mut e, net(T0, 1, 0, "nc", NetKind::Connect, "10.0.0.1", 4444)), vec!["NET-001"]);
    assert!(fired(&mut e, net(T0, 1, 0, "curl", NetKind::Connect, "10.0.0.1", 443)).is_empty());
    assert_eq!(fired(&mut e, net(T0, 1, 0, "nc", NetKind::Listen, "0.0.0.0", 4444)), vec!["NET-LISTEN"]);
    assert_eq!(fired(&mut e, net(T0, 1, 0, "nc", NetKind::Bind, "0.0.0.0", 4444)), vec!["NET-LISTEN"]);
    assert!(fired(&mut e, net(T0, 1, 0, "socat", NetKind::Listen, "0.0.0.0", 4444)).is_empty());
    let mut listing = Vec::new();
    print_list(e.rule_set(), &mut listing).unwrap();
    assert!(String::from_utf8(listing).unwrap().starts_with("PROC-001\tprocess\thigh\tenabled\tt.toml:3\t"));
    let info: Vec<_> = e.rule_set().rules().collect();
    assert_eq!(info.len(), 6);
    assert_eq!(info[0].source, "t.toml:3");
    assert_eq!(info[0].severity, "high");
    assert!(!info[5].enabled);
    // Legacy rules: risk from severity, description from name.
    let mut alerts = Vec::new();
    let mut r = sh_exec();
    e.process(&mut r, &mut alerts);
    let mut out = Vec::new();
    alerts[0].write_json(&mut out, &r);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["risk_score"], 0.75);
    assert_eq!(v["description"], "Shell spawned by web server");
    assert_eq!(v["tags"], serde_json::json!([]));
    assert_eq!(v["rule_type"], "process");
    assert_eq!(v["action"], "alert");
    assert_eq!(v["source_event_type"], "process_exec");
}

#[test]
fn builtin_detections_annotate_and_alert() {
    let text = r#"
[[detections.persistence]]
name = "systemd_service_modified"
paths = ["/etc/systemd/system/"]
patterns = ["*.service"]
operations = ["file_open", "file_write"]

[[detections.persistence]]
name = "cron_modified"
paths = ["/etc/crontab", "/etc/cron"]
operations = ["*"]

[[detections.network]]
name = "suspicious_outbound_port"
directions = ["outbound"]
ports = [4444, 1337, 31337]
"#;
    let mut e = Engine::new(set(text).unwrap());
    let mut r = open(T0, 1, "vi", "/etc/systemd/system/foo.service", O_WRONLY);
    let mut alerts = Vec::new();
    e.process(&mut r, &mut alerts);
    assert_eq!(r.detection.as_deref(), Some("systemd_service_modified"));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_id(), "builtin.systemd_service_modified");
    let mut out = Vec::new();
    write_record(&mut out, &r);
    alerts[0].write_json(&mut out, &r);
    let lines: Vec<serde_json::Value> =
        out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).unwrap()).collect();
    assert_eq!(lines[0]["alert"], true);
    assert_eq!(lines[0]["detection_type"], "systemd_service_modified");
    assert_eq!(lines[1]["rule_type"], "builtin");
    assert_eq!(lines[1]["severity"], "high");
    assert!(fired(&mut e, open(T0, 1, "vi", "/etc/systemd/system/fooservice", O_WRONLY)).is_empty());
    assert!(fired(&mut e, open(T0, 1, "vi", "/tmp/foo.service", O_WRONLY)).is_empty());
    assert!(fired(&mut e, unlink(T0, 1, "rm", "/etc/systemd/system/foo.service")).is_empty(), "operation");
    // "*" operations and a plain prefix (the original's starts_with).
    assert_eq!(fired(&mut e, unlink(T0, 1, "rm", "/etc/crontab")), vec!["builtin.cron_modified"]);
    assert_eq!(fired(&mut e, write(T0, 1, "vi", "/etc/cron.daily/x")), vec!["builtin.cron_modified"]);
    assert_eq!(fired(&mut e, rename(T0, 1, "mv", "/tmp/a", "/etc/crontab")), vec!["builtin.cron_modified"]);
    let mut r = net(T0, 1, 0, "nc", NetKind::Connect, "1.2.3.4", 4444);
    let mut alerts = Vec::new();
    e.process(&mut r, &mut alerts);
    assert_eq!(r.detection.as_deref(), Some("suspicious_outbound_port"));
    assert_eq!(alerts[0].meta.severity, Severity::Medium);
    assert!(fired(&mut e, net(T0, 1, 0, "nc", NetKind::Listen, "0.0.0.0", 4444)).is_empty());
}

const DROP_EXEC: &str = r#"
[[rules]]
id = "SEQ-DROP-EXEC"
type = "sequence"
key = "path"
window_secs = 60
steps = [
  "event_type in ('file_open') and access != 'read' and path_dir in ('/tmp', '/var/tmp', '/dev/shm')",
  "event_type = 'process_exec' and (exe = $path or filename = $path)",
]
"#;

#[test]
fn sequence_drop_and_execute() {
    let mut e = Engine::new(set(DROP_EXEC).unwrap());
    assert!(fired(&mut e, open(T0, 7, "curl", "/tmp/payload", O_WRONLY | O_CREAT)).is_empty());
    assert!(fired(&mut e, exec(T0 + S, 8, 7, "bash", "/tmp/other", &["/tmp/other"], TTY)).is_empty(), "other path");
    let mut r = exec(T0 + 30 * S, 9, 7, "bash", "/tmp/payload", &["/tmp/payload"], TTY);
    let mut alerts = Vec::new();
    e.process(&mut r, &mut alerts);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].related.len(), 1);
    assert_eq!(alerts[0].related[0].summary.as_ref(), "/tmp/payload");
    assert_eq!(alerts[0].related[0].pid, 7);
    let mut out = Vec::new();
    alerts[0].write_json(&mut out, &r);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["rule_type"], "sequence");
    assert_eq!(v["sequence"][0], "2026-11-22T09:00:00.000000000Z file_open pid=7 /tmp/payload");
    assert_eq!(e.stats().pending_sequences, 0);
    // Expired window.
    assert!(fired(&mut e, open(T0 + 100 * S, 7, "curl", "/tmp/late", O_WRONLY | O_CREAT)).is_empty());
    assert!(fired(&mut e, exec(T0 + 161 * S, 9, 7, "bash", "/tmp/late", &["/tmp/late"], TTY)).is_empty());
    let s = e.stats();
    assert_eq!((s.sequences_started, s.sequences_completed, s.sequences_expired), (2, 1, 1));
}

#[test]
fn sequence_lineage_follows_descendants() {
    let text = r#"
[lists]
shells = ["sh", "bash"]
[[rules]]
id = "SEQ-WEB"
type = "sequence"
key = "lineage"
window_secs = 60
steps = [
  { condition = "event_type = 'process_exec' and comm in (shells) and parent_comm = 'nginx'" },
  "event_type = 'network_connect'",
]
"#;
    let mut e = Engine::new(set(text).unwrap());
    assert!(fired(&mut e, exec(T0, 100, 50, "nginx", "/bin/sh", &["sh", "-c", "x"], TTY)).is_empty());
    let fork = record(T0 + S, 101, 100, "sh", "/bin/sh", "nginx", Body::Fork(Fork { parent_tid: 100 }));
    assert!(fired(&mut e, fork).is_empty());
    let fork = record(T0 + S, 102, 101, "sh", "/bin/sh", "sh", Body::Fork(Fork { parent_tid: 101 }));
    assert!(fired(&mut e, fork).is_empty());
    // An unrelated process connecting does not complete it.
    assert!(fired(&mut e, net(T0 + 2 * S, 300, 1, "curl", NetKind::Connect, "1.1.1.1", 443)).is_empty());
    // The grandchild does.
    assert_eq!(fired(&mut e, net(T0 + 3 * S, 102, 101, "python3", NetKind::Connect, "1.1.1.1", 443)), vec!["SEQ-WEB"]);
}

#[test]
fn sequence_state_is_bounded() {
    let mut e = Engine::new(set(DROP_EXEC).unwrap().with_max_pending(10));
    for i in 0..1000u64 {
        let r = open(T0 + i * 1000, 7, "curl", &format!("/tmp/f{i}"), O_WRONLY | O_CREAT);
        assert!(fired(&mut e, r).is_empty());
        assert!(e.stats().pending_sequences <= 10);
    }
    let s = e.stats();
    assert_eq!(s.sequences_started, 1000);
    assert_eq!(s.sequences_evicted, 990);
    // The newest survive, the oldest were evicted.
    assert_eq!(fired(&mut e, exec(T0 + 2 * S, 9, 7, "bash", "/tmp/f999", &["x"], TTY)), vec!["SEQ-DROP-EXEC"]);
    assert!(fired(&mut e, exec(T0 + 2 * S, 9, 7, "bash", "/tmp/f0", &["x"], TTY)).is_empty());
}

#[test]
fn disabled_rules_and_main_config() {
    let dir = std::env::temp_dir().join(format!("rg-rules-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("rules.d")).unwrap();
    std::fs::write(
        dir.join("rules.d/b.toml"),
        "[[rules]]\nid = \"B\"\ntype = \"process\"\nprocess_names = [\"bash\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("rules.d/a.toml"),
        "[[rules]]\nid = \"A\"\ntype = \"process\"\nprocess_names = [\"bash\"]\n",
    )
    .unwrap();
    std::fs::write(dir.join("rules.d/skip.txt"), "junk").unwrap();
    let main = "[agent]\nid = \"h\"\n[output]\nx = 1\n[detection]\nrule_dirs = [\"rules.d\"]\nmax_pending_sequences = 5\ndisabled_rules = [\"B\"]\n";
    let s = RuleSet::load(main, &dir.join("rand-guard.toml"), &[]).unwrap();
    assert_eq!(s.max_pending(), 5);
    let ids: Vec<_> = s.rules().map(|r| (r.id, r.enabled)).collect();
    assert_eq!(ids, vec![("A".to_string(), true), ("B".to_string(), false)]);
    let mut e = Engine::new(s);
    assert_eq!(fired(&mut e, sh_exec()), vec!["A"]);
    let bad = "[detection]\nrule_dirs = [\"nope\"]\n";
    let err = RuleSet::load(bad, &dir.join("rand-guard.toml"), &[]).unwrap_err().to_string();
    assert!(err.contains("nope") && err.contains("does not exist"), "{err}");
    let bad = "[detection]\ndisabled_rules = [\"ZZZ\"]\n";
    let err = RuleSet::load(bad, &dir.join("rand-guard.toml"), &[]).unwrap_err().to_string();
    assert!(err.contains("unknown rule id `ZZZ`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

fn all_bodies() -> Vec<Record> {
    let mut v = vec![
        exec(T0 + 123_456_789, 1, 0, "", "/bin/ls", &["ls", "-l"], ["tty", "pipe", "socket"]),
        record(T0, 2, 1, "a", "", "b", Body::Fork(Fork { parent_tid: 1 })),
        record(
            T0,
            2,
            1,
            "a",
            "/x",
            "",
            Body::Exit(Exit { exit_code: -1, signal: Some(9), core_dumped: true, lifetime_ns: Some(5) }),
        ),
        record(
            T0,
            2,
            1,
            "a",
            "/x",
            "",
            Body::Exit(Exit { exit_code: 0, signal: None, core_dumped: false, lifetime_ns: None }),
        ),
        record(
            T0,
            2,
            1,
            "gdb",
            "/usr/bin/gdb",
            "bash",
            Body::Ptrace(Ptrace { request: 16, request_name: Some("PTRACE_ATTACH"), target_pid: 5, result: 0 }),
        ),
        open(T0, 3, "vi", "/etc/x\n\"q", O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | 0o4000000 | 0o20000000),
        write(T0, 3, "vi", "/etc/x"),
        rename(T0, 3, "mv", "/a", "/b"),
        unlink(T0, 3, "rm", "/a"),
        net(T0, 4, 1, "nc", NetKind::Connect, "::1", 4444),
        net(T0, 4, 1, "nc", NetKind::Accept, "10.0.0.1", 22),
        net(T0, 4, 1, "nc", NetKind::Bind, "0.0.0.0", 80),
        net(T0, 4, 1, "nc", NetKind::Listen, "0.0.0.0", 80),
    ];
    v[0].cmdline = None;
    v[0].parent_exe = Some(Arc::from("/usr/bin/bash"));
    v[6].detection = Some(Arc::from("cron_modified"));
    if let Body::Exec(e) = &mut v[0].body {
        e.cwd = None;
        e.args_truncated = true;
        e.exe_truncated = true;
        e.syscall = "execveat";
    }
    v
}

#[test]
fn ndjson_round_trip() {
    for r in all_bodies() {
        let mut out = Vec::new();
        write_record(&mut out, &r);
        let line = std::str::from_utf8(&out).unwrap();
        let back = record_from_json(line).unwrap().unwrap();
        assert_eq!(back, r, "{line}");
    }
    assert_eq!(record_from_json("{\"event_type\":\"health\"}").unwrap(), None);
    assert_eq!(record_from_json("{\"event_type\":\"alert\",\"x\":1}").unwrap(), None);
    let e = record_from_json("{\"event_type\":\"process_fork\",\"timestamp\":\"2026-11-22T09:00:00Z\",\"pid\":\"x\"}")
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("pid"));
    assert!(record_from_json("[1]").is_err());
    assert!(record_from_json("{").is_err());
    assert_eq!(offline::parse_rfc3339("2026-11-22T09:00:00.123456789Z"), Some(1_795_338_000_123_456_789));
    assert_eq!(offline::parse_rfc3339("2000-02-29T00:00:00.000000001Z"), Some(951_782_400_000_000_001));
    assert_eq!(offline::parse_rfc3339("1970-01-01T00:00:00.5Z"), Some(500_000_000));
    assert_eq!(offline::parse_rfc3339("1970-01-01T00:00:00.5"), None);
    assert_eq!(offline::parse_rfc3339("garbage"), None);
}

#[test]
fn bench_records_run_clean() {
    let recs = bench_records(2000);
    assert_eq!(recs.len(), 2000);
    let mut e = Engine::new(pack());
    let mut alerts = Vec::new();
    let mut n = 0;
    for mut r in recs {
        alerts.clear();
        e.process(&mut r, &mut alerts);
        n += alerts.len();
    }
    assert!(n > 0 && n < 100, "{n}");
}

// ---- the default pack against its fixtures ----

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pack() -> RuleSet {
    let main = "[detection]\nrule_dirs = [\"config/rules\"]\n";
    RuleSet::load(main, &manifest().join("rand-guard.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// (rule id, records that must fire it, look-alikes that must fire nothing)
fn pack_cases() -> Vec<(&'static str, Vec<Record>, Vec<Record>)> {
    let t = |s: u64| T0 + s * S;
    let w = O_WRONLY | O_CREAT | O_TRUNC;
    let mut web_sh = exec(t(0), 200, 100, "nginx", "/usr/bin/dash", &["sh", "-c", "id"], ["pipe", "pipe", "pipe"]);
    web_sh.comm = "sh".into();
    let mut ssh_sh = exec(t(0), 200, 100, "sshd", "/usr/bin/bash", &["-bash"], TTY);
    ssh_sh.comm = "bash".into();
    let mut memfd = exec(t(0), 300, 1, "bash", "/proc/self/fd/3", &["x"], ["none", "none", "none"]);
    memfd.exe = Some(Arc::from("/memfd:payload (deleted)"));
    let mut kworker_modprobe = exec(
        t(0),
        400,
        2,
        "kworker/u8:1",
        "/sbin/modprobe",
        &["/sbin/modprobe", "-q", "--", "net-pf-10"],
        ["none", "none", "none"],
    );
    kworker_modprobe.ppid = 2;
    let mut lsmod = exec(t(0), 401, 1, "bash", "/usr/sbin/lsmod", &["lsmod"], TTY);
    lsmod.exe = Some(Arc::from("/usr/bin/kmod"));
    let mut insmod = exec(t(0), 402, 1, "bash", "/usr/sbin/insmod", &["insmod", "rootkit.ko"], TTY);
    insmod.exe = Some(Arc::from("/usr/bin/kmod"));
    vec![
        (
            "RG-PERSIST-CRON",
            vec![
                open(t(0), 10, "bash", "/etc/cron.d/backdoor", w),
                write(t(1), 10, "bash", "/etc/crontab"),
                rename(t(2), 11, "crontab", "/var/spool/cron/crontabs/tmp.X", "/var/spool/cron/crontabs/root"),
            ],
            vec![
                open(t(0), 10, "cron", "/etc/crontab", O_RDONLY),
                open(t(1), 10, "cron", "/etc/cron.d/e2scrub_all", O_RDONLY),
            ],
        ),
        (
            "RG-PERSIST-SYSTEMD",
            vec![
                open(t(0), 10, "bash", "/etc/systemd/system/evil.service", w),
                write(t(1), 10, "tee", "/home/u/.config/systemd/user/evil.timer"),
                rename(t(2), 10, "mv", "/tmp/x", "/lib/systemd/system/evil.service"),
            ],
            vec![
                open(t(0), 10, "systemctl", "/etc/systemd/system/ssh.service", O_RDONLY | O_CLOEXEC),
                open(t(1), 10, "bash", "/etc/systemd/system/x.service.d/override.conf", w),
            ],
        ),
        (
            "RG-PERSIST-SSH-KEYS",
            vec![
                open(t(0), 10, "bash", "/root/.ssh/authorized_keys", O_WRONLY | O_APPEND | O_CREAT),
                write(t(1), 10, "bash", "/home/u/.ssh/authorized_keys2"),
                rename(t(2), 10, "mv", "/tmp/k", "/home/u/.ssh/authorized_keys"),
            ],
            vec![open(t(0), 10, "sshd", "/home/u/.ssh/authorized_keys", O_RDONLY)],
        ),
        (
            "RG-PERSIST-SHELL-RC",
            vec![
                open(t(0), 10, "bash", "/home/u/.bashrc", O_WRONLY | O_APPEND),
                write(t(1), 10, "bash", "/etc/profile.d/zz.sh"),
                open(t(2), 10, "vim", "/root/.profile", w),
            ],
            vec![
                open(t(0), 10, "bash", "/home/u/.bashrc", O_RDONLY),
                open(t(1), 10, "bash", "/etc/profile.d/locale.sh", O_RDONLY),
            ],
        ),
        (
            "RG-PERSIST-LD-PRELOAD",
            vec![
                open(t(0), 10, "bash", "/etc/ld.so.preload", w),
                rename(t(1), 10, "mv", "/tmp/p", "/etc/ld.so.preload"),
            ],
            vec![open(t(0), 10, "ls", "/etc/ld.so.preload", O_RDONLY | O_CLOEXEC)],
        ),
        (
            "RG-PERSIST-ACCOUNT",
            vec![
                rename(t(0), 10, "useradd", "/etc/passwd+", "/etc/passwd"),
                open(t(1), 10, "bash", "/etc/shadow", O_WRONLY | O_APPEND),
            ],
            vec![
                open(t(0), 10, "id", "/etc/passwd", O_RDONLY | O_CLOEXEC),
                open(t(1), 10, "id", "/etc/group", O_RDONLY | O_CLOEXEC),
            ],
        ),
        (
            "RG-PRIV-SUDOERS",
            vec![
                open(t(0), 10, "bash", "/etc/sudoers.d/90-evil", w),
                rename(t(1), 10, "visudo", "/etc/sudoers.tmp", "/etc/sudoers"),
            ],
            vec![
                open(t(0), 10, "sudo", "/etc/sudoers", O_RDONLY),
                open(t(1), 10, "sudo", "/etc/sudoers.d/README", O_RDONLY),
            ],
        ),
        (
            "RG-PRIV-SETUID",
            vec![
                exec(t(0), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "u+s", "/tmp/sh"], TTY),
                exec(t(1), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "4755", "/tmp/sh"], TTY),
                exec(t(2), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "g+s", "/srv/dir"], TTY),
                exec(t(3), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "+s", "/tmp/sh"], TTY),
                exec(t(4), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "6755", "/tmp/sh"], TTY),
            ],
            vec![
                exec(t(0), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "755", "/tmp/sh"], TTY),
                exec(t(1), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "0755", "/tmp/sh"], TTY),
                exec(t(2), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "u+x", "/tmp/sh"], TTY),
                exec(t(3), 10, 1, "bash", "/usr/bin/chmod", &["chmod", "1777", "/tmp/d"], TTY),
            ],
        ),
        (
            "RG-CRED-SENSITIVE-READ",
            vec![
                open(t(0), 10, "cat", "/etc/shadow", O_RDONLY),
                open(t(1), 10, "python3", "/etc/ssh/ssh_host_ed25519_key", O_RDONLY | O_CLOEXEC),
                open(t(2), 10, "tar", "/root/.ssh/id_rsa", O_RDONLY),
            ],
            vec![
                open(t(0), 10, "unix_chkpwd", "/etc/shadow", O_RDONLY | O_CLOEXEC),
                open(t(1), 10, "passwd", "/etc/shadow", O_RDONLY | O_CLOEXEC),
                open(t(2), 10, "sshd", "/etc/ssh/ssh_host_ed25519_key", O_RDONLY),
                open(t(3), 10, "cat", "/root/.ssh/id_rsa.pub", O_RDONLY),
                open(t(4), 10, "systemd-userdbd", "/etc/shadow", O_RDONLY),
            ],
        ),
        (
            "RG-EXEC-WEB-SHELL",
            vec![web_sh.clone()],
            vec![
                exec(t(0), 200, 100, "nginx", "/usr/bin/gzip", &["gzip", "-d"], ["pipe", "pipe", "pipe"]),
                ssh_sh.clone(),
            ],
        ),
        (
            "RG-EXEC-REVERSE-SHELL",
            vec![exec(t(0), 500, 499, "nc", "/usr/bin/bash", &["bash", "-i"], ["socket", "socket", "socket"])],
            vec![
                exec(t(0), 500, 499, "sshd", "/usr/bin/bash", &["bash", "-i"], TTY),
                exec(t(1), 501, 499, "make", "/usr/bin/sh", &["sh", "-c", "cc x.c"], ["pipe", "pipe", "pipe"]),
            ],
        ),
        (
            "RG-SEQ-WEB-SHELL-CONNECT",
            vec![
                exec(t(0), 600, 100, "nginx", "/usr/bin/bash", &["bash", "-c", "curl x|sh"], ["pipe", "pipe", "pipe"]),
                record(t(1), 601, 600, "bash", "/usr/bin/bash", "bash", Body::Fork(Fork { parent_tid: 600 })),
                net(t(2), 601, 600, "curl", NetKind::Connect, "203.0.113.9", 443),
            ],
            vec![
                // A shell of an sshd session connecting out.
                exec(t(0), 700, 100, "sshd", "/usr/bin/bash", &["bash"], TTY),
                net(t(1), 700, 100, "bash", NetKind::Connect, "203.0.113.9", 443),
                // nginx connecting to its upstream itself.
                net(t(2), 100, 1, "nginx", NetKind::Connect, "10.0.0.2", 8080),
            ],
        ),
        (
            "RG-SEQ-DROP-EXEC",
            vec![
                open(t(0), 800, "curl", "/tmp/x", w),
                exec(t(5), 801, 800, "bash", "/tmp/x", &["/tmp/x"], TTY),
                rename(t(10), 800, "mv", "/home/u/y", "/dev/shm/y"),
                exec(t(12), 802, 800, "bash", "/dev/shm/y", &["/dev/shm/y"], TTY),
            ],
            vec![
                open(t(0), 800, "cp", "/usr/local/bin/tool", w),
                exec(t(5), 801, 800, "bash", "/usr/local/bin/tool", &["tool"], TTY),
                open(t(6), 800, "vim", "/tmp/notes.txt", w),
                exec(t(7), 803, 800, "bash", "/usr/bin/cat", &["cat", "/tmp/notes.txt"], TTY),
            ],
        ),
        ("RG-EXEC-FILELESS", vec![memfd], vec![exec(t(0), 300, 1, "bash", "/usr/bin/ls", &["ls"], TTY)]),
        (
            "RG-SEQ-DECODE-TO-SHELL",
            vec![
                exec(t(0), 901, 900, "bash", "/usr/bin/base64", &["base64", "-d"], ["pipe", "pipe", "tty"]),
                exec(t(0), 902, 900, "bash", "/usr/bin/bash", &["bash"], ["pipe", "tty", "tty"]),
            ],
            vec![
                exec(t(0), 901, 900, "bash", "/usr/bin/base64", &["base64", "-d", "in.b64"], ["tty", "file", "tty"]),
                exec(t(1), 902, 900, "bash", "/usr/bin/bash", &["bash", "script.sh"], TTY),
            ],
        ),
        (
            "RG-SEQ-DECODE-TO-SHELL-R",
            vec![
                exec(t(0), 902, 900, "bash", "/usr/bin/sh", &["sh"], ["pipe", "tty", "tty"]),
                exec(t(0), 901, 900, "bash", "/usr/bin/base64", &["base64", "--decode"], ["pipe", "pipe", "tty"]),
            ],
            vec![
                exec(t(0), 902, 900, "bash", "/usr/bin/bash", &["bash"], ["pipe", "tty", "tty"]),
                exec(t(1), 901, 900, "bash", "/usr/bin/base64", &["base64"], ["pipe", "pipe", "tty"]),
            ],
        ),
        (
            "RG-EVADE-KMOD-LOAD",
            vec![insmod, exec(t(1), 403, 1, "bash", "/usr/sbin/modprobe", &["modprobe", "evil"], TTY)],
            vec![
                lsmod,
                kworker_modprobe,
                exec(t(2), 404, 1, "bash", "/usr/sbin/modprobe", &["modprobe", "-n", "evil"], TTY),
            ],
        ),
        (
            "RG-EVADE-HISTORY",
            vec![
                unlink(t(0), 10, "rm", "/home/u/.bash_history"),
                open(t(1), 10, "bash", "/root/.bash_history", O_WRONLY | O_TRUNC),
                rename(t(2), 10, "mv", "/home/u/.zsh_history", "/tmp/h"),
            ],
            vec![open(t(0), 10, "bash", "/home/u/.bash_history", O_WRONLY | O_APPEND | O_CREAT)],
        ),
        (
            "RG-EVADE-TIMESTOMP",
            vec![
                exec(t(0), 10, 1, "bash", "/usr/bin/touch", &["touch", "-d", "2020-01-01", "/tmp/x"], TTY),
                exec(t(1), 10, 1, "bash", "/usr/bin/touch", &["touch", "-r", "/bin/ls", "/tmp/x"], TTY),
                exec(t(2), 10, 1, "bash", "/usr/bin/touch", &["touch", "--reference=/bin/ls", "/tmp/x"], TTY),
                exec(t(3), 10, 1, "bash", "/usr/bin/touch", &["touch", "-t", "202001010000", "/tmp/x"], TTY),
            ],
            vec![exec(t(0), 10, 1, "bash", "/usr/bin/touch", &["touch", "/tmp/x"], TTY)],
        ),
        (
            "RG-NET-SUSPICIOUS-PORT",
            vec![net(t(0), 10, 1, "nc", NetKind::Connect, "198.51.100.7", 4444)],
            vec![
                net(t(0), 10, 1, "curl", NetKind::Connect, "198.51.100.7", 443),
                net(t(1), 10, 1, "curl", NetKind::Connect, "198.51.100.7", 80),
                net(t(2), 10, 1, "nc", NetKind::Listen, "0.0.0.0", 4444),
            ],
        ),
    ]
}

fn ndjson(records: &[Record]) -> String {
    let mut out = Vec::new();
    for r in records {
        write_record(&mut out, r);
    }
    String::from_utf8(out).unwrap()
}

/// Writes the fixture when UPDATE_FIXTURES is set (or it is missing),
/// else checks the file still matches what the builders make.
fn fixture(name: &str, records: &[Record]) -> PathBuf {
    let path = manifest().join("tests/fixtures/rules").join(name);
    let text = ndjson(records);
    if std::env::var_os("UPDATE_FIXTURES").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{} is stale (UPDATE_FIXTURES=1)", path.display());
    path
}

fn replay(path: &Path) -> TestSummary {
    let mut out = Vec::new();
    let s = test_events(pack(), path, &mut out).unwrap();
    // Every output line is valid JSON.
    for l in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let _: serde_json::Value = serde_json::from_slice(l).unwrap();
    }
    s
}

#[test]
fn default_pack_fires_on_attacks_and_not_on_look_alikes() {
    let cases = pack_cases();
    let ids: Vec<String> = pack().rules().map(|r| r.id).collect();
    for id in &ids {
        assert!(cases.iter().any(|(c, ..)| c == id), "rule {id} has no fixture");
    }
    for (id, pos, benign) in cases {
        assert!(ids.iter().any(|i| i == id), "{id} not in the pack");
        let p = replay(&fixture(&format!("{id}.positive.ndjson"), &pos));
        assert!(p.by_rule.get(id).copied().unwrap_or(0) >= 1, "{id} did not fire: {p:?}");
        let b = replay(&fixture(&format!("{id}.benign.ndjson"), &benign));
        assert_eq!(b.alerts, 0, "{id} benign fired: {:?}", b.by_rule);
    }
}

#[test]
fn default_pack_every_positive_record_counts() {
    // Each single-event positive record fires the rule by itself.
    for (id, pos, _) in pack_cases() {
        if id.starts_with("RG-SEQ-") {
            continue;
        }
        let mut e = Engine::new(pack());
        for r in pos {
            let got = fired(&mut e, r.clone());
            assert!(got.iter().any(|g| g == id), "{id} missed {}", ndjson(&[r]));
        }
    }
}

#[test]
fn original_example_config_loads() {
    // The original project's sample config: other modules' tables are ignored.
    let text = include_str!("../../tests/fixtures/original-example.toml");
    let s = RuleSet::load(text, Path::new("original-example.toml"), &[]).unwrap();
    let ids: Vec<_> = s.rules().map(|r| (r.id, r.enabled)).collect();
    assert_eq!(ids.len(), 4);
    let mut e = Engine::new(s);
    let mut r = net(T0, 10, 1, "nc", NetKind::Connect, "198.51.100.7", 4444);
    let mut alerts = Vec::new();
    e.process(&mut r, &mut alerts);
    assert_eq!(r.detection.as_deref(), Some("suspicious_outbound_port"));
    assert_eq!(alerts.len(), 1, "NET-001 is disabled");
    assert_eq!(fired(&mut e, open(T0, 1, "vi", "/etc/cron.d/job", O_WRONLY)), vec!["builtin.cron_modified"]);
    let summary = replay(&fixture("RG-NET-SUSPICIOUS-PORT.positive.ndjson", &pack_cases()[19].1));
    assert!(summary.to_string().contains("RG-NET-SUSPICIOUS-PORT: 1"), "{summary}");
}

#[test]
fn default_pack_rules_are_disableable() {
    let main = "[detection]\nrule_dirs = [\"config/rules\"]\ndisabled_rules = [\"RG-NET-SUSPICIOUS-PORT\"]\n";
    let s = RuleSet::load(main, &manifest().join("rand-guard.toml"), &[]).unwrap();
    let mut e = Engine::new(s);
    assert!(fired(&mut e, net(T0, 10, 1, "nc", NetKind::Connect, "198.51.100.7", 4444)).is_empty());
}

#[test]
fn specialized_conditions_agree_with_the_originals() {
    // Every pack record (attacks and look-alikes) and the bench mix, with
    // every single rule whose mask admits the record's type: the condition
    // the engine runs (specialized to the type) gives the original's result.
    let set = pack();
    let mut records: Vec<Record> = pack_cases().into_iter().flat_map(|(_, p, b)| p.into_iter().chain(b)).collect();
    records.extend(bench_records(2000));
    let mut compared = 0;
    for r in &records {
        let et = r.event_type();
        for rule in &set.singles {
            if !rule.mask.has(et) {
                continue;
            }
            let want = rule.cond.eval(r, &[]);
            assert_eq!(
                rule.cond.specialize(et).eval(r, &[]),
                want,
                "{} on {}",
                rule.meta.id,
                ndjson(std::slice::from_ref(r))
            );
            compared += 1;
        }
        for step in set.seqs.iter().flat_map(|s| &s.steps) {
            let want = step.mask.has(et) && step.cond.eval(r, &[]);
            assert_eq!(step.matches(r, &[]), want, "a step on {}", ndjson(std::slice::from_ref(r)));
        }
    }
    assert!(compared > 5000, "only {compared} comparisons");
}

#[test]
fn specialization_decides_event_type_and_missing_fields() {
    let c = |text: &str, et| {
        let e = one_rule(text);
        format!("{:?}", e.set.singles[0].cond.specialize(et))
    };
    assert_eq!(c("event_type = 'process_exec' and comm = 'a'", EventType::ProcessFork), "Const(false)");
    assert_eq!(c("event_type != 'process_exec' or comm = 'a'", EventType::ProcessFork), "Const(true)");
    // `filename` is never on a fork record, so `not filename = ...` holds there.
    assert_eq!(c("comm = 'a' and not filename = '/x'", EventType::ProcessFork), r#"Test(Comm, StrEq("a"))"#);
    // cheapest first: the integer test before the regex
    assert_eq!(
        c("cmdline regex 'a.*b' and uid = 0", EventType::ProcessExec),
        r#"And([Test(Uid, Int(Eq, 0)), Test(Cmdline, Regex(Regex("a.*b")))])"#
    );
}
