//! The events the export guard handles: schedules and CloudTrail records of changes that can
//! break the export configuration.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::envelope::{as_event_object, schedule_trigger, str_field};
use crate::error::Error;

/// What changed, as the CloudTrail record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "kebab-case")]
pub enum Changed {
    /// PutClassificationExportConfiguration.
    Configuration,
    /// The bucket the record names; `None` when it names none (then every configuration's
    /// bucket is checked).
    Bucket(Option<String>),
    /// Every way the record names the key: the `keyId` parameter (ARN, id or alias) and the
    /// ARNs in the record's `resources`; empty when it names none (then every configuration's
    /// key is checked).
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
        // Absent, null and empty say the same: the call succeeded.
        if let Some(code) = str_field(detail, "errorCode")?.filter(|c| !c.trim().is_empty()) {
            return Ok(ExportEvent::Ignored {
                reason: format!("{event_name} failed ({code}), so nothing changed"),
            });
        }
        let params = object(detail, "requestParameters")?;
        // A parameter the record does not give (absent, null, empty) is None: the guard then
        // checks everything the call could have touched. A parameter of the wrong type is
        // malformed.
        let param = |name: &str| -> Result<Option<String>, Error> {
            match params.map(|p| str_field(p, name)).transpose()? {
                Some(Some(v)) if !v.trim().is_empty() => Ok(Some(v.to_string())),
                _ => Ok(None),
            }
        };
        let changed = match (event_source, event_name) {
            ("macie2.amazonaws.com", "PutClassificationExportConfiguration") => {
                Changed::Configuration
            }
            ("kms.amazonaws.com", name) if KMS_EVENTS.contains(&name) => {
                let mut ids: Vec<String> = param("keyId")?.into_iter().collect();
                match detail.get("resources") {
                    None | Some(Value::Null) => {}
                    Some(Value::Array(list)) => {
                        for r in list {
                            let arn = match r {
                                Value::Object(o) => match o.get("ARN") {
                                    None | Some(Value::Null) => None,
                                    Some(Value::String(a)) => Some(a.as_str()),
                                    Some(_) => {
                                        return Err(Error::MalformedEvent(
                                            "detail.resources[].ARN must be a string".into(),
                                        ))
                                    }
                                },
                                Value::Null => None,
                                _ => {
                                    return Err(Error::MalformedEvent(
                                        "detail.resources must be a list of objects".into(),
                                    ))
                                }
                            };
                            if let Some(arn) = arn.filter(|a| !a.trim().is_empty()) {
                                if !ids.iter().any(|i| i == arn) {
                                    ids.push(arn.to_string());
                                }
                            }
                        }
                    }
                    Some(_) => {
                        return Err(Error::MalformedEvent(
                            "detail.resources must be a list".into(),
                        ))
                    }
                }
                Changed::Key(ids)
            }
            ("s3.amazonaws.com", name) if S3_EVENTS.contains(&name) => {
                Changed::Bucket(param("bucketName")?)
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
            Changed::Bucket(None) => true,
            Changed::Bucket(Some(b)) => bucket == Some(b.as_str()),
            Changed::Key(ids) if ids.is_empty() => true,
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
            matches!(e, ExportEvent::Change(Change { changed: Changed::Bucket(Some(ref b)), .. }) if b == "b")
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

    /// Shapes seen in real records: null resources, an empty errorCode on a call that
    /// succeeded, null or missing request parameters. Absent, null and empty are the same.
    #[test]
    fn real_records_as_they_come() {
        let mut e = trail("kms.amazonaws.com", "DisableKey", json!({"keyId": "k1"}));
        e["detail"]["errorCode"] = json!("");
        e["detail"]["errorMessage"] = Value::Null;
        e["detail"]["resources"] = Value::Null;
        assert!(
            matches!(ExportEvent::parse(&e).unwrap(), ExportEvent::Change(Change { changed: Changed::Key(ref ids), .. }) if ids == &vec!["k1".to_string()]),
            "{e}"
        );
        for params in [
            Value::Null,
            json!({}),
            json!({"keyId": null}),
            json!({"keyId": ""}),
        ] {
            let mut e = trail("kms.amazonaws.com", "ScheduleKeyDeletion", params.clone());
            e["detail"]["resources"] = json!([{"ARN": "arn:aws:kms:us-east-1:123456789012:key/1234", "accountId": "123456789012", "type": "AWS::KMS::Key"}]);
            assert!(
                matches!(ExportEvent::parse(&e).unwrap(), ExportEvent::Change(Change { changed: Changed::Key(ref ids), .. }) if ids == &vec!["arn:aws:kms:us-east-1:123456789012:key/1234".to_string()]),
                "{params}"
            );
            let mut bare = trail("kms.amazonaws.com", "PutKeyPolicy", params.clone());
            bare["detail"]["resources"] = json!(null);
            assert!(
                matches!(ExportEvent::parse(&bare).unwrap(), ExportEvent::Change(Change { changed: Changed::Key(ref ids), .. }) if ids.is_empty()),
                "{params}"
            );
        }
        let mut e = trail("s3.amazonaws.com", "DeleteBucketPolicy", Value::Null);
        e["detail"]["requestParameters"] = Value::Null;
        e["detail"]["errorCode"] = json!("  ");
        assert!(matches!(
            ExportEvent::parse(&e).unwrap(),
            ExportEvent::Change(Change {
                changed: Changed::Bucket(None),
                ..
            })
        ));
        let mut missing = trail("s3.amazonaws.com", "PutBucketPolicy", json!({}));
        missing["detail"]
            .as_object_mut()
            .unwrap()
            .remove("requestParameters");
        assert!(matches!(
            ExportEvent::parse(&missing).unwrap(),
            ExportEvent::Change(Change {
                changed: Changed::Bucket(None),
                ..
            })
        ));
    }

    #[test]
    fn malformed_events_name_the_field() {
        for (v, needle) in [
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
            (
                {
                    let mut e = trail("kms.amazonaws.com", "DisableKey", json!({"keyId": "k"}));
                    e["detail"]["resources"] = json!("arn");
                    e
                },
                "resources must be a list",
            ),
            (
                trail("kms.amazonaws.com", "DisableKey", json!({"keyId": 7})),
                "keyId",
            ),
            (
                trail("kms.amazonaws.com", "DisableKey", json!(["keyId"])),
                "requestParameters",
            ),
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
        assert!(Changed::Bucket(Some("b".into())).touches(Some("b"), Some(arn)));
        assert!(!Changed::Bucket(Some("c".into())).touches(Some("b"), Some(arn)));
        // A record that names nothing touches everything it could have touched.
        assert!(Changed::Bucket(None).touches(Some("b"), Some(arn)));
        assert!(Changed::Key(vec![]).touches(Some("b"), Some(arn)));
    }
}
