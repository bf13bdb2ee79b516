//! What `process_exec` says beyond the program and its arguments: whether
//! the exec changed credentials (a setuid or setgid file, file
//! capabilities), and which script an interpreter was started to run.

use super::json::ObjectWriter;
use super::{cap_names, Exec};

/// The credentials across one exec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecCreds {
    /// The effective gid after exec (the record's `euid` is the effective uid).
    pub egid: u32,
    /// The caller's ids before exec and what changed; None when the sensor
    /// did not see the exec's entry (its stash was lost, counted).
    pub before: Option<OldCreds>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OldCreds {
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// Capabilities in the new permitted or effective set that the caller's
    /// lacked (bit n = capability n).
    pub caps_gained: u64,
    /// The effective uid or gid changed, or capabilities were gained.
    pub privilege_change: bool,
}

/// How the script of an interpreted exec was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// The kernel ran the file through its `#!` line (or binfmt_misc).
    Kernel,
    /// A known interpreter or the dynamic loader was started with a file
    /// argument (`python3 x.py`, `sh x.sh`, `ld.so /path/x`).
    Argv,
}

impl ScriptSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ScriptSource::Kernel => "kernel",
            ScriptSource::Argv => "argv",
        }
    }

    pub fn from_name(name: &str) -> Option<ScriptSource> {
        [ScriptSource::Kernel, ScriptSource::Argv].into_iter().find(|s| s.as_str() == name)
    }
}

/// A script and the interpreter that runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// `#!`-started: the interpreter as the file's `#!` line (or the
    /// binfmt_misc entry) names it; argv-started: the resolved exe.
    pub interpreter: String,
    /// The script's path as the caller named it, made absolute against the
    /// cwd (lexically: symlinks are not resolved).
    pub path: String,
    pub source: ScriptSource,
}

/// How one interpreter family reads its command line: the short options
/// that take a value, those that mean "no script file" (inline code,
/// a module, stdin), and the same for long options.
struct Syntax {
    value_short: &'static str,
    no_script_short: &'static str,
    value_long: &'static [&'static str],
    no_script_long: &'static [&'static str],
    /// `+o`-style options too (shells).
    plus: bool,
}

const SHELL: Syntax = Syntax {
    value_short: "oO",
    no_script_short: "cs",
    value_long: &["--rcfile", "--init-file"],
    no_script_long: &[],
    plus: true,
};
const PYTHON: Syntax = Syntax {
    value_short: "WXQ",
    no_script_short: "cm",
    value_long: &["--check-hash-based-pycs"],
    no_script_long: &[],
    plus: false,
};
const PERL: Syntax =
    Syntax { value_short: "ImMx", no_script_short: "eE", value_long: &[], no_script_long: &[], plus: false };
const RUBY: Syntax =
    Syntax { value_short: "ICrE", no_script_short: "e", value_long: &[], no_script_long: &[], plus: false };
const NODE: Syntax = Syntax {
    value_short: "rC",
    no_script_short: "ep",
    value_long: &["--require", "--import", "--loader", "--experimental-loader", "--conditions", "--title"],
    no_script_long: &["--eval", "--print", "--interactive", "--test"],
    plus: false,
};
const PHP: Syntax =
    Syntax { value_short: "cdz", no_script_short: "rBRFEa", value_long: &[], no_script_long: &[], plus: false };
const LUA: Syntax =
    Syntax { value_short: "l", no_script_short: "ei", value_long: &[], no_script_long: &[], plus: false };
const LD_SO: Syntax = Syntax {
    value_short: "",
    no_script_short: "",
    value_long: &[
        "--library-path",
        "--preload",
        "--inhibit-rpath",
        "--audit",
        "--argv0",
        "--glibc-hwcaps-prefix",
        "--glibc-hwcaps-mask",
    ],
    no_script_long: &["--list", "--verify", "--help", "--version", "--list-tunables", "--list-diagnostics"],
    plus: false,
};

/// The syntax of the interpreter whose resolved exe has basename `name`:
/// a family name with an optional version (`python3.11`, `perl5.36`), or a
/// dynamic loader (`ld-linux-x86-64.so.2`, `ld.so`).
fn syntax_of(name: &str) -> Option<&'static Syntax> {
    if name == "ld.so" || (name.starts_with("ld-") && name.contains(".so")) || name.starts_with("ld64.so") {
        return Some(&LD_SO);
    }
    let family = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    Some(match family {
        "sh" | "dash" | "bash" | "zsh" | "ksh" | "mksh" | "ash" => &SHELL,
        "python" | "pypy" => &PYTHON,
        "perl" => &PERL,
        "ruby" => &RUBY,
        "node" | "nodejs" => &NODE,
        "php" => &PHP,
        "lua" | "luajit" => &LUA,
        _ => return None,
    })
}

/// The file a known interpreter or the dynamic loader was started to run:
/// the first argument after the options, read as the interpreter's own
/// parser reads them (bundled short flags, a value attached or in the next
/// argument, `--name=value`, `--` ending the options). None when the
/// options name inline code, a module or stdin (`-c`, `-e`, `-m`, `-`), or
/// when there is no such argument. The path is as the caller wrote it.
pub fn script_from_argv<'a>(exe: &str, argv: &'a [String]) -> Option<&'a str> {
    let syn = syntax_of(exe.rsplit('/').next()?)?;
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if a == "-" {
            return None;
        }
        if let Some(long) = a.strip_prefix("--").map(|_| a.split('=').next().unwrap_or(a)) {
            if syn.no_script_long.contains(&long) {
                return None;
            }
            i += if syn.value_long.contains(&long) && !a.contains('=') { 2 } else { 1 };
            continue;
        }
        let flags = match a.strip_prefix('-').or_else(|| a.strip_prefix('+').filter(|_| syn.plus)) {
            Some(f) if !f.is_empty() => f,
            _ => break,
        };
        i += 1;
        for (at, c) in flags.char_indices() {
            if syn.no_script_short.contains(c) {
                return None;
            }
            if syn.value_short.contains(c) {
                // the value is the rest of this argument, or the next one
                if at + c.len_utf8() == flags.len() {
                    i += 1;
                }
                break;
            }
        }
    }
    argv.get(i).map(String::as_str)
}

/// The exec's credential and script fields: every one is always written
/// (null when unknown or not applicable), so a consumer can tell "no
/// change" from "not seen".
pub(super) fn write_exec_extra(w: &mut ObjectWriter<'_>, e: &Exec) {
    w.u64("egid", e.creds.egid.into());
    match e.creds.before {
        Some(b) => {
            w.u64("old_uid", b.uid.into());
            w.u64("old_euid", b.euid.into());
            w.u64("old_gid", b.gid.into());
            w.u64("old_egid", b.egid.into());
            w.bool("privilege_change", b.privilege_change);
            w.lit_array("caps_gained", cap_names(b.caps_gained));
        }
        None => {
            for k in ["old_uid", "old_euid", "old_gid", "old_egid", "privilege_change", "caps_gained"] {
                w.null(k);
            }
        }
    }
    match &e.script {
        Some(s) => {
            w.str("interpreter", &s.interpreter);
            w.str("script", &s.path);
            w.lit("script_source", s.source.as_str());
        }
        None => {
            for k in ["interpreter", "script", "script_source"] {
                w.null(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(exe: &str, argv: &[&str]) -> Option<String> {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        script_from_argv(exe, &argv).map(str::to_string)
    }

    #[test]
    fn python_script_is_the_first_argument_after_the_options() {
        assert_eq!(script("/usr/bin/python3.11", &["python3", "/tmp/x.py", "-c"]).as_deref(), Some("/tmp/x.py"));
        assert_eq!(script("/usr/bin/python3", &["python3", "-u", "x.py"]).as_deref(), Some("x.py"));
        assert_eq!(script("/usr/bin/python3", &["p", "-W", "ignore", "../x.py"]).as_deref(), Some("../x.py"));
        assert_eq!(script("/usr/bin/python3", &["p", "-Wignore", "-I", "x.py"]).as_deref(), Some("x.py"));
        assert_eq!(script("/usr/bin/python3", &["p", "-uX", "dev", "x.py"]).as_deref(), Some("x.py"));
        assert_eq!(script("/usr/bin/python3", &["p", "--", "-x.py"]).as_deref(), Some("-x.py"));
    }

    #[test]
    fn inline_code_modules_and_stdin_have_no_script() {
        assert_eq!(script("/usr/bin/python3", &["p", "-c", "print(1)"]), None);
        assert_eq!(script("/usr/bin/python3", &["p", "-Ic", "print(1)"]), None);
        assert_eq!(script("/usr/bin/python3", &["p", "-m", "http.server"]), None);
        assert_eq!(script("/usr/bin/python3", &["p", "-"]), None);
        assert_eq!(script("/usr/bin/python3", &["p"]), None);
        assert_eq!(script("/usr/bin/bash", &["bash", "-ec", "id"]), None);
        assert_eq!(script("/usr/bin/dash", &["sh", "-s", "x"]), None);
        assert_eq!(script("/usr/bin/perl", &["perl", "-we", "1"]), None);
        assert_eq!(script("/usr/bin/node", &["node", "--eval", "1"]), None);
        assert_eq!(script("/usr/bin/node", &["node", "--print=1"]), None);
    }

    #[test]
    fn shells_and_others_skip_their_valued_options() {
        assert_eq!(script("/usr/bin/bash", &["bash", "-o", "posix", "+x", "x.sh"]).as_deref(), Some("x.sh"));
        assert_eq!(script("/usr/bin/bash", &["bash", "--rcfile", "r", "x.sh"]).as_deref(), Some("x.sh"));
        assert_eq!(script("/usr/bin/perl", &["perl", "-I", "/l", "-w", "/x.pl"]).as_deref(), Some("/x.pl"));
        assert_eq!(script("/usr/bin/node", &["node", "--require", "m", "a.js"]).as_deref(), Some("a.js"));
        assert_eq!(script("/usr/bin/node", &["node", "--require=m", "a.js"]).as_deref(), Some("a.js"));
    }

    #[test]
    fn the_dynamic_loader_runs_its_first_non_option_argument() {
        let ld = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
        assert_eq!(script(ld, &["ld.so", "/tmp/x", "-a"]).as_deref(), Some("/tmp/x"));
        assert_eq!(script(ld, &["ld.so", "--library-path", "/l", "--inhibit-cache", "./x"]).as_deref(), Some("./x"));
        assert_eq!(script(ld, &["ld.so", "--list", "/bin/ls"]), None);
    }

    #[test]
    fn other_programs_have_no_script() {
        assert_eq!(script("/usr/bin/cat", &["cat", "x"]), None);
        assert_eq!(script("/usr/bin/shred", &["shred", "x"]), None);
        assert_eq!(script("/tmp/python-look-alike", &["p", "x"]), None);
    }
}
