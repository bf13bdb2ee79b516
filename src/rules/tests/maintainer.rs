//! Package maintainer scripts: dpkg and rpm run them with /bin/sh, so the
//! writes they make to cron, systemd, sudoers or shell rc files come from a
//! shell, not the package manager. The default pack exempts a process whose
//! resolved parent executable is a package manager; a parent merely named
//! like one (a copy in /tmp, prctl) exempts nothing.

use super::*;

const W: u32 = O_WRONLY | O_CREAT | O_TRUNC;

fn cron_write(exe: &str, parent_exe: &str) -> Vec<String> {
    let r = open(T0, 40, "sh", "/etc/cron.d/pkg", W).with_exe(exe);
    fired(&mut Engine::new(pack()), child_of(r, parent_exe))
}

#[test]
fn a_maintainer_script_under_the_real_package_manager_is_exempt() {
    for parent in ["/usr/bin/dpkg", "/usr/bin/rpm", "/usr/bin/dnf"] {
        let ids = cron_write("/usr/bin/dash", parent);
        assert!(ids.is_empty(), "sh under {parent}: {ids:?}");
    }
}

#[test]
fn a_parent_only_named_like_a_package_manager_exempts_nothing() {
    for parent in ["/tmp/dpkg", "/usr/bin/bash", "/var/tmp/.x/rpm", "/usr/bin/python3.11"] {
        let ids = cron_write("/usr/bin/dash", parent);
        assert!(ids.iter().any(|a| a == "RG-PERSIST-CRON"), "sh under {parent}: {ids:?}");
    }
}
