//! Log set-up: JSON lines for Lambda (one object per event, fields flattened), readable lines on
//! standard error for the CLI, and the metric lines (EMF) the Lambda functions write. In Lambda
//! the level is the function's application log level (AWS_LAMBDA_LOG_LEVEL, set in the console
//! or the template), else RUST_LOG; the CLI reads RUST_LOG.

use macie_guard_core::tell::metrics::{emf_level, Counts};
use tracing_subscriber::EnvFilter;

/// Crates whose DEBUG and TRACE output holds request and response bodies (bucket and key
/// policies, job definitions) and credential identifiers: never below INFO, whatever level
/// is asked for.
const BODY_LOGGING_CRATES: [&str; 12] = [
    "aws_smithy_runtime",
    "aws_sigv4",
    "aws_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sdk_macie2",
    "aws_sdk_s3",
    "aws_sdk_kms",
    "aws_sdk_sns",
    "aws_sdk_sqs",
    "aws_sdk_dynamodb",
    "hyper",
];

/// Lambda's application log level as a tracing directive: TRACE, DEBUG, INFO, WARN, ERROR,
/// FATAL (tracing has no FATAL: ERROR).
fn lambda_level() -> Option<EnvFilter> {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok()?;
    EnvFilter::try_new(match level.to_ascii_lowercase().as_str() {
        "fatal" => "error".to_string(),
        other => other.to_string(),
    })
    .ok()
}

/// The log filter; `lambda`: the function's application log level (AWS_LAMBDA_LOG_LEVEL)
/// wins over RUST_LOG; else RUST_LOG; else `default`. The SDK's crates are capped at INFO so
/// no policy, body or credential is ever logged.
pub fn filter(default: &str, lambda: bool) -> EnvFilter {
    let from_env = || EnvFilter::try_from_default_env().ok();
    let base = if lambda {
        lambda_level().or_else(from_env)
    } else {
        from_env().or_else(lambda_level)
    }
    .unwrap_or_else(|| EnvFilter::new(default));
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
        .with_env_filter(filter("info", true))
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
        .with_env_filter(cli_filter(verbose))
        .try_init();
}

/// The CLI's filter: WARN and above, or INFO and above with -v; the SDK's own lookups that
/// fail on a laptop as they should (the Region from an instance's metadata) are not the
/// operator's concern unless asked for (-v, RUST_LOG): what is missing is said by the CLI's
/// own error.
fn cli_filter(verbose: bool) -> EnvFilter {
    let f = filter(if verbose { "info" } else { "warn" }, false);
    if verbose || std::env::var_os("RUST_LOG").is_some() {
        return f;
    }
    match "aws_config=error".parse() {
        Ok(d) => f.add_directive(d),
        Err(_) => f,
    }
}

/// Writes `counts` as EMF lines on stdout (the Lambda functions): CloudWatch turns them into
/// metric `metric` of namespace MacieGuard, dimension Function = `function`.
pub fn emit_metrics(counts: &Counts, function: &str, metric: &str) {
    let level = emf_level(std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref());
    let now = chrono::Utc::now().timestamp_millis();
    for line in counts.emf_lines(function, metric, now, level) {
        println!("{line}");
    }
}

/// Writes a gauge, `metric` = `value` (dimension Function = `function`), as an EMF line when
/// it is not zero (`tell::metrics::gauge_line`: a gauge costs by the hours it is published).
pub fn emit_gauge(function: &str, metric: &str, value: u64) {
    let level = emf_level(std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref());
    let now = chrono::Utc::now().timestamp_millis();
    if let Some(line) =
        macie_guard_core::tell::metrics::gauge_line(function, metric, value, now, level)
    {
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lambda's FATAL (advanced logging controls) is tracing's ERROR, not a parse failure
    /// that falls back to the default; in Lambda the console's level wins over RUST_LOG, in
    /// the CLI RUST_LOG wins.
    #[test]
    fn lambdas_log_levels_map_to_tracing_levels() {
        // The only test that touches these variables.
        std::env::remove_var("RUST_LOG");
        std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "FATAL");
        let f = filter("info", true).to_string();
        assert!(f.ends_with(",error"), "{f}");
        std::env::set_var("AWS_LAMBDA_LOG_LEVEL", "WARN");
        assert!(filter("info", true).to_string().ends_with(",warn"));
        std::env::set_var("RUST_LOG", "debug");
        assert!(filter("info", true).to_string().ends_with(",warn"));
        assert!(filter("info", false).to_string().ends_with(",debug"));
        std::env::remove_var("RUST_LOG");
        std::env::remove_var("AWS_LAMBDA_LOG_LEVEL");
        assert!(filter("info", true).to_string().ends_with(",info"));
        assert!(filter("warn", false).to_string().ends_with(",warn"));
    }
}
