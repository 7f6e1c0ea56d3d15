//! The journal in a DynamoDB table: conditional writes make the lease, the intent and the
//! receipt hold across processes.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use std::collections::HashMap;

use crate::error::{Error, Result};
use macie_guard_core::expiry::plan::Action;

use super::{request_of, Claim, Entry, Journal, Watch, RECEIPT_DAYS, SCHEMA_VERSION, WATCH_PREFIX};

/// The table's sparse index of open entries: an entry carries `openScope` (its scope) from
/// its claim to its release, so the index holds the open entries alone.
pub const OPEN_INDEX: &str = "open";

/// The journal in a DynamoDB table (on-demand, created by the stack).
#[derive(Debug, Clone)]
pub struct DynamoJournal {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

/// The schema an item was written in (1 when it says none).
fn schema_of(item: &HashMap<String, AttributeValue>) -> u32 {
    item.get("schemaVersion")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

impl DynamoJournal {
    /// Every item a Query `shape` makes finds (consistent, every page).
    async fn query_all(
        &self,
        shape: impl Fn(
            aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<HashMap<String, AttributeValue>>> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = shape(self.client.query().table_name(&self.table))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| Error::aws("DynamoDB", "Query", Some(&self.table), &e))?;
            out.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// An open entry (one with an action) of a schema this code does not know: refused.
    fn known(&self, item: &HashMap<String, AttributeValue>) -> Result<()> {
        let found = schema_of(item);
        if item.contains_key("action") && found > SCHEMA_VERSION {
            return Err(Error::JournalSchema {
                table: self.table.clone(),
                job_id: item
                    .get("jobId")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }
}

fn entry_of(item: &HashMap<String, AttributeValue>) -> Option<Entry> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
    Some(Entry {
        job_id: text("jobId")?,
        owner: text("owner")?,
        lease_until: item.get("leaseUntil")?.as_n().ok()?.parse().ok()?,
        action: Action::parse(&text("action")?)?,
        policy: text("policy")?.parse().ok()?,
        paused_at: text("pausedAt").unwrap_or_default(),
        name: text("name").unwrap_or_default(),
        decided_at: text("decidedAt").unwrap_or_default(),
    })
}

impl Journal for DynamoJournal {
    async fn entries(&self, scope: &str) -> Result<Vec<Entry>> {
        let items = self
            .query_all(|q| {
                q.key_condition_expression("#s = :s")
                    .filter_expression("attribute_exists(#a)")
                    .expression_attribute_names("#s", "scope")
                    .expression_attribute_names("#a", "action")
                    .expression_attribute_values(":s", s(scope))
            })
            .await?;
        for item in &items {
            self.known(item)?;
        }
        Ok(items.iter().filter_map(entry_of).collect())
    }

    async fn open_scopes(&self) -> Result<Vec<String>> {
        // The sparse index holds only open entries: a Scan of it reads those alone. An entry
        // written before the index (no openScope) is in the function's own scope, which its
        // journal watch reads by Query.
        let mut scopes = std::collections::BTreeSet::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .index_name(OPEN_INDEX)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| Error::aws("DynamoDB", "Scan", Some(&self.table), &e))?;
            scopes.extend(
                page.items()
                    .iter()
                    .filter_map(|i| i.get("openScope").and_then(|v| v.as_s().ok()).cloned()),
            );
            match page.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(scopes.into_iter().collect()),
            }
        }
    }

    async fn claim(&self, scope: &str, entry: &Entry, now: i64) -> Result<Claim> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(&entry.job_id))
            .update_expression(
                "SET #o = :me, leaseUntil = :until, #a = :a, #p = :pol, pausedAt = :p, #n = :n, decidedAt = :d, expiresAt = :ttl, schemaVersion = :v, openScope = :s",
            )
            .condition_expression(
                "(attribute_not_exists(#o) OR #o = :me OR leaseUntil < :now OR begins_with(#o, :request)) AND (attribute_not_exists(donePausedAt) OR donePausedAt <> :p OR doneAction <> :a) AND (attribute_not_exists(#a) OR attribute_not_exists(schemaVersion) OR schemaVersion <= :v)",
            )
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#a", "action")
            .expression_attribute_names("#p", "policy")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":me", s(&entry.owner))
            // An earlier attempt of the same request (the owner's prefix up to `#`).
            .expression_attribute_values(":request", s(&format!("{}#", request_of(&entry.owner))))
            .expression_attribute_values(":until", AttributeValue::N(entry.lease_until.to_string()))
            .expression_attribute_values(":a", s(entry.action.as_str()))
            .expression_attribute_values(":pol", s(entry.policy.as_str()))
            .expression_attribute_values(":p", s(&entry.paused_at))
            .expression_attribute_values(":n", s(&entry.name))
            .expression_attribute_values(":d", s(&entry.decided_at))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":v", AttributeValue::N(SCHEMA_VERSION.to_string()))
            .expression_attribute_values(":s", s(scope))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((now + RECEIPT_DAYS * 86_400).to_string()),
            )
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Claim::Granted {
                previous: out
                    .attributes()
                    .and_then(entry_of)
                    .filter(|e| e.owner != entry.owner),
            }),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                // Held by another invocation, or this decision was carried out: one read.
                let held = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("scope", s(scope))
                    .key("jobId", s(&entry.job_id))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| Error::aws("DynamoDB", "GetItem", Some(&self.table), &e))?;
                let item = held.item().cloned().unwrap_or_default();
                // An open change of a newer macie-guard: not ours to read or to take.
                self.known(&item)?;
                let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                let receipt = (text("donePausedAt"), text("doneAction"));
                if receipt
                    == (
                        Some(entry.paused_at.clone()),
                        Some(entry.action.as_str().to_string()),
                    )
                {
                    return Ok(Claim::Done);
                }
                let open = entry_of(&item);
                Ok(Claim::Busy {
                    owner: open.as_ref().map(|h| h.owner.clone()).unwrap_or_default(),
                    until: open.map(|h| h.lease_until).unwrap_or_default(),
                })
            }
            Err(e) => Err(Error::aws("DynamoDB", "UpdateItem", Some(&self.table), &e)),
        }
    }

    async fn release(&self, scope: &str, job_id: &str, owner: &str, made: bool) -> Result<()> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(job_id))
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_names("#a", "action")
            .expression_attribute_names("#p", "policy")
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":me", s(owner));
        req = if made {
            req.update_expression(
                "SET donePausedAt = pausedAt, doneAction = #a REMOVE #o, leaseUntil, #a, #p, pausedAt, #n, decidedAt, openScope",
            )
        } else {
            req.update_expression(
                "REMOVE #o, leaseUntil, #a, #p, pausedAt, #n, decidedAt, openScope",
            )
        };
        match req.send().await {
            Ok(_) => Ok(()),
            // Taken over by another invocation (our lease ran out): theirs now.
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(Error::aws("DynamoDB", "UpdateItem", Some(&self.table), &e)),
        }
    }

    async fn renew(&self, scope: &str, job_id: &str, owner: &str, until: i64) -> Result<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(job_id))
            .update_expression("SET leaseUntil = :until")
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", AttributeValue::N(until.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(Error::aws("DynamoDB", "UpdateItem", Some(&self.table), &e)),
        }
    }

    async fn watch(&self, scope: &str, watch: &Watch) -> Result<()> {
        // One write, unconditional: whoever saw the job paused last says so. The item has no
        // `action`: it is never an entry (`entries` reads only those).
        self.client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(&format!("{WATCH_PREFIX}{}", watch.job_id)))
            .update_expression(
                "SET watchedJob = :j, #n = :n, jobExpiresAt = :e, seenPausedAt = :seen, expiresAt = :ttl, schemaVersion = :v",
            )
            .expression_attribute_names("#n", "name")
            .expression_attribute_values(":j", s(&watch.job_id))
            .expression_attribute_values(":n", s(&watch.name))
            .expression_attribute_values(":e", AttributeValue::N(watch.expires_at.to_string()))
            .expression_attribute_values(
                ":seen",
                AttributeValue::N(watch.seen_paused_at.to_string()),
            )
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((watch.expires_at + RECEIPT_DAYS * 86_400).to_string()),
            )
            .expression_attribute_values(":v", AttributeValue::N(SCHEMA_VERSION.to_string()))
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB", "UpdateItem", Some(&self.table), &e))?;
        Ok(())
    }

    async fn watches(&self, scope: &str) -> Result<Vec<Watch>> {
        let items = self
            .query_all(|q| {
                q.key_condition_expression("#s = :s AND begins_with(jobId, :w)")
                    .expression_attribute_names("#s", "scope")
                    .expression_attribute_values(":s", s(scope))
                    .expression_attribute_values(":w", s(WATCH_PREFIX))
            })
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let n = |k: &str| item.get(k)?.as_n().ok()?.parse::<i64>().ok();
                Some(Watch {
                    job_id: item.get("watchedJob")?.as_s().ok()?.clone(),
                    name: item
                        .get("name")
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default(),
                    expires_at: n("jobExpiresAt")?,
                    seen_paused_at: n("seenPausedAt")?,
                })
            })
            .collect())
    }

    async fn unwatch(&self, scope: &str, job_id: &str) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(&format!("{WATCH_PREFIX}{job_id}")))
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB", "DeleteItem", Some(&self.table), &e))?;
        Ok(())
    }

    async fn hand_over(&self, scope: &str, job_id: &str, owner: &str) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("scope", s(scope))
            .key("jobId", s(job_id))
            .update_expression("SET leaseUntil = :zero")
            .condition_expression("#o = :me")
            .expression_attribute_names("#o", "owner")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => Ok(()),
            Err(e) => Err(Error::aws("DynamoDB", "UpdateItem", Some(&self.table), &e)),
        }
    }
}
