//! The compiled condition tree and its evaluation: no allocation, every
//! regex/glob compiled and every set hashed at load time.

// FxHash: rule-defined sets of short strings; lookups are per record.
use crate::catalog::Category;
use rustc_hash::FxHashSet as HashSet;

use regex::Regex;

use super::fields::{any_elem, get, Field, FieldType, TypeMask, Val};
use super::options::OptSpec;
use crate::record::{Body, EventType, Record};

#[derive(Clone, Debug)]
pub enum Cond {
    And(Box<[Cond]>),
    Or(Box<[Cond]>),
    Not(Box<Cond>),
    Const(bool),
    Test(Field, Test),
    /// Legacy `paths`/`patterns`: a rename matches on either of its paths.
    Paths(Box<PathMatcher>),
    /// Legacy `ports`: the remote port of an outbound connection, the local
    /// port of an accept, bind or listen.
    Ports(Box<[u16]>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug)]
pub enum Test {
    Exists,
    StrEq(Box<str>),
    StrNe(Box<str>),
    StrIn(HashSet<Box<str>>),
    Contains(Box<str>),
    /// Needle already ASCII-lowercased.
    IContains(Box<str>),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    /// ASCII case-insensitive equality, prefix and suffix (Sigma's
    /// default matching); the needle is already ASCII-lowercased.
    IStrEq(Box<str>),
    IStartsWith(Box<str>),
    IEndsWith(Box<str>),
    /// The value is an IP address inside this network (Sigma `cidr`).
    Cidr(Box<Cidr>),
    /// `regex` and `glob` (a glob is compiled to an anchored regex).
    Regex(Regex),
    /// A regex every match of which starts at the beginning of the value
    /// with one of these literals: the cheap check runs first. Made by
    /// `Cond::specialize`.
    PrefixedRegex(Box<[Box<[u8]>]>, Regex),
    Int(IntOp, i64),
    IntIn(Box<[i64]>),
    Bool(bool, bool),
    /// `args has_option (...)`: the command line asks for an option,
    /// read as getopt would.
    HasOption(Box<OptSpec>),
    /// Compare with a value bound by the first step of a sequence.
    Var {
        slot: usize,
        negate: bool,
    },
}

/// A value captured from a sequence's first step, for `$name`.
#[derive(Clone, Debug, PartialEq)]
pub enum Bound {
    Missing,
    Str(Box<str>),
    Int(i64),
    Bool(bool),
}

impl Bound {
    pub fn capture(v: Val<'_>) -> Bound {
        match v {
            Val::Str(s) => Bound::Str(s.into()),
            Val::Int(i) => Bound::Int(i),
            Val::Bool(b) => Bound::Bool(b),
            _ => Bound::Missing,
        }
    }
}

impl Cond {
    pub fn eval(&self, r: &Record, vars: &[Bound]) -> bool {
        match self {
            Cond::And(v) => v.iter().all(|c| c.eval(r, vars)),
            Cond::Or(v) => v.iter().any(|c| c.eval(r, vars)),
            Cond::Not(c) => !c.eval(r, vars),
            Cond::Const(b) => *b,
            Cond::Test(f, t) => test(t, get(*f, r), vars),
            Cond::Paths(m) => match &r.body {
                Body::File(f) => m.matches(&f.path) || f.new_path().is_some_and(|p| m.matches(p)),
                _ => false,
            },
            Cond::Ports(ports) => match &r.body {
                Body::Net(n) => {
                    let port = if r.event_type() == EventType::NetworkConnect { n.remote_port } else { n.local_port };
                    port.is_some_and(|p| ports.contains(&p))
                }
                _ => false,
            },
        }
    }

    /// This condition as it evaluates on records of type `et`, made cheap
    /// to run: `event_type` tests and tests on fields `et` never carries
    /// (always false: see `Field::carriers`) are decided, constants are
    /// folded, and the children of `and`/`or` are ordered cheapest first
    /// (evaluation has no side effects, so order cannot change a result).
    /// `eval` on a record of type `et` gives what the original gives.
    pub fn specialize(&self, et: EventType) -> Cond {
        match self {
            Cond::And(v) => junction(v.iter().map(|c| c.specialize(et)), true),
            Cond::Or(v) => junction(v.iter().map(|c| c.specialize(et)), false),
            Cond::Not(c) => match c.specialize(et) {
                Cond::Const(b) => Cond::Const(!b),
                c => Cond::Not(Box::new(c)),
            },
            Cond::Const(b) => Cond::Const(*b),
            Cond::Test(_, Test::Var { .. }) => self.clone(),
            Cond::Test(Field::EventTypeF, t) => Cond::Const(str_test(t, et.as_str(), &[])),
            Cond::Test(f, _) if !f.carriers().has(et) => Cond::Const(false),
            Cond::Test(f, Test::Regex(re)) => match anchored_prefixes(re) {
                Some(lits) => Cond::Test(*f, Test::PrefixedRegex(lits, re.clone())),
                None => self.clone(),
            },
            Cond::Test(..) => self.clone(),
            Cond::Paths(_) if et.category() != Category::File => Cond::Const(false),
            Cond::Ports(_) if et.category() != Category::Network => Cond::Const(false),
            Cond::Paths(_) | Cond::Ports(_) => self.clone(),
        }
    }

    /// A rough relative cost of `eval`, for ordering `and`/`or` children.
    fn cost(&self) -> u32 {
        match self {
            Cond::Const(_) => 0,
            Cond::And(v) | Cond::Or(v) => v.iter().map(Cond::cost).sum(),
            Cond::Not(c) => c.cost(),
            Cond::Ports(_) => 2,
            Cond::Paths(_) => 8,
            Cond::Test(f, t) => {
                let per_value = match t {
                    Test::Exists | Test::Int(..) | Test::IntIn(_) | Test::Bool(..) | Test::Var { .. } => 1,
                    Test::StrEq(_) | Test::StrNe(_) | Test::StartsWith(_) | Test::EndsWith(_) => 2,
                    Test::IStrEq(_) | Test::IStartsWith(_) | Test::IEndsWith(_) | Test::Cidr(_) => 3,
                    Test::StrIn(_) => 3,
                    Test::Contains(_) | Test::IContains(_) => 4,
                    Test::PrefixedRegex(..) => 5,
                    Test::Regex(_) => 10,
                    Test::HasOption(_) => 6,
                };
                if f.ty() == FieldType::StrList {
                    per_value * 4
                } else {
                    per_value
                }
            }
        }
    }

    /// The event types on which this condition can possibly be true; a
    /// test on a field a record lacks is false, which is what makes this
    /// sound. With `only_event_type`, tests on other fields count as "any".
    pub fn mask(&self, only_event_type: bool) -> TypeMask {
        match self {
            Cond::And(v) => v.iter().fold(TypeMask::ALL, |m, c| m.inter(c.mask(only_event_type))),
            Cond::Or(v) => v.iter().fold(TypeMask::NONE, |m, c| m.union(c.mask(only_event_type))),
            Cond::Not(_) => TypeMask::ALL,
            Cond::Const(true) => TypeMask::ALL,
            Cond::Const(false) => TypeMask::NONE,
            Cond::Test(Field::EventTypeF, t) => match t {
                Test::StrEq(s) => EventType::from_name(s).map_or(TypeMask::NONE, TypeMask::of),
                Test::StrIn(set) => set
                    .iter()
                    .filter_map(|s| EventType::from_name(s))
                    .fold(TypeMask::NONE, |m, t| m.union(TypeMask::of(t))),
                Test::StrNe(s) => {
                    EventType::from_name(s).map_or(TypeMask::ALL, |t| TypeMask(TypeMask::ALL.0 & !TypeMask::of(t).0))
                }
                _ => TypeMask::ALL,
            },
            _ if only_event_type => TypeMask::ALL,
            Cond::Test(f, _) => f.carriers(),
            Cond::Paths(_) => TypeMask::category(Category::File),
            Cond::Ports(_) => TypeMask::category(Category::Network),
        }
    }
}

/// The literals every match of `re` starts with, when every match must
/// start at the beginning of the value (`^...`) and the set is finite and
/// has no empty literal; None when there is no such cheap necessary test.
fn anchored_prefixes(re: &Regex) -> Option<Box<[Box<[u8]>]>> {
    use regex_syntax::hir::{literal::Extractor, Look};
    // The pattern compiled once already, with regex's defaults, which are
    // the parser's defaults.
    let hir = regex_syntax::Parser::new().parse(re.as_str()).ok()?;
    if !hir.properties().look_set_prefix().contains(Look::Start) {
        return None;
    }
    let seq = Extractor::new().extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| Box::from(l.as_bytes())).collect())
}

/// `and` (`all = true`) or `or` of already specialized children: a
/// decided child decides or drops out; the rest run cheapest first.
fn junction(children: impl Iterator<Item = Cond>, all: bool) -> Cond {
    let mut kept = Vec::new();
    for c in children {
        match c {
            Cond::Const(b) if b == all => {}
            Cond::Const(b) => return Cond::Const(b),
            // flatten `a and (b and c)`
            Cond::And(v) if all => kept.extend(v.into_vec()),
            Cond::Or(v) if !all => kept.extend(v.into_vec()),
            c => kept.push(c),
        }
    }
    match kept.len() {
        0 => Cond::Const(all),
        1 => kept.pop().unwrap_or(Cond::Const(all)),
        _ => {
            // In an `and`, a negation is usually true, so it rarely decides:
            // run it after tests of similar cost that usually fail.
            kept.sort_by_key(|c| c.cost() + if all && matches!(c, Cond::Not(_)) { 3 } else { 0 });
            if all {
                Cond::And(kept.into())
            } else {
                Cond::Or(kept.into())
            }
        }
    }
}

fn test(t: &Test, v: Val<'_>, vars: &[Bound]) -> bool {
    match v {
        Val::Missing => false,
        Val::Str(s) => str_test(t, s, vars),
        Val::Args(_) | Val::Flags(_) | Val::Paths(..) | Val::Caps(_) | Val::Bits(..) => match t {
            Test::Exists => true,
            Test::HasOption(spec) => matches!(v, Val::Args(argv) if spec.matches(argv)),
            // "no element equals", so `not` and `!=` agree on lists.
            Test::StrNe(x) => !any_elem(v, |e| e == &**x),
            Test::Var { slot, negate: true } => {
                !any_elem(v, |e| str_test(&Test::Var { slot: *slot, negate: false }, e, vars))
            }
            _ => any_elem(v, |e| str_test(t, e, vars)),
        },
        Val::Int(i) => match t {
            Test::Exists => true,
            Test::Int(op, n) => match op {
                IntOp::Eq => i == *n,
                IntOp::Ne => i != *n,
                IntOp::Lt => i < *n,
                IntOp::Le => i <= *n,
                IntOp::Gt => i > *n,
                IntOp::Ge => i >= *n,
            },
            Test::IntIn(set) => set.contains(&i),
            Test::Var { slot, negate } => match vars.get(*slot) {
                Some(Bound::Int(b)) => (*b == i) != *negate,
                _ => false,
            },
            _ => false,
        },
        Val::Bool(b) => match t {
            Test::Exists => true,
            Test::Bool(want, eq) => (b == *want) == *eq,
            Test::Var { slot, negate } => match vars.get(*slot) {
                Some(Bound::Bool(x)) => (*x == b) != *negate,
                _ => false,
            },
            _ => false,
        },
    }
}

fn str_test(t: &Test, s: &str, vars: &[Bound]) -> bool {
    match t {
        Test::Exists => true,
        Test::StrEq(x) => s == &**x,
        Test::StrNe(x) => s != &**x,
        Test::StrIn(set) => set.contains(s),
        Test::Contains(x) => s.contains(&**x),
        Test::IContains(x) => icontains(s, x),
        Test::StartsWith(x) => s.starts_with(&**x),
        Test::EndsWith(x) => s.ends_with(&**x),
        Test::IStrEq(x) => s.eq_ignore_ascii_case(x),
        Test::IStartsWith(x) => s.len() >= x.len() && s.as_bytes()[..x.len()].eq_ignore_ascii_case(x.as_bytes()),
        Test::IEndsWith(x) => {
            s.len() >= x.len() && s.as_bytes()[s.len() - x.len()..].eq_ignore_ascii_case(x.as_bytes())
        }
        Test::Cidr(c) => c.contains(s),
        Test::Regex(re) => re.is_match(s),
        Test::PrefixedRegex(lits, re) => lits.iter().any(|l| s.as_bytes().starts_with(l)) && re.is_match(s),
        Test::Var { slot, negate } => match vars.get(*slot) {
            Some(Bound::Str(b)) => (**b == *s) != *negate,
            _ => false,
        },
        Test::Int(..) | Test::IntIn(_) | Test::Bool(..) | Test::HasOption(_) => false,
    }
}

/// ASCII case-insensitive substring search; `needle` is lowercase.
fn icontains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.windows(n.len()).any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

/// An IPv4 or IPv6 network: address and prefix length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub net: std::net::IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// `a.b.c.d/n` or `x::y/n`; a bare address is a /32 or /128.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let net: std::net::IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net, prefix })
    }

    /// Whether `addr` (text, as records carry it) is in the network; an
    /// IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn contains(&self, addr: &str) -> bool {
        use std::net::IpAddr;
        let Ok(a) = addr.parse::<IpAddr>() else { return false };
        let a = match a {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
            v4 => v4,
        };
        let keep = |bits: u32, total: u32| if bits == 0 { 0u128 } else { u128::MAX << (total - bits) };
        match (self.net, a) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = keep(self.prefix.into(), 32);
                (u128::from(u32::from(n)) & m) == (u128::from(u32::from(a)) & m)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = keep(self.prefix.into(), 128);
                (u128::from(n) & m) == (u128::from(a) & m)
            }
            _ => false,
        }
    }
}

/// Legacy `paths` + `patterns` matching.
#[derive(Clone, Debug)]
pub struct PathMatcher {
    pub paths: Vec<Box<str>>,
    pub patterns: Vec<Pattern>,
    /// Built-in detections: a path matches by plain prefix, as the
    /// original engine did; rules match at a component boundary.
    pub plain_prefix: bool,
}

#[derive(Clone, Debug)]
pub enum Pattern {
    /// `*.ext`: the path ends with `.ext`.
    Suffix(Box<str>),
    /// A glob on the basename (no `/` in it) or the full path.
    Glob { re: Regex, full_path: bool },
    /// Built-in detections: a pattern without `*.` is a substring.
    Contains(Box<str>),
}

impl PathMatcher {
    pub fn matches(&self, path: &str) -> bool {
        let by_path = self.paths.iter().any(|p| {
            if self.plain_prefix || p.ends_with('/') {
                path.starts_with(&**p)
            } else {
                path == &**p || (path.starts_with(&**p) && path.as_bytes().get(p.len()) == Some(&b'/'))
            }
        });
        let by_pattern = || {
            self.patterns.iter().any(|pat| match pat {
                Pattern::Suffix(s) => path.ends_with(&**s),
                Pattern::Glob { re, full_path } => {
                    re.is_match(if *full_path { path } else { super::fields::basename(path) })
                }
                Pattern::Contains(s) => path.contains(&**s),
            })
        };
        match (self.paths.is_empty(), self.patterns.is_empty()) {
            (false, false) => by_path && by_pattern(),
            (false, true) => by_path,
            (true, false) => by_pattern(),
            (true, true) => false,
        }
    }
}

/// A glob as an anchored regex: `*` and `?` stay inside one path
/// component, `**` crosses components, `[...]` is a class (`[!...]` negated).
pub fn glob_regex(glob: &str) -> Result<Regex, String> {
    let mut re = String::from("^");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
                let mut closed = false;
                let mut first = true;
                for c in chars.by_ref() {
                    if c == ']' && !first {
                        closed = true;
                        break;
                    }
                    first = false;
                    if c == '\\' || c == '[' {
                        re.push('\\');
                    }
                    re.push(c);
                }
                if !closed {
                    return Err("unterminated `[`".into());
                }
                re.push(']');
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let g = glob_regex("/etc/*.d/[a-c]?").unwrap();
        assert!(g.is_match("/etc/cron.d/ax"));
        assert!(!g.is_match("/etc/cron.d/dx"));
        assert!(!g.is_match("/etc/x/y.d/ax"));
        assert!(glob_regex("/a/**").unwrap().is_match("/a/b/c"));
        assert!(glob_regex("[!x]").unwrap().is_match("y"));
        assert!(glob_regex("[abc").is_err());
    }

    #[test]
    fn anchored_regexes_get_their_literal_prefixes() {
        let lits = |p: &str| {
            anchored_prefixes(&Regex::new(p).unwrap())
                .map(|v| v.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect::<Vec<_>>())
        };
        assert_eq!(lits(r"^/etc/sudoers(\.d/.+)?$"), Some(vec!["/etc/sudoers.d/".to_string(), "/etc/sudoers".into()]));
        assert_eq!(
            lits("^(/var/spool/cron/|/etc/crontab$)"),
            Some(vec!["/var/spool/cron/".into(), "/etc/crontab".into()])
        );
        // not anchored, or no literal every match starts with: no prefilter
        assert_eq!(lits("/etc/passwd"), None);
        assert_eq!(lits("^.*passwd"), None);
        assert_eq!(lits("^(/etc|.*x)"), None);
        assert_eq!(lits("(?m)^/etc"), None);
    }

    #[test]
    fn prefixed_regexes_match_exactly_as_the_regex() {
        let pats = [
            r"^(/etc/cron\.(d|hourly|daily|weekly|monthly)/|/etc/crontab$|/var/spool/cron/)",
            r"^((/root|/home/[^/]+)/\.(bashrc|profile)|/etc/profile\.d/.+)$",
            r"^/etc/ssh/ssh_host_[a-z0-9]+_key$",
            "^(?i)/TMP/",
            "^[ab]c",
        ];
        let hays = [
            "",
            "/",
            "/etc/cron.d/x",
            "/etc/crontab",
            "/etc/crontabs",
            "/var/spool/cron/",
            "/home/u/.bashrc",
            "/root/.profile",
            "/etc/profile.d/a.sh",
            "/etc/profile.d/",
            "/etc/ssh/ssh_host_rsa_key",
            "/tmp/x",
            "/TmP/x",
            "ac",
            "bc",
            "cc",
            "/home//.bashrc",
            "x/etc/crontab",
        ];
        for p in pats {
            let re = Regex::new(p).unwrap();
            let lits = anchored_prefixes(&re).unwrap_or_else(|| panic!("{p}: no prefixes"));
            let t = Test::PrefixedRegex(lits, re.clone());
            for h in hays {
                assert_eq!(str_test(&t, h, &[]), re.is_match(h), "{p} on {h:?}");
            }
        }
    }

    #[test]
    fn case_insensitive_tests_and_cidr() {
        let t = |t: Test, s: &str| str_test(&t, s, &[]);
        assert!(t(Test::IStrEq("/usr/bin/java".into()), "/USR/bin/Java"));
        assert!(!t(Test::IStrEq("/usr/bin/java".into()), "/usr/bin/javac"));
        assert!(t(Test::IStartsWith("/tmp/".into()), "/TMP/x"));
        assert!(!t(Test::IStartsWith("/tmp/x".into()), "/tmp"));
        assert!(t(Test::IEndsWith("/bash".into()), "/bin/BASH"));
        assert!(!t(Test::IEndsWith("/bash".into()), "/bin/dash"));
        let c = |net: &str| Test::Cidr(Box::new(Cidr::parse(net).unwrap()));
        assert!(t(c("10.0.0.0/8"), "10.2.3.4"));
        assert!(t(c("10.0.0.0/8"), "::ffff:10.2.3.4"));
        assert!(!t(c("10.0.0.0/8"), "11.0.0.1"));
        assert!(t(c("fe80::/10"), "fe80::1"));
        assert!(!t(c("fe80::/10"), "10.0.0.1"));
        assert!(!t(c("0.0.0.0/0"), "not an ip"));
        assert!(t(c("0.0.0.0/0"), "8.8.8.8"));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
    }

    #[test]
    fn icontains_is_ascii_case_insensitive() {
        assert!(icontains("Hello WORLD", "o wor"));
        assert!(!icontains("abc", "abcd"));
    }

    #[test]
    fn path_matcher_boundaries() {
        let m = PathMatcher { paths: vec!["/etc/cron.d".into()], patterns: vec![], plain_prefix: false };
        assert!(m.matches("/etc/cron.d"));
        assert!(m.matches("/etc/cron.d/x"));
        assert!(!m.matches("/etc/cron.daily/x"));
        let m = PathMatcher { paths: vec!["/etc/cron".into()], patterns: vec![], plain_prefix: true };
        assert!(m.matches("/etc/cron.daily/x"));
    }
}
