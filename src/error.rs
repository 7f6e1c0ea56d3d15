//! The library's errors. Each message says what was wrong, with which value, and what to do.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// Input the core cannot understand: a malformed event (nothing was touched; Lambda lets
    /// it fail so it lands in the dead-letter queue) or a setting that is not valid.
    #[error(transparent)]
    Input(#[from] macie_guard_core::Error),

    /// An AWS call failed after the SDK's own retries.
    #[error("{service} {operation}{} failed: {code}: {message}", on.as_ref().map(|r| format!(" on {r}")).unwrap_or_default())]
    Aws {
        service: &'static str,
        operation: &'static str,
        on: Option<String>,
        code: String,
        message: String,
    },

    #[error("publishing to SNS topic {topic} failed: {message}; check the topic exists and the function may sns:Publish to it")]
    Notify { topic: String, message: String },

    #[error("putting macie-guard's events on the {bus} event bus failed: {message}; check the function may events:PutEvents on it (source macie-guard)")]
    Events { bus: String, message: String },

    /// A journal entry written by a newer macie-guard: this one does not know its format, so it
    /// stops before touching anything.
    #[error("the journal entry for job {job_id} in table {table} was written by a newer macie-guard (journal schema {found}; this one reads up to {supported}): nothing was changed; deploy the newer version again, or let it finish its open changes (the journal watch closes them within minutes) before rolling back")]
    JournalSchema {
        table: String,
        job_id: String,
        found: u32,
        supported: u32,
    },

    /// `macie-guard status` found no macie-guard stack where it looked.
    #[error("no macie-guard stack {looked} in {region}: {message}; deploy it there, or give its name with --stack (a StackSets instance is named StackSet-<set>-<id>)")]
    NoStack {
        looked: String,
        region: String,
        message: String,
    },

    /// `org status --hub` named a stack that is not a hub.
    #[error("the stack {stack} in {region} is not a hub (its MemberRegions is empty); give the hub's name with --hub, or run `org status` without --hub to read per-account stacks")]
    NotAHub { stack: String, region: String },

    /// A lost job that cannot be recreated as it was.
    #[error(transparent)]
    Recreate(#[from] macie_guard_core::expiry::recreate::RecreateError),

    /// A lost job's definition refers to what no longer exists.
    #[error("job {job_id} cannot be recreated as it was: {missing} no longer exist(s) in this account and Region; nothing was created (recreate them, or edit the definition and create the job yourself)")]
    Missing { job_id: String, missing: String },

    /// The CLI's own journal file could not be used.
    #[error("the CLI's journal {path}: {message}")]
    JournalFile { path: String, message: String },

    /// Some jobs failed; the others were handled and reported. The Lambda adapter fails the
    /// invocation so that it is retried, and a retry re-reads each job before acting.
    #[error(transparent)]
    Units(#[from] UnitsFailed),

    /// A hub's sweep could not list the organization's accounts: only its own were swept.
    #[error("the organization's accounts could not be listed ({reason}); only the hub's own account was guarded ({swept} account-Region(s)), and the next run tries again (the hub's role needs organizations:ListAccounts, from the management account or a delegated administrator)")]
    OrganizationUnlisted { swept: usize, reason: String },

    /// The hub's work queue did not take the shares of a run whose time ran out.
    #[error("the run's remaining work could not be queued on {url}: {reason}; the next run does it again (the function's role needs sqs:SendMessage on the queue)")]
    Queue { url: String, reason: String },

    /// An event about a member account the hub could not reach (its role).
    #[error("the event about account {account} in {region} was not acted on: {reason}; it is kept (Lambda retries it, then the function's dead-letter queue holds it for `macie-guard dead-letters replay`)")]
    Unreached {
        account: String,
        region: String,
        reason: String,
    },

    #[error("{failed} of {total} job(s) failed: {first}; the others were handled (see the report), and a retry re-reads each job before acting")]
    Partial {
        failed: usize,
        total: usize,
        first: String,
    },
}

/// Some account-Regions of an organization-wide run failed; the others were run.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} account-Region(s) failed: {first}; the others were swept, and the next run tries again")]
pub struct UnitsFailed {
    pub failed: usize,
    pub total: usize,
    pub first: String,
}

impl From<macie_guard_core::expiry::outcome::Failures> for Error {
    fn from(f: macie_guard_core::expiry::outcome::Failures) -> Self {
        Error::Partial {
            failed: f.failed,
            total: f.total,
            first: f.first.message(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A setting that is not valid: `name` = `value`, and why (what to do).
    pub fn config(
        name: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Input(macie_guard_core::Error::Config {
            name,
            value: value.into(),
            reason: reason.into(),
        })
    }

    /// An event that cannot be understood: what is wrong with it.
    pub fn malformed(what: impl Into<String>) -> Error {
        Error::Input(macie_guard_core::Error::MalformedEvent(what.into()))
    }

    /// An AWS call that failed after the SDK's retries: the service, the call, what it was on,
    /// and the error's code and message as AWS gave them (or the whole error chain when it gave
    /// none). The one constructor of [`Error::Aws`] for an SDK error, whatever the service.
    ///
    /// A call that got no answer from AWS is said as such, never as an AWS error code: a
    /// connection that failed (refused, a host name that does not resolve: is the Region one?),
    /// a timeout, or an answer that is not AWS's (its HTTP status), with what to check: the
    /// Region, the service's endpoint variable, the network.
    pub fn aws<E>(
        service: &'static str,
        operation: &'static str,
        on: Option<&str>,
        e: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> Error
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let Some(why) = no_answer(service, e) {
            return Error::aws_answer(service, operation, on, "NoAnswer", why);
        }
        Error::aws_answer(
            service,
            operation,
            on,
            e.code().unwrap_or("Unknown"),
            e.message()
                .map(str::to_string)
                .unwrap_or_else(|| describe_sdk_error(e)),
        )
    }

    /// [`Error::Aws`] for a call that gave no SDK error to read: an answer that cannot be used
    /// (`code` says which), or a call made without a generated client.
    pub fn aws_answer(
        service: &'static str,
        operation: &'static str,
        on: Option<&str>,
        code: &str,
        message: impl Into<String>,
    ) -> Error {
        Error::Aws {
            service,
            operation,
            on: on.map(str::to_string),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// Why a call got no answer from AWS, when it got none: the SDK could not send it or hear
/// back (a connection refused, a host name that does not resolve, TLS, a timeout), or what
/// answered is not AWS (an HTTP status without an AWS error code). `None` when AWS answered.
pub fn no_answer<E>(
    service: &str,
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> Option<String>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    // The SDK's variable for the service's endpoint (its service id, capitals, no spaces).
    let id = match service.to_ascii_uppercase().replace(' ', "").as_str() {
        "MACIE" => "MACIE2".to_string(),
        other => other.to_string(),
    };
    let var = format!("AWS_ENDPOINT_URL_{id}");
    // The endpoint it tried, when a variable named it; else none is claimed (AWS's own, or
    // one the profile's services section or the code set).
    let at = [var.as_str(), "AWS_ENDPOINT_URL"]
        .into_iter()
        .find_map(|v| {
            let url = std::env::var(v).ok().filter(|u| !u.is_empty())?;
            Some(format!(" at {url} ({v})"))
        })
        .unwrap_or_default();
    let check =
        format!("check the Region, {var} or the profile's endpoint if set, and the network");
    match e {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            let chain = describe_sdk_error(e);
            let dns = chain.contains("dns error") || chain.contains("failed to lookup address");
            Some(if dns {
                format!("no answer from {service}{at}: its host name does not resolve ({chain}); is the Region one that exists? {check}")
            } else {
                format!("no answer from {service}{at} ({chain}); {check}")
            })
        }
        SdkError::ResponseError(r) => Some(format!(
            "what answered{at} is not {service} (HTTP {}: {}); {check}",
            r.raw().status().as_u16(),
            describe_sdk_error(e)
        )),
        SdkError::ServiceError(s) if e.code().is_none() => Some(format!(
            "what answered{at} is not {service} (HTTP {} with no AWS error in it); {check}",
            s.raw().status().as_u16()
        )),
        _ => None,
    }
}

/// The full chain of an SDK error (connection refused, timeouts, ...), on one line.
pub fn describe_sdk_error(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl Error {
    /// A stable name for the kind of error (Lambda's `errorType`, metrics).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Input(macie_guard_core::Error::MalformedEvent(_)) => "MalformedEvent",
            Error::Input(macie_guard_core::Error::Config { .. }) => "Configuration",
            Error::Aws { .. } => "AwsCallFailed",
            Error::Notify { .. } => "NotificationFailed",
            Error::Events { .. } => "EventsFailed",
            Error::JournalSchema { .. } => "JournalSchemaNewer",
            Error::JournalFile { .. } => "JournalFile",
            Error::NoStack { .. } => "NoStack",
            Error::NotAHub { .. } => "NotAHub",
            Error::Recreate(_) => "NotRecreatable",
            Error::Missing { .. } => "DefinitionMissing",
            Error::Partial { .. } => "PartialFailure",
            Error::Units(_) => "UnitsFailed",
            Error::Unreached { .. } => "MemberUnreached",
            Error::OrganizationUnlisted { .. } => "OrganizationUnlisted",
            Error::Queue { .. } => "QueueFailed",
        }
    }
}

impl From<Error> for lambda_runtime::Diagnostic {
    fn from(e: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.kind().to_string(),
            error_message: e.to_string(),
        }
    }
}
