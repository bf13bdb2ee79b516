//! Default values: what an empty config file means. The shipped `config/rand-guard.toml` and the docs repeat these.

use super::agent::{AgentMode, LogLevel};

/// `agent.mode`.
pub const AGENT_MODE: AgentMode = AgentMode::Monitor;
/// `agent.log_level`.
pub const LOG_LEVEL: LogLevel = LogLevel::Info;
/// `ebpf.buffer_size`, in KiB (8 MiB).
pub const BUFFER_SIZE_KIB: i64 = 8192;
/// Smallest `ebpf.buffer_size`, in KiB.
pub const MIN_BUFFER_SIZE_KIB: i64 = 64;
/// Largest `ebpf.buffer_size`, in KiB (1 GiB).
pub const MAX_BUFFER_SIZE_KIB: i64 = 1024 * 1024;
/// `events.process` and `process.enabled`.
pub const PROCESS_ENABLED: bool = true;
/// `[process] hash_max_bytes`: executables larger are not hashed; 0 hashes none.
pub const HASH_MAX_BYTES: i64 = 64 * 1024 * 1024;
pub const MAX_HASH_MAX_BYTES: i64 = 1 << 40;
/// `events.file` and `file.enabled`.
pub const FILE_ENABLED: bool = true;
/// `events.network` and `network.enabled`.
pub const NETWORK_ENABLED: bool = false;
/// `file.watch_paths`.
pub const WATCH_PATHS: &[&str] = &[
    "/etc",
    "/root",
    "/home",
    "/tmp",
    "/var/tmp",
    "/dev/shm",
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/bin",
    "/sbin",
    "/usr/lib/systemd",
    "/lib/systemd",
    "/var/spool/cron",
];
/// `file.watch_patterns`.
pub const WATCH_PATTERNS: &[&str] = &["*.service", "*.timer", "authorized_keys", "crontab"];
/// `file.exclude_paths`.
pub const EXCLUDE_PATHS: &[&str] =
    &["/proc", "/sys", "/var/log", "/var/cache", "/var/lib/apt", "/var/lib/dpkg", "/dev/pts"];
/// `output.health_interval_secs`.
pub const HEALTH_INTERVAL_SECS: i64 = 30;
/// Largest `output.health_interval_secs` (one day).
pub const MAX_HEALTH_INTERVAL_SECS: i64 = 86_400;
/// `performance.max_events_per_second` (0 = unlimited).
pub const MAX_EVENTS_PER_SECOND: i64 = 0;
/// `performance.drop_when_full`.
pub const DROP_WHEN_FULL: bool = false;
/// `performance.max_process_cache_entries`.
pub const MAX_PROCESS_CACHE_ENTRIES: i64 = 16_384;
/// Smallest `performance.max_process_cache_entries`.
pub const MIN_PROCESS_CACHE_ENTRIES: i64 = 64;
/// Largest `performance.max_process_cache_entries`.
pub const MAX_MAX_PROCESS_CACHE_ENTRIES: i64 = 16 * 1024 * 1024;
/// `performance.max_process_cache_bytes` (2 MiB).
pub const MAX_PROCESS_CACHE_BYTES: i64 = 2 * 1024 * 1024;
/// Smallest `performance.max_process_cache_bytes` (1 MiB).
pub const MIN_PROCESS_CACHE_BYTES: i64 = 1024 * 1024;
/// Largest `performance.max_process_cache_bytes` (4 GiB).
pub const MAX_MAX_PROCESS_CACHE_BYTES: i64 = 4 * 1024 * 1024 * 1024;
/// `performance.max_pending_exec_sources`: legacy, accepted with a warning,
/// no effect; only its range is still checked.
pub const MAX_PENDING_EXEC_SOURCES: i64 = 500;
/// `performance.channel_capacity`.
pub const CHANNEL_CAPACITY: i64 = 4096;
/// Smallest `performance.channel_capacity`.
pub const MIN_CHANNEL_CAPACITY: i64 = 16;
/// Largest `performance.channel_capacity`.
pub const MAX_CHANNEL_CAPACITY: i64 = 1_048_576;
