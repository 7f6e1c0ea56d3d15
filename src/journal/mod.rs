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
//! Beside the entries, the journal keeps **watches** ([`Watch`]): what the guard saw of a paused
//! job whose tag asks for it to be recreated once lost, so that a sweep can tell that Macie
//! cancelled it at expiry.
//!
//! [`DynamoJournal`] keeps entries in a DynamoDB table (partition key `scope` =
//! `ACCOUNT#REGION`, sort key `jobId`, TTL attribute `expiresAt`); [`MemoryJournal`] keeps
//! them in the process (the CLI without `JOURNAL_TABLE`, and tests).
//!
//! Both implement [`Journal`]; [`AnyJournal`] is the one the stack configures.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

use crate::error::Result;
use macie_guard_core::expiry::plan::Action;
use macie_guard_core::expiry::policy::Policy;

pub mod dynamo;
pub mod file;
pub mod memory;

use dynamo::DynamoJournal;
use memory::MemoryJournal;

/// One job's open change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// A paused one-time job whose tag asks for it to be recreated once lost
/// (`macie-guard:on-lost=recreate`): what the guard saw of it, so that a sweep that finds it
/// cancelled can tell Macie's expiry from a person's cancellation
/// (`expiry::recreate::watched`). Kept beside the entries (`jobId` = `watch#<job id>`), and
/// by TTL no longer than [`RECEIPT_DAYS`] after its expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    pub job_id: String,
    pub name: String,
    /// The pause's `jobExpiresAt` (epoch seconds).
    pub expires_at: i64,
    /// When the guard last saw it paused (epoch seconds).
    pub seen_paused_at: i64,
}

/// The sort key of a job's watch: apart from its entry's (the job id itself).
pub const WATCH_PREFIX: &str = "watch#";

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

/// The format of the journal's items that this code writes (attribute `schemaVersion`) and
/// reads: 1 is the format before the attribute existed (the same attributes, without it); 2
/// adds it. A newer code finishes the entries an older one left (tests/fixtures/journal/); an
/// older code that meets an open entry of a newer schema stops with
/// [`crate::error::Error::JournalSchema`] and changes nothing. A receipt (a closed entry) keeps
/// the same two attributes in every schema, so any version reads any receipt.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// Every open entry of `scope` (`ACCOUNT#REGION`).
    fn entries(&self, scope: &str) -> impl Future<Output = Result<Vec<Entry>>> + Send;
    /// Every scope with an open entry (a hub's journal watch finishes the changes a dead run
    /// left in its members' account-Regions without reading every one).
    fn open_scopes(&self) -> impl Future<Output = Result<Vec<String>>> + Send;
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
    /// Records (or refreshes) the watch of a paused job.
    fn watch(&self, scope: &str, watch: &Watch) -> impl Future<Output = Result<()>> + Send;
    /// Every watch of `scope`.
    fn watches(&self, scope: &str) -> impl Future<Output = Result<Vec<Watch>>> + Send;
    /// Ends the watch of `job_id` (none: nothing happens).
    fn unwatch(&self, scope: &str, job_id: &str) -> impl Future<Output = Result<()>> + Send;
}

impl<T: Journal> Journal for &T {
    fn entries(&self, scope: &str) -> impl Future<Output = Result<Vec<Entry>>> + Send {
        (**self).entries(scope)
    }
    fn open_scopes(&self) -> impl Future<Output = Result<Vec<String>>> + Send {
        (**self).open_scopes()
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
    fn watch(&self, scope: &str, watch: &Watch) -> impl Future<Output = Result<()>> + Send {
        (**self).watch(scope, watch)
    }
    fn watches(&self, scope: &str) -> impl Future<Output = Result<Vec<Watch>>> + Send {
        (**self).watches(scope)
    }
    fn unwatch(&self, scope: &str, job_id: &str) -> impl Future<Output = Result<()>> + Send {
        (**self).unwatch(scope, job_id)
    }
}

/// Whether `existing` may be taken by a claim from `owner` at `now`.
fn claimable(existing: Option<&Entry>, owner: &str, now: i64) -> bool {
    match existing {
        None => true,
        Some(e) => e.owner == owner || e.lease_until < now || earlier_attempt(&e.owner, owner),
    }
}

/// The journal the stack configures (`JOURNAL_TABLE`), the CLI's file, or the process's own.
pub enum AnyJournal {
    Dynamo(DynamoJournal),
    File(file::FileJournal),
    Memory(MemoryJournal),
}

/// The same call on whichever journal it is.
macro_rules! on_each {
    ($self:ident, $j:ident => $call:expr) => {
        match $self {
            AnyJournal::Dynamo($j) => $call,
            AnyJournal::File($j) => $call,
            AnyJournal::Memory($j) => $call,
        }
    };
}

impl Journal for AnyJournal {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        on_each!(self, j => j.entries(scope).await)
    }
    async fn open_scopes(&self) -> Result<Vec<String>> {
        on_each!(self, j => j.open_scopes().await)
    }
    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        on_each!(self, j => j.claim(scope, entry, now).await)
    }
    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        on_each!(self, j => j.release(scope, job_id, owner, made).await)
    }
    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        on_each!(self, j => j.hand_over(scope, job_id, owner).await)
    }
    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        on_each!(self, j => j.renew(scope, job_id, owner, until).await)
    }
    async fn watch(&self, scope: &str, watch: &Watch) -> Result<()> {
        on_each!(self, j => j.watch(scope, watch).await)
    }
    async fn watches(&self, scope: &str) -> Result<Vec<Watch>> {
        on_each!(self, j => j.watches(scope).await)
    }
    async fn unwatch(&self, scope: &str, job_id: &str) -> Result<()> {
        on_each!(self, j => j.unwatch(scope, job_id).await)
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
            // Said where it matters: a run that changes jobs (the CLI keeps those in a
            // journal file of its own; a function always has its table).
            tracing::info!(
                "JOURNAL_TABLE is not set: leases and open changes live in this process only"
            );
            AnyJournal::Memory(MemoryJournal::new())
        }
    }
}
