//! Which container a cgroup path names: the path patterns of the container
//! runtimes, cgroup v1 and v2, with the systemd and cgroupfs drivers.
//!
//! The innermost component that names a container wins, so a docker
//! container inside an lxc one is the docker container. Monitor and helper
//! cgroups (podman's and CRI-O's conmon, lxc's monitor) are not containers.

/// A container as its cgroup path names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Named<'a> {
    /// The runtime's id: 64 hex digits, or the name for lxc and nspawn.
    pub id: &'a str,
    /// `docker`, `containerd`, `cri-o`, `podman`, `lxc` or `systemd-nspawn`.
    pub runtime: &'static str,
}

pub use crate::record::RUNTIMES;

/// `<prefix><id>[.scope]` components, in the order they are tried (the
/// conmon prefixes first: they would otherwise read as their runtime's).
const PREFIXES: [(&str, Option<&str>); 6] = [
    ("libpod-conmon-", None),
    ("crio-conmon-", None),
    ("docker-", Some("docker")),
    ("cri-containerd-", Some("containerd")),
    ("crio-", Some("cri-o")),
    ("libpod-", Some("podman")),
];

/// The container `path` (a cgroup path from its hierarchy's root) names,
/// if any.
pub fn container_of(path: &str) -> Option<Named<'_>> {
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let kube = comps.iter().any(|c| *c == "kubepods" || *c == "kubepods.slice");
    (0..comps.len()).rev().find_map(|i| component(comps[i], i.checked_sub(1).map(|p| comps[p]), kube))
}

/// What one component names, given its parent (None at the root) and
/// whether the path is below a Kubernetes pods cgroup.
fn component<'a>(c: &'a str, parent: Option<&str>, kube: bool) -> Option<Named<'a>> {
    let bare = c.strip_suffix(".scope").unwrap_or(c);
    for (prefix, runtime) in PREFIXES {
        if let Some(id) = bare.strip_prefix(prefix) {
            return match runtime {
                Some(runtime) if is_hex_id(id) => Some(Named { id, runtime }),
                _ => None,
            };
        }
    }
    if is_hex_id(c) {
        return match parent {
            Some("docker") => Some(Named { id: c, runtime: "docker" }),
            // cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>
            Some(p) if kube && p.starts_with("pod") => Some(Named { id: c, runtime: "containerd" }),
            _ => None,
        };
    }
    if let Some(name) = c.strip_prefix("systemd-nspawn@").and_then(|n| n.strip_suffix(".service")) {
        return (!name.is_empty()).then_some(Named { id: name, runtime: "systemd-nspawn" });
    }
    // lxc: v1 /lxc/<name>; v2 /lxc.payload.<name> (LXC 4+) or /lxc.payload/<name> (3.x)
    if let Some(name) = c.strip_prefix("lxc.payload.") {
        return (!name.is_empty()).then_some(Named { id: name, runtime: "lxc" });
    }
    match parent {
        Some("lxc") | Some("lxc.payload") if !c.starts_with("lxc.") => Some(Named { id: c, runtime: "lxc" }),
        _ => None,
    }
}

/// A full container id: 64 lowercase hex digits.
fn is_hex_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "b015c509f9b941b7292a079ae0e461e37df0e1b4392dc297129d70098bb3ca0a";

    fn named(path: &str) -> Option<(String, &'static str)> {
        container_of(path).map(|n| (n.id.to_owned(), n.runtime))
    }

    fn is(path: &str, runtime: &'static str) {
        assert!(RUNTIMES.contains(&runtime), "{runtime}");
        assert_eq!(named(path), Some((ID.to_owned(), runtime)), "{path}");
    }

    #[test]
    fn docker_cgroupfs_and_systemd() {
        is(&format!("/docker/{ID}"), "docker");
        is(&format!("/system.slice/docker-{ID}.scope"), "docker");
        // v2 with a nested init cgroup
        is(&format!("/system.slice/docker-{ID}.scope/init.scope"), "docker");
    }

    #[test]
    fn containerd_and_kubernetes_both_drivers() {
        is(&format!("/kubepods/burstable/pod0a3c5e2b-7c2d-4b9e-9a6e-4c0f3b5e8d21/{ID}"), "containerd");
        is(&format!("/kubepods/pod0a3c5e2b-7c2d-4b9e-9a6e-4c0f3b5e8d21/{ID}"), "containerd");
        is(
            &format!(
                "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a3c5e2b_7c2d_4b9e_9a6e_4c0f3b5e8d21.slice/cri-containerd-{ID}.scope"
            ),
            "containerd",
        );
        // a bare id not in a pod's cgroup names nothing
        assert_eq!(named(&format!("/kubepods/burstable/{ID}")), None);
    }

    #[test]
    fn crio_both_drivers_and_not_its_conmon() {
        is(
            &format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e.slice/crio-{ID}.scope"),
            "cri-o",
        );
        is(&format!("/kubepods/burstable/pod1f2e/crio-{ID}"), "cri-o");
        assert_eq!(named(&format!("/kubepods.slice/kubepods-pod1f2e.slice/crio-conmon-{ID}.scope")), None);
    }

    #[test]
    fn podman_v1_v2_rootless_and_not_its_conmon() {
        is(&format!("/libpod_parent/libpod-{ID}"), "podman");
        is(&format!("/machine.slice/libpod-{ID}.scope"), "podman");
        is(&format!("/machine.slice/libpod-{ID}.scope/container"), "podman");
        is(&format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"), "podman");
        assert_eq!(named(&format!("/machine.slice/libpod-conmon-{ID}.scope")), None);
        assert_eq!(named("/libpod_parent/conmon"), None);
    }

    #[test]
    fn lxc_v1_v2_and_not_its_monitor() {
        assert_eq!(named("/lxc/web1"), Some(("web1".into(), "lxc")));
        assert_eq!(named("/lxc/web1/system.slice/cron.service"), Some(("web1".into(), "lxc")));
        assert_eq!(named("/lxc.payload.web1"), Some(("web1".into(), "lxc")));
        assert_eq!(named("/lxc.payload.web1/init.scope"), Some(("web1".into(), "lxc")));
        assert_eq!(named("/lxc.payload/web1"), Some(("web1".into(), "lxc")));
        assert_eq!(named("/lxc.monitor.web1"), None);
        assert_eq!(named("/lxc.monitor/web1"), None);
    }

    #[test]
    fn systemd_nspawn_v1_and_v2() {
        assert_eq!(named("/machine.slice/systemd-nspawn@deb1.service"), Some(("deb1".into(), "systemd-nspawn")));
        assert_eq!(
            named("/machine.slice/systemd-nspawn@deb1.service/payload/system.slice/ssh.service"),
            Some(("deb1".into(), "systemd-nspawn"))
        );
    }

    #[test]
    fn innermost_container_wins() {
        is(&format!("/lxc.payload.outer/docker/{ID}"), "docker");
    }

    #[test]
    fn host_paths_name_no_container() {
        for p in [
            "/",
            "",
            "/user.slice/user-0.slice/session-1.scope",
            "/system.slice/docker.service",
            "/system.slice/containerd.service",
            "/process_api/8e33e7e7d3c5a51f87cd7a8690df1f90",
            "/docker",
            &format!("/docker/{}", &ID[..12]),
            &format!("/other/{ID}"),
            &format!("/docker/{}", ID.to_uppercase()),
            "/machine.slice/systemd-nspawn@.service",
        ] {
            assert_eq!(named(p), None, "{p}");
        }
    }
}
