//! The stack's dead-letter queue: reading every message without consuming it, deleting one
//! once it was replayed, and letting one go again at once. The port ([`DeadLetterQueue`]), its
//! SQS adapter ([`SqsQueue`]) and an in-memory one for the orchestration's tests
//! ([`memory::MemoryQueue`]); [`replay`] is the orchestration `macie-guard dead-letters` runs.
//!
//! A message is held while it is read (its visibility timeout): long enough for a replay, and
//! released at once after a listing, so the queue looks the same before and after
//! `dead-letters list`.

use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::error::{Error, Result};
use macie_guard_core::deadletter::DeadLetter;

pub mod memory;
pub mod replay;

/// A message held for this run: the dead letter and the receipt that deletes or releases it.
#[derive(Debug, Clone)]
pub struct Held {
    pub letter: DeadLetter,
    pub receipt: String,
}

/// Where the dead letters wait.
pub trait DeadLetterQueue: Send + Sync {
    /// Every message, each held for `hold_secs` (SQS's visibility timeout, 0-43,200).
    fn hold_all(&self, hold_secs: i32) -> impl Future<Output = Result<Vec<Held>>> + Send;
    /// Removes a held message for good.
    fn delete(&self, receipt: &str) -> impl Future<Output = Result<()>> + Send;
    /// Lets a held message go: visible again at once.
    fn release(&self, receipt: &str) -> impl Future<Output = Result<()>> + Send;
}

/// The dead-letter queue in SQS (the stack's output DeadLetterQueueUrl).
#[derive(Debug, Clone)]
pub struct SqsQueue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
}

fn sqs_error<E>(operation: &'static str, url: &str, e: &aws_sdk_sqs::error::SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    crate::error::aws_error("SQS", operation, url, e)
}

/// SQS's limit on the messages one ReceiveMessage returns (API Reference, ReceiveMessage:
/// MaxNumberOfMessages 1 to 10).
const RECEIVE_MAX: i32 = 10;

impl DeadLetterQueue for SqsQueue {
    async fn hold_all(&self, hold_secs: i32) -> Result<Vec<Held>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        loop {
            // Long polling for a second asks every SQS server, so an empty answer means empty.
            let page = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(RECEIVE_MAX)
                .visibility_timeout(hold_secs)
                .wait_time_seconds(1)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .map_err(|e| sqs_error("ReceiveMessage", &self.url, &e))?;
            let messages = page.messages();
            if messages.is_empty() {
                return Ok(out);
            }
            for m in messages {
                let id = m.message_id().unwrap_or_default().to_string();
                if !seen.insert(id.clone()) {
                    continue;
                }
                let attrs: BTreeMap<String, String> = m
                    .message_attributes()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
                    .collect();
                let system = m.attributes();
                let sys = |k: MessageSystemAttributeName| {
                    system.and_then(|a| a.get(&k)).and_then(|v| v.parse().ok())
                };
                let letter = DeadLetter::read(
                    &id,
                    m.body().unwrap_or_default(),
                    &attrs,
                    sys(MessageSystemAttributeName::SentTimestamp),
                    sys(MessageSystemAttributeName::ApproximateReceiveCount)
                        .and_then(|n: i64| u32::try_from(n).ok()),
                );
                out.push(Held {
                    letter,
                    receipt: m.receipt_handle().unwrap_or_default().to_string(),
                });
            }
        }
    }

    async fn delete(&self, receipt: &str) -> Result<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sqs_error("DeleteMessage", &self.url, &e))
    }

    async fn release(&self, receipt: &str) -> Result<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(0)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sqs_error("ChangeMessageVisibility", &self.url, &e))
    }
}
