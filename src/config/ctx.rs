//! Owns `Ctx`, the helpers every section validator words its errors and warnings with: positions, choices, ranges, lists and hook lists.

use std::ops::Range;
use std::path::Path;

use super::hooks::Hook;
use super::raw::{Opt, OptList};
use super::{ConfigError, Location};

/// What phase two needs to word errors and warnings.
pub(super) struct Ctx<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn location(&self, offset: usize) -> Location {
        Location::from_offset(self.text, offset)
    }

    pub(super) fn invalid(&self, span: Range<usize>, key: &str, message: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            location: Some(self.location(span.start)),
            key: key.to_owned(),
            message: message.to_owned(),
        }
    }

    /// Like `invalid`, for values whose span may be unknown.
    pub(super) fn invalid_at(&self, span: Option<Range<usize>>, key: &str, message: &str) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_path_buf(),
            location: span.map(|s| self.location(s.start)),
            key: key.to_owned(),
            message: message.to_owned(),
        }
    }

    /// A warning in the same `FILE:LINE:COL: key ...` form as errors.
    pub(super) fn note(&self, span: Range<usize>, key: &str, message: &str) -> String {
        format!("{}:{}: {key} {message}", self.path.display(), self.location(span.start))
    }

    /// One of a fixed set of strings.
    pub(super) fn choice<T: Copy>(
        &self,
        value: &Opt<String>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(v) = value else {
            return Ok(default);
        };
        if let Some((_, t)) = choices.iter().find(|(name, _)| name == v.get_ref()) {
            return Ok(*t);
        }
        let quoted: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let expected = match quoted.as_slice() {
            [one] => one.clone(),
            [a, b] => format!("{a} or {b}"),
            more => format!("one of {}", more.join(", ")),
        };
        Err(self.invalid(v.span(), key, &format!("expected {expected}, found {:?}", v.get_ref())))
    }

    /// An integer within `range`.
    pub(super) fn int_in(
        &self,
        value: &Opt<i64>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: i64,
        unit: &str,
    ) -> Result<i64, ConfigError> {
        let Some(v) = value else {
            return Ok(default);
        };
        if range.contains(v.get_ref()) {
            return Ok(*v.get_ref());
        }
        Err(self.invalid(
            v.span(),
            key,
            &format!("must be between {} and {}{unit}, found {}", range.start(), range.end(), v.get_ref()),
        ))
    }

    /// A legacy boolean that may only be false.
    pub(super) fn refuse_true(&self, value: &Opt<bool>, key: &str, why: &str) -> Result<(), ConfigError> {
        match value {
            Some(v) if *v.get_ref() => {
                Err(self.invalid(v.span(), key, &format!("{why}; set it to false or remove it")))
            }
            _ => Ok(()),
        }
    }

    /// A list of strings, each checked by `check`; `default` when absent.
    pub(super) fn string_list(
        &self,
        value: &OptList,
        key: &str,
        default: &[&str],
        check: fn(&str) -> Result<(), String>,
    ) -> Result<Vec<String>, ConfigError> {
        let Some(list) = value else {
            return Ok(default.iter().map(|s| (*s).to_owned()).collect());
        };
        let mut out = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.get_ref().iter().enumerate() {
            check(item.get_ref()).map_err(|message| self.invalid(item.span(), &format!("{key}[{i}]"), &message))?;
            out.push(item.get_ref().clone());
        }
        Ok(out)
    }

    /// A hook list: all hooks when absent, else exactly those named.
    pub(super) fn hooks<H: Hook>(
        &self,
        value: &OptList,
        key: &str,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<H>, ConfigError> {
        let Some(list) = value else {
            return Ok(H::all().to_vec());
        };
        let valid = || H::all().iter().map(|h| h.hook_name()).collect::<Vec<_>>().join(", ");
        if list.get_ref().is_empty() {
            return Err(self.invalid(
                list.span(),
                key,
                &format!(
                    "must not be empty (remove the key to attach all {} hooks: {}; disable the category with enabled = false)",
                    H::KIND,
                    valid()
                ),
            ));
        }
        let mut hooks: Vec<H> = Vec::new();
        for (i, item) in list.get_ref().iter().enumerate() {
            let Some(hook) = H::all().iter().copied().find(|h| h.hook_name() == item.get_ref()) else {
                return Err(self.invalid(
                    item.span(),
                    &format!("{key}[{i}]"),
                    &format!("unknown {} hook {:?} (expected one of: {})", H::KIND, item.get_ref(), valid()),
                ));
            };
            if hooks.contains(&hook) {
                warnings.push(self.note(
                    item.span(),
                    &format!("{key}[{i}]"),
                    &format!("repeats hook {:?}", item.get_ref()),
                ));
            } else {
                hooks.push(hook);
            }
        }
        hooks.sort();
        Ok(hooks)
    }
}

/// Range-checked values fit; saturate rather than panic all the same.
pub(super) fn to_u32(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

pub(super) fn to_usize(v: i64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// A boolean key's value, `default` when absent.
pub(super) fn flag(value: &Opt<bool>, default: bool) -> bool {
    value.as_ref().map_or(default, |v| *v.get_ref())
}
