//! Kernel time to wall-clock time, and RFC 3339 formatting.

/// Converts CLOCK_BOOTTIME nanoseconds (what the BPF side stamps) to
/// nanoseconds since the Unix epoch, using the offset between the two clocks
/// measured once at start.
#[derive(Clone, Copy, Debug)]
pub struct BootClock {
    offset_ns: i128,
}

impl BootClock {
    pub fn measure() -> BootClock {
        let real = clock_ns(libc::CLOCK_REALTIME);
        let boot = clock_ns(libc::CLOCK_BOOTTIME);
        BootClock { offset_ns: real as i128 - boot as i128 }
    }

    /// A clock with a fixed offset (tests, replay).
    pub fn with_offset(offset_ns: i128) -> BootClock {
        BootClock { offset_ns }
    }

    pub fn to_wall_ns(self, boot_ns: u64) -> u64 {
        (boot_ns as i128 + self.offset_ns).clamp(0, u64::MAX as i128) as u64
    }

    pub fn now_boot_ns() -> u64 {
        clock_ns(libc::CLOCK_BOOTTIME)
    }
}

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer; both clocks always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Writes `ns` since the epoch as `2026-11-22T09:19:47.123456789Z`.
/// Digits by hand: this runs for every record.
pub fn write_rfc3339(out: &mut Vec<u8>, ns: u64) {
    let secs = ns / 1_000_000_000;
    let mut b = *b"0000-00-00T00:00:00.000000000Z";
    // Records come in bursts within one second: the date and time part is
    // computed once per second per thread.
    let head = LAST_SECOND.with(|last| {
        let (s, head) = last.get();
        if s == secs {
            return head;
        }
        let head = date_time(secs);
        last.set((secs, head));
        head
    });
    b[..19].copy_from_slice(&head);
    put_digits(&mut b[20..29], ns % 1_000_000_000);
    out.extend_from_slice(&b);
}

thread_local! {
    static LAST_SECOND: std::cell::Cell<(u64, [u8; 19])> = const { std::cell::Cell::new((u64::MAX, [0; 19])) };
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` since the epoch.
fn date_time(secs: u64) -> [u8; 19] {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let mut b = *b"0000-00-00T00:00:00";
    put_digits(&mut b[0..4], y.clamp(0, 9999) as u64);
    put_digits(&mut b[5..7], m.into());
    put_digits(&mut b[8..10], d.into());
    put_digits(&mut b[11..13], rem / 3600);
    put_digits(&mut b[14..16], rem % 3600 / 60);
    put_digits(&mut b[17..19], rem % 60);
    b
}

/// `v` as decimal filling `to`, zero-padded on the left.
fn put_digits(to: &mut [u8], mut v: u64) {
    for c in to.iter_mut().rev() {
        *c = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, UTC).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ns: u64) -> String {
        let mut v = Vec::new();
        write_rfc3339(&mut v, ns);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn formats_epoch_and_known_instants() {
        assert_eq!(fmt(0), "1970-01-01T00:00:00.000000000Z");
        // date -u -d @1795338000 -> Sun Nov 22 09:00:00 UTC 2026
        assert_eq!(fmt(1_795_338_000_123_456_789), "2026-11-22T09:00:00.123456789Z");
        // leap day
        assert_eq!(fmt(951_782_400_000_000_001), "2000-02-29T00:00:00.000000001Z");
    }

    #[test]
    fn the_per_second_cache_never_leaks_into_another_second() {
        let a = 1_795_338_000_999_999_999;
        for _ in 0..2 {
            assert_eq!(fmt(a), "2026-11-22T09:00:00.999999999Z");
            assert_eq!(fmt(a + 1), "2026-11-22T09:00:01.000000000Z");
            assert_eq!(fmt(a - 86_400_000_000_000), "2026-11-21T09:00:00.999999999Z");
        }
    }

    #[test]
    fn boot_clock_offsets() {
        let c = BootClock::with_offset(1_000);
        assert_eq!(c.to_wall_ns(5), 1_005);
        let c = BootClock::with_offset(-10);
        assert_eq!(c.to_wall_ns(5), 0);
    }
}
