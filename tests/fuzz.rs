//! Property-based fuzzing of the three parsers that take untrusted or
//! hand-written input: the raw event decoder (bytes from the kernel), the
//! config loader and the rule condition parser. Every target asserts no
//! panic, and that a rejection says where the problem is.
//!
//! The normal suite runs proptest's default case count; `make fuzz` runs
//! the same targets (named `fuzz_*`) with `PROPTEST_CASES` in the hundreds
//! of thousands. A failing input proptest finds is saved under
//! `tests/fuzz.proptest-regressions` and replayed first on every run; a
//! crash worth naming also becomes a plain test below.

use std::mem::offset_of;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;
use rand_guard::bpf::abi::{self, build, decode, rg_file};
use rand_guard::config::{Config, PathFilter};
use rand_guard::pipeline::normalize::{Normalizer, Outcome, Selection};
use rand_guard::process::ProcessTable;
use rand_guard::record::json::write_record;
use rand_guard::record::time::BootClock;
use rand_guard::record::EventType;
use rand_guard::rules::lang::parser::{parse, MAX_DEPTH};
use rand_guard::rules::RuleSet;

/// Valid records of every kind the kernel sends, to mutate.
fn valid_records() -> Vec<Vec<u8>> {
    let t = build::task(100, 101, 1, 0, "bash", "systemd");
    vec![
        build::exec(t, 5, "/bin/ls", &["ls", "-l", "/tmp"], "/usr/bin/ls", "/root"),
        build::file(EventType::FileOpen, t, 6, 11, "/etc/passwd", None),
        build::file(EventType::FileWrite, t, 7, 20, "/tmp/x", None),
        build::file(EventType::FileRename, t, 8, 30, "/tmp/a", Some("/etc/b")),
        build::file(EventType::FileUnlink, t, 9, 40, "/tmp/./a/../b", None),
        build::fork(build::task(200, 200, 100, 0, "bash", "bash"), 10, 100),
        build::exit(t, 11, 9, 5),
    ]
}

fn normalizer() -> Normalizer {
    let select = Selection {
        execve: true,
        execveat: true,
        paths: PathFilter::new(&["/etc".into(), "/tmp".into()], &["*.service".into()], &["/tmp/skip".into()])
            .expect("filter"),
    };
    // no fallback /proc lookups: the fuzzer must not depend on the host
    Normalizer::new(ProcessTable::new(64), BootClock::with_offset(0), Arc::from("h"), select)
        .with_proc_root(PathBuf::from("/nonexistent-proc"))
}

/// Decodes and, when it decodes, normalizes and serializes: whatever the
/// bytes, the result is an error, a filter decision or one valid JSON line.
fn decode_all_the_way(n: &mut Normalizer, raw: &[u8]) {
    match decode(raw) {
        Err(e) => assert!(!e.to_string().is_empty()),
        Ok(_) => {
            if let Outcome::Record(r) = n.normalize(raw) {
                let mut out = Vec::new();
                write_record(&mut out, &r);
                assert_eq!(out.last(), Some(&b'\n'));
                assert_eq!(
                    out.iter().filter(|&&b| b == b'\n').count(),
                    1,
                    "one line: {}",
                    String::from_utf8_lossy(&out)
                );
                let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
                assert!(v["event_type"].is_string());
            }
        }
    }
}

/// A mutation of a byte string: overwrite, insert, delete or truncate.
fn mutate(mut bytes: Vec<u8>, edits: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(op, at, b) in edits {
        let at = if bytes.is_empty() { 0 } else { at % (bytes.len() + 1) };
        match op % 4 {
            0 if at < bytes.len() => bytes[at] = b,
            1 => bytes.insert(at, b),
            2 if at < bytes.len() => {
                bytes.remove(at);
            }
            3 => bytes.truncate(at),
            _ => {}
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..8)
}

/// Byte positions of `text` as the 1-based line and column a message shows.
fn valid_location(text: &str, line: usize, col: usize) -> bool {
    let lines = text.split('\n').count().max(1);
    line >= 1 && line <= lines && col >= 1
}

const CONFIG: &str = r#"[agent]
id = "h"
mode = "monitor"

[ebpf]
buffer_size = 64

[file]
watch_paths = ["/etc", "/tmp"]
watch_patterns = ["*.service"]
exclude_paths = ["/var/log"]

[output]
type = "stdout"
health_interval_secs = 5

[performance]
drop_when_full = true
channel_capacity = 64
max_process_cache_entries = 128

[[rules]]
id = "r1"
name = "rule one"
type = "process"
severity = "high"
condition = "comm = 'nc' and args contains '-e'"
"#;

const CONDITIONS: &[&str] = &[
    "comm = 'nc' and args contains '-e'",
    "(path startswith '/etc/' or path glob '/home/*/.ssh/*') and not comm in ('sshd', shells)",
    "remote_port in (4444, 1337) and exe regex '^/tmp/'",
    "event_type = 'file_open' and uid != 0 and path exists",
    "not (a = 1 or b = $x) and c icontains \"X\"",
];

fn config_error_has_location(text: &str) {
    match Config::from_str(text, Path::new("/fuzz/rand-guard.toml")) {
        Ok(_) => {}
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("/fuzz/rand-guard.toml"), "message names the file: {msg}");
            assert!(!msg.contains('\n'), "one line: {msg}");
            if let Some(loc) = e.location() {
                assert!(valid_location(text, loc.line, loc.col), "{loc} outside the text: {msg}");
            }
            // rules inside the config are checked by the rule loader
        }
    }
    if let Err(e) = RuleSet::from_sources(&[(PathBuf::from("/fuzz/rules.toml"), text.to_string())]) {
        let msg = e.to_string();
        assert!(msg.starts_with("/fuzz/rules.toml:"), "rule error names file and line: {msg}");
    }
}

fn condition_error_in_bounds(src: &str) {
    if let Err((pos, msg)) = parse(src) {
        assert!(pos <= src.len(), "position {pos} past the end of {src:?}");
        assert!(!msg.is_empty());
    }
}

proptest! {
    #[test]
    fn fuzz_decode_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        decode_all_the_way(&mut normalizer(), &bytes);
    }

    #[test]
    fn fuzz_decode_mutated_valid_records(which in 0usize..7, edits in edits()) {
        let raw = mutate(valid_records()[which].clone(), &edits);
        decode_all_the_way(&mut normalizer(), &raw);
        // keep the header consistent so the mutation reaches the body
        let mut fixed = raw.clone();
        if fixed.len() >= 8 {
            let len = fixed.len() as u32;
            fixed[4..8].copy_from_slice(&len.to_ne_bytes());
            fixed[2..4].copy_from_slice(&abi::ABI_VERSION.to_ne_bytes());
        }
        decode_all_the_way(&mut normalizer(), &fixed);
    }

    #[test]
    fn fuzz_decode_string_descriptors(off in any::<u16>(), len in any::<u16>(), path in "[ -~\n\u{80}-\u{10ffff}]{0,64}") {
        let t = build::task(1, 1, 0, 0, "x", "y");
        let mut raw = build::file(EventType::FileOpen, t, 1, 11, &format!("/tmp/{path}"), None);
        let p = offset_of!(rg_file, path);
        raw[p..p + 2].copy_from_slice(&off.to_ne_bytes());
        raw[p + 2..p + 4].copy_from_slice(&len.to_ne_bytes());
        decode_all_the_way(&mut normalizer(), &raw);
    }

    #[test]
    fn fuzz_config_arbitrary_text(text in "(?s).{0,300}") {
        config_error_has_location(&text);
    }

    #[test]
    fn fuzz_config_toml_like_text(text in "([\\[\\]a-z_.]{1,12}( = )?(\"[^\"\n]{0,8}\"|[0-9-]{1,6}|true|\\[|\\]|\\{|\\}|,)?\n){0,12}") {
        config_error_has_location(&text);
    }

    #[test]
    fn fuzz_config_mutated_valid(edits in edits()) {
        let text = String::from_utf8_lossy(&mutate(CONFIG.as_bytes().to_vec(), &edits)).into_owned();
        config_error_has_location(&text);
    }

    #[test]
    fn fuzz_condition_arbitrary(src in "(?s).{0,200}") {
        condition_error_in_bounds(&src);
    }

    #[test]
    fn fuzz_condition_token_soup(src in "((and|or|not|in|\\(|\\)|,|=|!=|<|>=|'x'|\"y\"|12|-3|\\$v|comm|path|exists|regex|glob) ){0,40}") {
        condition_error_in_bounds(&src);
    }

    #[test]
    fn fuzz_condition_mutated_valid(which in 0usize..5, edits in edits()) {
        let src = String::from_utf8_lossy(&mutate(CONDITIONS[which].as_bytes().to_vec(), &edits)).into_owned();
        condition_error_in_bounds(&src);
        // and the whole rule path: parse, type check, compile
        let rule = format!(
            "[[rules]]\nid = \"f\"\nname = \"f\"\nseverity = \"low\"\ncondition = '''{}'''\ntype = \"process\"\n",
            src.replace('\'', "\"")
        );
        if let Err(e) = RuleSet::from_sources(&[(PathBuf::from("/fuzz/r.toml"), rule)]) {
            prop_assert!(e.to_string().starts_with("/fuzz/r.toml:"), "{}", e);
        }
    }
}

/// Found by the fuzzer's nesting generator: a few thousand `(` or `not`
/// overflowed the stack of the recursive-descent parser (SIGSEGV, not an
/// error). Now a located error.
#[test]
fn fuzz_regression_deep_nesting_is_a_located_error() {
    for src in [
        format!("{}comm = 'x'{}", "(".repeat(50_000), ")".repeat(50_000)),
        format!("{}comm = 'x'", "not ".repeat(50_000)),
        format!("{}comm = 'x'", "( not ".repeat(MAX_DEPTH)),
    ] {
        let (pos, msg) = parse(&src).expect_err("too deep");
        assert!(msg.contains("nested deeper than"), "{msg}");
        assert!(pos <= src.len());
        let rule = format!(
            "[[rules]]\nid = \"d\"\nname = \"d\"\nseverity = \"low\"\ncondition = \"{src}\"\ntype = \"process\"\n"
        );
        let e = RuleSet::from_sources(&[(PathBuf::from("/fuzz/deep.toml"), rule)]).expect_err("rejected");
        assert!(e.to_string().starts_with("/fuzz/deep.toml:5:"), "{e}");
    }
}
