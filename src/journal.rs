//! The expiry guard's journal: one small durable entry per job that an invocation is about to
//! change. It carries the three promises that no single Macie call can:
//!
//! - **a lease**: an entry is claimed with a conditional write; while its lease runs no other
//!   invocation touches that job, so overlapping sweeps and Health events change each job
//!   once. Leases are short ([`LEASE_SECS`]) and renewed by a heartbeat while their run lives,
//!   so a run that dies lets go of its jobs within about a minute;
//! - **an attempt**: an entry's owner is a run's attempt (`<request id>#<attempt>`), not its
//!   request id: Lambda retries a failed invocation with the same request id, and the retry
//!   takes over what its earlier attempt left at once (Lambda starts a retry only after the
//!   attempt before it ended);
//! - **an intent**: the entry says which change was decided for which pause (`jobPausedAt`)
//!   before the first UpdateClassificationJob call; an invocation that dies half way (between
//!   keep-paused's resume and pause, or after a change and before its report) leaves the entry
//!   behind, and the next invocation finishes the change and reports it;
//! - **an outbox**: the entry is closed only after the notification that names the change
//!   was published, so every change reaches people, even when the invocation that made it
//!   died;
//! - **a receipt**: a closed entry remembers the last decision carried out (the pause it was
//!   about and the action), so an invocation that read the job before that change cannot make
//!   it a second time.
//!
//! [`DynamoJournal`] keeps entries in a DynamoDB table (partition key `scope` =
//! `ACCOUNT#REGION`, sort key `jobId`, TTL attribute `expiresAt`); [`MemoryJournal`] keeps
//! them in the process (the CLI without `JOURNAL_TABLE`, and tests).

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;

use crate::error::{Error, Result};
use macie_guard_core::expiry::policy::{Action, Policy};

/// One job's open change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub job_id: String,
    /// The invocation holding the lease.
    pub owner: String,
    /// The lease ends here (epoch seconds); after it, another invocation may take over.
    pub lease_until: i64,
    /// The change decided.
    pub action: Action,
    /// The policy it was decided under (for the report).
    pub policy: Policy,
    /// The pause the decision was about (`jobPausedAt`, RFC 3339; empty when unknown): a
    /// newer pause means the change was made.
    pub paused_at: String,
    /// The job's name when the decision was made (for the report, should the job vanish).
    pub name: String,
    pub decided_at: String,
}

impl Entry {
    pub fn paused_at_time(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&self.paused_at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The lease is ours. `previous` is an entry another invocation left behind (its lease
    /// ran out): its change must be finished before anything else is decided.
    Granted { previous: Option<Entry> },
    /// Another invocation holds the job until `until`.
    Busy { owner: String, until: i64 },
    /// This very decision (same pause, same action) was already carried out.
    Done,
}

/// How long a closed entry (its receipt) is kept: longer than a pause can last.
pub const RECEIPT_DAYS: i64 = 45;

/// A lease's length from its last renewal, and the margin added for clocks that disagree.
pub const LEASE_SECS: i64 = 45;
pub const LEASE_MARGIN_SECS: i64 = 10;
/// How often a living run renews its leases.
pub const HEARTBEAT_SECS: u64 = 15;

/// The request an owner (`<request id>#<attempt>`) is an attempt of.
pub fn request_of(owner: &str) -> &str {
    owner.split('#').next().unwrap_or(owner)
}

/// An owner for one attempt of `request` (a Lambda request id, or the CLI's own run id):
/// unique to this attempt, whatever process or warm environment runs it.
pub fn attempt_of(request: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}#{:x}-{t:x}-{n}", request_of(request), std::process::id())
}

/// Whether `other` is an earlier attempt of the request `owner` is an attempt of: its run is
/// over (Lambda retries only after an attempt ended), so its entries are this attempt's to
/// finish, lease or not.
pub fn earlier_attempt(other: &str, owner: &str) -> bool {
    other != owner && other.contains('#') && request_of(other) == request_of(owner)
}

/// Where the expiry guard keeps its open changes.
pub trait Journal: Send + Sync {
    /// Every entry of `scope` (`ACCOUNT#REGION`).
    /// Every open entry of `scope` (`ACCOUNT#REGION`).
    fn entries(&self, scope: &str) -> impl Future<Output = Result<Vec<Entry>>> + Send;
    /// Writes `entry` if the job has no open entry, or its lease ended before `now`, or it is
    /// already `entry.owner`'s or an earlier attempt's of the same request, and the same
    /// decision was not carried out before. Conditional: of two invocations, one wins.
    fn claim(
        &self,
        scope: &str,
        entry: &Entry,
        now: i64,
    ) -> impl Future<Output = Result<Claim>> + Send;
    /// Closes the entry if `owner` still holds it: `made` when its change was made and
    /// reported (the receipt then remembers the decision), else the change was never made.
    fn release(
        &self,
        scope: &str,
        job_id: &str,
        owner: &str,
        made: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Ends `owner`'s lease on the entry but keeps it, so the next invocation finishes or
    /// reports the change at once (the report could not be sent).
    fn hand_over(
        &self,
        scope: &str,
        job_id: &str,
        owner: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Extends `owner`'s lease on the entry to `until` (the heartbeat); `false` when the entry
    /// is no longer `owner`'s.
    fn renew(
        &self,
        scope: &str,
        job_id: &str,
        owner: &str,
        until: i64,
    ) -> impl Future<Output = Result<bool>> + Send;
}

impl<T: Journal> Journal for &T {
    fn entries(&self, scope: &str) -> impl Future<Output = Result<Vec<Entry>>> + Send {
        (**self).entries(scope)
    }
    fn claim(
        &self,
        scope: &str,
        entry: &Entry,
        now: i64,
    ) -> impl Future<Output = Result<Claim>> + Send {
        (**self).claim(scope, entry, now)
    }
    fn release(
        &self,
        scope: &str,
        job_id: &str,
        owner: &str,
        made: bool,
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).release(scope, job_id, owner, made)
    }
    fn hand_over(
        &self,
        scope: &str,
        job_id: &str,
        owner: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        (**self).hand_over(scope, job_id, owner)
    }
    fn renew(
        &self,
        scope: &str,
        job_id: &str,
        owner: &str,
        until: i64,
    ) -> impl Future<Output = Result<bool>> + Send {
        (**self).renew(scope, job_id, owner, until)
    }
}

/// Whether `existing` may be taken by a claim from `owner` at `now`.
fn claimable(existing: Option<&Entry>, owner: &str, now: i64) -> bool {
    match existing {
        None => true,
        Some(e) => e.owner == owner || e.lease_until < now || earlier_attempt(&e.owner, owner),
    }
}

/// The journal of one process: no crash protection across processes (the CLI without a
/// table, tests of the orchestration).
#[derive(Debug, Default)]
pub struct MemoryJournal {
    entries: Mutex<BTreeMap<(String, String), Entry>>,
    receipts: Mutex<BTreeMap<(String, String), (String, Action)>>,
}

impl MemoryJournal {
    pub fn new() -> MemoryJournal {
        MemoryJournal::default()
    }

    /// Every entry, for tests.
    pub fn all(&self) -> Vec<Entry> {
        self.lock().values().cloned().collect()
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
}

/// The journal in a DynamoDB table (on-demand, created by the stack).
#[derive(Debug, Clone)]
pub struct DynamoJournal {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn dynamo_error<E>(
    operation: &'static str,
    on: &str,
    e: &aws_sdk_dynamodb::error::SdkError<E>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    Error::Aws {
        service: "DynamoDB",
        operation,
        on: Some(on.to_string()),
        code: e.code().unwrap_or("Unknown").to_string(),
        message: e
            .message()
            .map(str::to_string)
            .unwrap_or_else(|| crate::error::describe_sdk_error(e)),
    }
}

fn entry_of(item: &HashMap<String, AttributeValue>) -> Option<Entry> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(Entry {
        job_id: text("jobId")?,
        owner: text("owner")?,
        lease_until: item.get("leaseUntil")?.as_n().ok()?.parse().ok()?,
        action: Action::parse(&text("action")?)?,
        policy: text("policy")?.parse().ok()?,
        paused_at: text("pausedAt").unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        decided_at: text("decidedAt").unwrap_or_default(),
    })
}

impl Journal for DynamoJournal {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#s = :s")
                .filter_expression("attribute_exists(#a)")
                .expression_attribute_names("#s", "scope")
                .expression_attribute_names("#a", "action")
                .expression_attribute_values(":s", s(scope))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| dynamo_error("Query", &self.table, &e))?;
            out.extend(page.items().iter().filter_map(entry_of));
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(&entry.job_id))
            .update_expression(
                "SET #o = :me, leaseUntil = :until, #a = :a, #p = :pol, pausedAt = :p, #n = :n, decidedAt = :d, expiresAt = :ttl",
            )
            .condition_expression(
                "(attribute_not_exists(#o) OR #o = :me OR leaseUntil < :now OR begins_with(#o, :request)) AND (attribute_not_exists(donePausedAt) OR donePausedAt <> :p OR doneAction <> :a)",
            )
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#a", "action")
            .expression_attribute_names("#p", "policy")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":me", s(&entry.owner))
            // An earlier attempt of the same request (the owner's prefix up to `#`).
            .expression_attribute_values(":request", s(&format!("{}#", request_of(&entry.owner))))
            .expression_attribute_values(":until", AttributeValue::N(entry.lease_until.to_string()))
            .expression_attribute_values(":a", s(entry.action.as_str()))
            .expression_attribute_values(":pol", s(entry.policy.as_str()))
            .expression_attribute_values(":p", s(&entry.paused_at))
            .expression_attribute_values(":n", s(&entry.name))
            .expression_attribute_values(":d", s(&entry.decided_at))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((now + RECEIPT_DAYS * 86_400).to_string()),
            )
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Claim::Granted {
                previous: out
                    .attributes()
                    .and_then(entry_of)
                    .filter(|e| e.owner != entry.owner),
            }),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                // Held by another invocation, or this decision was carried out: one read.
                let held = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("scope", s(scope))
                    .key("jobId", s(&entry.job_id))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| dynamo_error("GetItem", &self.table, &e))?;
                let item = held.item().cloned().unwrap_or_default();
                let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                let receipt = (text("donePausedAt"), text("doneAction"));
                if receipt
                    == (
                        Some(entry.paused_at.clone()),
                        Some(entry.action.as_str().to_string()),
                    )
                {
                    return Ok(Claim::Done);
                }
                let open = entry_of(&item);
                Ok(Claim::Busy {
                    owner: open.as_ref().map(|h| h.owner.clone()).unwrap_or_default(),
                    until: open.map(|h| h.lease_until).unwrap_or_default(),
                })
            }
            Err(e) => Err(dynamo_error("UpdateItem", &self.table, &e)),
        }
    }

    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(job_id))
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#a", "action")
            .expression_attribute_names("#p", "policy")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":me", s(owner));
        req = if made {
            req.update_expression(
                "SET donePausedAt = pausedAt, doneAction = #a REMOVE #o, leaseUntil, #a, #p, pausedAt, #n, decidedAt",
            )
        } else {
            req.update_expression("REMOVE #o, leaseUntil, #a, #p, pausedAt, #n, decidedAt")
        };
        match req.send().await {
            Ok(_) => Ok(()),
            // Taken over by another invocation (our lease ran out): theirs now.
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(dynamo_error("UpdateItem", &self.table, &e)),
        }
    }

    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(job_id))
            .update_expression("SET leaseUntil = :until")
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(dynamo_error("UpdateItem", &self.table, &e)),
        }
    }

    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(job_id))
            .update_expression("SET leaseUntil = :zero")
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(dynamo_error("UpdateItem", &self.table, &e)),
        }
    }
}

/// The journal the stack configures (`JOURNAL_TABLE`), or the process's own.
pub enum AnyJournal {
    Dynamo(DynamoJournal),
    Memory(MemoryJournal),
}

impl Journal for AnyJournal {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        match self {
            AnyJournal::Dynamo(j) => j.entries(scope).await,
            AnyJournal::Memory(j) => j.entries(scope).await,
        }
    }
    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        match self {
            AnyJournal::Dynamo(j) => j.claim(scope, entry, now).await,
            AnyJournal::Memory(j) => j.claim(scope, entry, now).await,
        }
    }
    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        match self {
            AnyJournal::Dynamo(j) => j.release(scope, job_id, owner, made).await,
            AnyJournal::Memory(j) => j.release(scope, job_id, owner, made).await,
        }
    }
    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        match self {
            AnyJournal::Dynamo(j) => j.hand_over(scope, job_id, owner).await,
            AnyJournal::Memory(j) => j.hand_over(scope, job_id, owner).await,
        }
    }
    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        match self {
            AnyJournal::Dynamo(j) => j.renew(scope, job_id, owner, until).await,
            AnyJournal::Memory(j) => j.renew(scope, job_id, owner, until).await,
        }
    }
}

/// The expiry guard's journal: the DynamoDB table named by `table` (JOURNAL_TABLE), or, with
/// none, the process's own (no protection across processes: said in a warning).
pub fn open(conf: &aws_config::SdkConfig, table: Option<String>) -> AnyJournal {
    match table {
        Some(table) => AnyJournal::Dynamo(DynamoJournal {
            client: crate::aws::dynamodb(conf),
            table,
        }),
        None => {
            tracing::warn!("JOURNAL_TABLE is not set: leases and open changes live in this process only (no protection against overlapping or interrupted runs of other processes)");
            AnyJournal::Memory(MemoryJournal::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
