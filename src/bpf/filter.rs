//! The kernel half of `[file]` filtering (bpf/filter.bpf.h): which hashes
//! go into the `path_rules` map, and a model of the kernel's decision that
//! tests hold against the exact userspace filter.
//!
//! The kernel filter only has to be conservative: it may keep a path the
//! userspace `PathFilter` then drops, never drop one it would keep.

use crate::config::PathFilter;

pub const F_WATCH: u8 = 1;
pub const F_EXCLUDE: u8 = 2;
pub const F_NAME: u8 = 4;
pub const F_EXT: u8 = 8;

const FNV_INIT: u64 = 0xcbf29ce484222325;
const FNV_PRIME: u64 = 0x100000001b3;
const SALT_NAME: u64 = 0x9e3779b97f4a7c15;
const SALT_EXT: u64 = 0xc2b2ae3d27d4eb4f;
/// Paths longer than this are not scanned by the kernel (kept).
pub const SCAN_MAX: usize = 1024;
/// `path_rules` max_entries in the BPF object.
pub const MAX_RULES: usize = 1024;

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_INIT, |h, &b| (h ^ u64::from(b)).wrapping_mul(FNV_PRIME))
}

/// What the loader writes before load (`.rodata`) and after (`path_rules`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelFilter {
    /// false: the kernel sends every path and userspace filters alone.
    pub enabled: bool,
    /// Every path not excluded is watched.
    pub watch_all: bool,
    pub rules: Vec<(u64, u8)>,
}

impl KernelFilter {
    pub fn from_filter(f: &PathFilter) -> KernelFilter {
        let mut k = KernelFilter { enabled: true, ..KernelFilter::default() };
        let mut add = |key: u64, flag: u8| match k.rules.iter_mut().find(|(h, _)| *h == key) {
            Some((_, flags)) => *flags |= flag,
            None => k.rules.push((key, flag)),
        };
        let dir = |p: &str| p.trim_end_matches('/').to_string();
        for p in f.exclude_paths() {
            let d = dir(p);
            if d.is_empty() {
                // "/" excluded: everything is; rare enough to leave to userspace
                return KernelFilter::default();
            }
            add(fnv1a(d.as_bytes()), F_EXCLUDE);
        }
        let mut watch_all = f.watch_paths().is_empty() && f.watch_patterns().is_empty();
        for p in f.watch_paths() {
            let d = dir(p);
            if d.is_empty() {
                watch_all = true;
            } else {
                add(fnv1a(d.as_bytes()), F_WATCH);
            }
        }
        for pat in f.watch_patterns() {
            match kernel_pattern(pat) {
                Some(KernelPattern::Name(n)) => add(fnv1a(n.as_bytes()) ^ SALT_NAME, F_NAME),
                Some(KernelPattern::Ext(e)) => add(fnv1a(e.as_bytes()) ^ SALT_EXT, F_EXT),
                // a glob the kernel cannot model: keep everything not excluded
                None => watch_all = true,
            }
        }
        k.watch_all = watch_all;
        if k.rules.len() > MAX_RULES {
            return KernelFilter::default();
        }
        k
    }

    /// The kernel's decision for `path`, step for step as filter.bpf.h.
    pub fn keeps(&self, path: &str) -> bool {
        let b = path.as_bytes();
        if !self.enabled || b.len() > SCAN_MAX {
            return true;
        }
        let look = |key: u64| self.rules.iter().find(|(h, _)| *h == key).map_or(0, |(_, f)| *f);
        let (mut h, mut hb, mut he) = (FNV_INIT, FNV_INIT, FNV_INIT);
        // the current component: 0 empty, 1 ".", 2 "..", 3 anything else
        let (mut comp, mut in_ext, mut odd, mut flags) = (0u8, false, false, 0u8);
        for (i, &c) in b.iter().enumerate() {
            if c == b'/' {
                if i > 0 {
                    odd |= comp != 3;
                    flags |= look(h) & (F_WATCH | F_EXCLUDE);
                }
                (hb, he, in_ext, comp) = (FNV_INIT, FNV_INIT, false, 0);
            } else {
                comp = if c == b'.' && comp < 2 { comp + 1 } else { 3 };
                hb = (hb ^ u64::from(c)).wrapping_mul(FNV_PRIME);
                if c == b'.' {
                    he = FNV_INIT;
                    in_ext = true;
                } else if in_ext {
                    he = (he ^ u64::from(c)).wrapping_mul(FNV_PRIME);
                }
            }
            h = (h ^ u64::from(c)).wrapping_mul(FNV_PRIME);
        }
        if b.len() > 1 {
            odd |= comp != 3;
        }
        if odd {
            return true;
        }
        flags |= look(h) & (F_WATCH | F_EXCLUDE);
        if flags & F_EXCLUDE != 0 {
            return false;
        }
        self.watch_all
            || flags & F_WATCH != 0
            || look(hb ^ SALT_NAME) & F_NAME != 0
            || (in_ext && look(he ^ SALT_EXT) & F_EXT != 0)
    }
}

enum KernelPattern<'a> {
    /// A literal file name: `crontab`, `authorized_keys`.
    Name(&'a str),
    /// `*.ext` with a literal extension: the kernel keeps every file whose
    /// last extension is `ext` (a superset of what the glob matches).
    Ext(&'a str),
}

fn kernel_pattern(p: &str) -> Option<KernelPattern<'_>> {
    let literal = |s: &str| !s.is_empty() && !s.contains(['*', '?', '[', ']', '\\', '/']);
    if literal(p) {
        return Some(KernelPattern::Name(p));
    }
    let rest = p.strip_prefix('*')?;
    let ext = rest.rsplit_once('.').map(|(_, e)| e)?;
    // "*.tar.gz" → "gz": every '*' and '.' before the last one only narrows.
    (literal(ext) && rest.starts_with('.') && !rest[1..].contains(['*', '?', '[', '\\']))
        .then_some(KernelPattern::Ext(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(w: &[&str], p: &[&str], x: &[&str]) -> PathFilter {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        PathFilter::new(&v(w), &v(p), &v(x)).expect("filter")
    }

    const PATHS: &[&str] = &[
        "/",
        "/etc",
        "/etc/passwd",
        "/etcetera/x",
        "/etc/cron.d/job",
        "/var/log/syslog",
        "/var/logx/a",
        "/var/log",
        "/home/u/.ssh/authorized_keys",
        "/srv/app/x.service",
        "/srv/app/x.service.bak",
        "/srv/app/.service",
        "/srv/app/service",
        "/srv/crontab",
        "/srv/crontab2",
        "/tmp/a/../../etc/passwd",
        "/tmp//x",
        "/tmp/./x",
        "/tmp/..",
        "/usr/lib/x.tar.gz",
        "/usr/lib/y.gz",
        "/root/.bashrc",
        "/root/..x",
    ];

    /// Whatever userspace keeps, the kernel keeps.
    fn assert_conservative(f: &PathFilter) {
        let k = KernelFilter::from_filter(f);
        for p in PATHS {
            if f.matches(p) {
                assert!(k.keeps(p), "kernel drops {p} that userspace keeps ({k:?})");
            }
        }
    }

    #[test]
    fn kernel_filter_never_drops_what_userspace_keeps() {
        for (w, p, x) in [
            (&["/etc", "/root", "/tmp"][..], &["*.service", "crontab", "authorized_keys"][..], &["/var/log"][..]),
            (&[], &[], &["/var/log"]),
            (&["/"], &[], &["/etc/cron.d"]),
            (&["/usr"], &["*.tar.gz"], &[]),
            (&["/srv"], &["/home/*/.ssh/*"], &["/srv/app"]),
            (&[], &["x?z", "[ab]c"], &[]),
        ] {
            assert_conservative(&filter(w, p, x));
        }
    }

    #[test]
    fn kernel_filter_drops_the_unwatched_and_the_excluded() {
        let f = filter(&["/etc", "/tmp"], &["*.service", "crontab"], &["/etc/ssl", "/tmp/skip"]);
        let k = KernelFilter::from_filter(&f);
        assert!(k.enabled && !k.watch_all);
        for p in ["/var/lib/x", "/usr/bin/ls", "/etc/ssl/certs/a.pem", "/tmp/skip/a", "/etcx", "/srv/crontab2"] {
            assert!(!k.keeps(p), "kernel keeps {p}");
        }
        for p in ["/etc/hosts", "/tmp/a", "/srv/a.service", "/srv/crontab"] {
            assert!(k.keeps(p), "kernel drops {p}");
        }
    }

    #[test]
    fn globs_the_kernel_cannot_model_keep_everything_not_excluded() {
        let f = filter(&["/etc"], &["/home/*/.ssh/*"], &["/var/log"]);
        let k = KernelFilter::from_filter(&f);
        assert!(k.watch_all);
        assert!(k.keeps("/srv/x"));
        assert!(!k.keeps("/var/log/x"));
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }
}
