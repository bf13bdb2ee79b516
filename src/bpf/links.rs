//! The attached programs' links, and detaching them quickly.
//!
//! Detaching a tracepoint program waits in the kernel for an RCU grace
//! period (tracepoint_synchronize_unregister). One after the other, the ~90
//! links of the default config took 8 s here, at every shutdown (and at
//! every exit, since the kernel closes a dying process's links one by one).
//! Dropped from several threads at once, the waits overlap.

use std::thread;

use libbpf_rs::Link;

/// Threads that drop links at once on detach.
const DETACH_THREADS: usize = 16;

/// One link per attached program; dropping a link detaches its program.
#[derive(Default)]
pub struct Links(Vec<Link>);

impl Links {
    pub fn push(&mut self, link: Link) {
        self.0.push(link);
    }

    /// Detaches every program and returns when all are detached.
    pub fn detach(self) {
        let mut groups: Vec<Vec<Link>> = (0..DETACH_THREADS).map(|_| Vec::new()).collect();
        for (i, link) in self.0.into_iter().enumerate() {
            groups[i % DETACH_THREADS].push(link);
        }
        thread::scope(|s| {
            for group in groups.into_iter().filter(|g| !g.is_empty()) {
                // If no thread can be started, the closure (and its links)
                // is dropped right here: the same detach, only serial.
                let _ = thread::Builder::new().name("rg-detach".into()).spawn_scoped(s, move || drop(group));
            }
        });
    }
}
