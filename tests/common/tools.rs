//! Doing real activity on this host from a test, harmlessly: commands run
//! with quiet stdio, copies of real programs under the names rules look
//! for, system files restored on drop (also when the test panics), and
//! loopback listeners.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use super::my_pid;

pub const PYTHON: &str = "/usr/bin/python3";

/// Runs a command to completion with no terminal and no pipes on stdio
/// (so stdin/stdout classifications are predictable). Returns its pid.
pub fn run_status(cmd: &mut Command) -> (u32, ExitStatus) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let pid = child.id();
    let st = child.wait().expect("wait");
    (pid, st)
}

pub fn run(cmd: &mut Command) -> u32 {
    let (pid, st) = run_status(cmd);
    assert!(st.success(), "{cmd:?} failed: {st}");
    pid
}

pub fn sh(script: &str) -> u32 {
    run(Command::new("/bin/sh").args(["-c", script]))
}

pub fn python(script: &str, args: &[&str]) -> u32 {
    run(Command::new(PYTHON).arg("-c").arg(script).args(args))
}

/// Copies of real programs under a name the rules look at (`nginx`,
/// `insmod`, `dpkg`...), in a directory the sensor does not watch.
pub struct Tools(pub PathBuf);

impl Tools {
    pub fn new() -> Tools {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = PathBuf::from(format!("/run/rg-e2e-tools-{}-{n}", my_pid()));
        fs::create_dir_all(&p).expect("create tools dir");
        Tools(p)
    }

    pub fn tool(&self, name: &str, from: &str) -> PathBuf {
        let p = self.0.join(name);
        fs::copy(from, &p).unwrap_or_else(|e| panic!("copy {from}: {e}"));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod tool");
        p
    }
}

impl Drop for Tools {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Restores a real system file to its original bytes (or removes it when it
/// did not exist), and removes the parent directories it had to create —
/// on drop, so also when the test panics.
pub struct Restore {
    pub path: PathBuf,
    /// The file's bytes and mode before the test, if it existed.
    pub original: Option<(Vec<u8>, u32)>,
    created_dirs: Vec<PathBuf>,
    /// Cleared when the test itself has put things back.
    pub armed: bool,
}

impl Restore {
    pub fn new(path: impl AsRef<Path>) -> Restore {
        Restore::with_dir_mode(path, 0o755)
    }

    pub fn with_dir_mode(path: impl AsRef<Path>, dir_mode: u32) -> Restore {
        let path = path.as_ref().to_path_buf();
        let original = fs::read(&path).ok().map(|b| {
            let mode = fs::metadata(&path).expect("metadata").permissions().mode();
            (b, mode)
        });
        let mut missing = Vec::new();
        let mut d = path.parent();
        while let Some(dir) = d {
            if dir.exists() {
                break;
            }
            missing.push(dir.to_path_buf());
            d = dir.parent();
        }
        missing.reverse();
        for dir in &missing {
            fs::create_dir(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
            fs::set_permissions(dir, fs::Permissions::from_mode(dir_mode)).expect("chmod dir");
        }
        Restore { path, original, created_dirs: missing, armed: true }
    }

    pub fn str(&self) -> &str {
        self.path.to_str().expect("utf-8 path")
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        match &self.original {
            Some((bytes, mode)) => {
                let _ = fs::write(&self.path, bytes);
                let _ = fs::set_permissions(&self.path, fs::Permissions::from_mode(*mode));
            }
            None => {
                let _ = fs::remove_file(&self.path);
            }
        }
        for dir in self.created_dirs.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

pub fn home() -> String {
    let h = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    assert!(h == "/root" || h.starts_with("/home/"), "the rules know /root and /home/<user> only, HOME={h}");
    h
}

/// A loopback listener on the first port of `ports` that is free.
pub fn listen_on(ports: &[u16]) -> (TcpListener, u16) {
    for &p in ports {
        if let Ok(l) = TcpListener::bind(("127.0.0.1", p)) {
            return (l, p);
        }
    }
    panic!("none of the ports {ports:?} is free on 127.0.0.1")
}

/// bash opening a TCP connection with its /dev/tcp redirection.
pub fn bash_connect(port: u16) -> u32 {
    sh(&format!("exec /usr/bin/bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}'"))
}
