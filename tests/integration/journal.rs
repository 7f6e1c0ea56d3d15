//! The expiry guard's promises under crashes, overlap and deadlines, through the real SDK
//! clients over HTTP: the local Macie for jobs, moto for the DynamoDB journal and SNS.
//!
//! - Once, and to completion: an invocation killed between any two calls leaves every job
//!   changed at most once per decision, and the next invocation finishes what it left.
//! - Never silent: the jobs changed equal the jobs reported, whatever the crash point.
//! - Overlap: three sweeps at once change each job once.
//! - Time budget: a sweep stops taking jobs before its deadline and says how many it left.
//!
//! Why one file this long: the crash points, the overlap and the retry share one harness that
//! kills a run between any two calls; the harness and its users stay together.

use chrono::{DateTime, Duration, Utc};
use macie_guard::error::Result;
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::expiry::jobs::{DescribedJob, MacieJobs, Page, Target, UpdateError};
use macie_guard::journal::dynamo::DynamoJournal;
use macie_guard::journal::{Claim, Entry, Journal, Watch};
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard::outbound::Outbound;
use macie_guard_core::delivery::Told;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::{NewJob, Outcome, Summary};
use macie_guard_core::expiry::policy::Policy;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::notification::Notification;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use testkit::{
    dynamodb_client, journal_table, macie_client, moto, sns_client, sns_messages, topic,
    LocalMacie, ACCOUNT, REGION,
};
use tokio::sync::Notify;

/// Counts every call to any port; at call number `at` the "process" dies: the call is not
/// made and nothing after it runs (the future never completes and is dropped).
pub(crate) struct Tripwire {
    calls: AtomicUsize,
    at: usize,
    pub(crate) hit: Notify,
}

impl Tripwire {
    pub(crate) fn new(at: usize) -> Arc<Tripwire> {
        Arc::new(Tripwire {
            calls: AtomicUsize::new(0),
            at,
            hit: Notify::new(),
        })
    }

    async fn step(&self) {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.at {
            self.hit.notify_one();
            std::future::pending::<()>().await;
        }
    }
}

pub(crate) struct Crashing<T> {
    pub(crate) inner: T,
    pub(crate) trip: Arc<Tripwire>,
}

impl<T: MacieJobs> MacieJobs for Crashing<T> {
    async fn list_paused(&self, t: Option<String>) -> Result<Page> {
        self.trip.step().await;
        self.inner.list_paused(t).await
    }
    async fn describe(&self, id: &str) -> Result<Option<DescribedJob>> {
        self.trip.step().await;
        self.inner.describe(id).await
    }
    async fn update(&self, id: &str, to: Target) -> std::result::Result<(), UpdateError> {
        self.trip.step().await;
        self.inner.update(id, to).await
    }
    async fn missing(&self, request: &Value) -> Result<Vec<String>> {
        self.trip.step().await;
        self.inner.missing(request).await
    }
    async fn standing(&self, original: &str, name: &str) -> Result<Option<String>> {
        self.trip.step().await;
        self.inner.standing(original, name).await
    }
    async fn create(&self, request: &Value) -> Result<NewJob> {
        self.trip.step().await;
        self.inner.create(request).await
    }
}

impl<T: Journal> Journal for Crashing<T> {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        self.trip.step().await;
        self.inner.entries(scope).await
    }
    async fn open_scopes(&self) -> Result<Vec<String>> {
        self.trip.step().await;
        self.inner.open_scopes().await
    }
    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        self.trip.step().await;
        self.inner.claim(scope, entry, now).await
    }
    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        self.trip.step().await;
        self.inner.release(scope, job_id, owner, made).await
    }
    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        self.trip.step().await;
        self.inner.hand_over(scope, job_id, owner).await
    }
    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        self.trip.step().await;
        self.inner.renew(scope, job_id, owner, until).await
    }
    async fn watch(&self, scope: &str, watch: &Watch) -> Result<()> {
        self.trip.step().await;
        self.inner.watch(scope, watch).await
    }
    async fn watches(&self, scope: &str) -> Result<Vec<Watch>> {
        self.trip.step().await;
        self.inner.watches(scope).await
    }
    async fn unwatch(&self, scope: &str, job_id: &str) -> Result<()> {
        self.trip.step().await;
        self.inner.unwatch(scope, job_id).await
    }
}

impl<T: Outbound> Outbound for Crashing<T> {
    async fn publish(&self, n: &Notification) -> Result<()> {
        self.trip.step().await;
        self.inner.publish(n).await
    }
}

pub(crate) fn paused(id: &str, name: &str, job_type: &str, days: f64, policy: &str) -> Value {
    json!({"jobId": id, "name": name, "jobType": job_type, "jobStatus": "USER_PAUSED",
        "pausedDaysAgo": days, "tags": {"macie-guard:on-expiry": policy}})
}

pub(crate) const KEEP: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
pub(crate) const CANCEL: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";
pub(crate) const RESUME: &str = "ccccccccccccccccccccccccccccccc3";
pub(crate) const RECURRING: &str = "ddddddddddddddddddddddddddddddd4";

pub(crate) struct Rig {
    pub(crate) macie: LocalMacie,
    pub(crate) client: aws_sdk_macie2::Client,
    pub(crate) table: String,
    pub(crate) topic: String,
}

impl Rig {
    pub(crate) async fn new(jobs: Value) -> Rig {
        let macie = LocalMacie::start(Some(&json!({ "jobs": jobs })));
        let client = macie_client(macie.url()).await;
        Rig {
            client,
            macie,
            table: journal_table("journal").await,
            topic: topic("journal").await,
        }
    }

    pub(crate) async fn journal(&self) -> DynamoJournal {
        DynamoJournal {
            client: dynamodb_client(&moto().url).await,
            table: self.table.clone(),
        }
    }

    pub(crate) async fn notifier(&self) -> SnsNotifier {
        SnsNotifier {
            client: sns_client(&moto().url).await,
            topic_arn: self.topic.clone(),
            chat: false,
        }
    }

    /// A guard over this rig's Macie and topic with the given journal, as deployed.
    pub(crate) async fn guard<J: Journal>(
        &self,
        journal: J,
    ) -> ExpiryGuard<aws_sdk_macie2::Client, SnsNotifier, J> {
        ExpiryGuard::new(
            self.client.clone(),
            self.notifier().await,
            config(),
            Scope::new(ACCOUNT, REGION),
        )
        .with_journal(journal)
    }

    pub(crate) async fn status(&self, id: &str) -> (String, Option<i64>) {
        let out = self
            .client
            .describe_classification_job()
            .job_id(id)
            .send()
            .await
            .unwrap();
        let left = out
            .user_paused_details()
            .and_then(|d| d.job_expires_at())
            .map(|e| (e.secs() - Utc::now().timestamp()) / 86_400);
        (out.job_status().unwrap().as_str().to_string(), left)
    }

    pub(crate) fn updates(&self) -> u64 {
        self.macie.calls("UpdateClassificationJob")
    }

    /// Job id -> how many notifications reported it done.
    pub(crate) fn reported_done(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for m in sns_messages(&self.topic) {
            let json = m
                .message
                .split("---- details (JSON) ----\n")
                .nth(1)
                .expect("the JSON part");
            let facts: Value = serde_json::from_str(json).expect("facts are JSON");
            for j in facts["jobs"].as_array().unwrap() {
                if j["outcome"] == "done" {
                    *out.entry(j["job_id"].as_str().unwrap().to_string())
                        .or_default() += 1;
                }
            }
        }
        out
    }

    pub(crate) async fn open_entries(&self) -> Vec<Entry> {
        self.journal()
            .await
            .entries(&format!("{ACCOUNT}#{REGION}"))
            .await
            .unwrap()
    }
}

pub(crate) fn config() -> ExpiryConfig {
    ExpiryConfig {
        default_policy: Policy::Notify,
        ..ExpiryConfig::default()
    }
}

pub(crate) fn sweep() -> ExpiryEvent {
    ExpiryEvent::Sweep {
        trigger: "test".into(),
    }
}

/// Runs a guard over `rig` whose process dies before its `k`-th call to any port (Macie, the
/// journal `journal`, SNS) on `event` at `now`; whether it died (else it ran to the end).
pub(crate) async fn run_until_crash<J: Journal>(
    rig: &Rig,
    k: usize,
    config: ExpiryConfig,
    journal: J,
    event: &ExpiryEvent,
    now: DateTime<Utc>,
) -> bool {
    let trip = Tripwire::new(k);
    let first = ExpiryGuard::new(
        Crashing {
            inner: rig.client.clone(),
            trip: trip.clone(),
        },
        Crashing {
            inner: rig.notifier().await,
            trip: trip.clone(),
        },
        config,
        Scope::new(ACCOUNT, REGION),
    )
    .with_journal(Crashing {
        inner: journal,
        trip: trip.clone(),
    })
    .with_owner("first");
    tokio::select! {
        r = first.handle(event, now) => { r.expect("an uninterrupted run succeeds"); false }
        _ = trip.hit.notified() => true,
    }
}

/// Kills the first invocation before its k-th call, for every k, then runs a second one
/// after the first one's lease ran out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_any_two_calls_is_finished_and_reported_by_the_next_invocation() {
    crash_then_finish(|j| j).await;
}

/// A run of the code before, killed before any call; the next run, whatever the crash point,
/// leaves every job as its policy says (the first run's journal is `journal_of(DynamoJournal)`:
/// the same, or one that writes as an older macie-guard did).
pub(crate) async fn crash_then_finish<J: Journal>(journal_of: impl Fn(DynamoJournal) -> J) {
    let jobs = json!([
        paused(KEEP, "keep", "ONE_TIME", 29.0, "keep-paused"),
        paused(CANCEL, "cancel", "ONE_TIME", 29.0, "cancel"),
        paused(RESUME, "resume", "SCHEDULED", 29.0, "resume"),
        paused(RECURRING, "recurring", "SCHEDULED", 29.0, "cancel"),
    ]);
    let now0: DateTime<Utc> = Utc::now();
    for k in 1usize.. {
        let crash_points = k - 1;
        let rig = Rig::new(jobs.clone()).await;
        let crashed = run_until_crash(
            &rig,
            k,
            ExpiryConfig {
                concurrency: 2,
                ..config()
            },
            journal_of(rig.journal().await),
            &sweep(),
            now0,
        )
        .await;
        if !crashed {
            assert!(crash_points > 10, "only {crash_points} crash points");
            // The uninterrupted run: every change once, each reported once.
            assert_eq!(rig.updates(), 4);
            break;
        }
        // The next invocation, after the first one's lease ran out.
        let second = rig.guard(rig.journal().await).await.with_owner("second");
        second
            .handle(&sweep(), now0 + Duration::minutes(20))
            .await
            .unwrap_or_else(|e| panic!("crash before call {k}: the next run failed: {e}"));

        let at = format!("crash before call {k}");
        let (keep, keep_left) = rig.status(KEEP).await;
        assert_eq!(keep, "USER_PAUSED", "{at}");
        assert!(
            keep_left.unwrap() >= 29,
            "{at}: paused again, clock restarted"
        );
        assert_eq!(rig.status(CANCEL).await.0, "CANCELLED", "{at}");
        assert_eq!(rig.status(RESUME).await.0, "RUNNING", "{at}");
        assert_eq!(
            rig.status(RECURRING).await.0,
            "USER_PAUSED",
            "{at}: cancel never ends a recurring job"
        );
        assert_eq!(
            rig.updates(),
            4,
            "{at}: keep-paused 2 + cancel 1 + resume 1, each decision once"
        );
        let reported = rig.reported_done();
        assert_eq!(
            reported.keys().cloned().collect::<BTreeSet<_>>(),
            BTreeSet::from([KEEP.to_string(), CANCEL.to_string(), RESUME.to_string()]),
            "{at}: the jobs changed are the jobs reported"
        );
        assert!(
            rig.open_entries().await.is_empty(),
            "{at}: nothing left open"
        );
    }
}

/// A failed publish: the changes stay in the outbox and the retry reports them, without
/// changing anything again.
#[tokio::test]
async fn when_the_report_cannot_be_sent_the_retry_sends_it_and_changes_nothing() {
    let rig = Rig::new(json!([paused(
        CANCEL, "cancel", "ONE_TIME", 29.0, "cancel"
    )]))
    .await;
    let broken = SnsNotifier {
        client: sns_client(&moto().url).await,
        topic_arn: format!("arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic"),
        chat: false,
    };
    let g = ExpiryGuard::new(
        rig.client.clone(),
        broken,
        config(),
        Scope::new(ACCOUNT, REGION),
    )
    .with_journal(rig.journal().await);
    let err = g.handle(&sweep(), Utc::now()).await.unwrap_err();
    assert_eq!(err.kind(), "NotificationFailed", "{err}");
    assert_eq!(rig.status(CANCEL).await.0, "CANCELLED");
    assert!(rig.reported_done().is_empty());
    assert_eq!(
        rig.open_entries().await.len(),
        1,
        "the change waits in the outbox"
    );

    // Lambda's retry, a minute later: the entry was handed over, so it is taken at once.
    let retry = rig.guard(rig.journal().await).await;
    let s = retry
        .handle(&sweep(), Utc::now() + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(s.recovered, 1);
    assert_eq!(rig.reported_done().get(CANCEL), Some(&1));
    let message = &sns_messages(&rig.topic)[0].message;
    assert!(
        message.contains("\"definition\""),
        "a cancelled job is reported with its definition"
    );
    assert_eq!(rig.updates(), 1, "nothing changed twice");
    assert!(rig.open_entries().await.is_empty());
}

/// Three sweeps at once over the same keep-paused jobs: each job is resumed once and paused
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_overlapping_sweeps_change_each_job_once() {
    const N: usize = 120;
    let jobs: Vec<Value> = (0..N)
        .map(|i| {
            paused(
                &format!("{i:032x}"),
                &format!("job-{i}"),
                "ONE_TIME",
                29.0,
                "keep-paused",
            )
        })
        .collect();
    let rig = Rig::new(json!(jobs)).await;
    let mut guards = Vec::new();
    for who in ["a", "b", "c"] {
        guards.push(rig.guard(rig.journal().await).await.with_owner(who));
    }
    let now = Utc::now();
    let ev = sweep();
    let (a, b, c) = tokio::join!(
        guards[0].handle(&ev, now),
        guards[1].handle(&ev, now),
        guards[2].handle(&ev, now)
    );
    let summaries: Vec<Told<Summary>> = vec![a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(
        rig.updates(),
        2 * N as u64,
        "one resume and one pause per job, whatever overlapped"
    );
    let done: usize = summaries.iter().map(|s| s.count(Outcome::Done)).sum();
    assert_eq!(done, N, "each job reported done by exactly one sweep");
    for i in [0, N / 2, N - 1] {
        let (status, left) = rig.status(&format!("{i:032x}")).await;
        assert_eq!(status, "USER_PAUSED");
        assert!(left.unwrap() >= 29);
    }
    assert!(rig.open_entries().await.is_empty());
}

/// A Macie whose describe takes a while, for the time budget.
struct SlowMacie {
    jobs: std::sync::Mutex<BTreeMap<String, DescribedJob>>,
    updates: AtomicUsize,
}

impl MacieJobs for SlowMacie {
    async fn list_paused(&self, _t: Option<String>) -> Result<Page> {
        Ok(Page {
            jobs: self
                .jobs
                .lock()
                .unwrap()
                .values()
                .filter(|j| j.snapshot.status.as_str() == "USER_PAUSED")
                .map(|j| j.snapshot.clone())
                .collect(),
            next_token: None,
        })
    }
    async fn describe(&self, id: &str) -> Result<Option<DescribedJob>> {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        Ok(self.jobs.lock().unwrap().get(id).cloned())
    }
    async fn update(&self, id: &str, to: Target) -> std::result::Result<(), UpdateError> {
        self.updates.fetch_add(1, Ordering::SeqCst);
        let mut jobs = self.jobs.lock().unwrap();
        let j = jobs.get_mut(id).unwrap();
        j.snapshot.status = macie_guard_core::expiry::job::JobStatus::parse(match to {
            Target::Running => "RUNNING",
            Target::UserPaused => "USER_PAUSED",
            Target::Cancelled => "CANCELLED",
        });
        Ok(())
    }
    async fn missing(&self, _request: &Value) -> Result<Vec<String>> {
        unreachable!("this Macie's jobs are never recreated")
    }
    async fn standing(&self, _original: &str, _name: &str) -> Result<Option<String>> {
        unreachable!("this Macie's jobs are never recreated")
    }
    async fn create(&self, _request: &Value) -> Result<NewJob> {
        unreachable!("this Macie's jobs are never recreated")
    }
}

#[derive(Default)]
struct Recorded(std::sync::Mutex<Vec<Notification>>);

impl Outbound for Recorded {
    async fn publish(&self, n: &Notification) -> Result<()> {
        self.0.lock().unwrap().push(n.clone());
        Ok(())
    }
}

#[tokio::test]
async fn a_sweep_stops_taking_jobs_before_its_deadline_and_says_how_many_it_left() {
    let now = Utc::now();
    let jobs: BTreeMap<String, DescribedJob> = (0..100)
        .map(|i| {
            let id = format!("{i:032x}");
            let snapshot = macie_guard_core::expiry::job::JobSnapshot {
                job_id: id.clone(),
                name: format!("job-{i}"),
                status: macie_guard_core::expiry::job::JobStatus::UserPaused,
                job_type: macie_guard_core::expiry::job::JobType::OneTime,
                paused_at: Some(now - Duration::days(29)),
                expires_at: Some(now + Duration::days(1)),
                health_event_arn: None,
                tags: Some(BTreeMap::from([(
                    "macie-guard:on-expiry".to_string(),
                    "resume".to_string(),
                )])),
            };
            (
                id,
                DescribedJob {
                    snapshot,
                    definition: json!({}),
                },
            )
        })
        .collect();
    let macie = SlowMacie {
        jobs: std::sync::Mutex::new(jobs),
        updates: AtomicUsize::new(0),
    };
    let told = Recorded::default();
    let g = ExpiryGuard::new(
        &macie,
        &told,
        ExpiryConfig {
            concurrency: 1,
            ..config()
        },
        Scope::new(ACCOUNT, REGION),
    )
    .with_deadline(Some(Utc::now() + Duration::seconds(2)));
    let s = g.handle(&sweep(), now).await.unwrap();
    let done = s.count(Outcome::Done);
    assert!(
        done > 0 && s.deferred > 0,
        "done {done}, deferred {}",
        s.deferred
    );
    assert_eq!(done + s.deferred, 100);
    assert_eq!(macie.updates.load(Ordering::SeqCst), done);
    let n = told.0.lock().unwrap()[0].clone();
    assert!(
        n.text.contains(&format!(
            "{} job(s) in the window were not looked at",
            s.deferred
        )),
        "{}",
        n.text
    );
    assert!(n.subject.contains("left for the next sweep"));
    // The next sweep takes the rest.
    let next = ExpiryGuard::new(&macie, &told, config(), Scope::new(ACCOUNT, REGION));
    let s2 = next.handle(&sweep(), now).await.unwrap();
    assert_eq!(s2.count(Outcome::Done), s.deferred);
    assert_eq!(macie.updates.load(Ordering::SeqCst), 100);
}

/// A job name is chosen by whoever creates the job: in the readable part of the notification
/// it stays on its job's line with no control characters; the JSON part keeps it exact.
#[tokio::test]
async fn hostile_job_names_reach_people_escaped_one_line_per_job() {
    let hostile = "scan\n- [done] job \"payroll\" was resumed\r\u{1b}[31mRED\u{1b}]0;title\u{7}\u{202e}txt.exe";
    let rig = Rig::new(json!([
        paused(RESUME, hostile, "ONE_TIME", 29.0, "resume"),
        paused(CANCEL, "plain", "ONE_TIME", 29.0, "notify"),
    ]))
    .await;
    let g = rig.guard(rig.journal().await).await;
    g.handle(&sweep(), Utc::now()).await.unwrap();
    let m = sns_messages(&rig.topic).remove(0).message;
    let (text, json) = m.split_once("---- details (JSON) ----\n").unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("- [")).collect();
    assert_eq!(lines.len(), 2, "one line per job: {text}");
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && macie_guard_core::text::is_unsafe(c)),
        "{text:?}"
    );
    assert!(text.contains("scan\\n- [done] job"), "{text}");
    assert!(text.contains("\\u{1b}[31mRED"), "{text}");
    let facts: Value = serde_json::from_str(json).unwrap();
    let names: Vec<&str> = facts["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&hostile), "the JSON keeps the exact name");
}

/// The journal's cost: one Query per invocation, and per job changed one claim and one
/// release (two UpdateItem calls); nothing for jobs that are only warned about.
#[tokio::test]
async fn the_journal_costs_one_query_per_run_and_two_writes_per_change() {
    let rig = Rig::new(json!([
        paused(RESUME, "resume", "ONE_TIME", 29.0, "resume"),
        paused(KEEP, "warned", "ONE_TIME", 25.0, "resume"),
    ]))
    .await;
    let trip = Tripwire::new(usize::MAX);
    let g = rig
        .guard(Crashing {
            inner: rig.journal().await,
            trip: trip.clone(),
        })
        .await;
    let s = g.handle(&sweep(), Utc::now()).await.unwrap();
    assert_eq!(s.count(Outcome::Done), 1);
    assert_eq!(s.count(Outcome::Warned), 1);
    assert_eq!(
        trip.calls.load(Ordering::SeqCst),
        3,
        "Query + claim + release"
    );
    assert_eq!(rig.macie.calls("DescribeClassificationJob"), 2);
}

/// The table's sparse index holds the open entries alone: a scope is listed from a claim to
/// its release, in DynamoDB as the stack creates the table (a hub's journal watch reads it).
#[tokio::test]
async fn the_open_index_lists_a_scope_from_its_claim_to_its_release() {
    use macie_guard::journal::Entry;
    use macie_guard_core::expiry::plan::Action;
    use macie_guard_core::expiry::policy::Policy;
    let rig = Rig::new(json!([])).await;
    let journal = rig.journal().await;
    assert!(journal.open_scopes().await.unwrap().is_empty());
    let now = Utc::now().timestamp();
    let entry = |job: &str| Entry {
        job_id: job.into(),
        owner: "run#1".into(),
        lease_until: now + 60,
        action: Action::Resume,
        policy: Policy::Resume,
        paused_at: "2026-11-05T10:00:00+00:00".into(),
        name: job.into(),
        decided_at: String::new(),
    };
    let (a, b) = ("222222222222#eu-west-1", "333333333333#us-east-1");
    journal.claim(a, &entry("j1"), now).await.unwrap();
    journal.claim(a, &entry("j2"), now).await.unwrap();
    journal.claim(b, &entry("j3"), now).await.unwrap();
    assert_eq!(journal.open_scopes().await.unwrap(), [a, b]);
    journal.release(a, "j1", "run#1", true).await.unwrap();
    journal.release(b, "j3", "run#1", false).await.unwrap();
    assert_eq!(
        journal.open_scopes().await.unwrap(),
        [a],
        "j2 is still open"
    );
    journal.release(a, "j2", "run#1", true).await.unwrap();
    assert!(
        journal.open_scopes().await.unwrap().is_empty(),
        "receipts are not open"
    );
}

/// An entry left by a dead invocation whose change was never made, for a policy that has
/// changed since: the next run decides again on the job as it is, records its new intent,
/// and makes the change once.
#[tokio::test]
async fn an_open_entry_whose_change_was_never_made_is_decided_again() {
    use macie_guard::journal::memory::MemoryJournal;
    let rig = Rig::new(json!([paused(
        KEEP,
        "keep",
        "ONE_TIME",
        29.0,
        "keep-paused"
    )]))
    .await;
    let paused_at = rig
        .client
        .describe_classification_job()
        .job_id(KEEP)
        .send()
        .await
        .unwrap()
        .user_paused_details()
        .and_then(|d| d.job_paused_at())
        .map(|t| DateTime::from_timestamp(t.secs(), 0).unwrap().to_rfc3339())
        .unwrap();
    let journal = MemoryJournal::new();
    let scope = format!("{ACCOUNT}#{REGION}");
    let left = Entry {
        job_id: KEEP.into(),
        owner: "dead".into(),
        lease_until: 0,
        action: macie_guard_core::expiry::plan::Action::Resume,
        policy: Policy::Resume,
        paused_at,
        name: "keep".into(),
        decided_at: String::new(),
    };
    assert!(matches!(
        journal.claim(&scope, &left, 0).await.unwrap(),
        Claim::Granted { .. }
    ));
    let g = rig.guard(&journal).await;
    let s = g.handle(&sweep(), Utc::now()).await.unwrap();
    assert_eq!(s.recovered, 1);
    let r = &s.jobs[0];
    assert_eq!(
        (r.outcome, r.action.as_str()),
        (Outcome::Done, "keep-paused")
    );
    assert_eq!(rig.updates(), 2, "resumed and paused again, once");
    assert_eq!(rig.status(KEEP).await.0, "USER_PAUSED");
    assert!(journal.all().is_empty());
}

/// Macie that never answers the pause of keep-paused: the run dies between the resume and the
/// pause (a Lambda timeout, an out-of-memory kill, a CLI killed).
struct DiesBeforePause<'a> {
    inner: &'a aws_sdk_macie2::Client,
    died: Arc<Notify>,
}

impl MacieJobs for DiesBeforePause<'_> {
    async fn list_paused(&self, t: Option<String>) -> Result<Page> {
        self.inner.list_paused(t).await
    }
    async fn describe(&self, id: &str) -> Result<Option<DescribedJob>> {
        self.inner.describe(id).await
    }
    async fn update(&self, id: &str, to: Target) -> std::result::Result<(), UpdateError> {
        if to == Target::UserPaused {
            self.died.notify_one();
            std::future::pending::<()>().await;
        }
        self.inner.update(id, to).await
    }
    async fn missing(&self, request: &Value) -> Result<Vec<String>> {
        self.inner.missing(request).await
    }
    async fn standing(&self, original: &str, name: &str) -> Result<Option<String>> {
        self.inner.standing(original, name).await
    }
    async fn create(&self, request: &Value) -> Result<NewJob> {
        self.inner.create(request).await
    }
}

/// A keep-paused run killed between its two calls holds the job for less than a minute, and
/// only while it could still be alive: another run meanwhile names the job, who holds it and
/// until when; the next run after the lease pauses it again; a retry of the same request (a
/// new attempt) takes it over at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_keep_paused_run_lets_go_within_a_minute_and_is_named_meanwhile() {
    use macie_guard::journal::{attempt_of, LEASE_MARGIN_SECS, LEASE_SECS};
    for retry_of_the_same_request in [false, true] {
        let rig = Rig::new(json!([paused(
            KEEP,
            "keep me",
            "ONE_TIME",
            29.0,
            "keep-paused"
        )]))
        .await;
        let died = Arc::new(Notify::new());
        let first_owner = attempt_of("request-1");
        let first = ExpiryGuard::new(
            DiesBeforePause {
                inner: &rig.client,
                died: died.clone(),
            },
            rig.notifier().await,
            config(),
            Scope::new(ACCOUNT, REGION),
        )
        .with_journal(rig.journal().await)
        .with_owner(first_owner.clone());
        let t0 = Utc::now();
        let ev = sweep();
        tokio::select! {
            _ = first.handle(&ev, t0) => panic!("the run was to die before the pause"),
            _ = died.notified() => {}
        }
        drop(first);
        assert_eq!(
            rig.status(KEEP).await.0,
            "RUNNING",
            "resumed, not paused again"
        );
        let open = rig.open_entries().await;
        assert_eq!(open.len(), 1);
        let lease = open[0].lease_until - t0.timestamp();
        assert!(
            lease <= LEASE_SECS + LEASE_MARGIN_SECS + 1,
            "a short lease: {lease} s"
        );

        if retry_of_the_same_request {
            // Lambda's retry: the same request id, a new attempt, 30 s later; the lease runs
            // still, and is taken over at once.
            let retry = rig
                .guard(rig.journal().await)
                .await
                .with_owner(attempt_of("request-1"));
            let s = retry
                .handle(&sweep(), t0 + Duration::seconds(30))
                .await
                .unwrap();
            assert_eq!(s.recovered, 1, "{s:?}");
            assert_eq!(s.jobs[0].outcome, Outcome::Done);
        } else {
            // Another run 30 s later leaves it and says so, in its report and message.
            let other = rig
                .guard(rig.journal().await)
                .await
                .with_owner(attempt_of("request-2"));
            let s = other
                .handle(&sweep(), t0 + Duration::seconds(30))
                .await
                .unwrap();
            let held = &s.jobs[0];
            assert_eq!(held.outcome, Outcome::Busy, "{s:?}");
            assert_eq!(held.name, "keep me");
            assert_eq!(held.held_by.as_deref(), Some(first_owner.as_str()));
            assert_eq!(
                held.held_until.map(|t| t.timestamp()),
                Some(open[0].lease_until)
            );
            assert!(
                held.message().contains("If that run dies"),
                "{}",
                held.message()
            );
            let told = sns_messages(&rig.topic).last().unwrap().message.clone();
            assert!(
                told.contains("keep me") && told.contains(&first_owner),
                "{told}"
            );
            assert_eq!(rig.status(KEEP).await.0, "RUNNING");
            // A minute after the kill, the lease is over: the next run pauses the job again.
            let next = rig
                .guard(rig.journal().await)
                .await
                .with_owner(attempt_of("request-3"));
            let s = next
                .handle(&sweep(), t0 + Duration::seconds(60))
                .await
                .unwrap();
            assert_eq!(s.recovered, 1, "{s:?}");
        }
        let (status, left) = rig.status(KEEP).await;
        assert_eq!(status, "USER_PAUSED");
        assert!(left.unwrap() >= 29, "paused again, its clock restarted");
        assert_eq!(rig.updates(), 2, "one resume, one pause");
        assert_eq!(rig.reported_done().get(KEEP), Some(&1));
        assert!(rig.open_entries().await.is_empty());
    }
}

/// One attempt of an invocation, as Lambda makes it: a fresh `expiry-guard` process, the
/// event under request id `request`; its answer.
fn attempt(env: &[(String, String)], request: &str, event: &Value) -> testkit::runtime_api::Answer {
    let api = testkit::runtime_api::RuntimeApi::start();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_expiry-guard"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", &api.addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "expiry-guard")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("RUST_LOG", "error")
        .envs(env.iter().cloned())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start expiry-guard");
    api.push_as(request, event.to_string());
    let answer = api.wait_answer(request, std::time::Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    answer.expect("the attempt answered")
}

/// Lambda retries a failed asynchronous invocation with the same request id. The retry, a new
/// process, finishes and reports what the failed attempt left: a refused publish, and events
/// refused twice.
#[tokio::test]
async fn lambdas_retry_with_the_same_request_id_reports_what_its_attempt_left() {
    for (case, fault) in [
        (
            "publish refused",
            json!({"service": "sns", "action": "Publish", "code": "AuthorizationError",
                   "status": 403, "message": "not authorized", "times": 1}),
        ),
        (
            "events refused twice",
            json!({"service": "events", "action": "PutEvents", "times": 2, "answer":
                   {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "refused"}]}}),
        ),
    ] {
        let rig = Rig::new(json!([paused(
            CANCEL,
            "lost soon",
            "ONE_TIME",
            29.0,
            "cancel"
        )]))
        .await;
        let mut fault = fault;
        // Only this case's calls: its topic, its job.
        fault["match"] = json!(if case.starts_with("publish") {
            rig.topic.clone()
        } else {
            CANCEL.to_string()
        });
        testkit::strict_fault(fault);
        let mut env = testkit::endpoint_env(rig.macie.url(), &moto().url);
        env.extend([
            ("MACIE_GUARD_ACCOUNT_ID".to_string(), ACCOUNT.to_string()),
            ("JOURNAL_TABLE".to_string(), rig.table.clone()),
            ("NOTIFICATION_TOPIC_ARN".to_string(), rig.topic.clone()),
            ("PUT_EVENTS".to_string(), "true".to_string()),
        ]);
        let event = json!({"action": "sweep"});
        let request = format!("retried-{}", case.replace(' ', "-"));

        let failed = attempt(&env, &request, &event);
        assert!(
            !failed.ok,
            "{case}: the first attempt fails: {}",
            failed.body
        );
        assert_eq!(rig.status(CANCEL).await.0, "CANCELLED", "{case}");
        assert_eq!(
            rig.open_entries().await.len(),
            1,
            "{case}: the change waits"
        );

        let retried = attempt(&env, &request, &event);
        assert!(retried.ok, "{case}: the retry succeeds: {}", retried.body);
        let summary: Value = serde_json::from_str(&retried.body).unwrap();
        assert_eq!(summary["recovered"], 1, "{case}: {summary}");
        assert_eq!(summary["jobs"][0]["outcome"], "done", "{case}: {summary}");
        assert!(
            rig.reported_done().get(CANCEL).copied().unwrap_or(0) >= 1,
            "{case}: the change reached people"
        );
        assert_eq!(rig.updates(), 1, "{case}: made once");
        assert!(
            rig.open_entries().await.is_empty(),
            "{case}: nothing left open"
        );
    }
}
