//! Every shape over fixture records of every catalog event type, checked
//! against the official schema sources by tests/schemas/validate.py (the
//! e2e_formats suite does the same for what the real sensor writes).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use super::Format;
use crate::record::json::AlertHead;
use crate::record::{ecs, ocsf, EventType, Record};

/// Where the schema sources are: `../shared/schemas` beside the checkout.
pub fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas")
}

/// Runs the validator on `lines`: whether it passed, and its report.
fn run_validator(format: Format, lines: &[u8]) -> (bool, String) {
    let (kind, schema) = match format {
        Format::Ocsf => ("ocsf", schema_dir().join("ocsf-1.8.0")),
        Format::Ecs => ("ecs", schema_dir().join("ecs-9.4.0/ecs_flat.yml")),
        Format::RandGuard => unreachable!("rand-guard records have docs/records.md"),
    };
    assert!(schema.exists(), "the official schema is not at {} (see docs/outputs.md)", schema.display());
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("rg-format-test-{}-{n}-{kind}.ndjson", std::process::id()));
    std::fs::write(&file, lines).expect("write records");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/validate.py");
    let out =
        Command::new("/usr/bin/python3").arg(script).arg(kind).arg(&schema).arg(&file).output().expect("run python3");
    let _ = std::fs::remove_file(&file);
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), report)
}

/// Runs the validator on `lines`; panics with its report on any problem.
fn validate(format: Format, lines: &[u8]) -> String {
    let (ok, report) = run_validator(format, lines);
    assert!(ok, "{} validation failed:\n{report}", format.as_str());
    report
}

#[test]
fn the_validator_rejects_what_the_schemas_do_not_allow() {
    let r = &records()[0];
    let mut line = Vec::new();
    Format::Ocsf.write_record(&mut line, r);
    let mut v: serde_json::Value = serde_json::from_slice(&line).expect("json");
    v.as_object_mut().expect("object").remove("metadata");
    v["actor"]["process"]["pid"] = "12".into();
    v["type_uid"] = 5.into();
    let (ok, report) = run_validator(Format::Ocsf, format!("{v}\n").as_bytes());
    assert!(!ok, "{report}");
    for problem in ["metadata: required, missing", "integer_t wants an integer", "type_uid: 5"] {
        assert!(report.contains(problem), "{problem}: {report}");
    }
    line.clear();
    Format::Ecs.write_record(&mut line, r);
    let mut v: serde_json::Value = serde_json::from_slice(&line).expect("json");
    v["process"]["pid"] = "x".into();
    v["process"]["not_ecs"] = 1.into();
    let (ok, report) = run_validator(Format::Ecs, format!("{v}\n").as_bytes());
    assert!(!ok, "{report}");
    assert!(report.contains("is not a valid long") && report.contains("process.not_ecs: not an ECS field"), "{report}");
}

/// One record of each catalog type with every field, the NDJSON fixture
/// variants and the bench mix.
fn records() -> Vec<Record> {
    let mut v = crate::rules::fields::tests::full_records();
    assert_eq!(v.len(), EventType::ALL.len());
    v.extend(crate::rules::bench_records(200));
    v
}

fn head<'a>(tags: &'a [Arc<str>]) -> AlertHead<'a> {
    AlertHead {
        rule_id: "RG-TEST-1",
        rule_name: "test rule",
        rule_type: "single",
        severity: "high",
        action: "alert",
        risk_score: 0.75,
        tags,
        description: "a \"quoted\" description",
    }
}

/// Every record and an alert about each, plus two health records.
fn write_all(format: Format) -> Vec<u8> {
    let tags: Vec<Arc<str>> = ["attack.execution", "attack.t1059.004"].into_iter().map(Arc::from).collect();
    let steps = vec!["2026-01-01T00:00:00Z process_exec pid=1 /bin/sh".to_string()];
    let mut out = Vec::new();
    for r in records() {
        format.write_record(&mut out, &r);
        format.write_alert(&mut out, &head(&tags), &r, &steps, |_| {});
    }
    let health = br#"{"event_type":"health","timestamp":"2026-01-01T00:00:00Z","host":"h","final":false}
"#;
    format.write_health(&mut out, health, "h", 1_795_338_000_000_000_000);
    out
}

#[test]
fn ocsf_records_of_every_event_type_validate_against_the_ocsf_schema() {
    let report = validate(Format::Ocsf, &write_all(Format::Ocsf));
    // every class the map uses was checked
    for class in ["1007 process_activity", "1001 file_activity", "4001 network_activity", "2004 detection_finding"] {
        assert!(report.contains(class), "{class} not checked:\n{report}");
    }
}

#[test]
fn ecs_records_of_every_event_type_validate_against_ecs_flat() {
    let report = validate(Format::Ecs, &write_all(Format::Ecs));
    for t in EventType::ALL {
        assert!(report.contains(&format!("event {}", t.as_str())), "{} not checked:\n{report}", t.as_str());
        assert!(report.contains(&format!("alert {}", t.as_str())), "alert on {} not checked:\n{report}", t.as_str());
    }
    assert!(report.contains("metric"), "{report}");
}

#[test]
fn every_event_type_has_an_ocsf_activity_and_ecs_categories() {
    for t in EventType::ALL {
        let a = ocsf::activity(t);
        assert!(a.class != ocsf::BASE_EVENT, "{} has no OCSF class", t.as_str());
        assert_eq!(a.type_uid(), u64::from(a.class.uid) * 100 + u64::from(a.id));
        let c = ecs::categorize(t);
        assert!(!c.category.is_empty() && !c.types.is_empty(), "{}", t.as_str());
    }
}

#[test]
fn ocsf_lines_carry_class_activity_and_the_source_fields() {
    for r in records() {
        let mut out = Vec::new();
        Format::Ocsf.write_record(&mut out, &r);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON line");
        let a = ocsf::record_activity(&r);
        assert_eq!(v["class_uid"], a.class.uid, "{v}");
        assert_eq!(v["type_uid"], a.type_uid(), "{v}");
        assert_eq!(v["time"], r.timestamp_ns / 1_000_000);
        assert_eq!(v["unmapped"]["event_type"], r.event_type().as_str());
        assert_eq!(v["actor"]["process"]["pid"], r.pid);
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), 1);
    }
}

#[test]
fn names_round_trip() {
    for f in Format::ALL {
        assert_eq!(Format::from_name(f.as_str()), Some(f));
        assert_eq!(Format::ALL[f.index()], f);
    }
    assert_eq!(Format::from_name("OCSF"), None);
}
