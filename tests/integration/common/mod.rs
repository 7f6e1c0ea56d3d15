//! What the integration tests share: building a guard the way the functions do, running a
//! sweep, reading the local Macie's call counters, running the CLI. The in-memory stand-ins of
//! the ports live beside each port (`memory` modules). Each test binary uses the part it
//! needs.
#![allow(dead_code)]

use chrono::Utc;
use macie_guard::error::Result;
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::expiry::jobs::MacieJobs;
use macie_guard::outbound::sns::SnsNotifier;
use macie_guard::outbound::Outbound;
use macie_guard_core::delivery::Told;
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::outcome::Summary;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::scope::Scope;
use serde_json::Value;
use std::process::{Command, Output};
use testkit::{endpoint_env, moto, sns_client, workspace_root, LocalMacie, ACCOUNT, REGION};

/// A guard for the test account and Region, with the process's own journal.
pub fn guard<M: MacieJobs, N: Outbound>(
    macie: M,
    notifier: N,
    config: ExpiryConfig,
) -> ExpiryGuard<M, N> {
    ExpiryGuard::new(macie, notifier, config, Scope::new(ACCOUNT, REGION))
}

/// Notifications to `topic_arn` through moto's SNS.
pub async fn sns(topic_arn: &str) -> SnsNotifier {
    SnsNotifier {
        client: sns_client(&moto().url).await,
        topic_arn: topic_arn.to_string(),
        chat: false,
    }
}

pub fn sweep_event() -> ExpiryEvent {
    ExpiryEvent::Sweep {
        trigger: "test".into(),
    }
}

/// One sweep, now.
pub async fn sweep<M: MacieJobs, N: Outbound, J: macie_guard::journal::Journal>(
    g: &ExpiryGuard<M, N, J>,
) -> Result<Told<Summary>> {
    g.handle(&sweep_event(), Utc::now()).await
}

/// One sweep as Lambda sees it: an error when the run or any job in it failed.
pub async fn sweep_as_lambda<M: MacieJobs, N: Outbound, J: macie_guard::journal::Journal>(
    g: &ExpiryGuard<M, N, J>,
) -> Result<Told<Summary>> {
    sweep(g)
        .await
        .and_then(macie_guard::expiry::lambda::outcome)
}

/// The local Macie's call counters by operation.
pub fn calls(macie: &LocalMacie) -> Value {
    macie.control("GET", "/_local/calls", None)["calls"].clone()
}

/// The `macie-guard` CLI pointed at the local Macie and moto, as an operator would run it,
/// with the variables that would change its behaviour removed.
pub fn cli(macie: &LocalMacie, args: &[&str]) -> Output {
    let mut cmd = Command::new(testkit::cli_bin());
    cmd.args(args).current_dir(workspace_root());
    for var in [
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "NOTIFICATION_TOPIC_ARN",
        "DEFAULT_POLICY",
        "DRY_RUN",
        "JOURNAL_TABLE",
        "EXPORT_REGIONS",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(endpoint_env(macie.url(), &moto().url));
    cmd.output().expect("run macie-guard")
}

/// Log lines captured in memory: a `tracing_subscriber` writer (`move || buffer.clone()`).
#[derive(Clone, Default)]
pub struct LogBuffer(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
