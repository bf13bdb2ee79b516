//! Owns the bodies of `file_chmod`, `file_chown` and `file_truncate` beyond
//! the path every file record has, and the special bits of a mode.

/// The permission bits the contract calls out by name.
pub const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
pub const S_ISVTX: u32 = 0o1000;

/// A chown's request: the owner and group asked for (None = left
/// unchanged, the -1 of the syscall) and whether a symlink at the path
/// was followed (None for fchown, which names no path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chown {
    pub owner_uid: Option<u32>,
    pub owner_gid: Option<u32>,
    pub follow_symlinks: Option<bool>,
}

impl Chown {
    /// From the raw ids, where u32::MAX (the syscall's -1) means unchanged.
    pub fn from_raw(uid: u32, gid: u32, follow_symlinks: Option<bool>) -> Chown {
        let id = |v: u32| (v != u32::MAX).then_some(v);
        Chown { owner_uid: id(uid), owner_gid: id(gid), follow_symlinks }
    }
}

/// Whether `mode` has the setuid bit.
pub fn setuid(mode: u32) -> bool {
    mode & S_ISUID != 0
}

/// Whether `mode` has the setgid bit.
pub fn setgid(mode: u32) -> bool {
    mode & S_ISGID != 0
}

/// Whether `mode` has the sticky bit.
pub fn sticky(mode: u32) -> bool {
    mode & S_ISVTX != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bits_and_unchanged_ids() {
        assert!(setuid(0o4755) && !setgid(0o4755) && !sticky(0o4755));
        assert!(setgid(0o2755) && sticky(0o1777) && !setuid(0o755));
        let c = Chown::from_raw(1000, u32::MAX, Some(false));
        assert_eq!((c.owner_uid, c.owner_gid, c.follow_symlinks), (Some(1000), None, Some(false)));
    }
}
