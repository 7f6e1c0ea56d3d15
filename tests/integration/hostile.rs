//! Hostile and broken input through both handlers, against a live local Macie: the corpus in
//! tests/corpus/ plus huge and deeply nested events made here. Never a panic, never a
//! changing call, always a clear error or an explicit "ignored".
//!
//! Corpus names say what is expected: `expiry-malformed-*` / `export-malformed-*` /
//! `both-malformed-*` are rejected by that handler with MalformedEvent; `*-ignored-*` end in
//! "ignored"; `any-*` only have to be survived. `.txt` files are not JSON at all: the Lambda
//! runtime rejects them before any handler runs, as `serde_json` does here.

use lambda_runtime::{Context, LambdaEvent};
use macie_guard::expiry::lambda::ExpiryFunction;
use macie_guard::export::lambda::ExportFunction;
use macie_guard::export::sources::AwsSources;
use macie_guard::outbound::print::PrintNotifier;
use macie_guard_core::expiry::settings::ExpiryConfig;
use serde_json::{json, Value};
use testkit::{macie_client, stand_in_config, workspace_root, LocalMacie, ACCOUNT, REGION};

struct Handlers {
    macie: LocalMacie,
    expiry: ExpiryFunction<
        aws_sdk_macie2::Client,
        PrintNotifier,
        macie_guard::journal::memory::MemoryJournal,
    >,
    export: ExportFunction<AwsSources, PrintNotifier>,
}

async fn handlers() -> Handlers {
    // A job in the action window whose policy changes nothing, and a job outside the window
    // whose policy would: no hostile event may change either.
    let macie = LocalMacie::start(Some(&json!({
        "jobs": [
            {"jobId": "3ce05dbb7ec5505def334104bf4fc3b4", "name": "in-window", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "tags": {"macie-guard:on-expiry": "notify"}},
            {"jobId": "aaaabbbbccccddddeeeeffff00001111", "name": "decoy", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 3, "tags": {"macie-guard:on-expiry": "resume"}}
        ],
        "exportConfiguration": {"s3Destination": {"bucketName": "results", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}
    })));
    let expiry = ExpiryFunction {
        journal: macie_guard::journal::memory::MemoryJournal::new(),
        macie: macie_client(macie.url()).await,
        outbound: PrintNotifier,
        config: ExpiryConfig::default(),
        region: REGION.into(),
        fallback_account: None,
        schedules: None,
        runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
    };
    let export = ExportFunction {
        sources: AwsSources::new(stand_in_config(macie.url()).await),
        outbound: PrintNotifier,
        regions: vec![REGION.into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        fallback_account: None,
        runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
    };
    Handlers {
        macie,
        expiry,
        export,
    }
}

fn ctx(name: &str) -> Context {
    let mut c = Context::default();
    c.invoked_function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}");
    c
}

impl Handlers {
    async fn run(
        &self,
        value: &Value,
    ) -> (
        Result<Value, macie_guard::Error>,
        Result<Value, macie_guard::Error>,
    ) {
        let e = self
            .expiry
            .handle(LambdaEvent::new(value.clone(), ctx("expiry-guard")))
            .await;
        let x = self
            .export
            .handle(LambdaEvent::new(value.clone(), ctx("export-guard")))
            .await;
        (e, x)
    }

    fn no_change(&self, what: &str) {
        assert_eq!(
            self.macie.calls("UpdateClassificationJob"),
            0,
            "{what}: a changing call was made"
        );
    }
}

fn ignored(r: &Result<Value, macie_guard::Error>) -> bool {
    match r {
        Ok(v) => {
            v["trigger"] == "ignored"
                || v["trigger"] == "elsewhere"
                || !v["ignored"].is_null() && v["ignored"] != json!([])
        }
        Err(_) => false,
    }
}

fn malformed(r: &Result<Value, macie_guard::Error>) -> bool {
    matches!(r, Err(e) if e.kind() == "MalformedEvent")
}

#[tokio::test]
async fn the_corpus_is_survived_and_changes_nothing() {
    let h = handlers().await;
    let dir = workspace_root().join("tests/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        seen += 1;
        let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
            assert!(name.ends_with(".txt"), "{name} should be JSON");
            continue;
        };
        assert!(
            !name.ends_with(".txt"),
            "{name} parsed as JSON but is meant not to"
        );
        let (e, x) = h.run(&value).await;
        let expect = |prefix: &str,
                      r: &Result<Value, macie_guard::Error>,
                      f: fn(&Result<Value, macie_guard::Error>) -> bool| {
            if name.starts_with(prefix) {
                assert!(f(r), "{name}: {r:?}");
            }
        };
        expect("expiry-malformed-", &e, malformed);
        expect("export-malformed-", &x, malformed);
        expect("both-malformed-", &e, malformed);
        expect("both-malformed-", &x, malformed);
        expect("expiry-ignored-", &e, ignored);
        expect("export-ignored-", &x, ignored);
        for r in [&e, &x] {
            if let Err(err) = r {
                let text = err.to_string();
                assert!(
                    !text.is_empty() && text.len() < 2_000,
                    "{name}: a clear, bounded message: {text}"
                );
            }
        }
        h.no_change(&name);
    }
    assert!(seen >= 25, "the corpus is there: {seen} files");
}

#[tokio::test]
async fn huge_and_deep_events_are_survived() {
    let h = handlers().await;
    let base: Value = testkit::event("health-paused-job-expiration.json");

    // 100,000 entities, none of them a job of ours: ignored, found without a sweep.
    let mut huge = base.clone();
    huge["detail"]["affectedEntities"] = Value::Array(
        (0..100_000)
            .map(|i| json!({"entityValue": format!("arn:aws:macie2:us-east-1:999999999999:classification-job/{:032x}", i)}))
            .collect(),
    );
    let (e, _) = h.run(&huge).await;
    assert!(
        ignored(&e),
        "{:?}",
        e.as_ref().map(|v| v["trigger"].clone())
    );
    assert_eq!(
        h.macie.calls("ListClassificationJobs"),
        0,
        "foreign jobs cost no call"
    );

    // A 1 MB string where a code belongs.
    let mut long = base.clone();
    long["detail"]["eventTypeCode"] = json!("A".repeat(1 << 20));
    let (e, _) = h.run(&long).await;
    assert!(ignored(&e));
    assert!(e.unwrap().to_string().len() < 2 << 20);

    // Nesting far deeper than serde_json's recursion limit: the runtime's own parse fails.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(serde_json::from_str::<Value>(&deep).is_err());
    // Nested just below it, inside the detail: parsed, and rejected or ignored.
    let mut nested = json!("x");
    for _ in 0..100 {
        nested = json!({"a": [nested]});
    }
    let mut odd = base.clone();
    odd["detail"]["affectedEntities"] = json!([{"entityValue": nested}]);
    let (e, x) = h.run(&odd).await;
    assert!(malformed(&e), "{e:?}");
    assert!(ignored(&x));
    h.no_change("huge and deep");
}

#[tokio::test]
async fn duplicated_events_change_a_job_at_most_once() {
    let macie = LocalMacie::start(Some(
        &json!({"jobs": [{"jobId": "3ce05dbb7ec5505def334104bf4fc3b4", "name": "dup",
        "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "tags": {"macie-guard:on-expiry": "keep-paused"}}]}),
    ));
    let f = ExpiryFunction {
        journal: macie_guard::journal::memory::MemoryJournal::new(),
        macie: macie_client(macie.url()).await,
        outbound: PrintNotifier,
        config: ExpiryConfig::default(),
        region: REGION.into(),
        fallback_account: None,
        schedules: None,
        runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
    };
    let ev = testkit::event("health-paused-job-expiration.json");
    let mut tasks = Vec::new();
    for _ in 0..5 {
        tasks.push(f.handle(LambdaEvent::new(ev.clone(), ctx("expiry-guard"))));
    }
    // Five deliveries one after the other: keep-paused happens once (two updates).
    for t in tasks {
        t.await.expect("each delivery succeeds");
    }
    assert_eq!(macie.calls("UpdateClassificationJob"), 2);
}
