//! The organization as one hub and its members: the hub's functions reach every member account
//! through the role it holds for them ([`members`]), and run the guards there as in their own
//! account ([`expiry`]). What to guard and what to leave is decided in the core
//! (`macie_guard_core::hub`).

use chrono::{DateTime, Duration, Utc};

use crate::error::Result;
use crate::invocation::RESERVE_SECS;
use crate::logging::emit_gauge;
use crate::outbound::securityhub::SecurityHub;
use crate::outbound::Outbound;
use crate::runlog::{remember_seen, remember_success, AnyRunLog};
use futures_util::stream::{self, StreamExt};
use macie_guard_core::delivery::HubOutcome;
use macie_guard_core::hub::HubRun;
use macie_guard_core::hub::{
    placement, shares, HubConfig, Placement, Queued, Through, Unit, UnitReport, UnitResult,
};
use macie_guard_core::schedule::liveness::{RunKind, RunRecord};
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::asff::HubSync;
use macie_guard_core::tell::events::GuardEvent;
use macie_guard_core::tell::metrics::DEFERRED_UNITS;
use macie_guard_core::tell::metrics::{HUB_FUNCTION, UNREACHED_MEMBERS};
use macie_guard_core::tell::notification::Notification;
use queue::WorkQueue;

pub mod expiry;
pub mod export;
pub mod members;
pub mod queue;

/// Whether a new account-Region should still be started: a unit needs at least the reserve
/// the guard keeps back to finish and report.
pub(crate) fn out_of_time(deadline: Option<DateTime<Utc>>) -> bool {
    deadline.is_some_and(|d| Utc::now() + Duration::seconds(2 * RESERVE_SECS) >= d)
}

/// The hub's outbound for a member's run: the message and the events go out at the hub; the
/// Security Hub findings go to the member's own Security Hub, through its role (AWS takes a
/// finding only from the account it is about), or nowhere.
pub struct AtHub<'a, N> {
    pub hub: &'a N,
    pub findings: Option<SecurityHub>,
}

impl<N: Outbound> Outbound for AtHub<'_, N> {
    async fn publish(&self, n: &Notification) -> Result<()> {
        self.hub.publish(n).await
    }

    async fn announce(&self, events: &[GuardEvent]) -> Result<()> {
        self.hub.announce(events).await
    }

    async fn sync_findings(
        &self,
        sync: &HubSync,
        deadline: Option<DateTime<Utc>>,
    ) -> Option<HubOutcome> {
        Some(self.findings.as_ref()?.sync_by(sync, deadline).await)
    }
}

/// The account-Regions a run did not start for want of time, handed to the work queue when
/// the hub has one: each becomes `Queued`, or stays `Deferred` (said) when the queue did not
/// take them.
pub(crate) async fn hand_on(reports: &mut [UnitReport], trigger: &str, queue: Option<&WorkQueue>) {
    let Some(queue) = queue else { return };
    let waiting: Vec<&Scope> = reports
        .iter()
        .filter(|r| r.result == UnitResult::Deferred)
        .map(|r| &r.scope)
        .collect();
    if waiting.is_empty() {
        return;
    }
    let shares = shares(trigger, waiting);
    match queue.send(&shares).await {
        Ok(()) => {
            tracing::info!(
                accounts = shares.len(),
                "the time ran out: the remaining account-Regions were queued"
            );
            for r in reports.iter_mut() {
                if r.result == UnitResult::Deferred {
                    r.result = UnitResult::Queued;
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "the remaining account-Regions wait for the next run")
        }
    }
}

/// A batch of the work queue's messages, each an account's share of a run: its Regions done
/// with `run`, as the run would have. The answer is Lambda's partial batch response: a message
/// that is not a share, or one of whose Regions failed (or could not start in time), is
/// named, received again and, after its last try, dead-lettered; a member that cannot be
/// reached is counted (the hub's gauge and alarm), not retried.
pub(crate) async fn work<F, Fut>(
    function: &str,
    hub: &Scope,
    config: &HubConfig,
    queued: Vec<Queued>,
    deadline: Option<DateTime<Utc>>,
    run: F,
) -> serde_json::Value
where
    F: Fn(Unit, String) -> Fut,
    Fut: std::future::Future<Output = UnitResult>,
{
    let mut failures = Vec::new();
    let mut unreached = 0;
    for q in queued {
        let share = match q.share {
            Ok(s) => s,
            Err(why) => {
                tracing::error!(message_id = %q.message_id, reason = %why, "not a share of a run: left to the queue's tries, then its dead-letter queue");
                failures.push(q.message_id);
                continue;
            }
        };
        let mut done = true;
        for region in &share.regions {
            let unit = match placement(hub, Some(config), &share.account, region) {
                Placement::Own => Unit {
                    scope: hub.clone(),
                    through: Through::Own,
                },
                Placement::Guarded(unit) => unit,
                Placement::NotGuarded(why) => {
                    tracing::info!(account = %share.account, region, reason = %why, "no longer guarded by this hub: left");
                    continue;
                }
            };
            let result = if out_of_time(deadline) {
                UnitResult::Deferred
            } else {
                Box::pin(run(unit, share.trigger.clone())).await
            };
            match result {
                UnitResult::Ran {
                    failed: 0,
                    deferred: 0,
                    ..
                }
                | UnitResult::Checked {
                    forwarding: None, ..
                }
                | UnitResult::MacieOff { .. } => {}
                UnitResult::Checked {
                    forwarding: Some(_),
                    ..
                }
                | UnitResult::Unreached { .. } => unreached += 1,
                other => {
                    tracing::warn!(account = %share.account, region, result = ?other, "a queued account-Region is not done: its share is received again");
                    done = false;
                }
            }
        }
        if !done {
            failures.push(q.message_id);
        }
    }
    emit_gauge(HUB_FUNCTION, UNREACHED_MEMBERS, unreached as u64);
    tracing::info!(function, failed = failures.len(), "queued shares done");
    serde_json::json!({
        "batchItemFailures": failures
            .into_iter()
            .map(|id| serde_json::json!({"itemIdentifier": id}))
            .collect::<Vec<_>>()
    })
}

/// Where an organization-wide run reports: its run log, its kind there, its function's name
/// in the metrics, its work queue.
pub(crate) struct RunOf<'a> {
    pub runs: &'a AnyRunLog,
    pub kind: RunKind,
    pub function: &'static str,
    pub queue: Option<&'a WorkQueue>,
}

/// One organization-wide run (the sweep, the export check): the organization listed (a
/// failure leaves the hub's own account, and says so), every account-Region the hub guards run
/// with `run_unit`, `concurrency` at once, while the invocation's time allows; the rest handed
/// to the work queue; the gauges; what it saw of the members, and, when complete, its success
/// in the run log.
pub(crate) async fn run_organization<M, F, Fut>(
    hub: &Scope,
    trigger: &str,
    config: &HubConfig,
    members: &M,
    of: RunOf<'_>,
    deadline: Option<DateTime<Utc>>,
    run_unit: F,
) -> HubRun
where
    M: members::Members,
    F: Fn(Unit) -> Fut,
    Fut: std::future::Future<Output = UnitResult>,
{
    let started = Utc::now();
    let (accounts, accounts_error) = match members.accounts().await {
        Ok(a) => (a, None),
        Err(e) => {
            tracing::error!(error = %e, run = %of.kind, "the organization's accounts could not be listed: only the hub's own account is guarded");
            (Vec::new(), Some(e.to_string()))
        }
    };
    let (todo, left) = macie_guard_core::hub::units(hub, config, &accounts);
    let run_unit = &run_unit;
    let mut reports: Vec<UnitReport> = stream::iter(todo)
        .map(|unit| async move {
            let scope = unit.scope.clone();
            let result = if out_of_time(deadline) {
                UnitResult::Deferred
            } else {
                Box::pin(run_unit(unit)).await
            };
            UnitReport { scope, result }
        })
        .buffered(config.concurrency.max(1))
        .collect()
        .await;
    hand_on(&mut reports, trigger, of.queue).await;
    let run = HubRun {
        trigger: trigger.to_string(),
        hub: hub.clone(),
        units: reports,
        left,
        accounts_error,
    };
    emit_gauge(HUB_FUNCTION, UNREACHED_MEMBERS, run.not_guarded() as u64);
    emit_gauge(of.function, DEFERRED_UNITS, run.deferred() as u64);
    let scope = hub.journal_key();
    remember_seen(of.runs, &scope, &run.seen(of.kind.as_str(), started)).await;
    if run.complete() {
        let record = RunRecord {
            kind: of.kind,
            started_at: started,
            finished_at: Utc::now(),
            result: format!(
                "{} account-Regions {}",
                run.units.len(),
                if of.kind == RunKind::Sweep {
                    "swept"
                } else {
                    "checked"
                }
            ),
            version: env!("CARGO_PKG_VERSION").to_string(),
            worst: run.worst(),
        };
        remember_success(of.runs, &scope, &record).await;
    }
    run
}

/// An organization-wide run's answer: the run; an error (the schedule's retries, the errors
/// alarm) when the organization could not be listed (only the hub's own account was guarded:
/// a failed run, not a quiet one) or an account-Region failed.
pub(crate) fn answer(run: HubRun) -> std::result::Result<serde_json::Value, crate::error::Error> {
    tracing::info!(
        hub = %run.hub.journal_key(),
        trigger = %run.trigger,
        units = run.units.len(),
        unreached = run.unreached(),
        queued = run.queued(),
        deferred = run.deferred(),
        failed = run.failed(),
        left = run.left.len(),
        worst = run.worst().map(|s| s.as_str()).unwrap_or("clean"),
        "organization run"
    );
    if let Some(reason) = &run.accounts_error {
        return Err(crate::error::Error::OrganizationUnlisted {
            swept: run.units.len(),
            reason: reason.clone(),
        });
    }
    if run.failed() > 0 {
        let first = run
            .units
            .iter()
            .find_map(|u| match &u.result {
                UnitResult::Failed { reason } => {
                    Some(format!("{} {}: {reason}", u.scope.account, u.scope.region))
                }
                UnitResult::Ran { failed, .. } if *failed > 0 => Some(format!(
                    "{} {}: {failed} job(s) failed (see its report)",
                    u.scope.account, u.scope.region
                )),
                _ => None,
            })
            .unwrap_or_default();
        return Err(crate::error::UnitsFailed {
            failed: run.failed(),
            total: run.units.len(),
            first,
        }
        .into());
    }
    Ok(serde_json::to_value(&run).unwrap_or(serde_json::Value::Null))
}
