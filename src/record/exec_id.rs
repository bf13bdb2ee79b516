//! `exec_id`: the name of one exec (one program image a process ran), 32
//! lowercase hex digits, unique across hosts, boots and sensor restarts.
//! Derived by `process::exec_ids`; held inline so that copying it into
//! every record costs no allocation.

use std::fmt;

/// Hex digits in an exec id (128 bits).
pub const EXEC_ID_LEN: usize = 32;

/// One exec's id: always [`EXEC_ID_LEN`] lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExecId([u8; EXEC_ID_LEN]);

impl ExecId {
    /// The id whose 16 bytes are `bytes`.
    pub fn from_bytes(bytes: &[u8; EXEC_ID_LEN / 2]) -> ExecId {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; EXEC_ID_LEN];
        for (i, b) in bytes.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 0xf)];
        }
        ExecId(out)
    }

    /// Reads an id as a record writes it; None unless it is exactly
    /// [`EXEC_ID_LEN`] lowercase hex digits.
    pub fn parse(s: &str) -> Option<ExecId> {
        let bytes: [u8; EXEC_ID_LEN] = s.as_bytes().try_into().ok()?;
        bytes.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)).then_some(ExecId(bytes))
    }

    pub fn as_str(&self) -> &str {
        // only ever built from hex digits (from_bytes, parse)
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for ExecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExecId({})", self.as_str())
    }
}

impl fmt::Display for ExecId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = ExecId::from_bytes(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0, 0, 0xff, 0x10]);
        assert_eq!(id.as_str(), "0123456789abcdef000000000000ff10");
        assert_eq!(ExecId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn parse_refuses_what_the_sensor_never_writes() {
        for bad in ["", "0123", "0123456789ABCDEF000000000000ff10", "0123456789abcdef000000000000ff1g", &"a".repeat(33)]
        {
            assert_eq!(ExecId::parse(bad), None, "{bad:?}");
        }
    }
}
