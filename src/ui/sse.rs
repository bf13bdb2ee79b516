//! Owns one viewer's Server-Sent Events stream: `hello`, the history
//! replayed, then live `record`/`alert`/`health` events from its queue,
//! `stats` every second, `dropped` when it lost records, and a keepalive
//! comment when idle. A write that blocks for the socket's write timeout
//! ends the stream (the viewer is stuck); the sensor never waits for it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;

use super::context::{stats_json, Context};
use super::frame::event;
use super::hub::Client;
use crate::record::json::ObjectWriter;

/// How often a `stats` event is sent.
pub const STATS_EVERY: Duration = Duration::from_secs(1);
/// Idle time before a `: keepalive` comment.
pub const KEEPALIVE_AFTER: Duration = Duration::from_secs(15);
/// How often the stop flag is checked while the queue is empty.
const POLL: Duration = Duration::from_millis(200);
/// Bytes gathered before a write.
const WRITE_CHUNK: usize = 64 * 1024;
/// A viewer that has not taken one chunk within this long is stuck and
/// is disconnected (its socket's write timeout is shorter, so the stop
/// flag is seen while waiting).
pub const STUCK_AFTER: Duration = Duration::from_secs(10);

fn hello(cx: &Context<'_>, client: &Client) -> String {
    let mut out = Vec::new();
    let mut w = ObjectWriter::begin(&mut out);
    w.str("version", env!("CARGO_PKG_VERSION"));
    w.str("host", cx.host);
    w.u64("history", client.replay.len() as u64);
    w.u64("history_max", cx.hub.limits().history as u64);
    w.u64("client_buffer", cx.hub.limits().client_buffer as u64);
    w.end();
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes all of `buf`, or fails once it has not all gone within
/// `STUCK_AFTER` (a trickle of progress does not reset the clock) or the
/// sensor stops.
fn send(conn: &mut impl Write, buf: &[u8], stop: &AtomicBool) -> io::Result<()> {
    let deadline = Instant::now() + STUCK_AFTER;
    let mut off = 0;
    while off < buf.len() {
        match conn.write(&buf[off..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => off += n,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if off < buf.len() && (Instant::now() >= deadline || stop.load(Ordering::Relaxed)) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the viewer stopped reading"));
        }
    }
    Ok(())
}

/// Serves the stream until the viewer goes away, gets stuck, or the
/// sensor stops. The response head has been written by the caller.
pub fn run(conn: &mut impl Write, mut client: Client, cx: &Context<'_>) -> io::Result<()> {
    let mut buf = Vec::with_capacity(WRITE_CHUNK);
    event(&mut buf, "hello", &hello(cx, &client));
    // Taken, so the replayed records are not held for the whole stream.
    for item in std::mem::take(&mut client.replay) {
        event(&mut buf, item.event(), item.data());
        if buf.len() >= WRITE_CHUNK {
            send(conn, &buf, cx.stop)?;
            buf.clear();
        }
    }
    let mut next_stats = Instant::now();
    let mut last_write = Instant::now();
    let mut reported = 0;
    while !cx.stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= next_stats {
            event(&mut buf, "stats", &stats_json(&(cx.snapshot)(), cx.host, client.dropped()));
            next_stats = now + STATS_EVERY;
        }
        if buf.is_empty() && now.duration_since(last_write) >= KEEPALIVE_AFTER {
            buf.extend_from_slice(b": keepalive\n\n");
        }
        if !buf.is_empty() {
            send(conn, &buf, cx.stop)?;
            buf.clear();
            last_write = Instant::now();
        }
        let wait = next_stats.saturating_duration_since(Instant::now()).min(POLL);
        match client.rx.recv_timeout(wait) {
            Ok(item) => {
                event(&mut buf, item.event(), item.data());
                while buf.len() < WRITE_CHUNK {
                    let Ok(item) = client.rx.try_recv() else { break };
                    event(&mut buf, item.event(), item.data());
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Caught up: say what was lost since the last report.
        let dropped = client.dropped();
        if dropped > reported && client.rx.is_empty() {
            event(&mut buf, "dropped", &format!("{{\"dropped\":{dropped}}}"));
            reported = dropped;
        }
    }
    send(conn, &buf, cx.stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `room` bytes, then blocks (times out) forever.
    struct Stuck {
        room: usize,
        took: usize,
    }

    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.took >= self.room {
                std::thread::sleep(Duration::from_millis(100));
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.room - self.took).min(7);
            self.took += n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_write_that_does_not_finish_fails_on_stop_and_partial_writes_go_on() {
        let stop = AtomicBool::new(false);
        let mut w = Stuck { room: 100, took: 0 };
        send(&mut w, &[b'x'; 100], &stop).expect("partial writes add up");
        assert_eq!(w.took, 100);
        stop.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let err = send(&mut w, b"more", &stop).expect_err("stuck");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(1), "gives up at the stop flag");
    }
}
