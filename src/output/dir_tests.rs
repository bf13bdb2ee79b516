//! What `OutputDir` refuses to write and how it walks to the directory.
//! Parts that need another user's files run only as root.

use super::*;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{chown, lchown, symlink, OpenOptionsExt, PermissionsExt};

struct Tmp(PathBuf);

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl Tmp {
    fn new(tag: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("rg-outdir-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("mkdir");
        set_mode(&p, 0o755);
        Tmp(p)
    }

    fn dir(&self, name: &str, mode: u32) -> PathBuf {
        let p = self.0.join(name);
        fs::create_dir_all(&p).expect("mkdir");
        set_mode(&p, mode);
        p
    }
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).expect("chmod");
}

fn strict() -> Policy {
    Policy::for_this_process(false)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn refusal(r: Result<Option<File>, OpenError>) -> String {
    match r {
        Err(e @ OpenError::Refused(_)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn mkfifo(p: &Path) {
    let c = cstr(p.as_os_str()).expect("cstr");
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// A scratch directory with an output directory `out` and, beside it, a
/// file `victim` holding "victim\n".
fn with_victim(tag: &str) -> (Tmp, PathBuf, PathBuf) {
    let t = Tmp::new(tag);
    let d = t.dir("out", 0o755);
    let victim = t.0.join("victim");
    fs::write(&victim, "victim\n").expect("write");
    (t, d, victim)
}

#[test]
fn a_planted_symlink_is_refused_and_its_target_left_alone() {
    let (t, d, victim) = with_victim("symlink");
    symlink(&victim, d.join("events.ndjson")).expect("symlink");
    symlink(t.0.join("created-through-a-dangling-link"), d.join("dangling")).expect("symlink");
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    let e = refusal(dir.open_append(OsStr::new("events.ndjson")));
    assert_eq!(e, "refused: it is a symbolic link (an output is never written through one)");
    refusal(dir.open_append(OsStr::new("dangling")));
    assert_eq!(fs::read_to_string(&victim).expect("read"), "victim\n");
    assert!(!t.0.join("created-through-a-dangling-link").exists());
}

#[test]
fn a_hard_link_is_refused_and_the_other_file_left_alone() {
    let (_t, d, victim) = with_victim("hardlink");
    fs::hard_link(&victim, d.join("events.ndjson")).expect("link");
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    let e = refusal(dir.open_append(OsStr::new("events.ndjson")));
    assert_eq!(e, "refused: it has 2 links (a hard link is another file's name too)");
    assert_eq!(fs::read_to_string(&victim).expect("read"), "victim\n");
}

#[test]
fn a_new_file_is_created_0600_and_an_own_file_is_appended_to() {
    let t = Tmp::new("new");
    let d = t.dir("out", 0o755);
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    let mut f = dir.open_append(OsStr::new("a")).expect("open").expect("a file");
    f.write_all(b"1\n").expect("write");
    let mut f = dir.open_append(OsStr::new("a")).expect("reopen").expect("a file");
    f.write_all(b"2\n").expect("write");
    assert_eq!(fs::read_to_string(d.join("a")).expect("read"), "1\n2\n");
    assert_eq!(fs::metadata(d.join("a")).expect("stat").permissions().mode() & 0o777, 0o600);
    assert!(dir.rename(OsStr::new("a"), OsStr::new("a.1")).expect("rename"));
    assert!(!dir.rename(OsStr::new("a"), OsStr::new("a.1")).expect("rename"), "nothing to rename");
    assert!(d.join("a.1").exists());
}

#[test]
fn devices_and_directories_are_refused() {
    let dev = OutputDir::open(Path::new("/dev"), &strict()).expect("/dev");
    let e = refusal(dev.open_append(OsStr::new("null")));
    assert!(e.contains("is a character device, not a regular file or FIFO"), "{e}");
    let t = Tmp::new("isdir");
    let d = t.dir("out", 0o755);
    t.dir("out/sub", 0o755);
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    assert!(matches!(dir.open_append(OsStr::new("sub")), Err(OpenError::Io(_))));
}

#[test]
fn a_fifo_of_ours_is_written_without_waiting_for_a_reader() {
    let t = Tmp::new("fifo");
    let d = t.dir("out", 0o755);
    mkfifo(&d.join("pipe"));
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    assert!(matches!(dir.open_append(OsStr::new("pipe")), Ok(None)), "no reader: not waited for");
    let mut reader =
        fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(d.join("pipe")).expect("reader");
    let mut w = dir.open_append(OsStr::new("pipe")).expect("open").expect("a reader is there");
    // SAFETY: fcntl on an open descriptor.
    let fl = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETFL) };
    assert_eq!(fl & libc::O_NONBLOCK, 0, "writes block rather than tear a line");
    w.write_all(b"{}\n").expect("write");
    let mut got = [0u8; 3];
    reader.read_exact(&mut got).expect("read");
    assert_eq!(&got, b"{}\n");
}

#[test]
fn another_users_file_or_fifo_is_refused_at_once() {
    if !is_root() {
        return; // chown to another user needs root; `make test` runs this as root
    }
    let t = Tmp::new("owner");
    let d = t.dir("out", 0o755);
    fs::write(d.join("file"), "theirs\n").expect("write");
    chown(d.join("file"), Some(65534), Some(65534)).expect("chown");
    mkfifo(&d.join("pipe"));
    chown(d.join("pipe"), Some(65534), Some(65534)).expect("chown");
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    let e = refusal(dir.open_append(OsStr::new("file")));
    assert_eq!(e, "refused: it is a regular file owned by uid 65534, not by the sensor's uid 0");
    let started = std::time::Instant::now();
    let e = refusal(dir.open_append(OsStr::new("pipe")));
    assert_eq!(e, "refused: it is a FIFO owned by uid 65534, not by the sensor's uid 0");
    // with a reader too (the open succeeds, the descriptor is judged)
    let _reader =
        fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(d.join("pipe")).expect("reader");
    refusal(dir.open_append(OsStr::new("pipe")));
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "never waits");
    assert_eq!(fs::read_to_string(d.join("file")).expect("read"), "theirs\n");
}

#[test]
fn a_directory_others_can_write_is_refused_at_the_end_and_on_the_way() {
    let t = Tmp::new("modes");
    let strict = strict();
    let open = |p: &Path| OutputDir::open(p, &strict).map(drop);
    let d = t.dir("open", 0o777);
    match open(&d) {
        Err(OpenError::Insecure(e)) => {
            assert_eq!(
                (e.path.as_path(), e.what, e.why.as_str()),
                (d.as_path(), "output directory", "is writable by group and others")
            )
        }
        other => panic!("{other:?}"),
    }
    let sticky = t.dir("sticky", 0o1777);
    assert!(open(&sticky).is_err(), "the output's own directory may not be sticky-writable");
    t.dir("sticky/own", 0o755);
    assert!(open(&sticky.join("own")).is_ok(), "a sticky directory on the way is fine (like /tmp)");
    let group = t.dir("group", 0o775);
    t.dir("group/own", 0o755);
    match open(&group.join("own")) {
        Err(OpenError::Insecure(e)) => assert_eq!((e.path, e.what), (group.clone(), "directory")),
        other => panic!("{other:?}"),
    }
    assert!(OutputDir::open(&d, &Policy { enabled: false, euid: 0 }).is_ok(), "--allow-insecure-config");
    assert!(matches!(open(&t.0.join("missing")), Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound));
}

#[test]
fn symlinks_on_the_way_are_followed_when_their_owner_is_trusted() {
    let t = Tmp::new("links");
    let real = t.dir("real", 0o755);
    t.dir("real/sub", 0o755);
    t.dir("other", 0o755);
    symlink(&real, t.0.join("abs")).expect("symlink");
    symlink("real/sub", t.0.join("rel")).expect("symlink");
    symlink("loop", t.0.join("loop")).expect("symlink");
    let strict = strict();
    let write_via = |p: &Path, name: &str| {
        let dir = OutputDir::open(p, &strict).expect("dir");
        dir.open_append(OsStr::new(name)).expect("open").expect("file");
    };
    write_via(&t.0.join("abs"), "a");
    assert!(real.join("a").exists());
    write_via(&t.0.join("rel"), "b");
    assert!(real.join("sub/b").exists());
    // `..` after a symlink is the real parent, as the kernel resolves it
    write_via(&t.0.join("rel/../../other"), "c");
    assert!(t.0.join("other/c").exists());
    write_via(&t.0.join("rel/.."), "d");
    assert!(real.join("d").exists());
    match OutputDir::open(&t.0.join("loop"), &strict) {
        Err(OpenError::Io(e)) => assert_eq!(e.raw_os_error(), Some(libc::ELOOP)),
        other => panic!("a symlink loop ends: {other:?}"),
    }
    if is_root() {
        lchown(t.0.join("abs"), Some(65534), Some(65534)).expect("lchown");
        match OutputDir::open(&t.0.join("abs"), &strict) {
            Err(OpenError::Insecure(e)) => assert_eq!((e.what, e.path), ("symbolic link", t.0.join("abs"))),
            other => panic!("another user's symlink is not followed: {other:?}"),
        }
    }
}

#[test]
fn the_held_directory_keeps_receiving_after_a_swap_for_a_symlink() {
    let t = Tmp::new("swap");
    let d = t.dir("out", 0o755);
    let elsewhere = t.dir("elsewhere", 0o755);
    let dir = OutputDir::open(&d, &strict()).expect("dir");
    fs::rename(&d, t.0.join("moved")).expect("rename");
    symlink(&elsewhere, &d).expect("symlink");
    dir.open_append(OsStr::new("f")).expect("open").expect("file").write_all(b"x\n").expect("write");
    assert!(dir.rename(OsStr::new("f"), OsStr::new("f.1")).expect("rename"));
    dir.open_append(OsStr::new("f")).expect("open").expect("file");
    assert!(t.0.join("moved/f").exists() && t.0.join("moved/f.1").exists());
    assert_eq!(fs::read_dir(&elsewhere).expect("ls").count(), 0, "nothing reached the symlink's target");
}
