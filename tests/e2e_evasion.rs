//! Privileged end-to-end tests of evasions an attacker with a shell tries
//! (issue 18): each reproduces the attack with real syscalls against the
//! real sensor and the default rule pack, and asserts the record and the
//! alert. Run as root, serially: `cargo test --test e2e_evasion -- --test-threads=1`.

mod common;

use std::ffi::CString;
use std::fs;

use common::rule_pack::*;
use common::tools::*;
use common::*;

fn renameat2(from: &str, to: &str, flags: u32) {
    let (a, b) = (CString::new(from).expect("no NUL"), CString::new(to).expect("no NUL"));
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), flags) };
    assert_eq!(rc, 0, "renameat2({from}, {to}, {flags}): {}", std::io::Error::last_os_error());
}

#[test]
fn an_exchange_puts_a_file_at_both_paths_and_rules_see_both() {
    // renameat2(RENAME_EXCHANGE) with the cron file as the *first* path
    // moves the payload into /etc/cron.d while new_path names /tmp.
    let job = Restore::new(format!("/etc/cron.d/rg-e2e-exchange-{}", my_pid()));
    let moved = Restore::new(format!("/etc/cron.d/rg-e2e-moved-{}", my_pid()));
    fs::write(job.str(), "# rg-e2e: an existing cron file\n").expect("cron file");
    fs::write(moved.str(), "# rg-e2e: moved away, never replaced\n").expect("cron file");
    let dir = TempDir::new("exchange");
    let payload = dir.path("payload").to_string_lossy().into_owned();
    fs::write(&payload, "# rg-e2e: the payload, no job\n").expect("payload");
    let away = dir.path("away").to_string_lossy().into_owned();

    let sensor = Sensor::start(&rules_config());
    renameat2(job.str(), &payload, libc::RENAME_EXCHANGE);
    renameat2(moved.str(), &away, 0);

    let is_rename_of = |v: &serde_json::Value, path: &str| v["source_event_type"] == "file_rename" && v["path"] == path;
    let (_, source) =
        expect_alert(&sensor, "RG-PERSIST-CRON", "a payload exchanged into cron.d", |v| is_rename_of(v, job.str()));
    assert_eq!(source["new_path"], payload.as_str());
    assert_eq!(source["exchange"], true);
    assert_eq!(source["syscall"], "renameat2");
    assert_eq!(n(&source, "pid"), my_pid());
    assert_eq!(fs::read_to_string(job.str()).expect("swapped"), "# rg-e2e: the payload, no job\n");

    // a plain rename out of cron.d removes a job; it plants none
    let r = sensor.wait_for("the rename away", |v| is(v, "file_rename") && v["path"] == moved.str());
    assert_eq!((&r["new_path"], &r["exchange"]), (&serde_json::json!(away), &serde_json::json!(false)));
    expect_no_alert(&sensor, "RG-PERSIST-CRON", "a cron file renamed away", |v| is_rename_of(v, moved.str()));
}
