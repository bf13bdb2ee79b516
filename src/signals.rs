//! SIGINT/SIGTERM/SIGHUP are blocked in every thread and taken
//! synchronously by the main thread, so a signal never interrupts a stage
//! half-way through a record.

use std::io;
use std::mem::MaybeUninit;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Stop,
    Reload,
}

pub struct Signals {
    set: libc::sigset_t,
}

impl Signals {
    /// Blocks the signals in the calling thread; threads spawned afterwards
    /// inherit the mask. Call before spawning anything.
    pub fn block() -> io::Result<Signals> {
        // SAFETY: sigset_t is plain data initialized by sigemptyset.
        unsafe {
            let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
            libc::sigemptyset(set.as_mut_ptr());
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::sigaddset(set.as_mut_ptr(), sig);
            }
            let set = set.assume_init();
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            Ok(Signals { set })
        }
    }

    /// Waits up to `timeout` for one of the signals.
    pub fn wait(&self, timeout: Duration) -> Option<Signal> {
        let ts = libc::timespec { tv_sec: timeout.as_secs() as _, tv_nsec: timeout.subsec_nanos() as _ };
        // SAFETY: valid set and timespec; no siginfo wanted.
        let sig = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &ts) };
        match sig {
            libc::SIGINT | libc::SIGTERM => Some(Signal::Stop),
            libc::SIGHUP => Some(Signal::Reload),
            _ => None,
        }
    }
}
