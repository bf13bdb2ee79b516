//! Every ```toml block in README.md and docs/*.md loads with the real config
//! loader and rule loader, so the documentation cannot drift from the code.
//! Blocks that are meant to be partial or invalid use a ```toml,ignore fence.

use std::path::{Path, PathBuf};

use rand_guard::config::Config;
use rand_guard::rules::RuleSet;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn toml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        if let Some((start, mut body)) = current.take() {
            if fence.starts_with("```") {
                out.push((start, body));
            } else {
                body.push_str(line);
                body.push('\n');
                current = Some((start, body));
            }
        } else if fence == "```toml" {
            current = Some((i + 1, String::new()));
        }
    }
    out
}

#[test]
fn every_toml_example_in_the_docs_loads() {
    let mut files: Vec<PathBuf> = vec![Path::new(ROOT).join("README.md")];
    for e in std::fs::read_dir(Path::new(ROOT).join("docs")).expect("docs/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read doc");
        for (line, block) in toml_blocks(&text) {
            let origin = Path::new(ROOT).join("config/rand-guard.toml"); // so rule_dirs resolve
            let cfg = Config::from_str(&block, &origin)
                .unwrap_or_else(|e| panic!("{}:{line}: example does not load: {e}\n{block}", file.display()));
            RuleSet::load(&cfg.text, &cfg.path, &[])
                .unwrap_or_else(|e| panic!("{}:{line}: rules in example do not load: {e}", file.display()));
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} toml examples found");
}
