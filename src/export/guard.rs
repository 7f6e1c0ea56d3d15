//! The export guard: checks each Region's export configuration and tells people what is
//! broken and how to fix it.

use serde::Serialize;
use serde_json::json;

use super::checks::{check, ConfigFact, Destination, Finding, Severity};
use super::event::{Change, Changed, ExportEvent};
use super::sources::{gather, ExportSources};
use crate::error::Result;
use crate::metrics::Counts;
use crate::notify::{Notification, Notifier};
use crate::scope::partition_of;
use crate::text::safe;

/// One Region's result.
#[derive(Debug, Clone, Serialize)]
pub struct RegionReport {
    pub region: String,
    pub configuration: ConfigFact,
    pub findings: Vec<Finding>,
}

/// What one check did: the handler's return value and the CLI's JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub trigger: String,
    pub account: String,
    pub regions: Vec<RegionReport>,
    /// For a change event: the resource that changed (only its findings are notified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
    pub notified: bool,
}

impl ExportReport {
    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.regions
            .iter()
            .flat_map(|r| r.findings.iter().map(|f| f.severity))
            .max()
    }
}

pub struct ExportGuard<S, N> {
    pub sources: S,
    pub notifier: N,
    pub account: String,
    /// The function's Region first, then any extra Regions.
    pub regions: Vec<String>,
}

impl<S: ExportSources, N: Notifier> ExportGuard<S, N> {
    pub async fn handle(&self, event: &ExportEvent) -> Result<ExportReport> {
        let mut report = ExportReport {
            trigger: String::new(),
            account: self.account.clone(),
            regions: Vec::new(),
            changed_resource: None,
            ignored: None,
            notified: false,
        };
        match event {
            ExportEvent::Ignored { reason } => {
                tracing::info!(reason = %reason, "event ignored");
                report.trigger = "ignored".into();
                report.ignored = Some(reason.clone());
                return Ok(report);
            }
            ExportEvent::Check { trigger } => {
                report.trigger = trigger.clone();
                report.regions = self.check_regions(&self.regions).await;
            }
            ExportEvent::Change(change) => {
                report.trigger = format!("change:{}", change.event_name);
                if let Some(reason) = self.not_ours(change) {
                    tracing::info!(reason = %reason, "change ignored");
                    report.ignored = Some(reason);
                    return Ok(report);
                }
                self.check_change(change, &mut report).await;
                if report.regions.is_empty() && report.ignored.is_none() {
                    let reason = format!(
                        "{} {} changed {}, which no export configuration in {} uses",
                        change.event_source,
                        change.event_name,
                        describe_changed(&change.changed),
                        self.regions.join(", ")
                    );
                    tracing::info!(reason = %reason, "change does not affect the export configuration");
                    report.ignored = Some(reason);
                    return Ok(report);
                }
            }
        }
        self.finish(report).await
    }

    fn not_ours(&self, change: &Change) -> Option<String> {
        if let Some(acc) = change.account.as_deref().filter(|a| *a != self.account) {
            return Some(format!(
                "the change was made in account {acc}, not {}",
                self.account
            ));
        }
        if change.changed == Changed::Configuration && !self.regions.contains(&change.region) {
            return Some(format!(
                "the export configuration changed in {}, a Region this function does not check ({})",
                change.region,
                self.regions.join(", ")
            ));
        }
        None
    }

    async fn check_regions(&self, regions: &[String]) -> Vec<RegionReport> {
        let mut out = Vec::new();
        for region in regions {
            let config = self.sources.configuration(region).await;
            out.push(self.check_with(region, config).await);
        }
        out
    }

    async fn check_with(&self, region: &str, config: ConfigFact) -> RegionReport {
        let facts = gather(&self.sources, &self.account, region, config).await;
        let findings = check(&facts);
        RegionReport {
            region: region.to_string(),
            configuration: facts.config,
            findings,
        }
    }

    /// A change: read each Region's configuration; check fully only those that use the
    /// changed resource.
    async fn check_change(&self, change: &Change, report: &mut ExportReport) {
        let regions: Vec<String> = match change.changed {
            Changed::Configuration => vec![change.region.clone()],
            _ => self.regions.clone(),
        };
        for region in regions {
            let config = self.sources.configuration(&region).await;
            let (bucket, key) = match &config {
                ConfigFact::Set(Destination {
                    bucket_name,
                    kms_key_arn,
                    ..
                }) => (bucket_name.clone(), kms_key_arn.clone()),
                _ => (None, None),
            };
            if !change.changed.touches(bucket.as_deref(), key.as_deref()) {
                continue;
            }
            report.changed_resource = Some(match &change.changed {
                Changed::Configuration => format!(
                    "arn:{}:macie2:{region}:{}:export-configuration",
                    partition_of(&region),
                    self.account
                ),
                Changed::Bucket(Some(b)) => format!("arn:{}:s3:::{b}", partition_of(&region)),
                Changed::Bucket(None) => bucket
                    .as_ref()
                    .map(|b| format!("arn:{}:s3:::{b}", partition_of(&region)))
                    .unwrap_or_default(),
                Changed::Key(_) => key.clone().unwrap_or_default(),
            });
            report.regions.push(self.check_with(&region, config).await);
        }
    }

    async fn finish(&self, mut report: ExportReport) -> Result<ExportReport> {
        let mut by_severity = Counts::default();
        let mut checks = Counts::default();
        for r in &report.regions {
            for f in &r.findings {
                tracing::warn!(region = %r.region, code = f.code, severity = f.severity.as_str(), resource = %f.resource, message = %f.message, "finding");
                by_severity.add(&[("Severity", f.severity.as_str())]);
            }
            let worst = r
                .findings
                .iter()
                .map(|f| f.severity)
                .max()
                .map(Severity::as_str)
                .unwrap_or("clean");
            checks.add(&[("Result", worst)]);
        }
        tracing::info!(
            trigger = %report.trigger,
            regions = report.regions.len(),
            findings = report.regions.iter().map(|r| r.findings.len()).sum::<usize>(),
            worst = report.worst().map(Severity::as_str).unwrap_or("clean"),
            report = %serde_json::to_string(&report).unwrap_or_default(),
            "export check"
        );
        if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
            by_severity.emit("export-guard", "Findings");
            checks.emit("export-guard", "Checks");
        }
        if let Some(n) = notification(&self.account, &report) {
            self.notifier.publish(&n).await?;
            report.notified = true;
        }
        Ok(report)
    }
}

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
    let severity = if critical > 0 { "critical" } else { "warning" };
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
    Some(Notification {
        subject,
        text,
        facts,
        kind: "export",
        severity,
    })
}

fn describe_changed(c: &Changed) -> String {
    match c {
        Changed::Configuration => "the export configuration".into(),
        Changed::Bucket(Some(b)) => format!("bucket {b}"),
        Changed::Bucket(None) => "a bucket the record does not name".into(),
        Changed::Key(ids) if ids.is_empty() => "a key the record does not name".into(),
        Changed::Key(ids) => format!("key {}", ids.join(" / ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from AWS (an error message, here with a line break and an escape sequence) stay
    /// on their finding's line in the readable text; the JSON keeps them exact.
    #[test]
    fn notifications_escape_values_from_aws() {
        let hostile = "AccessDenied\n[critical] FORGED_CODE (us-east-1)\u{1b}[2J";
        let report = ExportReport {
            trigger: "schedule".into(),
            account: "123456789012".into(),
            regions: vec![RegionReport {
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
            notified: false,
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
