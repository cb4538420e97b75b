//! A library of the wrong version is refused with a clear error. The check
//! runs once per process, so the mismatch runs in a child process (this test
//! binary again, filtered to the child test) with the expectation faked.
use std::process::Command;

use libquant::{Scheme, Status};

const FAKE: &str = "LIBQUANT_EXPECT_VERSION";

/// Without the fake, a plain success; with it, prints what each constructor
/// returned, for the parent to check.
#[test]
fn child_reports_the_version_check() {
    let parsed = Scheme::parse("q4_k").map(|_| ());
    if std::env::var_os(FAKE).is_none() {
        return parsed.unwrap();
    }
    let results = [parsed, libquant::Context::new().map(|_| ()), libquant::error_metrics(&[1.0], &[1.0]).map(|_| ())];
    for r in results {
        match r {
            Ok(()) => println!("child: ok"),
            Err(e) => println!("child: {:?}: {}", e.status(), e.message()),
        }
    }
}

fn run_child(fake: &str) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["child_reports_the_version_check", "--exact", "--nocapture", "--test-threads=1"])
        .env(FAKE, fake)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // libtest prints "test <name> ... " before the first line, on the same line.
    stdout.lines().filter_map(|l| l.find("child: ").map(|at| format!("{}\n", &l[at..]))).collect()
}

#[test]
fn wrong_version_is_refused_by_every_constructor() {
    let report = run_child("9.4");
    let want = format!(
        "child: {:?}: libquant: version mismatch: the loaded library is {}, but this crate needs 9.4.x\n",
        Status::UNSUPPORTED,
        libquant::version()
    );
    assert_eq!(report, want.repeat(3));
}

#[test]
fn bad_override_is_reported() {
    let report = run_child("nine");
    let want = format!("child: {:?}: libquant: {FAKE}=\"nine\" is not MAJOR.MINOR\n", Status::INVALID);
    assert_eq!(report, want.repeat(3));
}
