//! The second pass: resolves lists and macros, type-checks every condition
//! (fields, operators, event types), builds sequence steps, and assembles
//! the `RuleSet`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{bad, Collected, CondSrc, RawRule, RawSeq};
use crate::catalog::Category;
use crate::record::EventType;
use crate::rules::error::{Loc, Problem, RuleError};
use crate::rules::eval::Cond;
use crate::rules::fields::{FieldType, TypeMask};
use crate::rules::lang::parser::{parse, Ast, Lit, ParseError};
use crate::rules::lang::typecheck::{At, CheckError, Checker, Env};
use crate::rules::model::{RuleMeta, RuleSet, RuleType, SeqKey, SeqRule, SingleRule, Step};

const DEFAULT_MAX_PENDING: usize = 10_000;

/// What every condition is checked against: the lists and macros of all
/// sources.
struct Scope<'a> {
    env: Env<'a>,
    macros: &'a HashMap<String, CondSrc>,
}

pub(super) fn compile(c: Collected) -> Result<RuleSet, RuleError> {
    let lists: HashMap<String, Vec<Lit>> = c.lists.into_iter().map(|(k, (v, _))| (k, v)).collect();
    let macro_asts: HashMap<String, Result<Ast, ParseError>> =
        c.macros.iter().map(|(k, v)| (k.clone(), parse(&v.text))).collect();
    let scope = Scope { env: Env { lists: &lists, macros: &macro_asts }, macros: &c.macros };
    let disabled = disabled_ids(&c.rules, c.disabled)?;

    let mut builtins = Vec::new();
    let mut singles = Vec::new();
    let mut seqs = Vec::new();
    for mut raw in c.rules {
        if let Some(seq) = raw.seq.take() {
            seqs.push(compile_sequence(&scope, raw.meta, seq)?);
            continue;
        }
        let rule = compile_single(&scope, raw)?;
        if rule.meta.rule_type == RuleType::Builtin {
            builtins.push(rule);
        } else {
            singles.push(rule);
        }
    }
    builtins.extend(singles);
    Ok(RuleSet {
        singles: builtins,
        seqs,
        max_pending: c.max_pending.unwrap_or(DEFAULT_MAX_PENDING),
        disabled,
        sigma: c.sigma,
    })
}

/// `[detection].disabled_rules`, each checked to name a rule.
fn disabled_ids(rules: &[RawRule], listed: Vec<(String, Loc)>) -> Result<HashSet<String>, RuleError> {
    let known: HashSet<&str> = rules.iter().map(|r| &*r.meta.id).collect();
    let mut disabled = HashSet::new();
    for (id, loc) in listed {
        if !known.contains(id.as_str()) {
            return Err(bad(loc, None, "detection.disabled_rules", Problem::UnknownDisabled(id)));
        }
        disabled.insert(id);
    }
    Ok(disabled)
}

fn compile_sequence(scope: &Scope<'_>, meta: RuleMeta, seq: RawSeq) -> Result<SeqRule, RuleError> {
    let id = meta.id.to_string();
    let key_type = match seq.key {
        SeqKey::Path | SeqKey::Container => FieldType::Str,
        SeqKey::Pid | SeqKey::Ppid | SeqKey::Lineage => FieldType::Int,
    };
    let mut checker = Checker::new(&scope.env, Some(key_type));
    let mut steps = Vec::new();
    let mut mask = TypeMask::NONE;
    for (i, cs) in seq.steps.iter().enumerate() {
        let (cond, m) = if i == 0 {
            // `$` bindings come from the first step, so it cannot use them.
            let mut first = Checker::new(&scope.env, None);
            check_cond(&mut first, cs, scope.macros, &id, "steps[0]", TypeMask::ALL)?
        } else {
            check_cond(&mut checker, cs, scope.macros, &id, &format!("steps[{i}]"), TypeMask::ALL)?
        };
        mask = mask.union(m);
        steps.push(Step::new(cond, m));
    }
    Ok(SeqRule {
        meta: Arc::new(meta),
        key: seq.key,
        window_ns: (seq.window_secs * 1e9) as u64,
        steps,
        vars: checker.vars.into_iter().map(|(_, s)| s).collect(),
        mask,
    })
}

/// A single-event rule: its condition (if any) checked against the event
/// types its type and compat matchers allow, and joined with them.
fn compile_single(scope: &Scope<'_>, raw: RawRule) -> Result<SingleRule, RuleError> {
    let RawRule { mut meta, loc, cond, compat, compat_mask, explicit_type, .. } = raw;
    let id = meta.id.to_string();
    let (cond, mask) = match &cond {
        None => {
            let m =
                if meta.rule_type == RuleType::Process { TypeMask::of(EventType::ProcessExec) } else { compat_mask };
            (compat, m)
        }
        Some(cs) => {
            let allowed = if explicit_type { compat_mask } else { TypeMask::ALL };
            let mut checker = Checker::new(&scope.env, None);
            let (cond, mut m) = check_cond(&mut checker, cs, scope.macros, &id, "condition", allowed)?;
            if meta.rule_type == RuleType::Process && explicit_type && cond.mask(true).inter(allowed) == allowed {
                // Legacy process rules match process_exec unless the
                // condition names other event types.
                m = m.inter(TypeMask::of(EventType::ProcessExec));
            }
            if !explicit_type {
                meta.rule_type = infer_type(m).ok_or_else(|| {
                    bad(
                        loc.clone(),
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
    Ok(SingleRule { meta: Arc::new(meta), mask, cond })
}

/// Checks one condition; returns it with its possible event types. Every
/// field it reads must be present on some type it can match.
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

/// The rule type of a rule without `type`: the one category its
/// condition's event types fall in.
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
