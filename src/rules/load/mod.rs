//! Loads rules in two passes: `read` parses the rule tables of the main
//! config and the rule files (TOML, keeping positions for messages, via
//! `source`) into unvalidated `RawRule`s; `compile` resolves and
//! type-checks them into a `RuleSet`. This module holds the entry points
//! and what the passes hand each other.

mod compile;
mod read;
mod sigma;
mod source;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{Ctx, Loc, Problem, RuleError};
use super::eval::Cond;
use super::fields::TypeMask;
use super::lang::parser::Lit;
use super::model::{RuleMeta, RuleSet, SeqKey};
use crate::config::permissions::Policy;
use crate::location::Location;
use source::Src;

impl RuleSet {
    /// Parses the rule tables of the main config, then every `*.toml` file
    /// (sorted by name) of each `[detection].rule_dirs` entry (relative to
    /// the config's directory) and of `extra_dirs`.
    pub fn load(config_text: &str, config_path: &Path, extra_dirs: &[PathBuf]) -> Result<RuleSet, RuleError> {
        RuleSet::load_checked(config_text, config_path, extra_dirs, &Policy::off())
    }

    /// `load`, refusing rule directories and files `policy` finds insecure
    /// (StrictModes, see `config::permissions`).
    pub fn load_checked(
        config_text: &str,
        config_path: &Path,
        extra_dirs: &[PathBuf],
        policy: &Policy,
    ) -> Result<RuleSet, RuleError> {
        let mut c = Collected::default();
        let main = Src::new(config_path, config_text);
        read::read_source(&mut c, &main, true)?;
        let base = config_path.parent().unwrap_or(Path::new("."));
        let mut dirs: Vec<(PathBuf, Option<Loc>)> = std::mem::take(&mut c.rule_dirs)
            .into_iter()
            .map(|(d, l)| (if d.is_relative() { base.join(d) } else { d }, Some(l)))
            .collect();
        dirs.extend(extra_dirs.iter().map(|d| (d.clone(), None)));
        for (dir, loc) in dirs {
            let files = rule_files(&dir, loc)?;
            policy.check(&dir)?;
            for file in files {
                policy.check(&file)?;
                let text =
                    std::fs::read_to_string(&file).map_err(|e| RuleError::Io { path: file.clone(), source: e })?;
                if sigma::is_sigma(&file) {
                    sigma::read_sigma(&mut c, &file, &text);
                } else {
                    read::read_source(&mut c, &Src::new(&file, &text), false)?;
                }
            }
        }
        compile::compile(c)
    }

    /// Builds a rule set from rule-file texts (each with the tables a rule
    /// file may hold).
    pub fn from_sources(sources: &[(PathBuf, String)]) -> Result<RuleSet, RuleError> {
        let mut c = Collected::default();
        for (path, text) in sources {
            if sigma::is_sigma(path) {
                sigma::read_sigma(&mut c, path, text);
            } else {
                read::read_source(&mut c, &Src::new(path, text), false)?;
            }
        }
        compile::compile(c)
    }
}

/// The `*.toml` files of one rule directory, then its Sigma files
/// (`*.yml`, `*.yaml`, in it and its subdirectories, as SigmaHQ lays
/// them out), each sorted by path.
fn rule_files(dir: &Path, loc: Option<Loc>) -> Result<Vec<PathBuf>, RuleError> {
    if !dir.is_dir() {
        let loc = loc.unwrap_or(Loc { file: Arc::new(dir.to_path_buf()), at: Location { line: 0, col: 0 } });
        return Err(RuleError::invalid(
            Ctx { loc, rule: None, key: Some("detection.rule_dirs".into()) },
            Problem::MissingDir(dir.display().to_string()),
        ));
    }
    let rd = std::fs::read_dir(dir).map_err(|e| RuleError::Io { path: dir.to_path_buf(), source: e })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
        .collect();
    files.sort();
    let mut yml = Vec::new();
    sigma_files(dir, &mut yml, 0)?;
    yml.sort();
    files.extend(yml);
    Ok(files)
}

/// Sigma files under `dir`, at most 8 directories deep (symlinked
/// directories are not followed).
fn sigma_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), RuleError> {
    let rd = std::fs::read_dir(dir).map_err(|e| RuleError::Io { path: dir.to_path_buf(), source: e })?;
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() && depth < 8 => sigma_files(&p, out, depth + 1)?,
            Ok(t) if t.is_file() && sigma::is_sigma(&p) => out.push(p),
            _ => {}
        }
    }
    Ok(())
}

/// A problem at `loc`, in `rule` (when known), under `key`.
fn bad(loc: Loc, rule: Option<&str>, key: &str, problem: Problem) -> RuleError {
    RuleError::invalid(Ctx { loc, rule: rule.map(str::to_string), key: Some(key.to_string()) }, problem)
}

/// Everything read from all sources, in load order, before any name is
/// resolved: what `read` hands `compile`.
#[derive(Default)]
struct Collected {
    rules: Vec<RawRule>,
    ids: HashMap<String, Loc>,
    lists: HashMap<String, (Vec<Lit>, Loc)>,
    macros: HashMap<String, CondSrc>,
    rule_dirs: Vec<(PathBuf, Loc)>,
    max_pending: Option<usize>,
    disabled: Vec<(String, Loc)>,
    /// `[detection] sigma_min_status`, checked when read.
    sigma_min_status: Option<String>,
    sigma: crate::rules::sigma::SigmaReport,
}

/// A rule as read, before names are resolved.
struct RawRule {
    meta: RuleMeta,
    loc: Loc,
    cond: Option<CondSrc>,
    /// The steps, window and key of a sequence rule.
    seq: Option<RawSeq>,
    /// Compat matchers already lowered, and the event types they allow.
    compat: Cond,
    compat_mask: TypeMask,
    explicit_type: bool,
}

/// A sequence rule's parts: at least two steps, a positive window, a key.
struct RawSeq {
    steps: Vec<CondSrc>,
    window_secs: f64,
    key: SeqKey,
}

/// A condition's text and where it starts in its file, to place errors
/// that point inside it.
#[derive(Clone, Debug)]
struct CondSrc {
    text: String,
    start: Loc,
    /// Characters between the value's start and the text (the quotes).
    quote: usize,
    /// A `"""` string drops the newline right after its opening quotes.
    multiline: bool,
}

impl CondSrc {
    fn loc_at(&self, pos: usize) -> Loc {
        let before = self.text.get(..pos.min(self.text.len())).unwrap_or("");
        let nl = before.matches('\n').count();
        let mut loc = self.start.clone();
        if self.multiline {
            loc.at.line += 1 + nl;
            loc.at.col = before.rsplit('\n').next().map_or(1, |s| s.chars().count() + 1);
        } else if nl > 0 {
            loc.at.line += nl;
            loc.at.col = before.rsplit('\n').next().map_or(1, |s| s.chars().count() + 1);
        } else {
            loc.at.col += self.quote + before.chars().count();
        }
        loc
    }
}
