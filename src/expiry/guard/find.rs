//! Finding the jobs to look at: the paused jobs in the warning window, the job(s) a Health
//! event names, the jobs Macie says it cancelled.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use std::collections::HashSet;

use super::ExpiryGuard;
use crate::error::{Error, Result};
use crate::expiry::jobs::{DescribedJob, MacieJobs};
use crate::journal::Journal;
use crate::outbound::Outbound;
use macie_guard_core::expiry::job::JobSnapshot;
use macie_guard_core::expiry::outcome::PausedJob;
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
                arn: self.scope.job_arn(&job.snapshot.job_id),
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
