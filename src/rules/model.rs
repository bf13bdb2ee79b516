//! The loaded, ready-to-run rule set: rule metadata shared with alerts, and
//! the compiled single-event and sequence rules.

use std::collections::HashSet;
use std::sync::Arc;

use super::error::Loc;
use super::eval::{Bound, Cond};
use super::fields::{index, TypeMask};
use super::lang::typecheck::VarSrc;
use super::sigma::{SigmaInfo, SigmaReport};
pub use crate::record::Severity;
use crate::record::SharedStr;
use crate::record::{EventType, Record};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleType {
    Process,
    File,
    Network,
    Sequence,
    Builtin,
}

impl RuleType {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleType::Process => "process",
            RuleType::File => "file",
            RuleType::Network => "network",
            RuleType::Sequence => "sequence",
            RuleType::Builtin => "builtin",
        }
    }
}

/// What an alert says about its rule; shared by every alert of the rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: Arc<str>,
    pub name: Arc<str>,
    pub rule_type: RuleType,
    pub severity: Severity,
    pub action: Arc<str>,
    pub risk_score: f64,
    pub tags: Box<[Arc<str>]>,
    pub description: Arc<str>,
    pub source: Loc,
    pub enabled: bool,
    /// For built-in detections: the `detection_type` set on the record.
    pub detection: Option<SharedStr>,
    /// For Sigma rules: the file, author, status and false positives.
    pub sigma: Option<Arc<SigmaInfo>>,
}

#[derive(Debug)]
pub struct SingleRule {
    pub meta: Arc<RuleMeta>,
    pub mask: TypeMask,
    pub cond: Cond,
}

/// What ties the steps of one sequence instance together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqKey {
    /// The same process (tgid).
    Pid,
    /// Children of the same parent (e.g. the members of a shell pipeline).
    Ppid,
    /// The first step's process or any of its descendants.
    Lineage,
    /// The file path of the first step (new path of a rename) equals the
    /// path, new path, filename or exe of a later step.
    Path,
    /// The same container (`container_id`); records outside any container
    /// neither start nor continue an instance.
    Container,
}

impl SeqKey {
    pub fn parse(s: &str) -> Option<SeqKey> {
        Some(match s {
            "pid" => SeqKey::Pid,
            "ppid" => SeqKey::Ppid,
            "lineage" => SeqKey::Lineage,
            "path" => SeqKey::Path,
            "container" => SeqKey::Container,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub struct Step {
    pub cond: Cond,
    pub mask: TypeMask,
    /// `cond` specialized to each event type (`fields::index` order);
    /// false for the types `mask` excludes.
    by_type: Box<[Cond]>,
}

impl Step {
    pub fn new(cond: Cond, mask: TypeMask) -> Step {
        let by_type =
            EventType::ALL.iter().map(|&t| if mask.has(t) { cond.specialize(t) } else { Cond::Const(false) }).collect();
        Step { cond, mask, by_type }
    }

    /// Whether `r` (of type `et`) satisfies this step.
    pub fn matches(&self, r: &Record, vars: &[Bound]) -> bool {
        self.by_type.get(index(r.event_type())).is_some_and(|c| c.eval(r, vars))
    }
}

#[derive(Debug)]
pub struct SeqRule {
    pub meta: Arc<RuleMeta>,
    pub key: SeqKey,
    pub window_ns: u64,
    pub steps: Vec<Step>,
    /// `$` bindings, captured from the first step's record.
    pub vars: Vec<VarSrc>,
    pub mask: TypeMask,
}

/// Every rule, compiled; built-in detections come first so their record
/// annotation precedes rule alerts.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) singles: Vec<SingleRule>,
    pub(crate) seqs: Vec<SeqRule>,
    pub(crate) max_pending: usize,
    pub(crate) disabled: HashSet<String>,
    pub(crate) sigma: SigmaReport,
}

/// One line of `rand-guard rules list`.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub rule_type: &'static str,
    pub severity: &'static str,
    pub enabled: bool,
    /// `file:line`
    pub source: String,
    pub tags: Vec<String>,
    /// `toml` (native rules, built-in detections) or `sigma`.
    pub format: &'static str,
}

impl RuleSet {
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo> + '_ {
        self.singles.iter().map(|r| &r.meta).chain(self.seqs.iter().map(|r| &r.meta)).map(|m| RuleInfo {
            id: m.id.to_string(),
            name: m.name.to_string(),
            rule_type: m.rule_type.as_str(),
            severity: m.severity.as_str(),
            enabled: self.is_enabled(m),
            source: format!("{}:{}", m.source.file.display(), m.source.at.line),
            tags: m.tags.iter().map(|t| t.to_string()).collect(),
            format: if m.sigma.is_some() { "sigma" } else { "toml" },
        })
    }

    /// What loading the Sigma files gave: loaded, skipped, unsupported.
    pub fn sigma_report(&self) -> &SigmaReport {
        &self.sigma
    }

    /// No rule or detection at all (enabled or not).
    pub fn is_empty(&self) -> bool {
        self.singles.is_empty() && self.seqs.is_empty()
    }

    pub(crate) fn is_enabled(&self, m: &RuleMeta) -> bool {
        m.enabled && !self.disabled.contains(&*m.id)
    }

    /// Overrides `[detection].max_pending_sequences` (tests, replay).
    pub fn with_max_pending(mut self, n: usize) -> RuleSet {
        self.max_pending = n.max(1);
        self
    }

    pub fn max_pending(&self) -> usize {
        self.max_pending
    }
}
