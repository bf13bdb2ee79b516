//! Owns the dashboard's process index: what the records the dashboard saw
//! say about each pid (identity, parent, children, exit, recent file,
//! network and alert records), for the process view.
//!
//! Bounded four ways: at most `max_processes` pids (the least recently
//! seen is evicted), at most `per_process` activity records per pid (oldest
//! first out), at most `total_activity` activity records over all pids
//! (the oldest anywhere first out), and at most `max_bytes` over all of it:
//! each pid is charged [`PROC_OVERHEAD`] plus its identity's text and each
//! activity record its length (shared with the history, so an
//! overestimate). Over the byte bound the oldest activity goes first, then
//! the least recently seen pids. Ordering uses one sequence number per
//! observation: a `BTreeMap` from sequence to pid gives the least recently
//! seen pid, and a queue of `(pid, sequence)` gives the oldest activity
//! record, with stale items skipped when popped and compacted away.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;

/// Default bounds (see the module doc).
pub const MAX_PROCESSES: usize = 8192;
pub const ACTIVITY_PER_PROCESS: usize = 200;
/// At ~600 bytes a record, ~12 MB at most.
pub const ACTIVITY_TOTAL: usize = 20_000;
/// Default byte bound (see the module doc): a storm of records with 4 KiB
/// command lines would otherwise hold 20 000 of them.
pub const MAX_BYTES: usize = 8 << 20;
/// What one pid costs besides its text (map slot, `Proc`, LRU node).
pub const PROC_OVERHEAD: usize = 256;
/// Children remembered per process (a shell loop can fork thousands).
const MAX_CHILDREN: usize = 512;

/// The fields of a record line the index and the alert pairing read.
#[derive(Debug, Default, Deserialize)]
pub struct Fields {
    #[serde(default)]
    pub event_type: String,
    pub timestamp: Option<String>,
    pub pid: Option<u32>,
    pub ppid: Option<u32>,
    pub uid: Option<u32>,
    pub comm: Option<String>,
    pub exe: Option<String>,
    pub cmdline: Option<String>,
    pub args: Option<Vec<String>>,
    pub exit_code: Option<i64>,
    pub parent_comm: Option<String>,
    pub parent_exe: Option<String>,
    /// Alerts: the event type of the record that raised them.
    pub source_event_type: Option<String>,
}

/// Who a process is, as far as the records (or /proc) tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub pid: u32,
    pub ppid: Option<u32>,
    pub uid: Option<u32>,
    pub comm: Option<String>,
    pub exe: Option<String>,
    pub cmdline: Option<String>,
    pub args: Option<Vec<String>>,
    /// Timestamps of the first and last record of this process.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub exit_code: Option<i64>,
}

impl Identity {
    /// Fills what is still unknown from `other` (e.g. /proc).
    pub fn fill_from(&mut self, other: Identity) {
        self.ppid = self.ppid.or(other.ppid);
        self.uid = self.uid.or(other.uid);
        self.comm = self.comm.take().or(other.comm);
        self.exe = self.exe.take().or(other.exe);
        self.cmdline = self.cmdline.take().or(other.cmdline);
        self.args = self.args.take().or(other.args);
    }

    /// Whether /proc could tell more (and the process may still be there).
    pub fn incomplete(&self) -> bool {
        self.exit_code.is_none() && (self.ppid.is_none() || self.comm.is_none() || self.cmdline.is_none())
    }
}

#[derive(Debug)]
struct Proc {
    id: Identity,
    children: Vec<u32>,
    activity: VecDeque<(u64, Arc<str>)>,
    /// Sequence of the last observation (key in `ProcessIndex::lru`).
    touched: u64,
    /// What this pid is charged besides its activity ([`Proc::cost`]).
    cost: usize,
}

fn opt_len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

impl Proc {
    /// The bytes this pid's identity and children list are charged.
    fn cost(&self) -> usize {
        let id = &self.id;
        PROC_OVERHEAD
            + opt_len(&id.comm)
            + opt_len(&id.exe)
            + opt_len(&id.cmdline)
            + id.args.as_ref().map_or(0, |a| a.iter().map(|s| s.len() + 24).sum())
            + opt_len(&id.first_seen)
            + opt_len(&id.last_seen)
            + self.children.capacity() * 4
    }
}

/// One pid's entry as the process view shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub id: Identity,
    /// Children that still name this pid as their parent.
    pub children: Vec<Identity>,
    /// Activity records, oldest first.
    pub activity: Vec<Arc<str>>,
}

#[derive(Debug)]
pub struct ProcessIndex {
    procs: HashMap<u32, Proc>,
    lru: BTreeMap<u64, u32>,
    activity: VecDeque<(u32, u64)>,
    activity_held: usize,
    seq: u64,
    max_processes: usize,
    per_process: usize,
    total_activity: usize,
    max_bytes: usize,
    /// Sum of every pid's `cost` and every held activity line's length.
    bytes: usize,
}

impl Default for ProcessIndex {
    fn default() -> ProcessIndex {
        ProcessIndex::new(MAX_PROCESSES, ACTIVITY_PER_PROCESS, ACTIVITY_TOTAL).with_max_bytes(MAX_BYTES)
    }
}

/// Records kept as a process's activity: what it did to files and the
/// network, and what it was alerted for.
fn is_activity(event_type: &str) -> bool {
    event_type.starts_with("file_") || event_type.starts_with("network_") || event_type == "alert"
}

impl ProcessIndex {
    pub fn new(max_processes: usize, per_process: usize, total_activity: usize) -> ProcessIndex {
        ProcessIndex {
            procs: HashMap::default(),
            lru: BTreeMap::new(),
            activity: VecDeque::new(),
            activity_held: 0,
            seq: 0,
            max_processes: max_processes.max(2),
            per_process: per_process.max(1),
            total_activity: total_activity.max(1),
            max_bytes: usize::MAX,
            bytes: 0,
        }
    }

    /// The same index, bounded to `max_bytes` too (see the module doc).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> ProcessIndex {
        self.max_bytes = max_bytes;
        self
    }

    /// The bytes held, as charged (see the module doc).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// Activity records held over all pids.
    pub fn activity_held(&self) -> usize {
        self.activity_held
    }

    /// Takes one record (telemetry or alert) into the index.
    pub fn observe(&mut self, f: &Fields, line: &Arc<str>) {
        let Some(pid) = f.pid else { return };
        let alert = f.event_type == "alert";
        // A fork of a pid whose process exited: the pid was reused.
        if f.event_type == "process_fork" && self.procs.get(&pid).is_some_and(|p| p.id.exit_code.is_some()) {
            self.remove(pid);
        }
        let (new, seq) = self.touch(pid);
        let Some(p) = self.procs.get_mut(&pid) else { return };
        let before = p.cost;
        if !alert {
            let id = &mut p.id;
            id.ppid = f.ppid.or(id.ppid);
            id.uid = f.uid.or(id.uid);
            set(&mut id.comm, &f.comm);
            set(&mut id.exe, &f.exe);
            set(&mut id.cmdline, &f.cmdline);
            set(&mut id.args, &f.args);
            if id.first_seen.is_none() {
                id.first_seen.clone_from(&f.timestamp);
            }
            set(&mut id.last_seen, &f.timestamp);
            if f.event_type == "process_exit" {
                id.exit_code = f.exit_code.or(Some(0));
            }
        }
        p.cost = p.cost();
        self.bytes = self.bytes.saturating_sub(before) + p.cost;
        if is_activity(&f.event_type) {
            p.activity.push_back((seq, line.clone()));
            self.activity.push_back((pid, seq));
            self.activity_held += 1;
            self.bytes += line.len();
            if p.activity.len() > self.per_process {
                if let Some((_, old)) = p.activity.pop_front() {
                    self.bytes = self.bytes.saturating_sub(old.len());
                }
                self.activity_held -= 1;
            }
        }
        let linked = new || matches!(f.event_type.as_str(), "process_fork" | "process_exec");
        if let (false, true, Some(ppid)) = (alert, linked, f.ppid) {
            if ppid != 0 && ppid != pid {
                self.link(ppid, pid, f);
            }
        }
        self.trim();
    }

    /// The entry of `pid` with its children resolved, if indexed.
    pub fn entry(&self, pid: u32) -> Option<Entry> {
        let p = self.procs.get(&pid)?;
        let children = p
            .children
            .iter()
            .filter_map(|c| self.procs.get(c))
            .filter(|c| c.id.ppid == Some(pid))
            .map(|c| c.id.clone())
            .collect();
        Some(Entry { id: p.id.clone(), children, activity: p.activity.iter().map(|(_, l)| l.clone()).collect() })
    }

    /// Who `pid` is, if indexed (no children or activity).
    pub fn identity(&self, pid: u32) -> Option<Identity> {
        self.procs.get(&pid).map(|p| p.id.clone())
    }

    /// Records `child` under `ppid`, creating a stub for a parent not seen
    /// yet from what the child's record says about it.
    fn link(&mut self, ppid: u32, child: u32, f: &Fields) {
        let (new, _) = self.touch(ppid);
        let Some(parent) = self.procs.get_mut(&ppid) else { return };
        if new {
            parent.id.comm.clone_from(&f.parent_comm);
            parent.id.exe.clone_from(&f.parent_exe);
        }
        let before = parent.cost;
        if !parent.children.contains(&child) {
            if parent.children.len() >= MAX_CHILDREN {
                parent.children.remove(0);
            }
            parent.children.push(child);
        }
        parent.cost = parent.cost();
        self.bytes = self.bytes.saturating_sub(before) + parent.cost;
    }

    /// Marks `pid` as just seen (inserting it if new); returns whether it
    /// is new and the observation's sequence number.
    fn touch(&mut self, pid: u32) -> (bool, u64) {
        self.seq += 1;
        let seq = self.seq;
        let mut new = false;
        let p = self.procs.entry(pid).or_insert_with(|| {
            new = true;
            let mut p = Proc {
                id: Identity { pid, ..Identity::default() },
                children: Vec::new(),
                activity: VecDeque::new(),
                touched: 0,
                cost: 0,
            };
            p.cost = p.cost();
            p
        });
        if new {
            self.bytes += p.cost;
        }
        if !new {
            self.lru.remove(&p.touched);
        }
        p.touched = seq;
        self.lru.insert(seq, pid);
        (new, seq)
    }

    fn remove(&mut self, pid: u32) {
        if let Some(p) = self.procs.remove(&pid) {
            self.lru.remove(&p.touched);
            self.forget(&p);
        }
    }

    /// Takes a removed pid's charges off the sums.
    fn forget(&mut self, p: &Proc) {
        self.activity_held -= p.activity.len();
        let activity: usize = p.activity.iter().map(|(_, l)| l.len()).sum();
        self.bytes = self.bytes.saturating_sub(p.cost + activity);
    }

    /// The sequence of the oldest activity record still held.
    fn oldest_activity_seq(&mut self) -> Option<u64> {
        while let Some(&(pid, seq)) = self.activity.front() {
            if self.procs.get(&pid).is_some_and(|p| p.activity.front().is_some_and(|(s, _)| *s == seq)) {
                return Some(seq);
            }
            self.activity.pop_front(); // stale: already trimmed or evicted
        }
        None
    }

    /// Drops the oldest activity record anywhere; false when none is held.
    fn drop_oldest_activity(&mut self) -> bool {
        if self.oldest_activity_seq().is_none() {
            return false;
        }
        let Some((pid, _)) = self.activity.pop_front() else { return false };
        if let Some((_, old)) = self.procs.get_mut(&pid).and_then(|p| p.activity.pop_front()) {
            self.bytes = self.bytes.saturating_sub(old.len());
            self.activity_held -= 1;
        }
        true
    }

    /// Evicts the least recently seen pid; false when none is left.
    fn evict_lru(&mut self) -> bool {
        let Some((_, pid)) = self.lru.pop_first() else { return false };
        if let Some(p) = self.procs.remove(&pid) {
            self.forget(&p);
        }
        true
    }

    /// Enforces the bounds (see the module doc).
    fn trim(&mut self) {
        while self.procs.len() > self.max_processes {
            if !self.evict_lru() {
                break;
            }
        }
        while self.activity_held > self.total_activity {
            if !self.drop_oldest_activity() {
                break;
            }
        }
        // Over the byte bound: whichever is older goes first, the oldest
        // activity record or the least recently seen pid (never the pid just
        // observed: it is the most recent).
        while self.bytes > self.max_bytes && self.procs.len() > 1 {
            let oldest_pid = self.lru.first_key_value().map(|(seq, _)| *seq);
            let oldest_activity = self.oldest_activity_seq();
            let done = match (oldest_activity, oldest_pid) {
                (Some(a), Some(p)) if a < p => self.drop_oldest_activity(),
                _ => self.evict_lru(),
            };
            if !done {
                break;
            }
        }
        if self.activity.len() > 2 * self.total_activity.max(self.activity_held) {
            let procs = &self.procs;
            self.activity.retain(|(pid, seq)| {
                procs.get(pid).is_some_and(|p| p.activity.front().is_some_and(|(first, _)| first <= seq))
            });
        }
    }
}

/// Overwrites `dst` with `src` when the record has the field.
fn set<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
    if src.is_some() {
        dst.clone_from(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(json: &str) -> (Fields, Arc<str>) {
        (serde_json::from_str(json).expect("fields"), Arc::from(json))
    }

    fn observe(ix: &mut ProcessIndex, json: &str) {
        let (f, line) = rec(json);
        ix.observe(&f, &line);
    }

    fn exec(pid: u32, ppid: u32, comm: &str) -> String {
        format!(
            r#"{{"event_type":"process_exec","timestamp":"t{pid}","pid":{pid},"ppid":{ppid},"uid":0,"comm":"{comm}","exe":"/bin/{comm}","cmdline":"{comm} -x","parent_comm":"p{ppid}","parent_exe":"/bin/p{ppid}","args":["{comm}","-x"]}}"#
        )
    }

    fn open(pid: u32, path: &str) -> String {
        format!(r#"{{"event_type":"file_open","timestamp":"t","pid":{pid},"ppid":1,"path":"{path}"}}"#)
    }

    #[test]
    fn builds_identity_children_exit_and_activity() {
        let mut ix = ProcessIndex::default();
        observe(&mut ix, &exec(10, 5, "sh"));
        observe(&mut ix, &exec(11, 10, "cat"));
        observe(
            &mut ix,
            r#"{"event_type":"file_open","timestamp":"t","pid":11,"ppid":10,"comm":"cat","path":"/etc/shadow"}"#,
        );
        observe(&mut ix, r#"{"event_type":"alert","pid":11,"rule_id":"R","comm":"ignored"}"#);
        observe(&mut ix, r#"{"event_type":"process_exit","timestamp":"t9","pid":11,"ppid":10,"exit_code":3}"#);

        let e = ix.entry(11).expect("indexed");
        assert_eq!(e.id.ppid, Some(10));
        assert_eq!(e.id.comm.as_deref(), Some("cat"), "alerts do not overwrite identity");
        assert_eq!(e.id.args, Some(vec!["cat".to_owned(), "-x".to_owned()]));
        assert_eq!((e.id.first_seen.as_deref(), e.id.last_seen.as_deref()), (Some("t11"), Some("t9")));
        assert_eq!(e.id.exit_code, Some(3));
        assert_eq!(e.activity.len(), 2, "file and alert records, not process ones");
        assert!(e.activity[0].contains("/etc/shadow") && e.activity[1].contains("\"alert\""));

        let sh = ix.entry(10).expect("indexed");
        assert_eq!(sh.children.iter().map(|c| c.pid).collect::<Vec<_>>(), [11]);
        assert_eq!(sh.children[0].cmdline.as_deref(), Some("cat -x"));
        let stub = ix.identity(5).expect("the parent is a stub from its child's record");
        assert_eq!((stub.comm.as_deref(), stub.exe.as_deref(), stub.ppid), (Some("p5"), Some("/bin/p5"), None));
        assert!(stub.incomplete());
    }

    #[test]
    fn a_reused_pid_starts_a_new_entry() {
        let mut ix = ProcessIndex::default();
        observe(&mut ix, &exec(20, 1, "old"));
        observe(&mut ix, &open(20, "/tmp/a"));
        observe(&mut ix, r#"{"event_type":"process_exit","pid":20,"ppid":1,"exit_code":0}"#);
        observe(&mut ix, r#"{"event_type":"process_fork","timestamp":"t2","pid":20,"ppid":7,"comm":"new"}"#);
        let e = ix.entry(20).expect("indexed");
        assert_eq!((e.id.comm.as_deref(), e.id.ppid, e.id.exit_code), (Some("new"), Some(7), None));
        assert!(e.activity.is_empty());
        assert_eq!(ix.activity_held(), 0);
        // the old parent no longer lists it: its ppid is 7 now
        assert!(ix.entry(1).expect("stub").children.is_empty());
        assert_eq!(ix.entry(7).expect("stub").children.len(), 1);
    }

    #[test]
    fn evicts_the_least_recently_seen_process() {
        let mut ix = ProcessIndex::new(4, 10, 100);
        for pid in 100..104 {
            observe(&mut ix, &open(pid, "/x")); // also makes pid 1 a stub: 100..103 + 1 > 4
        }
        assert_eq!(ix.len(), 4);
        assert!(ix.identity(100).is_none(), "the oldest went first");
        observe(&mut ix, &open(101, "/y")); // 101 is fresh again
        observe(&mut ix, &open(104, "/z"));
        assert!(ix.identity(101).is_some(), "recently seen stays");
        assert!(ix.identity(102).is_none());
        let held: usize = [101, 103, 104].iter().filter_map(|p| ix.entry(*p)).map(|e| e.activity.len()).sum();
        assert_eq!(ix.activity_held(), held, "evicted processes' activity is no longer counted");
    }

    #[test]
    fn activity_is_bounded_per_process_and_in_total() {
        let mut ix = ProcessIndex::new(100, 3, 5);
        for i in 0..10 {
            observe(&mut ix, &open(30, &format!("/a{i}")));
        }
        let e = ix.entry(30).expect("indexed");
        assert_eq!(e.activity.len(), 3);
        assert!(e.activity[0].contains("/a7") && e.activity[2].contains("/a9"), "newest kept, oldest first");
        for i in 0..3 {
            observe(&mut ix, &open(31, &format!("/b{i}")));
        }
        assert_eq!(ix.activity_held(), 5);
        assert_eq!(ix.entry(30).expect("30").activity.len(), 2, "the oldest anywhere went");
        assert_eq!(ix.entry(31).expect("31").activity.len(), 3);
        for i in 0..1000 {
            observe(&mut ix, &open(32 + i % 3, "/c"));
        }
        assert_eq!(ix.activity_held(), 5);
        assert!(ix.activity.len() <= 2 * 5 + 1, "the order queue stays compact: {}", ix.activity.len());
    }

    /// The byte sum is exact: recomputed from scratch, it agrees.
    fn check_bytes(ix: &ProcessIndex) {
        let sum: usize =
            ix.procs.values().map(|p| p.cost() + p.activity.iter().map(|(_, l)| l.len()).sum::<usize>()).sum();
        assert_eq!(sum, ix.bytes, "byte sum out of step");
        assert!(ix.bytes <= ix.max_bytes || ix.len() == 1, "{} over {}", ix.bytes, ix.max_bytes);
    }

    #[test]
    fn long_command_lines_are_bounded_in_bytes() {
        // A storm of processes with 4 KiB command lines, each writing a file:
        // 8192 pids and 20 000 records would hold ~150 MB; the byte bound
        // holds it to 1 MiB whatever the counts allow.
        let mut ix = ProcessIndex::new(MAX_PROCESSES, ACTIVITY_PER_PROCESS, ACTIVITY_TOTAL).with_max_bytes(1 << 20);
        let long = "A".repeat(4000);
        for pid in 1..5000u32 {
            let exec = format!(
                r#"{{"event_type":"process_exec","pid":{pid},"ppid":1,"comm":"true","exe":"/usr/bin/true","cmdline":"true {long}","args":["{long}"]}}"#
            );
            observe(&mut ix, &exec);
            let open = format!(r#"{{"event_type":"file_open","pid":{pid},"path":"/tmp/x","cmdline":"true {long}"}}"#);
            observe(&mut ix, &open);
            if pid % 499 == 0 {
                check_bytes(&ix);
            }
        }
        check_bytes(&ix);
        assert!(ix.len() > 20 && ix.len() < 1000, "{} pids", ix.len());
        let newest = ix.entry(4999).expect("the newest is kept");
        assert_eq!(newest.activity.len(), 1);
        assert!(newest.id.cmdline.is_some_and(|c| c.len() == 4005));
    }

    #[test]
    fn the_byte_sum_follows_every_change() {
        let mut ix = ProcessIndex::new(50, 4, 30).with_max_bytes(64 << 10);
        for i in 0..3000u32 {
            let pid = 100 + i % 70;
            observe(&mut ix, &open(pid, &format!("/p{}", "x".repeat((i % 300) as usize))));
            if i % 7 == 0 {
                observe(&mut ix, &format!(r#"{{"event_type":"process_fork","pid":{},"ppid":{pid}}}"#, pid + 1));
            }
            if i % 11 == 0 {
                observe(&mut ix, &format!(r#"{{"event_type":"process_exit","pid":{pid},"exit_code":0}}"#));
            }
            check_bytes(&ix);
        }
    }
}
