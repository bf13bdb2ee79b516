//! Owns `[ui]` phase two: the embedded dashboard's listen address, its
//! access token and the bounds of what it holds for viewers.

use std::net::SocketAddr;

use super::raw::RawUi;
use super::{parse_listen, ConfigError, Ctx};

/// Defaults and limits of the `[ui]` keys.
pub mod defaults {
    /// `history`: records kept to show a new viewer.
    pub const HISTORY: i64 = 5000;
    pub const MAX_HISTORY: i64 = 100_000;
    /// `max_clients`: live streams served at once.
    pub const MAX_CLIENTS: i64 = 8;
    pub const MAX_MAX_CLIENTS: i64 = 64;
    /// `client_buffer`: records waiting for one viewer before its records drop.
    pub const CLIENT_BUFFER: i64 = 4096;
    pub const MIN_CLIENT_BUFFER: i64 = 16;
    pub const MAX_CLIENT_BUFFER: i64 = 1_048_576;
    /// Length bounds of a configured `token`.
    pub const MIN_TOKEN_LEN: usize = 16;
    pub const MAX_TOKEN_LEN: usize = 256;
}

/// The checked `[ui]` table. The dashboard runs when `listen` is set (by
/// the file or `rand-guard run --ui ADDR`).
#[derive(Clone, PartialEq, Eq)]
pub struct UiSettings {
    pub listen: Option<SocketAddr>,
    /// The access token; None = one is generated at start.
    pub token: Option<String>,
    pub history: usize,
    pub max_clients: usize,
    pub client_buffer: usize,
}

impl Default for UiSettings {
    fn default() -> UiSettings {
        UiSettings {
            listen: None,
            token: None,
            history: defaults::HISTORY as usize,
            max_clients: defaults::MAX_CLIENTS as usize,
            client_buffer: defaults::CLIENT_BUFFER as usize,
        }
    }
}

/// Keeps the token out of debug output (and so out of panics and logs).
impl std::fmt::Debug for UiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UiSettings")
            .field("listen", &self.listen)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("history", &self.history)
            .field("max_clients", &self.max_clients)
            .field("client_buffer", &self.client_buffer)
            .finish()
    }
}

/// What a warning says about a dashboard reachable from other hosts.
pub fn exposure_note(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!("= \"{addr}\" serves the dashboard beyond this host (anyone with the token can watch every record)")
    })
}

pub(crate) fn check_ui(
    ctx: &Ctx<'_>,
    raw: Option<RawUi>,
    warnings: &mut Vec<String>,
) -> Result<UiSettings, ConfigError> {
    let raw = raw.unwrap_or_default();
    let listen = match &raw.listen {
        None => None,
        Some(l) => {
            let addr = parse_listen(l.get_ref()).ok_or_else(|| {
                ctx.invalid(
                    l.span(),
                    "ui.listen",
                    &format!("expected \"address:port\" such as \"127.0.0.1:9300\", found {:?}", l.get_ref()),
                )
            })?;
            if let Some(note) = exposure_note(addr) {
                warnings.push(ctx.note(l.span(), "ui.listen", &note));
            }
            Some(addr)
        }
    };
    let token = match &raw.token {
        None => None,
        Some(t) => {
            let s = t.get_ref();
            let (min, max) = (defaults::MIN_TOKEN_LEN, defaults::MAX_TOKEN_LEN);
            if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_graphic()) {
                // The value is a secret: say what is wrong, not what it is.
                return Err(ctx.invalid(
                    t.span(),
                    "ui.token",
                    &format!(
                        "must be {min} to {max} printable ASCII characters without spaces (found {} characters{}); \
                         remove it to have one generated at start",
                        s.chars().count(),
                        if s.bytes().all(|b| b.is_ascii_graphic()) { "" } else { ", not all printable" }
                    ),
                ));
            }
            Some(s.clone())
        }
    };
    let history = ctx.int_in(&raw.history, "ui.history", 1..=defaults::MAX_HISTORY, defaults::HISTORY, " (records)")?;
    let max_clients =
        ctx.int_in(&raw.max_clients, "ui.max_clients", 1..=defaults::MAX_MAX_CLIENTS, defaults::MAX_CLIENTS, "")?;
    let client_buffer = ctx.int_in(
        &raw.client_buffer,
        "ui.client_buffer",
        defaults::MIN_CLIENT_BUFFER..=defaults::MAX_CLIENT_BUFFER,
        defaults::CLIENT_BUFFER,
        " (records)",
    )?;
    Ok(UiSettings {
        listen,
        token,
        history: history.unsigned_abs() as usize,
        max_clients: max_clients.unsigned_abs() as usize,
        client_buffer: client_buffer.unsigned_abs() as usize,
    })
}
