//! The events the export guard handles: schedules and CloudTrail records of changes that can
//! break the export configuration.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::expiry::event::{as_event_object, schedule_trigger, str_field};

/// What changed, as the CloudTrail record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "kebab-case")]
pub enum Changed {
    /// PutClassificationExportConfiguration.
    Configuration,
    Bucket(String),
    /// Every way the record names the key: the `keyId` parameter (ARN, id or alias) and the
    /// ARNs in the record's `resources`.
    Key(Vec<String>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub event_source: String,
    pub event_name: String,
    /// The Region of the call (`awsRegion`).
    pub region: String,
    pub account: Option<String>,
    pub changed: Changed,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ExportEvent {
    /// A schedule: check every configured Region.
    Check {
        trigger: String,
    },
    Change(Change),
    Ignored {
        reason: String,
    },
}

const KMS_EVENTS: [&str; 5] = [
    "DisableKey",
    "ScheduleKeyDeletion",
    "PutKeyPolicy",
    "CancelKeyDeletion",
    "EnableKey",
];
const S3_EVENTS: [&str; 3] = ["DeleteBucket", "PutBucketPolicy", "DeleteBucketPolicy"];

fn object<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a Map<String, Value>>, Error> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Error::MalformedEvent(format!(
            "field {field:?} must be an object"
        ))),
    }
}

fn required<'a>(obj: &'a Map<String, Value>, field: &str, within: &str) -> Result<&'a str, Error> {
    str_field(obj, field)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::MalformedEvent(format!("{within}.{field} is missing")))
}

impl ExportEvent {
    pub fn parse(value: &Value) -> Result<ExportEvent, Error> {
        let obj = as_event_object(value)?;
        if let Some(trigger) = schedule_trigger(obj, "check-export")? {
            return Ok(ExportEvent::Check { trigger });
        }
        let (Some(detail_type), Some(source)) =
            (str_field(obj, "detail-type")?, str_field(obj, "source")?)
        else {
            return Err(Error::MalformedEvent(
                "neither an EventBridge event (detail-type and source) nor {\"action\": \"check-export\"}".into(),
            ));
        };
        if detail_type != "AWS API Call via CloudTrail" {
            return Ok(ExportEvent::Ignored {
                reason: format!(
                    "{source} / {detail_type} events are not handled by the export guard"
                ),
            });
        }
        let detail = object(obj, "detail")?
            .ok_or_else(|| Error::MalformedEvent("detail is missing".into()))?;
        let event_source = required(detail, "eventSource", "detail")?;
        let event_name = required(detail, "eventName", "detail")?;
        let region = required(detail, "awsRegion", "detail")?;
        if let Some(code) = str_field(detail, "errorCode")? {
            return Ok(ExportEvent::Ignored {
                reason: format!("{event_name} failed ({code}), so nothing changed"),
            });
        }
        let params = object(detail, "requestParameters")?;
        let param = |name: &str| -> Result<&str, Error> {
            params
                .map(|p| required(p, name, "detail.requestParameters"))
                .unwrap_or_else(|| {
                    Err(Error::MalformedEvent(format!(
                        "detail.requestParameters is missing; {event_name} needs {name}"
                    )))
                })
        };
        let changed = match (event_source, event_name) {
            ("macie2.amazonaws.com", "PutClassificationExportConfiguration") => {
                Changed::Configuration
            }
            ("kms.amazonaws.com", name) if KMS_EVENTS.contains(&name) => {
                let mut ids = vec![param("keyId")?.to_string()];
                if let Some(resources) = detail.get("resources") {
                    let list = resources.as_array().ok_or_else(|| {
                        Error::MalformedEvent("detail.resources must be a list".into())
                    })?;
                    for r in list {
                        if let Some(arn) = r.get("ARN").and_then(Value::as_str) {
                            if !ids.iter().any(|i| i == arn) {
                                ids.push(arn.to_string());
                            }
                        }
                    }
                }
                Changed::Key(ids)
            }
            ("s3.amazonaws.com", name) if S3_EVENTS.contains(&name) => {
                Changed::Bucket(param("bucketName")?.to_string())
            }
            (src, name) => {
                return Ok(ExportEvent::Ignored {
                    reason: format!("{src} {name} cannot break the export configuration"),
                })
            }
        };
        Ok(ExportEvent::Change(Change {
            event_source: event_source.to_string(),
            event_name: event_name.to_string(),
            region: region.to_string(),
            account: str_field(obj, "account")?.map(str::to_string),
            changed,
        }))
    }
}

impl Changed {
    /// Whether this change touches a configuration that uses `bucket` and `key_arn`. A key
    /// named only by an alias cannot be matched without a call, so it counts as used.
    pub fn touches(&self, bucket: Option<&str>, key_arn: Option<&str>) -> bool {
        match self {
            Changed::Configuration => true,
            Changed::Bucket(b) => bucket == Some(b.as_str()),
            Changed::Key(ids) => {
                let Some(arn) = key_arn else { return false };
                let key_id = arn.rsplit_once(":key/").map(|(_, id)| id);
                ids.iter().any(|i| {
                    i == arn
                        || Some(i.as_str()) == key_id
                        || i.starts_with("alias/")
                        || i.contains(":alias/")
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn trail(source: &str, name: &str, params: Value) -> Value {
        json!({"version": "0", "id": "1", "detail-type": "AWS API Call via CloudTrail", "source": format!("aws.{}", source.split('.').next().unwrap()),
            "account": "123456789012", "region": "us-east-1",
            "detail": {"eventSource": source, "eventName": name, "awsRegion": "us-east-1", "requestParameters": params}})
    }

    #[test]
    fn routes_each_trigger() {
        assert!(matches!(
            ExportEvent::parse(&json!({"action": "check-export"})).unwrap(),
            ExportEvent::Check { .. }
        ));
        assert!(matches!(
            ExportEvent::parse(&json!({"detail-type": "Scheduled Event", "source": "aws.events"}))
                .unwrap(),
            ExportEvent::Check { .. }
        ));
        let e = ExportEvent::parse(&trail(
            "kms.amazonaws.com",
            "DisableKey",
            json!({"keyId": "k1"}),
        ))
        .unwrap();
        assert!(
            matches!(e, ExportEvent::Change(Change { changed: Changed::Key(ref ids), .. }) if ids == &vec!["k1".to_string()])
        );
        let e = ExportEvent::parse(&trail(
            "s3.amazonaws.com",
            "PutBucketPolicy",
            json!({"bucketName": "b"}),
        ))
        .unwrap();
        assert!(
            matches!(e, ExportEvent::Change(Change { changed: Changed::Bucket(ref b), .. }) if b == "b")
        );
        let e = ExportEvent::parse(&trail(
            "macie2.amazonaws.com",
            "PutClassificationExportConfiguration",
            json!({}),
        ))
        .unwrap();
        assert!(matches!(
            e,
            ExportEvent::Change(Change {
                changed: Changed::Configuration,
                ..
            })
        ));
        for ignored in [
            trail("s3.amazonaws.com", "PutObject", json!({"bucketName": "b"})),
            json!({"detail-type": "AWS Health Event", "source": "aws.health", "detail": {}}),
        ] {
            assert!(
                matches!(
                    ExportEvent::parse(&ignored).unwrap(),
                    ExportEvent::Ignored { .. }
                ),
                "{ignored}"
            );
        }
        let mut failed = trail("kms.amazonaws.com", "DisableKey", json!({"keyId": "k1"}));
        failed["detail"]["errorCode"] = json!("AccessDenied");
        assert!(matches!(
            ExportEvent::parse(&failed).unwrap(),
            ExportEvent::Ignored { .. }
        ));
    }

    #[test]
    fn malformed_events_name_the_field() {
        for (v, needle) in [
            (
                trail("kms.amazonaws.com", "DisableKey", json!({})),
                "requestParameters.keyId",
            ),
            (
                trail("s3.amazonaws.com", "DeleteBucket", Value::Null),
                "bucketName",
            ),
            (
                trail("s3.amazonaws.com", "DeleteBucket", json!({"bucketName": 3})),
                "bucketName",
            ),
            (
                json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.kms"}),
                "detail is missing",
            ),
            (
                json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.kms", "detail": {"eventName": "DisableKey"}}),
                "eventSource",
            ),
            (json!({"action": "sweep"}), "check-export"),
            (json!(42), "JSON object"),
        ] {
            let err = ExportEvent::parse(&v)
                .expect_err(&v.to_string())
                .to_string();
            assert!(err.contains(needle), "{v}: {err}");
        }
    }

    #[test]
    fn touches() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234";
        assert!(Changed::Key(vec!["1234".into()]).touches(Some("b"), Some(arn)));
        assert!(Changed::Key(vec![arn.into()]).touches(Some("b"), Some(arn)));
        assert!(Changed::Key(vec!["alias/results".into()]).touches(Some("b"), Some(arn)));
        assert!(!Changed::Key(vec!["9999".into()]).touches(Some("b"), Some(arn)));
        assert!(Changed::Bucket("b".into()).touches(Some("b"), Some(arn)));
        assert!(!Changed::Bucket("c".into()).touches(Some("b"), Some(arn)));
    }
}
