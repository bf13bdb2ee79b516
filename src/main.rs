//! Entry point: parses the command line, runs the action, and is the only
//! place that turns errors into exit codes (0 ok, 1 runtime failure,
//! 2 bad input or missing privileges).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rand_guard::cli::{Cli, Command, RulesCommand, DEFAULT_CONFIG};
use rand_guard::config::permissions::Policy;
use rand_guard::config::Config;
use rand_guard::rules::RuleSet;
use rand_guard::{reload, sensor};

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("rand-guard: {msg}");
    ExitCode::from(code)
}

/// The config file to use: the given one, else the installed one if any.
fn config_path(path: Option<&Path>) -> Option<PathBuf> {
    match path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
    }
}

/// The config to use: the given file, else the installed one, else
/// defaults; `policy` (StrictModes) is checked on the file first.
fn load_config(path: Option<&Path>, policy: &Policy) -> Result<Config, ExitCode> {
    let cfg = match config_path(path) {
        Some(p) => {
            policy.check_config_file(&p).map_err(|e| fail(e, 2))?;
            Config::load(&p).map_err(|e| fail(e, 2))?
        }
        None => Config::default_config(),
    };
    rand_guard::log::set_level(cfg.agent.log_level);
    for w in &cfg.warnings {
        rand_guard::log_warn!("{w}");
    }
    Ok(cfg)
}

fn load_rules(cfg: &Config, extra: &[PathBuf], policy: &Policy) -> Result<RuleSet, ExitCode> {
    let set = RuleSet::load_checked(&cfg.text, &cfg.path, extra, policy).map_err(|e| fail(e, 2))?;
    let unsupported = &set.sigma_report().unsupported;
    if let Some(first) = unsupported.first() {
        rand_guard::log_warn!(
            "{} Sigma rule(s) not loaded (see `check-config --report`), first: {first}",
            unsupported.len()
        );
    }
    Ok(set)
}

/// The rules `rules list` and `rules test` see: the files go through the
/// StrictModes check `run` makes, so a rule author meets the same refusal.
fn load_rule_set(config: Option<&Path>, extra: &[PathBuf], allow_insecure: bool) -> Result<RuleSet, ExitCode> {
    let policy = Policy::for_this_process(allow_insecure);
    let cfg = load_config(config, &policy)?;
    load_rules(&cfg, extra, &policy)
}

fn real_main() -> Result<(), ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config, allow_insecure_config, ui } => {
            let policy = Policy::for_this_process(allow_insecure_config);
            let mut cfg = load_config(config.as_deref(), &policy)?;
            if let Some(addr) = ui {
                if let Some(note) = rand_guard::config::ui_exposure_note(addr) {
                    rand_guard::log_warn!("--ui {note}");
                }
                cfg.ui.listen = Some(addr);
            }
            let rules = load_rules(&cfg, &[], &policy)?;
            let source = reload::Source { config: config_path(config.as_deref()), policy, ui_listen: ui };
            sensor::run(&cfg, rules, source).map_err(|e| fail(&e, e.exit_code() as u8))
        }
        Command::Doctor { config } => {
            // the same file checks `run` makes: a config run would refuse is a problem here too
            let policy = Policy::for_this_process(false);
            let cfg = load_config(config.as_deref(), &policy)?;
            load_rules(&cfg, &[], &policy)?;
            let report = rand_guard::doctor::check(&cfg);
            print!("{}", report.text);
            if report.problems.is_empty() {
                Ok(())
            } else {
                Err(fail(format!("doctor: the sensor cannot run here: {}", report.problems.join("; ")), 1))
            }
        }
        Command::CheckConfig { path, allow_insecure_config, report } => {
            let policy = Policy::for_this_process(allow_insecure_config);
            let cfg = load_config(Some(&path), &policy)?;
            let rules = load_rules(&cfg, &[], &policy)?;
            for o in &cfg.outputs {
                let bad = |e: &dyn std::fmt::Display| fail(format!("{}: output {}: {e}", path.display(), o.name), 2);
                if let Some(spool) = &o.spool {
                    rand_guard::output::spool::check_dir(&spool.dir).map_err(|e| bad(&e))?;
                }
                if let rand_guard::config::SinkSpec::File(f) = &o.sink {
                    rand_guard::output::file::check_dir(&f.path, &policy).map_err(|e| bad(&e))?;
                }
            }
            println!("{}: ok ({} rules)", path.display(), rules.rules().count());
            if report {
                rules.sigma_report().write(&mut std::io::stdout()).map_err(|e| fail(e, 1))?;
            }
            Ok(())
        }
        Command::Rules { command: RulesCommand::List { config, rules, allow_insecure_config } } => {
            let set = load_rule_set(config.as_deref(), &rules, allow_insecure_config)?;
            rand_guard::rules::print_list(&set, &mut std::io::stdout()).map_err(|e| fail(e, 1))
        }
        Command::Rules { command: RulesCommand::Test { events, config, rules, allow_insecure_config } } => {
            let set = load_rule_set(config.as_deref(), &rules, allow_insecure_config)?;
            let summary = rand_guard::rules::test_events(set, &events, &mut std::io::stdout())
                .map_err(|e| fail(&e, e.exit_code() as u8))?;
            eprintln!("rand-guard: {summary}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
