//! Reading processes from /proc: one process (`read_process`, for misses
//! resolved after the fact) and the whole host at start (`seed`, for
//! processes older than the sensor).
//!
//! Everything read here is untrusted text a process controls (its comm, its
//! argv, its executable's name): nothing is unwrapped and nothing panics. A
//! process can vanish between any two reads; whatever was read so far is
//! either used or discarded, never an error.

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::process::table::{ProcessInfo, ProcessTable, SharedStr};
use crate::record::CmdlineSource;

/// At most this many bytes of `/proc/<pid>/cmdline` are read: the same cap
/// the kernel side puts on argv (`RG_ARGS_MAX` in include/events.h, NUL
/// included), so seeded and event-derived cmdlines look alike and one
/// process cannot make an entry megabytes large.
pub const CMDLINE_READ_MAX: usize = 4095;

/// At most this many bytes of stat/status are read (both are far smaller).
const SMALL_FILE_MAX: u64 = 16 * 1024;

/// The suffix `readlink(/proc/<pid>/exe)` carries once the file is unlinked.
const DELETED_SUFFIX: &str = " (deleted)";

/// Reads one process from `proc_root` (normally "/proc"):
/// - ppid, comm and start time from `stat` (comm is between the first '('
///   and the LAST ')', so a comm of `(a) b)` survives; start time is field
///   22, clock ticks since boot, converted to ns via `sysconf(_SC_CLK_TCK)`),
/// - exe from readlink of `exe`, with a trailing " (deleted)" removed,
/// - cmdline = argv split on NUL and joined by single spaces (lossy UTF-8,
///   at most [`CMDLINE_READ_MAX`] bytes read; empty → `None`, as for kernel
///   threads),
/// - uid = the real uid from the `Uid:` line of `status` (falling back to
///   the owner of the `/proc/<pid>` directory).
///
/// Returns `None` if the process does not exist (any more) or its `stat` is
/// unreadable or malformed. Missing exe/cmdline just leave those `None`.
pub fn read_process(proc_root: &Path, pid: u32) -> Option<ProcessInfo> {
    let dir = proc_root.join(pid.to_string());

    let stat = read_capped(&dir.join("stat"), SMALL_FILE_MAX)?;
    let stat = parse_stat(&stat)?;

    let exe = fs::read_link(dir.join("exe")).ok().and_then(|target| exe_from_link(&target.to_string_lossy()));

    let cmdline = read_capped(&dir.join("cmdline"), CMDLINE_READ_MAX as u64).and_then(|raw| cmdline_from_raw(&raw));

    let uid = match read_capped(&dir.join("status"), SMALL_FILE_MAX).and_then(|status| parse_status_uid(&status)) {
        Some(uid) => uid,
        None => fs::metadata(&dir).ok()?.uid(),
    };

    Some(ProcessInfo {
        pid,
        ppid: stat.ppid,
        uid,
        comm: stat.comm,
        exe,
        cmdline,
        cmdline_source: CmdlineSource::Procfs,
        start_ns: stat.start_ticks.and_then(ticks_to_ns),
        exec_id: None,
        exited: false,
    })
}

/// Seeds `table` with every process under `proc_root` except `skip_pid`
/// (the sensor itself) and pids the table already holds (events already
/// seen are at least as fresh). Returns how many were added. Processes that
/// vanish mid-scan and unreadable entries are skipped silently; directory
/// names that are not plain decimal pids ("self", "sys", ...) are ignored.
///
/// Pids are inserted highest first, so that if the host has more processes
/// than the table holds, the ones kept (most recently inserted) are the low
/// pids: usually the long-lived daemons whose children will need them.
pub fn seed(table: &mut ProcessTable, proc_root: &Path, skip_pid: u32) -> usize {
    let Ok(dir) = fs::read_dir(proc_root) else {
        return 0;
    };
    let mut pids: Vec<u32> = dir
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| parse_pid(&entry.file_name().to_string_lossy()))
        .filter(|&pid| pid != skip_pid)
        .collect();
    pids.sort_unstable_by(|a, b| b.cmp(a));
    pids.dedup();

    let mut added = 0;
    for pid in pids {
        if table.get(pid).is_some() {
            continue;
        }
        if let Some(info) = read_process(proc_root, pid) {
            table.insert(info);
            added += 1;
        }
    }
    added
}

/// The parts of `/proc/<pid>/stat` we use.
#[derive(Debug, PartialEq, Eq)]
struct Stat {
    comm: String,
    ppid: u32,
    start_ticks: Option<u64>,
}

/// Parses `pid (comm) state ppid ... starttime ...`. The comm may contain
/// spaces, '(' and ')': it ends at the LAST ')' in the file.
fn parse_stat(raw: &[u8]) -> Option<Stat> {
    let open = raw.iter().position(|&b| b == b'(')?;
    let close = raw.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let comm = String::from_utf8_lossy(raw.get(open + 1..close)?).into_owned();
    let rest = String::from_utf8_lossy(raw.get(close + 1..)?);
    // rest starts at field 3 (state): field N is at index N - 3.
    let mut fields = rest.split_ascii_whitespace();
    let _state = fields.next()?;
    let ppid = fields.next()?.parse::<u32>().ok()?;
    // starttime is field 22: 18 more fields after ppid (field 4).
    let start_ticks = fields.nth(17).and_then(|f| f.parse::<u64>().ok());
    Some(Stat { comm, ppid, start_ticks })
}

/// The real uid from the `Uid:\treal\teffective\tsaved\tfs` line.
fn parse_status_uid(raw: &[u8]) -> Option<u32> {
    let text = String::from_utf8_lossy(raw);
    let line = text.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_ascii_whitespace().next()?.parse().ok()
}

/// The exe path from a readlink target: " (deleted)" stripped, relative or
/// empty targets (not a path we can report) rejected.
fn exe_from_link(target: &str) -> Option<SharedStr> {
    let path = target.strip_suffix(DELETED_SUFFIX).unwrap_or(target);
    if !path.starts_with('/') {
        return None;
    }
    Some(Arc::from(path))
}

/// argv from the raw NUL-separated cmdline: trailing NULs (the terminator,
/// and padding left by processes that rewrite their title) dropped, the
/// rest split on NUL and joined by single spaces; empty → `None`.
fn cmdline_from_raw(raw: &[u8]) -> Option<SharedStr> {
    let end = raw.iter().rposition(|&b| b != 0)? + 1;
    let text = String::from_utf8_lossy(raw.get(..end)?);
    let joined: String = text.split('\0').collect::<Vec<_>>().join(" ");
    Some(Arc::from(joined))
}

/// The pid of a plain decimal directory name ("123"), rejecting "self", "+1", "".
fn parse_pid(name: &str) -> Option<u32> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// Clock ticks since boot → ns; `None` if it does not fit in u64.
fn ticks_to_ns(ticks: u64) -> Option<u64> {
    let hz = u128::from(clock_ticks_per_sec().max(1));
    u64::try_from(u128::from(ticks) * 1_000_000_000 / hz).ok()
}

/// `sysconf(_SC_CLK_TCK)`, read once; 100 if it reports nonsense.
fn clock_ticks_per_sec() -> u64 {
    static HZ: OnceLock<u64> = OnceLock::new();
    *HZ.get_or_init(|| {
        // SAFETY: sysconf has no preconditions and touches no memory of ours.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(hz).ok().filter(|&hz| hz > 0).unwrap_or(100)
    })
}

/// Reads at most `max` bytes of a file; `None` if it cannot be opened/read.
fn read_capped(path: &Path, max: u64) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let mut buf = Vec::new();
    file.take(max).read_to_end(&mut buf).ok()?;
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    /// A fake /proc tree in a unique temp dir, removed on drop.
    struct FakeProc {
        root: PathBuf,
    }

    impl FakeProc {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            let root = std::env::temp_dir().join(format!(
                "rand-guard-procfs-test-{}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed),
                nanos
            ));
            fs::create_dir_all(&root).unwrap();
            FakeProc { root }
        }

        fn dir(&self, name: &str) -> PathBuf {
            let d = self.root.join(name);
            fs::create_dir_all(&d).unwrap();
            d
        }

        fn stat(&self, pid: u32, comm: &str, ppid: u32, start: u64) {
            let line = format!(
                "{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0 \
                 1 2 0 0 20 0 1 0 {start} 1000000 100 18446744073709551615 \
                 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
            );
            fs::write(self.dir(&pid.to_string()).join("stat"), line).unwrap();
        }

        fn status_uid(&self, pid: u32, uid: u32) {
            let text = format!(
                "Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\n\
                 Uid:\t{uid}\t{}\t{uid}\t{uid}\nGid:\t0\t0\t0\t0\n",
                uid + 1
            );
            fs::write(self.dir(&pid.to_string()).join("status"), text).unwrap();
        }

        fn exe(&self, pid: u32, target: &str) {
            std::os::unix::fs::symlink(target, self.dir(&pid.to_string()).join("exe")).unwrap();
        }

        fn cmdline(&self, pid: u32, raw: &[u8]) {
            fs::write(self.dir(&pid.to_string()).join("cmdline"), raw).unwrap();
        }

        /// A complete, ordinary process.
        fn full(&self, pid: u32, comm: &str, ppid: u32) {
            self.stat(pid, comm, ppid, 500);
            self.status_uid(pid, 1000);
            self.exe(pid, &format!("/usr/bin/{comm}"));
            self.cmdline(pid, format!("{comm}\0--flag\0").as_bytes());
        }
    }

    impl Drop for FakeProc {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    #[test]
    fn reads_a_full_process() {
        let p = FakeProc::new();
        p.full(42, "nginx", 1);
        let i = read_process(&p.root, 42).unwrap();
        assert_eq!(i.pid, 42);
        assert_eq!(i.ppid, 1);
        assert_eq!(i.uid, 1000, "real uid, not effective");
        assert_eq!(i.comm, "nginx");
        assert_eq!(i.exe.as_deref(), Some("/usr/bin/nginx"));
        assert_eq!(i.cmdline.as_deref(), Some("nginx --flag"));
        let hz = clock_ticks_per_sec();
        assert_eq!(i.start_ns, Some(500 * 1_000_000_000 / hz));
        assert!(!i.exited);
    }

    #[test]
    fn comm_with_spaces_and_parentheses() {
        let p = FakeProc::new();
        p.full(7, "(a) b)", 3);
        let i = read_process(&p.root, 7).unwrap();
        assert_eq!(i.comm, "(a) b)");
        assert_eq!(i.ppid, 3);
        assert_eq!(i.start_ns, Some(500 * 1_000_000_000 / clock_ticks_per_sec()));

        // a comm that looks like fields
        p.stat(8, ") S 99 1 1 (", 4, 1);
        assert_eq!(read_process(&p.root, 8).unwrap().ppid, 4);
        assert_eq!(read_process(&p.root, 8).unwrap().comm, ") S 99 1 1 (");

        assert_eq!(parse_stat(b"1 () S 0 1"), Some(Stat { comm: String::new(), ppid: 0, start_ticks: None }));
    }

    #[test]
    fn deleted_exe_keeps_path() {
        let p = FakeProc::new();
        p.full(10, "x", 1);
        fs::remove_file(p.root.join("10/exe")).unwrap();
        p.exe(10, "/tmp/.hidden/payload (deleted)");
        let i = read_process(&p.root, 10).unwrap();
        assert_eq!(i.exe.as_deref(), Some("/tmp/.hidden/payload"));
        // only the trailing marker is stripped
        assert_eq!(exe_from_link("/tmp/a (deleted) b").as_deref(), Some("/tmp/a (deleted) b"));
        assert_eq!(exe_from_link("/x (deleted) (deleted)").as_deref(), Some("/x (deleted)"));
        assert_eq!(exe_from_link(""), None);
        assert_eq!(exe_from_link(" (deleted)"), None);
    }

    #[test]
    fn empty_cmdline_is_none() {
        let p = FakeProc::new();
        p.stat(2, "kthreadd", 0, 0);
        p.status_uid(2, 0);
        p.cmdline(2, b"");
        let i = read_process(&p.root, 2).unwrap();
        assert_eq!(i.cmdline, None);
        assert_eq!(i.exe, None);
        assert_eq!(i.uid, 0);
        assert_eq!(i.start_ns, Some(0));
        assert_eq!(cmdline_from_raw(b"\0\0\0"), None);
    }

    #[test]
    fn cmdline_joining() {
        let j = |raw: &[u8]| cmdline_from_raw(raw).map(|s| s.to_string());
        assert_eq!(j(b"sh\0-c\0echo hi\0").as_deref(), Some("sh -c echo hi"));
        assert_eq!(j(b"no-terminator").as_deref(), Some("no-terminator"));
        assert_eq!(j(b"a\0\0b\0").as_deref(), Some("a  b"), "empty argv kept");
        assert_eq!(j(b"title padded\0\0\0\0\0").as_deref(), Some("title padded"));
        assert_eq!(j(b"bad\xff\0utf8\0").as_deref(), Some("bad\u{fffd} utf8"));

        // long cmdlines are capped at the kernel's argv cap
        let p = FakeProc::new();
        p.stat(5, "big", 1, 0);
        p.cmdline(5, &vec![b'a'; 100_000]);
        let i = read_process(&p.root, 5).unwrap();
        assert_eq!(i.cmdline.map(|c| c.len()), Some(CMDLINE_READ_MAX));
    }

    #[test]
    fn missing_and_malformed_files() {
        let p = FakeProc::new();
        // no such pid
        assert!(read_process(&p.root, 999).is_none());
        // dir but no stat
        p.dir("11");
        assert!(read_process(&p.root, 11).is_none());
        // only stat: uid falls back to the dir owner, no exe/cmdline
        p.stat(12, "lonely", 1, 3);
        let i = read_process(&p.root, 12).unwrap();
        assert_eq!(i.exe, None);
        assert_eq!(i.cmdline, None);
        assert_eq!(i.uid, fs::metadata(p.root.join("12")).unwrap().uid());
        // status without a Uid line, exe a dangling relative link
        fs::write(p.root.join("12/status"), "Name:\tx\n").unwrap();
        p.exe(12, "relative/exe");
        let i = read_process(&p.root, 12).unwrap();
        assert_eq!(i.exe, None);
        // malformed stat files
        for bad in [
            &b""[..],
            b"13 noparen S 1",
            b"13 )backwards( S 1",
            b"13 (x) S",
            b"13 (x) S notanumber",
            b"13 (x) S -1",
            b"\xff\xfe(\xff)\xff",
        ] {
            fs::write(p.dir("13").join("stat"), bad).unwrap();
            assert!(read_process(&p.root, 13).is_none(), "{bad:?}");
        }
        // truncated stat: ppid present, start time missing
        fs::write(p.root.join("13/stat"), "13 (x) S 1 13 13").unwrap();
        assert_eq!(read_process(&p.root, 13).unwrap().start_ns, None);
        // bad Uid line
        assert_eq!(parse_status_uid(b"Uid:\n"), None);
        assert_eq!(parse_status_uid(b"Uid:\tabc\t1\n"), None);
        assert_eq!(parse_status_uid(b"Uid:\t5\t6\t7\t8\n"), Some(5));
        // absurd start time does not overflow
        assert_eq!(ticks_to_ns(u64::MAX), None);
        assert_eq!(ticks_to_ns(0), Some(0));
    }

    #[test]
    fn seed_ignores_non_numeric_and_skips_self() {
        let p = FakeProc::new();
        p.full(1, "init", 0);
        p.full(100, "sshd", 1);
        p.full(200, "bash", 100);
        p.full(300, "rand-guard", 1);
        p.dir("11"); // vanished mid-scan: no files
        for junk in ["self", "thread-self", "sys", "net", "+5", "-1", "1a", "99999999999"] {
            p.dir(junk);
        }
        fs::write(p.root.join("uptime"), "1.0 1.0\n").unwrap();
        fs::write(p.root.join("400"), "a file, not a dir").unwrap();

        let mut t = ProcessTable::new(64);
        // an entry already known from an event is not overwritten
        t.on_exec(200, 100, 0, "bash", Some(Arc::from("/bin/bash-event")), None, 1);
        let added = seed(&mut t, &p.root, 300);
        assert_eq!(added, 2);
        assert_eq!(t.len(), 3);
        assert!(t.get(300).is_none(), "the sensor itself is skipped");
        assert_eq!(t.get(1).unwrap().comm, "init");
        assert_eq!(t.get(200).unwrap().exe.as_deref(), Some("/bin/bash-event"));
        assert_eq!(t.parent(200).unwrap().exe.as_deref(), Some("/usr/bin/sshd"));

        // missing root
        let mut t = ProcessTable::new(4);
        assert_eq!(seed(&mut t, &p.root.join("nope"), 0), 0);
    }

    #[test]
    fn seed_overflow_keeps_low_pids() {
        let p = FakeProc::new();
        for pid in 1..=20 {
            p.full(pid, "p", 1);
        }
        let mut t = ProcessTable::new(5);
        assert_eq!(seed(&mut t, &p.root, 0), 20);
        assert_eq!(t.len(), 5);
        for pid in 1..=5 {
            assert!(t.get(pid).is_some(), "pid {pid}");
        }
    }

    #[test]
    fn real_proc_self() {
        let me = std::process::id();
        let i = read_process(Path::new("/proc"), me).unwrap();
        assert_eq!(i.pid, me);
        let exe = std::env::current_exe().unwrap();
        assert_eq!(i.exe.as_deref(), Some(exe.to_string_lossy().as_ref()));
        assert!(i.cmdline.as_deref().is_some_and(|c| !c.is_empty()));
        assert!(i.start_ns.is_some());
        assert_eq!(i.uid, unsafe { libc::getuid() });
        assert_eq!(i.ppid, std::os::unix::process::parent_id());
    }

    #[test]
    fn real_proc_seed_finds_init() {
        let me = std::process::id();
        let mut t = ProcessTable::new(100_000);
        let added = seed(&mut t, Path::new("/proc"), me);
        assert!(added >= 1);
        assert!(t.get(1).is_some(), "pid 1 seeded");
        assert!(t.get(me).is_none(), "self skipped");
    }
}
