//! Owns the file output: appends NDJSON to a file created 0600, rotates it
//! by size keeping N old files (`path.1` newest), and reopens it when
//! SIGHUP asks (logrotate moves the file, then signals). Every open and
//! rename goes through the directory `dir` holds open and checked.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::dir::{OpenError, OutputDir};
use super::{ErrorLog, LineKind, OutputError, OutputStats, Pending, Reopen, Sink};
use crate::config::permissions::Policy;
use crate::config::FileSpec;

pub struct FileSink {
    name: String,
    spec: FileSpec,
    dir: OutputDir,
    /// The file's name in `dir`.
    file_name: OsString,
    /// None until opened, after a failure, and while a FIFO has no reader.
    file: Option<File>,
    /// Bytes in the open file (for rotation).
    size: u64,
    reopen: Reopen,
    generation: u64,
    pending: Pending,
    errors: ErrorLog,
}

/// `name.N` for rotation.
fn numbered(name: &OsStr, n: u32) -> OsString {
    let mut s = name.to_owned();
    s.push(format!(".{n}"));
    s
}

/// The output's directory, checked with `policy`, and its file name.
fn locate(path: &Path, policy: &Policy) -> Result<(OutputDir, OsString), OpenError> {
    let (Some(dir), Some(file_name)) = (path.parent(), path.file_name()) else {
        return Err(OpenError::NoFileName);
    };
    Ok((OutputDir::open(dir, policy)?, file_name.to_owned()))
}

/// What `check-config` checks of a file output: the directories on the
/// way to it, as far as they exist (a missing one may be created before
/// the sensor starts, which reports it then; the file itself is judged
/// when the sensor opens it).
pub fn check_dir(path: &Path, policy: &Policy) -> Result<(), OpenError> {
    match locate(path, policy) {
        Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r.map(drop),
    }
}

impl FileSink {
    /// Opens the file now, so that a bad path, an insecure directory or
    /// something planted at the name fails at start. A FIFO that nobody
    /// reads yet is not waited for: its records count as failed until a
    /// reader comes.
    pub fn open(name: &str, spec: &FileSpec, reopen: Reopen, policy: &Policy) -> Result<FileSink, OutputError> {
        let err = |err| OutputError::Open { name: name.to_owned(), path: spec.path.display().to_string(), err };
        let (dir, file_name) = locate(&spec.path, policy).map_err(err)?;
        let file = dir.open_append(&file_name).map_err(err)?;
        let size = file.as_ref().and_then(|f| f.metadata().ok()).map_or(0, |m| m.len());
        Ok(FileSink {
            name: name.to_owned(),
            spec: spec.clone(),
            dir,
            file_name,
            file,
            size,
            generation: reopen.generation(),
            reopen,
            pending: Pending::default(),
            errors: ErrorLog::default(),
        })
    }

    fn ensure_open(&mut self) -> Result<(), OpenError> {
        let generation = self.reopen.generation();
        if generation != self.generation {
            self.generation = generation;
            self.file = None;
        }
        if self.file.is_none() {
            let f = self.dir.open_append(&self.file_name)?.ok_or(OpenError::NoReader)?;
            self.size = f.metadata().map(|m| m.len()).unwrap_or(0);
            self.file = Some(f);
        }
        Ok(())
    }

    /// name → name.1 → … → name.keep (the oldest falls off), then a new file.
    fn rotate(&mut self) -> Result<(), OpenError> {
        self.file = None;
        for n in (1..self.spec.keep).rev() {
            self.dir.rename(&numbered(&self.file_name, n), &numbered(&self.file_name, n + 1))?;
        }
        self.dir.rename(&self.file_name, &numbered(&self.file_name, 1))?;
        self.ensure_open()
    }

    fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), OpenError> {
        let Some(f) = self.file.as_mut() else {
            return Err(OpenError::Io(std::io::Error::other("file not open")));
        };
        f.write_all(chunk)?;
        self.size += chunk.len() as u64;
        Ok(())
    }

    /// Writes the pending lines, rotating between lines so that no file
    /// grows past `max_bytes` (unless one line alone is larger). Returns
    /// how many records were written.
    fn write_pending(&mut self) -> (u64, Option<OpenError>) {
        if let Err(e) = self.ensure_open() {
            // counted failed once, by the caller; not again at the next flush
            self.pending.clear();
            return (0, Some(e));
        }
        let pending = std::mem::take(&mut self.pending);
        let max = self.spec.max_bytes;
        let (mut start, mut chunk_start, mut written) = (0usize, 0usize, 0u64);
        let mut result = None;
        for (i, &end) in pending.ends.iter().enumerate() {
            let chunk_len = (end - chunk_start) as u64;
            if max > 0 && self.size + chunk_len > max && (self.size > 0 || start > chunk_start) {
                if let Err(e) = self.write_chunk(&pending.buf[chunk_start..start]).and_then(|()| self.rotate()) {
                    result = Some(e);
                    break;
                }
                written = i as u64;
                chunk_start = start;
            }
            start = end;
        }
        if result.is_none() {
            match self.write_chunk(&pending.buf[chunk_start..start]) {
                Ok(()) => written = pending.records,
                Err(e) => result = Some(e),
            }
        }
        self.pending = pending;
        self.pending.clear();
        (written, result)
    }
}

impl Sink for FileSink {
    fn push(&mut self, line: &[u8], _: LineKind, _: &OutputStats) {
        self.pending.push(line);
    }

    fn flush(&mut self, stats: &OutputStats, _: Option<Instant>) {
        let total = self.pending.records;
        if total == 0 {
            // Reopen promptly on SIGHUP even when idle.
            if self.reopen.generation() != self.generation && self.file.is_some() {
                match self.ensure_open() {
                    Ok(()) => self.errors.recovered(&self.name),
                    Err(e) => self.errors.failed(&self.name, format!("{}: {e}", self.spec.path.display())),
                }
            }
            return;
        }
        let (written, err) = self.write_pending();
        stats.sent(written);
        stats.failed(total - written);
        match err {
            Some(e) => {
                self.file = None; // reopen on the next write
                self.errors.failed(&self.name, format!("{}: {e}", self.spec.path.display()));
            }
            None => self.errors.recovered(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::path::PathBuf;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rg-file-sink-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn checked() -> Policy {
        Policy::for_this_process(false)
    }

    #[test]
    fn rotates_by_size_and_keeps_n_files() {
        let d = dir("rotate");
        let path = d.join("out.ndjson");
        let spec = FileSpec { path: path.clone(), max_bytes: 100, keep: 2 };
        let mut sink = FileSink::open("f", &spec, Reopen::default(), &checked()).unwrap();
        let stats = OutputStats::new("f", "file");
        let line = format!("{{\"n\":\"{}\"}}\n", "x".repeat(30)); // 39 bytes
        for _ in 0..10 {
            stats.queued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            sink.push(line.as_bytes(), LineKind::Telemetry, &stats);
        }
        sink.flush(&stats, None);
        assert_eq!(stats.snapshot().sent, 10);
        let mut names: Vec<_> = fs::read_dir(&d).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["out.ndjson", "out.ndjson.1", "out.ndjson.2"]);
        for name in &names {
            let p = d.join(name);
            let meta = fs::metadata(&p).unwrap();
            assert!(meta.len() <= 100, "{name:?} is {} bytes", meta.len());
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
            let text = fs::read_to_string(&p).unwrap();
            assert!(text.lines().all(|l| l == line.trim_end()), "whole lines only");
        }
        // 10 lines, two per file: 4 rotations, the two oldest fell off.
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 2);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn reopens_after_a_rename_when_asked() {
        let d = dir("reopen");
        let path = d.join("out.ndjson");
        let reopen = Reopen::default();
        let spec = FileSpec { path: path.clone(), max_bytes: 0, keep: 1 };
        let mut sink = FileSink::open("f", &spec, reopen.clone(), &checked()).unwrap();
        let stats = OutputStats::new("f", "file");
        fs::rename(&path, d.join("moved")).unwrap();
        reopen.request();
        sink.flush(&stats, None);
        assert!(path.exists(), "reopened while idle");
        stats.queued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        sink.push(b"{}\n", LineKind::Health, &stats);
        sink.flush(&stats, None);
        assert_eq!(fs::read_to_string(&path).unwrap(), "{}\n");
        assert_eq!(fs::read_to_string(d.join("moved")).unwrap(), "");
        fs::remove_dir_all(&d).unwrap();
    }

    fn push_one(sink: &mut FileSink, stats: &OutputStats) {
        stats.queued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        sink.push(b"{}\n", LineKind::Telemetry, stats);
        sink.flush(stats, None);
    }

    #[test]
    fn a_symlink_swapped_in_before_a_reopen_is_refused_and_counted_failed() {
        let d = dir("swap");
        let path = d.join("out.ndjson");
        let victim = d.join("victim");
        fs::write(&victim, "victim\n").unwrap();
        let reopen = Reopen::default();
        let spec = FileSpec { path: path.clone(), max_bytes: 0, keep: 1 };
        let mut sink = FileSink::open("f", &spec, reopen.clone(), &checked()).unwrap();
        let stats = OutputStats::new("f", "file");
        push_one(&mut sink, &stats);
        fs::rename(&path, d.join("moved")).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        reopen.request();
        push_one(&mut sink, &stats);
        push_one(&mut sink, &stats);
        let snap = stats.snapshot();
        assert_eq!((snap.sent, snap.failed), (1, 2), "{snap:?}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim\n");
        // the operator removes the link: records flow again
        fs::remove_file(&path).unwrap();
        push_one(&mut sink, &stats);
        assert_eq!(stats.snapshot().sent, 2);
        assert_eq!(fs::read_to_string(&path).unwrap(), "{}\n");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_fifo_nobody_reads_fails_its_records_without_blocking() {
        let d = dir("fifo");
        let path = d.join("pipe");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let spec = FileSpec { path: path.clone(), max_bytes: 0, keep: 1 };
        let mut sink = FileSink::open("f", &spec, Reopen::default(), &checked()).expect("not waited for");
        let stats = OutputStats::new("f", "file");
        push_one(&mut sink, &stats);
        assert_eq!(stats.snapshot().failed, 1);
        let mut reader = fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&path).expect("reader");
        push_one(&mut sink, &stats);
        assert_eq!(stats.snapshot().sent, 1, "a reader came: the next write reaches it");
        let mut got = [0u8; 3];
        std::io::Read::read_exact(&mut reader, &mut got).unwrap();
        assert_eq!(&got, b"{}\n");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_insecure_directory_fails_at_open_naming_output_path_and_reason() {
        let d = dir("insecure");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
        let spec = FileSpec { path: d.join("out.ndjson"), max_bytes: 0, keep: 1 };
        let Err(e) = FileSink::open("f", &spec, Reopen::default(), &checked()) else { panic!("opened") };
        let msg = e.to_string();
        let want = format!(
            "output f: cannot open {}/out.ndjson: {}: insecure output directory: it is writable by group and others",
            d.display(),
            d.display()
        );
        assert!(msg.starts_with(&want), "{msg}");
        assert!(!d.join("out.ndjson").exists());
        let policy = Policy { enabled: false, ..checked() };
        assert!(FileSink::open("f", &spec, Reopen::default(), &policy).is_ok(), "--allow-insecure-config");
        fs::remove_dir_all(&d).unwrap();
    }
}
