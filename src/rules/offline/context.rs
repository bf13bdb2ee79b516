//! The container and namespace context of a record read back from NDJSON
//! (every field may be absent or null: records older than these fields).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{opt_int, opt_str, opt_u32, perr, RecordParseError};
use crate::record::{Cgroup, Context, Namespaces, RUNTIMES};

pub(super) fn context_from_json(o: &Map<String, Value>) -> Result<Context, RecordParseError> {
    let cgroup_id = opt_int(o, "cgroup_id")?
        .map(|n| u64::try_from(n).map_err(|_| perr("cgroup_id", "expected a non-negative integer")))
        .transpose()?;
    let path = opt_str(o, "cgroup")?;
    let container_id = opt_str(o, "container_id")?;
    let runtime = match opt_str(o, "container_runtime")? {
        None => None,
        Some(r) => Some(*RUNTIMES.iter().find(|k| **k == r).ok_or_else(|| {
            perr("container_runtime", format!("unknown runtime `{r}` (expected one of {})", RUNTIMES.join(", ")))
        })?),
    };
    let cgroup = (path.is_some() || container_id.is_some() || runtime.is_some()).then(|| {
        Arc::new(Cgroup { path: Arc::from(path.unwrap_or("")), container_id: container_id.map(Arc::from), runtime })
    });
    let inode = |k: &str| opt_u32(o, k).map(|v| v.unwrap_or(0));
    let ns = Namespaces {
        pid: inode("pidns")?,
        mnt: inode("mntns")?,
        net: inode("netns")?,
        user: inode("userns")?,
        uts: inode("utsns")?,
        ipc: inode("ipcns")?,
        cgroup: inode("cgroupns")?,
    };
    let in_container = match o.get("in_container") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(perr("in_container", "expected a boolean")),
    };
    Ok(Context { cgroup_id, cgroup, ns, in_container, ns_pid: opt_u32(o, "ns_pid")? })
}
