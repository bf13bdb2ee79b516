//! Owns the file output: appends NDJSON to a file created 0600, rotates it
//! by size keeping N old files (`path.1` newest), and reopens it when
//! SIGHUP asks (logrotate moves the file, then signals).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{ErrorLog, LineKind, OutputError, OutputStats, Pending, Reopen, Sink};
use crate::config::FileSpec;

pub struct FileSink {
    name: String,
    spec: FileSpec,
    file: Option<File>,
    /// Bytes in the open file (for rotation).
    size: u64,
    reopen: Reopen,
    generation: u64,
    pending: Pending,
    errors: ErrorLog,
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).mode(0o600).open(path)
}

/// `path.N` for rotation.
fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl FileSink {
    /// Opens the file now so a bad path fails at start; a FIFO is opened by
    /// the output's own thread instead (opening it blocks until a reader
    /// comes).
    pub fn open(name: &str, spec: &FileSpec, reopen: Reopen) -> Result<FileSink, OutputError> {
        let is_fifo = fs::metadata(&spec.path).is_ok_and(|m| m.file_type().is_fifo());
        let file = if is_fifo {
            None
        } else {
            Some(open_append(&spec.path).map_err(|err| OutputError::Open {
                name: name.to_owned(),
                path: spec.path.display().to_string(),
                err,
            })?)
        };
        let size = file.as_ref().and_then(|f| f.metadata().ok()).map_or(0, |m| m.len());
        Ok(FileSink {
            name: name.to_owned(),
            spec: spec.clone(),
            file,
            size,
            generation: reopen.generation(),
            reopen,
            pending: Pending::default(),
            errors: ErrorLog::default(),
        })
    }

    fn ensure_open(&mut self) -> io::Result<()> {
        let generation = self.reopen.generation();
        if generation != self.generation {
            self.generation = generation;
            self.file = None;
        }
        if self.file.is_none() {
            let f = open_append(&self.spec.path)?;
            self.size = f.metadata().map(|m| m.len()).unwrap_or(0);
            self.file = Some(f);
        }
        Ok(())
    }

    /// path → path.1 → … → path.keep (the oldest falls off), then a new file.
    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        for n in (1..self.spec.keep).rev() {
            let from = numbered(&self.spec.path, n);
            if from.exists() {
                fs::rename(&from, numbered(&self.spec.path, n + 1))?;
            }
        }
        match fs::rename(&self.spec.path, numbered(&self.spec.path, 1)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        self.ensure_open()
    }

    fn write_chunk(&mut self, chunk: &[u8]) -> io::Result<()> {
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("file not open"));
        };
        f.write_all(chunk)?;
        self.size += chunk.len() as u64;
        Ok(())
    }

    /// Writes the pending lines, rotating between lines so that no file
    /// grows past `max_bytes` (unless one line alone is larger). Returns
    /// how many records were written.
    fn write_pending(&mut self) -> (u64, Option<io::Error>) {
        if let Err(e) = self.ensure_open() {
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
                let _ = self.ensure_open();
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
    use std::os::unix::fs::PermissionsExt;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rg-file-sink-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn rotates_by_size_and_keeps_n_files() {
        let d = dir("rotate");
        let path = d.join("out.ndjson");
        let spec = FileSpec { path: path.clone(), max_bytes: 100, keep: 2 };
        let mut sink = FileSink::open("f", &spec, Reopen::default()).unwrap();
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
        let mut sink = FileSink::open("f", &spec, reopen.clone()).unwrap();
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
}
