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
/// u64 words in `filter_meta.dir_lens`, the bitmap of watch/exclude
/// directory lengths.
pub const DIR_LEN_WORDS: usize = 32;
/// u64 words in the bitmaps of file name and extension lengths.
pub const NAME_LEN_WORDS: usize = 4;

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
    /// Bit n: a watch or exclude directory is n bytes long; the kernel
    /// looks up only prefixes of those lengths (`filter_meta`).
    pub dir_lens: [u64; DIR_LEN_WORDS],
    /// The same for literal file names and for extensions.
    pub name_lens: [u64; NAME_LEN_WORDS],
    pub ext_lens: [u64; NAME_LEN_WORDS],
}

/// Sets bit `n` of `bits` when it has one.
fn set_len(bits: &mut [u64], n: usize) {
    if let Some(w) = bits.get_mut(n / 64) {
        *w |= 1 << (n % 64);
    }
}

/// Whether bit `n` of `bits` is set.
fn has_len(bits: &[u64], n: usize) -> bool {
    bits.get(n / 64).is_some_and(|w| w & (1 << (n % 64)) != 0)
}

impl KernelFilter {
    pub fn from_filter(f: &PathFilter) -> KernelFilter {
        let mut k = KernelFilter { enabled: true, ..KernelFilter::default() };
        let mut dir_lens = [0u64; DIR_LEN_WORDS];
        // lengths past the bitmap get no bit: such paths exceed SCAN_MAX and are kept unscanned
        let mut dir_len = |d: &str| set_len(&mut dir_lens, d.len());
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
            dir_len(&d);
            add(fnv1a(d.as_bytes()), F_EXCLUDE);
        }
        let mut watch_all = f.watch_paths().is_empty() && f.watch_patterns().is_empty();
        for p in f.watch_paths() {
            let d = dir(p);
            if d.is_empty() {
                watch_all = true;
            } else {
                dir_len(&d);
                add(fnv1a(d.as_bytes()), F_WATCH);
            }
        }
        for pat in f.watch_patterns() {
            match kernel_pattern(pat) {
                Some(KernelPattern::Name(n)) => {
                    set_len(&mut k.name_lens, n.len());
                    add(fnv1a(n.as_bytes()) ^ SALT_NAME, F_NAME)
                }
                Some(KernelPattern::Ext(e)) => {
                    set_len(&mut k.ext_lens, e.len());
                    add(fnv1a(e.as_bytes()) ^ SALT_EXT, F_EXT)
                }
                // a glob the kernel cannot model: keep everything not excluded
                None => watch_all = true,
            }
        }
        k.watch_all = watch_all;
        k.dir_lens = dir_lens;
        if k.rules.len() > MAX_RULES {
            return KernelFilter::default();
        }
        k
    }

    /// The `filter_meta` map value (struct rg_filter_meta in filter.bpf.h).
    pub fn meta_bytes(&self) -> Vec<u8> {
        let mut b: Vec<u8> =
            self.dir_lens.iter().chain(&self.name_lens).chain(&self.ext_lens).flat_map(|w| w.to_ne_bytes()).collect();
        b.extend_from_slice(&self.dir_len_max().to_ne_bytes());
        b.extend_from_slice(&[0; 4]);
        b
    }

    /// `filter_meta.dir_len_max`: the longest watch or exclude directory.
    pub fn dir_len_max(&self) -> u32 {
        (0..DIR_LEN_WORDS * 64).rev().find(|&n| has_len(&self.dir_lens, n)).unwrap_or(0) as u32
    }

    /// What a reload writes before swapping `self`'s rules for `new`'s: every
    /// length and pattern kind either needs, so no lookup a rule depends on
    /// is skipped while the rules change.
    pub fn union_meta(&self, new: &KernelFilter) -> KernelFilter {
        let mut u = new.clone();
        let or = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(w, o)| *w |= o);
        or(&mut u.dir_lens, &self.dir_lens);
        or(&mut u.name_lens, &self.name_lens);
        or(&mut u.ext_lens, &self.ext_lens);
        u
    }

    /// `filter__lookup`: the flags stored under `key`.
    fn look(&self, key: u64) -> u8 {
        self.rules.iter().find(|(h, _)| *h == key).map_or(0, |(_, f)| *f)
    }

    /// `filter__dir`: the directory flags of a `len`-byte prefix hashing to `key`.
    fn dir(&self, key: u64, len: usize) -> u8 {
        if has_len(&self.dir_lens, len) {
            self.look(key) & (F_WATCH | F_EXCLUDE)
        } else {
            0
        }
    }

    /// The kernel's decision for `path`, step for step as filter.bpf.h.
    pub fn keeps(&self, path: &str) -> bool {
        let b = path.as_bytes();
        if !self.enabled || b.len() > SCAN_MAX {
            return true;
        }
        let (look, dir) = (|key| self.look(key), |key, len| self.dir(key, len));
        let (mut h, mut hb, mut he) = (FNV_INIT, FNV_INIT, FNV_INIT);
        // the current component: 0 empty, 1 ".", 2 "..", 3 anything else
        let (mut comp, mut in_ext, mut odd, mut flags) = (0u8, false, false, 0u8);
        // where the last component and its extension start
        let (mut name_at, mut ext_at) = (0, 0);
        for (i, &c) in b.iter().enumerate() {
            if c == b'/' {
                if i > 0 {
                    odd |= comp != 3;
                    flags |= dir(h, i);
                }
                (hb, he, in_ext, comp, name_at) = (FNV_INIT, FNV_INIT, false, 0, i + 1);
            } else {
                comp = if c == b'.' && comp < 2 { comp + 1 } else { 3 };
                hb = (hb ^ u64::from(c)).wrapping_mul(FNV_PRIME);
                if c == b'.' {
                    he = FNV_INIT;
                    in_ext = true;
                    ext_at = i + 1;
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
        flags |= dir(h, b.len());
        if flags & F_EXCLUDE != 0 {
            return false;
        }
        self.watch_all
            || flags & F_WATCH != 0
            || (has_len(&self.name_lens, b.len() - name_at) && look(hb ^ SALT_NAME) & F_NAME != 0)
            || (in_ext && has_len(&self.ext_lens, b.len() - ext_at) && look(he ^ SALT_EXT) & F_EXT != 0)
    }

    /// The kernel's decision for a path from a dentry walk (normal form,
    /// its last component known), step for step as `filter__keep_walked`.
    pub fn keeps_walked(&self, path: &str) -> bool {
        let b = path.as_bytes();
        if !self.enabled || b.len() > SCAN_MAX {
            return true;
        }
        let (look, dir) = (|key| self.look(key), |key, len| self.dir(key, len));
        let max = self.dir_len_max() as usize;
        let n = if max < b.len() { max + 1 } else { b.len() };
        let (mut h, mut flags) = (FNV_INIT, 0u8);
        for (i, &c) in b[..n].iter().enumerate() {
            if c == b'/' && i > 0 {
                flags |= dir(h, i);
            }
            h = (h ^ u64::from(c)).wrapping_mul(FNV_PRIME);
        }
        if n == b.len() {
            flags |= dir(h, b.len());
        }
        if flags & F_EXCLUDE != 0 {
            return false;
        }
        if self.watch_all || flags & F_WATCH != 0 {
            return true;
        }
        let leaf = b.len() - b.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
        if leaf == 0 || leaf >= b.len() {
            return true;
        }
        let name = &b[b.len() - leaf..];
        let hb = fnv1a(name);
        let ext = name.iter().rposition(|&c| c == b'.').map(|i| (i + 1, fnv1a(&name[i + 1..])));
        (has_len(&self.name_lens, leaf) && look(hb ^ SALT_NAME) & F_NAME != 0)
            || ext.is_some_and(|(at, he)| has_len(&self.ext_lens, leaf - at) && look(he ^ SALT_EXT) & F_EXT != 0)
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

    /// Whatever userspace keeps, the kernel keeps; and on a path a dentry
    /// walk can produce, its two scans decide alike.
    fn assert_conservative(f: &PathFilter) {
        let k = KernelFilter::from_filter(f);
        for p in PATHS {
            if f.matches(p) {
                assert!(k.keeps(p), "kernel drops {p} that userspace keeps ({k:?})");
            }
            let normal = p.len() > 1 && !p.ends_with('/') && p[1..].split('/').all(|c| !matches!(c, "" | "." | ".."));
            if normal {
                assert_eq!(k.keeps_walked(p), k.keeps(p), "{p}: the walked-path scan disagrees ({k:?})");
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
    fn the_walked_path_scan_decides_as_the_full_scan() {
        // every normal path up to four components over names the rules use
        let names = [
            "etc",
            "usr",
            "lib",
            "systemd",
            "x.service",
            "crontab",
            "authorized_keys",
            "var",
            "log",
            "a.tar.gz",
            "tmp",
            ".bashrc",
            "srv",
            "app",
            "service",
        ];
        let mut paths = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..4 {
            paths = paths.iter().flat_map(|p| names.iter().map(move |n| format!("{p}/{n}"))).collect();
            all.extend(paths.iter().cloned());
        }
        let shipped = crate::config::defaults::WATCH_PATHS;
        for (w, p, x) in [
            (shipped, &["*.service", "*.timer", "authorized_keys", "crontab"][..], &["/proc", "/sys", "/var/log"][..]),
            (&["/srv/app"], &["*.gz"], &["/srv/app/log"]),
            (&[], &["crontab"], &["/usr/lib"]),
        ] {
            let k = KernelFilter::from_filter(&filter(w, p, x));
            for path in &all {
                assert_eq!(k.keeps_walked(path), k.keeps(path), "{path} with watch {w:?} patterns {p:?}");
            }
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
    fn only_prefixes_as_long_as_a_rule_are_looked_up() {
        let f = filter(&["/etc", "/srv/app"], &["crontab", "*.service"], &["/var/log"]);
        let k = KernelFilter::from_filter(&f);
        for len in [4, 8] {
            assert!(has_len(&k.dir_lens, len), "{len}");
        }
        assert!(!has_len(&k.dir_lens, 5));
        assert!(has_len(&k.name_lens, 7) && has_len(&k.ext_lens, 7) && !has_len(&k.name_lens, 1));
        // the struct rg_filter_meta layout: 32 + 4 + 4 u64 words, then
        // dir_len_max and padding
        assert_eq!(k.meta_bytes().len(), 328);
        assert_eq!(k.dir_len_max(), 8);
        assert_eq!(&k.meta_bytes()[320..324], &8u32.to_ne_bytes());
        let mut no_lens = k.clone();
        no_lens.dir_lens = [0; DIR_LEN_WORDS];
        assert!(k.keeps("/srv/app/x") && !no_lens.keeps("/srv/app/x"), "the bitmap gates the lookup");
    }

    #[test]
    fn a_reload_looks_up_every_length_either_filter_needs() {
        let old = KernelFilter::from_filter(&filter(&["/etc"], &["crontab"], &[]));
        let new = KernelFilter::from_filter(&filter(&["/srv/app"], &["*.service"], &[]));
        let u = old.union_meta(&new);
        assert!(has_len(&u.dir_lens, 4) && has_len(&u.dir_lens, 8));
        assert!(has_len(&u.name_lens, 7) && has_len(&u.ext_lens, 7));
        assert_eq!(u.rules, new.rules);
    }

    #[test]
    fn fnv_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }
}
