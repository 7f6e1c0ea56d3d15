//! Changing one job: decide on a fresh read, record the intent, act under the lease, and
//! finish what an earlier run left open.

use chrono::{DateTime, Utc};

use super::report::{busy, changed_log, unread, update_error_text};
use super::ExpiryGuard;
use crate::expiry::jobs::{DescribedJob, MacieJobs, Target, UpdateError};
use crate::journal::{Claim, Entry, Journal};
use crate::outbound::Outbound;
use macie_guard_core::expiry::job::{JobSnapshot, JobStatus};
use macie_guard_core::expiry::outcome::{excluded_report, plan_report, JobReport, Outcome};
use macie_guard_core::expiry::plan::{decide, wanted, windows_for, Action, Plan, Step};
use macie_guard_core::expiry::policy::{Policy, PolicySource};
use macie_guard_core::expiry::reason::{Prompt, Reason, Refusal};
use macie_guard_core::expiry::recovery::{left_by, Left};

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
    /// Re-reads the job, decides, and acts on it under a lease.
    pub async fn process(&self, job_id: &str, now: DateTime<Utc>) -> JobReport {
        self.process_set(job_id, None, now).await
    }

    /// [`Self::process`] for a job whose `macie-guard:on-expiry` tag was just set to
    /// `just_set` (see [`windows_for`]).
    pub(super) async fn process_set(
        &self,
        job_id: &str,
        just_set: Option<Policy>,
        now: DateTime<Utc>,
    ) -> JobReport {
        let job = match self.macie.describe(job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                return JobReport::unknown(
                    job_id,
                    Step::Nothing,
                    Outcome::NotFound,
                    Reason::NotFound,
                )
            }
            Err(e) => return JobReport::unknown(job_id, Step::Nothing, Outcome::Failed, unread(e)),
        };
        self.watch_paused(&job.snapshot, now).await;
        let (policy, source) = self.config.policy_for(&job.snapshot);
        let windows = windows_for(self.config.windows, policy, &source, just_set);
        let plan = decide(&job.snapshot, policy, windows, now);
        match plan {
            Plan::Act { action } if !self.config.dry_run => {
                let entry = self.intent(&job.snapshot, action, policy, now);
                let decided = Decided {
                    action,
                    policy,
                    source,
                };
                self.leased(entry, Some((job, decided)), just_set, now)
                    .await
            }
            _ => plan_report(
                &job.snapshot,
                &plan,
                policy,
                &source,
                self.config.dry_run,
                now,
            )
            .with_policy(policy, source),
        }
    }

    pub(super) fn intent(
        &self,
        job: &JobSnapshot,
        action: Action,
        policy: Policy,
        now: DateTime<Utc>,
    ) -> Entry {
        Entry {
            job_id: job.job_id.clone(),
            owner: self.leases.owner.clone(),
            lease_until: self.leases.until(now),
            action,
            policy,
            paused_at: job.paused_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            name: job.name.clone(),
            decided_at: now.to_rfc3339(),
        }
    }

    /// Takes the job's lease with `entry` as the intent; finishes whatever an earlier
    /// invocation left open (re-reading the job), else acts. `read` is the job as read just
    /// before the claim and what was decided on it: with no entry left open, that decision
    /// stands and is not made again.
    pub(super) async fn leased(
        &self,
        entry: Entry,
        read: Option<(DescribedJob, Decided)>,
        just_set: Option<Policy>,
        now: DateTime<Utc>,
    ) -> JobReport {
        let job_id = entry.job_id.clone();
        let previous = match self.leases.claim(&entry, now).await {
            Ok(Claim::Granted { previous }) => previous,
            Ok(Claim::Done) => {
                let mut r = JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::AlreadyDone,
                    Reason::AlreadyMade {
                        action: entry.action,
                    },
                );
                r.name = entry.name.clone();
                return r;
            }
            Ok(Claim::Busy { owner, until }) => {
                let r = busy(&job_id, &entry.name, entry.action, &owner, until);
                return match &read {
                    Some((j, _)) => JobReport {
                        held_by: r.held_by,
                        held_until: r.held_until,
                        ..JobReport::new(
                            &j.snapshot,
                            now,
                            Step::from(entry.action),
                            Outcome::Busy,
                            r.reason,
                        )
                    },
                    None => r,
                };
            }
            Err(e) => {
                return JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::Failed,
                    Reason::LeaseFailed {
                        error: e.to_string(),
                        creating: false,
                    },
                )
            }
        };
        // The ordinary path: nothing was left open, so the decision made on the job as just
        // read stands.
        if let (None, Some((fresh, decided))) = (&previous, &read) {
            return self
                .act(fresh, decided.action, decided.policy, &decided.source, now)
                .await
                .with_policy(decided.policy, decided.source.clone());
        }
        // An entry left by a dead invocation: what it intended.
        let read = if previous.is_some() { None } else { read };
        let open = previous.unwrap_or_else(|| entry.clone());
        if open.action == Action::Recreate {
            // A recreation left open is recovery's to finish (`recover_recreate`), first thing
            // in a run: handed back, nothing changed here.
            let _ = self.leases.hand_over(&job_id).await;
            let mut r = JobReport::unknown(
                &job_id,
                Step::Recreate,
                Outcome::Busy,
                Reason::RecreationLeftOpen,
            );
            r.name = open.name.clone();
            return r;
        }
        let described = match read {
            Some((j, _)) => Ok(Some(j)),
            None => self.macie.describe(&job_id).await,
        };
        let fresh = match described {
            Ok(Some(j)) => j,
            Ok(None) => {
                let _ = self.leases.release(&job_id, false).await;
                let mut r = JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::NotFound,
                    Reason::NotFound,
                );
                r.name = entry.name.clone();
                return r;
            }
            Err(e) => {
                // Keep the entry: the next invocation finds out what happened.
                let mut r = JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::Failed,
                    unread(e),
                );
                r.held = true;
                return r;
            }
        };
        if self.config.excluded(&fresh.snapshot) {
            // Excluded since the change was decided: no call is made. A change already made is
            // reported as made; anything else is left as it is now.
            let interrupted = open.owner != self.leases.owner;
            let left = left_by(
                open.action,
                open.paused_at_time(),
                &fresh.snapshot,
                interrupted,
            );
            if let Left::Made { .. } = left {
                // Only a report: made() calls Macie for PauseAgain alone.
                if let Some(report) = self.made(&open, &fresh, now).await {
                    return report;
                }
            }
            let _ = self.leases.release(&job_id, false).await;
            let asked = match left {
                Left::PauseAgain => Prompt::PauseAgainLeft,
                _ => Prompt::ChangeLeftOpen(open.action),
            };
            return excluded_report(&fresh.snapshot, now, asked);
        }
        if let Some(report) = self.made(&open, &fresh, now).await {
            return report;
        }
        // Nothing was changed yet: decide on what the job is now.
        let (policy, source) = self.config.policy_for(&fresh.snapshot);
        let windows = windows_for(self.config.windows, policy, &source, just_set);
        let plan = decide(&fresh.snapshot, policy, windows, now);
        match plan {
            Plan::Act { action } => {
                let intent = self.intent(&fresh.snapshot, action, policy, now);
                if (intent.action, &intent.paused_at, intent.policy)
                    != (open.action, &open.paused_at, open.policy)
                {
                    match self.leases.reclaim(&intent, now).await {
                        Ok(Claim::Granted { .. }) => {}
                        Ok(Claim::Done) => {
                            let _ = self.leases.release(&job_id, false).await;
                            return JobReport::new(
                                &fresh.snapshot,
                                now,
                                Step::from(action),
                                Outcome::AlreadyDone,
                                Reason::AlreadyMade { action },
                            );
                        }
                        Ok(Claim::Busy { .. }) | Err(_) => {
                            // The entry stays ours and is handed over: nothing was changed.
                            let mut r = JobReport::unknown(
                                &job_id,
                                Step::from(action),
                                Outcome::Failed,
                                Reason::JournalFailed,
                            );
                            r.held = true;
                            return r;
                        }
                    }
                }
                self.act(&fresh, action, policy, &source, now)
                    .await
                    .with_policy(policy, source)
            }
            _ => {
                let _ = self.leases.release(&job_id, false).await;
                plan_report(
                    &fresh.snapshot,
                    &plan,
                    policy,
                    &source,
                    self.config.dry_run,
                    now,
                )
                .with_policy(policy, source)
            }
        }
    }

    /// Whether the change `open` intended was already made (by an invocation that died before
    /// reporting it), finishing keep-paused's pause where only the resume was made. `None`:
    /// nothing was changed yet.
    pub(super) async fn made(
        &self,
        open: &Entry,
        fresh: &DescribedJob,
        now: DateTime<Utc>,
    ) -> Option<JobReport> {
        let snap = &fresh.snapshot;
        let interrupted = open.owner != self.leases.owner;
        let done = |outcome, reason: Reason| {
            let mut r = JobReport::new(snap, now, Step::from(open.action), outcome, reason)
                .with_policy(open.policy, PolicySource::Tag);
            r.policy_source = None;
            r.held = true;
            r
        };
        match left_by(open.action, open.paused_at_time(), snap, interrupted) {
            Left::Nothing => None,
            Left::PauseAgain => match self.macie.update(&snap.job_id, Target::UserPaused).await {
                Ok(()) => {
                    changed_log(snap, snap.status.as_str(), "USER_PAUSED");
                    Some(done(
                        Outcome::Done,
                        Reason::Finished {
                            policy: Policy::KeepPaused,
                            interrupted,
                        },
                    ))
                }
                Err(e) => Some(done(
                    Outcome::Failed,
                    Reason::RepauseFailed {
                        error: update_error_text(&e),
                        now: snap.status.to_string(),
                    },
                )),
            },
            Left::Made {
                reason,
                with_definition,
            } => {
                let mut r = done(Outcome::Done, reason);
                if with_definition {
                    r.definition = Some(fresh.definition.clone());
                }
                Some(r)
            }
        }
    }

    /// Makes the change (one or two UpdateClassificationJob calls), under the lease.
    pub(super) async fn act(
        &self,
        job: &DescribedJob,
        action: Action,
        policy: Policy,
        source: &PolicySource,
        now: DateTime<Utc>,
    ) -> JobReport {
        let snap = &job.snapshot;
        let report = |snap: &JobSnapshot, outcome, reason: Reason, held: bool| {
            let mut r = JobReport::new(snap, now, Step::from(action), outcome, reason);
            r.held = held;
            if action == Action::Cancel && outcome == Outcome::Done {
                r.definition = Some(job.definition.clone());
            }
            r
        };
        let success = || Reason::Changed {
            policy,
            from_tag: *source == PolicySource::Tag,
        };
        let first = match action {
            Action::Resume | Action::KeepPaused => Target::Running,
            Action::Cancel => Target::Cancelled,
            // Never a plan's change: a lost job is recreated by `lost::recreate`.
            Action::Recreate => return report(snap, Outcome::Failed, Reason::NotAChange, false),
        };
        let mut result = self.macie.update(&snap.job_id, first).await;
        if let Err(UpdateError::Refused { code, message }) = &result {
            let refusal = Refusal {
                code: code.clone(),
                message: message.clone(),
            };
            // The state moved under us: re-read, decide again, act at most once more.
            let again = match self.macie.describe(&snap.job_id).await {
                Ok(Some(j)) => j,
                Ok(None) => {
                    let _ = self.leases.release(&snap.job_id, false).await;
                    return report(snap, Outcome::NotFound, Reason::Disappeared, false);
                }
                Err(e) => {
                    let reason = Reason::RereadFailed {
                        refusal,
                        error: e.to_string(),
                    };
                    return report(snap, Outcome::Failed, reason, true);
                }
            };
            let fresh = &again.snapshot;
            match decide(fresh, policy, self.config.windows, now) {
                Plan::Act { action: a } if a == action => {
                    result = self.macie.update(&fresh.job_id, first).await;
                    if let Err(UpdateError::Refused { code, message }) = &result {
                        let refusal = Refusal {
                            code: code.clone(),
                            message: message.clone(),
                        };
                        let reason = Reason::RefusedTwice { action, refusal };
                        return report(fresh, Outcome::Failed, reason, true);
                    }
                }
                _ => {
                    // Nothing to make: the job is already there, or moved away.
                    let _ = self.leases.release(&snap.job_id, false).await;
                    let (outcome, reason) = if wanted(action, fresh) {
                        (Outcome::AlreadyDone, Reason::AlreadyThere)
                    } else {
                        (Outcome::Nothing, Reason::MovedAway { refusal })
                    };
                    return report(fresh, outcome, reason, false);
                }
            }
        }
        if let Err(e) = result {
            // Maybe made, maybe not (a timeout can hide a success): the entry stays and the
            // next invocation finds out.
            let reason = Reason::ChangeFailed {
                action,
                error: update_error_text(&e),
            };
            return report(snap, Outcome::Failed, reason, true);
        }
        changed_log(
            snap,
            snap.status.as_str(),
            if first == Target::Running {
                "RUNNING"
            } else {
                "CANCELLED"
            },
        );
        if action != Action::KeepPaused {
            return report(snap, Outcome::Done, success(), true);
        }
        let mut paused = self.macie.update(&snap.job_id, Target::UserPaused).await;
        if let Err(UpdateError::Refused { .. }) = &paused {
            // Not RUNNING yet, or no longer: pausing is legal from RUNNING, IDLE and PAUSED.
            if let Ok(Some(j)) = self.macie.describe(&snap.job_id).await {
                if matches!(j.snapshot.status, JobStatus::Running | JobStatus::Paused) {
                    paused = self.macie.update(&snap.job_id, Target::UserPaused).await;
                }
            }
        }
        match paused {
            Ok(()) => {
                changed_log(snap, "RUNNING", "USER_PAUSED");
                report(snap, Outcome::Done, success(), true)
            }
            Err(e) => {
                let reason = Reason::RepauseFailed {
                    error: update_error_text(&e),
                    now: "RUNNING".into(),
                };
                report(snap, Outcome::Failed, reason, true)
            }
        }
    }
}

/// What [`ExpiryGuard::process`] decided on the job as it read it: the change and the policy
/// (and where it came from) it follows.
pub(super) struct Decided {
    pub action: Action,
    pub policy: Policy,
    pub source: PolicySource,
}
