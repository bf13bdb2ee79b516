//! The event catalog: the one table every layer reads to know which event
//! types exist, their category, ABI kind and record layout, the config hooks
//! and BPF programs that produce them, and the rule fields they carry.
//!
//! `events.rs` holds one row per event type, `hooks.rs` one row per config
//! hook (a syscall or a BTF tracepoint, with its programs), `fields.rs` one row
//! per rule field. Everything else derives from them: `EventType` and its
//! category, the hook enums the config validates, the programs the loader
//! autoloads, the ABI decoder's dispatch, the rule field table and the
//! dashboard's type list. The kinds and syscall numbers come from
//! include/events.h through the skeleton's generated enums, never copied.
//! Matches over `EventType`, `Layout`, `FileKind`, `MetaKind` and `NetKind` are exhaustive
//! everywhere, so a new row is a compile error at every place that needs code
//! (docs/architecture.md, "Adding an event type").

mod events;
mod fields;
mod hooks;

pub use events::{AnyHook, EventType};
pub use fields::{edit_distance, Field, FieldType, COMMON};
pub use hooks::{FileHook, NetHook, ProcessHook};

use crate::bpf::skel::types::{rg_counter, rg_kind, rg_syscall};

/// The three sensor categories: a config section, a record prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Process,
    File,
    Network,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Process, Category::File, Category::Network];

    /// "process", "file" or "network": the config section and the prefix of
    /// the category's event type names.
    pub const fn name(self) -> &'static str {
        match self {
            Category::Process => "process",
            Category::File => "file",
            Category::Network => "network",
        }
    }

    /// The config names of the category's hooks, in canonical order.
    pub fn hook_names(self) -> Vec<&'static str> {
        match self {
            Category::Process => ProcessHook::ALL.iter().map(|h| h.name()).collect(),
            Category::File => FileHook::ALL.iter().map(|h| h.name()).collect(),
            Category::Network => NetHook::ALL.iter().map(|h| h.name()).collect(),
        }
    }
}

/// Where a BPF program attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attach {
    /// A BTF-typed tracepoint (`tp_btf/<name>`), always present.
    Btf(&'static str),
    /// `tracepoint/syscalls/sys_enter_<syscall>`.
    SysEnter(&'static str),
    /// `tracepoint/syscalls/sys_exit_<syscall>`.
    SysExit(&'static str),
}

/// One program of the BPF object, by its name in bpf/sensor.bpf.c.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prog {
    pub name: &'static str,
    pub attach: Attach,
}

impl Prog {
    /// The `syscalls/` tracepoint the program needs (its existence depends
    /// on the kernel), None for BTF tracepoints.
    pub fn syscall_tracepoint(&self) -> Option<String> {
        match self.attach {
            Attach::Btf(_) => None,
            Attach::SysEnter(sc) => Some(format!("sys_enter_{sc}")),
            Attach::SysExit(sc) => Some(format!("sys_exit_{sc}")),
        }
    }

    /// The syscall a `syscalls/` program serves.
    pub fn syscall(&self) -> Option<&'static str> {
        match self.attach {
            Attach::Btf(_) => None,
            Attach::SysEnter(sc) | Attach::SysExit(sc) => Some(sc),
        }
    }

    /// How doctor names the attach point: `syscalls/sys_exit_openat`,
    /// `tp_btf/sched_process_exec`.
    pub fn describe(&self) -> String {
        match self.attach {
            Attach::Btf(tp) => format!("tp_btf/{tp}"),
            Attach::SysEnter(_) | Attach::SysExit(_) => {
                format!("syscalls/{}", self.syscall_tracepoint().unwrap_or_default())
            }
        }
    }
}

/// Which operation a `struct rg_file` record reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Open,
    Write,
    Rename,
    Unlink,
    Link,
}

/// Which change a `struct rg_filemeta` record reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetaKind {
    Chmod,
    Chown,
    Truncate,
}

/// Which call a `struct rg_net` record reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetKind {
    Connect,
    Accept,
    Bind,
    Listen,
}

impl NetKind {
    /// The syscall that most likely made a record of this kind (the
    /// offline parser's default for a record without `syscall`).
    pub fn syscall(self) -> &'static str {
        match self {
            NetKind::Connect => "connect",
            NetKind::Accept => "accept4",
            NetKind::Bind => "bind",
            NetKind::Listen => "listen",
        }
    }

    /// The contract's `direction` value.
    pub fn direction(self) -> &'static str {
        match self {
            NetKind::Connect => "outbound",
            NetKind::Accept => "inbound",
            NetKind::Bind | NetKind::Listen => "listen",
        }
    }
}

/// The ABI struct (include/events.h) a record kind is laid out as, and for
/// the shared ones which operation it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `struct rg_exec`
    Exec,
    /// `struct rg_fork`
    Fork,
    /// `struct rg_exit`
    Exit,
    /// `struct rg_ptrace`
    Ptrace,
    /// `struct rg_signal`
    Signal,
    /// `struct rg_cred`
    Cred,
    /// `struct rg_memfd`
    Memfd,
    /// `struct rg_inject`
    Inject,
    /// `struct rg_bpf`
    Bpf,
    /// `struct rg_namespace`
    Namespace,
    /// `struct rg_mount`
    Mount,
    /// `struct rg_io_uring`
    IoUring,
    /// `struct rg_file`
    File(FileKind),
    /// `struct rg_filemeta`
    FileMeta(MetaKind),
    /// `struct rg_utimes`
    Utimes,
    /// `struct rg_xattr`
    Xattr,
    /// `struct rg_net`
    Net(NetKind),
}

/// A set of event types, one bit per `EventType::ALL` index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TypeMask(pub u64);

const _: () = assert!(EventType::COUNT <= 64, "TypeMask holds one bit per event type");

impl TypeMask {
    pub const NONE: TypeMask = TypeMask(0);
    pub const ALL: TypeMask = TypeMask(if EventType::COUNT == 64 { u64::MAX } else { (1u64 << EventType::COUNT) - 1 });

    pub const fn of(t: EventType) -> TypeMask {
        TypeMask(1 << t as usize)
    }
    pub fn of_all(ts: &[EventType]) -> TypeMask {
        ts.iter().fold(TypeMask::NONE, |m, &t| m.union(TypeMask::of(t)))
    }
    pub fn category(cat: Category) -> TypeMask {
        TypeMask::of_all(&EventType::ALL.into_iter().filter(|t| t.category() == cat).collect::<Vec<_>>())
    }
    pub fn has(self, t: EventType) -> bool {
        self.0 & (1 << t as usize) != 0
    }
    pub const fn union(self, o: TypeMask) -> TypeMask {
        TypeMask(self.0 | o.0)
    }
    pub fn inter(self, o: TypeMask) -> TypeMask {
        TypeMask(self.0 & o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn types(self) -> impl Iterator<Item = EventType> {
        EventType::ALL.into_iter().filter(move |t| self.has(*t))
    }
    /// "process_exec, file_open" for messages.
    pub fn names(self) -> String {
        self.types().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// The ABI's number of a syscall (`enum rg_syscall`) as its hook name;
/// "unknown" for a number no hook has.
pub fn syscall_name(id: u32) -> &'static str {
    if id == rg_syscall::RG_SYS_NONE.0 {
        return "unknown";
    }
    let process = ProcessHook::ALL.iter().find(|h| h.abi_id() == id).map(|h| h.name());
    let file = || FileHook::ALL.iter().find(|h| h.abi_id() == id).map(|h| h.name());
    let net = || NetHook::ALL.iter().find(|h| h.abi_id() == id).map(|h| h.name());
    process.or_else(file).or_else(net).unwrap_or("unknown")
}

/// Programs that feed no event type: they keep userspace's cgroup cache
/// current (a container's cgroup made after the sensor started is known at
/// its first record), and load whenever any hook does.
pub const CONTEXT_PROGRAMS: &[Prog] = &[
    Prog { name: "handle_cgroup_mkdir", attach: Attach::Btf("cgroup_mkdir") },
    Prog { name: "handle_cgroup_rmdir", attach: Attach::Btf("cgroup_rmdir") },
];

/// The ABI kind of the cgroup cache's updates (`RG_KIND_CGROUP`): not an
/// event type, never a record.
pub const CGROUP_KIND: u16 = kind_id(rg_kind::RG_KIND_CGROUP);

/// Every program a hook of any category can ask for, and the context
/// programs, without duplicates, in table order.
pub fn all_programs() -> Vec<Prog> {
    let mut out: Vec<Prog> = Vec::new();
    let lists = ProcessHook::ALL
        .iter()
        .map(|h| h.programs())
        .chain(FileHook::ALL.iter().map(|h| h.programs()))
        .chain(NetHook::ALL.iter().map(|h| h.programs()))
        .chain(std::iter::once(CONTEXT_PROGRAMS));
    for p in lists.flatten() {
        if !out.iter().any(|o| o.name == p.name) {
            out.push(*p);
        }
    }
    out
}

/// The program named `name`, if any hook uses it.
pub fn program(name: &str) -> Option<Prog> {
    all_programs().into_iter().find(|p| p.name == name)
}

/// Indexes of the kernel's per-CPU `counters` map (`enum rg_counter`).
pub mod counter {
    use super::rg_counter;

    pub const RINGBUF_DROPS: usize = rg_counter::RG_CNT_RINGBUF_DROPS.0 as usize;
    pub const STASH_DROPS: usize = rg_counter::RG_CNT_STASH_DROPS.0 as usize;
    pub const KERNEL_FILTERED: usize = rg_counter::RG_CNT_KERNEL_FILTERED.0 as usize;
    pub const RESPONSE_KILLS: usize = rg_counter::RG_CNT_RESPONSE_KILLS.0 as usize;
    pub const RESPONSE_SPARED: usize = rg_counter::RG_CNT_RESPONSE_SPARED.0 as usize;
    /// Slots in the map.
    pub const MAX: usize = rg_counter::RG_CNT_MAX.0 as usize;
}

/// The ABI kind number of `k` (`enum rg_kind`), as the header carries it.
const fn kind_id(k: rg_kind) -> u16 {
    k.0 as u16
}

#[cfg(test)]
mod tests;
