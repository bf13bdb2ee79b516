//! Open → configure → load → attach, as separate steps: the config decides
//! which programs load (a hook that is off costs nothing in the kernel),
//! the ring-buffer size and the sensor's own pid, all before load.

use std::mem::MaybeUninit;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, OpenObject};
use thiserror::Error;

use super::filter::KernelFilter;
use super::links::Links;
use super::skel::{OpenSensorSkel, SensorSkel, SensorSkelBuilder};
use crate::catalog::{self, Prog};
use crate::config::Config;
use crate::host;

#[derive(Debug, Error)]
pub enum LoadError {
    #[error(
        "rand-guard must run as root (or with {missing}): loading eBPF programs needs CAP_BPF and \
         CAP_PERFMON, reading other processes' /proc entries needs CAP_SYS_PTRACE and \
         CAP_DAC_READ_SEARCH"
    )]
    NotPrivileged { missing: String },
    #[error("tracefs is not mounted at /sys/kernel/tracing and mounting it failed: {0} (mount it with `mount -t tracefs nodev /sys/kernel/tracing`)")]
    Tracefs(std::io::Error),
    #[error("opening the BPF object failed: {0}")]
    Open(libbpf_rs::Error),
    #[error("configuring the BPF object failed: {0}")]
    Configure(libbpf_rs::Error),
    #[error("loading the BPF programs failed (see the verifier log above): {0}")]
    Load(libbpf_rs::Error),
    #[error("attaching the BPF programs failed: {0}")]
    Attach(libbpf_rs::Error),
    #[error("the configuration enables no hook at all: nothing to collect")]
    NothingEnabled,
}

impl LoadError {
    /// 2 for what the user must fix (privileges, config), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            LoadError::NotPrivileged { .. } | LoadError::NothingEnabled => 2,
            _ => 1,
        }
    }
}

/// A loaded and attached sensor.
pub struct Loaded<'obj> {
    pub skel: SensorSkel<'obj>,
    /// One per attached program; dropping them detaches.
    pub links: Links,
    /// Programs attached, by name.
    pub attached: Vec<String>,
    /// Hooks skipped because this kernel lacks their tracepoint.
    pub warnings: Vec<String>,
}

/// Whether program `prog` serves a hook the config turns on: some enabled
/// hook of an enabled category lists it in the catalog.
/// The context programs (`catalog::CONTEXT_PROGRAMS`) load whenever any
/// hook does.
pub fn wanted(cfg: &Config, prog: &str) -> bool {
    if catalog::CONTEXT_PROGRAMS.iter().any(|p| p.name == prog) {
        return any_hook(cfg);
    }
    let serves = |progs: &[Prog]| progs.iter().any(|p| p.name == prog);
    (cfg.process.enabled && cfg.process.hooks.iter().any(|h| serves(h.programs())))
        || (cfg.file.enabled && cfg.file.hooks.iter().any(|h| serves(h.programs())))
        || (cfg.network.enabled && cfg.network.hooks.iter().any(|h| serves(h.programs())))
}

/// Whether the config turns on any hook at all.
fn any_hook(cfg: &Config) -> bool {
    (cfg.process.enabled && !cfg.process.hooks.is_empty())
        || (cfg.file.enabled && !cfg.file.hooks.is_empty())
        || (cfg.network.enabled && !cfg.network.hooks.is_empty())
}

/// `handle_enter_openat` → `openat`: the syscall a program's tracepoint
/// belongs to, None for the BTF ones and for names the catalog lacks.
fn syscall_of(prog: &str) -> Option<&'static str> {
    catalog::program(prog).and_then(|p| p.syscall())
}

/// Loads and attaches everything `cfg` asks for. Needs privileges; checks
/// them first so the user gets one clear error instead of EPERM soup.
pub fn load<'obj>(cfg: &Config, storage: &'obj mut MaybeUninit<OpenObject>) -> Result<Loaded<'obj>, LoadError> {
    let missing = host::missing_privileges();
    if !missing.is_empty() {
        return Err(LoadError::NotPrivileged { missing: missing.join(", ") });
    }
    host::raise_memlock();
    let (open, attached, warnings, filter) = open_configured(cfg, storage, None)?;
    let skel = open.load().map_err(LoadError::Load)?;
    for (key, flags) in &filter.rules {
        skel.maps
            .path_rules
            .update(&key.to_ne_bytes(), &[*flags], libbpf_rs::MapFlags::ANY)
            .map_err(LoadError::Configure)?;
    }
    skel.maps
        .filter_meta
        .update(&0u32.to_ne_bytes(), &filter.meta_bytes(), libbpf_rs::MapFlags::ANY)
        .map_err(LoadError::Configure)?;
    super::response::fill_deny_exec(&skel.maps.deny_exec, cfg).map_err(LoadError::Configure)?;
    // Attached one by one rather than with skel.attach(), so the links can
    // be detached in parallel (see links.rs).
    let mut links = Links::default();
    for prog in skel.object().progs_mut().filter(|p| p.autoload()) {
        links.push(prog.attach().map_err(LoadError::Attach)?);
    }
    Ok(Loaded { skel, links, attached, warnings })
}

/// Open and configure, not yet loaded: the programs `cfg` wants whose
/// tracepoints exist are set to load (only `only`, when given — `doctor`
/// loads them one by one to say which fails), with the programs chosen and
/// the hooks skipped.
pub fn open_configured<'obj>(
    cfg: &Config,
    storage: &'obj mut MaybeUninit<OpenObject>,
    only: Option<&str>,
) -> Result<(OpenSensorSkel<'obj>, Vec<String>, Vec<String>, KernelFilter), LoadError> {
    let mut open = SensorSkelBuilder::default().open(storage).map_err(LoadError::Open)?;

    // Classic syscall tracepoints need tracefs for their ids.
    let needs_tracefs = open
        .open_object_mut()
        .progs_mut()
        .any(|p| syscall_of(&p.name().to_string_lossy()).is_some() && wanted(cfg, &p.name().to_string_lossy()));
    if needs_tracefs {
        host::ensure_tracefs().map_err(LoadError::Tracefs)?;
    }

    let mut warnings = Vec::new();
    let mut attached = Vec::new();
    for mut prog in open.open_object_mut().progs_mut() {
        let name = prog.name().to_string_lossy().into_owned();
        let mut on = wanted(cfg, &name);
        if on {
            if let Some(tp) = tracepoint_of(&name) {
                if !host::tracepoint_exists("syscalls", &tp) {
                    let sc = syscall_of(&name).unwrap_or_default();
                    warnings.push(format!("hook `{sc}` skipped: this kernel has no syscalls/{tp} tracepoint"));
                    on = false;
                }
            }
        }
        if on {
            attached.push(name.clone());
        }
        prog.set_autoload(on && only.is_none_or(|o| o == name));
    }
    if attached.iter().all(|n| catalog::CONTEXT_PROGRAMS.iter().any(|p| p.name == n)) {
        return Err(LoadError::NothingEnabled);
    }

    let filter = KernelFilter::from_filter(&cfg.file.filter);
    if let Some(rodata) = open.maps.rodata_data.as_deref_mut() {
        rodata.rg_self_tgid = std::process::id();
        rodata.rg_response_mode = super::response::kernel_mode(cfg);
        // the [file] hook io_uring reports setups and connects only for a category that is on
        rodata.rg_uring_setup = cfg.process.enabled.into();
        rodata.rg_uring_net = cfg.network.enabled.into();
        rodata.rg_filter_paths = filter.enabled.into();
        rodata.rg_filter_watch_all = filter.watch_all.into();
        rodata.rg_wakeup_bytes = (u64::from(cfg.ebpf.ring_buffer_bytes) / 4).min(64 * 1024);
    }
    open.maps.events.set_max_entries(cfg.ebpf.ring_buffer_bytes).map_err(LoadError::Configure)?;
    Ok((open, attached, warnings, filter))
}

/// `handle_enter_openat` → `sys_enter_openat`: the syscalls/ tracepoint of
/// a program, None for the BTF (process lifecycle) ones.
pub fn tracepoint_of(prog: &str) -> Option<String> {
    catalog::program(prog).and_then(|p| p.syscall_tracepoint())
}

/// Every program in the BPF object, by name (opening needs no privileges).
pub fn program_names(storage: &mut MaybeUninit<OpenObject>) -> Result<Vec<String>, LoadError> {
    Ok(program_sections(storage)?.into_iter().map(|(name, _)| name).collect())
}

/// Every program in the BPF object with its ELF section (`tp_btf/...`,
/// `tracepoint/syscalls/...`): what libbpf attaches it to.
pub fn program_sections(storage: &mut MaybeUninit<OpenObject>) -> Result<Vec<(String, String)>, LoadError> {
    let mut open = SensorSkelBuilder::default().open(storage).map_err(LoadError::Open)?;
    Ok(open
        .open_object_mut()
        .progs_mut()
        .map(|p| (p.name().to_string_lossy().into_owned(), p.section().to_string_lossy().into_owned()))
        .collect())
}

/// Sums the kernel's per-CPU counters.
pub fn read_counters(map: &dyn MapCore) -> [u64; catalog::counter::MAX] {
    let mut out = [0u64; catalog::counter::MAX];
    for (i, slot) in out.iter_mut().enumerate() {
        let key = (i as u32).to_ne_bytes();
        if let Ok(Some(per_cpu)) = map.lookup_percpu(&key, libbpf_rs::MapFlags::ANY) {
            *slot =
                per_cpu.iter().filter_map(|v| v.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_ne_bytes)).sum();
        }
    }
    out
}
