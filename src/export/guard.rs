//! The export guard: checks each Region's export configuration and tells people what is
//! broken and how to fix it.

use super::gather::gather;
use super::sources::ExportSources;
use crate::error::{Error, Result};
use crate::outbound::securityhub::log_hub;
use crate::outbound::Outbound;
use macie_guard_core::delivery::{Delivery, Told};
use macie_guard_core::export::checks::check;
use macie_guard_core::export::event::{Change, Changed, ExportEvent};
use macie_guard_core::export::evidence::weigh;
use macie_guard_core::export::facts::{ConfigFact, Destination};
use macie_guard_core::export::outcome::{ExportReport, RegionReport};
use macie_guard_core::scope::partition_of;
use macie_guard_core::severity::Severity;
use macie_guard_core::tell::asff::export::export_sync;
use macie_guard_core::tell::export::{events, notification};

pub struct ExportGuard<S, N> {
    pub sources: S,
    /// Where the outcome goes out: the message, the events, Security Hub.
    pub outbound: N,
    pub account: String,
    /// The function's Region first, then any extra Regions.
    pub regions: Vec<String>,
    /// How long after a job's run its results may still be on their way (RESULTS_GRACE_HOURS).
    pub results_grace: chrono::Duration,
    /// When the invocation must be over (Lambda's deadline); `None`: the CLI. Security Hub's
    /// sync ends before it.
    pub deadline: Option<chrono::DateTime<chrono::Utc>>,
}

impl<S: ExportSources, N: Outbound> ExportGuard<S, N> {
    pub async fn handle(&self, event: &ExportEvent) -> Result<Told<ExportReport>> {
        let mut report = ExportReport {
            trigger: String::new(),
            account: self.account.clone(),
            regions: Vec::new(),
            changed_resource: None,
            ignored: None,
            not_ours: false,
        };
        let untold = |outcome| Told {
            outcome,
            delivery: Delivery::default(),
        };
        match event {
            ExportEvent::Ignored { reason } => {
                tracing::info!(reason = %reason, "event ignored");
                report.trigger = "ignored".into();
                report.ignored = Some(reason.clone());
                report.not_ours = true;
                return Ok(untold(report));
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
                    report.not_ours = true;
                    return Ok(untold(report));
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
                    return Ok(untold(report));
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

    /// Each Region's check, telling nobody and logging nothing (the organization view).
    pub async fn check(&self) -> Vec<RegionReport> {
        self.check_regions(&self.regions).await
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
        let clock = (chrono::Utc::now(), self.results_grace);
        let facts = gather(&self.sources, &self.account, region, config, clock).await;
        let findings = check(&facts);
        RegionReport {
            region: region.to_string(),
            evidence: facts.evidence.as_ref().map(weigh),
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

    /// Logs each finding and the report, and tells people once.
    pub async fn finish(&self, report: ExportReport) -> Result<Told<ExportReport>> {
        // A read that got no answer (Macie, S3 or KMS) leaves the check unfinished: it fails,
        // saying why, before anyone is told anything (Lambda tries it again), and what it
        // could not read is no finding about the configuration.
        if let Some(reason) = self.sources.take_no_answer() {
            return Err(Error::aws_answer(
                "export check",
                "read",
                None,
                "NoAnswer",
                reason,
            ));
        }
        for r in &report.regions {
            for f in &r.findings {
                tracing::warn!(region = %r.region, code = f.code, severity = f.severity.as_str(), resource = %f.resource, message = %f.message, "finding");
            }
        }
        tracing::info!(
            trigger = %report.trigger,
            regions = report.regions.len(),
            findings = report.regions.iter().map(|r| r.findings.len()).sum::<usize>(),
            worst = report.worst().map(Severity::as_str).unwrap_or("clean"),
            report = %serde_json::to_string(&report).unwrap_or_default(),
            "export check"
        );
        let note = notification(&self.account, &report);
        if let Some(n) = &note {
            self.outbound.publish(n).await?;
        }
        self.outbound.announce(&events(&report)).await?;
        let security_hub = self
            .outbound
            .sync_findings(&export_sync(&report), self.deadline)
            .await;
        log_hub(security_hub.as_ref());
        Ok(Told {
            outcome: report,
            delivery: Delivery {
                notified: note.is_some(),
                security_hub,
            },
        })
    }
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
