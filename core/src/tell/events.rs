//! macie-guard's own EventBridge events, as plain data: what the functions put on their
//! account's default bus (source `macie-guard`), and how they are cut into PutEvents requests.
//! The schemas are in docs/integrating.md ("Events macie-guard sends").

use serde::Serialize;
use serde_json::{json, Value};

/// The `source` of every event macie-guard puts.
pub const SOURCE: &str = "macie-guard";
/// One event per job decision a notification names.
pub const JOB_DECISION: &str = "Macie Guard Job Decision";
/// One event per export finding.
pub const EXPORT_FINDING: &str = "Macie Guard Export Finding";
/// The version of the detail schemas (`detail.schemaVersion`).
pub const SCHEMA_VERSION: &str = "1";

/// PutEvents takes at most 10 entries per request.
pub const MAX_ENTRIES: usize = 10;
/// PutEvents takes at most 256 KiB per request, the entries' sizes added up.
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// A detail larger than this drops its bulky fields (a lost job's definition, a statement)
/// and says so, so that every event fits a request of its own.
pub const MAX_DETAIL_BYTES: usize = 64 * 1024;

/// One event for the default bus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardEvent {
    pub detail_type: &'static str,
    /// ARNs the event is about (the job, the bucket, the key).
    pub resources: Vec<String>,
    pub detail: Value,
}

impl GuardEvent {
    /// Builds an event; a detail over [`MAX_DETAIL_BYTES`] loses the fields named in `bulky`
    /// (in order, as many as needed) and gains `"omitted": [...]` naming them.
    pub fn new(detail_type: &'static str, resources: Vec<String>, mut detail: Value) -> Self {
        let mut omitted = Vec::new();
        for field in ["definition", "statement", "message", "fix"] {
            if detail_len(&detail) <= MAX_DETAIL_BYTES {
                break;
            }
            if let Some(obj) = detail.as_object_mut() {
                if obj.remove(field).is_some() {
                    omitted.push(field);
                }
            }
        }
        if !omitted.is_empty() {
            detail["omitted"] = json!(omitted);
        }
        GuardEvent {
            detail_type,
            resources,
            detail,
        }
    }

    /// The detail as the JSON text PutEvents carries.
    pub fn detail_json(&self) -> String {
        serde_json::to_string(&self.detail).unwrap_or_else(|_| "{}".into())
    }

    /// The entry's size as EventBridge counts it ("Calculating PutEvents event entry size"):
    /// the UTF-8 bytes of source, detail-type, detail and each resource (no `Time` is sent).
    pub fn entry_size(&self) -> usize {
        SOURCE.len()
            + self.detail_type.len()
            + self.detail_json().len()
            + self.resources.iter().map(String::len).sum::<usize>()
    }
}

fn detail_len(v: &Value) -> usize {
    serde_json::to_string(v).map(|s| s.len()).unwrap_or(0)
}

/// Cuts `events` into PutEvents requests: at most [`MAX_ENTRIES`] each and at most
/// [`MAX_REQUEST_BYTES`] together, in order.
pub fn batches(events: &[GuardEvent]) -> Vec<&[GuardEvent]> {
    batches_within(
        events,
        MAX_ENTRIES,
        MAX_REQUEST_BYTES,
        GuardEvent::entry_size,
    )
}

/// Cuts `items` into consecutive requests of at most `max_items` items and `max_bytes`
/// bytes by `size`, in order (an item larger than `max_bytes` goes alone): for APIs that
/// limit both, such as PutEvents and BatchImportFindings.
pub fn batches_within<T>(
    items: &[T],
    max_items: usize,
    max_bytes: usize,
    size: impl Fn(&T) -> usize,
) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && (i - start == max_items || bytes + n > max_bytes) {
            out.push(&items[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += n;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bytes: usize) -> GuardEvent {
        GuardEvent::new(JOB_DECISION, vec![], json!({"pad": "x".repeat(bytes)}))
    }

    #[test]
    fn batches_hold_ten_entries_and_256_kib_at_most_in_order() {
        let small: Vec<GuardEvent> = (0..23).map(|_| event(10)).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [10, 10, 3]);

        // Five events of ~60 KiB: four fit under 256 KiB, the fifth starts a new request.
        let big: Vec<GuardEvent> = (0..5).map(|_| event(60 * 1024)).collect();
        let cut = batches(&big);
        assert_eq!(cut.iter().map(|b| b.len()).collect::<Vec<_>>(), [4, 1]);
        for b in &cut {
            assert!(b.iter().map(GuardEvent::entry_size).sum::<usize>() <= MAX_REQUEST_BYTES);
        }
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn a_detail_too_large_drops_its_bulky_fields_and_says_so() {
        let e = GuardEvent::new(
            JOB_DECISION,
            vec!["arn:aws:macie2:us-east-1:111122223333:classification-job/a".into()],
            json!({"jobId": "a", "message": "m", "definition": {"s3JobDefinition": "y".repeat(100_000)}}),
        );
        assert!(e.detail.get("definition").is_none());
        assert_eq!(e.detail["omitted"], json!(["definition"]));
        assert_eq!(e.detail["message"], "m", "only what was needed is dropped");
        assert!(e.entry_size() <= MAX_DETAIL_BYTES + 200);

        let small = GuardEvent::new(JOB_DECISION, vec![], json!({"definition": {"a": 1}}));
        assert!(small.detail.get("omitted").is_none());
        assert_eq!(small.detail["definition"], json!({"a": 1}));
    }

    #[test]
    fn the_size_counts_source_detail_type_detail_and_resources_in_utf8_bytes() {
        let e = GuardEvent::new(EXPORT_FINDING, vec!["arn:é".into()], json!({"a": "é"}));
        assert_eq!(
            e.entry_size(),
            "macie-guard".len() + EXPORT_FINDING.len() + "{\"a\":\"é\"}".len() + "arn:é".len()
        );
    }
}
