//! Owns the syslog output: each record is the MSG of one RFC 5424 message,
//! sent to the local socket (/dev/log), over UDP, or over TCP with RFC 6587
//! octet-counting framing (`LEN SP MESSAGE`).

use std::io::{self, Write};
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use super::{ErrorLog, LineKind, OutputStats, Pending, Sink};
use crate::config::{SyslogSpec, SyslogTransport};
use crate::record::time::{write_rfc3339, BootClock};
use crate::rules::model::Severity;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_507;

enum Conn {
    Unix(UnixDatagram),
    Udp(UdpSocket),
    Tcp(TcpStream),
}

pub struct SyslogSink {
    name: String,
    spec: SyslogSpec,
    /// `HOSTNAME APP-NAME PROCID`, fixed for the run.
    header: String,
    conn: Option<Conn>,
    pending: Pending,
    clock: BootClock,
    errors: ErrorLog,
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

impl SyslogSink {
    pub fn new(name: &str, spec: &SyslogSpec, host: &str) -> SyslogSink {
        let header = format!("{} {} {}", header_field(host, 255), header_field(&spec.app_name, 48), std::process::id());
        SyslogSink {
            name: name.to_owned(),
            spec: spec.clone(),
            header,
            conn: None,
            pending: Pending::default(),
            clock: BootClock::measure(),
            errors: ErrorLog::default(),
        }
    }

    fn connect(&self) -> io::Result<Conn> {
        match &self.spec.transport {
            SyslogTransport::Unix(path) => {
                let s = UnixDatagram::unbound()?;
                s.connect(path)?;
                Ok(Conn::Unix(s))
            }
            SyslogTransport::Udp(addr) => {
                let target = resolve(addr)?;
                let bind = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
                let s = UdpSocket::bind(bind)?;
                s.connect(target)?;
                Ok(Conn::Udp(s))
            }
            SyslogTransport::Tcp(addr) => {
                let s = TcpStream::connect_timeout(&resolve(addr)?, CONNECT_TIMEOUT)?;
                s.set_write_timeout(Some(WRITE_TIMEOUT))?;
                s.set_nodelay(true)?;
                Ok(Conn::Tcp(s))
            }
        }
    }

    /// Sends every pending message; returns how many were delivered.
    fn send_pending(&mut self) -> (u64, Option<io::Error>) {
        if self.conn.is_none() {
            match self.connect() {
                Ok(c) => self.conn = Some(c),
                Err(e) => return (0, Some(e)),
            }
        }
        let Some(conn) = self.conn.as_mut() else {
            return (0, None);
        };
        let p = &self.pending;
        match conn {
            // A stream takes the whole framed buffer in one go.
            Conn::Tcp(s) => match s.write_all(&p.buf) {
                Ok(()) => (p.records, None),
                Err(e) => (0, Some(e)),
            },
            Conn::Unix(_) | Conn::Udp(_) => {
                let mut start = 0;
                let mut sent = 0;
                for &end in &p.ends {
                    let msg = &p.buf[start..end];
                    start = end;
                    let r = match conn {
                        Conn::Unix(s) => s.send(msg),
                        Conn::Udp(s) if msg.len() > MAX_DATAGRAM => {
                            Err(io::Error::other("record larger than a UDP datagram"))
                        }
                        Conn::Udp(s) => s.send(msg),
                        Conn::Tcp(_) => Ok(0),
                    };
                    match r {
                        Ok(_) => sent += 1,
                        Err(e) => return (sent, Some(e)),
                    }
                }
                (sent, None)
            }
        }
    }
}

fn resolve(addr: &str) -> io::Result<std::net::SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(|| io::Error::other(format!("{addr}: no address")))
}

impl Sink for SyslogSink {
    fn push(&mut self, line: &[u8], kind: LineKind, _: &OutputStats) {
        let now = self.clock.to_wall_ns(BootClock::now_boot_ns());
        let mut msg = Vec::with_capacity(line.len() + 96);
        format_message(&mut msg, self.spec.facility, &self.header, kind, now, line);
        if matches!(self.spec.transport, SyslogTransport::Tcp(_)) {
            let _ = write!(self.pending.buf, "{} ", msg.len());
        }
        self.pending.push(&msg);
    }

    fn flush(&mut self, stats: &OutputStats, _: Option<Instant>) {
        let total = self.pending.records;
        if total == 0 {
            return;
        }
        let (mut sent, mut err) = self.send_pending();
        if err.is_some() && sent == 0 {
            // A dropped connection or a restarted receiver: one fresh try.
            self.conn = None;
            (sent, err) = self.send_pending();
        }
        stats.sent(sent);
        stats.failed(total - sent);
        self.pending.clear();
        match err {
            Some(e) => {
                self.conn = None;
                self.errors.failed(&self.name, e);
            }
            None => self.errors.recovered(&self.name),
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
