//! Alert severity: what a rule sets, what an alert record carries, and
//! what an output's `min_severity` filters on. Its names are spelled in
//! one place, `as_str`; parsing and every message listing them read it.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// The name used in rules, configs and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Every name, lowest first, joined by `sep` (for messages).
    pub fn names(sep: &str) -> String {
        Severity::ALL.map(Severity::as_str).join(sep)
    }

    /// The `risk_score` of an alert whose rule does not set one.
    pub fn default_risk(self) -> f64 {
        match self {
            Severity::Info => 0.1,
            Severity::Low => 0.25,
            Severity::Medium => 0.5,
            Severity::High => 0.75,
            Severity::Critical => 0.95,
        }
    }
}

// `ALL` holds each variant once, in order.
const _: () = {
    let mut i = 0;
    while i < Severity::ALL.len() {
        assert!(Severity::ALL[i] as usize == i);
        i += 1;
    }
    assert!(Severity::Critical as usize + 1 == Severity::ALL.len());
};

#[cfg(test)]
mod tests {
    use super::Severity;

    #[test]
    fn names_round_trip_lowest_first() {
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert!(Severity::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Severity::names(", "), "info, low, medium, high, critical");
        assert_eq!(Severity::parse("severe"), None);
        assert_eq!(Severity::parse("High"), None);
    }
}
