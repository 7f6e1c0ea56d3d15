//! Telling people: SNS when a topic is configured, printed otherwise (the CLI, local runs).

use aws_sdk_sns::types::MessageAttributeValue;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

use crate::error::{describe_sdk_error, Error, Result};

/// A message for people: readable text first, the same facts as JSON after it.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// SNS subjects: at most 100 characters, one line.
    pub subject: String,
    pub text: String,
    pub facts: Value,
    /// What it is about: `expiry`, `export`.
    pub kind: &'static str,
    /// `critical`, `warning` or `info`.
    pub severity: &'static str,
}

impl Notification {
    /// The message body: the text, then the facts as JSON.
    pub fn body(&self) -> String {
        let json = serde_json::to_string_pretty(&self.facts).unwrap_or_default();
        format!(
            "{}\n\n---- details (JSON) ----\n{json}\n",
            self.text.trim_end()
        )
    }

    /// The subject fitted to SNS's rules: printable ASCII on one line, at most 100 characters.
    pub fn sns_subject(&self) -> String {
        let clean: String = self
            .subject
            .chars()
            .map(|c| match c {
                c if c.is_ascii_graphic() || c == ' ' => c,
                c if c.is_whitespace() => ' ',
                _ => '?',
            })
            .collect();
        if clean.len() <= 100 {
            clean
        } else {
            format!("{}...", &clean[..97])
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_fit_sns_rules() {
        let n = Notification {
            subject: format!("job é\n{}", "x".repeat(200)),
            text: "t".into(),
            facts: serde_json::json!({"a": 1}),
            kind: "expiry",
            severity: "info",
        };
        let s = n.sns_subject();
        assert!(s.len() <= 100 && !s.contains('\n'), "{s}");
        assert!(s.starts_with("job ? x"), "{s}");
        assert!(n
            .body()
            .contains("---- details (JSON) ----\n{\n  \"a\": 1\n}"));
    }
}
