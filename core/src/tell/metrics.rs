//! CloudWatch Embedded Metric Format: one JSON line on stdout per metric set; CloudWatch Logs
//! turns it into metrics with no API call.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use crate::schedule::liveness::{self, Liveness, RunKind};

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

    /// One EMF document per dimension set, metric `metric` (Count). Each carries `level`
    /// ([`emf_level`]) so that Lambda's log-level filtering keeps it.
    pub fn emf_lines(&self, function: &str, metric: &str, now_ms: i64, level: &str) -> Vec<String> {
        self.counts
            .iter()
            .map(|(dims, n)| {
                let dims: Vec<(&str, &str)> =
                    dims.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                emf_line(function, &dims, metric, *n, now_ms, level)
            })
            .collect()
    }
}

/// One EMF document: `metric` = `value` (Count) with dimensions `Function` and `dims`.
pub fn emf_line(
    function: &str,
    dims: &[(&str, &str)],
    metric: &str,
    value: u64,
    now_ms: i64,
    level: &str,
) -> String {
    let mut doc = Map::new();
    doc.insert("level".into(), json!(level));
    let mut names: Vec<Value> = vec![json!("Function")];
    doc.insert("Function".into(), json!(function));
    for (k, v) in dims {
        names.push(json!(k));
        doc.insert(k.to_string(), json!(v));
    }
    doc.insert(metric.into(), json!(value));
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
}

/// The journal watch's gauges: for each scheduled run, `Overdue` (1, or 0 on time) with
/// dimension `Run`, every time (its alarm reads a missing value as overdue); and
/// `JournalOpen`, the changes the journal holds open, only when there are some ([`gauge_line`]).
pub fn watch_lines(
    verdicts: &[(RunKind, Liveness)],
    journal_open: usize,
    now_ms: i64,
    level: &str,
) -> Vec<String> {
    let mut lines: Vec<String> = verdicts
        .iter()
        .map(|(kind, l)| {
            emf_line(
                "expiry-guard",
                &[("Run", kind.as_str())],
                liveness::METRIC,
                u64::from(l.overdue()),
                now_ms,
                level,
            )
        })
        .collect();
    lines.extend(gauge_line(
        "expiry-guard",
        JOURNAL_OPEN,
        journal_open as u64,
        now_ms,
        level,
    ));
    lines
}

/// A gauge other than `Overdue` (dimension Function = `function`): published only when it is
/// not zero. CloudWatch charges a custom metric by the hours it is published (CloudWatch
/// pricing), so a gauge written at every run whatever it says is a fixed monthly charge; one
/// written only when something is wrong costs only then. The alarms that read these gauges
/// take a missing value as not breaching.
pub fn gauge_line(
    function: &str,
    metric: &str,
    value: u64,
    now_ms: i64,
    level: &str,
) -> Option<String> {
    (value > 0).then(|| emf_line(function, &[], metric, value, now_ms, level))
}

/// The gauge of journal entries open, emitted by each watch.
pub const JOURNAL_OPEN: &str = "JournalOpen";

/// A hub's sweep and export check: account-Regions whose member role (or read-only role) could
/// not be assumed, and account-Regions not started for want of time.
pub const UNREACHED_MEMBERS: &str = "UnreachedMembers";
/// The `Function` dimension of [`UNREACHED_MEMBERS`]: both hub functions publish one gauge, so
/// one alarm metric (its Maximum over the period) hears either.
pub const HUB_FUNCTION: &str = "hub";
pub const DEFERRED_UNITS: &str = "DeferredUnits";

/// Every metric name the functions emit in [`NAMESPACE`], with the dimension names of each
/// (`Function` first): what the stack's alarms and dashboard may refer to.
pub const EMITTED: [(&str, &[&str]); 7] = [
    ("Decisions", &["Function", "Action", "Outcome"]),
    ("Findings", &["Function", "Severity"]),
    ("Checks", &["Function", "Result"]),
    (liveness::METRIC, &["Function", "Run"]),
    (JOURNAL_OPEN, &["Function"]),
    (UNREACHED_MEMBERS, &["Function"]),
    (DEFERRED_UNITS, &["Function"]),
];

/// The `level` of the EMF lines. Lambda's log-level filtering (JSON log format) drops lines
/// whose level is below the function's application log level, and reads a line without one
/// as INFO: at WARN or above every metric would be lost. The lines carry the configured level
/// (AWS_LAMBDA_LOG_LEVEL), never below INFO, so they pass whatever level an operator sets.
pub fn emf_level(lambda_log_level: Option<&str>) -> &'static str {
    match lambda_log_level.map(str::to_ascii_uppercase).as_deref() {
        Some("WARN") => "WARN",
        Some("ERROR") => "ERROR",
        Some("FATAL") => "FATAL",
        _ => "INFO",
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
        let lines = c.emf_lines("expiry-guard", "Decisions", 1_700_000_000_000, "INFO");
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
        assert_eq!(doc["level"], "INFO");
    }

    /// The watch publishes `Overdue` for each run whatever it says (its alarm reads a missing
    /// value as overdue), `JournalOpen` only when entries are open: a quiet stack publishes
    /// only the gauges its alarms need.
    #[test]
    fn only_the_overdue_gauges_are_published_at_zero() {
        let verdicts = [
            (RunKind::Sweep, Liveness::OnTime { last_started: None }),
            (
                RunKind::ExportCheck,
                Liveness::OnTime { last_started: None },
            ),
        ];
        let quiet = watch_lines(&verdicts, 0, 1_700_000_000_000, "INFO");
        assert_eq!(quiet.len(), 2, "{quiet:?}");
        assert!(
            quiet.iter().all(|l| l.contains("\"Overdue\":0")),
            "{quiet:?}"
        );
        let busy = watch_lines(&verdicts, 3, 1_700_000_000_000, "INFO");
        assert_eq!(busy.len(), 3);
        assert!(busy[2].contains("\"JournalOpen\":3"), "{busy:?}");
        assert_eq!(gauge_line("hub", UNREACHED_MEMBERS, 0, 0, "INFO"), None);
        let line = gauge_line("hub", UNREACHED_MEMBERS, 2, 0, "INFO").unwrap();
        let doc: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(doc[UNREACHED_MEMBERS], 2);
        assert_eq!(doc["Function"], "hub");
    }

    /// Whatever application log level an operator sets, the metric lines are at least as
    /// severe, so Lambda keeps them.
    #[test]
    fn metric_lines_pass_every_application_log_level() {
        let rank = |l: &str| {
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
                .iter()
                .position(|x| *x == l)
                .unwrap()
        };
        for set in [
            "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "warn", "Error",
        ] {
            let level = emf_level(Some(set));
            assert!(
                rank(level) >= rank(&set.to_ascii_uppercase()),
                "{set} -> {level}"
            );
            assert!(rank(level) >= rank("INFO"));
        }
        assert_eq!(emf_level(None), "INFO");
        assert_eq!(emf_level(Some("nonsense")), "INFO");
    }
}
