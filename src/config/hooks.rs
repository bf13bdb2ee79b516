//! The hook enums (`ProcessHook`, `FileHook`, `NetHook`) as the config
//! validates them; the enums themselves are rows of the catalog
//! (`catalog/hooks.rs`).

use crate::catalog::Category;

/// What the config loader needs from every hook enum.
pub(crate) trait Hook: Copy + Ord + 'static {
    const KIND: &'static str;
    fn all() -> &'static [Self];
    fn hook_name(&self) -> &'static str;
}

pub use crate::catalog::{FileHook, NetHook, ProcessHook};

macro_rules! impl_hook {
    ($($name:ident => $cat:expr),+ $(,)?) => {$(
        impl Hook for $name {
            const KIND: &'static str = $cat.name();
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn hook_name(&self) -> &'static str {
                self.name()
            }
        }
    )+};
}

impl_hook! {
    ProcessHook => Category::Process,
    FileHook => Category::File,
    NetHook => Category::Network,
}
