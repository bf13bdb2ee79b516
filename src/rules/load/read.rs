//! The first pass: parses a source's TOML (keeping positions for
//! messages) and turns its `[[rules]]`, `[[detections.*]]`, `[lists]`,
//! `[macros]` and `[detection]` tables into unvalidated rule parts. The
//! original engine's list keys are lowered here, where their positions are.

use std::path::PathBuf;
use std::sync::Arc;

use toml_edit::{ImDocument, Table, Value};

use super::source::{Reader, Src};
use super::{bad, Collected, RawRule, RawSeq};
use crate::catalog::Category;
use crate::record::Severity;
use crate::rules::compat;
use crate::rules::error::{Loc, Problem, RuleError};
use crate::rules::eval::Cond;
use crate::rules::fields::{Field, TypeMask};
use crate::rules::lang::parser::Lit;
use crate::rules::model::{RuleMeta, RuleType, SeqKey};

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

/// Reads one source into `c`. `main` is the config file: it may hold
/// other keys, and only it has `[detection]`.
pub(super) fn read_source(c: &mut Collected, src: &Src, main: bool) -> Result<(), RuleError> {
    let doc = ImDocument::parse(src.text.as_str())
        .map_err(|e| RuleError::Syntax { loc: src.span(e.span()), msg: e.message().trim().to_string() })?;
    let top = doc.as_table();
    let r = Reader { src, table: top, rule: None, prefix: "" };
    if !main {
        r.check_keys(&RULE_FILE_KEYS)?;
    }
    for t in r.tables("rules", "an array of tables ([[rules]])")? {
        read_rule(c, src, t)?;
    }
    if let Some(t) = r.sub_table("detections")? {
        read_detections(c, src, t)?;
    }
    if let Some(t) = r.sub_table("lists")? {
        read_lists(c, src, t)?;
    }
    if let Some(t) = r.sub_table("macros")? {
        read_macros(c, src, t)?;
    }
    if main {
        if let Some(t) = r.sub_table("detection")? {
            read_settings(c, src, t)?;
        }
    }
    Ok(())
}

/// `[[detections.persistence]]` and `[[detections.network]]`.
fn read_detections(c: &mut Collected, src: &Src, t: &Table) -> Result<(), RuleError> {
    let r = Reader { src, table: t, rule: None, prefix: "detections" };
    r.check_keys(&["persistence", "network"])?;
    for kind in [Builtin::Persistence, Builtin::Network] {
        for bt in r.tables(kind.name(), "an array of tables")? {
            read_builtin(c, src, bt, kind)?;
        }
    }
    Ok(())
}

/// `[lists]`: named arrays of strings or integers.
fn read_lists(c: &mut Collected, src: &Src, t: &Table) -> Result<(), RuleError> {
    let r = Reader { src, table: t, rule: None, prefix: "lists" };
    for (name, _) in t.iter() {
        let loc = r.key_loc(name);
        let items = r
            .array(name)?
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(Lit::Str(s.value().clone())),
                Value::Integer(i) => Ok(Lit::Int(*i.value())),
                other => Err(r.wrong(name, "an array of strings or integers", other.type_name())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((_, first)) = c.lists.get(name) {
            return Err(RuleError::Duplicate { what: "list", name: name.to_string(), at: loc, first: first.clone() });
        }
        c.lists.insert(name.to_string(), (items, loc));
    }
    Ok(())
}

/// `[macros]`: named condition texts, parsed when compiled.
fn read_macros(c: &mut Collected, src: &Src, t: &Table) -> Result<(), RuleError> {
    let r = Reader { src, table: t, rule: None, prefix: "macros" };
    for (name, _) in t.iter() {
        let cs = r.cond(name)?.ok_or_else(|| r.wrong(name, "a string", "nothing"))?;
        if let Some(first) = c.macros.get(name) {
            return Err(RuleError::Duplicate {
                what: "macro",
                name: name.to_string(),
                at: r.key_loc(name),
                first: first.start.clone(),
            });
        }
        if Field::from_name(name).is_some() {
            return Err(r.err(name, Problem::Parse(format!("macro `{name}` has the name of a field"))));
        }
        c.macros.insert(name.to_string(), cs);
    }
    Ok(())
}

/// The main config's `[detection]`: rule directories, the sequence limit
/// and the disabled rule ids.
fn read_settings(c: &mut Collected, src: &Src, t: &Table) -> Result<(), RuleError> {
    let r = Reader { src, table: t, rule: None, prefix: "detection" };
    r.check_keys(&["rule_dirs", "max_pending_sequences", "disabled_rules", "sigma_min_status"])?;
    if let Some(s) = r.str("sigma_min_status")? {
        if crate::rules::sigma::status_rank(&s).is_none() {
            let valid = crate::rules::sigma::STATUSES.join(", ");
            return Err(r.err("sigma_min_status", Problem::BadValue { value: s, valid }));
        }
        c.sigma_min_status = Some(s);
    }
    for (d, loc) in r.strs_loc("rule_dirs")? {
        c.rule_dirs.push((PathBuf::from(d), loc));
    }
    if let Some(n) = r.int("max_pending_sequences")? {
        if n < 1 {
            return Err(r.err(
                "max_pending_sequences",
                Problem::BadValue { value: n.to_string(), valid: "an integer ≥ 1".into() },
            ));
        }
        c.max_pending = Some(n as usize);
    }
    c.disabled.extend(r.strs_loc("disabled_rules")?);
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

/// One `[[rules]]` table. Keys are read in a fixed order, so the first
/// problem of a table is the one reported.
fn read_rule(c: &mut Collected, src: &Src, t: &Table) -> Result<(), RuleError> {
    let table_loc = src.span(t.span());
    let mut r = Reader { src, table: t, rule: None, prefix: "" };
    let id = r.str("id")?.ok_or_else(|| bad(table_loc, None, "id", Problem::Missing("id")))?;
    if id.trim().is_empty() {
        return Err(r.err("id", Problem::EmptyId));
    }
    r.rule = Some(id.clone());
    r.check_keys(&RULE_KEYS)?;
    let loc = r.key_loc("id");
    add_id(c, &id, &loc)?;

    let (severity, risk_score) = read_severity(&r)?;
    let name = r.str("name")?.unwrap_or_else(|| id.clone());
    let description = r.str("description")?.unwrap_or_else(|| name.clone());
    let cond = r.cond("condition")?;
    let type_str = r.str("type")?;
    let rule_type = read_type(&r, type_str.as_deref(), cond.is_some(), &loc)?;
    check_type_keys(&r, rule_type, type_str.as_deref())?;
    if rule_type == RuleType::Sequence && cond.is_some() {
        return Err(r.err("condition", Problem::Sequence("a sequence rule has `steps`, not `condition`".into())));
    }
    let (compat, compat_mask) = read_matchers(&r, rule_type)?;
    let seq = if rule_type == RuleType::Sequence { Some(read_sequence(&r, &loc)?) } else { None };

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
        sigma: None,
    };
    c.rules.push(RawRule { meta, loc, cond, seq, compat, compat_mask, explicit_type: type_str.is_some() });
    Ok(())
}

/// `severity` (default medium) and `risk_score` (default: the severity's).
fn read_severity(r: &Reader<'_>) -> Result<(Severity, f64), RuleError> {
    let severity = match r.str("severity")? {
        None => Severity::Medium,
        Some(s) => Severity::parse(&s).ok_or_else(|| r.err("severity", Problem::BadSeverity(s)))?,
    };
    let risk_score = match r.float("risk_score")? {
        None => severity.default_risk(),
        Some(x) if (0.0..=1.0).contains(&x) => x,
        Some(x) => return Err(r.err("risk_score", Problem::RiskScore(x))),
    };
    Ok((severity, risk_score))
}

/// `type`; a rule with a condition may leave it out (then it is inferred
/// from the condition's event types at compile time).
fn read_type(r: &Reader<'_>, type_str: Option<&str>, has_cond: bool, loc: &Loc) -> Result<RuleType, RuleError> {
    Ok(match type_str {
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
        None if has_cond => RuleType::Process,
        None => return Err(r.err_at(loc.clone(), "type", Problem::Missing("type"))),
    })
}

/// Refuses the keys that only make sense for other rule types.
fn check_type_keys(r: &Reader<'_>, rule_type: RuleType, type_str: Option<&str>) -> Result<(), RuleError> {
    let allowed: &[&str] = match rule_type {
        RuleType::Process => &["process_names", "parent_names"],
        RuleType::File => &["paths", "patterns", "operations"],
        RuleType::Network => &["direction", "ports", "process_names"],
        RuleType::Sequence | RuleType::Builtin => &["steps", "window_secs", "key"],
    };
    // the keys after `condition` in RULE_KEYS belong to one rule type each
    let type_specific = &RULE_KEYS[RULE_KEYS.len() - 10..];
    for &k in type_specific {
        if r.table.contains_key(k) && !allowed.contains(&k) {
            let tn = type_str.unwrap_or("(inferred)");
            return Err(r.err(
                k,
                Problem::UnknownKey { key: k.into(), valid: format!("for type `{tn}`: {}", allowed.join(", ")) },
            ));
        }
    }
    Ok(())
}

/// The original engine's list keys of a process, file or network rule,
/// lowered to a condition, with the event types they allow. A rule with
/// none of them matches everything of its type, as the original did.
fn read_matchers(r: &Reader<'_>, rule_type: RuleType) -> Result<(Cond, TypeMask), RuleError> {
    Ok(match rule_type {
        RuleType::Process => (
            compat::all(vec![
                compat::names(Field::Comm, &r.strs("process_names")?),
                compat::names(Field::ParentComm, &r.strs("parent_names")?),
            ]),
            TypeMask::category(Category::Process),
        ),
        RuleType::File => {
            let (paths, mask) = file_matchers(r, false)?;
            (compat::all(vec![paths]), mask)
        }
        RuleType::Network => {
            let mask = match r.str("direction")? {
                None => TypeMask::category(Category::Network),
                Some(d) => direction(r, "direction", d)?,
            };
            (
                compat::all(vec![
                    compat::ports(&r.ports("ports")?),
                    compat::names(Field::Comm, &r.strs("process_names")?),
                ]),
                mask,
            )
        }
        RuleType::Sequence | RuleType::Builtin => (Cond::Const(true), TypeMask::ALL),
    })
}

/// `operations`, then `paths` and `patterns` (`anchored`: the built-in
/// detections' path semantics).
fn file_matchers(r: &Reader<'_>, anchored: bool) -> Result<(Option<Cond>, TypeMask), RuleError> {
    let mask = compat::operations(&r.strs("operations")?)
        .map_err(|op| r.err("operations", Problem::BadValue { value: op, valid: compat::OPERATIONS.into() }))?;
    let paths = compat::paths(&r.strs("paths")?, &r.strs("patterns")?, anchored)
        .map_err(|(pattern, msg)| r.err("patterns", Problem::BadGlob { pattern, msg }))?;
    Ok((paths, mask))
}

/// One `direction` value under `key`.
fn direction(r: &Reader<'_>, key: &str, d: String) -> Result<TypeMask, RuleError> {
    compat::direction(&d).ok_or_else(|| r.err(key, Problem::BadValue { value: d, valid: compat::DIRECTIONS.into() }))
}

/// A sequence rule's `steps` (at least two), `window_secs` and `key`.
fn read_sequence(r: &Reader<'_>, loc: &Loc) -> Result<RawSeq, RuleError> {
    let mut steps = Vec::new();
    for v in r.array("steps")? {
        let cs = match v {
            Value::InlineTable(it) => match it.get("condition") {
                Some(cv) if it.len() == 1 => r.cond_src(cv),
                _ => None,
            },
            other => r.cond_src(other),
        };
        steps.push(cs.ok_or_else(|| {
            r.err_at(
                r.src.span(v.span()),
                "steps",
                Problem::WrongType {
                    expected: "a condition string or { condition = \"...\" }",
                    found: v.type_name().into(),
                },
            )
        })?);
    }
    if steps.len() < 2 {
        let l = if r.table.contains_key("steps") { r.item_loc("steps") } else { loc.clone() };
        return Err(r.err_at(l, "steps", Problem::Sequence(format!("needs at least 2 steps, has {}", steps.len()))));
    }
    let window_secs = match r.float("window_secs")? {
        Some(w) if w > 0.0 && w.is_finite() => w,
        Some(w) => {
            return Err(r.err("window_secs", Problem::Sequence(format!("window_secs must be > 0, is {w}"))));
        }
        None => {
            return Err(r.err_at(loc.clone(), "window_secs", Problem::Sequence("missing `window_secs`".into())));
        }
    };
    let key = match r.str("key")? {
        Some(k) => SeqKey::parse(&k).ok_or_else(|| {
            r.err("key", Problem::BadValue { value: k, valid: "pid, ppid, lineage, path, container".into() })
        })?,
        None => return Err(r.err_at(loc.clone(), "key", Problem::Sequence("missing `key`".into()))),
    };
    Ok(RawSeq { steps, window_secs, key })
}

/// The two kinds of built-in detection.
#[derive(Clone, Copy)]
enum Builtin {
    Persistence,
    Network,
}

impl Builtin {
    fn name(self) -> &'static str {
        match self {
            Builtin::Persistence => "persistence",
            Builtin::Network => "network",
        }
    }
    fn prefix(self) -> &'static str {
        match self {
            Builtin::Persistence => "detections.persistence",
            Builtin::Network => "detections.network",
        }
    }
}

/// One `[[detections.persistence]]` or `[[detections.network]]` table,
/// read as a rule with id `builtin.<name>`.
fn read_builtin(c: &mut Collected, src: &Src, t: &Table, kind: Builtin) -> Result<(), RuleError> {
    let prefix = kind.prefix();
    let table_loc = src.span(t.span());
    let mut r = Reader { src, table: t, rule: None, prefix };
    let name =
        r.str("name")?.ok_or_else(|| bad(table_loc, None, &format!("{prefix}.name"), Problem::Missing("name")))?;
    if name.trim().is_empty() {
        return Err(r.err("name", Problem::EmptyId));
    }
    let id = format!("builtin.{name}");
    r.rule = Some(id.clone());
    let loc = r.key_loc("name");
    let (cond, mask, severity) = match kind {
        Builtin::Persistence => {
            r.check_keys(&["name", "paths", "patterns", "operations"])?;
            let (paths, mask) = file_matchers(&r, true)?;
            // No paths and no patterns matched nothing in the original.
            (paths.unwrap_or(Cond::Const(false)), mask, Severity::High)
        }
        Builtin::Network => {
            r.check_keys(&["name", "directions", "ports", "process_names"])?;
            let mut mask = TypeMask::NONE;
            for d in r.strs("directions")? {
                mask = mask.union(direction(&r, "directions", d)?);
            }
            let ports = r.ports("ports")?;
            // The original required the port to be listed.
            let pc = if ports.is_empty() { Cond::Const(false) } else { Cond::Ports(ports.into()) };
            (compat::all(vec![Some(pc), compat::names(Field::Comm, &r.strs("process_names")?)]), mask, Severity::Medium)
        }
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
        description: format!("built-in {} detection `{name}`", kind.name()).into(),
        source: loc.clone(),
        enabled: true,
        detection: Some(name.as_str().into()),
        sigma: None,
    };
    c.rules.push(RawRule { meta, loc, cond: None, seq: None, compat: cond, compat_mask: mask, explicit_type: true });
    Ok(())
}
