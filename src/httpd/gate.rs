//! Owns the accept loop: one thread polls the listener and every
//! connection it holds (libc `poll`, non-blocking sockets), reads request
//! heads under one deadline from accept, hands each complete head to the
//! server's handler, and writes the handler's answer, if it gives one
//! back, under a deadline too. Nothing here blocks on a peer.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::addresses::{AddressSlot, Addresses};
use super::{head_end, Limits, Refusal, RenderRefusal, MAX_HEAD};

/// How often the loop looks at the stop flag when nothing happens.
const STOP_POLL: Duration = Duration::from_millis(100);
/// How long a written answer's connection is read from (and discarded)
/// before closing: closing with unread input would reset the connection
/// and could lose the answer before the peer reads it.
const LINGER: Duration = Duration::from_millis(200);
/// Connections accepted per loop turn, so held ones are served in between.
const ACCEPTS_PER_TURN: usize = 64;
/// Reads of one connection per turn.
const READS_PER_TURN: usize = 16;

/// A connection whose head is complete, with its place in its source
/// address's count.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    slot: AddressSlot,
}

impl Conn {
    /// The socket (still non-blocking) and the slot to keep while it is
    /// open.
    pub fn into_parts(self) -> (TcpStream, AddressSlot) {
        (self.stream, self.slot)
    }
}

/// What a handler does with a complete head.
pub enum Reply {
    /// The gate writes this answer, then closes.
    Send(Conn, Vec<u8>),
    /// The handler took the connection (to a thread of its own).
    Taken,
}

enum Phase {
    /// The head so far.
    Reading(Vec<u8>),
    Writing {
        out: Vec<u8>,
        sent: usize,
    },
    /// Written and shut for writing: waiting for the peer's close.
    Lingering,
}

struct Held {
    conn: Conn,
    phase: Phase,
    deadline: Instant,
}

/// The accept loop of one listener.
pub struct Gate<'l> {
    listener: &'l TcpListener,
    limits: Limits,
    render: RenderRefusal,
    /// Oldest first.
    held: VecDeque<Held>,
    addresses: Addresses,
    /// After an accept error (EMFILE...), the listener rests until then.
    resting_until: Option<Instant>,
}

impl<'l> Gate<'l> {
    /// `listener` must be non-blocking; `render` writes the gate's own
    /// refusals in the server's style.
    pub fn new(listener: &'l TcpListener, limits: Limits, render: RenderRefusal) -> Gate<'l> {
        Gate {
            listener,
            limits,
            render,
            held: VecDeque::with_capacity(limits.max_pending),
            addresses: Addresses::default(),
            resting_until: None,
        }
    }

    /// Serves until `stop` is set (seen within 100 ms); `handle` gets each
    /// complete head (up to its blank line).
    pub fn run(&mut self, stop: &AtomicBool, mut handle: impl FnMut(Conn, Vec<u8>) -> Reply) {
        while !stop.load(Ordering::Relaxed) {
            self.turn(&mut handle);
        }
    }

    #[cfg(test)]
    pub fn addresses(&self) -> Addresses {
        self.addresses.clone()
    }

    fn turn(&mut self, handle: &mut impl FnMut(Conn, Vec<u8>) -> Reply) {
        let now = Instant::now();
        let accepting = self.resting_until.is_none_or(|t| now >= t);
        let mut fds = Vec::with_capacity(self.held.len() + 1);
        if accepting {
            fds.push(pollfd(self.listener.as_raw_fd(), libc::POLLIN));
        }
        for h in &self.held {
            let events = if matches!(h.phase, Phase::Writing { .. }) { libc::POLLOUT } else { libc::POLLIN };
            fds.push(pollfd(h.conn.stream.as_raw_fd(), events));
        }
        let first_deadline = self.held.iter().map(|h| h.deadline).min();
        let wait = first_deadline.map_or(STOP_POLL, |d| d.saturating_duration_since(now).min(STOP_POLL));
        // Round up: a deadline 0.4 ms away must not spin with timeout 0.
        let ms = wait.as_micros().div_ceil(1000) as libc::c_int;
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs,
        // alive for the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                thread::sleep(STOP_POLL);
            }
            return;
        }
        let (listener_ready, conns) = match fds.split_first() {
            Some((l, rest)) if accepting => (l.revents != 0, rest),
            _ => (false, &fds[..]),
        };
        let held = std::mem::take(&mut self.held);
        for (h, fd) in held.into_iter().zip(conns) {
            if let Some(h) = self.step(h, fd.revents != 0, handle) {
                self.held.push_back(h);
            }
        }
        if listener_ready {
            self.accept();
        }
    }

    /// Moves one connection on; None when it is done with (closed, or
    /// handed to the handler for good).
    fn step(&self, mut h: Held, ready: bool, handle: &mut impl FnMut(Conn, Vec<u8>) -> Reply) -> Option<Held> {
        if ready {
            match &mut h.phase {
                Phase::Reading(buf) => match read_head(&mut h.conn.stream, buf) {
                    Progress::Wait => {}
                    Progress::Gone => return None,
                    Progress::Done(end) => {
                        let mut head = std::mem::take(buf);
                        head.truncate(end);
                        return match handle(h.conn, head) {
                            Reply::Send(conn, out) => self.writing(conn, out),
                            Reply::Taken => None,
                        };
                    }
                    Progress::TooLarge => return self.writing(h.conn, (self.render)(Refusal::TooLarge)),
                },
                Phase::Writing { out, sent } => match write_some(&mut h.conn.stream, out, sent) {
                    Progress::Wait => {}
                    Progress::Done(_) => {
                        let _ = h.conn.stream.shutdown(Shutdown::Write);
                        h.phase = Phase::Lingering;
                        h.deadline = Instant::now() + LINGER;
                    }
                    Progress::Gone | Progress::TooLarge => return None,
                },
                Phase::Lingering => {
                    if !drain(&mut h.conn.stream) {
                        return None;
                    }
                }
            }
        }
        if Instant::now() < h.deadline {
            return Some(h);
        }
        if matches!(h.phase, Phase::Reading(_)) {
            answer_once(&mut h.conn.stream, &(self.render)(Refusal::Timeout));
        }
        None
    }

    /// Holds `conn` to write `out`, trying at once (usually all goes).
    fn writing(&self, conn: Conn, out: Vec<u8>) -> Option<Held> {
        let h = Held {
            conn,
            phase: Phase::Writing { out, sent: 0 },
            deadline: Instant::now() + self.limits.write_deadline,
        };
        let mut no_handler = |_: Conn, _: Vec<u8>| Reply::Taken;
        self.step(h, true, &mut no_handler)
    }

    fn accept(&mut self) {
        for _ in 0..ACCEPTS_PER_TURN {
            match self.listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer.ip()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // Out of descriptors or memory: let the held ones finish.
                    self.resting_until = Some(Instant::now() + STOP_POLL);
                    return;
                }
            }
        }
    }

    fn admit(&mut self, mut stream: TcpStream, peer: IpAddr) {
        if stream.set_nonblocking(true).is_err() {
            return;
        }
        let Some(slot) = self.addresses.take(peer, self.limits.per_address) else {
            answer_once(&mut stream, &(self.render)(Refusal::TooManyFromAddress));
            return;
        };
        if self.held.len() >= self.limits.max_pending {
            // The oldest still reading its head is the likeliest trickler.
            let oldest = self.held.iter().position(|h| matches!(h.phase, Phase::Reading(_))).unwrap_or(0);
            if let Some(mut evicted) = self.held.remove(oldest) {
                answer_once(&mut evicted.conn.stream, &(self.render)(Refusal::Busy));
            }
        }
        self.held.push_back(Held {
            conn: Conn { stream, slot },
            phase: Phase::Reading(Vec::new()),
            deadline: Instant::now() + self.limits.head_deadline,
        });
    }
}

enum Progress {
    /// Nothing more to do until the socket is ready again.
    Wait,
    /// Finished (for a head: where it ends).
    Done(usize),
    /// Closed, reset, or another error.
    Gone,
    TooLarge,
}

fn pollfd(fd: libc::c_int, events: libc::c_short) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

/// Reads what is there into `buf` until the head is complete.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Progress {
    let mut chunk = [0u8; 1024];
    for _ in 0..READS_PER_TURN {
        match stream.read(&mut chunk) {
            Ok(0) => return Progress::Gone,
            Ok(n) => {
                // Only the new bytes (and 3 before them) can complete the end.
                let from = buf.len().saturating_sub(3);
                buf.extend_from_slice(&chunk[..n]);
                match head_end(&buf[from..]).map(|end| from + end) {
                    Some(end) if end <= MAX_HEAD => return Progress::Done(end),
                    Some(_) => return Progress::TooLarge,
                    None => {}
                }
                if buf.len() > MAX_HEAD {
                    return Progress::TooLarge;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Wait,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Progress::Gone,
        }
    }
    Progress::Wait
}

fn write_some(stream: &mut TcpStream, out: &[u8], sent: &mut usize) -> Progress {
    while *sent < out.len() {
        match stream.write(&out[*sent..]) {
            Ok(0) => return Progress::Gone,
            Ok(n) => *sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Wait,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Progress::Gone,
        }
    }
    Progress::Done(*sent)
}

/// Discards what the peer still sends; false once it has closed.
fn drain(stream: &mut TcpStream) -> bool {
    let mut sink = [0u8; 4096];
    for _ in 0..READS_PER_TURN {
        match stream.read(&mut sink) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

/// One non-blocking write of a short answer before closing: what does not
/// fit in the socket buffer at once is not waited for.
fn answer_once(stream: &mut TcpStream, out: &[u8]) {
    let _ = stream.write(out);
}
