//! Where a run starts: the entry points (the sweep, a Health event, a tag record, recovery of
//! what earlier runs left open) and the fan-out over the jobs they name. Each calls down to
//! finding jobs (`find`), changing one (`change`), a lost one (`lost`), the watch, the leases
//! and the core; none of those calls back up here.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::lost::lost;
use super::report::busy;
use super::ExpiryGuard;
use crate::error::Result;
use crate::expiry::jobs::MacieJobs;
use crate::journal::{earlier_attempt, Entry, Journal};
use crate::outbound::Outbound;
use macie_guard_core::expiry::event::{HealthEvent, JobRef};
use macie_guard_core::expiry::job::JobStatus;
use macie_guard_core::expiry::outcome::{excluded_report, JobReport, Outcome, Summary};
use macie_guard_core::expiry::plan::{Action, Step};
use macie_guard_core::expiry::policy::Policy;
use macie_guard_core::expiry::reason::{By, Known, Loss, Prompt, Reason};
use macie_guard_core::expiry::recreate::{on_lost, OnLost};

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
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

    /// A `macie-guard:` tag was just set on `resource_arn` (CloudTrail's TagResource record; a
    /// chat channel's buttons set them): a cancelled job whose tag asks for it is recreated
    /// (whoever cancelled it: the tag, set after, says so); any other job is decided on now,
    /// as for a Health event naming it.
    pub(super) async fn tagged(
        &self,
        resource_arn: &str,
        just_set: Option<Policy>,
        now: DateTime<Utc>,
    ) -> crate::error::Result<Summary> {
        let mut summary = self.summary("tagged");
        let id = match JobRef::parse(resource_arn, &self.scope) {
            JobRef::Mine(id) => id,
            JobRef::Foreign { arn, reason } => {
                summary.ignored.push(format!("{arn}: {reason}"));
                return Ok(summary);
            }
            JobRef::NotAJob => {
                summary
                    .ignored
                    .push(format!("{resource_arn:?} is not a classification job"));
                return Ok(summary);
            }
        };
        match self.macie.describe(&id).await {
            Ok(Some(job)) if job.snapshot.status == JobStatus::Cancelled => {
                summary.jobs.push(
                    match on_lost(
                        &job.snapshot,
                        self.config.recreate_lost,
                        &self.config.exclusions,
                    ) {
                        OnLost::Excluded => {
                            excluded_report(&job.snapshot, now, Prompt::TaggedCancelled)
                        }
                        OnLost::Recreate => {
                            self.recreate(&job, Known::TagSet, By::TagSet, now).await
                        }
                        OnLost::Declined(why) => lost(&job, Loss::Cancelled, Some(why), now),
                        OnLost::Report => JobReport::new(
                            &job.snapshot,
                            now,
                            Step::Nothing,
                            Outcome::Nothing,
                            Reason::TaggedCancelled,
                        ),
                    },
                );
            }
            // Decided on as a Health event naming it has it (a missing or unreadable job
            // included); a resume or keep-paused just set is acted on at once.
            _ => summary
                .jobs
                .push(self.process_set(&id, just_set, now).await),
        }
        Ok(summary)
    }

    /// Finishes every change an earlier invocation left open whose lease has ended, and
    /// every one an earlier attempt of this very request left (Lambda's retry). The open
    /// changes of runs whose leases still run come back as `busy` reports: who holds each job,
    /// until when, and what happens then.
    pub(super) async fn recover(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(Vec<JobReport>, Vec<JobReport>)> {
        if self.config.dry_run {
            return Ok((Vec::new(), Vec::new()));
        }
        let real = self.leases.real_now(now);
        let (open, held): (Vec<Entry>, Vec<Entry>) = self
            .leases
            .journal
            .entries(&self.leases.scope.clone())
            .await?
            .into_iter()
            .filter(|e| e.owner != self.leases.owner)
            .partition(|e| e.lease_until < real || earlier_attempt(&e.owner, &self.leases.owner));
        let mut out = Vec::new();
        for left in open {
            tracing::warn!(job_id = %left.job_id, action = left.action.as_str(), owner = %left.owner, "finishing a change an earlier invocation left open");
            let mut entry = left.clone();
            entry.owner = self.leases.owner.clone();
            entry.lease_until = self.leases.until(now);
            let report = if left.action == Action::Recreate {
                // A lost job being created again: finished where recreations are made.
                self.recover_recreate(entry, now).await
            } else {
                self.leased(entry, None, None, now).await
            };
            out.push(report);
        }
        let held = held
            .into_iter()
            .map(|e| busy(&e.job_id, &e.name, e.action, &e.owner, e.lease_until))
            .collect();
        Ok((out, held))
    }

    /// Handles `ids` with bounded concurrency; stops taking new jobs when the invocation's
    /// time budget runs out. Returns the reports and how many jobs were left.
    pub(super) async fn process_all(
        &self,
        ids: Vec<String>,
        now: DateTime<Utc>,
    ) -> (Vec<JobReport>, usize) {
        let total = ids.len();
        self.progress.add_total(total);
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let taken = &taken;
        let mut reports: Vec<JobReport> = stream::iter(ids)
            .take_while(|_| std::future::ready(self.time_left()))
            .map(|id| async move {
                taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let report = self.process(&id, now).await;
                self.progress.one_done();
                report
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
}
