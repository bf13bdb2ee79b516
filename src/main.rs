//! Entry point: parses the command line, runs the action, and is the only
//! place that turns errors into exit codes (0 ok, 1 runtime failure,
//! 2 bad input or missing privileges).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rand_guard::cli::{Cli, Command, RulesCommand, DEFAULT_CONFIG};
use rand_guard::config::Config;
use rand_guard::rules::RuleSet;
use rand_guard::sensor;

fn fail(msg: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("rand-guard: {msg}");
    ExitCode::from(code)
}

/// The config to use: the given file, else the installed one, else defaults.
fn load_config(path: Option<&Path>) -> Result<Config, ExitCode> {
    let path = match path {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from(DEFAULT_CONFIG)).filter(|p| p.exists()),
    };
    let cfg = match path {
        Some(p) => Config::load(&p).map_err(|e| fail(e, 2))?,
        None => Config::default_config(),
    };
    for w in &cfg.warnings {
        eprintln!("rand-guard: warning: {w}");
    }
    Ok(cfg)
}

fn load_rules(cfg: &Config, extra: &[PathBuf]) -> Result<RuleSet, ExitCode> {
    RuleSet::load(&cfg.text, &cfg.path, extra).map_err(|e| fail(e, 2))
}

fn real_main() -> Result<(), ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config } => {
            let cfg = load_config(config.as_deref())?;
            let rules = load_rules(&cfg, &[])?;
            sensor::run(&cfg, rules).map_err(|e| fail(&e, e.exit_code() as u8))
        }
        Command::Doctor { config } => {
            let cfg = load_config(config.as_deref())?;
            load_rules(&cfg, &[])?;
            let report = rand_guard::doctor::check(&cfg);
            print!("{}", report.text);
            if report.problems.is_empty() {
                Ok(())
            } else {
                Err(fail(format!("doctor: the sensor cannot run here: {}", report.problems.join("; ")), 1))
            }
        }
        Command::CheckConfig { path } => {
            let cfg = load_config(Some(&path))?;
            let rules = load_rules(&cfg, &[])?;
            println!("{}: ok ({} rules)", path.display(), rules.rules().count());
            Ok(())
        }
        Command::Rules { command: RulesCommand::List { config, rules } } => {
            let cfg = load_config(config.as_deref())?;
            let set = load_rules(&cfg, &rules)?;
            rand_guard::rules::print_list(&set, &mut std::io::stdout()).map_err(|e| fail(e, 1))
        }
        Command::Rules { command: RulesCommand::Test { events, config, rules } } => {
            let cfg = load_config(config.as_deref())?;
            let set = load_rules(&cfg, &rules)?;
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
