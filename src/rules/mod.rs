//! TEMPORARY placeholder until the rule engine lands: no rules, no alerts.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::record::Record;

#[derive(Debug, thiserror::Error)]
#[error("rules: {0}")]
pub struct RuleError(String);
impl RuleError {
    pub fn exit_code(&self) -> i32 {
        2
    }
}
pub struct RuleSet;
pub struct RuleInfo;
impl RuleSet {
    pub fn load(_t: &str, _p: &Path, _e: &[PathBuf]) -> Result<RuleSet, RuleError> {
        Ok(RuleSet)
    }
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo> {
        std::iter::empty()
    }
}
#[derive(Debug)]
pub struct Alert;
impl Alert {
    pub fn write_json(&self, _out: &mut Vec<u8>, _r: &Record) {}
}
pub struct EngineStats {
    pub pending_sequences: u64,
}
pub struct Engine;
impl Engine {
    pub fn new(_s: RuleSet) -> Engine {
        Engine
    }
    pub fn process(&mut self, _r: &mut Record, _a: &mut Vec<Alert>) {}
    pub fn stats(&self) -> EngineStats {
        EngineStats { pending_sequences: 0 }
    }
}
pub fn print_list(_s: &RuleSet, _o: &mut dyn Write) -> std::io::Result<()> {
    Ok(())
}
pub struct TestSummary;
impl std::fmt::Display for TestSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "")
    }
}
pub fn test_events(_s: RuleSet, _e: &Path, _o: &mut dyn Write) -> Result<TestSummary, RuleError> {
    Ok(TestSummary)
}
