//! Security Hub: keeps each Region's findings (`asff` in the core) in that Region's Security
//! Hub, as a finding provider may: it reads which of macie-guard's findings are active there
//! (GetFindings), imports the run's findings (BatchImportFindings), archives the ones that are
//! gone (`RecordState` ARCHIVED), and marks their workflow RESOLVED where nobody had touched
//! it (BatchUpdateFindings, by the account itself). Optional (`SECURITY_HUB`); a Security Hub
//! that is not enabled is a warning in the run's report, never a failed invocation, and the
//! whole sync ends before the invocation's deadline.
//!
//! The REST-JSON calls are made through the SDK's own orchestrator (its HTTPS client,
//! retries, timeouts), signed with SigV4, with the findings as JSON: the generated Security
//! Hub client would add its (de)serializers for every ASFF resource type, about 4 MB to each
//! function.

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{
    HttpStatusCodeClassifier, ModeledAsRetryableClassifier, TransientErrorClassifier,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::{ErrorKind, ProvideErrorKind, RetryConfig};
use aws_smithy_types::timeout::TimeoutConfig;
use serde_json::{json, Value};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

use crate::error::describe_sdk_error;
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

/// How long one call may take, retries included, and one attempt of it; both shortened to
/// what is left of the sync's time.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);

/// Security Hub's answers that mean "slower": `ThrottlingException` (HTTP 400 in Common
/// Errors, 429 in the model), `TooManyRequestsException` and `LimitExceededException` (429).
pub const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "Throttling",
];

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

impl ProvideErrorKind for HubError {
    /// Throttling in any of its documented forms, and server errors, are retried.
    fn retryable_error_kind(&self) -> Option<ErrorKind> {
        if THROTTLING_CODES.contains(&self.code.as_str()) {
            Some(ErrorKind::ThrottlingError)
        } else if self.status >= 500 {
            Some(ErrorKind::ServerError)
        } else {
            None
        }
    }

    fn code(&self) -> Option<&str> {
        Some(&self.code)
    }
}

/// The account's Security Hub, in each Region a sync concerns.
#[derive(Clone)]
pub struct SecurityHub {
    sdk: SdkConfig,
    /// `AWS_ENDPOINT_URL_SECURITYHUB` (or `AWS_ENDPOINT_URL`), as the SDK clients read them:
    /// then every Region's requests go there, signed for their Region.
    endpoint_override: Option<String>,
}

impl SecurityHub {
    pub fn new(sdk: &SdkConfig) -> SecurityHub {
        let overridden = crate::aws::endpoint_override(sdk, "SecurityHub")
            .or_else(|| sdk.endpoint_url().map(str::to_string));
        SecurityHub {
            sdk: sdk.clone(),
            endpoint_override: overridden.map(|e| e.trim_end_matches('/').to_string()),
        }
    }

    /// Security Hub's endpoint in `region`.
    pub fn endpoint(&self, region: &str) -> String {
        match &self.endpoint_override {
            Some(e) => e.clone(),
            None => {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://securityhub.{region}.{suffix}")
            }
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
    ) -> Result<Value, String> {
        let left = until.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(200) {
            return Err(format!(
                "{operation} not sent: no time left before the invocation's deadline"
            ));
        }
        let credentials = match self.sdk.credentials_provider() {
            Some(p) => p
                .provide_credentials()
                .await
                .map_err(|e| format!("no credentials for Security Hub: {e}"))?,
            None => return Err("no credentials provider for Security Hub".into()),
        };
        let endpoint = self.endpoint(region);
        let url = format!("{endpoint}{path}");
        let region = region.to_string();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3).min(left))
            .operation_timeout(CALL_TIMEOUT.min(left))
            .operation_attempt_timeout(ATTEMPT_TIMEOUT.min(left))
            .build();
        let mut op = Operation::builder()
            .service_name("SecurityHub")
            .operation_name(operation)
            .endpoint_url(&endpoint)
            .no_auth()
            .standard_retry(&RetryConfig::standard())
            .timeout_config(timeouts)
            // Throttling by its codes (any status), then by status; server errors, timeouts
            // and broken connections: again.
            .retry_classifier(ModeledAsRetryableClassifier::<HubError>::new())
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
                    method,
                    url.as_str(),
                    headers.iter().copied(),
                    aws_sigv4::http_request::SignableBody::Bytes(&bytes),
                )?;
                let (instructions, _) =
                    aws_sigv4::http_request::sign(signable, &params)?.into_parts();
                let mut request = HttpRequest::new(SdkBody::from(bytes));
                request.set_method(method)?;
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
        let op = op.build();
        let sent = tokio::time::timeout_at(until, op.invoke(body)).await;
        match sent {
            Err(_) => Err(format!(
                "{operation} did not answer before the invocation's deadline"
            )),
            Ok(result) => {
                result.map_err(
                    |e: SdkError<HubError, HttpResponse>| match e.as_service_error() {
                        Some(h) => h.to_string(),
                        None if e.to_string().contains("timeout")
                            || format!("{e:?}").contains("Timeout") =>
                        {
                            format!("{operation} timed out: {}", describe_sdk_error(&e))
                        }
                        None => describe_sdk_error(&e),
                    },
                )
            }
        }
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
            Err(message) => return outcome_of(message),
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
                Err(message) => return outcome_of(message),
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
                    return outcome_of(format!("InvalidAccessException: {message}"));
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
                Err(message) => return outcome_of(message),
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
    ) -> Result<Vec<HubFinding>, String> {
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
