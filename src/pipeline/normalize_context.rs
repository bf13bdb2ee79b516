//! The fields every record carries about the acting process and its
//! parent: from the kernel's view of the task, the process table (or /proc
//! for a process it never saw), and the host's user names.

use super::{comm, Normalizer};
use crate::bpf::abi::rg_task;
use crate::catalog::FileKind;
use crate::process::{procfs, ProcessInfo};
use crate::record::{Body, CmdlineSource, Record};

impl Normalizer {
    /// The common fields, from the kernel's view of the task and the table.
    pub(super) fn record(&mut self, t: &rg_task, ktime: u64, body: Body) -> Record {
        let (exe, cmdline, cmdline_source, exec_id) = match self.lookup(t.pid) {
            Some(p) => (p.exe.clone(), p.cmdline.clone(), p.cmdline.as_ref().map(|_| p.cmdline_source), p.exec_id),
            None => (None, None, None, None),
        };
        let (parent_exe, parent_cmdline, parent_exec_id) = match self.lookup(t.ppid) {
            Some(p) => (p.exe.clone(), p.cmdline.clone(), p.exec_id),
            None => (None, None, None),
        };
        self.users.refresh(ktime);
        let parent_comm = comm(&t.parent_comm);
        Record {
            timestamp_ns: self.clock.to_wall_ns(ktime),
            host: self.host.clone(),
            pid: t.pid,
            tid: t.tid,
            ppid: t.ppid,
            uid: t.uid,
            gid: t.gid,
            euid: t.euid,
            comm: comm(&t.comm),
            exe,
            cmdline,
            cmdline_source,
            parent_comm: (!parent_comm.is_empty()).then_some(parent_comm),
            parent_exe,
            parent_cmdline,
            user: self.users.name(t.uid),
            euser: self.users.name(t.euid),
            exec_id,
            parent_exec_id,
            context: self.context.context(&t.ctx),
            body,
            detection: None,
        }
    }

    /// The table's entry, or /proc's for a process it never saw (one that
    /// started between the /proc scan and the attach, or was evicted). A
    /// process /proc no longer has gets an entry without exe or cmdline, so
    /// its later records cost no more /proc reads.
    pub(super) fn lookup(&mut self, pid: u32) -> Option<&ProcessInfo> {
        if pid == 0 {
            return None;
        }
        if self.table.get(pid).is_none() {
            let info = procfs::read_process(&self.proc_root, pid).unwrap_or(ProcessInfo {
                pid,
                ppid: 0,
                uid: 0,
                comm: String::new(),
                exe: None,
                cmdline: None,
                cmdline_source: CmdlineSource::Procfs,
                start_ns: None,
                exec_id: None,
                exited: false,
            });
            self.table.insert(info);
        }
        self.table.get(pid)
    }

    /// A write to or rename onto the passwd file the user names come from:
    /// read it again at the next record. Seen whether or not the path is
    /// watched.
    pub(super) fn note_file(&mut self, op: FileKind, path: &str, new_path: Option<&str>) {
        let Some(passwd) = self.users.path() else {
            return;
        };
        let hit = match op {
            FileKind::Write => passwd.as_os_str() == path,
            FileKind::Rename => new_path.is_some_and(|n| passwd.as_os_str() == n),
            // a read of it changes nothing; a new file there arrives by rename or write
            FileKind::Open | FileKind::Unlink | FileKind::Link => false,
        };
        if hit {
            self.users.mark_changed();
        }
    }
}

#[cfg(test)]
#[path = "normalize_context_tests.rs"]
mod tests;
