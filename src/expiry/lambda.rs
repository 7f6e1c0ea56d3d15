//! The expiry guard as a Lambda handler: clients built once, a guard per invocation.

use chrono::Utc;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

use super::{ExpiryConfig, ExpiryEvent, ExpiryGuard};
use crate::error::Error;
use crate::macie::MacieJobs;
use crate::notify::Notifier;
use crate::scope::Scope;

/// What lives across invocations: the clients and the configuration.
pub struct ExpiryFunction<M, N> {
    pub macie: M,
    pub notifier: N,
    pub config: ExpiryConfig,
    pub region: String,
    /// MACIE_GUARD_ACCOUNT_ID: the account when the context has no real function ARN.
    pub fallback_account: Option<String>,
}

impl<M: MacieJobs, N: Notifier> ExpiryFunction<M, N> {
    /// Parses and routes one event. A malformed event is an error before any call is made.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let (payload, context) = event.into_parts();
        let parsed = ExpiryEvent::parse(&payload).inspect_err(|e| {
            tracing::error!(error = %e, "event rejected");
        })?;
        let scope = Scope::of_invocation(
            &context.invoked_function_arn,
            &self.region,
            self.fallback_account.as_deref(),
        )?;
        let guard = ExpiryGuard {
            macie: &self.macie,
            notifier: &self.notifier,
            config: self.config.clone(),
            scope,
        };
        let summary = guard.handle(&parsed, Utc::now()).await.inspect_err(|e| {
            tracing::error!(error = %e, "invocation failed");
        })?;
        tracing::info!(
            trigger = %summary.trigger,
            jobs = summary.jobs.len(),
            scanned = summary.scanned,
            ignored = summary.ignored.len(),
            notified = summary.notified,
            "summary"
        );
        Ok(serde_json::to_value(&summary).unwrap_or(Value::Null))
    }
}
