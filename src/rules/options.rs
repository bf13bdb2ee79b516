//! `args has_option (...)`: whether a command line asks for an option, read
//! as getopt(3)/getopt_long(3) would read it, so that no spelling of the
//! option hides it: bundled short flags (`-di`), a short option's value
//! glued on or separate (`-w0`, `-w 0`), long options with `=` or separate
//! values, unambiguous abbreviations of long options (`--dec`), options
//! after operands (GNU getopt permutes), and `--` ending the options.

/// The options a `has_option` test looks for, and those of the program's
/// options that take a value (so their values are not read as options).
/// Short options are single characters, long options their names without
/// the leading `--`.
#[derive(Clone, Debug, PartialEq)]
pub struct OptSpec {
    wanted_short: Box<[char]>,
    wanted_long: Box<[Box<str>]>,
    valued_short: Box<[char]>,
    valued_long: Box<[Box<str>]>,
}

/// Why an option name cannot be used in `has_option`.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name.starts_with('-') {
        return Err("starts with `-` (write options without their dashes: 'd', 'decode')");
    }
    if name.contains(|c: char| c == '=' || c.is_whitespace() || c.is_control()) {
        return Err("contains `=`, a space or a control character");
    }
    if name == ":" {
        return Err("`:` is not an option character");
    }
    Ok(())
}

/// What a long option argument names among the known long options.
enum Long {
    Wanted,
    /// A value option: its value is the next argument unless given with `=`.
    Valued,
    /// Unknown, or an ambiguous abbreviation: getopt rejects it (the
    /// program exits with a usage error), so it means nothing here.
    Other,
}

impl OptSpec {
    /// Names of one character are short options, longer ones long options.
    /// Names must pass `check_name`.
    pub fn new<'a>(wanted: impl IntoIterator<Item = &'a str>, valued: impl IntoIterator<Item = &'a str>) -> OptSpec {
        let split = |names: &mut dyn Iterator<Item = &'a str>| {
            let (mut short, mut long) = (Vec::new(), Vec::<Box<str>>::new());
            for n in names {
                let mut chars = n.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => short.push(c),
                    _ => long.push(n.into()),
                }
            }
            short.sort_unstable();
            short.dedup();
            long.sort_unstable();
            long.dedup();
            (short.into_boxed_slice(), long.into_boxed_slice())
        };
        let (wanted_short, wanted_long) = split(&mut wanted.into_iter());
        let (valued_short, valued_long) = split(&mut valued.into_iter());
        OptSpec { wanted_short, wanted_long, valued_short, valued_long }
    }

    /// Whether `argv` (argv[0] first, which is skipped) asks for one of the
    /// wanted options.
    pub fn matches(&self, argv: &[String]) -> bool {
        let mut i = 1;
        while let Some(arg) = argv.get(i) {
            i += 1;
            if arg == "--" {
                return false;
            }
            if let Some(body) = arg.strip_prefix("--") {
                let (name, has_value) = match body.split_once('=') {
                    Some((n, _)) => (n, true),
                    None => (body, false),
                };
                match self.long(name) {
                    Long::Wanted => return true,
                    Long::Valued if !has_value => i += 1,
                    Long::Valued | Long::Other => {}
                }
            } else if let Some(bundle) = arg.strip_prefix('-').filter(|b| !b.is_empty()) {
                for (at, c) in bundle.char_indices() {
                    if self.wanted_short.contains(&c) {
                        return true;
                    }
                    if self.valued_short.contains(&c) {
                        // the rest of the bundle is the value, else the next argument
                        if at + c.len_utf8() == bundle.len() {
                            i += 1;
                        }
                        break;
                    }
                }
            }
            // else an operand (`-` alone is one too): GNU getopt reads on
        }
        false
    }

    /// getopt_long's lookup: an exact name wins, else the one known name
    /// the argument abbreviates.
    fn long(&self, name: &str) -> Long {
        let exact = |set: &[Box<str>]| set.iter().any(|n| &**n == name);
        if exact(&self.wanted_long) {
            return Long::Wanted;
        }
        if exact(&self.valued_long) {
            return Long::Valued;
        }
        if name.is_empty() {
            return Long::Other;
        }
        let abbreviates = |set: &[Box<str>]| set.iter().filter(|n| n.starts_with(name)).count();
        match (abbreviates(&self.wanted_long), abbreviates(&self.valued_long)) {
            (1, 0) => Long::Wanted,
            (0, 1) => Long::Valued,
            _ => Long::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    fn base64_decode() -> OptSpec {
        OptSpec::new(["d", "decode"], ["w", "wrap"])
    }

    #[test]
    fn every_getopt_spelling_of_an_option_is_found() {
        let spec = base64_decode();
        for cmd in [
            "base64 -d",
            "base64 --decode",
            "base64 -di",
            "base64 -id",
            "base64 -i -d",
            "base64 --dec",
            "base64 --d",
            "base64 --decode=yes",
            "base64 file -d",
            "base64 -w 0 -d",
            "base64 -w0 -d",
            "base64 -iw0 -d",
            "base64 --wrap 0 --decode",
            "base64 --wrap=0 -d",
            "base64 --wr 76 -d",
            "base64 - -d",
        ] {
            assert!(spec.matches(&argv(cmd)), "{cmd}");
        }
    }

    #[test]
    fn values_operands_and_end_of_options_are_not_options() {
        let spec = base64_decode();
        for cmd in [
            "base64",
            "-d",
            "base64 -i file",
            "base64 -- -d",
            "base64 -w -d",
            "base64 -iw -d",
            "base64 --wrap -d",
            "base64 --wr -d",
            "base64 -w0d",
            "base64 d",
            "base64 --",
            "base64 -",
            "base64 --deco-x",
            "base64 --",
        ] {
            assert!(!spec.matches(&argv(cmd)), "{cmd}");
        }
    }

    #[test]
    fn exact_long_names_win_and_ambiguous_abbreviations_match_nothing() {
        // modprobe: --show is dry-run, --show-depends another option
        let spec = OptSpec::new(["n", "dry-run", "show"], ["C", "config", "show-depends-of"]);
        assert!(spec.matches(&argv("modprobe --show x")));
        assert!(!spec.matches(&argv("modprobe --sho x")), "ambiguous: show, show-depends-of");
        assert!(spec.matches(&argv("modprobe --dry x")));
        // a value option's value is not read as an option, glued or not
        assert!(!spec.matches(&argv("modprobe -C -n x")));
        assert!(!spec.matches(&argv("modprobe -C-n x")));
        assert!(!spec.matches(&argv("modprobe --config -n x")));
        assert!(spec.matches(&argv("modprobe --config=-n -n x")));
        // an unknown option is skipped, not an end of options
        assert!(spec.matches(&argv("modprobe --quiet -qn x")));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("d").is_ok());
        assert!(check_name("dry-run").is_ok());
        assert!(check_name("?").is_ok());
        for bad in ["", "-d", "--decode", "wrap=", "a b", ":"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
