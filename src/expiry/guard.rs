//! The expiry guard: finds paused jobs near expiry, decides per job, acts, and reports.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::jobs::{DescribedJob, MacieJobs, Target, UpdateError};
use crate::error::{Error, Result};
use crate::journal::{
    earlier_attempt, Claim, Entry, Journal, MemoryJournal, HEARTBEAT_SECS, LEASE_MARGIN_SECS,
    LEASE_SECS,
};
use crate::outbound::securityhub::log_hub;
use crate::outbound::Outbound;
use macie_guard_core::delivery::{Delivery, Told};
use macie_guard_core::expiry::event::{ExpiryEvent, HealthEvent, HealthKind, JobRef};
use macie_guard_core::expiry::outcome::{
    label, plan_report, when, JobReport, Outcome, PausedJob, Summary,
};
use macie_guard_core::expiry::policy::{
    days_left, decide, fate, wanted, Action, ExpiryConfig, JobSnapshot, JobStatus, Plan, Policy,
    PolicySource, Step,
};
use macie_guard_core::expiry::recovery::{left_by, paused_again, Left};
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::asff::expiry_sync;
use macie_guard_core::tell::expiry::{events, notification};

/// Time kept back at the end of an invocation to finish the jobs in flight and report.
pub const RESERVE_SECS: i64 = 60;

pub struct ExpiryGuard<M, N, J = MemoryJournal> {
    pub macie: M,
    /// Where the outcome goes out: the message, the events, Security Hub.
    pub outbound: N,
    pub config: ExpiryConfig,
    pub scope: Scope,
    /// Leases, intents and the outbox of changes (see [`crate::journal`]).
    pub journal: J,
    /// This invocation's id: the owner of the leases it takes.
    pub owner: String,
    /// When the invocation must be over (Lambda's deadline); `None`: no deadline (the CLI).
    pub deadline: Option<DateTime<Utc>>,
    /// When the invocation started (the time budget is measured from here).
    pub started: DateTime<Utc>,
    /// Real time, for the time budget and the leases (a run's decisions use the `now` they
    /// are given); tests pass their own.
    pub clock: fn() -> DateTime<Utc>,
    /// How often the leases this run holds are renewed while it lives.
    pub heartbeat: std::time::Duration,
    /// Set to stop taking new jobs (the CLI's Ctrl-C): the jobs in flight are finished and
    /// reported.
    pub stop: Arc<AtomicBool>,
    /// The jobs whose journal entries this run holds (renewed by the heartbeat).
    held: Mutex<BTreeSet<String>>,
}

/// An owner for a run that has no request id of its own (the CLI): an attempt of a request
/// of its own.
pub fn invocation_id() -> String {
    crate::journal::attempt_of(&format!("cli-{}", std::process::id()))
}

impl<M: MacieJobs, N: Outbound> ExpiryGuard<M, N, MemoryJournal> {
    /// A guard with the process's own journal and no deadline (the CLI, tests).
    pub fn new(macie: M, outbound: N, config: ExpiryConfig, scope: Scope) -> Self {
        ExpiryGuard {
            macie,
            outbound,
            config,
            scope,
            journal: MemoryJournal::new(),
            owner: invocation_id(),
            deadline: None,
            started: Utc::now(),
            clock: Utc::now,
            heartbeat: std::time::Duration::from_secs(HEARTBEAT_SECS),
            stop: Arc::default(),
            held: Mutex::default(),
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
            journal,
            owner: self.owner,
            deadline: self.deadline,
            started: self.started,
            clock: self.clock,
            heartbeat: self.heartbeat,
            stop: self.stop,
            held: self.held,
        }
    }

    pub fn with_deadline(mut self, deadline: Option<DateTime<Utc>>) -> Self {
        self.deadline = deadline;
        self.started = (self.clock)();
        self
    }

    /// The same guard reading real time from `clock` (tests).
    pub fn with_clock(mut self, clock: fn() -> DateTime<Utc>) -> Self {
        self.clock = clock;
        self.started = clock();
        self
    }

    pub fn with_owner(mut self, owner: impl Into<String>) -> Self {
        self.owner = owner.into();
        self
    }

    /// The time leases are measured by: real time, or the run's `now` when later.
    fn real_now(&self, now: DateTime<Utc>) -> i64 {
        now.max((self.clock)()).timestamp()
    }

    fn journal_scope(&self) -> String {
        format!("{}#{}", self.scope.account, self.scope.region)
    }

    /// A lease from now (real time, or the run's `now` when later): short, and renewed by the
    /// heartbeat while the run lives.
    fn lease_until(&self, now: DateTime<Utc>) -> i64 {
        now.max((self.clock)()).timestamp() + LEASE_SECS + LEASE_MARGIN_SECS
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
                d - (self.clock)() > reserve
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
                tokio::time::sleep(self.heartbeat).await;
                self.renew_held().await;
            }
        };
        // Boxed: the run's future is deep, and this one sits inside the runtime's.
        let work = Box::pin(self.handle_event(event, now));
        tokio::select! {
            done = work => done,
            never = beat => never,
        }
    }

    /// Renews the lease of every entry this run holds, `concurrency` at a time (a long sweep
    /// holds each change it made until its report is out).
    async fn renew_held(&self) {
        let held: Vec<String> = self.lock_held().iter().cloned().collect();
        let until = self.lease_until((self.clock)());
        let scope = self.journal_scope();
        let scope = &scope;
        let results: Vec<(String, Result<bool>)> = stream::iter(held)
            .map(|job| async move {
                let r = self.journal.renew(scope, &job, &self.owner, until).await;
                (job, r)
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        for (job, result) in results {
            match result {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job_id = %job, "lease lost: another run took the job over");
                    self.lock_held().remove(&job);
                }
                Err(e) => tracing::warn!(job_id = %job, error = %e, "lease not renewed"),
            }
        }
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Closes this run's entry of `job_id` (see [`Journal::release`]).
    async fn release(&self, job_id: &str, made: bool) -> Result<()> {
        self.lock_held().remove(job_id);
        self.journal
            .release(&self.journal_scope(), job_id, &self.owner, made)
            .await
    }

    /// Hands this run's entry of `job_id` to the next run (see [`Journal::hand_over`]).
    async fn hand_over(&self, job_id: &str) -> Result<()> {
        self.lock_held().remove(job_id);
        self.journal
            .hand_over(&self.journal_scope(), job_id, &self.owner)
            .await
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

    /// Finishes every change an earlier invocation left open whose lease has ended, and
    /// every one an earlier attempt of this very request left (Lambda's retry). The open
    /// changes of runs whose leases still run come back as `busy` reports: who holds each job,
    /// until when, and what happens then.
    async fn recover(&self, now: DateTime<Utc>) -> Result<(Vec<JobReport>, Vec<JobReport>)> {
        if self.config.dry_run {
            return Ok((Vec::new(), Vec::new()));
        }
        let real = now.max((self.clock)()).timestamp();
        let (open, held): (Vec<Entry>, Vec<Entry>) = self
            .journal
            .entries(&self.journal_scope())
            .await?
            .into_iter()
            .filter(|e| e.owner != self.owner)
            .partition(|e| e.lease_until < real || earlier_attempt(&e.owner, &self.owner));
        let mut out = Vec::new();
        for left in open {
            tracing::warn!(job_id = %left.job_id, action = left.action.as_str(), owner = %left.owner, "finishing a change an earlier invocation left open");
            let mut entry = left.clone();
            entry.owner = self.owner.clone();
            entry.lease_until = self.lease_until(now);
            let report = self.leased(entry, None, now).await;
            out.push(report);
        }
        let held = held
            .into_iter()
            .map(|e| busy(&e.job_id, &e.name, e.action, &e.owner, e.lease_until))
            .collect();
        Ok((out, held))
    }

    fn summary(&self, trigger: &str) -> Summary {
        Summary::new(
            trigger,
            &self.scope.account,
            &self.scope.region,
            self.config.dry_run,
        )
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
                if self.config.windows.covers(job, now) {
                    candidates.push(job.job_id.clone());
                }
                true
            })
            .await?;
        let (jobs, deferred) = self.process_all(candidates, now).await;
        summary.jobs = jobs;
        // Every paused job was looked at, unless the time budget deferred some.
        summary.swept = deferred == 0;
        summary.deferred = deferred;
        Ok(summary)
    }

    /// Handles `ids` with bounded concurrency; stops taking new jobs when the invocation's
    /// time budget runs out. Returns the reports and how many jobs were left.
    async fn process_all(&self, ids: Vec<String>, now: DateTime<Utc>) -> (Vec<JobReport>, usize) {
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
    async fn health(&self, ev: &HealthEvent, now: DateTime<Utc>) -> Result<Summary> {
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

    async fn report_lost(
        &self,
        ev: &HealthEvent,
        ids: &[String],
        now: DateTime<Utc>,
    ) -> Vec<JobReport> {
        let what = match ev.kind {
            HealthKind::RunCancelled => "Macie cancelled the paused run of this recurring job after 30 days; the job itself remains and runs on its schedule.",
            _ => "Macie cancelled this one-time job after it stayed paused for 30 days. Its scan is lost; recreate it with CreateClassificationJob and the definition below.",
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
                    let mut r = JobReport::new(&job.snapshot, now, Step::Lost, Outcome::Lost, format!("{}: {what}", label(&job.snapshot)));
                    r.definition = Some(job.definition);
                    r
                }
                Ok(None) => JobReport::unknown(id, Step::Lost, Outcome::NotFound, format!("job {id} named by a cancellation event does not exist in this account and Region")),
                Err(e) => JobReport::unknown(id, Step::Lost, Outcome::Failed, format!("could not read the lost job to report its definition: {e}")),
            });
        }
        out
    }

    /// Re-reads the job, decides, and acts on it under a lease.
    pub async fn process(&self, job_id: &str, now: DateTime<Utc>) -> JobReport {
        let job = match self.macie.describe(job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                return JobReport::unknown(
                    job_id,
                    Step::Nothing,
                    Outcome::NotFound,
                    format!("job {job_id} does not exist (any more)"),
                )
            }
            Err(e) => {
                return JobReport::unknown(job_id, Step::Nothing, Outcome::Failed, e.to_string())
            }
        };
        let (policy, source) = self.config.policy_for(&job.snapshot);
        let plan = decide(&job.snapshot, policy, self.config.windows, now);
        match plan {
            Plan::Act { action } if !self.config.dry_run => {
                let entry = self.intent(&job.snapshot, action, policy, now);
                self.leased(entry, Some(job), now).await
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

    fn intent(
        &self,
        job: &JobSnapshot,
        action: Action,
        policy: Policy,
        now: DateTime<Utc>,
    ) -> Entry {
        Entry {
            job_id: job.job_id.clone(),
            owner: self.owner.clone(),
            lease_until: self.lease_until(now),
            action,
            policy,
            paused_at: job.paused_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            name: job.name.clone(),
            decided_at: now.to_rfc3339(),
        }
    }

    /// Takes the job's lease with `entry` as the intent; finishes whatever an earlier
    /// invocation left open (re-reading the job), then decides and acts. `read` is the job as
    /// read just before the claim: with no entry left open it is what the decision stands on.
    async fn leased(
        &self,
        entry: Entry,
        read: Option<DescribedJob>,
        now: DateTime<Utc>,
    ) -> JobReport {
        let scope = self.journal_scope();
        let job_id = entry.job_id.clone();
        let previous = match self.journal.claim(&scope, &entry, self.real_now(now)).await {
            Ok(Claim::Granted { previous }) => {
                self.lock_held().insert(job_id.clone());
                previous
            }
            Ok(Claim::Done) => {
                let mut r = JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::AlreadyDone,
                    format!(
                        "job {job_id}: another invocation already made this change ({})",
                        entry.action.as_str()
                    ),
                );
                r.name = entry.name.clone();
                return r;
            }
            Ok(Claim::Busy { owner, until }) => {
                let mut r = busy(&job_id, &entry.name, entry.action, &owner, until);
                if let Some(j) = &read {
                    let named = JobReport::new(
                        &j.snapshot,
                        now,
                        Step::from(entry.action),
                        Outcome::Busy,
                        r.message.clone(),
                    );
                    r = JobReport {
                        held_by: r.held_by,
                        held_until: r.held_until,
                        ..named
                    };
                }
                return r;
            }
            Err(e) => {
                return JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::Failed,
                    format!("{e}; nothing was changed (the job's lease could not be taken)"),
                )
            }
        };
        // An entry left by a dead invocation: what it intended.
        let read = if previous.is_some() { None } else { read };
        let open = previous.unwrap_or_else(|| entry.clone());
        let described = match read {
            Some(j) => Ok(Some(j)),
            None => self.macie.describe(&job_id).await,
        };
        let fresh = match described {
            Ok(Some(j)) => j,
            Ok(None) => {
                let _ = self.release(&job_id, false).await;
                let mut r = JobReport::unknown(
                    &job_id,
                    Step::from(entry.action),
                    Outcome::NotFound,
                    format!("job {job_id} does not exist (any more)"),
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
                    e.to_string(),
                );
                r.held = true;
                return r;
            }
        };
        if let Some(report) = self.made(&open, &fresh, now).await {
            return report;
        }
        // Nothing was changed yet: decide on what the job is now.
        let (policy, source) = self.config.policy_for(&fresh.snapshot);
        let plan = decide(&fresh.snapshot, policy, self.config.windows, now);
        match plan {
            Plan::Act { action } => {
                let intent = self.intent(&fresh.snapshot, action, policy, now);
                if (intent.action, &intent.paused_at, intent.policy)
                    != (open.action, &open.paused_at, open.policy)
                {
                    match self
                        .journal
                        .claim(&scope, &intent, self.real_now(now))
                        .await
                    {
                        Ok(Claim::Granted { .. }) => {}
                        Ok(Claim::Done) => {
                            let _ = self.release(&job_id, false).await;
                            return JobReport::new(
                                &fresh.snapshot,
                                now,
                                Step::from(action),
                                Outcome::AlreadyDone,
                                format!(
                                    "{}: another invocation already made this change ({})",
                                    label(&fresh.snapshot),
                                    action.as_str()
                                ),
                            );
                        }
                        Ok(Claim::Busy { .. }) | Err(_) => {
                            // The entry stays ours and is handed over: nothing was changed.
                            let mut r = JobReport::unknown(&job_id, Step::from(action), Outcome::Failed,
                                format!("job {job_id}: its journal entry could not be updated; nothing was changed"));
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
                let _ = self.release(&job_id, false).await;
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
    async fn made(
        &self,
        open: &Entry,
        fresh: &DescribedJob,
        now: DateTime<Utc>,
    ) -> Option<JobReport> {
        let snap = &fresh.snapshot;
        let interrupted = open.owner != self.owner;
        let done = |outcome, message: String| {
            let mut r = JobReport::new(snap, now, Step::from(open.action), outcome, message)
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
                    Some(done(Outcome::Done, paused_again(snap, interrupted)))
                }
                Err(e) => Some(done(Outcome::Failed, format!(
                    "{} was resumed to be paused again, and pausing it failed ({}); it is {} now. The next invocation pauses it again; pause it by hand if it must not run",
                    label(snap), update_error_text(&e), snap.status))),
            },
            Left::Made {
                message,
                with_definition,
            } => {
                let mut r = done(Outcome::Done, message);
                if with_definition {
                    r.definition = Some(fresh.definition.clone());
                }
                Some(r)
            }
        }
    }

    /// Makes the change (one or two UpdateClassificationJob calls), under the lease.
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
        let report = |snap: &JobSnapshot, outcome, message: String, held: bool| {
            let mut r = JobReport::new(snap, now, Step::from(action), outcome, message);
            r.held = held;
            if action == Action::Cancel && outcome == Outcome::Done {
                r.definition = Some(job.definition.clone());
            }
            r
        };
        let success = format!(
            "{who} was {} (policy {policy}{}); it would have expired {}",
            fate(policy, snap.job_type),
            if *source == PolicySource::Tag {
                ", from its tag"
            } else {
                ", the default"
            },
            snap.expires_at.map(when).unwrap_or_default()
        );
        let first = match action {
            Action::Resume | Action::KeepPaused => Target::Running,
            Action::Cancel => Target::Cancelled,
        };
        let mut result = self.macie.update(&snap.job_id, first).await;
        if let Err(UpdateError::Refused { code, message }) = &result {
            // The state moved under us: re-read, decide again, act at most once more.
            let again = match self.macie.describe(&snap.job_id).await {
                Ok(Some(j)) => j,
                Ok(None) => {
                    let _ = self.release(&snap.job_id, false).await;
                    return report(snap, Outcome::NotFound, format!("{who} disappeared while being changed"), false);
                }
                Err(e) => return report(snap, Outcome::Failed, format!("{who}: Macie refused the change ({code}: {message}) and re-reading failed: {e}"), true),
            };
            let fresh = &again.snapshot;
            match decide(fresh, policy, self.config.windows, now) {
                Plan::Act { action: a } if a == action => {
                    result = self.macie.update(&fresh.job_id, first).await;
                    if let Err(UpdateError::Refused { code, message }) = &result {
                        return report(
                            fresh,
                            Outcome::Failed,
                            format!(
                                "{who}: {} refused twice ({code}: {message}); job is {}",
                                action.as_str(),
                                fresh.status
                            ),
                            true,
                        );
                    }
                }
                _ => {
                    // Nothing to make: the job is already there, or moved away.
                    let _ = self.release(&snap.job_id, false).await;
                    let (outcome, message) = if wanted(action, fresh) {
                        (
                            Outcome::AlreadyDone,
                            format!("{who} is already {}", fresh.status),
                        )
                    } else {
                        (Outcome::Nothing, format!("{who} changed before macie-guard could act ({code}: {message}); it is {} now, nothing left to do", fresh.status))
                    };
                    return report(fresh, outcome, message, false);
                }
            }
        }
        if let Err(e) = result {
            // Maybe made, maybe not (a timeout can hide a success): the entry stays and the
            // next invocation finds out.
            return report(
                snap,
                Outcome::Failed,
                format!(
                    "{who}: {} failed: {}",
                    action.as_str(),
                    update_error_text(&e)
                ),
                true,
            );
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
            return report(snap, Outcome::Done, success, true);
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
                report(snap, Outcome::Done, success, true)
            }
            Err(e) => report(
                snap,
                Outcome::Failed,
                format!(
                    "{who} was resumed to be paused again, and pausing it failed ({}); it is RUNNING now. The next invocation pauses it again; pause it by hand if it must not run",
                    update_error_text(&e)
                ),
                true,
            ),
        }
    }

    /// Logs each decision, tells people once, and closes the journal entries whose changes
    /// were reported. Jobs that failed stay in the summary ([`Summary::failures`]): the
    /// Lambda adapter fails the invocation for them, the CLI exits with status 1.
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
                message = %j.message,
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
                self.release(&j.job_id, made).await
            } else {
                self.hand_over(&j.job_id).await
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

/// A job left to another run that holds its journal entry: named, with who holds it, until
/// when, and what happens if that run dies.
fn busy(job_id: &str, name: &str, action: Action, owner: &str, until: i64) -> JobReport {
    let until = DateTime::from_timestamp(until, 0);
    let who = if name.is_empty() {
        format!("job {job_id}")
    } else {
        format!("job \"{name}\" ({job_id})")
    };
    let message = format!(
        "{who} is being changed ({}) by another run ({owner}), which holds it until {} and renews that while it lives; left to it. If that run dies, the next run after then finishes the change and reports it",
        action.as_str(),
        until.map(when).unwrap_or_else(|| "an unknown time".into())
    );
    let mut r = JobReport::unknown(job_id, Step::from(action), Outcome::Busy, message);
    r.name = name.to_string();
    r.held_by = Some(owner.to_string());
    r.held_until = until;
    r
}

fn update_error_text(e: &UpdateError) -> String {
    match e {
        UpdateError::Refused { code, message } => format!("{code}: {message}"),
        UpdateError::Failed(e) => e.to_string(),
    }
}

/// The log line written the moment a job is changed, before anything else can fail.
fn changed_log(job: &JobSnapshot, from: &str, to: &str) {
    tracing::info!(
        job_id = %job.job_id,
        name = %job.name,
        from,
        to,
        "job changed"
    );
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
