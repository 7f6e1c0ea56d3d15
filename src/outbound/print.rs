//! The message for people printed to standard error, where no topic is configured (the CLI,
//! local runs).

use super::Outbound;
use crate::error::Result;
use macie_guard_core::tell::notification::Notification;

/// Prints notifications to standard error, where no topic is configured.
pub struct PrintNotifier;

impl Outbound for PrintNotifier {
    /// One line on standard error: the report itself is what the command prints, once; the
    /// notification would have said the same to the topic's readers.
    async fn publish(&self, n: &Notification) -> Result<()> {
        eprintln!(
            "macie-guard: not sent (no topic: --topic-arn or MACIE_GUARD_NOTIFICATION_TOPIC_ARN): {}",
            macie_guard_core::text::safe(&n.subject)
        );
        Ok(())
    }
}
