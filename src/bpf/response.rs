//! The kernel half of `[response]`: the mode handle_exec acts in (`.rodata`,
//! before load) and the `deny_exec` map's entries (after load).

use libbpf_rs::{MapCore, MapFlags};

use super::skel::types::{rg_exec, rg_exec_flag};
use crate::config::{AgentMode, Config};
use crate::record::{ActionTaken, Response};

/// `rg_response_mode` (bpf/response.bpf.h) for `cfg`: off unless the mode
/// acts and the deny list has an entry, so an empty list costs no lookup.
pub fn kernel_mode(cfg: &Config) -> u32 {
    if cfg.response.deny_exec.is_empty() {
        return 0;
    }
    match cfg.agent.mode {
        AgentMode::Monitor | AgentMode::Detect => 0,
        AgentMode::Enforce => 1,
        AgentMode::DryRun => 2,
    }
}

/// The `deny_exec` map's key for an entry: `struct rg_deny_exec_key`.
fn key(dev: u64, ino: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&dev.to_ne_bytes());
    k[8..].copy_from_slice(&ino.to_ne_bytes());
    k
}

/// Writes every `deny_exec` entry of `cfg` into the map, when the kernel
/// is to check it at all (`kernel_mode`).
pub fn fill_deny_exec(map: &dyn MapCore, cfg: &Config) -> Result<(), libbpf_rs::Error> {
    if kernel_mode(cfg) == 0 {
        return Ok(());
    }
    for d in &cfg.response.deny_exec {
        map.update(&key(d.dev, d.ino), &[1u8], MapFlags::ANY)?;
    }
    Ok(())
}

/// What handle_exec did about the exec `e` reports (its `rg_exec_flag`
/// bits), None when the file was not on the deny list.
pub fn exec_response(e: &rg_exec) -> Option<Response> {
    let bit = |f: rg_exec_flag| e.flags & f.0 != 0;
    if !bit(rg_exec_flag::RG_EXEC_DENIED) {
        return None;
    }
    let (action, reason) = if bit(rg_exec_flag::RG_EXEC_PROTECTED) {
        (ActionTaken::Protected, "deny_exec: pid 1 and kernel threads are never killed")
    } else if bit(rg_exec_flag::RG_EXEC_KILLED) {
        (ActionTaken::Killed, "deny_exec")
    } else if bit(rg_exec_flag::RG_EXEC_KILL_FAILED) {
        (ActionTaken::KillFailed, "deny_exec: bpf_send_signal failed")
    } else {
        (ActionTaken::WouldKill, "deny_exec")
    };
    Some(Response { action, reason, latency_ns: e.response_ns.saturating_sub(e.hdr.ktime_ns) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(flags: u32) -> rg_exec {
        let mut e = rg_exec { flags, response_ns: 1_500, ..Default::default() };
        e.hdr.ktime_ns = 1_000;
        e
    }

    #[test]
    fn exec_flags_become_action_taken() {
        use rg_exec_flag as F;
        let denied = F::RG_EXEC_DENIED.0;
        assert_eq!(exec_response(&exec(F::RG_EXEC_OLD_IDS.0 | F::RG_EXEC_KILLED.0)), None, "not denied");
        let r = exec_response(&exec(denied | F::RG_EXEC_KILLED.0)).expect("denied");
        assert_eq!((r.action, r.reason, r.latency_ns), (ActionTaken::Killed, "deny_exec", 500));
        assert_eq!(exec_response(&exec(denied)).map(|r| r.action), Some(ActionTaken::WouldKill));
        assert_eq!(
            exec_response(&exec(denied | F::RG_EXEC_KILL_FAILED.0)).map(|r| r.action),
            Some(ActionTaken::KillFailed)
        );
        assert_eq!(
            exec_response(&exec(denied | F::RG_EXEC_PROTECTED.0)).map(|r| r.action),
            Some(ActionTaken::Protected)
        );
    }

    #[test]
    fn the_kernel_checks_only_a_non_empty_list_in_a_mode_that_acts() {
        let mut cfg = Config::default_config();
        assert_eq!(kernel_mode(&cfg), 0);
        cfg.response.deny_exec.push(crate::config::DeniedExe { path: "/x".into(), dev: 1, ino: 2 });
        assert_eq!(kernel_mode(&cfg), 0, "monitor");
        cfg.agent.mode = AgentMode::Enforce;
        assert_eq!(kernel_mode(&cfg), 1);
        cfg.agent.mode = AgentMode::DryRun;
        assert_eq!(kernel_mode(&cfg), 2);
        cfg.response.deny_exec.clear();
        assert_eq!(kernel_mode(&cfg), 0, "empty list");
    }
}
