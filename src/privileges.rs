//! Dropping the capabilities the sensor no longer needs once its programs
//! are loaded and attached and the process table is seeded.
//!
//! What stays, and why:
//! - `CAP_BPF`: every bpf(2) call on the maps (counter reads, the path
//!   filter update on SIGHUP) is refused without it when unprivileged BPF
//!   is disabled, the default;
//! - `CAP_PERFMON`: kept with CAP_BPF, which the kernel pairs with it for
//!   tracing programs' map access;
//! - `CAP_SYS_PTRACE`, `CAP_DAC_READ_SEARCH`: reading `/proc/PID/exe`, `cwd`
//!   and `cmdline` of processes the table missed (ptrace access checks).
//!
//! Everything else goes from the effective, permitted and inheritable sets
//! (and the ambient set): `CAP_SYS_ADMIN`, `CAP_SYS_RESOURCE`,
//! `CAP_DAC_OVERRIDE`, `CAP_SETUID`, `CAP_NET_ADMIN`, `CAP_SYS_MODULE`...
//! Capabilities are per thread: call this on the main thread before the
//! pipeline threads are spawned, so they inherit the reduced sets.

use std::io;

use thiserror::Error;

pub use crate::host::{CAP_BPF, CAP_DAC_READ_SEARCH, CAP_PERFMON, CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_SYS_RESOURCE};

/// The capabilities the running sensor keeps.
pub const KEEP: [u32; 4] = [CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH];

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

#[derive(Debug, Error)]
pub enum PrivilegeError {
    #[error("cannot read the capability sets: {0}")]
    Get(io::Error),
    #[error("cannot drop capabilities: {0}")]
    Set(io::Error),
}

/// The calling thread's effective set as a 64-bit mask.
pub fn effective() -> Result<u64, PrivilegeError> {
    let (data, _) = get()?;
    Ok(u64::from(data[0].effective) | u64::from(data[1].effective) << 32)
}

fn get() -> Result<([CapData; 2], CapHeader), PrivilegeError> {
    let mut hdr = CapHeader { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget with a v3 header writes two CapData structs.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut hdr as *mut CapHeader, data.as_mut_ptr()) };
    if rc != 0 {
        return Err(PrivilegeError::Get(io::Error::last_os_error()));
    }
    Ok((data, hdr))
}

/// Keeps only `KEEP` (of what the thread has) in every set. Returns the
/// effective mask before and after.
pub fn drop_unneeded() -> Result<(u64, u64), PrivilegeError> {
    let (mut data, mut hdr) = get()?;
    let before = u64::from(data[0].effective) | u64::from(data[1].effective) << 32;
    let keep: u64 = KEEP.iter().fold(0, |m, c| m | 1u64 << c);
    for (i, d) in data.iter_mut().enumerate() {
        let k = (keep >> (32 * i)) as u32;
        d.effective &= k;
        d.permitted &= k;
        d.inheritable = 0;
    }
    hdr.version = LINUX_CAPABILITY_VERSION_3;
    hdr.pid = 0;
    // SAFETY: capset with a v3 header reads two CapData structs.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &hdr as *const CapHeader, data.as_ptr()) };
    if rc != 0 {
        return Err(PrivilegeError::Set(io::Error::last_os_error()));
    }
    // SAFETY: prctl with integer arguments only. Fails harmlessly on
    // kernels without ambient capabilities.
    unsafe { libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) };
    Ok((before, effective()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_keeps_only_the_kept_set_on_this_thread() {
        // on a thread of its own: capabilities are per thread, and the rest
        // of the test binary keeps its own
        std::thread::spawn(|| {
            let (before, after) = drop_unneeded().expect("capset");
            let keep: u64 = KEEP.iter().fold(0, |m, c| m | 1u64 << c);
            assert_eq!(after, before & keep);
            assert_eq!(after & (1 << CAP_SYS_ADMIN | 1 << CAP_SYS_RESOURCE), 0);
            // idempotent
            assert_eq!(drop_unneeded().expect("again").1, after);
        })
        .join()
        .expect("thread");
    }
}
