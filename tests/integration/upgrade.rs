//! Upgrades keep their promises: the journal's entries as the version before wrote them
//! (tests/fixtures/journal/schema-1.json) are finished by this one; an entry of a newer schema
//! stops this one with a clear error and no change; and a stack update while a sweep is in
//! flight (the old code killed between any two calls, the new code running next) leaves every
//! job as its policy says, as the crash tests do.

use crate::journal::{crash_then_finish, paused, sweep, Rig, KEEP, RESUME};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use macie_guard::error::{Error, Result};
use macie_guard::journal::dynamo::DynamoJournal;
use macie_guard::journal::{Claim, Entry, Journal, SCHEMA_VERSION};
use macie_guard_core::expiry::outcome::Outcome;
use serde_json::{json, Value};
use std::collections::HashMap;
use testkit::{ACCOUNT, REGION};

/// DynamoDB's JSON (`{"S": ...}`, `{"N": ...}`) as the SDK's attribute values.
fn item(v: &Value) -> HashMap<String, AttributeValue> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, a)| {
            let av = if let Some(s) = a.get("S") {
                AttributeValue::S(s.as_str().unwrap().into())
            } else if let Some(n) = a.get("N") {
                AttributeValue::N(n.as_str().unwrap().into())
            } else {
                panic!("{k}: {a}")
            };
            (k.clone(), av)
        })
        .collect()
}

async fn paused_at(rig: &Rig, id: &str) -> String {
    rig.client
        .describe_classification_job()
        .job_id(id)
        .send()
        .await
        .unwrap()
        .user_paused_details()
        .and_then(|d| d.job_paused_at())
        // As the guard writes it (src/expiry/jobs/aws.rs: seconds and nanoseconds, RFC 3339).
        .map(|t| {
            DateTime::from_timestamp(t.secs(), t.subsec_nanos())
                .unwrap()
                .to_rfc3339()
        })
        .unwrap()
}

async fn put(rig: &Rig, items: &[Value]) {
    let client = rig.journal().await.client;
    for i in items {
        client
            .put_item()
            .table_name(&rig.table)
            .set_item(Some(item(i)))
            .send()
            .await
            .unwrap();
    }
}

async fn raw(rig: &Rig, job: &str) -> HashMap<String, AttributeValue> {
    rig.journal()
        .await
        .client
        .get_item()
        .table_name(&rig.table)
        .key("scope", AttributeValue::S(format!("{ACCOUNT}#{REGION}")))
        .key("jobId", AttributeValue::S(job.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item()
        .cloned()
        .unwrap_or_default()
}

/// What the version before left, this one finishes: its open entry (the run died after its
/// claim) is carried out once and reported, its receipt keeps the change from being made again.
#[tokio::test]
async fn entries_the_version_before_wrote_are_finished() {
    let rig = Rig::new(json!([
        paused(RESUME, "resume", "ONE_TIME", 29.0, "resume"),
        paused(KEEP, "keep", "ONE_TIME", 29.0, "keep-paused"),
    ]))
    .await;
    let fixture = std::fs::read_to_string(
        testkit::workspace_root().join("tests/fixtures/journal/schema-1.json"),
    )
    .unwrap()
    .replace("${RESUME_PAUSED_AT}", &paused_at(&rig, RESUME).await)
    .replace("${KEEP_PAUSED_AT}", &paused_at(&rig, KEEP).await);
    let fixture: Value = serde_json::from_str(&fixture).unwrap();
    let items = fixture["items"].as_array().unwrap();
    assert!(
        items.iter().all(|i| i.get("schemaVersion").is_none()),
        "schema 1 has no version"
    );
    put(&rig, items).await;

    let s = rig
        .guard(rig.journal().await)
        .await
        .handle(&sweep(), Utc::now())
        .await
        .unwrap();
    assert_eq!(s.recovered, 1, "the open entry of the version before");
    let resumed = s.jobs.iter().find(|j| j.job_id == RESUME).unwrap();
    assert_eq!(resumed.outcome, Outcome::Done);
    assert_eq!(rig.status(RESUME).await.0, "RUNNING");
    // The receipt: keep-paused was carried out for this very pause; not again.
    assert_eq!(rig.status(KEEP).await.0, "USER_PAUSED");
    assert_eq!(rig.updates(), 1, "the resume only");
    assert!(rig.open_entries().await.is_empty());
    assert_eq!(rig.reported_done().get(RESUME), Some(&1));
    // What this version wrote carries its schema.
    assert_eq!(
        raw(&rig, RESUME).await["schemaVersion"].as_n().unwrap(),
        &SCHEMA_VERSION.to_string()
    );
}

/// An open entry of a newer schema (a rollback while the newer version had a change open):
/// a clear error naming the job and the schemas, and nothing changed.
#[tokio::test]
async fn an_entry_of_a_newer_version_stops_this_one_and_changes_nothing() {
    let rig = Rig::new(json!([paused(
        RESUME, "resume", "ONE_TIME", 29.0, "resume"
    )]))
    .await;
    let newer = SCHEMA_VERSION + 1;
    let entry = json!({
        "scope": {"S": format!("{ACCOUNT}#{REGION}")}, "jobId": {"S": RESUME},
        "owner": {"S": "newer#1"}, "leaseUntil": {"N": "0"}, "action": {"S": "resume"},
        "policy": {"S": "resume"}, "pausedAt": {"S": paused_at(&rig, RESUME).await},
        "name": {"S": "resume"}, "decidedAt": {"S": ""}, "expiresAt": {"N": "1768557600"},
        "schemaVersion": {"N": newer.to_string()}, "somethingNew": {"S": "unknown to us"}
    });
    put(&rig, &[entry]).await;
    let before = raw(&rig, RESUME).await;

    let err = rig
        .guard(rig.journal().await)
        .await
        .handle(&sweep(), Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::JournalSchema { found, supported, .. } if found == newer && supported == SCHEMA_VERSION),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(RESUME) && msg.contains("nothing was changed") && msg.contains(&rig.table),
        "{msg}"
    );
    assert_eq!(rig.updates(), 0);
    assert_eq!(raw(&rig, RESUME).await, before, "the entry untouched");

    // A claim on that job (a Health event) is refused the same way, the entry kept.
    let journal = rig.journal().await;
    let claim = Entry {
        job_id: RESUME.into(),
        owner: "older#1".into(),
        lease_until: Utc::now().timestamp() + 45,
        action: macie_guard_core::expiry::plan::Action::Resume,
        policy: macie_guard_core::expiry::policy::Policy::Resume,
        paused_at: paused_at(&rig, RESUME).await,
        name: "resume".into(),
        decided_at: String::new(),
    };
    let r: Result<Claim> = journal
        .claim(
            &format!("{ACCOUNT}#{REGION}"),
            &claim,
            Utc::now().timestamp(),
        )
        .await;
    assert!(matches!(r, Err(Error::JournalSchema { .. })), "{r:?}");
    assert_eq!(raw(&rig, RESUME).await, before);
}

/// The journal as the version before writes it: every item without `schemaVersion`.
struct AsTheVersionBefore(DynamoJournal);

impl Journal for AsTheVersionBefore {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        self.0.entries(scope).await
    }
    async fn open_scopes(&self) -> Result<Vec<String>> {
        self.0.open_scopes().await
    }
    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        let claim = self.0.claim(scope, entry, now).await?;
        self.0
            .client
            .update_item()
            .table_name(&self.0.table)
            .key("scope", AttributeValue::S(scope.into()))
            .key("jobId", AttributeValue::S(entry.job_id.clone()))
            .update_expression("REMOVE schemaVersion")
            .send()
            .await
            .unwrap();
        Ok(claim)
    }
    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        self.0.release(scope, job_id, owner, made).await
    }
    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        self.0.hand_over(scope, job_id, owner).await
    }
    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        self.0.renew(scope, job_id, owner, until).await
    }
    async fn watch(&self, scope: &str, watch: &macie_guard::journal::Watch) -> Result<()> {
        self.0.watch(scope, watch).await
    }
    async fn watches(&self, scope: &str) -> Result<Vec<macie_guard::journal::Watch>> {
        self.0.watches(scope).await
    }
    async fn unwatch(&self, scope: &str, job_id: &str) -> Result<()> {
        self.0.unwatch(scope, job_id).await
    }
}

/// A stack update while a sweep is in flight: the old code dies between any two of its calls,
/// the new code runs next; every job ends as its policy says, each change once and reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_in_the_middle_of_a_sweep_keeps_every_promise() {
    crash_then_finish(AsTheVersionBefore).await;
}
