//! How the export guard's outcome is told: the message people get, the events for the
//! default bus, the metrics, and the CLI's text. Values from AWS stay exact in the JSON and are
//! escaped ([`safe`]) wherever they become readable text.

use serde_json::json;

use crate::delivery::Delivery;
use crate::export::checks::Finding;
use crate::export::facts::ConfigFact;
use crate::export::outcome::ExportReport;
use crate::severity::Severity;
use crate::tell::events::{GuardEvent, EXPORT_FINDING, SCHEMA_VERSION};
use crate::tell::metrics::Counts;
use crate::tell::notification::Notification;
use crate::text::{quoted, safe};

/// The readable notification of a report: what people should know, escaped.
pub fn notification(account: &str, report: &ExportReport) -> Option<Notification> {
    let relevant = |f: &&Finding| {
        f.severity >= Severity::Warning
            && match (&report.changed_resource, report.trigger.as_str()) {
                (Some(res), t) if t != "change:PutClassificationExportConfiguration" => {
                    &f.resource == res
                }
                _ => true,
            }
    };
    let mut told = Vec::new();
    for r in &report.regions {
        for f in r.findings.iter().filter(relevant) {
            told.push((r.region.as_str(), f));
        }
    }
    if told.is_empty() {
        return None;
    }
    let critical = told
        .iter()
        .filter(|(_, f)| f.severity == Severity::Critical)
        .count();
    let severity = if critical > 0 {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let regions: Vec<&str> = report.regions.iter().map(|r| r.region.as_str()).collect();
    let subject = format!(
        "Macie discovery results at risk in {} {}: {} critical, {} warning",
        account,
        regions.join(","),
        critical,
        told.len() - critical
    );
    let mut text = format!(
        "macie-guard checked where Amazon Macie stores its sensitive data discovery results in account {} ({}), trigger {}.\n\
         While this is broken, Macie cannot store the discovery results that audits and investigations rely on.\n",
        account,
        regions.join(", "),
        safe(&report.trigger)
    );
    for (region, f) in &told {
        text.push_str(&format!(
            "\n[{}] {} ({region})\n  {}\n  Fix: {}\n",
            f.severity.as_str(),
            f.code,
            // Values from AWS (bucket names, error messages) stay on their line, escaped.
            safe(&f.message),
            safe(&f.fix)
        ));
        if let Some(st) = &f.statement {
            text.push_str(&format!(
                "  Statement to add:\n{}\n",
                serde_json::to_string_pretty(st).unwrap_or_default()
            ));
        }
    }
    let facts = json!({
        "account": account,
        "trigger": report.trigger,
        "changedResource": report.changed_resource,
        "findings": told.iter().map(|(region, f)| json!({"region": region, "finding": f})).collect::<Vec<_>>(),
    });
    let mut next_steps: Vec<String> = Vec::new();
    let mut resources: Vec<String> = Vec::new();
    for (_, f) in &told {
        let fix = safe(&f.fix);
        if !next_steps.contains(&fix) {
            next_steps.push(fix);
        }
        if f.resource.starts_with("arn:") && !resources.contains(&f.resource) {
            resources.push(f.resource.clone());
        }
    }
    Some(Notification {
        subject,
        text,
        facts,
        kind: "export",
        severity,
        thread: format!("macie-guard/export/{account}"),
        next_steps,
        resources,
        context: Default::default(),
    })
}

/// A Region's worst finding (`clean` when it has none).
fn worst_of(r: &crate::export::outcome::RegionReport) -> &'static str {
    r.findings
        .iter()
        .map(|f| f.severity)
        .max()
        .map(Severity::as_str)
        .unwrap_or("clean")
}

/// A check's result in one line (the run log, `macie-guard status`): each Region's worst.
pub fn run_result(report: &ExportReport) -> String {
    let regions: Vec<String> = report
        .regions
        .iter()
        .map(|r| format!("{} {}", r.region, worst_of(r)))
        .collect();
    format!(
        "{} Region(s) checked: {}",
        regions.len(),
        regions.join(", ")
    )
}

/// The findings as metrics (EMF, namespace MacieGuard): `Findings` by severity, and `Checks`
/// by each Region's worst result (`clean` when there is none).
pub fn metrics(report: &ExportReport) -> (Counts, Counts) {
    let mut by_severity = Counts::default();
    let mut checks = Counts::default();
    for r in &report.regions {
        for f in &r.findings {
            by_severity.add(&[("Severity", f.severity.as_str())]);
        }
        checks.add(&[("Result", worst_of(r))]);
    }
    (by_severity, checks)
}

/// The readable report of a check (the CLI): per Region the configuration, then each finding
/// with its fix and the statement to add; every value from AWS escaped.
pub fn report_text(r: &ExportReport, delivery: &Delivery) -> String {
    let mut out = String::new();
    if let Some(why) = &r.ignored {
        out.push_str(&format!("{}: ignored: {}\n", safe(&r.trigger), safe(why)));
    }
    for region in &r.regions {
        match &region.configuration {
            ConfigFact::Set(d) => out.push_str(&format!(
                "Export configuration in {}: bucket {} (prefix {}), key {}\n",
                region.region,
                safe(d.bucket_name.as_deref().unwrap_or("-")),
                quoted(d.key_prefix.as_deref().unwrap_or("")),
                safe(d.kms_key_arn.as_deref().unwrap_or("-"))
            )),
            ConfigFact::NotSet => out.push_str(&format!(
                "Export configuration in {}: not set\n",
                region.region
            )),
            ConfigFact::Unreadable { reason } => out.push_str(&format!(
                "Export configuration in {}: unreadable ({})\n",
                region.region,
                safe(reason)
            )),
        }
        if region.findings.is_empty() {
            out.push_str("  OK: Macie can store its discovery results here.\n");
        }
        if let Some(e) = &region.evidence {
            use crate::export::evidence::Verdict;
            let line = match &e.verdict {
                Verdict::Verified { newest, .. } => format!(
                    "verified by evidence: results written {}",
                    newest.format("%Y-%m-%d %H:%M UTC")
                ),
                Verdict::Missing { .. } => "Macie ran but wrote no results".into(),
                Verdict::Pending { run_at, .. } => format!(
                    "the latest run ({}) is too recent to judge",
                    run_at.format("%Y-%m-%d %H:%M UTC")
                ),
                Verdict::NoRun => "no job has run: no results to look for".into(),
                Verdict::Inconclusive { .. } => "inconclusive (too many result objects)".into(),
                Verdict::Unverified { .. } => "cannot verify that results arrive".into(),
            };
            let automated = match e.automated_discovery {
                Some(true) => "; automated sensitive data discovery is on (not compared)",
                Some(false) => "; automated sensitive data discovery is off",
                None => "",
            };
            out.push_str(&format!("  Evidence: {line}{automated}\n"));
        }
        for f in &region.findings {
            out.push_str(&format!(
                "  [{}] {}  {}\n",
                f.severity.as_str(),
                f.code,
                safe(&f.resource)
            ));
            out.push_str(&format!("      {}\n", safe(&f.message)));
            out.push_str(&format!("      Fix: {}\n", safe(&f.fix)));
            if let Some(st) = &f.statement {
                let text = serde_json::to_string_pretty(st).unwrap_or_default();
                out.push_str("      Statement to add:\n");
                // JSON escapes every control character inside its strings.
                for line in text.lines() {
                    out.push_str(&format!("        {line}\n"));
                }
            }
        }
    }
    if let Some(h) = &delivery.security_hub {
        out.push_str(&format!("{}\n", h.line()));
    }
    out
}

/// The check's events for the default bus: one `Macie Guard Export Finding` per finding, of
/// every Region checked (values exact and JSON-escaped). A clean check sends none.
pub fn events(r: &ExportReport) -> Vec<GuardEvent> {
    let mut out = Vec::new();
    for region in &r.regions {
        for f in &region.findings {
            let mut detail = json!({
                "schemaVersion": SCHEMA_VERSION,
                "account": r.account,
                "region": region.region,
                "trigger": r.trigger,
                "code": f.code,
                "severity": f.severity,
                "resource": f.resource,
                // The sentences people read, escaped as in the message; the values above exact.
                "message": safe(&f.message),
                "fix": safe(&f.fix),
            });
            if let Some(st) = &f.statement {
                detail["statement"] = st.clone();
            }
            let resources = if f.resource.starts_with("arn:") {
                vec![f.resource.clone()]
            } else {
                Vec::new()
            };
            out.push(GuardEvent::new(EXPORT_FINDING, resources, detail));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::outcome::RegionReport;

    /// Values from AWS (an error message, here with a line break and an escape sequence) stay
    /// on their finding's line in the readable text; the JSON keeps them exact.
    #[test]
    fn notifications_escape_values_from_aws() {
        let hostile = "AccessDenied\n[critical] FORGED_CODE (us-east-1)\u{1b}[2J";
        let report = ExportReport {
            trigger: "schedule".into(),
            account: "123456789012".into(),
            regions: vec![RegionReport {
                evidence: None,
                region: "us-east-1".into(),
                configuration: ConfigFact::NotSet,
                findings: vec![Finding {
                    code: "BUCKET_UNVERIFIED",
                    severity: Severity::Warning,
                    resource: "arn:aws:s3:::results".into(),
                    message: format!("cannot verify the results bucket results: {hostile}"),
                    fix: "Check it by hand.".into(),
                    statement: None,
                }],
            }],
            changed_resource: None,
            ignored: None,
            not_ours: false,
        };
        let n = notification("123456789012", &report).expect("a warning is told");
        assert!(!n.text.contains('\u{1b}'), "{:?}", n.text);
        assert_eq!(
            n.text.matches("\n[").count(),
            1,
            "one finding line: {}",
            n.text
        );
        assert!(n.text.contains("AccessDenied\\n[critical] FORGED_CODE"));
        assert!(n.facts.to_string().contains("AccessDenied\\n[critical]"));
    }
}
