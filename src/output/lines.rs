//! Record lines on their way to a network receiver: each NDJSON line with
//! its kind (syslog derives the message severity from it), and the one-byte
//! kind prefix they carry in the disk spool.

use super::LineKind;
use crate::record::Severity;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Lines {
    buf: Vec<u8>,
    /// End offset in `buf` of each line and its kind.
    lines: Vec<(usize, LineKind)>,
}

fn kind_byte(kind: LineKind) -> u8 {
    match kind {
        LineKind::Telemetry => b'T',
        LineKind::Health => b'H',
        LineKind::Alert(Severity::Info) => b'0',
        LineKind::Alert(Severity::Low) => b'1',
        LineKind::Alert(Severity::Medium) => b'2',
        LineKind::Alert(Severity::High) => b'3',
        LineKind::Alert(Severity::Critical) => b'4',
    }
}

/// The kind a spooled line's first byte names; telemetry for a byte no
/// version wrote (the line is still delivered).
fn byte_kind(b: u8) -> LineKind {
    match b {
        b'H' => LineKind::Health,
        b'0' => LineKind::Alert(Severity::Info),
        b'1' => LineKind::Alert(Severity::Low),
        b'2' => LineKind::Alert(Severity::Medium),
        b'3' => LineKind::Alert(Severity::High),
        b'4' => LineKind::Alert(Severity::Critical),
        _ => LineKind::Telemetry,
    }
}

impl Lines {
    /// Adds one line (ending in a newline).
    pub fn push(&mut self, line: &[u8], kind: LineKind) {
        self.buf.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            self.buf.push(b'\n');
        }
        self.lines.push((self.buf.len(), kind));
    }

    /// Adds one spooled line: kind byte, NDJSON line, newline.
    pub fn push_encoded(&mut self, line: &[u8]) {
        if let Some((&k, rest)) = line.split_first() {
            self.push(rest, byte_kind(k));
        }
    }

    /// The spool's form of these lines.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.buf.len() + self.lines.len());
        for (line, kind) in self.iter() {
            out.push(kind_byte(kind));
            out.extend_from_slice(line);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of the lines, newlines included.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.lines.clear();
    }

    /// Moves every line of `other` after these.
    pub fn append(&mut self, other: &mut Lines) {
        for (line, kind) in other.iter() {
            self.buf.extend_from_slice(line);
            self.lines.push((self.buf.len(), kind));
        }
        other.clear();
    }

    /// Each line (newline included) and its kind.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], LineKind)> {
        let mut start = 0;
        self.lines.iter().map(move |&(end, kind)| {
            let line = &self.buf[start..end];
            start = end;
            (line, kind)
        })
    }

    /// The lines in chunks of at most `n`.
    pub fn chunks(&self, n: usize) -> impl Iterator<Item = Lines> + '_ {
        self.lines.chunks(n.max(1)).scan(0usize, move |start, chunk| {
            let s = *start;
            let last = chunk.last().map_or(s, |c| c.0);
            *start = last;
            Some(Lines {
                buf: self.buf[s..last].to_vec(),
                lines: chunk.iter().map(|&(end, kind)| (end - s, kind)).collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spool_encoding_round_trips_every_kind() {
        let kinds = [
            LineKind::Telemetry,
            LineKind::Health,
            LineKind::Alert(Severity::Info),
            LineKind::Alert(Severity::Low),
            LineKind::Alert(Severity::Medium),
            LineKind::Alert(Severity::High),
            LineKind::Alert(Severity::Critical),
        ];
        let mut lines = Lines::default();
        for (i, k) in kinds.iter().enumerate() {
            lines.push(format!("{{\"n\":{i}}}\n").as_bytes(), *k);
        }
        let encoded = lines.encode();
        let mut back = Lines::default();
        for l in encoded.split_inclusive(|b| *b == b'\n') {
            back.push_encoded(l);
        }
        assert_eq!(back, lines);
        let chunks: Vec<Lines> = lines.chunks(3).collect();
        assert_eq!(chunks.iter().map(Lines::len).collect::<Vec<_>>(), [3, 3, 1]);
        let mut joined = Lines::default();
        for mut c in chunks {
            joined.append(&mut c);
        }
        assert_eq!(joined, lines);
    }
}
