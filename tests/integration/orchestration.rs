//! The orchestration's branches against in-memory fakes of the two ports (`common::fakes`):
//! what each guard does with each answer its port can give. Nothing here crosses the wire;
//! the same paths over HTTP are in tests/expiry.rs, tests/export.rs and tests/faults.rs.

use crate::common;
use macie_guard_core::delivery::Told;

use chrono::Utc;
use common::guard;
use macie_guard::expiry::jobs::memory::{MemoryJobs, UpdateAnswer};
use macie_guard::expiry::jobs::Target;
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::memory::MemorySources;
use macie_guard::outbound::print::PrintNotifier;
use macie_guard::Error;
use macie_guard_core::expiry::job::{JobStatus, JobType};
use macie_guard_core::expiry::outcome::{Outcome, Summary};
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::export::facts::{
    BucketFact, ConfigFact, Destination, KeyFact, Membership, Owner,
};
use macie_guard_core::severity::Severity;
use testkit::{ACCOUNT, REGION};

const A: &str = "0123456789abcdef0123456789abcdef";
const B: &str = "1123456789abcdef0123456789abcdef";
const C: &str = "2123456789abcdef0123456789abcdef";

async fn sweep(jobs: &MemoryJobs, config: ExpiryConfig) -> Told<Summary> {
    common::sweep(&guard(jobs, PrintNotifier, config))
        .await
        .expect("the sweep runs")
}

fn outcome(s: &Summary, id: &str) -> Outcome {
    s.jobs
        .iter()
        .find(|j| j.job_id == id)
        .unwrap_or_else(|| panic!("{id} not reported: {s:?}"))
        .outcome
}

#[tokio::test]
async fn a_refused_resume_because_someone_else_resumed_is_already_done() {
    let jobs = MemoryJobs::new(Utc::now()).paused(A, JobType::OneTime, 29.0, Some("resume"));
    jobs.answer_next_update(A, UpdateAnswer::RefusedBecause(JobStatus::Running));
    let s = sweep(&jobs, ExpiryConfig::default()).await;
    assert_eq!(outcome(&s, A), Outcome::AlreadyDone);
    assert_eq!(jobs.updates(), [(A.to_string(), Target::Running)]);
}

#[tokio::test]
async fn keep_paused_resumes_then_pauses_and_the_pause_starts_again() {
    let jobs = MemoryJobs::new(Utc::now()).paused(A, JobType::OneTime, 29.0, Some("keep-paused"));
    let s = sweep(&jobs, ExpiryConfig::default()).await;
    assert_eq!(outcome(&s, A), Outcome::Done, "{s:?}");
    assert_eq!(
        jobs.updates(),
        [
            (A.to_string(), Target::Running),
            (A.to_string(), Target::UserPaused)
        ]
    );
    assert_eq!(jobs.status(A), JobStatus::UserPaused);
    assert!(
        s.jobs[0].message().contains("paused again"),
        "{}",
        s.jobs[0].message()
    );
}

#[tokio::test]
async fn a_failed_update_is_reported_and_fails_the_invocation_for_lambda() {
    let jobs = MemoryJobs::new(Utc::now())
        .paused(A, JobType::OneTime, 29.0, Some("resume"))
        .paused(B, JobType::OneTime, 29.2, Some("resume"));
    jobs.answer_next_update(A, UpdateAnswer::Fails);
    let s = sweep(&jobs, ExpiryConfig::default()).await;
    assert_eq!(outcome(&s, A), Outcome::Failed);
    assert_eq!(
        outcome(&s, B),
        Outcome::Done,
        "the other job is still handled"
    );
    let err = macie_guard::expiry::lambda::outcome(s).expect_err("Lambda retries");
    assert!(
        matches!(
            err,
            Error::Partial {
                failed: 1,
                total: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_job_that_cannot_be_read_is_a_failure_and_is_not_changed() {
    let jobs = MemoryJobs::new(Utc::now()).paused(A, JobType::OneTime, 29.0, Some("cancel"));
    jobs.fail_describe(A);
    let s = sweep(&jobs, ExpiryConfig::default()).await;
    assert_eq!(outcome(&s, A), Outcome::Failed);
    assert!(jobs.updates().is_empty());
    assert_eq!(jobs.status(A), JobStatus::UserPaused);
}

#[tokio::test]
async fn a_sweep_pages_through_every_paused_job_and_handles_those_in_the_window() {
    // Pages of two: three pages.
    let jobs = MemoryJobs::new(Utc::now())
        .paused(A, JobType::OneTime, 29.0, Some("resume"))
        .paused(B, JobType::OneTime, 3.0, Some("resume"))
        .paused(C, JobType::Scheduled, 28.9, Some("resume"))
        .paused(
            "3123456789abcdef0123456789abcdef",
            JobType::OneTime,
            1.0,
            None,
        )
        .paused(
            "4123456789abcdef0123456789abcdef",
            JobType::OneTime,
            2.0,
            None,
        );
    let s = sweep(&jobs, ExpiryConfig::default()).await;
    assert_eq!(s.scanned, 5);
    let mut changed: Vec<String> = jobs.updates().into_iter().map(|(id, _)| id).collect();
    changed.sort();
    assert_eq!(changed, [A, C], "only the jobs in the action window");
    assert_eq!(s.jobs.len(), 2, "jobs far from expiry are not reported");
}

#[tokio::test]
async fn a_recurring_job_tagged_cancel_keeps_its_schedule() {
    let jobs = MemoryJobs::new(Utc::now()).paused(A, JobType::Scheduled, 29.0, Some("cancel"));
    let s = sweep(&jobs, ExpiryConfig::default()).await;
    assert_eq!(outcome(&s, A), Outcome::Notified);
    assert!(jobs.updates().is_empty(), "{:?}", jobs.updates());
    assert_eq!(jobs.status(A), JobStatus::UserPaused);
}

#[tokio::test]
async fn a_dry_run_decides_and_changes_nothing() {
    let jobs = MemoryJobs::new(Utc::now())
        .paused(A, JobType::OneTime, 29.0, Some("cancel"))
        .paused(B, JobType::OneTime, 29.0, Some("keep-paused"));
    let s = sweep(
        &jobs,
        ExpiryConfig {
            dry_run: true,
            ..ExpiryConfig::default()
        },
    )
    .await;
    assert_eq!(outcome(&s, A), Outcome::DryRun);
    assert_eq!(outcome(&s, B), Outcome::DryRun);
    assert!(jobs.updates().is_empty());
}

/// The time budget, on the guard's clock: with less than the reserve left before the
/// deadline, a sweep takes no job and leaves them all for the next one.
#[tokio::test]
async fn a_sweep_with_no_time_left_takes_no_job_and_says_so() {
    use std::sync::OnceLock;
    static DEADLINE: OnceLock<chrono::DateTime<Utc>> = OnceLock::new();
    let deadline = *DEADLINE.get_or_init(|| Utc::now() + chrono::Duration::minutes(15));
    // The run starts 15 minutes before its deadline (the first reading); by the time it
    // would take a job it is ten seconds before: inside the last minute kept to finish and
    // report.
    fn late() -> chrono::DateTime<Utc> {
        static READINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let deadline = *DEADLINE.get().unwrap();
        match READINGS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => deadline - chrono::Duration::minutes(15),
            _ => deadline - chrono::Duration::seconds(10),
        }
    }
    let jobs = MemoryJobs::new(Utc::now())
        .paused(A, JobType::OneTime, 29.0, Some("resume"))
        .paused(B, JobType::OneTime, 29.5, Some("cancel"));
    let g = guard(&jobs, PrintNotifier, ExpiryConfig::default())
        .with_deadline(Some(deadline))
        .with_clock(late);
    let s = common::sweep(&g).await.unwrap();
    assert_eq!(s.deferred, 2, "{s:?}");
    assert!(s.jobs.is_empty());
    assert!(jobs.updates().is_empty());
}

fn export_guard<'a>(
    sources: &'a MemorySources,
    regions: &[&str],
) -> ExportGuard<&'a MemorySources, PrintNotifier> {
    ExportGuard {
        sources,
        outbound: PrintNotifier,
        account: ACCOUNT.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline: None,
    }
}

fn check() -> ExportEvent {
    ExportEvent::Check {
        trigger: "test".into(),
    }
}

#[tokio::test]
async fn a_region_without_a_configuration_is_a_finding_and_nothing_else_is_read() {
    let sources = MemorySources {
        configs: [(REGION.to_string(), ConfigFact::NotSet)].into(),
        ..MemorySources::default()
    };
    let r = export_guard(&sources, &[REGION])
        .handle(&check())
        .await
        .unwrap();
    let codes: Vec<&str> = r.regions[0].findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["EXPORT_CONFIG_MISSING"]);
    assert_eq!(r.regions[0].findings[0].severity, Severity::Critical);
    assert_eq!(
        *sources.reads.lock().unwrap(),
        [
            format!("configuration {REGION}"),
            format!("membership {REGION}")
        ]
    );
}

/// A member account whose jobs are all its administrator's needs no export configuration of
/// its own: the finding says so at info, and nobody is told.
#[tokio::test]
async fn a_member_without_jobs_of_its_own_is_not_told_about_a_missing_configuration() {
    let sources = MemorySources {
        configs: [(REGION.to_string(), ConfigFact::NotSet)].into(),
        memberships: [(
            REGION.to_string(),
            Membership::Member {
                administrator: "111122223333".into(),
                own_jobs: Some(false),
            },
        )]
        .into(),
        ..MemorySources::default()
    };
    let r = export_guard(&sources, &[REGION])
        .handle(&check())
        .await
        .unwrap();
    let f = &r.regions[0].findings[0];
    assert_eq!(
        (f.code, f.severity),
        ("EXPORT_CONFIG_MISSING", Severity::Info)
    );
    assert!(f.message.contains("111122223333"), "{}", f.message);
    assert!(!r.delivery.notified, "an info finding tells nobody");
}

/// Every fact that could not be read is "cannot verify", at warning or worse: never a pass.
#[tokio::test]
async fn facts_that_cannot_be_read_are_never_a_pass() {
    let key = format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let sources = MemorySources {
        configs: [(
            REGION.to_string(),
            ConfigFact::Set(Destination {
                bucket_name: Some("results".into()),
                key_prefix: None,
                kms_key_arn: Some(key.clone()),
                expected_bucket_owner: None,
            }),
        )]
        .into(),
        ..MemorySources::default()
    };
    let r = export_guard(&sources, &[REGION])
        .handle(&check())
        .await
        .unwrap();
    let findings = &r.regions[0].findings;
    assert!(!findings.is_empty());
    assert!(
        findings.iter().all(|f| f.severity >= Severity::Warning),
        "{findings:?}"
    );
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"BUCKET_UNVERIFIED"), "{codes:?}");
    assert!(codes.contains(&"KEY_UNVERIFIED"), "{codes:?}");
}

#[tokio::test]
async fn each_region_is_checked_once_in_the_order_given() {
    let key =
        |r: &str| format!("arn:aws:kms:{r}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let mut sources = MemorySources::default();
    for r in ["us-east-1", "eu-west-1"] {
        sources.configs.insert(
            r.into(),
            ConfigFact::Set(Destination {
                bucket_name: Some(format!("results-{r}")),
                key_prefix: None,
                kms_key_arn: Some(key(r)),
                expected_bucket_owner: None,
            }),
        );
        sources.buckets.insert(
            format!("results-{r}"),
            BucketFact::Found {
                region: r.into(),
                owner: Owner::Expected,
            },
        );
        sources.keys.insert(
            key(r),
            KeyFact::NotFound {
                reason: "gone".into(),
            },
        );
    }
    let r = export_guard(&sources, &["eu-west-1", "us-east-1"])
        .handle(&check())
        .await
        .unwrap();
    let regions: Vec<&str> = r.regions.iter().map(|r| r.region.as_str()).collect();
    assert_eq!(regions, ["eu-west-1", "us-east-1"]);
    let reads = sources.reads.lock().unwrap();
    for region in ["eu-west-1", "us-east-1"] {
        let n = reads
            .iter()
            .filter(|x| **x == format!("configuration {region}"))
            .count();
        assert_eq!(n, 1, "{reads:?}");
    }
    for region in &r.regions {
        assert!(
            region.findings.iter().any(|f| f.code == "KEY_NOT_FOUND"),
            "{:?}",
            region.findings
        );
    }
}

/// Tells people, but the bus refuses the run's events.
struct EventsRefused;

impl macie_guard::outbound::Outbound for EventsRefused {
    async fn publish(
        &self,
        _: &macie_guard_core::tell::notification::Notification,
    ) -> macie_guard::Result<()> {
        Ok(())
    }
    async fn announce(
        &self,
        _: &[macie_guard_core::tell::events::GuardEvent],
    ) -> macie_guard::Result<()> {
        Err(Error::Events {
            bus: "default".into(),
            message: "refused".into(),
        })
    }
}

/// The events are part of the report: a change whose events did not get out fails the run and
/// is reported again (message and events) by the next one, without being made twice.
#[tokio::test]
async fn a_change_whose_events_were_refused_is_reported_again_by_the_next_run() {
    let jobs = MemoryJobs::new(Utc::now()).paused(A, JobType::OneTime, 29.0, Some("resume"));
    let journal = macie_guard::journal::memory::MemoryJournal::new();
    let first = guard(&jobs, EventsRefused, ExpiryConfig::default()).with_journal(&journal);
    let err = common::sweep(&first).await.unwrap_err();
    assert_eq!(err.kind(), "EventsFailed", "{err}");
    assert_eq!(jobs.updates(), [(A.to_string(), Target::Running)]);

    let second = guard(&jobs, PrintNotifier, ExpiryConfig::default()).with_journal(&journal);
    let s = common::sweep(&second).await.unwrap();
    assert_eq!(s.recovered, 1, "{s:?}");
    assert_eq!(outcome(&s, A), Outcome::Done);
    assert_eq!(jobs.updates().len(), 1, "not made twice");
    let third = guard(&jobs, PrintNotifier, ExpiryConfig::default()).with_journal(&journal);
    assert_eq!(common::sweep(&third).await.unwrap().recovered, 0);
}

/// A Macie whose pause takes a while: a run caught between keep-paused's two calls.
struct SlowPause<'a> {
    jobs: &'a MemoryJobs,
    pause: std::time::Duration,
}

impl macie_guard::expiry::jobs::MacieJobs for SlowPause<'_> {
    async fn list_paused(
        &self,
        t: Option<String>,
    ) -> macie_guard::Result<macie_guard::expiry::jobs::Page> {
        self.jobs.list_paused(t).await
    }
    async fn describe(
        &self,
        id: &str,
    ) -> macie_guard::Result<Option<macie_guard::expiry::jobs::DescribedJob>> {
        self.jobs.describe(id).await
    }
    async fn update(
        &self,
        id: &str,
        to: Target,
    ) -> std::result::Result<(), macie_guard::expiry::jobs::UpdateError> {
        if to == Target::UserPaused {
            tokio::time::sleep(self.pause).await;
        }
        self.jobs.update(id, to).await
    }
    async fn missing(&self, request: &serde_json::Value) -> macie_guard::Result<Vec<String>> {
        self.jobs.missing(request).await
    }
    async fn standing(&self, original: &str, name: &str) -> macie_guard::Result<Option<String>> {
        self.jobs.standing(original, name).await
    }
    async fn create(
        &self,
        request: &serde_json::Value,
    ) -> macie_guard::Result<macie_guard_core::expiry::outcome::NewJob> {
        self.jobs.create(request).await
    }
}

/// Real time as the guard reads it, moved on by the test.
static SKEW_SECS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn skewed_clock() -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(SKEW_SECS.load(std::sync::atomic::Ordering::SeqCst))
}

/// While a run lives, its heartbeat renews the leases it holds, so that a run that takes long
/// keeps its jobs; when it ends, nothing is held.
#[tokio::test]
async fn a_living_run_renews_its_leases() {
    use macie_guard::journal::memory::MemoryJournal;
    use macie_guard::journal::{LEASE_MARGIN_SECS, LEASE_SECS};
    let jobs = MemoryJobs::new(Utc::now()).paused(A, JobType::OneTime, 29.0, Some("keep-paused"));
    let journal = MemoryJournal::new();
    let slow = SlowPause {
        jobs: &jobs,
        pause: std::time::Duration::from_millis(400),
    };
    let mut g = guard(&slow, PrintNotifier, ExpiryConfig::default())
        .with_journal(&journal)
        .with_clock(skewed_clock);
    g.leases.heartbeat = std::time::Duration::from_millis(20);
    let watch = async {
        // Caught between the resume and the pause: the entry is open.
        while journal.all().is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let first = journal.all()[0].lease_until;
        // Ten minutes pass (as the guard's clock tells): the heartbeat moves the lease on.
        SKEW_SECS.store(600, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let renewed = journal.all()[0].lease_until;
        (first, renewed)
    };
    let (summary, (first, renewed)) = tokio::join!(common::sweep(&g), watch);
    let summary = summary.unwrap();
    assert_eq!(outcome(&summary, A), Outcome::Done);
    assert!(
        renewed >= first + 590
            && renewed <= skewed_clock().timestamp() + LEASE_SECS + LEASE_MARGIN_SECS,
        "renewed from {first} to {renewed}"
    );
    assert!(journal.all().is_empty(), "released when the run ended");
    assert_eq!(jobs.status(A), JobStatus::UserPaused);
    SKEW_SECS.store(0, std::sync::atomic::Ordering::SeqCst);
}

/// A tag asking for a policy the stack does not honour (HONOURED_TAG_POLICIES) is reported as
/// refused, and nothing changes, however close the expiry.
#[tokio::test]
async fn a_tag_asking_for_a_policy_the_stack_does_not_honour_changes_nothing() {
    let jobs = MemoryJobs::new(Utc::now())
        .paused(A, JobType::Scheduled, 29.5, Some("cancel-job"))
        .paused(B, JobType::OneTime, 29.5, Some("resume"));
    let config = ExpiryConfig {
        honoured: vec![
            macie_guard_core::expiry::policy::Policy::Resume,
            macie_guard_core::expiry::policy::Policy::Notify,
        ],
        ..ExpiryConfig::default()
    };
    let s = sweep(&jobs, config).await;
    let refused = s.jobs.iter().find(|j| j.job_id == A).unwrap();
    assert_eq!(refused.outcome, Outcome::Notified, "{refused:?}");
    assert!(
        refused.message().contains("Refused") && refused.message().contains("cancel-job"),
        "{}",
        refused.message()
    );
    assert_eq!(outcome(&s, B), Outcome::Done, "an honoured tag still acts");
    assert_eq!(jobs.updates(), [(B.to_string(), Target::Running)]);
}
