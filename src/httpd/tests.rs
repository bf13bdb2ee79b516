//! The gate against real loopback sockets, with small limits so each
//! bound is reached in a moment.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::FromRawFd;
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::{Duration, Instant};

use super::*;

fn render(r: Refusal) -> Vec<u8> {
    format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\n\r\n{}",
        r.status(),
        reason(r.status()),
        r.message().len(),
        r.message()
    )
    .into_bytes()
}

/// Answers every head with `200` and its request line; `/keep` is taken
/// by the handler and held (its address slot with it) until `/release`.
fn with_gate(limits: Limits, test: impl FnOnce(SocketAddr, &super::addresses::Addresses)) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let stop = AtomicBool::new(false);
    let mut gate = Gate::new(&listener, limits, render);
    let addresses = gate.addresses();
    thread::scope(|s| {
        s.spawn(|| {
            let mut kept = Vec::new();
            gate.run(&stop, |conn, head| {
                let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
                if line.starts_with("GET /keep ") {
                    kept.push(conn);
                    return Reply::Taken;
                }
                if line.starts_with("GET /release ") {
                    kept.clear();
                }
                Reply::Send(
                    conn,
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{line}", line.len()).into_bytes(),
                )
            })
        });
        // stops the gate also when `test` panics, so the scope can end
        let _stop = StopOnDrop(&stop);
        test(addr, &addresses);
    });
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A TCP connection to `to` from source address `from` (any 127/8
/// address is loopback on Linux).
fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    // SAFETY: plain socket calls on a descriptor owned by the TcpStream made from it.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket");
        let stream = TcpStream::from_raw_fd(fd);
        let sa = |a: SocketAddrV4| libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: a.port().to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(*a.ip()).to_be() },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let src = sa(SocketAddrV4::new(from, 0));
        assert_eq!(libc::bind(fd, (&src as *const libc::sockaddr_in).cast(), len), 0, "bind {from}");
        let SocketAddr::V4(to) = to else { panic!("IPv4 only") };
        let dst = sa(to);
        assert_eq!(libc::connect(fd, (&dst as *const libc::sockaddr_in).cast(), len), 0, "connect");
        stream
    }
}

/// Everything the server sends until it closes (a reset after the answer counts as a close).
fn answer(c: &mut TcpStream) -> String {
    c.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn get(from: Ipv4Addr, to: SocketAddr, path: &str) -> String {
    let mut c = connect_from(from, to);
    write!(c, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
    answer(&mut c)
}

fn small() -> Limits {
    Limits {
        head_deadline: Duration::from_millis(800),
        write_deadline: Duration::from_secs(2),
        max_pending: 4,
        per_address: 3,
    }
}

const ONE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

#[test]
fn a_trickled_head_is_cut_at_the_overall_deadline_while_others_are_served() {
    with_gate(small(), |addr, _| {
        let mut slow = connect_from(Ipv4Addr::new(127, 0, 3, 1), addr);
        let opened = Instant::now();
        slow.set_nonblocking(true).expect("nonblocking");
        // a byte every 100 ms: every read is quick, the head never ends
        let mut got = Vec::new();
        let mut closed = None;
        for (i, b) in b"GET / HTTP/1.1\r\nX: ".iter().chain([b'a'; 100].iter()).enumerate() {
            // first take what the server sent, then send one more byte
            let mut chunk = [0u8; 256];
            loop {
                match slow.read(&mut chunk) {
                    Ok(0) => closed = Some(opened.elapsed()),
                    Ok(n) => {
                        got.extend_from_slice(&chunk[..n]);
                        continue;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => closed = Some(opened.elapsed()),
                }
                break;
            }
            if closed.is_some() {
                break;
            }
            if slow.write_all(&[*b]).is_err() {
                closed = Some(opened.elapsed());
                break;
            }
            if i == 2 {
                assert!(get(ONE, addr, "/meanwhile").ends_with("GET /meanwhile HTTP/1.1"));
            }
            thread::sleep(Duration::from_millis(100));
        }
        let closed = closed.expect("the trickler was never cut off");
        assert!(closed >= Duration::from_millis(800), "cut after {closed:?}, before the deadline");
        assert!(closed < Duration::from_secs(8), "cut only after {closed:?}");
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{got:?}");
    });
}

#[test]
fn the_per_address_cap_refuses_the_excess_with_429_and_counts_handed_connections() {
    with_gate(small(), |addr, addresses| {
        let idle: Vec<TcpStream> = (0..2).map(|_| connect_from(ONE, addr)).collect();
        // a third connection from the same address, taken by the handler
        let mut kept = connect_from(ONE, addr);
        kept.write_all(b"GET /keep HTTP/1.1\r\n\r\n").expect("send");
        let deadline = Instant::now() + Duration::from_secs(10);
        while addresses.open_from(ONE.into()) < 3 {
            assert!(Instant::now() < deadline, "the gate did not admit three connections");
            thread::sleep(Duration::from_millis(10));
        }
        let mut fourth = connect_from(ONE, addr);
        let refused = answer(&mut fourth);
        assert!(refused.starts_with("HTTP/1.1 429 Too Many Requests\r\n"), "{refused:?}");
        assert!(refused.ends_with(Refusal::TooManyFromAddress.message()), "{refused:?}");
        // another address is not affected
        let other = Ipv4Addr::new(127, 0, 3, 2);
        assert!(get(other, addr, "/x").starts_with("HTTP/1.1 200 OK\r\n"));
        // closing the idle ones and releasing the kept one gives the places back
        drop(idle);
        assert!(get(other, addr, "/release").starts_with("HTTP/1.1 200"));
        drop(kept);
        while addresses.open_from(ONE.into()) > 0 {
            assert!(Instant::now() < deadline, "places not given back");
            thread::sleep(Duration::from_millis(10));
        }
        assert!(get(ONE, addr, "/again").ends_with("GET /again HTTP/1.1"));
    });
}

#[test]
fn a_full_gate_evicts_the_oldest_head_with_503_and_serves_the_newcomer() {
    with_gate(small(), |addr, addresses| {
        // four silent connections from four addresses fill the gate
        let mut silent: Vec<TcpStream> = (1..=4).map(|i| connect_from(Ipv4Addr::new(127, 0, 4, i), addr)).collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while addresses.open_from(Ipv4Addr::new(127, 0, 4, 4).into()) < 1 {
            assert!(Instant::now() < deadline, "not admitted");
            thread::sleep(Duration::from_millis(10));
        }
        let served = get(ONE, addr, "/new");
        assert!(served.ends_with("GET /new HTTP/1.1"), "{served:?}");
        let evicted = answer(&mut silent[0]);
        assert!(evicted.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "the oldest: {evicted:?}");
        assert_eq!(addresses.open_from(Ipv4Addr::new(127, 0, 4, 1).into()), 0);
        assert_eq!(addresses.open_from(Ipv4Addr::new(127, 0, 4, 2).into()), 1, "the others stay");
    });
}

#[test]
fn an_oversized_head_gets_431_and_a_split_head_is_put_together() {
    with_gate(small(), |addr, _| {
        let mut big = connect_from(ONE, addr);
        let _ = big.write_all(format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD)).as_bytes());
        let got = answer(&mut big);
        assert!(got.starts_with("HTTP/1.1 431 "), "{got:?}");
        let mut split = connect_from(ONE, addr);
        for part in ["GET /sp", "lit HTTP/1.1\r", "\n\r", "\nbody"] {
            split.write_all(part.as_bytes()).expect("send");
            thread::sleep(Duration::from_millis(20));
        }
        assert!(answer(&mut split).ends_with("GET /split HTTP/1.1"));
    });
}

#[test]
fn head_end_accepts_crlf_and_bare_lf() {
    assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\nrest"), Some(18));
    assert_eq!(head_end(b"GET / HTTP/1.0\n\n"), Some(16));
    assert_eq!(head_end(b"GET / HTTP/1.1\r\nX: y\r\n"), None);
}
