//! Security Hub findings (AWS Security Finding Format) as plain data: what each export problem
//! and each paused job at risk becomes, and which findings a run resolves. Importing them is
//! the `macie-guard` crate's `securityhub` module.
//!
//! Ids are stable per account, Region and subject, so a later run updates the same finding:
//! `macie-guard/export/<account>/<region>/<CODE>` (one per check code and Region: the
//! configuration has one bucket and one key) and `macie-guard/job/<account>/<region>/<job id>`.

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use crate::expiry::outcome::{Outcome, Summary};
use crate::export::outcome::ExportReport;
use crate::scope::{partition_of, Scope};
use crate::severity::Severity;
use crate::text::{safe, truncate, Limit};

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

/// The export check's findings (warning and critical; info ones are no problem), and the
/// prefix under which every Region checked resolves what it no longer finds.
pub fn export_sync(r: &ExportReport) -> HubSync {
    let mut sync = HubSync::default();
    for region in &r.regions {
        let prefix = format!("{ID_PREFIX}export/{}/{}/", r.account, region.region);
        for f in &region.findings {
            if f.severity < Severity::Warning {
                continue;
            }
            let mut fields = BTreeMap::from([
                ("macie-guard/code".to_string(), f.code.to_string()),
                (
                    "macie-guard/severity".to_string(),
                    f.severity.as_str().to_string(),
                ),
            ]);
            if let Some(st) = &f.statement {
                fields.insert(
                    "macie-guard/statement".into(),
                    cut(&st.to_string(), FIELD_MAX),
                );
            }
            let recommendation = match &f.statement {
                Some(_) => format!(
                    "{} The statement to add is in the product field macie-guard/statement.",
                    safe(&f.fix)
                ),
                None => safe(&f.fix),
            };
            sync.findings.push(HubFinding {
                id: format!("{prefix}{}", f.code),
                generator_id: format!("{ID_PREFIX}{}", f.code),
                account: r.account.clone(),
                region: region.region.clone(),
                types: vec![
                    "Software and Configuration Checks/AWS Security Best Practices/Macie discovery results".into(),
                ],
                severity: f.severity.security_hub_label().into(),
                title: cut(
                    &format!("Macie discovery results in {}: {}", region.region, f.code),
                    TITLE_MAX,
                ),
                description: cut(&safe(&f.message), DESCRIPTION_MAX),
                resources: vec![resource_of(&f.resource)],
                recommendation: cut(&recommendation, RECOMMENDATION_MAX),
                product_fields: fields,
                created_at: None,
                record: RecordState::Active,
                workflow: None,
            });
        }
        sync.resolve_under.push(prefix);
    }
    sync
}

/// The expiry guard's findings: each paused job at risk (expiring with a warning, with no
/// action, a failed change, a dry run's would-be change) is a finding; a job whose risk this
/// run removed (changed, or found already changed) resolves its finding; a sweep, which sees
/// every paused job, resolves every active one it did not find at risk.
pub fn expiry_sync(s: &Summary, sweep: bool) -> HubSync {
    let scope = Scope::new(s.account.as_str(), s.region.as_str());
    let prefix = format!("{ID_PREFIX}job/{}/{}/", s.account, s.region);
    let mut sync = HubSync::default();
    for j in &s.jobs {
        let id = format!("{prefix}{}", j.job_id);
        let code = match j.outcome {
            Outcome::Warned => "PAUSED_JOB_EXPIRING",
            Outcome::Notified => "PAUSED_JOB_EXPIRING_NO_ACTION",
            Outcome::Failed => "PAUSED_JOB_ACTION_FAILED",
            Outcome::DryRun => "PAUSED_JOB_EXPIRING_DRY_RUN",
            Outcome::Lost => {
                // The risk happened: the at-risk finding is resolved, and the loss is a
                // finding of its own that stays until a person archives it.
                sync.resolve_ids.push(id.clone());
                "PAUSED_JOB_LOST"
            }
            Outcome::Done | Outcome::AlreadyDone | Outcome::NotFound => {
                sync.resolve_ids.push(id);
                continue;
            }
            Outcome::Busy => {
                sync.keep_ids.push(id);
                continue;
            }
            _ => continue,
        };
        let severity = match j.outcome {
            Outcome::DryRun => Severity::Warning,
            o => o.severity(),
        };
        let arn = scope.job_arn(&j.job_id);
        let (id, recommendation) = if j.outcome == Outcome::Lost {
            (
                format!("{ID_PREFIX}lost/{}/{}/{}", s.account, s.region, j.job_id),
                "Recreate the job from its definition (in the notification and in the function's result), then archive this finding.",
            )
        } else {
            (
                id,
                "Resume the job before it expires, or tag it macie-guard:on-expiry=resume, keep-paused or cancel so that macie-guard acts on it (README: Policies).",
            )
        };
        sync.findings.push(HubFinding {
            id,
            generator_id: format!("{ID_PREFIX}{code}"),
            account: s.account.clone(),
            region: s.region.clone(),
            types: vec![
                "Software and Configuration Checks/AWS Security Best Practices/Macie paused jobs"
                    .into(),
            ],
            severity: severity.security_hub_label().into(),
            title: cut(
                &if j.outcome == Outcome::Lost {
                    format!("Paused Macie job {} expired and was lost", safe(&j.name))
                } else {
                    format!(
                        "Paused Macie job {} expires {}",
                        safe(&j.name),
                        j.expires_at
                            .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_else(|| "soon".into())
                    )
                },
                TITLE_MAX,
            ),
            description: cut(&safe(&j.message), DESCRIPTION_MAX),
            resources: vec![HubResource {
                kind: "Other".into(),
                id: arn,
            }],
            recommendation: cut(recommendation, RECOMMENDATION_MAX),
            product_fields: BTreeMap::from([
                ("macie-guard/code".to_string(), code.to_string()),
                ("macie-guard/job-id".to_string(), j.job_id.clone()),
                ("macie-guard/action".to_string(), j.action.to_string()),
                (
                    "macie-guard/outcome".to_string(),
                    j.outcome.as_str().to_string(),
                ),
            ]),
            created_at: None,
            record: RecordState::Active,
            workflow: None,
        });
    }
    if sweep {
        sync.resolve_under.push(prefix);
    }
    sync
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::HubOutcome;
    use crate::export::checks::Finding;
    use crate::export::facts::ConfigFact;
    use crate::export::outcome::RegionReport;

    fn finding(code: &'static str, severity: Severity, resource: &str) -> Finding {
        Finding {
            code,
            severity,
            resource: resource.into(),
            message: format!("{code}\nbroken\u{1b}[2J"),
            fix: "fix it".into(),
            statement: None,
        }
    }

    fn report() -> ExportReport {
        ExportReport {
            trigger: "test".into(),
            account: "111122223333".into(),
            regions: vec![RegionReport {
                evidence: None,
                region: "eu-west-1".into(),
                configuration: ConfigFact::NotSet,
                findings: vec![
                    finding(
                        "KEY_DISABLED",
                        Severity::Critical,
                        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                    ),
                    finding("BUCKET_POLICY_UNVERIFIED", Severity::Warning, "arn:aws:s3:::results"),
                    finding("EXPORT_CONFIG_MISSING", Severity::Info, "arn:aws:macie2:eu-west-1:111122223333:export-configuration"),
                ],
            }],
            changed_resource: None,
            ignored: None,
        }
    }

    #[test]
    fn export_problems_become_findings_with_stable_ids_and_info_does_not() {
        let sync = export_sync(&report());
        let ids: Vec<&str> = sync.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "macie-guard/export/111122223333/eu-west-1/KEY_DISABLED",
                "macie-guard/export/111122223333/eu-west-1/BUCKET_POLICY_UNVERIFIED"
            ]
        );
        let key = &sync.findings[0];
        assert_eq!(key.generator_id, "macie-guard/KEY_DISABLED");
        assert_eq!(
            (key.severity.as_str(), sync.findings[1].severity.as_str()),
            ("CRITICAL", "MEDIUM")
        );
        assert_eq!(key.resources[0].kind, "AwsKmsKey");
        assert_eq!(sync.findings[1].resources[0].kind, "AwsS3Bucket");
        assert!(!key.description.contains('\n') && !key.description.contains('\u{1b}'));
        assert_eq!(
            key.product_arn(),
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
        );
        assert_eq!(
            sync.resolve_under,
            ["macie-guard/export/111122223333/eu-west-1/"]
        );
        // The same report twice: the same findings.
        assert_eq!(export_sync(&report()), sync);
    }

    #[test]
    fn a_thousand_findings_ask_for_a_few_prefixes() {
        let mut sync = HubSync::default();
        for i in 0..1000 {
            sync.findings.push(HubFinding {
                id: format!("macie-guard/job/111122223333/us-east-1/{i:032x}"),
                ..export_sync(&report()).findings[0].clone()
            });
            sync.resolve_ids.push(format!(
                "macie-guard/job/111122223333/us-east-1/{:032x}",
                i + 5000
            ));
        }
        sync.resolve_under
            .push("macie-guard/job/111122223333/us-east-1/".into());
        sync.findings[0].id = "macie-guard/lost/111122223333/us-east-1/abc".into();
        assert_eq!(
            sync.filter_prefixes(),
            [
                "macie-guard/job/111122223333/us-east-1/",
                "macie-guard/lost/111122223333/us-east-1/"
            ]
        );
    }

    /// A finding as Security Hub answers GetFindings for it: what was imported, plus the
    /// Region of the request and a workflow status.
    fn as_stored(f: &HubFinding, workflow: &str) -> Value {
        let mut v = f.to_json("2026-11-25T00:00:00.000Z");
        v["Region"] = json!(f.region);
        v["Workflow"] = json!({"Status": workflow});
        v
    }

    #[test]
    fn a_finding_is_written_as_a_provider_writes_it_and_reads_back() {
        let sync = export_sync(&report());
        let f = HubFinding {
            created_at: Some("2026-01-01T00:00:00.000Z".into()),
            ..sync.findings[0].clone()
        };
        let json = f.to_json("2026-11-25T00:00:00.000Z");
        assert_eq!(json["SchemaVersion"], "2018-10-08");
        assert_eq!(json["UpdatedAt"], "2026-11-25T00:00:00.000Z");
        assert_eq!(json["Resources"][0]["Partition"], "aws");
        assert_eq!(json["RecordState"], "ACTIVE");
        assert_eq!(
            json["FindingProviderFields"]["Severity"]["Label"],
            "CRITICAL"
        );
        assert_eq!(json["FindingProviderFields"]["Types"], json["Types"]);
        for people in [
            "Workflow",
            "Note",
            "UserDefinedFields",
            "VerificationState",
            "Region",
        ] {
            assert!(
                json.get(people).is_none(),
                "{people} is not the provider's to send"
            );
        }
        let back = HubFinding::from_json(&as_stored(&f, "NOTIFIED")).unwrap();
        assert_eq!(back.workflow.as_deref(), Some("NOTIFIED"));
        assert_eq!(
            HubFinding {
                workflow: None,
                ..back
            },
            f
        );
        // A person's severity at the top level does not change what the guard reads back.
        let mut changed = as_stored(&f, "NEW");
        changed["Severity"] = json!({"Label": "LOW"});
        assert_eq!(
            HubFinding::from_json(&changed).unwrap().severity,
            "CRITICAL"
        );
        let archived = HubFinding {
            record: RecordState::Archived,
            ..f
        };
        assert_eq!(
            archived.to_json("2026-11-25T00:00:00.000Z")["RecordState"],
            "ARCHIVED"
        );
    }

    #[test]
    fn a_plan_archives_what_is_gone_in_its_scope_and_resolves_only_untouched_workflows() {
        let sync = export_sync(&report());
        let old = |id: &str, created: &str, workflow: &str| {
            HubFinding::from_json(&as_stored(
                &HubFinding {
                    id: id.into(),
                    created_at: Some(created.into()),
                    ..sync.findings[0].clone()
                },
                workflow,
            ))
            .unwrap()
        };
        let active = vec![
            old(
                "macie-guard/export/111122223333/eu-west-1/KEY_DISABLED",
                "2026-01-01T00:00:00Z",
                "SUPPRESSED",
            ),
            old(
                "macie-guard/export/111122223333/eu-west-1/BUCKET_NOT_FOUND",
                "2026-02-01T00:00:00Z",
                "NEW",
            ),
            old(
                "macie-guard/export/111122223333/eu-west-1/KEY_NOT_FOUND",
                "2026-02-01T00:00:00Z",
                "RESOLVED",
            ),
            old(
                "macie-guard/export/111122223333/eu-west-1/KEY_PENDING_DELETION",
                "2026-02-01T00:00:00Z",
                "NOTIFIED",
            ),
            old(
                "macie-guard/export/111122223333/us-east-1/BUCKET_NOT_FOUND",
                "2026-02-01T00:00:00Z",
                "NEW",
            ),
        ];
        let plan = sync.plan(&active, "2026-11-25T00:00:00Z");
        let by_id = |id: &str| plan.import.iter().find(|f| f.id.ends_with(id)).unwrap();
        let kept = by_id("eu-west-1/KEY_DISABLED");
        assert_eq!(kept.created_at.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(
            kept.record,
            RecordState::Active,
            "a suppressed problem that stands stays active"
        );
        assert_eq!(
            by_id("BUCKET_POLICY_UNVERIFIED").created_at.as_deref(),
            Some("2026-11-25T00:00:00Z")
        );
        for gone in [
            "eu-west-1/BUCKET_NOT_FOUND",
            "eu-west-1/KEY_NOT_FOUND",
            "eu-west-1/KEY_PENDING_DELETION",
        ] {
            assert_eq!(by_id(gone).record, RecordState::Archived, "{gone}");
        }
        assert_eq!(
            by_id("eu-west-1/BUCKET_NOT_FOUND").created_at.as_deref(),
            Some("2026-02-01T00:00:00Z")
        );
        assert_eq!(
            plan.resolve_workflow,
            ["macie-guard/export/111122223333/eu-west-1/BUCKET_NOT_FOUND"],
            "only the workflow nobody touched becomes RESOLVED"
        );
        assert!(
            !plan.import.iter().any(|f| f.id.contains("us-east-1")),
            "another Region's finding is not this run's to resolve"
        );
        assert_eq!((plan.import.len(), plan.archived()), (5, 3));
    }

    #[test]
    fn a_sync_is_split_by_the_region_each_finding_concerns() {
        let mut r = report();
        let mut second = r.regions[0].clone();
        second.region = "ap-south-1".into();
        r.regions.push(second);
        let sync = export_sync(&r);
        assert_eq!(sync.regions(), ["eu-west-1", "ap-south-1"]);
        let south = sync.for_region("ap-south-1");
        assert!(south.findings.iter().all(|f| f.region == "ap-south-1"));
        assert!(south
            .findings
            .iter()
            .all(|f| f.product_arn().contains(":securityhub:ap-south-1:")));
        assert_eq!(
            south.resolve_under,
            ["macie-guard/export/111122223333/ap-south-1/"]
        );
        assert_eq!(
            region_of_id("macie-guard/job/111122223333/us-east-1/abc"),
            Some("us-east-1")
        );
        assert_eq!(region_of_id("other/x"), None);
        let combined = HubOutcome::combine(vec![
            (
                "eu-west-1".into(),
                HubOutcome::Synced {
                    active: 2,
                    resolved: 1,
                },
            ),
            (
                "ap-south-1".into(),
                HubOutcome::NotEnabled {
                    message: "not subscribed".into(),
                },
            ),
        ]);
        assert_eq!(
            combined,
            HubOutcome::NotEnabled {
                message: "ap-south-1: not subscribed".into()
            }
        );
    }

    #[test]
    fn jobs_at_risk_are_findings_changed_jobs_resolve_them_and_a_lost_job_stays() {
        use crate::expiry::outcome::JobReport;
        use crate::expiry::policy::{JobSnapshot, JobStatus, JobType};
        let job = |id: &str| JobSnapshot {
            job_id: id.into(),
            name: format!("job {id}"),
            status: JobStatus::UserPaused,
            job_type: JobType::OneTime,
            paused_at: None,
            expires_at: None,
            health_event_arn: None,
            tags: None,
        };
        let now = chrono::Utc::now();
        let mut s = Summary::new("schedule", "111122223333", "us-east-1", false);
        for (id, outcome) in [
            ("a", Outcome::Warned),
            ("b", Outcome::Done),
            ("c", Outcome::Lost),
            ("d", Outcome::Nothing),
        ] {
            s.jobs.push(JobReport::new(
                &job(id),
                now,
                crate::expiry::policy::Step::Nothing,
                outcome,
                "m".into(),
            ));
        }
        let sync = expiry_sync(&s, true);
        let ids: Vec<&str> = sync.findings.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "macie-guard/job/111122223333/us-east-1/a",
                "macie-guard/lost/111122223333/us-east-1/c"
            ]
        );
        assert_eq!(sync.findings[0].severity, "MEDIUM");
        assert_eq!(sync.findings[1].severity, "CRITICAL");
        assert_eq!(
            sync.resolve_ids,
            [
                "macie-guard/job/111122223333/us-east-1/b",
                "macie-guard/job/111122223333/us-east-1/c"
            ]
        );
        assert_eq!(
            sync.resolve_under,
            ["macie-guard/job/111122223333/us-east-1/"]
        );
        assert!(
            expiry_sync(&s, false).resolve_under.is_empty(),
            "a Health event sees one job"
        );
    }
}
