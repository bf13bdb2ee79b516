//! Privileged end-to-end tests of the container and namespace context on
//! records, with real podman containers (runc, a local image imported from
//! Debian's busybox-static: no registry is needed) started after the
//! sensor: the container's first exec, a file write and a connect inside it
//! carry the id `podman inspect` reports, runtime "podman", the namespace
//! inodes /proc/PID/ns shows and the pid inside the container; host
//! processes have null container fields; `unshare --pid --mount --fork`
//! alone is in_container with no container id. One sensor serves them all.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Command;

use common::tools::run;
use common::*;
use serde_json::Value;

const IMAGE: &str = "localhost/rg-e2e-busybox:latest";
const BUSYBOX: &str = "/bin/busybox"; // busybox-static (Makefile DEPS_TEST)

fn config() -> String {
    r#"
[agent]
id = "e2e-host"

[events]
network = true

[network]
enabled = true
hooks = ["connect"]

[process]
hooks = ["execve", "fork", "exit"]

[file]
hooks = ["openat", "write"]
watch_paths = ["/tmp"]

[output]
health_interval_secs = 1
"#
    .to_string()
}

/// podman, as this host needs it: runc (crun refuses the hybrid cgroup
/// layout) and a containers.conf without default ulimits (they cannot be
/// raised here).
struct Podman {
    conf: TempDir,
}

impl Podman {
    fn new() -> Podman {
        let conf = TempDir::new("podman");
        std::fs::write(conf.path("containers.conf"), "[containers]\ndefault_ulimits = []\n").expect("write conf");
        Podman { conf }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("podman");
        c.env("CONTAINERS_CONF", self.conf.path("containers.conf")).arg("--runtime").arg("runc");
        c
    }

    /// Runs podman with `args`; its stdout, trimmed. Fails the test on error.
    fn out(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run podman (installed by `make deps-test`)");
        assert!(
            out.status.success(),
            "podman {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The local image: busybox-static's binary and its applet links.
    fn ensure_image(&self) {
        if self.cmd().args(["image", "exists", IMAGE]).status().is_ok_and(|s| s.success()) {
            return;
        }
        let root = TempDir::new("rootfs");
        for d in ["bin", "tmp", "proc", "sys", "dev", "etc"] {
            std::fs::create_dir_all(root.path(d)).expect("mkdir");
        }
        std::fs::copy(BUSYBOX, root.path("bin/busybox")).expect("copy busybox (apt install busybox-static)");
        for applet in ["sh", "sleep", "nc", "true", "cat"] {
            std::os::unix::fs::symlink("busybox", root.path(&format!("bin/{applet}"))).expect("symlink");
        }
        let tar = TempDir::new("tar");
        let tarball = tar.path("rootfs.tar");
        run(Command::new("tar").arg("-C").arg(&root.0).arg("-cf").arg(&tarball).arg("."));
        self.out(&["import", tarball.to_str().expect("utf-8"), IMAGE]);
    }
}

/// A container removed on drop, pass or fail.
struct Container<'a> {
    podman: &'a Podman,
    name: String,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        let _ = self.podman.cmd().args(["rm", "-f", "-t", "0", &self.name]).output();
    }
}

/// The inode of `/proc/<pid>/ns/<ns>`.
fn ns_inode(pid: u64, ns: &str) -> u64 {
    std::fs::metadata(format!("/proc/{pid}/ns/{ns}")).expect("stat ns").ino()
}

const NS: [(&str, &str); 7] = [
    ("pidns", "pid"),
    ("mntns", "mnt"),
    ("netns", "net"),
    ("userns", "user"),
    ("utsns", "uts"),
    ("ipcns", "ipc"),
    ("cgroupns", "cgroup"),
];

fn assert_in_podman(v: &Value, id: &str) {
    assert_eq!(v["container_id"], id, "{v}");
    assert_eq!(v["container_runtime"], "podman", "{v}");
    assert_eq!(v["in_container"], true, "{v}");
    assert!(s(v, "cgroup").ends_with(&format!("libpod-{id}")), "{v}");
    assert!(v["cgroup_id"].as_u64().is_some_and(|c| c > 0), "{v}");
}

fn assert_host(v: &Value) {
    for k in ["container_id", "container_runtime"] {
        assert!(v[k].is_null(), "{k} on a host process: {v}");
    }
    assert_eq!(v["in_container"], false, "{v}");
    assert_eq!(v["ns_pid"], v["pid"], "{v}");
    let me = std::process::id() as u64;
    for (key, ns) in NS {
        assert_eq!(v[key].as_u64(), Some(ns_inode(me, ns)), "{key}: {v}");
    }
}

#[test]
fn records_carry_container_and_namespace_context() {
    require_root();
    let podman = Podman::new();
    podman.ensure_image();
    let sensor = Sensor::start(&config());

    // A container started after the sensor: its cgroup is known from the
    // kernel's cgroup_mkdir notice by its first exec.
    let name = format!("rg-e2e-{}", std::process::id());
    let _guard = Container { podman: &podman, name: name.clone() };
    let script = "echo hello > /tmp/rg-ctr-file; \
                  nc -l -p 7777 -e /bin/true & \
                  i=0; until echo x | nc 127.0.0.1 7777; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.05; done; \
                  exec /bin/sleep 600"; // a path: busybox sh runs a bare `sleep` in-process
    let id = podman.out(&["run", "-d", "--name", &name, "--network=none", IMAGE, "/bin/sh", "-c", script]);
    let inspect = podman.out(&["inspect", "--format", "{{.Id}} {{.State.Pid}}", &name]);
    let (inspected_id, pid) = inspect.split_once(' ').expect("id and pid");
    assert_eq!(inspected_id, id);
    let pid: u64 = pid.parse().expect("a pid");

    // its first exec: runc's init becoming the container's /bin/sh
    let first = sensor.wait_for("the container's first exec", |v| {
        is(v, "process_exec") && v["pid"] == pid && v["filename"] == "/bin/sh"
    });
    assert_in_podman(&first, &id);
    assert_eq!(first["ns_pid"], 1, "{first}");

    // the file write and the connect from inside it
    let write = sensor.wait_for("the write in the container", |v| {
        is(v, "file_write") && v["path"] == "/tmp/rg-ctr-file" && v["pid"] == pid
    });
    assert_in_podman(&write, &id);
    let connect = sensor.wait_for("the connect in the container", |v| {
        is(v, "network_connect") && v["remote_port"] == 7777 && v["container_id"] == id.as_str()
    });
    assert_in_podman(&connect, &id);
    assert!(n(&connect, "ns_pid") > 1, "a child of the container's init: {connect}");

    // the init's final exec (sleep, same pid): namespaces as /proc shows them
    let sleep =
        sensor.wait_for("the container's sleep", |v| is(v, "process_exec") && v["pid"] == pid && v["comm"] == "sleep");
    assert_in_podman(&sleep, &id);
    for (key, ns) in NS {
        assert_eq!(sleep[key].as_u64(), Some(ns_inode(pid, ns)), "{key}: {sleep}");
    }
    assert_eq!(sleep["ns_pid"], 1);
    assert_ne!(sleep["pidns"].as_u64(), Some(ns_inode(std::process::id().into(), "pid")));

    // a host process: null container fields, the host's namespaces
    let host = run(Command::new("/bin/sh").args(["-c", "exit 0", "rg-host-mark"]));
    let host_exec = exec_of(&sensor, "the host sh", host, "sh");
    assert_host(&host_exec);

    // unshare alone: in new pid and mount namespaces, in no container
    run(Command::new("unshare").args(["--pid", "--mount", "--fork", "/bin/sh", "-c", "exit 0", "rg-unshare-mark"]));
    let alone = sensor.wait_for("the unshared sh", |v| {
        is(v, "process_exec")
            && v["args"].as_array().is_some_and(|a| a.iter().any(|x| x == "rg-unshare-mark"))
            && v["comm"] == "sh"
    });
    assert_eq!(alone["in_container"], true, "{alone}");
    assert!(alone["container_id"].is_null(), "{alone}");
    assert_eq!(alone["ns_pid"], 1, "{alone}");
    assert_ne!(alone["pidns"].as_u64(), Some(ns_inode(std::process::id().into(), "pid")));

    // the cache is counted in health
    let health = sensor.wait_for("a health record", |v| is(v, "health") && n(v, "cgroup_cache_size") > 0);
    assert!(n(&health, "cgroup_cache_evictions") >= 0);
}
