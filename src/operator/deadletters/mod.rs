//! The stack's dead-letter queue: reading every message without consuming it, deleting one
//! once it was replayed, and letting one go again at once. The port ([`DeadLetterQueue`]), its
//! SQS adapter ([`SqsQueue`]) and an in-memory one for the orchestration's tests
//! ([`memory::MemoryQueue`]); [`replay`] is the orchestration `macie-guard dead-letters` runs.
//!
//! A listing never hides a message: it receives with a visibility timeout of 0 (SQS API
//! Reference, ReceiveMessage: a received message is invisible to every consumer for its
//! visibility timeout), so a replay running beside it sees every message. A replay holds what
//! it replays for [`replay::HOLD_SECS`]. Both count what the queue holds (GetQueueAttributes)
//! and say what they could not see.

use aws_sdk_sqs::types::MessageSystemAttributeName;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::error::{Error, Result};
use macie_guard_core::operator::deadletter::{BusEntry, DeadLetter, EventBus};

pub mod memory;
pub mod replay;

/// A message held for this run: the dead letter and the receipt that deletes or releases it.
#[derive(Debug, Clone)]
pub struct Held {
    pub letter: DeadLetter,
    pub receipt: String,
}

/// What the queue holds, as SQS counts it (GetQueueAttributes: ApproximateNumberOfMessages,
/// ...NotVisible, ...Delayed; approximate, as their names say).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Visible: what a receive can return now.
    pub visible: u64,
    /// Received by someone and not yet deleted or let go (in flight).
    pub in_flight: u64,
    /// Sent with a delay that has not ended.
    pub delayed: u64,
}

/// Where the dead letters wait.
pub trait DeadLetterQueue: Send + Sync {
    /// Every message a receive returns, each held for `hold_secs` (SQS's visibility timeout,
    /// 1-43,200): nobody else sees them meanwhile.
    fn hold_all(&self, hold_secs: i32) -> impl Future<Output = Result<Vec<Held>>> + Send;
    /// The visible messages, read without hiding any (a visibility timeout of 0): receives
    /// until `expected` distinct messages were seen or the answers bring nothing new.
    fn peek_all(&self, expected: u64) -> impl Future<Output = Result<Vec<DeadLetter>>> + Send;
    /// What the queue holds now.
    fn counts(&self) -> impl Future<Output = Result<Counts>> + Send;
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

/// SQS's limit on the messages one ReceiveMessage returns (API Reference, ReceiveMessage:
/// MaxNumberOfMessages 1 to 10).
const RECEIVE_MAX: i32 = 10;

/// A peek stops after this many receives in a row that bring no message it had not seen. A
/// receive samples the queue (ten of `expected` at a time), so the last message unseen turns
/// up in a given receive with a chance of about 10/`expected`: `expected` receives in a row
/// without it happen with a chance under e^-10. At most 1,000 (a queue's counts are
/// approximate; a listing must end).
fn peek_patience(expected: u64) -> u32 {
    u32::try_from(expected.clamp(20, 1_000)).unwrap_or(1_000)
}

/// A message as a dead letter, with its receipt.
fn read_message(m: &aws_sdk_sqs::types::Message) -> Held {
    let id = m.message_id().unwrap_or_default().to_string();
    let attrs: BTreeMap<String, String> = m
        .message_attributes()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string())))
        .collect();
    let system = m.attributes();
    let sys =
        |k: MessageSystemAttributeName| system.and_then(|a| a.get(&k)).and_then(|v| v.parse().ok());
    let letter = DeadLetter::read(
        &id,
        m.body().unwrap_or_default(),
        &attrs,
        sys(MessageSystemAttributeName::SentTimestamp),
        sys(MessageSystemAttributeName::ApproximateReceiveCount)
            .and_then(|n: i64| u32::try_from(n).ok()),
    );
    Held {
        letter,
        receipt: m.receipt_handle().unwrap_or_default().to_string(),
    }
}

impl SqsQueue {
    /// One ReceiveMessage of up to ten messages, each invisible for `hold_secs` afterwards.
    /// Long polling for a second asks every SQS server, so an empty answer means empty.
    async fn receive(&self, hold_secs: i32) -> Result<Vec<Held>> {
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
            .map_err(|e| Error::aws("SQS", "ReceiveMessage", Some(&self.url), &e))?;
        Ok(page.messages().iter().map(read_message).collect())
    }
}

impl DeadLetterQueue for SqsQueue {
    async fn hold_all(&self, hold_secs: i32) -> Result<Vec<Held>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        loop {
            let page = self.receive(hold_secs).await?;
            if page.is_empty() {
                return Ok(out);
            }
            for h in page {
                if seen.insert(h.letter.id.clone()) {
                    out.push(h);
                }
            }
        }
    }

    async fn peek_all(&self, expected: u64) -> Result<Vec<DeadLetter>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let patience = peek_patience(expected);
        let mut fruitless = 0;
        while (out.len() as u64) < expected && fruitless < patience {
            let page = self.receive(0).await?;
            if page.is_empty() {
                break;
            }
            let before = out.len();
            for h in page {
                if seen.insert(h.letter.id.clone()) {
                    out.push(h.letter);
                }
            }
            fruitless = if out.len() > before { 0 } else { fruitless + 1 };
        }
        Ok(out)
    }

    async fn counts(&self) -> Result<Counts> {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(A::ApproximateNumberOfMessages)
            .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(A::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| Error::aws("SQS", "GetQueueAttributes", Some(&self.url), &e))?;
        let get = |k: A| {
            out.attributes()
                .and_then(|a| a.get(&k))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        Ok(Counts {
            visible: get(A::ApproximateNumberOfMessages),
            in_flight: get(A::ApproximateNumberOfMessagesNotVisible),
            delayed: get(A::ApproximateNumberOfMessagesDelayed),
        })
    }

    async fn delete(&self, receipt: &str) -> Result<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::aws("SQS", "DeleteMessage", Some(&self.url), &e))
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
            .map_err(|e| Error::aws("SQS", "ChangeMessageVisibility", Some(&self.url), &e))
    }
}

/// Puts a forwarding rule's event on the bus it was for (PutEvents with the bus's ARN as
/// `EventBusName`, in the bus's Region, with the caller's credentials: the bus's policy must
/// admit this account, as it admits the rule's role). A refused entry is an error with
/// EventBridge's code and message.
pub async fn put_on_bus(
    client: &aws_sdk_eventbridge::Client,
    bus: &EventBus,
    entry: &BusEntry,
) -> Result<()> {
    let put = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name(&bus.arn)
        .source(&entry.source)
        .detail_type(&entry.detail_type)
        .detail(&entry.detail)
        .set_resources(Some(entry.resources.clone()))
        .set_time(
            entry
                .time
                .map(|t| aws_smithy_types::DateTime::from_millis(t.timestamp_millis())),
        )
        .build();
    let out = client
        .put_events()
        .entries(put)
        .send()
        .await
        .map_err(|e| Error::Events {
            bus: bus.arn.clone(),
            message: crate::error::describe_sdk_error(&e),
        })?;
    match out.entries().first().and_then(|r| r.error_code()) {
        None if out.failed_entry_count() == 0 => Ok(()),
        code => Err(Error::Events {
            bus: bus.arn.clone(),
            message: format!(
                "the event was refused: {} {}",
                code.unwrap_or("(no code)"),
                out.entries()
                    .first()
                    .and_then(|r| r.error_message())
                    .unwrap_or("")
            ),
        }),
    }
}
