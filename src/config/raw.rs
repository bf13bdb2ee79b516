//! Owns the raw (phase one) config: serde structs mirroring the TOML file, every key optional, unknown keys refused; `Config::try_from_raw` turns them into ready types.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// An optional key whose value keeps its byte span for error messages.
pub(crate) type Opt<T> = Option<Spanned<T>>;
/// An optional list of strings, each keeping its span.
pub(crate) type OptList = Opt<Vec<Spanned<String>>>;

/// The whole file. Sections owned by other modules are taken as opaque
/// values here; those modules re-parse `Config::text`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub agent: Option<RawAgent>,
    pub ebpf: Option<RawEbpf>,
    pub events: Option<RawEvents>,
    pub process: Option<RawProcess>,
    pub file: Option<RawFile>,
    pub network: Option<RawNetwork>,
    pub output: Option<RawOutput>,
    pub performance: Option<RawPerformance>,
    // Owned by other modules (rules engine, detections); kept
    // only so `deny_unknown_fields` accepts them.
    #[allow(dead_code)]
    pub rules: Option<toml::Value>,
    #[allow(dead_code)]
    pub detections: Option<toml::Value>,
    #[allow(dead_code)]
    pub lists: Option<toml::Value>,
    #[allow(dead_code)]
    pub macros: Option<toml::Value>,
    #[allow(dead_code)]
    pub detection: Option<toml::Value>,
    pub outputs: Option<Vec<RawOutputEntry>>,
    pub metrics: Option<RawMetrics>,
    pub ui: Option<RawUi>,
    pub response: Option<RawResponse>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgent {
    pub id: Opt<String>,
    pub mode: Opt<String>,
    pub log_level: Opt<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEbpf {
    pub enabled: Opt<bool>,
    pub buffer_size: Opt<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvents {
    pub process: Opt<bool>,
    pub file: Opt<bool>,
    pub network: Opt<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProcess {
    pub enabled: Opt<bool>,
    pub hooks: OptList,
    pub collect_args: Opt<bool>,
    pub collect_env: Opt<bool>,
    pub collect_cwd: Opt<bool>,
    pub hash_max_bytes: Opt<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub enabled: Opt<bool>,
    pub hooks: OptList,
    pub watch_paths: OptList,
    pub watch_patterns: OptList,
    pub exclude_paths: OptList,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNetwork {
    pub enabled: Opt<bool>,
    pub hooks: OptList,
    pub collect_dns: Opt<bool>,
    pub collect_payload: Opt<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutput {
    #[serde(rename = "type")]
    pub kind: Opt<String>,
    pub format: Opt<String>,
    pub path: Opt<String>,
    pub health_interval_secs: Opt<i64>,
    pub when_full: Opt<String>,
}

/// One `[[outputs]]` entry. Keys that do not apply to its `type` are
/// refused in phase two, naming the type.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutputEntry {
    #[serde(rename = "type")]
    pub kind: Opt<String>,
    pub name: Opt<String>,
    pub records: Opt<String>,
    pub min_severity: Opt<String>,
    pub health: Opt<bool>,
    pub queue_size: Opt<i64>,
    pub when_full: Opt<String>,
    pub spool: Opt<bool>,
    pub spool_dir: Opt<String>,
    pub spool_max_bytes: Opt<i64>,
    pub path: Opt<String>,
    pub max_bytes: Opt<i64>,
    pub keep: Opt<i64>,
    pub transport: Opt<String>,
    pub address: Opt<String>,
    pub facility: Opt<String>,
    pub app_name: Opt<String>,
    pub url: Opt<String>,
    pub format: Opt<String>,
    pub envelope: Opt<String>,
    pub index: Opt<String>,
    pub sourcetype: Opt<String>,
    pub authorization: Opt<String>,
    pub gzip: Opt<bool>,
    pub batch_max_records: Opt<i64>,
    pub batch_max_wait_ms: Opt<i64>,
    pub max_retries: Opt<i64>,
    pub retry_backoff_ms: Opt<i64>,
    pub timeout_secs: Opt<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMetrics {
    pub listen: Opt<String>,
}

/// `[ui]`: the embedded live dashboard.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUi {
    pub listen: Opt<String>,
    pub token: Opt<String>,
    pub history: Opt<i64>,
    pub max_clients: Opt<i64>,
    pub client_buffer: Opt<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawResponse {
    pub deny_exec: OptList,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPerformance {
    pub max_events_per_second: Opt<i64>,
    pub drop_when_full: Opt<bool>,
    pub max_process_cache_entries: Opt<i64>,
    pub max_process_cache_bytes: Opt<i64>,
    pub max_pending_exec_sources: Opt<i64>,
    pub channel_capacity: Opt<i64>,
}

/// The keys a raw struct accepts, read from its serde impl so the unknown-key
/// check and `deny_unknown_fields` can never disagree.
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldGrabber(&mut fields));
    fields
}

/// The sections whose keys this module checks, with their accepted keys.
pub(crate) fn sections() -> [(&'static str, &'static [&'static str]); 11] {
    [
        ("agent", fields_of::<RawAgent>()),
        ("ebpf", fields_of::<RawEbpf>()),
        ("events", fields_of::<RawEvents>()),
        ("process", fields_of::<RawProcess>()),
        ("file", fields_of::<RawFile>()),
        ("network", fields_of::<RawNetwork>()),
        ("output", fields_of::<RawOutput>()),
        ("performance", fields_of::<RawPerformance>()),
        ("metrics", fields_of::<RawMetrics>()),
        ("ui", fields_of::<RawUi>()),
        ("response", fields_of::<RawResponse>()),
    ]
}

/// A deserializer that only records the field list of the struct asked for.
struct FieldGrabber<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for FieldGrabber<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("field introspection"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("field introspection"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_come_from_serde() {
        assert_eq!(fields_of::<RawAgent>(), ["id", "mode", "log_level"]);
        assert_eq!(fields_of::<RawOutput>(), ["type", "format", "path", "health_interval_secs", "when_full"]);
        assert!(fields_of::<RawConfig>().contains(&"rules"));
    }
}
