//! The events the expiry guard handles, parsed from JSON without trusting their shape.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::envelope::{as_event_object, envelope, schedule_trigger, str_field};
use crate::error::Error;
use crate::scope::Scope;

/// Macie's four Health event codes about paused jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HealthKind {
    /// A paused one-time job will expire soon.
    JobExpiring,
    /// A paused run of a recurring job will expire soon.
    RunExpiring,
    /// A paused one-time job expired and was cancelled.
    JobCancelled,
    /// A paused run of a recurring job expired and was cancelled.
    RunCancelled,
}

impl HealthKind {
    fn from_code(code: &str) -> Option<HealthKind> {
        Some(match code {
            "AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT" => HealthKind::JobExpiring,
            "AWS_MACIE_PAUSED_JOB_RUN_EXPIRATION_EVENT" => HealthKind::RunExpiring,
            "AWS_MACIE_PAUSED_JOB_CANCELLED_EVENT" => HealthKind::JobCancelled,
            "AWS_MACIE_PAUSED_JOB_RUN_CANCELLED_EVENT" => HealthKind::RunCancelled,
            _ => return None,
        })
    }

    pub fn is_cancellation(self) -> bool {
        matches!(self, HealthKind::JobCancelled | HealthKind::RunCancelled)
    }
}

/// The `detail` of an "AWS Health Event", as AWS really sends it: only the fields AWS always
/// sends are required; `endTime`, entities' `tags` and the rest may be missing; `page`,
/// `totalPages` and `backupEvent` arrive as strings; unknown fields are accepted.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthDetail {
    pub event_arn: String,
    pub service: String,
    pub event_type_code: String,
    #[serde(default)]
    pub event_type_category: Option<String>,
    #[serde(default)]
    pub event_scope_code: Option<String>,
    #[serde(default)]
    pub communication_id: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub last_updated_time: Option<String>,
    #[serde(default)]
    pub status_code: Option<String>,
    #[serde(default)]
    pub event_region: Option<String>,
    #[serde(default)]
    pub event_description: Vec<EventDescription>,
    #[serde(default)]
    pub affected_entities: Vec<AffectedEntity>,
    #[serde(default)]
    pub affected_account: Option<String>,
    #[serde(default)]
    pub page: Option<Value>,
    #[serde(default)]
    pub total_pages: Option<Value>,
    #[serde(default)]
    pub backup_event: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDescription {
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub latest_description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AffectedEntity {
    #[serde(default)]
    pub entity_value: Option<String>,
    #[serde(default)]
    pub last_updated_time: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tags: Option<Value>,
}

/// Health times look like `Thu, 27 Aug 2026 13:19:03 GMT`; RFC 3339 is accepted too.
fn parse_health_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s)
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl HealthDetail {
    /// The English description, else the first one.
    pub fn description(&self) -> Option<&str> {
        let english = self
            .event_description
            .iter()
            .find(|d| d.language.as_deref().is_some_and(|l| l.starts_with("en")));
        english
            .or(self.event_description.first())
            .and_then(|d| d.latest_description.as_deref())
    }

    pub fn start(&self) -> Option<DateTime<Utc>> {
        self.start_time.as_deref().and_then(parse_health_time)
    }
}

/// A Macie paused-job Health event.
#[derive(Debug, Clone, Serialize)]
pub struct HealthEvent {
    pub kind: HealthKind,
    pub account: Option<String>,
    pub region: Option<String>,
    pub resources: Vec<String>,
    pub detail: HealthDetail,
}

impl HealthEvent {
    /// Why this event is about another account or Region than `scope`'s, if it is: a copy in
    /// a backup Region, or the organizational view of another account's event. Such events are
    /// not this function's to act on, nor to report.
    pub fn elsewhere(&self, scope: &Scope) -> Option<String> {
        let mut reasons = Vec::new();
        for (what, value) in [
            ("account", self.account.as_deref()),
            ("affectedAccount", self.detail.affected_account.as_deref()),
        ] {
            if let Some(acc) = value.filter(|a| *a != scope.account) {
                reasons.push(format!(
                    "event {what} {acc} is not this function's account {}",
                    scope.account
                ));
            }
        }
        for (what, value) in [
            ("region", self.region.as_deref()),
            ("eventRegion", self.detail.event_region.as_deref()),
        ] {
            if let Some(r) = value.filter(|r| *r != scope.region && *r != "global") {
                reasons.push(format!(
                    "event {what} {r} is not this function's Region {}",
                    scope.region
                ));
            }
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }

    /// Every string that may name a job: the envelope's `resources`, then the entities'
    /// `entityValue`s. The format of neither is documented, so each is checked later.
    pub fn candidate_refs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.resources.iter().map(String::as_str).collect();
        out.extend(
            self.detail
                .affected_entities
                .iter()
                .filter_map(|e| e.entity_value.as_deref()),
        );
        out.dedup();
        out
    }
}

/// What the expiry guard was asked to do.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ExpiryEvent {
    /// Sweep all paused jobs: a schedule, with or without an EventBridge envelope.
    Sweep {
        trigger: String,
    },
    Health(Box<HealthEvent>),
    /// Only finish the changes that runs which died left open (the journal watch's schedule:
    /// `{"action": "recover"}`); nothing else is read.
    Recover {
        trigger: String,
    },
    /// A `macie-guard:` tag was just set on a job (CloudTrail's record of Macie's
    /// TagResource, through EventBridge; a chat channel's buttons set them): the job is looked
    /// at now, as a Health event naming it would have it: a paused one is decided on, a lost
    /// one whose tag asks for it is recreated. `resource_arn` is checked against the
    /// function's account and Region before anything is read.
    Tagged {
        resource_arn: String,
        /// The `macie-guard:on-expiry` value the record set, if it set one (as written).
        /// `resume` and `keep-paused` just set are acted on at once anywhere in the warning
        /// window: what a chat channel's buttons ask for.
        #[serde(skip_serializing_if = "Option::is_none")]
        on_expiry: Option<String>,
    },
    /// Not for this function: logged, answered with success.
    Ignored {
        reason: String,
    },
}

impl ExpiryEvent {
    pub fn parse(value: &Value) -> Result<ExpiryEvent, Error> {
        let obj = as_event_object(value)?;
        if obj.get("action").and_then(Value::as_str) == Some("recover") {
            return Ok(ExpiryEvent::Recover {
                trigger: "recover".into(),
            });
        }
        if let Some(trigger) = schedule_trigger(obj, "sweep")? {
            return Ok(ExpiryEvent::Sweep { trigger });
        }
        let (Some(detail_type), Some(source)) =
            (str_field(obj, "detail-type")?, str_field(obj, "source")?)
        else {
            return Err(Error::MalformedEvent(
                "neither an EventBridge event (detail-type and source) nor {\"action\": \"sweep\"}"
                    .into(),
            ));
        };
        if source == "aws.macie2" && detail_type == "AWS API Call via CloudTrail" {
            return tagged(value);
        }
        if source != "aws.health" || detail_type != "AWS Health Event" {
            return Ok(ExpiryEvent::Ignored {
                reason: format!(
                    "{source} / {detail_type} events are not handled by the expiry guard"
                ),
            });
        }
        let event: EventBridgeEvent<HealthDetail> = envelope(value)?;
        let Some(kind) = HealthKind::from_code(&event.detail.event_type_code) else {
            return Ok(ExpiryEvent::Ignored {
                reason: format!(
                    "Health event {} of service {} is not one of Macie's paused-job events",
                    event.detail.event_type_code, event.detail.service
                ),
            });
        };
        if event.detail.service != "MACIE" {
            return Ok(ExpiryEvent::Ignored {
                reason: format!(
                    "Health event {} names service {}, not MACIE",
                    event.detail.event_type_code, event.detail.service
                ),
            });
        }
        Ok(ExpiryEvent::Health(Box::new(HealthEvent {
            kind,
            account: event.account,
            region: event.region,
            resources: event.resources.unwrap_or_default(),
            detail: event.detail,
        })))
    }
}

/// The tags whose setting the expiry guard reacts to (`TagResource` of a key with this prefix).
pub const TAG_PREFIX: &str = "macie-guard:";

/// CloudTrail's record of Macie's TagResource (`requestParameters.resourceArn`, `.tags`: a
/// record's requestParameters are the request's members, as the Macie User Guide's CloudTrail
/// examples show them, "Logging Amazon Macie API calls with AWS CloudTrail"):
/// `Tagged` when it set a `macie-guard:` tag on a classification job; anything else is not
/// this function's.
fn tagged(value: &Value) -> Result<ExpiryEvent, Error> {
    let detail = value
        .get("detail")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::MalformedEvent("a CloudTrail event without a detail object".into())
        })?;
    let name = str_field(detail, "eventName")?.unwrap_or_default();
    if name != "TagResource" {
        return Ok(ExpiryEvent::Ignored {
            reason: format!("CloudTrail records of Macie's {name} are not the expiry guard's"),
        });
    }
    if detail.get("errorCode").is_some_and(|c| !c.is_null()) {
        return Ok(ExpiryEvent::Ignored {
            reason: "a TagResource call that failed changed no tag".into(),
        });
    }
    let params = detail
        .get("requestParameters")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            Error::MalformedEvent("a TagResource record without requestParameters".into())
        })?;
    let arn = str_field(params, "resourceArn")?.unwrap_or_default();
    let ours = params
        .get("tags")
        .and_then(Value::as_object)
        .is_some_and(|t| t.keys().any(|k| k.starts_with(TAG_PREFIX)));
    if !ours || !arn.contains(":classification-job/") {
        return Ok(ExpiryEvent::Ignored {
            reason: "a TagResource record that set no macie-guard: tag on a classification job"
                .into(),
        });
    }
    let on_expiry = params
        .get("tags")
        .and_then(|t| t.get(crate::expiry::policy::POLICY_TAG))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(ExpiryEvent::Tagged {
        resource_arn: arn.to_string(),
        on_expiry,
    })
}

/// Macie's job ids: 32 lowercase hexadecimal digits.
fn is_job_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What a string from an event says about a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobRef {
    /// A job of this account and Region.
    Mine(String),
    /// A job ARN of another account, Region or partition: never acted on.
    Foreign { arn: String, reason: String },
    /// Not a job reference at all.
    NotAJob,
}

impl JobRef {
    /// Reads a job ARN (`arn:*:macie2:*:*:classification-job/<id>`) or a bare job id.
    pub fn parse(s: &str, scope: &Scope) -> JobRef {
        let s = s.trim();
        if is_job_id(s) {
            return JobRef::Mine(s.to_string());
        }
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        let ["arn", partition, "macie2", region, account, resource] = parts.as_slice() else {
            return JobRef::NotAJob;
        };
        let Some(id) = resource.strip_prefix("classification-job/") else {
            return JobRef::NotAJob;
        };
        let foreign = |reason: String| JobRef::Foreign {
            arn: s.to_string(),
            reason,
        };
        if !is_job_id(id) {
            return foreign(format!("{id:?} is not a Macie job id (32 hex digits)"));
        }
        if *partition != scope.partition() || *region != scope.region {
            return foreign(format!(
                "the job is in {partition}/{region}; this function acts in {}/{} only",
                scope.partition(),
                scope.region
            ));
        }
        if *account != scope.account {
            return foreign(format!(
                "the job belongs to account {account}; this function acts in account {} only",
                scope.account
            ));
        }
        JobRef::Mine(id.to_string())
    }
}

#[cfg(test)]
mod tests;
