//! Security Hub: imports the findings a run makes (`asff` in the core) to the account's own
//! product, after reading which of macie-guard's findings are active there, so that a
//! finding that is gone is resolved. Optional (`SECURITY_HUB`); a Security Hub that is not
//! enabled is a warning in the run's report, never a failed invocation.
//!
//! Two REST-JSON calls (`POST /findings`, `POST /findings/import`) made through the SDK's own
//! orchestrator (its HTTPS client, retries, timeouts), signed with SigV4, with the findings as
//! JSON: the generated Security Hub client would add its (de)serializers for every ASFF
//! resource type, about 4 MB to each function.

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{
    HttpStatusCodeClassifier, TransientErrorClassifier,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use serde_json::{json, Value};
use std::time::SystemTime;

use crate::error::describe_sdk_error;
pub use macie_guard_core::asff::{HubFinding, HubOutcome, HubSync};
use macie_guard_core::events::batches_within;

/// BatchImportFindings takes at most 100 findings and 240 KB per request.
const BATCH: usize = 100;
const BATCH_BYTES: usize = 200 * 1024;

/// The findings in requests of at most [`BATCH`] findings and [`BATCH_BYTES`] of JSON.
fn batches(findings: &[Value]) -> Vec<&[Value]> {
    batches_within(findings, BATCH, BATCH_BYTES, |f| f.to_string().len())
}

/// GetFindings pages hold at most 100 findings.
const PAGE: usize = 100;

/// An answer of Security Hub that is not a success.
#[derive(Debug)]
pub struct HubError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for HubError {}

/// The account's Security Hub in the configuration's Region.
#[derive(Clone)]
pub struct SecurityHub {
    sdk: SdkConfig,
    region: String,
    endpoint: String,
}

impl SecurityHub {
    /// Security Hub of `sdk`'s Region, at `AWS_ENDPOINT_URL_SECURITYHUB` (or
    /// `AWS_ENDPOINT_URL`) when set, as the SDK clients read them.
    pub fn new(sdk: &SdkConfig) -> SecurityHub {
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        let overridden = crate::aws::endpoint_override(sdk, "SecurityHub");
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let endpoint = overridden
            .or_else(|| sdk.endpoint_url().map(str::to_string))
            .unwrap_or_else(|| format!("https://securityhub.{region}.{suffix}"));
        SecurityHub {
            sdk: sdk.clone(),
            region,
            endpoint: endpoint.trim_end_matches('/').to_string(),
        }
    }

    /// One signed call: `POST <path>` with a JSON body, the JSON answer.
    async fn call(
        &self,
        operation: &'static str,
        path: &str,
        body: Value,
    ) -> Result<Value, String> {
        let credentials = match self.sdk.credentials_provider() {
            Some(p) => p
                .provide_credentials()
                .await
                .map_err(|e| format!("no credentials for Security Hub: {e}"))?,
            None => return Err("no credentials provider for Security Hub".into()),
        };
        let url = format!("{}{path}", self.endpoint);
        let region = self.region.clone();
        let mut op = Operation::builder()
            .service_name("SecurityHub")
            .operation_name(operation)
            .endpoint_url(&self.endpoint)
            .no_auth()
            .standard_retry(&RetryConfig::standard())
            // Throttling and server errors by status, timeouts and broken connections: again.
            .retry_classifier(HttpStatusCodeClassifier::new_from_codes(vec![
                429, 500, 502, 503, 504,
            ]))
            .retry_classifier(TransientErrorClassifier::<HubError>::new())
            .serializer(move |body: Value| {
                let bytes = serde_json::to_vec(&body)?;
                let identity = credentials.clone().into();
                let settings = aws_sigv4::http_request::SigningSettings::default();
                let params = aws_sigv4::sign::v4::SigningParams::builder()
                    .identity(&identity)
                    .region(&region)
                    .name("securityhub")
                    .time(SystemTime::now())
                    .settings(settings)
                    .build()?
                    .into();
                let headers = [("content-type", "application/json")];
                let signable = aws_sigv4::http_request::SignableRequest::new(
                    "POST",
                    url.as_str(),
                    headers.iter().copied(),
                    aws_sigv4::http_request::SignableBody::Bytes(&bytes),
                )?;
                let (instructions, _) =
                    aws_sigv4::http_request::sign(signable, &params)?.into_parts();
                let mut request = HttpRequest::new(SdkBody::from(bytes));
                request.set_method("POST")?;
                request.set_uri(url.as_str())?;
                request
                    .headers_mut()
                    .insert("content-type", "application/json");
                for (name, value) in instructions.headers() {
                    request
                        .headers_mut()
                        .insert(name.to_string(), value.to_string());
                }
                Ok(request)
            })
            .deserializer(|response: &HttpResponse| {
                let status = response.status().as_u16();
                let text = response
                    .body()
                    .bytes()
                    .map(|b| String::from_utf8_lossy(b).to_string())
                    .unwrap_or_default();
                let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if (200..300).contains(&status) {
                    return Ok(parsed);
                }
                let code = response
                    .headers()
                    .get("x-amzn-errortype")
                    .map(|c| c.split(':').next().unwrap_or(c).to_string())
                    .or_else(|| parsed["__type"].as_str().map(str::to_string))
                    .or_else(|| parsed["Code"].as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("HTTP{status}"));
                let message = parsed["Message"]
                    .as_str()
                    .or(parsed["message"].as_str())
                    .map(str::to_string)
                    .unwrap_or(text);
                let error = HubError {
                    status,
                    code,
                    message,
                };
                Err(OrchestratorError::operation(error))
            });
        if let Some(client) = self.sdk.http_client() {
            op = op.http_client(client);
        }
        if let Some(sleep) = self.sdk.sleep_impl() {
            op = op.sleep_impl(sleep);
        }
        if let Some(time) = self.sdk.time_source() {
            op = op.time_source(time);
        }
        if let Some(timeouts) = self.sdk.timeout_config() {
            op = op.timeout_config(timeouts.clone());
        }
        let op = op.build();
        op.invoke(body)
            .await
            .map_err(
                |e: SdkError<HubError, HttpResponse>| match e.as_service_error() {
                    Some(h) => h.to_string(),
                    None => describe_sdk_error(&e),
                },
            )
    }

    /// Reads the active findings the sync concerns, then imports the plan.
    pub async fn sync(&self, sync: &HubSync, now: &str) -> HubOutcome {
        if sync.is_empty() {
            return HubOutcome::Synced {
                active: 0,
                resolved: 0,
            };
        }
        let active = match self.active(sync).await {
            Ok(a) => a,
            Err(message) => return outcome_of(message),
        };
        let plan = sync.plan(&active, now);
        let resolved = plan.iter().filter(|f| f.resolved).count();
        let findings: Vec<Value> = plan.iter().map(|f| f.to_json(now)).collect();
        for batch in batches(&findings) {
            let findings = batch.to_vec();
            let out = match self
                .call(
                    "BatchImportFindings",
                    "/findings/import",
                    json!({ "Findings": findings }),
                )
                .await
            {
                Ok(o) => o,
                Err(message) => return outcome_of(message),
            };
            let failed = out["FailedCount"].as_u64().unwrap_or(0);
            if failed > 0 {
                let first = &out["FailedFindings"][0];
                return HubOutcome::Failed {
                    message: format!(
                        "BatchImportFindings refused {failed} of {} finding(s): {}: {}: {}",
                        batch.len(),
                        first["Id"].as_str().unwrap_or("?"),
                        first["ErrorCode"].as_str().unwrap_or("?"),
                        first["ErrorMessage"].as_str().unwrap_or("")
                    ),
                };
            }
        }
        HubOutcome::Synced {
            active: plan.len() - resolved,
            resolved,
        }
    }

    /// macie-guard's active findings that the sync concerns (GetFindings, every page,
    /// filtered by Id prefix and record state, and again here).
    async fn active(&self, sync: &HubSync) -> Result<Vec<HubFinding>, String> {
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
            let page = self.call("GetFindings", "/findings", body).await?;
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

/// A failed call: Security Hub not enabled (InvalidAccessException, "not subscribed"), or
/// another failure.
fn outcome_of(message: String) -> HubOutcome {
    if message.starts_with("InvalidAccessException") || message.contains("not subscribed") {
        HubOutcome::NotEnabled {
            message: format!(
                "Security Hub is not enabled here ({message}); enable it, or set SecurityHubFindings to false"
            ),
        }
    } else {
        HubOutcome::Failed { message }
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
