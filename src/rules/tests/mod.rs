//! Engine-level tests, by topic: loading errors (`load`), operators,
//! compat rules and built-in detections (`eval`), sequences (`sequence`),
//! the NDJSON round trip and bench records (`records`), and the default
//! pack against its fixtures (`pack`). Shared builders live here.

mod bypass;
mod eval;
mod load;
mod maintainer;
mod pack;
mod pack_events;
mod records;
mod sequence;
mod sigma;
mod sigma_witness;

use std::path::PathBuf;

use super::bench::*;
use super::*;

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

/// `r` from a process whose parent runs `parent_exe`.
fn child_of(mut r: Record, parent_exe: &str) -> Record {
    r.parent_exe = Some(std::sync::Arc::from(parent_exe));
    r
}

trait WithExe {
    /// The record as made by a process running `exe` (whatever its comm says).
    fn with_exe(self, exe: &str) -> Record;
}

impl WithExe for Record {
    fn with_exe(mut self, exe: &str) -> Record {
        self.exe = Some(std::sync::Arc::from(exe));
        self
    }
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn pack() -> RuleSet {
    let main = "[detection]\nrule_dirs = [\"config/rules\"]\n";
    RuleSet::load(main, &manifest().join("rand-guard.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}
