//! Container and namespace context for every record: the kernel sends each
//! record's cgroup ids and namespace inodes (`struct rg_ctx`); this module
//! turns the ids into the cgroup's path and the container it names, from a
//! bounded cache (`cache`) filled by a scan at start (`scan`) and by the
//! kernel's cgroup_mkdir/cgroup_rmdir notices, and says whether the process
//! is in a container. The runtimes' path patterns are in `runtime`.

mod cache;
mod runtime;
mod scan;

use std::fs;
use std::path::Path;
use std::sync::Arc;

pub use cache::{cgroup_of, CgroupCache, Hierarchy, DEFAULT_CAPACITY};
pub use runtime::{container_of, Named, RUNTIMES};
pub use scan::{mounts, parse_mounts, Mounts};

use crate::bpf::abi::{rg_cgroup_op, rg_ctx};
use crate::record::{ns_initial, Context, Namespaces};

/// Record context from the kernel's ids; owned by the normalize stage.
#[derive(Debug)]
pub struct Resolver {
    cache: CgroupCache,
    /// The v1 memory controller's hierarchy id, when it is mounted as v1:
    /// its notices and `rg_ctx.cgroup1_id` are then mapped.
    memory_hierarchy: Option<u32>,
    /// init's pid and mount namespaces; None: unreadable, and the kernel's
    /// fixed initial inodes are used instead.
    init_pidns: Option<u32>,
    init_mntns: Option<u32>,
}

impl Resolver {
    /// Knows no cgroup paths: records get their ids and namespaces only
    /// (tests and replays, until cgroup notices arrive).
    pub fn empty(capacity: usize) -> Resolver {
        Resolver { cache: CgroupCache::new(capacity), memory_hierarchy: None, init_pidns: None, init_mntns: None }
    }

    /// Scans this host's cgroup hierarchies and reads init's namespaces;
    /// `proc_root` is `/proc` but for tests. Never fails: what cannot be
    /// read is left unknown.
    pub fn from_host(proc_root: &Path, capacity: usize) -> Resolver {
        let m = mounts(proc_root);
        let mut r = Resolver::empty(capacity);
        if let Some(dir) = &m.unified {
            scan::scan(&mut r.cache, Hierarchy::Unified, dir, capacity);
        }
        if let Some((dir, h)) = &m.memory {
            r.memory_hierarchy = Some(*h);
            scan::scan(&mut r.cache, Hierarchy::Memory, dir, capacity);
        }
        r.init_pidns = ns_inode(&proc_root.join("1/ns/pid"));
        r.init_mntns = ns_inode(&proc_root.join("1/ns/mnt"));
        r
    }

    /// Test support: the memory hierarchy's id, as if it were mounted.
    pub fn with_memory_hierarchy(mut self, h: u32) -> Resolver {
        self.memory_hierarchy = Some(h);
        self
    }

    /// Cgroups held in the cache.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Cgroups evicted from the cache because it was full.
    pub fn cache_evictions(&self) -> u64 {
        self.cache.evictions()
    }

    /// A kernel notice (`RG_KIND_CGROUP`): cgroup `id` of hierarchy
    /// `hierarchy` made or removed at `path`. Other hierarchies are ignored.
    pub fn on_cgroup(&mut self, hierarchy: u32, id: u64, op: u32, path: &str) {
        let h = match hierarchy {
            0 => Hierarchy::Unified,
            h if Some(h) == self.memory_hierarchy => Hierarchy::Memory,
            _ => return,
        };
        if op == rg_cgroup_op::RG_CGROUP_MKDIR.0 {
            self.cache.insert(h, id, path);
        } else if op == rg_cgroup_op::RG_CGROUP_RMDIR.0 {
            self.cache.remove(h, id);
        }
    }

    /// The context of a record whose task the kernel described as `c`.
    /// The cgroup is the unified hierarchy's unless the task sits at its
    /// root (a v1/hybrid host, where runtimes name containers in the v1
    /// hierarchies): then the memory controller's. No syscall, no
    /// allocation.
    pub fn context(&self, c: &rg_ctx) -> Context {
        let v2 = if c.cgroup_id != 0 { self.cache.get(Hierarchy::Unified, c.cgroup_id) } else { None };
        let v1 = self.memory_hierarchy.is_some() && c.cgroup1_id != 0 && v2.is_none_or(|g| &*g.path == "/");
        let (cgroup_id, cgroup) = if v1 {
            (Some(c.cgroup1_id), self.cache.get(Hierarchy::Memory, c.cgroup1_id).map(Arc::clone))
        } else {
            ((c.cgroup_id != 0).then_some(c.cgroup_id), v2.map(Arc::clone))
        };
        let ns = Namespaces {
            pid: c.pidns,
            mnt: c.mntns,
            net: c.netns,
            user: c.userns,
            uts: c.utsns,
            ipc: c.ipcns,
            cgroup: c.cgroupns,
        };
        let in_container =
            (ns.pid != 0 || ns.mnt != 0).then(|| differs(ns.pid, self.init_pidns) || differs(ns.mnt, self.init_mntns));
        Context { cgroup_id, cgroup, ns, in_container, ns_pid: (c.ns_pid != 0).then_some(c.ns_pid) }
    }
}

/// Whether namespace `inode` is not init's (`init`), or not an initial
/// namespace when init's is unknown. 0 (unknown) differs from nothing.
fn differs(inode: u32, init: Option<u32>) -> bool {
    inode != 0 && init.map_or(!ns_initial(inode), |i| inode != i)
}

/// The inode of a `/proc/PID/ns/*` link (`pid:[4026531836]`).
fn ns_inode(link: &Path) -> Option<u32> {
    let target = fs::read_link(link).ok()?;
    let s = target.to_str()?;
    s.split_once(":[")?.1.strip_suffix(']')?.parse().ok()
}

#[cfg(test)]
mod tests;
