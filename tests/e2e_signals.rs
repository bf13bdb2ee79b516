//! Privileged end-to-end tests of `process_signal`: real kill, tgkill and
//! pidfd_send_signal calls against real processes, the records the sensor
//! writes for them, what it leaves out, and the default rule on stopping a
//! logging daemon.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};

use common::rule_pack::{expect_alert, expect_no_alert};
use common::*;
use serde_json::Value;

fn sleeper(exe: &str) -> Child {
    Command::new(exe).arg("300").stdout(Stdio::null()).spawn().expect("spawn sleeper")
}

/// The record of signal `sig` from this test to `target`.
fn signal_of(sensor: &Sensor, what: &str, sig: i64, target: u32) -> Value {
    let me = my_pid();
    sensor.wait_for(what, |v| {
        is(v, "process_signal") && v["pid"] == me && v["signal"] == sig && v["target_pid"] == i64::from(target)
    })
}

fn check(ret: libc::c_long, what: &str) {
    assert_eq!(ret, 0, "{what}: {}", std::io::Error::last_os_error());
}

#[test]
fn kill_tgkill_and_pidfd_send_signal_are_recorded_with_their_target() {
    let sensor = Sensor::start(E2E_CONFIG);
    let mut a = sleeper("/usr/bin/sleep");
    let mut b = sleeper("/usr/bin/sleep");
    let mut c = sleeper("/usr/bin/sleep");
    let (pa, pb, pc) = (a.id(), b.id(), c.id());
    // Let the sensor see the execs, so the targets are in its table.
    exec_of(&sensor, "sleeper exec", pc, "sleep");

    // SAFETY: plain syscalls on our own children.
    unsafe {
        check(libc::kill(pa as i32, libc::SIGSTOP).into(), "kill");
        check(libc::syscall(libc::SYS_tgkill, pb as i64, pb as i64, libc::SIGTERM as i64), "tgkill");
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pc as i64, 0i64);
        assert!(pidfd >= 0, "pidfd_open: {}", std::io::Error::last_os_error());
        check(libc::syscall(libc::SYS_pidfd_send_signal, pidfd, libc::SIGKILL as i64, 0i64, 0i64), "pidfd_send_signal");
        libc::close(pidfd as i32);
    }

    let r = signal_of(&sensor, "kill SIGSTOP", 19, pa);
    assert_eq!((s(&r, "signal_name"), s(&r, "syscall")), ("SIGSTOP", "kill"), "{r}");
    assert_eq!((s(&r, "target_comm"), s(&r, "target_exe")), ("sleep", "/usr/bin/sleep"), "{r}");
    assert!(r["target_tid"].is_null(), "{r}");
    let r = signal_of(&sensor, "tgkill SIGTERM", 15, pb);
    assert_eq!((s(&r, "signal_name"), s(&r, "syscall")), ("SIGTERM", "tgkill"), "{r}");
    assert_eq!(r["target_tid"], i64::from(pb), "{r}");
    // the pidfd resolved to its process in the kernel
    let r = signal_of(&sensor, "pidfd_send_signal SIGKILL", 9, pc);
    assert_eq!((s(&r, "signal_name"), s(&r, "syscall")), ("SIGKILL", "pidfd_send_signal"), "{r}");
    assert_eq!(s(&r, "target_exe"), "/usr/bin/sleep", "{r}");

    for child in [&mut a, &mut b, &mut c] {
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn signal_0_and_signals_to_itself_stay_in_the_kernel() {
    let sensor = Sensor::start(E2E_CONFIG);
    let mut child = sleeper("/usr/bin/sleep");
    let pid = child.id();
    exec_of(&sensor, "sleeper exec", pid, "sleep");
    // SAFETY: signal 0 probes our child; SIGURG (ignored by default) to ourselves.
    unsafe {
        for _ in 0..200 {
            check(libc::kill(pid as i32, 0).into(), "kill 0");
            check(libc::kill(libc::getpid(), libc::SIGURG).into(), "kill self");
        }
        check(libc::kill(pid as i32, libc::SIGCONT).into(), "kill SIGCONT");
    }
    // The marker comes after them: by then the kernel has decided them all.
    signal_of(&sensor, "the SIGCONT marker", 18, pid);
    let me = my_pid();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records.iter().filter(|v| is(v, "process_signal") && v["pid"] == me).collect();
    assert!(mine.iter().all(|v| v["signal"] != 0 && v["target_pid"] != me), "signal 0 or self reported: {mine:?}");
    let to_child = mine.iter().filter(|v| v["target_pid"] == i64::from(pid)).count();
    assert_eq!(to_child, 1, "only the SIGCONT to the child is reported: {mine:?}");
    let health = final_health(&records);
    assert!(n(&health, "kernel_filtered") >= 400, "counted as kernel_filtered: {health}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn stopping_a_logging_daemon_alerts_and_a_reload_or_a_look_alike_does_not() {
    let rsyslogd = "/usr/sbin/rsyslogd";
    assert!(std::path::Path::new(rsyslogd).exists(), "make deps-test installs rsyslog");
    let sensor = Sensor::start(&rules_config());
    let dir = TempDir::new("sig-rule");
    // A second rsyslogd of our own, with no config and no pid file: the
    // real one, which the syslog tests use, is never touched.
    let conf = dir.path("rsyslog.conf");
    std::fs::write(&conf, "").expect("write conf");
    let mut daemon = Command::new(rsyslogd)
        .args(["-n", "-f"])
        .arg(&conf)
        .args(["-i", "NONE"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn rsyslogd");
    let dpid = daemon.id();
    exec_of(&sensor, "rsyslogd exec", dpid, "rsyslogd");
    // A look-alike: a copy of sleep called rsyslogd, outside the real path.
    let fake = dir.path("rsyslogd");
    std::fs::copy("/usr/bin/sleep", &fake).expect("copy sleep");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut look_alike = sleeper(fake.to_str().expect("utf-8"));
    let fpid = look_alike.id();
    exec_of(&sensor, "look-alike exec", fpid, "rsyslogd");

    // SAFETY: signals to our own children.
    unsafe {
        check(libc::kill(dpid as i32, libc::SIGHUP).into(), "reload");
        check(libc::kill(fpid as i32, libc::SIGSTOP).into(), "stop the look-alike");
    }
    signal_of(&sensor, "SIGSTOP to the look-alike", 19, fpid);
    let me = my_pid();
    expect_no_alert(&sensor, "RG-EVADE-SIGNAL-WATCHDOG", "SIGHUP to rsyslogd, SIGSTOP to a copy of sleep", |a| {
        a["pid"] == me
    });
    // SAFETY: as above.
    unsafe { check(libc::kill(dpid as i32, libc::SIGSTOP).into(), "stop rsyslogd") };
    let (alert, source) = expect_alert(&sensor, "RG-EVADE-SIGNAL-WATCHDOG", "SIGSTOP to rsyslogd", |a| a["pid"] == me);
    assert_eq!(source["target_pid"], i64::from(dpid), "{alert}");
    assert_eq!(s(&source, "target_exe"), rsyslogd, "{alert}");
    assert_eq!(s(&source, "signal_name"), "SIGSTOP", "{alert}");

    for child in [&mut daemon, &mut look_alike] {
        let _ = child.kill();
        let _ = child.wait();
    }
}
