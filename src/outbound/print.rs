//! The message for people printed to standard error, where no topic is configured (the CLI,
//! local runs).

use super::Outbound;
use crate::error::Result;
use macie_guard_core::tell::notification::Notification;

/// Prints notifications to standard error, where no topic is configured.
pub struct PrintNotifier;

impl Outbound for PrintNotifier {
    async fn publish(&self, n: &Notification) -> Result<()> {
        eprintln!("\n==== notification: {} ====\n{}", n.subject, n.body());
        Ok(())
    }
}
