use super::*;

const ID: &str = "b015c509f9b941b7292a079ae0e461e37df0e1b4392dc297129d70098bb3ca0a";
const MKDIR: u32 = rg_cgroup_op::RG_CGROUP_MKDIR.0;
const RMDIR: u32 = rg_cgroup_op::RG_CGROUP_RMDIR.0;
/// PROC_PID_INIT_INO and this host's initial mount namespace.
const INIT_PID: u32 = 0xEFFF_FFFC;
const INIT_MNT: u32 = 0xEFFF_FFF8;

fn ctx(v2: u64, v1: u64, pidns: u32, mntns: u32) -> rg_ctx {
    rg_ctx { cgroup_id: v2, cgroup1_id: v1, pidns, mntns, netns: 9, ns_pid: 1, ..Default::default() }
}

#[test]
fn a_hybrid_host_names_the_container_from_the_v1_memory_cgroup() {
    let mut r = Resolver::empty(64).with_memory_hierarchy(4);
    r.on_cgroup(0, 1, MKDIR, "/");
    r.on_cgroup(4, 500, MKDIR, &format!("/libpod_parent/libpod-{ID}"));
    r.on_cgroup(7, 501, MKDIR, "/blkio-only"); // another v1 hierarchy: ignored
    let c = r.context(&ctx(1, 500, 0xF000_0001, 0xF000_0002));
    assert_eq!(c.cgroup_id, Some(500));
    assert_eq!(c.container_id(), Some(ID));
    assert_eq!(c.container_runtime(), Some("podman"));
    assert_eq!(c.in_container, Some(true));
    assert_eq!((c.ns.net, c.ns_pid), (9, Some(1)));
    assert_eq!(r.cache_len(), 2);
    r.on_cgroup(4, 500, RMDIR, "");
    let c = r.context(&ctx(1, 500, INIT_PID, INIT_MNT));
    assert_eq!((c.cgroup_id, c.cgroup_path(), c.container_id()), (Some(500), None, None));
}

#[test]
fn a_unified_cgroup_below_the_root_wins() {
    let mut r = Resolver::empty(64).with_memory_hierarchy(4);
    r.on_cgroup(0, 77, MKDIR, &format!("/system.slice/docker-{ID}.scope"));
    r.on_cgroup(4, 500, MKDIR, "/");
    let c = r.context(&ctx(77, 500, INIT_PID, INIT_MNT));
    assert_eq!((c.cgroup_id, c.container_runtime()), (Some(77), Some("docker")));
    // an unknown v2 id without a v1 hierarchy: the id, no path
    let c = Resolver::empty(4).context(&ctx(77, 500, INIT_PID, INIT_MNT));
    assert_eq!((c.cgroup_id, c.cgroup_path()), (Some(77), None));
}

#[test]
fn in_container_follows_the_pid_or_mount_namespace() {
    let r = Resolver::empty(4);
    assert_eq!(r.context(&ctx(1, 0, INIT_PID, INIT_MNT)).in_container, Some(false));
    assert_eq!(r.context(&ctx(1, 0, 0xF000_0001, INIT_MNT)).in_container, Some(true));
    assert_eq!(r.context(&ctx(1, 0, INIT_PID, 0xF000_0002)).in_container, Some(true));
    assert_eq!(r.context(&ctx(1, 0, 0, 0)).in_container, None);
    let host = Resolver { init_pidns: Some(5), init_mntns: Some(6), ..Resolver::empty(4) };
    assert_eq!(host.context(&ctx(1, 0, 5, 6)).in_container, Some(false));
    assert_eq!(host.context(&ctx(1, 0, INIT_PID, 6)).in_container, Some(true));
}

#[test]
fn init_namespaces_come_from_proc() {
    let r = Resolver::from_host(Path::new("/proc"), 16);
    let pid = ns_inode(Path::new("/proc/1/ns/pid"));
    assert_eq!(r.init_pidns, pid);
    assert_eq!(ns_inode(Path::new("/nonexistent/ns/pid")), None);
}
