//! Unit tests of normalize.rs, built from synthetic kernel records (`bpf::abi::build`).

use super::*;
use crate::bpf::abi::build;
use crate::record::{EventType, Link};
use std::sync::Arc;

fn normalizer() -> Normalizer {
    let select = Selection {
        execve: true,
        execveat: true,
        paths: PathFilter::new(&["/etc".into(), "/tmp".into()], &[], &["/tmp/skip".into()]).expect("filter"),
    };
    // an empty fake /proc: no fallback lookups succeed
    let root = std::env::temp_dir().join(format!("rg-norm-{}", std::process::id()));
    Normalizer::new(ProcessTable::new(64), BootClock::with_offset(0), Arc::from("h"), select).with_proc_root(root)
}

pub(super) fn rec(n: &mut Normalizer, raw: &[u8]) -> Record {
    match n.normalize(raw) {
        Outcome::Record(r) => r,
        other => panic!("expected a record, got {other:?}"),
    }
}

#[test]
fn exec_then_file_event_is_enriched_from_the_exec() {
    let mut n = normalizer();
    let parent = build::task(50, 50, 1, 0, "bash", "init");
    rec(&mut n, &build::exec(parent, 1, "/bin/bash", &["bash"], "/usr/bin/bash", "/"));
    let child = build::task(100, 100, 50, 1000, "cat", "bash");
    let r = rec(&mut n, &build::exec(child, 2, "cat", &["cat", "a b", "c"], "/usr/bin/cat", "/home/u"));
    assert_eq!(r.cmdline.as_deref(), Some("cat a b c"));
    assert_eq!(r.exe.as_deref(), Some("/usr/bin/cat"));
    assert_eq!(r.parent_exe.as_deref(), Some("/usr/bin/bash"));
    assert_eq!(r.parent_comm.as_deref(), Some("bash"));
    match &r.body {
        Body::Exec(e) => {
            assert_eq!(e.args, ["cat", "a b", "c"]);
            assert!(!e.args_truncated);
            assert_eq!(e.cwd.as_deref(), Some("/home/u"));
            assert_eq!(e.stdio, ["char", "pipe", "socket"]);
        }
        other => panic!("{other:?}"),
    }
    let w = rec(&mut n, &build::file(EventType::FileWrite, child, 3, 20, "/etc/./x//y/../z", None));
    assert_eq!(w.exe.as_deref(), Some("/usr/bin/cat"));
    match &w.body {
        Body::File(f) => assert_eq!(f.path, "/etc/x/z"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn exited_processes_still_enrich_later_records() {
    let mut n = normalizer();
    let p = build::task(60, 60, 1, 0, "sh", "init");
    rec(&mut n, &build::exec(p, 1, "/bin/sh", &["sh", "-c", "x"], "/usr/bin/dash", "/"));
    rec(&mut n, &build::exit(p, 5, 0, 1));
    // a child record arriving after its parent's exit
    let c = build::task(61, 61, 60, 0, "sleep", "sh");
    let r = rec(&mut n, &build::fork(c, 6, 60));
    assert_eq!(r.parent_exe.as_deref(), Some("/usr/bin/dash"));
    assert_eq!(r.exe.as_deref(), Some("/usr/bin/dash"), "fork inherits the image");
}

#[test]
fn unwatched_and_excluded_paths_are_filtered() {
    let mut n = normalizer();
    let t = build::task(70, 70, 1, 0, "x", "init");
    assert!(matches!(n.normalize(&build::file(EventType::FileOpen, t, 1, 11, "/var/x", None)), Outcome::Filtered));
    assert!(matches!(n.normalize(&build::file(EventType::FileOpen, t, 1, 11, "/tmp/skip/a", None)), Outcome::Filtered));
    // a rename into a watched directory is reported
    let r = rec(&mut n, &build::file(EventType::FileRename, t, 1, 30, "/var/a", Some("/etc/b")));
    match &r.body {
        Body::File(f) => assert_eq!(f.new_path(), Some("/etc/b")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn truncated_paths_are_reported_not_filtered() {
    let mut n = normalizer();
    let t = build::task(71, 71, 1, 0, "x", "init");
    let mut raw = build::file(EventType::FileOpen, t, 1, 11, "/dddd/leaf", None);
    let off = std::mem::offset_of!(abi::rg_file, path) + 4; // rg_str.truncated
    raw[off] = 1;
    let r = rec(&mut n, &raw);
    match &r.body {
        Body::File(f) => assert!(f.path_truncated && f.path == "\u{2026}/dddd/leaf", "{}", f.path),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pid_reuse_attributes_records_to_the_new_process() {
    let mut n = normalizer();
    let old = build::task(500, 500, 1, 0, "old", "init");
    rec(&mut n, &build::exec(old, 1, "/bin/old", &["old"], "/usr/bin/old", "/"));
    rec(&mut n, &build::exit(old, 2, 0, 1));
    let parent = build::task(600, 600, 1, 0, "new-parent", "init");
    rec(&mut n, &build::exec(parent, 3, "/bin/np", &["np"], "/usr/bin/np", "/"));
    // pid 500 comes back as a fork of 600
    let reused = build::task(500, 500, 600, 0, "new-parent", "new-parent");
    let f = rec(&mut n, &build::fork(reused, 4, 600));
    assert_eq!(f.exe.as_deref(), Some("/usr/bin/np"));
    assert_eq!(f.cmdline.as_deref(), Some("np"));
    let w = rec(&mut n, &build::file(EventType::FileOpen, reused, 5, 11, "/etc/x", None));
    assert_eq!(w.exe.as_deref(), Some("/usr/bin/np"), "not the dead process's image");
    assert_eq!(w.parent_exe.as_deref(), Some("/usr/bin/np"));
}

#[test]
fn signals_name_the_signal_and_the_target_from_the_table() {
    let mut n = normalizer();
    let victim = build::task(90, 90, 1, 0, "auditd", "init");
    rec(&mut n, &build::exec(victim, 1, "/sbin/auditd", &["auditd"], "/usr/sbin/auditd", "/"));
    let killer = build::task(91, 91, 1, 0, "kill", "bash");
    let r = rec(&mut n, &build::signal(killer, 2, 4, 19, 90));
    assert_eq!(
        r.body,
        Body::Signal(Signal {
            signal: 19,
            signal_name: Some("SIGSTOP"),
            target_pid: Some(90),
            target_tid: None,
            target_comm: Some("auditd".into()),
            target_exe: Some("/usr/sbin/auditd".into()),
            syscall: "kill",
        })
    );
    // a process group (kill(0, ...), kill(-pgid, ...)) names no one target
    let r = rec(&mut n, &build::signal(killer, 3, 4, 15, -90));
    match r.body {
        Body::Signal(s) => assert_eq!((s.target_pid, s.target_comm, s.signal_name), (Some(-90), None, Some("SIGTERM"))),
        other => panic!("{other:?}"),
    }
    // a pidfd_send_signal fd that was not a pidfd: no target, not pid 0
    let r = rec(&mut n, &build::signal(killer, 4, 7, 40, 0));
    match r.body {
        Body::Signal(s) => {
            assert_eq!((s.target_pid, s.signal_name, s.syscall), (None, None, "pidfd_send_signal"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn credential_records_fill_only_the_family_the_call_changes() {
    use crate::bpf::abi::rg_ids;
    use crate::bpf::skel::types::rg_syscall;
    use crate::record::{Cred, IdChange, Ids};
    let mut n = normalizer();
    let t = build::task(95, 95, 1, 0, "python3", "bash");
    let old = rg_ids { uid: 1000, euid: 1001, suid: 0, fsuid: 1001, gid: 7, egid: 7, sgid: 7, fsgid: 7 };
    let new = rg_ids { euid: 0, fsuid: 0, ..old };
    let r = rec(&mut n, &build::cred(t, 1, rg_syscall::RG_SYS_SETREUID.0, old, new));
    let uids = IdChange {
        old: Ids { real: 1000, effective: 1001, saved: 0, fs: 1001 },
        new: Ids { real: 1000, effective: 0, saved: 0, fs: 0 },
    };
    let want =
        Cred { syscall: "setreuid", uids: Some(uids), gids: None, group_count: None, groups: vec![], caps: None };
    assert_eq!(r.body, Body::Cred(want));
    let r = rec(&mut n, &build::cred(t, 2, rg_syscall::RG_SYS_SETFSGID.0, old, rg_ids { fsgid: 9, ..old }));
    match r.body {
        Body::Cred(c) => {
            assert_eq!((c.syscall, c.uids, c.caps), ("setfsgid", None, None));
            assert_eq!(c.gids.map(|g| (g.old.fs, g.new.fs)), Some((7, 9)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exit_status_and_signals() {
    let mut n = normalizer();
    let t = build::task(80, 80, 1, 0, "x", "init");
    let r = rec(&mut n, &build::exit(t, 10, 3 << 8, 4));
    assert_eq!(r.body, Body::Exit(Exit { exit_code: 3, signal: None, core_dumped: false, lifetime_ns: Some(6) }));
    let r = rec(&mut n, &build::exit(t, 10, 9, 0));
    assert_eq!(r.body, Body::Exit(Exit { exit_code: 137, signal: Some(9), core_dumped: false, lifetime_ns: None }));
}

#[test]
fn corrupted_input_is_invalid_not_a_panic() {
    let mut n = normalizer();
    assert!(matches!(n.normalize(&[1, 2, 3]), Outcome::Invalid(_)));
}

#[test]
fn helpers() {
    assert_eq!(normalize_path("/"), "/");
    assert_eq!(normalize_path("/a/../.."), "/");
    assert_eq!(normalize_path("/a/b/"), "/a/b");
    assert_eq!(strip_dev_fd("/dev/fd/3/run.sh", 3), "run.sh");
    assert_eq!(strip_dev_fd("/dev/fd/3", 3), "");
    assert_eq!(strip_dev_fd("/bin/true", 3), "/bin/true");
    assert_eq!(net::unix_name(b"\0abs\0\0"), "@abs");
    assert_eq!(net::unix_name(b"/run/x.sock\0"), "/run/x.sock");
    let t = Text { bytes: b"a\0b\0c", truncated: true, detached: false, present: true };
    assert_eq!(split_args(&t, 5), (vec!["a".into(), "b".into(), "c".into()], true));
    let t = Text { bytes: b"a\0\0", truncated: false, detached: false, present: true };
    assert_eq!(split_args(&t, 2), (vec!["a".into(), "".into()], false));
}

#[test]
fn detached_paths_are_flagged_and_never_filtered() {
    let mut n = normalizer();
    let t = build::task(73, 73, 1, 0, "x", "init");
    // "/payload" is unwatched, but it is the path within a detached mount
    let mut raw = build::file(EventType::FileOpen, t, 1, 11, "/payload", None);
    let off = std::mem::offset_of!(abi::rg_file, path) + 4; // rg_str.truncated
    raw[off] = abi::rg_str_flag::RG_STR_DETACHED.0 as u8;
    match rec(&mut n, &raw).body {
        Body::File(f) => assert!(f.path_detached && !f.path_truncated && f.path == "/payload"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn renameat2_exchange_is_marked_and_only_renameat2_can_be_one() {
    let mut n = normalizer();
    let t = build::task(72, 72, 1, 0, "mv", "sh");
    let rename = |syscall: rg_syscall, flags: u32| {
        let mut raw = build::file(EventType::FileRename, t, 1, syscall.0, "/etc/cron.d/x", Some("/tmp/x"));
        let off = std::mem::offset_of!(abi::rg_file, flags);
        raw[off..off + 4].copy_from_slice(&flags.to_ne_bytes());
        raw
    };
    let exchange = |n: &mut Normalizer, raw: &[u8]| match rec(n, raw).body {
        Body::File(File { op: FileOp::Rename { exchange, .. }, .. }) => exchange,
        other => panic!("{other:?}"),
    };
    assert!(exchange(&mut n, &rename(rg_syscall::RG_SYS_RENAMEAT2, 2)), "RENAME_EXCHANGE");
    assert!(!exchange(&mut n, &rename(rg_syscall::RG_SYS_RENAMEAT2, 1)), "RENAME_NOREPLACE");
    // rename and renameat have no flags; whatever the field holds is not one
    assert!(!exchange(&mut n, &rename(rg_syscall::RG_SYS_RENAMEAT, 2)));
}

#[test]
fn chmod_chown_and_truncate_records_and_their_filter() {
    use crate::bpf::abi::rg_filemeta;
    use crate::bpf::skel::types::rg_syscall as sc;
    let mut n = normalizer();
    let t = build::task(90, 90, 1, 0, "x", "init");
    let meta = |et: EventType, syscall: rg_syscall, f: fn(&mut rg_filemeta)| {
        let mut e = rg_filemeta { syscall: syscall.0, owner_uid: u32::MAX, owner_gid: u32::MAX, ..Default::default() };
        e.hdr.kind = et.kind();
        f(&mut e);
        e
    };
    let body = |n: &mut Normalizer, path: &str, e: rg_filemeta| match rec(n, &build::filemeta(t, 1, path, e)).body {
        Body::File(f) => (f.path, f.syscall, f.op),
        other => panic!("{other:?}"),
    };
    // the kernel sends the bits it read; normalize keeps only 07777
    let e = meta(EventType::FileChmod, sc::RG_SYS_FCHMOD, |e| e.mode = 0o104755);
    assert_eq!(body(&mut n, "/tmp/a/../x", e), ("/tmp/x".into(), "fchmod", FileOp::Chmod { mode: 0o4755 }));
    let e = meta(EventType::FileChown, sc::RG_SYS_LCHOWN, |e| (e.owner_uid, e.flags) = (0, 0x100));
    let c = Chown { owner_uid: Some(0), owner_gid: None, follow_symlinks: Some(false) };
    assert_eq!(body(&mut n, "/tmp/l", e), ("/tmp/l".into(), "lchown", FileOp::Chown(c)));
    // AT_EMPTY_PATH: the fd's file, so no link was followed or not
    let e = meta(EventType::FileChown, sc::RG_SYS_FCHOWNAT, |e| (e.owner_gid, e.flags) = (5, 0x1000));
    let c = Chown { owner_uid: None, owner_gid: Some(5), follow_symlinks: None };
    assert_eq!(body(&mut n, "/tmp/f", e), ("/tmp/f".into(), "fchownat", FileOp::Chown(c)));
    let e = meta(EventType::FileChown, sc::RG_SYS_CHOWN, |e| e.owner_uid = 7);
    assert!(matches!(body(&mut n, "/etc/x", e).2, FileOp::Chown(Chown { follow_symlinks: Some(true), .. })));
    let e = meta(EventType::FileTruncate, sc::RG_SYS_TRUNCATE, |e| e.length = 0);
    assert_eq!(body(&mut n, "/etc/h", e), ("/etc/h".into(), "truncate", FileOp::Truncate { length: 0 }));
    // the userspace path filter applies as to every file event
    for p in ["/tmp/skip/x", "/var/x"] {
        let e = meta(EventType::FileTruncate, sc::RG_SYS_FTRUNCATE, |e| e.length = 1);
        assert!(matches!(n.normalize(&build::filemeta(t, 1, p, e)), Outcome::Filtered), "{p}");
    }
}

#[test]
fn memfd_inject_and_bpf_records() {
    let mut n = normalizer();
    let target = build::task(90, 90, 1, 0, "sshd", "init");
    rec(&mut n, &build::exec(target, 1, "/usr/sbin/sshd", &["sshd", "-D"], "/usr/sbin/sshd", "/"));
    let actor = build::task(70, 71, 1, 0, "loader", "bash");
    rec(&mut n, &build::exec(actor, 1, "/tmp/loader", &["loader"], "/tmp/loader", "/tmp"));

    let r = rec(&mut n, &build::memfd(actor, 2, "payload", 0x11, 5));
    assert_eq!(r.body, Body::Memfd(Memfd { name: "payload".into(), name_truncated: false, flags: 0x11, fd: 5 }));

    let r = rec(&mut n, &build::inject(actor, 3, 90, 4096));
    assert_eq!(
        r.body,
        Body::Inject(Inject {
            target_pid: 90,
            target_comm: Some("sshd".into()),
            target_exe: Some("/usr/sbin/sshd".into()),
            target_cmdline: Some("sshd -D".into()),
            target_same_exe: Some(false),
            bytes: 4096,
            local_iovcnt: 1,
            remote_iovcnt: 1,
            syscall: "process_vm_writev",
        })
    );
    // into a process of its own executable; into one nobody knows
    let twin = build::task(72, 72, 70, 0, "loader", "loader");
    rec(&mut n, &build::exec(twin, 4, "/tmp/loader", &["loader"], "/tmp/loader", "/tmp"));
    let r = rec(&mut n, &build::inject(actor, 5, 72, 8));
    assert!(matches!(r.body, Body::Inject(Inject { target_same_exe: Some(true), .. })), "{:?}", r.body);
    let r = rec(&mut n, &build::inject(actor, 6, 4000, 8));
    assert!(
        matches!(&r.body, Body::Inject(i) if i.target_exe.is_none() && i.target_same_exe.is_none()),
        "{:?}",
        r.body
    );

    // a load names its program; an attach its attach type and program fd
    let r = rec(&mut n, &build::bpf(actor, 7, 5, 1, 0, "hide"));
    assert_eq!(
        r.body,
        Body::Bpf(BpfLoad {
            cmd: 5,
            prog_type: Some(1),
            prog_name: Some("hide".into()),
            attach_type: None,
            prog_fd: 7,
            insn_count: Some(2),
            result: 7,
        })
    );
    let r = rec(&mut n, &build::bpf(actor, 8, 28, 0, 46, ""));
    assert_eq!(
        r.body,
        Body::Bpf(BpfLoad {
            cmd: 28,
            prog_type: None,
            prog_name: None,
            attach_type: Some(46),
            prog_fd: -1,
            insn_count: None,
            result: 7,
        })
    );
}

#[test]
fn namespace_and_mount_records() {
    use crate::bpf::abi::{rg_mount, rg_namespace};
    use crate::record::{Mount, Namespace};
    let mut n = normalizer();
    let holder = build::task(90, 90, 1, 0, "sleep", "unshare");
    rec(&mut n, &build::exec(holder, 1, "/usr/bin/sleep", &["sleep", "30"], "/usr/bin/sleep", "/"));
    let actor = build::task(70, 70, 1, 0, "nsenter", "bash");
    let setns = rg_syscall::RG_SYS_SETNS.0;
    // a namespace file: its inode and type; a pidfd: the target process
    let e = rg_namespace {
        flags: 0x0400_0000,
        syscall: setns,
        ns_inum: 0xEFFF_FFFE,
        ns_type: 0x0400_0000,
        fd: 3,
        ..Default::default()
    };
    let r = rec(&mut n, &build::namespace(actor, 2, e));
    let Body::Namespace(b) = &r.body else { panic!("{:?}", r.body) };
    assert_eq!(
        (b.ns_inode, b.ns_type, b.ns_initial(), b.fd, b.target_pid),
        (Some(0xEFFF_FFFE), Some(0x0400_0000), Some(true), Some(3), None)
    );
    let e = rg_namespace { flags: 0x2000_0000, syscall: setns, target_pid: 90, fd: 4, ..Default::default() };
    let r = rec(&mut n, &build::namespace(actor, 3, e));
    let Body::Namespace(b) = &r.body else { panic!("{:?}", r.body) };
    assert_eq!((b.ns_inode, b.target_pid, b.target_exe.as_deref()), (None, Some(90), Some("/usr/bin/sleep")));
    assert_eq!(b.ns_bits(), 0x2000_0000);
    // clone: the child; no fd
    let e = rg_namespace {
        flags: 0x0002_0000,
        syscall: rg_syscall::RG_SYS_CLONE.0,
        child_pid: 91,
        fd: -1,
        ..Default::default()
    };
    let r = rec(&mut n, &build::namespace(actor, 4, e));
    assert_eq!(
        r.body,
        Body::Namespace(Namespace {
            flags: 0x0002_0000,
            ns_inode: None,
            ns_type: None,
            target_pid: None,
            target_comm: None,
            target_exe: None,
            child_pid: Some(91),
            fd: None,
            syscall: "clone",
        })
    );
    // a mount: paths made normal, a missing string is None
    let e = rg_mount { flags: 0x1000, syscall: rg_syscall::RG_SYS_MOUNT.0, fd: -1, ..Default::default() };
    let r = rec(&mut n, &build::mount(actor, 5, e, [Some("/tmp/./a"), Some("/tmp/b/"), None]));
    assert_eq!(
        r.body,
        Body::Mount(Mount {
            source: Some("/tmp/a".into()),
            source_truncated: false,
            source_detached: false,
            target: Some("/tmp/b".into()),
            target_truncated: false,
            fstype: None,
            flags: 0x1000,
            fd: None,
            syscall: "mount",
        })
    );
    // a source that is no path stays as given
    let e = rg_mount { syscall: rg_syscall::RG_SYS_FSMOUNT.0, fd: 5, ..Default::default() };
    let r = rec(&mut n, &build::mount(actor, 6, e, [Some("tmpfs"), None, Some("tmpfs")]));
    let Body::Mount(m) = &r.body else { panic!("{:?}", r.body) };
    assert_eq!((m.source.as_deref(), m.target.as_deref(), m.fd, m.syscall), (Some("tmpfs"), None, Some(5), "fsmount"));
}

#[test]
fn exec_credentials_are_reported_only_when_the_entry_was_seen() {
    use crate::bpf::skel::types::rg_exec_flag;
    let mut n = normalizer();
    let t = build::task(80, 80, 1, 0, "rootshell", "bash");
    let raw = build::exec_via(t, 1, "/tmp/x", None, &["x"], "/tmp/x", "/tmp", |e| {
        (e.old_uid, e.old_euid, e.old_gid, e.old_egid) = (65534, 65534, 65534, 65534);
        e.caps_gained = 1 << 21;
        e.flags = rg_exec_flag::RG_EXEC_OLD_IDS.0 | rg_exec_flag::RG_EXEC_PRIV_CHANGE.0;
    });
    let r = rec(&mut n, &raw);
    let Body::Exec(e) = &r.body else { panic!("{:?}", r.body) };
    let want =
        OldCreds { uid: 65534, euid: 65534, gid: 65534, egid: 65534, caps_gained: 1 << 21, privilege_change: true };
    assert_eq!(e.creds, ExecCreds { egid: 0, before: Some(want) });
    // without the stash: nothing is guessed
    let r = rec(&mut n, &build::exec(t, 2, "/tmp/x", &["x"], "/tmp/x", "/tmp"));
    let Body::Exec(e) = &r.body else { panic!("{:?}", r.body) };
    assert_eq!(e.creds, ExecCreds { egid: 0, before: None });
}

#[test]
fn scripts_come_from_the_kernel_interp_or_an_interpreters_argv() {
    let mut n = normalizer();
    let t = build::task(81, 81, 1, 1000, "x.sh", "bash");
    // ./x.sh with `#!/bin/sh`: the kernel put the interpreter and the path into argv
    let raw =
        build::exec_via(t, 1, "./x.sh", Some("/bin/sh"), &["/bin/sh", "./x.sh", "a"], "/usr/bin/dash", "/w", |_| {});
    let r = rec(&mut n, &raw);
    let Body::Exec(e) = &r.body else { panic!("{:?}", r.body) };
    let want = Script { interpreter: "/bin/sh".into(), path: "/w/x.sh".into(), source: ScriptSource::Kernel };
    assert_eq!(e.script, Some(want));
    // python3 -u ../y.py: the interpreter's own argument
    let raw = build::exec(t, 2, "/usr/bin/python3", &["python3", "-u", "../y.py"], "/usr/bin/python3.11", "/w/d");
    let r = rec(&mut n, &raw);
    let Body::Exec(e) = &r.body else { panic!("{:?}", r.body) };
    let want = Script { interpreter: "/usr/bin/python3.11".into(), path: "/w/y.py".into(), source: ScriptSource::Argv };
    assert_eq!(e.script, Some(want));
    // inline code and plain programs have none
    for (exe, args) in [("/usr/bin/python3.11", &["python3", "-c", "1"][..]), ("/usr/bin/cat", &["cat", "f"][..])] {
        let r = rec(&mut n, &build::exec(t, 3, exe, args, exe, "/w"));
        assert!(matches!(&r.body, Body::Exec(e) if e.script.is_none()), "{:?}", r.body);
    }
}

#[test]
fn ptrace_names_its_target_from_the_table_except_for_traceme() {
    let mut n = normalizer();
    let target = build::task(91, 91, 1, 0, "sleep", "bash");
    rec(&mut n, &build::exec(target, 1, "/bin/sleep", &["sleep", "30"], "/usr/bin/sleep", "/"));
    let actor = build::task(92, 92, 1, 0, "inj", "bash");
    rec(&mut n, &build::exec(actor, 1, "/tmp/inj", &["inj"], "/tmp/inj", "/tmp"));
    let r = rec(&mut n, &build::ptrace(actor, 2, 13, 91));
    let Body::Ptrace(p) = &r.body else { panic!("{:?}", r.body) };
    assert_eq!(p.request_name, Some("PTRACE_SETREGS"));
    assert_eq!((p.target_comm.as_deref(), p.target_exe.as_deref()), (Some("sleep"), Some("/usr/bin/sleep")));
    assert_eq!((p.target_cmdline.as_deref(), p.target_same_exe), (Some("sleep 30"), Some(false)));
    let r = rec(&mut n, &build::ptrace(actor, 3, 0, 91));
    let Body::Ptrace(p) = &r.body else { panic!("{:?}", r.body) };
    assert_eq!((p.target_exe.as_deref(), p.target_same_exe), (None, None), "TRACEME names no target");
}

#[test]
fn io_uring_records_name_the_opcode_and_say_why_an_fd_is_unknown() {
    use crate::bpf::abi::{rg_file, rg_net};
    use crate::bpf::skel::types::rg_uring_fd;
    let mut n = normalizer();
    let t = build::task(70, 71, 1, 0, "db", "init");
    let r = rec(&mut n, &build::io_uring(t, 1, 5, 8, 1 << 12));
    assert_eq!(r.body, Body::IoUring(IoUring { fd: Some(5), sq_entries: 8, cq_entries: 16, flags: 1 << 12 }));
    // a registered-only ring's "fd" is an index
    let r = rec(&mut n, &build::io_uring(t, 1, 0, 8, IORING_SETUP_REGISTERED_FD_ONLY));
    assert!(matches!(r.body, Body::IoUring(IoUring { fd: None, .. })), "{:?}", r.body);

    let uring = rg_syscall::RG_SYS_IO_URING.0;
    let mut raw = build::file(EventType::FileWrite, t, 2, uring, "/etc/db", None);
    let registered = rg_uring_fd::RG_URING_FD_REGISTERED.0 as u16;
    let at = std::mem::offset_of!(rg_file, uring_op);
    raw[at..at + 2].copy_from_slice(&(23 | registered).to_ne_bytes());
    let at = std::mem::offset_of!(rg_file, fd);
    raw[at..at + 4].copy_from_slice(&(-1i32).to_ne_bytes());
    let Body::File(f) = rec(&mut n, &raw).body else { panic!("not a file record") };
    assert_eq!((f.syscall, f.op), ("io_uring", FileOp::Write { bytes: 0, fd: -1 }));
    assert_eq!(
        f.io_uring,
        Some(UringReq { op: "IORING_OP_WRITE", fd_unknown: Some("registered_file"), result_unknown: false })
    );
    // a syscall's record has none
    let Body::File(f) = rec(&mut n, &build::file(EventType::FileWrite, t, 3, 20, "/etc/db", None)).body else {
        panic!("not a file record")
    };
    assert_eq!((f.syscall, f.io_uring), ("write", None));

    let mut raw = build::net(EventType::NetworkConnect, t, 4, 2, &[10, 0, 0, 2], 443, 40000);
    let at = std::mem::offset_of!(rg_net, syscall);
    raw[at..at + 4].copy_from_slice(&uring.to_ne_bytes());
    let at = std::mem::offset_of!(rg_net, uring_op);
    raw[at..at + 2].copy_from_slice(&16u16.to_ne_bytes());
    let Body::Net(c) = rec(&mut n, &raw).body else { panic!("not a network record") };
    assert_eq!((c.syscall, c.fd, c.remote_port), ("io_uring", 3, Some(443)));
    assert_eq!(c.io_uring, Some(UringReq { op: "IORING_OP_CONNECT", fd_unknown: None, result_unknown: false }));
}

#[test]
fn links_name_the_link_created_and_what_it_points_at() {
    let mut n = normalizer();
    let t = build::task(72, 72, 1, 0, "ln", "bash");
    let link = |n: &mut Normalizer, syscall: rg_syscall, target: &str, created: &str, flags: u32| {
        let mut raw = build::file(EventType::FileLink, t, 1, syscall.0, target, Some(created));
        let off = std::mem::offset_of!(abi::rg_file, flags);
        raw[off..off + 4].copy_from_slice(&flags.to_ne_bytes());
        n.normalize(&raw)
    };
    let body = |o: Outcome| match o {
        Outcome::Record(Record { body: Body::File(f), .. }) => f,
        other => panic!("{other:?}"),
    };
    // a hard link of a watched file made in an unwatched place is reported
    let f = body(link(&mut n, rg_syscall::RG_SYS_LINKAT, "/etc/./shadow", "/var/s", 0x400));
    assert_eq!((f.path.as_str(), f.syscall), ("/var/s", "linkat"));
    let FileOp::Link(l) = f.op else { panic!("{:?}", f.op) };
    assert_eq!((l.target.as_str(), l.symlink, l.follow_symlinks), ("/etc/shadow", false, Some(true)));
    // link(2) never follows; a symlink's content is kept as given
    let f = body(link(&mut n, rg_syscall::RG_SYS_LINK, "/etc/a", "/var/a", 0x400));
    assert!(matches!(f.op, FileOp::Link(Link { follow_symlinks: Some(false), .. })));
    let f = body(link(&mut n, rg_syscall::RG_SYS_SYMLINKAT, "../etc//x", "/var/l", 0));
    let FileOp::Link(l) = f.op else { panic!("{:?}", f.op) };
    assert_eq!((l.target.as_str(), l.symlink, l.follow_symlinks), ("../etc//x", true, None));
    // neither side watched: filtered (a relative content counts from the link's directory)
    assert!(matches!(link(&mut n, rg_syscall::RG_SYS_SYMLINK, "../var/x", "/var/l", 0), Outcome::Filtered));
    assert!(matches!(link(&mut n, rg_syscall::RG_SYS_LINK, "/var/a", "/var/b", 0), Outcome::Filtered));
    assert!(matches!(link(&mut n, rg_syscall::RG_SYS_SYMLINK, "/tmp/skip/x", "/var/l", 0), Outcome::Filtered));
}

#[test]
fn io_uring_path_requests_read_flags_by_opcode_and_flag_a_record_made_at_submission() {
    use crate::bpf::skel::types::rg_uring_req;
    let mut n = normalizer();
    let t = build::task(73, 73, 1, 0, "db", "init");
    let raw = |et, op: u16, path: &str, new: Option<&str>, flags: u32| {
        let mut raw = build::file(et, t, 1, rg_syscall::RG_SYS_IO_URING.0, path, new);
        let at = std::mem::offset_of!(abi::rg_file, uring_op);
        raw[at..at + 2].copy_from_slice(&op.to_ne_bytes());
        let at = std::mem::offset_of!(abi::rg_file, flags);
        raw[at..at + 4].copy_from_slice(&flags.to_ne_bytes());
        raw
    };
    let mut file = |raw: &[u8]| match rec(&mut n, raw).body {
        Body::File(f) => f,
        other => panic!("{other:?}"),
    };
    // RENAME_EXCHANGE (2) through IORING_OP_RENAMEAT (35)
    let f = file(&raw(EventType::FileRename, 35, "/etc/a", Some("/etc/b"), 2));
    assert!(matches!(f.op, FileOp::Rename { exchange: true, .. }), "{:?}", f.op);
    // SYMLINKAT (38): the target is content; LINKAT (39) with AT_SYMLINK_FOLLOW follows
    let f = file(&raw(EventType::FileLink, 38, "../x", Some("/etc/l"), 0));
    assert!(matches!(&f.op, FileOp::Link(Link { symlink: true, follow_symlinks: None, .. })), "{:?}", f.op);
    let f = file(&raw(EventType::FileLink, 39, "/etc/a", Some("/etc/h"), 0x400));
    assert!(matches!(&f.op, FileOp::Link(Link { symlink: false, follow_symlinks: Some(true), .. })), "{:?}", f.op);
    assert_eq!(f.io_uring, Some(UringReq { op: "IORING_OP_LINKAT", fd_unknown: None, result_unknown: false }));
    // UNLINKAT (36) sent at submission: whether it succeeded is unknown
    let at_submit = rg_uring_req::RG_URING_AT_SUBMIT.0 as u16;
    let f = file(&raw(EventType::FileUnlink, 36 | at_submit, "/etc/a", None, 0));
    assert_eq!(f.io_uring, Some(UringReq { op: "IORING_OP_UNLINKAT", fd_unknown: None, result_unknown: true }));
}
