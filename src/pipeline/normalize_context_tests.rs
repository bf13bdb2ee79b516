//! Unit tests of the enrichment every record gets: parent command line,
//! user names, exec ids.

use std::sync::Arc;

use super::super::tests::rec;
use super::super::{Normalizer, Selection};
use crate::bpf::abi::build;
use crate::config::PathFilter;
use crate::process::{ProcessTable, Users};
use crate::record::time::BootClock;
use crate::record::EventType;

fn normalizer(users: Users) -> Normalizer {
    let select = Selection {
        execve: true,
        execveat: true,
        paths: PathFilter::new(&["/etc".into(), "/tmp".into()], &[], &[]).expect("filter"),
    };
    let root = std::env::temp_dir().join(format!("rg-norm-ctx-{}", std::process::id()));
    Normalizer::new(ProcessTable::new(64), BootClock::with_offset(0), Arc::from("h"), select)
        .with_proc_root(root)
        .with_users(users)
}

#[test]
fn exec_ids_link_a_child_to_the_image_that_started_it() {
    let mut n = normalizer(Users::none());
    let sh = build::task(50, 50, 1, 0, "sh", "init");
    let parent = rec(&mut n, &build::exec(sh, 1_000, "/bin/sh", &["sh", "-c", "cat x"], "/usr/bin/dash", "/"));
    let parent_id = parent.exec_id.expect("an exec has an id");
    assert_eq!(parent.parent_exec_id, None, "init was never seen");

    let child = build::task(51, 51, 50, 0, "sh", "sh");
    let fork = rec(&mut n, &build::fork(child, 2_000, 50));
    let fork_id = fork.exec_id.expect("a fork child has its own id");
    assert_ne!(fork_id, parent_id);
    assert_eq!(fork.parent_exec_id, Some(parent_id));
    assert_eq!(fork.parent_cmdline.as_deref(), Some("sh -c cat x"));

    let exec = rec(&mut n, &build::exec(child, 3_000, "/bin/cat", &["cat", "x"], "/usr/bin/cat", "/"));
    let cat_id = exec.exec_id.expect("id");
    assert_ne!(cat_id, fork_id, "the exec starts a new image");
    assert_eq!(exec.parent_exec_id, Some(parent_id), "child's parent_exec_id is the parent's exec_id");
    assert_eq!(exec.parent_cmdline.as_deref(), Some("sh -c cat x"));

    let w = rec(&mut n, &build::file(EventType::FileWrite, child, 4_000, 20, "/tmp/out", None));
    assert_eq!(w.exec_id, Some(cat_id), "later records carry the image's id");
    assert_eq!(w.parent_exec_id, Some(parent_id));

    // the same process exec'ing again runs another image
    let again = rec(&mut n, &build::exec(child, 5_000, "/bin/true", &["true"], "/usr/bin/true", "/"));
    assert_ne!(again.exec_id, Some(cat_id));
    assert!(again.exec_id.is_some());
}

#[test]
fn user_names_come_from_passwd_and_unknown_uids_have_none() {
    let mut n = normalizer(Users::from_text("root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n"));
    let mut t = build::task(70, 70, 1, 65534, "id", "sh");
    t.euid = 0;
    let r = rec(&mut n, &build::exec(t, 1, "/usr/bin/id", &["id"], "/usr/bin/id", "/"));
    assert_eq!(r.user.as_deref(), Some("nobody"));
    assert_eq!(r.euser.as_deref(), Some("root"));
    let stranger = build::task(71, 71, 1, 4242, "x", "sh");
    let r = rec(&mut n, &build::fork(stranger, 2, 1));
    assert_eq!((r.user, r.euser), (None, None));
}

#[test]
fn a_reported_write_of_passwd_is_read_at_the_next_record() {
    let dir = std::env::temp_dir().join(format!("rg-norm-passwd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let passwd = dir.join("passwd");
    std::fs::write(&passwd, "root:x:0:0::/root:/bin/sh\n").expect("write");
    let mut n = normalizer(Users::load(&passwd));
    let t = build::task(80, 80, 1, 1001, "useradd", "sh");
    assert_eq!(rec(&mut n, &build::fork(t, 5_000_000_000, 1)).user, None);

    std::fs::write(&passwd, "root:x:0:0::/root:/bin/sh\ncarol:x:1001:1001::/home/carol:/bin/sh\n").expect("write");
    let path = passwd.to_str().expect("utf-8 temp path");
    // within the same second: only the sensor's own report of the write makes it look
    rec(&mut n, &build::file(EventType::FileWrite, t, 5_100_000_000, 20, path, None));
    let r = rec(&mut n, &build::file(EventType::FileWrite, t, 5_200_000_000, 20, "/tmp/other", None));
    assert_eq!(r.user.as_deref(), Some("carol"));
    std::fs::remove_dir_all(&dir).ok();
}
