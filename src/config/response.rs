//! Owns `[response]` phase two: the executables `enforce` kills in the
//! kernel, resolved from their paths to (device, inode) so that a copy
//! made by hard link or rename is the same entry (docs/response.md).

use std::os::unix::fs::MetadataExt;

use super::agent::Agent;
use super::events::ProcessSettings;
use super::raw::RawResponse;
use super::{ConfigError, Ctx};
use crate::catalog::ProcessHook;

/// Entries the kernel's `deny_exec` map holds (bpf/maps.bpf.h).
pub const MAX_DENY_EXEC: usize = 4096;

/// One `deny_exec` entry: the file a path named when the config was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeniedExe {
    /// As written in the config.
    pub path: String,
    /// The device in the kernel's own encoding (`MKDEV`: major << 20 | minor),
    /// as `inode->i_sb->s_dev` holds it.
    pub dev: u64,
    pub ino: u64,
}

/// The checked `[response]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseSettings {
    /// Unique by (dev, ino), in config order.
    pub deny_exec: Vec<DeniedExe>,
}

/// `st_dev` as the kernel encodes a `dev_t` internally.
pub fn kernel_dev(st_dev: u64) -> u64 {
    let (major, minor) = (libc::major(st_dev), libc::minor(st_dev));
    (u64::from(major) << 20) | u64::from(minor)
}

/// Checks `[response]`. A path that does not exist is a warning (a deny
/// list shared between hosts names what some lack); one that exists but is
/// not a regular file, or cannot be read, is an error. In a mode that never
/// acts the list is kept but unused (a warning says so).
pub(super) fn check_response(
    ctx: &Ctx<'_>,
    raw: Option<RawResponse>,
    agent: &Agent,
    process: &ProcessSettings,
    warnings: &mut Vec<String>,
) -> Result<ResponseSettings, ConfigError> {
    let raw = raw.unwrap_or_default();
    let mut out = ResponseSettings::default();
    let Some(list) = &raw.deny_exec else {
        return Ok(out);
    };
    for entry in list.get_ref() {
        let path = entry.get_ref();
        if !path.starts_with('/') {
            return Err(ctx.invalid(entry.span(), "response.deny_exec", &format!("{path:?} is not an absolute path")));
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                warnings.push(ctx.note(
                    entry.span(),
                    "response.deny_exec",
                    &format!("{path:?} does not exist: nothing is denied for it"),
                ));
                continue;
            }
            Err(e) => {
                return Err(ctx.invalid(entry.span(), "response.deny_exec", &format!("{path:?}: {e}")));
            }
        };
        if !meta.is_file() {
            return Err(ctx.invalid(entry.span(), "response.deny_exec", &format!("{path:?} is not a regular file")));
        }
        let (dev, ino) = (kernel_dev(meta.dev()), meta.ino());
        if out.deny_exec.iter().any(|d| d.dev == dev && d.ino == ino) {
            continue;
        }
        if out.deny_exec.len() == MAX_DENY_EXEC {
            return Err(ctx.invalid(
                entry.span(),
                "response.deny_exec",
                &format!("more than {MAX_DENY_EXEC} distinct files"),
            ));
        }
        out.deny_exec.push(DeniedExe { path: path.clone(), dev, ino });
    }
    let span = list.span();
    if !agent.mode.responds() {
        if !out.deny_exec.is_empty() {
            warnings.push(ctx.note(
                span,
                "response.deny_exec",
                &format!("is not enforced: agent.mode is {:?} (use \"dry_run\" or \"enforce\")", agent.mode.name()),
            ));
        }
        return Ok(out);
    }
    let exec_hook = process.hooks.iter().any(|h| matches!(h, ProcessHook::Execve | ProcessHook::Execveat));
    let checked = process.enabled && exec_hook;
    if !checked && !out.deny_exec.is_empty() {
        return Err(ctx.invalid(
            span,
            "response.deny_exec",
            "is checked at exec: it needs [process] enabled with the hook \"execve\" (or \"execveat\")",
        ));
    }
    Ok(out)
}
