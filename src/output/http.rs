//! Owns the http output's protocol: records batched into one POST (NDJSON,
//! Elasticsearch/OpenSearch `_bulk`, or Splunk HEC shape), gzip-compressed.
//! Batching, retries and the spool are `net`'s.
//!
//! HTTP/1.1 over a plain `TcpStream`, one connection per request
//! (`Connection: close`): a handful of requests per second at most, and no
//! client crate to audit. TLS is left to a local forwarder (see
//! docs/outputs.md).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::lines::Lines;
use super::net::{Attempt, Delivery, Transport};
use crate::config::{HttpFormat, HttpSpec};

/// One POST per batch, over a fresh connection.
pub struct HttpTransport {
    spec: HttpSpec,
    host: String,
}

/// The batching and retry settings an http output's keys give.
pub fn delivery(spec: &HttpSpec) -> Delivery {
    Delivery {
        batch_max_records: spec.batch_max_records,
        batch_max_wait: spec.batch_max_wait,
        max_retries: spec.max_retries,
        retry_backoff: spec.retry_backoff,
    }
}

/// Builds the request body for `lines`.
pub fn body(spec: &HttpSpec, host: &str, lines: &Lines) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.bytes() + lines.len() * 64);
    for (line, _) in lines.iter() {
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

impl HttpTransport {
    pub fn new(spec: &HttpSpec, host: &str) -> HttpTransport {
        HttpTransport { spec: spec.clone(), host: host.to_owned() }
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
}

impl Transport for HttpTransport {
    fn send(&mut self, lines: &Lines) -> Result<u64, Attempt> {
        let mut payload = body(&self.spec, &self.host, lines);
        if self.spec.gzip {
            let mut gz = GzEncoder::new(Vec::with_capacity(payload.len() / 4), Compression::fast());
            payload =
                gz.write_all(&payload).and_then(|()| gz.finish()).map_err(|e| Attempt::GiveUp(format!("gzip: {e}")))?;
        }
        self.attempt(&self.request(&payload)).map(|()| 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
        let raw = b"{\"a\":1}\n{\"b\":2}\n";
        let mut lines = Lines::default();
        lines.push(b"{\"a\":1}\n", super::super::LineKind::Telemetry);
        lines.push(b"{\"b\":2}\n", super::super::LineKind::Telemetry);
        let nd = body(&spec(HttpFormat::Ndjson, None), "h", &lines);
        assert_eq!(nd, raw);
        let es = body(&spec(HttpFormat::Elasticsearch, None), "h", &lines);
        assert_eq!(
            String::from_utf8(es).unwrap(),
            "{\"create\":{\"_index\":\"rand-guard\"}}\n{\"a\":1}\n{\"create\":{\"_index\":\"rand-guard\"}}\n{\"b\":2}\n"
        );
        let hec = body(&spec(HttpFormat::SplunkHec, Some("main")), "h", &lines);
        assert_eq!(
            String::from_utf8(hec).unwrap(),
            "{\"host\":\"h\",\"sourcetype\":\"rand-guard\",\"index\":\"main\",\"event\":{\"a\":1}}\n\
             {\"host\":\"h\",\"sourcetype\":\"rand-guard\",\"index\":\"main\",\"event\":{\"b\":2}}\n"
        );
    }
}
