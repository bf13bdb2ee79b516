//! Owns what the dashboard answers on each path: the page and its assets,
//! the live stream, the process view and the health snapshot. Only GET
//! and HEAD; the page, the stream and the API need the token; nothing
//! here changes anything on the host.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::time::Duration;

use super::assets;
use super::auth;
use super::context::{stats_json, Context};
use super::http::{self, HeadError, Request, Response};
use super::hub::Client;
use super::index::{Entry, Identity};
use super::sse;
use crate::process::procfs;
use crate::record::json::ObjectWriter;

/// How long one write may block before the viewer counts as stuck.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// A stream's socket write timeout: the stream retries until
/// `sse::STUCK_AFTER`, looking at the stop flag in between.
const STREAM_WRITE_POLL: Duration = Duration::from_secs(1);
/// The kernel send buffer of a stream (the kernel doubles it). Small, so
/// that a viewer that stops reading makes the next write block, and so
/// time out, once about this much is waiting for it; the default would
/// grow to 4 MiB per viewer and hide a stuck one for minutes.
const STREAM_SEND_BUFFER: libc::c_int = 256 * 1024;
/// Ancestors listed at most in the process view.
const MAX_ANCESTRY: usize = 64;

/// What a request gets.
pub enum Answer {
    Full(Response),
    /// The event stream of a connected viewer.
    Stream(Client),
}

/// The answer to a head that does not parse.
pub fn bad_head(err: HeadError) -> Response {
    match err {
        HeadError::TooLarge => Response::text(431, "request head too large\n"),
        HeadError::Malformed(why) => {
            Response::new(400, "text/plain; charset=utf-8", format!("bad request: {why}\n").into_bytes())
        }
    }
}

/// Serves one connection whose request head has been read: one answer,
/// then close.
pub fn handle(mut conn: TcpStream, req: &Request, cx: &Context<'_>) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_write_timeout(Some(WRITE_TIMEOUT));
    match route(req, cx) {
        Answer::Full(resp) => {
            let _ = resp.write_to(&mut conn, req.is_head());
            linger(&mut conn);
        }
        Answer::Stream(client) => {
            set_send_buffer(&conn, STREAM_SEND_BUFFER);
            let _ = conn.set_write_timeout(Some(STREAM_WRITE_POLL));
            let head = http::status_head(200, "text/event-stream; charset=utf-8") + "\r\n";
            if conn.write_all(head.as_bytes()).is_ok() && !req.is_head() {
                let _ = sse::run(&mut conn, client, cx);
            }
        }
    }
    let _ = conn.shutdown(Shutdown::Both);
}

/// Closes our side, then reads what the peer still sends (a request body
/// nobody asked for) for a moment: closing with unread input would reset
/// the connection and could lose the answer before the peer reads it.
fn linger(conn: &mut TcpStream) {
    let _ = conn.shutdown(Shutdown::Write);
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        if !matches!(conn.read(&mut sink), Ok(n) if n > 0) {
            break;
        }
    }
}

fn set_send_buffer(conn: &TcpStream, bytes: libc::c_int) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid socket fd and a pointer to a c_int of the size given.
    // A failure leaves the default buffer: only slower stuck detection.
    unsafe {
        libc::setsockopt(
            conn.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            (&bytes as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// What `/` answers without a valid token. It holds no data.
const UNAUTHORIZED_PAGE: &[u8] = b"<!doctype html><meta charset=\"utf-8\"><title>rand-guard: token required</title>\n\
<p>missing or wrong token: open the URL rand-guard printed when it started</p>\n\
<script src=\"/app.js\"></script>\n";

/// The answer to `req`.
pub fn route(req: &Request, cx: &Context<'_>) -> Answer {
    if req.method != "GET" && req.method != "HEAD" {
        return Answer::Full(Response::text(405, "only GET and HEAD are served\n").with_header("Allow: GET, HEAD"));
    }
    // The page's code and style hold no data: no token needed.
    match req.path.as_str() {
        "/app.js" => return Answer::Full(Response::new(200, "text/javascript; charset=utf-8", assets::APP_JS)),
        "/app.css" => return Answer::Full(Response::new(200, "text/css; charset=utf-8", assets::APP_CSS)),
        "/favicon.ico" => return Answer::Full(Response::new(204, "image/x-icon", &b""[..])),
        _ => {}
    }
    let pid = req.path.strip_prefix("/api/process/");
    if !matches!(req.path.as_str(), "/" | "/api/stream" | "/api/health") && pid.is_none() {
        return Answer::Full(Response::text(404, "not found\n"));
    }
    if !auth::authorized(req, cx.token) {
        let refused = if req.path == "/" {
            // A reload of the page (its token was taken out of the address
            // bar): app.js goes back once with the token this tab stored.
            Response::new(401, "text/html; charset=utf-8", UNAUTHORIZED_PAGE)
        } else {
            Response::text(401, "missing or wrong token\n")
        };
        return Answer::Full(refused.with_header("WWW-Authenticate: Bearer"));
    }
    let resp = match (req.path.as_str(), pid) {
        ("/", _) => Response::new(200, "text/html; charset=utf-8", assets::index_html()),
        ("/api/health", _) => Response::json(stats_json(&(cx.snapshot)(), cx.host, 0).into_bytes()),
        ("/api/stream", _) => match cx.hub.subscribe() {
            Some(client) => return Answer::Stream(client),
            None => Response::text(503, "too many viewers are connected (ui.max_clients)\n"),
        },
        (_, Some(pid)) => match pid.parse::<u32>() {
            Ok(pid) if pid > 0 => Response::json(process_json(cx, pid)),
            _ => Response::text(404, "not found: /api/process/PID takes a numeric pid\n"),
        },
        _ => Response::text(404, "not found\n"),
    };
    Answer::Full(resp)
}

/// A live process as /proc describes it (argv split on NULs).
fn from_proc(proc_root: &Path, pid: u32) -> Option<Identity> {
    let p = procfs::read_process(proc_root, pid)?;
    let raw = std::fs::read(proc_root.join(pid.to_string()).join("cmdline")).unwrap_or_default();
    let raw = &raw[..raw.len().min(procfs::CMDLINE_READ_MAX)];
    let args: Vec<String> =
        raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    Some(Identity {
        pid,
        ppid: Some(p.ppid),
        uid: Some(p.uid),
        comm: Some(p.comm),
        exe: p.exe.map(|e| e.to_string()),
        cmdline: p.cmdline.map(|c| c.to_string()),
        args: (!args.is_empty()).then_some(args),
        ..Identity::default()
    })
}

/// Who `pid` is: the index, completed from /proc while it runs; else /proc.
fn identity(cx: &Context<'_>, pid: u32) -> Option<Identity> {
    match cx.hub.read_index(|ix| ix.identity(pid)) {
        Some(mut id) => {
            if id.incomplete() {
                if let Some(live) = from_proc(cx.proc_root, pid) {
                    id.fill_from(live);
                }
            }
            Some(id)
        }
        None => from_proc(cx.proc_root, pid),
    }
}

/// `/api/process/PID`: the process, its ancestry (parent first, up to 64,
/// ending at an unknown pid or at pid 1), its children and its activity.
pub fn process_json(cx: &Context<'_>, pid: u32) -> Vec<u8> {
    let entry = cx.hub.read_index(|ix| ix.entry(pid));
    let found = match entry {
        Some(mut e) => {
            if e.id.incomplete() {
                if let Some(live) = from_proc(cx.proc_root, pid) {
                    e.id.fill_from(live);
                }
            }
            Some(e)
        }
        None => from_proc(cx.proc_root, pid).map(|id| Entry { id, ..Entry::default() }),
    };
    let mut ancestry = Vec::new();
    let mut seen = HashSet::from([pid]);
    let mut next = found.as_ref().and_then(|e| e.id.ppid);
    while let Some(p) = next {
        if p == 0 || ancestry.len() >= MAX_ANCESTRY || !seen.insert(p) {
            break;
        }
        let Some(id) = identity(cx, p) else { break };
        next = if p == 1 { None } else { id.ppid };
        ancestry.push(id);
    }

    let mut out = Vec::new();
    let mut w = ObjectWriter::begin(&mut out);
    w.u64("pid", pid.into());
    w.bool("found", found.is_some());
    match &found {
        Some(e) => w.object("process", |w| {
            write_identity(w, &e.id, Shape::Process);
        }),
        None => w.null("process"),
    }
    w.object_array("ancestry", &ancestry, |w, id| write_identity(w, id, Shape::Ancestor));
    let (children, activity) = found.map(|e| (e.children, e.activity)).unwrap_or_default();
    w.object_array("children", &children, |w, id| write_identity(w, id, Shape::Child));
    w.raw_array("activity", activity.iter().map(|a| &**a));
    w.end();
    out
}

/// Which fields of an identity a part of the process view lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Process,
    Ancestor,
    Child,
}

fn write_identity(w: &mut ObjectWriter<'_>, id: &Identity, shape: Shape) {
    w.u64("pid", id.pid.into());
    if shape == Shape::Process {
        w.opt_u64("ppid", id.ppid.map(u64::from));
    }
    w.opt_str("comm", id.comm.as_deref());
    w.opt_str("exe", id.exe.as_deref());
    w.opt_str("cmdline", id.cmdline.as_deref());
    if shape != Shape::Ancestor {
        match &id.args {
            Some(args) => w.str_array("args", args.iter().map(|a| a.as_str())),
            None => w.null("args"),
        }
    }
    if shape == Shape::Process {
        w.opt_u64("uid", id.uid.map(u64::from));
        w.opt_str("first_seen", id.first_seen.as_deref());
        w.opt_str("last_seen", id.last_seen.as_deref());
        match id.exit_code {
            Some(c) => w.i64("exit_code", c),
            None => w.null("exit_code"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::http::parse_text;
    use super::super::hub::{Hub, Limits};
    use super::*;
    use crate::health::{Counters, KernelCounters, Snapshot};
    use crate::output::LineKind;
    use serde_json::Value;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::time::Instant;

    const TOKEN: &str = "test-token-0123456789";

    struct Fixture {
        hub: Arc<Hub>,
        stop: AtomicBool,
        counters: Counters,
        proc_root: std::path::PathBuf,
    }

    impl Fixture {
        fn new() -> Fixture {
            let hub = Arc::new(Hub::new(Limits { history: 10, max_clients: 1, client_buffer: 16 }));
            let proc_root = std::env::temp_dir().join(format!("rg-ui-routes-{}", std::process::id()));
            Fixture { hub, stop: AtomicBool::new(false), counters: Counters::default(), proc_root }
        }

        fn with<T>(&self, f: impl FnOnce(&Context<'_>) -> T) -> T {
            let snapshot = || Snapshot::take(&self.counters, Instant::now(), KernelCounters::default(), &[]);
            let cx = Context {
                hub: &self.hub,
                token: TOKEN,
                host: "h",
                stop: &self.stop,
                snapshot: &snapshot,
                proc_root: &self.proc_root,
            };
            f(&cx)
        }

        fn get(&self, head: &str) -> Response {
            let req = parse_text(head).expect("parse");
            match self.with(|cx| route(&req, cx)) {
                Answer::Full(r) => r,
                Answer::Stream(_) => Response::text(299, "stream\n"),
            }
        }
    }

    #[test]
    fn the_token_guards_page_stream_and_api_but_not_the_assets() {
        let fx = Fixture::new();
        for path in ["/", "/api/stream", "/api/health", "/api/process/1"] {
            let r = fx.get(&format!("GET {path} HTTP/1.1\r\n\r\n"));
            assert_eq!(r.status, 401, "{path} without a token");
            if path == "/" {
                // the page's refusal: no data, only the script that retries with a kept token
                assert_eq!(&*r.body, UNAUTHORIZED_PAGE);
                assert!(r.content_type.starts_with("text/html"));
            } else {
                assert_eq!(&*r.body, b"missing or wrong token\n");
            }
            let r = fx.get(&format!("GET {path}?token=wrong-token-0123456789 HTTP/1.1\r\n\r\n"));
            assert_eq!(r.status, 401, "{path} with a wrong token");
        }
        assert_eq!(fx.get(&format!("GET /?token={TOKEN} HTTP/1.1\r\n\r\n")).status, 200);
        assert_eq!(fx.get(&format!("GET /api/stream?token={TOKEN} HTTP/1.1\r\n\r\n")).status, 299);
        assert_eq!(fx.get(&format!("HEAD /api/health HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n")).status, 200);
        assert_eq!(fx.get("GET /app.js HTTP/1.1\r\n\r\n").status, 200);
        assert_eq!(fx.get("GET /app.css HTTP/1.1\r\n\r\n").status, 200);
        assert_eq!(fx.get("GET /favicon.ico HTTP/1.1\r\n\r\n").status, 204);
    }

    #[test]
    fn other_methods_get_405_and_unknown_paths_404() {
        let fx = Fixture::new();
        for m in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
            let r = fx.get(&format!("{m} /api/stream?token={TOKEN} HTTP/1.1\r\n\r\n"));
            assert_eq!(r.status, 405, "{m}");
            assert!(r.headers.contains(&"Allow: GET, HEAD".to_owned()));
        }
        for path in ["/index.html", "/api", "/api/streams", "/api/process/abc", "/api/process/0", "/app.js/x"] {
            assert_eq!(fx.get(&format!("GET {path}?token={TOKEN} HTTP/1.1\r\n\r\n")).status, 404, "{path}");
        }
    }

    #[test]
    fn health_is_the_snapshot_plus_ui_dropped() {
        let fx = Fixture::new();
        Counters::add(&fx.counters.events_received, 9);
        let r = fx.get(&format!("GET /api/health?token={TOKEN} HTTP/1.1\r\n\r\n"));
        assert_eq!(r.content_type, "application/json");
        let v: Value = serde_json::from_slice(&r.body).expect("json");
        assert_eq!((v["events_received"].as_u64(), v["ui_dropped"].as_u64()), (Some(9), Some(0)));
        assert!(v["kernel_drops"].is_u64() && v["outputs"].is_array(), "{v}");
    }

    #[test]
    fn a_second_stream_beyond_max_clients_gets_503() {
        let fx = Fixture::new();
        let _first = fx.hub.subscribe().expect("the one place");
        assert_eq!(fx.get(&format!("GET /api/stream?token={TOKEN} HTTP/1.1\r\n\r\n")).status, 503);
    }

    #[test]
    fn process_view_walks_the_index_then_proc() {
        let fx = Fixture::new();
        let me = std::process::id();
        // a child of this test process, known only from its records
        let exec = format!(
            r#"{{"event_type":"process_exec","timestamp":"t1","pid":4000001,"ppid":{me},"uid":0,"comm":"child","exe":"/bin/child","cmdline":"child --mark","args":["child","--mark"],"parent_comm":"x","parent_exe":"/x"}}"#
        );
        let open =
            format!(r#"{{"event_type":"file_open","timestamp":"t2","pid":4000001,"ppid":{me},"path":"/tmp/m"}}"#);
        fx.hub.publish(exec.as_bytes(), LineKind::Telemetry);
        fx.hub.publish(open.as_bytes(), LineKind::Telemetry);
        let fx = Fixture { proc_root: "/proc".into(), ..fx };
        let v: Value = serde_json::from_slice(&fx.with(|cx| process_json(cx, 4000001))).expect("json");
        assert_eq!(v["found"], true);
        assert_eq!(v["process"]["args"], serde_json::json!(["child", "--mark"]));
        assert_eq!(v["process"]["exit_code"], Value::Null);
        assert_eq!(v["activity"][0]["path"], "/tmp/m");
        let chain: Vec<u64> =
            v["ancestry"].as_array().expect("array").iter().map(|a| a["pid"].as_u64().expect("pid")).collect();
        assert_eq!(chain[0], u64::from(me), "the parent first: {v}");
        assert_eq!(chain.last(), Some(&1), "ends at init: {v}");
        assert!(v["ancestry"][0]["cmdline"].as_str().is_some_and(|c| !c.is_empty()), "filled from /proc: {v}");
        // this test process is a stub in the index, completed from /proc, and lists the child
        let v: Value = serde_json::from_slice(&fx.with(|cx| process_json(cx, me))).expect("json");
        assert_eq!(v["process"]["pid"], me);
        assert!(v["process"]["ppid"].is_u64(), "{v}");
        assert_eq!(v["children"][0]["pid"], 4000001);
        assert_eq!(v["children"][0]["args"][1], "--mark");
        // unknown everywhere
        let v: Value = serde_json::from_slice(&fx.with(|cx| process_json(cx, 4000002))).expect("json");
        assert_eq!((v["found"].as_bool(), v["process"].is_null()), (Some(false), true));
        assert_eq!(v["ancestry"], serde_json::json!([]));
    }
}
