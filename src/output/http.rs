//! Owns the http output: records batched into one POST (NDJSON,
//! Elasticsearch/OpenSearch `_bulk`, or Splunk HEC shape), gzip-compressed,
//! retried with doubling backoff; a batch given up is counted as failed.
//!
//! HTTP/1.1 over a plain `TcpStream`, one connection per request
//! (`Connection: close`): a handful of requests per second at most, and no
//! client crate to audit. TLS is left to a local forwarder (see
//! docs/outputs.md).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::{ErrorLog, LineKind, OutputStats, Pending, Sink};
use crate::config::{HttpFormat, HttpSpec};

const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct HttpSink {
    name: String,
    spec: HttpSpec,
    host: String,
    pending: Pending,
    /// When the oldest pending record arrived.
    since: Option<Instant>,
    errors: ErrorLog,
}

/// Why one attempt failed, and whether trying again can help.
#[derive(Debug)]
enum Attempt {
    Retry(String),
    GiveUp(String),
}

/// Builds the request body for `lines` (each ending in a newline).
pub fn body(spec: &HttpSpec, host: &str, lines: &[u8], ends: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.len() + ends.len() * 64);
    let mut start = 0;
    for &end in ends {
        let line = &lines[start..end];
        start = end;
        let record = line.strip_suffix(b"\n").unwrap_or(line);
        match spec.format {
            HttpFormat::Ndjson => out.extend_from_slice(record),
            HttpFormat::Elasticsearch => {
                out.extend_from_slice(b"{\"create\":{\"_index\":");
                crate::record::json::write_str(
                    &mut out,
                    spec.index.as_deref().unwrap_or(crate::config::output_defaults::INDEX),
                );
                out.extend_from_slice(b"}}\n");
                out.extend_from_slice(record);
            }
            HttpFormat::SplunkHec => {
                out.extend_from_slice(b"{\"host\":");
                crate::record::json::write_str(&mut out, host);
                out.extend_from_slice(b",\"sourcetype\":");
                crate::record::json::write_str(&mut out, &spec.sourcetype);
                if let Some(index) = &spec.index {
                    out.extend_from_slice(b",\"index\":");
                    crate::record::json::write_str(&mut out, index);
                }
                out.extend_from_slice(b",\"event\":");
                out.extend_from_slice(record);
                out.push(b'}');
            }
        }
        out.push(b'\n');
    }
    out
}

impl HttpSink {
    pub fn new(name: &str, spec: &HttpSpec, host: &str) -> HttpSink {
        HttpSink {
            name: name.to_owned(),
            spec: spec.clone(),
            host: host.to_owned(),
            pending: Pending::default(),
            since: None,
            errors: ErrorLog::default(),
        }
    }

    fn request(&self, body: &[u8]) -> Vec<u8> {
        let s = &self.spec;
        let content_type = match s.format {
            HttpFormat::Ndjson | HttpFormat::Elasticsearch => "application/x-ndjson",
            HttpFormat::SplunkHec => "application/json",
        };
        let mut req = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: rand-guard/{}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            s.target,
            s.authority,
            env!("CARGO_PKG_VERSION"),
            body.len()
        );
        if s.gzip {
            req.push_str("Content-Encoding: gzip\r\n");
        }
        if let Some(auth) = &s.authorization {
            req.push_str(&format!("Authorization: {auth}\r\n"));
        }
        req.push_str("\r\n");
        let mut out = req.into_bytes();
        out.extend_from_slice(body);
        out
    }

    /// One POST; the status line decides.
    fn attempt(&self, request: &[u8]) -> Result<(), Attempt> {
        let retry = |e: io::Error| Attempt::Retry(format!("{}: {e}", self.spec.authority));
        let addr = self
            .spec
            .authority
            .to_socket_addrs()
            .map_err(retry)?
            .next()
            .ok_or_else(|| Attempt::Retry(format!("{}: no address", self.spec.authority)))?;
        let mut stream = TcpStream::connect_timeout(&addr, self.spec.timeout).map_err(retry)?;
        stream.set_write_timeout(Some(self.spec.timeout)).map_err(retry)?;
        stream.set_read_timeout(Some(self.spec.timeout)).map_err(retry)?;
        stream.write_all(request).map_err(retry)?;
        let mut raw = Vec::new();
        BufReader::new(io::Read::take(&mut stream, 8192)).read_until(b'\n', &mut raw).map_err(retry)?;
        if raw.is_empty() {
            return Err(Attempt::Retry("connection closed without a response".to_owned()));
        }
        let status = String::from_utf8_lossy(&raw);
        let code = status
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| Attempt::Retry(format!("bad response {:?}", status.trim_end())))?;
        match code {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(Attempt::Retry(format!("HTTP {code}"))),
            _ => Err(Attempt::GiveUp(format!("HTTP {code} (not retried)"))),
        }
    }

    /// Posts one batch, retrying; true when it was delivered.
    fn post(&mut self, lines: &[u8], ends: &[usize], until: Option<Instant>) -> bool {
        let mut payload = body(&self.spec, &self.host, lines, ends);
        if self.spec.gzip {
            let mut gz = GzEncoder::new(Vec::with_capacity(payload.len() / 4), Compression::fast());
            match gz.write_all(&payload).and_then(|()| gz.finish()) {
                Ok(z) => payload = z,
                Err(e) => {
                    self.errors.failed(&self.name, format!("gzip: {e}"));
                    return false;
                }
            }
        }
        let request = self.request(&payload);
        let mut backoff = self.spec.retry_backoff;
        let mut tries = 0;
        loop {
            let why = match self.attempt(&request) {
                Ok(()) => {
                    self.errors.recovered(&self.name);
                    return true;
                }
                Err(Attempt::GiveUp(why)) => {
                    self.errors.failed(&self.name, why);
                    return false;
                }
                Err(Attempt::Retry(why)) => why,
            };
            let out_of_time = until.is_some_and(|u| Instant::now() + backoff > u);
            if tries >= self.spec.max_retries || out_of_time {
                self.errors.failed(&self.name, format!("{why}; gave up after {} attempts", tries + 1));
                return false;
            }
            tries += 1;
            thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

impl Sink for HttpSink {
    fn push(&mut self, line: &[u8], _: LineKind, _: &OutputStats) {
        self.since.get_or_insert_with(Instant::now);
        self.pending.push(line);
    }

    fn flush(&mut self, stats: &OutputStats, until: Option<Instant>) {
        let full = self.pending.records >= self.spec.batch_max_records as u64;
        let due = self.since.is_some_and(|t| t.elapsed() >= self.spec.batch_max_wait);
        if self.pending.records == 0 || !(full || due || until.is_some()) {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        self.since = None;
        let mut start = 0;
        for ends in pending.ends.chunks(self.spec.batch_max_records) {
            let Some(&last) = ends.last() else { continue };
            let rebased: Vec<usize> = ends.iter().map(|e| e - start).collect();
            let n = ends.len() as u64;
            if self.post(&pending.buf[start..last], &rebased, until) {
                stats.sent(n);
            } else {
                stats.failed(n);
            }
            start = last;
        }
        self.pending = pending;
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: HttpFormat, index: Option<&str>) -> HttpSpec {
        HttpSpec {
            authority: "127.0.0.1:1".into(),
            target: "/".into(),
            format,
            index: index.map(str::to_owned),
            sourcetype: "rand-guard".into(),
            authorization: None,
            gzip: false,
            batch_max_records: 10,
            batch_max_wait: Duration::from_millis(10),
            max_retries: 0,
            retry_backoff: Duration::from_millis(1),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn body_shapes() {
        let lines = b"{\"a\":1}\n{\"b\":2}\n";
        let ends = [8, 16];
        let nd = body(&spec(HttpFormat::Ndjson, None), "h", lines, &ends);
        assert_eq!(nd, lines);
        let es = body(&spec(HttpFormat::Elasticsearch, None), "h", lines, &ends);
        assert_eq!(
            String::from_utf8(es).unwrap(),
            "{\"create\":{\"_index\":\"rand-guard\"}}\n{\"a\":1}\n{\"create\":{\"_index\":\"rand-guard\"}}\n{\"b\":2}\n"
        );
        let hec = body(&spec(HttpFormat::SplunkHec, Some("main")), "h", lines, &ends);
        assert_eq!(
            String::from_utf8(hec).unwrap(),
            "{\"host\":\"h\",\"sourcetype\":\"rand-guard\",\"index\":\"main\",\"event\":{\"a\":1}}\n\
             {\"host\":\"h\",\"sourcetype\":\"rand-guard\",\"index\":\"main\",\"event\":{\"b\":2}}\n"
        );
    }
}
