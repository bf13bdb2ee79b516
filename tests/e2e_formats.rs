//! Privileged end-to-end test of the record shapes: the real sensor writes
//! the same activity to stdout (rand-guard records), to file outputs in
//! OCSF (with and without health records) and to one in ECS; the test
//! causes exec, fork, exit, file, network and alert activity, then checks
//! every line the OCSF and ECS outputs got against the official schema
//! sources (`../shared/schemas`, through tests/schemas/validate.py), and
//! that the shapes carry exactly the records stdout got.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::rule_pack::listen_benign;
use common::tools::{python, run, sh};
use common::*;
use serde_json::Value;

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas")
}

/// Runs the validator over `file`; fails with its report on any problem.
fn validate(kind: &str, schema: &Path, file: &Path) -> String {
    assert!(schema.exists(), "the official schema is not at {}", schema.display());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/validate.py");
    let out = Command::new("/usr/bin/python3").arg(script).arg(kind).arg(schema).arg(file).output().expect("python3");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{kind} validation of {}:\n{report}{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

fn lines(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect()
}

/// How many records of each event type (alerts as "alert:<source type>").
fn tally(records: impl Iterator<Item = (String, bool)>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (t, alert) in records {
        *m.entry(if alert { format!("alert:{t}") } else { t }).or_insert(0) += 1;
    }
    m
}

/// Exec, fork, exit, every kind of file change, a connection and an alert.
fn cause_activity(dir: &TempDir, marker: &str) {
    Command::new("/bin/true").arg(marker).status().expect("true");
    sh("(/bin/true) ; /bin/true");
    let f = dir.path("f.txt");
    fs::write(&f, b"one").expect("write");
    let g = dir.path("g.txt");
    fs::rename(&f, &g).expect("rename");
    run(Command::new("/bin/chmod").args(["640"]).arg(&g));
    run(Command::new("/bin/chown").args(["1:1"]).arg(&g));
    run(Command::new("/usr/bin/truncate").args(["-s", "0"]).arg(&g));
    fs::hard_link(&g, dir.path("hard")).expect("link");
    symlink(&g, dir.path("soft")).expect("symlink");
    run(Command::new("/usr/bin/touch").args(["-d", "2001-01-01"]).arg(&g));
    let gs = g.to_str().expect("utf-8");
    python("import os, sys; os.setxattr(sys.argv[1], 'user.rg', b'1')", &[gs]);
    python("import os; os.memfd_create('rg-e2e-formats')", &[]);
    fs::remove_file(dir.path("hard")).expect("unlink");
    let (listener, port) = listen_benign();
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let (mut s, _) = listener.accept().expect("accept");
    c.write_all(b"x").expect("send");
    let mut b = [0u8; 1];
    s.read_exact(&mut b).expect("recv");
    run(Command::new("/usr/bin/cat").arg("/etc/shadow"));
}

#[test]
fn ocsf_and_ecs_outputs_carry_every_record_and_validate_against_the_official_schemas() {
    require_root();
    let out = TempDir::new("formats");
    let dir = TempDir::new("formats-act");
    let (ocsf, ocsf_health, ecs) = (out.path("ocsf.json"), out.path("ocsf-health.json"), out.path("ecs.json"));
    let cfg = format!(
        r#"
[agent]
id = "e2e-host"

[events]
network = true

[network]
enabled = true

[output]
health_interval_secs = 1

[detection]
rule_dirs = ["{RULES_DIR}"]

[[outputs]]
type = "stdout"

[[outputs]]
name = "ocsf"
type = "file"
path = "{}"
format = "ocsf"

[[outputs]]
name = "ocsf-health"
type = "file"
path = "{}"
format = "ocsf"
health = true

[[outputs]]
name = "ecs"
type = "file"
path = "{}"
format = "ecs"
"#,
        ocsf.display(),
        ocsf_health.display(),
        ecs.display()
    );
    let sensor = Sensor::start(&cfg);
    let marker = "formats-marker";
    cause_activity(&dir, marker);
    let dir_s = dir.str().to_owned();
    let mine = |v: &Value, t: &str| is(v, t) && v["path"].as_str().is_some_and(|p| p.starts_with(&dir_s));
    sensor.wait_for("marker exec", |v| is(v, "process_exec") && v["args"][1] == marker);
    for t in ["file_write", "file_rename", "file_chmod", "file_chown", "file_truncate", "file_link", "file_utimes"] {
        sensor.wait_for(t, |v| mine(v, t));
    }
    sensor.wait_for("file_xattr", |v| mine(v, "file_xattr"));
    sensor.wait_for("file_unlink", |v| mine(v, "file_unlink"));
    sensor.wait_for("process_memfd", |v| is(v, "process_memfd"));
    sensor.wait_for("network_connect", |v| is(v, "network_connect") && v["remote_addr"] == "127.0.0.1");
    sensor.wait_for("network_accept", |v| is(v, "network_accept"));
    sensor.wait_for("alert", |v| v["rule_id"] == "RG-CRED-SENSITIVE-READ");
    sensor.wait_for("process_fork", |v| is(v, "process_fork"));
    sensor.wait_for("process_exit", |v| is(v, "process_exit"));
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");

    // Every line of each shape against the official schema.
    let ocsf_dir = schemas().join("ocsf-1.8.0");
    let report = validate("ocsf", &ocsf_dir, &ocsf);
    for class in [
        "1007 process_activity activity 1",
        "1007 process_activity activity 2",
        "1001 file_activity activity 3",
        "1001 file_activity activity 5",
        "1001 file_activity activity 7",
        "1001 file_activity activity 4",
        "4001 network_activity activity 1",
        "2004 detection_finding activity 1",
    ] {
        assert!(report.contains(class), "no {class} in what the sensor wrote:\n{report}");
    }
    let report_h = validate("ocsf", &ocsf_dir, &ocsf_health);
    assert!(report_h.contains(" 0 base_event activity 99"), "{report_h}");
    validate("ecs", &schemas().join("ecs-9.4.0/ecs_flat.yml"), &ecs);

    // The same records, none lost or added, in every shape.
    let rg = tally(records.iter().filter(|v| !is(v, "health")).map(|v| {
        let alert = v["event_type"] == "alert";
        let t = if alert { s(v, "source_event_type") } else { s(v, "event_type") };
        (t.to_owned(), alert)
    }));
    let oc = lines(&ocsf);
    assert!(oc.iter().all(|v| v["class_uid"] != 0), "health in an OCSF output that did not ask for it");
    let oc_t = tally(oc.iter().map(|v| {
        let alert = v["class_uid"] == 2004;
        let t = if alert { &v["unmapped"]["source_event_type"] } else { &v["unmapped"]["event_type"] };
        (t.as_str().expect("event type").to_owned(), alert)
    }));
    assert_eq!(oc_t, rg, "OCSF records differ from stdout's");
    let oh = lines(&ocsf_health);
    let health_lines = oh.iter().filter(|v| v["class_uid"] == 0).count();
    assert_eq!(health_lines, records.iter().filter(|v| is(v, "health")).count());
    let ec = lines(&ecs);
    let ec_t = tally(
        ec.iter()
            .filter(|v| v["event"]["kind"] != "metric")
            .map(|v| (v["event"]["action"].as_str().expect("event.action").to_owned(), v["event"]["kind"] == "alert")),
    );
    assert_eq!(ec_t, rg, "ECS records differ from stdout's");

    // The alert names its rule in both shapes, with the source as evidence.
    let f = oc.iter().find(|v| v["finding_info"]["analytic"]["uid"] == "RG-CRED-SENSITIVE-READ").expect("finding");
    assert_eq!(f["evidences"][0]["file"]["path"], "/etc/shadow", "{f}");
    assert_eq!(f["severity_id"], 4);
    let a = ec.iter().find(|v| v["rule"]["id"] == "RG-CRED-SENSITIVE-READ").expect("ECS alert");
    assert_eq!(a["file"]["path"], "/etc/shadow", "{a}");
    assert!(a["threat"]["technique"]["id"].as_array().is_some_and(|t| t.iter().any(|x| x == "T1003")), "{a}");
}
