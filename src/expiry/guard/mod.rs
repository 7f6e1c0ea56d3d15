//! The expiry guard: finds paused jobs near expiry, decides per job, acts, and reports.
//!
//! This file runs one invocation (the heartbeat, the dispatch, the report). Below it, and
//! calling only down: [`entry`] the entry points (sweep, Health event, tag record, recovery);
//! then [`find`] finds the jobs to look at, [`change`] changes one job under its lease,
//! [`lost`] reports lost jobs and recreates the ones whose tag asks for it; then the watch of
//! jobs to recreate ([`watch`]), the leases ([`lease`]) and the shared reports ([`report`]).

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::jobs::MacieJobs;
use crate::error::Result;
use crate::journal::memory::MemoryJournal;
use crate::journal::{Journal, HEARTBEAT_SECS};
use crate::outbound::securityhub::log_hub;
use crate::outbound::Outbound;
use macie_guard_core::delivery::{Delivery, Told};
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::{Outcome, Summary};
use macie_guard_core::expiry::policy::Policy;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::asff::expiry::expiry_sync;
use macie_guard_core::tell::expiry::{events, notification};

pub use crate::invocation::RESERVE_SECS;

pub struct ExpiryGuard<M, N, J = MemoryJournal> {
    pub macie: M,
    /// Where the outcome goes out: the message, the events, Security Hub.
    pub outbound: N,
    pub config: ExpiryConfig,
    pub scope: Scope,
    /// The journal as this run holds it: leases, intents and the outbox of changes (see
    /// [`crate::journal`]), the run's owner id, real time and the heartbeat.
    pub leases: Leases<J>,
    /// When the invocation must be over (Lambda's deadline); `None`: no deadline (the CLI).
    pub deadline: Option<DateTime<Utc>>,
    /// When the invocation started (the time budget is measured from here).
    pub started: DateTime<Utc>,
    /// Set to stop taking new jobs (the CLI's Ctrl-C): the jobs in flight are finished and
    /// reported.
    pub stop: Arc<AtomicBool>,
    /// The jobs this run has to do and has done (the CLI's progress bar).
    pub progress: Arc<crate::progress::Tally>,
}

/// An owner for a run that has no request id of its own (the CLI): an attempt of a request
/// of its own.
pub fn invocation_id() -> String {
    crate::journal::attempt_of(&format!("cli-{}", std::process::id()))
}

impl<M: MacieJobs, N: Outbound> ExpiryGuard<M, N, MemoryJournal> {
    /// A guard with the process's own journal and no deadline (the CLI, tests).
    pub fn new(macie: M, outbound: N, config: ExpiryConfig, scope: Scope) -> Self {
        let leases = Leases::new(
            MemoryJournal::new(),
            invocation_id(),
            scope.journal_key(),
            Utc::now,
            std::time::Duration::from_secs(HEARTBEAT_SECS),
        );
        ExpiryGuard {
            macie,
            outbound,
            config,
            scope,
            leases,
            deadline: None,
            started: Utc::now(),
            stop: Arc::default(),
            progress: Arc::default(),
        }
    }
}

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
    /// The same guard with another journal.
    pub fn with_journal<K: Journal>(self, journal: K) -> ExpiryGuard<M, N, K> {
        ExpiryGuard {
            macie: self.macie,
            outbound: self.outbound,
            config: self.config,
            scope: self.scope,
            leases: self.leases.on(journal),
            deadline: self.deadline,
            started: self.started,
            stop: self.stop,
            progress: self.progress,
        }
    }

    /// The same guard telling through another outbound (a member's run at the hub).
    pub fn with_outbound<O: Outbound>(self, outbound: O) -> ExpiryGuard<M, O, J> {
        ExpiryGuard {
            macie: self.macie,
            outbound,
            config: self.config,
            scope: self.scope,
            leases: self.leases,
            deadline: self.deadline,
            started: self.started,
            stop: self.stop,
            progress: self.progress,
        }
    }

    pub fn with_deadline(mut self, deadline: Option<DateTime<Utc>>) -> Self {
        self.deadline = deadline;
        self.started = (self.leases.clock)();
        self
    }

    /// The same guard reading real time from `clock` (tests).
    pub fn with_clock(mut self, clock: fn() -> DateTime<Utc>) -> Self {
        self.leases.clock = clock;
        self.started = clock();
        self
    }

    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.leases.owner = owner.into();
        self
    }

    /// The same guard renewing its leases this often.
    pub fn with_heartbeat(mut self, every: std::time::Duration) -> Self {
        self.leases.heartbeat = every;
        self
    }

    /// The journal this run writes.
    pub fn journal(&self) -> &J {
        &self.leases.journal
    }

    /// This run's owner id.
    pub fn owner(&self) -> &str {
        &self.leases.owner
    }

    /// Whether there is time to start another job (real time against the deadline): the last
    /// RESERVE_SECS, or the last quarter of a shorter budget, are kept to finish the jobs in
    /// flight and report. None once the run was told to stop.
    fn time_left(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) {
            return false;
        }
        match self.deadline {
            None => true,
            Some(d) => {
                let reserve = chrono::Duration::seconds(RESERVE_SECS).min((d - self.started) / 4);
                d - (self.leases.clock)() > reserve
            }
        }
    }

    /// Handles one event. Errors: malformed events (nothing touched), a failed list, and
    /// partial failures (after every other job was handled and people were told).
    ///
    /// First, changes that an earlier invocation left open (it died between two calls, or its
    /// report could not be sent) are finished and reported; then the event is handled.
    pub async fn handle(&self, event: &ExpiryEvent, now: DateTime<Utc>) -> Result<Told<Summary>> {
        // The heartbeat renews this run's leases while the run lives; when it dies, they end
        // within LEASE_SECS (plus the margin) of its last beat.
        let beat = async {
            loop {
                tokio::time::sleep(self.leases.heartbeat).await;
                self.leases.renew_all(self.config.concurrency).await;
            }
        };
        // Boxed: the run's future is deep, and this one sits inside the runtime's.
        let work = Box::pin(self.handle_event(event, now));
        tokio::select! {
            done = work => done,
            never = beat => never,
        }
    }

    async fn handle_event(&self, event: &ExpiryEvent, now: DateTime<Utc>) -> Result<Told<Summary>> {
        let untold = |outcome| Told {
            outcome,
            delivery: Delivery::default(),
        };
        if let ExpiryEvent::Ignored { reason } = event {
            tracing::info!(reason = %reason, "event ignored");
            let mut s = self.summary("ignored");
            s.ignored.push(reason.clone());
            return Ok(untold(s));
        }
        if let ExpiryEvent::Health(h) = event {
            if let Some(reason) = h.elsewhere(&self.scope) {
                // Not ours to act on or to report: no journal read, no call, no message.
                tracing::debug!(reason = %reason, "event about another account or Region ignored");
                let mut s = self.summary("elsewhere");
                s.elsewhere = Some(reason);
                return Ok(untold(s));
            }
        }
        let (recovered, held_elsewhere) = self.recover(now).await?;
        let handled = match event {
            ExpiryEvent::Sweep { trigger } => self.sweep(trigger, now).await,
            ExpiryEvent::Health(h) => self.health(h, now).await,
            ExpiryEvent::Recover { trigger } => Ok(self.summary(trigger)),
            ExpiryEvent::Tagged {
                resource_arn,
                on_expiry,
            } => {
                let just_set = on_expiry.as_deref().and_then(|v| v.parse().ok());
                self.tagged(resource_arn, just_set, now).await
            }
            ExpiryEvent::Ignored { .. } => unreachable!("returned above"),
        };
        let mut summary = match handled {
            Ok(s) => s,
            Err(e) => {
                // The changes recovered above must still reach people.
                let mut s = self.summary("recovery");
                s.recovered = recovered.len();
                s.jobs = recovered;
                if !s.jobs.is_empty() {
                    let _ = self.finish(s).await;
                }
                return Err(e);
            }
        };
        summary.recovered = recovered.len();
        let mut jobs = recovered;
        jobs.append(&mut summary.jobs);
        // Jobs another living run holds that this run did not meet itself are named too.
        for h in held_elsewhere {
            if !jobs.iter().any(|j| j.job_id == h.job_id) {
                jobs.push(h);
            }
        }
        summary.jobs = jobs;
        self.finish(summary).await
    }

    fn summary(&self, trigger: &str) -> Summary {
        Summary::new(
            trigger,
            &self.scope.account,
            &self.scope.region,
            self.config.dry_run,
        )
    }

    /// Logs each decision, tells people once, and closes the journal entries whose changes
    /// were reported. Jobs that failed stay in the summary ([`Summary::failures`]): the
    /// Lambda adapter fails the invocation for them, the CLI exits with status 3.
    async fn finish(&self, mut summary: Summary) -> Result<Told<Summary>> {
        summary.stopped = summary.deferred > 0 && self.stop.load(Ordering::Relaxed);
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
                reason = j.reason.code(),
                message = %j.message(),
                "decision"
            );
        }
        for reason in &summary.ignored {
            tracing::warn!(reason = %reason, "ignored");
        }
        let note = notification(&summary);
        // The message, then the same decisions as events on the default bus: a change whose
        // report did not get out through both is handed to the next invocation.
        let published = match &note {
            None => Ok(()),
            Some(n) => self.outbound.publish(n).await,
        };
        let published = match published {
            Ok(()) => self.outbound.announce(&events(&summary)).await,
            failed => failed,
        };
        // The outbox: an entry goes once its change was reported. A failed change, or one whose
        // report could not be sent, is handed to the next invocation at once.
        for j in summary.jobs.iter().filter(|j| j.held) {
            let result = if published.is_ok() && j.outcome != Outcome::Failed {
                let made = j.outcome == Outcome::Done;
                self.leases.release(&j.job_id, made).await
            } else {
                self.leases.hand_over(&j.job_id).await
            };
            if let Err(e) = result {
                // The lease runs out by itself; the change is then reported (again).
                tracing::warn!(job_id = %j.job_id, error = %e, "journal entry kept");
            }
        }
        published?;
        // Security Hub holds state, not messages: what a failed sync missed, the next run
        // writes; it never holds a change back.
        let security_hub = self
            .outbound
            .sync_findings(&expiry_sync(&summary, summary.swept), self.deadline)
            .await;
        log_hub(security_hub.as_ref());
        Ok(Told {
            outcome: summary,
            delivery: Delivery {
                notified: note.is_some(),
                security_hub,
            },
        })
    }
}

mod change;
mod entry;
mod find;
mod lease;
mod lost;
mod report;
mod watch;

pub use lease::Leases;
