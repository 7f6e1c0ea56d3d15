//! Security Hub: keeps each Region's findings (`asff` in the core) in that Region's Security
//! Hub, as a finding provider may: it reads which of macie-guard's findings are active there
//! (GetFindings), imports the run's findings (BatchImportFindings), archives the ones that are
//! gone (`RecordState` ARCHIVED), and marks their workflow RESOLVED where nobody had touched
//! it (BatchUpdateFindings, by the account itself). Optional (`SECURITY_HUB`); a Security Hub
//! that is not enabled is a warning in the run's report, never a failed invocation, and the
//! whole sync ends before the invocation's deadline.
//!
//! The REST-JSON calls are signed calls without the generated client (`crate::signed`), with
//! the findings as JSON: the generated Security Hub client would add its (de)serializers for
//! every ASFF resource type, about 4 MB to each function.

use aws_config::SdkConfig;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::signed::{CallError, Request, Signed, SECURITY_HUB};
use macie_guard_core::delivery::HubOutcome;
use macie_guard_core::tell::asff::{HubFinding, HubSync};
use macie_guard_core::tell::events::batches_within;

/// BatchImportFindings takes at most 100 findings per request (and 240 KB per finding, 6 MB
/// per request); BatchUpdateFindings at most 100 findings.
const BATCH: usize = 100;
const BATCH_BYTES: usize = 200 * 1024;

/// The findings in requests of at most [`BATCH`] findings and [`BATCH_BYTES`] of JSON.
fn batches(findings: &[Value]) -> Vec<&[Value]> {
    batches_within(findings, BATCH, BATCH_BYTES, |f| f.to_string().len())
}

/// GetFindings pages hold at most 100 findings.
const PAGE: usize = 100;

/// The account's Security Hub, in each Region a sync concerns.
#[derive(Clone)]
pub struct SecurityHub {
    calls: Signed,
}

impl SecurityHub {
    pub fn new(sdk: &SdkConfig) -> SecurityHub {
        SecurityHub {
            calls: Signed::new(sdk, SECURITY_HUB),
        }
    }

    /// One signed call in `region`: `method path` with a JSON body, the JSON answer; it ends
    /// by `until` (retries included).
    async fn call(
        &self,
        region: &str,
        operation: &'static str,
        (method, path): (&'static str, &str),
        body: Value,
        until: Instant,
    ) -> Result<Value, CallError> {
        let request = Request::rest_json(method, path, Some(&body));
        let text = self.calls.send(region, operation, request, until).await?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// [`Self::sync`] inside the invocation's time: until shortly before `deadline` (the
    /// invocation's; `None`: the CLI, at most two minutes).
    pub async fn sync_by(
        &self,
        sync: &HubSync,
        deadline: Option<chrono::DateTime<chrono::Utc>>,
    ) -> HubOutcome {
        let now = chrono::Utc::now();
        let until = Instant::now() + super::hub_budget(deadline, now);
        let now = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // Boxed: the SDK's futures are large, and this one sits inside the guard's.
        Box::pin(self.sync(sync, &now, until)).await
    }

    /// Keeps the sync's findings in each Region's Security Hub, ending by `until` whatever
    /// Security Hub does; one outcome for all Regions.
    pub async fn sync(&self, sync: &HubSync, now: &str, until: Instant) -> HubOutcome {
        if sync.is_empty() {
            return HubOutcome::Synced {
                active: 0,
                resolved: 0,
            };
        }
        let mut outcomes = Vec::new();
        for region in sync.regions() {
            let part = sync.for_region(&region);
            let outcome = self.sync_region(&region, &part, now, until).await;
            outcomes.push((region, outcome));
        }
        HubOutcome::combine(outcomes)
    }

    async fn sync_region(
        &self,
        region: &str,
        sync: &HubSync,
        now: &str,
        until: Instant,
    ) -> HubOutcome {
        let active = match self.active(region, sync, until).await {
            Ok(a) => a,
            Err(e) => return outcome_of(&e),
        };
        let plan = sync.plan(&active, now);
        let findings: Vec<Value> = plan.import.iter().map(|f| f.to_json(now)).collect();
        for batch in batches(&findings) {
            let out = match self
                .call(
                    region,
                    "BatchImportFindings",
                    ("POST", "/findings/import"),
                    json!({ "Findings": batch }),
                    until,
                )
                .await
            {
                Ok(o) => o,
                Err(e) => return outcome_of(&e),
            };
            let failed = out["FailedCount"].as_u64().unwrap_or(0);
            if failed > 0 {
                let first = &out["FailedFindings"][0];
                let code = first["ErrorCode"].as_str().unwrap_or("?");
                let message = format!(
                    "BatchImportFindings refused {failed} of {} finding(s): {}: {code}: {}",
                    batch.len(),
                    first["Id"].as_str().unwrap_or("?"),
                    first["ErrorMessage"].as_str().unwrap_or("")
                );
                // "If Security Hub CSPM is disabled ... the findings are returned in the
                // FailedFindings list, with an InvalidAccess error."
                if code.starts_with("InvalidAccess") {
                    return not_enabled(&format!("InvalidAccessException: {message}"));
                }
                return HubOutcome::Failed { message };
            }
        }
        for ids in plan.resolve_workflow.chunks(BATCH) {
            let identifiers: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let account = active
                        .iter()
                        .find(|a| &a.id == id)
                        .map(|a| a.account.as_str())
                        .unwrap_or_default();
                    json!({"Id": id, "ProductArn": macie_guard_core::tell::asff::product_arn(account, region)})
                })
                .collect();
            let body = json!({
                "FindingIdentifiers": identifiers,
                "Workflow": {"Status": "RESOLVED"},
                "Note": {
                    "Text": "macie-guard: the problem is gone; archived and resolved",
                    "UpdatedBy": "macie-guard",
                },
            });
            match self
                .call(
                    region,
                    "BatchUpdateFindings",
                    ("PATCH", "/findings/batchupdate"),
                    body,
                    until,
                )
                .await
            {
                Ok(out) => {
                    if let Some(first) = out["UnprocessedFindings"]
                        .as_array()
                        .and_then(|u| u.first())
                    {
                        return HubOutcome::Failed {
                            message: format!(
                                "BatchUpdateFindings did not resolve {}: {}: {} (the finding stays archived)",
                                first["FindingIdentifier"]["Id"].as_str().unwrap_or("?"),
                                first["ErrorCode"].as_str().unwrap_or("?"),
                                first["ErrorMessage"].as_str().unwrap_or("")
                            ),
                        };
                    }
                }
                Err(e) => return outcome_of(&e),
            }
        }
        HubOutcome::Synced {
            active: plan.import.len() - plan.archived(),
            resolved: plan.archived(),
        }
    }

    /// macie-guard's active findings in `region` that the sync concerns (GetFindings, every
    /// page, filtered by Id prefix and record state, and again here).
    async fn active(
        &self,
        region: &str,
        sync: &HubSync,
        until: Instant,
    ) -> Result<Vec<HubFinding>, CallError> {
        let prefixes: Vec<Value> = sync
            .filter_prefixes()
            .into_iter()
            .map(|p| json!({"Value": p, "Comparison": "PREFIX"}))
            .collect();
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "Filters": {
                    "Id": prefixes,
                    "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
                },
                "MaxResults": PAGE,
            });
            if let Some(t) = &token {
                body["NextToken"] = json!(t);
            }
            let page = self
                .call(region, "GetFindings", ("POST", "/findings"), body, until)
                .await?;
            for f in page["Findings"].as_array().into_iter().flatten() {
                let Some(found) = HubFinding::from_json(f) else {
                    continue;
                };
                if f["RecordState"] != "ARCHIVED" && sync.concerns(&found.id) {
                    out.push(found);
                }
            }
            match page["NextToken"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }
}

/// A failed call: Security Hub not enabled (its code InvalidAccessException: "Account ... is
/// not subscribed to AWS Security Hub", API Reference, Common Errors), or another failure.
fn outcome_of(e: &CallError) -> HubOutcome {
    match e.code() {
        Some("InvalidAccessException") => not_enabled(&e.to_string()),
        _ => HubOutcome::Failed {
            message: e.to_string(),
        },
    }
}

fn not_enabled(what: &str) -> HubOutcome {
    HubOutcome::NotEnabled {
        message: format!(
            "Security Hub is not enabled here ({what}); enable it, or set SecurityHubFindings to false"
        ),
    }
}

/// One log line for a sync: INFO when synced, WARN when Security Hub is not enabled, ERROR
/// when a call failed (the next run writes the same findings again).
pub fn log_hub(outcome: Option<&HubOutcome>) {
    match outcome {
        None => {}
        Some(HubOutcome::Synced { active, resolved }) => {
            tracing::info!(active, resolved, "Security Hub findings synced")
        }
        Some(HubOutcome::NotEnabled { message }) => {
            tracing::warn!(message = %message, "Security Hub findings not imported")
        }
        Some(HubOutcome::Failed { message }) => {
            tracing::error!(message = %message, "Security Hub findings not imported")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_cut_by_count_and_by_size() {
        let small: Vec<Value> = (0..250).map(|i| json!({"Id": i})).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [100, 100, 50]);
        let big: Vec<Value> = (0..100)
            .map(|_| json!({"Description": "x".repeat(4000)}))
            .collect();
        let cut = batches(&big);
        assert!(cut.len() >= 2);
        for b in &cut {
            assert!(b.iter().map(|f| f.to_string().len()).sum::<usize>() <= BATCH_BYTES);
        }
        assert_eq!(cut.iter().map(|b| b.len()).sum::<usize>(), 100);
    }
}
