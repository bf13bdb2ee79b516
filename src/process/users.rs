//! User names for uids (`user`, `euser` on records), from the host's
//! `/etc/passwd`, parsed here: the sensor is a static binary and must not
//! call NSS (`getpwuid`) on its hot path.
//!
//! The names are held in memory and looked up without a syscall. The file
//! is checked (one `stat`) at most once a second of event time, and at the
//! next record after the sensor reports a write to or rename onto it; it is
//! read again only when its device, inode, size or mtime changed. A uid the
//! file does not list (a directory service's user, a container's) has no
//! name: null, never a guess.

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap as HashMap;

use crate::process::table::SharedStr;

/// The file read by default.
pub const PASSWD: &str = "/etc/passwd";

/// At most this much of the file is read, and at most this many names
/// kept: a huge file costs bounded memory (beyond it, uids have no name).
const MAX_BYTES: u64 = 8 << 20;
const MAX_NAMES: usize = 65_536;

/// Event time between two checks of the file.
const CHECK_INTERVAL_NS: u64 = 1_000_000_000;

/// What identifies one version of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

/// uid → name, refreshed from a passwd file.
#[derive(Debug)]
pub struct Users {
    /// None: a fixed table (tests, replays), never re-read.
    path: Option<PathBuf>,
    names: HashMap<u32, SharedStr>,
    stamp: Option<Stamp>,
    /// Event time (ns) of the last check; the next is a second later.
    checked_ns: Option<u64>,
    /// A write to the file was seen: check at the next record.
    changed: bool,
    reloads: u64,
}

impl Users {
    /// No names at all.
    pub fn none() -> Users {
        Users::fixed(HashMap::default())
    }

    /// Names from `text` in passwd format, never re-read.
    pub fn from_text(text: &str) -> Users {
        Users::fixed(parse_passwd(text))
    }

    fn fixed(names: HashMap<u32, SharedStr>) -> Users {
        Users { path: None, names, stamp: None, checked_ns: None, changed: false, reloads: 0 }
    }

    /// Names from the passwd file at `path`, read now and again when it
    /// changes. A missing or unreadable file gives no names (until it can
    /// be read).
    pub fn load(path: &Path) -> Users {
        let mut u = Users { path: Some(path.to_path_buf()), ..Users::none() };
        u.reload();
        u
    }

    /// The name of `uid`, if the file lists it.
    pub fn name(&self, uid: u32) -> Option<SharedStr> {
        self.names.get(&uid).cloned()
    }

    /// How many names are held.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// How many times the file was read (the first load included).
    pub fn reloads(&self) -> u64 {
        self.reloads
    }

    /// The path of the file, if names come from one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The sensor saw the file written or replaced: check it at the next
    /// [`refresh`](Self::refresh).
    pub fn mark_changed(&mut self) {
        self.changed = true;
    }

    /// Called for every record with its event time: checks the file when a
    /// second has passed since the last check, or a change was seen.
    pub fn refresh(&mut self, now_ns: u64) {
        if self.path.is_none() {
            return;
        }
        let due = match self.checked_ns {
            Some(t) => now_ns.saturating_sub(t) >= CHECK_INTERVAL_NS || now_ns < t,
            None => true,
        };
        if due || self.changed {
            self.checked_ns = Some(now_ns);
            self.changed = false;
            self.reload();
        }
    }

    /// Reads the file again if it is not the version held.
    fn reload(&mut self) {
        let Some(path) = &self.path else {
            return;
        };
        let Ok(meta) = fs::metadata(path) else {
            // gone: keep the names held (a rename over it is about to land)
            return;
        };
        let stamp = Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
        };
        if self.stamp == Some(stamp) {
            return;
        }
        let mut text = Vec::new();
        let read = File::open(path).and_then(|f| f.take(MAX_BYTES).read_to_end(&mut text));
        if read.is_err() {
            return;
        }
        self.names = parse_passwd(&String::from_utf8_lossy(&text));
        self.stamp = Some(stamp);
        self.reloads += 1;
    }
}

/// uid → name from passwd(5) text: `name:password:uid:gid:gecos:home:shell`.
/// Comments, blank lines, NIS `+`/`-` lines and lines whose uid is not a
/// number are skipped; when two lines give one uid the first wins, as
/// `getpwuid` does.
pub fn parse_passwd(text: &str) -> HashMap<u32, SharedStr> {
    let mut names: HashMap<u32, SharedStr> = HashMap::default();
    for line in text.lines() {
        if names.len() >= MAX_NAMES {
            break;
        }
        let mut parts = line.split(':');
        let (Some(name), Some(_), Some(uid)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.starts_with('#') || name.starts_with('+') || name.starts_with('-') {
            continue;
        }
        let Ok(uid) = uid.trim().parse::<u32>() else {
            continue;
        };
        names.entry(uid).or_insert_with(|| SharedStr::from(name));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # a comment\n\
        \n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        toor:x:0:0:second root:/root:/bin/sh\n\
        +nisuser::::::\n\
        broken:x:notanumber:1::/:\n\
        short:x\n";

    #[test]
    fn parses_names_and_skips_what_is_not_an_entry() {
        let names = parse_passwd(SAMPLE);
        assert_eq!(names.get(&0).map(|s| &**s), Some("root"), "the first line for a uid wins");
        assert_eq!(names.get(&1).map(|s| &**s), Some("daemon"));
        assert_eq!(names.get(&65534).map(|s| &**s), Some("nobody"));
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn a_fixed_table_answers_and_unknown_uids_have_no_name() {
        let u = Users::from_text(SAMPLE);
        assert_eq!(u.name(65534).as_deref(), Some("nobody"));
        assert_eq!(u.name(4242), None);
        assert_eq!(Users::none().name(0), None);
    }

    fn write(path: &Path, text: &str) {
        fs::write(path, text).expect("write passwd");
    }

    #[test]
    fn a_changed_file_is_read_again_at_most_once_a_second() {
        let dir = std::env::temp_dir().join(format!("rg-users-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("passwd");
        write(&path, "root:x:0:0::/:/bin/sh\n");
        let mut u = Users::load(&path);
        assert_eq!(u.name(0).as_deref(), Some("root"));
        assert_eq!(u.reloads(), 1);
        u.refresh(10_000_000_000);
        assert_eq!(u.reloads(), 1, "an unchanged file is not read again");

        // a new user, written with a different size: not seen until a second passed
        write(&path, "root:x:0:0::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
        u.refresh(10_500_000_000);
        assert_eq!(u.name(1000), None, "checked at most once a second");
        u.refresh(11_000_000_000);
        assert_eq!(u.name(1000).as_deref(), Some("alice"));
        assert_eq!(u.reloads(), 2);

        // a rename over the file, reported by the sensor: read at the next record
        let tmp = dir.join("passwd+");
        write(&tmp, "root:x:0:0::/:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n");
        fs::rename(&tmp, &path).expect("rename");
        u.refresh(11_100_000_000);
        assert_eq!(u.name(1000).as_deref(), Some("alice"), "not due yet");
        u.mark_changed();
        u.refresh(11_200_000_000);
        assert_eq!(u.name(1000).as_deref(), Some("bob"));

        // the file gone for a moment: the names held stay
        fs::remove_file(&path).expect("rm");
        u.refresh(20_000_000_000);
        assert_eq!(u.name(1000).as_deref(), Some("bob"));
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_missing_file_gives_no_names() {
        let u = Users::load(Path::new("/nonexistent/passwd"));
        assert!(u.is_empty());
        assert_eq!(u.name(0), None);
    }
}
