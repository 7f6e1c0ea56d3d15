//! The message for people through an SNS topic, with `kind` and `severity` as message
//! attributes for subscription filter policies; in both forms (text and chat) when asked.

use aws_sdk_sns::types::MessageAttributeValue;

use super::Outbound;
use crate::error::{describe_sdk_error, Error, Result};
use macie_guard_core::tell::chat::sns_message;
use macie_guard_core::tell::notification::Notification;

/// Publishes to an SNS topic, with `kind` and `severity` as message attributes for
/// subscription filter policies.
pub struct SnsNotifier {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
    /// Also Amazon Q Developer's custom notification, for chat channels subscribed to the
    /// topic (`NOTIFICATION_FORMAT=chat`): one message in both forms (MessageStructure json).
    pub chat: bool,
}

impl Outbound for SnsNotifier {
    async fn publish(&self, n: &Notification) -> Result<()> {
        let attr = |v: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .expect("data_type is set")
        };
        let publish = self.client.publish().topic_arn(&self.topic_arn);
        let publish = if self.chat {
            publish
                .message_structure("json")
                .message(sns_message(n, &event_id(&n.thread)))
        } else {
            publish.message(n.body())
        };
        publish
            .subject(n.sns_subject())
            .message_attributes("kind", attr(n.kind))
            .message_attributes("severity", attr(n.severity.as_str()))
            .send()
            .await
            .map_err(|e| Error::Notify {
                topic: self.topic_arn.clone(),
                message: describe_sdk_error(&e),
            })?;
        Ok(())
    }
}

/// An identifier of one message, unique to it (a retry's message has its own): the thread,
/// then the time and process it was made in.
pub fn event_id(thread: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{thread}/{t:x}-{:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
