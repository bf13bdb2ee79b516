//! The alerts of the kernel's own responses: an exec of a `[response]
//! deny_exec` file raises `RG-RESPONSE-DENY-EXEC` with what the kernel did
//! (`action_taken`), whatever the rules say about it.

use std::path::PathBuf;
use std::sync::Arc;

use super::error::Loc;
use super::model::{RuleMeta, RuleType, Severity};
use super::Alert;
use crate::location::Location;
use crate::record::{Body, Record};

/// The rule id of a deny_exec alert.
pub const DENY_EXEC_ID: &str = "RG-RESPONSE-DENY-EXEC";

/// Makes the alerts of the kernel's responses; one per detect stage.
pub struct ResponseAlerts {
    deny_exec: Arc<RuleMeta>,
}

impl Default for ResponseAlerts {
    fn default() -> ResponseAlerts {
        ResponseAlerts {
            deny_exec: Arc::new(RuleMeta {
                id: DENY_EXEC_ID.into(),
                name: "Denied executable".into(),
                rule_type: RuleType::Builtin,
                severity: Severity::Critical,
                action: "kill".into(),
                risk_score: Severity::Critical.default_risk(),
                tags: Box::new(["response".into()]),
                description: "an executable on the [response] deny_exec list was run".into(),
                source: Loc { file: Arc::new(PathBuf::from("[response]")), at: Location { line: 0, col: 0 } },
                enabled: true,
                detection: None,
                sigma: None,
            }),
        }
    }
}

impl ResponseAlerts {
    /// Appends the alert of what the kernel did about `record`, if anything.
    pub fn process(&self, record: &Record, alerts: &mut Vec<Alert>) {
        if let Body::Exec(e) = &record.body {
            if let Some(r) = &e.response {
                alerts.push(Alert {
                    meta: Arc::clone(&self.deny_exec),
                    related: Vec::new(),
                    response: Some(r.clone()),
                });
            }
        }
    }
}
