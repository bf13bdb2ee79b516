//! Deriving `exec_id`s: a SHA-256 over this host's id, this boot's id, the
//! pid, what started the image (an exec, a fork, or a process found in
//! /proc) and when (CLOCK_BOOTTIME ns), cut to 128 bits.
//!
//! - The host id is `/etc/machine-id` (else `/var/lib/dbus/machine-id`,
//!   else the sensor's host name), the boot id
//!   `/proc/sys/kernel/random/boot_id`: ids from two hosts or two boots never
//!   meet, and a restarted sensor gives new execs ids no earlier run gave.
//! - An exec is named by the time of the exec event, not the process's
//!   start time: a process that execs twice ran two images, and gets two ids.
//! - A fork child has its own id (from the fork time) until it execs: its
//!   records are another process's than its parent's, and `parent_exec_id`
//!   links it to the image that forked it.
//! - A process older than the sensor gets its id from its start time in
//!   `/proc/<pid>/stat` (clock ticks): the same id on every restart of the
//!   sensor, though not the one an earlier run gave it at its exec.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::record::ExecId;

/// What gave a process the image an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Exec,
    Fork,
    Procfs,
}

impl Origin {
    fn tag(self) -> u8 {
        match self {
            Origin::Exec => b'x',
            Origin::Fork => b'f',
            Origin::Procfs => b'p',
        }
    }
}

/// Makes exec ids for one host and boot.
#[derive(Clone, Debug)]
pub struct ExecIds {
    /// SHA-256 of host id and boot id, hashed first into every id.
    seed: [u8; 32],
}

impl Default for ExecIds {
    /// Ids for an unnamed host and boot (tests, offline replays).
    fn default() -> ExecIds {
        ExecIds::new("", "")
    }
}

impl ExecIds {
    pub fn new(host_id: &str, boot_id: &str) -> ExecIds {
        let mut h = Sha256::new();
        h.update(host_id.trim().as_bytes());
        h.update([0]);
        h.update(boot_id.trim().as_bytes());
        ExecIds { seed: h.finalize().into() }
    }

    /// Ids for this host (its machine id, else `fallback_host`) and boot.
    pub fn for_host(fallback_host: &str) -> ExecIds {
        let machine = ["/etc/machine-id", "/var/lib/dbus/machine-id"]
            .iter()
            .find_map(|p| read_id(Path::new(p)))
            .unwrap_or_else(|| fallback_host.to_string());
        let boot = read_id(Path::new("/proc/sys/kernel/random/boot_id")).unwrap_or_default();
        ExecIds::new(&machine, &boot)
    }

    /// The id of the image `origin` gave `pid` at `ns` (CLOCK_BOOTTIME).
    pub fn id(&self, origin: Origin, pid: u32, ns: u64) -> ExecId {
        let mut h = Sha256::new();
        h.update(self.seed);
        h.update([origin.tag()]);
        h.update(pid.to_le_bytes());
        h.update(ns.to_le_bytes());
        let digest: [u8; 32] = h.finalize().into();
        let mut half = [0u8; 16];
        half.copy_from_slice(&digest[..16]);
        ExecId::from_bytes(&half)
    }
}

/// A one-line id file's text, if readable and not empty (at most 256 bytes).
fn read_id(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let id = text.trim();
    (!id.is_empty() && id.len() <= 256).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_exec_always_gets_the_same_id() {
        let a = ExecIds::new("host-a", "boot-1");
        assert_eq!(a.id(Origin::Exec, 42, 1_000), ExecIds::new("host-a", "boot-1").id(Origin::Exec, 42, 1_000));
        assert_eq!(a.id(Origin::Exec, 42, 1_000).as_str().len(), 32);
    }

    #[test]
    fn every_input_changes_the_id() {
        let a = ExecIds::new("host-a", "boot-1");
        let base = a.id(Origin::Exec, 42, 1_000);
        let others = [
            ExecIds::new("host-b", "boot-1").id(Origin::Exec, 42, 1_000),
            ExecIds::new("host-a", "boot-2").id(Origin::Exec, 42, 1_000),
            a.id(Origin::Fork, 42, 1_000),
            a.id(Origin::Procfs, 42, 1_000),
            a.id(Origin::Exec, 43, 1_000),
            a.id(Origin::Exec, 42, 1_001),
        ];
        for o in others {
            assert_ne!(o, base);
        }
        // host and boot ids are not run together: ("ab", "c") is not ("a", "bc")
        assert_ne!(ExecIds::new("ab", "c").id(Origin::Exec, 1, 1), ExecIds::new("a", "bc").id(Origin::Exec, 1, 1));
    }

    #[test]
    fn ids_of_many_execs_are_distinct() {
        let a = ExecIds::new("h", "b");
        let mut seen = std::collections::HashSet::new();
        for pid in 1..200u32 {
            for ns in 0..50u64 {
                assert!(seen.insert(a.id(Origin::Exec, pid, ns * 1_000_003)), "collision at {pid} {ns}");
            }
        }
    }

    #[test]
    fn this_host_has_ids() {
        let ids = ExecIds::for_host("fallback");
        assert_eq!(ids.id(Origin::Exec, 1, 2), ExecIds::for_host("fallback").id(Origin::Exec, 1, 2));
    }
}
