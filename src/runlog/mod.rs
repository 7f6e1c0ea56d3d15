//! The run log: when each scheduled run (the sweep, the export check) last succeeded and what
//! it found, and since when the journal watch has been watching. It lives in the journal's
//! table, in a partition of its own (`RUNS#ACCOUNT#REGION`: one item per run, and one `watch`
//! item), so that the export guard may write its own item there and nothing else (its role's
//! `dynamodb:LeadingKeys` condition).
//!
//! Writing ([`RunLog`]) is all the guards do after a scheduled run; reading
//! (`RunLogReader`, in `reader.rs`) is the journal watch's (it judges the log each minute,
//! `macie_guard_core::schedule::liveness`) and `macie-guard status`'s.

use std::future::Future;

use crate::error::Result;
use macie_guard_core::hub::MembersSeen;
use macie_guard_core::schedule::liveness::RunRecord;

pub mod dynamo;
pub mod memory;
pub mod reader;

use dynamo::DynamoRunLog;
use memory::MemoryRunLog;

/// The run log's partition for a journal scope (`ACCOUNT#REGION`).
pub fn runs_scope(scope: &str) -> String {
    format!("RUNS#{scope}")
}

/// Where scheduled runs' successes are written.
pub trait RunLog: Send + Sync {
    /// Remembers a successful run; a newer run's record is never replaced by an older one's
    /// (a late retry).
    fn succeeded(&self, scope: &str, run: &RunRecord) -> impl Future<Output = Result<()>> + Send;

    /// Remembers what a hub's run saw of its members (after every run, complete or not); a
    /// later run's view replaces an earlier one's.
    fn seen(&self, scope: &str, seen: &MembersSeen) -> impl Future<Output = Result<()>> + Send;
}

/// The run log's item of what a hub's `run` saw of its members.
pub fn seen_key(run: &str) -> String {
    format!("members#{run}")
}

/// The run log the stack configures (`JOURNAL_TABLE`), or the process's own.
pub enum AnyRunLog {
    Dynamo(DynamoRunLog),
    Memory(MemoryRunLog),
}

impl RunLog for AnyRunLog {
    async fn succeeded(&self, scope: &str, run: &RunRecord) -> Result<()> {
        match self {
            AnyRunLog::Dynamo(l) => l.succeeded(scope, run).await,
            AnyRunLog::Memory(l) => l.succeeded(scope, run).await,
        }
    }

    async fn seen(&self, scope: &str, seen: &MembersSeen) -> Result<()> {
        match self {
            AnyRunLog::Dynamo(l) => l.seen(scope, seen).await,
            AnyRunLog::Memory(l) => l.seen(scope, seen).await,
        }
    }
}

/// The run log in the journal table `table` (JOURNAL_TABLE), or, with none, the process's own.
pub fn open(conf: &aws_config::SdkConfig, table: Option<String>) -> AnyRunLog {
    match table {
        Some(table) => AnyRunLog::Dynamo(DynamoRunLog {
            client: crate::aws::dynamodb(conf),
            table,
        }),
        None => AnyRunLog::Memory(MemoryRunLog::default()),
    }
}

/// Remembers a scheduled run's success. A failure to write it is logged, not returned: the run
/// did its work (a retry would do it again), and the overdue alarm is what tells of a run log
/// that cannot be written.
pub async fn remember_success<R: RunLog>(log: &R, scope: &str, record: &RunRecord) {
    if let Err(e) = log.succeeded(scope, record).await {
        tracing::error!(error = %e, run = %record.kind, "the run's success could not be remembered: the overdue alarm goes off if this goes on");
    }
}

/// Remembers what a hub's run saw of its members; a failure is logged (the run's answer and
/// the UnreachedMembers gauge still say it).
pub async fn remember_seen<R: RunLog>(log: &R, scope: &str, seen: &MembersSeen) {
    if let Err(e) = log.seen(scope, seen).await {
        tracing::error!(error = %e, run = %seen.run, "what the run saw of the members could not be remembered: `status` shows an older view");
    }
}
