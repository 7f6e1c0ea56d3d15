//! The hub's work queue: the shares of a run whose time ran out (an account and its Regions
//! still to do), sent to the SQS queue that invokes the same function for each (Lambda's event
//! source mapping, partial batch responses: a share that fails is received again, and after
//! its last try lands in the stack's dead-letter queue). Sent with a signed SendMessageBatch
//! call: the SQS client would add its weight to the functions for one call.

use std::sync::Mutex;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::signed::{Request, Signed, SQS};
use macie_guard_core::hub::Share;

/// SendMessageBatch takes at most ten messages (SQS API Reference, SendMessageBatch).
const BATCH: usize = 10;

/// How long the queue's calls may take in all: they run in the reserve the run keeps.
const SEND_BUDGET: std::time::Duration = std::time::Duration::from_secs(45);

/// Where the shares go: the stack's queue (HUB_QUEUE_URL), or a list (the tests').
pub enum WorkQueue {
    Sqs {
        calls: Box<Signed>,
        url: String,
        region: String,
    },
    Memory(Mutex<Vec<Share>>),
}

impl WorkQueue {
    /// The stack's queue at `url` (its Region is the function's).
    pub fn sqs(sdk: &aws_config::SdkConfig, url: String, region: String) -> WorkQueue {
        WorkQueue::Sqs {
            calls: Box::new(Signed::new(sdk, SQS)),
            url,
            region,
        }
    }

    /// A queue in memory.
    pub fn memory() -> WorkQueue {
        WorkQueue::Memory(Mutex::new(Vec::new()))
    }

    /// The shares sent to a queue in memory.
    pub fn sent(&self) -> Vec<Share> {
        match self {
            WorkQueue::Memory(m) => m.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            WorkQueue::Sqs { .. } => Vec::new(),
        }
    }

    /// Sends every share, ten to a call; an error names the first share SQS did not take.
    pub async fn send(&self, shares: &[Share]) -> Result<()> {
        match self {
            WorkQueue::Memory(m) => {
                m.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(shares);
                Ok(())
            }
            WorkQueue::Sqs { calls, url, region } => {
                let until = Instant::now() + SEND_BUDGET;
                for batch in shares.chunks(BATCH) {
                    let entries: Vec<serde_json::Value> = batch
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            serde_json::json!({
                                "Id": i.to_string(),
                                "MessageBody": serde_json::to_string(s).unwrap_or_default(),
                            })
                        })
                        .collect();
                    let body = serde_json::json!({"QueueUrl": url, "Entries": entries});
                    let request = Request::json_1_0("AmazonSQS.SendMessageBatch".into(), &body);
                    let text = calls
                        .send(region, "SendMessageBatch", request, until)
                        .await
                        .map_err(|e| queue_error(url, &e.to_string()))?;
                    let answer: serde_json::Value =
                        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                    if let Some(failed) = answer["Failed"].as_array().and_then(|f| f.first()) {
                        let i: usize = failed["Id"].as_str().unwrap_or("0").parse().unwrap_or(0);
                        let account = batch.get(i).map(|s| s.account.as_str()).unwrap_or("?");
                        return Err(queue_error(
                            url,
                            &format!(
                                "the share of account {account} was refused: {} {}",
                                failed["Code"].as_str().unwrap_or("?"),
                                failed["Message"].as_str().unwrap_or("")
                            ),
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

fn queue_error(url: &str, why: &str) -> Error {
    Error::Queue {
        url: url.to_string(),
        reason: why.to_string(),
    }
}
