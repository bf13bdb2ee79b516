//! `rand-guard run`: load and attach, seed the process table, start the
//! pipeline threads, and shut down cleanly on SIGINT/SIGTERM.

use std::io;
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use libbpf_rs::MapHandle;
use thiserror::Error;

use crate::bpf::loader::{self, LoadError};
use crate::catalog::counter;
use crate::config::{Config, ProcessHook};
use crate::container::{Resolver, DEFAULT_CAPACITY as CGROUP_CACHE_CAPACITY};
use crate::health::{Counters, KernelCounters, Snapshot};
use crate::metrics::{self, MetricsError};
use crate::output::{Fanout, OutputError, Reopen};
use crate::pipeline::normalize::{Normalizer, Selection};
use crate::pipeline::output::Output;
use crate::pipeline::{self, detect, poller, RateLimit, StageError};
use crate::process::{procfs, users, ExeHasher, ExecIds, ProcessTable, Users};
use crate::record::time::BootClock;
use crate::record::SharedStr;
use crate::reload;
use crate::rules::{Engine, RuleSet};
use crate::signals::{Signal, Signals};
use crate::ui::{self, Ui, UiError};

#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot block signals: {0}")]
    Signals(io::Error),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Ui(#[from] UiError),
    #[error("cannot use the ring buffer map: {0}")]
    Map(libbpf_rs::Error),
    #[error("{stage}: {err}")]
    Stage { stage: &'static str, err: StageError },
    #[error(transparent)]
    Privileges(#[from] crate::privileges::PrivilegeError),
    #[error("cannot start the rg-exe-hash thread: {0}")]
    HashThread(io::Error),
    #[error("the {0} thread panicked")]
    Panicked(&'static str),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Load(e) => e.exit_code(),
            RunError::Output(_) | RunError::Metrics(_) | RunError::Ui(_) => 2,
            _ => 1,
        }
    }
}

pub fn run(cfg: &Config, rules: RuleSet, source: reload::Source) -> Result<(), RunError> {
    let started = Instant::now();
    let signals = Signals::block().map_err(RunError::Signals)?;
    // Outputs, the metrics and dashboard sockets first: a bad path or a
    // busy port is reported before anything is loaded into the kernel.
    let reopen = Reopen::default();
    let mut outputs = Fanout::open(&cfg.outputs, &cfg.agent.id, &reopen, &source.policy)?;
    let metrics_listener = cfg.metrics.map(metrics::bind).transpose()?;
    let dashboard = Ui::bind(&cfg.ui, &cfg.agent.id)?;
    if let Some(d) = &dashboard {
        outputs.add("ui", "ui", ui::QUEUE_RECORDS, d.sink());
    }

    let mut storage = MaybeUninit::uninit();
    let loaded = loader::load(cfg, &mut storage)?;
    for w in &loaded.warnings {
        crate::log_warn!("{w}");
    }
    let ring = MapHandle::try_from(&loaded.skel.maps.events).map_err(RunError::Map)?;
    let counters_map = MapHandle::try_from(&loaded.skel.maps.counters).map_err(RunError::Map)?;
    let (mut ctl, stage_ctl) = reload::Control::new(source, cfg, kernel_filter_maps(&loaded.skel));
    // The object outlives its links: they are detached before it is closed.
    let _skel = loaded.skel;
    let links = loaded.links;

    // Seed after attaching: a process born since is seen by its fork event.
    let mut table = ProcessTable::with_max_bytes(
        cfg.performance.max_process_cache_entries,
        cfg.performance.max_process_cache_bytes,
    );
    table.set_exec_ids(ExecIds::for_host(&cfg.agent.id));
    let seeded = procfs::seed(&mut table, Path::new("/proc"), std::process::id());
    crate::privileges::drop_unneeded().map_err(RunError::Privileges)?;
    // Threads started from here on inherit the reduced capability sets.
    let stop = Arc::new(AtomicBool::new(false));
    let fanout = outputs.start(stop.clone())?;
    let output_stats = fanout.stats();
    let clock = BootClock::measure();
    let host: SharedStr = Arc::from(cfg.agent.id.as_str());
    let select = Selection {
        execve: cfg.process.hooks.contains(&ProcessHook::Execve),
        execveat: cfg.process.hooks.contains(&ProcessHook::Execveat),
        paths: cfg.file.filter.clone(),
    };
    // after attach: a cgroup made during the scan is in it or in a notice
    let context = Resolver::from_host(Path::new("/proc"), CGROUP_CACHE_CAPACITY);
    let mut normalizer = Normalizer::new(table, clock, host.clone(), select)
        .with_context(context)
        .with_users(Users::load(Path::new(users::PASSWD)));
    if cfg.process.hash_max_bytes > 0 {
        let hasher = ExeHasher::start(cfg.process.hash_max_bytes, Path::new("/proc")).map_err(RunError::HashThread)?;
        normalizer = normalizer.with_exe_hasher(hasher);
    }
    let engine = Engine::new(rules);
    let counters = Counters::default();
    let dwf = cfg.performance.drop_when_full;
    // Batches of up to 256 records; the capacity bounds records in flight.
    let cap = (cfg.performance.channel_capacity / 256).max(4);
    let (raw_tx, raw_rx) = bounded(cap);
    let (rec_tx, rec_rx) = bounded(cap);
    let (det_tx, det_rx) = bounded(cap);
    let kernel = || {
        let c = loader::read_counters(&counters_map);
        KernelCounters {
            ringbuf_drops: c[counter::RINGBUF_DROPS],
            stash_drops: c[counter::STASH_DROPS],
            filtered: c[counter::KERNEL_FILTERED],
            response_kills: c[counter::RESPONSE_KILLS],
            response_spared: c[counter::RESPONSE_SPARED],
        }
    };
    let snapshot = || Snapshot::take(&counters, started, kernel(), &output_stats);
    if let Some(d) = &dashboard {
        crate::log_info!("ui: {}", d.url());
    }
    crate::log_debug!("attached: {}", loaded.attached.join(", "));
    crate::log_debug!("outputs: {}", cfg.outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", "));
    crate::log_info!(
        "ready: {} programs attached, {} processes seeded, network {}",
        loaded.attached.len(),
        seeded,
        if cfg.network.enabled { "on" } else { "off" }
    );

    thread::scope(|s| {
        let spawn = |name: &'static str| thread::Builder::new().name(name.into());
        let (ring, counters, stop) = (&ring, &counters, &*stop);
        let (kernel, snapshot) = (&kernel, &snapshot);
        if let Some(listener) = &metrics_listener {
            if let Err(e) = spawn("rg-metrics").spawn_scoped(s, move || metrics::serve(listener, stop, snapshot)) {
                crate::log_warn!("metrics endpoint not started: {e}");
            }
        }
        if let Some(d) = &dashboard {
            if let Err(e) = d.serve(s, stop, snapshot) {
                crate::log_warn!("ui not started: {e}");
            }
        }
        let threads = [
            (
                "poller",
                spawn("rg-poller")
                    .spawn_scoped(s, move || poller::run(ring, raw_tx, counters, stop, dwf, || links.detach())),
            ),
            (
                "normalize",
                spawn("rg-normalize").spawn_scoped(s, move || {
                    pipeline::run_normalize(
                        raw_rx,
                        rec_tx,
                        normalizer,
                        RateLimit::new(cfg.performance.max_events_per_second),
                        counters,
                        dwf,
                        stage_ctl.paths,
                    )
                }),
            ),
            (
                "detect",
                spawn("rg-detect")
                    .spawn_scoped(s, move || detect::run(rec_rx, det_tx, engine, counters, dwf, stage_ctl.engine)),
            ),
            (
                "output",
                spawn("rg-output").spawn_scoped(s, move || {
                    Output {
                        fanout,
                        host: &host,
                        clock,
                        counters,
                        kernel,
                        started,
                        health_interval: cfg.output.health_interval,
                        stop,
                    }
                    .run(det_rx)
                }),
            ),
        ];
        let mut handles = Vec::new();
        for (stage, spawned) in threads {
            match spawned {
                Ok(h) => handles.push((stage, h)),
                Err(_) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(RunError::Panicked(stage));
                }
            }
        }
        while !stop.load(Ordering::Relaxed) && !handles.iter().any(|(_, h)| h.is_finished()) {
            match signals.wait(Duration::from_millis(200)) {
                Some(Signal::Stop) => stop.store(true, Ordering::Relaxed),
                Some(Signal::Reload) => {
                    // output files are reopened (logrotate), config and rules reloaded
                    reopen.request();
                    reload::request(&mut ctl);
                }
                None => {}
            }
        }
        stop.store(true, Ordering::Relaxed);
        let mut result = Ok(());
        for (stage, h) in handles {
            let r = match h.join() {
                Ok(Ok(())) => Ok(()),
                Ok(Err(err)) => Err(RunError::Stage { stage, err }),
                Err(_) => Err(RunError::Panicked(stage)),
            };
            if result.is_ok() {
                result = r;
            }
        }
        result
    })
}

fn kernel_filter_maps(skel: &crate::bpf::skel::SensorSkel) -> Option<reload::KernelFilterMaps> {
    Some(reload::KernelFilterMaps {
        rules: MapHandle::try_from(&skel.maps.path_rules).ok()?,
        meta: MapHandle::try_from(&skel.maps.filter_meta).ok()?,
    })
}
