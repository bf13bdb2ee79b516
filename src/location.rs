//! Owns `Location` and `Lines`: the one way a config or rule file names a
//! place in its text, a 1-based line and column.
//!
//! Both files are read with `toml_edit`, which gives byte spans; this turns
//! a byte offset into what an operator's editor shows.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub col: usize,
}

impl Location {
    /// The line and column of byte `offset` in `text` (clamped to the text,
    /// and back to the start of a character it falls inside).
    pub fn from_offset(text: &str, offset: usize) -> Location {
        Lines::new(text).location(text, offset)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Where each line of a text starts, for many lookups in one file.
#[derive(Debug, Clone)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    /// The line and column of byte `offset` in `text`, the text this index
    /// was built from.
    pub fn location(&self, text: &str, offset: usize) -> Location {
        let mut off = offset.min(text.len());
        while off > 0 && !text.is_char_boundary(off) {
            off -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= off).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let col = text.get(start..off).map_or(0, |s| s.chars().count()) + 1;
        Location { line, col }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_from_offset() {
        let text = "ab\ncdé\nf";
        let cases = [
            (0, 1, 1),
            (1, 1, 2),
            (2, 1, 3),
            (3, 2, 1),
            (5, 2, 3),
            (6, 2, 3), // inside 'é': clamps to its start
            (7, 2, 4),
            (8, 3, 1),
            (100, 3, 2),
        ];
        for (off, line, col) in cases {
            assert_eq!(Location::from_offset(text, off), Location { line, col }, "offset {off}");
        }
    }

    #[test]
    fn a_text_ending_in_a_newline_has_an_empty_last_line() {
        let lines = Lines::new("a\n");
        assert_eq!(lines.location("a\n", 2), Location { line: 2, col: 1 });
        assert_eq!(lines.location("a\n", 1), Location { line: 1, col: 2 });
    }
}
