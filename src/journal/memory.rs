//! The journal of one process (the CLI without `JOURNAL_TABLE`, and tests).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::Result;
use macie_guard_core::expiry::plan::Action;

use super::{claimable, Claim, Entry, Journal, Watch};

/// Everything a [`MemoryJournal`] holds, as plain data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// (scope, entry)
    pub entries: Vec<(String, Entry)>,
    pub receipts: Vec<Receipt>,
    /// (scope, watch)
    pub watches: Vec<(String, Watch)>,
}

/// A change carried out: that decision is not made again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub scope: String,
    pub job_id: String,
    pub paused_at: String,
    pub action: Action,
}

/// The journal of one process: no crash protection across processes by itself (tests of the
/// orchestration; the CLI keeps it in a file, [`super::file::FileJournal`]).
#[derive(Debug, Default)]
pub struct MemoryJournal {
    entries: Mutex<BTreeMap<(String, String), Entry>>,
    receipts: Mutex<BTreeMap<(String, String), (String, Action)>>,
    watches: Mutex<BTreeMap<(String, String), Watch>>,
}

impl MemoryJournal {
    pub fn new() -> MemoryJournal {
        MemoryJournal::default()
    }

    /// Everything it holds, as plain data (the CLI's journal file).
    pub fn snapshot(&self) -> Snapshot {
        let pair = |(s, j): &(String, String)| (s.clone(), j.clone());
        Snapshot {
            entries: self
                .lock()
                .iter()
                .map(|((s, _), e)| (s.clone(), e.clone()))
                .collect(),
            receipts: self
                .receipts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(k, (paused_at, action))| {
                    let (scope, job_id) = pair(k);
                    Receipt {
                        scope,
                        job_id,
                        paused_at: paused_at.clone(),
                        action: *action,
                    }
                })
                .collect(),
            watches: self
                .lock_watches()
                .iter()
                .map(|((s, _), w)| (s.clone(), w.clone()))
                .collect(),
        }
    }

    /// A journal holding `snapshot`.
    pub fn restore(snapshot: Snapshot) -> MemoryJournal {
        let j = MemoryJournal::new();
        *j.lock() = snapshot
            .entries
            .into_iter()
            .map(|(s, e)| ((s, e.job_id.clone()), e))
            .collect();
        *j.receipts.lock().unwrap_or_else(|p| p.into_inner()) = snapshot
            .receipts
            .into_iter()
            .map(|r| ((r.scope, r.job_id), (r.paused_at, r.action)))
            .collect();
        *j.lock_watches() = snapshot
            .watches
            .into_iter()
            .map(|(s, w)| ((s, w.job_id.clone()), w))
            .collect();
        j
    }

    /// Every entry, for tests.
    pub fn all(&self) -> Vec<Entry> {
        self.lock().values().cloned().collect()
    }

    fn lock_watches(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Watch>> {
        self.watches.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Journal for MemoryJournal {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        Ok(self
            .lock()
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn open_scopes(&self) -> Result<Vec<String>> {
        let mut scopes: Vec<String> = self.lock().keys().map(|(s, _)| s.clone()).collect();
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        let mut map = self.lock();
        let key = (scope.to_string(), entry.job_id.clone());
        let receipts = self.receipts.lock().unwrap_or_else(|p| p.into_inner());
        if receipts.get(&key) == Some(&(entry.paused_at.clone(), entry.action)) {
            return Ok(Claim::Done);
        }
        drop(receipts);
        let existing = map.get(&key).cloned();
        if !claimable(existing.as_ref(), &entry.owner, now) {
            let e = existing.expect("an unclaimable entry exists");
            return Ok(Claim::Busy {
                owner: e.owner,
                until: e.lease_until,
            });
        }
        map.insert(key, entry.clone());
        Ok(Claim::Granted {
            previous: existing.filter(|e| e.owner != entry.owner),
        })
    }

    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        let mut map = self.lock();
        let key = (scope.to_string(), job_id.to_string());
        if map.get(&key).is_some_and(|e| e.owner == owner) {
            let e = map.remove(&key).expect("checked above");
            if made {
                self.receipts
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key, (e.paused_at, e.action));
            }
        }
        Ok(())
    }

    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        let mut map = self.lock();
        if let Some(e) = map.get_mut(&(scope.to_string(), job_id.to_string())) {
            if e.owner == owner {
                e.lease_until = 0;
            }
        }
        Ok(())
    }

    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        let mut map = self.lock();
        match map.get_mut(&(scope.to_string(), job_id.to_string())) {
            Some(e) if e.owner == owner => {
                e.lease_until = until;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn watch(&self, scope: &str, watch: &Watch) -> Result<()> {
        self.lock_watches()
            .insert((scope.to_string(), watch.job_id.clone()), watch.clone());
        Ok(())
    }

    async fn watches(&self, scope: &str) -> Result<Vec<Watch>> {
        Ok(self
            .lock_watches()
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|(_, w)| w.clone())
            .collect())
    }

    async fn unwatch(&self, scope: &str, job_id: &str) -> Result<()> {
        self.lock_watches()
            .remove(&(scope.to_string(), job_id.to_string()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{attempt_of, earlier_attempt};
    use macie_guard_core::expiry::policy::Policy;

    fn entry(owner: &str, until: i64) -> Entry {
        Entry {
            job_id: "j".into(),
            owner: owner.into(),
            lease_until: until,
            action: Action::KeepPaused,
            policy: Policy::KeepPaused,
            paused_at: String::new(),
            name: "n".into(),
            decided_at: String::new(),
        }
    }

    fn entry_for(job: &str, owner: &str, until: i64) -> Entry {
        Entry {
            job_id: job.into(),
            ..entry(owner, until)
        }
    }

    #[tokio::test]
    async fn leases_exclude_others_until_they_end() {
        let j = MemoryJournal::new();
        assert_eq!(
            j.claim("s", &entry("a", 100), 10).await.unwrap(),
            Claim::Granted { previous: None }
        );
        assert!(matches!(
            j.claim("s", &entry("b", 200), 50).await.unwrap(),
            Claim::Busy { until: 100, .. }
        ));
        // The owner may renew; others take over once the lease ended, and see what was left.
        assert_eq!(
            j.claim("s", &entry("a", 150), 60).await.unwrap(),
            Claim::Granted { previous: None }
        );
        assert_eq!(
            j.claim("s", &entry("b", 300), 151).await.unwrap(),
            Claim::Granted {
                previous: Some(entry("a", 150))
            }
        );
        // Only the holder releases.
        j.release("s", "j", "a", true).await.unwrap();
        assert_eq!(j.all().len(), 1);
        j.hand_over("s", "j", "b").await.unwrap();
        assert_eq!(j.all()[0].lease_until, 0);
        j.release("s", "j", "b", true).await.unwrap();
        assert!(j.all().is_empty());
        // An earlier attempt of the same request is taken over at once, lease or not.
        let a1 = attempt_of("req-1");
        let a2 = attempt_of("req-1");
        assert!(earlier_attempt(&a1, &a2) && !earlier_attempt(&a2, &a2));
        assert!(!earlier_attempt(&attempt_of("req-2"), &a2));
        let mut first = entry(&a1, 10_000);
        first.job_id = "k".into();
        j.claim("s", &first, 100).await.unwrap();
        assert!(matches!(
            j.claim("s", &entry_for("k", &attempt_of("req-3"), 20_000), 100)
                .await
                .unwrap(),
            Claim::Busy { .. }
        ));
        assert_eq!(
            j.claim("s", &entry_for("k", &a2, 20_000), 100)
                .await
                .unwrap(),
            Claim::Granted {
                previous: Some(first)
            }
        );
        assert!(j.renew("s", "k", &a2, 30_000).await.unwrap());
        assert!(!j.renew("s", "k", &a1, 40_000).await.unwrap());
        j.release("s", "k", &a2, false).await.unwrap();
        // The decision carried out cannot be claimed again; another one can.
        assert_eq!(
            j.claim("s", &entry("c", 500), 400).await.unwrap(),
            Claim::Done
        );
        let mut other = entry("c", 500);
        other.paused_at = "2026-11-25T00:00:00+00:00".into();
        assert!(matches!(
            j.claim("s", &other, 400).await.unwrap(),
            Claim::Granted { previous: None }
        ));
    }
}
