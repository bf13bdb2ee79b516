//! The detection engine: built-in detections, single-event rules and
//! sequence rules over normalized records, producing alert records.
//!
//! Language reference: `docs/rules.md`.

pub mod bench;
mod compat;
pub mod error;
pub mod eval;
pub mod fields;
pub mod lang;
mod load;
pub mod model;
pub mod offline;
pub mod options;
pub mod response;
pub mod sequence;
pub mod sigma;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use bench::bench_records;
pub use error::{Loc, Problem, RuleError};
pub use model::{RuleInfo, RuleMeta, RuleSet, RuleType, Severity};
pub use offline::{record_from_json, test_events, RecordParseError, TestSummary};

use crate::record::json::AlertHead;
use crate::record::{Body, EventType, Format, Record, Response};
use eval::Cond;
use fields::{index, TypeMask};
use sequence::SeqState;

/// An earlier step of a completed sequence.
#[derive(Clone, Debug, PartialEq)]
pub struct RelatedRecord {
    pub event_type: EventType,
    pub pid: u32,
    pub timestamp_ns: u64,
    /// The path, filename or address that identifies the step.
    pub summary: Box<str>,
}

impl RelatedRecord {
    pub fn of(r: &Record) -> RelatedRecord {
        let summary: Box<str> = match &r.body {
            Body::File(f) => match f.new_path() {
                Some(n) => format!("{} -> {}", f.path, n).into(),
                None => f.path.as_str().into(),
            },
            Body::Exec(e) => r.exe.as_deref().unwrap_or(&e.filename).into(),
            Body::Net(n) => match (&n.remote_addr, n.remote_port, n.local_port) {
                (Some(a), Some(p), _) => format!("{a}:{p}").into(),
                (_, _, Some(p)) => format!("port {p}").into(),
                _ => n.family.as_str().into(),
            },
            _ => r.comm.as_str().into(),
        };
        RelatedRecord { event_type: r.event_type(), pid: r.pid, timestamp_ns: r.timestamp_ns, summary }
    }
}

/// One rule match. The rule's metadata is shared, not copied.
#[derive(Clone, Debug)]
pub struct Alert {
    pub meta: Arc<RuleMeta>,
    /// Earlier steps of a sequence, oldest first; empty otherwise.
    pub related: Vec<RelatedRecord>,
    /// What the sensor did about it (`action_taken`), when it acted or
    /// would have.
    pub response: Option<Response>,
}

impl Alert {
    pub fn rule_id(&self) -> &str {
        &self.meta.id
    }

    /// What the alert says about itself, for the record writers.
    pub fn head(&self) -> AlertHead<'_> {
        let m = &*self.meta;
        AlertHead {
            rule_id: &m.id,
            rule_name: &m.name,
            rule_type: m.rule_type.as_str(),
            severity: m.severity.as_str(),
            action: &m.action,
            risk_score: m.risk_score,
            tags: &m.tags,
            description: &m.description,
        }
    }

    /// Appends the alert record (records.md "Detections") about `source`.
    /// A sequence alert adds `"sequence"`: one string per earlier step,
    /// `"<timestamp> <event_type> pid=<pid> <summary>"`.
    pub fn write_json(&self, out: &mut Vec<u8>, source: &Record) {
        self.write(Format::RandGuard, out, source);
    }

    /// Appends the alert about `source` in `format`.
    pub fn write(&self, format: Format, out: &mut Vec<u8>, source: &Record) {
        let steps: Vec<String> = self.related.iter().map(step_text).collect();
        let (sigma, response) = (&self.meta.sigma, &self.response);
        format.write_alert(out, &self.head(), source, &steps, |w| {
            if let Some(r) = response {
                w.str("action_taken", r.action.as_str());
                w.str("action_reason", r.reason);
                w.u64("response_latency_ns", r.latency_ns);
            }
            if let Some(s) = sigma {
                // DRL 1.1: say where a match came from
                w.lit("rule_format", "sigma");
                w.str("rule_file", &s.file);
                w.str("rule_author", &s.author);
                w.str("rule_status", &s.status);
                w.str_array("falsepositives", s.falsepositives.iter().map(String::as_str));
            }
        });
    }
}

fn step_text(s: &RelatedRecord) -> String {
    let mut ts = Vec::with_capacity(32);
    crate::record::time::write_rfc3339(&mut ts, s.timestamp_ns);
    format!("{} {} pid={} {}", String::from_utf8_lossy(&ts), s.event_type.as_str(), s.pid, s.summary)
}

/// Counters for the health record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub pending_sequences: u64,
    pub sequences_started: u64,
    pub sequences_completed: u64,
    pub sequences_expired: u64,
    pub sequences_evicted: u64,
}

pub struct Engine {
    set: RuleSet,
    /// Per event type: the enabled single rules that can match it, in
    /// order, each with its condition specialized to that type.
    singles_by_type: [Vec<(usize, Cond)>; EventType::COUNT],
    seqs_by_type: [Vec<usize>; EventType::COUNT],
    seq: SeqState,
    /// Some sequence rule is keyed by lineage: keep the pid → ppid map.
    track_lineage: bool,
}

impl Engine {
    pub fn new(set: RuleSet) -> Engine {
        let mut singles_by_type: [Vec<(usize, Cond)>; EventType::COUNT] = Default::default();
        let mut seqs_by_type: [Vec<usize>; EventType::COUNT] = Default::default();
        for (i, r) in set.singles.iter().enumerate() {
            if !set.is_enabled(&r.meta) {
                continue;
            }
            for t in r.mask.types() {
                match r.cond.specialize(t) {
                    Cond::Const(false) => {}
                    c => singles_by_type[index(t)].push((i, c)),
                }
            }
        }
        for (i, r) in set.seqs.iter().enumerate() {
            if set.is_enabled(&r.meta) {
                add(&mut seqs_by_type, r.mask, i);
            }
        }
        let seq = SeqState::new(set.max_pending);
        let track_lineage = set.seqs.iter().any(|r| r.key == model::SeqKey::Lineage && set.is_enabled(&r.meta));
        Engine { set, singles_by_type, seqs_by_type, seq, track_lineage }
    }

    /// Evaluates every rule that can match `record`, in load order. A
    /// built-in detection annotates the record (the first one to match
    /// wins, as in the original engine); every match pushes an alert.
    pub fn process(&mut self, record: &mut Record, alerts: &mut Vec<Alert>) {
        let et = record.event_type();
        let ti = index(et);
        if self.track_lineage && matches!(et, EventType::ProcessExec | EventType::ProcessFork) {
            self.seq.note_parent(record.pid, record.ppid);
        }
        let mut annotated = record.detection.is_some();
        for (i, cond) in &self.singles_by_type[ti] {
            let Some(rule) = self.set.singles.get(*i) else {
                continue;
            };
            if let Some(d) = &rule.meta.detection {
                if annotated {
                    continue;
                }
                if cond.eval(record, &[]) {
                    record.detection = Some(Arc::clone(d));
                    annotated = true;
                    alerts.push(Alert { meta: Arc::clone(&rule.meta), related: Vec::new(), response: None });
                }
                continue;
            }
            if cond.eval(record, &[]) {
                alerts.push(Alert { meta: Arc::clone(&rule.meta), related: Vec::new(), response: None });
            }
        }
        if !self.seqs_by_type[ti].is_empty() {
            self.seq.process(record, &self.set.seqs, &self.seqs_by_type[ti], alerts);
        }
    }

    pub fn stats(&self) -> EngineStats {
        let s = self.seq.stats();
        EngineStats {
            pending_sequences: s.pending_sequences as u64,
            sequences_started: s.sequences_started,
            sequences_completed: s.sequences_completed,
            sequences_expired: s.sequences_expired,
            sequences_evicted: s.sequences_evicted,
        }
    }

    pub fn rule_set(&self) -> &RuleSet {
        &self.set
    }
}

/// `rand-guard rules list`: one line per rule, tab-separated:
/// id, type, severity, enabled/disabled, source, name, tags, format
/// (`toml` or `sigma`).
pub fn print_list(set: &RuleSet, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for r in set.rules() {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.id,
            r.rule_type,
            r.severity,
            if r.enabled { "enabled" } else { "disabled" },
            r.source,
            r.name,
            r.tags.join(","),
            r.format
        )?;
    }
    Ok(())
}

fn add(by_type: &mut [Vec<usize>; EventType::COUNT], mask: TypeMask, i: usize) {
    for t in mask.types() {
        by_type[index(t)].push(i);
    }
}
