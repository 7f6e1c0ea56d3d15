//! Telling people: SNS when a topic is configured, printed otherwise (the CLI, local runs);
//! and, in the functions, macie-guard's own events on the account's default EventBridge bus.
//! The message ([`Notification`]) and the events ([`GuardEvent`]) are plain data from the core.

use aws_sdk_sns::types::MessageAttributeValue;
use chrono::{DateTime, Utc};
use std::future::Future;

use crate::error::{describe_sdk_error, Error, Result};
pub use macie_guard_core::asff::{HubOutcome, HubSync};
use macie_guard_core::events::batches;
pub use macie_guard_core::events::{GuardEvent, EXPORT_FINDING, JOB_DECISION, SOURCE};
pub use macie_guard_core::notification::{Notification, MAX_BODY_BYTES};

pub trait Notifier: Send + Sync {
    /// Sends the message to people.
    fn publish(&self, n: &Notification) -> impl Future<Output = Result<()>> + Send;
    /// Puts the run's events on the account's default bus; a notifier without a bus has
    /// nothing to do.
    fn announce(&self, events: &[GuardEvent]) -> impl Future<Output = Result<()>> + Send {
        let _ = events;
        async { Ok(()) }
    }
    /// Imports the run's Security Hub findings and resolves those that are gone, ending
    /// before `deadline` (the invocation's; `None`: the CLI); `None` where Security Hub is not
    /// asked for.
    fn sync_findings(
        &self,
        sync: &HubSync,
        deadline: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Option<HubOutcome>> + Send {
        let _ = (sync, deadline);
        async { None }
    }
}

impl<T: Notifier> Notifier for &T {
    fn publish(&self, n: &Notification) -> impl Future<Output = Result<()>> + Send {
        (**self).publish(n)
    }
    fn announce(&self, events: &[GuardEvent]) -> impl Future<Output = Result<()>> + Send {
        (**self).announce(events)
    }
    fn sync_findings(
        &self,
        sync: &HubSync,
        deadline: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Option<HubOutcome>> + Send {
        (**self).sync_findings(sync, deadline)
    }
}

/// Publishes to an SNS topic, with `kind` and `severity` as message attributes for
/// subscription filter policies.
pub struct SnsNotifier {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
    /// Also Amazon Q Developer's custom notification, for chat channels subscribed to the
    /// topic (`NOTIFICATION_FORMAT=chat`): one message in both forms (MessageStructure json).
    pub chat: bool,
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
        let publish = self.client.publish().topic_arn(&self.topic_arn);
        let publish = if self.chat {
            publish
                .message_structure("json")
                .message(n.sns_json_message(&event_id(&n.thread)))
        } else {
            publish.message(n.body())
        };
        publish
            .subject(n.sns_subject())
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
    pub fn new(
        client: Option<aws_sdk_sns::Client>,
        topic_arn: Option<String>,
        chat: bool,
    ) -> AnyNotifier {
        match (client, topic_arn) {
            (Some(client), Some(topic_arn)) => AnyNotifier::Sns(SnsNotifier {
                client,
                topic_arn,
                chat,
            }),
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

/// The notifier: SNS to `topic` (NOTIFICATION_TOPIC_ARN, --topic-arn), in both forms when
/// `chat` (NOTIFICATION_FORMAT=chat), or printed without a topic.
pub fn for_topic(conf: &aws_config::SdkConfig, topic: Option<String>, chat: bool) -> AnyNotifier {
    AnyNotifier::new(topic.as_ref().map(|_| crate::aws::sns(conf)), topic, chat)
}

/// The account's default EventBridge bus, where the functions put their events (source
/// `macie-guard`; rules forward them, for example to a central bus).
pub struct DefaultBus {
    pub client: aws_sdk_eventbridge::Client,
}

/// The bus a PutEvents without `EventBusName` reaches.
const DEFAULT_BUS: &str = "default";

impl DefaultBus {
    /// Puts every event, in requests of at most 10 entries and 256 KiB. Entries EventBridge
    /// refuses (`FailedEntryCount`) are sent once more; any still refused fail the call with
    /// the first refusal's code and message.
    pub async fn put(&self, events: &[GuardEvent]) -> Result<()> {
        for batch in batches(events) {
            let mut pending: Vec<&GuardEvent> = batch.iter().collect();
            let mut attempt = 0;
            loop {
                attempt += 1;
                let entries = pending.iter().map(|e| {
                    aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                        .source(SOURCE)
                        .detail_type(e.detail_type)
                        .detail(e.detail_json())
                        .set_resources(Some(e.resources.clone()))
                        .build()
                });
                let out = self
                    .client
                    .put_events()
                    .set_entries(Some(entries.collect()))
                    .send()
                    .await
                    .map_err(|e| Error::Events {
                        bus: DEFAULT_BUS.into(),
                        message: describe_sdk_error(&e),
                    })?;
                if out.failed_entry_count() == 0 {
                    break;
                }
                // Results come in the order of the entries; refused ones carry an error code.
                let refused: Vec<(&GuardEvent, String)> = pending
                    .iter()
                    .zip(out.entries())
                    .filter_map(|(e, r)| {
                        r.error_code().map(|code| {
                            (*e, format!("{code}: {}", r.error_message().unwrap_or("")))
                        })
                    })
                    .collect();
                if attempt == 2 || refused.is_empty() {
                    return Err(Error::Events {
                        bus: DEFAULT_BUS.into(),
                        message: format!(
                            "{} of {} event(s) refused: {}",
                            out.failed_entry_count(),
                            pending.len(),
                            refused
                                .first()
                                .map(|r| r.1.as_str())
                                .unwrap_or("no reason given")
                        ),
                    });
                }
                tracing::warn!(refused = refused.len(), first = %refused[0].1, "events refused, sending them once more");
                pending = refused.into_iter().map(|r| r.0).collect();
            }
        }
        Ok(())
    }
}

/// The functions' outbound side: the notifier, and optionally the default bus (`PUT_EVENTS`)
/// and Security Hub (`SECURITY_HUB`).
pub struct Outbound<N> {
    pub notifier: N,
    pub bus: Option<DefaultBus>,
    pub hub: Option<crate::securityhub::SecurityHub>,
}

impl<N: Notifier> Notifier for Outbound<N> {
    async fn publish(&self, n: &Notification) -> Result<()> {
        self.notifier.publish(n).await
    }
    async fn announce(&self, events: &[GuardEvent]) -> Result<()> {
        match &self.bus {
            Some(bus) if !events.is_empty() => bus.put(events).await,
            _ => Ok(()),
        }
    }
    async fn sync_findings(
        &self,
        sync: &HubSync,
        deadline: Option<DateTime<Utc>>,
    ) -> Option<HubOutcome> {
        let hub = self.hub.as_ref()?;
        let now = Utc::now();
        let until = tokio::time::Instant::now() + hub_budget(deadline, now);
        let now = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        // Boxed: the SDK's futures are large, and this one sits inside the guard's.
        Some(Box::pin(hub.sync(sync, &now, until)).await)
    }
}

/// The longest a Security Hub sync may take without a deadline (the CLI).
pub const HUB_MAX: std::time::Duration = std::time::Duration::from_secs(120);
/// Time kept back before the invocation's deadline, after the Security Hub sync, to return.
pub const HUB_RESERVE: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a Security Hub sync may take: until [`HUB_RESERVE`] before the deadline, at most
/// [`HUB_MAX`]; nothing when the deadline is that close.
pub fn hub_budget(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> std::time::Duration {
    match deadline {
        None => HUB_MAX,
        Some(d) => (d - now)
            .to_std()
            .unwrap_or_default()
            .saturating_sub(HUB_RESERVE)
            .min(HUB_MAX),
    }
}

/// The functions' outbound side from their configuration: `for_topic`, the default bus and
/// Security Hub as `outputs` asks.
pub fn for_function(
    conf: &aws_config::SdkConfig,
    topic: Option<String>,
    outputs: macie_guard_core::config::Outputs,
) -> Outbound<AnyNotifier> {
    Outbound {
        notifier: for_topic(conf, topic, outputs.chat),
        bus: outputs.put_events.then(|| DefaultBus {
            client: crate::aws::eventbridge(conf),
        }),
        hub: outputs
            .security_hub
            .then(|| crate::securityhub::SecurityHub::new(conf)),
    }
}
