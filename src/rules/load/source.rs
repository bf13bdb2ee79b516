//! One source text with its line index, and typed access to its TOML
//! tables whose errors name the file, line, column, rule and key.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml_edit::{Item, Table, Value};

use super::{bad, CondSrc};
use crate::location::Lines;
use crate::rules::error::{Loc, Problem, RuleError};

/// One source text and its line index.
pub(super) struct Src {
    file: Arc<PathBuf>,
    pub(super) text: String,
    lines: Lines,
}

impl Src {
    pub(super) fn new(file: &Path, text: &str) -> Src {
        Src { file: Arc::new(file.to_path_buf()), text: text.to_string(), lines: Lines::new(text) }
    }

    pub(super) fn loc(&self, off: usize) -> Loc {
        Loc { file: self.file.clone(), at: self.lines.location(&self.text, off) }
    }

    pub(super) fn span(&self, span: Option<Range<usize>>) -> Loc {
        self.loc(span.map_or(0, |r| r.start))
    }
}

/// Typed access to one table's values, with errors that name the place.
pub(super) struct Reader<'a> {
    pub(super) src: &'a Src,
    pub(super) table: &'a Table,
    /// The rule the table belongs to, once its id is known.
    pub(super) rule: Option<String>,
    /// The table's dotted key, prefixed to the keys in errors.
    pub(super) prefix: &'a str,
}

impl<'a> Reader<'a> {
    pub(super) fn key_name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }
    pub(super) fn item_loc(&self, key: &str) -> Loc {
        let span = self.table.get(key).and_then(|i| i.span()).or_else(|| self.table.key(key).and_then(|k| k.span()));
        self.src.span(span)
    }
    pub(super) fn key_loc(&self, key: &str) -> Loc {
        self.src.span(self.table.key(key).and_then(|k| k.span()).or_else(|| self.table.span()))
    }
    /// A problem under `key` (with this table's prefix), placed at `loc`.
    pub(super) fn err_at(&self, loc: Loc, key: &str, problem: Problem) -> RuleError {
        bad(loc, self.rule.as_deref(), &self.key_name(key), problem)
    }
    pub(super) fn err(&self, key: &str, problem: Problem) -> RuleError {
        self.err_at(self.item_loc(key), key, problem)
    }
    pub(super) fn wrong(&self, key: &str, expected: &'static str, found: &str) -> RuleError {
        self.err(key, Problem::WrongType { expected, found: found.to_string() })
    }
    pub(super) fn check_keys(&self, valid: &[&str]) -> Result<(), RuleError> {
        for (k, _) in self.table.iter() {
            if !valid.contains(&k) {
                let problem = Problem::UnknownKey { key: k.to_string(), valid: valid.join(", ") };
                return Err(self.err_at(self.key_loc(k), k, problem));
            }
        }
        Ok(())
    }
    pub(super) fn value(&self, key: &str) -> Result<Option<&'a Value>, RuleError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Item::Value(v)) => Ok(Some(v)),
            Some(other) => Err(self.wrong(key, "a value", other.type_name())),
        }
    }
    pub(super) fn str(&self, key: &str) -> Result<Option<String>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.value().clone())),
            Some(v) => Err(self.wrong(key, "a string", v.type_name())),
        }
    }
    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::Boolean(b)) => Ok(Some(*b.value())),
            Some(v) => Err(self.wrong(key, "a boolean", v.type_name())),
        }
    }
    pub(super) fn float(&self, key: &str) -> Result<Option<f64>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::Float(f)) => Ok(Some(*f.value())),
            Some(Value::Integer(i)) => Ok(Some(*i.value() as f64)),
            Some(v) => Err(self.wrong(key, "a number", v.type_name())),
        }
    }
    pub(super) fn int(&self, key: &str) -> Result<Option<i64>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i.value())),
            Some(v) => Err(self.wrong(key, "an integer", v.type_name())),
        }
    }
    /// A sub-table (`[detections]`, `[lists]`, ...).
    pub(super) fn sub_table(&self, key: &str) -> Result<Option<&'a Table>, RuleError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Item::Table(t)) => Ok(Some(t)),
            Some(other) => Err(self.wrong(key, "a table", other.type_name())),
        }
    }
    /// An array of tables (`[[rules]]`); empty when the key is absent.
    pub(super) fn tables(&self, key: &str, expected: &'static str) -> Result<Vec<&'a Table>, RuleError> {
        match self.table.get(key) {
            None => Ok(Vec::new()),
            Some(Item::ArrayOfTables(aot)) => Ok(aot.iter().collect()),
            Some(other) => Err(self.wrong(key, expected, other.type_name())),
        }
    }
    pub(super) fn array(&self, key: &str) -> Result<Vec<&'a Value>, RuleError> {
        match self.value(key)? {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(v) => Err(self.wrong(key, "an array", v.type_name())),
        }
    }
    pub(super) fn strs(&self, key: &str) -> Result<Vec<String>, RuleError> {
        self.strs_loc(key).map(|v| v.into_iter().map(|(s, _)| s).collect())
    }
    pub(super) fn strs_loc(&self, key: &str) -> Result<Vec<(String, Loc)>, RuleError> {
        self.array(key)?
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok((s.value().clone(), self.src.span(v.span()))),
                other => Err(self.err_at(
                    self.src.span(other.span()),
                    key,
                    Problem::WrongType {
                        expected: "an array of strings",
                        found: format!("an array holding a {}", other.type_name()),
                    },
                )),
            })
            .collect()
    }
    pub(super) fn ports(&self, key: &str) -> Result<Vec<u16>, RuleError> {
        self.array(key)?
            .into_iter()
            .map(|v| {
                let here = self.src.span(v.span());
                match v {
                    Value::Integer(i) => {
                        u16::try_from(*i.value()).map_err(|_| self.err_at(here, key, Problem::PortRange(*i.value())))
                    }
                    other => Err(self.err_at(
                        here,
                        key,
                        Problem::WrongType {
                            expected: "an array of integers",
                            found: format!("an array holding a {}", other.type_name()),
                        },
                    )),
                }
            })
            .collect()
    }
    /// A string value as condition text, with where it starts.
    pub(super) fn cond_src(&self, v: &Value) -> Option<CondSrc> {
        let Value::String(s) = v else { return None };
        let start = v.span().map_or(0, |r| r.start);
        let raw = self.src.text.get(start..).unwrap_or("");
        let multiline = raw.starts_with("\"\"\"") || raw.starts_with("'''");
        Some(CondSrc {
            text: s.value().clone(),
            start: self.src.loc(start),
            quote: if multiline { 3 } else { 1 },
            multiline,
        })
    }
    pub(super) fn cond(&self, key: &str) -> Result<Option<CondSrc>, RuleError> {
        match self.value(key)? {
            None => Ok(None),
            Some(v) => self.cond_src(v).map(Some).ok_or_else(|| self.wrong(key, "a string", v.type_name())),
        }
    }
}
