//! Reading the run log: the journal watch and `macie-guard status`. Apart from writing, so
//! that the export guard, which only writes, reaches no read (its role has none).

use chrono::{DateTime, Utc};
use std::future::Future;

use crate::error::Result;
use macie_guard_core::schedule::liveness::{RunRecord, Runs};

use super::dynamo::{record_of, s, seen_of, stamp, time_of, DynamoRunLog};
use super::{runs_scope, AnyRunLog};
use macie_guard_core::hub::MembersSeen;

/// The item of the run log whose `watchedSince` is the watch's first look.
const WATCH: &str = "watch";

pub trait RunLogReader: Send + Sync {
    /// Every run's last success, and since when the watch has been looking (`now`, the first
    /// time it is asked: remembered).
    fn runs(&self, scope: &str, now: DateTime<Utc>) -> impl Future<Output = Result<Runs>> + Send;
    /// The same, changing nothing (`macie-guard status`): the watch's first look is `None`
    /// when it has not looked yet.
    fn recorded(
        &self,
        scope: &str,
    ) -> impl Future<Output = Result<(Vec<RunRecord>, Option<DateTime<Utc>>)>> + Send;
    /// What a hub's last runs saw of its members (`macie-guard status`); none elsewhere.
    fn members(&self, scope: &str) -> impl Future<Output = Result<Vec<MembersSeen>>> + Send;
}

impl DynamoRunLog {
    /// Every item of the run log's partition of `scope`: a handful, one page.
    async fn items(
        &self,
        scope: &str,
    ) -> Result<Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>>
    {
        let partition = runs_scope(scope);
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#s = :s")
            .expression_attribute_names("#s", "scope")
            .expression_attribute_values(":s", s(&partition))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| crate::Error::aws("DynamoDB", "Query", Some(&self.table), &e))?;
        Ok(page.items().to_vec())
    }
}

impl RunLogReader for DynamoRunLog {
    async fn members(&self, scope: &str) -> Result<Vec<MembersSeen>> {
        Ok(self
            .items(scope)
            .await?
            .iter()
            .filter_map(seen_of)
            .collect())
    }

    async fn recorded(&self, scope: &str) -> Result<(Vec<RunRecord>, Option<DateTime<Utc>>)> {
        let items = self.items(scope).await?;
        let records = items.iter().filter_map(record_of).collect();
        let watched = items
            .iter()
            .find(|i| {
                i.get("jobId")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some(WATCH)
            })
            .and_then(|i| time_of(i, "watchedSince"));
        Ok((records, watched))
    }

    async fn runs(&self, scope: &str, now: DateTime<Utc>) -> Result<Runs> {
        let (records, watched) = self.recorded(scope).await?;
        let watched_since = match watched {
            Some(t) => t,
            None => {
                // The first look, remembered once: of two watches, the first time stays.
                let out = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("scope", s(&runs_scope(scope)))
                    .key("jobId", s(WATCH))
                    .update_expression("SET watchedSince = if_not_exists(watchedSince, :now)")
                    .expression_attribute_values(":now", s(&stamp(now)))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
                    .send()
                    .await
                    .map_err(|e| {
                        crate::Error::aws("DynamoDB", "UpdateItem", Some(&self.table), &e)
                    })?;
                out.attributes()
                    .and_then(|a| time_of(a, "watchedSince"))
                    .unwrap_or(now)
            }
        };
        Ok(Runs {
            records,
            watched_since,
        })
    }
}

impl RunLogReader for AnyRunLog {
    async fn runs(&self, scope: &str, now: DateTime<Utc>) -> Result<Runs> {
        match self {
            AnyRunLog::Dynamo(l) => l.runs(scope, now).await,
            AnyRunLog::Memory(l) => Ok(l.runs(scope, now)),
        }
    }

    async fn recorded(&self, scope: &str) -> Result<(Vec<RunRecord>, Option<DateTime<Utc>>)> {
        match self {
            AnyRunLog::Dynamo(l) => l.recorded(scope).await,
            AnyRunLog::Memory(l) => Ok(l.recorded(scope)),
        }
    }

    async fn members(&self, scope: &str) -> Result<Vec<MembersSeen>> {
        match self {
            AnyRunLog::Dynamo(l) => l.members(scope).await,
            AnyRunLog::Memory(l) => Ok(l.members(scope)),
        }
    }
}
