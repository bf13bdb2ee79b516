//! Sigma files of the rule directories: each is compiled by `rules::sigma`
//! and added as a rule, skipped by `[detection] sigma_min_status`, or
//! recorded as unsupported with its place and reason. A Sigma file never
//! fails the whole load: SigmaHQ's rules are taken as they are.

use std::path::Path;
use std::sync::Arc;

use super::{Collected, RawRule};
use crate::location::Location;
use crate::rules::error::Loc;
use crate::rules::model::RuleMeta;
use crate::rules::sigma::{self, status_rank, Reason, Unsupported};

/// The default `sigma_min_status`.
pub(super) const DEFAULT_MIN_STATUS: &str = "test";

/// Whether `path` is a Sigma rule file.
pub(super) fn is_sigma(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "yml" || x == "yaml")
}

pub(super) fn read_sigma(c: &mut Collected, file: &Path, text: &str) {
    let file_arc = Arc::new(file.to_path_buf());
    let loc = |line: usize| Loc { file: file_arc.clone(), at: Location { line: line.max(1), col: 1 } };
    let rule = match sigma::read(&file.display().to_string(), text) {
        Ok(r) => r,
        Err((rej, id)) => {
            c.sigma.unsupported.push(Unsupported { loc: loc(rej.line), rule: id, reason: rej.reason });
            return;
        }
    };
    let min = c.sigma_min_status.as_deref().and_then(status_rank).or_else(|| status_rank(DEFAULT_MIN_STATUS));
    if let (Some(rank), Some(min)) = (status_rank(&rule.info.status), min) {
        if rank < min {
            *c.sigma.skipped_by_status.entry(rule.info.status.clone()).or_insert(0) += 1;
            return;
        }
    }
    let at = loc(rule.id_line);
    if let Some(first) = c.ids.get(&rule.id) {
        let reason = Reason::Duplicate(first.to_string());
        c.sigma.unsupported.push(Unsupported { loc: at, rule: Some(rule.id), reason });
        return;
    }
    c.ids.insert(rule.id.clone(), at.clone());
    c.sigma.loaded += 1;
    let meta = RuleMeta {
        id: rule.id.as_str().into(),
        name: rule.title.into(),
        rule_type: rule.rule_type,
        severity: rule.severity,
        action: "alert".into(),
        risk_score: rule.severity.default_risk(),
        tags: rule.tags.into_iter().map(Arc::from).collect(),
        description: rule.description.into(),
        source: at.clone(),
        enabled: true,
        detection: None,
        sigma: Some(Arc::new(rule.info)),
    };
    c.rules.push(RawRule {
        meta,
        loc: at,
        cond: None,
        seq: None,
        compat: rule.cond,
        compat_mask: rule.mask,
        explicit_type: true,
    });
}
