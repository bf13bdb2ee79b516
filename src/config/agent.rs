//! Owns `[agent]`: the sensor's name for itself, its mode and the level of its own log messages.

use std::fmt;

pub use crate::log::LogLevel;

use super::raw::RawAgent;
use super::{defaults, ConfigError, Ctx};

/// `[agent]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// `agent.id`, else the host name.
    pub id: String,
    pub mode: AgentMode,
    pub log_level: LogLevel,
}

/// `agent.mode`: whether the sensor acts on what `[response]` and the
/// rules' `action = "kill"` ask for (docs/response.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentMode {
    /// Report events and detections only; never acts.
    Monitor,
    /// The old name of a reporting-only mode, kept so configs that load
    /// today keep loading: acts exactly like `monitor` (with a warning).
    Detect,
    /// Kill what the policy forbids.
    Enforce,
    /// Report what `enforce` would have killed (`would_kill`), kill nothing.
    DryRun,
}

impl AgentMode {
    pub(super) const CHOICES: &'static [(&'static str, AgentMode)] = &[
        ("monitor", AgentMode::Monitor),
        ("enforce", AgentMode::Enforce),
        ("dry_run", AgentMode::DryRun),
        ("detect", AgentMode::Detect),
    ];

    /// The name as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            AgentMode::Monitor => "monitor",
            AgentMode::Detect => "detect",
            AgentMode::Enforce => "enforce",
            AgentMode::DryRun => "dry_run",
        }
    }

    /// Whether the policy is evaluated at all (enforce or dry_run).
    pub fn responds(&self) -> bool {
        match self {
            AgentMode::Monitor | AgentMode::Detect => false,
            AgentMode::Enforce | AgentMode::DryRun => true,
        }
    }
}

impl fmt::Display for AgentMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The host name, from /proc or gethostname(2).
fn host_name() -> Option<String> {
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let name = name.trim();
        if !name.is_empty() {
            return Some(name.to_owned());
        }
    }
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for `buf.len()` bytes; gethostname writes
    // at most that many and we read only up to the first NUL within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// Checks `[agent]`; a missing `agent.id` falls back to the host name.
pub(super) fn check_agent(
    ctx: &Ctx<'_>,
    raw: Option<RawAgent>,
    warnings: &mut Vec<String>,
) -> Result<Agent, ConfigError> {
    let agent = raw.unwrap_or_default();
    let id = match &agent.id {
        Some(id) if id.get_ref().trim().is_empty() => {
            return Err(ctx.invalid(id.span(), "agent.id", "must not be empty"));
        }
        Some(id) => id.get_ref().clone(),
        None => host_name().unwrap_or_else(|| {
            warnings.push(format!(
                "{}: agent.id is not set and the host name could not be read; using \"localhost\"",
                ctx.path.display()
            ));
            "localhost".to_owned()
        }),
    };
    let mode = ctx.choice(&agent.mode, "agent.mode", AgentMode::CHOICES, defaults::AGENT_MODE)?;
    if let (AgentMode::Detect, Some(m)) = (mode, &agent.mode) {
        warnings.push(ctx.note(
            m.span(),
            "agent.mode",
            "\"detect\" is the old name of \"monitor\" (it never acts); use \"monitor\", \"dry_run\" or \"enforce\"",
        ));
    }
    Ok(Agent {
        id,
        mode,
        log_level: ctx.choice(&agent.log_level, "agent.log_level", LogLevel::CHOICES, defaults::LOG_LEVEL)?,
    })
}
