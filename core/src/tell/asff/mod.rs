//! Security Hub findings (AWS Security Finding Format) as plain data: what each export problem
//! and each paused job at risk becomes, and which findings a run resolves. Importing them is
//! the `macie-guard` crate's `securityhub` module.
//!
//! Ids are stable per account, Region and subject, so a later run updates the same finding:
//! `macie-guard/export/<account>/<region>/<CODE>` (one per check code and Region: the
//! configuration has one bucket and one key) and `macie-guard/job/<account>/<region>/<job id>`.
//!
//! [`export`] and [`expiry`] say what each guard's outcome becomes.

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::scope::partition_of;
use crate::text::{truncate, Limit};

pub mod expiry;
pub mod export;

/// ASFF's schema version.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// Every finding macie-guard imports has an Id under this prefix.
pub const ID_PREFIX: &str = "macie-guard/";
/// ASFF limits: Title 256 characters, Description 1024, Recommendation.Text 512, a product
/// field's value 2048 (kept under, in bytes).
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const RECOMMENDATION_MAX: usize = 512;
const FIELD_MAX: usize = 2048;

/// A resource of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubResource {
    /// `AwsS3Bucket`, `AwsKmsKey` or `Other`.
    pub kind: String,
    pub id: String,
}

/// A finding's record state: the provider's way to say a problem is gone (`ARCHIVED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordState {
    Active,
    Archived,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Active => "ACTIVE",
            RecordState::Archived => "ARCHIVED",
        }
    }
}

/// One Security Hub finding, as macie-guard writes it (and reads back its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HubFinding {
    pub id: String,
    /// `macie-guard/<CODE>`: one generator per check code.
    pub generator_id: String,
    pub account: String,
    /// The Region the finding concerns, and the Region it is imported into (its product ARN
    /// names it: Security Hub takes findings of the request's Region only).
    pub region: String,
    pub types: Vec<String>,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` or `INFORMATIONAL`: sent as the provider's own
    /// (`FindingProviderFields.Severity`), which Security Hub copies to the top level unless
    /// a person changed it there.
    pub severity: String,
    pub title: String,
    pub description: String,
    pub resources: Vec<HubResource>,
    pub recommendation: String,
    pub product_fields: BTreeMap<String, String>,
    /// When the problem was first seen (RFC 3339): kept from the finding already in Security
    /// Hub, else the run's time.
    pub created_at: Option<String>,
    pub record: RecordState,
    /// The finding's workflow status as Security Hub holds it (`NEW`, `NOTIFIED`,
    /// `RESOLVED`, `SUPPRESSED`): people's field, read and never imported.
    pub workflow: Option<String>,
}

impl HubFinding {
    /// The finding in AWS Security Finding Format, as BatchImportFindings takes it;
    /// `UpdatedAt` is `now`. No `Workflow` (people's; ignored on an update anyway), no
    /// `Region` (Security Hub fills it in from the request); `Severity` and `Types` at the top
    /// level for a new finding and in `FindingProviderFields`, where a provider updates them.
    pub fn to_json(&self, now: &str) -> Value {
        let partition = partition_of(&self.region);
        let severity = json!({"Label": self.severity});
        json!({
            "SchemaVersion": SCHEMA_VERSION,
            "Id": self.id,
            "ProductArn": self.product_arn(),
            "GeneratorId": self.generator_id,
            "AwsAccountId": self.account,
            "Types": self.types,
            "CreatedAt": self.created_at.as_deref().unwrap_or(now),
            "UpdatedAt": now,
            "Severity": severity,
            "FindingProviderFields": {"Severity": severity, "Types": self.types},
            "Title": self.title,
            "Description": self.description,
            "Resources": self.resources.iter().map(|r| json!({
                "Type": r.kind, "Id": r.id, "Partition": partition, "Region": self.region,
            })).collect::<Vec<_>>(),
            "Remediation": {"Recommendation": {"Text": self.recommendation}},
            "ProductFields": self.product_fields,
            "RecordState": self.record.as_str(),
        })
    }

    /// A finding as GetFindings returns it; `None` without an Id. The severity is the
    /// provider's (`FindingProviderFields`), whatever a person set at the top level.
    pub fn from_json(v: &Value) -> Option<HubFinding> {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let provided = &v["FindingProviderFields"];
        let strings = |t: &Value| -> Vec<String> {
            t.as_array()
                .map(|t| {
                    t.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(HubFinding {
            id: v["Id"].as_str()?.to_string(),
            generator_id: s("GeneratorId"),
            account: s("AwsAccountId"),
            region: s("Region"),
            types: if provided["Types"].is_array() {
                strings(&provided["Types"])
            } else {
                strings(&v["Types"])
            },
            severity: provided["Severity"]["Label"]
                .as_str()
                .or(v["Severity"]["Label"].as_str())
                .unwrap_or("INFORMATIONAL")
                .to_string(),
            title: s("Title"),
            description: s("Description"),
            resources: v["Resources"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| HubResource {
                            kind: r["Type"].as_str().unwrap_or("Other").to_string(),
                            id: r["Id"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            recommendation: v["Remediation"]["Recommendation"]["Text"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            product_fields: v["ProductFields"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| k.starts_with(ID_PREFIX))
                        .filter_map(|(k, x)| x.as_str().map(|x| (k.clone(), x.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            created_at: v["CreatedAt"].as_str().map(str::to_string),
            record: if v["RecordState"] == "ARCHIVED" {
                RecordState::Archived
            } else {
                RecordState::Active
            },
            workflow: v["Workflow"]["Status"].as_str().map(str::to_string),
        })
    }

    /// The product the account's own findings are imported to, in the finding's Region.
    pub fn product_arn(&self) -> String {
        product_arn(&self.account, &self.region)
    }
}

/// The account's own product (`product/<account>/default`) in a Region.
pub fn product_arn(account: &str, region: &str) -> String {
    format!(
        "arn:{}:securityhub:{region}:{account}:product/{account}/default",
        partition_of(region),
    )
}

/// The Region named in one of macie-guard's finding Ids or Id prefixes
/// (`macie-guard/<kind>/<account>/<region>/...`).
pub fn region_of_id(id: &str) -> Option<&str> {
    let mut parts = id.strip_prefix(ID_PREFIX)?.split('/');
    let (_kind, _account, region) = (parts.next()?, parts.next()?, parts.next()?);
    (!region.is_empty()).then_some(region)
}

/// What to send to one Region's Security Hub.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubPlan {
    /// BatchImportFindings: each finding found again (ACTIVE), and each one gone (ARCHIVED).
    pub import: Vec<HubFinding>,
    /// BatchUpdateFindings `Workflow` RESOLVED: the gone ones whose workflow nobody changed
    /// (`NEW`). A person's NOTIFIED, RESOLVED or SUPPRESSED is never overwritten.
    pub resolve_workflow: Vec<String>,
}

impl HubPlan {
    /// How many findings the plan archives.
    pub fn archived(&self) -> usize {
        self.import
            .iter()
            .filter(|f| f.record == RecordState::Archived)
            .count()
    }
}

/// What a run asks of Security Hub: import `findings`, and resolve every active finding whose
/// Id starts with one of `resolve_under` (or is in `resolve_ids`) and is not among them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HubSync {
    pub findings: Vec<HubFinding>,
    pub resolve_under: Vec<String>,
    pub resolve_ids: Vec<String>,
    /// Ids never resolved by this run (a job another invocation is handling).
    pub keep_ids: Vec<String>,
}

impl HubSync {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.resolve_under.is_empty() && self.resolve_ids.is_empty()
    }

    /// The Regions the sync concerns, in their first order: each is synced with that
    /// Region's Security Hub.
    pub fn regions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let named = self.findings.iter().map(|f| f.region.as_str()).chain(
            self.resolve_under
                .iter()
                .chain(&self.resolve_ids)
                .filter_map(|i| region_of_id(i)),
        );
        for r in named {
            if !out.iter().any(|o| o == r) {
                out.push(r.to_string());
            }
        }
        out
    }

    /// The part of the sync that concerns `region`.
    pub fn for_region(&self, region: &str) -> HubSync {
        let here = |i: &&String| region_of_id(i) == Some(region);
        HubSync {
            findings: self
                .findings
                .iter()
                .filter(|f| f.region == region)
                .cloned()
                .collect(),
            resolve_under: self.resolve_under.iter().filter(here).cloned().collect(),
            resolve_ids: self.resolve_ids.iter().filter(here).cloned().collect(),
            keep_ids: self.keep_ids.iter().filter(here).cloned().collect(),
        }
    }

    /// The `Id` prefixes to ask GetFindings for: one per kind, account and Region the run
    /// concerns (`macie-guard/<kind>/<account>/<region>/`), however many findings, so that the
    /// filter stays within Security Hub's limits; [`concerns`](Self::concerns) narrows the
    /// answer.
    pub fn filter_prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let ids = self
            .resolve_under
            .iter()
            .chain(&self.resolve_ids)
            .chain(self.findings.iter().map(|f| &f.id));
        for id in ids {
            let parts: Vec<&str> = id.splitn(5, '/').collect();
            let prefix = match parts.as_slice() {
                [a, b, c, d, ..] => format!("{a}/{b}/{c}/{d}/"),
                _ => id.clone(),
            };
            if !out.contains(&prefix) {
                out.push(prefix);
            }
        }
        out
    }

    /// Whether an active finding with this Id is this run's to look at.
    pub fn concerns(&self, id: &str) -> bool {
        self.resolve_under
            .iter()
            .any(|p| id.starts_with(p.as_str()))
            || self.resolve_ids.iter().any(|i| i == id)
            || self.findings.iter().any(|f| f.id == id)
    }

    /// What to send, given the active findings Security Hub holds (those this run
    /// concerns): each finding keeps the CreatedAt of the one it updates; each active finding
    /// of the run's scope that is not found again is archived with its own content, and its
    /// workflow resolved where nobody changed it. `now` (RFC 3339) is the creation time of new
    /// ones.
    pub fn plan(&self, active: &[HubFinding], now: &str) -> HubPlan {
        let mut plan = HubPlan::default();
        for f in &self.findings {
            let created = active
                .iter()
                .find(|a| a.id == f.id)
                .and_then(|a| a.created_at.clone())
                .unwrap_or_else(|| now.to_string());
            plan.import.push(HubFinding {
                created_at: Some(created),
                record: RecordState::Active,
                workflow: None,
                ..f.clone()
            });
        }
        for a in active {
            let gone = !self.findings.iter().any(|f| f.id == a.id);
            let ours = self
                .resolve_under
                .iter()
                .any(|p| a.id.starts_with(p.as_str()))
                || self.resolve_ids.contains(&a.id);
            if gone && ours && a.record == RecordState::Active && !self.keep_ids.contains(&a.id) {
                plan.import.push(HubFinding {
                    record: RecordState::Archived,
                    created_at: a.created_at.clone().or_else(|| Some(now.to_string())),
                    workflow: None,
                    ..a.clone()
                });
                if a.workflow.as_deref().unwrap_or("NEW") == "NEW" {
                    plan.resolve_workflow.push(a.id.clone());
                }
            }
        }
        plan
    }
}

/// ASFF's limits, in bytes, with a mark of the cut.
fn cut(s: &str, max: usize) -> String {
    truncate(s, Limit::Bytes(max), "...")
}

fn resource_of(arn: &str) -> HubResource {
    let kind = if arn.starts_with("arn:") && arn.contains(":s3:::") {
        "AwsS3Bucket"
    } else if arn.contains(":kms:") && arn.contains(":key/") {
        "AwsKmsKey"
    } else {
        "Other"
    };
    HubResource {
        kind: kind.into(),
        id: arn.to_string(),
    }
}

#[cfg(test)]
mod tests;
