//! Signed calls to an AWS service without its generated client: the request built and the
//! answer read by the caller, sent through the SDK's own orchestrator (its HTTPS client,
//! standard retries, timeouts) and signed with SigV4.
//!
//! For the few calls where a generated client would cost far more than it gives: Security
//! Hub's (its client's ASFF (de)serializers add about 4 MB to each function), and the reads
//! of `macie-guard status` (CloudFormation, Lambda, EventBridge Scheduler, CloudWatch: six
//! read calls, whose four clients add minutes to every build of every binary).

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
use serde_json::Value;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

use crate::error::describe_sdk_error;

/// How long one call may take, retries included, and one attempt of it; both shortened to
/// what is left before the caller's deadline.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);

/// The answers that mean "slower", in every form the services document: `ThrottlingException`
/// (Security Hub's Common Errors: HTTP 400; its model: 429), `TooManyRequestsException` and
/// `LimitExceededException` (429), `Throttling` (the query protocol's services).
pub const THROTTLING_CODES: [&str; 4] = [
    "ThrottlingException",
    "TooManyRequestsException",
    "LimitExceededException",
    "Throttling",
];

/// A service, as the SDK names it (`service_id`, for `AWS_ENDPOINT_URL_<SERVICE>`), signs it
/// and finds it (`host`: `https://{host}.{region}.amazonaws.com`).
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub service_id: &'static str,
    pub signing_name: &'static str,
    pub host: &'static str,
}

pub const SECURITY_HUB: Service = Service {
    service_id: "SecurityHub",
    signing_name: "securityhub",
    host: "securityhub",
};
pub const MACIE2: Service = Service {
    service_id: "Macie2",
    signing_name: "macie2",
    host: "macie2",
};
pub const CLOUDFORMATION: Service = Service {
    service_id: "CloudFormation",
    signing_name: "cloudformation",
    host: "cloudformation",
};
pub const LAMBDA: Service = Service {
    service_id: "Lambda",
    signing_name: "lambda",
    host: "lambda",
};
pub const SCHEDULER: Service = Service {
    service_id: "Scheduler",
    signing_name: "scheduler",
    host: "scheduler",
};
pub const SQS: Service = Service {
    service_id: "SQS",
    signing_name: "sqs",
    host: "sqs",
};
pub const EVENTS: Service = Service {
    service_id: "EventBridge",
    signing_name: "events",
    host: "events",
};
pub const CLOUDWATCH: Service = Service {
    service_id: "CloudWatch",
    signing_name: "monitoring",
    host: "monitoring",
};

/// One request: `method path` (the path with its query), its content type, extra headers and
/// body.
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A REST-JSON request (Security Hub, Lambda, Scheduler).
    pub fn rest_json(method: &'static str, path: impl Into<String>, body: Option<&Value>) -> Self {
        Request {
            method,
            path: path.into(),
            content_type: "application/json",
            headers: Vec::new(),
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        }
    }

    /// An AWS JSON 1.0 request (`X-Amz-Target: {target}`; CloudWatch's JSON protocol).
    pub fn json_1_0(target: String, body: &Value) -> Self {
        Request {
            method: "POST",
            path: "/".into(),
            content_type: "application/x-amz-json-1.0",
            headers: vec![("x-amz-target", target)],
            body: body.to_string().into_bytes(),
        }
    }

    /// An AWS JSON 1.1 request (`X-Amz-Target: {target}`; EventBridge).
    pub fn json_1_1(target: String, body: &Value) -> Self {
        Request {
            content_type: "application/x-amz-json-1.1",
            ..Request::json_1_0(target, body)
        }
    }

    /// A query-protocol request (CloudFormation): `Action`, `Version` and the parameters,
    /// form-encoded.
    pub fn query(action: &str, version: &str, params: &[(&str, &str)]) -> Self {
        let mut form = format!("Action={}&Version={}", encode(action), encode(version));
        for (k, v) in params {
            form.push_str(&format!("&{}={}", encode(k), encode(v)));
        }
        Request {
            method: "POST",
            path: "/".into(),
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            headers: Vec::new(),
            body: form.into_bytes(),
        }
    }
}

/// Percent-encoding of a form value or path segment (RFC 3986 unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An answer that is not a success: its HTTP status, the service's error code and message.
#[derive(Debug, Clone)]
pub struct ServiceError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ServiceError {}

impl ProvideErrorKind for ServiceError {
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

/// Why a call gave no answer: the service's error, or none came (no time, no credentials, a
/// timeout, a broken connection), said in one line.
#[derive(Debug, Clone)]
pub enum CallError {
    Service(ServiceError),
    Unanswered(String),
}

impl CallError {
    /// The service's error code, when it answered one.
    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Service(e) => Some(&e.code),
            CallError::Unanswered(_) => None,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Service(e) => e.fmt(f),
            CallError::Unanswered(s) => f.write_str(s),
        }
    }
}

/// The code and message of an error answer, in whichever form the service writes it: the
/// `x-amzn-errortype` header, JSON (`__type`, `code`, `message`), or query XML
/// (`<Error><Code>`, `<Message>`).
fn error_of(status: u16, errortype: Option<&str>, text: &str) -> ServiceError {
    let parsed: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let xml = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{tag}>"))? + start;
        Some(text[start..end].to_string())
    };
    let code = errortype
        .map(|c| c.split(':').next().unwrap_or(c).to_string())
        .or_else(|| {
            parsed["__type"]
                .as_str()
                .or(parsed["code"].as_str())
                .or(parsed["Code"].as_str())
                // `__type` may carry a namespace: `com.amazonaws...#ResourceNotFoundException`.
                .map(|c| c.rsplit('#').next().unwrap_or(c).to_string())
        })
        .or_else(|| xml("Code"))
        .unwrap_or_else(|| format!("HTTP{status}"));
    let message = parsed["Message"]
        .as_str()
        .or(parsed["message"].as_str())
        .map(str::to_string)
        .or_else(|| xml("Message"))
        .unwrap_or_else(|| text.to_string());
    ServiceError {
        status,
        code,
        message,
    }
}

/// A service's calls, in any Region.
#[derive(Clone)]
pub struct Signed {
    sdk: SdkConfig,
    service: Service,
    /// `AWS_ENDPOINT_URL_<SERVICE>` (or `AWS_ENDPOINT_URL`), as the SDK clients read them:
    /// then every Region's requests go there, signed for their Region.
    endpoint_override: Option<String>,
}

impl Signed {
    pub fn new(sdk: &SdkConfig, service: Service) -> Signed {
        let overridden = crate::aws::endpoint_override(sdk, service.service_id)
            .or_else(|| sdk.endpoint_url().map(str::to_string));
        Signed {
            sdk: sdk.clone(),
            service,
            endpoint_override: overridden.map(|e| e.trim_end_matches('/').to_string()),
        }
    }

    /// The service's endpoint in `region`.
    pub fn endpoint(&self, region: &str) -> String {
        match &self.endpoint_override {
            Some(e) => e.clone(),
            None => {
                let suffix = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{}.{region}.{suffix}", self.service.host)
            }
        }
    }

    /// One signed call in `region`; the answer's body on success. It ends by `until`
    /// (retries included).
    pub async fn send(
        &self,
        region: &str,
        operation: &'static str,
        request: Request,
        until: Instant,
    ) -> Result<String, CallError> {
        let left = until.saturating_duration_since(Instant::now());
        if left < Duration::from_millis(200) {
            return Err(CallError::Unanswered(format!(
                "{operation} not sent: no time left before the deadline"
            )));
        }
        let service = self.service;
        let credentials = match self.sdk.credentials_provider() {
            Some(p) => p.provide_credentials().await.map_err(|e| {
                CallError::Unanswered(format!("no credentials for {}: {e}", service.service_id))
            })?,
            None => {
                return Err(CallError::Unanswered(format!(
                    "no credentials provider for {}",
                    service.service_id
                )))
            }
        };
        let endpoint = self.endpoint(region);
        let url = format!("{endpoint}{}", request.path);
        let region = region.to_string();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3).min(left))
            .operation_timeout(CALL_TIMEOUT.min(left))
            .operation_attempt_timeout(ATTEMPT_TIMEOUT.min(left))
            .build();
        let method = request.method;
        let content_type = request.content_type;
        let extra = request.headers;
        let mut op = Operation::builder()
            .service_name(service.service_id)
            .operation_name(operation)
            .endpoint_url(&endpoint)
            .no_auth()
            .standard_retry(&RetryConfig::standard())
            .timeout_config(timeouts)
            // Throttling by its codes (any status), then by status; server errors, timeouts
            // and broken connections: again.
            .retry_classifier(ModeledAsRetryableClassifier::<ServiceError>::new())
            .retry_classifier(HttpStatusCodeClassifier::new_from_codes(vec![
                429, 500, 502, 503, 504,
            ]))
            .retry_classifier(TransientErrorClassifier::<ServiceError>::new())
            .serializer(move |bytes: Vec<u8>| {
                let identity = credentials.clone().into();
                let settings = aws_sigv4::http_request::SigningSettings::default();
                let params = aws_sigv4::sign::v4::SigningParams::builder()
                    .identity(&identity)
                    .region(&region)
                    .name(service.signing_name)
                    .time(SystemTime::now())
                    .settings(settings)
                    .build()?
                    .into();
                let mut headers: Vec<(&str, &str)> = vec![("content-type", content_type)];
                headers.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
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
                for (name, value) in &headers {
                    request
                        .headers_mut()
                        .insert(name.to_string(), value.to_string());
                }
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
                if (200..300).contains(&status) {
                    return Ok(text);
                }
                let errortype = response.headers().get("x-amzn-errortype");
                Err(OrchestratorError::operation(error_of(
                    status, errortype, &text,
                )))
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
        match tokio::time::timeout_at(until, op.invoke(request.body)).await {
            Err(_) => Err(CallError::Unanswered(format!(
                "{operation} did not answer before the deadline"
            ))),
            Ok(Ok(text)) => Ok(text),
            Ok(Err(e)) => Err(unanswered(operation, e)),
        }
    }
}

fn unanswered(operation: &str, e: SdkError<ServiceError, HttpResponse>) -> CallError {
    match e.as_service_error() {
        Some(s) => CallError::Service(s.clone()),
        None if e.to_string().contains("timeout") || format!("{e:?}").contains("Timeout") => {
            CallError::Unanswered(format!("{operation} timed out: {}", describe_sdk_error(&e)))
        }
        None => CallError::Unanswered(describe_sdk_error(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_read_in_each_protocols_form() {
        let json = error_of(
            400,
            None,
            r#"{"__type":"com.amazon.coral#ResourceNotFoundException","message":"no such"}"#,
        );
        assert_eq!(json.code, "ResourceNotFoundException");
        assert_eq!(json.message, "no such");
        let xml = error_of(
            400,
            None,
            "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id x does not exist</Message></Error></ErrorResponse>",
        );
        assert_eq!(xml.code, "ValidationError");
        assert_eq!(xml.message, "Stack with id x does not exist");
        let header = error_of(403, Some("AccessDeniedException:http://x"), "{}");
        assert_eq!(header.code, "AccessDeniedException");
        assert_eq!(error_of(502, None, "bad gateway").code, "HTTP502");
    }

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        let q = Request::query("DescribeStacks", "2010-05-15", &[("StackName", "x y")]);
        assert_eq!(
            String::from_utf8(q.body).unwrap(),
            "Action=DescribeStacks&Version=2010-05-15&StackName=x%20y"
        );
    }
}
