//! Security Hub as a finding provider meets it on AWS: moto behind the strictness layer
//! (`scripts/strict_moto/securityhub.py`: Workflow ignored on an update, severity through
//! FindingProviderFields, findings of the request's Region only, not enabled refused), with the
//! jobs in the in-memory fake; and, for what no stand-in gives, a loopback server answering as
//! Security Hub does (each form of throttling, refusals, a server that never answers). None of
//! it fails the run. The export guard's single-Region lifecycle is in tests/export.rs.

use crate::common;

use chrono::{Duration, Utc};
use macie_guard::expiry::jobs::memory::MemoryJobs;
use macie_guard::expiry::jobs::{MacieJobs, Target};
use macie_guard::export::guard::ExportGuard;
use macie_guard::export::sources::memory::MemorySources;
use macie_guard::outbound::memory::RecordingOutbound;
use macie_guard::outbound::print::PrintNotifier;
use macie_guard::outbound::securityhub::SecurityHub;
use macie_guard::outbound::Channels;
use macie_guard_core::expiry::job::JobType;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::export::facts::ConfigFact;
use macie_guard_core::export::outcome::ExportReport;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use testkit::{access_key_of, enable_security_hub, sdk_config, stand_in_config, ACCOUNT, REGION};

const WARNED: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const NO_ACTION: &str = "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b";
const THIRD: &str = "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";

fn outbound<N>(notifier: N, hub: SecurityHub) -> Channels<N> {
    Channels {
        notifier,
        bus: None,
        hub: Some(hub),
    }
}

async fn moto_in(region: &'static str) -> (aws_config::SdkConfig, String) {
    let conf = stand_in_config(&testkit::moto().url)
        .await
        .into_builder()
        .region(aws_config::Region::new(region))
        .build();
    let key = access_key_of(&conf).await;
    (conf, key)
}

/// A person's BatchUpdateFindings on one of the account's findings.
fn person_sets(key: &str, region: &str, id: &str, workflow: &str) {
    let out = testkit::securityhub(
        key,
        region,
        "PATCH",
        "/findings/batchupdate",
        json!({
            "FindingIdentifiers": [{"Id": id, "ProductArn":
                format!("arn:aws:securityhub:{region}:{ACCOUNT}:product/{ACCOUNT}/default")}],
            "Workflow": {"Status": workflow},
        }),
    );
    assert_eq!(
        out["ProcessedFindings"].as_array().unwrap().len(),
        1,
        "{out}"
    );
}

#[tokio::test]
async fn a_jobs_finding_follows_its_risk_and_people_keep_their_workflow() {
    let region = "ap-northeast-2";
    let (conf, key) = moto_in(region).await;
    enable_security_hub(&key, region);
    let id = |job: &str| format!("macie-guard/job/{ACCOUNT}/{region}/{job}");
    let ours = || -> Vec<Value> {
        let mut v: Vec<Value> = testkit::securityhub_findings(&key, region)
            .into_iter()
            .filter(|f| {
                f["Id"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("macie-guard/job/{ACCOUNT}/{region}/"))
            })
            .collect();
        v.sort_by(|a, b| a["Id"].as_str().cmp(&b["Id"].as_str()));
        v
    };
    async fn sweep_with(
        jobs: &MemoryJobs,
        conf: &aws_config::SdkConfig,
        region: &str,
    ) -> macie_guard_core::delivery::Told<macie_guard_core::expiry::outcome::Summary> {
        let guard = macie_guard::expiry::guard::ExpiryGuard::new(
            jobs,
            outbound(PrintNotifier, SecurityHub::new(conf)),
            ExpiryConfig::default(),
            macie_guard_core::scope::Scope::new(ACCOUNT, region),
        );
        common::sweep(&guard).await.unwrap()
    }
    let sweep = |jobs| sweep_with(jobs, &conf, region);

    // Two jobs warned about (resume, 6 days left), one expiring with no action (notify).
    let now = Utc::now();
    let first = MemoryJobs::new(now)
        .paused(WARNED, JobType::OneTime, 24.0, Some("resume"))
        .paused(NO_ACTION, JobType::OneTime, 29.0, Some("notify"))
        .paused(THIRD, JobType::OneTime, 24.0, Some("resume"));
    let s = sweep(&first).await;
    assert_eq!(
        serde_json::to_value(&s.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 3, "resolved": 0})
    );
    let found = ours();
    assert_eq!(found.len(), 3);
    let labels: Vec<&str> = found
        .iter()
        .map(|f| f["Severity"]["Label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["MEDIUM", "CRITICAL", "MEDIUM"]);
    assert_eq!(
        found[0]["FindingProviderFields"]["Severity"]["Label"],
        "MEDIUM"
    );
    assert_eq!(found[0]["Region"], region);
    assert!(found.iter().all(|f| f["Workflow"]["Status"] == "NEW"));

    // Days later the warned job, now tagged notify, expires with no action: the same finding
    // becomes critical, through the field Security Hub reads from a provider.
    let later = MemoryJobs::new(now)
        .paused(WARNED, JobType::OneTime, 29.0, Some("notify"))
        .paused(NO_ACTION, JobType::OneTime, 29.0, Some("notify"))
        .paused(THIRD, JobType::OneTime, 24.0, Some("resume"));
    sweep(&later).await;
    let found = ours();
    assert_eq!(found.len(), 3, "updated in place, no new finding");
    assert_eq!(found[0]["Severity"]["Label"], "CRITICAL");
    assert_eq!(
        found[0]["GeneratorId"],
        "macie-guard/PAUSED_JOB_EXPIRING_NO_ACTION"
    );

    // People take two of them in hand; then every job is resumed by someone. The next sweep
    // archives all three; the untouched one's workflow becomes RESOLVED, the people's stay.
    person_sets(&key, region, &id(WARNED), "SUPPRESSED");
    person_sets(&key, region, &id(NO_ACTION), "NOTIFIED");
    for job in [WARNED, NO_ACTION, THIRD] {
        later.update(job, Target::Running).await.unwrap();
    }
    let s = sweep(&later).await;
    assert_eq!(
        serde_json::to_value(&s.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 0, "resolved": 3})
    );
    let found = ours();
    let states: Vec<(&str, &str)> = found
        .iter()
        .map(|f| {
            (
                f["RecordState"].as_str().unwrap(),
                f["Workflow"]["Status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("ARCHIVED", "SUPPRESSED"),
            ("ARCHIVED", "NOTIFIED"),
            ("ARCHIVED", "RESOLVED")
        ]
    );
    // A later sweep finds nothing active to resolve.
    let s = sweep(&later).await;
    assert_eq!(
        serde_json::to_value(&s.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 0, "resolved": 0})
    );

    // The job is paused again and nears its expiry: the finding is active again, and Security
    // Hub itself reopens the workflow a person had set to NOTIFIED.
    let again = MemoryJobs::new(Utc::now() + Duration::seconds(1)).paused(
        NO_ACTION,
        JobType::OneTime,
        29.0,
        Some("notify"),
    );
    sweep(&again).await;
    let reopened = ours()
        .into_iter()
        .find(|f| f["Id"] == id(NO_ACTION).as_str())
        .unwrap();
    assert_eq!(
        (
            reopened["RecordState"].as_str(),
            reopened["Workflow"]["Status"].as_str()
        ),
        (Some("ACTIVE"), Some("NEW"))
    );
}

#[tokio::test]
async fn each_regions_findings_land_in_that_regions_security_hub() {
    let (north, south) = ("eu-north-1", "me-central-1");
    let (conf, key) = moto_in(north).await;
    enable_security_hub(&key, north);
    let sources = MemorySources {
        configs: [
            (north.to_string(), ConfigFact::NotSet),
            (south.to_string(), ConfigFact::NotSet),
        ]
        .into(),
        ..MemorySources::default()
    };
    let check = || async {
        ExportGuard {
            sources: &sources,
            outbound: outbound(PrintNotifier, SecurityHub::new(&conf)),
            account: ACCOUNT.into(),
            regions: vec![north.into(), south.into()],
            results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
            deadline: None,
        }
        .handle(&ExportEvent::Check {
            trigger: "test".into(),
        })
        .await
        .expect("the run succeeds whatever Security Hub says")
    };

    // Security Hub is on in one of the two Regions: that one is synced, the other said.
    let report = check().await;
    let outcome = serde_json::to_value(&report.delivery.security_hub).unwrap();
    assert_eq!(outcome["state"], "not-enabled", "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("{south}: ")), "{message}");
    assert!(!message.contains(north), "{message}");
    let here = testkit::securityhub_findings(&key, north);
    assert_eq!(here.len(), 1);
    assert_eq!(
        here[0]["Id"],
        format!("macie-guard/export/{ACCOUNT}/{north}/EXPORT_CONFIG_MISSING")
    );

    // On in both: each Region's finding is in its own Region, with its own product.
    enable_security_hub(&key, south);
    let report = check().await;
    assert_eq!(
        serde_json::to_value(&report.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 2, "resolved": 0})
    );
    for region in [north, south] {
        let found = testkit::securityhub_findings(&key, region);
        assert_eq!(found.len(), 1, "{region}: {found:#?}");
        assert_eq!(found[0]["Region"], region);
        assert_eq!(
            found[0]["ProductArn"],
            format!("arn:aws:securityhub:{region}:{ACCOUNT}:product/{ACCOUNT}/default")
        );
        assert!(found[0]["Id"]
            .as_str()
            .unwrap()
            .contains(&format!("/{region}/")));
    }
}

/// A loopback Security Hub that answers each request with the next canned answer
/// (status, `x-amzn-ErrorType`, body) and records the requests (method, path, body); with no
/// answer left it reads the request and never answers.
struct Canned {
    url: String,
    seen: Arc<Mutex<Vec<(String, String, Value)>>>,
}

fn canned(answers: Vec<(u16, Option<&'static str>, Value)>) -> Canned {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        let mut answers = answers.into_iter();
        let mut stalled = Vec::new();
        loop {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut parts = line.split(' ');
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut buf = vec![0; length];
            reader.read_exact(&mut buf).unwrap();
            record.lock().unwrap().push((
                method,
                path,
                serde_json::from_slice(&buf).unwrap_or(Value::Null),
            ));
            let Some((status, error_type, body)) = answers.next() else {
                // Never answers: the connection stays open until the test ends.
                stalled.push(reader);
                continue;
            };
            let text = body.to_string();
            let extra = error_type
                .map(|t| format!("x-amzn-ErrorType: {t}\r\n"))
                .unwrap_or_default();
            let mut stream = reader.into_inner();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    Canned { url, seen }
}

async fn check_with(
    server: &Canned,
    notifier: &RecordingOutbound,
    deadline: Option<chrono::DateTime<Utc>>,
) -> macie_guard_core::delivery::Told<ExportReport> {
    let conf = sdk_config()
        .await
        .into_builder()
        .endpoint_url(&server.url)
        .build();
    let sources = MemorySources {
        configs: [(REGION.to_string(), ConfigFact::NotSet)].into(),
        ..MemorySources::default()
    };
    ExportGuard {
        sources: &sources,
        outbound: outbound(notifier, SecurityHub::new(&conf)),
        account: ACCOUNT.into(),
        regions: vec![REGION.into()],
        results_grace: macie_guard_core::config::DEFAULT_RESULTS_GRACE,
        deadline,
    }
    .handle(&ExportEvent::Check {
        trigger: "test".into(),
    })
    .await
    .expect("the run succeeds whatever Security Hub says")
}

fn paths(server: &Canned) -> Vec<String> {
    server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect()
}

#[tokio::test]
async fn a_security_hub_that_is_not_enabled_is_a_warning_not_a_failure() {
    // As a request's error (HTTP 401), and as the import's refusal of each finding.
    let refused_import = canned(vec![
        (200, None, json!({"Findings": []})),
        (
            200,
            None,
            json!({"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
                {"Id": "x", "ErrorCode": "InvalidAccess", "ErrorMessage": "Security Hub is not enabled"}]}),
        ),
    ]);
    let request = canned(vec![(
        401,
        Some("InvalidAccessException"),
        json!({"Code": "InvalidAccessException",
               "Message": "Account 123456789012 is not subscribed to AWS Security Hub"}),
    )]);
    for server in [&request, &refused_import] {
        let told = RecordingOutbound::default();
        let report = check_with(server, &told, None).await;
        let outcome = serde_json::to_value(&report.delivery.security_hub).unwrap();
        assert_eq!(outcome["state"], "not-enabled", "{outcome}");
        assert!(outcome["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{REGION}: Security Hub is not enabled")));
        assert_eq!(report.regions[0].findings[0].code, "EXPORT_CONFIG_MISSING");
        assert_eq!(told.subjects.lock().unwrap().len(), 1, "people were told");
    }
    let seen = request.seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one GetFindings, nothing imported");
    assert_eq!(
        seen[0].2["Filters"]["Id"],
        json!([
            {"Value": format!("macie-guard/export/{ACCOUNT}/{REGION}/"), "Comparison": "PREFIX"}
        ]),
        "one prefix per kind, account and Region, however many findings"
    );
}

#[tokio::test]
async fn throttling_in_each_documented_form_is_retried() {
    let server = canned(vec![
        (
            400,
            Some("ThrottlingException"),
            json!({"Message": "Rate exceeded"}),
        ),
        (
            429,
            Some("TooManyRequestsException"),
            json!({"Message": "slow down"}),
        ),
        (200, None, json!({"Findings": []})),
        (
            429,
            Some("LimitExceededException"),
            json!({"Message": "limit"}),
        ),
        (
            200,
            None,
            json!({"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []}),
        ),
    ]);
    let report = check_with(&server, &RecordingOutbound::default(), None).await;
    assert_eq!(
        serde_json::to_value(&report.delivery.security_hub).unwrap(),
        json!({"state": "synced", "active": 1, "resolved": 0})
    );
    assert_eq!(
        paths(&server),
        [
            "POST /findings",
            "POST /findings",
            "POST /findings",
            "POST /findings/import",
            "POST /findings/import"
        ]
    );
    let seen = server.seen.lock().unwrap();
    let imported = &seen[4].2["Findings"][0];
    assert_eq!(
        imported["Id"],
        format!("macie-guard/export/{ACCOUNT}/{REGION}/EXPORT_CONFIG_MISSING")
    );
    assert_eq!(imported["RecordState"], "ACTIVE");
    assert_eq!(
        imported["FindingProviderFields"]["Severity"]["Label"],
        "CRITICAL"
    );
    assert!(imported.get("Workflow").is_none());
}

#[tokio::test]
async fn refused_findings_are_reported() {
    let server = canned(vec![
        (200, None, json!({"Findings": []})),
        (
            200,
            None,
            json!({"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
                {"Id": "x", "ErrorCode": "InvalidInput", "ErrorMessage": "Title too long"}]}),
        ),
    ]);
    let report = check_with(&server, &RecordingOutbound::default(), None).await;
    let outcome = serde_json::to_value(&report.delivery.security_hub).unwrap();
    assert_eq!(outcome["state"], "failed", "{outcome}");
    assert!(outcome["message"]
        .as_str()
        .unwrap()
        .contains("Title too long"));
}

#[tokio::test]
async fn a_security_hub_that_never_answers_ends_before_the_deadline() {
    // It reads every request and answers none.
    let server = canned(vec![]);
    let told = RecordingOutbound::default();
    let deadline = Utc::now() + Duration::seconds(6);
    let report = check_with(&server, &told, Some(deadline)).await;
    let ended = Utc::now();
    let outcome = serde_json::to_value(&report.delivery.security_hub).unwrap();
    assert_eq!(outcome["state"], "failed", "{outcome}");
    assert!(
        outcome["message"].as_str().unwrap().contains("deadline")
            || outcome["message"].as_str().unwrap().contains("timed out"),
        "{outcome}"
    );
    // The sync stops HUB_RESERVE (3 s) before the deadline: the run is over in time.
    assert!(
        ended < deadline,
        "the run ended at {ended}, after its deadline {deadline}"
    );
    assert_eq!(
        told.subjects.lock().unwrap().len(),
        1,
        "the message went out first"
    );
    assert_eq!(report.regions[0].findings[0].code, "EXPORT_CONFIG_MISSING");
}
