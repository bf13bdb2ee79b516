//! Whole Sigma files: metadata, log sources, rejections with their lines.

use super::*;

const RULE: &str = "title: Test Rule
id: 11111111-2222-3333-4444-555555555555
status: test
description: a test
author: Someone
tags:
    - attack.execution
    - attack.t1059.004
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        Image|endswith: '/bash'
    filter:
        CommandLine|contains: 'safe'
    condition: selection and not filter
falsepositives:
    - Admins
level: informational
";

#[test]
fn metadata_maps_onto_the_rule() {
    let r = read("r.yml", RULE).unwrap();
    assert_eq!(r.id, "11111111-2222-3333-4444-555555555555");
    assert_eq!(r.id_line, 2);
    assert_eq!(r.title, "Test Rule");
    assert_eq!(r.severity, Severity::Info);
    assert_eq!(r.rule_type, RuleType::Process);
    assert_eq!(r.tags, ["attack.execution", "attack.t1059.004"]);
    assert_eq!(r.description, "a test");
    assert_eq!(r.info.author, "Someone");
    assert_eq!(r.info.status, "test");
    assert_eq!(r.info.falsepositives, ["Admins"]);
    assert_eq!(r.mask.names(), "process_exec");
}

fn rejected(text: &str) -> (usize, String) {
    let (rej, _) = read("r.yml", text).unwrap_err();
    (rej.line, rej.reason.to_string())
}

#[test]
fn rejections_have_line_and_reason() {
    let (line, why) = rejected(&RULE.replace("category: process_creation", "category: dns_query"));
    assert_eq!(line, 11, "{why}");
    assert!(why.contains("unsupported log source `product: linux, category: dns_query`"), "{why}");
    let (line, why) = rejected(&RULE.replace("Image|endswith", "ParentUser"));
    assert_eq!(line, 14);
    assert!(why.contains("`ParentUser`"), "{why}");
    let (_, why) = rejected(&RULE.replace("selection and not filter", "selection and not filterx"));
    assert!(why.contains("unknown search identifier `filterx`"), "{why}");
    let (_, why) = rejected(&RULE.replace("level: informational", "level: severe"));
    assert!(why.contains("unknown level `severe`"), "{why}");
    let (line, why) = rejected("title: x\nid: y\nlogsource: [\n");
    assert!(why.contains("YAML syntax error") && line >= 3, "{line} {why}");
    // a field this log source's records never carry
    let (_, why) = rejected(
        &RULE
            .replace("category: process_creation", "category: file_event")
            .replace("Image|endswith", "CurrentDirectory"),
    );
    assert!(why.contains("`CurrentDirectory`"), "{why}");
}

#[test]
fn fields_are_available_from_the_engine_field_table() {
    // every field the map names either exists in the engine or is refused
    // naming the engine field it needs
    for (name, sources, _) in fieldmap::FIELD_MAP {
        for ls in *sources {
            match fieldmap::target(name, *ls) {
                Ok(_) => {}
                Err(fieldmap::FieldProblem::NotProvided(f)) => assert!(Field::from_name(f).is_none()),
                Err(e) => panic!("{name}: {e:?}"),
            }
        }
    }
}
