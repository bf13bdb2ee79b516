//! Owns the embedded live dashboard (`[ui]`, `rand-guard run --ui ADDR`):
//! a small HTTP/1.1 server on its own threads serving one page (embedded
//! assets), a Server-Sent Events stream of records, alerts and health, a
//! process view and a health snapshot, all behind an access token.
//!
//! Data path: the output stage hands every batch to the dashboard's sink
//! like to any output (`sink`, bounded queue, `ui` in the health record);
//! the sink feeds the `hub` (history, viewers' bounded queues, process
//! `index`); each viewer's connection thread (`sse`) drains its own
//! queue. Nothing on this path can make collection wait.
//!
//! Floors, each module importing only those below it: `frame` and
//! `index` → `hub` → `context` (what handlers share) → `sse` → `routes`.

mod assets;
mod auth;
pub mod context;
pub mod frame;
pub mod http;
pub mod hub;
pub mod index;
pub mod routes;
mod sink;
pub mod sse;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, Scope};

use thiserror::Error;

use crate::config::UiSettings;
use crate::health::Snapshot;
use crate::httpd::{self, Conn, Gate, Refusal, Reply};
use crate::output::Sink;
use context::Context;
use hub::{Hub, Limits};

/// Records queued for the dashboard's sink before the output stage drops
/// them for it (counted as the `ui` output's `dropped`).
pub const QUEUE_RECORDS: usize = 16_384;
/// Connections beyond `max_clients` served at once for short requests
/// (the page, assets, the process view).
const SHORT_REQUESTS: usize = 4;

#[derive(Debug, Error)]
pub enum UiError {
    #[error("ui: cannot listen on {addr}: {err} (choose another address with [ui] listen or --ui)")]
    Bind { addr: SocketAddr, err: io::Error },
    #[error("ui: cannot generate an access token: {0}")]
    Token(io::Error),
}

/// The dashboard, bound and ready to serve.
pub struct Ui {
    listener: TcpListener,
    addr: SocketAddr,
    token: String,
    host: String,
    hub: Arc<Hub>,
    max_connections: usize,
    connections: AtomicUsize,
}

impl Ui {
    /// Binds the listening socket (at start, so a busy port is reported
    /// before anything is loaded) and settles the token; None when the
    /// dashboard is off.
    pub fn bind(settings: &UiSettings, host: &str) -> Result<Option<Ui>, UiError> {
        let Some(addr) = settings.listen else { return Ok(None) };
        let token = match &settings.token {
            Some(t) => t.clone(),
            None => auth::generate_token().map_err(UiError::Token)?,
        };
        let bind_err = |err| UiError::Bind { addr, err };
        let listener = TcpListener::bind(addr).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let limits = Limits {
            history: settings.history,
            max_clients: settings.max_clients,
            client_buffer: settings.client_buffer,
        };
        Ok(Some(Ui {
            listener,
            addr,
            token,
            host: host.to_owned(),
            hub: Arc::new(Hub::new(limits)),
            max_connections: settings.max_clients + SHORT_REQUESTS,
            connections: AtomicUsize::new(0),
        }))
    }

    /// The address really bound (port 0 resolved).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What to open in a browser, token included.
    pub fn url(&self) -> String {
        format!("http://{}/?token={}", self.addr, http::percent_encode(&self.token))
    }

    /// The sink to add to the outputs.
    pub fn sink(&self) -> Box<dyn Sink> {
        Box::new(sink::UiSink::new(self.hub.clone()))
    }

    /// Starts the accept thread on `s`: the shared gate reads request
    /// heads (one deadline, a bounded number held, a cap per address);
    /// each complete one gets a thread, at most `max_clients` + a few at
    /// once; beyond, 503 at once. Everything ends within a moment of
    /// `stop` (a stuck write within its timeout).
    pub fn serve<'scope, 'env>(
        &'env self,
        s: &'scope Scope<'scope, 'env>,
        stop: &'env AtomicBool,
        snapshot: &'env (dyn Fn() -> Snapshot + Sync),
    ) -> io::Result<()> {
        let cx = Context {
            hub: &self.hub,
            token: &self.token,
            host: &self.host,
            stop,
            snapshot,
            proc_root: Path::new("/proc"),
        };
        thread::Builder::new().name("rg-ui".into()).spawn_scoped(s, move || self.accept(s, cx))?;
        Ok(())
    }

    fn accept<'scope, 'env>(&'env self, s: &'scope Scope<'scope, 'env>, cx: Context<'env>) {
        // One address may still fill every place the config allows
        // (a browser behind an SSH tunnel comes from 127.0.0.1).
        let defaults = httpd::Limits::default();
        let limits = httpd::Limits { per_address: defaults.per_address.max(self.max_connections), ..defaults };
        let mut gate = Gate::new(&self.listener, limits, refusal);
        gate.run(cx.stop, |conn, head| self.dispatch(s, cx, conn, &head));
    }

    /// Hands a complete head to a thread of its own, or answers at once.
    fn dispatch<'scope, 'env>(
        &'env self,
        s: &'scope Scope<'scope, 'env>,
        cx: Context<'env>,
        conn: Conn,
        head: &[u8],
    ) -> Reply {
        let req = match http::parse_head(head) {
            Ok(req) => req,
            Err(e) => return Reply::Send(conn, routes::bad_head(e).to_bytes(false)),
        };
        let slot = Slot::take(&self.connections);
        if slot.held > self.max_connections {
            return Reply::Send(conn, http::Response::text(503, "too many connections\n").to_bytes(false));
        }
        // On a spawn error the closure, and with it the connection and
        // the slot, is dropped: the peer sees the connection close.
        let _ = thread::Builder::new().name("rg-ui-conn".into()).spawn_scoped(s, move || {
            let _slot = slot;
            let (stream, _address) = conn.into_parts();
            routes::handle(stream, &req, &cx);
        });
        Reply::Taken
    }
}

/// The gate's refusals with the dashboard's headers.
fn refusal(r: Refusal) -> Vec<u8> {
    http::Response::text(r.status(), r.message()).to_bytes(false)
}

/// One connection counted in `Ui::connections` until dropped (also when
/// its thread panics).
struct Slot<'a> {
    count: &'a AtomicUsize,
    /// Connections counted, this one included.
    held: usize,
}

impl<'a> Slot<'a> {
    fn take(count: &'a AtomicUsize) -> Slot<'a> {
        Slot { count, held: count.fetch_add(1, Ordering::Relaxed) + 1 }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}
