//! SIGHUP: re-read the config file and its rules, check all of it, then
//! hand the new rule engine to the detect stage and the new file-watch
//! settings to normalize and to the kernel's `path_rules` map. All or
//! nothing: a new config or rule file that fails to load (or fails
//! StrictModes) is reported and the running ones stay. Settings that only
//! take effect at start (hooks, ring size, output, performance, the
//! dashboard) are reported as needing a restart and keep their running
//! values.
//!
//! The stages take what is sent between two batches, so every record is
//! seen by exactly one rule set. Sequence rules start over with the new
//! engine (pending partial matches are not carried across).

use std::path::PathBuf;

use crossbeam_channel::{bounded, Receiver, Sender};
use libbpf_rs::{MapCore, MapFlags, MapHandle};
use thiserror::Error;

use crate::bpf::filter::KernelFilter;
use crate::config::permissions::{InsecureError, Policy};
use crate::config::{Config, ConfigError, PathFilter};
use crate::rules::error::RuleError;
use crate::rules::{Engine, RuleSet};

/// Where the running configuration came from, and how to check it again.
#[derive(Clone, Debug)]
pub struct Source {
    /// The config file; None when the sensor runs on built-in defaults.
    pub config: Option<PathBuf>,
    pub policy: Policy,
    /// `run --ui ADDR`: overrides `[ui] listen` of every load.
    pub ui_listen: Option<std::net::SocketAddr>,
}

/// The receiving ends the stages poll between batches.
pub struct StageControls {
    pub engine: Receiver<Engine>,
    pub paths: Receiver<PathFilter>,
}

/// The main thread's handle on everything a reload changes.
pub struct Control {
    source: Source,
    running: Config,
    engine_tx: Sender<Engine>,
    paths_tx: Sender<PathFilter>,
    kernel_maps: Option<KernelFilterMaps>,
    /// What the kernel filters with now (`.rodata` flags and map contents).
    kernel: KernelFilter,
}

/// The kernel filter's maps: `path_rules` (the hashes) and `filter_meta`
/// (which prefix lengths and pattern kinds to look up).
pub struct KernelFilterMaps {
    pub rules: MapHandle,
    pub meta: MapHandle,
}

#[derive(Debug, Error)]
pub enum ReloadError {
    #[error("the sensor runs on built-in defaults (no config file): nothing to reload")]
    NoConfigFile,
    #[error(transparent)]
    Insecure(#[from] InsecureError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("the {0} stage is not taking reloads (busy with the previous one, or stopped)")]
    StageBusy(&'static str),
    #[error("updating the kernel path filter failed: {0}")]
    KernelMap(libbpf_rs::Error),
}

impl Control {
    /// `kernel_maps` are the kernel filter's maps; None leaves the kernel
    /// alone (tests, or a sensor without file hooks).
    pub fn new(source: Source, running: &Config, kernel_maps: Option<KernelFilterMaps>) -> (Control, StageControls) {
        let (engine_tx, engine) = bounded(1);
        let (paths_tx, paths) = bounded(1);
        let kernel = KernelFilter::from_filter(&running.file.filter);
        let ctl = Control { source, running: running.clone(), engine_tx, paths_tx, kernel_maps, kernel };
        (ctl, StageControls { engine, paths })
    }

    /// Loads and checks the new config and rules, then swaps them in.
    /// Returns a one-line summary.
    pub fn reload(&mut self) -> Result<String, ReloadError> {
        let path = self.source.config.clone().ok_or(ReloadError::NoConfigFile)?;
        self.source.policy.check_config_file(&path)?;
        let mut cfg = Config::load(&path)?;
        cfg.ui.listen = self.source.ui_listen.or(cfg.ui.listen);
        let rules = RuleSet::load_checked(&cfg.text, &cfg.path, &[], &self.source.policy)?;
        let n_rules = rules.rules().count();
        // Everything is checked; from here on only hand-offs.
        if self.engine_tx.is_full() {
            return Err(ReloadError::StageBusy("detect"));
        }
        if self.paths_tx.is_full() {
            return Err(ReloadError::StageBusy("normalize"));
        }
        let mut kept = needs_restart(&self.running, &cfg);
        let paths_changed = cfg.file.filter != self.running.file.filter;
        if paths_changed {
            if let Some(note) = self.update_kernel_filter(&cfg.file.filter)? {
                kept.push(note);
            }
            self.paths_tx.try_send(cfg.file.filter.clone()).map_err(|_| ReloadError::StageBusy("normalize"))?;
        }
        self.engine_tx.try_send(Engine::new(rules)).map_err(|_| ReloadError::StageBusy("detect"))?;
        let mut summary = format!(
            "reloaded {}: {n_rules} rules, file watch settings {}",
            path.display(),
            if paths_changed { "updated" } else { "unchanged" }
        );
        if cfg.agent.log_level != self.running.agent.log_level {
            crate::log::set_level(cfg.agent.log_level);
            summary.push_str(&format!(", log level {}", cfg.agent.log_level));
        }
        if !kept.is_empty() {
            summary.push_str(&format!("; needs a restart, running values kept: {}", kept.join(", ")));
        }
        // The restart-only settings keep their running values.
        let mut running = self.running.clone();
        running.file.filter = cfg.file.filter;
        running.text = cfg.text;
        running.agent.log_level = cfg.agent.log_level;
        self.running = running;
        Ok(summary)
    }

    /// Writes the new filter's hashes into `path_rules` and its lengths into
    /// `filter_meta` (the union of old and new while the rules change). The kernel's
    /// `enabled`/`watch_all` flags are fixed at load; when the new filter
    /// needs others, returns a note for the "needs a restart" list. The
    /// kernel side only ever has to keep a superset of what userspace keeps.
    fn update_kernel_filter(&mut self, filter: &PathFilter) -> Result<Option<String>, ReloadError> {
        let new = KernelFilter::from_filter(filter);
        let Some(maps) = &self.kernel_maps else { return Ok(None) };
        if !self.kernel.enabled {
            return Ok(None); // the kernel sends every path; userspace filters alone
        }
        if !new.enabled {
            return Ok(Some("file watch settings the in-kernel path filter cannot express".into()));
        }
        let note = (new.watch_all && !self.kernel.watch_all)
            .then(|| "file watch patterns that need every path from the kernel".to_string());
        let union = self.kernel.union_meta(&new);
        write_meta(&maps.meta, &union).map_err(ReloadError::KernelMap)?;
        write_rules(&maps.rules, &self.kernel.rules, &new.rules).and_then(|()| write_meta(&maps.meta, &new)).map_err(
            |e| {
                // put the old rules back so the kernel and userspace still agree
                let _ = write_rules(&maps.rules, &new.rules, &self.kernel.rules);
                let _ = write_meta(&maps.meta, &self.kernel);
                ReloadError::KernelMap(e)
            },
        )?;
        // enabled/watch_all are .rodata: they keep their values from load
        self.kernel = KernelFilter { enabled: self.kernel.enabled, watch_all: self.kernel.watch_all, ..new };
        Ok(note)
    }
}

fn write_meta(map: &MapHandle, k: &KernelFilter) -> Result<(), libbpf_rs::Error> {
    map.update(&0u32.to_ne_bytes(), &k.meta_bytes(), MapFlags::ANY)
}

/// Replaces `old` with `new` in the map: adds and updates first, then
/// deletes, so no watched path is missed in between.
fn write_rules(map: &MapHandle, old: &[(u64, u8)], new: &[(u64, u8)]) -> Result<(), libbpf_rs::Error> {
    for (key, flags) in new {
        map.update(&key.to_ne_bytes(), &[*flags], MapFlags::ANY)?;
    }
    for (key, _) in old {
        if !new.iter().any(|(k, _)| k == key) {
            map.delete(&key.to_ne_bytes())?;
        }
    }
    Ok(())
}

/// The settings that differ and only take effect at start.
pub fn needs_restart(old: &Config, new: &Config) -> Vec<String> {
    let mut kept = Vec::new();
    let mut note = |changed: bool, what: &str| {
        if changed {
            kept.push(what.to_string());
        }
    };
    // agent.log_level takes effect at once (see `Control::reload`).
    note(old.agent.id != new.agent.id || old.agent.mode != new.agent.mode, "[agent]");
    note(old.ebpf != new.ebpf, "[ebpf]");
    note(old.process != new.process, "[process]/[events] process");
    note(old.file.enabled != new.file.enabled || old.file.hooks != new.file.hooks, "[file] enabled/hooks");
    note(old.network != new.network, "[network]/[events] network");
    note(old.output != new.output, "[output]");
    note(old.performance != new.performance, "[performance]");
    note(old.ui != new.ui, "[ui]");
    note(old.response != new.response, "[response]");
    kept
}

/// The SIGHUP action: reload, and say on stderr what happened.
pub fn request(ctl: &mut Control) {
    match ctl.reload() {
        Ok(summary) => crate::log_info!("SIGHUP: {summary}"),
        Err(e) => crate::log_error!("SIGHUP: reload failed, keeping the running configuration and rules: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const RULE: &str = "[[rules]]\nid = \"r-one\"\nname = \"one\"\nseverity = \"low\"\ncondition = \"comm = 'x'\"\ntype = \"process\"\n";

    fn setup(text: &str) -> (Tmp, Control, StageControls) {
        let dir = std::env::temp_dir().join(format!("rg-reload-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(dir.join("rules")).expect("mkdir");
        std::fs::write(dir.join("rules/a.toml"), RULE).expect("write");
        let cfg_path = dir.join("rg.toml");
        std::fs::write(&cfg_path, text).expect("write");
        let cfg = Config::load(&cfg_path).expect("config");
        let src = Source { config: Some(cfg_path), policy: Policy::off(), ui_listen: None };
        let (ctl, stages) = Control::new(src, &cfg, None);
        (Tmp(dir), ctl, stages)
    }

    const CFG: &str = "[detection]\nrule_dirs = [\"rules\"]\n[file]\nwatch_paths = [\"/etc\"]\n";

    #[test]
    fn reload_swaps_rules_and_paths_and_keeps_restart_settings() {
        let (dir, mut ctl, stages) = setup(CFG);
        std::fs::write(dir.0.join("rules/b.toml"), RULE.replace("r-one", "r-two")).expect("write");
        std::fs::write(dir.0.join("rg.toml"), format!("{CFG}[ebpf]\nbuffer_size = 64\n").replace("/etc", "/srv"))
            .expect("write");
        let summary = ctl.reload().expect("reload");
        assert!(summary.contains(": 2 rules, file watch settings updated"), "{summary}");
        assert!(summary.contains("needs a restart, running values kept: [ebpf]"), "{summary}");
        let engine = stages.engine.try_recv().expect("engine sent");
        assert_eq!(engine.rule_set().rules().count(), 2);
        let paths = stages.paths.try_recv().expect("paths sent");
        assert!(paths.matches("/srv/x") && !paths.matches("/etc/x"));
        // the restart-only value stays the running one for the next comparison
        assert_eq!(ctl.running.ebpf.ring_buffer_bytes, Config::default_config().ebpf.ring_buffer_bytes);
    }

    #[test]
    fn a_new_log_level_takes_effect_without_a_restart() {
        let (dir, mut ctl, _stages) = setup(&format!("{CFG}\n\n"));
        std::fs::write(dir.0.join("rg.toml"), format!("[agent]\nlog_level = \"debug\"\n{CFG}")).expect("write");
        let summary = ctl.reload().expect("reload");
        assert!(summary.ends_with(", log level debug"), "{summary}");
        assert!(!summary.contains("[agent]"), "{summary}");
        assert_eq!(ctl.running.agent.log_level, crate::log::LogLevel::Debug);
        assert_eq!(crate::log::level(), crate::log::LogLevel::Debug);
        crate::log::set_level(crate::log::LogLevel::Info);
    }

    #[test]
    fn a_broken_rule_or_config_keeps_everything_running() {
        let (dir, mut ctl, stages) = setup(&format!("{CFG}\n"));
        std::fs::write(dir.0.join("rules/b.toml"), "[[rules]]\nid = \"bad\"\ncondition = \"comm = \"\n")
            .expect("write");
        let e = ctl.reload().expect_err("broken rule").to_string();
        assert!(e.contains("b.toml:"), "{e}");
        assert!(stages.engine.try_recv().is_err() && stages.paths.try_recv().is_err(), "nothing swapped");
        std::fs::remove_file(dir.0.join("rules/b.toml")).expect("rm");
        std::fs::write(dir.0.join("rg.toml"), "[file\n").expect("write");
        let e = ctl.reload().expect_err("broken config").to_string();
        assert!(e.contains("rg.toml:1:"), "{e}");
        assert!(stages.engine.try_recv().is_err());
        // a second reload while the first is not taken yet is refused, not queued
        std::fs::write(dir.0.join("rg.toml"), CFG).expect("write");
        ctl.reload().expect("reload");
        assert!(matches!(ctl.reload(), Err(ReloadError::StageBusy("detect"))));
    }

    #[test]
    fn defaults_have_nothing_to_reload() {
        let cfg = Config::default_config();
        let (mut ctl, _s) = Control::new(Source { config: None, policy: Policy::off(), ui_listen: None }, &cfg, None);
        assert!(matches!(ctl.reload(), Err(ReloadError::NoConfigFile)));
        assert!(needs_restart(&cfg, &Config::from_str("", Path::new("x")).expect("cfg")).is_empty());
    }
}
