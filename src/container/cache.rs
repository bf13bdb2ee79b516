//! The bounded cgroup cache: (hierarchy, cgroup id) → path and the
//! container it names. Filled by a scan of the cgroup filesystem at start
//! and kept current by the kernel's cgroup_mkdir/cgroup_rmdir notices, so a
//! lookup on the hot path is one hash probe and an `Arc` clone: no syscall,
//! no allocation.
//!
//! Bounding: at most `capacity` entries; a new one at capacity evicts the
//! oldest inserted (counted in `evictions`). Removed entries leave a stale
//! item in the order queue, skipped when popped and compacted away once
//! the queue holds twice the capacity.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::runtime::container_of;
use crate::record::Cgroup;

/// Which hierarchy a cgroup id belongs to: kernfs ids are per hierarchy,
/// so the same number can name a v2 cgroup and a v1 one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hierarchy {
    /// cgroup v2, the unified hierarchy (`rg_ctx.cgroup_id`).
    Unified,
    /// The v1 memory controller's hierarchy (`rg_ctx.cgroup1_id`).
    Memory,
}

/// What a cgroup's path says: the container it names, if any.
pub fn cgroup_of(path: &str) -> Cgroup {
    let named = container_of(path);
    Cgroup { path: Arc::from(path), container_id: named.map(|n| Arc::from(n.id)), runtime: named.map(|n| n.runtime) }
}

/// The default bound: far above the cgroups of a busy container host.
pub const DEFAULT_CAPACITY: usize = 8192;

/// See the module docs.
#[derive(Debug)]
pub struct CgroupCache {
    capacity: usize,
    entries: HashMap<(Hierarchy, u64), Arc<Cgroup>>,
    order: VecDeque<(Hierarchy, u64)>,
    evictions: u64,
}

impl CgroupCache {
    /// An empty cache of at most `capacity` entries (0 is taken as 1).
    pub fn new(capacity: usize) -> CgroupCache {
        CgroupCache { capacity: capacity.max(1), entries: HashMap::default(), order: VecDeque::new(), evictions: 0 }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries dropped to make room: non-zero means the bound is too small
    /// for the host, and some records go out without their cgroup.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// The cgroup `id` of hierarchy `h`, if known. Does not allocate.
    pub fn get(&self, h: Hierarchy, id: u64) -> Option<&Arc<Cgroup>> {
        self.entries.get(&(h, id))
    }

    /// A cgroup made (or found by the scan) at `path`.
    pub fn insert(&mut self, h: Hierarchy, id: u64, path: &str) {
        let key = (h, id);
        if !self.entries.contains_key(&key) {
            while self.entries.len() >= self.capacity {
                let Some(old) = self.order.pop_front() else {
                    break;
                };
                if self.entries.remove(&old).is_some() {
                    self.evictions += 1;
                }
            }
            self.order.push_back(key);
        }
        self.entries.insert(key, Arc::new(cgroup_of(path)));
        if self.order.len() > 2 * self.capacity {
            let entries = &self.entries;
            self.order.retain(|k| entries.contains_key(k));
        }
    }

    /// A cgroup removed: its id is not reused while the hierarchy lives,
    /// but records from its last processes may still be in flight, and
    /// those keep what they were stamped with.
    pub fn remove(&mut self, h: Hierarchy, id: u64) {
        self.entries.remove(&(h, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "b015c509f9b941b7292a079ae0e461e37df0e1b4392dc297129d70098bb3ca0a";

    #[test]
    fn entries_name_their_container() {
        let mut c = CgroupCache::new(4);
        c.insert(Hierarchy::Memory, 7, &format!("/libpod_parent/libpod-{ID}"));
        c.insert(Hierarchy::Unified, 7, "/");
        let m = c.get(Hierarchy::Memory, 7).expect("held");
        assert_eq!(m.container_id.as_deref(), Some(ID));
        assert_eq!(m.runtime, Some("podman"));
        let u = c.get(Hierarchy::Unified, 7).expect("held");
        assert_eq!((&*u.path, u.container_id.as_deref()), ("/", None));
        c.remove(Hierarchy::Memory, 7);
        assert!(c.get(Hierarchy::Memory, 7).is_none());
        assert!(c.get(Hierarchy::Unified, 7).is_some());
    }

    #[test]
    fn bounded_oldest_first_and_counted() {
        let mut c = CgroupCache::new(3);
        for id in 0..3 {
            c.insert(Hierarchy::Unified, id, &format!("/g{id}"));
        }
        c.insert(Hierarchy::Unified, 1, "/g1-again"); // a replacement is not an insertion
        assert_eq!((c.len(), c.evictions()), (3, 0));
        c.insert(Hierarchy::Unified, 3, "/g3");
        assert_eq!((c.len(), c.evictions()), (3, 1));
        assert!(c.get(Hierarchy::Unified, 0).is_none());
        assert_eq!(c.get(Hierarchy::Unified, 1).map(|i| &*i.path), Some("/g1-again"));
        // removals free room without counting as evictions; the queue stays bounded
        for id in 1..4 {
            c.remove(Hierarchy::Unified, id);
        }
        for id in 10..1000 {
            c.insert(Hierarchy::Unified, id, "/x");
            c.remove(Hierarchy::Unified, id);
        }
        assert_eq!(c.evictions(), 1);
        assert!(c.order.len() <= 2 * 3 + 1, "{}", c.order.len());
    }
}
