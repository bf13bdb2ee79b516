//! Owns what the sensor's two HTTP listeners (the dashboard and the
//! Prometheus endpoint) share against slow and greedy clients: the `gate`,
//! one thread that accepts connections and reads their request heads
//! without blocking, under one overall deadline per head, with a bounded
//! number of connections held and a cap per source address. Only a
//! complete head reaches a server's handler, so a connection that has not
//! sent its request never takes a serving thread or slot.
//!
//! Floors: `addresses` (per-address counts) → `gate` (the poll loop).

mod addresses;
mod gate;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use addresses::AddressSlot;
pub use gate::{Conn, Gate, Reply};

/// Largest request head accepted (request line and headers).
pub const MAX_HEAD: usize = 8 * 1024;

/// The bounds a gate enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From accept to the blank line ending the request head, however
    /// the bytes trickle in; then `408` and close.
    pub head_deadline: Duration,
    /// From the handler's answer to its last byte taken by the peer.
    pub write_deadline: Duration,
    /// Connections the gate holds at once (reading a head, writing or
    /// closing an answer); a new one beyond this evicts the oldest still
    /// reading its head (`503`).
    pub max_pending: usize,
    /// Open connections per source address (an IPv6 address counts by
    /// its /64), in the gate and in the server's handlers together;
    /// beyond this, `429` and close at once.
    pub per_address: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            head_deadline: Duration::from_secs(5),
            write_deadline: Duration::from_secs(5),
            max_pending: 128,
            per_address: 16,
        }
    }
}

/// Why the gate answers a connection itself and closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The head did not end within `head_deadline`.
    Timeout,
    /// The source address already has `per_address` connections open.
    TooManyFromAddress,
    /// Evicted: `max_pending` connections were held and a new one came.
    Busy,
    /// Over `MAX_HEAD` bytes without the end of the head.
    TooLarge,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Refusal::Timeout => 408,
            Refusal::TooManyFromAddress => 429,
            Refusal::Busy => 503,
            Refusal::TooLarge => 431,
        }
    }

    /// A one-line plain-text body.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Timeout => "the request head did not arrive in time\n",
            Refusal::TooManyFromAddress => "too many connections from your address\n",
            Refusal::Busy => "too many connections are sending their request\n",
            Refusal::TooLarge => "request head too large\n",
        }
    }
}

/// How a server renders the gate's refusals (its own headers).
pub type RenderRefusal = fn(Refusal) -> Vec<u8>;

/// Where the head ends (after its blank line), accepting bare LF endings.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The reason phrase of the statuses these servers send.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}
