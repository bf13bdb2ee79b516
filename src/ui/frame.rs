//! Owns how a line of JSON becomes one Server-Sent Events frame
//! (`event:` + a single `data:` line). The bottom floor of the dashboard:
//! the hub keeps lines already cut to one line, the stream frames them.

use std::borrow::Cow;

/// `s` as one line: an SSE `data:` line is cut by a raw CR or LF, so any
/// (none should reach here: JSON writers escape them) become spaces,
/// which keeps JSON valid (raw control characters are not allowed inside
/// JSON strings, and are whitespace outside them).
pub fn one_line(s: &str) -> Cow<'_, str> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    if s.contains(['\n', '\r']) {
        Cow::Owned(s.replace(['\n', '\r'], " "))
    } else {
        Cow::Borrowed(s)
    }
}

/// Appends one event.
pub fn event(buf: &mut Vec<u8>, name: &str, data: &str) {
    buf.extend_from_slice(b"event: ");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\ndata: ");
    buf.extend_from_slice(one_line(data).as_bytes());
    buf.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_framed_on_single_data_lines() {
        let mut buf = Vec::new();
        event(&mut buf, "record", "{\"a\":1}\n");
        event(&mut buf, "alert", "{\"a\":\"x\ny\r\"}");
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "event: record\ndata: {\"a\":1}\n\nevent: alert\ndata: {\"a\":\"x y \"}\n\n"
        );
        assert!(matches!(one_line("{}"), Cow::Borrowed("{}")), "no copy when clean");
    }
}
