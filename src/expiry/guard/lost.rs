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

use super::report::{busy, unread};
use super::ExpiryGuard;
use crate::expiry::jobs::{DescribedJob, MacieJobs};
use crate::journal::{Claim, Entry, Journal};
use crate::outbound::Outbound;
use macie_guard_core::expiry::event::{HealthEvent, HealthKind};
use macie_guard_core::expiry::outcome::{excluded_report, JobReport, NewJob, Outcome};
use macie_guard_core::expiry::plan::{Action, Step};
use macie_guard_core::expiry::reason::{By, Known, Loss, NotRecreated, Prompt, Reason, Unread};
use macie_guard_core::expiry::recreate::{self, on_lost, watched, OnLost, Sighting};

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
            HealthKind::RunCancelled => Loss::Run,
            _ => Loss::OneTime,
        };
        if ids.is_empty() {
            let reason = Reason::LostUnidentified {
                loss: what,
                event_arn: ev.detail.event_arn.clone(),
                description: ev.detail.description().map(str::to_string),
            };
            let mut r = JobReport::unknown("", Step::Lost, Outcome::Lost, reason);
            r.name = "(not identified by the event)".into();
            return vec![r];
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(match self.macie.describe(id).await {
                Ok(Some(job)) => {
                    self.lost_by_macie(&job, what.clone(), Known::HealthEvent, now)
                        .await
                }
                Ok(None) => {
                    JobReport::unknown(id, Step::Lost, Outcome::NotFound, Reason::EventJobMissing)
                }
                Err(e) => {
                    let reason = Reason::Unreadable {
                        what: Unread::LostJob,
                        error: e.to_string(),
                    };
                    JobReport::unknown(id, Step::Lost, Outcome::Failed, reason)
                }
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
                let reason = Reason::Unreadable {
                    what: Unread::Watches,
                    error: e.to_string(),
                };
                let mut r = JobReport::unknown("", Step::Recreate, Outcome::Failed, reason);
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
                    let reason = Reason::Unreadable {
                        what: Unread::Watched,
                        error: e.to_string(),
                    };
                    out.push(JobReport::unknown(
                        &w.job_id,
                        Step::Recreate,
                        Outcome::Failed,
                        reason,
                    ));
                    continue;
                }
            };
            match watched(&job.snapshot.status, w.expires_at, w.seen_paused_at, real) {
                Sighting::Waiting => {}
                Sighting::Done | Sighting::CancelledEarly => self.unwatch(&w.job_id).await,
                Sighting::Unsure(why) => {
                    out.push(lost(&job, Loss::WatchedCancelled, Some(why), now));
                    self.unwatch(&w.job_id).await;
                }
                Sighting::Lost => {
                    let why = Known::Watched {
                        expires_at: DateTime::from_timestamp(w.expires_at, 0),
                        seen_paused_at: DateTime::from_timestamp(w.seen_paused_at, 0),
                    };
                    // The tag, the type and the stack decide again on the job as it is now.
                    out.push(self.lost_by_macie(&job, Loss::OneTime, why, now).await);
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
        what: Loss,
        why: Known,
        now: DateTime<Utc>,
    ) -> JobReport {
        match on_lost(
            &job.snapshot,
            self.config.recreate_lost,
            &self.config.exclusions,
        ) {
            OnLost::Excluded => {
                self.unwatch(&job.snapshot.job_id).await;
                excluded_report(&job.snapshot, now, Prompt::Lost(why))
            }
            OnLost::Recreate => self.recreate(job, why, By::Tag, now).await,
            OnLost::Report => lost(job, what, None, now),
            OnLost::Declined(reason) => lost(job, what, Some(reason), now),
        }
    }

    /// Creates the lost `job` again, once: under its journal entry (action `recreate`), the
    /// job that already stands for it found first, then what its definition refers to checked,
    /// then CreateClassificationJob with the token derived from the lost job.
    pub(super) async fn recreate(
        &self,
        job: &DescribedJob,
        why: Known,
        by: By,
        now: DateTime<Utc>,
    ) -> JobReport {
        let snap = &job.snapshot;
        let request = match recreate::request(&snap.job_id, &job.definition, None) {
            Ok(r) => r,
            Err(e) => {
                self.unwatch(&snap.job_id).await;
                let invalid = NotRecreated::Invalid {
                    error: e.to_string(),
                };
                return lost(job, Loss::Unrecreated(why), Some(invalid), now);
            }
        };
        if self.config.dry_run {
            let reason = Reason::WouldRecreate {
                known: why,
                by,
                name: request["name"].as_str().unwrap_or_default().to_string(),
            };
            let mut r = JobReport::new(snap, now, Step::Recreate, Outcome::DryRun, reason);
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
                Reason::RecreatedThisRun,
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
                let mut r = JobReport::new(
                    snap,
                    now,
                    Step::Recreate,
                    Outcome::AlreadyDone,
                    Reason::AlreadyRecreated,
                );
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
                Reason::LeaseFailed {
                    error: e.to_string(),
                    creating: true,
                },
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
                    Reason::AlreadyMade {
                        action: Action::Recreate,
                    },
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
                Reason::LeaseFailed {
                    error: e.to_string(),
                    creating: false,
                },
            ),
        }
    }

    /// Finishes a recreation an earlier invocation left open (recovery): the lost job read
    /// again, then as [`Self::recreate`] under the entry this run now holds.
    pub(super) async fn recreate_open(&self, open: &Entry, now: DateTime<Utc>) -> JobReport {
        let why = Known::RunDecided;
        let job = match self.macie.describe(&open.job_id).await {
            Ok(Some(j)) => j,
            Ok(None) => {
                let _ = self.leases.release(&open.job_id, false).await;
                let mut r = JobReport::unknown(
                    &open.job_id,
                    Step::Recreate,
                    Outcome::NotFound,
                    Reason::RecreateJobMissing,
                );
                r.name = open.name.clone();
                return r;
            }
            Err(e) => {
                let mut r =
                    JobReport::unknown(&open.job_id, Step::Recreate, Outcome::Failed, unread(e));
                r.held = true;
                return r;
            }
        };
        if self.config.excluded(&job.snapshot) {
            // Excluded since the recreation was decided: never created.
            let _ = self.leases.release(&open.job_id, false).await;
            self.unwatch(&open.job_id).await;
            return excluded_report(&job.snapshot, now, Prompt::RecreateDecided);
        }
        let request = match recreate::request(&open.job_id, &job.definition, None) {
            Ok(r) => r,
            Err(e) => {
                let _ = self.leases.release(&open.job_id, false).await;
                let invalid = NotRecreated::Invalid {
                    error: e.to_string(),
                };
                return lost(&job, Loss::Unrecreated(why), Some(invalid), now);
            }
        };
        let interrupted = open.owner != self.leases.owner;
        self.recreate_held(&job, request, why, By::Decided, interrupted, now)
            .await
    }

    /// The recreation itself, under the job's lease (held until the report is out).
    async fn recreate_held(
        &self,
        job: &DescribedJob,
        request: serde_json::Value,
        why: Known,
        by: By,
        interrupted: bool,
        now: DateTime<Utc>,
    ) -> JobReport {
        let snap = &job.snapshot;
        let name = request["name"].as_str().unwrap_or_default().to_string();
        let report = |outcome, reason: Reason, recreated: Option<NewJob>, held: bool| {
            let mut r = JobReport::new(snap, now, Step::Recreate, outcome, reason);
            r.definition = Some(job.definition.clone());
            r.recreated = recreated;
            r.held = held;
            r
        };
        let failed = |error: String| {
            let reason = Reason::RecreateFailed {
                known: why.clone(),
                by,
                error,
            };
            report(Outcome::Failed, reason, None, true)
        };
        let recreated = |created| Reason::Recreated {
            known: why.clone(),
            by,
            interrupted,
            created,
        };
        match self.macie.standing(&snap.job_id, &name).await {
            Ok(Some(id)) => {
                self.unwatch(&snap.job_id).await;
                let new = NewJob {
                    job_arn: self.scope.job_arn(&id),
                    job_id: id,
                    name: name.clone(),
                };
                return report(Outcome::Done, recreated(false), Some(new), true);
            }
            Ok(None) => {}
            Err(e) => return failed(e.to_string()),
        }
        match self.macie.missing(&request).await {
            Ok(missing) if !missing.is_empty() => {
                let _ = self.leases.release(&snap.job_id, false).await;
                self.unwatch(&snap.job_id).await;
                let gone = NotRecreated::Missing { by, missing };
                return lost(job, Loss::Unrecreated(why.clone()), Some(gone), now);
            }
            Ok(_) => {}
            Err(e) => return failed(e.to_string()),
        }
        match self.macie.create(&request).await {
            Ok(new) => {
                tracing::info!(job_id = %snap.job_id, new_job_id = %new.job_id, name = %new.name, "job recreated");
                self.unwatch(&snap.job_id).await;
                report(Outcome::Done, recreated(true), Some(new), true)
            }
            Err(e) => failed(e.to_string()),
        }
    }
}

/// A lost job's report: what was lost, with its definition, and why its tag's wish was not
/// followed where it was not.
pub(super) fn lost(
    job: &DescribedJob,
    what: Loss,
    declined: Option<NotRecreated>,
    now: DateTime<Utc>,
) -> JobReport {
    let reason = Reason::Lost {
        loss: what,
        declined,
    };
    let mut r = JobReport::new(&job.snapshot, now, Step::Lost, Outcome::Lost, reason);
    r.definition = Some(job.definition.clone());
    r
}
