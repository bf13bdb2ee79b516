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
//! Bytes are bounded too: every entry costs [`ENTRY_OVERHEAD`] plus the
//! length of its comm, exe and cmdline, and while the sum is over
//! `max_bytes` entries are evicted in the same order. A cmdline can be 4 KiB,
//! so an entry cap alone lets a storm of processes with long argv hold
//! `capacity` × 8 KiB. Text a forked child shares with its parent (the same
//! `Arc`) is counted once per entry: an overestimate, so the bound holds
//! whatever is shared; it only bites when command lines are long.
//!
//! "Exited longest ago" is the order in which `on_exit` was called, not the
//! order of the events' `ktime_ns` (records from different CPUs may arrive
//! slightly out of order; the difference does not matter for eviction).

use std::collections::VecDeque;

// FxHash: pids are small integers the kernel hands out, not attacker-chosen
// strings, and SipHash showed up in profiles of the per-record lookup.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use crate::process::exec_ids::{ExecIds, Origin};
use crate::record::{CmdlineSource, ExecId};

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
    /// Where `cmdline` came from (meaningful only when it is `Some`).
    pub cmdline_source: CmdlineSource,
    /// CLOCK_BOOTTIME ns when it started, if known.
    pub start_ns: Option<u64>,
    /// The id of the image it runs (see `exec_ids`): set by the table from
    /// the exec, the fork, or (for an entry inserted without one) `start_ns`.
    pub exec_id: Option<ExecId>,
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

/// What one entry costs besides its text: the map slot, `ProcessInfo`, the
/// comm's allocation and a queue item or two (measured, rounded up), and
/// the exec id held inline (33 bytes, rounded up to 40).
pub const ENTRY_OVERHEAD: usize = 232;

/// The bytes `info` is charged in the table.
fn cost(info: &ProcessInfo) -> usize {
    ENTRY_OVERHEAD
        + info.comm.len()
        + info.exe.as_ref().map_or(0, |s| s.len())
        + info.cmdline.as_ref().map_or(0, |s| s.len())
}

/// Bounded pid → [`ProcessInfo`] map; see the module docs for eviction.
#[derive(Debug)]
pub struct ProcessTable {
    capacity: usize,
    max_bytes: usize,
    /// Sum of [`cost`] over `entries`.
    bytes: usize,
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
    ids: ExecIds,
}

fn is_live_item(entries: &HashMap<u32, Entry>, pid: u32, generation: u64) -> bool {
    entries.get(&pid).is_some_and(|e| e.generation == generation && !e.info.exited)
}

fn is_exited_item(entries: &HashMap<u32, Entry>, pid: u32, generation: u64) -> bool {
    entries.get(&pid).is_some_and(|e| e.generation == generation && e.info.exited)
}

impl ProcessTable {
    /// A table holding at most `capacity` processes (a capacity of 0 is
    /// treated as 1: the table always keeps at least the latest process),
    /// with no byte bound beyond what `capacity` implies.
    pub fn new(capacity: usize) -> Self {
        Self::with_max_bytes(capacity, usize::MAX)
    }

    /// A table holding at most `capacity` processes and at most `max_bytes`
    /// (see the module docs; the latest process is always kept, whatever it
    /// costs).
    pub fn with_max_bytes(capacity: usize, max_bytes: usize) -> Self {
        let capacity = capacity.max(1);
        // Grow on demand up to `capacity`; don't reserve a huge configured
        // maximum up front.
        let initial = capacity.min(4096);
        ProcessTable {
            capacity,
            max_bytes,
            bytes: 0,
            exited_limit: (capacity / 2).max(1),
            entries: HashMap::with_capacity_and_hasher(initial, Default::default()),
            live_order: VecDeque::with_capacity(initial),
            exited_order: VecDeque::with_capacity(initial.min(1024)),
            exited_count: 0,
            next_generation: 0,
            evictions: 0,
            live_evictions: 0,
            exited_trimmed: 0,
            ids: ExecIds::default(),
        }
    }

    /// Names execs for this host and boot (the default names them for an
    /// unnamed one: tests and replays).
    pub fn set_exec_ids(&mut self, ids: ExecIds) {
        self.ids = ids;
    }

    /// The most entries the table will ever hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes the held entries are charged (see the module docs).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The most bytes the table holds beyond its latest entry.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
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
        let e = self.take(pid)?;
        if e.info.exited {
            self.exited_count = self.exited_count.saturating_sub(1);
        }
        // Its queue items are now stale and will be skipped.
        Some(e.info)
    }

    /// exec replaced the image of `pid`: new exe/cmdline/comm, a new exec
    /// id (from `ktime_ns`, the exec's time), and clears `exited`. An exited entry under the same pid (PID reuse) is replaced;
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
        let start_ns = match self.entries.get(&pid) {
            Some(e) if !e.info.exited => e.info.start_ns,
            _ => None,
        };
        self.put(ProcessInfo {
            pid,
            ppid,
            uid,
            comm: comm.to_owned(),
            exe,
            cmdline,
            cmdline_source: CmdlineSource::Exec,
            start_ns,
            exec_id: Some(self.ids.id(Origin::Exec, pid, ktime_ns)),
            exited: false,
        });
    }

    /// A new process `child` forked by `parent`: same image as the parent
    /// until it execs, so it inherits the parent's exe and cmdline (and its
    /// comm if `comm` is empty). Replaces whatever was held under `child`.
    pub fn on_fork(&mut self, child: u32, parent: u32, uid: u32, comm: &str, ktime_ns: u64) {
        let (exe, cmdline, cmdline_source, comm) = match self.entries.get(&parent) {
            Some(p) => (
                p.info.exe.clone(),
                p.info.cmdline.clone(),
                p.info.cmdline_source,
                if comm.is_empty() { p.info.comm.clone() } else { comm.to_owned() },
            ),
            None => (None, None, CmdlineSource::Procfs, comm.to_owned()),
        };
        self.put(ProcessInfo {
            pid: child,
            ppid: parent,
            uid,
            comm,
            exe,
            cmdline,
            cmdline_source,
            start_ns: Some(ktime_ns),
            exec_id: Some(self.ids.id(Origin::Fork, child, ktime_ns)),
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
    /// capacity. Without an exec id, one is made from `start_ns` (none
    /// without it: a process gone before it could be read).
    pub fn insert(&mut self, mut info: ProcessInfo) {
        if info.exec_id.is_none() {
            info.exec_id = info.start_ns.map(|ns| self.ids.id(Origin::Procfs, info.pid, ns));
        }
        self.put(info);
    }

    /// Removes `pid` from the map and its bytes from the sum; every removal
    /// goes through here so the sum stays exact.
    fn take(&mut self, pid: u32) -> Option<Entry> {
        let e = self.entries.remove(&pid)?;
        self.bytes = self.bytes.saturating_sub(cost(&e.info));
        Some(e)
    }

    fn put(&mut self, info: ProcessInfo) {
        let pid = info.pid;
        let exited = info.exited;
        let new_cost = cost(&info);
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1);

        if let Some(e) = self.entries.get_mut(&pid) {
            if e.info.exited {
                self.exited_count = self.exited_count.saturating_sub(1);
            }
            self.bytes = self.bytes.saturating_sub(cost(&e.info)).saturating_add(new_cost);
            e.info = info;
            e.generation = generation;
            e.exit_ns = None;
        } else {
            while self.entries.len() >= self.capacity {
                if !self.evict_one() {
                    break;
                }
            }
            self.bytes = self.bytes.saturating_add(new_cost);
            self.entries.insert(pid, Entry { info, generation, exit_ns: None });
        }

        if exited {
            self.exited_order.push_back((pid, generation));
            self.exited_count += 1;
            self.trim_exited();
        } else {
            self.live_order.push_back((pid, generation));
        }
        // Over the byte bound: evict in the usual order, never `pid` itself
        // (it is the newest item of its queue, so only when nothing else is
        // left would it come up).
        while self.bytes > self.max_bytes && self.entries.len() > 1 {
            if !self.evict_one_except(pid) {
                break;
            }
        }
        self.compact_if_needed();
    }

    /// Removes one entry to make room: the longest-exited, else the least
    /// recently inserted live one. Returns false only if the table is empty.
    fn evict_one(&mut self) -> bool {
        self.evict_one_except(u32::MAX)
    }

    /// [`evict_one`](Self::evict_one), sparing `keep` (`u32::MAX`, never a
    /// pid, spares none).
    fn evict_one_except(&mut self, keep: u32) -> bool {
        while let Some((pid, generation)) = self.exited_order.pop_front() {
            if pid == keep && is_exited_item(&self.entries, pid, generation) {
                // The newest exited item; nothing older is left to evict.
                self.exited_order.push_front((pid, generation));
                break;
            }
            if is_exited_item(&self.entries, pid, generation) {
                self.take(pid);
                self.exited_count = self.exited_count.saturating_sub(1);
                self.evictions += 1;
                return true;
            }
        }
        while let Some((pid, generation)) = self.live_order.pop_front() {
            if pid == keep && is_live_item(&self.entries, pid, generation) {
                // The newest live item; nothing older is left to evict.
                self.live_order.push_front((pid, generation));
                break;
            }
            if is_live_item(&self.entries, pid, generation) {
                self.take(pid);
                self.evictions += 1;
                self.live_evictions += 1;
                return true;
            }
        }
        // Unreachable while the queue invariants hold (every entry has a
        // valid item in one queue); kept so the bound holds regardless.
        let Some(&pid) = self.entries.keys().find(|&&p| p != keep) else {
            return false;
        };
        if let Some(e) = self.take(pid) {
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
                self.take(pid);
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
mod tests;
