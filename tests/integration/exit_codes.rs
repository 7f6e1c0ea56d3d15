//! The exit codes (docs/operate.md, "Exit codes"): one table for every command, each code
//! run here or named where it is (1 and 2: `export::the_cli_exit_code_says_how_bad_it_is`; 130:
//! `cli::ctrl_c_finishes_the_jobs_in_flight_and_takes_no_new_one`). A usage error is told
//! apart from a failure, and a failure from a finding; nothing is done before the command
//! line is whole.

use crate::common::{calls, cli};
use serde_json::json;
use testkit::LocalMacie;

fn paused() -> LocalMacie {
    LocalMacie::start(Some(&json!({"jobs": [
        {"name": "quiet", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 3.0}
    ]})))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn zero_done_and_help() {
    let macie = paused();
    let out = cli(&macie, &["jobs"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for args in [&["--help"][..], &["--version"], &["jobs", "--help"]] {
        let out = cli(&macie, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

/// 64: the command line is wrong, and nothing is called: a misspelled option, a missing
/// argument, an option the command does not use, a second Region where one is read.
#[test]
fn sixty_four_the_command_line_is_wrong_and_nothing_was_done() {
    let macie = paused();
    macie.reset_calls();
    for (args, says) in [
        (&["jobs", "--regoin", "eu-west-1"][..], "--regoin"),
        (&["recreate"][..], "JOB_ID"),
        (
            &["jobs", "--dry-run"][..],
            "--dry-run does nothing with `jobs`",
        ),
        (
            &["status", "--security-hub"][..],
            "--security-hub does nothing with `status`",
        ),
        (
            &["check-export", "--journal-table", "t"][..],
            "--journal-table does nothing with `check-export`",
        ),
        (
            &["org", "jobs", "--account", "123456789012"][..],
            "takes --accounts",
        ),
        (
            &["jobs", "--region", "us-east-1", "--region", "eu-west-1"][..],
            "`jobs` reads one Region",
        ),
        (
            &["sweep", "--region", "us-east-1", "--region", "eu-west-1"][..],
            "give --region once",
        ),
    ] {
        let out = cli(&macie, args);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // An expiry event file read in two Regions: refused once the file says what it is.
    let out = cli(
        &macie,
        &[
            "handle",
            "events/health-paused-job-expiration.json",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert_eq!(calls(&macie), json!({}), "no call was made");
}

/// 3: failed, never 1 or 2: a value that is not valid, a setting of the CLI's own, a Macie
/// that cannot be reached.
#[test]
fn three_failed() {
    let macie = paused();
    let out = cli(&macie, &["--account", "12", "jobs"]);
    assert_eq!(out.status.code(), Some(3));
    // The CLI's settings are its own, prefixed: a stray DRY_RUN changes nothing, a bad
    // MACIE_GUARD_DRY_RUN is named as set.
    let mut cmd = std::process::Command::new(testkit::cli_bin());
    cmd.args(["jobs"])
        .envs(testkit::endpoint_env(macie.url(), &testkit::moto().url))
        .env("DRY_RUN", "banana");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut cmd = std::process::Command::new(testkit::cli_bin());
    cmd.args(["jobs"])
        .envs(testkit::endpoint_env(macie.url(), &testkit::moto().url))
        .env("MACIE_GUARD_DRY_RUN", "banana");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("MACIE_GUARD_DRY_RUN=\"banana\""),
        "{}",
        stderr(&out)
    );
    // Nobody listening where Macie should be.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut cmd = std::process::Command::new(testkit::cli_bin());
    cmd.args(["check-export", "--account", "123456789012"])
        .envs(testkit::endpoint_env(&url, &testkit::moto().url))
        .env_remove("MACIE_GUARD_NOTIFICATION_TOPIC_ARN");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // Said as no answer, with the endpoint it tried and what to check: never IAM advice, never
    // a finding about the export configuration.
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "no answer from Macie2 at {url} (AWS_ENDPOINT_URL_MACIE2)"
        )) && err.contains("check the Region, AWS_ENDPOINT_URL_MACIE2"),
        "{err}"
    );
    assert!(
        !err.contains("Allow the function") && out.stdout.is_empty(),
        "{err}"
    );
    // Something that is not Macie answers: an empty 404 is said with its status.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other_url = format!("http://{}", other.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for s in other.incoming().flatten() {
            let mut s = s;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let mut cmd = std::process::Command::new(testkit::cli_bin());
    cmd.args(["jobs", "--account", "123456789012"])
        .envs(testkit::endpoint_env(&other_url, &testkit::moto().url));
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "what answered at {other_url} (AWS_ENDPOINT_URL_MACIE2) is not Macie (HTTP 404"
        )),
        "{}",
        stderr(&out)
    );
}
