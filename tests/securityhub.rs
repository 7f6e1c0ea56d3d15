//! Security Hub findings of the expiry guard over the wire (moto's Security Hub; the jobs in
//! the in-memory fake), and the answers moto never gives from a loopback server that gives
//! them as Security Hub does: not enabled, findings refused, throttling. None of them fails the
//! run. The export guard's findings are in tests/export.rs.

mod common;

use chrono::Utc;
use common::fakes::{FakeJobs, FakeSources};
use macie_guard::expiry::jobs::{MacieJobs, Target};
use macie_guard::expiry::{ExpiryConfig, JobType};
use macie_guard::export::checks::ConfigFact;
use macie_guard::export::{ExportEvent, ExportGuard};
use macie_guard::notify::{Outbound, PrintNotifier};
use macie_guard::securityhub::SecurityHub;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use testkit::{access_key_of, sdk_config, stand_in_config, ACCOUNT, REGION};

const WARNED: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const NO_ACTION: &str = "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b";

fn outbound(hub: SecurityHub) -> Outbound<PrintNotifier> {
    Outbound {
        notifier: PrintNotifier,
        bus: None,
        hub: Some(hub),
    }
}

#[tokio::test]
async fn paused_jobs_at_risk_are_findings_until_the_risk_is_gone() {
    let region = "ap-northeast-2";
    let conf = stand_in_config(&testkit::moto().url)
        .await
        .into_builder()
        .region(aws_config::Region::new(region))
        .build();
    let key = access_key_of(&conf).await;
    // One job warned about (resume, 6 days left), one expiring with no action (notify).
    let jobs = FakeJobs::new(Utc::now())
        .paused(WARNED, JobType::OneTime, 24.0, Some("resume"))
        .paused(NO_ACTION, JobType::OneTime, 29.0, Some("notify"));
    let guard = || {
        macie_guard::expiry::ExpiryGuard::new(
            &jobs,
            outbound(SecurityHub::new(&conf)),
            ExpiryConfig::default(),
            macie_guard::scope::Scope::new(ACCOUNT, region),
        )
    };
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

    let s = common::sweep(&guard()).await.unwrap();
    assert_eq!(
        serde_json::to_value(&s.security_hub).unwrap(),
        json!({"state": "synced", "active": 2, "resolved": 0})
    );
    let found = ours();
    assert_eq!(found.len(), 2);
    let (warned, no_action) = (&found[0], &found[1]);
    assert!(warned["Id"].as_str().unwrap().ends_with(WARNED));
    assert_eq!(warned["Severity"]["Label"], "MEDIUM");
    assert_eq!(warned["GeneratorId"], "macie-guard/PAUSED_JOB_EXPIRING");
    assert_eq!(no_action["Severity"]["Label"], "CRITICAL");
    assert_eq!(
        no_action["GeneratorId"],
        "macie-guard/PAUSED_JOB_EXPIRING_NO_ACTION"
    );
    assert_eq!(
        no_action["Resources"][0]["Id"],
        format!("arn:aws:macie2:{region}:{ACCOUNT}:classification-job/{NO_ACTION}")
    );

    // Someone resumes the job nobody would act on: the next sweep does not find it paused
    // and resolves its finding; the warned one stays, the same finding.
    jobs.update(NO_ACTION, Target::Running).await.unwrap();
    let s = common::sweep(&guard()).await.unwrap();
    assert_eq!(
        serde_json::to_value(&s.security_hub).unwrap(),
        json!({"state": "synced", "active": 1, "resolved": 1})
    );
    let found = ours();
    assert_eq!(found.len(), 2, "updated in place, no new finding");
    assert_eq!(found[0]["RecordState"], "ACTIVE");
    assert_eq!(found[1]["RecordState"], "ARCHIVED");
    assert_eq!(found[1]["Workflow"]["Status"], "RESOLVED");
}

/// A loopback Security Hub that answers each request with the next canned answer
/// (status, `x-amzn-ErrorType`, body) and records the requests (path, body).
struct Canned {
    url: String,
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

fn canned(answers: Vec<(u16, Option<&'static str>, Value)>) -> Canned {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for (status, error_type, body) in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or_default().to_string();
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
            record
                .lock()
                .unwrap()
                .push((path, serde_json::from_slice(&buf).unwrap_or(Value::Null)));
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

async fn check_with(server: &Canned) -> macie_guard::export::ExportReport {
    let conf = sdk_config()
        .await
        .into_builder()
        .endpoint_url(&server.url)
        .build();
    let sources = FakeSources {
        configs: [(REGION.to_string(), ConfigFact::NotSet)].into(),
        ..FakeSources::default()
    };
    ExportGuard {
        sources: &sources,
        notifier: outbound(SecurityHub::new(&conf)),
        account: ACCOUNT.into(),
        regions: vec![REGION.into()],
        results_grace: macie_guard::config::DEFAULT_RESULTS_GRACE,
    }
    .handle(&ExportEvent::Check {
        trigger: "test".into(),
    })
    .await
    .expect("the run succeeds whatever Security Hub says")
}

#[tokio::test]
async fn a_security_hub_that_is_not_enabled_is_a_warning_not_a_failure() {
    let server = canned(vec![(
        403,
        Some("InvalidAccessException"),
        json!({"Code": "InvalidAccessException",
               "Message": "Account 123456789012 is not subscribed to AWS Security Hub"}),
    )]);
    let report = check_with(&server).await;
    let outcome = serde_json::to_value(&report.security_hub).unwrap();
    assert_eq!(outcome["state"], "not-enabled", "{outcome}");
    assert!(outcome["message"]
        .as_str()
        .unwrap()
        .contains("not subscribed"));
    assert_eq!(report.regions[0].findings[0].code, "EXPORT_CONFIG_MISSING");
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one GetFindings, nothing imported");
    assert_eq!(seen[0].0, "/findings");
    assert_eq!(
        seen[0].1["Filters"]["Id"],
        json!([
            {"Value": format!("macie-guard/export/{ACCOUNT}/{REGION}/"), "Comparison": "PREFIX"}
        ]),
        "one prefix per kind, account and Region, however many findings"
    );
}

#[tokio::test]
async fn throttling_is_retried_and_refused_findings_are_reported() {
    let server = canned(vec![
        (
            429,
            Some("TooManyRequestsException"),
            json!({"Message": "slow down"}),
        ),
        (200, None, json!({"Findings": []})),
        (
            200,
            None,
            json!({"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
                {"Id": "x", "ErrorCode": "InvalidInput", "ErrorMessage": "Title too long"}]}),
        ),
    ]);
    let report = check_with(&server).await;
    let outcome = serde_json::to_value(&report.security_hub).unwrap();
    assert_eq!(outcome["state"], "failed", "{outcome}");
    assert!(outcome["message"]
        .as_str()
        .unwrap()
        .contains("Title too long"));
    let seen = server.seen.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/findings", "/findings", "/findings/import"]);
    let imported = &seen[2].1["Findings"][0];
    assert_eq!(
        imported["Id"],
        format!("macie-guard/export/{ACCOUNT}/{REGION}/EXPORT_CONFIG_MISSING")
    );
    assert_eq!(imported["RecordState"], "ACTIVE");
    assert_eq!(imported["Severity"]["Label"], "CRITICAL");
}
