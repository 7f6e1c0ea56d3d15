//! The EventBridge envelope both guards receive: the top-level object, string fields that
//! may be absent or null, a schedule's input, and typed details with the failing path named.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a field that must be a string when present.
pub fn str_field<'a>(
    obj: &'a serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, Error> {
    match obj.get(field) {
        // Absent and null say the same.
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Error::MalformedEvent(format!(
            "field {field:?} must be a string, not {}",
            kind_of(other)
        ))),
    }
}

/// Parses an EventBridge envelope with a typed detail; errors name the path that failed.
pub fn envelope<T: serde::de::DeserializeOwned + Serialize>(
    value: &Value,
) -> Result<EventBridgeEvent<T>, Error> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| Error::MalformedEvent(format!("at {}: {}", e.path(), e.inner())))
}

/// A schedule's input: an EventBridge "Scheduled Event" envelope, or a plain
/// `{"action": "sweep"}` (a target with custom input gets no envelope).
pub fn schedule_trigger(
    obj: &serde_json::Map<String, Value>,
    action: &str,
) -> Result<Option<String>, Error> {
    if let Some(a) = str_field(obj, "action")? {
        if a == action {
            return Ok(Some("action".into()));
        }
        return Err(Error::MalformedEvent(format!(
            "action {a:?} is not known; this function takes {{\"action\": \"{action}\"}}"
        )));
    }
    let detail_type = str_field(obj, "detail-type")?;
    let source = str_field(obj, "source")?;
    if detail_type == Some("Scheduled Event")
        && matches!(source, Some("aws.events" | "aws.scheduler"))
    {
        return Ok(Some("schedule".into()));
    }
    Ok(None)
}

/// The top of every event: an object, either an EventBridge envelope or a plain action.
pub fn as_event_object(value: &Value) -> Result<&serde_json::Map<String, Value>, Error> {
    value.as_object().ok_or_else(|| {
        Error::MalformedEvent(format!(
            "the event must be a JSON object, not {}",
            kind_of(value)
        ))
    })
}
