//! macie-guard's own events on the account's default EventBridge bus.

use crate::error::{describe_sdk_error, Error, Result};
use macie_guard_core::tell::events::{batches, GuardEvent, SOURCE};

/// The account's default EventBridge bus, where the functions put their events (source
/// `macie-guard`; rules forward them, for example to a central bus).
pub struct DefaultBus {
    pub client: aws_sdk_eventbridge::Client,
}

/// The bus a PutEvents without `EventBusName` reaches.
const DEFAULT_BUS: &str = "default";

impl DefaultBus {
    /// Puts every event, in requests of at most 10 entries and 256 KiB. Entries EventBridge
    /// refuses (`FailedEntryCount`) are sent once more; any still refused fail the call with
    /// the first refusal's code and message.
    pub async fn put(&self, events: &[GuardEvent]) -> Result<()> {
        for batch in batches(events) {
            let mut pending: Vec<&GuardEvent> = batch.iter().collect();
            let mut attempt = 0;
            loop {
                attempt += 1;
                let entries = pending.iter().map(|e| {
                    aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                        .source(SOURCE)
                        .detail_type(e.detail_type)
                        .detail(e.detail_json())
                        .set_resources(Some(e.resources.clone()))
                        .build()
                });
                let out = self
                    .client
                    .put_events()
                    .set_entries(Some(entries.collect()))
                    .send()
                    .await
                    .map_err(|e| Error::Events {
                        bus: DEFAULT_BUS.into(),
                        message: describe_sdk_error(&e),
                    })?;
                if out.failed_entry_count() == 0 {
                    break;
                }
                // Results come in the order of the entries; refused ones carry an error code.
                let refused: Vec<(&GuardEvent, String)> = pending
                    .iter()
                    .zip(out.entries())
                    .filter_map(|(e, r)| {
                        r.error_code().map(|code| {
                            (*e, format!("{code}: {}", r.error_message().unwrap_or("")))
                        })
                    })
                    .collect();
                if attempt == 2 || refused.is_empty() {
                    return Err(Error::Events {
                        bus: DEFAULT_BUS.into(),
                        message: format!(
                            "{} of {} event(s) refused: {}",
                            out.failed_entry_count(),
                            pending.len(),
                            refused
                                .first()
                                .map(|r| r.1.as_str())
                                .unwrap_or("no reason given")
                        ),
                    });
                }
                tracing::warn!(refused = refused.len(), first = %refused[0].1, "events refused, sending them once more");
                pending = refused.into_iter().map(|r| r.0).collect();
            }
        }
        Ok(())
    }
}
