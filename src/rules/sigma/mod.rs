//! Sigma rules (`*.yml`, `*.yaml` in a rule directory), compiled into the
//! same `Cond` as native rules: the log source picks the event types, the
//! field map (`fieldmap`) the fields, `detection` the tests, `condition`
//! how the search identifiers combine. A rule rand-guard cannot run is
//! rejected with its line and a named reason, and counted
//! (`SigmaReport`); it never loads as a rule that silently never fires.
//! Reference: docs/rules.md, "Sigma rules".

pub(crate) mod condition;
pub mod detection;
pub mod fieldmap;
pub mod yaml;

use std::collections::BTreeMap;
use std::fmt;

use crate::record::Severity;
use crate::rules::error::Loc;
use crate::rules::eval::Cond;
use crate::rules::fields::{Field, TypeMask};
use crate::rules::model::RuleType;
use fieldmap::LogSource;
use yaml::{Kind, Node};

/// Why a Sigma rule is not loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("YAML syntax error: {0}")]
    Yaml(String),
    #[error("missing `{0}`")]
    Missing(&'static str),
    #[error("unsupported log source `{0}` (supported: product linux with category process_creation, file_event, network_connection)")]
    LogSource(String),
    #[error("unsupported field `{field}`{}", needs.as_ref().map(|n| format!(": needs rand-guard field `{n}`, which this build does not have")).unwrap_or_else(|| " (not in the Sigma field map for this log source)".into()))]
    Field { field: String, needs: Option<String> },
    #[error("unsupported modifier `{0}` (supported: {m})", m = detection::MODIFIERS)]
    Modifier(String),
    #[error("field `{field}` is never present on {types} records")]
    NeverPresent { field: &'static str, types: String },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("condition: {0}")]
    Condition(String),
    #[error("{0}")]
    Invalid(String),
    #[error("duplicate rule id (first defined at {0})")]
    Duplicate(String),
}

impl Reason {
    /// The reason as counted in `check-config --report`: the kind and
    /// what it names, without positions.
    pub fn summary(&self) -> String {
        match self {
            Reason::Field { field, .. } => format!("field {field}"),
            Reason::Modifier(m) => format!("modifier {m}"),
            Reason::LogSource(l) => format!("log source {l}"),
            Reason::NeverPresent { field, .. } => format!("field {field} not on the log source's records"),
            Reason::Yaml(_) => "YAML syntax".into(),
            Reason::Missing(k) => format!("missing {k}"),
            Reason::Unsupported(u) => u.clone(),
            Reason::Condition(_) => "condition".into(),
            Reason::Invalid(_) => "invalid".into(),
            Reason::Duplicate(_) => "duplicate id".into(),
        }
    }

    /// A field the enrichment work will add (`parent_cmdline`, `user`,
    /// `exe_sha256`, `remote_hostname`...): mapped, but not in this build.
    pub fn awaits_field(&self) -> bool {
        matches!(self, Reason::Field { needs: Some(_), .. })
    }
}

/// A rejection: the line it is about and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub line: usize,
    pub reason: Reason,
}

/// One Sigma rule that did not load: where, which rule, why.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    pub loc: Loc,
    pub rule: Option<String>,
    pub reason: Reason,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.loc)?;
        if let Some(r) = &self.rule {
            write!(f, ": rule `{r}`")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What loading the Sigma files of the rule directories gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SigmaReport {
    pub loaded: usize,
    /// Rules below `[detection] sigma_min_status`, by status.
    pub skipped_by_status: BTreeMap<String, usize>,
    pub unsupported: Vec<Unsupported>,
}

impl SigmaReport {
    pub fn files(&self) -> usize {
        self.loaded + self.skipped_by_status.values().sum::<usize>() + self.unsupported.len()
    }

    /// Unsupported rules counted by `Reason::summary`.
    pub fn by_reason(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for u in &self.unsupported {
            *m.entry(u.reason.summary()).or_insert(0) += 1;
        }
        m
    }

    /// `check-config --report`'s Sigma lines.
    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let skipped: usize = self.skipped_by_status.values().sum();
        writeln!(
            out,
            "sigma: {} rules: {} loaded, {} skipped by status, {} unsupported",
            self.files(),
            self.loaded,
            skipped,
            self.unsupported.len()
        )?;
        for (s, n) in &self.skipped_by_status {
            writeln!(out, "sigma: skipped (status {s}): {n}")?;
        }
        for (r, n) in self.by_reason() {
            writeln!(out, "sigma: unsupported ({r}): {n}")?;
        }
        for u in &self.unsupported {
            writeln!(out, "sigma: {u}")?;
        }
        Ok(())
    }
}

/// Sigma `status` values, lowest first.
pub const STATUSES: [&str; 5] = ["unsupported", "deprecated", "experimental", "test", "stable"];

pub fn status_rank(s: &str) -> Option<usize> {
    STATUSES.iter().position(|x| *x == s)
}

/// Where a Sigma rule came from, shown on its alerts (DRL 1.1 attribution).
#[derive(Clone, Debug, PartialEq)]
pub struct SigmaInfo {
    pub file: String,
    pub author: String,
    /// Empty when the rule has none (then `sigma_min_status` keeps it).
    pub status: String,
    pub falsepositives: Vec<String>,
}

/// A Sigma rule, compiled.
#[derive(Debug)]
pub struct SigmaRule {
    pub id: String,
    pub id_line: usize,
    pub title: String,
    pub severity: Severity,
    pub rule_type: RuleType,
    pub tags: Vec<String>,
    pub description: String,
    pub info: SigmaInfo,
    pub cond: Cond,
    pub mask: TypeMask,
}

/// A rejection, with the rule id when it was read.
pub type ReadError = (Rejected, Option<String>);

/// Reads and compiles one Sigma file.
pub fn read(file: &str, text: &str) -> Result<SigmaRule, ReadError> {
    let doc = yaml::parse(text)
        .map_err(|e| (Rejected { line: e.line, reason: Reason::Yaml(e.msg) }, None))?
        .ok_or((Rejected { line: 1, reason: Reason::Missing("title") }, None))?;
    let id_node = doc.get("id");
    let id = id_node.and_then(Node::scalar).map(str::to_string);
    let fail = |line: usize, reason: Reason| (Rejected { line, reason }, id.clone());
    let id_s = id.clone().ok_or_else(|| fail(doc.line, Reason::Missing("id")))?;
    let id_line = id_node.map_or(doc.line, |n| n.line);
    let text_of = |k: &str| doc.get(k).and_then(Node::scalar).map(str::to_string);
    let title = text_of("title").ok_or_else(|| fail(doc.line, Reason::Missing("title")))?;

    let ls_node = doc.get("logsource").ok_or_else(|| fail(doc.line, Reason::Missing("logsource")))?;
    let product = ls_node.get("product").and_then(Node::scalar).unwrap_or("");
    let category = ls_node.get("category").and_then(Node::scalar).unwrap_or("");
    let service = ls_node.get("service").and_then(Node::scalar);
    let ls = match (product, service) {
        ("linux", None) => LogSource::from_category(category),
        _ => None,
    }
    .ok_or_else(|| {
        let name = [("product", Some(product)), ("category", Some(category)), ("service", service)]
            .iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}: {v}")))
            .collect::<Vec<_>>()
            .join(", ");
        fail(ls_node.get("category").map_or(ls_node.line, |n| n.line), Reason::LogSource(name))
    })?;

    let det = doc.get("detection").ok_or_else(|| fail(doc.line, Reason::Missing("detection")))?;
    let Kind::Map(entries) = &det.kind else {
        return Err(fail(det.line, Reason::Invalid("`detection` must be a mapping".into())));
    };
    let mut sels = Vec::new();
    let mut fields: Vec<(Field, usize)> = Vec::new();
    let mut conds = Vec::new();
    for (name, node) in entries {
        match name.as_str() {
            "condition" => conds.push(node),
            "timeframe" => return Err(fail(node.line, Reason::Unsupported("timeframe".into()))),
            _ => {
                let c = detection::selection(node, ls, &mut fields).map_err(|r| (r, id.clone()))?;
                sels.push((name.clone(), c));
            }
        }
    }
    let cnode = conds.first().ok_or_else(|| fail(det.line, Reason::Missing("detection.condition")))?;
    let texts: Vec<&Node> = match &cnode.kind {
        Kind::Seq(items) => items.iter().collect(),
        _ => vec![*cnode],
    };
    let mut alts = Vec::new();
    for t in texts {
        let s = t.scalar().ok_or_else(|| fail(t.line, Reason::Invalid("`condition` must be a string".into())))?;
        alts.push(condition::compile(s, &sels).map_err(|r| fail(t.line, r))?);
    }
    let cond = if alts.len() == 1 { alts.remove(0) } else { Cond::Or(alts.into()) };

    let mask = ls.mask();
    for (f, line) in &fields {
        if f.carriers().inter(mask).is_empty() {
            return Err(fail(*line, Reason::NeverPresent { field: f.name(), types: mask.names() }));
        }
    }
    let cond = Cond::And(vec![ls.base(), cond].into());
    if cond.mask(false).inter(mask).is_empty() {
        return Err(fail(det.line, Reason::Invalid("the detection can never match".into())));
    }

    let status = text_of("status").unwrap_or_default();
    if !status.is_empty() && status_rank(&status).is_none() {
        let line = doc.get("status").map_or(doc.line, |n| n.line);
        return Err(fail(line, Reason::Invalid(format!("unknown status `{status}` (valid: {})", STATUSES.join(", ")))));
    }
    let level = text_of("level").unwrap_or_else(|| "medium".into());
    let severity = match level.as_str() {
        "informational" => Severity::Info,
        l => Severity::parse(l).ok_or_else(|| {
            fail(doc.get("level").map_or(doc.line, |n| n.line), Reason::Invalid(format!("unknown level `{l}`")))
        })?,
    };
    let list = |k: &str| -> Vec<String> {
        match doc.get(k).map(|n| &n.kind) {
            Some(Kind::Seq(items)) => items.iter().filter_map(Node::scalar).map(str::to_string).collect(),
            Some(Kind::Scalar(s, _)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let rule_type = match ls {
        LogSource::ProcessCreation => RuleType::Process,
        LogSource::FileEvent => RuleType::File,
        LogSource::NetworkConnection => RuleType::Network,
    };
    Ok(SigmaRule {
        id: id_s,
        id_line,
        description: text_of("description").map_or_else(|| title.clone(), |d| d.trim().to_string()),
        title,
        severity,
        rule_type,
        tags: list("tags"),
        info: SigmaInfo {
            file: file.to_string(),
            author: text_of("author").unwrap_or_default(),
            status,
            falsepositives: list("falsepositives"),
        },
        cond,
        mask,
    })
}

#[cfg(test)]
mod tests;
