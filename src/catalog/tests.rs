use std::collections::HashSet;
use std::mem::MaybeUninit;

use super::*;

#[test]
fn names_kinds_and_hooks_are_unique_and_round_trip() {
    let names: HashSet<_> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names.len(), EventType::COUNT);
    let kinds: HashSet<_> = EventType::ALL.iter().map(|t| t.kind()).collect();
    assert_eq!(kinds.len(), EventType::COUNT);
    for t in EventType::ALL {
        assert_eq!(EventType::from_name(t.as_str()), Some(t));
        assert_eq!(EventType::from_kind(t.kind()), Some(t));
        // bpf_load and file_mount are named by issue 13 after what they
        // report, not their category
        let prefixed = t.as_str().starts_with(&format!("{}_", t.category().name()));
        assert!(prefixed || t == EventType::BpfLoad || t == EventType::FileMount, "{}", t.as_str());
        for h in t.hooks() {
            // the one exception: a ring's setup and its connects come from the [file] hook io_uring
            let uring = *h == AnyHook::File(FileHook::IoUring);
            assert!(uring || h.category() == t.category(), "{} lists {} of another category", t.as_str(), h.name());
        }
    }
    assert_eq!(EventType::from_kind(0), None);
    for cat in Category::ALL {
        let hooks = cat.hook_names();
        assert_eq!(hooks.iter().collect::<HashSet<_>>().len(), hooks.len(), "{}", cat.name());
    }
    for h in ProcessHook::ALL {
        assert_eq!(ProcessHook::from_name(h.name()), Some(*h));
    }
    for h in FileHook::ALL {
        assert_eq!(FileHook::from_name(h.name()), Some(*h));
    }
    for h in NetHook::ALL {
        assert_eq!(NetHook::from_name(h.name()), Some(*h));
    }
    assert_eq!((ProcessHook::ALL.len(), FileHook::ALL.len(), NetHook::ALL.len()), (33, 42, 5));
    assert_eq!(FileHook::from_name("clone"), None);
}

/// Every hook produces at least one event type, and every syscall hook
/// has its own ABI number.
#[test]
fn every_hook_feeds_an_event_type() {
    let produced: HashSet<(Category, &str)> =
        EventType::ALL.iter().flat_map(|t| t.hooks()).map(|h| (h.category(), h.name())).collect();
    for cat in Category::ALL {
        for name in cat.hook_names() {
            assert!(produced.contains(&(cat, name)), "hook {}.{name} feeds no event type", cat.name());
        }
    }
    let ids: Vec<u32> = ProcessHook::ALL
        .iter()
        .map(|h| h.abi_id())
        .chain(FileHook::ALL.iter().map(|h| h.abi_id()))
        .chain(NetHook::ALL.iter().map(|h| h.abi_id()))
        .filter(|id| *id != rg_syscall::RG_SYS_NONE.0)
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    assert_eq!(syscall_name(rg_syscall::RG_SYS_OPENAT2.0), "openat2");
    assert_eq!(syscall_name(rg_syscall::RG_SYS_EXECVEAT.0), "execveat");
    assert_eq!(syscall_name(rg_syscall::RG_SYS_NONE.0), "unknown");
    assert_eq!(syscall_name(9999), "unknown");
}

/// The catalog and the BPF object name the same programs, and each
/// program's attach point is the one its section says.
#[test]
fn the_catalog_names_exactly_the_programs_of_the_bpf_object() {
    let mut storage = MaybeUninit::uninit();
    let in_object = crate::bpf::loader::program_sections(&mut storage).expect("open the BPF object");
    let names: HashSet<&str> = in_object.iter().map(|(n, _)| n.as_str()).collect();
    let in_catalog: HashSet<&str> = all_programs().iter().map(|p| p.name).collect();
    assert_eq!(names, in_catalog);
    for (name, section) in &in_object {
        let p = program(name).expect("in the catalog");
        let want = match p.attach {
            Attach::Btf(tp) => format!("tp_btf/{tp}"),
            Attach::SysEnter(_) | Attach::SysExit(_) => {
                format!("tracepoint/syscalls/{}", p.syscall_tracepoint().unwrap_or_default())
            }
        };
        assert_eq!(section, &want, "{name}");
    }
    assert_eq!(program("handle_exit_openat").and_then(|p| p.syscall_tracepoint()).as_deref(), Some("sys_exit_openat"));
    assert_eq!(program("handle_exec").map(|p| p.describe()).as_deref(), Some("tp_btf/sched_process_exec"));
}

#[test]
fn type_masks_follow_the_catalog() {
    assert_eq!(TypeMask::ALL.types().count(), EventType::COUNT);
    let per_cat: usize = Category::ALL.iter().map(|c| TypeMask::category(*c).types().count()).sum();
    assert_eq!(per_cat, EventType::COUNT);
    assert!(TypeMask::category(Category::File).has(EventType::FileRename));
    assert!(!TypeMask::category(Category::File).has(EventType::NetworkBind));
    assert_eq!(TypeMask::of_all(&[EventType::FileOpen, EventType::ProcessExec]).names(), "process_exec, file_open");
}

#[test]
fn fields_are_unique_and_carried() {
    let names: HashSet<_> = Field::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names.len(), Field::ALL.len());
    for f in Field::ALL {
        assert!(!f.carriers().is_empty(), "{} is carried by no event type", f.name());
    }
    for t in EventType::ALL {
        for f in t.fields() {
            assert!(!COMMON.contains(f), "{} lists common field {}", t.as_str(), f.name());
        }
    }
    assert_eq!(Field::suggest("remote_prot"), Some("remote_port"));
    assert_eq!(Field::suggest("zzzzzzzzzzzz"), None);
    assert!(Field::RemotePort.carriers().has(EventType::NetworkConnect));
    assert!(!Field::RemotePort.carriers().has(EventType::ProcessExec));
    assert!(Field::Backlog.carriers().has(EventType::NetworkListen));
    assert!(!Field::Backlog.carriers().has(EventType::NetworkBind));
}
