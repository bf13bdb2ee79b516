//! Owns the directory a file output writes in. It is reached from `/` one
//! component at a time, each directory and symlink on the way checked
//! like StrictModes (`config::permissions`), and then held open: every
//! later open, SIGHUP reopen and rotation rename happens in that same
//! directory, whatever is renamed or swapped for a symlink on the way to
//! it afterwards.
//!
//! The output file itself is opened `O_NOFOLLOW | O_NONBLOCK`, then judged
//! on the descriptor: a regular file or FIFO owned by the sensor's user,
//! with one link. Anything else at the name (a symlink, a hard link to
//! another file, someone else's file or FIFO, a device) is refused and
//! never written.

use std::collections::VecDeque;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use thiserror::Error;

use crate::config::permissions::{InsecureError, Policy, Role};

/// Symlinks followed on the way at most, as the kernel's MAXSYMLINKS.
const MAX_LINKS: u32 = 40;

/// Why an output file could not be opened.
#[derive(Debug, Error)]
pub enum OpenError {
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Boxed: it is large, and rides in every `OutputError`.
    #[error(transparent)]
    Insecure(Box<InsecureError>),
    /// Something is at the output's name that the sensor will not write.
    #[error("refused: it {0}")]
    Refused(String),
    #[error("the path names no file (it ends in `..` or is `/`)")]
    NoFileName,
    /// A FIFO of the sensor's that no reader has open (yet).
    #[error("it is a FIFO that no reader has open")]
    NoReader,
}

impl From<InsecureError> for OpenError {
    fn from(e: InsecureError) -> OpenError {
        OpenError::Insecure(Box::new(e))
    }
}

/// What lstat (or fstat) says about one name.
#[derive(Clone, Copy, Debug)]
struct Stat {
    mode: u32,
    uid: u32,
    nlink: u64,
}

impl Stat {
    fn kind(&self) -> u32 {
        self.mode & libc::S_IFMT
    }
}

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte in a path"))
}

fn stat_of(st: &libc::stat) -> Stat {
    Stat { mode: st.st_mode, uid: st.st_uid, nlink: st.st_nlink }
}

/// lstat of `name` in `dir`.
fn stat_at(dir: BorrowedFd, name: &CStr) -> io::Result<Stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: valid fd and NUL-terminated name; `st` is written on success.
    if unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), st.as_mut_ptr(), libc::AT_SYMLINK_NOFOLLOW) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstatat succeeded, so it filled `st`.
    Ok(stat_of(unsafe { &st.assume_init() }))
}

/// fstat of an open descriptor (an `O_PATH` one included).
fn stat_fd(fd: BorrowedFd) -> io::Result<Stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: valid fd; `st` is written on success.
    if unsafe { libc::fstat(fd.as_raw_fd(), st.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded, so it filled `st`.
    Ok(stat_of(unsafe { &st.assume_init() }))
}

fn open_at(dir: BorrowedFd, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
    // SAFETY: valid fd and NUL-terminated name.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn readlink_at(dir: BorrowedFd, name: &CStr) -> io::Result<PathBuf> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: valid fd and name; at most buf.len() bytes are written.
    let n = unsafe { libc::readlinkat(dir.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(PathBuf::from(OsString::from_vec(buf)))
}

/// The names a path walks through, `..` kept (it is resolved on the
/// directories actually reached, as the kernel does).
fn steps(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(s) => Some(s.to_owned()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

fn kind_name(kind: u32) -> &'static str {
    match kind {
        libc::S_IFREG => "a regular file",
        libc::S_IFIFO => "a FIFO",
        libc::S_IFLNK => "a symbolic link",
        libc::S_IFDIR => "a directory",
        libc::S_IFCHR => "a character device",
        libc::S_IFBLK => "a block device",
        libc::S_IFSOCK => "a socket",
        _ => "of an unknown type",
    }
}

/// The rule for what the sensor appends to.
fn judge_output(st: Stat, euid: u32) -> Result<(), OpenError> {
    let kind = st.kind();
    if kind != libc::S_IFREG && kind != libc::S_IFIFO {
        return Err(OpenError::Refused(format!("is {}, not a regular file or FIFO", kind_name(kind))));
    }
    if st.uid != euid {
        return Err(OpenError::Refused(format!(
            "is {} owned by uid {}, not by the sensor's uid {euid}",
            kind_name(kind),
            st.uid
        )));
    }
    if st.nlink != 1 {
        return Err(OpenError::Refused(format!("has {} links (a hard link is another file's name too)", st.nlink)));
    }
    Ok(())
}

/// A file output's directory, held open.
#[derive(Debug)]
pub struct OutputDir {
    fd: OwnedFd,
    /// The sensor's effective uid when the directory was opened: the owner
    /// every output file must have.
    euid: u32,
}

impl OutputDir {
    /// Walks to `path` from `/`, checking each directory and symlink on
    /// the way with `policy` (the last directory as `Role::OutputDir`).
    /// A symlink is followed only if its owner passes.
    pub fn open(path: &Path, policy: &Policy) -> Result<OutputDir, OpenError> {
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: AT_FDCWD is valid for the whole call; "/" is absolute.
        let cwd = unsafe { BorrowedFd::borrow_raw(libc::AT_FDCWD) };
        let root = open_at(cwd, c"/", flags, 0)?;
        let st = stat_fd(root.as_fd())?;
        policy.judge(Path::new("/"), st.uid, st.mode, Role::OutputAncestor)?;
        let mut stack = vec![(root, PathBuf::from("/"))];
        let mut todo: VecDeque<OsString> = steps(path).collect();
        let mut links = 0;
        while let Some(step) = todo.pop_front() {
            if step == ".." {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            let (top, at) = stack.last().map(|(fd, p)| (fd.as_fd(), p)).ok_or(OpenError::NoFileName)?;
            let here = at.join(&step);
            let name = cstr(&step)?;
            let st = stat_at(top, &name)?;
            if st.kind() == libc::S_IFLNK {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP).into());
                }
                policy.judge(&here, st.uid, st.mode, Role::OutputLink)?;
                let target = readlink_at(top, &name)?;
                if target.is_absolute() {
                    stack.truncate(1);
                }
                for s in steps(&target).rev() {
                    todo.push_front(s);
                }
                continue;
            }
            // O_NOFOLLOW: a symlink swapped in since the lstat fails here.
            let fd = open_at(top, &name, flags, 0)?;
            if !todo.is_empty() {
                // the last one is judged as the output's directory below
                let st = stat_fd(fd.as_fd())?;
                policy.judge(&here, st.uid, st.mode, Role::OutputAncestor)?;
            }
            stack.push((fd, here));
        }
        let (fd, at) = stack.pop().ok_or(OpenError::NoFileName)?;
        let st = stat_fd(fd.as_fd())?;
        policy.judge(&at, st.uid, st.mode, Role::OutputDir)?;
        // SAFETY: geteuid has no preconditions.
        Ok(OutputDir { fd, euid: unsafe { libc::geteuid() } })
    }

    /// Opens `name` for appending (created 0600), or refuses what is
    /// there. `Ok(None)`: a FIFO of ours that nobody reads yet (opening it
    /// never waits for a reader).
    pub fn open_append(&self, name: &OsStr) -> Result<Option<File>, OpenError> {
        let c = cstr(name)?;
        let flags =
            libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        let fd = match open_at(self.fd.as_fd(), &c, flags, 0o600) {
            Ok(fd) => fd,
            // O_NOFOLLOW on a one-name path: the name is a symlink
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(OpenError::Refused("is a symbolic link (an output is never written through one)".into()))
            }
            // O_NONBLOCK: a FIFO (or socket) with no reader
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                let st = stat_at(self.fd.as_fd(), &c)?;
                judge_output(st, self.euid)?;
                return if st.kind() == libc::S_IFIFO { Ok(None) } else { Err(e.into()) };
            }
            Err(e) => return Err(e.into()),
        };
        judge_output(stat_fd(fd.as_fd())?, self.euid)?;
        // Writes block (in the output's own thread) rather than tear a
        // line when a FIFO's reader is slow.
        // SAFETY: fcntl on a descriptor we own.
        let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
        // SAFETY: as above.
        if fl < 0 || unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error().into());
        }
        Ok(Some(File::from(fd)))
    }

    /// Renames `from` to `to` in this directory; false if `from` is not
    /// there.
    pub fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<bool> {
        let (f, t) = (cstr(from)?, cstr(to)?);
        let d = self.fd.as_raw_fd();
        // SAFETY: valid fd and NUL-terminated names.
        if unsafe { libc::renameat(d, f.as_ptr(), d, t.as_ptr()) } == 0 {
            return Ok(true);
        }
        match io::Error::last_os_error() {
            e if e.kind() == io::ErrorKind::NotFound => Ok(false),
            e => Err(e),
        }
    }
}

#[cfg(test)]
#[path = "dir_tests.rs"]
mod tests;
