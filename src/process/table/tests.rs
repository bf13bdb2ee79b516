//! Tests of the process table: its bookkeeping, eviction order and bounds
//! (they read its private queues to check the invariants).

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
        cmdline_source: CmdlineSource::Exec,
        start_ns: None,
        exec_id: None,
        exited: false,
    }
}

/// Checks the internal invariants that keep eviction O(1) and correct.
fn check(t: &ProcessTable) {
    assert!(t.len() <= t.capacity());
    let exited = t.entries.values().filter(|e| e.info.exited).count();
    assert_eq!(exited, t.exited_count);
    assert!(t.exited_count <= t.exited_limit);
    let bytes: usize = t.entries.values().map(|e| cost(&e.info)).sum();
    assert_eq!(bytes, t.bytes, "byte sum out of step");
    assert!(t.bytes <= t.max_bytes || t.len() == 1, "{} bytes held, bound {}", t.bytes, t.max_bytes);
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
fn a_cmdline_keeps_its_source_through_fork_until_exec() {
    let mut t = ProcessTable::new(8);
    let mut seeded = info(200, 1, "/usr/sbin/old");
    seeded.cmdline_source = CmdlineSource::Procfs;
    t.insert(seeded);
    t.on_fork(201, 200, 0, "old", 1);
    assert_eq!(t.get(201).unwrap().cmdline_source, CmdlineSource::Procfs, "a fork copies /proc's text");
    t.on_exec(201, 200, 0, "new", s("/usr/bin/new"), s("new -x"), 2);
    assert_eq!(t.get(201).unwrap().cmdline_source, CmdlineSource::Exec);
    t.on_fork(202, 201, 0, "new", 3);
    assert_eq!(t.get(202).unwrap().cmdline_source, CmdlineSource::Exec);
    t.on_fork(203, 999, 0, "orphan", 4);
    assert!(t.get(203).unwrap().cmdline.is_none());
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

fn long(pid: u32, ppid: u32, n: usize) -> ProcessInfo {
    let mut i = info(pid, ppid, "/usr/bin/true");
    i.cmdline = s(&format!("true {}", "A".repeat(n)));
    i
}

#[test]
fn long_command_lines_are_bounded_in_bytes_not_only_in_entries() {
    // The fork-storm finding: 4 KiB argv on every process. 16384 entries
    // would hold ~64 MiB; the byte bound keeps it at 1 MiB.
    let max = 1 << 20;
    let mut t = ProcessTable::with_max_bytes(16_384, max);
    for pid in 1..50_000u32 {
        t.on_fork(pid, 1, 0, "sh", pid as u64);
        t.on_exec(pid, 1, 0, "true", s("/usr/bin/true"), long(pid, 1, 4000).cmdline, pid as u64);
        if pid % 3 != 0 {
            t.on_exit(pid, pid as u64);
        }
        if pid % 997 == 0 {
            check(&t);
        }
    }
    check(&t);
    assert!(t.bytes() <= max);
    assert!(t.len() < 16_384 && t.len() > 200, "{} entries", t.len());
    // The newest process is always there, with its full command line.
    assert_eq!(t.get(49_999).and_then(|p| p.cmdline.as_ref()).map(|c| c.len()), Some(4005));
    assert!(t.evictions() > 0);
}

#[test]
fn byte_eviction_takes_the_longest_exited_first() {
    let one = cost(&long(1, 0, 1000));
    let mut t = ProcessTable::with_max_bytes(100, 3 * one);
    for pid in 1..=3 {
        t.insert(long(pid, 0, 1000));
    }
    t.on_exit(2, 1);
    t.insert(long(4, 0, 1000));
    check(&t);
    assert!(t.get(2).is_none(), "the exited entry goes first");
    assert!(t.get(1).is_some() && t.get(3).is_some() && t.get(4).is_some());
    // Replacing an entry with a longer one re-counts it and evicts the
    // least recently inserted live one.
    t.insert(long(3, 0, 1500));
    check(&t);
    assert!(t.get(1).is_none());
    assert_eq!(t.len(), 2);
}

#[test]
fn one_entry_over_the_bound_is_still_kept() {
    let mut t = ProcessTable::with_max_bytes(100, 10);
    t.insert(long(1, 0, 100));
    t.insert(long(2, 0, 100));
    check(&t);
    assert_eq!(t.len(), 1);
    assert!(t.get(2).is_some());
    t.on_exit(2, 5);
    t.insert(ProcessInfo { exited: true, ..long(3, 0, 100) });
    check(&t);
    assert!(t.get(3).is_some() && t.len() == 1);
}
