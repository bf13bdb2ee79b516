//! Operators, missing fields, the original engine's list rules, built-in
//! detections, and conditions specialized to one event type.

use super::*;
use crate::record::json::write_record;
use crate::record::NetKind;

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
        ("args has_option ('c')", true),
        ("args has_option ('x', 'command')", false),
        ("args has_option ('Version')", false),
        ("not args has_option ('i', 'login') valued ('o', 'O')", true),
        ("argv0_name = 'bash'", true),
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
