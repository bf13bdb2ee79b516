//! Compiles bpf/sensor.bpf.c and generates its Rust skeleton (with the ABI
//! types from include/events.h) into OUT_DIR/sensor.skel.rs.

use std::env;
use std::ffi::OsStr;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

const SRC: &str = "bpf/sensor.bpf.c";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let include = manifest.join("include");
    let arch = match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok("aarch64") => "arm64",
        Ok(other) => panic!("rand-guard's BPF object supports x86_64 and aarch64, not {other}"),
        Err(_) => "x86",
    };

    SkeletonBuilder::new()
        .source(SRC)
        .clang_args([
            OsStr::new("-I"),
            include.as_os_str(),
            OsStr::new("-Wall"),
            OsStr::new("-Wno-unused-function"),
            OsStr::new(&format!("-D__TARGET_ARCH_{arch}")),
        ])
        .build_and_generate(out.join("sensor.skel.rs"))
        .unwrap_or_else(|e| panic!("building {SRC} failed: {e:#}"));

    // `rand-guard --version` names the commit it was built from.
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=RG_GIT_COMMIT={commit}");
    println!("cargo:rerun-if-changed=.git/HEAD");

    for path in ["bpf", "include/events.h"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
