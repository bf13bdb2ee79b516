//! Resolves names (fields, lists, macros, `$` bindings), checks operand
//! types, and lowers the AST to the evaluable `Cond` tree.

use std::collections::HashMap;

use super::parser::{Ast, Item, Lit, ParseError, Rhs};
use crate::record::EventType;
use crate::rules::error::Problem;
use crate::rules::eval::{glob_regex, Cond, IntOp, Test};
use crate::rules::fields::{Field, FieldType};
use crate::rules::options::{check_name, OptSpec};

/// Where a checking error is: an offset in the rule's own condition text,
/// or in a macro's text.
#[derive(Clone, Debug, PartialEq)]
pub enum At {
    Cond(usize),
    Macro(String, usize),
}

#[derive(Debug, PartialEq)]
pub struct CheckError {
    pub at: At,
    pub problem: Problem,
}

pub struct Env<'a> {
    pub lists: &'a HashMap<String, Vec<Lit>>,
    pub macros: &'a HashMap<String, Result<Ast, ParseError>>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VarSrc {
    /// `$key`: the sequence key of the instance.
    Key,
    /// `$field`: that field of the sequence's first record.
    Field(Field),
}

pub struct Checker<'a> {
    env: &'a Env<'a>,
    /// The type of `$key`, or None when `$` bindings are not allowed here.
    pub key_type: Option<FieldType>,
    pub vars: Vec<(String, VarSrc)>,
    pub used: Vec<(Field, At)>,
    stack: Vec<String>,
}

fn valid_fields() -> String {
    Field::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

impl<'a> Checker<'a> {
    pub fn new(env: &'a Env<'a>, key_type: Option<FieldType>) -> Checker<'a> {
        Checker { env, key_type, vars: Vec::new(), used: Vec::new(), stack: Vec::new() }
    }

    fn at(&self, pos: usize) -> At {
        match self.stack.last() {
            Some(m) => At::Macro(m.clone(), pos),
            None => At::Cond(pos),
        }
    }

    fn err<T>(&self, pos: usize, problem: Problem) -> Result<T, CheckError> {
        Err(CheckError { at: self.at(pos), problem })
    }

    pub fn check(&mut self, ast: &Ast) -> Result<Cond, CheckError> {
        match ast {
            Ast::And(v) => Ok(Cond::And(v.iter().map(|a| self.check(a)).collect::<Result<_, _>>()?)),
            Ast::Or(v) => Ok(Cond::Or(v.iter().map(|a| self.check(a)).collect::<Result<_, _>>()?)),
            Ast::Not(a) => Ok(Cond::Not(Box::new(self.check(a)?))),
            Ast::Const(b) => Ok(Cond::Const(*b)),
            Ast::Name(name, pos) => self.expand(name, *pos),
            Ast::Exists { field, pos } => Ok(Cond::Test(self.field(field, *pos)?, Test::Exists)),
            Ast::Test { field, pos, op, op_pos, rhs } => {
                let f = self.field(field, *pos)?;
                self.test(f, op, *op_pos, rhs)
            }
        }
    }

    fn expand(&mut self, name: &str, pos: usize) -> Result<Cond, CheckError> {
        let env = self.env;
        let Some(def) = env.macros.get(name) else {
            if let Some(f) = Field::from_name(name) {
                return self.err(pos, Problem::Parse(format!("field `{}` needs an operator", f.name())));
            }
            return self.err(pos, Problem::UnknownMacro(name.to_string()));
        };
        if self.stack.iter().any(|m| m == name) {
            let mut chain = self.stack.clone();
            chain.push(name.to_string());
            return self.err(pos, Problem::RecursiveMacro(chain.join(" -> ")));
        }
        self.stack.push(name.to_string());
        let out = match def {
            Ok(ast) => self.check(ast),
            Err((p, msg)) => self.err(*p, Problem::Parse(msg.clone())),
        };
        self.stack.pop();
        out
    }

    fn field(&mut self, name: &str, pos: usize) -> Result<Field, CheckError> {
        match Field::from_name(name) {
            Some(f) => {
                let at = self.at(pos);
                self.used.push((f, at));
                Ok(f)
            }
            None => self.err(
                pos,
                Problem::UnknownField {
                    field: name.to_string(),
                    suggestion: Field::suggest(name),
                    valid: valid_fields(),
                },
            ),
        }
    }

    fn mismatch<T>(&self, pos: usize, f: Field, op: &str, why: impl Into<String>) -> Result<T, CheckError> {
        self.err(
            pos,
            Problem::TypeMismatch { field: f.name(), field_type: f.ty().name(), op: op.to_string(), why: why.into() },
        )
    }

    fn test(&mut self, f: Field, op: &'static str, pos: usize, rhs: &Rhs) -> Result<Cond, CheckError> {
        let ty = f.ty();
        if let Rhs::Var(v) = rhs {
            return self.var_test(f, op, pos, v);
        }
        if let Rhs::Options { wanted, valued } = rhs {
            return self.options(f, op, pos, wanted, valued);
        }
        if op == "in" {
            let Rhs::Set(items) = rhs else {
                return self.mismatch(pos, f, op, "needs a parenthesized set");
            };
            let lits = self.set_items(items)?;
            return match ty {
                FieldType::Str | FieldType::StrList => {
                    let mut set = rustc_hash::FxHashSet::default();
                    for l in lits {
                        match l {
                            Lit::Str(s) => {
                                if f == Field::EventTypeF {
                                    check_event_type(self, pos, s)?;
                                }
                                set.insert(Box::<str>::from(s.as_str()));
                            }
                            other => {
                                return self.mismatch(pos, f, op, format!("set holds {}", lit_desc(other)));
                            }
                        }
                    }
                    Ok(Cond::Test(f, Test::StrIn(set)))
                }
                FieldType::Int => {
                    let mut v = Vec::new();
                    for l in lits {
                        match l {
                            Lit::Int(n) => v.push(*n),
                            other => {
                                return self.mismatch(pos, f, op, format!("set holds {}", lit_desc(other)));
                            }
                        }
                    }
                    Ok(Cond::Test(f, Test::IntIn(v.into())))
                }
                FieldType::Bool => self.mismatch(pos, f, op, "is not defined for booleans (use `=`)"),
            };
        }
        let Rhs::Lit(lit) = rhs else {
            return self.mismatch(pos, f, op, "takes a single value, not a set");
        };
        const STR_ONLY: [&str; 6] = ["contains", "icontains", "startswith", "endswith", "glob", "regex"];
        if matches!(ty, FieldType::Int | FieldType::Bool) && STR_ONLY.contains(&op) {
            return self.mismatch(pos, f, op, "applies to strings only");
        }
        match (ty, lit) {
            (FieldType::Str | FieldType::StrList, Lit::Str(s)) => {
                if f == Field::EventTypeF && (op == "=" || op == "!=") {
                    check_event_type(self, pos, s)?;
                }
                let b: Box<str> = s.as_str().into();
                let t =
                    match op {
                        "=" => Test::StrEq(b),
                        "!=" => Test::StrNe(b),
                        "contains" => Test::Contains(b),
                        "icontains" => Test::IContains(s.to_ascii_lowercase().into()),
                        "startswith" => Test::StartsWith(b),
                        "endswith" => Test::EndsWith(b),
                        "regex" => Test::Regex(regex::Regex::new(s).or_else(|e| {
                            self.err(pos, Problem::BadRegex { pattern: s.clone(), msg: regex_reason(&e) })
                        })?),
                        "glob" => Test::Regex(
                            glob_regex(s).or_else(|msg| self.err(pos, Problem::BadGlob { pattern: s.clone(), msg }))?,
                        ),
                        _ => return self.mismatch(pos, f, op, "orders numbers only"),
                    };
                Ok(Cond::Test(f, t))
            }
            (FieldType::Int, Lit::Int(n)) => {
                let iop = match op {
                    "=" => IntOp::Eq,
                    "!=" => IntOp::Ne,
                    "<" => IntOp::Lt,
                    "<=" => IntOp::Le,
                    ">" => IntOp::Gt,
                    ">=" => IntOp::Ge,
                    _ => return self.mismatch(pos, f, op, "applies to strings only"),
                };
                Ok(Cond::Test(f, Test::Int(iop, *n)))
            }
            (FieldType::Bool, Lit::Bool(b)) => match op {
                "=" => Ok(Cond::Test(f, Test::Bool(*b, true))),
                "!=" => Ok(Cond::Test(f, Test::Bool(*b, false))),
                _ => self.mismatch(pos, f, op, "is not defined for booleans"),
            },
            (_, other) => self.mismatch(pos, f, op, format!("was given {}", lit_desc(other))),
        }
    }

    /// `args has_option (...) [valued (...)]`: option names, checked.
    fn options(&self, f: Field, op: &str, pos: usize, wanted: &[Item], valued: &[Item]) -> Result<Cond, CheckError> {
        if f != Field::Args {
            return self.mismatch(pos, f, op, "reads a command line, so it applies to `args` only");
        }
        let names = |items: &[Item]| -> Result<Vec<String>, CheckError> {
            let mut out = Vec::new();
            for l in self.set_items(items)? {
                match l {
                    Lit::Str(s) => {
                        if let Err(why) = check_name(s) {
                            return self.err(pos, Problem::BadOption { option: s.clone(), why });
                        }
                        out.push(s.clone());
                    }
                    other => return self.mismatch(pos, f, op, format!("set holds {}", lit_desc(other))),
                }
            }
            Ok(out)
        };
        let wanted = names(wanted)?;
        if wanted.is_empty() {
            return self.mismatch(pos, f, op, "needs at least one option to look for");
        }
        let valued = names(valued)?;
        let spec = OptSpec::new(wanted.iter().map(String::as_str), valued.iter().map(String::as_str));
        Ok(Cond::Test(f, Test::HasOption(Box::new(spec))))
    }

    fn var_test(&mut self, f: Field, op: &'static str, pos: usize, var: &str) -> Result<Cond, CheckError> {
        let Some(key_type) = self.key_type else {
            return self.err(
                pos,
                Problem::Sequence(format!("`${var}` is only allowed in the second and later steps of a sequence")),
            );
        };
        let (src, vty) = if var == "key" {
            (VarSrc::Key, key_type)
        } else {
            match Field::from_name(var) {
                Some(vf) => (VarSrc::Field(vf), vf.ty()),
                None => {
                    return self.err(
                        pos,
                        Problem::UnknownField {
                            field: format!("${var}"),
                            suggestion: Field::suggest(var),
                            valid: format!("$key, {}", valid_fields()),
                        },
                    );
                }
            }
        };
        let negate = match op {
            "=" => false,
            "!=" => true,
            _ => {
                return self.mismatch(pos, f, op, format!("cannot take `${var}` (only `=` and `!=` can)"));
            }
        };
        let lhs = if f.ty() == FieldType::StrList { FieldType::Str } else { f.ty() };
        if lhs != vty {
            return self.mismatch(pos, f, op, format!("was given `${var}`, {}", vty.name()));
        }
        let slot = match self.vars.iter().position(|(n, _)| n == var) {
            Some(i) => i,
            None => {
                self.vars.push((var.to_string(), src));
                self.vars.len() - 1
            }
        };
        Ok(Cond::Test(f, Test::Var { slot, negate }))
    }

    fn set_items<'b>(&self, items: &'b [Item]) -> Result<Vec<&'b Lit>, CheckError>
    where
        'a: 'b,
    {
        let mut out = Vec::new();
        for it in items {
            match it {
                Item::Lit(l) => out.push(l),
                Item::List(name, p) => match self.env.lists.get(name) {
                    Some(v) => out.extend(v.iter()),
                    None => return self.err(*p, Problem::UnknownList(name.clone())),
                },
            }
        }
        Ok(out)
    }
}

fn check_event_type(c: &Checker<'_>, pos: usize, s: &str) -> Result<(), CheckError> {
    if EventType::from_name(s).is_none() {
        return c.err(
            pos,
            Problem::BadValue {
                value: s.to_string(),
                valid: EventType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "),
            },
        );
    }
    Ok(())
}

fn lit_desc(l: &Lit) -> String {
    match l {
        Lit::Str(s) => format!("the string '{s}'"),
        Lit::Int(n) => format!("the number {n}"),
        Lit::Bool(b) => format!("the boolean {b}"),
    }
}

/// The regex crate's message without its multi-line caret drawing: stderr
/// messages are one line each.
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
    last.trim().strip_prefix("error: ").unwrap_or(last.trim()).to_string()
}
