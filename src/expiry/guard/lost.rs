//! Lost jobs: reported with their definition and the command that brings them back, and, where
//! a one-time job's tag asks for it (`macie-guard:on-lost=recreate`) and the stack allows it,
//! created again once, under the job's journal entry like every other change.
//!
//! A lost job is known three ways: Macie's Health event; a sweep that finds cancelled a job it
//! watched while paused ([`crate::journal::Watch`]: no trace of a pause is left on a cancelled
//! job, so the guard keeps its own); and the tag set on it after it was cancelled (CloudTrail's
//! TagResource record: `tagged`).

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use super::report::busy;
use super::ExpiryGuard;
use crate::expiry::jobs::{DescribedJob, MacieJobs};
use crate::journal::{Claim, Entry, Journal};
use crate::outbound::Outbound;
use macie_guard_core::expiry::event::{HealthEvent, HealthKind};
use macie_guard_core::expiry::outcome::{excluded_report, label, when, JobReport, NewJob, Outcome};
use macie_guard_core::expiry::plan::{Action, Step};
use macie_guard_core::expiry::recreate::{
    self, on_lost, watched, OnLost, Sighting, ON_LOST_RECREATE, ON_LOST_TAG,
};

/// What a lost one-time job's report says.
const LOST_ONE_TIME: &str = "Macie cancelled this one-time job after it stayed paused for 30 days. Its scan is lost; recreate it once with `macie-guard recreate` (the command and the definition are in this report).";
/// Who asked for a recreation, as the report says it.
const BY_TAG: &str = "as its tag macie-guard:on-lost=recreate asks";
pub(super) const BY_TAG_SET: &str =
    "as its tag macie-guard:on-lost=recreate, set after it was cancelled, asks";

/// A watched job found cancelled when macie-guard cannot tell who cancelled it.
const WATCHED_CANCELLED: &str = "This one-time job is CANCELLED and its 30-day pause has expired; Macie cancels such a job, and a person may have. Its scan is lost; recreate it once with `macie-guard recreate` (the command and the definition are in this report).";

const LOST_RUN: &str = "Macie cancelled the paused run of this recurring job after 30 days; the job itself remains and runs on its schedule.";

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
    /// The jobs a cancellation event names: each reported lost with its definition, or
    /// recreated where its tag asks and the stack allows it.
    pub(super) async fn report_lost(
        &self,
        ev: &HealthEvent,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Vec<JobReport> {
        let what = match ev.kind {
            HealthKind::RunCancelled => LOST_RUN,
            _ => LOST_ONE_TIME,
        };
        if ids.is_empty() {
            let mut r = JobReport::unknown(
                "",
                Step::Lost,
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
                    let why = "Macie cancelled it after it stayed paused for 30 days (its Health event says so)";
                    self.lost_by_macie(&job, what, why, now).await
                }
                Ok(None) => JobReport::unknown(id, Step::Lost, Outcome::NotFound, format!("job {id} named by a cancellation event does not exist in this account and Region")),
                Err(e) => JobReport::unknown(id, Step::Lost, Outcome::Failed, format!("could not read the lost job to report its definition: {e}")),
            });
        }
        out
    }

    /// A sweep's look at the watched jobs it did not find paused (`paused`: the ids it listed
    /// USER_PAUSED): a job Macie cancelled at expiry is recreated; one cancelled before its
    /// pause could expire was cancelled by a person, and one that cannot be told apart from a
    /// person's cancellation is reported lost.
    pub(super) async fn lost_watched(
        &self,
        now: DateTime<Utc>,
        paused: &HashSet<String>,
    ) -> Vec<JobReport> {
        if self.config.dry_run || !self.config.recreate_lost {
            return Vec::new();
        }
        let watches = match self.leases.journal.watches(&self.leases.scope).await {
            Ok(w) => w,
            Err(e) => {
                let mut r = JobReport::unknown(
                    "",
                    Step::Recreate,
                    Outcome::Failed,
                    format!("could not read the jobs watched for {ON_LOST_TAG}={ON_LOST_RECREATE}: {e}; the next sweep looks again (the Health event still recreates them)"),
                );
                r.name = "(watched jobs)".into();
                return vec![r];
            }
        };
        let real = self.leases.real_now(now);
        let mut out = Vec::new();
        // Listed paused this very sweep: nothing new to learn (the job is looked at, and its
        // watch renewed, when it is in the window).
        for w in watches.into_iter().filter(|w| !paused.contains(&w.job_id)) {
            let job = match self.macie.describe(&w.job_id).await {
                Ok(Some(j)) => j,
                Ok(None) => {
                    self.unwatch(&w.job_id).await;
                    continue;
                }
                Err(e) => {
                    out.push(JobReport::unknown(&w.job_id, Step::Recreate, Outcome::Failed, format!("job {} (watched for {ON_LOST_TAG}={ON_LOST_RECREATE}) could not be read: {e}; the next sweep looks again", w.job_id)));
                    continue;
                }
            };
            match watched(&job.snapshot.status, w.expires_at, w.seen_paused_at, real) {
                Sighting::Waiting => {}
                Sighting::Done | Sighting::CancelledEarly => self.unwatch(&w.job_id).await,
                Sighting::Unsure(reason) => {
                    out.push(lost(&job, WATCHED_CANCELLED, Some(&reason), now));
                    self.unwatch(&w.job_id).await;
                }
                Sighting::Lost => {
                    let why = format!(
                        "Macie cancelled it when its pause expired ({}; macie-guard saw it paused at {})",
                        DateTime::from_timestamp(w.expires_at, 0).map(when).unwrap_or_default(),
                        DateTime::from_timestamp(w.seen_paused_at, 0).map(when).unwrap_or_default()
                    );
                    // The tag, the type and the stack decide again on the job as it is now.
                    out.push(self.lost_by_macie(&job, LOST_ONE_TIME, &why, now).await);
                }
            }
        }
        out
    }

    /// A job Macie cancelled (`what` says it, `why` how it is known): recreated where its tag
    /// asks and the stack allows it, else reported lost (and why its tag's wish was not
    /// followed, where it was not).
    pub(super) async fn lost_by_macie(
        &self,
        job: &DescribedJob,
        what: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> JobReport {
        match on_lost(
            &job.snapshot,
            self.config.recreate_lost,
            &self.config.exclusions,
        ) {
            OnLost::Excluded => {
                self.unwatch(&job.snapshot.job_id).await;
                excluded_report(&job.snapshot, now, &format!("it is lost ({why})"))
            }
            OnLost::Recreate => self.recreate(job, why, BY_TAG, now).await,
            OnLost::Report => lost(job, what, None, now),
            OnLost::Declined(reason) => lost(job, what, Some(&reason), now),
        }
    }

    /// Creates the lost `job` again, once: under its journal entry (action `recreate`), the
    /// job that already stands for it found first, then what its definition refers to checked,
    /// then CreateClassificationJob with the token derived from the lost job.
    pub(super) async fn recreate(
        &self,
        job: &DescribedJob,
        why: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> JobReport {
        let snap = &job.snapshot;
        let request = match recreate::request(&snap.job_id, &job.definition, None) {
            Ok(r) => r,
            Err(e) => {
                self.unwatch(&snap.job_id).await;
                return lost(
                    job,
                    &lost_because(why),
                    Some(&format!("it cannot be recreated: {e}")),
                    now,
                );
            }
        };
        if self.config.dry_run {
            let mut r = JobReport::new(
                snap,
                now,
                Step::Recreate,
                Outcome::DryRun,
                format!(
                "{}: {why}; it would be recreated {by}, as \"{}\" (dry run: nothing was created)",
                label(snap), request["name"].as_str().unwrap_or_default()),
            );
            r.definition = Some(job.definition.clone());
            return r;
        }
        if self.leases.holds(&snap.job_id) {
            // This run recreated it already (finishing what an earlier run left, above).
            return JobReport::new(
                snap,
                now,
                Step::Recreate,
                Outcome::AlreadyDone,
                format!("{}: recreated by this run already", label(snap)),
            );
        }
        let (policy, _) = self.config.policy_for(snap);
        let entry = Entry {
            job_id: snap.job_id.clone(),
            owner: self.leases.owner.clone(),
            lease_until: self.leases.until(now),
            action: Action::Recreate,
            policy,
            // A job is cancelled once, for good: one recreation stands for it.
            paused_at: String::new(),
            name: snap.name.clone(),
            decided_at: now.to_rfc3339(),
        };
        match self.leases.claim(&entry, now).await {
            Ok(Claim::Granted { previous }) => {
                let interrupted = previous.is_some();
                self.recreate_held(job, request, why, by, interrupted, now)
                    .await
            }
            Ok(Claim::Done) => {
                self.unwatch(&snap.job_id).await;
                let mut r = JobReport::new(snap, now, Step::Recreate, Outcome::AlreadyDone, format!(
                    "{}: another invocation already recreated it", label(snap)));
                r.definition = Some(job.definition.clone());
                r
            }
            Ok(Claim::Busy { owner, until }) => {
                busy(&snap.job_id, &snap.name, Action::Recreate, &owner, until)
            }
            Err(e) => JobReport::unknown(
                &snap.job_id,
                Step::Recreate,
                Outcome::Failed,
                format!("{e}; nothing was created (the job's lease could not be taken); the next run tries again"),
            ),
        }
    }

    /// Recovery's way into a recreation an earlier invocation left open: the entry taken over
    /// (`entry`: this run's claim on it), then finished by [`Self::recreate_open`].
    pub(super) async fn recover_recreate(&self, entry: Entry, now: DateTime<Utc>) -> JobReport {
        let job_id = entry.job_id.clone();
        match self.leases.claim(&entry, now).await {
            Ok(Claim::Granted { previous }) => {
                self.recreate_open(&previous.unwrap_or(entry), now).await
            }
            Ok(Claim::Done) => {
                let mut r = JobReport::unknown(
                    &job_id,
                    Step::Recreate,
                    Outcome::AlreadyDone,
                    format!("job {job_id}: another invocation already made this change (recreate)"),
                );
                r.name = entry.name.clone();
                r
            }
            Ok(Claim::Busy { owner, until }) => {
                busy(&job_id, &entry.name, Action::Recreate, &owner, until)
            }
            Err(e) => JobReport::unknown(
                &job_id,
                Step::Recreate,
                Outcome::Failed,
                format!("{e}; nothing was changed (the job's lease could not be taken)"),
            ),
        }
    }

    /// Finishes a recreation an earlier invocation left open (recovery): the lost job read
    /// again, then as [`Self::recreate`] under the entry this run now holds.
    pub(super) async fn recreate_open(&self, open: &Entry, now: DateTime<Utc>) -> JobReport {
        let why = "it is CANCELLED, and a run decided to recreate it";
        let job = match self.macie.describe(&open.job_id).await {
            Ok(Some(j)) => j,
            Ok(None) => {
                let _ = self.leases.release(&open.job_id, false).await;
                let mut r = JobReport::unknown(
                    &open.job_id,
                    Step::Recreate,
                    Outcome::NotFound,
                    format!(
                        "job {} was to be recreated and does not exist (any more)",
                        open.job_id
                    ),
                );
                r.name = open.name.clone();
                return r;
            }
            Err(e) => {
                let mut r = JobReport::unknown(
                    &open.job_id,
                    Step::Recreate,
                    Outcome::Failed,
                    e.to_string(),
                );
                r.held = true;
                return r;
            }
        };
        if self.config.excluded(&job.snapshot) {
            // Excluded since the recreation was decided: never created.
            let _ = self.leases.release(&open.job_id, false).await;
            self.unwatch(&open.job_id).await;
            return excluded_report(
                &job.snapshot,
                now,
                "an interrupted run had decided to recreate it",
            );
        }
        let request = match recreate::request(&open.job_id, &job.definition, None) {
            Ok(r) => r,
            Err(e) => {
                let _ = self.leases.release(&open.job_id, false).await;
                return lost(
                    &job,
                    &lost_because(why),
                    Some(&format!("it cannot be recreated: {e}")),
                    now,
                );
            }
        };
        let by = "as decided before an earlier invocation was interrupted";
        self.recreate_held(&job, request, why, by, open.owner != self.leases.owner, now)
            .await
    }

    /// The recreation itself, under the job's lease (held until the report is out).
    async fn recreate_held(
        &self,
        job: &DescribedJob,
        request: serde_json::Value,
        why: &str,
        by: &str,
        interrupted: bool,
        now: DateTime<Utc>,
    ) -> JobReport {
        let snap = &job.snapshot;
        let who = label(snap);
        let name = request["name"].as_str().unwrap_or_default().to_string();
        let note = if interrupted {
            " (finished after an earlier invocation was interrupted)"
        } else {
            ""
        };
        let report = |outcome, message: String, recreated: Option<NewJob>, held: bool| {
            let mut r = JobReport::new(snap, now, Step::Recreate, outcome, message);
            r.definition = Some(job.definition.clone());
            r.recreated = recreated;
            r.held = held;
            r
        };
        let failed = |what: String| {
            report(
                Outcome::Failed,
                format!("{who}: {why}; recreating it {by} failed: {what}. The next run finds out whether it was created and finishes it (the request's client token makes it once only)"),
                None,
                true,
            )
        };
        match self.macie.standing(&snap.job_id, &name).await {
            Ok(Some(id)) => {
                self.unwatch(&snap.job_id).await;
                let new = NewJob {
                    job_arn: self.scope.job_arn(&id),
                    job_id: id,
                    name: name.clone(),
                };
                let message = format!(
                    "{who}: {why}; it was recreated, once, {by}: the new job is \"{name}\" ({}){note}",
                    new.job_id
                );
                return report(Outcome::Done, message, Some(new), true);
            }
            Ok(None) => {}
            Err(e) => return failed(e.to_string()),
        }
        match self.macie.missing(&request).await {
            Ok(missing) if !missing.is_empty() => {
                let _ = self.leases.release(&snap.job_id, false).await;
                self.unwatch(&snap.job_id).await;
                return lost(job, &lost_because(why), Some(&format!(
                    "it was to be recreated {by}, and it cannot be recreated as it was: {} no longer exist(s). Nothing was created; create what is missing, then run the command",
                    missing.join(", "))), now);
            }
            Ok(_) => {}
            Err(e) => return failed(e.to_string()),
        }
        match self.macie.create(&request).await {
            Ok(new) => {
                tracing::info!(job_id = %snap.job_id, new_job_id = %new.job_id, name = %new.name, "job recreated");
                self.unwatch(&snap.job_id).await;
                let message = format!(
                    "{who}: {why}; it was recreated, once, {by}: the new job is \"{}\" ({}), and its scan starts over{note}",
                    new.name, new.job_id
                );
                report(Outcome::Done, message, Some(new), true)
            }
            Err(e) => failed(e.to_string()),
        }
    }
}

/// What a lost job's report says when recreating it was decided and could not be done: the
/// reason it was to be recreated, then how to bring it back.
fn lost_because(why: &str) -> String {
    format!("It is lost ({why}); recreate it once with `macie-guard recreate` (the command and the definition are in this report).")
}

/// A lost job's report: what happened, with its definition, and why its tag's wish was not
/// followed where it was not.
pub(super) fn lost(
    job: &DescribedJob,
    what: &str,
    declined: Option<&str>,
    now: DateTime<Utc>,
) -> JobReport {
    let mut message = format!("{}: {what}", label(&job.snapshot));
    if let Some(why) = declined {
        message.push_str(&format!(" Not recreated automatically: {why}."));
    }
    let mut r = JobReport::new(&job.snapshot, now, Step::Lost, Outcome::Lost, message);
    r.definition = Some(job.definition.clone());
    r
}
