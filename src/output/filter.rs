//! Owns which records an output takes: `records` (all, alerts, telemetry),
//! `min_severity` for alerts, and whether health records go there.

use super::LineKind;
use crate::config::{RecordFilter, RecordKinds};

impl RecordFilter {
    /// Whether a line of `kind` goes to the output with this filter.
    pub fn accepts(&self, kind: LineKind) -> bool {
        match kind {
            LineKind::Health => self.health,
            LineKind::Telemetry => self.records != RecordKinds::Alerts,
            LineKind::Alert(sev) => self.records != RecordKinds::Telemetry && sev >= self.min_severity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Severity;

    #[test]
    fn filters() {
        let all = RecordFilter::ALL;
        assert!(all.accepts(LineKind::Telemetry) && all.accepts(LineKind::Health));
        assert!(all.accepts(LineKind::Alert(Severity::Info)));
        let alerts = RecordFilter { records: RecordKinds::Alerts, min_severity: Severity::High, health: false };
        assert!(!alerts.accepts(LineKind::Telemetry));
        assert!(!alerts.accepts(LineKind::Health));
        assert!(!alerts.accepts(LineKind::Alert(Severity::Medium)));
        assert!(alerts.accepts(LineKind::Alert(Severity::High)));
        assert!(alerts.accepts(LineKind::Alert(Severity::Critical)));
        let telemetry = RecordFilter { records: RecordKinds::Telemetry, ..RecordFilter::ALL };
        assert!(telemetry.accepts(LineKind::Telemetry));
        assert!(!telemetry.accepts(LineKind::Alert(Severity::Critical)));
    }
}
