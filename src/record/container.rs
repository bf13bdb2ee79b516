//! Where the acting process runs: its cgroup, the container that cgroup
//! names, and its namespaces. On every record and alert
//! (docs/records.md, "Container and namespace context").

use std::sync::Arc;

use super::json::ObjectWriter;
use super::SharedStr;

/// The runtimes a record can name, as `container_runtime` spells them.
pub const RUNTIMES: [&str; 6] = ["docker", "containerd", "cri-o", "podman", "lxc", "systemd-nspawn"];

/// A cgroup and the container its path names (`None`s on the host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cgroup {
    /// From its hierarchy's root, `/` for the root itself.
    pub path: SharedStr,
    pub container_id: Option<SharedStr>,
    /// `docker`, `containerd`, `cri-o`, `podman`, `lxc` or `systemd-nspawn`.
    pub runtime: Option<&'static str>,
}

/// Namespace inodes as `/proc/PID/ns/*` shows them; 0 = unknown (null).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Namespaces {
    pub pid: u32,
    pub mnt: u32,
    pub net: u32,
    pub user: u32,
    pub uts: u32,
    pub ipc: u32,
    pub cgroup: u32,
}

/// A record's container and namespace context.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// The id of the cgroup `cgroup` names (see docs/records.md for which
    /// hierarchy); None when the kernel did not say.
    pub cgroup_id: Option<u64>,
    /// None when the cgroup cache does not know `cgroup_id`.
    pub cgroup: Option<Arc<Cgroup>>,
    pub ns: Namespaces,
    /// The pid or mount namespace differs from init's; None when the
    /// namespaces are unknown.
    pub in_container: Option<bool>,
    /// The pid as the process sees it in its own pid namespace.
    pub ns_pid: Option<u32>,
}

impl Context {
    pub fn cgroup_path(&self) -> Option<&str> {
        self.cgroup.as_deref().map(|c| &*c.path)
    }

    pub fn container_id(&self) -> Option<&str> {
        self.cgroup.as_deref().and_then(|c| c.container_id.as_deref())
    }

    pub fn container_runtime(&self) -> Option<&'static str> {
        self.cgroup.as_deref().and_then(|c| c.runtime)
    }
}

/// The namespace fields in record order, with their values.
pub fn ns_fields(ns: &Namespaces) -> [(&'static str, u32); 7] {
    [
        ("pidns", ns.pid),
        ("mntns", ns.mnt),
        ("netns", ns.net),
        ("userns", ns.user),
        ("utsns", ns.uts),
        ("ipcns", ns.ipc),
        ("cgroupns", ns.cgroup),
    ]
}

/// Writes the context fields (after the process fields, on records and alerts).
pub fn write_context(w: &mut ObjectWriter<'_>, c: &Context) {
    w.opt_u64("cgroup_id", c.cgroup_id);
    w.opt_str("cgroup", c.cgroup_path());
    w.opt_str("container_id", c.container_id());
    match c.container_runtime() {
        Some(r) => w.lit("container_runtime", r),
        None => w.null("container_runtime"),
    }
    for (key, inode) in ns_fields(&c.ns) {
        w.opt_u64(key, (inode != 0).then_some(inode.into()));
    }
    match c.in_container {
        Some(b) => w.bool("in_container", b),
        None => w.null("in_container"),
    }
    w.opt_u64("ns_pid", c.ns_pid.map(u64::from));
}
