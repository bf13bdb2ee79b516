//! Owns a network output's disk spool: record lines that could not be
//! delivered when they came (receiver down or slow), kept in order in
//! segment files under the output's spool directory until they are.
//!
//! On disk: `NNNNNNNNNNNNNNNNNNNN.seg` files, read in the order of their
//! numbers; each line is one kind byte (`T`elemetry, `H`ealth, `0`–`4`
//! an alert of that severity) then the record's NDJSON line. `cursor`
//! holds `SEQ OFFSET`: how far segment SEQ was delivered. A delivered
//! segment is deleted before the cursor moves past it, so every segment
//! file present holds records still to send; a crash between a delivery
//! and the cursor's update sends those records again (at-least-once).
//! `lock` is held with flock(2) while a sensor uses the directory.
//!
//! Durability: appends are fsynced at most once a second, at a segment's
//! end and at shutdown; a power loss keeps what was written up to the last
//! fsync, and a torn last line is cut off when the spool is opened again.
//!
//! Memory: one batch at a time is read back (at most `READ_BYTES`); the
//! spool itself keeps only per-segment counters.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
#[cfg(test)]
use std::os::unix::fs::PermissionsExt;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::lines::Lines;
use super::OutputStats;

/// How much of a segment one read-back takes at most.
const READ_BYTES: usize = 1 << 20;
/// The largest segment file; smaller spools use an eighth of their size.
const MAX_SEGMENT_BYTES: u64 = 64 << 20;
const MIN_SEGMENT_BYTES: u64 = 64 << 10;
/// Appends are made durable at least this often.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// Segment numbers start here so that a batch can be put back in front.
const FIRST_SEQ: u64 = 1 << 40;

#[derive(Debug, Error)]
pub enum SpoolError {
    #[error("spool directory {dir}: {err}")]
    Dir { dir: String, err: io::Error },
    #[error("spool directory {dir} is in use by another rand-guard (its lock file is held)")]
    Locked { dir: String },
}

/// One batch read back, to be acknowledged once delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    seq: u64,
    end: u64,
    records: u64,
}

impl Ticket {
    pub fn records(&self) -> u64 {
        self.records
    }
}

#[derive(Debug)]
struct Segment {
    seq: u64,
    /// Bytes in the file.
    bytes: u64,
    /// Records in the file after `read_off`.
    records: u64,
    /// Where delivery goes on in this file.
    read_off: u64,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    _lock: File,
    /// Oldest first; the last one is the one appended to.
    segments: VecDeque<Segment>,
    writer: Option<File>,
    /// Bytes in all segment files.
    bytes: u64,
    /// The batch being delivered, if any: its records stay counted until
    /// it is acknowledged (or dropped with its segment).
    inflight: Option<Ticket>,
    dirty: bool,
    last_sync: Instant,
}

fn seg_name(seq: u64) -> String {
    format!("{seq:020}.seg")
}

fn io_err(dir: &Path, err: io::Error) -> SpoolError {
    SpoolError::Dir { dir: dir.display().to_string(), err }
}

/// Counts newlines in `f` after `from`, and the offset just past the last one.
fn count_lines(f: &mut File, from: u64) -> io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 64 << 10];
    let (mut off, mut lines, mut end) = (from, 0u64, from);
    loop {
        let n = f.read_at(&mut buf, off)?;
        if n == 0 {
            return Ok((lines, end));
        }
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                lines += 1;
                end = off + i as u64 + 1;
            }
        }
        off += n as u64;
    }
}

/// Checks, without creating anything, that `dir` can be used as a spool:
/// it or its nearest existing parent is a directory this process may write.
pub fn check_dir(dir: &Path) -> Result<(), SpoolError> {
    let mut at = dir;
    loop {
        match fs::metadata(at) {
            Ok(md) if md.is_dir() => break,
            Ok(_) => return Err(io_err(dir, io::Error::other(format!("{} is not a directory", at.display())))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match at.parent() {
                Some(p) => at = p,
                None => return Err(io_err(dir, e)),
            },
            Err(e) => return Err(io_err(dir, e)),
        }
    }
    let c = std::ffi::CString::new(at.as_os_str().as_encoded_bytes())
        .map_err(|_| io_err(dir, io::Error::other("path contains a NUL byte")))?;
    // SAFETY: a valid C string; access(2) only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        let err = io::Error::last_os_error();
        return Err(io_err(dir, io::Error::new(err.kind(), format!("cannot write {}: {err}", at.display()))));
    }
    Ok(())
}

impl Spool {
    /// Opens (creating it 0700 if needed) and locks `dir`, and takes up
    /// what an earlier run left there. The records found are counted as
    /// `recovered` and `spooled` in `stats`.
    pub fn open(dir: &Path, max_bytes: u64, stats: &OutputStats) -> Result<Spool, SpoolError> {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| io_err(dir, e))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(dir.join("lock"))
            .map_err(|e| io_err(dir, e))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(SpoolError::Locked { dir: dir.display().to_string() });
        }
        // A probe write: a read-only or full file system fails here, at start.
        let probe = dir.join("probe");
        fs::write(&probe, b"rand-guard\n").and_then(|()| fs::remove_file(&probe)).map_err(|e| io_err(dir, e))?;
        let segment_bytes = (max_bytes / 8).clamp(MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
        let mut spool = Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            segment_bytes,
            _lock: lock,
            segments: VecDeque::new(),
            writer: None,
            bytes: 0,
            inflight: None,
            dirty: false,
            last_sync: Instant::now(),
        };
        spool.recover().map_err(|e| io_err(dir, e))?;
        let records = spool.records();
        stats.recovered.fetch_add(records, Relaxed);
        stats.spooled.fetch_add(records, Relaxed);
        stats.spool_bytes.store(spool.bytes, Relaxed);
        Ok(spool)
    }

    fn recover(&mut self) -> io::Result<()> {
        let cursor = fs::read_to_string(self.dir.join("cursor")).ok().and_then(|t| {
            let (seq, off) = t.trim().split_once(' ')?;
            Some((seq.parse::<u64>().ok()?, off.parse::<u64>().ok()?))
        });
        let mut seqs: Vec<u64> = fs::read_dir(&self.dir)?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".seg")?.parse().ok())
            .collect();
        seqs.sort_unstable();
        for seq in seqs {
            let path = self.dir.join(seg_name(seq));
            let mut f = OpenOptions::new().read(true).write(true).open(&path)?;
            let len = f.metadata()?.len();
            let read_off = match cursor {
                Some((s, off)) if s == seq => off.min(len),
                _ => 0,
            };
            let (_, whole) = count_lines(&mut f, 0)?;
            if whole < len {
                f.set_len(whole)?; // a torn last line
            }
            let (records, _) = count_lines(&mut f, read_off.min(whole))?;
            if records == 0 {
                fs::remove_file(&path)?;
                continue;
            }
            self.bytes += whole;
            self.segments.push_back(Segment { seq, bytes: whole, records, read_off: read_off.min(whole) });
        }
        Ok(())
    }

    /// Records waiting in the spool (the batch in delivery included).
    pub fn records(&self) -> u64 {
        self.segments.iter().map(|s| s.records).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(seg_name(seq))
    }

    /// Appends `lines` after everything spooled. The records move from
    /// `queued` to `spooled`; when the spool is full the oldest segments
    /// go first, counted as dropped.
    pub fn append(&mut self, lines: &Lines, stats: &OutputStats) -> io::Result<()> {
        self.put(lines, stats, false)
    }

    /// Puts `lines` (records still counted as queued, older than anything
    /// spooled) in front of the spool, to be sent first. A full spool then
    /// drops them first: they are the oldest.
    pub fn prepend(&mut self, lines: &Lines, stats: &OutputStats) -> io::Result<()> {
        self.put(lines, stats, true)
    }

    fn put(&mut self, lines: &Lines, stats: &OutputStats, front: bool) -> io::Result<()> {
        let n = lines.len() as u64;
        if n == 0 {
            return Ok(());
        }
        stats.moved_to_spool(n);
        let encoded = lines.encode();
        let len = encoded.len() as u64;
        if len > self.max_bytes {
            stats.spool_drop(n);
            return Ok(());
        }
        let result = if front && !self.segments.is_empty() {
            self.write_front(&encoded, n)
        } else {
            self.make_room(len, stats).and_then(|()| self.write_back(&encoded, n))
        };
        if result.is_err() {
            stats.spool_drop(n);
        }
        stats.spool_bytes.store(self.bytes, Relaxed);
        result
    }

    fn write_back(&mut self, encoded: &[u8], n: u64) -> io::Result<()> {
        let len = encoded.len() as u64;
        if self.writer.is_none() || self.segments.back().is_none_or(|s| s.bytes >= self.segment_bytes) {
            self.sync()?;
            let seq = self.segments.back().map_or(FIRST_SEQ, |s| s.seq + 1);
            self.writer = Some(self.create(seq)?);
            self.segments.push_back(Segment { seq, bytes: 0, records: 0, read_off: 0 });
        }
        let (Some(w), Some(seg)) = (self.writer.as_mut(), self.segments.back_mut()) else {
            return Err(io::Error::other("spool writer missing"));
        };
        if let Err(e) = w.write_all(encoded) {
            // cut off what did get written, so the file stays whole lines
            let _ = w.set_len(seg.bytes);
            self.writer = None;
            return Err(e);
        }
        seg.bytes += len;
        seg.records += n;
        self.bytes += len;
        self.dirty = true;
        Ok(())
    }

    fn write_front(&mut self, encoded: &[u8], n: u64) -> io::Result<()> {
        let seq = self.segments.front().map_or(FIRST_SEQ, |s| s.seq - 1);
        let mut f = self.create(seq)?;
        if let Err(e) = f.write_all(encoded).and_then(|()| f.sync_data()) {
            let _ = fs::remove_file(self.path(seq));
            return Err(e);
        }
        let len = encoded.len() as u64;
        self.segments.push_front(Segment { seq, bytes: len, records: n, read_off: 0 });
        self.bytes += len;
        Ok(())
    }

    fn create(&self, seq: u64) -> io::Result<File> {
        let f = OpenOptions::new().create_new(true).append(true).mode(0o600).open(self.path(seq))?;
        // the new name itself must survive a power loss
        File::open(&self.dir)?.sync_all()?;
        Ok(f)
    }

    /// Drops the oldest segments until `len` more bytes fit.
    fn make_room(&mut self, len: u64, stats: &OutputStats) -> io::Result<()> {
        while self.bytes + len > self.max_bytes {
            let Some(seg) = self.segments.pop_front() else { break };
            let mut lost = seg.records;
            if let Some(t) = self.inflight.filter(|t| t.seq == seg.seq) {
                // in delivery: its ack or nack still accounts for those
                lost -= t.records;
                self.inflight = Some(Ticket { seq: 0, ..t });
            }
            stats.spool_drop(lost);
            self.bytes -= seg.bytes;
            if self.segments.is_empty() {
                self.writer = None;
            }
            fs::remove_file(self.path(seg.seq))?;
        }
        stats.spool_bytes.store(self.bytes, Relaxed);
        Ok(())
    }

    /// Reads the next batch to deliver into `out` (at most `max_records`),
    /// or None when the spool is empty or a batch is already in delivery.
    pub fn read(&mut self, max_records: usize, out: &mut Lines) -> io::Result<Option<Ticket>> {
        out.clear();
        if self.inflight.is_some() {
            return Ok(None);
        }
        let Some(seg) = self.segments.front() else { return Ok(None) };
        let (seq, off) = (seg.seq, seg.read_off);
        let f = File::open(self.path(seq))?;
        let mut buf = vec![0u8; READ_BYTES.min((seg.bytes - off) as usize)];
        let n = f.read_at(&mut buf, off)?;
        buf.truncate(n);
        let mut end = 0usize;
        for line in buf.split_inclusive(|b| *b == b'\n') {
            if out.len() >= max_records || !line.ends_with(b"\n") {
                break;
            }
            out.push_encoded(line);
            end += line.len();
        }
        if out.is_empty() && seg.bytes > off {
            // a line longer than a read: nothing sane wrote it; skip the segment's rest
            let ticket = Ticket { seq, end: seg.bytes, records: seg.records };
            self.inflight = Some(ticket);
            return Ok(Some(ticket));
        }
        let ticket = Ticket { seq, end: off + end as u64, records: out.len() as u64 };
        self.inflight = Some(ticket);
        Ok(Some(ticket))
    }

    /// The batch of `ticket` is done with: delivered (`sent`) but for
    /// `refused` of its records, which are given up for good (`failed`).
    pub fn ack(&mut self, ticket: Ticket, refused: u64, stats: &OutputStats) -> io::Result<()> {
        self.inflight = None;
        let n = ticket.records;
        let refused = refused.min(n);
        stats.sent_from_spool(n - refused);
        stats.spooled.fetch_sub(refused, Relaxed);
        stats.failed.fetch_add(refused, Relaxed);
        let Some(seg) = self.segments.front_mut().filter(|s| s.seq == ticket.seq) else {
            return Ok(()); // its segment was dropped while in delivery
        };
        seg.read_off = ticket.end;
        seg.records -= n.min(seg.records);
        let done = seg.read_off >= seg.bytes;
        let (seq, off) = (seg.seq, seg.read_off);
        if done {
            let bytes = seg.bytes;
            self.segments.pop_front();
            if self.segments.is_empty() {
                self.writer = None;
            }
            self.bytes -= bytes;
            fs::remove_file(self.path(seq))?;
            stats.spool_bytes.store(self.bytes, Relaxed);
            match self.segments.front() {
                Some(next) => self.write_cursor(next.seq, next.read_off),
                None => Ok(()),
            }
        } else {
            self.write_cursor(seq, off)
        }
    }

    /// The batch of `ticket` could not be sent now: it stays first.
    pub fn retry_later(&mut self, ticket: Ticket, stats: &OutputStats) {
        self.inflight = None;
        if ticket.seq == 0 {
            // its segment was dropped meanwhile: it is lost with it
            stats.spool_drop(ticket.records);
        }
    }

    fn write_cursor(&self, seq: u64, off: u64) -> io::Result<()> {
        let tmp = self.dir.join("cursor.tmp");
        fs::write(&tmp, format!("{seq} {off}\n"))?;
        fs::rename(tmp, self.dir.join("cursor"))
    }

    /// Makes appends durable when a second has passed since the last time.
    pub fn sync_if_due(&mut self) -> io::Result<()> {
        if self.dirty && self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    pub fn sync(&mut self) -> io::Result<()> {
        if self.dirty {
            if let Some(w) = &self.writer {
                w.sync_data()?;
            }
        }
        self.dirty = false;
        self.last_sync = Instant::now();
        Ok(())
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = self.sync();
    }
}

#[cfg(test)]
#[path = "spool_tests.rs"]
mod tests;
