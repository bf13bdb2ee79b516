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
        Lines::new(text).location(offset)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A text with the start of each line indexed, for many lookups in one file.
#[derive(Debug, Clone)]
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// The line and column of byte `offset`.
    pub fn location(&self, offset: usize) -> Location {
        let mut off = offset.min(self.text.len());
        while off > 0 && !self.text.is_char_boundary(off) {
            off -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= off).max(1);
        let start = self.starts[line - 1];
        let col = self.text.get(start..off).map_or(0, |s| s.chars().count()) + 1;
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
        assert_eq!(lines.location(2), Location { line: 2, col: 1 });
        assert_eq!(lines.location(1), Location { line: 1, col: 2 });
    }
}
