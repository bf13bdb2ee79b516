//! Privileged end-to-end tests of `process_memfd`, `process_inject` and
//! `bpf_load`: real memfd_create, process_vm_writev and bpf() calls, the
//! exact records the sensor writes for them, what it leaves out (failed
//! calls, writes into oneself, the sensor's own bpf calls), and the default
//! rules on each with a benign look-alike.

mod common;

use std::ffi::CString;
use std::process::{Child, Command, Stdio};

use common::rule_pack::{expect_alert, expect_no_alert};
use common::tools::python;
use common::*;
use serde_json::{json, Value};

const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
const MFD_EXEC: u32 = 0x10;

fn my_exe() -> String {
    std::fs::read_link("/proc/self/exe").expect("read /proc/self/exe").to_string_lossy().into_owned()
}

fn memfd_create(name: &str, flags: u32) -> i32 {
    let c = CString::new(name).expect("no NUL");
    // SAFETY: a valid NUL-terminated name; the fd is ours.
    unsafe { libc::memfd_create(c.as_ptr(), flags) }
}

fn memfd_of(sensor: &Sensor, pid: u32, name: &str) -> Value {
    sensor.wait_for(&format!("memfd {name}"), |v| is(v, "process_memfd") && v["pid"] == pid && v["memfd_name"] == name)
}

#[test]
fn memfd_create_is_recorded_with_its_name_flags_and_fd_and_alerts_when_executable() {
    let sensor = Sensor::start(&rules_config());
    let me = std::process::id();
    let bad = memfd_create("rg-e2e-bad", 0x4000_0000); // no such flag: EINVAL
    assert_eq!(bad, -1, "an unknown flag is refused");
    let fd = memfd_create("rg-e2e-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());

    let r = memfd_of(&sensor, me, "rg-e2e-memfd");
    assert_eq!(r["flags"], json!(["MFD_CLOEXEC", "MFD_ALLOW_SEALING"]), "{r}");
    assert_eq!((n(&r, "fd"), s(&r, "exe")), (i64::from(fd), my_exe().as_str()), "{r}");
    assert_eq!(r["tid"], gettid(), "{r}");
    // a compiled program's memfd that may not be exec'd with MFD_EXEC: no alert
    expect_no_alert(&sensor, "RG-EXEC-MEMFD-CREATE", "a plain memfd of a compiled program", |a| a["pid"] == me);

    // An interpreter's memfd (the staging of a fileless payload) alerts; one
    // sealed against exec does not.
    let sealed = python("import os; os.memfd_create('rg-e2e-sealed', 1 | 8)", &[]);
    let r = memfd_of(&sensor, sealed, "rg-e2e-sealed");
    assert_eq!(r["flags"], json!(["MFD_CLOEXEC", "MFD_NOEXEC_SEAL"]), "{r}");
    assert!(s(&r, "exe").starts_with("/usr/bin/python3"), "{r}");
    expect_no_alert(&sensor, "RG-EXEC-MEMFD-CREATE", "python's memfd sealed against exec", |a| a["pid"] == sealed);
    let py = python("import os; os.memfd_create('rg-e2e-payload')", &[]);
    let (alert, source) =
        expect_alert(&sensor, "RG-EXEC-MEMFD-CREATE", "python's executable memfd", |a| a["pid"] == py);
    assert_eq!((s(&source, "memfd_name"), &source["flags"]), ("rg-e2e-payload", &json!(["MFD_CLOEXEC"])), "{alert}");

    // MFD_EXEC asks for an executable memfd outright: alerts for any program
    // that is not a container runtime.
    let exec_fd = memfd_create("rg-e2e-exec", MFD_CLOEXEC | MFD_EXEC);
    assert!(exec_fd >= 0, "memfd_create MFD_EXEC: {}", std::io::Error::last_os_error());
    let (_, source) = expect_alert(&sensor, "RG-EXEC-MEMFD-CREATE", "MFD_EXEC", |a| a["pid"] == me);
    assert_eq!(source["flags"], json!(["MFD_CLOEXEC", "MFD_EXEC"]), "{source}");

    // SAFETY: closing our own fds.
    unsafe {
        libc::close(fd);
        libc::close(exec_fd);
    }
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records.iter().filter(|v| is(v, "process_memfd") && v["pid"] == me).collect();
    let names: Vec<&str> = mine.iter().map(|v| s(v, "memfd_name")).collect();
    assert_eq!(names, ["rg-e2e-memfd", "rg-e2e-exec"], "the failed call is not reported: {mine:?}");
    final_health(&records);
}

/// The lowest address of `pid`'s stack mapping: mapped, and unused by a
/// program as small as sleep, so a few bytes written there change nothing.
fn stack_bottom(pid: u32) -> usize {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("read maps");
    let line = maps.lines().find(|l| l.ends_with("[stack]")).expect("a [stack] mapping");
    let start = line.split('-').next().expect("a range");
    usize::from_str_radix(start, 16).expect("a hex address")
}

/// process_vm_writev of "rg-e2e!" in two local pieces to `addr` in `pid`.
fn vm_write(pid: u32, addr: usize) -> isize {
    let (a, b) = (*b"rg-e", *b"2e!\0");
    let local = [
        libc::iovec { iov_base: a.as_ptr() as *mut _, iov_len: a.len() },
        libc::iovec { iov_base: b.as_ptr() as *mut _, iov_len: b.len() },
    ];
    let remote = [libc::iovec { iov_base: addr as *mut _, iov_len: 8 }];
    // SAFETY: the local buffers live across the call; the kernel checks the remote range.
    unsafe { libc::process_vm_writev(pid as i32, local.as_ptr(), 2, remote.as_ptr(), 1, 0) }
}

fn inject_of(sensor: &Sensor, what: &str, target: u32) -> Value {
    let me = my_pid();
    sensor.wait_for(what, |v| is(v, "process_inject") && v["pid"] == me && v["target_pid"] == i64::from(target))
}

/// A forked copy of this test process that only waits to be killed.
fn forked_twin() -> i32 {
    // SAFETY: the child calls only pause(), which is async-signal-safe.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", std::io::Error::last_os_error());
    if pid == 0 {
        loop {
            // SAFETY: as above.
            unsafe { libc::pause() };
        }
    }
    pid
}

#[test]
fn process_vm_writev_into_another_program_is_recorded_and_alerts() {
    let sensor = Sensor::start(&rules_config());
    let me = my_pid();
    let mut sleeper: Child =
        Command::new("/usr/bin/sleep").arg("300").stdout(Stdio::null()).spawn().expect("spawn sleep");
    let target = sleeper.id();
    exec_of(&sensor, "sleep exec", target, "sleep");
    let addr = stack_bottom(target);
    assert_eq!(vm_write(target, 0), -1, "address 0 is refused");
    let mut own = [0u8; 8];
    assert_eq!(vm_write(std::process::id(), own.as_mut_ptr() as usize), 8, "into itself");
    assert_eq!(&own, b"rg-e2e!\0");

    // Into a copy of itself (what MPI ranks do): recorded, no alert.
    let twin = forked_twin();
    let twin_u = twin as u32;
    sensor.wait_for("the twin's fork", |v| is(v, "process_fork") && v["pid"] == twin_u);
    let mut buf = [0u8; 8];
    assert_eq!(vm_write(twin_u, buf.as_mut_ptr() as usize), 8, "into the twin");
    let r = inject_of(&sensor, "the write into the twin", twin_u);
    assert_eq!((s(&r, "target_exe"), &r["target_same_exe"]), (my_exe().as_str(), &json!(true)), "{r}");
    expect_no_alert(&sensor, "RG-INJECT-VM-WRITEV", "a write into a copy of itself", |a| a["pid"] == me);

    // Into another program: recorded with the target, and alerts.
    assert_eq!(vm_write(target, addr), 8, "into sleep: {}", std::io::Error::last_os_error());

    let r = inject_of(&sensor, "the write into sleep", target);
    assert_eq!((s(&r, "target_comm"), s(&r, "target_exe")), ("sleep", "/usr/bin/sleep"), "{r}");
    assert_eq!((s(&r, "target_cmdline"), &r["target_same_exe"]), ("/usr/bin/sleep 300", &json!(false)), "{r}");
    assert_eq!((n(&r, "bytes"), n(&r, "local_iovcnt"), n(&r, "remote_iovcnt")), (8, 2, 1), "{r}");
    assert_eq!((s(&r, "syscall"), s(&r, "exe")), ("process_vm_writev", my_exe().as_str()), "{r}");
    let (alert, _) = expect_alert(&sensor, "RG-INJECT-VM-WRITEV", "a write into sleep", |a| a["pid"] == me);
    assert_eq!(alert["cmdline"], r["cmdline"], "{alert}");

    // SAFETY: our own children.
    unsafe {
        libc::kill(twin, libc::SIGKILL);
        libc::waitpid(twin, std::ptr::null_mut(), 0);
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let targets: Vec<&Value> =
        records.iter().filter(|v| is(v, "process_inject") && v["pid"] == me).map(|v| &v["target_pid"]).collect();
    assert_eq!(targets, [&json!(twin), &json!(target)], "neither the failed write nor the one into itself");
    let health = final_health(&records);
    assert!(n(&health, "kernel_filtered") >= 1, "the write into itself is counted: {health}");
}

const BPF_MAP_CREATE: i64 = 0;
const BPF_PROG_LOAD: i64 = 5;
const BPF_PROG_ATTACH: i64 = 8;
const BPF_LINK_CREATE: i64 = 28;
const ATTR_SIZE: usize = 128;

/// bpf(cmd, attr): the return value, or -errno.
fn bpf(cmd: i64, attr: &[u8; ATTR_SIZE]) -> i64 {
    // SAFETY: attr is a live, zero-tailed bpf_attr of ATTR_SIZE bytes.
    let r = unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_ptr(), ATTR_SIZE as i64) };
    if r < 0 {
        -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        r
    }
}

fn put(attr: &mut [u8; ATTR_SIZE], off: usize, bytes: &[u8]) {
    attr[off..off + bytes.len()].copy_from_slice(bytes);
}

/// BPF_PROG_LOAD of `insns` (8-byte instructions) as `prog_type`, named `name`.
fn prog_load(prog_type: u32, insns: &[[u8; 8]], name: &str) -> i64 {
    let license = b"GPL\0";
    let mut attr = [0u8; ATTR_SIZE];
    put(&mut attr, 0, &prog_type.to_ne_bytes());
    put(&mut attr, 4, &(insns.len() as u32).to_ne_bytes());
    put(&mut attr, 8, &(insns.as_ptr() as u64).to_ne_bytes());
    put(&mut attr, 16, &(license.as_ptr() as u64).to_ne_bytes());
    put(&mut attr, 48, name.as_bytes());
    bpf(BPF_PROG_LOAD, &attr)
}

/// A PROG_ATTACH or LINK_CREATE attr: (fd, fd, attach type) in the order the command wants.
fn attach_attr(first: i64, second: i64, attach_type: u32) -> [u8; ATTR_SIZE] {
    let mut attr = [0u8; ATTR_SIZE];
    put(&mut attr, 0, &(first as u32).to_ne_bytes());
    put(&mut attr, 4, &(second as u32).to_ne_bytes());
    put(&mut attr, 8, &attach_type.to_ne_bytes());
    attr
}

const R0_IS_1: [u8; 8] = [0xb7, 0, 0, 0, 1, 0, 0, 0];
const EXIT: [u8; 8] = [0x95, 0, 0, 0, 0, 0, 0, 0];

/// A cgroup of our own, empty, removed on drop: what the attach tests attach to.
struct Cgroup(std::path::PathBuf);

impl Drop for Cgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A bpffs mounted on a directory of our own, unmounted on drop.
struct Bpffs(TempDir);

impl Drop for Bpffs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.str()).status();
    }
}

fn bpf_of(sensor: &Sensor, what: &str, pid: u32, pred: impl Fn(&Value) -> bool) -> Value {
    sensor.wait_for(what, |v| is(v, "bpf_load") && v["pid"] == pid && pred(v))
}

#[test]
fn bpf_loads_and_attaches_are_recorded_but_not_the_sensors_own() {
    // Only the bpf hook, and the network hooks whose programs attach after
    // it: the kernel's only filtering is then of the sensor's own attaches.
    let config = format!(
        "[agent]\nid = \"e2e-host\"\n[events]\nnetwork = true\n[network]\nenabled = true\n\
         [file]\nenabled = false\n[process]\nhooks = [\"bpf\", \"execve\", \"fork\", \"exit\"]\n\
         [output]\nhealth_interval_secs = 1\n[detection]\nrule_dirs = [\"{RULES_DIR}\"]\n"
    );
    let sensor = Sensor::start(&config);
    let me = std::process::id();
    let sensor_pid = sensor.pid();
    let cg = Cgroup(std::path::PathBuf::from(format!("/sys/fs/cgroup/unified/rg-e2e-inject-{me}")));
    std::fs::create_dir_all(&cg.0).expect("create a cgroup v2 directory");
    let cg_fd = std::fs::File::open(&cg.0).expect("open the cgroup");
    let cg_raw = std::os::fd::AsRawFd::as_raw_fd(&cg_fd) as i64;

    // Not reported: a failed load (the verifier refuses reading r0 unset), a map.
    assert!(prog_load(1, &[EXIT], "rg_e2e_bad") < 0, "an unset r0 is refused");
    let mut map = [0u8; ATTR_SIZE];
    put(&mut map, 0, &2u32.to_ne_bytes()); // BPF_MAP_TYPE_ARRAY
    put(&mut map, 4, &4u32.to_ne_bytes());
    put(&mut map, 8, &4u32.to_ne_bytes());
    put(&mut map, 12, &1u32.to_ne_bytes());
    let map_fd = bpf(BPF_MAP_CREATE, &map);
    assert!(map_fd >= 0, "map create: {map_fd}");

    let sock = prog_load(1, &[R0_IS_1, EXIT], "rg_e2e_sock");
    assert!(sock >= 0, "socket filter load: {sock}");
    let cgskb = prog_load(8, &[R0_IS_1, EXIT], "rg_e2e_cgskb");
    assert!(cgskb >= 0, "cgroup_skb load: {cgskb}");
    // egress through PROG_ATTACH (target fd, prog fd), ingress through a link (prog fd, target fd)
    assert_eq!(bpf(BPF_PROG_ATTACH, &attach_attr(cg_raw, cgskb, 1)), 0, "prog attach");
    let link = bpf(BPF_LINK_CREATE, &attach_attr(cgskb, cg_raw, 0));
    assert!(link >= 0, "link create: {link}");

    let r = bpf_of(&sensor, "the socket filter load", me, |v| v["prog_name"] == "rg_e2e_sock");
    let want = json!({"bpf_cmd": "BPF_PROG_LOAD", "prog_type": "BPF_PROG_TYPE_SOCKET_FILTER", "attach_type": null,
                      "prog_fd": sock, "insn_count": 2, "result": sock});
    for (k, v) in want.as_object().expect("an object") {
        assert_eq!(&r[k], v, "{k}: {r}");
    }
    assert_eq!(s(&r, "exe"), my_exe(), "{r}");
    let r = bpf_of(&sensor, "the cgroup_skb load", me, |v| v["prog_name"] == "rg_e2e_cgskb");
    assert_eq!(s(&r, "prog_type"), "BPF_PROG_TYPE_CGROUP_SKB", "{r}");
    let r = bpf_of(&sensor, "the prog attach", me, |v| v["bpf_cmd"] == "BPF_PROG_ATTACH");
    let want = json!({"attach_type": "BPF_CGROUP_INET_EGRESS", "prog_fd": cgskb, "result": 0,
                      "prog_type": null, "prog_name": null, "insn_count": null});
    for (k, v) in want.as_object().expect("an object") {
        assert_eq!(&r[k], v, "{k}: {r}");
    }
    let r = bpf_of(&sensor, "the link create", me, |v| v["bpf_cmd"] == "BPF_LINK_CREATE");
    assert_eq!((s(&r, "attach_type"), n(&r, "prog_fd"), n(&r, "result")), ("BPF_CGROUP_INET_INGRESS", cgskb, link));
    let (alert, source) = expect_alert(&sensor, "RG-EVADE-BPF-LOAD", "a load by a test binary", |a| a["pid"] == me);
    assert_eq!(s(&source, "prog_name"), "rg_e2e_sock", "the first load alerts: {alert}");

    // bpftool, a known BPF user, loading a program from an object: recorded, no alert.
    let dir = TempDir::new("bpf");
    let src = dir.path("ok.c");
    std::fs::write(&src, "__attribute__((section(\"socket\"), used)) int rg_e2e_ok(void *c) { return 0; }\n")
        .expect("write source");
    let obj = dir.path("ok.o");
    let st = Command::new("clang").args(["-target", "bpf", "-O2", "-c"]).arg(&src).arg("-o").arg(&obj).status();
    assert!(st.expect("run clang").success(), "clang builds the object");
    let fs = Bpffs(TempDir::new("bpffs"));
    let st = Command::new("mount").args(["-t", "bpf", "bpf", fs.0.str()]).status().expect("run mount");
    assert!(st.success(), "mount a bpffs");
    let (tool, st) = common::tools::run_status(
        Command::new("/usr/sbin/bpftool").args(["prog", "load"]).arg(&obj).arg(fs.0.path("ok")),
    );
    assert!(st.success(), "bpftool prog load: {st}");
    let r = bpf_of(&sensor, "bpftool's load", tool, |v| v["prog_name"] == "rg_e2e_ok");
    assert_eq!((s(&r, "exe"), s(&r, "prog_type")), ("/usr/sbin/bpftool", "BPF_PROG_TYPE_SOCKET_FILTER"), "{r}");
    expect_no_alert(&sensor, "RG-EVADE-BPF-LOAD", "bpftool loading a program", |a| a["pid"] == tool);
    drop(fs);

    // SAFETY: closing our own fds.
    unsafe {
        for fd in [link, cgskb, sock, map_fd] {
            libc::close(fd as i32);
        }
    }
    drop(cg_fd);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let mine: Vec<&Value> = records.iter().filter(|v| is(v, "bpf_load") && v["pid"] == me).collect();
    assert_eq!(mine.len(), 4, "two loads, an attach and a link; no failed load, no map: {mine:?}");
    let own: Vec<&Value> = records.iter().filter(|v| is(v, "bpf_load") && v["pid"] == sensor_pid).collect();
    assert!(own.is_empty(), "the sensor's own bpf calls are not reported: {own:?}");
    let health = final_health(&records);
    assert!(n(&health, "kernel_filtered") >= 1, "the sensor's own attaches are counted: {health}");
}
