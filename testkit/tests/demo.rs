//! The local demo (`scripts/demo.sh`) as a newcomer runs it: every step, the tool's own words,
//! the whole statement to paste, the hub's rows and what to try next. This test is also why
//! `cargo test` builds the demo: scripts/demo.sh runs what the test command built.

use serde_json::Value;
use std::process::Command;

#[test]
fn the_demo_runs_every_step_and_ends_with_what_to_try_next() {
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the demo failed: {}\n{stdout}\n{stderr}",
        out.status
    );
    // Every step, in order.
    let mut at = 0;
    for step in [
        "1. The account's paused jobs",
        "2. AWS Health: a paused one-time job will expire soon",
        "3. AWS Health: a paused job expired",
        "3b. The lost job back, once",
        "4. The scheduled sweep",
        "5. The paused jobs afterwards",
        "6. The scheduled export configuration check",
        "7. CloudTrail: ScheduleKeyDeletion",
        "8. Notifications published to SNS",
        "9. An organization's hub",
        "Try next:",
    ] {
        let found = stdout[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} missing after byte {at}:\n{stdout}"));
        at += found + step.len();
    }
    // The tool's words, not the demo's own.
    for word in ["[done", "[notified"] {
        assert!(stdout.contains(word), "no {word:?}:\n{stdout}");
    }
    for word in ["[CHANGED]", "[TOLD]"] {
        assert!(
            !stdout.contains(word),
            "{word:?} is not the tool's:\n{stdout}"
        );
    }
    // The statement to paste is whole: the lines after "statement to add:" parse as JSON with
    // the principal and the action Macie needs.
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "statement to add:")
        .unwrap_or_else(|| panic!("no statement to add:\n{stdout}"));
    let mut json = String::new();
    let mut statement = None;
    for l in &lines[start + 1..] {
        json.push_str(l.trim());
        if let Ok(v) = serde_json::from_str::<Value>(&json) {
            statement = Some(v);
            break;
        }
    }
    let statement = statement.unwrap_or_else(|| panic!("the statement is cut:\n{stdout}"));
    assert_eq!(statement["Effect"], "Allow", "{statement}");
    assert!(
        statement.to_string().contains("macie.amazonaws.com"),
        "{statement}"
    );
    // The lost job came back once though `recreate` ran twice.
    assert_eq!(
        stdout.matches("recreated job ").count(),
        1,
        "one job created:\n{stdout}"
    );
    assert!(
        stdout.contains("nothing was created"),
        "the second recreate names the job that stands for it:\n{stdout}"
    );
    // The hub: the members with the role were acted in, the one without it was not reached
    // and its job is as it was.
    assert!(stdout.contains("not reached:"), "{stdout}");
    assert!(stdout.contains(": card-data-scan RUNNING"), "{stdout}");
    assert!(stdout.contains(": sandbox-scan USER_PAUSED"), "{stdout}");
}
