//! Owns the `file_utimes` body beyond the path every file record has: the
//! access and modification times a file was given, and their JSON.

use super::json::ObjectWriter;

/// utimensat's markers in a timespec's nsec (include/uapi/linux/stat.h).
pub const UTIME_NOW: i64 = (1 << 30) - 1;
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// AT_* flags a file_utimes record names: AT_SYMLINK_NOFOLLOW as the caller
/// passed it, AT_EMPTY_PATH when the file was the fd's (no path looked up).
pub const UTIMES_FLAGS: [(u32, &str); 2] = [(0x100, "AT_SYMLINK_NOFOLLOW"), (0x1000, "AT_EMPTY_PATH")];
const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
const AT_EMPTY_PATH: u32 = 0x1000;

/// What a call did to one of the two times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSet {
    /// Set to this time: seconds since the epoch (negative before 1970)
    /// and nanoseconds.
    At { sec: i64, nsec: u32 },
    /// Set to the current time: UTIME_NOW, or a NULL times argument.
    Now,
    /// Left as it was: UTIME_OMIT.
    Omit,
}

impl TimeSet {
    /// From a timespec as the kernel took it (nsec may be a marker).
    pub fn from_raw(sec: i64, nsec: i64) -> TimeSet {
        match nsec {
            UTIME_NOW => TimeSet::Now,
            UTIME_OMIT => TimeSet::Omit,
            n => TimeSet::At { sec, nsec: n.clamp(0, 999_999_999) as u32 },
        }
    }

    /// The record's `atime_set` / `mtime_set`.
    pub fn name(self) -> &'static str {
        match self {
            TimeSet::At { .. } => "time",
            TimeSet::Now => "UTIME_NOW",
            TimeSet::Omit => "UTIME_OMIT",
        }
    }

    /// The time as ns since the epoch, when it is one that RFC 3339 output
    /// can show (1970 to 2554); None for the markers and anything else.
    pub fn epoch_ns(self) -> Option<u64> {
        match self {
            TimeSet::At { sec, nsec } => u64::try_from(sec).ok()?.checked_mul(1_000_000_000)?.checked_add(nsec.into()),
            TimeSet::Now | TimeSet::Omit => None,
        }
    }
}

/// utimensat, utimes, futimesat or utime that succeeded.
#[derive(Clone, Debug, PartialEq)]
pub struct Utimes {
    /// None for both when the sensor could not read the times argument
    /// (`times_unread`): never a guessed value.
    pub atime: Option<TimeSet>,
    pub mtime: Option<TimeSet>,
    /// The times argument was NULL: both set to the current time.
    pub times_null: bool,
    /// UTIMES_FLAGS bits.
    pub flags: u32,
    /// Seconds from the new mtime back to the event (negative: into the
    /// future); None unless mtime was set to an explicit time.
    pub mtime_age_s: Option<i64>,
}

impl Utimes {
    /// The body of a call at `event_ns` (ns since the epoch).
    pub fn new(atime: Option<TimeSet>, mtime: Option<TimeSet>, times_null: bool, flags: u32, event_ns: u64) -> Utimes {
        let mtime_age_s = match mtime {
            Some(TimeSet::At { sec, .. }) => Some(((event_ns / 1_000_000_000) as i64).saturating_sub(sec)),
            _ => None,
        };
        Utimes { atime, mtime, times_null, flags, mtime_age_s }
    }

    pub fn times_unread(&self) -> bool {
        self.atime.is_none() || self.mtime.is_none()
    }

    /// Whether a symlink at the path was followed; None when the file was
    /// the fd's (no path was looked up).
    pub fn follow_symlinks(&self) -> Option<bool> {
        (self.flags & AT_EMPTY_PATH == 0).then_some(self.flags & AT_SYMLINK_NOFOLLOW == 0)
    }
}

/// The flag names of `flags`, in table order.
pub fn utimes_flag_names(flags: u32) -> impl Iterator<Item = &'static str> {
    UTIMES_FLAGS.iter().filter(move |(bit, _)| flags & bit != 0).map(|(_, n)| *n)
}

/// The type's fields after `path`: each time as an RFC 3339 string, its
/// seconds and nanoseconds and how it was set, then the derived fields.
pub fn write_utimes(w: &mut ObjectWriter<'_>, u: &Utimes) {
    for (t, [key, sec, nsec, set]) in [
        (u.atime, ["atime", "atime_sec", "atime_nsec", "atime_set"]),
        (u.mtime, ["mtime", "mtime_sec", "mtime_nsec", "mtime_set"]),
    ] {
        match t.and_then(TimeSet::epoch_ns) {
            Some(ns) => w.timestamp(key, ns),
            None => w.null(key),
        }
        match t {
            Some(TimeSet::At { sec: s, nsec: n }) => {
                w.i64(sec, s);
                w.u64(nsec, n.into());
            }
            _ => {
                w.null(sec);
                w.null(nsec);
            }
        }
        match t {
            Some(t) => w.lit(set, t.name()),
            None => w.null(set),
        }
    }
    match u.mtime_age_s {
        Some(a) => w.i64("mtime_age_s", a),
        None => w.null("mtime_age_s"),
    }
    w.bool("times_null", u.times_null);
    w.bool("times_unread", u.times_unread());
    w.lit_array("flags", utimes_flag_names(u.flags));
    match u.follow_symlinks() {
        Some(f) => w.bool("follow_symlinks", f),
        None => w.null("follow_symlinks"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_ages_and_the_times_rfc3339_can_show() {
        assert_eq!(TimeSet::from_raw(5, UTIME_NOW), TimeSet::Now);
        assert_eq!(TimeSet::from_raw(5, UTIME_OMIT), TimeSet::Omit);
        assert_eq!(TimeSet::from_raw(5, 7), TimeSet::At { sec: 5, nsec: 7 });
        assert_eq!(TimeSet::At { sec: 2, nsec: 3 }.epoch_ns(), Some(2_000_000_003));
        assert_eq!(TimeSet::At { sec: -1, nsec: 0 }.epoch_ns(), None, "before 1970");
        assert_eq!(TimeSet::At { sec: i64::MAX, nsec: 0 }.epoch_ns(), None, "after 2554");
        let day = 86_400;
        let u = Utimes::new(
            Some(TimeSet::Now),
            Some(TimeSet::At { sec: 10 * day, nsec: 0 }),
            false,
            0,
            40 * day as u64 * 1_000_000_000,
        );
        assert_eq!((u.mtime_age_s, u.times_unread(), u.follow_symlinks()), (Some(30 * day), false, Some(true)));
        let u = Utimes::new(None, None, false, 0x1100, 0);
        assert_eq!((u.mtime_age_s, u.times_unread(), u.follow_symlinks()), (None, true, None));
        assert_eq!(utimes_flag_names(0x1100).collect::<Vec<_>>(), ["AT_SYMLINK_NOFOLLOW", "AT_EMPTY_PATH"]);
    }
}
