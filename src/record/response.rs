//! What the sensor did about a record under `[agent] mode` and
//! `[response]`: the `action_taken` of an alert (docs/response.md).

/// `action_taken`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionTaken {
    /// SIGKILL was sent.
    Killed,
    /// `dry_run`: `enforce` would have sent SIGKILL.
    WouldKill,
    /// Sending SIGKILL failed.
    KillFailed,
    /// The target may never be killed (`action_reason` says why).
    Protected,
}

impl ActionTaken {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionTaken::Killed => "killed",
            ActionTaken::WouldKill => "would_kill",
            ActionTaken::KillFailed => "kill_failed",
            ActionTaken::Protected => "protected",
        }
    }
}

/// A response to one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub action: ActionTaken,
    /// Why: `"deny_exec"`, and for `protected` what protects the target
    /// (`"pid 1"`).
    pub reason: &'static str,
    /// From the event's kernel time to the kill (or the decision not to).
    pub latency_ns: u64,
}
