//! Owns the span tree: a shape-only parse of the config text that keeps the byte span of every key and value, so errors can name a key (`file.watch_paths[2]`) and its line:column.

use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

// The `toml` deserializer hands out spans through `toml::Spanned`'s private
// serde protocol (a struct with these magic names). `toml::Spanned<T>` itself
// cannot be used here: datetime keys and the document root come without a
// span, and `Spanned` then fails instead of falling back. So we speak the
// protocol ourselves and accept both shapes.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
// How `toml` presents a datetime value: a one-entry map with this key.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A table key with its byte span, when the parser gives one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub span: Option<Range<usize>>,
}

/// A value with its byte span, when the parser gives one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub span: Option<Range<usize>>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Table(Vec<(Key, Node)>),
    Array(Vec<Node>),
    Scalar,
}

impl Node {
    /// Parses `text` into a span tree.
    pub fn parse(text: &str) -> Result<Node, toml::de::Error> {
        toml::from_str(text)
    }

    /// The entries of a table node (empty for other kinds).
    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.kind {
            Kind::Table(entries) => entries,
            _ => &[],
        }
    }

    /// The entry `name` of a table node.
    #[cfg(test)]
    pub fn get(&self, name: &str) -> Option<&(Key, Node)> {
        self.entries().iter().find(|(k, _)| k.name == name)
    }

    /// The dotted path of the innermost key or value containing byte `offset`.
    pub fn path_at(&self, offset: usize) -> Option<String> {
        let mut path = String::new();
        if self.find(offset, &mut path) {
            Some(path)
        } else {
            None
        }
    }

    fn find(&self, offset: usize, path: &mut String) -> bool {
        let contains = |s: &Option<Range<usize>>| s.as_ref().is_some_and(|r| r.contains(&offset));
        match &self.kind {
            Kind::Table(entries) => {
                for (key, value) in entries {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    push_key(path, &key.name);
                    if contains(&key.span) {
                        return true;
                    }
                    // A value without a span (a `[table]`) may still hold it.
                    if value.find(offset, path) || contains(&value.span) {
                        return true;
                    }
                    path.truncate(len);
                }
                false
            }
            Kind::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    if item.find(offset, path) || contains(&item.span) {
                        return true;
                    }
                    path.truncate(len);
                }
                false
            }
            Kind::Scalar => false,
        }
    }
}

/// Appends a key to a dotted path, quoting it unless it is a bare key.
pub(crate) fn push_key(path: &mut String, name: &str) {
    let bare = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        path.push_str(name);
    } else {
        path.push_str(&format!("{name:?}"));
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, NodeVisitor)
    }
}

struct NodeVisitor;

fn scalar() -> Node {
    Node { span: None, kind: Kind::Scalar }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
        Ok(scalar())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
        Ok(scalar())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
        Ok(scalar())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
        Ok(scalar())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Node, E> {
        Ok(scalar())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(scalar())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node { span: None, kind: Kind::Array(items) })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let Some(first) = map.next_key::<Key>()? else {
            return Ok(Node { span: None, kind: Kind::Table(Vec::new()) });
        };
        if first.name == SPANNED_START {
            // The spanned protocol: start, end, then the value itself.
            let start = map.next_value::<usize>()?;
            let mut end = start;
            let mut kind = Kind::Scalar;
            while let Some(k) = map.next_key::<String>()? {
                match k.as_str() {
                    SPANNED_END => end = map.next_value::<usize>()?,
                    SPANNED_VALUE => kind = map.next_value_seed(KindSeed)?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            return Ok(Node { span: Some(start..end.max(start)), kind });
        }
        if first.name == DATETIME_FIELD {
            map.next_value::<IgnoredAny>()?;
            return Ok(scalar());
        }
        let mut entries = vec![(first, map.next_value::<Node>()?)];
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Node { span: None, kind: Kind::Table(entries) })
    }
}

/// The inner value of a spanned node: asking for the spanned struct again
/// would loop, so this asks for "anything".
struct KindSeed;

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = Kind;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(NodeVisitor).map(|n| n.kind)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key { name: v.to_owned(), span: None })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
        let (mut start, mut end, mut name) = (None, None, None);
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                SPANNED_START => start = Some(map.next_value::<usize>()?),
                SPANNED_END => end = Some(map.next_value::<usize>()?),
                SPANNED_VALUE => name = Some(map.next_value::<String>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let name = name.ok_or_else(|| de::Error::missing_field("key"))?;
        let span = match (start, end) {
            (Some(s), Some(e)) => Some(s..e.max(s)),
            _ => None,
        };
        Ok(Key { name, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_paths() {
        let text = "top = 1\n[a]\nb = [\"x\", \"y\"]\nwhen = 1979-05-27T07:32:00Z\n[[r]]\nk = { z = 1 }\n";
        let tree = Node::parse(text).unwrap();
        let (key, _) = tree.get("a").unwrap().1.get("b").unwrap();
        assert_eq!(key.span, Some(12..13));
        let y = text.find("\"y\"").unwrap();
        assert_eq!(tree.path_at(y).as_deref(), Some("a.b[1]"));
        assert_eq!(tree.path_at(0).as_deref(), Some("top"));
        let z = text.find("z =").unwrap();
        assert_eq!(tree.path_at(z).as_deref(), Some("r[0].k.z"));
        let when = text.find("1979").unwrap();
        assert_eq!(tree.path_at(when).as_deref(), Some("a.when"));
    }

    #[test]
    fn quoted_keys_in_paths() {
        let mut p = String::new();
        push_key(&mut p, "a b");
        assert_eq!(p, "\"a b\"");
    }
}
