//! The record shapes an output can write (`format` in `[[outputs]]`): the
//! rand-guard contract (docs/records.md), OCSF 1.8.0 or ECS 9.4. Each shape
//! serializes straight from the record; the output stage writes each record
//! once per shape some output uses.

use super::json::{self, AlertHead, ObjectWriter};
use super::{ecs, ocsf, Record};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// docs/records.md: the default, and what rules and replay read.
    RandGuard,
    /// OCSF 1.8.0 classes (docs/outputs.md has the map).
    Ocsf,
    /// Elastic Common Schema 9.4.
    Ecs,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::RandGuard, Format::Ocsf, Format::Ecs];

    /// The config value.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::RandGuard => "rand-guard",
            Format::Ocsf => "ocsf",
            Format::Ecs => "ecs",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Index into per-format arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether health records go to an output of this format unless its
    /// `health` key says otherwise: OCSF has no class for them.
    pub fn health_by_default(self) -> bool {
        match self {
            Format::RandGuard | Format::Ecs => true,
            Format::Ocsf => false,
        }
    }

    /// Appends `r` as one line in this format.
    pub fn write_record(self, out: &mut Vec<u8>, r: &Record) {
        match self {
            Format::RandGuard => json::write_record(out, r),
            Format::Ocsf => ocsf::write_record(out, r),
            Format::Ecs => ecs::write_record(out, r),
        }
    }

    /// Appends an alert about `source` as one line in this format;
    /// `sequence` lists the earlier steps of a sequence rule, and `tail`
    /// writes what else the alert says about itself (the response taken,
    /// a Sigma rule's attribution).
    pub fn write_alert(
        self,
        out: &mut Vec<u8>,
        head: &AlertHead<'_>,
        source: &Record,
        sequence: &[String],
        tail: impl FnOnce(&mut ObjectWriter<'_>),
    ) {
        let extra = |w: &mut ObjectWriter<'_>| {
            if !sequence.is_empty() {
                w.str_array("sequence", sequence.iter().map(String::as_str));
            }
            tail(w);
        };
        match self {
            Format::RandGuard => json::write_alert(out, head, source, extra),
            Format::Ocsf => ocsf::write_alert(out, head, source, extra),
            Format::Ecs => ecs::write_alert(out, head, source, extra),
        }
    }

    /// Appends a health record, given as the rand-guard line `line`
    /// (health.rs writes it), in this format.
    pub fn write_health(self, out: &mut Vec<u8>, line: &[u8], host: &str, now_ns: u64) {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        match self {
            Format::RandGuard => {
                out.extend_from_slice(body);
                out.push(b'\n');
            }
            Format::Ocsf => ocsf::write_health(out, body, host, now_ns),
            Format::Ecs => ecs::write_health(out, body, host, now_ns),
        }
    }
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
