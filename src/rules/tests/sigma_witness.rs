//! Builds, from a Sigma rule's own YAML (not from its compiled condition),
//! a record the rule must fire on and a look-alike it must not: the
//! smallest set of search identifiers that makes the condition true is
//! satisfied with the first value of each field (all values under
//! `|all`), wildcards filled in; the negative record has the same event
//! type with ordinary values. Rules whose values cannot be written down
//! this way (regexes, base64, windash, several exact values for one
//! field) give None and are not counted.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::record::{NetKind, Record};
use crate::rules::bench::{exec, net, open, O_CREAT, O_WRONLY};
use crate::rules::eval::Cond;
use crate::rules::sigma::condition;
use crate::rules::sigma::yaml::{self, Kind, Node};

const T0: u64 = 1_795_338_000_000_000_000;
pub const POS_PID: u32 = 4242;
pub const NEG_PID: u32 = 5353;

/// What one field of the positive record must satisfy.
#[derive(Default, Debug)]
struct Need {
    eq: Option<String>,
    starts: Vec<String>,
    contains: Vec<String>,
    ends: Vec<String>,
}

impl Need {
    /// A value satisfying every constraint, when one is easy to write.
    fn value(&self) -> Option<String> {
        let longest = |v: &[String]| v.iter().max_by_key(|s| s.len()).cloned().unwrap_or_default();
        let (s, e) = (longest(&self.starts), longest(&self.ends));
        let lc = |x: &String| x.to_ascii_lowercase();
        if !self.starts.iter().all(|p| lc(&s).starts_with(&lc(p)))
            || !self.ends.iter().all(|p| lc(&e).ends_with(&lc(p)))
        {
            return None;
        }
        if let Some(eq) = &self.eq {
            let l = lc(eq);
            let ok = self.starts.iter().all(|p| l.starts_with(&lc(p)))
                && self.ends.iter().all(|p| l.ends_with(&lc(p)))
                && self.contains.iter().all(|p| l.contains(&lc(p)));
            return ok.then(|| eq.clone());
        }
        let parts: Vec<String> = std::iter::once(s)
            .chain(self.contains.iter().cloned())
            .chain(std::iter::once(e))
            .filter(|p| !p.is_empty())
            .collect();
        Some(parts.join(" "))
    }
}

/// A Sigma value with its wildcards filled in (`*` → nothing, `?` → `x`);
/// None for escapes, which would need care.
fn fill(v: &str) -> Option<String> {
    if v.contains('\\') {
        return None;
    }
    Some(v.replace('*', "").replace('?', "x"))
}

/// The field constraints one search identifier asks for.
fn constrain(node: &Node, keyword_field: &str, needs: &mut BTreeMap<String, Need>) -> Option<()> {
    match &node.kind {
        Kind::Map(entries) => {
            for (key, value) in entries {
                let mut parts = key.split('|');
                let field = parts.next()?.to_string();
                let mods: Vec<&str> = parts.collect();
                let all = mods.contains(&"all");
                let vals: Vec<&Node> = match &value.kind {
                    Kind::Seq(items) => items.iter().collect(),
                    _ => vec![value],
                };
                let picked: Vec<&Node> = if all { vals } else { vals.into_iter().take(1).collect() };
                for v in picked {
                    let text = fill(v.scalar()?)?;
                    let n = needs.entry(field.clone()).or_default();
                    match mods.iter().find(|m| **m != "all").copied() {
                        None => {
                            if n.eq.as_ref().is_some_and(|e| *e != text) {
                                return None;
                            }
                            n.eq = Some(text);
                        }
                        Some("contains") => n.contains.push(text),
                        Some("startswith") => n.starts.push(text),
                        Some("endswith") => n.ends.push(text),
                        Some("cidr") => n.eq = Some(text.split('/').next()?.to_string()),
                        _ => return None,
                    }
                }
            }
            Some(())
        }
        Kind::Seq(items) => match items.first()?.kind {
            Kind::Map(_) => constrain(items.first()?, keyword_field, needs),
            _ => {
                let text = fill(items.first()?.scalar()?)?;
                needs.entry(keyword_field.to_string()).or_default().contains.push(text);
                Some(())
            }
        },
        Kind::Scalar(..) => {
            let text = fill(node.scalar()?)?;
            needs.entry(keyword_field.to_string()).or_default().contains.push(text);
            Some(())
        }
        Kind::Unsupported(_) => None,
    }
}

fn truth(c: &Cond) -> bool {
    match c {
        Cond::Const(b) => *b,
        Cond::And(v) => v.iter().all(truth),
        Cond::Or(v) => v.iter().any(truth),
        Cond::Not(c) => !truth(c),
        _ => false,
    }
}

/// The condition's value when exactly the identifiers in `on` are true.
fn holds(cond: &str, names: &[String], on: &[usize]) -> Option<bool> {
    let sels: Vec<(String, Cond)> =
        names.iter().enumerate().map(|(i, n)| (n.clone(), Cond::Const(on.contains(&i)))).collect();
    condition::compile(cond, &sels).ok().map(|c| truth(&c))
}

/// The smallest set of identifiers (one, two, or all but those named
/// like filters) that makes the condition true while all-false does not.
fn pick(cond: &str, names: &[String]) -> Option<Vec<usize>> {
    if holds(cond, names, &[])? {
        return None;
    }
    let n = names.len();
    let mut cands: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    for i in 0..n {
        for j in i + 1..n {
            cands.push(vec![i, j]);
        }
    }
    cands.push((0..n).filter(|i| !names[*i].starts_with("filter")).collect());
    cands.into_iter().find(|c| holds(cond, names, c) == Some(true))
}

/// The positive and negative records for a Sigma rule's text.
pub fn witness(text: &str) -> Option<(Record, Record)> {
    let doc = yaml::parse(text).ok()??;
    let category = doc.get("logsource")?.get("category")?.scalar()?.to_string();
    let det = doc.get("detection")?;
    let Kind::Map(entries) = &det.kind else { return None };
    let cond = det.get("condition")?.scalar()?;
    let names: Vec<String> = entries.iter().map(|(k, _)| k.clone()).filter(|k| k != "condition").collect();
    let on = pick(cond, &names)?;
    let keyword_field = if category == "file_event" { "TargetFilename" } else { "CommandLine" };
    let mut needs = BTreeMap::new();
    for i in on {
        constrain(det.get(&names[i])?, keyword_field, &mut needs)?;
    }
    let mut vals = BTreeMap::new();
    for (f, n) in &needs {
        vals.insert(f.as_str(), n.value()?);
    }
    let get = |k: &str| vals.get(k).cloned();
    let pos = build(&category, POS_PID, &get)?;
    let neg = build(&category, NEG_PID, &|_| None)?;
    Some((pos, neg))
}

/// A record of the log source's main event type; `get` gives Sigma field
/// values, ordinary ones otherwise.
fn build(category: &str, pid: u32, get: &dyn Fn(&str) -> Option<String>) -> Option<Record> {
    let image = get("Image").unwrap_or_else(|| "/usr/bin/true".into());
    let arc = |s: String| Some(Arc::<str>::from(s));
    let known = [
        "Image",
        "CommandLine",
        "ParentImage",
        "CurrentDirectory",
        "TargetFilename",
        "DestinationIp",
        "DestinationPort",
        "Initiated",
        "ProcessId",
        "ParentProcessId",
    ];
    let mut r = match category {
        "process_creation" => {
            let cmd = get("CommandLine").unwrap_or_else(|| "true --version".into());
            let args: Vec<&str> = cmd.split(' ').collect();
            let mut r = exec(T0, pid, 4000, "bash", &image, &args, ["tty"; 3]);
            r.cmdline = arc(cmd);
            if let crate::record::Body::Exec(e) = &mut r.body {
                e.cwd = Some(get("CurrentDirectory").unwrap_or_else(|| "/home/u".into()));
            }
            r
        }
        "file_event" => {
            let path = get("TargetFilename").unwrap_or_else(|| "/home/u/notes.txt".into());
            let mut r = open(T0, pid, "editor", &path, O_WRONLY | O_CREAT);
            r.exe = arc(image);
            if let Some(c) = get("CommandLine") {
                r.cmdline = arc(c);
            }
            r
        }
        "network_connection" => {
            let kind = if get("Initiated").as_deref() == Some("false") { NetKind::Accept } else { NetKind::Connect };
            let addr = get("DestinationIp").unwrap_or_else(|| "192.0.2.10".into());
            let port = get("DestinationPort").map_or(Some(80), |p| p.parse().ok())?;
            let mut r = net(T0, pid, 4000, "client", kind, &addr, port);
            r.exe = arc(image);
            r
        }
        _ => return None,
    };
    if let Some(p) = get("ParentImage") {
        r.parent_exe = arc(p);
    } else if r.parent_exe.is_none() {
        r.parent_exe = arc("/usr/bin/bash".into());
    }
    if let Some(p) = get("ProcessId").and_then(|p| p.parse().ok()) {
        r.pid = p;
    }
    // a field the builder cannot set: no witness
    for probe in ["ParentCommandLine", "User", "Hashes", "DestinationHostname", "SourceIp", "SourcePort", "LogonId"] {
        if get(probe).is_some() && !known.contains(&probe) {
            return None;
        }
    }
    Some(r)
}
