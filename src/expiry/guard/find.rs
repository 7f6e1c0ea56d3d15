//! Finding the jobs to look at: the paused jobs in the warning window, the job(s) a Health
//! event names, the jobs Macie says it cancelled.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::ExpiryGuard;
use crate::error::{Error, Result};
use crate::expiry::jobs::{DescribedJob, MacieJobs};
use crate::journal::Journal;
use crate::outbound::Outbound;
use macie_guard_core::expiry::event::{HealthEvent, JobRef};
use macie_guard_core::expiry::job::JobSnapshot;
use macie_guard_core::expiry::outcome::{JobReport, PausedJob, Summary};
use macie_guard_core::expiry::plan::{days_left, decide};

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
    /// Pages through every USER_PAUSED job. `visit` sees each; returns how many were seen.
    pub(super) async fn scan_paused(
        &self,
        mut visit: impl FnMut(&JobSnapshot) -> bool,
    ) -> Result<usize> {
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
                    return Err(Error::aws_answer(
                        "Macie",
                        "ListClassificationJobs",
                        None,
                        "RepeatedToken",
                        format!("nextToken {t:?} came back twice; stopping to avoid a loop"),
                    ))
                }
                None => return Ok(scanned),
            }
        }
    }

    /// The scheduled sweep: every paused job whose expiry is inside the warning window.
    pub async fn sweep(&self, trigger: &str, now: DateTime<Utc>) -> Result<Summary> {
        let mut summary = self.summary(trigger);
        let mut candidates = Vec::new();
        let mut paused = HashSet::new();
        summary.scanned = self
            .scan_paused(|job| {
                if self.config.windows.covers(job, now) {
                    candidates.push(job.job_id.clone());
                }
                paused.insert(job.job_id.clone());
                true
            })
            .await?;
        let (mut jobs, deferred) = self.process_all(candidates, now).await;
        // The jobs watched for their tag macie-guard:on-lost=recreate that are no longer paused.
        jobs.extend(self.lost_watched(now, &paused).await);
        summary.jobs = jobs;
        // Every paused job was looked at, unless the time budget deferred some.
        summary.swept = deferred == 0;
        summary.deferred = deferred;
        Ok(summary)
    }

    /// Handles `ids` with bounded concurrency; stops taking new jobs when the invocation's
    /// time budget runs out. Returns the reports and how many jobs were left.
    pub(super) async fn process_all(
        &self,
        ids: Vec<String>,
        now: DateTime<Utc>,
    ) -> (Vec<JobReport>, usize) {
        let total = ids.len();
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let taken = &taken;
        let mut reports: Vec<JobReport> = stream::iter(ids)
            .take_while(|_| std::future::ready(self.time_left()))
            .map(|id| async move {
                taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.process(&id, now).await
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        let deferred = total - taken.load(std::sync::atomic::Ordering::Relaxed);
        if deferred > 0 {
            tracing::warn!(
                deferred,
                stopped = self.stop.load(Ordering::Relaxed),
                "jobs left for the next sweep"
            );
        }
        reports.sort_by(|a, b| {
            a.expires_at
                .cmp(&b.expires_at)
                .then(a.job_id.cmp(&b.job_id))
        });
        (reports, deferred)
    }

    /// A Macie Health event: find the job(s) without assuming the entity format.
    pub(super) async fn health(&self, ev: &HealthEvent, now: DateTime<Utc>) -> Result<Summary> {
        let code = ev.detail.event_type_code.as_str();
        let mut summary = self.summary(&format!("health:{code}"));
        let mut ids: Vec<String> = Vec::new();
        for candidate in ev.candidate_refs() {
            match JobRef::parse(candidate, &self.scope) {
                JobRef::Mine(id) if !ids.contains(&id) => ids.push(id),
                JobRef::Mine(_) | JobRef::NotAJob => {}
                JobRef::Foreign { arn, reason } => summary.ignored.push(format!("{arn}: {reason}")),
            }
        }

        if ev.kind.is_cancellation() {
            summary.jobs = self.report_lost(ev, &ids, now).await;
            return Ok(summary);
        }
        if !ids.is_empty() {
            (summary.jobs, summary.deferred) = self.process_all(ids, now).await;
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
                if self.config.windows.covers(job, now) {
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
        (summary.jobs, summary.deferred) = self.process_all(ids, now).await;
        Ok(summary)
    }
}

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
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
            let (policy, source) = self.config.policy_for(&job.snapshot);
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
