//! Owns the bodies of `process_namespace` and `file_mount`, and the names of
//! their namespace types and mount flags.

use super::json::ObjectWriter;
use super::SharedStr;

/// setns, unshare, or a clone/clone3 that created namespaces.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    /// unshare, clone, clone3: the CLONE_NEW* bits asked for; setns: the
    /// nstype argument (0 = any type).
    pub flags: u64,
    /// setns to a namespace file: the namespace's inode and CLONE_NEW* type.
    pub ns_inode: Option<u32>,
    pub ns_type: Option<u32>,
    /// setns to a pidfd: the process whose namespaces were entered, with
    /// its comm and exe when the process table knows it.
    pub target_pid: Option<i32>,
    pub target_comm: Option<String>,
    pub target_exe: Option<SharedStr>,
    /// clone, clone3: the new process, as the caller sees it.
    pub child_pid: Option<i32>,
    /// setns: the fd argument.
    pub fd: Option<i32>,
    pub syscall: &'static str,
}

impl Namespace {
    /// The namespace types involved: the entered namespace's own type for a
    /// setns to a namespace file, else the CLONE_NEW* bits of `flags`.
    pub fn ns_bits(&self) -> u32 {
        self.ns_type.unwrap_or((self.flags & u64::from(u32::MAX)) as u32)
    }

    /// Whether the entered namespace is one of the host's initial ones
    /// (setns to a namespace file only).
    pub fn ns_initial(&self) -> Option<bool> {
        self.ns_inode.map(ns_initial)
    }
}

/// The kernel numbers the initial namespaces' inodes from 0xEFFFFFFF down
/// (PROC_IPC_INIT_INO ... PROC_MNT_INIT_INO, include/linux/proc_ns.h); other
/// namespaces get inodes from 0xF0000000 up. Before Linux 6.x gave the
/// initial mnt and net namespaces fixed numbers, theirs were dynamic and
/// are not recognized.
pub fn ns_initial(inode: u32) -> bool {
    (0xEFFF_FFF8..=0xEFFF_FFFF).contains(&inode)
}

/// CLONE_NEW* bits by name, as `/proc/<pid>/ns` names them.
pub const NAMESPACES: [(u32, &str); 8] = [
    (0x0002_0000, "mnt"),
    (0x0200_0000, "cgroup"),
    (0x0400_0000, "uts"),
    (0x0800_0000, "ipc"),
    (0x1000_0000, "user"),
    (0x2000_0000, "pid"),
    (0x4000_0000, "net"),
    (0x0000_0080, "time"),
];

/// mount, umount2, fsmount, move_mount, pivot_root, chroot or open_tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Mount {
    /// What was mounted: see docs/records.md for each call.
    pub source: Option<String>,
    pub source_truncated: bool,
    /// A source path whose walk ended at a detached mount (open_tree).
    pub source_detached: bool,
    /// Where: an absolute path.
    pub target: Option<String>,
    pub target_truncated: bool,
    pub fstype: Option<String>,
    /// The call's flags; named by `mount_flag_table(syscall)`.
    pub flags: u64,
    /// fsmount, open_tree: the new fd; move_mount: from_dfd.
    pub fd: Option<i32>,
    pub syscall: &'static str,
}

/// mount(2)'s MS_* flags.
pub const MS_FLAGS: [(u32, &str); 22] = [
    (0x1, "MS_RDONLY"),
    (0x2, "MS_NOSUID"),
    (0x4, "MS_NODEV"),
    (0x8, "MS_NOEXEC"),
    (0x10, "MS_SYNCHRONOUS"),
    (0x20, "MS_REMOUNT"),
    (0x40, "MS_MANDLOCK"),
    (0x80, "MS_DIRSYNC"),
    (0x100, "MS_NOSYMFOLLOW"),
    (0x400, "MS_NOATIME"),
    (0x800, "MS_NODIRATIME"),
    (0x1000, "MS_BIND"),
    (0x2000, "MS_MOVE"),
    (0x4000, "MS_REC"),
    (0x8000, "MS_SILENT"),
    (0x20000, "MS_UNBINDABLE"),
    (0x40000, "MS_PRIVATE"),
    (0x80000, "MS_SLAVE"),
    (0x100000, "MS_SHARED"),
    (0x200000, "MS_RELATIME"),
    (0x1000000, "MS_STRICTATIME"),
    (0x2000000, "MS_LAZYTIME"),
];

/// umount2(2)'s flags.
pub const UMOUNT_FLAGS: [(u32, &str); 4] =
    [(0x1, "MNT_FORCE"), (0x2, "MNT_DETACH"), (0x4, "MNT_EXPIRE"), (0x8, "UMOUNT_NOFOLLOW")];

/// fsmount(2)'s attr_flags (its flags argument only has FSMOUNT_CLOEXEC).
pub const MOUNT_ATTRS: [(u32, &str); 8] = [
    (0x1, "MOUNT_ATTR_RDONLY"),
    (0x2, "MOUNT_ATTR_NOSUID"),
    (0x4, "MOUNT_ATTR_NODEV"),
    (0x8, "MOUNT_ATTR_NOEXEC"),
    (0x10, "MOUNT_ATTR_NOATIME"),
    (0x20, "MOUNT_ATTR_STRICTATIME"),
    (0x80, "MOUNT_ATTR_NODIRATIME"),
    (0x100000, "MOUNT_ATTR_IDMAP"),
];

/// move_mount(2)'s flags.
pub const MOVE_MOUNT_FLAGS: [(u32, &str); 8] = [
    (0x1, "MOVE_MOUNT_F_SYMLINKS"),
    (0x2, "MOVE_MOUNT_F_AUTOMOUNTS"),
    (0x4, "MOVE_MOUNT_F_EMPTY_PATH"),
    (0x10, "MOVE_MOUNT_T_SYMLINKS"),
    (0x20, "MOVE_MOUNT_T_AUTOMOUNTS"),
    (0x40, "MOVE_MOUNT_T_EMPTY_PATH"),
    (0x100, "MOVE_MOUNT_SET_GROUP"),
    (0x200, "MOVE_MOUNT_BENEATH"),
];

/// open_tree(2)'s flags.
pub const OPEN_TREE_FLAGS: [(u32, &str); 6] = [
    (0x1, "OPEN_TREE_CLONE"),
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x8000, "AT_RECURSIVE"),
    (0x80000, "OPEN_TREE_CLOEXEC"),
];

/// The names of the flags of `syscall`'s file_mount records (none for
/// pivot_root and chroot, which take none).
pub fn mount_flag_table(syscall: &str) -> &'static [(u32, &'static str)] {
    match syscall {
        "mount" => &MS_FLAGS,
        "umount2" => &UMOUNT_FLAGS,
        "fsmount" => &MOUNT_ATTRS,
        "move_mount" => &MOVE_MOUNT_FLAGS,
        "open_tree" => &OPEN_TREE_FLAGS,
        _ => &[],
    }
}

/// The names of the bits of `bits` in `table`, in table order.
pub fn bit_names(bits: u32, table: &'static [(u32, &'static str)]) -> impl Iterator<Item = &'static str> {
    table.iter().filter(move |(bit, _)| bits & bit != 0).map(|(_, n)| *n)
}

/// The bits named `names` in `table`; Err(name) for one it lacks.
pub fn bits_of<'n>(names: impl IntoIterator<Item = &'n str>, table: &[(u32, &str)]) -> Result<u32, &'n str> {
    names.into_iter().try_fold(0, |acc, n| table.iter().find(|(_, name)| *name == n).map(|(b, _)| acc | b).ok_or(n))
}

/// The JSON fields of a process_namespace record.
pub(super) fn write_namespace(w: &mut ObjectWriter<'_>, n: &Namespace) {
    w.lit_array("namespaces", bit_names(n.ns_bits(), &NAMESPACES));
    w.u64("ns_flags", n.flags);
    w.opt_u64("ns_inode", n.ns_inode.map(u64::from));
    match n.ns_type.and_then(|t| bit_names(t, &NAMESPACES).next()) {
        Some(t) => w.lit("ns_type", t),
        None => w.null("ns_type"),
    }
    match n.ns_initial() {
        Some(b) => w.bool("ns_initial", b),
        None => w.null("ns_initial"),
    }
    let opt_i32 = |w: &mut ObjectWriter<'_>, key: &str, v: Option<i32>| match v {
        Some(v) => w.i64(key, v.into()),
        None => w.null(key),
    };
    opt_i32(w, "target_pid", n.target_pid);
    w.opt_str("target_comm", n.target_comm.as_deref());
    w.opt_str("target_exe", n.target_exe.as_deref());
    opt_i32(w, "child_pid", n.child_pid);
    opt_i32(w, "fd", n.fd);
    w.lit("syscall", n.syscall);
}

/// The JSON fields of a file_mount record.
pub(super) fn write_mount(w: &mut ObjectWriter<'_>, m: &Mount) {
    w.opt_str("source", m.source.as_deref());
    w.opt_str("target", m.target.as_deref());
    w.opt_str("fstype", m.fstype.as_deref());
    w.lit_array("flags", bit_names(m.flags as u32, mount_flag_table(m.syscall)));
    w.u64("mount_flags", m.flags);
    match m.fd {
        Some(fd) => w.i64("fd", fd.into()),
        None => w.null("fd"),
    }
    w.lit("syscall", m.syscall);
    for (key, set) in [
        ("source_truncated", m.source_truncated),
        ("source_detached", m.source_detached),
        ("target_truncated", m.target_truncated),
    ] {
        if set {
            w.bool(key, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_bits_are_inverse() {
        for table in ["mount", "umount2", "fsmount", "move_mount", "open_tree"].map(mount_flag_table) {
            for &(bit, name) in table {
                assert_eq!(bit_names(bit, table).collect::<Vec<_>>(), [name]);
                assert_eq!(bits_of([name], table), Ok(bit));
            }
        }
        assert!(mount_flag_table("chroot").is_empty());
        let ns: Vec<_> = bit_names(0x2002_0000 | 0x80 | 0x1, &NAMESPACES).collect();
        assert_eq!(ns, ["mnt", "pid", "time"]);
        assert_eq!(bits_of(["MS_BIND", "MS_REC"], &MS_FLAGS), Ok(0x5000));
        assert_eq!(bits_of(["MS_BIND", "O_RDONLY"], &MS_FLAGS), Err("O_RDONLY"));
        assert!(ns_initial(0xEFFF_FFF8) && ns_initial(4026531839) && !ns_initial(0xF000_0001));
    }
}
