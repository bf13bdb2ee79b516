//! Owns the hook enums (`ProcessHook`, `FileHook`, `NetHook`): the kernel attach points each sensor category can enable, with their config names.

use std::fmt;

/// What the config loader needs from every hook enum.
pub(crate) trait Hook: Copy + Ord + 'static {
    const KIND: &'static str;
    fn all() -> &'static [Self];
    fn hook_name(&self) -> &'static str;
}

macro_rules! hook_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($var:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($var),+
        }

        impl $name {
            /// Every hook of this category, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The hook's name as written in the config.
            pub fn name(&self) -> &'static str {
                match self {
                    $($name::$var => $s),+
                }
            }

            /// The hook with config name `name`.
            pub fn from_name(name: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|h| h.name() == name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl Hook for $name {
            const KIND: &'static str = $kind;
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn hook_name(&self) -> &'static str {
                self.name()
            }
        }
    };
}

hook_enum! {
    /// Process lifecycle hooks.
    ProcessHook, "process" {
        Execve => "execve",
        Execveat => "execveat",
        Fork => "fork",
        Exit => "exit",
        Ptrace => "ptrace",
    }
}

hook_enum! {
    /// File syscall hooks.
    FileHook, "file" {
        Open => "open",
        Creat => "creat",
        Openat => "openat",
        Openat2 => "openat2",
        Write => "write",
        Pwrite64 => "pwrite64",
        Writev => "writev",
        Pwritev => "pwritev",
        Pwritev2 => "pwritev2",
        Rename => "rename",
        Renameat => "renameat",
        Renameat2 => "renameat2",
        Unlink => "unlink",
        Unlinkat => "unlinkat",
        Rmdir => "rmdir",
    }
}

hook_enum! {
    /// Network syscall hooks.
    NetHook, "network" {
        Connect => "connect",
        Bind => "bind",
        Listen => "listen",
        Accept => "accept",
        Accept4 => "accept4",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for h in ProcessHook::ALL {
            assert_eq!(ProcessHook::from_name(h.name()), Some(*h));
        }
        for h in FileHook::ALL {
            assert_eq!(FileHook::from_name(h.name()), Some(*h));
        }
        for h in NetHook::ALL {
            assert_eq!(NetHook::from_name(h.name()), Some(*h));
        }
        assert_eq!(ProcessHook::ALL.len(), 5);
        assert_eq!(FileHook::ALL.len(), 15);
        assert_eq!(NetHook::ALL.len(), 5);
        assert_eq!(FileHook::from_name("clone"), None);
    }
}
