//! Owns `ConfigError` and `Location`: every way loading a config can fail, each naming the file, line:column and key.

use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub col: usize,
}

impl Location {
    /// The line and column of byte `offset` in `text` (clamped to the text).
    pub fn from_offset(text: &str, offset: usize) -> Location {
        let mut off = offset.min(text.len());
        while off > 0 && !text.is_char_boundary(off) {
            off -= 1;
        }
        let before = text.get(..off).unwrap_or("");
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Location { line, col }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// `":line:col"` or nothing, to follow a file name.
pub(crate) struct At(pub Option<Location>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(loc) => write!(f, ":{loc}"),
            None => Ok(()),
        }
    }
}

/// Why a config could not be loaded. Every variant's message starts with
/// `FILE[:LINE:COL]: ` and, where one key is at fault, names it as a dotted
/// path (`file.watch_paths[2]`).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, permissions, not UTF-8).
    #[error("{}: cannot read: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// The text is not valid TOML.
    #[error("{}{}: invalid TOML: {message}", path.display(), At(*location))]
    Syntax { path: PathBuf, location: Option<Location>, message: String },
    /// A key that no part of rand-guard knows.
    #[error("{}{}: unknown key `{key}` (expected one of: {expected})", path.display(), At(*location))]
    UnknownKey { path: PathBuf, location: Option<Location>, key: String, expected: String },
    /// A known key with a value of the wrong type, out of range or unsupported.
    #[error("{}{}: {key}: {message}", path.display(), At(*location))]
    Invalid { path: PathBuf, location: Option<Location>, key: String, message: String },
}

impl ConfigError {
    /// Process exit code for a config error: always 2 (usage/config error).
    pub fn exit_code(&self) -> i32 {
        2
    }

    /// Where in the file the error is, when known.
    pub fn location(&self) -> Option<Location> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { location, .. }
            | ConfigError::UnknownKey { location, .. }
            | ConfigError::Invalid { location, .. } => *location,
        }
    }

    /// The dotted key at fault, when there is one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Read { .. } | ConfigError::Syntax { .. } => None,
            ConfigError::UnknownKey { key, .. } | ConfigError::Invalid { key, .. } => Some(key),
        }
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
    fn read_error_message_and_exit_code() {
        let e = ConfigError::Read {
            path: PathBuf::from("/etc/rand-guard.toml"),
            source: std::io::Error::from_raw_os_error(13),
        };
        assert_eq!(e.to_string(), "/etc/rand-guard.toml: cannot read: Permission denied (os error 13)");
        assert_eq!(e.exit_code(), 2);
    }
}
