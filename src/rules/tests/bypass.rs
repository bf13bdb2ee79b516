//! Issue 18's bypasses of the default pack's pipelines: a decoder piped
//! into a shell fires the decode rules whatever the decoder's option
//! spelling, whatever the names of the two programs (a link, argv[0], a
//! copy in a temporary directory), in either exec order; look-alikes that
//! decode nothing, or feed no shell, do not. (Single-event rules' variants
//! are in the pack fixtures, `pack.rs`.)

use super::*;

const PIPE_OUT: [&str; 3] = ["pipe", "pipe", "tty"];
const PIPE_IN: [&str; 3] = ["pipe", "tty", "tty"];

/// The alerts raised by `first` then `second`, children of the same shell.
fn pipeline(first: Record, second: Record) -> Vec<String> {
    let mut e = Engine::new(pack());
    let mut ids = fired(&mut e, first);
    ids.extend(fired(&mut e, second));
    ids
}

/// A pipeline member exec'd as `argv` from `filename`, running `exe`.
fn member(pid: u32, filename: &str, exe: &str, argv: &[&str], stdio: [&'static str; 3]) -> Record {
    exec(T0 + u64::from(pid), pid, 900, "bash", filename, argv, stdio).with_exe(exe)
}

fn decoder(filename: &str, exe: &str, argv: &[&str]) -> Record {
    member(901, filename, exe, argv, PIPE_OUT)
}

fn shell(filename: &str, exe: &str, argv: &[&str]) -> Record {
    member(902, filename, exe, argv, PIPE_IN)
}

fn bash() -> Record {
    shell("/usr/bin/bash", "/usr/bin/bash", &["bash"])
}

fn base64(argv: &[&str]) -> Record {
    decoder("/usr/bin/base64", "/usr/bin/base64", argv)
}

/// Both exec orders fire their rule (or, with `want` false, neither fires anything).
fn check(what: &str, dec: Record, sh: Record, want: bool) {
    let forward = pipeline(dec.clone(), sh.clone());
    let reverse = pipeline(sh, dec);
    if want {
        assert!(forward.iter().any(|a| a == "RG-SEQ-DECODE-TO-SHELL"), "{what}: {forward:?}");
        assert!(reverse.iter().any(|a| a == "RG-SEQ-DECODE-TO-SHELL-R"), "{what} (shell first): {reverse:?}");
    } else {
        assert!(forward.is_empty() && reverse.is_empty(), "{what}: {forward:?} / {reverse:?}");
    }
}

#[test]
fn decode_option_spellings_still_fire() {
    for argv in [
        &["base64", "-d"][..],
        &["base64", "-di"],
        &["base64", "-id"],
        &["base64", "-i", "--dec"],
        &["base64", "--d"],
        &["base64", "-w", "0", "-d"],
        &["base64", "-w0", "--decode"],
        &["base64", "--wrap=0", "-di"],
        &["base64", "/dev/stdin", "-d"],
    ] {
        check(&argv.join(" "), base64(argv), bash(), true);
    }
    for argv in [&["xxd", "-r"][..], &["xxd", "-rp"], &["xxd", "-revert", "-p"], &["xxd", "--revert"]] {
        check(&argv.join(" "), decoder("/usr/bin/xxd", "/usr/bin/xxd", argv), bash(), true);
    }
    check(
        "basenc --base64 -d",
        decoder("/usr/bin/basenc", "/usr/bin/basenc", &["basenc", "--base64", "-d"]),
        bash(),
        true,
    );
}

#[test]
fn decoder_and_shell_names_do_not_matter() {
    // a link named b to base64; busybox's applet; a copy in /tmp named x
    check("link b -> base64", decoder("/tmp/b", "/usr/bin/base64", &["b", "-d"]), bash(), true);
    check("busybox base64 -d", decoder("/bin/busybox", "/usr/bin/busybox", &["busybox", "base64", "-d"]), bash(), true);
    check("a copy of base64 at /tmp/x", decoder("/tmp/x", "/tmp/x", &["x", "-di"]), bash(), true);
    // the shell: a link named y to dash, argv[0] that lies, a copy of bash in /dev/shm
    let dec = || base64(&["base64", "-d"]);
    check("link y -> dash", dec(), shell("/tmp/y", "/usr/bin/dash", &["y"]), true);
    check("argv[0] [kworker]", dec(), shell("/usr/bin/bash", "/usr/bin/bash", &["[kworker/0:1]"]), true);
    check("a copy of bash at /dev/shm/x", dec(), shell("/dev/shm/x", "/dev/shm/x", &["x"]), true);
    check("sh as busybox's applet", dec(), shell("/bin/sh", "/usr/bin/busybox", &["sh"]), true);
}

#[test]
fn decode_look_alikes_stay_quiet() {
    // encoding (a file named -d after `--`, -i alone), -d as the value of -w
    check("base64 -- -d", base64(&["base64", "--", "-d"]), bash(), false);
    check("base64 -i", base64(&["base64", "-i"]), bash(), false);
    check("base64 -w -d", base64(&["base64", "-w", "-d"]), bash(), false);
    check("xxd -p", decoder("/usr/bin/xxd", "/usr/bin/xxd", &["xxd", "-p"]), bash(), false);
    // decoded into a pager, and a program named base64 that is not one
    let cat = shell("/usr/bin/cat", "/usr/bin/cat", &["cat"]);
    check("base64 -d | cat", base64(&["base64", "-d"]), cat, false);
    let fake = renamed(decoder("/usr/bin/gzip", "/usr/bin/gzip", &["base64", "-d"]), "base64");
    check("gzip named base64", fake, bash(), false);
}

fn renamed(mut r: Record, comm: &str) -> Record {
    r.comm = comm.into();
    r
}
