//! Owns the sensor's own messages on stderr and their level (`agent.log_level`).
//!
//! Every message starts with `rand-guard: `. Fatal errors (the one line
//! `main` prints before exiting) are always written; everything else goes
//! through the macros here and is written only when its level is at or
//! above the configured one: `error` for failures the sensor survives,
//! `warn` for config notes and degraded outputs, `info` for start-up,
//! reload and recovery lines, `debug` for what was attached and opened,
//! `trace` for per-source detail. The level is process-wide and changes
//! on SIGHUP without a restart.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

/// `agent.log_level`, most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// Every level by its config name, most severe first.
    pub(crate) const CHOICES: &'static [(&'static str, LogLevel)] = &[
        ("error", LogLevel::Error),
        ("warn", LogLevel::Warn),
        ("info", LogLevel::Info),
        ("debug", LogLevel::Debug),
        ("trace", LogLevel::Trace),
    ];

    /// The name as written in the config.
    pub fn name(&self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    fn from_u8(v: u8) -> LogLevel {
        match v {
            0 => LogLevel::Error,
            1 => LogLevel::Warn,
            2 => LogLevel::Info,
            3 => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Info until a config says otherwise: what an empty config means.
static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Info as u8);

/// Sets the level for every later message.
pub fn set_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// The level messages are written at now.
pub fn level() -> LogLevel {
    LogLevel::from_u8(LEVEL.load(Ordering::Relaxed))
}

/// Whether a message of `level` is written.
pub fn enabled(level: LogLevel) -> bool {
    passes(level, self::level())
}

/// Whether a message of `level` passes the threshold `at`.
fn passes(level: LogLevel, at: LogLevel) -> bool {
    level <= at
}

/// Writes one message line, `rand-guard: ` first. Use the macros.
#[doc(hidden)]
pub fn write(level: LogLevel, args: fmt::Arguments<'_>) {
    if enabled(level) {
        eprintln!("rand-guard: {args}");
    }
}

/// A failure the sensor survives: `rand-guard: <message>`.
#[macro_export]
macro_rules! log_error {
    ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Error, format_args!($($arg)*)) };
}

/// Something the operator should know about: `rand-guard: warning: <message>`.
#[macro_export]
macro_rules! log_warn {
    ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Warn, format_args!("warning: {}", format_args!($($arg)*))) };
}

/// A milestone (ready, reloaded, recovered): `rand-guard: <message>`.
#[macro_export]
macro_rules! log_info {
    ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Info, format_args!($($arg)*)) };
}

/// Detail for finding out what the sensor did: `rand-guard: debug: <message>`.
#[macro_export]
macro_rules! log_debug {
    ($($arg:tt)*) => { $crate::log::write($crate::log::LogLevel::Debug, format_args!("debug: {}", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_from_most_to_least_severe_and_round_trip() {
        for (i, (name, level)) in LogLevel::CHOICES.iter().enumerate() {
            assert_eq!(level.name(), *name);
            assert_eq!(LogLevel::from_u8(i as u8), *level);
        }
        assert!(LogLevel::Error < LogLevel::Warn && LogLevel::Debug < LogLevel::Trace);
    }

    #[test]
    fn a_level_lets_through_itself_and_everything_more_severe() {
        use LogLevel::*;
        assert!(passes(Error, Warn) && passes(Warn, Warn));
        assert!(!passes(Info, Warn) && !passes(Debug, Warn));
        assert!(passes(Trace, Trace) && passes(Error, Error) && !passes(Warn, Error));
    }
}
