//! The operator's organization view over the wire: moto's Organizations lists the accounts,
//! moto's STS issues each account's role credentials (and refuses a role that does not exist,
//! as AWS does), and one local Macie serves every account and Region, telling them apart by
//! the access key each request is signed with. Five accounts × two Regions: one account has
//! no stack (its role cannot be assumed), one Region of another has no Macie, one account is
//! closed (SUSPENDED).

mod common;

use aws_sdk_organizations::types::AccountStatus;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use testkit::{
    access_key_of, as_account, iam_create_role, moto, sdk_config, stand_in_config, template_json,
    LocalMacie, ACCOUNT,
};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// The organization in moto: this (management) account and three created ones, by id; and a
/// fourth, closed (SUSPENDED), which ListAccounts still lists.
async fn organization() -> (Vec<String>, String) {
    let conf = stand_in_config(&moto().url).await;
    let org = aws_sdk_organizations::Client::new(&conf);
    if org.describe_organization().send().await.is_err() {
        org.create_organization().send().await.unwrap();
    }
    let existing = org.list_accounts().send().await.unwrap();
    let mut have = existing
        .accounts()
        .iter()
        .filter(|a| a.name().is_some_and(|n| n.starts_with("workload-")))
        .count();
    if !existing
        .accounts()
        .iter()
        .any(|a| a.name() == Some("closed-0"))
    {
        let created = org
            .create_account()
            .account_name("closed-0")
            .email("closed-0@example.com")
            .send()
            .await
            .unwrap();
        let id = created
            .create_account_status()
            .and_then(|s| s.account_id())
            .unwrap()
            .to_string();
        org.close_account().account_id(id).send().await.unwrap();
    }
    while have < 3 {
        org.create_account()
            .account_name(format!("workload-{have}"))
            .email(format!("workload-{have}@example.com"))
            .send()
            .await
            .unwrap();
        have += 1;
    }
    let listed = org.list_accounts().send().await.unwrap();
    let closed = listed
        .accounts()
        .iter()
        .find(|a| a.name() == Some("closed-0"))
        .and_then(|a| a.id())
        .unwrap()
        .to_string();
    let mut ids: Vec<(String, String)> = listed
        .accounts()
        .iter()
        .filter(|a| a.status() == Some(&AccountStatus::Active))
        .map(|a| {
            (
                a.name().unwrap_or_default().to_string(),
                a.id().unwrap().to_string(),
            )
        })
        .collect();
    ids.sort();
    let ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    (ids, closed)
}

fn paused(name: &str, days: f64, tag: &str) -> Value {
    json!({"name": name, "jobStatus": "USER_PAUSED", "pausedDaysAgo": days,
           "tags": {"macie-guard:on-expiry": tag}})
}

#[tokio::test]
async fn the_organization_view_reads_every_account_and_region_and_names_the_unreachable() {
    let (accounts, closed) = organization().await;
    let others: Vec<&String> = accounts.iter().filter(|a| *a != ACCOUNT).collect();
    let (one, two, no_stack) = (others[0], others[1], others[2]);

    // The role each stack creates with OperatorAccountId = this account, as template.yaml
    // writes its trust policy; not in the account without a stack.
    let stack = template_json("template.yaml", false);
    let role = &stack["Resources"]["ReadRole"]["Properties"];
    let principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]["Fn::Sub"]
        .as_str()
        .unwrap()
        .replace("${AWS::Partition}", "aws")
        .replace("${OperatorAccountId}", ACCOUNT);
    assert_eq!(
        role["RoleName"]["Fn::Sub"], "macie-guard-read-${AWS::Region}",
        "the name the CLI assumes by default"
    );
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]});
    let base = sdk_config().await;
    for account in [&ACCOUNT.to_string(), one, two] {
        let key = access_key_of(&as_account(&base, account).await).await;
        for region in REGIONS {
            iam_create_role(&key, &format!("macie-guard-read-{region}"), &trust);
        }
    }

    // Macie in each account and Region; `two` has not enabled it in eu-west-1.
    let hostile = "payroll\n\u{1b}[2Jcleared";
    let tenant = |account: &str, region: &str, extra: Value| {
        let mut t = json!({"account": account, "region": region});
        t.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        t
    };
    let macie = LocalMacie::start(Some(&json!({
        "account": "999999999999",
        "accounts": [
            tenant(ACCOUNT, "us-east-1", json!({"jobs": [paused("mgmt-expiring", 29.5, "resume")]})),
            tenant(ACCOUNT, "eu-west-1", json!({})),
            tenant(one, "us-east-1", json!({"jobs": [paused("one-cancel", 29.0, "cancel"), paused(hostile, 10.0, "notify")]})),
            tenant(one, "eu-west-1", json!({"administrator": ACCOUNT})),
            tenant(two, "us-east-1", json!({"jobs": [paused("two-keep", 24.0, "keep-paused")]})),
        ]
    })));

    // org jobs, as JSON.
    let out = common::cli(
        &macie,
        &[
            "org",
            "jobs",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an unreachable row makes it 1: {stderr}"
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON rows");
    assert_eq!(rows.len(), 10, "5 accounts x 2 Regions: {rows:#?}");
    let by: BTreeMap<(String, String), &Value> = rows
        .iter()
        .map(|r| {
            (
                (
                    r["account"].as_str().unwrap().to_string(),
                    r["region"].as_str().unwrap().to_string(),
                ),
                r,
            )
        })
        .collect();
    let at = |a: &str, r: &str| by[&(a.to_string(), r.to_string())];
    let names = |a: &str, r: &str| -> Vec<String> {
        at(a, r)["result"]
            .as_array()
            .unwrap_or_else(|| panic!("{a} {r}: {}", at(a, r)))
            .iter()
            .map(|j| j["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(ACCOUNT, "us-east-1"), ["mgmt-expiring"]);
    assert!(names(ACCOUNT, "eu-west-1").is_empty());
    let mut one_jobs = names(one, "us-east-1");
    one_jobs.sort();
    assert_eq!(one_jobs, ["one-cancel".to_string(), hostile.to_string()]);
    let cancel = at(one, "us-east-1")["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "one-cancel")
        .unwrap();
    assert_eq!(cancel["policy"], "cancel");
    assert!(cancel["days_left"].as_f64().unwrap() < 1.5);
    assert_eq!(names(two, "us-east-1"), ["two-keep"]);
    for region in REGIONS {
        let r = at(no_stack, region);
        assert_eq!(r["status"], "unreachable");
        let reason = r["reason"].as_str().unwrap();
        assert!(
            reason.contains("cannot assume")
                && reason.contains("AccessDenied")
                && reason.contains(&format!("role/macie-guard-read-{region}")),
            "{reason}"
        );
    }
    for region in REGIONS {
        let r = at(&closed, region);
        assert_eq!(r["status"], "unreachable");
        assert_eq!(r["reason"], "the account is SUSPENDED, not ACTIVE");
    }
    let refused = at(two, "eu-west-1");
    assert_eq!(refused["status"], "unreachable");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("Macie is not enabled"),
        "{refused}"
    );
    assert_eq!(at(one, "us-east-1")["name"], "workload-0");
    // Each account's requests reached that account's Macie: one list per reachable
    // account-Region, a describe per job.
    let calls = macie.control("GET", "/_local/calls", None);
    assert_eq!(
        calls["accounts"][format!("{one}/us-east-1")]["ListClassificationJobs"],
        1
    );
    assert_eq!(
        calls["accounts"][format!("{one}/us-east-1")]["DescribeClassificationJob"],
        2
    );
    assert_eq!(
        calls["calls"],
        json!({}),
        "the server's own account was not asked"
    );
    assert_eq!(
        calls["accounts"][format!("{one}/us-east-1")]["UpdateClassificationJob"],
        Value::Null,
        "reads only"
    );

    // The same as a table: every row, the hostile name escaped, the unreachable named.
    let out = common::cli(
        &macie,
        &[
            "org",
            "jobs",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
        ],
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && text.contains("payroll\\n\\u{1b}[2J"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains("unreachable:")).count(),
        5,
        "{text}"
    );
    assert!(
        text.contains("4 paused job(s) in 10 account-Region(s), 5 unreachable"),
        "{text}"
    );

    // org check-export over a list of accounts: critical where there is no configuration; a
    // Region without Macie is unreachable, as in the jobs view.
    let list = format!("{ACCOUNT},{one},{two},{no_stack}");
    let out = common::cli(
        &macie,
        &[
            "org",
            "check-export",
            "--accounts",
            &list,
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 8);
    let finding = |a: &str, r: &str| -> (String, String) {
        let row = rows
            .iter()
            .find(|x| x["account"] == a && x["region"] == r)
            .unwrap();
        let f = &row["result"]["findings"][0];
        (
            f["code"].as_str().unwrap_or("-").to_string(),
            f["severity"].as_str().unwrap_or("-").to_string(),
        )
    };
    assert_eq!(
        finding(ACCOUNT, "us-east-1"),
        ("EXPORT_CONFIG_MISSING".into(), "critical".into())
    );
    assert_eq!(
        finding(one, "eu-west-1"),
        ("EXPORT_CONFIG_MISSING".into(), "info".into()),
        "a member whose jobs are its administrator's"
    );
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "unreachable").count(),
        3
    );
    let not_enabled = rows
        .iter()
        .find(|x| x["account"] == two.as_str() && x["region"] == "eu-west-1")
        .unwrap();
    assert_eq!(not_enabled["status"], "unreachable", "{not_enabled}");
    assert!(
        not_enabled["reason"]
            .as_str()
            .unwrap()
            .contains("Macie is not enabled"),
        "{not_enabled}"
    );

    // A malformed list changes nothing and costs nothing.
    macie.reset_calls();
    let out = common::cli(&macie, &["org", "jobs", "--accounts", "12345,abc"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--accounts") && err.contains("12345"), "{err}");
    assert_eq!(
        macie.control("GET", "/_local/calls", None)["accounts"][format!("{one}/us-east-1")],
        json!({})
    );
}
