//! Request bodies arrive as JSON values and are validated here, field by field, so every
//! ValidationException names the field that is wrong; and the export configuration's fields.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

use crate::error::ApiError;

pub(super) fn obj<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| ApiError::validation(format!("{field} must be a JSON object")))
}

pub(super) fn opt_str<'a>(
    body: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::validation(format!("{field} must be a string"))),
    }
}

pub(super) fn req_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    opt_str(body, field)?.ok_or_else(|| ApiError::validation(format!("{field} is required")))
}

pub(super) fn enum_field<T>(
    body: &Map<String, Value>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>, ApiError> {
    match opt_str(body, field)? {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            ApiError::validation(format!(
                "{field} has an unknown value {s:?}; use one of {allowed}"
            ))
        }),
    }
}

pub(super) const STATUSES: &str = "RUNNING, PAUSED, USER_PAUSED, IDLE, COMPLETE, CANCELLED";

pub(super) const TYPES: &str = "ONE_TIME, SCHEDULED";

pub(super) fn tags_field(
    body: &Map<String, Value>,
    field: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut tags = BTreeMap::new();
    let Some(v) = body.get(field) else {
        return Ok(tags);
    };
    let map = obj(v, field)?;
    if map.len() > 50 {
        return Err(ApiError::validation(format!(
            "{field} has {} tags; at most 50 are allowed",
            map.len()
        )));
    }
    for (k, v) in map {
        let Value::String(s) = v else {
            return Err(ApiError::validation(format!(
                "{field}.{k} must be a string"
            )));
        };
        if k.is_empty() || k.chars().count() > 128 || s.chars().count() > 256 {
            return Err(ApiError::validation(format!(
                "{field}.{k}: tag keys are 1-128 characters and values at most 256"
            )));
        }
        tags.insert(k.clone(), s.clone());
    }
    Ok(tags)
}

pub fn validate_export_configuration(body: &Value) -> Result<Value, ApiError> {
    let body = obj(body, "request body")?;
    let config = body
        .get("configuration")
        .ok_or_else(|| ApiError::validation("configuration is required"))?;
    let config_obj = obj(config, "configuration")?;
    if let Some(dest) = config_obj.get("s3Destination") {
        let dest = obj(dest, "configuration.s3Destination")?;
        for field in ["bucketName", "kmsKeyArn"] {
            match opt_str(dest, field)? {
                Some(s) if !s.is_empty() => {}
                _ => {
                    return Err(ApiError::validation(format!(
                        "configuration.s3Destination.{field} is required"
                    )))
                }
            }
        }
        opt_str(dest, "keyPrefix")?;
    }
    Ok(config.clone())
}
