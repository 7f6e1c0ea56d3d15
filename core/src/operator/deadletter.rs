//! Dead letters: what the stack's dead-letter queue holds, read as each producer writes it, and
//! the event each one was for.
//!
//! Three producers write to the queue, each its own way:
//! - **Lambda**, for an asynchronous invocation that failed after its retries (Lambda Developer
//!   Guide, "Dead-letter queues"): the body is the event; the attributes `RequestID`,
//!   `ErrorCode` and `ErrorMessage`. The function is not named: the event tells which it was.
//! - **EventBridge**, for a rule target it could not deliver (EventBridge User Guide, "Using
//!   dead-letter queues to process undelivered events"): the body is the event; the attributes
//!   `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`, `EXHAUSTED_RETRY_CONDITION` and
//!   `RETRY_ATTEMPTS`.
//! - **EventBridge Scheduler**, for a schedule whose target it could not invoke (Scheduler
//!   User Guide, "Configuring a dead-letter queue"): the body is the schedule's input; the
//!   attributes `X-Amz-Scheduler-Schedule-Arn`, `X-Amz-Scheduler-Target-Arn`,
//!   `X-Amz-Scheduler-Group`, `X-Amz-Scheduler-Attempt`, `X-Amz-Scheduler-Error-Code` and
//!   `X-Amz-Scheduler-Error-Message`.
//!
//! Every one of them is replayed the same way: its event through the dispatcher the functions
//! use ([`crate::dispatch::route`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

use crate::dispatch::{self, Function, Routed};

/// A hub's share (one account's part of a run, from its work queue), when the body is one.
fn share_of(event: &Value) -> Option<crate::hub::Share> {
    event
        .get("kind")
        .filter(|k| *k == crate::hub::SHARE)
        .and_then(|_| crate::hub::Share::parse(&event.to_string()).ok())
}

/// Who put a dead letter in the queue, and what it said about the failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "producer", rename_all = "kebab-case")]
pub enum Producer {
    /// A function's asynchronous invocation, failed after Lambda's retries.
    Lambda { request_id: String },
    /// An EventBridge rule's target.
    Rule {
        rule_arn: String,
        target_arn: String,
        retry_attempts: Option<u32>,
        exhausted: Option<String>,
    },
    /// An EventBridge Scheduler schedule's target.
    Schedule {
        schedule_arn: String,
        target_arn: String,
        group: Option<String>,
        attempt: Option<u32>,
    },
    /// None of the three: a message someone else sent.
    Unknown,
}

impl Producer {
    fn of(attrs: &BTreeMap<String, String>) -> Producer {
        let get = |k: &str| attrs.get(k).cloned();
        let num = |k: &str| attrs.get(k).and_then(|v| v.parse().ok());
        if let Some(schedule_arn) = get("X-Amz-Scheduler-Schedule-Arn") {
            return Producer::Schedule {
                schedule_arn,
                target_arn: get("X-Amz-Scheduler-Target-Arn").unwrap_or_default(),
                group: get("X-Amz-Scheduler-Group"),
                attempt: num("X-Amz-Scheduler-Attempt"),
            };
        }
        if let Some(rule_arn) = get("RULE_ARN") {
            return Producer::Rule {
                rule_arn,
                target_arn: get("TARGET_ARN").unwrap_or_default(),
                retry_attempts: num("RETRY_ATTEMPTS"),
                exhausted: get("EXHAUSTED_RETRY_CONDITION"),
            };
        }
        if let Some(request_id) = get("RequestID") {
            return Producer::Lambda { request_id };
        }
        Producer::Unknown
    }

    /// Who sent it, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Producer::Lambda { request_id } => {
                format!("asynchronous invocation (request {request_id})")
            }
            Producer::Rule { rule_arn, .. } => format!("rule {}", last_part(rule_arn)),
            Producer::Schedule { schedule_arn, .. } => {
                format!("schedule {}", last_part(schedule_arn))
            }
            Producer::Unknown => "unknown sender".into(),
        }
    }
}

fn last_part(arn: &str) -> &str {
    arn.rsplit(['/', ':']).next().unwrap_or(arn)
}

/// One message of the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// SQS's MessageId: what `dead-letters replay --id` takes.
    pub id: String,
    /// When the producer sent it (SQS's SentTimestamp).
    pub sent_at: Option<DateTime<Utc>>,
    /// How often it was received (SQS's ApproximateReceiveCount), this reading included.
    pub receive_count: Option<u32>,
    #[serde(flatten)]
    pub producer: Producer,
    /// The failure, as the producer reported it (code, message).
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The original event: the body as JSON.
    pub event: Option<Value>,
    /// Why the body is not an event, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// The body as it came, when it is not JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl DeadLetter {
    /// Reads a message as its producer wrote it: `attrs` are its message attributes (string
    /// values), `sent_ms` SQS's SentTimestamp.
    pub fn read(
        id: &str,
        body: &str,
        attrs: &BTreeMap<String, String>,
        sent_ms: Option<i64>,
        receive_count: Option<u32>,
    ) -> DeadLetter {
        let first = |keys: &[&str]| keys.iter().find_map(|k| attrs.get(*k).cloned());
        DeadLetter {
            id: id.to_string(),
            sent_at: sent_ms.and_then(DateTime::from_timestamp_millis),
            receive_count,
            producer: Producer::of(attrs),
            error_code: first(&["X-Amz-Scheduler-Error-Code", "ERROR_CODE", "ErrorCode"]),
            error_message: first(&[
                "X-Amz-Scheduler-Error-Message",
                "ERROR_MESSAGE",
                "ErrorMessage",
            ]),
            ..DeadLetter::body(body)
        }
    }

    /// The parts that come from the body alone.
    fn body(body: &str) -> DeadLetter {
        let (event, unreadable, raw) = match serde_json::from_str::<Value>(body) {
            Ok(v) => (Some(v), None, None),
            Err(e) => (
                None,
                Some(format!("the body is not JSON: {e}")),
                Some(body.to_string()),
            ),
        };
        DeadLetter {
            id: String::new(),
            sent_at: None,
            receive_count: None,
            producer: Producer::Unknown,
            error_code: None,
            error_message: None,
            event,
            unreadable,
            body: raw,
        }
    }

    /// The event routed to the function it was for, as the functions route it; Err says why
    /// it cannot be replayed.
    pub fn routed(&self) -> Result<Routed, String> {
        let event = self
            .event
            .as_ref()
            .ok_or_else(|| self.unreadable.clone().unwrap_or_default())?;
        if let Some(share) = share_of(event) {
            return Err(format!(
                "a share of a hub's run ({}) for account {} in {}, dead-lettered after its last try: the hub's next run does that account again; no function here can run it alone",
                share.trigger,
                share.account,
                share.regions.join(", ")
            ));
        }
        // A Scheduled Event envelope fits both functions; only then does the target decide.
        let function = match &self.producer {
            Producer::Rule { target_arn, .. } | Producer::Schedule { target_arn, .. } => {
                function_of(target_arn)
            }
            _ => None,
        };
        let asked = match (event.get("detail-type").and_then(Value::as_str), function) {
            (Some("Scheduled Event"), f) => f,
            _ => None,
        };
        dispatch::route(event, asked).map_err(|e| e.to_string())
    }

    /// Where the dead letter was going: a function (its event, routed), or an event bus (a
    /// rule that forwards events, such as the stack's central-bus rule, whose dead letter
    /// names the bus as its target). Err says why it can go nowhere.
    pub fn target(&self) -> Result<Target, String> {
        if let Producer::Rule { target_arn, .. } = &self.producer {
            if let Some(bus) = EventBus::parse(target_arn) {
                let event = self
                    .event
                    .as_ref()
                    .ok_or_else(|| self.unreadable.clone().unwrap_or_default())?;
                return BusEntry::of(event).map(|entry| Target::Bus { bus, entry });
            }
        }
        self.routed().map(Target::Function)
    }

    /// Which function (or bus) it was for and what it was, in a few words ("expiry guard:
    /// AWS Health AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT").
    pub fn what(&self) -> String {
        let Some(event) = &self.event else {
            return "not an event".into();
        };
        if let Some(share) = share_of(event) {
            return format!(
                "hub's work queue: account {} in {} ({})",
                share.account,
                share.regions.join(", "),
                crate::text::safe(&share.trigger)
            );
        }
        let to = match self.target() {
            Ok(Target::Function(Routed::Expiry(_))) => "expiry guard".to_string(),
            Ok(Target::Function(Routed::Export(_))) => "export guard".to_string(),
            Ok(Target::Bus { bus, .. }) => format!("event bus {}", bus.name),
            Err(_) => "no function".to_string(),
        };
        format!("{to}: {}", event_summary(event))
    }
}

/// Where a dead letter was going.
#[derive(Debug, Clone)]
pub enum Target {
    /// One of the stack's functions, with its event.
    Function(Routed),
    /// An event bus a rule forwards to: the entry to put there again.
    Bus { bus: EventBus, entry: BusEntry },
}

/// An event bus named by its ARN (`arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventBus {
    pub arn: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl EventBus {
    pub fn parse(arn: &str) -> Option<EventBus> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let ["arn", _, "events", region, account, resource] = parts.as_slice() else {
            return None;
        };
        let name = resource.strip_prefix("event-bus/")?;
        (!name.is_empty() && !region.is_empty()).then(|| EventBus {
            arn: arn.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }
}

/// An event as PutEvents takes it again: the parts a sender may set (EventBridge API Reference,
/// PutEventsRequestEntry: Source, DetailType, Detail, Resources, Time). The envelope's id,
/// account and region are EventBridge's own and are set anew.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusEntry {
    pub source: String,
    pub detail_type: String,
    /// The detail as a JSON object's text.
    pub detail: String,
    pub resources: Vec<String>,
    pub time: Option<DateTime<Utc>>,
}

impl BusEntry {
    /// The entry for an event; Err says why it cannot be put again. A `source` starting with
    /// `aws.` is AWS's own: PutEvents refuses it (NotAuthorizedForSourceException), so such a
    /// dead letter can only be kept.
    pub fn of(event: &Value) -> Result<BusEntry, String> {
        let s = |k: &str| event.get(k).and_then(Value::as_str);
        let (Some(source), Some(detail_type)) = (s("source"), s("detail-type")) else {
            return Err(
                "an event bus takes an event with source and detail-type; this one has none".into(),
            );
        };
        if source.starts_with("aws.") {
            return Err(format!(
                "its source {source} is AWS's own: PutEvents cannot put it on a bus again"
            ));
        }
        let detail = match event.get("detail") {
            Some(d @ Value::Object(_)) => d.to_string(),
            None | Some(Value::Null) => "{}".to_string(),
            Some(_) => {
                return Err("its detail is not a JSON object, which PutEvents requires".into())
            }
        };
        let resources = event
            .get("resources")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(BusEntry {
            source: source.to_string(),
            detail_type: detail_type.to_string(),
            detail,
            resources,
            time: s("time")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
        })
    }
}

/// The function a target ARN names, by the stack's logical names (SAM names each function
/// `STACK-ExpiryGuardFunction-…` / `STACK-ExportGuardFunction-…`).
fn function_of(target_arn: &str) -> Option<Function> {
    if target_arn.contains("ExpiryGuardFunction") {
        Some(Function::Expiry)
    } else if target_arn.contains("ExportGuardFunction") {
        Some(Function::Export)
    } else {
        None
    }
}

/// An event in a few words: its action, its Health code and entity, or its CloudTrail call.
pub fn event_summary(v: &Value) -> String {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    if let Some(action) = s("/action") {
        return format!("action {action}");
    }
    match (s("/detail-type"), s("/source")) {
        (Some("AWS Health Event"), _) => {
            let entity = s("/detail/affectedEntities/0/entityValue")
                .or_else(|| s("/resources/0"))
                .unwrap_or("no entity");
            format!(
                "AWS Health {} ({entity})",
                s("/detail/eventTypeCode").unwrap_or("?")
            )
        }
        (Some("AWS API Call via CloudTrail"), _) => format!(
            "CloudTrail {} {}",
            s("/detail/eventSource").unwrap_or("?"),
            s("/detail/eventName").unwrap_or("?")
        ),
        (Some(t), Some(source)) => format!("{t} from {source}"),
        _ => "an event without detail-type".into(),
    }
}

#[cfg(test)]
mod tests;
