//! Sequence rules: steps in order within the window, lineage keys, and
//! bounded state.

use super::*;
use crate::record::{Fork, NetKind};

const DROP_EXEC: &str = r#"
[[rules]]
id = "SEQ-DROP-EXEC"
type = "sequence"
key = "path"
window_secs = 60
steps = [
  "event_type in ('file_open') and access != 'read' and path_dir in ('/tmp', '/var/tmp', '/dev/shm')",
  "event_type = 'process_exec' and (exe = $path or filename = $path)",
]
"#;

#[test]
fn sequence_drop_and_execute() {
    let mut e = Engine::new(set(DROP_EXEC).unwrap());
    assert!(fired(&mut e, open(T0, 7, "curl", "/tmp/payload", O_WRONLY | O_CREAT)).is_empty());
    assert!(fired(&mut e, exec(T0 + S, 8, 7, "bash", "/tmp/other", &["/tmp/other"], TTY)).is_empty(), "other path");
    let mut r = exec(T0 + 30 * S, 9, 7, "bash", "/tmp/payload", &["/tmp/payload"], TTY);
    let mut alerts = Vec::new();
    e.process(&mut r, &mut alerts);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].related.len(), 1);
    assert_eq!(alerts[0].related[0].summary.as_ref(), "/tmp/payload");
    assert_eq!(alerts[0].related[0].pid, 7);
    let mut out = Vec::new();
    alerts[0].write_json(&mut out, &r);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["rule_type"], "sequence");
    assert_eq!(v["sequence"][0], "2026-11-22T09:00:00.000000000Z file_open pid=7 /tmp/payload");
    assert_eq!(e.stats().pending_sequences, 0);
    // Expired window.
    assert!(fired(&mut e, open(T0 + 100 * S, 7, "curl", "/tmp/late", O_WRONLY | O_CREAT)).is_empty());
    assert!(fired(&mut e, exec(T0 + 161 * S, 9, 7, "bash", "/tmp/late", &["/tmp/late"], TTY)).is_empty());
    let s = e.stats();
    assert_eq!((s.sequences_started, s.sequences_completed, s.sequences_expired), (2, 1, 1));
}

#[test]
fn sequence_lineage_follows_descendants() {
    let text = r#"
[lists]
shells = ["sh", "bash"]
[[rules]]
id = "SEQ-WEB"
type = "sequence"
key = "lineage"
window_secs = 60
steps = [
  { condition = "event_type = 'process_exec' and comm in (shells) and parent_comm = 'nginx'" },
  "event_type = 'network_connect'",
]
"#;
    let mut e = Engine::new(set(text).unwrap());
    assert!(fired(&mut e, exec(T0, 100, 50, "nginx", "/bin/sh", &["sh", "-c", "x"], TTY)).is_empty());
    let fork = record(T0 + S, 101, 100, "sh", "/bin/sh", "nginx", Body::Fork(Fork { parent_tid: 100 }));
    assert!(fired(&mut e, fork).is_empty());
    let fork = record(T0 + S, 102, 101, "sh", "/bin/sh", "sh", Body::Fork(Fork { parent_tid: 101 }));
    assert!(fired(&mut e, fork).is_empty());
    // An unrelated process connecting does not complete it.
    assert!(fired(&mut e, net(T0 + 2 * S, 300, 1, "curl", NetKind::Connect, "1.1.1.1", 443)).is_empty());
    // The grandchild does.
    assert_eq!(fired(&mut e, net(T0 + 3 * S, 102, 101, "python3", NetKind::Connect, "1.1.1.1", 443)), vec!["SEQ-WEB"]);
}

#[test]
fn sequence_state_is_bounded() {
    let mut e = Engine::new(set(DROP_EXEC).unwrap().with_max_pending(10));
    for i in 0..1000u64 {
        let r = open(T0 + i * 1000, 7, "curl", &format!("/tmp/f{i}"), O_WRONLY | O_CREAT);
        assert!(fired(&mut e, r).is_empty());
        assert!(e.stats().pending_sequences <= 10);
    }
    let s = e.stats();
    assert_eq!(s.sequences_started, 1000);
    assert_eq!(s.sequences_evicted, 990);
    // The newest survive, the oldest were evicted.
    assert_eq!(fired(&mut e, exec(T0 + 2 * S, 9, 7, "bash", "/tmp/f999", &["x"], TTY)), vec!["SEQ-DROP-EXEC"]);
    assert!(fired(&mut e, exec(T0 + 2 * S, 9, 7, "bash", "/tmp/f0", &["x"], TTY)).is_empty());
}

/// `key = "container"`: steps in the same container, whatever the process;
/// records outside any container neither start nor continue an instance.
#[test]
fn sequence_container_key_ties_one_container() {
    use crate::record::{Cgroup, Context};
    use std::sync::Arc;
    let text = r#"
[[rules]]
id = "SEQ-CTR"
type = "sequence"
key = "container"
window_secs = 60
steps = [
  "event_type = 'process_exec' and comm = 'sh' and in_container = true",
  "event_type = 'network_connect' and container_id = $key and container_runtime = 'podman'",
]
"#;
    let in_ctr = |mut r: Record, id: &str| {
        let cgroup = Cgroup { path: Arc::from("/x"), container_id: Some(Arc::from(id)), runtime: Some("podman") };
        r.context = Context { cgroup: Some(Arc::new(cgroup)), in_container: Some(true), ..Default::default() };
        r
    };
    let mut e = Engine::new(set(text).unwrap());
    assert!(fired(&mut e, exec(T0, 100, 50, "bash", "/bin/sh", &["sh"], TTY)).is_empty(), "on the host");
    assert!(fired(&mut e, in_ctr(exec(T0, 101, 50, "conmon", "/bin/sh", &["sh"], TTY), "aaa")).is_empty());
    assert_eq!(e.stats().pending_sequences, 1, "only the container's exec starts one");
    let host_connect = net(T0 + S, 300, 1, "curl", NetKind::Connect, "1.1.1.1", 443);
    assert!(fired(&mut e, host_connect).is_empty());
    let other = in_ctr(net(T0 + S, 301, 1, "curl", NetKind::Connect, "1.1.1.1", 443), "bbb");
    assert!(fired(&mut e, other).is_empty(), "another container");
    let same = in_ctr(net(T0 + 2 * S, 302, 1, "wget", NetKind::Connect, "1.1.1.1", 443), "aaa");
    assert_eq!(fired(&mut e, same), vec!["SEQ-CTR"]);
}
