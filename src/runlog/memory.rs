//! The run log of one process (the CLI without `JOURNAL_TABLE`, and tests).

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::error::Result;
use macie_guard_core::hub::MembersSeen;
use macie_guard_core::schedule::liveness::{RunKind, RunRecord, Runs};

use super::RunLog;

#[derive(Debug, Default)]
pub struct MemoryRunLog {
    runs: Mutex<BTreeMap<(String, RunKind), RunRecord>>,
    watched: Mutex<BTreeMap<String, DateTime<Utc>>>,
    seen: Mutex<BTreeMap<(String, String), MembersSeen>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryRunLog {
    /// The runs of `scope` and since when they are watched (`now`, the first time).
    pub fn runs(&self, scope: &str, now: DateTime<Utc>) -> Runs {
        let watched_since = *lock(&self.watched).entry(scope.to_string()).or_insert(now);
        Runs {
            records: self.recorded(scope).0,
            watched_since,
        }
    }

    /// The runs of `scope` and the watch's first look, if it has looked; changing nothing.
    pub fn recorded(&self, scope: &str) -> (Vec<RunRecord>, Option<DateTime<Utc>>) {
        let records = lock(&self.runs)
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|(_, r)| r.clone())
            .collect();
        (records, lock(&self.watched).get(scope).copied())
    }

    /// What the hub's last runs saw of the members, by run.
    pub fn members(&self, scope: &str) -> Vec<MembersSeen> {
        lock(&self.seen)
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|(_, m)| m.clone())
            .collect()
    }
}

impl RunLog for MemoryRunLog {
    async fn succeeded(&self, scope: &str, run: &RunRecord) -> Result<()> {
        let mut runs = lock(&self.runs);
        let key = (scope.to_string(), run.kind);
        if runs
            .get(&key)
            .is_none_or(|r| r.started_at <= run.started_at)
        {
            runs.insert(key, run.clone());
        }
        Ok(())
    }

    async fn seen(&self, scope: &str, seen: &MembersSeen) -> Result<()> {
        let mut all = lock(&self.seen);
        let key = (scope.to_string(), seen.run.clone());
        if all.get(&key).is_none_or(|m| m.at <= seen.at) {
            all.insert(key, seen.clone());
        }
        Ok(())
    }
}
