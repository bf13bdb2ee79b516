//! rand-guard: a Linux endpoint detection sensor.
//!
//! Data flows one way: kernel (`bpf/`) → ring buffer → `pipeline::poller`
//! → `pipeline::normalize` (with `process::table`) → `pipeline::detect`
//! (`rules`) → `pipeline::output` (`record::json`).

pub mod record;
