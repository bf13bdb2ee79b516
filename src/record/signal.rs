//! Owns the `process_signal` body and the names of Linux signals.

use super::SharedStr;

/// A signal one process sent another (kill, tkill, tgkill, pidfd_send_signal).
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    pub signal: i32,
    /// "SIGKILL" and friends; None for a real-time or unknown number.
    pub signal_name: Option<&'static str>,
    /// kill: the pid argument (0 or negative: a process group; -1: every
    /// process the caller may signal); tgkill and pidfd: the process; tkill:
    /// the thread. None when a pidfd_send_signal fd was not a pidfd.
    pub target_pid: Option<i32>,
    /// tkill and tgkill: the thread.
    pub target_tid: Option<i32>,
    /// The target's comm and exe from the process table, when it knows the
    /// target (a positive pid it has seen).
    pub target_comm: Option<String>,
    pub target_exe: Option<SharedStr>,
    /// "kill", "tkill", "tgkill" or "pidfd_send_signal".
    pub syscall: &'static str,
}

/// Linux's standard signals (x86, arm64 and most others), by number.
pub const SIGNALS: [(i32, &str); 31] = [
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
];

/// The name of signal `n`, if it is a standard one.
pub fn signal_name(n: i32) -> Option<&'static str> {
    super::name_of(&SIGNALS, n)
}

/// The number of the signal called `name` (the inverse).
pub fn signal_number(name: &str) -> Option<i32> {
    super::code_of(&SIGNALS, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_are_inverse_and_in_order() {
        for (i, (n, name)) in SIGNALS.iter().enumerate() {
            assert_eq!(*n, i as i32 + 1);
            assert_eq!(signal_number(name), Some(*n));
            assert_eq!(signal_name(*n), Some(*name));
        }
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(34), None, "real-time signals have no name here");
    }
}
