//! Owns `PathFilter`: which file paths the file sensor reports (watch paths, watch patterns, exclude paths) and the small glob matcher behind the patterns.
//!
//! The glob matcher is written here rather than taken from `globset`: the
//! syntax needed is small (`*`, `**`, `?`, `[...]`, `\`), matching must not
//! allocate on the per-event hot path, and it saves a dependency tree
//! (regex, aho-corasick, ...) for a handful of short patterns.

/// Decides which file paths are reported.
///
/// A path is excluded if it is under any exclude path; otherwise it is
/// included if it is under any watch path or matches any watch pattern. With
/// no watch paths and no watch patterns, everything not excluded is included.
/// "Under" means equal to, or below at a component boundary: `/etc` covers
/// `/etc` and `/etc/x` but not `/etcfoo`; `/` covers everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFilter {
    watch_paths: Vec<String>,
    watch_patterns: Vec<String>,
    exclude_paths: Vec<String>,
    /// Watch paths without trailing slashes (`/` becomes ``).
    watch_prefixes: Vec<String>,
    exclude_prefixes: Vec<String>,
    /// Patterns without `/`: matched against the last path component.
    basename_patterns: Vec<String>,
    /// Patterns with `/`: matched against the whole path.
    full_patterns: Vec<String>,
    match_all: bool,
}

impl PathFilter {
    /// Builds a filter; every path must be absolute and every pattern valid.
    pub fn new(
        watch_paths: &[String],
        watch_patterns: &[String],
        exclude_paths: &[String],
    ) -> Result<PathFilter, String> {
        for p in watch_paths.iter().chain(exclude_paths) {
            validate_path(p)?;
        }
        let mut basename_patterns = Vec::new();
        let mut full_patterns = Vec::new();
        for p in watch_patterns {
            validate_pattern(p)?;
            if p.contains('/') {
                full_patterns.push(p.clone());
            } else {
                basename_patterns.push(p.clone());
            }
        }
        let prefix = |p: &String| p.trim_end_matches('/').to_owned();
        Ok(PathFilter {
            watch_prefixes: watch_paths.iter().map(prefix).collect(),
            exclude_prefixes: exclude_paths.iter().map(prefix).collect(),
            match_all: watch_paths.is_empty() && watch_patterns.is_empty(),
            watch_paths: watch_paths.to_vec(),
            watch_patterns: watch_patterns.to_vec(),
            exclude_paths: exclude_paths.to_vec(),
            basename_patterns,
            full_patterns,
        })
    }

    /// Whether events on `path` are reported. Does not allocate.
    pub fn matches(&self, path: &str) -> bool {
        if self.exclude_prefixes.iter().any(|d| is_under(path, d)) {
            return false;
        }
        if self.match_all || self.watch_prefixes.iter().any(|d| is_under(path, d)) {
            return true;
        }
        if self.full_patterns.iter().any(|p| glob_match(p.as_bytes(), path.as_bytes())) {
            return true;
        }
        let base = match path.rfind('/') {
            Some(i) => &path[i + 1..],
            None => path,
        };
        self.basename_patterns.iter().any(|p| match literal_shape(p) {
            Some((true, lit)) => base.ends_with(lit),
            Some((false, lit)) => base == lit,
            None => glob_match(p.as_bytes(), base.as_bytes()),
        })
    }

    /// The watch paths as configured.
    pub fn watch_paths(&self) -> &[String] {
        &self.watch_paths
    }

    /// The exclude paths as configured.
    pub fn exclude_paths(&self) -> &[String] {
        &self.exclude_paths
    }

    /// The watch patterns as configured.
    pub fn watch_patterns(&self) -> &[String] {
        &self.watch_patterns
    }
}

/// The common pattern shapes that need no glob engine: `(false, lit)` for
/// a pattern without metacharacters (matches exactly `lit`), `(true, lit)`
/// for `*lit` (within one component: any text ending in `lit`).
fn literal_shape(p: &str) -> Option<(bool, &str)> {
    let meta = |s: &str| s.bytes().any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'));
    match p.strip_prefix('*') {
        Some(rest) if !meta(rest) => Some((true, rest)),
        Some(_) => None,
        None if !meta(p) => Some((false, p)),
        None => None,
    }
}

/// `path` equals `dir` or lies below it; `dir` has no trailing slash (`` is `/`).
fn is_under(path: &str, dir: &str) -> bool {
    path.starts_with(dir) && (path.len() == dir.len() || path.as_bytes()[dir.len()] == b'/')
}

/// Checks one watch or exclude path: absolute, with no empty, `.` or `..`
/// component (a single trailing slash is fine).
pub fn validate_path(p: &str) -> Result<(), String> {
    if !p.starts_with('/') {
        return Err(format!("{p:?} is not an absolute path"));
    }
    if p.contains('\0') {
        return Err(format!("{p:?} contains a NUL byte"));
    }
    let inner = p.trim_end_matches('/');
    for comp in inner.split('/').skip(1) {
        match comp {
            "" => return Err(format!("{p:?} contains an empty path component (`//`)")),
            "." | ".." => return Err(format!("{p:?} contains a `{comp}` component; use a plain absolute path")),
            _ => {}
        }
    }
    Ok(())
}

/// Checks one watch pattern: non-empty, brackets closed, no trailing `\`,
/// and a pattern with `/` must start with `/` or `*` (paths are absolute).
pub fn validate_pattern(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Err("empty pattern".to_owned());
    }
    if p.contains('\0') {
        return Err(format!("pattern {p:?} contains a NUL byte"));
    }
    if p.contains('/') && !(p.starts_with('/') || p.starts_with('*')) {
        return Err(format!(
            "pattern {p:?} contains `/` and so is matched against the whole path: it must start with `/` or `*`"
        ));
    }
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if i + 1 >= b.len() {
                    return Err(format!("pattern {p:?} ends with a lone `\\`"));
                }
                i += 2;
            }
            b'[' => match class_end(b, i) {
                Some(end) => i = end,
                None => return Err(format!("pattern {p:?} has an unclosed `[`")),
            },
            _ => i += 1,
        }
    }
    Ok(())
}

/// Index just past the `]` closing the class that opens at `b[start] == b'['`.
fn class_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if i < b.len() && (b[i] == b'!' || b[i] == b'^') {
        i += 1;
    }
    // A `]` first in the class is a literal.
    if i < b.len() && b[i] == b']' {
        i += 1;
    }
    while i < b.len() {
        match b[i] {
            b']' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Length of the UTF-8 character starting with byte `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Decodes the UTF-8 character at `b[i..]` (or the byte, if malformed).
fn char_at(b: &[u8], i: usize) -> (u32, usize) {
    let n = char_len(b[i]).min(b.len() - i);
    match std::str::from_utf8(&b[i..i + n]) {
        Ok(s) => (s.chars().next().map_or(b[i] as u32, |c| c as u32), n),
        Err(_) => (b[i] as u32, 1),
    }
}

/// Matches the class at `p[start] == b'['` against character `c`; returns
/// whether it matched and the index past the class.
fn match_class(p: &[u8], start: usize, c: u32) -> (bool, usize) {
    let Some(end) = class_end(p, start) else {
        return (false, p.len());
    };
    let mut i = start + 1;
    let negate = p[i] == b'!' || p[i] == b'^';
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < end - 1 {
        if p[i] == b']' && !first {
            break;
        }
        first = false;
        if p[i] == b'\\' {
            i += 1;
        }
        let (lo, n) = char_at(p, i);
        i += n;
        let mut hi = lo;
        if i + 1 < end - 1 && p[i] == b'-' {
            let mut j = i + 1;
            if p[j] == b'\\' {
                j += 1;
            }
            let (h, m) = char_at(p, j);
            hi = h;
            i = j + m;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    (matched != negate, end)
}

/// Glob match of the whole of `t` against pattern `p`, without allocating.
///
/// `*` matches any run of characters except `/`; two or more `*` match any
/// run including `/`; `?` matches one character except `/`; `[abc]`, `[a-z]`,
/// `[!a-z]` (or `[^a-z]`) match one character (never `/`); `\x` matches `x`.
///
/// Backtracking keeps two resume points: the last `*` and the last `**`.
/// When the last `*` cannot grow (it would cross a `/`), matching resumes
/// from the last `**`, which can. This is linear-ish in practice and never
/// exponential, unlike naive recursion.
pub(crate) fn glob_match(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    // (pattern index after the star, text index where the star's match ends)
    let mut star: Option<(usize, usize)> = None;
    let mut dstar: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    let mut end = pi;
                    while end < p.len() && p[end] == b'*' {
                        end += 1;
                    }
                    if end - pi >= 2 {
                        dstar = Some((end, ti));
                        star = None;
                    } else {
                        star = Some((end, ti));
                    }
                    pi = end;
                    continue;
                }
                _ if ti < t.len() => {
                    let (tc, tn) = char_at(t, ti);
                    let (ok, pn) = match p[pi] {
                        b'?' => (tc != u32::from(b'/'), pi + 1),
                        b'[' if class_end(p, pi).is_some() => {
                            let (m, next) = match_class(p, pi, tc);
                            (m && tc != u32::from(b'/'), next)
                        }
                        b'\\' if pi + 1 < p.len() => {
                            let (pc, n) = char_at(p, pi + 1);
                            (pc == tc, pi + 1 + n)
                        }
                        _ => {
                            let (pc, n) = char_at(p, pi);
                            (pc == tc, pi + n)
                        }
                    };
                    if ok {
                        pi = pn;
                        ti += tn;
                        continue;
                    }
                }
                _ => {}
            }
        } else if ti == t.len() {
            return true;
        }
        // Mismatch: let the last star swallow one more character.
        if let Some((sp, st)) = star {
            if st < t.len() && t[st] != b'/' {
                let (_, n) = char_at(t, st);
                star = Some((sp, st + n));
                pi = sp;
                ti = st + n;
                continue;
            }
        }
        if let Some((dp, dt)) = dstar {
            if dt < t.len() {
                let (_, n) = char_at(t, dt);
                dstar = Some((dp, dt + n));
                star = None;
                pi = dp;
                ti = dt + n;
                continue;
            }
        }
        return false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn filter(watch: &[&str], patterns: &[&str], exclude: &[&str]) -> PathFilter {
        PathFilter::new(&strings(watch), &strings(patterns), &strings(exclude)).unwrap()
    }

    #[test]
    fn component_boundaries() {
        let f = filter(&["/etc", "/usr/bin/"], &[], &[]);
        let cases = [
            ("/etc", true),
            ("/etc/", true),
            ("/etc/passwd", true),
            ("/etc/ssh/sshd_config", true),
            ("/etcfoo", false),
            ("/etcfoo/x", false),
            ("/et", false),
            ("/usr/bin", true), // configured with a trailing slash
            ("/usr/bin/ls", true),
            ("/usr/binx", false),
            ("/usr", false),
            ("/", false),
            ("", false),
        ];
        for (path, want) in cases {
            assert_eq!(f.matches(path), want, "{path}");
        }
    }

    #[test]
    fn root_covers_everything() {
        let f = filter(&["/"], &[], &["/proc"]);
        for (path, want) in [("/", true), ("/a/b", true), ("/proc/1", false), ("/procx", true)] {
            assert_eq!(f.matches(path), want, "{path}");
        }
        let ex = filter(&["/etc"], &[], &["/"]);
        assert!(!ex.matches("/etc/passwd"));
    }

    #[test]
    fn patterns_basename_and_full() {
        let f =
            filter(&[], &["*.service", "crontab", "/home/*/.ssh/authorized_keys", "/srv/**/*.php", "id_[rd]sa?"], &[]);
        let cases = [
            ("/etc/systemd/system/evil.service", true),
            ("/x.service", true),
            ("/etc/a.service/other", false),
            ("/etc/crontab", true),
            ("/var/spool/cron/crontabs/root", false),
            ("/etc/crontab.bak", false),
            ("/home/alice/.ssh/authorized_keys", true),
            ("/home/alice/sub/.ssh/authorized_keys", false), // `*` does not cross `/`
            ("/home//.ssh/authorized_keys", true),
            ("/srv/www/a/b/index.php", true), // `**` does
            ("/srv/x.php", false),
            ("/root/.ssh/id_rsa1", true),
            ("/root/.ssh/id_dsa", false),
            ("/root/.ssh/id_ecdsa1", false),
        ];
        for (path, want) in cases {
            assert_eq!(f.matches(path), want, "{path}");
        }
    }

    #[test]
    fn exclude_wins_and_empty_lists() {
        let f = filter(&["/tmp"], &["*.sh"], &["/tmp/cache", "/var/log"]);
        assert!(f.matches("/tmp/x"));
        assert!(!f.matches("/tmp/cache/x"));
        assert!(!f.matches("/var/log/evil.sh"));
        assert!(f.matches("/opt/evil.sh"));
        assert!(!f.matches("/opt/evil"));

        let all = filter(&[], &[], &[]);
        assert!(all.matches("/anything/at/all"));
        let all_but = filter(&[], &[], &["/proc"]);
        assert!(all_but.matches("/etc/x"));
        assert!(!all_but.matches("/proc/self/maps"));
        // Only patterns: paths outside them are not reported.
        let only = filter(&[], &["crontab"], &[]);
        assert!(!only.matches("/etc/passwd"));
    }

    #[test]
    fn accessors_return_configured_lists() {
        let f = filter(&["/etc/"], &["*.service"], &["/proc"]);
        assert_eq!(f.watch_paths(), ["/etc/"]);
        assert_eq!(f.watch_patterns(), ["*.service"]);
        assert_eq!(f.exclude_paths(), ["/proc"]);
    }

    #[test]
    fn invalid_paths_and_patterns() {
        let bad_paths = ["etc", "", "./etc", "/etc//x", "/etc/../x", "/a/./b"];
        for p in bad_paths {
            assert!(PathFilter::new(&strings(&[p]), &[], &[]).is_err(), "{p}");
            assert!(PathFilter::new(&[], &[], &strings(&[p])).is_err(), "{p}");
        }
        assert_eq!(validate_path("etc").unwrap_err(), "\"etc\" is not an absolute path");
        for p in ["", "[abc", "home/*/x", "a\\"] {
            assert!(validate_pattern(p).is_err(), "{p:?}");
        }
        for p in ["*.service", "[]]", "[!a]x", "**/x", "/a/*", "a\\*"] {
            assert!(validate_pattern(p).is_ok(), "{p:?}");
        }
    }

    #[test]
    fn literal_shapes_match_as_the_glob_does() {
        let pats = ["*.service", "authorized_keys", "crontab", "*", "*x*", "a?", "[ab]", "**.d", "*\\*", ".bashrc"];
        let names = [
            "",
            "a.service",
            ".service",
            "service",
            "authorized_keys",
            "authorized_keys2",
            "crontab",
            "x",
            "ab",
            "a*",
            ".bashrc",
            "x.d",
            "é.service",
        ];
        for p in pats {
            for n in names {
                let fast = match literal_shape(p) {
                    Some((true, lit)) => n.ends_with(lit),
                    Some((false, lit)) => n == lit,
                    None => glob_match(p.as_bytes(), n.as_bytes()),
                };
                assert_eq!(fast, glob_match(p.as_bytes(), n.as_bytes()), "{p:?} on {n:?}");
            }
        }
        assert_eq!(literal_shape("*.service"), Some((true, ".service")));
        assert_eq!(literal_shape("crontab"), Some((false, "crontab")));
        assert_eq!(literal_shape("*x*"), None);
    }

    #[test]
    fn glob_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "abc", true),
            ("*", "a/b", false),
            ("**", "a/b", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbb", false),
            ("*.service", ".service", true),
            ("?", "é", true),
            ("?", "/", false),
            ("[a-c]x", "bx", true),
            ("[a-c]x", "dx", false),
            ("[!a-c]x", "dx", true),
            ("[^a-c]x", "ax", false),
            ("[]]", "]", true),
            ("[!/]", "/", false),
            ("[é]", "é", true),
            ("a\\*b", "a*b", true),
            ("a\\*b", "axb", false),
            ("/a/**/b/*", "/a/x/y/b/z", true),
            ("/a/**/b/*", "/a/x/y/b/z/w", false),
            ("/a/**/b/*", "/a/b/z", false), // `**` needs its surrounding slashes
            ("**/b/*/c", "/x/b/y/b/q/c", true),
            ("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ];
        for &(p, t, want) in cases {
            assert_eq!(glob_match(p.as_bytes(), t.as_bytes()), want, "{p:?} vs {t:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_patterns() {
        let alphabet = ["[", "]", "!", "^", "-", "\\", "*", "?", "/", "a", "é"];
        let mut pats = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for p in &pats {
                for c in alphabet {
                    next.push(format!("{p}{c}"));
                }
            }
            pats.extend(next);
        }
        for p in &pats {
            let _ = validate_pattern(p);
            for t in ["", "a", "/a]", "é-", "[a]", "\\"] {
                let _ = glob_match(p.as_bytes(), t.as_bytes());
            }
        }
    }

    /// Reference matcher by plain recursion, to cross-check the iterative one.
    fn reference(p: &[u8], t: &[u8]) -> bool {
        if p.is_empty() {
            return t.is_empty();
        }
        if p[0] == b'*' {
            let mut end = 0;
            while end < p.len() && p[end] == b'*' {
                end += 1;
            }
            let cross = end >= 2;
            for k in 0..=t.len() {
                if k > 0 && !cross && t[k - 1] == b'/' {
                    break;
                }
                if reference(&p[end..], &t[k..]) {
                    return true;
                }
            }
            return false;
        }
        if t.is_empty() {
            return false;
        }
        let ok = match p[0] {
            b'?' => t[0] != b'/',
            c => c == t[0],
        };
        ok && reference(&p[1..], &t[1..])
    }

    #[test]
    fn glob_agrees_with_reference() {
        // Every pattern and text up to a few characters over a small alphabet.
        fn all(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
            let mut out = vec![Vec::new()];
            let mut frontier = vec![Vec::new()];
            for _ in 0..max {
                let mut next = Vec::new();
                for s in &frontier {
                    for &c in alphabet {
                        let mut s2: Vec<u8> = s.clone();
                        s2.push(c);
                        next.push(s2);
                    }
                }
                out.extend(next.iter().cloned());
                frontier = next;
            }
            out
        }
        let patterns = all(b"a/*?", 5);
        let texts = all(b"a/b", 5);
        for p in &patterns {
            for t in &texts {
                assert_eq!(
                    glob_match(p, t),
                    reference(p, t),
                    "{:?} vs {:?}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(t)
                );
            }
        }
    }
}
