//! Receivers for the output tests: an HTTP server on loopback that records
//! every request (gunzipped) and answers as told.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// Decompressed when the request said gzip.
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn lines(&self) -> Vec<Value> {
        String::from_utf8(self.body.clone())
            .expect("utf-8 body")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
            .collect()
    }
}

/// An HTTP server on a free loopback port; `status(n)` answers the n-th request.
pub fn http_server(status: impl Fn(usize) -> u16 + Send + 'static) -> (u16, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    (port, serve(listener, status))
}

/// The same server on `port`, which a receiver that was down comes back on.
pub fn http_server_on(port: u16, status: impl Fn(usize) -> u16 + Send + 'static) -> Arc<Mutex<Vec<Request>>> {
    serve(TcpListener::bind(("127.0.0.1", port)).expect("bind the receiver's port"), status)
}

fn serve(listener: TcpListener, status: impl Fn(usize) -> u16 + Send + 'static) -> Arc<Mutex<Vec<Request>>> {
    let seen: Arc<Mutex<Vec<Request>>> = Arc::default();
    let s = seen.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(conn) = conn else { continue };
            let mut r = BufReader::new(conn);
            let mut line = String::new();
            r.read_line(&mut line).expect("request line");
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                r.read_line(&mut h).expect("header");
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').expect("header colon");
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().expect("length"))
                .unwrap_or(0);
            let mut body = vec![0; len];
            r.read_exact(&mut body).expect("body");
            let gz = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-encoding") && v == "gzip");
            if gz {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out).expect("gunzip");
                body = out;
            }
            let code = status(n);
            s.lock().expect("lock").push(Request { path, headers, body });
            let mut conn = r.into_inner();
            let _ = write!(conn, "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
        }
    });
    seen
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// The health record's counters of output `name`.
pub fn output<'a>(health: &'a Value, name: &str) -> &'a Value {
    health["outputs"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["name"] == name))
        .unwrap_or_else(|| panic!("no output {name} in {health}"))
}
