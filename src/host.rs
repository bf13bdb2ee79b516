//! Facts about the host the sensor needs before it loads anything:
//! privileges, tracefs, memlock. `main` and `doctor` report them.

use std::fs;
use std::io;
use std::path::Path;

/// Capability numbers from linux/capability.h.
pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_RESOURCE: u32 = 24;
pub const CAP_PERFMON: u32 = 38;
pub const CAP_BPF: u32 = 39;

const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// The effective capability set of this process (CapEff in /proc/self/status).
pub fn effective_caps() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("CapEff:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

pub fn has_cap(caps: u64, cap: u32) -> bool {
    caps & (1u64 << cap) != 0
}

/// The capabilities loading and attaching need that this process lacks,
/// by name. Empty when it may go ahead.
pub fn missing_privileges() -> Vec<&'static str> {
    let caps = effective_caps();
    let mut missing = Vec::new();
    // CAP_SYS_ADMIN implies what CAP_BPF + CAP_PERFMON grant (pre-5.8 way).
    if !has_cap(caps, CAP_SYS_ADMIN) {
        if !has_cap(caps, CAP_BPF) {
            missing.push("CAP_BPF");
        }
        if !has_cap(caps, CAP_PERFMON) {
            missing.push("CAP_PERFMON");
        }
    }
    // /proc/<pid>/exe of other users' processes, when seeding the table.
    if !has_cap(caps, CAP_SYS_PTRACE) {
        missing.push("CAP_SYS_PTRACE");
    }
    if !has_cap(caps, CAP_DAC_READ_SEARCH) {
        missing.push("CAP_DAC_READ_SEARCH");
    }
    missing
}

/// Where libbpf will look for tracepoint ids: it prefers debugfs's tracing
/// directory when that exists, else tracefs.
pub fn tracing_dir() -> &'static str {
    if Path::new(DEBUGFS_TRACING).join("events").is_dir() {
        DEBUGFS_TRACING
    } else {
        TRACEFS
    }
}

pub fn tracefs_mounted() -> bool {
    Path::new(tracing_dir()).join("events").is_dir()
}

/// Mounts tracefs at /sys/kernel/tracing unless tracepoints are already
/// visible. Classic (per-syscall) tracepoints cannot be attached without it,
/// and a freshly booted host often has it unmounted. Returns true when this
/// call mounted it.
pub fn ensure_tracefs() -> io::Result<bool> {
    if tracefs_mounted() {
        return Ok(false);
    }
    let target = c"/sys/kernel/tracing";
    // SAFETY: valid NUL-terminated strings; no data argument.
    let rc = unsafe { libc::mount(c"tracefs".as_ptr(), target.as_ptr(), c"tracefs".as_ptr(), 0, std::ptr::null()) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        // EBUSY: someone mounted it meanwhile.
        if err.raw_os_error() != Some(libc::EBUSY) {
            return Err(err);
        }
    }
    Ok(true)
}

/// Whether the tracepoint `category/name` exists on this kernel.
pub fn tracepoint_exists(category: &str, name: &str) -> bool {
    Path::new(tracing_dir()).join("events").join(category).join(name).join("id").exists()
}

/// Lifts RLIMIT_MEMLOCK for kernels that still charge BPF memory to it
/// (before 5.11). Newer kernels charge the memory cgroup instead, and a host
/// may forbid raising the limit; neither is an error.
pub fn raise_memlock() -> bool {
    let lim = libc::rlimit { rlim_cur: libc::RLIM_INFINITY, rlim_max: libc::RLIM_INFINITY };
    // SAFETY: a valid rlimit struct.
    unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &lim) == 0 }
}

/// Resident set size of this process in KiB (VmRSS).
pub fn rss_kb() -> u64 {
    status_kb("VmRSS:")
}

/// Peak resident set size in KiB (VmHWM).
pub fn peak_rss_kb() -> u64 {
    status_kb("VmHWM:")
}

fn status_kb(key: &str) -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The host name, for `host` when `[agent].id` is not set.
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_bits() {
        assert!(has_cap(1 << CAP_BPF, CAP_BPF));
        assert!(!has_cap(1 << CAP_BPF, CAP_PERFMON));
    }

    #[test]
    fn own_rss_is_known() {
        assert!(rss_kb() > 0);
        assert!(peak_rss_kb() >= rss_kb());
    }
}
