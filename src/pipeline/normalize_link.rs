//! file_link: the raw record names the existing file (or a symlink's
//! content) in `path` and the link created in `new_path`; the record's
//! `path` is the link created and `target` what it points at.

use super::{absolute, lossy, Normalizer, Outcome};
use crate::bpf::abi::{rg_file, Text};
use crate::bpf::skel::types::rg_syscall;
use crate::catalog;
use crate::record::{
    symlink_points_at, Body, File, FileOp, Link, AT_SYMLINK_FOLLOW, IORING_OP_LINKAT, IORING_OP_SYMLINKAT,
};

impl Normalizer {
    pub(super) fn link(&mut self, e: &rg_file, ktime: u64, target: &Text<'_>, created: &Text<'_>) -> Outcome {
        let op = super::net::uring_op(e.syscall, e.uring_op);
        let symlink = e.syscall == rg_syscall::RG_SYS_SYMLINK.0
            || e.syscall == rg_syscall::RG_SYS_SYMLINKAT.0
            || op == Some(IORING_OP_SYMLINKAT);
        let p = absolute(created);
        let (t, points_at) = if symlink {
            let content = lossy(target.bytes).into_owned();
            let at = super::normalize_path(&symlink_points_at(&content, &p));
            (content, at)
        } else {
            let t = absolute(target);
            (t.clone(), t)
        };
        // Kept when either side is watched, or cannot be checked (cut or
        // detached), as the kernel decided: a hard link of a watched file
        // is reported wherever it is made.
        let unknowable = |x: &Text<'_>| x.truncated || x.detached;
        let watched = unknowable(created)
            || unknowable(target)
            || self.select.paths.matches(&p)
            || self.select.paths.matches(&points_at);
        if !watched {
            return Outcome::Filtered;
        }
        let linkat = e.syscall == rg_syscall::RG_SYS_LINKAT.0 || op == Some(IORING_OP_LINKAT);
        let follow = (!symlink).then_some(linkat && e.flags & AT_SYMLINK_FOLLOW != 0);
        let l = Link {
            target: t,
            target_truncated: target.truncated,
            target_detached: target.detached,
            symlink,
            follow_symlinks: follow,
        };
        let body = Body::File(File {
            path: p,
            path_truncated: created.truncated,
            path_detached: created.detached,
            op: FileOp::Link(l),
            syscall: catalog::syscall_name(e.syscall),
            io_uring: super::net::uring_req(e.syscall, e.uring_op),
        });
        Outcome::Record(self.record(&e.task, ktime, body))
    }
}
