//! Owns the `file_xattr` body beyond the path every file record has: the
//! attribute set or removed, and the file capabilities a
//! `security.capability` value grants.

use super::cred::cap_names;
use super::json::ObjectWriter;

/// The attribute that holds a file's capabilities (include/uapi/linux/xattr.h).
pub const XATTR_SECURITY_CAPABILITY: &str = "security.capability";

/// setxattr's flags (include/uapi/linux/xattr.h).
pub const XATTR_FLAGS: [(u32, &str); 2] = [(0x1, "XATTR_CREATE"), (0x2, "XATTR_REPLACE")];
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EMPTY_PATH: u32 = 0x1000;

/// Whether the call set or removed the attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XattrOp {
    Set,
    Remove,
}

impl XattrOp {
    pub fn as_str(self) -> &'static str {
        match self {
            XattrOp::Set => "set",
            XattrOp::Remove => "remove",
        }
    }

    pub fn from_name(name: &str) -> Option<XattrOp> {
        [XattrOp::Set, XattrOp::Remove].into_iter().find(|o| o.as_str() == name)
    }
}

/// The sets a `security.capability` value grants (struct vfs_cap_data or,
/// revision 3, vfs_ns_cap_data): bit n = capability n.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileCaps {
    pub permitted: u64,
    pub inheritable: u64,
    /// VFS_CAP_FLAGS_EFFECTIVE: the permitted set is raised at exec.
    pub effective: bool,
    /// Revision 3: the user namespace root the capabilities apply to.
    pub rootid: Option<u32>,
}

impl FileCaps {
    /// Decodes the value's first bytes; None for a revision or length that
    /// is no capability value (the kernel accepts only revisions 2 and 3).
    pub fn decode(value: &[u8]) -> Option<FileCaps> {
        let word = |i: usize| value.get(4 * i..4 * i + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let magic = word(0)?;
        let (words, len) = match magic & 0xff00_0000 {
            0x0100_0000 => (1, 12),
            0x0200_0000 => (2, 20),
            0x0300_0000 => (2, 24),
            _ => return None,
        };
        if value.len() < len {
            return None;
        }
        let (mut permitted, mut inheritable) = (0u64, 0u64);
        for i in 0..words {
            permitted |= u64::from(word(1 + 2 * i)?) << (32 * i);
            inheritable |= u64::from(word(2 + 2 * i)?) << (32 * i);
        }
        let rootid = if len == 24 { word(5) } else { None };
        Some(FileCaps { permitted, inheritable, effective: magic & 1 != 0, rootid })
    }

    /// What the effective set is after exec: all of permitted, or none.
    pub fn effective_set(self) -> u64 {
        if self.effective {
            self.permitted
        } else {
            0
        }
    }
}

/// setxattr, lsetxattr, fsetxattr, setxattrat or a removexattr that succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct Xattr {
    pub name: String,
    pub op: XattrOp,
    /// Set: the value's size in bytes; None for a removal.
    pub value_size: Option<u64>,
    /// XATTR_FLAGS bits as passed.
    pub flags: u32,
    /// AT_SYMLINK_NOFOLLOW (the l* calls, or passed to an *at call), and
    /// AT_EMPTY_PATH when the file was the fd's.
    pub at_flags: u32,
    /// The value could not be read from the caller's memory.
    pub value_unread: bool,
    /// A `security.capability` set whose value decoded.
    pub caps: Option<FileCaps>,
}

impl Xattr {
    /// `file_caps`: file capabilities were set, whether or not the value
    /// could be read.
    pub fn file_caps(&self) -> bool {
        self.op == XattrOp::Set && self.name == XATTR_SECURITY_CAPABILITY
    }

    /// Whether a symlink at the path was followed; None when the file was
    /// the fd's (no path was looked up).
    pub fn follow_symlinks(&self) -> Option<bool> {
        (self.at_flags & AT_EMPTY_PATH == 0).then_some(self.at_flags & AT_SYMLINK_NOFOLLOW == 0)
    }
}

/// The flag names of `flags`, in table order.
pub fn xattr_flag_names(flags: u32) -> impl Iterator<Item = &'static str> {
    XATTR_FLAGS.iter().filter(move |(bit, _)| flags & bit != 0).map(|(_, n)| *n)
}

pub fn write_xattr(w: &mut ObjectWriter<'_>, x: &Xattr) {
    w.str("xattr_name", &x.name);
    w.lit("xattr_op", x.op.as_str());
    w.opt_u64("value_size", x.value_size);
    w.bool("value_unread", x.value_unread);
    w.lit_array("flags", xattr_flag_names(x.flags));
    match x.follow_symlinks() {
        Some(f) => w.bool("follow_symlinks", f),
        None => w.null("follow_symlinks"),
    }
    w.bool("file_caps", x.file_caps());
    match x.caps {
        Some(c) => {
            w.lit_array("cap_permitted", cap_names(c.permitted));
            w.lit_array("cap_inheritable", cap_names(c.inheritable));
            w.lit_array("cap_effective", cap_names(c.effective_set()));
            w.opt_u64("cap_rootid", c.rootid.map(u64::from));
        }
        None => {
            for k in ["cap_permitted", "cap_inheritable", "cap_effective", "cap_rootid"] {
                w.null(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn capability_values_of_each_revision() {
        // setcap cap_net_raw+ep: revision 2, effective, CAP_NET_RAW (13)
        let c = FileCaps::decode(&value(&[0x0200_0001, 1 << 13, 0, 0, 0])).expect("v2");
        assert_eq!((c.permitted, c.inheritable, c.effective, c.rootid), (1 << 13, 0, true, None));
        assert_eq!(cap_names(c.effective_set()).collect::<Vec<_>>(), ["CAP_NET_RAW"]);
        // revision 3 in a user namespace, the high word (CAP_BPF is 39), not effective
        let c = FileCaps::decode(&value(&[0x0300_0000, 0, 1 << 2, 1 << 7, 0, 100_000])).expect("v3");
        assert_eq!((c.permitted, c.inheritable, c.effective_set(), c.rootid), (1 << 39, 1 << 2, 0, Some(100_000)));
        assert_eq!(FileCaps::decode(&value(&[0x0200_0001, 1, 0])), None, "cut short");
        assert_eq!(FileCaps::decode(&value(&[0x0400_0000, 1, 0, 0, 0])), None, "unknown revision");
        assert_eq!(FileCaps::decode(&[]), None);
    }

    #[test]
    fn file_caps_is_a_set_of_security_capability() {
        let x = |name: &str, op| Xattr {
            name: name.into(),
            op,
            value_size: None,
            flags: 0,
            at_flags: 0x100,
            value_unread: false,
            caps: None,
        };
        assert!(x(XATTR_SECURITY_CAPABILITY, XattrOp::Set).file_caps());
        assert!(!x(XATTR_SECURITY_CAPABILITY, XattrOp::Remove).file_caps());
        assert!(!x("user.x", XattrOp::Set).file_caps());
        assert_eq!(x("user.x", XattrOp::Set).follow_symlinks(), Some(false));
        assert_eq!(XattrOp::from_name("remove"), Some(XattrOp::Remove));
        assert_eq!(xattr_flag_names(3).collect::<Vec<_>>(), ["XATTR_CREATE", "XATTR_REPLACE"]);
    }
}
