//! The normalize stage's container context: the cgroup cache's notices
//! from the kernel, and the resolver the sensor fills at start.

use super::{lossy, Normalizer, Outcome};
use crate::bpf::abi::{rg_cgroup, Text};
use crate::container::{Resolver, DEFAULT_CAPACITY};

/// A resolver that knows no cgroup paths yet (see [`Normalizer::with_context`]).
pub(super) fn empty() -> Resolver {
    Resolver::empty(DEFAULT_CAPACITY)
}

impl Normalizer {
    /// Sets the context resolver (the sensor's is filled from the host's
    /// cgroup hierarchies at start).
    pub fn with_context(mut self, context: Resolver) -> Normalizer {
        self.context = context;
        self
    }

    /// The resolver, read-only: the stage loop reads its cache size and
    /// evictions for the health counters.
    pub fn context(&self) -> &Resolver {
        &self.context
    }

    /// A cgroup made or removed: the cache learns it; not a record
    /// (counted with the filtered events).
    pub(super) fn cgroup_notice(&mut self, e: &rg_cgroup, path: &Text<'_>) -> Outcome {
        self.context.on_cgroup(e.hierarchy, e.id, e.op, &lossy(path.bytes));
        Outcome::Filtered
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::Selection;
    use super::*;
    use crate::bpf::abi::{build, rg_cgroup_op, rg_ctx};
    use crate::config::PathFilter;
    use crate::process::ProcessTable;
    use crate::record::json::write_record;
    use crate::record::time::BootClock;
    use crate::record::EventType;

    const ID: &str = "b015c509f9b941b7292a079ae0e461e37df0e1b4392dc297129d70098bb3ca0a";

    fn normalizer() -> Normalizer {
        let select = Selection {
            execve: true,
            execveat: true,
            paths: PathFilter::new(&["/tmp".into()], &[], &[]).expect("filter"),
        };
        let root = std::env::temp_dir().join(format!("rg-norm-ctx-{}", std::process::id()));
        Normalizer::new(ProcessTable::new(8), BootClock::with_offset(0), Arc::from("h"), select)
            .with_proc_root(root)
            .with_context(Resolver::empty(8).with_memory_hierarchy(4))
    }

    #[test]
    fn a_cgroup_notice_names_the_container_of_the_next_record() {
        let mut n = normalizer();
        let mkdir = build::cgroup(1, 900, 4, rg_cgroup_op::RG_CGROUP_MKDIR, &format!("/libpod_parent/libpod-{ID}"));
        assert!(matches!(n.normalize(&mkdir), Outcome::Filtered));
        assert_eq!(n.context().cache_len(), 1);
        let mut t = build::task(300, 300, 1, 0, "sh", "conmon");
        t.ctx = rg_ctx {
            cgroup_id: 1,
            cgroup1_id: 900,
            pidns: 0xF000_0010,
            mntns: 0xF000_0011,
            netns: 0xF000_0012,
            userns: 0xEFFF_FFFD,
            utsns: 0xF000_0013,
            ipcns: 0xF000_0014,
            cgroupns: 0xEFFF_FFFB,
            ns_pid: 1,
        };
        let raw = build::file(EventType::FileOpen, t, 2, 11, "/tmp/x", None);
        let r = match n.normalize(&raw) {
            Outcome::Record(r) => r,
            other => panic!("expected a record, got {other:?}"),
        };
        assert_eq!(r.context.container_id(), Some(ID));
        assert_eq!(r.context.ns_pid, Some(1));
        let mut out = Vec::new();
        write_record(&mut out, &r);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(v["cgroup_id"], 900);
        assert_eq!(v["cgroup"], format!("/libpod_parent/libpod-{ID}"));
        assert_eq!(v["container_id"], ID);
        assert_eq!(v["container_runtime"], "podman");
        assert_eq!(v["pidns"], 0xF000_0010u32);
        assert_eq!(v["userns"], 0xEFFF_FFFDu32);
        assert_eq!(v["in_container"], true);
        assert_eq!(v["ns_pid"], 1);
        // the record reads back the same (offline rule testing)
        let back = crate::rules::offline::record_from_json(std::str::from_utf8(&out).expect("utf8"))
            .expect("parses")
            .expect("a record");
        assert_eq!(back.context, r.context);
        // removed: later records keep the id, lose the path
        let rmdir = build::cgroup(3, 900, 4, rg_cgroup_op::RG_CGROUP_RMDIR, "");
        assert!(matches!(n.normalize(&rmdir), Outcome::Filtered));
        let r = match n.normalize(&raw) {
            Outcome::Record(r) => r,
            other => panic!("expected a record, got {other:?}"),
        };
        assert_eq!((r.context.cgroup_id, r.context.container_id()), (Some(900), None));
    }

    #[test]
    fn a_host_record_has_null_container_fields() {
        let mut n = normalizer();
        let mut t = build::task(301, 301, 1, 0, "sh", "bash");
        t.ctx.pidns = 0xEFFF_FFFC;
        t.ctx.mntns = 0xEFFF_FFF8;
        t.ctx.ns_pid = 301;
        let r = match n.normalize(&build::file(EventType::FileOpen, t, 2, 11, "/tmp/x", None)) {
            Outcome::Record(r) => r,
            other => panic!("expected a record, got {other:?}"),
        };
        let mut out = Vec::new();
        write_record(&mut out, &r);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
        for k in ["cgroup_id", "cgroup", "container_id", "container_runtime", "netns"] {
            assert!(v[k].is_null(), "{k}: {}", v[k]);
        }
        assert_eq!((v["in_container"].as_bool(), v["ns_pid"].as_u64()), (Some(false), Some(301)));
    }
}
