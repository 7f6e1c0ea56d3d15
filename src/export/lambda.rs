//! The export guard as a Lambda handler: clients built once, a guard per invocation; metrics
//! from the report.

use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use super::guard::ExportGuard;
use super::sources::ExportSources;
use crate::error::Error;
use crate::logging::emit_metrics;
use crate::outbound::Outbound;
use crate::runlog::{remember_success, AnyRunLog};
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::schedule::liveness::{RunKind, RunRecord};
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::export::{metrics, run_result};

pub struct ExportFunction<S, N> {
    pub sources: S,
    pub outbound: N,
    /// The run log (the journal table, JOURNAL_TABLE): a scheduled check's success goes there.
    pub runs: AnyRunLog,
    /// The function's Region first, then EXPORT_REGIONS.
    pub regions: Vec<String>,
    /// MACIE_GUARD_ACCOUNT_ID: the account when the context has no real function ARN.
    pub fallback_account: Option<String>,
    /// RESULTS_GRACE_HOURS.
    pub results_grace: chrono::Duration,
}

impl<S: ExportSources, N: Outbound> ExportFunction<S, N> {
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let (payload, context) = event.into_parts();
        let parsed = parse(&payload)?;
        let scope = self.own_scope(&context)?;
        self.handle_at(scope, &parsed, &context).await
    }

    /// The account and Region the function runs in.
    pub fn own_scope(&self, context: &Context) -> Result<Scope, Error> {
        Ok(Scope::of_invocation(
            &context.invoked_function_arn,
            &self.regions[0],
            self.fallback_account.as_deref(),
        )?)
    }

    /// A parsed event in the function's own account (`scope`), as a single-account stack's.
    pub async fn handle_at(
        &self,
        scope: Scope,
        parsed: &ExportEvent,
        context: &Context,
    ) -> Result<Value, Error> {
        let key = scope.journal_key();
        let started = chrono::Utc::now();
        let guard = ExportGuard {
            sources: &self.sources,
            outbound: &self.outbound,
            account: scope.account,
            regions: self.regions.clone(),
            results_grace: self.results_grace,
            deadline: crate::invocation::deadline_of(context, chrono::Utc::now()),
        };
        let report = guard
            .handle(parsed)
            .await
            .inspect_err(|e| tracing::error!(error = %e, "invocation failed"))?;
        let (by_severity, checks) = metrics(&report);
        emit_metrics(&by_severity, "export-guard", "Findings");
        emit_metrics(&checks, "export-guard", "Checks");
        if let ExportEvent::Check { .. } = parsed {
            let record = RunRecord {
                kind: RunKind::ExportCheck,
                started_at: started,
                finished_at: chrono::Utc::now(),
                result: run_result(&report),
                version: env!("CARGO_PKG_VERSION").to_string(),
                worst: report.worst(),
            };
            remember_success(&self.runs, &key, &record).await;
        }
        Ok(serde_json::to_value(&report).unwrap_or(Value::Null))
    }
}

/// The event, or why it was refused (logged).
pub fn parse(payload: &Value) -> Result<ExportEvent, Error> {
    ExportEvent::parse(payload).map_err(|e| {
        tracing::error!(error = %e, "event rejected");
        Error::from(e)
    })
}
