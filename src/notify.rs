//! Telling people: SNS when a topic is configured, printed otherwise (the CLI, local runs).
//! The message itself ([`Notification`]) is plain data from the core.

use aws_sdk_sns::types::MessageAttributeValue;
use std::future::Future;

use crate::error::{describe_sdk_error, Error, Result};
pub use macie_guard_core::notification::{Notification, MAX_BODY_BYTES};

pub trait Notifier: Send + Sync {
    fn publish(&self, n: &Notification) -> impl Future<Output = Result<()>> + Send;
}

impl<T: Notifier> Notifier for &T {
    fn publish(&self, n: &Notification) -> impl Future<Output = Result<()>> + Send {
        (**self).publish(n)
    }
}

/// Publishes to an SNS topic, with `kind` and `severity` as message attributes for
/// subscription filter policies.
pub struct SnsNotifier {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

impl Notifier for SnsNotifier {
    async fn publish(&self, n: &Notification) -> Result<()> {
        let attr = |v: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(v)
                .build()
                .expect("data_type is set")
        };
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(n.sns_subject())
            .message(n.body())
            .message_attributes("kind", attr(n.kind))
            .message_attributes("severity", attr(n.severity))
            .send()
            .await
            .map_err(|e| Error::Notify {
                topic: self.topic_arn.clone(),
                message: describe_sdk_error(&e),
            })?;
        Ok(())
    }
}

/// Prints notifications to standard error, where no topic is configured.
pub struct PrintNotifier;

impl Notifier for PrintNotifier {
    async fn publish(&self, n: &Notification) -> Result<()> {
        eprintln!("\n==== notification: {} ====\n{}", n.subject, n.body());
        Ok(())
    }
}

/// SNS when a topic is configured, else printed.
pub enum AnyNotifier {
    Sns(SnsNotifier),
    Print(PrintNotifier),
}

impl AnyNotifier {
    pub fn new(client: Option<aws_sdk_sns::Client>, topic_arn: Option<String>) -> AnyNotifier {
        match (client, topic_arn) {
            (Some(client), Some(topic_arn)) => AnyNotifier::Sns(SnsNotifier { client, topic_arn }),
            _ => AnyNotifier::Print(PrintNotifier),
        }
    }
}

impl Notifier for AnyNotifier {
    async fn publish(&self, n: &Notification) -> Result<()> {
        match self {
            AnyNotifier::Sns(s) => s.publish(n).await,
            AnyNotifier::Print(p) => p.publish(n).await,
        }
    }
}

/// The notifier: SNS to `topic` (NOTIFICATION_TOPIC_ARN, --topic-arn), or printed without one.
pub fn for_topic(conf: &aws_config::SdkConfig, topic: Option<String>) -> AnyNotifier {
    AnyNotifier::new(topic.as_ref().map(|_| crate::aws::sns(conf)), topic)
}
