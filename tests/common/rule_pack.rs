//! The default rule pack as the end-to-end tests see it: a rule's
//! definition read from the pack's TOML files, the checks every alert gets
//! against it (and against the record it follows), and what a benign
//! look-alike must avoid to stay quiet.

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::{is, n, s, Sensor, RULES_DIR};

/// How long a benign look-alike is given to (wrongly) raise its alert.
pub const GRACE: Duration = Duration::from_millis(1500);

/// The rule's definition in the pack, from the TOML files themselves.
pub fn rule_def(id: &str) -> toml::Table {
    let mut files: Vec<PathBuf> = fs::read_dir(RULES_DIR)
        .expect("rules dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for f in files {
        let t: toml::Table = fs::read_to_string(&f).expect("read rule file").parse().expect("rule file is TOML");
        if let Some(rules) = t.get("rules").and_then(|r| r.as_array()) {
            for r in rules {
                if r.get("id").and_then(|v| v.as_str()) == Some(id) {
                    return r.as_table().expect("rule table").clone();
                }
            }
        }
    }
    panic!("rule {id} not found in {RULES_DIR}")
}

pub fn is_alert(v: &Value, id: &str) -> bool {
    is(v, "alert") && v["rule_id"] == id
}

/// Fields an alert copies from its source record (process context and
/// matched fields): they must be equal in both.
pub const COPIED: &[&str] = &[
    "timestamp",
    "host",
    "pid",
    "tid",
    "ppid",
    "uid",
    "comm",
    "exe",
    "cmdline",
    "parent_comm",
    "filename",
    "args",
    "path",
    "new_path",
    "flags",
    "access",
    "remote_addr",
    "remote_port",
    "local_addr",
    "local_port",
    "family",
    "stdin",
    "stdout",
];

/// Waits for the alert of rule `id` matching `pred`, checks it against the
/// rule's definition and that it comes right after its source record.
/// Returns (alert, source record).
pub fn expect_alert(sensor: &Sensor, id: &str, what: &str, pred: impl Fn(&Value) -> bool) -> (Value, Value) {
    let alert = sensor.wait_for(&format!("{id} alert for {what}"), |v| is_alert(v, id) && pred(v));
    let def = rule_def(id);

    assert_eq!(s(&alert, "rule_type"), def["type"].as_str().expect("type"), "rule_type: {alert}");
    assert_eq!(s(&alert, "severity"), def["severity"].as_str().expect("severity"), "severity: {alert}");
    assert_eq!(s(&alert, "rule_name"), def["name"].as_str().expect("name"), "rule_name: {alert}");
    assert_eq!(s(&alert, "description"), def["description"].as_str().expect("description"));
    assert!(!s(&alert, "description").is_empty());
    let risk = alert["risk_score"].as_f64().unwrap_or_else(|| panic!("risk_score is not a number: {alert}"));
    assert!((0.0..=1.0).contains(&risk), "risk_score in 0..1: {alert}");
    if let Some(r) = def.get("risk_score").and_then(|r| r.as_float()) {
        assert!((risk - r).abs() < 1e-9, "risk_score {risk} != rule's {r}");
    }
    let tags: Vec<&str> = alert["tags"]
        .as_array()
        .unwrap_or_else(|| panic!("tags is not an array: {alert}"))
        .iter()
        .map(|t| t.as_str().expect("tag is a string"))
        .collect();
    assert!(!tags.is_empty(), "tags: {alert}");
    assert!(tags.iter().all(|t| t.starts_with("attack.")), "every tag starts with attack.: {tags:?}");
    let want: Vec<&str> = def["tags"].as_array().expect("tags").iter().map(|t| t.as_str().expect("tag")).collect();
    assert_eq!(tags, want, "tags as in the rule");
    let source_type = s(&alert, "source_event_type").to_string();
    assert!(!source_type.is_empty() && source_type != "alert");
    assert_eq!(s(&alert, "host"), "e2e-host");

    // Records are written in order: the alert follows its source record
    // (other alerts of the same record may sit in between).
    let records = sensor.all(|_| true);
    let idx = records.iter().position(|r| r == &alert).expect("the alert is among the records");
    let source = records[..idx]
        .iter()
        .rev()
        .find(|r| !is(r, "alert"))
        .unwrap_or_else(|| panic!("no record before the alert {alert}"))
        .clone();
    assert_eq!(
        s(&source, "event_type"),
        source_type,
        "the record right before the alert is its source:\n{source}\n{alert}"
    );
    assert_eq!(n(&source, "pid"), n(&alert, "pid"), "source pid:\n{source}\n{alert}");
    for key in COPIED {
        if !alert[*key].is_null() {
            assert_eq!(source[*key], alert[*key], "field {key}: source\n{source}\nalert\n{alert}");
        }
    }
    (alert, source)
}

/// The benign look-alike (already recorded) must not fire rule `id`.
pub fn expect_no_alert(sensor: &Sensor, id: &str, what: &str, pred: impl Fn(&Value) -> bool) {
    if let Some(a) = sensor.try_wait_for(GRACE, &|v| is_alert(v, id) && pred(v)) {
        panic!("{id} fired on a benign look-alike ({what}):\n{a}");
    }
}

pub const SUSPICIOUS_PORTS: &[u16] = &[4444, 4445, 1337, 31337, 5555, 6666, 6667, 6668, 6669, 12345, 54321, 9001, 1234];

/// A loopback listener on a port the pack does not consider suspicious.
pub fn listen_benign() -> (TcpListener, u16) {
    loop {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let p = l.local_addr().expect("addr").port();
        if !SUSPICIOUS_PORTS.contains(&p) {
            return (l, p);
        }
    }
}
