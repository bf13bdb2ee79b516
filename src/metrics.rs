//! Owns the optional Prometheus endpoint (`[metrics].listen`): a tiny HTTP
//! server on its own thread behind the shared `httpd` gate (one deadline
//! per request head, a bounded number held, a cap per address), so no
//! slow client can hold up a scrape; `GET /metrics` returns the health
//! record's counters and each output's sent/failed/dropped/queued in the
//! text exposition format (version 0.0.4); anything else is a 404.

use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::AtomicBool;

use thiserror::Error;

use crate::health::Snapshot;
use crate::httpd::{self, Gate, Refusal, Reply};

#[derive(Debug, Error)]
#[error("cannot listen for metrics on {addr}: {err}")]
pub struct MetricsError {
    pub addr: SocketAddr,
    pub err: io::Error,
}

/// Binds the endpoint's socket (at start, so a busy port is reported then).
pub fn bind(addr: SocketAddr) -> Result<TcpListener, MetricsError> {
    let l = TcpListener::bind(addr).map_err(|err| MetricsError { addr, err })?;
    l.set_nonblocking(true).map_err(|err| MetricsError { addr, err })?;
    Ok(l)
}

/// Answers requests until `stop` is set; `snapshot` is taken per scrape.
/// One thread: heads are read and answers written without blocking.
pub fn serve(listener: &TcpListener, stop: &AtomicBool, snapshot: &dyn Fn() -> Snapshot) {
    let mut gate = Gate::new(listener, httpd::Limits::default(), refusal);
    gate.run(stop, |conn, head| Reply::Send(conn, respond(&head, snapshot)));
}

const PLAIN: &str = "text/plain; charset=utf-8";

/// The whole answer to one request head.
fn respond(head: &[u8], snapshot: &dyn Fn() -> Snapshot) -> Vec<u8> {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    if method == b"GET" && path == b"/metrics" {
        answer(200, "text/plain; version=0.0.4; charset=utf-8", &render(&snapshot()))
    } else {
        answer(404, PLAIN, "not found: try GET /metrics\n")
    }
}

fn refusal(r: Refusal) -> Vec<u8> {
    answer(r.status(), PLAIN, r.message())
}

fn answer(status: u16, ctype: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        httpd::reason(status),
        body.len()
    )
    .into_bytes()
}

/// Prometheus label value escaping (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The text exposition of one snapshot.
pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(out, "# HELP rand_guard_{name} {help}\n# TYPE rand_guard_{name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "rand_guard_{name}{labels} {v}");
        }
    };
    let one = |v: u64| [(String::new(), v)];
    let c = "counter";
    let g = "gauge";
    metric("uptime_seconds", g, "Seconds since the sensor started.", &one(s.uptime_secs));
    metric("events_received_total", c, "Raw records read from the ring buffer.", &one(s.events_received));
    metric("events_emitted_total", c, "Telemetry records handed to the outputs.", &one(s.events_emitted));
    metric("alerts_emitted_total", c, "Alert records handed to the outputs.", &one(s.alerts_emitted));
    metric("filtered_total", c, "Records the config says not to report.", &one(s.filtered));
    metric("invalid_events_total", c, "Raw records that failed to decode.", &one(s.invalid_events));
    metric("in_flight", g, "Records read but not yet emitted, filtered, dropped or invalid.", &one(s.in_flight()));
    metric(
        "kernel_drops_total",
        c,
        "Ring buffer reservations that failed in the kernel.",
        &one(s.kernel.ringbuf_drops),
    );
    metric(
        "kernel_stash_drops_total",
        c,
        "execveat calls whose arguments could not be saved for the exec record (task storage allocation failed).",
        &one(s.kernel.stash_drops),
    );
    metric("kernel_filtered_total", c, "Records filtered in the kernel.", &one(s.kernel.filtered));
    metric("userspace_drops_total", c, "Records dropped in userspace, all reasons.", &one(s.userspace_drops));
    let drops: Vec<_> = s.drops.iter().map(|(r, n)| (format!("{{reason=\"{r}\"}}"), *n)).collect();
    metric("drops_total", c, "Records dropped in userspace, by reason.", &drops);
    metric("process_table_size", g, "Processes in the process table.", &one(s.process_table_size));
    metric(
        "process_table_bytes",
        g,
        "Bytes the process table is charged (entries and their text).",
        &one(s.process_table_bytes),
    );
    metric("process_table_evictions_total", c, "Process table evictions.", &one(s.process_table_evictions));
    metric("cgroup_cache_size", g, "Cgroups in the cgroup cache.", &one(s.cgroup_cache_size));
    metric("cgroup_cache_evictions_total", c, "Cgroup cache evictions.", &one(s.cgroup_cache_evictions));
    metric("pending_sequences", g, "Partially matched sequence rules held.", &one(s.pending_sequences));
    metric("sequences_expired_total", c, "Partial sequences whose window ran out.", &one(s.sequences_expired));
    metric("sequences_evicted_total", c, "Partial sequences evicted at the bound.", &one(s.sequences_evicted));
    let r = &s.response;
    let actions =
        [("killed", r.kills), ("would_kill", r.would_kills), ("kill_failed", r.failures), ("protected", r.protected)];
    let actions: Vec<_> = actions.iter().map(|(a, n)| (format!("{{action_taken=\"{a}\"}}"), *n)).collect();
    metric("response_alerts_total", c, "Alerts by what the sensor did (action_taken).", &actions);
    metric(
        "kernel_response_kills_total",
        c,
        "SIGKILLs the kernel sent for the [response] deny list.",
        &one(s.kernel.response_kills),
    );
    metric(
        "kernel_response_spared_total",
        c,
        "Deny-list hits the kernel did not kill (dry_run, protected, signal failed).",
        &one(s.kernel.response_spared),
    );
    metric("rss_bytes", g, "Resident set size of the sensor.", &one(s.rss_kb * 1024));
    let per = |f: fn(&crate::output::OutputSnapshot) -> u64| -> Vec<(String, u64)> {
        s.outputs
            .iter()
            .map(|o| (format!("{{output=\"{}\",type=\"{}\"}}", label(&o.name), o.type_name), f(o)))
            .collect()
    };
    metric("output_sent_total", c, "Records an output delivered.", &per(|o| o.sent));
    metric("output_failed_total", c, "Records an output gave up after errors.", &per(|o| o.failed));
    metric(
        "output_dropped_total",
        c,
        "Records an output dropped: its queue was full, or its spool.",
        &per(|o| o.dropped),
    );
    metric("output_queued", g, "Records waiting in an output's queue.", &per(|o| o.queued));
    metric("output_spooled", g, "Records waiting in an output's disk spool.", &per(|o| o.spooled));
    metric("output_spool_bytes", g, "Bytes of an output's disk spool.", &per(|o| o.spool_bytes));
    metric("output_replayed_total", c, "Records an output sent from its spool.", &per(|o| o.replayed));
    metric(
        "output_spool_dropped_total",
        c,
        "Oldest spooled records dropped because the spool was full.",
        &per(|o| o.spool_dropped),
    );
    metric("output_recovered_total", c, "Records found in the spool at start.", &per(|o| o.recovered));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::{Counters, KernelCounters};
    use crate::output::OutputStats;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;

    #[test]
    fn endpoint_serves_metrics_and_404s_the_rest() {
        let c = Counters::default();
        Counters::add(&c.events_received, 5);
        let out = Arc::new(OutputStats::new("se\"cond", "http"));
        out.dropped.fetch_add(3, Ordering::Relaxed);
        let outs = [out];
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| {
                serve(&listener, &stop, &|| Snapshot::take(&c, Instant::now(), KernelCounters::default(), &outs))
            });
            let get = |req: &str| {
                let mut t = TcpStream::connect(addr).unwrap();
                t.write_all(req.as_bytes()).unwrap();
                let mut r = String::new();
                t.read_to_string(&mut r).unwrap();
                r
            };
            let ok = get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
            assert!(ok.contains("Content-Type: text/plain; version=0.0.4"));
            assert!(ok.contains("\nrand_guard_events_received_total 5\n"), "{ok}");
            assert!(ok.contains("\nrand_guard_output_dropped_total{output=\"se\\\"cond\",type=\"http\"} 3\n"), "{ok}");
            assert!(ok.contains("rand_guard_drops_total{reason=\"channel_full\"} 0"));
            assert!(get("GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
            assert!(get("POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
            stop.store(true, Ordering::Relaxed);
        });
    }
}
