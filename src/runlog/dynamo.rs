//! The run log in the journal's DynamoDB table: writing a run's success (the one call the
//! export guard makes here, UpdateItem on its own partition).

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use crate::error::Result;
use macie_guard_core::schedule::liveness::{RunKind, RunRecord};
use macie_guard_core::severity::Severity;

use super::{runs_scope, seen_key, RunLog};
use macie_guard_core::hub::MembersSeen;

/// The run log in the journal table.
#[derive(Debug, Clone)]
pub struct DynamoRunLog {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

pub(super) fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

pub(super) fn time_of(item: &HashMap<String, AttributeValue>, key: &str) -> Option<DateTime<Utc>> {
    let text = item.get(key)?.as_s().ok()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn record_of(item: &HashMap<String, AttributeValue>) -> Option<RunRecord> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(RunRecord {
        kind: RunKind::parse(&text("jobId")?)?,
        started_at: time_of(item, "startedAt")?,
        finished_at: time_of(item, "finishedAt")?,
        result: text("result").unwrap_or_default(),
        version: text("version").unwrap_or_default(),
        worst: text("worst").as_deref().and_then(Severity::parse),
    })
}

impl RunLog for DynamoRunLog {
    async fn succeeded(&self, scope: &str, run: &RunRecord) -> Result<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(&runs_scope(scope)))
            .key("jobId", s(run.kind.as_str()))
            // A late retry of an older run never replaces a newer one (RFC 3339 in UTC sorts
            // as time does).
            .condition_expression("attribute_not_exists(startedAt) OR startedAt <= :started")
            .update_expression(match run.worst {
                Some(_) => "SET startedAt = :started, finishedAt = :finished, #r = :result, version = :version, worst = :worst",
                None => "SET startedAt = :started, finishedAt = :finished, #r = :result, version = :version REMOVE worst",
            })
            .expression_attribute_names("#r", "result")
            .expression_attribute_values(":started", s(&stamp(run.started_at)))
            .expression_attribute_values(":finished", s(&stamp(run.finished_at)))
            .expression_attribute_values(":result", s(&run.result))
            .expression_attribute_values(":version", s(&run.version));
        let update = match run.worst {
            Some(w) => update.expression_attribute_values(":worst", s(w.as_str())),
            None => update,
        };
        let result = update.send().await;
        self.kept_newer(result)
    }

    async fn seen(&self, scope: &str, seen: &MembersSeen) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(&runs_scope(scope)))
            .key("jobId", s(&seen_key(&seen.run)))
            // An older run's view never replaces a newer one's.
            .condition_expression("attribute_not_exists(seenAt) OR seenAt <= :at")
            .update_expression("SET seenAt = :at, seen = :seen")
            .expression_attribute_values(":at", s(&stamp(seen.at)))
            .expression_attribute_values(
                ":seen",
                s(&serde_json::to_string(seen).unwrap_or_default()),
            )
            .send()
            .await;
        self.kept_newer(result)
    }
}

impl DynamoRunLog {
    /// An update whose condition kept a newer item in place is done; any other failure is
    /// said.
    fn kept_newer<T>(
        &self,
        result: std::result::Result<
            T,
            aws_sdk_dynamodb::error::SdkError<
                aws_sdk_dynamodb::operation::update_item::UpdateItemError,
                aws_sdk_dynamodb::config::http::HttpResponse,
            >,
        >,
    ) -> Result<()> {
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(crate::Error::aws(
                "DynamoDB",
                "UpdateItem",
                Some(&self.table),
                &e,
            )),
        }
    }
}

/// What a hub's run saw of its members, from its run log item (`members#RUN`).
pub(super) fn seen_of(item: &HashMap<String, AttributeValue>) -> Option<MembersSeen> {
    let key = item.get("jobId")?.as_s().ok()?;
    key.strip_prefix("members#")?;
    serde_json::from_str(item.get("seen")?.as_s().ok()?).ok()
}

/// A time as the run log stores it: RFC 3339, UTC, to the millisecond (fixed width, so that
/// stored times compare as strings in the order of time).
pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
