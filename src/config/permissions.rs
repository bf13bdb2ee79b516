//! StrictModes for the files that steer the sensor: a config file, a rule
//! directory or rule file that someone other than its owner can change (or
//! that a non-root user owns while the sensor runs as root) is refused, as
//! sshd refuses a group-writable `authorized_keys`.
//!
//! The rule, checked on every config file, the directory holding it, every
//! rule directory and every rule file (symlinks followed):
//! - the owner is root, or — only when not running as root — the user
//!   running rand-guard;
//! - it is not writable by group or others. A directory with the sticky
//!   bit (like `/tmp`) is allowed to be: others cannot replace or rename
//!   entries they do not own there, and every file read is checked itself.
//!
//! The directories on the way to a file output are checked the same way
//! (see `output::dir`), except that the output's own directory may not be
//! writable by others even with the sticky bit.
//!
//! `--allow-insecure-config` turns the check off. A git checkout is 0644
//! files in 0755 directories owned by whoever cloned it, so it passes when
//! root cloned it (CI) and fails for `sudo make run` from a user's clone;
//! `make run` passes the flag in that case and says so.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Whether and for whom permissions are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    /// The effective uid the sensor runs as.
    pub euid: u32,
}

impl Policy {
    /// The policy for this process: on unless `allow_insecure`.
    pub fn for_this_process(allow_insecure: bool) -> Policy {
        // SAFETY: geteuid has no preconditions.
        Policy { enabled: !allow_insecure, euid: unsafe { libc::geteuid() } }
    }

    /// No checks (tests).
    pub fn off() -> Policy {
        Policy { enabled: false, euid: 0 }
    }

    /// Checks one file or directory.
    pub fn check(&self, path: &Path) -> Result<(), InsecureError> {
        if !self.enabled {
            return Ok(());
        }
        match fs::metadata(path) {
            Ok(md) => self.judge(path, md.uid(), md.mode(), Role::Config),
            // a missing file is reported by whoever reads it, with its context
            Err(_) => Ok(()),
        }
    }

    /// Judges what a stat of `path` found (`st_mode` with its type bits)
    /// for `role`: the rule of this module, for callers that hold the file
    /// open and stat the descriptor rather than the name.
    pub fn judge(&self, path: &Path, uid: u32, st_mode: u32, role: Role) -> Result<(), InsecureError> {
        if !self.enabled {
            return Ok(());
        }
        let is_dir = st_mode & libc::S_IFMT == libc::S_IFDIR;
        let mode = st_mode & 0o7777;
        let what = match role {
            Role::Config if is_dir => "directory",
            Role::Config => "file",
            Role::OutputAncestor => "directory",
            Role::OutputDir => "output directory",
            Role::OutputLink => "symbolic link",
        };
        let insecure = |why: String| {
            let p = path.display();
            InsecureError {
                path: path.to_path_buf(),
                what,
                why,
                mode,
                stake: if role == Role::Config {
                    "controls the sensor"
                } else {
                    "chooses what the sensor writes where"
                },
                fix: if role == Role::OutputLink {
                    format!("chown -h root: {p}")
                } else {
                    format!("chown root: {p} && chmod go-w {p}")
                },
            }
        };
        let owner_ok = uid == 0 || (self.euid != 0 && uid == self.euid);
        if !owner_ok {
            let expected = if self.euid == 0 { "root".to_string() } else { format!("root or uid {}", self.euid) };
            return Err(insecure(format!("is owned by uid {uid} (expected {expected})")));
        }
        if role == Role::OutputLink {
            return Ok(()); // a symlink's own mode means nothing
        }
        let sticky_dir = is_dir && mode & 0o1000 != 0 && role != Role::OutputDir;
        if mode & 0o022 != 0 && !sticky_dir {
            let who = match (mode & 0o020 != 0, mode & 0o002 != 0) {
                (true, true) => "group and others",
                (true, false) => "group",
                _ => "others",
            };
            return Err(insecure(format!("is writable by {who}")));
        }
        Ok(())
    }

    /// Checks a config file and the directory that holds it.
    pub fn check_config_file(&self, path: &Path) -> Result<(), InsecureError> {
        self.check(path)?;
        match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => self.check(dir),
            _ => self.check(Path::new(".")),
        }
    }
}

/// What a checked path is to the sensor, which decides what its error
/// calls it and whether a sticky directory may be writable by others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A config or rule file, or a directory holding them.
    Config,
    /// A directory on the way to a file output's directory.
    OutputAncestor,
    /// The directory a file output writes in. Sticky or not, others may
    /// not write it: they could plant the output's name (or a rotated
    /// file's, full of forged records) before the sensor creates it.
    OutputDir,
    /// A symbolic link on the way to a file output's directory: only its
    /// owner counts (a symlink's mode means nothing).
    OutputLink,
}

/// A file or directory StrictModes refuses.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "{}: insecure {what}: it {why} (mode {mode:04o}); anyone who can change it {stake}. \
     Fix with `{fix}`, or pass --allow-insecure-config",
    path.display()
)]
pub struct InsecureError {
    pub path: PathBuf,
    pub what: &'static str,
    pub why: String,
    pub mode: u32,
    /// What someone who can change it could do.
    pub stake: &'static str,
    /// The command that makes it pass.
    pub fix: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{chown, PermissionsExt};

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn tmp(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("rg-perm-{}-{tag}", std::process::id()));
        fs::create_dir_all(&p).expect("mkdir");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
        Tmp(p)
    }

    fn me() -> u32 {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() }
    }

    #[test]
    fn modes_writable_by_group_or_others_are_refused() {
        let d = tmp("modes");
        let f = d.0.join("c.toml");
        fs::write(&f, "").expect("write");
        let p = Policy { enabled: true, euid: me() };
        for (mode, ok) in [(0o600, true), (0o644, true), (0o444, true), (0o664, false), (0o646, false), (0o666, false)]
        {
            fs::set_permissions(&f, fs::Permissions::from_mode(mode)).expect("chmod");
            let r = p.check(&f);
            assert_eq!(r.is_ok(), ok, "mode {mode:o}: {r:?}");
            if let Err(e) = r {
                let msg = e.to_string();
                assert!(msg.starts_with(&format!("{}: insecure file: it is writable by", f.display())), "{msg}");
                assert!(msg.contains("--allow-insecure-config"), "{msg}");
            }
        }
        assert!(Policy::off().check(&f).is_ok());
        assert!(p.check(&d.0.join("missing")).is_ok(), "missing files are the reader's to report");
    }

    #[test]
    fn sticky_directories_may_be_world_writable() {
        let d = tmp("sticky");
        let p = Policy { enabled: true, euid: me() };
        fs::set_permissions(&d.0, fs::Permissions::from_mode(0o777)).expect("chmod");
        assert!(p.check(&d.0).is_err());
        fs::set_permissions(&d.0, fs::Permissions::from_mode(0o1777)).expect("chmod");
        assert!(p.check(&d.0).is_ok());
        let f = d.0.join("x.toml");
        fs::write(&f, "").expect("write");
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(p.check_config_file(&f).is_ok());
    }

    #[test]
    fn owner_must_be_root_when_running_as_root() {
        let d = tmp("owner");
        let f = d.0.join("c.toml");
        fs::write(&f, "").expect("write");
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).expect("chmod");
        if me() == 0 {
            chown(&f, Some(65534), Some(65534)).expect("chown");
            let e = Policy { enabled: true, euid: 0 }.check(&f).expect_err("non-root owner");
            assert!(e.why.contains("owned by uid 65534 (expected root)"), "{e}");
            // a non-root sensor may read its own user's files
            assert!(Policy { enabled: true, euid: 65534 }.check(&f).is_ok());
            assert!(Policy { enabled: true, euid: 1000 }.check(&f).is_err());
        } else {
            assert!(Policy { enabled: true, euid: me() }.check(&f).is_ok());
            assert!(Policy { enabled: true, euid: 0 }.check(&f).is_err());
        }
    }

    #[test]
    fn an_output_directory_may_not_be_sticky_and_a_symlink_only_needs_a_trusted_owner() {
        let p = Policy { enabled: true, euid: 0 };
        let dir = libc::S_IFDIR;
        let at = Path::new("/var/log/rg");
        assert!(p.judge(at, 0, dir | 0o1777, Role::OutputAncestor).is_ok(), "like /tmp on the way");
        let e = p.judge(at, 0, dir | 0o1777, Role::OutputDir).expect_err("sticky output directory");
        assert_eq!(
            e.to_string(),
            "/var/log/rg: insecure output directory: it is writable by group and others (mode 1777); anyone who \
             can change it chooses what the sensor writes where. Fix with `chown root: /var/log/rg && chmod go-w \
             /var/log/rg`, or pass --allow-insecure-config"
        );
        assert!(p.judge(at, 0, dir | 0o755, Role::OutputDir).is_ok());
        let link = libc::S_IFLNK | 0o777;
        assert!(p.judge(at, 0, link, Role::OutputLink).is_ok(), "a root-owned symlink is followed");
        let e = p.judge(at, 1000, link, Role::OutputLink).expect_err("another user's symlink");
        assert!(e.to_string().contains("insecure symbolic link: it is owned by uid 1000"), "{e}");
        assert!(e.to_string().contains("`chown -h root: /var/log/rg`"), "{e}");
        assert!(Policy { enabled: false, euid: 0 }.judge(at, 1000, dir | 0o777, Role::OutputDir).is_ok());
    }
}
