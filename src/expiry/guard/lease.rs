//! The journal as one run holds it: the run's owner id, the entries it holds, real time, and
//! the heartbeat that renews them. Claiming, renewing, releasing and handing over a job's entry
//! happen here and nowhere else; the guard's parts call down to it.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeSet;
use std::sync::Mutex;

use crate::error::Result;
use crate::journal::{Claim, Entry, Journal, LEASE_MARGIN_SECS, LEASE_SECS};

/// This run's leases on the journal.
pub struct Leases<J> {
    pub journal: J,
    /// This invocation's id: the owner of the leases it takes.
    pub owner: String,
    /// The journal's partition: the account and Region (`ACCOUNT#REGION`).
    pub scope: String,
    /// Real time, for the leases (a run's decisions use the `now` they are given); tests pass
    /// their own.
    pub clock: fn() -> DateTime<Utc>,
    /// How often the leases this run holds are renewed while it lives.
    pub heartbeat: std::time::Duration,
    /// The jobs whose entries this run holds (renewed by the heartbeat).
    held: Mutex<BTreeSet<String>>,
}

impl<J> Leases<J> {
    pub fn new(
        journal: J,
        owner: String,
        scope: String,
        clock: fn() -> DateTime<Utc>,
        heartbeat: std::time::Duration,
    ) -> Leases<J> {
        Leases {
            journal,
            owner,
            scope,
            clock,
            heartbeat,
            held: Mutex::default(),
        }
    }

    /// The same leases on another journal (none held yet).
    pub fn on<K>(self, journal: K) -> Leases<K> {
        Leases {
            journal,
            owner: self.owner,
            scope: self.scope,
            clock: self.clock,
            heartbeat: self.heartbeat,
            held: self.held,
        }
    }

    /// The time leases are measured by: real time, or the run's `now` when later.
    pub fn real_now(&self, now: DateTime<Utc>) -> i64 {
        now.max((self.clock)()).timestamp()
    }

    /// A lease from now (real time, or the run's `now` when later): short, and renewed by the
    /// heartbeat while the run lives.
    pub fn until(&self, now: DateTime<Utc>) -> i64 {
        self.real_now(now) + LEASE_SECS + LEASE_MARGIN_SECS
    }

    /// Whether this run holds `job_id`'s entry.
    pub fn holds(&self, job_id: &str) -> bool {
        self.lock().contains(job_id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<J: Journal> Leases<J> {
    /// Claims `entry`'s job for this run (see [`Journal::claim`]); a granted claim is held
    /// (and renewed by the heartbeat) until it is released or handed over.
    pub async fn claim(&self, entry: &Entry, now: DateTime<Utc>) -> Result<Claim> {
        let claim = self
            .journal
            .claim(&self.scope, entry, self.real_now(now))
            .await?;
        if matches!(claim, Claim::Granted { .. }) {
            self.lock().insert(entry.job_id.clone());
        }
        Ok(claim)
    }

    /// Updates the intent of an entry this run already holds (the same claim, a new decision).
    pub async fn reclaim(&self, entry: &Entry, now: DateTime<Utc>) -> Result<Claim> {
        self.journal
            .claim(&self.scope, entry, self.real_now(now))
            .await
    }

    /// Closes this run's entry of `job_id` (see [`Journal::release`]).
    pub async fn release(&self, job_id: &str, made: bool) -> Result<()> {
        self.lock().remove(job_id);
        self.journal
            .release(&self.scope, job_id, &self.owner, made)
            .await
    }

    /// Hands this run's entry of `job_id` to the next run (see [`Journal::hand_over`]).
    pub async fn hand_over(&self, job_id: &str) -> Result<()> {
        self.lock().remove(job_id);
        self.journal
            .hand_over(&self.scope, job_id, &self.owner)
            .await
    }

    /// Renews the lease of every entry this run holds, `concurrency` at a time (a long sweep
    /// holds each change it made until its report is out); an entry another run took over is
    /// no longer held.
    pub async fn renew_all(&self, concurrency: usize) {
        let held: Vec<String> = self.lock().iter().cloned().collect();
        let until = self.until((self.clock)());
        let results: Vec<(String, Result<bool>)> = stream::iter(held)
            .map(|job| async move {
                let r = self
                    .journal
                    .renew(&self.scope, &job, &self.owner, until)
                    .await;
                (job, r)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for (job, result) in results {
            match result {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(job_id = %job, "lease lost: another run took the job over");
                    self.lock().remove(&job);
                }
                Err(e) => tracing::warn!(job_id = %job, error = %e, "lease not renewed"),
            }
        }
    }
}
