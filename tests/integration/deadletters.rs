//! Dead letters have a way back: each kind the stack's queue can hold (a Lambda asynchronous
//! invocation, an EventBridge rule target, an EventBridge Scheduler target), put in an SQS
//! queue (moto) with the body and attributes its producer writes, then listed and replayed by
//! the `macie-guard` binary against the local Macie and the journal table. The replay's
//! branches (a selection, a failure, the dry run) against the in-memory queue.

use crate::common::cli;
use macie_guard::deadletters::memory::MemoryQueue;
use macie_guard::deadletters::replay::{replay, Handler, Select};
use macie_guard_core::deadletter::DeadLetter;
use macie_guard_core::dispatch::Routed;
use macie_guard_core::tell::deadletters::Replayed;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use testkit::{moto, LocalMacie, ACCOUNT};

const RESUME: &str = "3ce05dbb7ec5505def334104bf4fc3b4";
const EXPIRY_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:guard-ExpiryGuardFunction-AbC123";
const EXPORT_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:guard-ExportGuardFunction-XyZ789";

async fn sqs() -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::config::Builder::from(&testkit::sdk_config().await)
        .endpoint_url(&moto().url)
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

async fn queue(name: &str) -> String {
    let unique = format!("{name}-{}-{}", std::process::id(), rand_suffix());
    sqs()
        .await
        .create_queue()
        .queue_name(unique)
        .send()
        .await
        .expect("create queue")
        .queue_url()
        .unwrap()
        .to_string()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Sends a message as a producer does: `body`, and string attributes.
async fn send(url: &str, body: &str, attrs: &[(&str, &str)]) {
    let mut req = sqs().await.send_message().queue_url(url).message_body(body);
    for (k, v) in attrs {
        let data_type = if k.ends_with("RETRY_ATTEMPTS") || k.ends_with("Attempt") {
            "Number"
        } else {
            "String"
        };
        req = req.message_attributes(
            *k,
            aws_sdk_sqs::types::MessageAttributeValue::builder()
                .data_type(data_type)
                .string_value(*v)
                .build()
                .unwrap(),
        );
    }
    req.send().await.expect("send message");
}

async fn count(url: &str) -> usize {
    let out = sqs()
        .await
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .send()
        .await
        .unwrap();
    let a = out.attributes().unwrap();
    a.values().map(|v| v.parse::<usize>().unwrap()).sum()
}

/// One of each producer: Lambda (the Health event whose job asks to be resumed), a rule (a
/// CloudTrail change for the export guard), Scheduler (the sweep's input).
async fn the_three_kinds(url: &str) {
    let health = testkit::event("health-paused-job-expiration.json").to_string();
    send(
        url,
        &health,
        &[
            ("RequestID", "c0ffee00-0000-4000-8000-000000000001"),
            ("ErrorCode", "200"),
            (
                "ErrorMessage",
                "job 3ce05dbb7ec5505def334104bf4fc3b4: Macie answered ThrottlingException",
            ),
        ],
    )
    .await;
    let trail = testkit::event("cloudtrail-kms-disable-key.json").to_string();
    send(
        url,
        &trail,
        &[
            ("RULE_ARN", "arn:aws:events:us-east-1:123456789012:rule/guard-ExportGuardFunctionConfigurationChanges-1A2B"),
            ("TARGET_ARN", EXPORT_ARN),
            ("ERROR_CODE", "SDK_CLIENT_ERROR"),
            ("ERROR_MESSAGE", "Unable to invoke Lambda function"),
            ("EXHAUSTED_RETRY_CONDITION", "MaximumRetryAttempts"),
            ("RETRY_ATTEMPTS", "185"),
        ],
    )
    .await;
    send(
        url,
        r#"{"action": "sweep"}"#,
        &[
            ("X-Amz-Scheduler-Schedule-Arn", "arn:aws:scheduler:us-east-1:123456789012:schedule/guard-group/guard-ExpiryGuardFunctionSweep"),
            ("X-Amz-Scheduler-Target-Arn", EXPIRY_ARN),
            ("X-Amz-Scheduler-Group", "guard-group"),
            ("X-Amz-Scheduler-Attempt", "4"),
            ("X-Amz-Scheduler-Error-Code", "Lambda.TooManyRequestsException"),
            ("X-Amz-Scheduler-Error-Message", "Rate Exceeded."),
        ],
    )
    .await;
}

fn macie() -> LocalMacie {
    LocalMacie::start(Some(&json!({"jobs": [
        {"jobId": RESUME, "name": "quarterly-pci-scan", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29.0,
         "tags": {"macie-guard:on-expiry": "resume"}}
    ]})))
}

fn ok_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// `list` shows each message, who sent it, what it was for and the error, and leaves the queue
/// as it was; `replay --all` runs each once through the stack's journal and empties the queue;
/// the same Health event replayed again changes nothing (the journal's receipt).
#[tokio::test(flavor = "multi_thread")]
async fn each_kind_is_listed_and_replayed_once() {
    let macie = macie();
    let url = queue("dlq").await;
    the_three_kinds(&url).await;
    let table = testkit::journal_table("dead-letters").await;

    let listed = ok_json(&cli(
        &macie,
        &["dead-letters", "list", "--json", "--queue-url", &url],
    ));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    let producers: Vec<&str> = listed
        .iter()
        .map(|d| d["producer"].as_str().unwrap())
        .collect();
    for p in ["lambda", "rule", "schedule"] {
        assert!(producers.contains(&p), "{producers:?}");
    }
    let lambda = listed.iter().find(|d| d["producer"] == "lambda").unwrap();
    assert_eq!(lambda["request_id"], "c0ffee00-0000-4000-8000-000000000001");
    assert_eq!(
        lambda["event"]["detail-type"], "AWS Health Event",
        "the event whole"
    );
    assert!(lambda["sent_at"].is_string());
    let text = cli(&macie, &["dead-letters", "list", "--queue-url", &url]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("for:   expiry guard: AWS Health AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT")
            && text.contains("rule guard-ExportGuardFunctionConfigurationChanges-1A2B")
            && text.contains("error: Lambda.TooManyRequestsException Rate Exceeded.")
            && text.contains("3 dead letter(s) waiting"),
        "{text}"
    );
    assert_eq!(count(&url).await, 3, "listing changes nothing");
    assert_eq!(macie.calls("UpdateClassificationJob"), 0);

    // The dry run: says what would run, runs nothing, deletes nothing.
    let dry = ok_json(&cli(
        &macie,
        &[
            "dead-letters",
            "replay",
            "--all",
            "--dry-run",
            "--json",
            "--queue-url",
            &url,
            "--journal-table",
            &table,
            "--account",
            ACCOUNT,
        ],
    ));
    assert_eq!(dry.as_array().unwrap().len(), 3);
    assert!(dry
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["replay"]["result"] == "tried"));
    assert_eq!(macie.calls("UpdateClassificationJob"), 0);
    assert_eq!(count(&url).await, 3);

    let out = cli(
        &macie,
        &[
            "dead-letters",
            "replay",
            "--all",
            "--queue-url",
            &url,
            "--journal-table",
            &table,
            "--account",
            ACCOUNT,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("3 replayed, 0 kept in the queue"), "{text}");
    assert_eq!(count(&url).await, 0, "each deleted once it succeeded");
    // The Health event and the sweep both concern the job: it was resumed once.
    assert_eq!(macie.calls("UpdateClassificationJob"), 1);
    assert_eq!(status(&macie), "RUNNING");

    // The same dead letter again (a producer that sent it twice): nothing changes twice.
    let health = testkit::event("health-paused-job-expiration.json").to_string();
    send(
        &url,
        &health,
        &[("RequestID", "c0ffee00-0000-4000-8000-000000000001")],
    )
    .await;
    let again = cli(
        &macie,
        &[
            "dead-letters",
            "replay",
            "--all",
            "--queue-url",
            &url,
            "--journal-table",
            &table,
            "--account",
            ACCOUNT,
        ],
    );
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(count(&url).await, 0);
    assert_eq!(
        macie.calls("UpdateClassificationJob"),
        1,
        "changed once in all"
    );
}

fn status(macie: &LocalMacie) -> String {
    let (code, _, body) = macie.raw("GET", &format!("/jobs/{RESUME}"), "");
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["jobStatus"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A replay that fails again keeps its message, visible at once, and says so (exit 1); one
/// that cannot be an event is kept and says why; an --id that is not there names the ids
/// that are and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn what_fails_again_stays_and_is_reported() {
    let macie = macie();
    let url = queue("dlq-fail").await;
    let health = testkit::event("health-paused-job-expiration.json").to_string();
    send(&url, &health, &[("RequestID", "r-1"), ("ErrorCode", "200")]).await;
    send(&url, "not json at all", &[]).await;
    // A journal table that does not exist: the expiry guard fails before any change.
    let out = cli(
        &macie,
        &[
            "dead-letters",
            "replay",
            "--all",
            "--queue-url",
            &url,
            "--journal-table",
            "no-such-table",
            "--account",
            ACCOUNT,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("failed again, kept")
            && text.contains("not replayable, kept")
            && text.contains("0 replayed, 2 kept"),
        "{text}"
    );
    assert_eq!(macie.calls("UpdateClassificationJob"), 0);
    // Kept and visible again at once: listed right away.
    let listed = ok_json(&cli(
        &macie,
        &["dead-letters", "list", "--json", "--queue-url", &url],
    ));
    assert_eq!(listed.as_array().unwrap().len(), 2);

    let out = cli(
        &macie,
        &[
            "dead-letters",
            "replay",
            "--id",
            "no-such-id",
            "--queue-url",
            &url,
            "--account",
            ACCOUNT,
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-such-id") && err.contains("dead-letters list"),
        "{err}"
    );
    assert_eq!(count(&url).await, 2);
    // Without a queue: a clear error before any call.
    let out = cli(&macie, &["dead-letters", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DeadLetterQueueUrl"));
}

struct Fake {
    fail: bool,
    seen: std::sync::Mutex<usize>,
}

impl Handler for Fake {
    async fn handle(&self, _event: Routed) -> Result<String, String> {
        *self.seen.lock().unwrap() += 1;
        if self.fail {
            Err("Macie answered ThrottlingException".into())
        } else {
            Ok("1 paused job(s) scanned, 1 handled".into())
        }
    }
}

fn letter(id: &str, body: &str) -> DeadLetter {
    let attrs: BTreeMap<String, String> = [("RequestID".to_string(), "r".to_string())].into();
    DeadLetter::read(id, body, &attrs, None, None)
}

#[tokio::test]
async fn the_replay_deletes_only_what_succeeded() {
    let sweep = r#"{"action": "sweep"}"#;
    // --id: only that one is handled; the others are let go at once.
    let q = MemoryQueue::with(vec![
        letter("a", sweep),
        letter("b", sweep),
        letter("c", "{}"),
    ]);
    let ok = Fake {
        fail: false,
        seen: Default::default(),
    };
    let r = replay(&q, &ok, &Select::Id("b".into()), false)
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    assert!(matches!(r[0].1, Replayed::Done { .. }));
    assert_eq!(*q.deleted.lock().unwrap(), vec!["b".to_string()]);
    assert_eq!(
        *q.released.lock().unwrap(),
        vec!["a".to_string(), "c".to_string()]
    );
    assert_eq!(*ok.seen.lock().unwrap(), 1);
    // --all, failing: nothing deleted, everything let go, the reasons kept.
    let bad = Fake {
        fail: true,
        seen: Default::default(),
    };
    let r = replay(&q, &bad, &Select::All, false).await.unwrap();
    assert!(q.deleted.lock().unwrap().len() == 1);
    assert!(matches!(&r[0].1, Replayed::Failed { error } if error.contains("Throttling")));
    assert!(matches!(&r[1].1, Replayed::NotReplayable { .. }));
    assert_eq!(
        *bad.seen.lock().unwrap(),
        1,
        "the non-event is never handled"
    );
    // Dry run: nothing handled, nothing deleted.
    let dry = Fake {
        fail: false,
        seen: Default::default(),
    };
    let r = replay(&q, &dry, &Select::All, true).await.unwrap();
    assert!(r.iter().all(|(_, x)| !matches!(x, Replayed::Done { .. })));
    assert_eq!(*dry.seen.lock().unwrap(), 0);
    assert_eq!(q.letters.lock().unwrap().len(), 2);
    // An unknown id: an error naming the ids there, everything let go.
    let e = replay(&q, &ok, &Select::Id("zzz".into()), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("zzz") && e.contains("a, c"), "{e}");
}
