//! `exe_sha256` on `process_exec`: the SHA-256 of the executable, computed
//! off the hot path by one worker thread (`rg-exe-hash`) fed through a
//! bounded queue, and cached by what identifies one version of a file:
//! (device, inode, mtime, size).
//!
//! On each exec the normalize thread `stat`s the file (one syscall) and
//! looks the key up: a file hashed before gives its hash at once; a new one
//! is queued for the worker and the record carries null (pending). Records
//! are never held back. A file larger than `[process] hash_max_bytes` is
//! never read: null, cached as such. When the queue is full the file is not
//! queued, and the next exec of it tries again.
//!
//! Which file: `/proc/<pid>/exe`, the image the process runs, even if its
//! path was replaced or lies in another mount namespace. A process that
//! already exited has no such link; then the path in `exe` is used, but
//! only if the parent is alive and in the sensor's own mount namespace
//! (the path names the same file for the sensor as for the process); else
//! the hash is null. The worker hashes a file only if its key is still the
//! one looked up, so a hash always belongs to the (dev, inode, mtime, size)
//! it is cached under.

use std::fs::{self, File, Metadata};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::thread;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use sha2::{Digest, Sha256};

use crate::process::table::SharedStr;

/// Files waiting for the worker.
pub const QUEUE: usize = 64;
/// Hashes (or "over the cap") held; beyond it, one is forgotten per new file.
pub const MAX_CACHED: usize = 4096;

/// What identifies one version of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileKey {
    pub dev: u64,
    pub ino: u64,
    pub mtime: i64,
    pub mtime_nsec: i64,
    pub size: u64,
}

impl FileKey {
    pub fn of(meta: &Metadata) -> FileKey {
        FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            size: meta.size(),
        }
    }
}

/// A file for the worker: read the first path whose key is still `key`.
#[derive(Debug)]
struct Job {
    key: FileKey,
    paths: Vec<PathBuf>,
}

/// What the worker found: `Some(hash)`, `None` if the file changed or
/// could not be read (not cached: the next exec tries again).
#[derive(Debug)]
struct Done {
    key: FileKey,
    hash: Option<SharedStr>,
}

/// The normalize thread's side: the cache and the queue to the worker.
#[derive(Debug)]
pub struct ExeHasher {
    max_bytes: u64,
    /// None: over the cap, never hashed.
    cache: HashMap<FileKey, Option<SharedStr>>,
    pending: HashSet<FileKey>,
    jobs: Sender<Job>,
    done: Receiver<Done>,
    proc_root: PathBuf,
    /// The sensor's mount namespace (`/proc/self/ns/mnt` link text).
    own_mnt: Option<PathBuf>,
}

impl ExeHasher {
    /// Starts the worker. `max_bytes`: larger files are not hashed.
    pub fn start(max_bytes: u64, proc_root: &Path) -> std::io::Result<ExeHasher> {
        let (jobs, job_rx) = bounded::<Job>(QUEUE);
        let (done_tx, done) = bounded::<Done>(QUEUE);
        thread::Builder::new().name("rg-exe-hash".into()).spawn(move || {
            // ends when the hasher (the only sender) is dropped
            for job in job_rx {
                let hash = hash_job(&job);
                if done_tx.send(Done { key: job.key, hash }).is_err() {
                    return;
                }
            }
        })?;
        Ok(ExeHasher {
            max_bytes,
            cache: HashMap::default(),
            pending: HashSet::default(),
            jobs,
            done,
            proc_root: proc_root.to_path_buf(),
            own_mnt: fs::read_link(proc_root.join("self/ns/mnt")).ok(),
        })
    }

    /// The hash of what `pid` exec'd (`exe` its path, `ppid` its parent),
    /// if known now; else queues the file and returns None.
    pub fn lookup(&mut self, pid: u32, ppid: u32, exe: Option<&str>) -> Option<SharedStr> {
        let link = self.proc_root.join(pid.to_string()).join("exe");
        let (key, paths) = match fs::metadata(&link) {
            Ok(meta) => (FileKey::of(&meta), [Some(link), exe.map(PathBuf::from)].into_iter().flatten().collect()),
            Err(_) => {
                let exe = exe?;
                if !self.same_mount_ns(ppid) {
                    return None;
                }
                (FileKey::of(&fs::metadata(exe).ok()?), vec![PathBuf::from(exe)])
            }
        };
        self.hash_of(key, paths)
    }

    /// The hash cached for `key`, else None after queueing `paths` for it.
    pub fn hash_of(&mut self, key: FileKey, paths: Vec<PathBuf>) -> Option<SharedStr> {
        self.collect();
        if let Some(h) = self.cache.get(&key) {
            return h.clone();
        }
        if key.size > self.max_bytes {
            self.remember(key, None);
            return None;
        }
        if self.pending.contains(&key) {
            return None;
        }
        match self.jobs.try_send(Job { key, paths }) {
            Ok(()) => {
                self.pending.insert(key);
            }
            // full: the next exec of this file tries again; disconnected:
            // the worker is gone (it never panics), so hashes stay null
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
        None
    }

    /// Takes in what the worker finished.
    pub fn collect(&mut self) {
        while let Ok(d) = self.done.try_recv() {
            self.pending.remove(&d.key);
            if let Some(h) = d.hash {
                self.remember(d.key, Some(h));
            }
        }
    }

    /// Files waiting for or being hashed by the worker.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Hashes held (and files known to be over the cap).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    fn remember(&mut self, key: FileKey, hash: Option<SharedStr>) {
        if self.cache.len() >= MAX_CACHED && !self.cache.contains_key(&key) {
            if let Some(old) = self.cache.keys().next().copied() {
                self.cache.remove(&old);
            }
        }
        self.cache.insert(key, hash);
    }

    /// `ppid` is alive and in the sensor's mount namespace.
    fn same_mount_ns(&self, ppid: u32) -> bool {
        let Some(own) = &self.own_mnt else {
            return false;
        };
        ppid != 0 && fs::read_link(self.proc_root.join(ppid.to_string()).join("ns/mnt")).ok().as_ref() == Some(own)
    }
}

/// The worker's part: the first of the job's paths whose key is still the
/// job's, hashed; None if none is.
fn hash_job(job: &Job) -> Option<SharedStr> {
    job.paths.iter().find_map(|p| {
        let mut f = File::open(p).ok()?;
        let meta = f.metadata().ok()?;
        if FileKey::of(&meta) != job.key {
            return None;
        }
        sha256_hex(&mut f, job.key.size).ok()
    })
}

/// SHA-256 of at most `len` bytes of `r`, in lowercase hex.
pub fn sha256_hex(r: &mut impl Read, len: u64) -> std::io::Result<SharedStr> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut r = r.take(len);
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let mut out = String::with_capacity(64);
    for b in h.finalize() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    Ok(SharedStr::from(out))
}

#[cfg(test)]
#[path = "exe_hash_tests.rs"]
mod tests;
