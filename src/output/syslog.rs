//! Owns the syslog output: each record is the MSG of one RFC 5424 message,
//! sent to the local socket (/dev/log), over UDP, or over TCP with RFC 6587
//! octet-counting framing (`LEN SP MESSAGE`). Batching, retries and the
//! spool are `net`'s; the message timestamp is the time it is sent.

use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use super::lines::Lines;
use super::net::{Attempt, Delivery, Transport};
use super::LineKind;
use crate::config::{SyslogSpec, SyslogTransport as Via};
use crate::record::time::{write_rfc3339, BootClock};
use crate::record::Severity;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_507;

/// Messages go out as soon as the output has them, one reconnect at once
/// on an error (a restarted receiver), then the spool or a failure.
pub const DELIVERY: Delivery = Delivery {
    batch_max_records: 500,
    batch_max_wait: Duration::ZERO,
    max_retries: 1,
    retry_backoff: Duration::from_millis(100),
};

enum Conn {
    Unix(UnixDatagram),
    Udp(UdpSocket),
    Tcp(TcpStream),
}

pub struct SyslogTransport {
    spec: SyslogSpec,
    /// `HOSTNAME APP-NAME PROCID`, fixed for the run.
    header: String,
    conn: Option<Conn>,
    clock: BootClock,
}

/// RFC 5424 severity of a record: alerts by their severity, the rest info.
fn severity(kind: LineKind) -> u8 {
    match kind {
        LineKind::Alert(Severity::Critical) => 2,
        LineKind::Alert(Severity::High) => 3,
        LineKind::Alert(Severity::Medium) => 4,
        LineKind::Alert(Severity::Low) => 5,
        LineKind::Alert(Severity::Info) | LineKind::Telemetry | LineKind::Health => 6,
    }
}

/// Printable ASCII only, as RFC 5424 header fields require.
fn header_field(s: &str, max: usize) -> String {
    let s: String = s.chars().take(max).map(|c| if c.is_ascii_graphic() { c } else { '_' }).collect();
    if s.is_empty() {
        "-".to_owned()
    } else {
        s
    }
}

/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG` (no newline).
pub fn format_message(out: &mut Vec<u8>, facility: u8, header: &str, kind: LineKind, now_ns: u64, msg: &[u8]) {
    let pri = u32::from(facility) * 8 + u32::from(severity(kind));
    let _ = write!(out, "<{pri}>1 ");
    // RFC 5424 allows at most six digits of fractional seconds.
    let mut ts = Vec::with_capacity(32);
    write_rfc3339(&mut ts, now_ns);
    out.extend_from_slice(ts.get(..26).unwrap_or(&ts));
    out.push(b'Z');
    let msgid = match kind {
        LineKind::Telemetry => "telemetry",
        LineKind::Alert(_) => "alert",
        LineKind::Health => "health",
    };
    let _ = write!(out, " {header} {msgid} - ");
    out.extend_from_slice(msg.strip_suffix(b"\n").unwrap_or(msg));
}

impl SyslogTransport {
    pub fn new(spec: &SyslogSpec, host: &str) -> SyslogTransport {
        let header = format!("{} {} {}", header_field(host, 255), header_field(&spec.app_name, 48), std::process::id());
        SyslogTransport { spec: spec.clone(), header, conn: None, clock: BootClock::measure() }
    }

    fn connect(&self) -> io::Result<Conn> {
        match &self.spec.transport {
            Via::Unix(path) => {
                let s = UnixDatagram::unbound()?;
                s.connect(path)?;
                Ok(Conn::Unix(s))
            }
            Via::Udp(addr) => {
                let target = resolve(addr)?;
                let bind = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let s = UdpSocket::bind(bind)?;
                s.connect(target)?;
                Ok(Conn::Udp(s))
            }
            Via::Tcp(addr) => {
                let s = TcpStream::connect_timeout(&resolve(addr)?, CONNECT_TIMEOUT)?;
                s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                s.set_nodelay(true)?;
                Ok(Conn::Tcp(s))
            }
        }
    }

    /// Sends every message of `lines` over the open connection; returns
    /// how many could never be sent (larger than a UDP datagram).
    fn send_all(&mut self, lines: &Lines) -> io::Result<u64> {
        if self.conn.is_none() {
            self.conn = Some(self.connect()?);
        }
        let now = self.clock.to_wall_ns(BootClock::now_boot_ns());
        let Some(conn) = self.conn.as_mut() else {
            return Err(io::Error::other("not connected"));
        };
        let mut msg = Vec::with_capacity(1024);
        if let Conn::Tcp(s) = conn {
            // a stream takes the whole framed batch in one go
            let mut framed = Vec::with_capacity(lines.bytes() + lines.len() * 112);
            for (line, kind) in lines.iter() {
                msg.clear();
                format_message(&mut msg, self.spec.facility, &self.header, kind, now, line);
                let _ = write!(framed, "{} ", msg.len());
                framed.extend_from_slice(&msg);
            }
            return s.write_all(&framed).map(|()| 0);
        }
        let mut refused = 0;
        for (line, kind) in lines.iter() {
            msg.clear();
            format_message(&mut msg, self.spec.facility, &self.header, kind, now, line);
            match conn {
                Conn::Unix(s) => s.send(&msg).map(drop)?,
                // it can never be sent: counted failed rather than hold the rest back
                Conn::Udp(_) if msg.len() > MAX_DATAGRAM => refused += 1,
                Conn::Udp(s) => s.send(&msg).map(drop)?,
                Conn::Tcp(_) => {}
            }
        }
        Ok(refused)
    }
}

fn resolve(addr: &str) -> io::Result<std::net::SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(|| io::Error::other(format!("{addr}: no address")))
}

impl Transport for SyslogTransport {
    fn send(&mut self, lines: &Lines) -> Result<u64, Attempt> {
        match self.send_all(lines) {
            Ok(refused) => Ok(refused),
            Err(e) => {
                self.conn = None; // reconnect on the next attempt
                Err(Attempt::Retry(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5424_message() {
        let mut out = Vec::new();
        format_message(
            &mut out,
            16,
            "host-1 rand-guard 42",
            LineKind::Alert(Severity::High),
            1_700_000_000_123_456_789,
            b"{\"a\":1}\n",
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<131>1 2023-11-14T22:13:20.123456Z host-1 rand-guard 42 alert - {\"a\":1}"
        );
        assert_eq!(header_field("a b\u{e9}", 10), "a_b_");
        assert_eq!(header_field("", 10), "-");
    }
}
