//! Reads rule tables from the main config and rule files (TOML, with
//! positions kept for messages), then compiles everything into a `RuleSet`.

use crate::catalog::Category;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{ImDocument, Item, Table, Value};

use super::compat;
use super::error::{Ctx, Loc, Problem, RuleError};
use super::eval::Cond;
use super::fields::{Field, FieldType, TypeMask};
use super::lang::parser::{parse, Ast, Lit, ParseError};
use super::lang::typecheck::{At, CheckError, Checker, Env};
use super::model::{RuleMeta, RuleSet, RuleType, SeqKey, SeqRule, Severity, SingleRule, Step};
use crate::config::permissions::Policy;
use crate::record::EventType;

const DEFAULT_MAX_PENDING: usize = 10_000;

/// One source text and its line index.
struct Src {
    file: Arc<PathBuf>,
    text: String,
    lines: Vec<usize>,
}

impl Src {
    fn new(file: &Path, text: &str) -> Src {
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Src { file: Arc::new(file.to_path_buf()), text: text.to_string(), lines }
    }

    fn loc(&self, off: usize) -> Loc {
        let line = self.lines.partition_point(|&s| s <= off).max(1);
        let start = self.lines[line - 1];
        let col = self.text.get(start..off.min(self.text.len())).map_or(1, |s| s.chars().count() + 1);
        Loc { file: self.file.clone(), line, col }
    }

    fn span(&self, span: Option<Range<usize>>) -> Loc {
        self.loc(span.map_or(0, |r| r.start))
    }
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
            loc.line += 1 + nl;
            loc.col = before.rsplit('\n').next().map_or(1, |s| s.chars().count() + 1);
        } else if nl > 0 {
            loc.line += nl;
            loc.col = before.rsplit('\n').next().map_or(1, |s| s.chars().count() + 1);
        } else {
            loc.col += self.quote + before.chars().count();
        }
        loc
    }
}

/// A rule as read, before names are resolved.
struct RawRule {
    meta: RuleMeta,
    loc: Loc,
    cond: Option<CondSrc>,
    steps: Vec<CondSrc>,
    window_secs: Option<f64>,
    key: Option<SeqKey>,
    /// Compat matchers already lowered, and the event types they allow.
    compat: Option<Cond>,
    compat_mask: TypeMask,
    explicit_type: bool,
}

#[derive(Default)]
struct Collected {
    rules: Vec<RawRule>,
    ids: HashMap<String, Loc>,
    lists: HashMap<String, (Vec<Lit>, Loc)>,
    macros: HashMap<String, CondSrc>,
    rule_dirs: Vec<(PathBuf, Loc)>,
    max_pending: Option<usize>,
    disabled: Vec<(String, Loc)>,
}

const RULE_FILE_KEYS: [&str; 4] = ["rules", "lists", "macros", "detections"];
/// Every key a `[[rules]]` table may have; the last ten are type-specific.
const RULE_KEYS: [&str; 20] = [
    "id",
    "name",
    "enabled",
    "type",
    "severity",
    "action",
    "risk_score",
    "tags",
    "description",
    "condition",
    "process_names",
    "parent_names",
    "paths",
    "patterns",
    "operations",
    "direction",
    "ports",
    "steps",
    "window_secs",
    "key",
];

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
        read_source(&mut c, &main, true)?;
        let base = config_path.parent().unwrap_or(Path::new("."));
        let mut dirs: Vec<(PathBuf, Option<Loc>)> = std::mem::take(&mut c.rule_dirs)
            .into_iter()
            .map(|(d, l)| (if d.is_relative() { base.join(d) } else { d }, Some(l)))
            .collect();
        dirs.extend(extra_dirs.iter().map(|d| (d.clone(), None)));
        for (dir, loc) in dirs {
            let files = toml_files(&dir, loc)?;
            policy.check(&dir)?;
            for file in files {
                policy.check(&file)?;
                let text =
                    std::fs::read_to_string(&file).map_err(|e| RuleError::Io { path: file.clone(), source: e })?;
                read_source(&mut c, &Src::new(&file, &text), false)?;
            }
        }
        compile(c)
    }

    /// Builds a rule set from rule-file texts (each with the tables a rule
    /// file may hold).
    pub fn from_sources(sources: &[(PathBuf, String)]) -> Result<RuleSet, RuleError> {
        let mut c = Collected::default();
        for (path, text) in sources {
            read_source(&mut c, &Src::new(path, text), false)?;
        }
        compile(c)
    }
}

fn toml_files(dir: &Path, loc: Option<Loc>) -> Result<Vec<PathBuf>, RuleError> {
    if !dir.is_dir() {
        let loc = loc.unwrap_or(Loc { file: Arc::new(dir.to_path_buf()), line: 0, col: 0 });
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
    Ok(files)
}

fn ctx(loc: Loc, rule: Option<&str>, key: &str) -> Ctx {
    Ctx { loc, rule: rule.map(str::to_string), key: Some(key.to_string()) }
}

fn bad(loc: Loc, rule: Option<&str>, key: &str, problem: Problem) -> RuleError {
    RuleError::invalid(ctx(loc, rule, key), problem)
}

/// Typed access to one table's values, with errors that name the place.
struct Reader<'a> {
    src: &'a Src,
    table: &'a Table,
    rule: Option<String>,
    prefix: &'a str,
}

impl<'a> Reader<'a> {
    fn key_name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }
    fn item_loc(&self, key: &str) -> Loc {
        let span = self.table.get(key).and_then(|i| i.span()).or_else(|| self.table.key(key).and_then(|k| k.span()));
        self.src.span(span)
    }
    fn key_loc(&self, key: &str) -> Loc {
        self.src.span(self.table.key(key).and_then(|k| k.span()).or_else(|| self.table.span()))
    }
    fn err(&self, key: &str, problem: Problem) -> RuleError {
        bad(self.item_loc(key), self.rule.as_deref(), &self.key_name(key), problem)
    }
    fn wrong(&self, key: &str, expected: &'static str, found: &str) -> RuleError {
        self.err(key, Problem::WrongType { expected, found: found.to_string() })
    }
    fn check_keys(&self, valid: &[&str]) -> Result<(), RuleError> {
        for (k, _) in self.table.iter() {
            if !valid.contains(&k) {
                let loc = self.key_loc(k);
                return Err(bad(
                    loc,
                    self.rule.as_deref(),
                    &self.key_name(k),
                    Problem::UnknownKey { key: k.to_string(), valid: valid.join(", ") },
                ));
            }
        }
        Ok(())
    }
    fn value(&self, key: &str) -> Result<Option<&'a Value>, RuleError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Item::Value(v)) => Ok(Some(v)),
            Some(other) => Err(self.wrong(key, "a value", other.type_name())),
        }
    }
    fn str(&self, key: &str) -> Result<Option<String>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.value().clone())),
            Some(v) => Err(self.wrong(key, "a string", v.type_name())),
        }
    }
    fn bool(&self, key: &str) -> Result<Option<bool>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b.value())),
            Some(v) => Err(self.wrong(key, "a boolean", v.type_name())),
        }
    }
    fn float(&self, key: &str) -> Result<Option<f64>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::Float(f)) => Ok(Some(*f.value())),
            Some(Value::Integer(i)) => Ok(Some(*i.value() as f64)),
            Some(v) => Err(self.wrong(key, "a number", v.type_name())),
        }
    }
    fn int(&self, key: &str) -> Result<Option<i64>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i.value())),
            Some(v) => Err(self.wrong(key, "an integer", v.type_name())),
        }
    }
    fn array(&self, key: &str) -> Result<Vec<&'a Value>, RuleError> {
        match self.value(key)? {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(v) => Err(self.wrong(key, "an array", v.type_name())),
        }
    }
    fn strs(&self, key: &str) -> Result<Vec<String>, RuleError> {
        self.strs_loc(key).map(|v| v.into_iter().map(|(s, _)| s).collect())
    }
    fn strs_loc(&self, key: &str) -> Result<Vec<(String, Loc)>, RuleError> {
        self.array(key)?
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok((s.value().clone(), self.src.span(v.span()))),
                other => Err(bad(
                    self.src.span(other.span()),
                    self.rule.as_deref(),
                    &self.key_name(key),
                    Problem::WrongType {
                        expected: "an array of strings",
                        found: format!("an array holding a {}", other.type_name()),
                    },
                )),
            })
            .collect()
    }
    fn ports(&self, key: &str) -> Result<Vec<u16>, RuleError> {
        self.array(key)?
            .into_iter()
            .map(|v| {
                let here = self.src.span(v.span());
                match v {
                    Value::Integer(i) => u16::try_from(*i.value()).map_err(|_| {
                        bad(here, self.rule.as_deref(), &self.key_name(key), Problem::PortRange(*i.value()))
                    }),
                    other => Err(bad(
                        here,
                        self.rule.as_deref(),
                        &self.key_name(key),
                        Problem::WrongType {
                            expected: "an array of integers",
                            found: format!("an array holding a {}", other.type_name()),
                        },
                    )),
                }
            })
            .collect()
    }
    fn cond_src(&self, key: &str, v: &Value) -> Option<CondSrc> {
        let Value::String(s) = v else { return None };
        let start = v.span().map_or(0, |r| r.start);
        let raw = self.src.text.get(start..).unwrap_or("");
        let multiline = raw.starts_with("\"\"\"") || raw.starts_with("'''");
        let _ = key;
        Some(CondSrc {
            text: s.value().clone(),
            start: self.src.loc(start),
            quote: if multiline { 3 } else { 1 },
            multiline,
        })
    }
    fn cond(&self, key: &str) -> Result<Option<CondSrc>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(v) => self.cond_src(key, v).map(Some).ok_or_else(|| self.wrong(key, "a string", v.type_name())),
        }
    }
}

fn read_source(c: &mut Collected, src: &Src, main: bool) -> Result<(), RuleError> {
    let doc = ImDocument::parse(src.text.as_str())
        .map_err(|e| RuleError::Syntax { loc: src.span(e.span()), msg: e.message().trim().to_string() })?;
    let top = doc.as_table();
    let r = Reader { src, table: top, rule: None, prefix: "" };
    if !main {
        r.check_keys(&RULE_FILE_KEYS)?;
    }
    if let Some(item) = top.get("rules") {
        let Item::ArrayOfTables(aot) = item else {
            return Err(r.wrong("rules", "an array of tables ([[rules]])", item.type_name()));
        };
        for t in aot.iter() {
            read_rule(c, src, t)?;
        }
    }
    if let Some(item) = top.get("detections") {
        let Item::Table(dt) = item else {
            return Err(r.wrong("detections", "a table", item.type_name()));
        };
        let dr = Reader { src, table: dt, rule: None, prefix: "detections" };
        dr.check_keys(&["persistence", "network"])?;
        for kind in ["persistence", "network"] {
            match dt.get(kind) {
                None => {}
                Some(Item::ArrayOfTables(aot)) => {
                    for t in aot.iter() {
                        read_builtin(c, src, t, kind)?;
                    }
                }
                Some(other) => return Err(dr.wrong(kind, "an array of tables", other.type_name())),
            }
        }
    }
    if let Some(item) = top.get("lists") {
        let Item::Table(lt) = item else {
            return Err(r.wrong("lists", "a table", item.type_name()));
        };
        let lr = Reader { src, table: lt, rule: None, prefix: "lists" };
        for (name, _) in lt.iter() {
            let loc = lr.key_loc(name);
            let mut items = Vec::new();
            for v in lr.array(name)? {
                items.push(match v {
                    Value::String(s) => Lit::Str(s.value().clone()),
                    Value::Integer(i) => Lit::Int(*i.value()),
                    other => {
                        return Err(lr.wrong(name, "an array of strings or integers", other.type_name()));
                    }
                });
            }
            if let Some((_, first)) = c.lists.get(name) {
                return Err(RuleError::Duplicate {
                    what: "list",
                    name: name.to_string(),
                    at: loc,
                    first: first.clone(),
                });
            }
            c.lists.insert(name.to_string(), (items, loc));
        }
    }
    if let Some(item) = top.get("macros") {
        let Item::Table(mt) = item else {
            return Err(r.wrong("macros", "a table", item.type_name()));
        };
        let mr = Reader { src, table: mt, rule: None, prefix: "macros" };
        for (name, _) in mt.iter() {
            let cs = mr.cond(name)?.ok_or_else(|| mr.wrong(name, "a string", "nothing"))?;
            if let Some(first) = c.macros.get(name) {
                return Err(RuleError::Duplicate {
                    what: "macro",
                    name: name.to_string(),
                    at: mr.key_loc(name),
                    first: first.start.clone(),
                });
            }
            if Field::from_name(name).is_some() {
                return Err(mr.err(name, Problem::Parse(format!("macro `{name}` has the name of a field"))));
            }
            c.macros.insert(name.to_string(), cs);
        }
    }
    if let Some(item) = top.get("detection").filter(|_| main) {
        let Item::Table(dt) = item else {
            return Err(r.wrong("detection", "a table", item.type_name()));
        };
        let dr = Reader { src, table: dt, rule: None, prefix: "detection" };
        dr.check_keys(&["rule_dirs", "max_pending_sequences", "disabled_rules"])?;
        for (d, loc) in dr.strs_loc("rule_dirs")? {
            c.rule_dirs.push((PathBuf::from(d), loc));
        }
        if let Some(n) = dr.int("max_pending_sequences")? {
            if n < 1 {
                return Err(dr.err(
                    "max_pending_sequences",
                    Problem::BadValue { value: n.to_string(), valid: "an integer ≥ 1".into() },
                ));
            }
            c.max_pending = Some(n as usize);
        }
        c.disabled.extend(dr.strs_loc("disabled_rules")?);
    }
    Ok(())
}

fn add_id(c: &mut Collected, id: &str, loc: &Loc) -> Result<(), RuleError> {
    if let Some(first) = c.ids.get(id) {
        return Err(RuleError::Duplicate {
            what: "rule id",
            name: id.to_string(),
            at: loc.clone(),
            first: first.clone(),
        });
    }
    c.ids.insert(id.to_string(), loc.clone());
    Ok(())
}

fn read_rule(c: &mut Collected, src: &Src, t: &Table) -> Result<(), RuleError> {
    let table_loc = src.span(t.span());
    let mut r = Reader { src, table: t, rule: None, prefix: "" };
    let id = r.str("id")?.ok_or_else(|| bad(table_loc.clone(), None, "id", Problem::Missing("id")))?;
    if id.trim().is_empty() {
        return Err(r.err("id", Problem::EmptyId));
    }
    r.rule = Some(id.clone());
    r.check_keys(&RULE_KEYS)?;
    let loc = r.key_loc("id");
    add_id(c, &id, &loc)?;

    let severity = match r.str("severity")? {
        None => Severity::Medium,
        Some(s) => Severity::parse(&s).ok_or_else(|| r.err("severity", Problem::BadSeverity(s)))?,
    };
    let risk_score = match r.float("risk_score")? {
        None => severity.default_risk(),
        Some(x) if (0.0..=1.0).contains(&x) => x,
        Some(x) => return Err(r.err("risk_score", Problem::RiskScore(x))),
    };
    let name = r.str("name")?.unwrap_or_else(|| id.clone());
    let description = r.str("description")?.unwrap_or_else(|| name.clone());
    let cond = r.cond("condition")?;
    let type_str = r.str("type")?;
    let rule_type = match type_str.as_deref() {
        Some("process") => RuleType::Process,
        Some("file") => RuleType::File,
        Some("network") => RuleType::Network,
        Some("sequence") => RuleType::Sequence,
        Some(other) => {
            return Err(r.err(
                "type",
                Problem::BadValue { value: other.into(), valid: "process, file, network, sequence".into() },
            ));
        }
        // Inferred from the condition's event types at compile time.
        None if cond.is_some() => RuleType::Process,
        None => {
            return Err(bad(loc.clone(), Some(&id), "type", Problem::Missing("type")));
        }
    };

    // Keys that only make sense for some rule types.
    let allowed: &[&str] = match rule_type {
        RuleType::Process => &["process_names", "parent_names"],
        RuleType::File => &["paths", "patterns", "operations"],
        RuleType::Network => &["direction", "ports", "process_names"],
        _ => &["steps", "window_secs", "key"],
    };
    // the keys after `condition` in RULE_KEYS belong to one rule type each
    let type_specific = &RULE_KEYS[RULE_KEYS.len() - 10..];
    for &k in type_specific {
        if t.contains_key(k) && !allowed.contains(&k) {
            let tn = type_str.as_deref().unwrap_or("(inferred)");
            return Err(r.err(
                k,
                Problem::UnknownKey { key: k.into(), valid: format!("for type `{tn}`: {}", allowed.join(", ")) },
            ));
        }
    }
    if rule_type == RuleType::Sequence && cond.is_some() {
        return Err(r.err("condition", Problem::Sequence("a sequence rule has `steps`, not `condition`".into())));
    }

    let (compat, compat_mask) = match rule_type {
        RuleType::Process => (
            compat::all(vec![
                compat::names(Field::Comm, &r.strs("process_names")?),
                compat::names(Field::ParentComm, &r.strs("parent_names")?),
            ]),
            TypeMask::category(Category::Process),
        ),
        RuleType::File => {
            let ops = r.strs("operations")?;
            let mask = compat::operations(&ops)
                .map_err(|op| r.err("operations", Problem::BadValue { value: op, valid: compat::OPERATIONS.into() }))?;
            let paths = compat::paths(&r.strs("paths")?, &r.strs("patterns")?, false)
                .map_err(|(pattern, msg)| r.err("patterns", Problem::BadGlob { pattern, msg }))?;
            (compat::all(vec![paths]), mask)
        }
        RuleType::Network => {
            let mask = match r.str("direction")? {
                None => TypeMask::category(Category::Network),
                Some(d) => compat::direction(&d).ok_or_else(|| {
                    r.err("direction", Problem::BadValue { value: d, valid: compat::DIRECTIONS.into() })
                })?,
            };
            (
                compat::all(vec![
                    compat::ports(&r.ports("ports")?),
                    compat::names(Field::Comm, &r.strs("process_names")?),
                ]),
                mask,
            )
        }
        _ => (Cond::Const(true), TypeMask::ALL),
    };

    let mut steps = Vec::new();
    let (mut window_secs, mut key) = (None, None);
    if rule_type == RuleType::Sequence {
        for v in r.array("steps")? {
            let cs = match v {
                Value::InlineTable(it) => match it.get("condition") {
                    Some(cv) if it.len() == 1 => r.cond_src("steps", cv),
                    _ => None,
                },
                other => r.cond_src("steps", other),
            };
            steps.push(cs.ok_or_else(|| {
                bad(
                    src.span(v.span()),
                    Some(&id),
                    "steps",
                    Problem::WrongType {
                        expected: "a condition string or { condition = \"...\" }",
                        found: v.type_name().into(),
                    },
                )
            })?);
        }
        if steps.len() < 2 {
            let l = if t.contains_key("steps") { r.item_loc("steps") } else { loc.clone() };
            return Err(bad(
                l,
                Some(&id),
                "steps",
                Problem::Sequence(format!("needs at least 2 steps, has {}", steps.len())),
            ));
        }
        window_secs = match r.float("window_secs")? {
            Some(w) if w > 0.0 && w.is_finite() => Some(w),
            Some(w) => {
                return Err(r.err("window_secs", Problem::Sequence(format!("window_secs must be > 0, is {w}"))));
            }
            None => {
                return Err(bad(
                    loc.clone(),
                    Some(&id),
                    "window_secs",
                    Problem::Sequence("missing `window_secs`".into()),
                ));
            }
        };
        key = match r.str("key")? {
            Some(k) => Some(SeqKey::parse(&k).ok_or_else(|| {
                r.err("key", Problem::BadValue { value: k, valid: "pid, ppid, lineage, path".into() })
            })?),
            None => {
                return Err(bad(loc.clone(), Some(&id), "key", Problem::Sequence("missing `key`".into())));
            }
        };
    } else if cond.is_none() && matches!(compat, Cond::Const(true)) && rule_type != RuleType::File {
        // A legacy rule with no matcher at all matched everything of its
        // type; keep that, it is what the original did for empty lists.
    }

    let meta = RuleMeta {
        id: id.as_str().into(),
        name: name.into(),
        rule_type,
        severity,
        action: r.str("action")?.unwrap_or_else(|| "alert".into()).into(),
        risk_score,
        tags: r.strs("tags")?.into_iter().map(Arc::from).collect(),
        description: description.into(),
        source: loc.clone(),
        enabled: r.bool("enabled")?.unwrap_or(true),
        detection: None,
    };
    c.rules.push(RawRule {
        meta,
        loc,
        cond,
        steps,
        window_secs,
        key,
        compat: Some(compat),
        compat_mask,
        explicit_type: type_str.is_some(),
    });
    Ok(())
}

fn read_builtin(c: &mut Collected, src: &Src, t: &Table, kind: &str) -> Result<(), RuleError> {
    let prefix = if kind == "persistence" { "detections.persistence" } else { "detections.network" };
    let table_loc = src.span(t.span());
    let mut r = Reader { src, table: t, rule: None, prefix };
    let name = r
        .str("name")?
        .ok_or_else(|| bad(table_loc.clone(), None, &format!("{prefix}.name"), Problem::Missing("name")))?;
    if name.trim().is_empty() {
        return Err(r.err("name", Problem::EmptyId));
    }
    let id = format!("builtin.{name}");
    r.rule = Some(id.clone());
    let loc = r.key_loc("name");
    let (cond, mask, severity) = if kind == "persistence" {
        r.check_keys(&["name", "paths", "patterns", "operations"])?;
        let mask = compat::operations(&r.strs("operations")?)
            .map_err(|op| r.err("operations", Problem::BadValue { value: op, valid: compat::OPERATIONS.into() }))?;
        let paths = compat::paths(&r.strs("paths")?, &r.strs("patterns")?, true)
            .map_err(|(pattern, msg)| r.err("patterns", Problem::BadGlob { pattern, msg }))?;
        // No paths and no patterns matched nothing in the original.
        (paths.unwrap_or(Cond::Const(false)), mask, Severity::High)
    } else {
        r.check_keys(&["name", "directions", "ports", "process_names"])?;
        let mut mask = TypeMask::NONE;
        for d in r.strs("directions")? {
            mask = mask.union(compat::direction(&d).ok_or_else(|| {
                r.err("directions", Problem::BadValue { value: d, valid: compat::DIRECTIONS.into() })
            })?);
        }
        let ports = r.ports("ports")?;
        // The original required the port to be listed.
        let pc = if ports.is_empty() { Cond::Const(false) } else { Cond::Ports(ports.into()) };
        (compat::all(vec![Some(pc), compat::names(Field::Comm, &r.strs("process_names")?)]), mask, Severity::Medium)
    };
    add_id(c, &id, &loc)?;
    let meta = RuleMeta {
        id: id.as_str().into(),
        name: name.as_str().into(),
        rule_type: RuleType::Builtin,
        severity,
        action: "alert".into(),
        risk_score: severity.default_risk(),
        tags: Box::new([]),
        description: format!("built-in {kind} detection `{name}`").into(),
        source: loc.clone(),
        enabled: true,
        detection: Some(name.as_str().into()),
    };
    c.rules.push(RawRule {
        meta,
        loc,
        cond: None,
        steps: Vec::new(),
        window_secs: None,
        key: None,
        compat: Some(cond),
        compat_mask: mask,
        explicit_type: true,
    });
    Ok(())
}

/// Turns a checker error into a RuleError placed in the rule's condition
/// or in the macro text it came from.
fn place(e: CheckError, cs: &CondSrc, macros: &HashMap<String, CondSrc>, rule: &str, key: &str) -> RuleError {
    match e.at {
        At::Cond(p) => bad(cs.loc_at(p), Some(rule), key, e.problem),
        At::Macro(m, p) => {
            let loc = macros.get(&m).map_or_else(|| cs.start.clone(), |ms| ms.loc_at(p));
            bad(loc, Some(rule), &format!("macros.{m}"), e.problem)
        }
    }
}

/// Checks one condition; returns it with its possible event types.
fn check_cond(
    checker: &mut Checker<'_>,
    cs: &CondSrc,
    macros: &HashMap<String, CondSrc>,
    rule: &str,
    key: &str,
    allowed: TypeMask,
) -> Result<(Cond, TypeMask), RuleError> {
    let ast = parse(&cs.text).map_err(|(p, msg)| bad(cs.loc_at(p), Some(rule), key, Problem::Parse(msg)))?;
    let first_used = checker.used.len();
    let cond = checker.check(&ast).map_err(|e| place(e, cs, macros, rule, key))?;
    let constraint = cond.mask(true).inter(allowed);
    for (f, at) in checker.used[first_used..].iter() {
        if f.carriers().inter(constraint).is_empty() {
            let e = CheckError {
                at: at.clone(),
                problem: Problem::FieldNeverPresent { field: f.name(), types: constraint.names() },
            };
            return Err(place(e, cs, macros, rule, key));
        }
    }
    let mask = cond.mask(false).inter(allowed);
    if mask.is_empty() {
        return Err(bad(cs.start.clone(), Some(rule), key, Problem::NeverMatches));
    }
    Ok((cond, mask))
}

fn compile(c: Collected) -> Result<RuleSet, RuleError> {
    let lists: HashMap<String, Vec<Lit>> = c.lists.into_iter().map(|(k, (v, _))| (k, v)).collect();
    let macro_asts: HashMap<String, Result<Ast, ParseError>> =
        c.macros.iter().map(|(k, v)| (k.clone(), parse(&v.text))).collect();
    let env = Env { lists: &lists, macros: &macro_asts };
    let known: HashSet<&str> = c.rules.iter().map(|r| &*r.meta.id).collect();
    let mut disabled = HashSet::new();
    for (id, loc) in c.disabled {
        if !known.contains(id.as_str()) {
            return Err(bad(loc, None, "detection.disabled_rules", Problem::UnknownDisabled(id)));
        }
        disabled.insert(id);
    }

    let mut builtins = Vec::new();
    let mut singles = Vec::new();
    let mut seqs = Vec::new();
    for raw in c.rules {
        let mut meta = raw.meta;
        let id = meta.id.to_string();
        if meta.rule_type == RuleType::Sequence {
            let key_type = match raw.key {
                Some(SeqKey::Path) => FieldType::Str,
                _ => FieldType::Int,
            };
            let mut checker = Checker::new(&env, Some(key_type));
            let mut steps = Vec::new();
            let mut mask = TypeMask::NONE;
            for (i, cs) in raw.steps.iter().enumerate() {
                if i == 0 {
                    // `$` bindings come from the first step, so it cannot use them.
                    let mut first = Checker::new(&env, None);
                    let (cond, m) = check_cond(&mut first, cs, &c.macros, &id, "steps[0]", TypeMask::ALL)?;
                    mask = mask.union(m);
                    steps.push(Step::new(cond, m));
                } else {
                    let (cond, m) =
                        check_cond(&mut checker, cs, &c.macros, &id, &format!("steps[{i}]"), TypeMask::ALL)?;
                    mask = mask.union(m);
                    steps.push(Step::new(cond, m));
                }
            }
            let (Some(key), Some(w)) = (raw.key, raw.window_secs) else {
                return Err(bad(raw.loc, Some(&id), "key", Problem::Sequence("missing key or window".into())));
            };
            seqs.push(SeqRule {
                meta: Arc::new(meta),
                key,
                window_ns: (w * 1e9) as u64,
                steps,
                vars: checker.vars.into_iter().map(|(_, s)| s).collect(),
                mask,
            });
            continue;
        }
        let compat = raw.compat.unwrap_or(Cond::Const(true));
        let (cond, mask) = match &raw.cond {
            None => {
                let m = if meta.rule_type == RuleType::Process {
                    TypeMask::of(EventType::ProcessExec)
                } else {
                    raw.compat_mask
                };
                (compat, m)
            }
            Some(cs) => {
                let allowed = if raw.explicit_type { raw.compat_mask } else { TypeMask::ALL };
                let mut checker = Checker::new(&env, None);
                let (cond, mut m) = check_cond(&mut checker, cs, &c.macros, &id, "condition", allowed)?;
                if meta.rule_type == RuleType::Process && raw.explicit_type && cond.mask(true).inter(allowed) == allowed
                {
                    // Legacy process rules match process_exec unless the
                    // condition names other event types.
                    m = m.inter(TypeMask::of(EventType::ProcessExec));
                }
                if !raw.explicit_type {
                    meta.rule_type = infer_type(m).ok_or_else(|| {
                        bad(
                            raw.loc.clone(),
                            Some(&id),
                            "type",
                            Problem::BadValue {
                                value: format!("(matches {})", m.names()),
                                valid: "set `type`: the condition spans several categories".into(),
                            },
                        )
                    })?;
                }
                if m.is_empty() {
                    return Err(bad(cs.start.clone(), Some(&id), "condition", Problem::NeverMatches));
                }
                (if matches!(compat, Cond::Const(true)) { cond } else { Cond::And(vec![compat, cond].into()) }, m)
            }
        };
        let rule = SingleRule { meta: Arc::new(meta), mask, cond };
        if rule.meta.rule_type == RuleType::Builtin {
            builtins.push(rule);
        } else {
            singles.push(rule);
        }
    }
    builtins.extend(singles);
    Ok(RuleSet { singles: builtins, seqs, max_pending: c.max_pending.unwrap_or(DEFAULT_MAX_PENDING), disabled })
}

fn infer_type(m: TypeMask) -> Option<RuleType> {
    for (cat, t) in [
        (Category::Process, RuleType::Process),
        (Category::File, RuleType::File),
        (Category::Network, RuleType::Network),
    ] {
        let cm = TypeMask::category(cat);
        if !m.is_empty() && m.inter(cm) == m {
            return Some(t);
        }
    }
    None
}
