//! The operator's organization view, as plain data: one row per account and Region with what
//! was read there (paused jobs, or the export check) or why it could not be read. Its tables
//! are `tell::org`'s; reading is the `macie-guard` crate's `org` module.

use serde::Serialize;

use crate::export::outcome::RegionReport;
use crate::severity::Severity;

/// What one account and Region gave.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Reach<T> {
    /// Read.
    Read { result: T },
    /// The role could not be assumed, or Macie refused or failed: why, and what to do.
    Unreachable { reason: String },
    /// Not read, and nothing is wrong: the organization's management account, where
    /// StackSets never deploy, has no macie-guard stack of its own (why, and what to do).
    Skipped { reason: String },
}

/// One account and Region.
#[derive(Debug, Clone, Serialize)]
pub struct Row<T> {
    pub account: String,
    /// The account's name in the organization, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub region: String,
    #[serde(flatten)]
    pub reach: Reach<T>,
}

/// Rows in a stable order: by account, then Region.
pub fn sorted<T>(mut rows: Vec<Row<T>>) -> Vec<Row<T>> {
    rows.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    rows
}

/// How many rows could not be read (a skipped management account is not one of them).
pub fn unreachable<T>(rows: &[Row<T>]) -> usize {
    rows.iter()
        .filter(|r| matches!(r.reach, Reach::Unreachable { .. }))
        .count()
}

/// Why an AssumeRole of `role_arn` failed, with advice that fits the error: `code` and
/// `message` as STS answered (after the SDK's retries).
pub fn assume_role_failure(role_arn: &str, code: &str, message: &str) -> String {
    let advice = match code {
        "Throttling" | "ThrottlingException" | "TooManyRequestsException"
        | "RequestLimitExceeded" => {
            "STS throttled it, and the SDK's retries did not get through: run the view again later, or with a lower --concurrency"
        }
        "AccessDenied" | "AccessDeniedException" => {
            "deploy the member stack there with OperatorPrincipalArn naming your role or user (scripts/deploy-members.sh --param OperatorPrincipalArn=...), or check the role's trust policy (it must trust you) and that your credentials may sts:AssumeRole on it"
        }
        "RegionDisabledException" => {
            "STS is not activated in this Region for that account: activate it (IAM account settings) or read another Region"
        }
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
            "your own credentials were refused: refresh them and run the view again"
        }
        _ => "check the role and your credentials, then run the view again",
    };
    format!("cannot assume {role_arn}: {code}: {message}; {advice}")
}

/// The settings the view's plans are decided under: the operator's, not each stack's (a
/// stack's parameters are not readable through the read-only role).
#[derive(Debug, Clone, Serialize)]
pub struct PlanSettings {
    pub source: &'static str,
    pub default_policy: &'static str,
    pub warning_window_days: i64,
    pub action_window_days: i64,
}

impl PlanSettings {
    pub fn of_operator(config: &crate::expiry::settings::ExpiryConfig) -> PlanSettings {
        PlanSettings {
            source: "operator",
            default_policy: config.default_policy.as_str(),
            warning_window_days: config.windows.warning.num_days(),
            action_window_days: config.windows.action.num_days(),
        }
    }
}

/// The worst severity found anywhere.
pub fn worst(rows: &[Row<RegionReport>]) -> Option<Severity> {
    rows.iter()
        .filter_map(|r| match &r.reach {
            Reach::Read { result } => result.findings.iter().map(|f| f.severity).max(),
            Reach::Unreachable { .. } | Reach::Skipped { .. } => None,
        })
        .max()
}
