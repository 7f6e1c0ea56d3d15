//! What only the operator CLI asks AWS: the account, when no function ARN tells it.

use crate::error::{Error, Result};

/// The account Macie runs in, read from GetMacieSession's service role ARN. For the CLI,
/// which has no function ARN to read it from.
pub async fn session_account(client: &aws_sdk_macie2::Client) -> Result<String> {
    let out = client
        .get_macie_session()
        .send()
        .await
        .map_err(|e| Error::aws("Macie", "GetMacieSession", None, &e))?;
    out.service_role()
        .and_then(|arn| arn.split(':').nth(4))
        .filter(|a| macie_guard_core::scope::is_account(a))
        .map(str::to_string)
        .ok_or_else(|| {
            Error::aws_answer(
                "Macie",
                "GetMacieSession",
                None,
                "NoAccount",
                "the session has no service role ARN to read the account from; pass --account",
            )
        })
}

/// The account of the caller's credentials (STS GetCallerIdentity), for the commands that do
/// not ask Macie.
pub async fn caller_account(sdk: &aws_config::SdkConfig) -> Result<String> {
    let out = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| Error::aws("STS", "GetCallerIdentity", None, &e))?;
    out.account()
        .filter(|a| macie_guard_core::scope::is_account(a))
        .map(str::to_string)
        .ok_or_else(|| {
            Error::aws_answer(
                "STS",
                "GetCallerIdentity",
                None,
                "NoAccount",
                "the answer has no account; pass --account",
            )
        })
}
