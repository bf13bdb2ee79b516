//! Owns what every request handler and stream shares: the borrowed
//! `Context` of the sensor's run and the stats JSON both the health
//! endpoint and the stream's `stats` event send. Sits above the hub and
//! below `routes` and `sse`, so the dashboard's imports run one way.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::hub::Hub;
use crate::health::Snapshot;

/// What the handlers share (all borrowed from the sensor's run).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub hub: &'a Arc<Hub>,
    pub token: &'a str,
    pub host: &'a str,
    pub stop: &'a AtomicBool,
    pub snapshot: &'a (dyn Fn() -> Snapshot + Sync),
    /// Where live processes are looked up ("/proc"; a fixture in tests).
    pub proc_root: &'a Path,
}

/// The health snapshot as the health record writes it, plus what this
/// viewer lost (`ui_dropped`).
pub fn stats_json(snap: &Snapshot, host: &str, ui_dropped: u64) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut out = Vec::new();
    snap.write_json(&mut out, host, now, false);
    // The record ends with "}\n": reopen it for one more key.
    while out.last().is_some_and(|b| *b == b'\n' || *b == b'}') {
        out.pop();
    }
    out.extend_from_slice(b",\"ui_dropped\":");
    out.extend_from_slice(itoa::Buffer::new().format(ui_dropped).as_bytes());
    out.push(b'}');
    String::from_utf8_lossy(&out).into_owned()
}
