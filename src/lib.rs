//! rand-guard: a Linux endpoint detection sensor.
//!
//! Data flows one way: kernel (`bpf/`) → ring buffer → `pipeline::poller`
//! → `pipeline::normalize` (with `process::table`) → `pipeline::detect`
//! (`rules`) → `pipeline::output` (`record::json`) → `output` (one thread
//! and queue per sink: stdout, file, syslog, http, and the `ui` dashboard).

pub mod bpf;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod container;
pub mod doctor;
pub mod health;
pub mod host;
pub mod httpd;
pub mod location;
pub mod log;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod privileges;
pub mod process;
pub mod record;
pub mod reload;
pub mod rules;
pub mod sensor;
pub mod signals;
pub mod ui;

/// `rand-guard --version`: version, git commit and kernel ABI version.
pub const VERSION_LINE: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("RG_GIT_COMMIT"), ", event ABI v2)");

#[cfg(test)]
mod tests {
    /// The ABI version in `--version` is a literal (concat! needs one): keep
    /// it the decoder's.
    #[test]
    fn version_line_names_the_decoders_abi_version() {
        let want = format!("event ABI v{}", crate::bpf::abi::ABI_VERSION);
        assert!(super::VERSION_LINE.contains(&want), "{} lacks {want}", super::VERSION_LINE);
    }
}
