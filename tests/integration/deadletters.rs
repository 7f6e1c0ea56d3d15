//! Dead letters have a way back: each kind the stack's queue can hold (a Lambda asynchronous
//! invocation, an EventBridge rule target, an EventBridge Scheduler target), put in an SQS
//! queue (moto) with the body and attributes its producer writes, then listed and replayed by
//! the `macie-guard` binary against the local Macie and the journal table. The replay's
//! branches (a selection, a failure, the dry run) against the in-memory queue.

use crate::common::cli;
use macie_guard::operator::deadletters::memory::MemoryQueue;
use macie_guard::operator::deadletters::replay::{replay, Handled, Handler, Select};
use macie_guard_core::dispatch::Routed;
use macie_guard_core::operator::deadletter::{BusEntry, DeadLetter, EventBus};
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

/// `dead-letters replay --all` with the stack's journal table, as the operator runs it.
fn replay_all(macie: &LocalMacie, url: &str, table: &str) -> std::process::Output {
    cli(
        macie,
        &[
            "dead-letters",
            "replay",
            "--all",
            "--queue-url",
            url,
            "--journal-table",
            table,
            "--account",
            ACCOUNT,
        ],
    )
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

    let out = replay_all(&macie, &url, &table);
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
    let again = replay_all(&macie, &url, &table);
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

/// How many messages each reader sees: (visible, in flight).
async fn counts(url: &str) -> (usize, usize) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = sqs()
        .await
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let get = |k: A| out.attributes().unwrap()[&k].parse::<usize>().unwrap();
    (
        get(A::ApproximateNumberOfMessages),
        get(A::ApproximateNumberOfMessagesNotVisible),
    )
}

/// `list` hides no message from anyone (SQS ReceiveMessage: a received message is invisible
/// to every consumer for its visibility timeout, so a listing receives with 0), sees every
/// visible one of a queue larger than a receive returns, and says what another reader holds;
/// `replay --all` beside another reader says what it did not see and exits non-zero.
#[tokio::test(flavor = "multi_thread")]
async fn a_listing_hides_nothing_and_all_means_all() {
    let macie = macie();
    let url = queue("dlq-many").await;
    for i in 0..60 {
        send(
            &url,
            r#"{"action": "sweep"}"#,
            &[("RequestID", &format!("r-{i}"))],
        )
        .await;
    }
    let listed = cli(
        &macie,
        &["dead-letters", "list", "--json", "--queue-url", &url],
    );
    let all = ok_json(&listed);
    let ids: std::collections::BTreeSet<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 60, "every message, each once");
    assert_eq!(counts(&url).await, (60, 0), "nothing hidden by the listing");

    // Another reader (a replay in another terminal) holds five.
    let taken = sqs()
        .await
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(5)
        .visibility_timeout(600)
        .send()
        .await
        .unwrap();
    assert_eq!(taken.messages().len(), 5);
    let out = cli(&macie, &["dead-letters", "list", "--queue-url", &url]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("55 dead letter(s) waiting")
            && text.contains("not complete: about 5 message(s) not seen: 5 held by another reader"),
        "{text}"
    );
    assert_eq!(counts(&url).await, (55, 5));

    let out = cli(
        &macie,
        &[
            "dead-letters",
            "replay",
            "--all",
            "--dry-run",
            "--queue-url",
            &url,
            "--account",
            ACCOUNT,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("0 replayed, 55 kept in the queue")
            && text.contains("not all: about 5 message(s) not seen: 5 held by another reader"),
        "{text}"
    );
    assert_eq!(
        counts(&url).await,
        (55, 5),
        "the dry run let go of what it held"
    );
}

/// The S3 event a function never takes, a Health event of another account, and the stack's
/// own job decision that the central-bus rule failed to deliver (its dead letter names the
/// rule and the bus): the first two are kept, each with why, the exit non-zero; the decision
/// is put on the bus it was for (a rule there delivers it to a queue) and only then deleted.
#[tokio::test(flavor = "multi_thread")]
async fn what_no_function_acts_on_is_kept_and_forwarded_events_reach_their_bus() {
    let macie = macie();
    let url = queue("dlq-kinds").await;
    let s3 = json!({
        "version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created", "source": "aws.s3", "account": ACCOUNT,
        "time": "2021-11-12T00:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:s3:::example-bucket"],
        "detail": {"version": "0", "bucket": {"name": "example-bucket"},
            "object": {"key": "example-key", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184"},
            "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012",
            "source-ip-address": "1.2.3.4", "reason": "PutObject"}
    });
    send(&url, &s3.to_string(), &[("RequestID", "r-s3")]).await;
    let mut foreign = testkit::event("health-paused-job-expiration.json");
    foreign["account"] = json!("210987654321");
    send(&url, &foreign.to_string(), &[("RequestID", "r-foreign")]).await;

    // The central bus, and a rule on it that hands what arrives to a queue we can read.
    let events = {
        let conf = aws_sdk_eventbridge::config::Builder::from(&testkit::sdk_config().await)
            .endpoint_url(&moto().url)
            .build();
        aws_sdk_eventbridge::Client::from_conf(conf)
    };
    let bus_name = format!("central-{}-{}", std::process::id(), rand_suffix());
    let bus_arn = events
        .create_event_bus()
        .name(&bus_name)
        .send()
        .await
        .unwrap()
        .event_bus_arn()
        .unwrap()
        .to_string();
    let arrived = queue("central-arrivals").await;
    let arrived_arn = format!(
        "arn:aws:sqs:us-east-1:{ACCOUNT}:{}",
        arrived.rsplit('/').next().unwrap()
    );
    events
        .put_rule()
        .name("all-decisions")
        .event_bus_name(&bus_name)
        .event_pattern(r#"{"source": ["macie-guard"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("all-decisions")
        .event_bus_name(&bus_name)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(&arrived_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let decision = testkit::event("sent/macie-guard-job-decision.json").to_string();
    send(
        &url,
        &decision,
        &[
            ("RULE_ARN", FORWARD_RULE),
            ("TARGET_ARN", &bus_arn),
            ("ERROR_CODE", "NO_PERMISSIONS"),
            (
                "ERROR_MESSAGE",
                "Not authorized to put events on the target bus",
            ),
        ],
    )
    .await;
    let listed = cli(&macie, &["dead-letters", "list", "--queue-url", &url]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.contains(&format!("for:   event bus {bus_name}: action"))
            || text.contains(&format!(
                "for:   event bus {bus_name}: Macie Guard Job Decision"
            )),
        "{text}"
    );

    let table = testkit::journal_table("dead-letters-kinds").await;
    let out = replay_all(&macie, &url, &table);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.matches("nothing acted on it, kept").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("Object Created") && text.contains("210987654321"),
        "each says why: {text}"
    );
    assert!(
        text.contains(&format!("replayed, deleted: put on event bus {bus_name}"))
            || text.contains(&format!("replayed, deleted: put on event bus {bus_arn}")),
        "{text}"
    );
    assert!(text.contains("1 replayed, 2 kept in the queue"), "{text}");
    assert_eq!(count(&url).await, 2);
    assert_eq!(macie.calls("UpdateClassificationJob"), 0);
    let got = sqs()
        .await
        .receive_message()
        .queue_url(&arrived)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let got = got.messages();
    assert_eq!(got.len(), 1, "the decision reached the central bus");
    let body: Value = serde_json::from_str(got[0].body().unwrap()).unwrap();
    assert_eq!(body["detail-type"], "Macie Guard Job Decision");
    assert_eq!(body["detail"]["jobId"], "3ce0a28b1a5a9e3d1c0f7ef3a3c0ab12");
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
    assert_eq!(out.status.code(), Some(3));
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
    /// What the function makes of every event: None, it acts; Some(why), it does not.
    not_acted: Option<&'static str>,
    seen: std::sync::Mutex<usize>,
    forwarded: std::sync::Mutex<Vec<String>>,
}

impl Fake {
    fn new(fail: bool, not_acted: Option<&'static str>) -> Fake {
        Fake {
            fail,
            not_acted,
            seen: Default::default(),
            forwarded: Default::default(),
        }
    }
}

impl Handler for Fake {
    async fn handle(&self, _event: Routed) -> macie_guard::error::Result<Handled> {
        *self.seen.lock().unwrap() += 1;
        if self.fail {
            return Err(macie_guard::Error::malformed(
                "Macie answered ThrottlingException",
            ));
        }
        Ok(match self.not_acted {
            Some(why) => Handled::NotActed(why.into()),
            None => Handled::Done("1 paused job(s) scanned, 1 handled".into()),
        })
    }

    async fn forward(
        &self,
        bus: &EventBus,
        entry: &BusEntry,
    ) -> macie_guard::error::Result<String> {
        if self.fail {
            return Err(macie_guard::Error::malformed("AccessDeniedException"));
        }
        self.forwarded
            .lock()
            .unwrap()
            .push(format!("{} {}", bus.name, entry.detail_type));
        Ok(format!("put on event bus {}", bus.arn))
    }
}

fn letter(id: &str, body: &str) -> DeadLetter {
    let attrs: BTreeMap<String, String> = [("RequestID".to_string(), "r".to_string())].into();
    DeadLetter::read(id, body, &attrs, None, None)
}

fn forwarded_letter(id: &str, bus_arn: &str) -> DeadLetter {
    let body = testkit::event("sent/macie-guard-job-decision.json").to_string();
    let attrs: BTreeMap<String, String> = [
        ("RULE_ARN".to_string(), FORWARD_RULE.to_string()),
        ("TARGET_ARN".to_string(), bus_arn.to_string()),
        ("ERROR_CODE".to_string(), "NO_PERMISSIONS".to_string()),
    ]
    .into();
    DeadLetter::read(id, &body, &attrs, None, None)
}

const FORWARD_RULE: &str =
    "arn:aws:events:us-east-1:123456789012:rule/guard-ForwardToCentralBusRule-9ZY8";

#[tokio::test]
async fn the_replay_deletes_only_what_succeeded() {
    let sweep = r#"{"action": "sweep"}"#;
    // --id: only that one is handled; the others are let go at once.
    let q = MemoryQueue::with(vec![
        letter("a", sweep),
        letter("b", sweep),
        letter("c", "{}"),
    ]);
    let ok = Fake::new(false, None);
    let r = replay(&q, &ok, &Select::Id("b".into()), false)
        .await
        .unwrap();
    assert_eq!(r.results.len(), 1);
    assert!(r.ok());
    assert!(matches!(r.results[0].1, Replayed::Done { .. }));
    assert_eq!(*q.deleted.lock().unwrap(), vec!["b".to_string()]);
    assert_eq!(
        *q.released.lock().unwrap(),
        vec!["a".to_string(), "c".to_string()]
    );
    assert_eq!(*ok.seen.lock().unwrap(), 1);
    // --all, failing: nothing deleted, everything let go, the reasons kept.
    let bad = Fake::new(true, None);
    let r = replay(&q, &bad, &Select::All, false).await.unwrap();
    assert!(q.deleted.lock().unwrap().len() == 1);
    assert!(!r.ok());
    assert!(matches!(&r.results[0].1, Replayed::Failed { error } if error.contains("Throttling")));
    assert!(matches!(&r.results[1].1, Replayed::NotReplayable { .. }));
    assert_eq!(
        *bad.seen.lock().unwrap(),
        1,
        "the non-event is never handled"
    );
    // Dry run: nothing handled, nothing deleted.
    let dry = Fake::new(false, None);
    let r = replay(&q, &dry, &Select::All, true).await.unwrap();
    assert!(r
        .results
        .iter()
        .all(|(_, x)| !matches!(x, Replayed::Done { .. })));
    assert_eq!(*dry.seen.lock().unwrap(), 0);
    assert_eq!(q.letters.lock().unwrap().len(), 2);
    // An unknown id: an error naming the ids there, everything let go.
    let e = replay(&q, &ok, &Select::Id("zzz".into()), false)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("zzz") && e.contains("a, c"), "{e}");
}

/// A dead letter is deleted only when what it was meant to do was done: an event its function
/// does not act on is kept and said; a forwarding rule's event is put on its bus, and kept
/// when that fails; messages another reader holds make `--all` say what it did not see.
#[tokio::test]
async fn nothing_is_deleted_that_was_not_done() {
    let bus = "arn:aws:events:eu-west-1:999999999999:event-bus/central";
    let q = MemoryQueue::with(vec![
        letter(
            "s3",
            r#"{"detail-type": "Object Created", "source": "aws.s3", "detail": {}}"#,
        ),
        forwarded_letter("fwd", bus),
    ]);
    let declines = Fake::new(
        false,
        Some("aws.s3 / Object Created events are not handled by the expiry guard"),
    );
    let r = replay(&q, &declines, &Select::All, false).await.unwrap();
    assert!(!r.ok());
    assert!(
        matches!(&r.results[0].1, Replayed::NotActed { why } if why.contains("Object Created"))
    );
    assert!(matches!(&r.results[1].1, Replayed::Done { outcome } if outcome.contains(bus)));
    assert_eq!(
        *declines.forwarded.lock().unwrap(),
        vec!["central Macie Guard Job Decision".to_string()],
        "the decision went to the bus it was for, not to a function"
    );
    assert_eq!(*declines.seen.lock().unwrap(), 1);
    assert_eq!(*q.deleted.lock().unwrap(), vec!["fwd".to_string()]);
    assert_eq!(q.letters.lock().unwrap().len(), 1, "the S3 event is kept");

    // A bus that refuses: kept, with the reason.
    let q = MemoryQueue::with(vec![forwarded_letter("fwd", bus)]);
    let r = replay(&q, &Fake::new(true, None), &Select::All, false)
        .await
        .unwrap();
    assert!(
        matches!(&r.results[0].1, Replayed::Failed { error } if error.contains("AccessDenied"))
    );
    assert!(q.deleted.lock().unwrap().is_empty());

    // Another reader holds two: --all replays what it holds and says it did not see them.
    let q = MemoryQueue::with(vec![letter("a", r#"{"action": "sweep"}"#)]).held_elsewhere(2);
    let r = replay(&q, &Fake::new(false, None), &Select::All, false)
        .await
        .unwrap();
    assert!(matches!(&r.results[0].1, Replayed::Done { .. }));
    assert_eq!(r.unseen.in_flight, 2);
    assert!(!r.ok(), "--all did not see all");
    let text = macie_guard_core::tell::deadletters::replay_text(&r.results, &r.unseen);
    assert!(
        text.contains("1 replayed, 0 kept in the queue")
            && text.contains("not all: about 2 message(s) not seen: 2 held by another reader"),
        "{text}"
    );
}
