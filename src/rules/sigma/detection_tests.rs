//! Value and modifier semantics, on compiled conditions and real records.

use super::*;
use crate::rules::bench::{exec, net, open, rename, O_CREAT, O_RDONLY, O_WRONLY};
use crate::rules::sigma::yaml;

const T0: u64 = 1_795_338_000_000_000_000;

/// The condition one selection (YAML text) compiles to.
fn sel(ls: LogSource, text: &str) -> Result<Cond, Rejected> {
    let node = yaml::parse(text).unwrap().unwrap();
    selection(&node, ls, &mut Vec::new())
}

fn proc_sel(text: &str) -> Cond {
    sel(LogSource::ProcessCreation, text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn cmd(c: &Cond, cmdline: &str) -> bool {
    let mut r = exec(T0, 10, 1, "bash", "/usr/bin/Python3", &["x"], ["tty"; 3]);
    r.cmdline = Some(cmdline.into());
    c.eval(&r, &[])
}

#[test]
fn strings_match_case_insensitively_with_wildcards() {
    let c = proc_sel("CommandLine: 'curl * | SH'");
    assert!(cmd(&c, "CURL http://x | sh"));
    assert!(!cmd(&c, "curl http://x | bash"));
    let c = proc_sel("CommandLine: 'a?c'");
    assert!(cmd(&c, "AbC"));
    assert!(!cmd(&c, "abbc"));
    // escaped wildcards are the characters themselves
    let c = proc_sel("CommandLine: 'a\\*c'");
    assert!(cmd(&c, "a*c"));
    assert!(!cmd(&c, "abc"));
    let c = proc_sel("Image|endswith: '/python3'");
    assert!(cmd(&c, ""));
    let c = proc_sel("Image: '/usr/bin/python3'");
    assert!(cmd(&c, ""));
}

#[test]
fn contains_startswith_endswith_all_and_lists() {
    let c = proc_sel("CommandLine|contains:\n  - 'wget'\n  - 'curl'");
    assert!(cmd(&c, "x CURL y"));
    assert!(!cmd(&c, "fetch"));
    let c = proc_sel("CommandLine|contains|all:\n  - 'wget'\n  - '-O'");
    assert!(cmd(&c, "wget -O x"));
    assert!(!cmd(&c, "wget x"));
    let c = proc_sel("CommandLine|startswith: 'sh -c'");
    assert!(cmd(&c, "SH -c id"));
    assert!(!cmd(&c, "bash sh -c"));
    let c = proc_sel("CommandLine|endswith: '.sh'");
    assert!(cmd(&c, "run.SH"));
    assert!(!cmd(&c, "run.sh x"));
    // a list of maps is an `or`, a map an `and`
    let c = proc_sel("- CommandLine: a\n  Image|endswith: /nope\n- CommandLine: b");
    assert!(!cmd(&c, "a"));
    assert!(cmd(&c, "B"));
    // keywords search the command line
    let c = proc_sel("- 'base64 -d'\n- 'xxd'");
    assert!(cmd(&c, "echo x | BASE64 -d"));
    assert!(!cmd(&c, "base64"));
}

#[test]
fn regex_is_case_sensitive_unless_i() {
    let c = proc_sel("CommandLine|re: 'ab+c'");
    assert!(cmd(&c, "xabbc"));
    assert!(!cmd(&c, "ABBC"));
    let c = proc_sel("CommandLine|re|i: 'ab+c'");
    assert!(cmd(&c, "ABBC"));
    let c = proc_sel("CommandLine|re|s: 'a.b'");
    assert!(cmd(&c, "a\nb"));
}

#[test]
fn windash_and_base64() {
    let c = proc_sel("CommandLine|windash|contains: ' -enc '");
    assert!(cmd(&c, "x -enc y"));
    assert!(cmd(&c, "x /enc y"));
    assert!(cmd(&c, "x \u{2013}enc y"));
    assert!(!cmd(&c, "x enc y"));
    let c = proc_sel("CommandLine|base64|contains: 'hello world!x'");
    assert!(cmd(&c, "echo aGVsbG8gd29ybGQheA== | base64 -d"));
    assert_eq!(base64_offsets(b"/bin/bash"), ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]);
    assert_eq!(base64_offsets(b"ab"), ["YW", "Fi", "hY"]);
    let c = proc_sel("CommandLine|base64offset|contains: '/bin/bash'");
    // "x/bin/bash" encoded: the value at offset 1
    assert!(cmd(&c, &base64(b"x/bin/bash")));
    assert!(cmd(&c, &base64(b"xx/bin/bash..")));
    assert!(!cmd(&c, &base64(b"/bin/dash")));
}

#[test]
fn exists_null_numbers_and_cidr() {
    let c = proc_sel("CurrentDirectory|exists: true");
    assert!(cmd(&c, ""));
    let c = proc_sel("CurrentDirectory|exists: false");
    assert!(!cmd(&c, ""));
    let c = proc_sel("CurrentDirectory: null");
    assert!(!cmd(&c, ""));
    let c = proc_sel("ProcessId|gt: 5");
    assert!(cmd(&c, ""));
    let c = proc_sel("ProcessId|lte: 5");
    assert!(!cmd(&c, ""));
    let c = proc_sel("ProcessId: 10");
    assert!(cmd(&c, ""));
    let n = |text: &str| sel(LogSource::NetworkConnection, text).unwrap();
    let r = net(T0, 10, 1, "nc", crate::record::NetKind::Connect, "10.1.2.3", 4444);
    assert!(n("DestinationIp|cidr: '10.0.0.0/8'").eval(&r, &[]));
    assert!(!n("DestinationIp|cidr: '192.168.0.0/16'").eval(&r, &[]));
    assert!(n("DestinationPort: 4444\nInitiated: 'true'").eval(&r, &[]));
    assert!(!n("Initiated: 'false'").eval(&r, &[]));
    let a = net(T0, 10, 1, "nc", crate::record::NetKind::Accept, "10.1.2.3", 4444);
    assert!(n("Initiated: 'false'").eval(&a, &[]));
}

#[test]
fn target_filename_is_the_opened_path_or_the_rename_destination() {
    let c = sel(LogSource::FileEvent, "TargetFilename|startswith: '/etc/cron.d/'").unwrap();
    assert!(c.eval(&open(T0, 1, "sh", "/etc/cron.d/x", O_WRONLY | O_CREAT), &[]));
    assert!(c.eval(&rename(T0, 1, "mv", "/tmp/x", "/ETC/cron.d/x"), &[]));
    assert!(!c.eval(&rename(T0, 1, "mv", "/etc/cron.d/x", "/tmp/x"), &[]));
    // reads are not file events: the log source's base condition says so
    let base = LogSource::FileEvent.base();
    assert!(!base.eval(&open(T0, 1, "cat", "/etc/cron.d/x", O_RDONLY), &[]));
    assert!(base.eval(&open(T0, 1, "sh", "/etc/cron.d/x", O_WRONLY), &[]));
}

#[test]
fn unsupported_parts_are_named() {
    let reason = |ls, text| sel(ls, text).unwrap_err().reason.to_string();
    assert!(reason(LogSource::ProcessCreation, "OriginalFileName: x").contains("unsupported field `OriginalFileName`"));
    assert!(reason(LogSource::ProcessCreation, "Image|fieldref: x").contains("unsupported modifier `fieldref`"));
    assert!(reason(LogSource::ProcessCreation, "Image|utf16le: x").contains("modifier `utf16le`"));
    assert!(reason(LogSource::ProcessCreation, "ProcessId|contains: 5").contains("integer field"));
    assert!(reason(LogSource::ProcessCreation, "Image|re: '(?<=a)b'").contains("regex"));
    assert!(reason(LogSource::NetworkConnection, "- x").contains("keywords"));
    let e = sel(LogSource::ProcessCreation, "Image: a\nCommandLine|cidr: 'nope'").unwrap_err();
    assert_eq!(e.line, 2);
}
