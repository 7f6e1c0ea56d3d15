//! The expiry guard at the hub: an event is acted on in the account and Region it is about,
//! through that account's role; the sweep runs the guard in every account-Region of the
//! organization the hub guards, at most `concurrency` at once, inside the invocation's time.
//! The journal, the message, the events and the run log are the hub's, once; each account-
//! Region's report names it.

use chrono::Utc;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};

use super::members::aws::AwsMembers;
use super::members::{Members, Unreached};
use super::queue::WorkQueue;
use super::{answer, run_organization, work, AtHub, RunOf};
use crate::error::{Error, Result};
use crate::expiry::jobs::MacieJobs;
use crate::expiry::lambda::{parse, ExpiryFunction};
use crate::journal::Journal;
use crate::logging::emit_metrics;
use crate::outbound::Outbound;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::hub::{
    placement, queued, HubConfig, HubRun, Placement, Through, Unit, UnitReport, UnitResult,
};
use macie_guard_core::schedule::liveness::RunKind;
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::expiry::metrics;

/// The expiry function of a hub: its own account as a single-account stack's, and the
/// organization's member accounts through their role.
pub struct ExpiryHub<M, N, J, H> {
    pub own: ExpiryFunction<M, N, J>,
    pub members: H,
    pub config: HubConfig,
    /// Where a sweep whose time runs out hands the rest (HUB_QUEUE_URL); `None`: the rest
    /// waits for the next sweep.
    pub queue: Option<WorkQueue>,
}

/// The organization as the hub's expiry guard reaches it: each account-Region's jobs.
pub trait JobMembers: Members {
    /// What the guards read and change jobs through in one account-Region.
    type Jobs: MacieJobs;

    /// The jobs of `unit`: the hub's own credentials in its own account, the member role in
    /// another (assumed once per account and reused across its Regions until it nears its
    /// expiry).
    fn jobs(
        &self,
        unit: &Unit,
    ) -> impl std::future::Future<Output = std::result::Result<Self::Jobs, Unreached>> + Send;
}

/// Each member account's jobs through its member role.
impl JobMembers for AwsMembers {
    type Jobs = aws_sdk_macie2::Client;

    async fn jobs(&self, unit: &Unit) -> std::result::Result<Self::Jobs, Unreached> {
        Ok(crate::aws::macie(&self.session(unit).await?))
    }
}

impl<M: MacieJobs, N: Outbound, J: Journal, H: JobMembers> ExpiryHub<M, N, J, H> {
    /// Parses and routes one event: a sweep over the organization, an event where it
    /// happened, the journal watch and anything else at the hub.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let (payload, context) = event.into_parts();
        if let Some(queued) = queued(&payload) {
            // The work queue's shares of a sweep whose time ran out.
            let hub = self.own.own_scope(&context)?;
            let deadline = crate::invocation::deadline_of(&context, Utc::now());
            let (hub, context) = (&hub, &context);
            return Ok(work(
                "expiry-guard",
                hub,
                &self.config,
                queued,
                deadline,
                |unit, trigger| async move {
                    let parsed = ExpiryEvent::Sweep { trigger };
                    Box::pin(self.sweep_unit(hub, &unit, &parsed, context)).await
                },
            )
            .await);
        }
        let parsed = parse(&payload)?;
        let hub = self.own.own_scope(&context)?;
        let about = match &parsed {
            ExpiryEvent::Sweep { trigger } => {
                // Boxed, as every run below: the futures are deep, and sit inside the runtime's.
                let run = Box::pin(self.sweep(&hub, trigger, &parsed, &context)).await;
                return answer(run);
            }
            ExpiryEvent::Health(h) => Some((
                h.detail.affected_account.clone().or(h.account.clone()),
                h.detail.event_region.clone().or(h.region.clone()),
            )),
            ExpiryEvent::Tagged { resource_arn, .. } => {
                let place = arn_place(resource_arn);
                // A member forwards its own account's records: one naming another account's
                // job is not acted on anywhere.
                let sender = payload.get("account").and_then(Value::as_str);
                if let (Some(sender), Some((account, _))) = (sender, &place) {
                    if sender != account {
                        let why = format!(
                            "a record from account {sender} names a job of account {account}: the hub acts on a member's own records only"
                        );
                        tracing::warn!(reason = %why, "tag record not acted on");
                        return Ok(json!({"trigger": "elsewhere", "elsewhere": why}));
                    }
                }
                place.map(|(account, region)| (Some(account), Some(region)))
            }
            ExpiryEvent::Recover { .. } => {
                // The hub's own account-Region as a single-account stack's watch (its run
                // log's verdicts included), then every member account-Region with an open
                // entry.
                let own =
                    Box::pin(
                        self.own
                            .handle_at(&self.own.macie, hub.clone(), &parsed, &context),
                    )
                    .await;
                let members = Box::pin(self.recover_members(&hub, &parsed, &context)).await;
                let mut answer = own?;
                if !members.is_empty() {
                    answer["members"] = serde_json::to_value(&members).unwrap_or(Value::Null);
                }
                return Ok(answer);
            }
            ExpiryEvent::Ignored { .. } => None,
        };
        match about {
            Some((Some(account), Some(region))) => {
                Box::pin(self.at(hub, &account, &region, &parsed, &context)).await
            }
            // The hub's own, or not placed: the guard at the hub decides (an event about
            // another account or Region is left alone there, as by a single-account stack).
            _ => Box::pin(self.own.handle_at(&self.own.macie, hub, &parsed, &context)).await,
        }
    }

    /// An event about `account` in `region`: acted on there when the hub guards it, through
    /// the account's role; an account outside the organization is never acted in.
    async fn at(
        &self,
        hub: Scope,
        account: &str,
        region: &str,
        parsed: &ExpiryEvent,
        context: &Context,
    ) -> Result<Value, Error> {
        let unit = match placement(&hub, Some(&self.config), account, region) {
            Placement::Own => {
                return Box::pin(self.own.handle_at(&self.own.macie, hub, parsed, context)).await
            }
            Placement::NotGuarded(why) => {
                tracing::info!(account, region, reason = %why, "event not guarded by this hub");
                return Ok(json!({"trigger": "elsewhere", "elsewhere": why}));
            }
            Placement::Guarded(unit) => unit,
        };
        if unit.through == Through::MemberRole {
            match self.members.account(account).await? {
                Some(a) if a.status == "ACTIVE" => {}
                found => {
                    let why = match found {
                        Some(a) => format!("account {account} is {}, not ACTIVE", a.status),
                        None => format!("account {account} is not in this hub's organization"),
                    };
                    tracing::warn!(account, region, reason = %why, "event from an account the hub does not act in");
                    return Ok(json!({"trigger": "elsewhere", "elsewhere": why}));
                }
            }
        }
        match self.members.jobs(&unit).await {
            Ok(jobs) => {
                let outbound = AtHub {
                    hub: &self.own.outbound,
                    findings: self.members.security_hub(&unit).await,
                };
                let started = Utc::now();
                let guard = self
                    .own
                    .guard_for(jobs, unit.scope.clone(), context, started)
                    .with_outbound(outbound);
                let told = Box::pin(guard.handle(parsed, started)).await?;
                emit_metrics(&metrics(&told), "expiry-guard", "Decisions");
                Ok(crate::expiry::lambda::outcome(told)
                    .map(|t| serde_json::to_value(&t).unwrap_or(Value::Null))?)
            }
            Err(unreached) => {
                // Said to people, and the event fails: Lambda's retries, then the dead-letter
                // queue, keep it until the role is there.
                self.tell_unreached(&hub, &unit, parsed, &unreached).await;
                Err(Error::Unreached {
                    account: unit.scope.account.clone(),
                    region: unit.scope.region.clone(),
                    reason: unreached.reason,
                })
            }
        }
    }

    /// The journal watch's part for the members: every account-Region other than the hub's
    /// own with an open entry (the journal's sparse index), recovered there through its role:
    /// a change a dead run left open is finished within the watch's minute, as in the hub's
    /// own account. One row each.
    async fn recover_members(
        &self,
        hub: &Scope,
        parsed: &ExpiryEvent,
        context: &Context,
    ) -> Vec<UnitReport> {
        let scopes = match self.own.journal.open_scopes().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "the journal's open entries could not be listed: members' open changes wait for their next sweep");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for key in scopes {
            let Some((account, region)) = key.split_once('#') else {
                continue;
            };
            let unit = match placement(hub, Some(&self.config), account, region) {
                Placement::Guarded(unit) if unit.scope != *hub => unit,
                // The hub's own (done above), or no longer guarded here: left as it is.
                _ => continue,
            };
            let result = match self.members.jobs(&unit).await {
                Ok(jobs) => {
                    let at_hub = AtHub {
                        hub: &self.own.outbound,
                        findings: self.members.security_hub(&unit).await,
                    };
                    Box::pin(self.run_unit(jobs, at_hub, &unit, parsed, context)).await
                }
                Err(Unreached { code, reason }) => UnitResult::Unreached { code, reason },
            };
            out.push(UnitReport {
                scope: unit.scope,
                result,
            });
        }
        out
    }

    /// The sweep over the organization: every account-Region the hub guards, the hub's own
    /// first.
    async fn sweep(
        &self,
        hub: &Scope,
        trigger: &str,
        parsed: &ExpiryEvent,
        context: &Context,
    ) -> HubRun {
        let of = RunOf {
            runs: &self.own.runs,
            kind: RunKind::Sweep,
            function: "expiry-guard",
            queue: self.queue.as_ref(),
        };
        let deadline = crate::invocation::deadline_of(context, Utc::now());
        run_organization(
            hub,
            trigger,
            &self.config,
            &self.members,
            of,
            deadline,
            |unit| async move { Box::pin(self.sweep_unit(hub, &unit, parsed, context)).await },
        )
        .await
    }

    /// One account-Region's sweep: the hub's own through its own client, a member's through
    /// its role.
    async fn sweep_unit(
        &self,
        hub: &Scope,
        unit: &Unit,
        parsed: &ExpiryEvent,
        context: &Context,
    ) -> UnitResult {
        if unit.scope == *hub {
            // The hub's own account and Region, as a single-account stack guards it (its
            // Security Hub findings included).
            let own = &self.own.outbound;
            return self
                .run_unit(&self.own.macie, own, unit, parsed, context)
                .await;
        }
        match self.members.jobs(unit).await {
            Ok(jobs) => {
                let at_hub = AtHub {
                    hub: &self.own.outbound,
                    findings: self.members.security_hub(unit).await,
                };
                self.run_unit(jobs, at_hub, unit, parsed, context).await
            }
            Err(Unreached { code, reason }) => {
                tracing::warn!(account = %unit.scope.account, region = %unit.scope.region, code = %code, reason = %reason, "member not reached");
                UnitResult::Unreached { code, reason }
            }
        }
    }

    async fn run_unit<X: MacieJobs, O: Outbound>(
        &self,
        jobs: X,
        outbound: O,
        unit: &Unit,
        parsed: &ExpiryEvent,
        context: &Context,
    ) -> UnitResult {
        let started = Utc::now();
        let guard = self
            .own
            .guard_for(jobs, unit.scope.clone(), context, started)
            .with_outbound(outbound);
        match Box::pin(guard.handle(parsed, started)).await {
            Ok(told) => {
                emit_metrics(&metrics(&told), "expiry-guard", "Decisions");
                UnitResult::Ran {
                    scanned: told.scanned,
                    jobs: told.jobs.len(),
                    failed: told.failures().map(|f| f.failed).unwrap_or(0),
                    deferred: told.deferred,
                }
            }
            Err(e) if macie_off(&e) => UnitResult::MacieOff {
                reason: e.to_string(),
            },
            Err(e) => {
                tracing::error!(account = %unit.scope.account, region = %unit.scope.region, error = %e, "sweep of an account-Region failed");
                UnitResult::Failed {
                    reason: e.to_string(),
                }
            }
        }
    }

    /// People hear about an event the hub could not act on: who, what, why.
    async fn tell_unreached(
        &self,
        hub: &Scope,
        unit: &Unit,
        parsed: &ExpiryEvent,
        unreached: &Unreached,
    ) {
        let n = macie_guard_core::tell::hub::unreached_event(
            hub,
            &unit.scope,
            parsed,
            &unreached.reason,
        );
        if let Err(e) = self.own.outbound.publish(&n).await {
            tracing::error!(error = %e, "the message about an unreached member could not be sent");
        }
    }
}

/// Whether Macie answered that it is not enabled there: AccessDeniedException whose message
/// says so (Macie API Reference, Common Errors: the same code as a denial by IAM, told apart by
/// the message alone).
fn macie_off(e: &Error) -> bool {
    matches!(e, Error::Aws { service: "Macie", code, message, .. }
        if code.starts_with("AccessDenied") && message.contains("not enabled"))
}

/// The account and Region of a Macie resource's ARN (`arn:P:macie2:REGION:ACCOUNT:...`).
fn arn_place(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "macie2", region, account, _] if !region.is_empty() && !account.is_empty() => {
            Some((account.to_string(), region.to_string()))
        }
        _ => None,
    }
}
