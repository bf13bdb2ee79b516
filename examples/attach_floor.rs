//! `make bench`'s floor sensor: loads a BPF object (bench/floor.bpf.c,
//! empty programs), attaches every program, prints `ready:` and waits to
//! be stopped. The overhead harness runs it like a sensor.
//!
//! `cargo run --release --example attach_floor -- OBJECT`

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: attach_floor OBJECT");
        return ExitCode::from(2);
    };
    if let Err(e) = rand_guard::host::ensure_tracefs() {
        eprintln!("attach_floor: tracefs: {e}");
        return ExitCode::FAILURE;
    }
    rand_guard::host::raise_memlock();
    let obj = match libbpf_rs::ObjectBuilder::default().open_file(&path).and_then(|o| o.load()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("attach_floor: {}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let mut links = Vec::new();
    for prog in obj.progs_mut() {
        match prog.attach() {
            Ok(l) => links.push(l),
            Err(e) => {
                eprintln!("attach_floor: {}: {e}", prog.name().to_string_lossy());
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("attach_floor: ready: {} programs attached", links.len());
    // Until SIGINT/SIGTERM ends the process (and with it the links).
    loop {
        std::thread::park();
    }
}
