//! Custom data identifiers and allow lists: what a job's definition refers to by id. Created,
//! read, listed and deleted as Macie's API Reference describes them (CreateCustomDataIdentifier:
//! `name` and `regex` required; CreateAllowList: `name`, `criteria` and `clientToken`
//! required, `criteria` exactly one of `regex` or `s3WordsList`); CreateClassificationJob
//! refuses an id that does not exist (`State::create_job`).

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use crate::error::ApiError;

#[derive(Debug, Default)]
pub struct Identifiers {
    custom: BTreeMap<String, Value>,
    allow_lists: BTreeMap<String, Value>,
    allow_list_tokens: BTreeMap<String, String>,
    next: u64,
}

fn text<'a>(body: &'a Map<String, Value>, field: &str, max: usize) -> Result<&'a str, ApiError> {
    match body.get(field) {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Ok(s),
        Some(Value::String(_)) => Err(ApiError::validation(format!(
            "{field} must be 1-{max} characters"
        ))),
        None | Some(Value::Null) => Err(ApiError::validation(format!("{field} is required"))),
        Some(_) => Err(ApiError::validation(format!("{field} must be a string"))),
    }
}

/// Seeds a custom data identifier or an allow list under a chosen id (scenario files).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentifierSeed {
    pub id: String,
    pub name: String,
    /// The custom data identifier's regex, or the allow list's.
    pub regex: String,
}

impl Identifiers {
    /// Seeds a custom data identifier (`allow_list` false) or an allow list with its id.
    pub fn seed(&mut self, seed: &IdentifierSeed, allow_list: bool, arn_prefix: &str, now: &str) {
        let kind = if allow_list {
            "allow-list"
        } else {
            "custom-data-identifier"
        };
        let mut item = serde_json::Map::new();
        item.insert("id".into(), json!(seed.id));
        item.insert("name".into(), json!(seed.name));
        item.insert(
            "arn".into(),
            json!(format!("{arn_prefix}:{kind}/{}", seed.id)),
        );
        item.insert("createdAt".into(), json!(now));
        if allow_list {
            item.insert("criteria".into(), json!({"regex": seed.regex}));
            item.insert("updatedAt".into(), json!(now));
            item.insert("status".into(), json!({"code": "OK"}));
            self.allow_lists
                .insert(seed.id.clone(), Value::Object(item));
        } else {
            item.insert("regex".into(), json!(seed.regex));
            item.insert("deleted".into(), json!(false));
            self.custom.insert(seed.id.clone(), Value::Object(item));
        }
    }

    fn new_id(&mut self, salt: u64) -> String {
        self.next += 1;
        format!("{:016x}{:016x}", salt, self.next)
    }

    pub fn custom_exists(&self, id: &str) -> bool {
        self.custom.contains_key(id)
    }

    pub fn allow_list_exists(&self, id: &str) -> bool {
        self.allow_lists.contains_key(id)
    }

    /// CreateCustomDataIdentifier: name (at most 128) and regex (at most 512) required.
    pub fn create_custom(
        &mut self,
        body: &Value,
        arn_prefix: &str,
        salt: u64,
        now: &str,
    ) -> Result<Value, ApiError> {
        let b = body
            .as_object()
            .ok_or_else(|| ApiError::validation("the request body must be a JSON object"))?;
        let name = text(b, "name", 128)?.to_string();
        let regex = text(b, "regex", 512)?.to_string();
        let id = self.new_id(salt);
        let mut item = b.clone();
        item.remove("clientToken");
        item.insert("id".into(), json!(id));
        item.insert("name".into(), json!(name));
        item.insert("regex".into(), json!(regex));
        item.insert(
            "arn".into(),
            json!(format!("{arn_prefix}:custom-data-identifier/{id}")),
        );
        item.insert("createdAt".into(), json!(now));
        item.insert("deleted".into(), json!(false));
        self.custom.insert(id.clone(), Value::Object(item));
        Ok(json!({"customDataIdentifierId": id}))
    }

    pub fn get_custom(&self, id: &str) -> Result<Value, ApiError> {
        self.custom.get(id).cloned().ok_or_else(|| {
            ApiError::not_found(format!("custom data identifier {id} does not exist"))
        })
    }

    /// BatchGetCustomDataIdentifiers: the ones found, and the ids not found.
    pub fn batch_get_custom(&self, body: &Value) -> Result<Value, ApiError> {
        let ids: Vec<String> = body
            .get("ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if ids.len() > 50 {
            return Err(ApiError::validation("ids: at most 50 ids per request"));
        }
        let (found, missing): (Vec<&String>, Vec<&String>) =
            ids.iter().partition(|id| self.custom.contains_key(*id));
        let summaries: Vec<Value> = found
            .iter()
            .map(|id| {
                let c = &self.custom[*id];
                json!({"id": c["id"], "arn": c["arn"], "name": c["name"], "createdAt": c["createdAt"], "deleted": false})
            })
            .collect();
        Ok(json!({"customDataIdentifiers": summaries, "notFoundIdentifierIds": missing}))
    }

    pub fn list_custom(&self) -> Value {
        let items: Vec<Value> = self
            .custom
            .values()
            .map(|c| json!({"id": c["id"], "arn": c["arn"], "name": c["name"], "createdAt": c["createdAt"]}))
            .collect();
        json!({"items": items})
    }

    pub fn delete_custom(&mut self, id: &str) -> Result<Value, ApiError> {
        self.custom.remove(id).map(|_| json!({})).ok_or_else(|| {
            ApiError::not_found(format!("custom data identifier {id} does not exist"))
        })
    }

    /// CreateAllowList: name (at most 128), clientToken and criteria (exactly one of regex or
    /// s3WordsList) required; the same token gives the same list.
    pub fn create_allow_list(
        &mut self,
        body: &Value,
        arn_prefix: &str,
        salt: u64,
        now: &str,
    ) -> Result<Value, ApiError> {
        let b = body
            .as_object()
            .ok_or_else(|| ApiError::validation("the request body must be a JSON object"))?;
        let token = text(b, "clientToken", 256)?.to_string();
        if let Some(id) = self.allow_list_tokens.get(&token) {
            let l = &self.allow_lists[id];
            return Ok(json!({"id": id, "arn": l["arn"]}));
        }
        let name = text(b, "name", 128)?.to_string();
        let criteria = b
            .get("criteria")
            .and_then(Value::as_object)
            .ok_or_else(|| ApiError::validation("criteria is required"))?;
        if criteria.contains_key("regex") == criteria.contains_key("s3WordsList") {
            return Err(ApiError::validation(
                "criteria needs exactly one of regex or s3WordsList",
            ));
        }
        let id = self.new_id(salt);
        let arn = format!("{arn_prefix}:allow-list/{id}");
        let mut item = b.clone();
        item.remove("clientToken");
        item.insert("id".into(), json!(id));
        item.insert("name".into(), json!(name));
        item.insert("arn".into(), json!(arn));
        item.insert("createdAt".into(), json!(now));
        item.insert("updatedAt".into(), json!(now));
        item.insert("status".into(), json!({"code": "OK"}));
        self.allow_lists.insert(id.clone(), Value::Object(item));
        self.allow_list_tokens.insert(token, id.clone());
        Ok(json!({"id": id, "arn": arn}))
    }

    pub fn get_allow_list(&self, id: &str) -> Result<Value, ApiError> {
        self.allow_lists
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("allow list {id} does not exist")))
    }

    pub fn list_allow_lists(&self) -> Value {
        let items: Vec<Value> = self
            .allow_lists
            .values()
            .map(|l| json!({"id": l["id"], "arn": l["arn"], "name": l["name"], "createdAt": l["createdAt"], "updatedAt": l["updatedAt"]}))
            .collect();
        json!({"allowLists": items})
    }

    pub fn delete_allow_list(&mut self, id: &str) -> Result<Value, ApiError> {
        self.allow_lists
            .remove(id)
            .map(|_| json!({}))
            .ok_or_else(|| ApiError::not_found(format!("allow list {id} does not exist")))
    }
}
