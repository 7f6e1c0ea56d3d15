//! Log set-up: JSON lines for Lambda (one object per event, fields flattened), readable lines on
//! standard error for the CLI. The level comes from RUST_LOG, else AWS_LAMBDA_LOG_LEVEL.

use tracing_subscriber::EnvFilter;

/// Crates whose DEBUG and TRACE output holds request and response bodies (bucket and key
/// policies, job definitions) and credential identifiers: never below INFO, whatever level
/// is asked for.
const BODY_LOGGING_CRATES: [&str; 11] = [
    "aws_smithy_runtime",
    "aws_sigv4",
    "aws_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sdk_macie2",
    "aws_sdk_s3",
    "aws_sdk_kms",
    "aws_sdk_sns",
    "aws_sdk_dynamodb",
    "hyper",
];

/// The log filter: RUST_LOG, else AWS_LAMBDA_LOG_LEVEL, else `default`; the SDK's crates
/// capped at INFO so no policy, body or credential is ever logged.
pub fn filter(default: &str) -> EnvFilter {
    let base = EnvFilter::try_from_default_env()
        .or_else(|_| match std::env::var("AWS_LAMBDA_LOG_LEVEL") {
            // Lambda's levels: TRACE, DEBUG, INFO, WARN, ERROR, FATAL (tracing has no FATAL).
            Ok(level) => EnvFilter::try_new(match level.to_ascii_lowercase().as_str() {
                "fatal" => "error".to_string(),
                other => other.to_string(),
            }),
            Err(_) => EnvFilter::try_new(default),
        })
        .unwrap_or_else(|_| EnvFilter::new(default));
    BODY_LOGGING_CRATES
        .iter()
        .fold(base, |f, c| match format!("{c}=info").parse() {
            Ok(d) => f.add_directive(d),
            Err(_) => f,
        })
}

/// JSON logs for the Lambda functions.
pub fn init_lambda() {
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .with_target(false)
        .with_env_filter(filter("info"))
        .try_init();
}

/// Human logs on standard error for the CLI (warnings and errors unless RUST_LOG says more);
/// colours only on a terminal, so a redirected log holds no escape sequences.
pub fn init_cli(verbose: bool) {
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(filter(if verbose { "info" } else { "warn" }))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lambda's FATAL (advanced logging controls) is tracing's ERROR, not a parse failure
    /// that falls back to the default.
    #[test]
    fn lambdas_log_levels_map_to_tracing_levels() {
        // The only test that touches these variables.
        std::env::remove_var("RUST_LOG");
        std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "FATAL");
        let f = filter("info").to_string();
        assert!(f.ends_with(",error"), "{f}");
        std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "WARN");
        assert!(filter("info").to_string().ends_with(",warn"));
        std::env::remove_var("AWS_LAMBDA_LOG_LEVEL");
        assert!(filter("info").to_string().ends_with(",info"));
    }
}
