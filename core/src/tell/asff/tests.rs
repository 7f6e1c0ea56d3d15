use super::expiry::expiry_sync;
use super::export::export_sync;
use super::*;
use crate::delivery::HubOutcome;
use crate::expiry::outcome::{Outcome, Summary};
use crate::export::checks::Finding;
use crate::export::facts::ConfigFact;
use crate::export::outcome::ExportReport;
use crate::export::outcome::RegionReport;
use crate::severity::Severity;

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
                finding(
                    "BUCKET_POLICY_UNVERIFIED",
                    Severity::Warning,
                    "arn:aws:s3:::results",
                ),
                finding(
                    "EXPORT_CONFIG_MISSING",
                    Severity::Info,
                    "arn:aws:macie2:eu-west-1:111122223333:export-configuration",
                ),
            ],
        }],
        changed_resource: None,
        ignored: None,
        not_ours: false,
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
    use crate::expiry::job::{JobSnapshot, JobStatus, JobType};
    use crate::expiry::outcome::JobReport;
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
            crate::expiry::plan::Step::Nothing,
            outcome,
            crate::expiry::reason::Reason::NotFound,
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
