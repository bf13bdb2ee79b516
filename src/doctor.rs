//! `rand-guard doctor`: what this host offers (kernel, BTF, tracefs,
//! privileges, memlock) and what the sensor will use (each hook, actually
//! loaded into the kernel and dropped again, and the outputs), ending with
//! a verdict. Only reads the host, except that, like `run`, it mounts
//! tracefs when it is missing and it may.

use std::ffi::CStr;
use std::fmt::Write as _;
use std::mem::MaybeUninit;
use std::path::Path;

use libbpf_rs::skel::OpenSkel;

use crate::bpf::loader;
use crate::config::{Config, SinkSpec, SyslogTransport};
use crate::host;

/// The oldest kernel the BPF programs load on (`bpf_loop`).
const MIN_KERNEL: (u32, u32) = (5, 17);

/// The report and whether the sensor could run; `problems` say why not.
pub struct Report {
    pub text: String,
    pub problems: Vec<String>,
}

fn uname_release() -> String {
    let mut u = MaybeUninit::<libc::utsname>::zeroed();
    // SAFETY: uname fills the struct; on failure it stays zeroed.
    unsafe { libc::uname(u.as_mut_ptr()) };
    // SAFETY: zeroed or filled by uname, NUL-terminated either way.
    let u = unsafe { u.assume_init() };
    // SAFETY: release is a NUL-terminated array inside the struct.
    unsafe { CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy().into_owned()
}

fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

const CAPS: &[(&str, u32, &str)] = &[
    ("CAP_BPF", host::CAP_BPF, "load BPF programs and maps"),
    ("CAP_PERFMON", host::CAP_PERFMON, "attach to tracepoints"),
    ("CAP_SYS_PTRACE", host::CAP_SYS_PTRACE, "read other processes' /proc/PID/exe"),
    ("CAP_DAC_READ_SEARCH", host::CAP_DAC_READ_SEARCH, "read /proc of every user"),
    ("CAP_SYS_ADMIN", host::CAP_SYS_ADMIN, "mount tracefs when it is not mounted"),
    ("CAP_SYS_RESOURCE", host::CAP_SYS_RESOURCE, "raise RLIMIT_MEMLOCK on kernels before 5.11"),
];

/// Checks everything and writes the report.
pub fn check(cfg: &Config) -> Report {
    let mut t = String::new();
    let mut problems = Vec::new();
    let line = |t: &mut String, ok: Option<bool>, what: &str, detail: &str| {
        let mark = match ok {
            Some(true) => "ok  ",
            Some(false) => "FAIL",
            None => "info",
        };
        let _ = writeln!(t, "  [{mark}] {what}: {detail}");
    };

    let _ = writeln!(t, "rand-guard {}\n\nhost:", crate::VERSION_LINE);
    let release = uname_release();
    let new_enough = kernel_version(&release).is_some_and(|v| v >= MIN_KERNEL);
    line(&mut t, Some(new_enough), "kernel", &format!("{release} (needs >= {}.{})", MIN_KERNEL.0, MIN_KERNEL.1));
    if !new_enough {
        problems.push(format!("kernel {release} is older than {}.{}", MIN_KERNEL.0, MIN_KERNEL.1));
    }
    let btf = Path::new("/sys/kernel/btf/vmlinux").exists();
    line(&mut t, Some(btf), "BTF", if btf { "present (/sys/kernel/btf/vmlinux)" } else { "missing" });
    if !btf {
        problems.push("the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE programs cannot load".into());
    }

    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    let caps = host::effective_caps();
    let _ = writeln!(t, "  [info] user: euid {euid}, effective capabilities {caps:#x}");
    for (name, cap, why) in CAPS {
        let have = host::has_cap(caps, *cap);
        let _ = writeln!(
            t,
            "  [{}] {name}: {} ({why})",
            if have { "ok  " } else { "miss" },
            if have { "yes" } else { "no" }
        );
    }
    let missing = host::missing_privileges();
    if !missing.is_empty() {
        problems.push(format!("missing capabilities: {} (run as root)", missing.join(", ")));
    }

    let tracefs = host::tracefs_mounted();
    let can_mount = host::has_cap(caps, host::CAP_SYS_ADMIN)
        && std::fs::read_to_string("/proc/filesystems").is_ok_and(|f| f.contains("tracefs"));
    let detail = if tracefs {
        format!("mounted ({})", host::tracing_dir())
    } else if can_mount {
        "not mounted; the sensor mounts it at /sys/kernel/tracing".to_owned()
    } else {
        "not mounted and cannot be mounted (needs CAP_SYS_ADMIN)".to_owned()
    };
    line(&mut t, Some(tracefs || can_mount), "tracefs", &detail);

    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: a valid out-pointer.
    unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut lim) };
    let show =
        |v: libc::rlim_t| if v == libc::RLIM_INFINITY { "unlimited".to_owned() } else { format!("{} KiB", v / 1024) };
    let _ = writeln!(
        t,
        "  [info] memlock: {} (max {}); kernels >= 5.11 charge BPF memory to the memory cgroup instead",
        show(lim.rlim_cur),
        show(lim.rlim_max)
    );

    let _ = writeln!(t, "\nconfig: {}", cfg.path.display());
    for w in &cfg.warnings {
        let _ = writeln!(t, "  [warn] {w}");
    }
    for o in &cfg.outputs {
        let target = match &o.sink {
            SinkSpec::Stdout => "stdout".to_owned(),
            SinkSpec::File(f) => f.path.display().to_string(),
            SinkSpec::Syslog(s) => match &s.transport {
                SyslogTransport::Unix(p) => format!("syslog unix {}", p.display()),
                SyslogTransport::Udp(a) => format!("syslog udp {a}"),
                SyslogTransport::Tcp(a) => format!("syslog tcp {a}"),
            },
            SinkSpec::Http(h) => format!("http://{}{}", h.authority, h.target),
        };
        let _ = writeln!(t, "  [info] output {} ({}): {target}", o.name, o.sink.type_name());
        if let Some(sp) = &o.spool {
            let what = format!("output {} spool", o.name);
            match crate::output::spool::check_dir(&sp.dir) {
                Ok(()) => {
                    line(&mut t, Some(true), &what, &format!("{} (up to {} bytes)", sp.dir.display(), sp.max_bytes))
                }
                Err(e) => {
                    line(&mut t, Some(false), &what, &e.to_string());
                    problems.push(format!("output {}: {e}", o.name));
                }
            }
        }
    }
    match cfg.metrics {
        Some(a) => {
            let _ = writeln!(t, "  [info] metrics: http://{a}/metrics");
        }
        None => {
            let _ = writeln!(t, "  [info] metrics: off");
        }
    }

    let _ = writeln!(t, "\nhooks:");
    hooks(cfg, &mut t, &mut problems, missing.is_empty());

    if problems.is_empty() {
        let _ = writeln!(t, "\nverdict: the sensor can run on this host with this configuration");
    } else {
        let _ = writeln!(t, "\nverdict: the sensor cannot run:");
        for p in &problems {
            let _ = writeln!(t, "  - {p}");
        }
    }
    Report { text: t, problems }
}

/// Each program: wanted by the config, tracepoint present, and — with
/// privileges — loaded into the kernel for real and dropped.
fn hooks(cfg: &Config, t: &mut String, problems: &mut Vec<String>, privileged: bool) {
    let mut storage = MaybeUninit::uninit();
    let names = match loader::program_names(&mut storage) {
        Ok(n) => n,
        Err(e) => {
            problems.push(e.to_string());
            return;
        }
    };
    // One load of everything; only when it fails, one program at a time to
    // say which.
    let all_loaded = privileged.then(|| try_load(cfg, None));
    if let Some(Err(e)) = &all_loaded {
        let _ = writeln!(t, "  [info] loading all programs at once failed ({e}); trying one by one");
    }
    let mut wanted = 0;
    for name in &names {
        if !loader::wanted(cfg, name) {
            let _ = writeln!(t, "  [off ] {name}: not enabled by the config");
            continue;
        }
        wanted += 1;
        let tp = loader::tracepoint_of(name);
        let hook = tp.as_deref().map_or_else(|| "BTF tracepoint".to_owned(), |tp| format!("syscalls/{tp}"));
        if let Some(tp) = &tp {
            if host::tracefs_mounted() && !host::tracepoint_exists("syscalls", tp) {
                let _ =
                    writeln!(t, "  [skip] {name} ({hook}): this kernel has no such tracepoint; the hook is skipped");
                continue;
            }
        }
        let result = match &all_loaded {
            None => {
                let _ = writeln!(t, "  [????] {name} ({hook}): not loaded (no privileges to try)");
                continue;
            }
            Some(Ok(())) => Ok(()),
            Some(Err(_)) => try_load(cfg, Some(name)),
        };
        match result {
            Ok(()) => {
                let _ = writeln!(t, "  [ok  ] {name} ({hook}): loads");
            }
            Err(e) => {
                let _ = writeln!(t, "  [FAIL] {name} ({hook}): {e}");
                problems.push(format!("program {name} does not load: {e}"));
            }
        }
    }
    if wanted == 0 {
        problems.push("the configuration enables no hook at all".into());
    }
}

/// Opens, configures and loads (the verifier runs), then drops it all.
fn try_load(cfg: &Config, only: Option<&str>) -> Result<(), String> {
    host::raise_memlock();
    let mut storage = MaybeUninit::uninit();
    let (open, _, _, _) = loader::open_configured(cfg, &mut storage, only).map_err(|e| e.to_string())?;
    open.load().map(drop).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions() {
        assert_eq!(kernel_version("6.18.0-rc1+"), Some((6, 18)));
        assert_eq!(kernel_version("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(kernel_version("x"), None);
        assert!(kernel_version("5.17.0").is_some_and(|v| v >= MIN_KERNEL));
        assert!(kernel_version("5.16.9").is_some_and(|v| v < MIN_KERNEL));
    }
}
