//! The default rule pack against its fixtures: each rule fires on its
//! attacks and not on look-alikes.

use std::path::Path;

use super::*;
use crate::record::json::write_record;
use crate::record::{Fork, NetKind};

/// `r` as run from the executable `exe` (whatever its comm says).
pub(super) fn at_exe(r: Record, exe: &str) -> Record {
    r.with_exe(exe)
}

/// `r` from a process started with command line `cmdline`.
fn with_cmdline(mut r: Record, cmdline: &str) -> Record {
    r.cmdline = Some(cmdline.into());
    r
}

/// `r` from a process whose comm says `comm`: rules judge by exe, not by this.
pub(super) fn renamed(mut r: Record, comm: &str) -> Record {
    r.comm = comm.into();
    r
}

/// (rule id, records that must fire it, look-alikes that must fire nothing)
fn pack_cases() -> Vec<(&'static str, Vec<Record>, Vec<Record>)> {
    let t = |s: u64| T0 + s * S;
    let w = O_WRONLY | O_CREAT | O_TRUNC;
    let mut web_sh = exec(t(0), 200, 100, "nginx", "/usr/bin/dash", &["sh", "-c", "id"], ["pipe", "pipe", "pipe"]);
    web_sh.comm = "sh".into();
    web_sh.parent_exe = Some(Arc::from("/usr/sbin/nginx"));
    let mut ssh_sh = exec(t(0), 200, 100, "sshd", "/usr/bin/bash", &["-bash"], TTY);
    ssh_sh.comm = "bash".into();
    let mut memfd_exec = exec(t(0), 300, 1, "bash", "/proc/self/fd/3", &["x"], ["none", "none", "none"]);
    memfd_exec.exe = Some(Arc::from("/memfd:payload (deleted)"));
    let mut kworker_modprobe = exec(
        t(0),
        400,
        2,
        "kworker/u8:1",
        "/sbin/modprobe",
        &["/sbin/modprobe", "-q", "--", "net-pf-10"],
        ["none", "none", "none"],
    );
    kworker_modprobe.ppid = 2;
    // a process named like a kernel worker (prctl) is not one: it has an executable
    let fake_kworker = child_of(
        exec(t(5), 405, 77, "kworker/0:1", "/usr/sbin/modprobe", &["modprobe", "evil"], TTY),
        "/usr/bin/python3.11",
    );
    let mut lsmod = exec(t(0), 401, 1, "bash", "/usr/sbin/lsmod", &["lsmod"], TTY);
    lsmod.exe = Some(Arc::from("/usr/bin/kmod"));
    let mut insmod =
        child_of(exec(t(0), 402, 1, "bash", "/usr/sbin/insmod", &["insmod", "rootkit.ko"], TTY), "/usr/bin/bash");
    insmod.exe = Some(Arc::from("/usr/bin/kmod"));
    // kmod picks its tool by argv[0]: `exec -a modprobe kmod`, a link named
    // anything run with argv[0] modprobe, a renamed copy of kmod
    let kmod = |ts: u64, filename: &str, exe: &str, args: &[&str]| {
        let mut r = child_of(exec(t(ts), 406, 1, "bash", filename, args, TTY), "/usr/bin/bash");
        r.exe = Some(Arc::from(exe));
        r
    };
    // named dpkg, but not the package manager's executable
    let mut fake_dpkg = chmod(t(4), 11, "dpkg", "/tmp/x", 0o4755);
    fake_dpkg.exe = Some(Arc::from("/tmp/dpkg"));
    let mut cases = vec![
        (
            "RG-PERSIST-CRON",
            vec![
                open(t(0), 10, "bash", "/etc/cron.d/backdoor", w),
                write(t(1), 10, "bash", "/etc/crontab"),
                rename(t(2), 11, "crontab", "/var/spool/cron/crontabs/tmp.X", "/var/spool/cron/crontabs/root"),
                // an exchange puts the other file at `path`: both are destinations
                exchange(t(3), 12, "mv", "/etc/cron.d/e2scrub_all", "/tmp/job"),
                exchange(t(4), 12, "mv", "/tmp/job", "/etc/cron.hourly/x"),
                // named like a package manager, but not one: prctl(PR_SET_NAME, "dpkg"),
                // a copy of sh named dpkg, a link named apt-get to bash
                open(t(5), 13, "dpkg", "/etc/cron.d/x", w).with_exe("/usr/bin/python3.11"),
                open(t(6), 13, "dpkg", "/etc/cron.d/x", w).with_exe("/tmp/dpkg"),
                write(t(7), 13, "apt-get", "/etc/cron.daily/x").with_exe("/usr/bin/bash"),
            ],
            vec![
                // the package manager itself, by its executable, whatever its comm
                open(t(0), 10, "dpkg", "/etc/cron.d/pkg", w).with_exe("/usr/bin/dpkg"),
                open(t(0), 10, "kworker/0:1", "/etc/cron.daily/pkg", w).with_exe("/usr/bin/rpm"),
                open(t(0), 10, "cron", "/etc/crontab", O_RDONLY),
                open(t(1), 10, "cron", "/etc/cron.d/e2scrub_all", O_RDONLY),
                // moving a cron file away is not planting one
                rename(t(2), 12, "mv", "/etc/cron.d/old", "/tmp/old"),
            ],
        ),
        (
            "RG-PERSIST-SYSTEMD",
            vec![
                open(t(0), 10, "bash", "/etc/systemd/system/evil.service", w),
                write(t(1), 10, "tee", "/home/u/.config/systemd/user/evil.timer"),
                rename(t(2), 10, "mv", "/tmp/x", "/lib/systemd/system/evil.service"),
                exchange(t(3), 10, "mv", "/etc/systemd/system/ssh.service", "/tmp/x"),
                open(t(4), 10, "dnf", "/etc/systemd/system/evil.service", w).with_exe("/dev/shm/dnf"),
            ],
            vec![
                open(t(0), 10, "systemctl", "/etc/systemd/system/ssh.service", O_RDONLY | O_CLOEXEC),
                open(t(1), 10, "bash", "/etc/systemd/system/x.service.d/override.conf", w),
                rename(t(2), 10, "mv", "/etc/systemd/system/old.service", "/tmp/old.service"),
                exchange(t(3), 10, "mv", "/etc/systemd/system/x.service.d", "/tmp/y.service.d"),
            ],
        ),
        (
            "RG-PERSIST-SSH-KEYS",
            vec![
                open(t(0), 10, "bash", "/root/.ssh/authorized_keys", O_WRONLY | O_APPEND | O_CREAT),
                write(t(1), 10, "bash", "/home/u/.ssh/authorized_keys2"),
                rename(t(2), 10, "mv", "/tmp/k", "/home/u/.ssh/authorized_keys"),
                exchange(t(3), 10, "mv", "/root/.ssh/authorized_keys", "/tmp/k"),
            ],
            vec![
                open(t(0), 10, "sshd", "/home/u/.ssh/authorized_keys", O_RDONLY),
                rename(t(1), 10, "mv", "/root/.ssh/authorized_keys", "/root/keys.bak"),
            ],
        ),
        (
            "RG-PERSIST-SHELL-RC",
            vec![
                open(t(0), 10, "bash", "/home/u/.bashrc", O_WRONLY | O_APPEND),
                write(t(1), 10, "bash", "/etc/profile.d/zz.sh"),
                open(t(2), 10, "vim", "/root/.profile", w),
                open(t(3), 10, "packagekitd", "/etc/profile.d/zz.sh", w).with_exe("/usr/bin/perl"),
            ],
            vec![
                open(t(0), 10, "dpkg", "/etc/profile.d/locale.sh", w).with_exe("/usr/bin/dpkg"),
                open(t(0), 10, "bash", "/home/u/.bashrc", O_RDONLY),
                open(t(1), 10, "bash", "/etc/profile.d/locale.sh", O_RDONLY),
            ],
        ),
        (
            "RG-PERSIST-LD-PRELOAD",
            vec![
                open(t(0), 10, "bash", "/etc/ld.so.preload", w),
                rename(t(1), 10, "mv", "/tmp/p", "/etc/ld.so.preload"),
                exchange(t(2), 10, "mv", "/etc/ld.so.preload", "/tmp/p"),
            ],
            vec![open(t(0), 10, "ls", "/etc/ld.so.preload", O_RDONLY | O_CLOEXEC)],
        ),
        (
            "RG-PERSIST-ACCOUNT",
            vec![
                rename(t(0), 10, "useradd", "/etc/passwd+", "/etc/passwd"),
                open(t(1), 10, "bash", "/etc/shadow", O_WRONLY | O_APPEND),
                exchange(t(2), 10, "mv", "/etc/shadow", "/var/tmp/s"),
            ],
            vec![
                open(t(0), 10, "id", "/etc/passwd", O_RDONLY | O_CLOEXEC),
                open(t(1), 10, "id", "/etc/group", O_RDONLY | O_CLOEXEC),
            ],
        ),
        (
            "RG-PRIV-SUDOERS",
            vec![
                open(t(0), 10, "bash", "/etc/sudoers.d/90-evil", w),
                rename(t(1), 10, "visudo", "/etc/sudoers.tmp", "/etc/sudoers"),
                exchange(t(2), 10, "mv", "/etc/sudoers.d/README", "/tmp/s"),
                open(t(3), 10, "rpm", "/etc/sudoers.d/99-x", w).with_exe("/var/tmp/rpm"),
            ],
            vec![
                open(t(0), 10, "x", "/etc/sudoers.d/pkg", w).with_exe("/usr/bin/dpkg"),
                open(t(0), 10, "sudo", "/etc/sudoers", O_RDONLY),
                open(t(1), 10, "sudo", "/etc/sudoers.d/README", O_RDONLY),
            ],
        ),
        (
            "RG-PRIV-SETUID",
            vec![
                // by the mode given, whatever the spelling: chmod u+s, 4755, =4755,
                // install -m 4755, os.chmod, g+s on a directory
                chmod(t(0), 10, "chmod", "/tmp/sh", 0o4755),
                chmod(t(1), 10, "install", "/usr/local/bin/x", 0o4755),
                chmod(t(2), 10, "python3", "/home/u/x", 0o6711),
                chmod(t(3), 10, "chmod", "/srv/dir", 0o2775),
                fake_dpkg,
            ],
            vec![
                chmod(t(0), 10, "chmod", "/tmp/sh", 0o755),
                chmod(t(1), 10, "chmod", "/tmp/d", 0o1777),
                chmod(t(2), 10, "dpkg", "/usr/bin/passwd", 0o4755),
            ],
        ),
        (
            "RG-CRED-SENSITIVE-READ",
            vec![
                open(t(0), 10, "cat", "/etc/shadow", O_RDONLY),
                open(t(1), 10, "python3", "/etc/ssh/ssh_host_ed25519_key", O_RDONLY | O_CLOEXEC),
                open(t(2), 10, "tar", "/root/.ssh/id_rsa", O_RDONLY),
                // names are not identities: a copy of cat called sshd, cat
                // renamed by prctl, a program that calls itself systemd
                at_exe(open(t(3), 10, "sshd", "/etc/shadow", O_RDONLY), "/tmp/sshd"),
                at_exe(open(t(4), 10, "unix_chkpwd", "/etc/shadow", O_RDONLY), "/usr/bin/cat"),
                at_exe(open(t(5), 10, "systemd-journal", "/etc/gshadow", O_RDONLY), "/dev/shm/systemd-journald"),
                at_exe(open(t(6), 10, "sshd", "/etc/shadow", O_RDONLY), "/usr/lib/systemd/evil/sshd"),
                // perl is no debconf front end by its interpreter alone
                with_cmdline(
                    at_exe(open(t(7), 10, "perl", "/etc/shadow", O_RDONLY), "/usr/bin/perl"),
                    "/usr/bin/perl -e print",
                ),
                with_cmdline(
                    at_exe(open(t(8), 10, "perl", "/etc/shadow", O_RDONLY), "/usr/bin/perl"),
                    "/usr/bin/perl -w /tmp/usr/sbin/dpkg-preconfigure",
                ),
            ],
            vec![
                at_exe(open(t(0), 10, "unix_chkpwd", "/etc/shadow", O_RDONLY | O_CLOEXEC), "/usr/sbin/unix_chkpwd"),
                open(t(1), 10, "passwd", "/etc/shadow", O_RDONLY | O_CLOEXEC),
                at_exe(open(t(2), 10, "sshd", "/etc/ssh/ssh_host_ed25519_key", O_RDONLY), "/usr/sbin/sshd"),
                open(t(3), 10, "cat", "/root/.ssh/id_rsa.pub", O_RDONLY),
                at_exe(open(t(4), 10, "systemd-userdbd", "/etc/shadow", O_RDONLY), "/usr/lib/systemd/systemd-userdbd"),
                // debconf's front end, run by apt at every install
                with_cmdline(
                    at_exe(open(t(5), 10, "dpkg-preconfigu", "/etc/shadow", O_RDONLY | O_CLOEXEC), "/usr/bin/perl"),
                    "/usr/bin/perl -w /usr/sbin/dpkg-preconfigure --apt",
                ),
            ],
        ),
        (
            "RG-EXEC-WEB-SHELL",
            vec![
                web_sh.clone(),
                // the worker renamed itself (prctl); the shell is a link called x; argv[0] lies
                child_of(
                    renamed(exec(t(1), 201, 100, "kworker/0:0", "/usr/bin/bash", &["bash"], TTY), "x"),
                    "/usr/sbin/php-fpm8.2",
                ),
                child_of(exec(t(2), 202, 100, "node", "/tmp/x", &["x", "-c", "id"], TTY), "/usr/bin/node")
                    .with_exe("/usr/bin/dash"),
                child_of(
                    exec(t(3), 203, 100, "java", "/bin/sh", &["[kworker/1:2]", "-c", "id"], TTY),
                    "/usr/lib/jvm/java-17/bin/java",
                )
                .with_exe("/usr/bin/busybox"),
            ],
            vec![
                child_of(
                    exec(t(0), 200, 100, "nginx", "/usr/bin/gzip", &["gzip", "-d"], ["pipe", "pipe", "pipe"]),
                    "/usr/sbin/nginx",
                ),
                ssh_sh.clone(),
                // a process named nginx is not nginx; a program named sh is not a shell
                child_of(
                    exec(t(1), 204, 100, "nginx", "/usr/bin/dash", &["sh", "-c", "id"], TTY),
                    "/usr/bin/python3.11",
                ),
                child_of(renamed(exec(t(2), 205, 100, "nginx", "/usr/bin/ls", &["sh"], TTY), "sh"), "/usr/sbin/nginx"),
            ],
        ),
        (
            "RG-EXEC-REVERSE-SHELL",
            vec![
                exec(t(0), 500, 499, "nc", "/usr/bin/bash", &["bash", "-i"], ["socket", "socket", "socket"]),
                // a link named x; a copy of bash in /dev/shm named httpd; busybox's sh applet as argv[0]
                exec(t(1), 502, 499, "nc", "/tmp/x", &["x", "-i"], ["socket", "socket", "socket"])
                    .with_exe("/usr/bin/bash"),
                exec(t(2), 503, 499, "nc", "/dev/shm/httpd", &["httpd"], ["socket", "socket", "tty"]),
                exec(t(3), 504, 499, "socat", "/bin/sh", &["sh"], ["socket", "socket", "socket"])
                    .with_exe("/usr/bin/busybox"),
            ],
            vec![
                exec(t(0), 500, 499, "sshd", "/usr/bin/bash", &["bash", "-i"], TTY),
                exec(t(1), 501, 499, "make", "/usr/bin/sh", &["sh", "-c", "cc x.c"], ["pipe", "pipe", "pipe"]),
                // an inetd service whose comm says bash
                renamed(
                    exec(t(2), 505, 1, "inetd", "/usr/sbin/in.tftpd", &["bash"], ["socket", "socket", "socket"]),
                    "bash",
                ),
            ],
        ),
        (
            "RG-SEQ-WEB-SHELL-CONNECT",
            vec![
                child_of(
                    exec(
                        t(0),
                        600,
                        100,
                        "kworker/0:0",
                        "/usr/bin/bash",
                        &["bash", "-c", "curl x|sh"],
                        ["pipe", "pipe", "pipe"],
                    ),
                    "/usr/sbin/nginx",
                ),
                record(t(1), 601, 600, "bash", "/usr/bin/bash", "bash", Body::Fork(Fork { parent_tid: 600 })),
                net(t(2), 601, 600, "curl", NetKind::Connect, "203.0.113.9", 443),
            ],
            vec![
                // A shell of an sshd session connecting out.
                child_of(exec(t(0), 700, 100, "sshd", "/usr/bin/bash", &["bash"], TTY), "/usr/sbin/sshd"),
                net(t(1), 700, 100, "bash", NetKind::Connect, "203.0.113.9", 443),
                // nginx connecting to its upstream itself.
                net(t(2), 100, 1, "nginx", NetKind::Connect, "10.0.0.2", 8080),
                // a parent that calls itself nginx
                child_of(exec(t(3), 701, 102, "nginx", "/usr/bin/bash", &["bash"], TTY), "/tmp/nginx.py"),
                net(t(4), 701, 102, "bash", NetKind::Connect, "203.0.113.9", 443),
            ],
        ),
        (
            "RG-SEQ-DROP-EXEC",
            vec![
                open(t(0), 800, "curl", "/tmp/x", w),
                exec(t(5), 801, 800, "bash", "/tmp/x", &["/tmp/x"], TTY),
                rename(t(10), 800, "mv", "/home/u/y", "/dev/shm/y"),
                exec(t(12), 802, 800, "bash", "/dev/shm/y", &["/dev/shm/y"], TTY),
                // a copy of the linker in /tmp is no linker
                at_exe(open(t(13), 803, "ld", "/tmp/z", w), "/tmp/ld"),
                exec(t(14), 804, 800, "bash", "/tmp/z", &["/tmp/z"], TTY),
            ],
            vec![
                open(t(0), 800, "cp", "/usr/local/bin/tool", w),
                exec(t(5), 801, 800, "bash", "/usr/local/bin/tool", &["tool"], TTY),
                open(t(6), 800, "vim", "/tmp/notes.txt", w),
                exec(t(7), 803, 800, "bash", "/usr/bin/cat", &["cat", "/tmp/notes.txt"], TTY),
                // gcc -o /tmp/cc/x: the linker writes it; go run: go's linker
                at_exe(open(t(8), 804, "ld", "/tmp/cc/x", w), "/usr/bin/x86_64-linux-gnu-ld.bfd"),
                exec(t(9), 805, 800, "bash", "/tmp/cc/x", &["/tmp/cc/x"], TTY),
                at_exe(
                    open(t(10), 806, "link", "/tmp/go-build1/b001/exe/m", w),
                    "/usr/lib/go-1.22/pkg/tool/linux_amd64/link",
                ),
                exec(t(11), 807, 800, "go", "/tmp/go-build1/b001/exe/m", &["m"], TTY),
            ],
        ),
        ("RG-EXEC-FILELESS", vec![memfd_exec], vec![exec(t(0), 300, 1, "bash", "/usr/bin/ls", &["ls"], TTY)]),
        (
            "RG-SEQ-DECODE-TO-SHELL",
            vec![
                exec(t(0), 901, 900, "bash", "/usr/bin/base64", &["base64", "-di"], ["pipe", "pipe", "tty"]),
                exec(t(0), 902, 900, "bash", "/usr/bin/bash", &["bash"], ["pipe", "tty", "tty"]),
            ],
            vec![
                exec(t(0), 901, 900, "bash", "/usr/bin/base64", &["base64", "-d", "in.b64"], ["tty", "file", "tty"]),
                exec(t(1), 902, 900, "bash", "/usr/bin/bash", &["bash", "script.sh"], TTY),
            ],
        ),
        (
            "RG-SEQ-DECODE-TO-SHELL-R",
            vec![
                exec(t(0), 902, 900, "bash", "/usr/bin/sh", &["sh"], ["pipe", "tty", "tty"]),
                exec(t(0), 901, 900, "bash", "/usr/bin/base64", &["base64", "-w0", "--dec"], ["pipe", "pipe", "tty"]),
            ],
            vec![
                exec(t(0), 902, 900, "bash", "/usr/bin/bash", &["bash"], ["pipe", "tty", "tty"]),
                exec(t(1), 901, 900, "bash", "/usr/bin/base64", &["base64"], ["pipe", "pipe", "tty"]),
            ],
        ),
        (
            "RG-EVADE-KMOD-LOAD",
            vec![
                insmod,
                kmod(1, "/usr/sbin/modprobe", "/usr/sbin/modprobe", &["modprobe", "evil"]),
                kmod(2, "/usr/bin/kmod", "/usr/bin/kmod", &["modprobe", "evil"]),
                kmod(3, "/tmp/x/modprobe", "/usr/bin/kmod", &["/tmp/x/modprobe", "evil"]),
                kmod(4, "/tmp/.k/x", "/tmp/.k/x", &["insmod", "/tmp/.k/r.ko"]),
                kmod(5, "/dev/shm/modprobe", "/dev/shm/modprobe", &["modprobe", "evil"]),
                kmod(6, "/usr/bin/kmod", "/usr/bin/kmod", &["kmod", "insmod", "/tmp/r.ko"]),
                kmod(7, "/bin/busybox", "/usr/bin/busybox", &["busybox", "modprobe", "evil"]),
                // no dry run in any spelling: a value that looks like one, options after the module
                kmod(8, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "-C", "-n", "evil"]),
                kmod(9, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "-C-n", "evil"]),
                kmod(10, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "--config", "--dry-run", "evil"]),
                kmod(11, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "-qa", "evil", "--", "-n"]),
                fake_kworker,
            ],
            vec![
                child_of(lsmod, "/usr/bin/bash"),
                kworker_modprobe,
                child_of(
                    exec(t(2), 404, 1, "bash", "/usr/sbin/modprobe", &["modprobe", "-n", "evil"], TTY),
                    "/usr/bin/bash",
                ),
                kmod(3, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "-nv", "evil"]),
                kmod(4, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "evil", "--dry"]),
                kmod(5, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "-qr", "evil"]),
                kmod(
                    6,
                    "/usr/sbin/modprobe",
                    "/usr/bin/kmod",
                    &["modprobe", "-C", "/etc/m.conf", "--show-depends", "x"],
                ),
                kmod(7, "/usr/sbin/modprobe", "/usr/bin/kmod", &["modprobe", "--remove=yes", "x"]),
                kmod(8, "/usr/sbin/modinfo", "/usr/bin/kmod", &["modinfo", "modprobe"]),
                kmod(9, "/usr/bin/kmod", "/usr/bin/kmod", &["kmod", "list"]),
                kmod(10, "/usr/bin/man", "/usr/bin/man", &["man", "modprobe"]),
            ],
        ),
        (
            "RG-EVADE-HISTORY",
            vec![
                unlink(t(0), 10, "rm", "/home/u/.bash_history"),
                open(t(1), 10, "bash", "/root/.bash_history", O_WRONLY | O_TRUNC),
                rename(t(2), 10, "mv", "/home/u/.zsh_history", "/tmp/h"),
                truncate(t(3), 10, "truncate", "/root/.bash_history", 0),
                truncate(t(4), 10, "python3", "/home/u/.zsh_history", 0),
            ],
            vec![
                open(t(0), 10, "bash", "/home/u/.bash_history", O_WRONLY | O_APPEND | O_CREAT),
                truncate(t(1), 10, "truncate", "/home/u/.bash_history", 100),
                truncate(t(2), 10, "truncate", "/home/u/notes", 0),
            ],
        ),
        (
            "RG-NET-SUSPICIOUS-PORT",
            vec![net(t(0), 10, 1, "nc", NetKind::Connect, "198.51.100.7", 4444)],
            vec![
                net(t(0), 10, 1, "curl", NetKind::Connect, "198.51.100.7", 443),
                net(t(1), 10, 1, "curl", NetKind::Connect, "198.51.100.7", 80),
                net(t(2), 10, 1, "nc", NetKind::Listen, "0.0.0.0", 4444),
            ],
        ),
    ];
    cases.extend(super::pack_events::cases());
    cases
}

fn ndjson(records: &[Record]) -> String {
    let mut out = Vec::new();
    for r in records {
        write_record(&mut out, r);
    }
    String::from_utf8(out).unwrap()
}

/// Writes the fixture when UPDATE_FIXTURES is set (or it is missing),
/// else checks the file still matches what the builders make.
fn fixture(name: &str, records: &[Record]) -> PathBuf {
    let path = manifest().join("tests/fixtures/rules").join(name);
    let text = ndjson(records);
    if std::env::var_os("UPDATE_FIXTURES").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{} is stale (UPDATE_FIXTURES=1)", path.display());
    path
}

fn replay(path: &Path) -> TestSummary {
    let mut out = Vec::new();
    let s = test_events(pack(), path, &mut out).unwrap();
    // Every output line is valid JSON.
    for l in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let _: serde_json::Value = serde_json::from_slice(l).unwrap();
    }
    s
}

#[test]
fn default_pack_fires_on_attacks_and_not_on_look_alikes() {
    let cases = pack_cases();
    let ids: Vec<String> = pack().rules().map(|r| r.id).collect();
    for id in &ids {
        assert!(cases.iter().any(|(c, ..)| c == id), "rule {id} has no fixture");
    }
    for (id, pos, benign) in cases {
        assert!(ids.iter().any(|i| i == id), "{id} not in the pack");
        let p = replay(&fixture(&format!("{id}.positive.ndjson"), &pos));
        assert!(p.by_rule.get(id).copied().unwrap_or(0) >= 1, "{id} did not fire: {p:?}");
        let b = replay(&fixture(&format!("{id}.benign.ndjson"), &benign));
        assert_eq!(b.alerts, 0, "{id} benign fired: {:?}", b.by_rule);
    }
}

#[test]
fn default_pack_every_positive_record_counts() {
    // Each single-event positive record fires the rule by itself.
    for (id, pos, _) in pack_cases() {
        if id.starts_with("RG-SEQ-") {
            continue;
        }
        let mut e = Engine::new(pack());
        for r in pos {
            let got = fired(&mut e, r.clone());
            assert!(got.iter().any(|g| g == id), "{id} missed {}", ndjson(&[r]));
        }
    }
}

#[test]
fn original_example_config_loads() {
    // The original project's sample config: other modules' tables are ignored.
    let text = include_str!("../../../tests/fixtures/original-example.toml");
    let s = RuleSet::load(text, Path::new("original-example.toml"), &[]).unwrap();
    let ids: Vec<_> = s.rules().map(|r| (r.id, r.enabled)).collect();
    assert_eq!(ids.len(), 4);
    let mut e = Engine::new(s);
    let mut r = net(T0, 10, 1, "nc", NetKind::Connect, "198.51.100.7", 4444);
    let mut alerts = Vec::new();
    e.process(&mut r, &mut alerts);
    assert_eq!(r.detection.as_deref(), Some("suspicious_outbound_port"));
    assert_eq!(alerts.len(), 1, "NET-001 is disabled");
    assert_eq!(fired(&mut e, open(T0, 1, "vi", "/etc/cron.d/job", O_WRONLY)), vec!["builtin.cron_modified"]);
    let cases = pack_cases();
    let port = cases.iter().find(|(id, ..)| *id == "RG-NET-SUSPICIOUS-PORT").expect("the port rule's case");
    let summary = replay(&fixture("RG-NET-SUSPICIOUS-PORT.positive.ndjson", &port.1));
    assert!(summary.to_string().contains("RG-NET-SUSPICIOUS-PORT: 1"), "{summary}");
}

#[test]
fn default_pack_rules_are_disableable() {
    let main = "[detection]\nrule_dirs = [\"config/rules\"]\ndisabled_rules = [\"RG-NET-SUSPICIOUS-PORT\"]\n";
    let s = RuleSet::load(main, &manifest().join("rand-guard.toml"), &[]).unwrap();
    let mut e = Engine::new(s);
    assert!(fired(&mut e, net(T0, 10, 1, "nc", NetKind::Connect, "198.51.100.7", 4444)).is_empty());
}

#[test]
fn specialized_conditions_agree_with_the_originals() {
    // Every pack record (attacks and look-alikes) and the bench mix, with
    // every single rule whose mask admits the record's type: the condition
    // the engine runs (specialized to the type) gives the original's result.
    let set = pack();
    let mut records: Vec<Record> = pack_cases().into_iter().flat_map(|(_, p, b)| p.into_iter().chain(b)).collect();
    records.extend(bench_records(2000));
    let mut compared = 0;
    for r in &records {
        let et = r.event_type();
        for rule in &set.singles {
            if !rule.mask.has(et) {
                continue;
            }
            let want = rule.cond.eval(r, &[]);
            assert_eq!(
                rule.cond.specialize(et).eval(r, &[]),
                want,
                "{} on {}",
                rule.meta.id,
                ndjson(std::slice::from_ref(r))
            );
            compared += 1;
        }
        for step in set.seqs.iter().flat_map(|s| &s.steps) {
            let want = step.mask.has(et) && step.cond.eval(r, &[]);
            assert_eq!(step.matches(r, &[]), want, "a step on {}", ndjson(std::slice::from_ref(r)));
        }
    }
    assert!(compared > 5000, "only {compared} comparisons");
}
