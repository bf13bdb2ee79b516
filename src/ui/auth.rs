//! Owns the dashboard's access token: generating one from the kernel's
//! CSPRNG, finding the one a request presents (`?token=` or
//! `Authorization: Bearer`), and comparing them in constant time.

use std::io;

use super::http::Request;

/// Bytes of randomness in a generated token (32 hex characters).
const TOKEN_BYTES: usize = 16;

/// A fresh token: 32 lowercase hex characters from getrandom(2).
pub fn generate_token() -> io::Result<String> {
    let mut buf = [0u8; TOKEN_BYTES];
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let n = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), buf.len() - filled, 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        filled += n as usize;
    }
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `req` presents `token`, in the query or as a bearer token.
pub fn authorized(req: &Request, token: &str) -> bool {
    let query = req.query_param("token").is_some_and(|t| equal(t.as_bytes(), token.as_bytes()));
    let bearer = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .is_some_and(|t| equal(t.trim().as_bytes(), token.as_bytes()));
    query | bearer
}

/// Compares without an early exit, so the time taken does not tell how
/// many leading characters of a guess were right.
pub fn equal(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = given.len() ^ expected.len();
    for (i, e) in expected.iter().enumerate() {
        // Past the end of `given`, compare against 0 and keep the work the same.
        let g = given.get(i).copied().unwrap_or(0);
        diff |= usize::from(g ^ e);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::super::http::parse_text;
    use super::*;

    fn req(text: &str) -> Request {
        parse_text(text).expect("parse")
    }

    #[test]
    fn constant_time_compare_is_exact() {
        assert!(equal(b"0123456789abcdef", b"0123456789abcdef"));
        assert!(!equal(b"0123456789abcdeF", b"0123456789abcdef"));
        assert!(!equal(b"0123456789abcde", b"0123456789abcdef"), "a prefix");
        assert!(!equal(b"0123456789abcdef0", b"0123456789abcdef"), "longer");
        assert!(!equal(b"", b"0123456789abcdef"));
        assert!(!equal(b"0123456789abcde\0", b"0123456789abcde"), "a NUL past the end");
    }

    #[test]
    fn token_is_taken_from_the_query_or_a_bearer_header() {
        let t = "s3cret-token-1234";
        assert!(authorized(&req(&format!("GET /?token={t} HTTP/1.1\r\n\r\n")), t));
        assert!(authorized(&req(&format!("GET /?a=1&token={t} HTTP/1.1\r\n\r\n")), t));
        assert!(authorized(&req(&format!("GET / HTTP/1.1\r\nAuthorization: Bearer {t}\r\n\r\n")), t));
        assert!(!authorized(&req("GET / HTTP/1.1\r\n\r\n"), t), "missing");
        assert!(!authorized(&req("GET /?token=wrong-token-12345 HTTP/1.1\r\n\r\n"), t), "wrong");
        assert!(!authorized(&req("GET /?token= HTTP/1.1\r\n\r\n"), t), "empty");
        assert!(!authorized(&req(&format!("GET / HTTP/1.1\r\nAuthorization: Basic {t}\r\n\r\n")), t), "not bearer");
        assert!(!authorized(&req(&format!("GET /?tok={t} HTTP/1.1\r\n\r\n")), t), "another parameter");
    }

    #[test]
    fn generated_tokens_are_32_hex_and_differ() {
        let a = generate_token().expect("getrandom");
        let b = generate_token().expect("getrandom");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
        assert_ne!(a, b);
    }
}
