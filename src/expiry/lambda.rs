//! The expiry guard as a Lambda handler: clients built once, a guard per invocation. The
//! adapter turns the run's summary into Lambda's answer: metrics from it, and an error when a
//! job failed, so that Lambda retries (a retry re-reads each job and skips what is done).

use chrono::{DateTime, Utc};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use super::guard::ExpiryGuard;
use super::jobs::MacieJobs;
use crate::error::Error;
use crate::journal::Journal;
use crate::logging::emit_metrics;
use crate::outbound::Outbound;
use crate::runlog::reader::RunLogReader;
use crate::runlog::{remember_success, AnyRunLog};
use macie_guard_core::delivery::Told;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::Summary;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::schedule::liveness::{Liveness, RunKind, RunRecord, Schedules};
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::expiry::{metrics, run_result};
use macie_guard_core::tell::metrics::{emf_level, watch_lines};

/// What lives across invocations: the clients and the configuration.
pub struct ExpiryFunction<M, N, J> {
    pub macie: M,
    pub outbound: N,
    /// The journal table (JOURNAL_TABLE) of leases, intents and unreported changes.
    pub journal: J,
    pub config: ExpiryConfig,
    pub region: String,
    /// MACIE_GUARD_ACCOUNT_ID: the account when the context has no real function ARN.
    pub fallback_account: Option<String>,
    /// SWEEP_SCHEDULE and EXPORT_CHECK_SCHEDULE: what the journal watch judges the scheduled
    /// runs by (none: it judges nothing).
    pub schedules: Option<Schedules>,
    /// The run log (in the journal table): the sweep's successes, read by the journal watch.
    pub runs: AnyRunLog,
}

impl<M: MacieJobs, N: Outbound, J: Journal> ExpiryFunction<M, N, J> {
    /// Parses and routes one event. A malformed event is an error before any call is made.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, Error> {
        let (payload, context) = event.into_parts();
        let parsed = parse(&payload)?;
        let scope = self.own_scope(&context)?;
        // Boxed: the run's future is large and deep, and this one sits inside the runtime's.
        Box::pin(self.handle_at(&self.macie, scope, &parsed, &context)).await
    }

    /// The account and Region this function runs in.
    pub fn own_scope(&self, context: &Context) -> Result<Scope, Error> {
        Ok(Scope::of_invocation(
            &context.invoked_function_arn,
            &self.region,
            self.fallback_account.as_deref(),
        )?)
    }

    /// The guard of `scope`, reading and changing jobs through `macie`, as this invocation
    /// runs it: this function's journal and outbound, the attempt as owner, Lambda's deadline.
    pub fn guard_for<X: MacieJobs>(
        &self,
        macie: X,
        scope: Scope,
        context: &Context,
        started: DateTime<Utc>,
    ) -> ExpiryGuard<X, &N, &J> {
        // A sweep stops taking jobs before Lambda's deadline, and Security Hub's sync ends
        // before it.
        let deadline = crate::invocation::deadline_of(context, started);
        let request = if context.request_id.is_empty() {
            super::guard::invocation_id()
        } else {
            context.request_id.clone()
        };
        ExpiryGuard::new(macie, &self.outbound, self.config.clone(), scope)
            .with_journal(&self.journal)
            // The attempt, not the request id: Lambda's retry has the same request id, and
            // finishes what this attempt leaves.
            .with_owner(crate::journal::attempt_of(&request))
            .with_deadline(deadline)
    }

    /// One event in `scope`, its jobs read and changed through `macie`: the guard's run, then
    /// the metrics, the run log and Lambda's answer.
    pub async fn handle_at<X: MacieJobs>(
        &self,
        macie: X,
        scope: Scope,
        parsed: &ExpiryEvent,
        context: &Context,
    ) -> Result<Value, Error> {
        let started = Utc::now();
        let key = scope.journal_key();
        let guard = self.guard_for(macie, scope, context, started);
        // Boxed: the run's future is large and deep, and this one sits inside the runtime's.
        let summary = Box::pin(guard.handle(parsed, started))
            .await
            .inspect_err(|e| {
                tracing::error!(error = %e, "invocation failed");
            })?;
        emit_metrics(&metrics(&summary), "expiry-guard", "Decisions");
        if let ExpiryEvent::Recover { .. } = parsed {
            self.watch_runs(&key, summary.jobs.len(), Utc::now()).await;
        }
        if matches!(parsed, ExpiryEvent::Sweep { .. }) && summary.failures().is_none() {
            let record = RunRecord {
                kind: RunKind::Sweep,
                started_at: started,
                finished_at: Utc::now(),
                result: run_result(&summary),
                version: env!("CARGO_PKG_VERSION").to_string(),
                worst: None,
            };
            remember_success(&self.runs, &key, &record).await;
        }
        let quiet_watch = matches!(parsed, ExpiryEvent::Recover { .. }) && summary.jobs.is_empty();
        if summary.elsewhere.is_some() || quiet_watch {
            // Said once, at DEBUG, by the guard; the journal watch that found nothing open
            // says nothing (it runs every minute).
            return Ok(serde_json::to_value(&summary).unwrap_or(Value::Null));
        }
        tracing::info!(
            trigger = %summary.trigger,
            jobs = summary.jobs.len(),
            scanned = summary.scanned,
            ignored = summary.ignored.len(),
            notified = summary.delivery.notified,
            "summary"
        );
        let summary = outcome(summary).inspect_err(|e| {
            tracing::error!(error = %e, "invocation failed");
        })?;
        Ok(serde_json::to_value(&summary).unwrap_or(Value::Null))
    }
}

impl<M, N, J> ExpiryFunction<M, N, J> {
    /// The journal watch's look at the scheduled runs: each one's verdict as a metric (the
    /// stack's overdue alarms watch them) and, when overdue, a warning saying since when.
    /// A journal that cannot be read is logged; the metrics then go missing, which the alarms
    /// treat as overdue.
    pub async fn watch_runs(
        &self,
        key: &str,
        journal_open: usize,
        now: DateTime<Utc>,
    ) -> Vec<(RunKind, Liveness)> {
        let Some(schedules) = &self.schedules else {
            return Vec::new();
        };
        let runs = match self.runs.runs(key, now).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "the run log could not be read: the overdue metrics are not emitted this minute");
                return Vec::new();
            }
        };
        let verdicts = runs.judge_all(|k| schedules.expression(k), now);
        for (kind, verdict) in &verdicts {
            if verdict.overdue() {
                tracing::warn!(run = %kind, parameter = kind.parameter(), expression = %schedules.expression(*kind), verdict = ?verdict, "a scheduled run is overdue");
            }
        }
        let level = emf_level(std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref());
        for line in watch_lines(&verdicts, journal_open, now.timestamp_millis(), level) {
            println!("{line}");
        }
        verdicts
    }
}

/// The event, or an error before any call is made.
pub fn parse(payload: &Value) -> Result<ExpiryEvent, Error> {
    ExpiryEvent::parse(payload).map_err(|e| {
        tracing::error!(error = %e, "event rejected");
        Error::from(e)
    })
}

/// What Lambda is told about a run: the summary, or, when any job failed, an error (the
/// other jobs were handled and reported; Lambda retries, and the retry re-reads each job).
pub fn outcome(summary: Told<Summary>) -> Result<Told<Summary>, Error> {
    match summary.failures() {
        Some(failures) => Err(Error::from(failures)),
        None => Ok(summary),
    }
}
