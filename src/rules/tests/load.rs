//! Loading: lists and macros across files, located errors, garbage
//! input, and the main config's `[detection]` table.

use super::*;

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
        let text = include_str!("../../../config/rules/execution.toml");
        let end = text.char_indices().map(|(i, _)| i).nth(cut * 37).unwrap_or(text.len());
        let _ = set(&text[..end]);
    }
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

#[test]
fn has_option_misuse_is_a_located_error() {
    let rule = |cond: &str| format!("[[rules]]\nid = \"A\"\ntype = \"process\"\ncondition = {}\n", toml_str(cond));
    let cases = [
        (
            "comm has_option ('d')",
            "type mismatch: `comm` is a string and `has_option` reads a command line, so it applies to `args` only",
        ),
        ("args has_option ('-d')", "bad option name '-d' in `has_option`: it starts with `-`"),
        ("args has_option ('wrap=')", "bad option name 'wrap=' in `has_option`: it contains `=`"),
        ("args has_option ()", "`has_option` needs at least one option to look for"),
        ("args has_option (1)", "`has_option` set holds the number 1"),
        ("args has_option (nolist)", "unknown list `nolist`"),
        ("args has_option 'd'", "expected `(` after `has_option`"),
        ("args has_option ('d') valued 'w'", "expected `(` after `valued`"),
        ("args has_option ('d') valued ('--wrap')", "bad option name '--wrap'"),
    ];
    for (cond, want) in cases {
        let e = err(&rule(cond));
        assert!(e.contains(want), "{cond}: {e}");
        assert!(e.starts_with("t.toml:4:"), "{cond}: not located: {e}");
    }
}
