//! Owns the unknown-key check: every key in the file must be known to the config or to a module that re-reads the text (rules, detections), else the first one is named with its position.

use super::raw::{self, RawConfig};
use super::tree::{self, Node};
use super::{ConfigError, Ctx};

/// Refuses any key not known here or to another module.
pub(super) fn check_unknown_keys(ctx: &Ctx<'_>, tree: &Node) -> Result<(), ConfigError> {
    let mut first: Option<(usize, ConfigError)> = None;
    let mut report = |key: &tree::Key, dotted: String, expected: &[&str]| {
        let start = key.span.as_ref().map_or(usize::MAX, |s| s.start);
        if first.as_ref().is_none_or(|(at, _)| start < *at) {
            let err = ConfigError::UnknownKey {
                path: ctx.path.to_path_buf(),
                location: key.span.as_ref().map(|s| ctx.location(s.start)),
                key: dotted,
                expected: expected.join(", "),
            };
            first = Some((start, err));
        }
    };
    let top = raw::fields_of::<RawConfig>();
    let sections = raw::sections();
    for (key, value) in tree.entries() {
        if !top.contains(&key.name.as_str()) {
            let mut dotted = String::new();
            tree::push_key(&mut dotted, &key.name);
            report(key, dotted, top);
            continue;
        }
        if key.name == "outputs" {
            let fields = raw::fields_of::<raw::RawOutputEntry>();
            if let tree::Kind::Array(items) = &value.kind {
                for (i, item) in items.iter().enumerate() {
                    for (inner, _) in item.entries() {
                        if !fields.contains(&inner.name.as_str()) {
                            let mut dotted = format!("outputs[{i}].");
                            tree::push_key(&mut dotted, &inner.name);
                            report(inner, dotted, fields);
                        }
                    }
                }
            }
            continue;
        }
        let Some((_, fields)) = sections.iter().find(|(s, _)| *s == key.name) else {
            continue; // owned by another module
        };
        for (inner, _) in value.entries() {
            if !fields.contains(&inner.name.as_str()) {
                let mut dotted = key.name.clone();
                dotted.push('.');
                tree::push_key(&mut dotted, &inner.name);
                report(inner, dotted, fields);
            }
        }
    }
    match first {
        Some((_, err)) => Err(err),
        None => Ok(()),
    }
}
