//! The outbound port: where a run's outcome goes out, and its adapters. The message for people
//! goes to SNS ([`sns`], with the chat form when asked) or is printed ([`print`]); macie-guard's
//! own events go to the account's default EventBridge bus ([`bus`]); findings go to Security Hub
//! ([`securityhub`]). [`Channels`] is the functions' set; the message, events and findings
//! themselves are plain data from the core (`tell`).

pub mod bus;
pub mod memory;
pub mod print;
pub mod securityhub;
pub mod sns;

use chrono::{DateTime, Utc};
use std::future::Future;

use crate::error::Result;
use bus::DefaultBus;
use macie_guard_core::delivery::HubOutcome;
use macie_guard_core::tell::asff::HubSync;
use macie_guard_core::tell::events::GuardEvent;
use macie_guard_core::tell::notification::Notification;
use print::PrintNotifier;
use securityhub::SecurityHub;
use sns::SnsNotifier;

/// Where a run's outcome goes out: the message for people, macie-guard's own events, and
/// Security Hub's findings. An implementation without a channel leaves its method as is.
pub trait Outbound: Send + Sync {
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

impl<T: Outbound> Outbound for &T {
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

impl Outbound for AnyNotifier {
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

/// Every channel the functions use: the notifier, and optionally the default bus
/// (`PUT_EVENTS`) and Security Hub (`SECURITY_HUB`).
pub struct Channels<N> {
    pub notifier: N,
    pub bus: Option<DefaultBus>,
    pub hub: Option<SecurityHub>,
}

impl<N: Outbound> Outbound for Channels<N> {
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
        Some(self.hub.as_ref()?.sync_by(sync, deadline).await)
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
) -> Channels<AnyNotifier> {
    Channels {
        notifier: for_topic(conf, topic, outputs.chat),
        bus: outputs.put_events.then(|| DefaultBus {
            client: crate::aws::eventbridge(conf),
        }),
        hub: outputs.security_hub.then(|| SecurityHub::new(conf)),
    }
}
