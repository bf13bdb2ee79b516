//! Owns the `process_setuid` body, its JSON, and the names of Linux
//! capabilities.

use super::json::ObjectWriter;

/// A task's real, effective, saved and filesystem ids of one family (user
/// or group).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub fs: u32,
}

/// One family of ids before and after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdChange {
    pub old: Ids,
    pub new: Ids,
}

/// Capability sets as bit masks (bit n = capability n).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Caps {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

/// A successful credential change (set*id, setgroups, capset). Each part is
/// present only for the calls it applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Cred {
    /// "setuid", "setresgid", "capset", ...
    pub syscall: &'static str,
    /// setuid, setreuid, setresuid, setfsuid.
    pub uids: Option<IdChange>,
    /// setgid, setregid, setresgid, setfsgid.
    pub gids: Option<IdChange>,
    /// setgroups: how many supplementary groups the task now holds.
    pub group_count: Option<u32>,
    /// setgroups: the first of them (at most 16).
    pub groups: Vec<u32>,
    /// capset: the task's resulting sets.
    pub caps: Option<Caps>,
}

/// What a credential syscall changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredCall {
    Uids,
    Gids,
    Groups,
    Caps,
}

/// Which part of a `Cred` the call named `syscall` fills; None for a name
/// that is no credential call.
pub fn cred_call(syscall: &str) -> Option<CredCall> {
    match syscall {
        "setuid" | "setreuid" | "setresuid" | "setfsuid" => Some(CredCall::Uids),
        "setgid" | "setregid" | "setresgid" | "setfsgid" => Some(CredCall::Gids),
        "setgroups" => Some(CredCall::Groups),
        "capset" => Some(CredCall::Caps),
        _ => None,
    }
}

/// Capability names by number (include/uapi/linux/capability.h); bits the
/// kernel does not define yet are named by number.
pub const CAPABILITIES: [&str; 64] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
    "CAP_41",
    "CAP_42",
    "CAP_43",
    "CAP_44",
    "CAP_45",
    "CAP_46",
    "CAP_47",
    "CAP_48",
    "CAP_49",
    "CAP_50",
    "CAP_51",
    "CAP_52",
    "CAP_53",
    "CAP_54",
    "CAP_55",
    "CAP_56",
    "CAP_57",
    "CAP_58",
    "CAP_59",
    "CAP_60",
    "CAP_61",
    "CAP_62",
    "CAP_63",
];

/// The names of the capabilities set in `bits`, lowest first.
pub fn cap_names(bits: u64) -> impl Iterator<Item = &'static str> {
    CAPABILITIES.iter().enumerate().filter(move |(i, _)| bits & (1u64 << i) != 0).map(|(_, n)| *n)
}

/// The bit of the capability called `name` (the inverse of `cap_names`).
pub fn cap_bit(name: &str) -> Option<u64> {
    CAPABILITIES.iter().position(|n| *n == name).map(|i| 1u64 << i)
}

/// The record keys of each id, old then new: user ids, then group ids.
pub const UID_KEYS: [[&str; 2]; 4] =
    [["old_uid", "new_uid"], ["old_euid", "new_euid"], ["old_suid", "new_suid"], ["old_fsuid", "new_fsuid"]];
pub const GID_KEYS: [[&str; 2]; 4] =
    [["old_gid", "new_gid"], ["old_egid", "new_egid"], ["old_sgid", "new_sgid"], ["old_fsgid", "new_fsgid"]];

impl Ids {
    /// real, effective, saved, fs: the order of `UID_KEYS` and `GID_KEYS`.
    pub fn as_array(&self) -> [u32; 4] {
        [self.real, self.effective, self.saved, self.fs]
    }

    pub fn from_array(a: [u32; 4]) -> Ids {
        Ids { real: a[0], effective: a[1], saved: a[2], fs: a[3] }
    }
}

/// Every field of the body; null where it does not apply to the call.
pub(super) fn write_json(w: &mut ObjectWriter<'_>, c: &Cred) {
    w.lit("syscall", c.syscall);
    for (change, keys) in [(c.uids, UID_KEYS), (c.gids, GID_KEYS)] {
        for (i, [old, new]) in keys.iter().enumerate() {
            match change {
                Some(ch) => {
                    w.u64(old, ch.old.as_array()[i].into());
                    w.u64(new, ch.new.as_array()[i].into());
                }
                None => {
                    w.null(old);
                    w.null(new);
                }
            }
        }
    }
    match c.group_count {
        Some(n) => {
            w.u64("group_count", n.into());
            let groups: Vec<String> = c.groups.iter().map(u32::to_string).collect();
            w.raw_array("groups", groups.iter().map(String::as_str));
        }
        None => {
            w.null("group_count");
            w.null("groups");
        }
    }
    match c.caps {
        Some(caps) => {
            w.lit_array("cap_effective", cap_names(caps.effective));
            w.lit_array("cap_permitted", cap_names(caps.permitted));
            w.lit_array("cap_inheritable", cap_names(caps.inheritable));
        }
        None => {
            w.null("cap_effective");
            w.null("cap_permitted");
            w.null("cap_inheritable");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_and_bits_are_inverse() {
        assert_eq!(cap_names(1 << 21 | 1).collect::<Vec<_>>(), ["CAP_CHOWN", "CAP_SYS_ADMIN"]);
        for (i, name) in CAPABILITIES.iter().enumerate() {
            assert_eq!(cap_bit(name), Some(1u64 << i));
        }
        assert_eq!(cap_names(u64::MAX).count(), 64);
        assert_eq!(cap_bit("CAP_NOPE"), None);
        assert_eq!(cred_call("setresgid"), Some(CredCall::Gids));
        assert_eq!(cred_call("kill"), None);
    }
}
