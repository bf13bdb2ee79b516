//! Default-pack fixtures for the event types of issue 13 (file times and
//! xattrs, links, signals, credentials, memfd, BPF, injection, namespaces
//! and mounts, privilege change on exec): each rule fires on its attacks
//! and not on look-alikes. `pack.rs` runs them with the others.

use super::pack::{at_exe, renamed};
use super::*;
use crate::record::{FileCaps, XattrOp};

/// 2001-01-01T00:00:00Z: a backdated time.
const T2001: i64 = 978_307_200;
/// `setcap cap_setuid+ep`: CAP_SETUID (7) permitted and effective.
const CAP_SETUID_EP: FileCaps = FileCaps { permitted: 1 << 7, inheritable: 0, effective: true, rootid: None };

const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
const MFD_NOEXEC_SEAL: u32 = 0x8;
const MFD_EXEC: u32 = 0x10;

const CLONE_NEWNS: u64 = 0x0002_0000;
const CLONE_NEWPID: u64 = 0x2000_0000;
const CLONE_NEWNET: u64 = 0x4000_0000;
const MS_BIND: u64 = 0x1000;
const MS_REC: u64 = 0x4000;
const OPEN_TREE_CLONE: u64 = 0x1;

/// `r` with its source flagged detached.
fn detached(mut r: Record) -> Record {
    if let Body::Mount(m) = &mut r.body {
        m.source_detached = true;
    }
    r
}

/// A setns by `exe` through a pidfd of `target`, into its mnt, pid and net namespaces.
fn pidfd_setns(ts: u64, exe: &str, target: i32) -> Record {
    let mut r = namespace(ts, exe, "setns", CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET, None);
    if let Body::Namespace(n) = &mut r.body {
        n.target_pid = Some(target);
    }
    r
}

/// (rule id, records that must fire it, look-alikes that must fire nothing)
pub(super) fn cases() -> Vec<(&'static str, Vec<Record>, Vec<Record>)> {
    let t = |s: u64| T0 + s * S;
    vec![
        (
            "RG-EVADE-TIMESTOMP",
            vec![
                // by the time set, whatever set it: touch -d/-r, os.utime, a renamed touch
                utimes(t(0), "/usr/bin/touch", "/usr/local/bin/x", T2001),
                utimes(t(1), "/usr/bin/python3.11", "/etc/cron.d/job", T2001),
                utimes(t(2), "/usr/bin/touch", "/home/u/.bashrc", T2001),
                renamed(utimes(t(3), "/usr/bin/touch", "/usr/lib/x.so", T2001), "dpkg"),
                // exemption is by path: a tar copied elsewhere is not tar
                utimes(t(4), "/tmp/tar", "/usr/sbin/x", T2001),
            ],
            vec![
                // now (plain touch), a recent time, an unwatched kind of place, the real dpkg and tar
                utimes(t(0), "/usr/bin/touch", "/usr/local/bin/x", (t(0) / S) as i64),
                utimes(t(1), "/usr/bin/touch", "/etc/x", (t(1) / S) as i64 - 10 * 86_400),
                utimes(t(2), "/usr/bin/touch", "/tmp/x", T2001),
                utimes(t(3), "/usr/bin/dpkg", "/usr/bin/ls", T2001),
                utimes(t(4), "/usr/bin/tar", "/usr/local/lib/x.so", T2001),
            ],
        ),
        (
            "RG-PRIV-FILE-CAPS",
            vec![
                xattr(t(0), "/usr/sbin/setcap", "/tmp/py", "security.capability", XattrOp::Set, Some(CAP_SETUID_EP)),
                xattr(t(1), "/usr/bin/python3.11", "/usr/local/bin/x", "security.capability", XattrOp::Set, None),
                renamed(xattr(t(2), "/usr/sbin/setcap", "/tmp/x", "security.capability", XattrOp::Set, None), "dpkg"),
            ],
            vec![
                xattr(t(0), "/usr/bin/dpkg", "/usr/bin/ping", "security.capability", XattrOp::Set, Some(CAP_SETUID_EP)),
                xattr(t(1), "/usr/sbin/setcap", "/tmp/py", "security.capability", XattrOp::Remove, None),
                xattr(t(2), "/usr/bin/setfattr", "/tmp/x", "user.note", XattrOp::Set, None),
            ],
        ),
        (
            "RG-CRED-HARDLINK",
            vec![
                link(t(0), 10, "ln", "/etc/shadow", "/var/tmp/.s", false),
                link(t(1), 10, "python3", "/etc/ssh/ssh_host_ed25519_key", "/dev/shm/k", false),
                link(t(2), 10, "busybox", "/etc/sudoers.d/90-cloud-init-users", "/tmp/s", false),
                // a renamed copy of a credential tool is no exemption
                at_exe(link(t(3), 10, "passwd", "/root/.ssh/id_ed25519", "/tmp/id", false), "/tmp/passwd"),
            ],
            vec![
                // an ordinary file, a lock file next to shadow (shadow-utils' own), a symlink
                link(t(0), 10, "ln", "/etc/hosts", "/tmp/hosts", false),
                link(t(1), 10, "useradd", "/etc/shadow.4242", "/etc/shadow.lock", false),
                link(t(2), 10, "ln", "/etc/shadow", "/tmp/s", true),
                link(t(3), 10, "ln", "/etc/ssh/ssh_host_ed25519_key.pub", "/tmp/k.pub", false),
            ],
        ),
        (
            "RG-EVADE-SIGNAL-WATCHDOG",
            vec![
                signal(t(0), "/usr/bin/kill", 19, "/usr/sbin/rsyslogd"),
                signal(t(1), "/tmp/sshd", 9, "/usr/sbin/auditd"),
                signal(t(2), "/usr/bin/pkill", 15, "/usr/local/bin/rand-guard"),
                signal(t(3), "/usr/bin/python3", 20, "/usr/lib/systemd/systemd-journald"),
            ],
            vec![
                signal(t(0), "/usr/sbin/logrotate", 1, "/usr/sbin/rsyslogd"),
                signal(t(1), "/usr/lib/systemd/systemd", 15, "/usr/sbin/auditd"),
                signal(t(2), "/usr/bin/kill", 9, "/usr/bin/sleep"),
                signal(t(3), "/usr/bin/kill", 15, "/tmp/auditd"),
            ],
        ),
        (
            "RG-PRIV-GAIN-ROOT",
            vec![
                setuid(t(0), "/usr/bin/python3.11", "setresuid", [1000, 1000, 0, 1000], [0, 0, 0, 0]),
                setuid(t(1), "/tmp/sudo", "setreuid", [1000, 1001, 0, 1001], [1000, 0, 0, 0]),
                setuid(t(2), "/dev/shm/x", "setuid", [65534, 65534, 0, 65534], [65534, 0, 0, 0]),
            ],
            vec![
                setuid(t(0), "/usr/bin/sudo", "setresuid", [1000, 1000, 0, 1000], [0, 0, 0, 0]),
                setuid(t(1), "/usr/sbin/runuser", "setuid", [0, 0, 0, 0], [65534, 65534, 65534, 65534]),
                setuid(t(2), "/usr/bin/python3.11", "setresuid", [1000, 1000, 1000, 1000], [1001, 1001, 1001, 1001]),
                setuid(t(3), "/usr/sbin/nginx", "setuid", [0, 0, 0, 0], [0, 0, 0, 0]),
                setuid(t(4), "/usr/bin/python3.11", "setfsuid", [1000, 1000, 0, 1000], [1000, 1000, 0, 0]),
                // apt-get lending its euid to _apt for a download, then taking it back
                setuid(t(5), "/usr/bin/apt-get", "setresuid", [0, 42, 0, 42], [0, 0, 0, 0]),
            ],
        ),
        (
            "RG-EXEC-MEMFD-CREATE",
            vec![
                memfd(t(0), "/usr/bin/python3.11", "payload", MFD_CLOEXEC),
                memfd(t(1), "/usr/bin/perl", "", 0),
                memfd(t(2), "/root/.pyenv/versions/3.12.1/bin/python3.12", "x", MFD_ALLOW_SEALING),
                memfd(t(3), "/tmp/.x/loader", "elf", MFD_CLOEXEC | MFD_EXEC),
            ],
            vec![
                // sealed against exec; a compiled program's shared buffer; runc's cloned self
                memfd(t(0), "/usr/bin/python3.11", "buf", MFD_CLOEXEC | MFD_NOEXEC_SEAL),
                memfd(t(1), "/usr/lib/firefox/firefox", "shmem", MFD_CLOEXEC | MFD_ALLOW_SEALING),
                memfd(t(2), "/usr/bin/runc", "runc_cloned:/proc/self/exe", MFD_CLOEXEC | MFD_EXEC | MFD_ALLOW_SEALING),
                // a renamed program called python is judged by its real executable
                renamed(memfd(t(3), "/usr/bin/pulseaudio", "pa", MFD_CLOEXEC), "python3"),
            ],
        ),
        (
            "RG-EVADE-BPF-LOAD",
            vec![
                bpf_prog_load(t(0), "/tmp/.r/loader", "hide_pid"),
                bpf_prog_load(t(1), "/usr/bin/python3.11", "sock"),
                renamed(bpf_prog_load(t(2), "/dev/shm/bpftool", "x"), "bpftool"),
            ],
            vec![
                bpf_prog_load(t(0), "/usr/sbin/bpftool", "probe"),
                bpf_prog_load(t(1), "/usr/lib/systemd/systemd", "sd_devices"),
                bpf_prog_load(t(2), "/usr/bin/runc", ""),
            ],
        ),
        (
            "RG-INJECT-VM-WRITEV",
            vec![
                inject(t(0), "/tmp/inject", "/usr/sbin/sshd"),
                inject(t(1), "/usr/bin/python3.11", "/usr/bin/sleep"),
                renamed(inject(t(2), "/tmp/gdb", "/usr/bin/bash"), "gdb"),
            ],
            vec![
                inject(t(0), "/usr/bin/gdb", "/usr/bin/bash"),
                inject(t(1), "/usr/lib/openmpi/bin/rank", "/usr/lib/openmpi/bin/rank"),
            ],
        ),
        (
            "RG-PRIV-NS-ENTER-HOST",
            vec![
                // nsenter -t 1 -m: the host's mnt namespace by its file
                namespace(t(0), "/usr/bin/nsenter", "setns", CLONE_NEWNS, Some(0xEFFF_FFF8)),
                // a pidfd of pid 1, all namespaces at once
                pidfd_setns(t(1), "/usr/bin/python3.11", 1),
                renamed(namespace(t(2), "/tmp/runc", "setns", CLONE_NEWPID, Some(0xEFFF_FFFC)), "runc"),
            ],
            vec![
                // debugging a container: its own namespaces
                namespace(t(0), "/usr/bin/nsenter", "setns", CLONE_NEWNET, Some(0xF000_0123)),
                pidfd_setns(t(1), "/usr/bin/python3.11", 4242),
                // runc joining a container's namespaces; systemd joining the host's
                namespace(t(2), "/usr/bin/runc", "setns", CLONE_NEWNS, Some(0xEFFF_FFF8)),
                namespace(t(3), "/usr/lib/systemd/systemd", "setns", CLONE_NEWNET, Some(0xEFFF_FFF9)),
                // creating namespaces is not entering the host's
                namespace(t(4), "/usr/bin/unshare", "unshare", CLONE_NEWNS | CLONE_NEWPID, None),
            ],
        ),
        (
            "RG-PRIV-MOUNT-HOST",
            vec![
                mount(t(0), "/usr/bin/mount", "mount", Some("/"), Some("/mnt/host"), None, MS_BIND | MS_REC),
                mount(t(1), "/tmp/x", "mount", Some("/proc/sys"), Some("/tmp/s"), None, MS_BIND),
                mount(t(2), "/usr/bin/python3.11", "open_tree", Some("/"), None, Some("ext4"), OPEN_TREE_CLONE),
                renamed(mount(t(3), "/tmp/systemd", "mount", Some("/sys"), Some("/x"), None, MS_BIND), "systemd"),
            ],
            vec![
                // a bind of an ordinary directory; a tmpfs; a proc instance of a new pid namespace
                mount(t(0), "/usr/bin/mount", "mount", Some("/srv/data"), Some("/mnt/data"), None, MS_BIND),
                mount(t(1), "/usr/bin/mount", "mount", Some("tmpfs"), Some("/mnt/t"), Some("tmpfs"), 0),
                mount(t(2), "/usr/bin/unshare", "mount", Some("proc"), Some("/proc"), Some("proc"), 0),
                // systemd's ProtectKernelTunables=: /proc/sys bound onto itself, then made read-only
                mount(t(3), "/usr/lib/systemd/systemd", "mount", Some("/proc/sys"), Some("/proc/sys"), None, MS_BIND),
                // open_tree without a clone is only a handle on the mount
                mount(t(4), "/usr/bin/python3.11", "open_tree", Some("/"), None, Some("ext4"), 0),
                // the root of a cloned tmpfs: "/" within a detached tree
                detached(mount(
                    t(5),
                    "/usr/bin/python3.11",
                    "open_tree",
                    Some("/"),
                    None,
                    Some("tmpfs"),
                    OPEN_TREE_CLONE,
                )),
            ],
        ),
        (
            "RG-PRIV-CHROOT",
            vec![
                mount(t(0), "/usr/sbin/chroot", "chroot", None, Some("/mnt/host"), None, 0),
                mount(t(1), "/usr/bin/python3.11", "pivot_root", Some("tmpfs"), Some("/"), Some("tmpfs"), 0),
                renamed(mount(t(2), "/tmp/sshd", "chroot", None, Some("/"), None, 0), "sshd"),
            ],
            vec![
                mount(t(0), "/usr/bin/runc", "pivot_root", Some("overlay"), Some("/"), Some("overlay"), 0),
                mount(t(1), "/usr/sbin/sshd", "chroot", None, Some("/run/sshd"), None, 0),
                mount(t(2), "/usr/lib/systemd/systemd", "chroot", None, Some("/var/lib/machines/m"), None, 0),
                // a mount is not a chroot
                mount(t(3), "/usr/bin/python3.11", "mount", Some("tmpfs"), Some("/mnt/t"), Some("tmpfs"), 0),
            ],
        ),
        (
            "RG-INJECT-PTRACE",
            vec![
                ptrace(t(0), "/tmp/inject", "PTRACE_POKETEXT", "/usr/sbin/sshd"),
                ptrace(t(1), "/usr/bin/python3.11", "PTRACE_SETREGS", "/usr/bin/sleep"),
                ptrace(t(2), "/tmp/x", "PTRACE_SETREGSET", "/usr/bin/bash"),
                renamed(ptrace(t(3), "/tmp/gdb", "PTRACE_POKEDATA", "/usr/bin/bash"), "gdb"),
            ],
            vec![
                ptrace(t(0), "/usr/bin/gdb", "PTRACE_POKEDATA", "/usr/bin/bash"),
                ptrace(t(1), "/usr/bin/python3.11", "PTRACE_SETREGS", "/usr/bin/python3.11"),
                // attaching alone writes nothing
                ptrace(t(2), "/tmp/inject", "PTRACE_ATTACH", "/usr/sbin/sshd"),
                ptrace(t(3), "/usr/bin/strace", "PTRACE_SEIZE", "/usr/bin/ls"),
            ],
        ),
        (
            "RG-PRIV-SETUID-EXEC",
            vec![
                exec_as(t(0), "/tmp/.x/rootsh", 1000, 0, u64::MAX >> 23),
                exec_as(t(1), "/usr/bin/bash", 65534, 0, u64::MAX >> 23),
                renamed(exec_as(t(2), "/var/tmp/passwd", 1000, 0, 0), "passwd"),
            ],
            vec![
                exec_as(t(0), "/usr/bin/passwd", 1000, 0, u64::MAX >> 23),
                exec_as(t(1), "/usr/bin/sudo", 1000, 0, u64::MAX >> 23),
                // root runs it; file capabilities without root; an ordinary exec
                exec_as(t(2), "/tmp/.x/rootsh", 0, 0, 0),
                exec_as(t(3), "/tmp/.x/ping", 1000, 1000, 1 << 13),
                exec_as(t(4), "/usr/bin/id", 1000, 1000, 0),
            ],
        ),
    ]
}
