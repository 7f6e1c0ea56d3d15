//! CloudWatch Embedded Metric Format: one JSON line on stdout per metric set; CloudWatch Logs
//! turns it into metrics with no API call.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const NAMESPACE: &str = "MacieGuard";

/// Counts by dimension values, written as EMF lines.
#[derive(Debug, Default)]
pub struct Counts {
    counts: BTreeMap<Vec<(String, String)>, u64>,
}

impl Counts {
    pub fn add(&mut self, dims: &[(&str, &str)]) {
        let key = dims
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        *self.counts.entry(key).or_default() += 1;
    }

    /// One EMF document per dimension set, metric `metric` (Count).
    pub fn emf_lines(&self, function: &str, metric: &str, now_ms: i64) -> Vec<String> {
        self.counts
            .iter()
            .map(|(dims, n)| {
                let mut doc = Map::new();
                let mut names: Vec<Value> = vec![json!("Function")];
                doc.insert("Function".into(), json!(function));
                for (k, v) in dims {
                    names.push(json!(k));
                    doc.insert(k.clone(), json!(v));
                }
                doc.insert(metric.into(), json!(n));
                doc.insert(
                    "_aws".into(),
                    json!({
                        "Timestamp": now_ms,
                        "CloudWatchMetrics": [{
                            "Namespace": NAMESPACE,
                            "Dimensions": [names],
                            "Metrics": [{"Name": metric, "Unit": "Count"}],
                        }],
                    }),
                );
                Value::Object(doc).to_string()
            })
            .collect()
    }

    /// Prints the EMF lines to stdout.
    pub fn emit(&self, function: &str, metric: &str) {
        for line in self.emf_lines(function, metric, chrono::Utc::now().timestamp_millis()) {
            println!("{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_documents_have_dimensions_and_counts() {
        let mut c = Counts::default();
        c.add(&[("Action", "resume"), ("Outcome", "done")]);
        c.add(&[("Action", "resume"), ("Outcome", "done")]);
        c.add(&[("Action", "warn"), ("Outcome", "notified")]);
        let lines = c.emf_lines("expiry-guard", "Decisions", 1_700_000_000_000);
        assert_eq!(lines.len(), 2);
        let doc: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(doc["Decisions"], 2);
        assert_eq!(doc["Action"], "resume");
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
            json!(["Function", "Action", "Outcome"])
        );
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000i64);
    }
}
