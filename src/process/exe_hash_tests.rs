use std::fs;
use std::time::{Duration, Instant};

use super::*;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rg-exe-hash-{name}-{}", std::process::id()));
    fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Asks for `path` until the worker has answered (bounded by a generous
/// deadline: it fails only if the worker never answers).
fn hash_when_done(h: &mut ExeHasher, path: &Path) -> Option<SharedStr> {
    let key = FileKey::of(&fs::metadata(path).expect("stat"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(x) = h.hash_of(key, vec![path.to_path_buf()]) {
            return Some(x);
        }
        if h.pending() == 0 && h.cache.contains_key(&key) {
            return None;
        }
        assert!(Instant::now() < deadline, "the worker never answered");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sha256_of_known_text() {
    let mut r: &[u8] = b"abc";
    assert_eq!(
        &*sha256_hex(&mut r, 3).expect("hash"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let mut empty: &[u8] = b"";
    assert_eq!(
        &*sha256_hex(&mut empty, 0).expect("hash"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn first_lookup_is_pending_then_the_hash_is_cached_by_key() {
    let dir = temp_dir("cache");
    let f = dir.join("prog");
    fs::write(&f, b"abc").expect("write");
    let mut h = ExeHasher::start(1 << 20, Path::new("/proc")).expect("start");
    let key = FileKey::of(&fs::metadata(&f).expect("stat"));
    assert_eq!(h.hash_of(key, vec![f.clone()]), None, "pending at first");
    let got = hash_when_done(&mut h, &f).expect("hashed");
    assert_eq!(&*got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_eq!(h.cached(), 1);

    // the same content at another inode is another key: hashed anew
    let g = dir.join("copy");
    fs::write(&g, b"abc").expect("write");
    let gkey = FileKey::of(&fs::metadata(&g).expect("stat"));
    assert_ne!(gkey, key);
    assert_eq!(h.hash_of(gkey, vec![g.clone()]), None, "a new key is pending");

    // the file rewritten (size and mtime change): its old hash is not reused
    fs::write(&f, b"abcd").expect("rewrite");
    let changed = hash_when_done(&mut h, &f).expect("hashed again");
    assert_eq!(&*changed, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_whose_key_changed_before_the_worker_read_it_gets_no_hash() {
    let dir = temp_dir("stale");
    let f = dir.join("prog");
    fs::write(&f, b"abc").expect("write");
    let stale = FileKey::of(&fs::metadata(&f).expect("stat"));
    fs::write(&f, b"other content").expect("rewrite");
    let job = Job { key: stale, paths: vec![f.clone()] };
    assert_eq!(hash_job(&job), None, "the file is no longer the one looked up");
    let fresh = Job { key: FileKey::of(&fs::metadata(&f).expect("stat")), paths: vec![dir.join("gone"), f.clone()] };
    assert!(hash_job(&fresh).is_some(), "the next path that matches is read");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn files_over_the_cap_are_never_read() {
    let dir = temp_dir("cap");
    let f = dir.join("big");
    fs::write(&f, vec![0u8; 100]).expect("write");
    let mut h = ExeHasher::start(99, Path::new("/proc")).expect("start");
    let key = FileKey::of(&fs::metadata(&f).expect("stat"));
    assert_eq!(h.hash_of(key, vec![f.clone()]), None);
    assert_eq!(h.pending(), 0, "not queued");
    assert_eq!(h.cache.get(&key), Some(&None), "remembered as over the cap");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_cache_is_bounded() {
    let mut h = ExeHasher::start(1 << 20, Path::new("/proc")).expect("start");
    for ino in 0..(MAX_CACHED as u64 + 10) {
        let key = FileKey { dev: 1, ino, mtime: 0, mtime_nsec: 0, size: 1 };
        h.remember(key, Some(SharedStr::from("x")));
    }
    assert_eq!(h.cached(), MAX_CACHED);
}

#[test]
fn a_live_process_is_hashed_through_its_exe_link() {
    let mut h = ExeHasher::start(u64::MAX, Path::new("/proc")).expect("start");
    let me = std::process::id();
    let exe = fs::read_link("/proc/self/exe").expect("own exe");
    let deadline = Instant::now() + Duration::from_secs(60);
    let got = loop {
        if let Some(x) = h.lookup(me, 0, exe.to_str()) {
            break x;
        }
        assert!(Instant::now() < deadline, "the worker never hashed the test binary");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut f = File::open(&exe).expect("open");
    let len = f.metadata().expect("stat").len();
    assert_eq!(got, sha256_hex(&mut f, len).expect("hash"));
}

#[test]
fn an_exited_process_in_another_mount_namespace_gets_no_hash() {
    let mut h = ExeHasher::start(u64::MAX, Path::new("/proc")).expect("start");
    // no such pid, and no such parent: the path cannot be trusted
    assert_eq!(h.lookup(u32::MAX - 1, u32::MAX - 2, Some("/bin/sh")), None);
    assert_eq!(h.pending(), 0);
    // parent alive in our namespace (ourselves): the path is used
    assert_eq!(h.lookup(u32::MAX - 1, std::process::id(), Some("/bin/sh")), None, "pending");
    assert_eq!(h.pending(), 1);
}
