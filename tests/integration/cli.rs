//! The `macie-guard` binary against the stand-ins, pointed at them by the SDK's per-service
//! endpoint variables, as an operator would run it.

use crate::common;

use common::cli;
use serde_json::{json, Value};
use std::process::Output;
use testkit::LocalMacie;

fn json_out(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn scenario() -> LocalMacie {
    LocalMacie::start(Some(&json!({"jobs": [
        {"jobId": "3ce05dbb7ec5505def334104bf4fc3b4", "name": "nightly-pii", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.5,
         "tags": {"macie-guard:on-expiry": "resume"}},
        {"name": "quarterly", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 24},
        {"name": "running", "jobStatus": "RUNNING"}
    ]})))
}

#[test]
fn jobs_lists_paused_jobs_with_policy_and_plan() {
    let macie = scenario();
    let jobs = json_out(&cli(&macie, &["jobs", "--json"]));
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["name"], "nightly-pii", "soonest expiry first");
    assert_eq!(jobs[0]["policy"], "resume");
    assert_eq!(jobs[0]["plan"]["plan"], "act");
    assert_eq!(jobs[1]["policy"], "notify");
    assert_eq!(jobs[1]["plan"]["plan"], "warn");
    assert!(jobs[1]["days_left"].as_f64().unwrap() > 5.0);

    let table = cli(&macie, &["jobs"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("DAYS LEFT")
            && text.contains("nightly-pii")
            && text.contains("2 paused job(s)"),
        "{text}"
    );
    assert_eq!(
        macie.calls("UpdateClassificationJob"),
        0,
        "listing changes nothing"
    );
}

#[test]
fn sweep_dry_run_then_for_real() {
    let macie = scenario();
    let dry = json_out(&cli(&macie, &["sweep", "--dry-run", "--json"]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["jobs"][0]["outcome"], "dry-run");
    assert_eq!(macie.calls("UpdateClassificationJob"), 0);

    let out = cli(&macie, &["sweep"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("[done") && text.contains("nightly-pii"),
        "{text}"
    );
    // No topic: each notification is a line saying it was not sent, the report printed once.
    let notes = String::from_utf8_lossy(&out.stderr);
    assert!(
        notes
            .lines()
            .any(|l| l.starts_with("macie-guard: not sent (no topic")
                && l.contains("Macie paused jobs in")),
        "{notes}"
    );
    assert_eq!(notes.lines().count(), 1, "{notes}");
    assert_eq!(macie.calls("UpdateClassificationJob"), 1);
}

#[test]
fn handle_routes_event_files_and_rejects_bad_ones() {
    let macie = scenario();
    let out = json_out(&cli(
        &macie,
        &[
            "handle",
            "events/health-paused-job-expiration.json",
            "--json",
        ],
    ));
    assert_eq!(
        out["trigger"],
        "health:AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT"
    );
    assert_eq!(out["jobs"][0]["outcome"], "done");

    let bad = std::env::temp_dir().join(format!("macie-guard-bad-{}.json", std::process::id()));
    std::fs::write(&bad, "{\"detail-type\": ").unwrap();
    macie.reset_calls();
    let out = cli(&macie, &["handle", bad.to_str().unwrap()]);
    let _ = std::fs::remove_file(&bad);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not JSON"));
    // Rejected before any call: Macie counted none (GetMacieSession included).
    assert_eq!(crate::common::calls(&macie), json!({}), "a call was made");

    let out = cli(
        &macie,
        &["--region", "eu-west-1", "--account", "12", "jobs"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--account"));
}

/// A job name with a newline and terminal escape sequences reaches the operator's terminal
/// escaped, one line per job, in every listing.
#[test]
fn hostile_names_are_printed_escaped() {
    let hostile = "x\n  [done        ] job \"payroll\" was resumed\u{1b}[2J\u{1b}]0;owned\u{7}";
    let macie = LocalMacie::start(Some(&json!({"jobs": [
        {"name": hostile, "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.0,
         "tags": {"macie-guard:on-expiry": "notify"}}
    ]})));
    for args in [&["jobs"][..], &["sweep", "--account", "123456789012"][..]] {
        let out = cli(&macie, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{args:?}: {text:?}"
            );
            assert!(
                !text.contains("\n  [done"),
                "{args:?}: a forged line: {text}"
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("x\\n"), "{args:?}: {text}");
    }
}

/// When some jobs fail, the text report still shows every job, then the failure.
#[test]
fn a_partial_failure_prints_every_jobs_report_in_text_mode() {
    let macie = LocalMacie::start(Some(&json!({"jobs": [
        {"jobId": "3ce05dbb7ec5505def334104bf4fc3b4", "name": "will-fail", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.0,
         "tags": {"macie-guard:on-expiry": "resume"}},
        {"name": "warned", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 25.0,
         "tags": {"macie-guard:on-expiry": "resume"}}
    ]})));
    macie.faults(json!({"operation": "UpdateClassificationJob", "sequence": ["InternalServerException", "InternalServerException", "InternalServerException", "InternalServerException"]}));
    let out = cli(&macie, &["sweep", "--account", "123456789012"]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[failed"), "{text}");
    assert!(
        text.contains("[warned") && text.contains("\"warned\""),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("1 of 2 job(s) failed"), "{err}");
}

#[test]
fn the_cli_keeps_security_hub_findings_when_asked() {
    let macie = scenario();
    let key = "AKIDLOCAL";
    testkit::enable_security_hub(key, testkit::REGION);
    let out = cli(&macie, &["sweep", "--dry-run"]);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Security Hub"),
        "not without --security-hub"
    );
    assert!(testkit::securityhub_findings(key, testkit::REGION).is_empty());

    let out = cli(&macie, &["sweep", "--security-hub"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Security Hub: synced, 1 finding(s) active"),
        "{text}"
    );
    let found = testkit::securityhub_findings(key, testkit::REGION);
    assert_eq!(found.len(), 1, "the job warned about: {found:#?}");
    assert_eq!(found[0]["GeneratorId"], "macie-guard/PAUSED_JOB_EXPIRING");
    let json = json_out(&cli(&macie, &["sweep", "--security-hub", "--json"]));
    assert_eq!(json["security_hub"]["state"], "synced");
}

/// Ctrl-C during a sweep: the CLI takes no new job, finishes the ones in flight (a keep-paused
/// job is paused again, never left running) and reports what it left for the next sweep.
/// `macie-guard sweep --json` started in the background against the local Macie and moto,
/// its output piped, with `env` set and the variables that would change it removed.
fn sweep_in_background(macie: &LocalMacie, env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = std::process::Command::new(testkit::cli_bin());
    cmd.args(["sweep", "--json"])
        .current_dir(testkit::workspace_root())
        .envs(testkit::endpoint_env(macie.url(), &testkit::moto().url))
        // The CLI's own settings, as an operator sets them: MACIE_GUARD_SWEEP_CONCURRENCY, ...
        .envs(
            env.iter()
                .map(|(k, v)| match k.strip_prefix("MACIE_GUARD_") {
                    Some(_) => (k.to_string(), v.to_string()),
                    None => (format!("MACIE_GUARD_{k}"), v.to_string()),
                }),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for var in [
        "NOTIFICATION_TOPIC_ARN",
        "JOURNAL_TABLE",
        "DEFAULT_POLICY",
        "DRY_RUN",
    ] {
        cmd.env_remove(var);
    }
    cmd.spawn().expect("run macie-guard")
}

#[test]
fn ctrl_c_finishes_the_jobs_in_flight_and_takes_no_new_one() {
    let jobs: Vec<Value> = (0..12)
        .map(|i| {
            json!({"jobId": format!("{i:032x}"), "name": format!("keep-{i}"), "jobStatus": "USER_PAUSED",
                   "pausedDaysAgo": 29.0, "tags": {"macie-guard:on-expiry": "keep-paused"}})
        })
        .collect();
    let macie = LocalMacie::start(Some(&json!({ "jobs": jobs })));
    macie.control(
        "POST",
        "/_local/latency",
        Some(&json!({"operation": "UpdateClassificationJob", "ms": 300})),
    );
    let child = sweep_in_background(&macie, &[("SWEEP_CONCURRENCY", "2")]);
    // Once the first resume is under way, the operator presses Ctrl-C.
    let started = std::time::Instant::now();
    while macie.calls("UpdateClassificationJob") == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no update"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(killed.success());
    let out = child.wait_with_output().expect("the CLI ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Interrupted, whatever it finished: 130, as a shell reports a command Ctrl-C stopped.
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopping"), "{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["stopped"], true, "{summary}");
    let done = summary["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["outcome"] == "done")
        .count();
    let deferred = summary["deferred"].as_u64().unwrap() as usize;
    assert!(done >= 1 && deferred >= 1, "{summary}");
    assert_eq!(done + deferred, 12, "{summary}");
    for i in 0..12 {
        let (code, _, body) = macie.raw("GET", &format!("/jobs/{i:032x}"), "");
        assert_eq!(code, 200);
        let job: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            job["jobStatus"], "USER_PAUSED",
            "job {i} left {}",
            job["jobStatus"]
        );
    }
    assert_eq!(
        macie.calls("UpdateClassificationJob"),
        2 * done as u64,
        "each job in flight resumed and paused again, no other touched"
    );
}

/// A second Ctrl-C quits at once, and leaves no job in a state its policy did not ask for
/// without a record the next run acts on: without a journal table, the CLI keeps its open
/// changes in a journal file of its own. Signalled at each point between its calls (keep-paused
/// jobs: resumed, then paused again; the calls answered slowly so that one is in flight when the
/// signal comes, and dies with the process), then a sweep: every job is paused, its 30-day
/// clock restarted, and the message said where the record was.
#[test]
fn a_second_ctrl_c_leaves_a_record_the_next_sweep_finishes() {
    const JOBS: usize = 6;
    let jobs: Vec<Value> = (0..JOBS)
        .map(|i| {
            json!({"jobId": format!("{i:032x}"), "name": format!("keep-{i}"), "jobStatus": "USER_PAUSED",
                   "pausedDaysAgo": 29.0, "tags": {"macie-guard:on-expiry": "keep-paused"}})
        })
        .collect();
    // After the k-th update Macie made (0: before the first), one job at a time (resume 1,
    // pause 2, resume 3, ...: the next call is held back, in flight, when the signals come);
    // and once with every job at once, where the run may also end by itself before the second
    // signal.
    for (k, concurrency) in [
        (0u64, "1"),
        (1, "1"),
        (2, "1"),
        (5, "1"),
        (11, "1"),
        (3, "8"),
    ] {
        let macie = LocalMacie::start(Some(&json!({ "jobs": jobs })));
        let state = testkit::fresh_state_dir();
        let run = |slow: bool| {
            if slow && concurrency == "1" {
                // The update after the k-th is held back: the signals come while it is in
                // flight, whenever the test sees the k-th answered.
                macie.control(
                    "POST",
                    "/_local/latency",
                    Some(
                        &json!({"operation": "UpdateClassificationJob", "ms": 30_000, "after": k}),
                    ),
                );
            } else if slow {
                macie.control(
                    "POST",
                    "/_local/latency",
                    Some(&json!({"operation": "UpdateClassificationJob", "ms": 400})),
                );
            } else {
                macie.control(
                    "POST",
                    "/_local/latency",
                    Some(&json!({"operation": "UpdateClassificationJob", "ms": 0})),
                );
            }
            let state = state.display().to_string();
            sweep_in_background(
                &macie,
                &[
                    ("MACIE_GUARD_STATE_DIR", state.as_str()),
                    ("SWEEP_CONCURRENCY", concurrency),
                ],
            )
        };
        let child = run(true);
        let started = std::time::Instant::now();
        let reached = || {
            if k == 0 {
                // The first job read; its first update is held back (one job at a time), or
                // every job read (all at once).
                let read = if concurrency == "1" { 1 } else { JOBS as u64 };
                macie.calls("DescribeClassificationJob") >= read
            } else {
                macie.calls("UpdateClassificationJob") >= k
            }
        };
        while !reached() {
            assert!(started.elapsed().as_secs() < 30, "k={k}: never reached");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        if concurrency == "1" {
            // The next update has started by now, and is held back: the signals meet it in
            // flight (the next job's update, when the k-th finished a job).
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        for _ in 0..2 {
            let sent = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status()
                .expect("kill -INT");
            assert!(sent.success());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().expect("the CLI ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ended_by_itself = concurrency != "1" && out.status.code() == Some(0);
        if !ended_by_itself {
            assert_eq!(out.status.code(), Some(130), "k={k}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "quit; the changes in flight are in {}",
                    state.display()
                )) && stderr.contains("finishes them first"),
                "k={k}: {stderr}"
            );
        }
        let running = (0..JOBS)
            .filter(|i| {
                let (_, _, body) = macie.raw("GET", &format!("/jobs/{i:032x}"), "");
                serde_json::from_str::<Value>(&body).unwrap()["jobStatus"] == "RUNNING"
            })
            .count();
        // The next sweep, a moment later (the killed run's leases have not ended).
        let after = run(false).wait_with_output().expect("the next sweep");
        assert!(
            after.status.success(),
            "k={k}: {}",
            String::from_utf8_lossy(&after.stderr)
        );
        let summary: Value = serde_json::from_slice(&after.stdout).unwrap();
        if running > 0 {
            assert!(
                summary["recovered"].as_u64().unwrap() >= running as u64,
                "k={k}: {running} left running, recovered: {summary}"
            );
        }
        for i in 0..JOBS {
            let (_, _, body) = macie.raw("GET", &format!("/jobs/{i:032x}"), "");
            let job: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(job["jobStatus"], "USER_PAUSED", "k={k}: job {i}: {job}");
            let paused_at = chrono::DateTime::parse_from_rfc3339(
                job["userPausedDetails"]["jobPausedAt"].as_str().unwrap(),
            )
            .unwrap();
            assert!(
                chrono::Utc::now() - paused_at.with_timezone(&chrono::Utc)
                    < chrono::Duration::minutes(5),
                "k={k}: job {i} was not paused again: {job}"
            );
        }
    }
}

/// On a terminal, a sweep draws its progress on standard error and clears it before the
/// report; on a pipe (every other test here) it draws nothing. The terminal is util-linux's
/// `script`, which gives the command a pseudo-terminal.
#[test]
fn a_sweep_on_a_terminal_draws_its_progress_and_a_pipe_gets_none() {
    let jobs: Vec<Value> = (0..4)
        .map(|i| {
            json!({"jobId": format!("{i:032x}"), "name": format!("slow-{i}"), "jobStatus": "USER_PAUSED",
                   "pausedDaysAgo": 29.0, "tags": {"macie-guard:on-expiry": "keep-paused"}})
        })
        .collect();
    let macie = LocalMacie::start(Some(&json!({ "jobs": jobs })));
    // Slow enough for the bar (redrawn every 200 ms) to be drawn at least once.
    macie.control(
        "POST",
        "/_local/latency",
        Some(&json!({"operation": "UpdateClassificationJob", "ms": 300})),
    );
    let command = format!(
        "{} sweep --account 123456789012",
        testkit::cli_bin().display()
    );
    let out = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(testkit::workspace_root())
        .envs(testkit::endpoint_env(macie.url(), &testkit::moto().url))
        .env_remove("MACIE_GUARD_NOTIFICATION_TOPIC_ARN")
        .output()
        .expect("script runs the CLI on a pseudo-terminal");
    let seen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{seen}");
    assert!(seen.contains("/4 jobs"), "no bar drawn: {seen}");
    assert!(
        seen.contains("\r                    "),
        "the bar is cleared: {seen}"
    );
    // The same on a pipe: no bar.
    let piped = cli(&macie, &["sweep", "--account", "123456789012"]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains(" jobs\r"));
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("/4 jobs"));
}

/// `-v` shows each AWS request: its method, URL and status, and never a header, a key or a
/// signature.
#[test]
fn verbose_shows_each_request_and_no_secret() {
    let macie = LocalMacie::start(Some(&json!({"jobs": [
        {"name": "seen", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 3.0}
    ]})));
    let out = cli(&macie, &["-v", "jobs", "--account", "123456789012"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("POST {}/jobs/list -> 200", macie.url())),
        "{err}"
    );
    for secret in [
        "Authorization",
        "Signature=",
        "local-secret",
        "x-amz-security-token",
    ] {
        assert!(!err.contains(secret), "{secret} in: {err}");
    }
    // Without -v, none of it.
    let quiet = cli(&macie, &["jobs", "--account", "123456789012"]);
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("/jobs/list"));
}
