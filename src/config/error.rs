//! Owns `ConfigError`: every way loading a config can fail, each naming the file, line:column (`crate::location`) and key.

use std::fmt;
use std::path::PathBuf;

pub use crate::location::Location;

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
    fn read_error_message_and_exit_code() {
        let e = ConfigError::Read {
            path: PathBuf::from("/etc/rand-guard.toml"),
            source: std::io::Error::from_raw_os_error(13),
        };
        assert_eq!(e.to_string(), "/etc/rand-guard.toml: cannot read: Permission denied (os error 13)");
        assert_eq!(e.exit_code(), 2);
    }
}
