//! Filling the cgroup cache at start: where the unified hierarchy and the
//! v1 memory controller are mounted (from mountinfo), the memory
//! hierarchy's id (its cgroup_mkdir notices carry it), and every cgroup
//! below them, each by its directory's inode number, which is the kernfs
//! id the kernel reports.

use std::fs;
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::cache::{CgroupCache, Hierarchy};

/// The cgroup hierarchies the sensor maps ids of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mounts {
    /// Where cgroup2 is mounted (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on a hybrid host).
    pub unified: Option<PathBuf>,
    /// Where the v1 memory controller is mounted, and its hierarchy id.
    pub memory: Option<(PathBuf, u32)>,
}

/// Deeper cgroups than this are not scanned (their notices still count).
const MAX_DEPTH: usize = 32;

/// Reads `<proc>/self/mountinfo` and `<proc>/cgroups`; missing or odd
/// files give fewer hierarchies, never an error.
pub fn mounts(proc_root: &Path) -> Mounts {
    let mountinfo = fs::read_to_string(proc_root.join("self/mountinfo")).unwrap_or_default();
    let cgroups = fs::read_to_string(proc_root.join("cgroups")).unwrap_or_default();
    parse_mounts(&mountinfo, &cgroups)
}

/// See [`mounts`].
pub fn parse_mounts(mountinfo: &str, cgroups: &str) -> Mounts {
    let mut out = Mounts::default();
    // /proc/cgroups: subsys_name hierarchy num_cgroups enabled
    let memory_hier = cgroups.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        (f.next() == Some("memory")).then(|| f.next().and_then(|h| h.parse::<u32>().ok())).flatten()
    });
    for line in mountinfo.lines() {
        // id parent major:minor root mount-point options [optional...] - fstype source super-options
        let Some((head, tail)) = line.split_once(" - ") else {
            continue;
        };
        let Some(point) = head.split(' ').nth(4) else {
            continue;
        };
        let mut t = tail.split(' ');
        let (fstype, _source, opts) = (t.next(), t.next(), t.next().unwrap_or(""));
        match fstype {
            Some("cgroup2") if out.unified.is_none() => out.unified = Some(PathBuf::from(point)),
            Some("cgroup") if opts.split(',').any(|o| o == "memory") => {
                if let Some(h) = memory_hier.filter(|h| *h != 0) {
                    out.memory.get_or_insert((PathBuf::from(point), h));
                }
            }
            _ => {}
        }
    }
    out
}

/// Adds every cgroup of the hierarchy mounted at `root` to `cache`, up to
/// the cache's bound; unreadable directories are skipped.
pub fn scan(cache: &mut CgroupCache, h: Hierarchy, root: &Path, limit: usize) {
    let Ok(meta) = fs::metadata(root) else {
        return;
    };
    cache.insert(h, meta.ino(), "/");
    let mut added = 1;
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else {
            continue;
        };
        for ent in rd.flatten() {
            if !ent.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Some(name) = ent.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if added >= limit {
                return;
            }
            let path = format!("{rel}/{name}");
            cache.insert(h, ent.ino(), &path);
            added += 1;
            if depth + 1 < MAX_DEPTH {
                stack.push((ent.path(), path, depth + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This host's shape: hybrid, memory on hierarchy 4, cgroup2 at unified.
    const MOUNTINFO: &str = "\
25 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw
31 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:30 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    const CGROUPS: &str = "#subsys_name\thierarchy\tnum_cgroups\tenabled
cpu\t1\t1\t1
memory\t4\t47\t1
pids\t8\t1\t1
";

    #[test]
    fn hybrid_host() {
        let m = parse_mounts(MOUNTINFO, CGROUPS);
        assert_eq!(m.unified.as_deref(), Some(Path::new("/sys/fs/cgroup/unified")));
        assert_eq!(m.memory, Some((PathBuf::from("/sys/fs/cgroup/memory"), 4)));
    }

    #[test]
    fn unified_host_has_no_v1_memory() {
        let info = "30 25 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let m = parse_mounts(info, "#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t0\t80\t1\n");
        assert_eq!(m, Mounts { unified: Some(PathBuf::from("/sys/fs/cgroup")), memory: None });
        assert_eq!(parse_mounts("garbage\n\n- - -", "x"), Mounts::default());
    }

    #[test]
    fn scan_maps_inodes_to_paths() {
        let base = std::env::temp_dir().join(format!("rg-cgroup-scan-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(&base).expect("mkdir");
        let dir = Dir(base);
        let id = "b015c509f9b941b7292a079ae0e461e37df0e1b4392dc297129d70098bb3ca0a";
        let leaf = dir.path().join(format!("libpod_parent/libpod-{id}"));
        fs::create_dir_all(&leaf).expect("mkdir");
        fs::write(dir.path().join("cgroup.procs"), "").expect("file");
        let mut c = CgroupCache::new(16);
        scan(&mut c, Hierarchy::Memory, dir.path(), 16);
        assert_eq!(c.len(), 3, "root, libpod_parent, the container; not files");
        let ino = fs::metadata(&leaf).expect("stat").ino();
        let got = c.get(Hierarchy::Memory, ino).expect("scanned");
        assert_eq!(&*got.path, format!("/libpod_parent/libpod-{id}"));
        assert_eq!(got.runtime, Some("podman"));
        let root = fs::metadata(dir.path()).expect("stat").ino();
        assert_eq!(c.get(Hierarchy::Memory, root).map(|i| &*i.path), Some("/"));
        let mut small = CgroupCache::new(16);
        scan(&mut small, Hierarchy::Memory, dir.path(), 2);
        assert_eq!(small.len(), 2, "the limit holds");
    }

    /// A scratch directory removed when the test ends, pass or fail.
    struct Dir(PathBuf);

    impl Dir {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}
