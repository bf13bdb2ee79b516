//! Command-line interface: raw clap types; `main` turns them into actions.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Default config location for installed sensors.
pub const DEFAULT_CONFIG: &str = "/etc/rand-guard/rand-guard.toml";

#[derive(Debug, Parser)]
#[command(name = "rand-guard", version = crate::VERSION_LINE, about = "Linux endpoint detection sensor: eBPF telemetry, detections and alerts as NDJSON")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect, detect and write records to the configured output until SIGINT/SIGTERM.
    Run {
        /// Config file (default: /etc/rand-guard/rand-guard.toml if present, else built-in defaults).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Accept config and rule files writable by group/others or not owned by root (StrictModes off).
        #[arg(long)]
        allow_insecure_config: bool,
        /// Serve the live web dashboard on ADDR (e.g. 127.0.0.1:9300); sets [ui] listen.
        /// The URL to open, with its access token, is printed on stderr.
        #[arg(long, value_name = "ADDR", value_parser = parse_ui_addr)]
        ui: Option<SocketAddr>,
    },
    /// Check this host and the config: kernel, BTF, tracefs, privileges,
    /// memlock, each hook (loaded for real, then dropped). Exit 0 when the
    /// sensor can run, 1 when it cannot, 2 for config errors.
    Doctor {
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Validate a config file and the rules it loads, then exit (0 = valid, 2 = invalid).
    CheckConfig {
        path: PathBuf,
        /// Accept config and rule files writable by group/others or not owned by root (StrictModes off).
        #[arg(long)]
        allow_insecure_config: bool,
        /// Also print what the rule directories' Sigma files gave: loaded, skipped by status,
        /// unsupported by reason, and each unsupported rule's file:line and reason.
        #[arg(long)]
        report: bool,
    },
    /// Inspect and test detection rules (no root needed).
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the loaded rules. Files are checked as `run` checks them (StrictModes).
    List {
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Extra directory of *.toml rule files.
        #[arg(long)]
        rules: Vec<PathBuf>,
        /// Accept config and rule files writable by group/others or not owned by root (StrictModes off).
        #[arg(long)]
        allow_insecure_config: bool,
    },
    /// Evaluate the rules over recorded NDJSON records and print the alerts.
    /// Files are checked as `run` checks them (StrictModes); no rules is an error.
    Test {
        /// NDJSON file as written by `rand-guard run`.
        #[arg(long)]
        events: PathBuf,
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Extra directory of *.toml rule files.
        #[arg(long)]
        rules: Vec<PathBuf>,
        /// Accept config and rule files writable by group/others or not owned by root (StrictModes off).
        #[arg(long)]
        allow_insecure_config: bool,
    },
}

fn parse_ui_addr(text: &str) -> Result<SocketAddr, String> {
    crate::config::parse_listen(text)
        .ok_or_else(|| format!("expected \"address:port\" such as \"127.0.0.1:9300\", found {text:?}"))
}
