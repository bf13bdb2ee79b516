//! Sequence rules: bounded, time-windowed state per (rule, key), advanced
//! by record timestamps so live runs and offline replay agree.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::eval::Bound;
use super::fields::get;
use super::lang::typecheck::VarSrc;
use super::model::{SeqKey, SeqRule};
use super::{Alert, RelatedRecord};
use crate::record::{Body, FileOp, Record};

/// How far up the process tree a lineage key looks.
const MAX_LINEAGE_DEPTH: usize = 32;
/// pid → ppid entries kept for lineage keys.
const MAX_PID_MAP: usize = 65_536;
/// Expired instances are swept at most this often (record time).
const SWEEP_EVERY_NS: u64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqStats {
    pub pending_sequences: usize,
    pub sequences_started: u64,
    pub sequences_completed: u64,
    pub sequences_expired: u64,
    pub sequences_evicted: u64,
}

struct Instance {
    serial: u64,
    /// The path of a path key (the hash is the map key; this guards
    /// against collisions).
    key_path: Option<Box<str>>,
    started_ns: u64,
    next_step: usize,
    related: Vec<RelatedRecord>,
    vars: Vec<Bound>,
}

#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Pid(u32),
    /// A text key: a path, or a container id (a rule has one kind of key,
    /// so the two never meet in one rule's instances).
    Path(&'a str),
}

impl KeyRef<'_> {
    fn hash(self) -> u64 {
        match self {
            KeyRef::Pid(p) => u64::from(p),
            KeyRef::Path(s) => {
                // Fixed keys: the same path hashes the same in every run.
                let mut h = DefaultHasher::new();
                s.hash(&mut h);
                h.finish() | (1 << 63)
            }
        }
    }
}

/// Bounded pid → ppid map fed by exec and fork records, so lineage works
/// without the process table.
#[derive(Default)]
struct PidMap {
    parent: HashMap<u32, u32>,
    order: VecDeque<u32>,
}

impl PidMap {
    fn insert(&mut self, pid: u32, ppid: u32) {
        if pid == ppid {
            return;
        }
        if self.parent.insert(pid, ppid).is_none() {
            self.order.push_back(pid);
            while self.parent.len() > MAX_PID_MAP {
                match self.order.pop_front() {
                    Some(old) => {
                        self.parent.remove(&old);
                    }
                    None => break,
                }
            }
        }
    }
}

pub struct SeqState {
    instances: HashMap<(u32, u64), Instance>,
    order: VecDeque<(u64, u32, u64)>,
    serial: u64,
    max_pending: usize,
    pids: PidMap,
    last_sweep_ns: u64,
    stats: SeqStats,
}

impl SeqState {
    pub fn new(max_pending: usize) -> SeqState {
        SeqState {
            instances: HashMap::new(),
            order: VecDeque::new(),
            serial: 0,
            max_pending: max_pending.max(1),
            pids: PidMap::default(),
            last_sweep_ns: 0,
            stats: SeqStats::default(),
        }
    }

    /// Records a parent link for lineage keys (exec and fork records).
    pub fn note_parent(&mut self, pid: u32, ppid: u32) {
        self.pids.insert(pid, ppid);
    }

    pub fn stats(&self) -> SeqStats {
        SeqStats { pending_sequences: self.instances.len(), ..self.stats }
    }

    /// Feeds one record to the sequence rules in `active` (indices into
    /// `rules` of those whose steps can match this record's type).
    pub fn process(&mut self, r: &Record, rules: &[SeqRule], active: &[usize], alerts: &mut Vec<Alert>) {
        let now = r.timestamp_ns;
        if now >= self.last_sweep_ns.saturating_add(SWEEP_EVERY_NS) {
            self.sweep(rules, now);
        }
        for &ri in active {
            let Some(rule) = rules.get(ri) else { continue };
            let advanced = self.advance(r, ri, rule, alerts);
            if !advanced {
                self.try_start(r, ri, rule);
            }
        }
    }

    fn sweep(&mut self, rules: &[SeqRule], now: u64) {
        self.last_sweep_ns = now;
        let before = self.instances.len();
        self.instances.retain(|(ri, _), inst| {
            rules.get(*ri as usize).is_some_and(|rule| now.saturating_sub(inst.started_ns) <= rule.window_ns)
        });
        self.stats.sequences_expired += (before - self.instances.len()) as u64;
        self.compact();
    }

    fn compact(&mut self) {
        if self.order.len() > 2 * self.max_pending + 64 {
            let inst = &self.instances;
            self.order.retain(|(serial, ri, h)| inst.get(&(*ri, *h)).is_some_and(|i| i.serial == *serial));
        }
    }

    /// Tries to move an instance this record belongs to one step on.
    /// Returns true when the record was consumed by an instance.
    fn advance(&mut self, r: &Record, ri: usize, rule: &SeqRule, alerts: &mut Vec<Alert>) -> bool {
        // Nothing pending, or no later step takes this type: no key to look up.
        let et = r.event_type();
        if self.instances.is_empty() || !rule.steps.iter().skip(1).any(|s| s.mask.has(et)) {
            return false;
        }
        let now = r.timestamp_ns;
        let mut found: Option<(u32, u64)> = None;
        let instances = &mut self.instances;
        let stats = &mut self.stats;
        let rk = ri as u32;
        let mut visit = |k: KeyRef<'_>| -> bool {
            let h = k.hash();
            let Some(inst) = instances.get(&(rk, h)) else {
                return false;
            };
            if let (KeyRef::Path(p), Some(kp)) = (k, &inst.key_path) {
                if **kp != *p {
                    return false;
                }
            }
            if now.saturating_sub(inst.started_ns) > rule.window_ns {
                instances.remove(&(rk, h));
                stats.sequences_expired += 1;
                return false;
            }
            let Some(step) = rule.steps.get(inst.next_step) else {
                return false;
            };
            if step.matches(r, &inst.vars) {
                found = Some((rk, h));
                return true;
            }
            false
        };
        let hit = for_each_later_key(r, rule.key, &self.pids, &mut visit);
        let Some(slot) = found.filter(|_| hit) else {
            return false;
        };
        let Some(inst) = self.instances.get_mut(&slot) else {
            return false;
        };
        inst.next_step += 1;
        if inst.next_step >= rule.steps.len() {
            if let Some(done) = self.instances.remove(&slot) {
                self.stats.sequences_completed += 1;
                alerts.push(Alert { meta: Arc::clone(&rule.meta), related: done.related, response: None });
            }
        } else {
            inst.related.push(RelatedRecord::of(r));
        }
        true
    }

    fn try_start(&mut self, r: &Record, ri: usize, rule: &SeqRule) {
        let Some(first) = rule.steps.first() else {
            return;
        };
        if !first.matches(r, &[]) {
            return;
        }
        let Some(key) = start_key(r, rule.key) else {
            return;
        };
        let vars = rule
            .vars
            .iter()
            .map(|v| match v {
                VarSrc::Key => match key {
                    KeyRef::Pid(p) => Bound::Int(p.into()),
                    KeyRef::Path(s) => Bound::Str(s.into()),
                },
                VarSrc::Field(f) => Bound::capture(get(*f, r)),
            })
            .collect();
        self.serial += 1;
        let h = key.hash();
        let inst = Instance {
            serial: self.serial,
            key_path: match key {
                KeyRef::Path(p) => Some(p.into()),
                KeyRef::Pid(_) => None,
            },
            started_ns: r.timestamp_ns,
            next_step: 1,
            related: vec![RelatedRecord::of(r)],
            vars,
        };
        self.stats.sequences_started += 1;
        self.instances.insert((ri as u32, h), inst);
        self.order.push_back((self.serial, ri as u32, h));
        while self.instances.len() > self.max_pending {
            let Some((serial, ri, h)) = self.order.pop_front() else {
                break;
            };
            if self.instances.get(&(ri, h)).is_some_and(|i| i.serial == serial) {
                self.instances.remove(&(ri, h));
                self.stats.sequences_evicted += 1;
            }
        }
        self.compact();
    }
}

/// The key a first step opens an instance under.
fn start_key(r: &Record, key: SeqKey) -> Option<KeyRef<'_>> {
    match key {
        SeqKey::Pid | SeqKey::Lineage => Some(KeyRef::Pid(r.pid)),
        SeqKey::Ppid => Some(KeyRef::Pid(r.ppid)),
        SeqKey::Path => match &r.body {
            Body::File(f) => Some(KeyRef::Path(f.new_path().unwrap_or(&f.path))),
            Body::Exec(e) => Some(KeyRef::Path(r.exe.as_deref().unwrap_or(&e.filename))),
            _ => r.exe.as_deref().map(KeyRef::Path),
        },
        SeqKey::Container => r.context.container_id().map(KeyRef::Path),
    }
}

/// Calls `f` with every key a later-step record could belong to, until
/// it returns true; returns whether it did.
fn for_each_later_key(r: &Record, key: SeqKey, pids: &PidMap, f: &mut dyn FnMut(KeyRef<'_>) -> bool) -> bool {
    match key {
        SeqKey::Pid => f(KeyRef::Pid(r.pid)),
        SeqKey::Ppid => f(KeyRef::Pid(r.ppid)),
        SeqKey::Container => r.context.container_id().is_some_and(|c| f(KeyRef::Path(c))),
        SeqKey::Lineage => {
            if f(KeyRef::Pid(r.pid)) {
                return true;
            }
            let mut p = r.ppid;
            for _ in 0..MAX_LINEAGE_DEPTH {
                if p <= 1 {
                    break;
                }
                if f(KeyRef::Pid(p)) {
                    return true;
                }
                match pids.parent.get(&p) {
                    Some(&pp) if pp != p => p = pp,
                    _ => break,
                }
            }
            false
        }
        SeqKey::Path => {
            match &r.body {
                Body::File(file) => {
                    if f(KeyRef::Path(&file.path)) {
                        return true;
                    }
                    if let FileOp::Rename { new_path, .. } = &file.op {
                        if f(KeyRef::Path(new_path)) {
                            return true;
                        }
                    }
                }
                Body::Exec(e) if f(KeyRef::Path(&e.filename)) => {
                    return true;
                }
                _ => {}
            }
            match r.exe.as_deref() {
                Some(exe) => f(KeyRef::Path(exe)),
                None => false,
            }
        }
    }
}
