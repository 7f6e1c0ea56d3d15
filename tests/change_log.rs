//! Never silent, in the log: a change is logged the moment it is made, before anything else
//! can fail. Its own test binary, so the captured subscriber sees every callsite (tracing
//! caches a callsite's interest per process).

#[path = "integration/common/mod.rs"]
mod common;

use macie_guard::error::Result;
use macie_guard::outbound::Outbound;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::tell::notification::Notification;
use serde_json::{json, Value};
use testkit::{macie_client, LocalMacie};
use tokio::sync::Notify;

use common::LogBuffer as Buf;

/// The process dies as it starts to publish: the call is never made, nothing after it runs.
#[derive(Default)]
struct DiesOnPublish(Notify);

impl Outbound for DiesOnPublish {
    async fn publish(&self, _n: &Notification) -> Result<()> {
        self.0.notify_one();
        std::future::pending().await
    }
}

const JOB: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";

#[tokio::test(flavor = "current_thread")]
async fn a_change_is_logged_when_it_is_made_even_if_the_invocation_then_dies() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .with_env_filter(macie_guard::logging::filter("info", true))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let macie = LocalMacie::start(Some(&json!({"jobs": [
        {"jobId": JOB, "name": "keep", "jobType": "ONE_TIME", "jobStatus": "USER_PAUSED",
         "pausedDaysAgo": 29.0, "tags": {"macie-guard:on-expiry": "keep-paused"}}
    ]})));
    let dies = DiesOnPublish::default();
    let g = common::guard(
        macie_client(macie.url()).await,
        &dies,
        ExpiryConfig::default(),
    );
    tokio::select! {
        _ = common::sweep(&g) => panic!("the run should die before publishing"),
        _ = dies.0.notified() => {}
    }
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let changes: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "job changed")
        .collect();
    assert_eq!(changes.len(), 2, "resume and pause, each logged: {text}");
    assert!(changes
        .iter()
        .all(|c| c["fields"]["job_id"] == JOB && c["fields"]["name"] == "keep"));
    assert_eq!(changes[0]["fields"]["to"], "RUNNING");
    assert_eq!(changes[1]["fields"]["from"], "RUNNING");
    assert_eq!(changes[1]["fields"]["to"], "USER_PAUSED");
    assert_eq!(macie.calls("UpdateClassificationJob"), 2);
}
