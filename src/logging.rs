//! Log set-up: JSON lines for Lambda (one object per event, fields flattened), readable lines on
//! standard error for the CLI. The level comes from RUST_LOG, else AWS_LAMBDA_LOG_LEVEL.

use tracing_subscriber::EnvFilter;

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env()
        .or_else(|_| match std::env::var("AWS_LAMBDA_LOG_LEVEL") {
            Ok(level) => EnvFilter::try_new(level.to_ascii_lowercase()),
            Err(_) => EnvFilter::try_new(default),
        })
        .unwrap_or_else(|_| EnvFilter::new(default))
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

/// Human logs on standard error for the CLI (warnings and errors unless RUST_LOG says more).
pub fn init_cli(verbose: bool) {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_env_filter(filter(if verbose { "info" } else { "warn" }))
        .try_init();
}
