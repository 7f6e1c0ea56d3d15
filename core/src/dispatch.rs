//! Which function an event belongs to, for `macie-guard handle FILE`: the same parsers the
//! Lambda functions use.

use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::expiry::event::ExpiryEvent;
use crate::export::event::ExportEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Function {
    Expiry,
    Export,
}

#[derive(Debug, Clone)]
pub enum Routed {
    Expiry(ExpiryEvent),
    Export(ExportEvent),
}

/// Routes an event: to `function` when given, else by what the event is. A bare schedule
/// envelope fits both functions, so it needs `function`.
pub fn route(value: &Value, function: Option<Function>) -> Result<Routed, Error> {
    let get = |k: &str| value.get(k).and_then(Value::as_str);
    let function = match function {
        Some(f) => f,
        None => match (get("action"), get("detail-type")) {
            // Macie's TagResource is the expiry guard's (a job's tags); every other CloudTrail
            // record it handles is a change to the export configuration, its bucket or key.
            (_, Some("AWS API Call via CloudTrail"))
                if value["detail"]["eventName"] == "TagResource"
                    && get("source") == Some("aws.macie2") =>
            {
                Function::Expiry
            }
            (Some("check-export"), _) | (_, Some("AWS API Call via CloudTrail")) => Function::Export,
            (_, Some("Scheduled Event")) => {
                return Err(Error::MalformedEvent(
                    "a Scheduled Event fits both functions: say which with --function expiry or --function export".into(),
                ))
            }
            _ => Function::Expiry,
        },
    };
    Ok(match function {
        Function::Expiry => Routed::Expiry(ExpiryEvent::parse(value)?),
        Function::Export => Routed::Export(ExportEvent::parse(value)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes() {
        assert!(matches!(
            route(&json!({"action": "sweep"}), None).unwrap(),
            Routed::Expiry(_)
        ));
        assert!(matches!(
            route(&json!({"action": "check-export"}), None).unwrap(),
            Routed::Export(_)
        ));
        let trail = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.s3",
            "detail": {"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket", "awsRegion": "us-east-1", "requestParameters": {"bucketName": "b"}}});
        assert!(matches!(
            route(&trail, None).unwrap(),
            Routed::Export(ExportEvent::Change(_))
        ));
        let tagged = json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.macie2",
            "detail": {"eventSource": "macie2.amazonaws.com", "eventName": "TagResource",
                "requestParameters": {"resourceArn": "arn:aws:macie2:us-east-1:123456789012:classification-job/0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f",
                    "tags": {"macie-guard:on-lost": "recreate"}}}});
        assert!(matches!(
            route(&tagged, None).unwrap(),
            Routed::Expiry(ExpiryEvent::Tagged { .. })
        ));
        let sched = json!({"detail-type": "Scheduled Event", "source": "aws.scheduler"});
        assert!(route(&sched, None)
            .unwrap_err()
            .to_string()
            .contains("--function"));
        assert!(matches!(
            route(&sched, Some(Function::Export)).unwrap(),
            Routed::Export(ExportEvent::Check { .. })
        ));
        assert!(route(&json!([]), None).is_err());
    }
}
