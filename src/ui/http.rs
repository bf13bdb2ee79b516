//! Owns the dashboard's HTTP/1.1 framing: parsing one bounded request
//! head (read by the shared `httpd` gate), and the responses with the
//! headers every answer carries. One request per connection
//! (`Connection: close`); no bodies are read.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::httpd::reason;
pub use crate::httpd::MAX_HEAD;

/// The page's Content-Security-Policy: its own script and style only, no
/// inline code, no framing, connections back to this server only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                       img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers on every response: nothing is cached, sniffed, framed or leaked
/// through a Referer (the token travels in the query).
const COMMON: &str = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\
                      Referrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\nConnection: close\r\n";

#[derive(Debug)]
pub enum HeadError {
    /// Over `MAX_HEAD` bytes without the blank line ending the head.
    TooLarge,
    /// Not an HTTP/1.x request head.
    Malformed(&'static str),
}

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path, not decoded (the routes are plain ASCII).
    pub path: String,
    /// The query string after `?`, raw.
    pub query: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (case-insensitive), the first if repeated.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The percent-decoded value of query parameter `name`, the first if repeated.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k)? == name).then(|| percent_decode(v)).flatten()
        })
    }

    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// Parses a request head, up to and including its blank line.
pub fn parse_head(head: &[u8]) -> Result<Request, HeadError> {
    if head.len() > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let text = std::str::from_utf8(head).map_err(|_| HeadError::Malformed("the request head is not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed("the request line is not `METHOD TARGET HTTP/1.x`"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(HeadError::Malformed("bad method"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(HeadError::Malformed("only HTTP/1.0 and HTTP/1.1 are spoken here"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(HeadError::Malformed("the request target must be a path"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(HeadError::Malformed("a header line without `:`"));
        };
        if name.is_empty() || name.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(HeadError::Malformed("bad header name"));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(Request { method: method.to_owned(), path: path.to_owned(), query: query.to_owned(), headers })
}

/// `%XX` decoding (`+` stays `+`); None for a bad escape or non-UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Cow<'static, [u8]>,
    /// Extra header lines, each `Name: value`.
    pub headers: Vec<String>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Cow<'static, [u8]>>) -> Response {
        Response { status, content_type, body: body.into(), headers: Vec::new() }
    }

    /// A short plain-text answer (errors).
    pub fn text(status: u16, body: &'static str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body.as_bytes())
    }

    pub fn json(body: Vec<u8>) -> Response {
        Response::new(200, "application/json", body)
    }

    pub fn with_header(mut self, line: impl Into<String>) -> Response {
        self.headers.push(line.into());
        self
    }

    /// Writes the response; `head_only` (a HEAD request) leaves the body out
    /// but keeps its Content-Length.
    pub fn write_to(&self, w: &mut impl Write, head_only: bool) -> io::Result<()> {
        w.write_all(&self.to_bytes(head_only))?;
        w.flush()
    }

    /// The response as sent.
    pub fn to_bytes(&self, head_only: bool) -> Vec<u8> {
        let mut out = status_head(self.status, self.content_type);
        out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        for h in &self.headers {
            out.push_str(h);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// The status line, Content-Type and the common headers (and the CSP for
/// HTML), without the blank line: a stream's head is this plus `\r\n`.
pub fn status_head(status: u16, content_type: &str) -> String {
    let mut out = format!("HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\n{COMMON}", reason(status));
    if content_type.starts_with("text/html") {
        out.push_str(&format!("Content-Security-Policy: {CSP}\r\n"));
    }
    out
}

/// Parses the head at the start of `text` (what follows it is left out),
/// as the gate hands it over.
#[cfg(test)]
pub fn parse_text(text: &str) -> Result<Request, HeadError> {
    let bytes = text.as_bytes();
    parse_head(&bytes[..crate::httpd::head_end(bytes).unwrap_or(bytes.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Request, HeadError> {
        parse_text(text)
    }

    #[test]
    fn parses_method_path_query_and_headers() {
        let r = parse(
            "GET /api/process/42?token=abc%2Bd&x=1 HTTP/1.1\r\nHost: h\r\nAuthorization:  Bearer t0k \r\n\r\nbody",
        )
        .expect("parse");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/api/process/42"));
        assert_eq!(r.query_param("token").as_deref(), Some("abc+d"));
        assert_eq!(r.query_param("x").as_deref(), Some("1"));
        assert_eq!(r.query_param("y"), None);
        assert_eq!(r.header("authorization"), Some("Bearer t0k"));
        assert_eq!(r.header("host"), Some("h"));
        assert!(!r.is_head());
        let r = parse("HEAD / HTTP/1.0\n\n").expect("bare LF");
        assert!(r.is_head());
        assert_eq!((r.path.as_str(), r.query.as_str()), ("/", ""));
    }

    #[test]
    fn refuses_malformed_and_oversized_heads() {
        for bad in [
            "GET\r\n\r\n",
            "GET / HTTP/2\r\n\r\n",
            "get / HTTP/1.1\r\n\r\n",
            "GET http://x/ HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1 extra\r\n\r\n",
            "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
            "GET /\u{e9} HTTP/1.1\r\n\r\n",
        ] {
            assert!(matches!(parse(bad), Err(HeadError::Malformed(_))), "{bad:?}");
        }
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(parse(&big), Err(HeadError::TooLarge)));
    }

    #[test]
    fn percent_coding_round_trips_and_refuses_bad_escapes() {
        let token = "a+b/c d%e&f=g~_.-Z9";
        assert_eq!(percent_decode(&percent_encode(token)).as_deref(), Some(token));
        assert_eq!(percent_encode("ab-_.~"), "ab-_.~");
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
    }

    #[test]
    fn responses_carry_the_security_headers() {
        let mut out = Vec::new();
        Response::new(200, "text/html; charset=utf-8", &b"<p>"[..]).write_to(&mut out, false).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        for h in [
            "Cache-Control: no-store\r\n",
            "X-Content-Type-Options: nosniff\r\n",
            "Referrer-Policy: no-referrer\r\n",
            "X-Frame-Options: DENY\r\n",
            "Content-Length: 3\r\n",
            &format!("Content-Security-Policy: {CSP}\r\n"),
        ] {
            assert!(text.contains(h), "{h:?} missing from {text}");
        }
        assert!(text.ends_with("\r\n\r\n<p>"));
        let mut out = Vec::new();
        Response::text(401, "no\n").write_to(&mut out, true).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("Content-Length: 3\r\n") && text.ends_with("\r\n\r\n"), "HEAD has no body: {text}");
        assert!(!text.contains("Content-Security-Policy"), "CSP is for HTML: {text}");
    }
}
