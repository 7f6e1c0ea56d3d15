//! The guard's own record of paused jobs to recreate once lost (`macie-guard:on-lost=recreate`):
//! a cancelled job keeps no trace of its pause, so the guard writes a watch when it sees one
//! paused, and removes it when the job is back, gone or recreated.

use chrono::{DateTime, Utc};

use super::ExpiryGuard;
use crate::expiry::jobs::MacieJobs;
use crate::journal::{Journal, Watch};
use crate::outbound::Outbound;
use macie_guard_core::expiry::job::JobSnapshot;
use macie_guard_core::expiry::recreate::worth_watching;

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryGuard<M, N, J> {
    /// Records what this run saw of a paused job whose tag asks for it to be recreated once
    /// lost (best effort: a watch that could not be written is said in the log; the Health
    /// event still comes).
    pub(super) async fn watch_paused(&self, job: &JobSnapshot, now: DateTime<Utc>) {
        if self.config.dry_run
            || !worth_watching(job, self.config.recreate_lost, &self.config.exclusions)
        {
            return;
        }
        let Some(expires_at) = job.expires_at else {
            return;
        };
        let w = Watch {
            job_id: job.job_id.clone(),
            name: job.name.clone(),
            expires_at: expires_at.timestamp(),
            seen_paused_at: self.leases.real_now(now),
        };
        if let Err(e) = self.leases.journal.watch(&self.leases.scope, &w).await {
            tracing::warn!(job_id = %job.job_id, error = %e, "the watch of a job to recreate once lost was not written");
        }
    }

    pub(super) async fn unwatch(&self, job_id: &str) {
        if let Err(e) = self
            .leases
            .journal
            .unwatch(&self.leases.scope, job_id)
            .await
        {
            tracing::warn!(job_id, error = %e, "the watch was not removed; the next sweep removes it");
        }
    }
}
