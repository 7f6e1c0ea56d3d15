//! The export guard at the hub: the scheduled check reads every account-Region of the
//! organization the hub guards, through each account's read role, at most `concurrency` at
//! once, inside the invocation's time; a change a member's CloudTrail recorded is checked in
//! that account. Each account-Region's findings are told at the hub (its message names the
//! account and Region) and imported into that account's own Security Hub, in its Region.

use chrono::{DateTime, Utc};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};

use super::members::aws::AwsMembers;
use super::members::{Members, Unreached};
use super::queue::WorkQueue;
use super::{answer, run_organization, work, AtHub, RunOf};
use crate::error::{Error, Result};
use crate::export::guard::ExportGuard;
use crate::export::lambda::{parse, ExportFunction};
use crate::export::sources::{AwsSources, ExportSources};
use crate::logging::emit_metrics;
use crate::outbound::Outbound;
use crate::signed::{Request, Signed, EVENTS};
use macie_guard_core::export::event::{Change, Changed, ExportEvent};
use macie_guard_core::export::facts::ConfigFact;
use macie_guard_core::export::outcome::ExportReport;
use macie_guard_core::hub::{
    forwarding_verdict, placement, queued, HubConfig, HubRun, Placement, Through, Unit, UnitResult,
    FORWARDING_PREFIX,
};
use macie_guard_core::schedule::liveness::RunKind;
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::export::metrics;

/// The export function of a hub: its own account as a single-account stack's, and the
/// organization's member accounts through their read role.
pub struct ExportHub<S, N, H> {
    pub own: ExportFunction<S, N>,
    pub members: H,
    pub config: HubConfig,
    /// Where a check whose time runs out hands the rest (HUB_QUEUE_URL); `None`: the rest
    /// waits for the next check.
    pub queue: Option<WorkQueue>,
}

/// The organization as the hub's export check reads it.
pub trait ReadMembers: Members {
    /// What the export guard reads through in one account (every Region of it).
    type Sources: ExportSources;

    /// What the export guard reads in `unit`'s account: the hub's own credentials in its own
    /// account, the member's read-only role in another.
    fn sources(
        &self,
        unit: &Unit,
    ) -> impl std::future::Future<Output = std::result::Result<Self::Sources, Unreached>> + Send;

    /// The member's forwarding rules in `unit`'s Region (EventBridge ListRules, NamePrefix
    /// [`FORWARDING_PREFIX`]): each rule's name and state; why they could not be listed.
    fn forwarding(
        &self,
        unit: &Unit,
    ) -> impl std::future::Future<Output = std::result::Result<Vec<(String, String)>, String>> + Send;
}

/// Each member account read through its read-only role (the export check's; built with
/// [`HubConfig::reading`]).
impl ReadMembers for AwsMembers {
    type Sources = AwsSources;

    async fn sources(&self, unit: &Unit) -> std::result::Result<Self::Sources, Unreached> {
        Ok(AwsSources::new(self.session(unit).await?))
    }

    /// A signed ListRules (the EventBridge client would add its weight to the function for
    /// one call), every page.
    async fn forwarding(&self, unit: &Unit) -> std::result::Result<Vec<(String, String)>, String> {
        let session = self.session(unit).await.map_err(|u| u.reason)?;
        let calls = Signed::new(&session, EVENTS);
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut found = Vec::new();
        let mut next: Option<String> = None;
        let region = unit.scope.region.as_str();
        loop {
            let mut body = json!({"NamePrefix": FORWARDING_PREFIX, "Limit": 100});
            if let Some(token) = &next {
                body["NextToken"] = json!(token);
            }
            let request = Request::json_1_1("AWSEvents.ListRules".into(), &body);
            let text = calls
                .send(region, "ListRules", request, until)
                .await
                .map_err(|e| match e.code() {
                    // Refused: the read-only role of an earlier member template has no ListRules.
                    Some(c) if c.starts_with("AccessDenied") => format!(
                        "EventBridge ListRules: {e}; update the member stack set (its read-only role may events:ListRules)"
                    ),
                    _ => format!("EventBridge ListRules: {e}"),
                })?;
            let page: Value = serde_json::from_str(&text)
                .map_err(|e| format!("EventBridge ListRules answered what is not JSON: {e}"))?;
            for rule in page["Rules"].as_array().into_iter().flatten() {
                found.push((
                    rule["Name"].as_str().unwrap_or_default().to_string(),
                    rule["State"].as_str().unwrap_or_default().to_string(),
                ));
            }
            match page["NextToken"].as_str() {
                Some(t) if !t.is_empty() => next = Some(t.to_string()),
                _ => return Ok(found),
            }
        }
    }
}

impl<S: ExportSources, N: Outbound, H: ReadMembers> ExportHub<S, N, H> {
    /// Parses and routes one event: a check over the organization, a change where it was
    /// made.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let (payload, context) = event.into_parts();
        if let Some(queued) = queued(&payload) {
            // The work queue's shares of a check whose time ran out.
            let hub = self.own.own_scope(&context)?;
            let deadline = crate::invocation::deadline_of(&context, Utc::now());
            return Ok(work(
                "export-guard",
                &hub,
                &self.config,
                queued,
                deadline,
                |unit, trigger| async move {
                    Box::pin(self.check_unit(&unit, &trigger, deadline)).await
                },
            )
            .await);
        }
        let parsed = parse(&payload)?;
        let hub = self.own.own_scope(&context)?;
        match &parsed {
            ExportEvent::Check { trigger } => {
                let run = Box::pin(self.check(&hub, trigger, &context)).await;
                answer(run)
            }
            ExportEvent::Change(change) => {
                Box::pin(self.change(hub, change, &parsed, &context)).await
            }
            ExportEvent::Ignored { .. } => self.own.handle_at(hub, &parsed, &context).await,
        }
    }

    /// A change recorded in `change.account` and `change.region`: checked in that account
    /// (a bucket or a key may be any Region's export destination: every guarded Region of
    /// it), through its role; an account outside the organization is never read.
    async fn change(
        &self,
        hub: Scope,
        change: &Change,
        parsed: &ExportEvent,
        context: &Context,
    ) -> Result<Value, Error> {
        let Some(account) = change.account.clone() else {
            return self.own.handle_at(hub, parsed, context).await;
        };
        // `account` is the envelope's: the account whose trail recorded the call, kept by
        // EventBridge across buses and set by it on PutEvents, so a member cannot name another.
        let unit = match placement(&hub, Some(&self.config), &account, &change.region) {
            Placement::NotGuarded(why) => {
                tracing::info!(account, region = %change.region, reason = %why, "change not guarded by this hub");
                return Ok(json!({"trigger": "elsewhere", "elsewhere": why}));
            }
            Placement::Own => return self.own.handle_at(hub, parsed, context).await,
            Placement::Guarded(unit) if unit.through == Through::Own => {
                return self.own.handle_at(hub, parsed, context).await
            }
            Placement::Guarded(unit) => unit,
        };
        match self.members.account(&account).await? {
            Some(a) if a.status == "ACTIVE" => {}
            found => {
                let why = match found {
                    Some(a) => format!("account {account} is {}, not ACTIVE", a.status),
                    None => format!("account {account} is not in this hub's organization"),
                };
                tracing::warn!(account, reason = %why, "change in an account the hub does not check");
                return Ok(json!({"trigger": "elsewhere", "elsewhere": why}));
            }
        }
        let sources = self.members.sources(&unit).await.map_err(|u| {
            tracing::error!(account, code = %u.code, reason = %u.reason, "member not reached");
            Error::Unreached {
                account: account.clone(),
                region: change.region.clone(),
                reason: u.reason,
            }
        })?;
        let regions = match change.changed {
            Changed::Configuration => vec![change.region.clone()],
            _ => self.config.guarded_regions(&hub),
        };
        let guard = ExportGuard {
            sources,
            outbound: AtHub {
                hub: &self.own.outbound,
                findings: self.members.security_hub(&unit).await,
            },
            account,
            regions,
            results_grace: self.own.results_grace,
            deadline: crate::invocation::deadline_of(context, Utc::now()),
        };
        let told = guard.handle(parsed).await?;
        let (by_severity, checks) = metrics(&told);
        emit_metrics(&by_severity, "export-guard", "Findings");
        emit_metrics(&checks, "export-guard", "Checks");
        Ok(serde_json::to_value(&*told).unwrap_or(Value::Null))
    }

    /// The scheduled check over the organization: every account-Region the hub guards, the
    /// hub's own first.
    async fn check(&self, hub: &Scope, trigger: &str, context: &Context) -> HubRun {
        let of = RunOf {
            runs: &self.own.runs,
            kind: RunKind::ExportCheck,
            function: "export-guard",
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
            |unit| async move { Box::pin(self.check_unit(&unit, trigger, deadline)).await },
        )
        .await
    }

    /// One account-Region's check: the hub's own account through its own sources, a
    /// member's through its read role.
    async fn check_unit(
        &self,
        unit: &Unit,
        trigger: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> UnitResult {
        if unit.through == Through::Own {
            let own = &self.own.outbound;
            return self
                .check_with(&self.own.sources, own, unit, trigger, deadline)
                .await;
        }
        match self.members.sources(unit).await {
            Ok(sources) => {
                let at_hub = AtHub {
                    hub: &self.own.outbound,
                    findings: self.members.security_hub(unit).await,
                };
                // The member's forwarding rules listed while its facts are read: one more
                // call, no more time.
                let (result, rules) = tokio::join!(
                    self.check_with(sources, at_hub, unit, trigger, deadline),
                    self.members.forwarding(unit)
                );
                // Where Macie runs, the member's events must reach the hub too.
                let UnitResult::Checked {
                    findings, worst, ..
                } = result
                else {
                    return result;
                };
                let forwarding = match rules {
                    Ok(rules) => forwarding_verdict(&rules),
                    Err(why) => Some(format!("its forwarding rules could not be listed ({why})")),
                };
                if let Some(why) = &forwarding {
                    tracing::warn!(account = %unit.scope.account, region = %unit.scope.region, reason = %why, "member does not forward its events");
                }
                UnitResult::Checked {
                    findings,
                    worst,
                    forwarding,
                }
            }
            Err(Unreached { code, reason }) => {
                tracing::warn!(account = %unit.scope.account, region = %unit.scope.region, code = %code, reason = %reason, "member not reached");
                UnitResult::Unreached { code, reason }
            }
        }
    }

    async fn check_with<X: ExportSources, O: Outbound>(
        &self,
        sources: X,
        outbound: O,
        unit: &Unit,
        trigger: &str,
        deadline: Option<DateTime<Utc>>,
    ) -> UnitResult {
        let guard = ExportGuard {
            sources,
            outbound,
            account: unit.scope.account.clone(),
            regions: vec![unit.scope.region.clone()],
            results_grace: self.own.results_grace,
            deadline,
        };
        let regions = guard.check().await;
        // Macie not enabled there: nothing to check, and nothing wrong (Macie answers
        // AccessDenied with a message that says so: Macie API Reference, Common Errors).
        if let Some(reason) = regions.iter().find_map(|r| match &r.configuration {
            ConfigFact::Unreadable { reason } if macie_off(reason) => Some(reason.clone()),
            _ => None,
        }) {
            return UnitResult::MacieOff { reason };
        }
        let report = ExportReport {
            trigger: trigger.to_string(),
            account: unit.scope.account.clone(),
            regions,
            changed_resource: None,
            ignored: None,
            not_ours: false,
        };
        match guard.finish(report).await {
            Ok(told) => {
                let (by_severity, checks) = metrics(&told);
                emit_metrics(&by_severity, "export-guard", "Findings");
                emit_metrics(&checks, "export-guard", "Checks");
                UnitResult::Checked {
                    findings: told.regions.iter().map(|r| r.findings.len()).sum(),
                    worst: told.worst(),
                    forwarding: None,
                }
            }
            Err(e) => {
                tracing::error!(account = %unit.scope.account, region = %unit.scope.region, error = %e, "export check of an account-Region could not be told");
                UnitResult::Failed {
                    reason: e.to_string(),
                }
            }
        }
    }
}

/// Whether a configuration read was refused because Macie is not enabled there.
fn macie_off(reason: &str) -> bool {
    reason.starts_with("AccessDenied") && reason.contains("not enabled")
}
