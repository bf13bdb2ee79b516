//! Privileged end-to-end test of the sensor's own HTTP surfaces under a
//! slowloris: the real sensor runs with the dashboard (`--ui 127.0.0.1:0`)
//! and the Prometheus endpoint on loopback; 50 connections trickle a
//! request head at one byte a second into each, from several loopback
//! source addresses (all of 127/8 is loopback on Linux), while a
//! legitimate client asks for a page with the token, or a scrape.
//! Run as root, serially: `cargo test --test e2e_slowloris -- --test-threads=1`.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::FromRawFd;
use std::thread;
use std::time::{Duration, Instant};

use common::http::free_port;
use common::*;
use rand_guard::httpd::Limits;

const TOKEN: &str = "e2e-slowloris-token-0123456789ab";
/// Tricklers per endpoint: `CROWD` from one address, the rest one each.
const TRICKLERS: usize = 50;
const CROWD: usize = 30;
/// What the legitimate client must get its 200 within.
const SERVED_WITHIN: Duration = Duration::from_secs(2);
/// How long after the head deadline a trickler may still be open at the
/// latest (a loaded machine; the deadline itself is checked exactly).
const CUT_SLACK: Duration = Duration::from_secs(10);
/// A trickler's head: valid so far, never ending.
const TRICKLE: &[u8] =
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// A TCP connection to `to` from the loopback address `from`.
fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let SocketAddr::V4(to) = to else { panic!("the listeners are IPv4 loopback") };
    let sockaddr = |a: SocketAddrV4| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from(*a.ip()).to_be() },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let (src, dst) = (sockaddr(SocketAddrV4::new(from, 0)), sockaddr(to));
    // SAFETY: a new socket owned by the TcpStream at once; bind and
    // connect get sockaddr_in structs of the length given.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let stream = TcpStream::from_raw_fd(fd);
        let bound = libc::bind(fd, (&src as *const libc::sockaddr_in).cast(), len);
        assert_eq!(bound, 0, "bind to {from}: {}", std::io::Error::last_os_error());
        let connected = libc::connect(fd, (&dst as *const libc::sockaddr_in).cast(), len);
        assert_eq!(connected, 0, "connect {from} -> {to}: {}", std::io::Error::last_os_error());
        stream
    }
}

/// One slow client and what became of it.
struct Trickler {
    stream: TcpStream,
    from: Ipv4Addr,
    opened: Instant,
    answer: Vec<u8>,
    closed: Option<Instant>,
}

impl Trickler {
    /// Takes what the server sent; marks it closed at EOF or an error
    /// (a reset after the answer: the data before it is still read).
    fn read(&mut self) {
        let mut chunk = [0u8; 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) if n > 0 => self.answer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                _ => {
                    self.closed = Some(Instant::now());
                    return;
                }
            }
        }
    }

    fn status(&self) -> String {
        String::from_utf8_lossy(&self.answer).lines().next().unwrap_or("(nothing)").to_owned()
    }

    fn open_for(&self) -> Duration {
        self.closed.map_or(Duration::MAX, |c| c.duration_since(self.opened))
    }
}

/// Connects one trickler per source address, in order.
fn open_herd(to: SocketAddr, sources: &[Ipv4Addr]) -> Vec<Trickler> {
    sources
        .iter()
        .map(|&from| {
            let stream = connect_from(from, to);
            stream.set_nonblocking(true).expect("nonblocking");
            Trickler { stream, from, opened: Instant::now(), answer: Vec::new(), closed: None }
        })
        .collect()
}

/// Sends each open trickler the next byte of its head every second and
/// watches for answers, until all are closed or `until`.
fn trickle(herd: &mut [Trickler], until: Instant) {
    let mut next_byte = Instant::now();
    let mut sent = 0;
    while Instant::now() < until && herd.iter().any(|t| t.closed.is_none()) {
        for t in herd.iter_mut().filter(|t| t.closed.is_none()) {
            t.read();
        }
        if Instant::now() >= next_byte {
            let byte = TRICKLE[sent % TRICKLE.len()];
            for t in herd.iter_mut().filter(|t| t.closed.is_none()) {
                if t.stream.write_all(&[byte]).is_err() {
                    t.read();
                    t.closed.get_or_insert_with(Instant::now);
                }
            }
            sent += 1;
            next_byte += Duration::from_secs(1);
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Sends `head` from 127.0.0.1 and returns the status, the body and how
/// long the whole answer took from connect.
fn request(to: SocketAddr, head: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut c = connect_from(Ipv4Addr::LOCALHOST, to);
    c.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    c.write_all(head.as_bytes()).expect("send");
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body, took)
}

/// The slowloris against the listener at `to`: tricklers come from
/// 127.0.`net`.1 (`CROWD` of them) and 127.0.`net`.10 on (one each);
/// `legit` makes one legitimate request and checks its body.
fn slowloris(to: SocketAddr, net: u8, per_address: usize, legit: &dyn Fn(usize) -> (u16, String, Duration)) {
    let limits = Limits::default();
    let crowd = Ipv4Addr::new(127, 0, net, 1);
    let mut sources = vec![crowd; CROWD];
    sources.extend((0..TRICKLERS - CROWD).map(|i| Ipv4Addr::new(127, 0, net, 10 + i as u8)));
    let mut herd = open_herd(to, &sources);
    let until = Instant::now() + limits.head_deadline + CUT_SLACK + Duration::from_secs(2);
    let mut served = Vec::new();
    thread::scope(|s| {
        let tricklers = s.spawn(|| trickle(&mut herd, until));
        // the tricklers have sent a byte or two; now the real client, a few times
        thread::sleep(Duration::from_millis(1500));
        for i in 0..3 {
            let (status, body, took) = legit(i);
            assert_eq!(status, 200, "request {i} while 50 tricklers are connected: {body}");
            assert!(took < SERVED_WITHIN, "request {i} took {took:?} while 50 tricklers are connected");
            served.push(Instant::now());
            thread::sleep(Duration::from_millis(300));
        }
        tricklers.join().expect("the trickler thread");
    });

    let refused: Vec<&Trickler> = herd.iter().filter(|t| t.status().starts_with("HTTP/1.1 429 ")).collect();
    let cut: Vec<&Trickler> = herd.iter().filter(|t| t.status().starts_with("HTTP/1.1 408 ")).collect();
    let other: Vec<String> = herd
        .iter()
        .filter(|t| !t.answer.starts_with(b"HTTP/1.1 4"))
        .map(|t| format!("{}: {}", t.from, t.status()))
        .collect();
    assert!(other.is_empty(), "tricklers neither refused nor cut off: {other:?}");
    // the per-address cap: the crowd's excess is refused at once, with 429 and a close
    assert_eq!(refused.len(), CROWD - per_address, "refused by the per-address cap ({per_address})");
    for t in &refused {
        assert_eq!(t.from, crowd, "only the crowd's address is over its cap");
        assert!(t.open_for() < limits.head_deadline, "refused at once, not at the deadline: {:?}", t.open_for());
        assert!(String::from_utf8_lossy(&t.answer).ends_with("too many connections from your address\n"));
    }
    // every admitted trickler is cut off at the head deadline, although it kept sending
    assert_eq!(cut.len(), TRICKLERS - refused.len());
    for t in &cut {
        let open = t.open_for();
        assert!(open >= limits.head_deadline, "{} cut after {open:?}, before the deadline", t.from);
        assert!(open < limits.head_deadline + CUT_SLACK, "{} cut only after {open:?}", t.from);
    }
    // ...and all were still connected while the legitimate requests were served
    let first_cut = cut.iter().filter_map(|t| t.closed).min().expect("cut tricklers");
    let last_served = served.last().copied().expect("served");
    assert!(last_served < first_cut, "the requests must overlap the tricklers");
}

#[test]
fn dashboard_and_metrics_serve_a_legitimate_client_within_2s_under_50_trickling_connections() {
    let metrics: SocketAddr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut config = format!("{E2E_CONFIG}\n[metrics]\nlisten = \"{metrics}\"\n\n[ui]\ntoken = \"{TOKEN}\"\n");
    config.push_str("max_clients = 8\n");
    let mut args = vec!["--ui", "127.0.0.1:0"];
    if !checkout_config_is_secure() {
        args.push("--allow-insecure-config");
    }
    let sensor = Sensor::start_with_args(&config, &args);
    let dashboard: SocketAddr = sensor
        .stderr()
        .lines()
        .find_map(|l| l.strip_prefix("rand-guard: ui: http://"))
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(addr, _)| addr.parse().ok())
        .unwrap_or_else(|| panic!("no `rand-guard: ui: URL` line on stderr:\n{}", sensor.stderr()));

    // The dashboard: its per-address cap is at least max_clients + 4 (here 12 < 16).
    slowloris(dashboard, 1, Limits::default().per_address, &|i| {
        let target = if i % 2 == 0 { "/api/health" } else { "/" };
        let (status, body, took) =
            request(dashboard, &format!("GET {target}?token={TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n"));
        if status == 200 && target == "/api/health" {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
            assert!(v["events_received"].is_u64(), "{v}");
        } else if status == 200 {
            assert!(body.starts_with("<!doctype html>"), "{body}");
        }
        (status, body, took)
    });
    // The metrics endpoint: one thread, which no trickler may hold up.
    slowloris(metrics, 2, Limits::default().per_address, &|_| {
        let (status, body, took) = request(metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        if status == 200 {
            assert!(body.contains("\nrand_guard_events_received_total "), "{body}");
        }
        (status, body, took)
    });

    let (status, records, stderr) = sensor.stop_with(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    final_health(&records);
}
