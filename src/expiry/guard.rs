//! The expiry guard: finds paused jobs near expiry, decides per job, acts, and reports.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashSet;

use super::event::{ExpiryEvent, HealthEvent, HealthKind};
use super::policy::{
    days_left, decide, resolve_policy, Action, Exclusions, JobSnapshot, JobStatus, JobType, Plan,
    Policy, PolicySource, Windows, POLICY_TAG,
};
use crate::error::{Error, Result};
use crate::macie::{DescribedJob, MacieJobs, Target, UpdateError};
use crate::metrics::Counts;
use crate::notify::{Notification, Notifier};
use crate::scope::{JobRef, Scope};

/// The expiry guard's settings (environment variables of the function, flags of the CLI).
#[derive(Debug, Clone)]
pub struct ExpiryConfig {
    pub default_policy: Policy,
    pub windows: Windows,
    pub dry_run: bool,
    /// Jobs handled at once during a sweep.
    pub concurrency: usize,
    pub exclusions: Exclusions,
}

impl Default for ExpiryConfig {
    fn default() -> Self {
        ExpiryConfig {
            default_policy: Policy::Notify,
            windows: Windows::default(),
            dry_run: false,
            concurrency: 8,
            exclusions: Exclusions::default(),
        }
    }
}

/// How one job's handling ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The change was made.
    Done,
    /// The job was already in the wanted state when we got there.
    AlreadyDone,
    /// DRY_RUN: the change was not made.
    DryRun,
    /// A warning before the action window.
    Warned,
    /// In the action window with policy `notify`: people were told, nothing changed.
    Notified,
    /// Not at risk now.
    Nothing,
    /// Policy `ignore`, or excluded.
    Ignored,
    /// The job expired: reported with its definition.
    Lost,
    /// The job does not exist (any more).
    NotFound,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone => "already-done",
            Outcome::DryRun => "dry-run",
            Outcome::Warned => "warned",
            Outcome::Notified => "notified",
            Outcome::Nothing => "nothing",
            Outcome::Ignored => "ignored",
            Outcome::Lost => "lost",
            Outcome::NotFound => "not-found",
            Outcome::Failed => "failed",
        }
    }

    /// Whether a person should hear about it.
    pub fn tells_people(self) -> bool {
        !matches!(
            self,
            Outcome::Nothing | Outcome::Ignored | Outcome::AlreadyDone
        )
    }
}

/// What happened to one job.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub job_id: String,
    pub name: String,
    pub status: String,
    pub job_type: JobType,
    pub paused_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub days_left: Option<f64>,
    pub policy: Option<Policy>,
    pub policy_source: Option<PolicySource>,
    /// The plan: nothing, ignore, warn, notify, resume, keep-paused, cancel, lost.
    pub action: String,
    pub outcome: Outcome,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<Value>,
}

impl JobReport {
    fn new(
        job: &JobSnapshot,
        now: DateTime<Utc>,
        action: &str,
        outcome: Outcome,
        message: String,
    ) -> Self {
        JobReport {
            job_id: job.job_id.clone(),
            name: job.name.clone(),
            status: job.status.to_string(),
            job_type: job.job_type,
            paused_at: job.paused_at,
            expires_at: job.expires_at,
            days_left: job.expires_at.map(|e| days_left(e, now)),
            policy: None,
            policy_source: None,
            action: action.to_string(),
            outcome,
            message,
            definition: None,
        }
    }

    fn unknown(job_id: &str, action: &str, outcome: Outcome, message: String) -> Self {
        let job = JobSnapshot {
            job_id: job_id.to_string(),
            name: String::new(),
            status: JobStatus::Other("UNKNOWN".into()),
            job_type: JobType::Unknown,
            paused_at: None,
            expires_at: None,
            health_event_arn: None,
            tags: None,
        };
        JobReport::new(&job, Utc::now(), action, outcome, message)
    }

    fn with_policy(mut self, policy: Policy, source: PolicySource) -> Self {
        self.policy = Some(policy);
        self.policy_source = Some(source);
        self
    }
}

/// What one invocation did: the handler's return value.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub trigger: String,
    pub account: String,
    pub region: String,
    pub dry_run: bool,
    pub jobs: Vec<JobReport>,
    /// Events or references that were not for this function, and why.
    pub ignored: Vec<String>,
    /// Paused jobs looked at (listed) during a sweep.
    pub scanned: usize,
    pub notified: bool,
}

impl Summary {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.jobs.iter().filter(|j| j.outcome == outcome).count()
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn fate(policy: Policy) -> &'static str {
    match policy {
        Policy::Resume => "resumed",
        Policy::KeepPaused => "resumed and paused again (its 30-day clock restarts)",
        Policy::Cancel => "cancelled",
        Policy::Notify => "left alone (and lost when it expires)",
        Policy::Ignore => "left alone",
    }
}

fn label(job: &JobSnapshot) -> String {
    if job.name.is_empty() {
        format!("job {}", job.job_id)
    } else {
        format!("job \"{}\" ({})", job.name, job.job_id)
    }
}

pub struct ExpiryGuard<M, N> {
    pub macie: M,
    pub notifier: N,
    pub config: ExpiryConfig,
    pub scope: Scope,
}

impl<M: MacieJobs, N: Notifier> ExpiryGuard<M, N> {
    /// Handles one event. Errors: malformed events (nothing touched), a failed list, and
    /// partial failures (after every other job was handled and people were told).
    pub async fn handle(&self, event: &ExpiryEvent, now: DateTime<Utc>) -> Result<Summary> {
        let summary = match event {
            ExpiryEvent::Sweep { trigger } => self.sweep(trigger, now).await?,
            ExpiryEvent::Health(h) => self.health(h, now).await?,
            ExpiryEvent::Ignored { reason } => {
                tracing::info!(reason = %reason, "event ignored");
                let mut s = self.summary("ignored");
                s.ignored.push(reason.clone());
                return Ok(s);
            }
        };
        self.finish(summary).await
    }

    fn summary(&self, trigger: &str) -> Summary {
        Summary {
            trigger: trigger.to_string(),
            account: self.scope.account.clone(),
            region: self.scope.region.clone(),
            dry_run: self.config.dry_run,
            jobs: Vec::new(),
            ignored: Vec::new(),
            scanned: 0,
            notified: false,
        }
    }

    fn in_warning_window(&self, job: &JobSnapshot, now: DateTime<Utc>) -> bool {
        job.status == JobStatus::UserPaused
            && job
                .expires_at
                .is_some_and(|e| e - now <= self.config.windows.warning)
    }

    /// Pages through every USER_PAUSED job. `visit` sees each; returns how many were seen.
    async fn scan_paused(&self, mut visit: impl FnMut(&JobSnapshot) -> bool) -> Result<usize> {
        let mut token = None;
        let mut seen_tokens = HashSet::new();
        let mut scanned = 0;
        loop {
            let page = self.macie.list_paused(token).await?;
            scanned += page.jobs.len();
            for job in &page.jobs {
                if !visit(job) {
                    return Ok(scanned);
                }
            }
            match page.next_token {
                Some(t) if seen_tokens.insert(t.clone()) => token = Some(t),
                Some(t) => {
                    return Err(Error::Aws {
                        service: "Macie",
                        operation: "ListClassificationJobs",
                        on: None,
                        code: "RepeatedToken".into(),
                        message: format!(
                            "nextToken {t:?} came back twice; stopping to avoid a loop"
                        ),
                    })
                }
                None => return Ok(scanned),
            }
        }
    }

    /// The scheduled sweep: every paused job whose expiry is inside the warning window.
    pub async fn sweep(&self, trigger: &str, now: DateTime<Utc>) -> Result<Summary> {
        let mut summary = self.summary(trigger);
        let mut candidates = Vec::new();
        summary.scanned = self
            .scan_paused(|job| {
                if self.in_warning_window(job, now) {
                    candidates.push(job.job_id.clone());
                }
                true
            })
            .await?;
        summary.jobs = self.process_all(candidates, now).await;
        Ok(summary)
    }

    async fn process_all(&self, ids: Vec<String>, now: DateTime<Utc>) -> Vec<JobReport> {
        let mut reports: Vec<JobReport> = stream::iter(ids)
            .map(|id| async move { self.process(&id, now).await })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        reports.sort_by(|a, b| {
            a.expires_at
                .cmp(&b.expires_at)
                .then(a.job_id.cmp(&b.job_id))
        });
        reports
    }

    /// A Macie Health event: find the job(s) without assuming the entity format.
    pub async fn health(&self, ev: &HealthEvent, now: DateTime<Utc>) -> Result<Summary> {
        let code = ev.detail.event_type_code.as_str();
        let mut summary = self.summary(&format!("health:{code}"));
        for (what, value) in [
            ("account", ev.account.as_deref()),
            ("affectedAccount", ev.detail.affected_account.as_deref()),
        ] {
            if let Some(acc) = value.filter(|a| *a != self.scope.account) {
                summary.ignored.push(format!(
                    "event {what} {acc} is not this function's account {}",
                    self.scope.account
                ));
            }
        }
        for (what, value) in [
            ("region", ev.region.as_deref()),
            ("eventRegion", ev.detail.event_region.as_deref()),
        ] {
            if let Some(r) = value.filter(|r| *r != self.scope.region && *r != "global") {
                summary.ignored.push(format!(
                    "event {what} {r} is not this function's Region {}",
                    self.scope.region
                ));
            }
        }
        if !summary.ignored.is_empty() {
            return Ok(summary);
        }

        let mut ids: Vec<String> = Vec::new();
        for candidate in ev.candidate_refs() {
            match JobRef::parse(candidate, &self.scope) {
                JobRef::Mine(id) if !ids.contains(&id) => ids.push(id),
                JobRef::Mine(_) | JobRef::NotAJob => {}
                JobRef::Foreign { arn, reason } => summary.ignored.push(format!("{arn}: {reason}")),
            }
        }

        if ev.kind.is_cancellation() {
            summary.jobs = self.report_lost(ev, &ids).await;
            return Ok(summary);
        }
        if !ids.is_empty() {
            summary.jobs = self.process_all(ids, now).await;
            return Ok(summary);
        }
        if !summary.ignored.is_empty() {
            // The event named jobs, none of them ours: touch nothing.
            return Ok(summary);
        }
        // Step 2: the paused job whose imminent-expiration Health event is this one. While
        // paging, keep the jobs in the warning window for step 3, so nothing is listed twice.
        let mut matched = None;
        let mut window = Vec::new();
        summary.scanned = self
            .scan_paused(|job| {
                if job.health_event_arn.as_deref() == Some(ev.detail.event_arn.as_str()) {
                    matched = Some(job.job_id.clone());
                    return false;
                }
                if self.in_warning_window(job, now) {
                    window.push(job.job_id.clone());
                }
                true
            })
            .await?;
        let ids = match matched {
            Some(id) => vec![id],
            None => {
                // Step 3: every paused job in the warning window.
                summary.trigger.push_str(":sweep");
                window
            }
        };
        summary.jobs = self.process_all(ids, now).await;
        Ok(summary)
    }

    async fn report_lost(&self, ev: &HealthEvent, ids: &[String]) -> Vec<JobReport> {
        let what = match ev.kind {
            HealthKind::RunCancelled => "Macie cancelled the paused run of this recurring job after 30 days; the job itself remains and runs on its schedule.",
            _ => "Macie cancelled this one-time job after it stayed paused for 30 days. Its scan is lost; recreate it with CreateClassificationJob and the definition below.",
        };
        if ids.is_empty() {
            let mut r = JobReport::unknown(
                "",
                "lost",
                Outcome::Lost,
                format!(
                    "{what} The event did not identify the job (Health event {}): {}",
                    ev.detail.event_arn,
                    ev.detail.description().unwrap_or("no description")
                ),
            );
            r.name = "(not identified by the event)".into();
            return vec![r];
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(match self.macie.describe(id).await {
                Ok(Some(job)) => {
                    let mut r = JobReport::new(&job.snapshot, Utc::now(), "lost", Outcome::Lost, format!("{}: {what}", label(&job.snapshot)));
                    r.definition = Some(job.definition);
                    r
                }
                Ok(None) => JobReport::unknown(id, "lost", Outcome::NotFound, format!("job {id} named by a cancellation event does not exist in this account and Region")),
                Err(e) => JobReport::unknown(id, "lost", Outcome::Failed, format!("could not read the lost job to report its definition: {e}")),
            });
        }
        out
    }

    /// Re-reads the job, decides, and acts on it.
    pub async fn process(&self, job_id: &str, now: DateTime<Utc>) -> JobReport {
        let job = match self.macie.describe(job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                return JobReport::unknown(
                    job_id,
                    "nothing",
                    Outcome::NotFound,
                    format!("job {job_id} does not exist (any more)"),
                )
            }
            Err(e) => return JobReport::unknown(job_id, "nothing", Outcome::Failed, e.to_string()),
        };
        let (policy, source) = resolve_policy(
            &job.snapshot,
            self.config.default_policy,
            &self.config.exclusions,
        );
        let plan = decide(&job.snapshot, policy, self.config.windows, now);
        let mut report = self.report_plan(&job.snapshot, &plan, policy, &source, now);
        match plan {
            Plan::Act { action } if !self.config.dry_run => {
                report = self.act(&job, action, policy, &source, now).await;
            }
            _ => {}
        }
        if let PolicySource::DefaultUnknownTag(v) = &source {
            report.message.push_str(&format!(
                " Note: tag {POLICY_TAG}={v:?} is not a policy ({}); the default {} applied.",
                Policy::VALUES,
                self.config.default_policy
            ));
        }
        report.with_policy(policy, source)
    }

    fn report_plan(
        &self,
        job: &JobSnapshot,
        plan: &Plan,
        policy: Policy,
        source: &PolicySource,
        now: DateTime<Utc>,
    ) -> JobReport {
        let who = label(job);
        let expires = job.expires_at.map(when).unwrap_or_default();
        let (outcome, message) = match plan {
            Plan::Nothing { reason } => (Outcome::Nothing, format!("{who}: {reason}")),
            Plan::Ignore => (
                Outcome::Ignored,
                match source {
                    PolicySource::Excluded => format!("{who} is excluded from macie-guard (EXCLUDE_JOBS)"),
                    _ => format!("{who} expires {expires}; policy ignore"),
                },
            ),
            Plan::Warn { policy: Policy::Notify, .. } => (
                Outcome::Warned,
                format!(
                    "{who} expires {expires} ({:.1} days left). Its policy is notify, so macie-guard will not change it: resume it, or tag it {POLICY_TAG}=resume|keep-paused|cancel, before then.",
                    job.expires_at.map(|e| days_left(e, now)).unwrap_or_default(),
                ),
            ),
            Plan::Warn { policy, act_at } => (
                Outcome::Warned,
                format!(
                    "{who} expires {expires} ({:.1} days left). It will be {} on {} unless you resume it first or tag it {POLICY_TAG} with another policy ({}).",
                    job.expires_at.map(|e| days_left(e, now)).unwrap_or_default(),
                    fate(*policy),
                    when(*act_at),
                    Policy::VALUES
                ),
            ),
            Plan::Notify => (
                Outcome::Notified,
                format!(
                    "{who} expires {expires} ({:.1} days left) and its policy is notify: macie-guard will not change it. Resume it now, or tag it {POLICY_TAG}=resume|keep-paused|cancel.",
                    job.expires_at.map(|e| days_left(e, now)).unwrap_or_default()
                ),
            ),
            Plan::Act { action } if self.config.dry_run => (
                Outcome::DryRun,
                format!("{who} expires {expires}: would {} it (policy {policy}); DRY_RUN is on, nothing was changed", action.as_str()),
            ),
            Plan::Act { action } => (Outcome::Failed, format!("{who}: {} not attempted", action.as_str())),
        };
        JobReport::new(job, now, plan.label(), outcome, message)
    }

    async fn apply(&self, job_id: &str, action: Action) -> std::result::Result<(), UpdateError> {
        match action {
            Action::Resume => self.macie.update(job_id, Target::Running).await,
            Action::Cancel => self.macie.update(job_id, Target::Cancelled).await,
            Action::KeepPaused => {
                self.macie.update(job_id, Target::Running).await?;
                match self.macie.update(job_id, Target::UserPaused).await {
                    Ok(()) => Ok(()),
                    Err(e) => Err(UpdateError::Failed(Error::Aws {
                        service: "Macie",
                        operation: "UpdateClassificationJob",
                        on: Some(job_id.to_string()),
                        code: "PauseAfterResumeFailed".into(),
                        message: format!(
                            "the job was resumed but pausing it again failed ({}); it is RUNNING now: pause it by hand if it must stay paused",
                            match e {
                                UpdateError::Refused { code, message } => format!("{code}: {message}"),
                                UpdateError::Failed(e) => e.to_string(),
                            }
                        ),
                    })),
                }
            }
        }
    }

    fn wanted(action: Action, job: &JobSnapshot) -> bool {
        match action {
            Action::Resume => matches!(job.status, JobStatus::Running | JobStatus::Idle),
            Action::Cancel => job.status == JobStatus::Cancelled,
            Action::KeepPaused => false,
        }
    }

    async fn act(
        &self,
        job: &DescribedJob,
        action: Action,
        policy: Policy,
        source: &PolicySource,
        now: DateTime<Utc>,
    ) -> JobReport {
        let snap = &job.snapshot;
        let who = label(snap);
        let done = |snap: &JobSnapshot, outcome, message: String| {
            JobReport::new(snap, now, action.as_str(), outcome, message)
        };
        let success = format!(
            "{who} was {} (policy {policy}{}); it would have expired {}",
            fate(policy),
            if *source == PolicySource::Tag {
                ", from its tag"
            } else {
                ", the default"
            },
            snap.expires_at.map(when).unwrap_or_default()
        );
        match self.apply(&snap.job_id, action).await {
            Ok(()) => done(snap, Outcome::Done, success),
            Err(UpdateError::Failed(e)) => done(
                snap,
                Outcome::Failed,
                format!("{who}: {} failed: {e}", action.as_str()),
            ),
            Err(UpdateError::Refused { code, message }) => {
                // The state moved under us: re-read, decide again, act at most once more.
                let again = match self.macie.describe(&snap.job_id).await {
                    Ok(Some(j)) => j,
                    Ok(None) => return done(snap, Outcome::NotFound, format!("{who} disappeared while being changed")),
                    Err(e) => return done(snap, Outcome::Failed, format!("{who}: Macie refused the change ({code}: {message}) and re-reading failed: {e}")),
                };
                let fresh = &again.snapshot;
                match decide(fresh, policy, self.config.windows, now) {
                    Plan::Act { action: a } if a == action => match self.apply(&fresh.job_id, action).await {
                        Ok(()) => done(fresh, Outcome::Done, success),
                        Err(UpdateError::Refused { code, message }) | Err(UpdateError::Failed(Error::Aws { code, message, .. })) => done(
                            fresh,
                            Outcome::Failed,
                            format!("{who}: {} refused twice ({code}: {message}); job is {}", action.as_str(), fresh.status),
                        ),
                        Err(UpdateError::Failed(e)) => done(fresh, Outcome::Failed, e.to_string()),
                    },
                    _ if Self::wanted(action, fresh) => done(fresh, Outcome::AlreadyDone, format!("{who} is already {}", fresh.status)),
                    _ => done(
                        fresh,
                        Outcome::Nothing,
                        format!("{who} changed before macie-guard could act ({code}: {message}); it is {} now, nothing left to do", fresh.status),
                    ),
                }
            }
        }
    }

    /// Logs each decision, counts metrics, tells people once, and fails the invocation when
    /// any job failed (so it is retried; a retry re-reads and skips what is done).
    async fn finish(&self, mut summary: Summary) -> Result<Summary> {
        let mut counts = Counts::default();
        for j in &summary.jobs {
            tracing::info!(
                job_id = %j.job_id,
                name = %j.name,
                status = %j.status,
                expires_at = ?j.expires_at,
                policy = ?j.policy.map(Policy::as_str),
                action = %j.action,
                outcome = j.outcome.as_str(),
                dry_run = summary.dry_run,
                message = %j.message,
                "decision"
            );
            counts.add(&[("Action", &j.action), ("Outcome", j.outcome.as_str())]);
        }
        for reason in &summary.ignored {
            tracing::warn!(reason = %reason, "ignored");
        }
        metrics_sink(&counts);

        if let Some(n) = self.notification(&summary) {
            self.notifier.publish(&n).await?;
            summary.notified = true;
        }
        let failed: Vec<&JobReport> = summary
            .jobs
            .iter()
            .filter(|j| j.outcome == Outcome::Failed)
            .collect();
        if let Some(first) = failed.first() {
            return Err(Error::Partial {
                failed: failed.len(),
                total: summary.jobs.len(),
                first: first.message.clone(),
                summary: Box::new(serde_json::to_value(&summary).unwrap_or(Value::Null)),
            });
        }
        Ok(summary)
    }

    fn notification(&self, s: &Summary) -> Option<Notification> {
        /// Jobs listed one by one in a message; the rest are counted.
        const LISTED: usize = 50;
        let order = [
            (Outcome::Failed, "failed"),
            (Outcome::Lost, "lost"),
            (Outcome::Notified, "expiring, no action"),
            (Outcome::Done, "changed"),
            (Outcome::DryRun, "would change (dry run)"),
            (Outcome::Warned, "warning"),
            (Outcome::NotFound, "not found"),
        ];
        let mut told: Vec<&JobReport> =
            s.jobs.iter().filter(|j| j.outcome.tells_people()).collect();
        if told.is_empty() {
            return None;
        }
        told.sort_by_key(|j| order.iter().position(|(o, _)| *o == j.outcome));
        let mut parts = Vec::new();
        let mut counts = serde_json::Map::new();
        for (outcome, word) in order {
            let n = s.count(outcome);
            if n > 0 {
                parts.push(format!("{n} {word}"));
                counts.insert(outcome.as_str().into(), json!(n));
            }
        }
        let severity =
            if s.count(Outcome::Failed) + s.count(Outcome::Lost) + s.count(Outcome::Notified) > 0 {
                "critical"
            } else if s.count(Outcome::Warned) + s.count(Outcome::NotFound) > 0 {
                "warning"
            } else {
                "info"
            };
        let subject = format!(
            "Macie paused jobs in {} {}: {}",
            s.account,
            s.region,
            parts.join(", ")
        );
        let mut text =
            format!(
            "macie-guard looked at paused Amazon Macie jobs in account {} ({}), trigger {}{}.\n\
             A job paused while running is cancelled (or loses its run) 30 days after the pause.\n",
            s.account,
            s.region,
            s.trigger,
            if s.dry_run { ", DRY RUN: nothing was changed" } else { "" }
        );
        let listed = &told[..told.len().min(LISTED)];
        for j in listed {
            text.push_str(&format!("\n- [{}] {}", j.outcome.as_str(), j.message));
        }
        if told.len() > listed.len() {
            text.push_str(&format!(
                "\n\n... and {} more job(s), listed in the function's log (one line per job) and its result.",
                told.len() - listed.len()
            ));
        }
        let facts = json!({
            "account": s.account, "region": s.region, "trigger": s.trigger, "dryRun": s.dry_run,
            "counts": counts, "jobs": listed, "jobsNotListed": told.len() - listed.len(),
        });
        Some(Notification {
            subject,
            text,
            facts,
            kind: "expiry",
            severity,
        })
    }
}

/// Where metrics go: EMF lines on stdout, only inside Lambda (the CLI prints reports instead).
fn metrics_sink(counts: &Counts) {
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        counts.emit("expiry-guard", "Decisions");
    }
}

/// A paused job with the policy and plan that apply now: the CLI's `jobs` listing.
#[derive(Debug, Clone, Serialize)]
pub struct PausedJob {
    #[serde(flatten)]
    pub job: JobSnapshot,
    pub days_left: Option<f64>,
    pub policy: Policy,
    pub policy_source: PolicySource,
    pub plan: Plan,
}

impl<M: MacieJobs, N: Notifier> ExpiryGuard<M, N> {
    /// Every USER_PAUSED job with its policy and plan; reads only (one list, one describe per
    /// job for its tags), changes nothing.
    pub async fn paused_jobs(&self, now: DateTime<Utc>) -> Result<Vec<PausedJob>> {
        let mut ids = Vec::new();
        self.scan_paused(|j| {
            ids.push(j.job_id.clone());
            true
        })
        .await?;
        let described: Vec<Result<Option<DescribedJob>>> = stream::iter(ids)
            .map(|id| async move { self.macie.describe(&id).await })
            .buffered(self.config.concurrency.max(1))
            .collect()
            .await;
        let mut out = Vec::new();
        for d in described {
            let Some(job) = d? else { continue };
            let (policy, source) = resolve_policy(
                &job.snapshot,
                self.config.default_policy,
                &self.config.exclusions,
            );
            let plan = decide(&job.snapshot, policy, self.config.windows, now);
            out.push(PausedJob {
                days_left: job.snapshot.expires_at.map(|e| days_left(e, now)),
                job: job.snapshot,
                policy,
                policy_source: source,
                plan,
            });
        }
        out.sort_by(|a, b| {
            (a.job.expires_at.is_none(), a.job.expires_at)
                .cmp(&(b.job.expires_at.is_none(), b.job.expires_at))
        });
        Ok(out)
    }
}
