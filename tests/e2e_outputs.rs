//! Privileged end-to-end tests of the outputs: the real sensor delivering to
//! real receivers on loopback (an HTTP server in this test, a real rsyslogd,
//! files, a FIFO whose reader never reads), checking that what arrives is
//! exactly the records stdout got, and that the final health record
//! accounts for every record each output was handed; and that a file
//! output writes nothing through what another user plants at its path.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::unix::fs::{chown, symlink, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::http::*;
use common::*;
use serde_json::Value;

/// Runs a marker command the sensor reports, then stops the sensor.
fn run_and_stop(sensor: Sensor, marker: &str) -> (Vec<Value>, Value) {
    Command::new("/bin/true").arg(marker).status().expect("true");
    sensor.wait_for("marker exec", |v| is(v, "process_exec") && v["args"][1] == marker);
    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    let last = records.last().expect("records").clone();
    assert!(is(&last, "health") && last["final"] == true, "{last}");
    (records, last)
}

#[test]
fn http_outputs_receive_exactly_the_records_in_ndjson_bulk_and_hec_shapes() {
    require_root();
    let (port, seen) = http_server(|_| 200);
    let spools = TempDir::new("spools");
    let sp = spools.str();
    let cfg = format!(
        r#"{E2E_CONFIG}
[[outputs]]
type = "stdout"

[[outputs]]
name = "nd"
type = "http"
url = "http://127.0.0.1:{port}/nd"
batch_max_wait_ms = 100
spool_dir = "{sp}/nd"

[[outputs]]
name = "es"
type = "http"
url = "http://127.0.0.1:{port}/_bulk"
format = "elasticsearch"
index = "edr"
gzip = false
batch_max_wait_ms = 100
spool_dir = "{sp}/es"

[[outputs]]
name = "hec"
type = "http"
url = "http://127.0.0.1:{port}/services/collector/event"
format = "splunk_hec"
authorization = "Splunk 11111111-2222"
batch_max_wait_ms = 100
spool_dir = "{sp}/hec"
"#
    );
    let sensor = Sensor::start(&cfg);
    let (records, last) = run_and_stop(sensor, "http-shapes-marker");
    let reqs = seen.lock().expect("lock").clone();
    let of = |path: &str| -> Vec<Request> { reqs.iter().filter(|r| r.path.starts_with(path)).cloned().collect() };

    let nd = of("/nd");
    assert!(!nd.is_empty());
    assert!(nd.iter().all(|r| r.header("content-encoding") == Some("gzip")));
    assert!(nd.iter().all(|r| r.header("content-type") == Some("application/x-ndjson")));
    let got: Vec<Value> = nd.iter().flat_map(|r| r.lines()).collect();
    assert_eq!(got, records, "the NDJSON output got exactly what stdout got");

    let es: Vec<Value> = of("/_bulk").iter().flat_map(|r| r.lines()).collect();
    assert_eq!(es.len(), 2 * records.len());
    for (pair, rec) in es.chunks(2).zip(&records) {
        assert_eq!(pair[0], serde_json::json!({"create": {"_index": "edr"}}));
        assert_eq!(&pair[1], rec);
    }

    let hec_reqs = of("/services/collector/event");
    assert!(hec_reqs.iter().all(|r| r.header("authorization") == Some("Splunk 11111111-2222")));
    let hec: Vec<Value> = hec_reqs.iter().flat_map(|r| r.lines()).collect();
    assert_eq!(hec.len(), records.len());
    for (h, rec) in hec.iter().zip(&records) {
        assert_eq!(h["host"], "e2e-host");
        assert_eq!(h["sourcetype"], "rand-guard");
        assert_eq!(&h["event"], rec);
    }
    for name in ["nd", "es", "hec"] {
        let o = output(&last, name);
        assert_eq!(n(o, "sent"), records.len() as i64 - 1, "{name}: {last}");
        assert_eq!((n(o, "failed"), n(o, "dropped"), n(o, "queued")), (0, 0, 0), "{name}: {last}");
    }
}

#[test]
fn http_output_retries_after_a_500() {
    require_root();
    let (port, seen) = http_server(|n| if n == 0 { 500 } else { 200 });
    let spool = TempDir::new("spool");
    let cfg = format!(
        "{E2E_CONFIG}\n[[outputs]]\ntype = \"stdout\"\n[[outputs]]\nname = \"web\"\ntype = \"http\"\n\
         url = \"http://127.0.0.1:{port}/in\"\nbatch_max_wait_ms = 100\nretry_backoff_ms = 50\ngzip = false\n\
         spool_dir = \"{}\"\n",
        spool.str()
    );
    let (records, last) = run_and_stop(Sensor::start(&cfg), "http-retry-marker");
    let o = output(&last, "web");
    assert!(n(o, "replayed") >= 1, "the refused batch went through the spool: {last}");
    let reqs = seen.lock().expect("lock").clone();
    assert!(reqs.len() >= 2);
    let (refused, again) = (reqs[0].lines(), reqs[1].lines());
    assert!(again.starts_with(&refused), "the records refused with 500 are sent again, first");
    let mut got: Vec<Value> = reqs.iter().skip(1).flat_map(|r| r.lines()).collect();
    got.dedup();
    assert_eq!(got, records);
    let o = output(&last, "web");
    assert_eq!((n(o, "sent"), n(o, "failed")), (records.len() as i64 - 1, 0), "{last}");
}

#[test]
fn http_output_without_a_spool_that_is_down_counts_every_record_given_up() {
    require_root();
    let port = free_port(); // nothing listens there
    let cfg = format!(
        "{E2E_CONFIG}\n[[outputs]]\ntype = \"stdout\"\n[[outputs]]\nname = \"down\"\ntype = \"http\"\n\
         url = \"http://127.0.0.1:{port}/in\"\nbatch_max_wait_ms = 50\nmax_retries = 1\nretry_backoff_ms = 20\n\
         spool = false\n"
    );
    let (records, last) = run_and_stop(Sensor::start(&cfg), "http-down-marker");
    let o = output(&last, "down");
    assert_eq!(n(o, "sent"), 0, "{last}");
    assert_eq!(n(o, "queued"), 0, "everything was tried and given up: {last}");
    assert!(n(o, "failed") > 0, "{last}");
    assert_eq!(n(o, "failed") + n(o, "dropped"), records.len() as i64 - 1, "no record lost silently: {last}");
    assert_eq!(n(output(&last, "stdout"), "sent"), records.len() as i64 - 1);
}

/// A real rsyslogd on loopback, TCP and UDP, each writing the MSG part of
/// what it receives to its own file.
struct Rsyslog {
    child: Child,
    dir: TempDir,
    tcp: u16,
    udp: u16,
}

impl Rsyslog {
    fn start() -> Rsyslog {
        let dir = TempDir::new("rsyslog");
        let tcp = free_port();
        let udp = UdpSocket::bind("127.0.0.1:0").expect("udp").local_addr().expect("addr").port();
        let d = dir.str();
        let conf = format!(
            r#"global(workDirectory="{d}" maxMessageSize="256k")
module(load="imtcp")
module(load="imudp")
template(name="msgonly" type="string" string="%msg%\n")
ruleset(name="tcp") {{ action(type="omfile" file="{d}/tcp.log" template="msgonly") }}
ruleset(name="udp") {{ action(type="omfile" file="{d}/udp.log" template="msgonly") }}
input(type="imtcp" address="127.0.0.1" port="{tcp}" ruleset="tcp")
input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="udp")
"#
        );
        fs::write(dir.path("rsyslog.conf"), conf).expect("conf");
        let child = Command::new("rsyslogd")
            .args(["-n", "-f"])
            .arg(dir.path("rsyslog.conf"))
            .arg("-i")
            .arg(dir.path("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rsyslogd (Debian package rsyslog; `make deps` installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", tcp)).is_err() {
            assert!(Instant::now() < deadline, "rsyslogd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        Rsyslog { child, dir, tcp, udp }
    }

    /// The records in `file`, once it holds `want` lines (rsyslog writes asynchronously).
    fn received(&self, file: &str, want: usize) -> Vec<Value> {
        let path = self.dir.path(file);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = fs::read_to_string(&path).unwrap_or_default();
            if text.lines().count() >= want || Instant::now() > deadline {
                return text
                    .lines()
                    .map(|l| serde_json::from_str(l.trim_start()).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn syslog_outputs_deliver_intact_records_to_rsyslog_over_tcp_and_udp() {
    require_root();
    let rs = Rsyslog::start();
    let spools = TempDir::new("spools");
    let sp = spools.str();
    let cfg = format!(
        "{E2E_CONFIG}\n[[outputs]]\ntype = \"stdout\"\n\
         [[outputs]]\nname = \"tcp\"\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{}\"\n\
         spool_dir = \"{sp}/tcp\"\n\
         [[outputs]]\nname = \"udp\"\ntype = \"syslog\"\ntransport = \"udp\"\naddress = \"127.0.0.1:{}\"\nfacility = \"local4\"\n\
         spool_dir = \"{sp}/udp\"\n",
        rs.tcp, rs.udp
    );
    let sensor = Sensor::start(&cfg);
    // A long argument with non-ASCII text: arrives whole and unmangled.
    let long = format!("syslog-long-é-{}", "x".repeat(3000));
    Command::new("/bin/true").arg(&long).status().expect("true");
    sensor.wait_for("long exec", |v| is(v, "process_exec") && v["args"][1] == long.as_str());
    let (records, last) = run_and_stop(sensor, "syslog-marker");
    for file in ["tcp.log", "udp.log"] {
        let got = rs.received(file, records.len());
        assert_eq!(got, records, "{file}: rsyslog got exactly the records stdout got");
    }
    for name in ["tcp", "udp"] {
        let o = output(&last, name);
        assert_eq!(n(o, "sent"), records.len() as i64 - 1, "{name}: {last}");
        assert_eq!(n(o, "failed") + n(o, "dropped") + n(o, "queued"), 0, "{name}: {last}");
    }
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

#[test]
fn file_output_rotates_by_size_and_reopens_on_sighup() {
    require_root();
    let dir = TempDir::new("fileout");
    let out = dir.path("out.ndjson");
    let cfg = format!(
        "{E2E_CONFIG}\n[[outputs]]\ntype = \"stdout\"\n[[outputs]]\nname = \"f\"\ntype = \"file\"\n\
         path = \"{}\"\nmax_bytes = 4096\nkeep = 2\n",
        out.display()
    );
    let sensor = Sensor::start(&cfg);
    let work = TempDir::new("fileout-work");
    for i in 0..100 {
        fs::write(work.path(&format!("f{i}")), b"x").expect("write");
    }
    let last = format!("{}/f99", work.str());
    sensor.wait_for("last open", |v| is(v, "file_open") && v["path"] == last.as_str());
    std::thread::sleep(Duration::from_millis(500));
    let mut names: Vec<String> = fs::read_dir(&dir.0)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["out.ndjson", "out.ndjson.1", "out.ndjson.2"], "rotated, two old files kept");
    for name in &names {
        let p = dir.path(name);
        assert_eq!(mode(&p), 0o600, "{name}");
        let text = fs::read_to_string(&p).expect("read");
        // Only a file holding one line longer than max_bytes alone (an exec
        // with a long command line from another process) may exceed it.
        assert!(text.len() <= 4096 || text.lines().count() == 1, "{name} over max_bytes: {} bytes", text.len());
        for l in text.lines() {
            serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{name}: bad line {l:?}: {e}"));
        }
    }

    // logrotate's way: move the file, then SIGHUP.
    fs::rename(&out, dir.path("moved")).expect("rename");
    // SAFETY: plain kill(2) on the sensor we started.
    unsafe { libc::kill(sensor.pid() as i32, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !out.exists() {
        assert!(Instant::now() < deadline, "no new file after SIGHUP; stderr:\n{}", sensor.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(mode(&out), 0o600);
    let (_, health) = run_and_stop(sensor, "after-sighup-marker");
    // The new file may have been rotated again since: look in all of them.
    let text: String = ["out.ndjson", "out.ndjson.1", "out.ndjson.2"]
        .iter()
        .map(|f| fs::read_to_string(dir.path(f)).unwrap_or_default())
        .collect();
    assert!(text.contains("after-sighup-marker"), "records go to the new file");
    assert!(!fs::read_to_string(dir.path("moved")).expect("moved").contains("after-sighup-marker"));
    let o = output(&health, "f");
    assert_eq!(n(o, "failed") + n(o, "dropped") + n(o, "queued"), 0, "{health}");
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().expect("utf-8")).expect("cstr");
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", p.display());
}

/// Opens a FIFO for reading without waiting for a writer; the reader may
/// then never read.
fn fifo_reader(p: &Path) -> fs::File {
    fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(p).expect("open the FIFO for reading")
}

#[test]
fn an_output_blocked_forever_that_may_drop_does_not_stall_stdout() {
    require_root();
    let dir = TempDir::new("fifo");
    let fifo = dir.path("fifo");
    mkfifo(&fifo);
    // A reader that never reads, and a pipe already full: the output's
    // first write blocks forever. (With no reader at all, opening the FIFO
    // fails at once and its records count as failed.)
    let _reader = fifo_reader(&fifo);
    let mut filler = fs::OpenOptions::new().write(true).custom_flags(libc::O_NONBLOCK).open(&fifo).expect("writer");
    while filler.write(&[b'\n'; 4096]).is_ok() {}
    drop(filler);
    let cfg = format!(
        "{E2E_CONFIG}\n[[outputs]]\ntype = \"stdout\"\n[[outputs]]\nname = \"stuck\"\ntype = \"file\"\n\
         path = \"{}\"\nqueue_size = 50\nwhen_full = \"drop\"\n",
        fifo.display()
    );
    let sensor = Sensor::start(&cfg);
    let work = TempDir::new("fifo-work");
    for i in 0..300 {
        fs::write(work.path(&format!("f{i}")), b"x").expect("write");
    }
    let last = format!("{}/f299", work.str());
    sensor.wait_for("the last open, on stdout", |v| is(v, "file_open") && v["path"] == last.as_str());
    let (records, health) = run_and_stop(sensor, "fifo-marker");
    let opens = records.iter().filter(|v| is(v, "file_open") && s(v, "path").starts_with(work.str())).count();
    assert_eq!(opens, 300, "stdout got every record");
    let o = output(&health, "stuck");
    assert_eq!(n(o, "sent"), 0, "{health}");
    assert!(n(o, "dropped") > 0 && n(o, "queued") > 0, "{health}");
    assert!(n(o, "queued") <= 50, "the queue is bounded: {health}");
    assert_eq!(
        n(o, "dropped") + n(o, "queued") + n(o, "failed"),
        n(output(&health, "stdout"), "sent"),
        "every record handed to the stuck output is dropped or still queued: {health}"
    );
}

#[test]
fn metrics_endpoint_serves_the_health_counters() {
    require_root();
    let port = free_port();
    let cfg = format!("{E2E_CONFIG}\n[metrics]\nlisten = \"127.0.0.1:{port}\"\n");
    let sensor = Sensor::start(&cfg);
    // something to count: an exec of our own, seen before we ask
    let st = std::process::Command::new("/usr/bin/true").arg("metrics-marker").status().expect("true");
    assert!(st.success());
    sensor.wait_for("the marker exec", |v| is(v, "process_exec") && v["args"][1] == "metrics-marker");
    let get = |req: &str| {
        let mut t = TcpStream::connect(("127.0.0.1", port)).expect("connect metrics");
        t.write_all(req.as_bytes()).expect("send");
        let mut r = String::new();
        t.read_to_string(&mut r).expect("read");
        r
    };
    let body = get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(body.starts_with("HTTP/1.1 200 OK"), "{body}");
    assert!(body.contains("text/plain; version=0.0.4"));
    let value = |name: &str| -> u64 {
        body.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{body}"))
    };
    assert!(value("rand_guard_events_received_total") > 0);
    assert!(value("rand_guard_output_sent_total{output=\"stdout\",type=\"stdout\"}") > 0);
    value("rand_guard_output_dropped_total{output=\"stdout\",type=\"stdout\"}");
    value("rand_guard_kernel_drops_total");
    assert!(get("GET /other HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    let (status, _, _) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(status.code(), Some(0));
}

/// What a file holds and when it was last written (not its ctime: adding
/// and removing a hard link changes that).
fn fingerprint(p: &Path) -> (Vec<u8>, u64, i64, i64) {
    let md = fs::metadata(p).expect("stat");
    (fs::read(p).expect("read"), md.len(), md.mtime(), md.mtime_nsec())
}

/// Runs the sensor on `cfg` expecting a refusal at start, before anything
/// is loaded: the exit code and stderr. A sensor that hangs on what it
/// found (a FIFO) or that accepted it (and runs on) fails the test.
fn refused_at_start(cfg: &str) -> (Option<i32>, String) {
    let dir = TempDir::new("refused-cfg");
    let path = dir.path("rand-guard.toml");
    fs::write(&path, cfg).expect("write config");
    let mut child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rand-guard");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rand-guard neither refused nor exited within 15 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("read stderr");
    (status.code(), err)
}

/// A file a local user would like root to append to (`victim`), beside a
/// file output's directory `out` (root's, 0755), and a config with stdout
/// and a file output named `name` at `out/events.ndjson`.
struct Scene {
    tmp: TempDir,
    victim: PathBuf,
    before: (Vec<u8>, u64, i64, i64),
    out: PathBuf,
    path: PathBuf,
    cfg: String,
}

impl Scene {
    fn new(name: &str) -> Scene {
        let tmp = TempDir::new(name);
        let victim = tmp.path("victim");
        fs::write(&victim, "# root runs this\n").expect("write");
        let before = fingerprint(&victim);
        let out = tmp.path("out");
        fs::create_dir(&out).expect("mkdir");
        fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).expect("chmod");
        let path = out.join("events.ndjson");
        let cfg = format!(
            "{E2E_CONFIG}\n[[outputs]]\ntype = \"stdout\"\n[[outputs]]\nname = \"{name}\"\ntype = \"file\"\n\
             path = \"{}\"\n",
            path.display()
        );
        Scene { tmp, victim, before, out, path, cfg }
    }
}

/// The attack of issue 18: a local user who can put something at a file
/// output's path (or write its directory) gets the root sensor to append
/// telemetry to a file of their choosing. Each plant is refused at start
/// with exit 2 and a message naming the output, the path and the reason,
/// and the target is left exactly as it was.
#[test]
fn a_file_output_refuses_what_others_planted_and_writes_nothing_there() {
    require_root();
    let Scene { tmp, victim, before, out, path, cfg } = Scene::new("planted");
    let not_yet = tmp.path("not-yet");
    let plants: [(&str, &dyn Fn(), &str); 5] = [
        ("symlink", &|| symlink(&victim, &path).expect("symlink"), "refused: it is a symbolic link"),
        ("dangling symlink", &|| symlink(&not_yet, &path).expect("symlink"), "refused: it is a symbolic link"),
        ("hard link", &|| fs::hard_link(&victim, &path).expect("link"), "refused: it has 2 links"),
        (
            "another user's FIFO",
            &|| {
                mkfifo(&path);
                chown(&path, Some(65534), Some(65534)).expect("chown");
            },
            "refused: it is a FIFO owned by uid 65534, not by the sensor's uid 0",
        ),
        (
            "another user's file",
            &|| {
                fs::write(&path, "").expect("write");
                chown(&path, Some(65534), Some(65534)).expect("chown");
            },
            "refused: it is a regular file owned by uid 65534",
        ),
    ];
    for (what, plant, why) in plants {
        plant();
        let (code, err) = refused_at_start(&cfg);
        assert_eq!(code, Some(2), "{what}: stderr:\n{err}");
        let named = format!("output planted: cannot open {}: {why}", path.display());
        assert!(err.contains(&named), "{what}: {named:?} missing from:\n{err}");
        assert_eq!(fingerprint(&victim), before, "{what}: the victim is untouched");
        assert!(!not_yet.exists(), "{what}: nothing was created through a dangling link");
        fs::remove_file(&path).expect("remove the plant");
    }
    // A FIFO with a reader: the open succeeds, the descriptor is judged.
    mkfifo(&path);
    chown(&path, Some(65534), Some(65534)).expect("chown");
    let reader = fifo_reader(&path);
    let (code, err) = refused_at_start(&cfg);
    assert_eq!(code, Some(2), "FIFO with a reader: {err}");
    assert!(err.contains("refused: it is a FIFO owned by uid 65534"), "{err}");
    drop(reader);
    fs::remove_file(&path).expect("rm");

    // A directory others can write, sticky or not: they could plant any of the above.
    for mode in [0o777, 0o1777, 0o757] {
        fs::set_permissions(&out, fs::Permissions::from_mode(mode)).expect("chmod");
        let (code, err) = refused_at_start(&cfg);
        assert_eq!(code, Some(2), "{mode:o}: {err}");
        let named = format!(
            "output planted: cannot open {}: {}: insecure output directory: it is writable by",
            path.display(),
            out.display()
        );
        assert!(err.contains(&named), "{mode:o}: {named:?} missing from:\n{err}");
        assert!(!path.exists(), "{mode:o}: nothing created");
    }
}

/// After start, the file is only ever reopened (SIGHUP) and rotated in the
/// directory held open since then: a symlink swapped in at the name is
/// refused (its records count as failed, once, with one logged error) and
/// the output recovers when it is gone; a directory swapped for a symlink
/// redirects nothing.
#[test]
fn a_running_file_output_is_not_redirected_by_a_swap() {
    require_root();
    let Scene { tmp, victim, before, out, path, cfg } = Scene::new("f");
    let elsewhere = tmp.path("elsewhere");
    fs::create_dir(&elsewhere).expect("mkdir");
    let sensor = Sensor::start(&cfg);
    let marker = |m: &str| {
        Command::new("/bin/true").arg(m).status().expect("true");
        sensor.wait_for(m, |v| is(v, "process_exec") && v["args"][1] == m);
    };
    let file_has = |p: &Path, m: &str| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fs::read_to_string(p).unwrap_or_default().contains(m) {
            assert!(Instant::now() < deadline, "{m} never reached {}", p.display());
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    marker("swap-first");
    file_has(&path, "swap-first");

    fs::rename(&path, tmp.path("moved")).expect("mv");
    symlink(&victim, &path).expect("symlink");
    sensor.signal(libc::SIGHUP);
    let err = sensor.wait_stderr("refused: it is a symbolic link", 1, Duration::from_secs(10));
    assert!(err.contains(&format!("output f: {}: refused", path.display())), "{err}");
    marker("swap-refused");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fingerprint(&victim), before, "nothing reached the symlink's target");

    fs::remove_file(&path).expect("rm the symlink");
    sensor.signal(libc::SIGHUP);
    sensor.wait_stderr("output f: recovered", 1, Duration::from_secs(10));

    // The directory itself: moved away, a symlink to another in its place.
    let held = tmp.path("held");
    fs::rename(&out, &held).expect("mv dir");
    symlink(&elsewhere, &out).expect("symlink dir");
    sensor.signal(libc::SIGHUP);
    marker("swap-dir");
    file_has(&held.join("events.ndjson"), "swap-dir");
    let (_, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert_eq!(fs::read_dir(&elsewhere).expect("ls").count(), 0, "nothing written where the symlink points");
    assert_eq!(stderr.matches("refused").count(), 1, "one error per streak:\n{stderr}");
    let health = final_health(&records);
    let o = output(&health, "f");
    assert!(n(o, "failed") > 0, "the refused records are counted: {health}");
    assert_eq!(n(o, "dropped") + n(o, "queued"), 0, "{health}");
    assert_eq!(n(o, "sent") + n(o, "failed"), n(output(&health, "stdout"), "sent"), "{health}");
}
