//! Rule loading errors: every one says where (file:line:col), which rule and
//! which key, so an operator can fix a rule file without guessing.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::location::Location;

/// A position in a rule source: the file and a `Location` in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<PathBuf>,
    pub at: Location,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.at)
    }
}

/// Where a problem is: position, and the rule and key when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ctx {
    pub loc: Loc,
    pub rule: Option<String>,
    pub key: Option<String>,
}

impl fmt::Display for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.loc)?;
        if let Some(r) = &self.rule {
            write!(f, ": rule `{r}`")?;
        }
        if let Some(k) = &self.key {
            let sep = if self.rule.is_some() { ", " } else { ": " };
            write!(f, "{sep}key `{k}`")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{loc}: TOML syntax error: {msg}")]
    Syntax { loc: Loc, msg: String },
    #[error("{ctx}: {problem}")]
    Invalid { ctx: Box<Ctx>, problem: Problem },
    #[error("{at}: duplicate {what} `{name}` (first defined at {first})")]
    Duplicate { what: &'static str, name: String, at: Loc, first: Loc },
    /// A line of a `rules test --events` file that is no record.
    #[error("{events}:{line}: {source}")]
    Events {
        events: PathBuf,
        line: usize,
        #[source]
        source: super::offline::RecordParseError,
    },
    #[error("rules test: no rules loaded (give --config or --rules); nothing to test")]
    NoRules,
    #[error(transparent)]
    Insecure(#[from] crate::config::permissions::InsecureError),
    #[error("cannot write test output: {0}")]
    Output(#[source] std::io::Error),
}

impl RuleError {
    /// The process exit code for a configuration error.
    pub fn exit_code(&self) -> i32 {
        2
    }

    pub(crate) fn invalid(ctx: Ctx, problem: Problem) -> RuleError {
        RuleError::Invalid { ctx: Box::new(ctx), problem }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Problem {
    #[error("rule id is empty")]
    EmptyId,
    #[error("missing required key `{0}`")]
    Missing(&'static str),
    #[error("unknown key `{key}` (valid: {valid})")]
    UnknownKey { key: String, valid: String },
    #[error("expected {expected}, found {found}")]
    WrongType { expected: &'static str, found: String },
    #[error("unknown field `{field}`{} (valid fields: {valid})", suggestion.map(|s| format!(", did you mean `{s}`?")).unwrap_or_default())]
    UnknownField { field: String, suggestion: Option<&'static str>, valid: String },
    #[error("field `{field}` is never present on {types} records")]
    FieldNeverPresent { field: &'static str, types: String },
    #[error("type mismatch: `{field}` is {field_type} and `{op}` {why}")]
    TypeMismatch { field: &'static str, field_type: &'static str, op: String, why: String },
    #[error("condition syntax error: {0}")]
    Parse(String),
    #[error("invalid regex `{pattern}`: {msg}")]
    BadRegex { pattern: String, msg: String },
    #[error("invalid glob `{pattern}`: {msg}")]
    BadGlob { pattern: String, msg: String },
    #[error("bad option name '{option}' in `has_option`: it {why}")]
    BadOption { option: String, why: &'static str },
    #[error("unknown list `{0}`")]
    UnknownList(String),
    #[error("unknown macro or field `{0}`")]
    UnknownMacro(String),
    #[error("recursive macro: {0}")]
    RecursiveMacro(String),
    #[error("bad severity `{0}` (valid: {valid})", valid = crate::record::Severity::names(", "))]
    BadSeverity(String),
    #[error("risk_score {0} is outside 0.0..=1.0")]
    RiskScore(f64),
    #[error("port {0} is outside 0..=65535")]
    PortRange(i64),
    #[error("bad value `{value}` (valid: {valid})")]
    BadValue { value: String, valid: String },
    #[error("sequence: {0}")]
    Sequence(String),
    #[error("condition can never match any event type")]
    NeverMatches,
    #[error("rule directory `{0}` does not exist or is not a directory")]
    MissingDir(String),
    #[error("disabled_rules names unknown rule id `{0}`")]
    UnknownDisabled(String),
}
