//! The command line alone, before anything else: a usage error exits 64 and says what it was;
//! --help and --version exit 0. (Also what makes `cargo test --workspace` build the CLI, which
//! the workspace's integration tests run.)

use std::process::Command;

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_macie-guard"))
        .args(args)
        .output()
        .expect("run macie-guard")
}

#[test]
fn a_misspelled_option_is_a_usage_error() {
    let out = cli(&["jobs", "--regoin", "eu-west-1"]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--regoin"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn help_and_version_succeed() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["org", "status", "--help"],
    ] {
        let out = cli(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}
