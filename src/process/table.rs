//! The bounded pid → process table: what the normalize thread knows about
//! every process (exe, cmdline, parent), kept across exit until evicted.
//!
//! Bounding: the table never holds more than `capacity` entries. When a new
//! pid arrives at capacity, one entry is evicted: the entry that exited
//! longest ago, or, if none has exited, the live entry least recently
//! inserted or exec'd. Independently, at most `max(1, capacity / 2)` exited
//! entries are held; beyond that the oldest exited ones are dropped, so live
//! processes are rarely evicted.
//!
//! Ordering is kept in two queues of `(pid, generation)` with lazy deletion:
//! every insert/exec/fork gives the entry a fresh generation and pushes it on
//! the live queue, every exit pushes it on the exited queue. A queue item is
//! valid only while the entry still has that generation and that state; stale
//! items are skipped when popped, and a queue is compacted once it holds more
//! than twice the capacity, so both queues stay bounded and every operation
//! is O(1) amortised.
//!
//! "Exited longest ago" is the order in which `on_exit` was called, not the
//! order of the events' `ktime_ns` (records from different CPUs may arrive
//! slightly out of order; the difference does not matter for eviction).

use std::collections::VecDeque;

// FxHash: pids are small integers the kernel hands out, not attacker-chosen
// strings, and SipHash showed up in profiles of the per-record lookup.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// Immutable shared text: the same exe/cmdline is shared by a parent and
/// all its forked children, and cloned into records without copying.
pub type SharedStr = Arc<str>;

/// What the sensor knows about one process.
#[derive(Clone, Debug)]
pub struct ProcessInfo {
    /// Thread-group id.
    pub pid: u32,
    /// The real parent's thread-group id (0 if unknown).
    pub ppid: u32,
    pub uid: u32,
    /// Kernel `comm` (at most 15 bytes from the kernel; not enforced here).
    pub comm: String,
    /// Absolute path of the executable, if known.
    pub exe: Option<SharedStr>,
    /// argv joined with single spaces, if known (`None` for kernel threads).
    pub cmdline: Option<SharedStr>,
    /// CLOCK_BOOTTIME ns when it started, if known.
    pub start_ns: Option<u64>,
    /// The process has exited; the entry is kept for its children's records.
    pub exited: bool,
}

#[derive(Debug)]
struct Entry {
    info: ProcessInfo,
    /// Bumped on every insert/exec/fork of this pid; ties queue items to it.
    generation: u64,
    /// CLOCK_BOOTTIME ns of the exit, while `info.exited`.
    exit_ns: Option<u64>,
}

/// Queue items are compacted once a queue is longer than
/// `COMPACT_FACTOR * capacity + COMPACT_SLACK`.
const COMPACT_FACTOR: usize = 2;
const COMPACT_SLACK: usize = 64;

/// Bounded pid → [`ProcessInfo`] map; see the module docs for eviction.
#[derive(Debug)]
pub struct ProcessTable {
    capacity: usize,
    exited_limit: usize,
    entries: HashMap<u32, Entry>,
    /// Live entries, least recently inserted/exec'd first (lazy deletion).
    live_order: VecDeque<(u32, u64)>,
    /// Exited entries, longest exited first (lazy deletion).
    exited_order: VecDeque<(u32, u64)>,
    exited_count: usize,
    next_generation: u64,
    evictions: u64,
    live_evictions: u64,
    exited_trimmed: u64,
}

fn is_live_item(entries: &HashMap<u32, Entry>, pid: u32, generation: u64) -> bool {
    entries.get(&pid).is_some_and(|e| e.generation == generation && !e.info.exited)
}

fn is_exited_item(entries: &HashMap<u32, Entry>, pid: u32, generation: u64) -> bool {
    entries.get(&pid).is_some_and(|e| e.generation == generation && e.info.exited)
}

impl ProcessTable {
    /// A table holding at most `capacity` processes (a capacity of 0 is
    /// treated as 1: the table always keeps at least the latest process).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        // Grow on demand up to `capacity`; don't reserve a huge configured
        // maximum up front.
        let initial = capacity.min(4096);
        ProcessTable {
            capacity,
            exited_limit: (capacity / 2).max(1),
            entries: HashMap::with_capacity_and_hasher(initial, Default::default()),
            live_order: VecDeque::with_capacity(initial),
            exited_order: VecDeque::with_capacity(initial.min(1024)),
            exited_count: 0,
            next_generation: 0,
            evictions: 0,
            live_evictions: 0,
            exited_trimmed: 0,
        }
    }

    /// The most entries the table will ever hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries held, live and exited.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Exited entries currently held.
    pub fn exited_len(&self) -> usize {
        self.exited_count
    }

    /// The process with this pid, live or exited. Does not allocate.
    pub fn get(&self, pid: u32) -> Option<&ProcessInfo> {
        self.entries.get(&pid).map(|e| &e.info)
    }

    /// The parent of `pid` (by its recorded ppid), if both are known.
    pub fn parent(&self, pid: u32) -> Option<&ProcessInfo> {
        let ppid = self.get(pid)?.ppid;
        if ppid == pid {
            return None;
        }
        self.get(ppid)
    }

    /// CLOCK_BOOTTIME ns at which `pid` exited, if it is held and exited.
    pub fn exit_ns(&self, pid: u32) -> Option<u64> {
        self.entries.get(&pid).and_then(|e| e.exit_ns)
    }

    /// Entries evicted because the table was full (live or exited).
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// The part of [`evictions`](Self::evictions) that removed a live
    /// process: non-zero means the cache is too small for the host.
    pub fn live_evictions(&self) -> u64 {
        self.live_evictions
    }

    /// Exited entries dropped because more than `capacity / 2` were held
    /// (routine housekeeping, not counted in `evictions`).
    pub fn exited_trimmed(&self) -> u64 {
        self.exited_trimmed
    }

    /// Iterates over every held entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &ProcessInfo> + '_ {
        self.entries.values().map(|e| &e.info)
    }

    /// Forgets `pid` entirely; returns what was held.
    pub fn remove(&mut self, pid: u32) -> Option<ProcessInfo> {
        let e = self.entries.remove(&pid)?;
        if e.info.exited {
            self.exited_count = self.exited_count.saturating_sub(1);
        }
        // Its queue items are now stale and will be skipped.
        Some(e.info)
    }

    /// exec replaced the image of `pid`: new exe/cmdline/comm, and clears
    /// `exited`. An exited entry under the same pid (PID reuse) is replaced;
    /// a live one keeps its `start_ns` (exec does not start a process).
    #[allow(clippy::too_many_arguments)]
    pub fn on_exec(
        &mut self,
        pid: u32,
        ppid: u32,
        uid: u32,
        comm: &str,
        exe: Option<SharedStr>,
        cmdline: Option<SharedStr>,
        ktime_ns: u64,
    ) {
        let _ = ktime_ns; // exec time is not start time; kept for symmetry
        let start_ns = match self.entries.get(&pid) {
            Some(e) if !e.info.exited => e.info.start_ns,
            _ => None,
        };
        self.put(ProcessInfo { pid, ppid, uid, comm: comm.to_owned(), exe, cmdline, start_ns, exited: false });
    }

    /// A new process `child` forked by `parent`: same image as the parent
    /// until it execs, so it inherits the parent's exe and cmdline (and its
    /// comm if `comm` is empty). Replaces whatever was held under `child`.
    pub fn on_fork(&mut self, child: u32, parent: u32, uid: u32, comm: &str, ktime_ns: u64) {
        let (exe, cmdline, comm) = match self.entries.get(&parent) {
            Some(p) => (
                p.info.exe.clone(),
                p.info.cmdline.clone(),
                if comm.is_empty() { p.info.comm.clone() } else { comm.to_owned() },
            ),
            None => (None, None, comm.to_owned()),
        };
        self.put(ProcessInfo {
            pid: child,
            ppid: parent,
            uid,
            comm,
            exe,
            cmdline,
            start_ns: Some(ktime_ns),
            exited: false,
        });
    }

    /// Marks `pid` exited. The entry stays readable (later records of its
    /// children still need the parent's exe) until evicted or trimmed.
    /// Unknown pids and repeated exits are ignored.
    pub fn on_exit(&mut self, pid: u32, ktime_ns: u64) {
        let Some(e) = self.entries.get_mut(&pid) else {
            return;
        };
        if e.info.exited {
            return;
        }
        e.info.exited = true;
        e.exit_ns = Some(ktime_ns);
        self.exited_order.push_back((pid, e.generation));
        self.exited_count += 1;
        self.trim_exited();
        self.compact_if_needed();
    }

    /// Inserts or replaces `info.pid` (from a /proc read: seeding, or a miss
    /// resolved later). Evicts one entry first if a new pid arrives at
    /// capacity.
    pub fn insert(&mut self, info: ProcessInfo) {
        self.put(info);
    }

    fn put(&mut self, info: ProcessInfo) {
        let pid = info.pid;
        let exited = info.exited;
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);

        if let Some(e) = self.entries.get_mut(&pid) {
            if e.info.exited {
                self.exited_count = self.exited_count.saturating_sub(1);
            }
            e.info = info;
            e.generation = generation;
            e.exit_ns = None;
        } else {
            while self.entries.len() >= self.capacity {
                if !self.evict_one() {
                    break;
                }
            }
            self.entries.insert(pid, Entry { info, generation, exit_ns: None });
        }

        if exited {
            self.exited_order.push_back((pid, generation));
            self.exited_count += 1;
            self.trim_exited();
        } else {
            self.live_order.push_back((pid, generation));
        }
        self.compact_if_needed();
    }

    /// Removes one entry to make room: the longest-exited, else the least
    /// recently inserted live one. Returns false only if the table is empty.
    fn evict_one(&mut self) -> bool {
        while let Some((pid, generation)) = self.exited_order.pop_front() {
            if is_exited_item(&self.entries, pid, generation) {
                self.entries.remove(&pid);
                self.exited_count = self.exited_count.saturating_sub(1);
                self.evictions += 1;
                return true;
            }
        }
        while let Some((pid, generation)) = self.live_order.pop_front() {
            if is_live_item(&self.entries, pid, generation) {
                self.entries.remove(&pid);
                self.evictions += 1;
                self.live_evictions += 1;
                return true;
            }
        }
        // Unreachable while the queue invariants hold (every entry has a
        // valid item in one queue); kept so the bound holds regardless.
        let Some(&pid) = self.entries.keys().next() else {
            return false;
        };
        if let Some(e) = self.entries.remove(&pid) {
            if e.info.exited {
                self.exited_count = self.exited_count.saturating_sub(1);
            } else {
                self.live_evictions += 1;
            }
        }
        self.evictions += 1;
        true
    }

    /// Drops the oldest exited entries while more than the limit are held.
    fn trim_exited(&mut self) {
        while self.exited_count > self.exited_limit {
            let Some((pid, generation)) = self.exited_order.pop_front() else {
                // Count out of sync with the queue: recount (never expected).
                self.exited_count = self.entries.values().filter(|e| e.info.exited).count();
                return;
            };
            if is_exited_item(&self.entries, pid, generation) {
                self.entries.remove(&pid);
                self.exited_count -= 1;
                self.exited_trimmed += 1;
            }
        }
    }

    /// Drops stale queue items once a queue outgrows twice the capacity.
    /// After compaction a queue holds at most `len()` items, so at least
    /// `capacity` pushes happen between compactions: O(1) amortised.
    fn compact_if_needed(&mut self) {
        let limit = self.capacity.saturating_mul(COMPACT_FACTOR).saturating_add(COMPACT_SLACK);
        if self.live_order.len() > limit {
            let entries = &self.entries;
            self.live_order.retain(|&(pid, generation)| is_live_item(entries, pid, generation));
        }
        if self.exited_order.len() > limit {
            let entries = &self.entries;
            self.exited_order.retain(|&(pid, generation)| is_exited_item(entries, pid, generation));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<SharedStr> {
        Some(Arc::from(v))
    }

    fn info(pid: u32, ppid: u32, exe: &str) -> ProcessInfo {
        ProcessInfo {
            pid,
            ppid,
            uid: 0,
            comm: "x".to_owned(),
            exe: s(exe),
            cmdline: s(exe),
            start_ns: None,
            exited: false,
        }
    }

    /// Checks the internal invariants that keep eviction O(1) and correct.
    fn check(t: &ProcessTable) {
        assert!(t.len() <= t.capacity());
        let exited = t.entries.values().filter(|e| e.info.exited).count();
        assert_eq!(exited, t.exited_count);
        assert!(t.exited_count <= t.exited_limit);
        let limit = t.capacity * COMPACT_FACTOR + COMPACT_SLACK;
        assert!(t.live_order.len() <= limit + 1);
        assert!(t.exited_order.len() <= limit + 1);
        let live: std::collections::HashSet<_> = t.live_order.iter().copied().collect();
        let exited: std::collections::HashSet<_> = t.exited_order.iter().copied().collect();
        for (pid, e) in &t.entries {
            let q = if e.info.exited { &exited } else { &live };
            assert!(q.contains(&(*pid, e.generation)), "pid {pid} has no valid queue item");
        }
    }

    #[test]
    fn fork_inherits_exec_replaces_exit_keeps() {
        let mut t = ProcessTable::new(16);
        t.on_exec(100, 1, 1000, "bash", s("/usr/bin/bash"), s("bash -l"), 10);
        t.on_fork(101, 100, 1000, "bash", 20);
        let c = t.get(101).unwrap();
        assert_eq!(c.exe.as_deref(), Some("/usr/bin/bash"));
        assert_eq!(c.cmdline.as_deref(), Some("bash -l"));
        assert_eq!(c.comm, "bash");
        assert_eq!(c.ppid, 100);
        assert_eq!(c.start_ns, Some(20));
        // shared, not copied
        assert!(Arc::ptr_eq(c.exe.as_ref().unwrap(), t.get(100).unwrap().exe.as_ref().unwrap()));
        assert_eq!(t.parent(101).unwrap().pid, 100);

        t.on_exec(101, 100, 1000, "curl", s("/usr/bin/curl"), s("curl http://x"), 30);
        let c = t.get(101).unwrap();
        assert_eq!(c.exe.as_deref(), Some("/usr/bin/curl"));
        assert_eq!(c.cmdline.as_deref(), Some("curl http://x"));
        assert_eq!(c.comm, "curl");
        assert_eq!(c.start_ns, Some(20), "exec keeps the fork start time");
        assert_eq!(t.len(), 2, "updating an existing pid keeps len");

        // parent exits; the child's records still find parent exe
        t.on_exit(100, 40);
        let p = t.get(100).unwrap();
        assert!(p.exited);
        assert_eq!(p.exe.as_deref(), Some("/usr/bin/bash"));
        assert_eq!(t.exit_ns(100), Some(40));
        assert_eq!(t.parent(101).unwrap().exe.as_deref(), Some("/usr/bin/bash"));
        // child exits too, still readable
        t.on_exit(101, 50);
        t.on_exit(101, 60); // repeated exit ignored
        assert_eq!(t.exit_ns(101), Some(50));
        assert_eq!(t.get(101).unwrap().exe.as_deref(), Some("/usr/bin/curl"));
        assert_eq!(t.len(), 2);
        assert_eq!(t.exited_len(), 2);
        check(&t);
    }

    #[test]
    fn fork_of_unknown_parent() {
        let mut t = ProcessTable::new(4);
        t.on_fork(7, 6, 0, "kworker", 5);
        let c = t.get(7).unwrap();
        assert!(c.exe.is_none() && c.cmdline.is_none());
        assert_eq!(c.comm, "kworker");
        t.on_exec(9, 8, 0, "", None, None, 1);
        t.on_fork(10, 9, 0, "", 2);
        assert_eq!(t.get(10).unwrap().comm, "");
        t.on_exit(12345, 1); // unknown: ignored
        assert_eq!(t.len(), 3);
        check(&t);
    }

    #[test]
    fn pid_reuse_after_exit_replaces_cleanly() {
        let mut t = ProcessTable::new(8);
        t.on_exec(200, 1, 0, "old", s("/bin/old"), s("old a"), 1);
        t.on_exit(200, 2);
        assert_eq!(t.exited_len(), 1);
        // reused by exec
        t.on_exec(200, 5, 33, "new", s("/bin/new"), s("new b"), 3);
        let p = t.get(200).unwrap();
        assert!(!p.exited);
        assert_eq!(p.exe.as_deref(), Some("/bin/new"));
        assert_eq!(p.ppid, 5);
        assert_eq!(p.uid, 33);
        assert_eq!(p.start_ns, None, "a reused pid is a new process");
        assert_eq!(t.exit_ns(200), None);
        assert_eq!(t.exited_len(), 0);
        assert_eq!(t.len(), 1);
        check(&t);

        // reused by fork
        t.on_exec(300, 1, 0, "sh", s("/bin/sh"), s("sh"), 4);
        t.on_exit(200, 5);
        t.on_fork(200, 300, 0, "sh", 6);
        let p = t.get(200).unwrap();
        assert!(!p.exited);
        assert_eq!(p.exe.as_deref(), Some("/bin/sh"));
        assert_eq!(p.start_ns, Some(6));
        assert_eq!(t.len(), 2);
        assert_eq!(t.exited_len(), 0);
        check(&t);

        // the stale exited queue item for 200 must not evict the new one
        let mut t = ProcessTable::new(2);
        t.on_exec(1, 0, 0, "a", None, None, 0);
        t.on_exit(1, 1);
        t.on_exec(1, 0, 0, "a2", None, None, 2); // reuse
        t.on_exec(2, 0, 0, "b", None, None, 3);
        t.on_exec(3, 0, 0, "c", None, None, 4); // full: evicts LRU live = 1
        assert!(t.get(1).is_none());
        assert!(t.get(2).is_some() && t.get(3).is_some());
        check(&t);
    }

    #[test]
    fn insert_replaces_and_updates_keep_len() {
        let mut t = ProcessTable::new(4);
        t.insert(info(1, 0, "/sbin/init"));
        t.insert(info(1, 0, "/sbin/init2"));
        assert_eq!(t.len(), 1);
        assert_eq!(t.get(1).unwrap().exe.as_deref(), Some("/sbin/init2"));
        for _ in 0..10 {
            t.on_exec(1, 0, 0, "init", s("/sbin/init"), None, 1);
        }
        assert_eq!(t.len(), 1);
        let mut e = info(2, 1, "/bin/gone");
        e.exited = true;
        t.insert(e);
        assert_eq!(t.exited_len(), 1);
        t.insert(info(2, 1, "/bin/back"));
        assert_eq!(t.exited_len(), 0);
        assert_eq!(t.len(), 2);
        assert!(t.remove(2).is_some());
        assert!(t.remove(2).is_none());
        assert_eq!(t.len(), 1);
        check(&t);
    }

    #[test]
    fn bound_holds_for_100k_pids() {
        let cap = 1000;
        let mut t = ProcessTable::new(cap);
        for pid in 1..=100_000u32 {
            t.on_exec(pid, 1, 0, "p", None, None, pid as u64);
            assert!(t.len() <= cap, "len {} at pid {}", t.len(), pid);
            // every third process exits right away
            if pid % 3 == 0 {
                t.on_exit(pid, pid as u64);
                assert!(t.len() <= cap);
                assert!(t.exited_len() <= cap / 2);
            }
        }
        assert_eq!(t.len(), cap);
        assert!(t.evictions() > 0);
        assert_eq!(t.evictions() + t.exited_trimmed(), 100_000 - cap as u64);
        check(&t);

        // exited before live: a full table with both kinds evicts exited first
        let mut t = ProcessTable::new(cap);
        for pid in 1..=cap as u32 {
            t.on_exec(pid, 1, 0, "p", None, None, 0);
        }
        for pid in 1..=(cap as u32 / 2) {
            t.on_exit(pid, 1);
        }
        assert_eq!(t.len(), cap);
        assert_eq!(t.exited_len(), cap / 2);
        for (n, pid) in (10_001..10_001 + cap as u32 / 2).enumerate() {
            t.on_exec(pid, 1, 0, "q", None, None, 2);
            assert!(t.len() <= cap);
            assert_eq!(t.evictions(), n as u64 + 1);
            assert_eq!(t.live_evictions(), 0, "a live entry went before an exited one");
        }
        assert_eq!(t.exited_len(), 0);
        // now only live ones remain: next insert evicts a live one
        t.on_exec(20_000, 1, 0, "q", None, None, 3);
        assert_eq!(t.live_evictions(), 1);
        assert!(t.get(cap as u32 / 2 + 1).is_none(), "oldest live evicted");
        check(&t);
    }

    #[test]
    fn eviction_order() {
        let mut t = ProcessTable::new(4);
        for pid in 1..=4 {
            t.on_exec(pid, 0, 0, "p", None, None, 0);
        }
        // exits in order 3, 1 (limit of held exited is 2)
        t.on_exit(3, 10);
        t.on_exit(1, 20);
        t.insert(info(5, 0, "/e"));
        assert!(t.get(3).is_none(), "longest-exited goes first");
        assert!(t.get(1).is_some());
        t.insert(info(6, 0, "/e"));
        assert!(t.get(1).is_none(), "then the next exited");
        assert_eq!(t.live_evictions(), 0);
        // live now: 2, 4, 5, 6 ; re-exec 2 makes it most recent
        t.on_exec(2, 0, 0, "p2", None, None, 30);
        t.insert(info(7, 0, "/e"));
        assert!(t.get(4).is_none(), "least recently inserted/exec'd live");
        assert!(t.get(2).is_some());
        t.insert(info(8, 0, "/e"));
        assert!(t.get(5).is_none());
        assert_eq!(t.live_evictions(), 2);
        assert_eq!(t.evictions(), 4);
        check(&t);

        // the held-exited limit drops oldest exited first
        let mut t = ProcessTable::new(6); // limit 3
        for pid in 1..=6 {
            t.on_exec(pid, 0, 0, "p", None, None, 0);
        }
        for pid in [5, 2, 6, 1] {
            t.on_exit(pid, 0);
        }
        assert_eq!(t.exited_len(), 3);
        assert!(t.get(5).is_none());
        assert!(t.get(2).is_some() && t.get(6).is_some() && t.get(1).is_some());
        assert_eq!(t.exited_trimmed(), 1);
        assert_eq!(t.evictions(), 0);
        check(&t);
    }

    #[test]
    fn tiny_capacities() {
        let mut t = ProcessTable::new(0);
        assert_eq!(t.capacity(), 1);
        t.on_exec(1, 0, 0, "a", None, None, 0);
        t.on_exit(1, 1);
        assert!(t.get(1).is_some(), "exit keeps the entry even at capacity 1");
        t.on_fork(2, 1, 0, "a", 2);
        assert_eq!(t.len(), 1);
        assert!(t.get(2).is_some());
        check(&t);
        let mut t = ProcessTable::new(1);
        for pid in 0..100 {
            t.on_fork(pid, pid.wrapping_sub(1), 0, "", 0);
            t.on_exit(pid.wrapping_sub(1), 0);
            assert_eq!(t.len(), 1);
        }
        t.on_fork(u32::MAX, u32::MAX, 0, "self", 0);
        check(&t);
    }

    #[test]
    fn queues_stay_bounded_under_churn_on_few_pids() {
        let mut t = ProcessTable::new(8);
        for i in 0..100_000u32 {
            let pid = i % 5;
            match i % 4 {
                0 => t.on_exec(pid, 1, 0, "a", None, None, 0),
                1 => t.on_exit(pid, 0),
                2 => t.on_fork(pid, (pid + 1) % 5, 0, "f", 0),
                _ => t.insert(info(pid, 1, "/x")),
            }
            assert!(t.live_order.len() <= 8 * COMPACT_FACTOR + COMPACT_SLACK + 1);
            assert!(t.exited_order.len() <= 8 * COMPACT_FACTOR + COMPACT_SLACK + 1);
        }
        assert!(t.len() <= 5);
        check(&t);
    }

    #[test]
    fn perf_sanity_1m_mixed_ops() {
        // Not a timing assertion: just runs 1M mixed operations.
        let mut t = ProcessTable::new(65_536);
        let exe = s("/usr/bin/worker");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut hits = 0u64;
        for i in 0..1_000_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pid = (x % 200_000) as u32 + 2;
            match i % 5 {
                0 => t.on_fork(pid, (pid / 2).max(1), 0, "w", i),
                1 => t.on_exec(pid, 1, 0, "w", exe.clone(), None, i),
                2 => t.on_exit(pid, i),
                _ => {
                    if t.get(pid).is_some() {
                        hits += 1;
                    }
                }
            }
        }
        assert!(t.len() <= 65_536);
        assert!(hits > 0);
        check(&t);
    }
}
