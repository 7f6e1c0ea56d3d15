//! The operator's organization view over the wire: moto's Organizations lists the accounts,
//! moto's STS issues each account's role credentials (and refuses a role that does not exist,
//! as AWS does), and one local Macie serves every account and Region, telling them apart by
//! the access key each request is signed with. Five accounts × two Regions: one account has
//! no stack (its role cannot be assumed), one Region of another has no Macie, one account is
//! closed (SUSPENDED).
//!
//! Why one file this long: the organization is built once (five accounts, two Regions) and
//! every test reads it; splitting would build it again per file.

use crate::common;

use aws_sdk_organizations::types::AccountStatus;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use testkit::{
    access_key_of, as_account, iam_create_role, moto, sdk_config, stand_in_config, template_json,
    LocalMacie, ACCOUNT,
};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// The organization in moto: this (management) account and three created ones, by id; and a
/// fourth, closed (SUSPENDED), which ListAccounts still lists. Made once for the tests of this
/// process, whichever asks first.
/// The organization's id (the trusts' aws:PrincipalOrgID, which the strict layer checks).
pub(crate) async fn org_id() -> String {
    let conf = stand_in_config(&moto().url).await;
    aws_sdk_organizations::Client::new(&conf)
        .describe_organization()
        .send()
        .await
        .unwrap()
        .organization()
        .and_then(|o| o.id())
        .unwrap()
        .to_string()
}

/// The member's read-only role (`macie-guard-member-read`) in each of `accounts`, once per
/// process, with stacksets/member.yaml's trust: the hub's read roles and the operator, both
/// this account here (the tests run as its user), within the organization.
pub(crate) async fn read_roles(accounts: &[&str]) {
    static MADE: tokio::sync::Mutex<Vec<String>> = tokio::sync::Mutex::const_new(Vec::new());
    let mut made = MADE.lock().await;
    let member = template_json("stacksets/member.yaml", false);
    let mut trust =
        member["Resources"]["MemberReadRole"]["Properties"]["AssumeRolePolicyDocument"].clone();
    let ours = json!(format!("arn:aws:iam::{ACCOUNT}:root"));
    trust["Statement"][0]["Principal"]["AWS"] = ours.clone();
    trust["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] =
        json!(org_id().await);
    // The operator's statement (with OperatorPrincipalArn) names the same principal here.
    let operator = &trust["Statement"][1]["Fn::If"][1];
    assert_eq!(
        operator["Principal"]["AWS"],
        json!({"Ref": "OperatorPrincipalArn"})
    );
    trust["Statement"] = json!([trust["Statement"][0].clone()]);
    let base = sdk_config().await;
    for account in accounts {
        if made.iter().any(|m| m == account) {
            continue;
        }
        let key = access_key_of(&as_account(&base, account).await).await;
        iam_create_role(&key, "macie-guard-member-read", &trust);
        made.push(account.to_string());
    }
}

pub(crate) async fn organization() -> (Vec<String>, String) {
    static ORG: tokio::sync::OnceCell<(Vec<String>, String)> = tokio::sync::OnceCell::const_new();
    ORG.get_or_init(make_organization).await.clone()
}

async fn make_organization() -> (Vec<String>, String) {
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

    // The member's read-only role, as stacksets/member.yaml writes its trust (the operator, of
    // the organization); not in the account without the member stack.
    read_roles(&[ACCOUNT, one, two]).await;

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
        Some(3),
        "an unreachable row: the view failed there (3): {stderr}"
    );
    let answer: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        answer["plans_under"],
        json!({"source": "operator", "default_policy": "notify", "warning_window_days": 7, "action_window_days": 2}),
        "the plans say whose settings they are decided under"
    );
    let rows: Vec<Value> = answer["rows"].as_array().cloned().expect("JSON rows");
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
                && reason.contains("role/macie-guard-member-read")
                && reason.contains("OperatorPrincipalArn"),
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
    assert!(
        text.starts_with("Plans under this operator's settings (default policy notify"),
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
    // Critical findings, and an account-Region that could not be read: failed there (3), the
    // rest printed.
    assert_eq!(
        out.status.code(),
        Some(3),
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
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--accounts") && err.contains("12345"), "{err}");
    assert_eq!(
        macie.control("GET", "/_local/calls", None)["accounts"][format!("{one}/us-east-1")],
        json!({})
    );
}

/// The organization path as AWS runs it: the management account, where StackSets never
/// deploy, is a skipped row (not a failure) until it has a stack of its own; an account given
/// twice is read once; a refused AssumeRole says why with advice that fits (throttled: run again;
/// access denied: deploy the stack or fix the trust); a member whose relationship to its Macie
/// administrator is Removed is not treated as a member.
#[tokio::test]
async fn the_management_account_duplicates_refusals_and_former_members() {
    let (accounts, _closed) = organization().await;
    let others: Vec<&String> = accounts.iter().filter(|a| *a != ACCOUNT).collect();
    let (one, two, throttled) = (others[0], others[1], others[2]);
    // This test's own role name, so that the other test's roles do not count: only `one` has
    // it.
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]});
    let base = sdk_config().await;
    let key = access_key_of(&as_account(&base, one).await).await;
    iam_create_role(&key, "macie-guard-view-us-east-1", &trust);
    // STS throttles every AssumeRole of the third account's role (the SDK retries in vain).
    testkit::strict_fault(json!({"service": "sts", "action": "AssumeRole",
        "match": format!("arn:aws:iam::{throttled}:role/macie-guard-view"),
        "code": "Throttling", "status": 400, "message": "Rate exceeded"}));
    let macie = LocalMacie::start(Some(&json!({
        "account": "999999999999",
        "accounts": [{"account": one, "region": "us-east-1",
                      "administrator": ACCOUNT, "administratorRelationship": "Removed"}]
    })));

    // The management account alone: skipped, and nothing needs attention.
    let view = |args: &[&str]| {
        let mut all = vec![
            "org",
            "check-export",
            "--role-name",
            "macie-guard-view-{region}",
            "--region",
            "us-east-1",
            "--json",
        ];
        all.extend_from_slice(args);
        common::cli(&macie, &all)
    };
    let out = view(&["--accounts", ACCOUNT]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "skipped", "{}", rows[0]);
    let reason = rows[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("management account") && reason.contains("StackSets never deploy"),
        "{reason}"
    );

    // Every other case at once; `one` given twice.
    let list = format!("{one},{two},{one},{throttled},{ACCOUNT}");
    let out = view(&["--accounts", &list]);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 4, "each account once: {rows:#?}");
    let row = |a: &str| rows.iter().find(|r| r["account"] == a).unwrap();
    // The former member: no configuration is critical, as in a standalone account.
    let f = &row(one)["result"]["findings"][0];
    assert_eq!(
        (f["code"].as_str(), f["severity"].as_str()),
        (Some("EXPORT_CONFIG_MISSING"), Some("critical")),
        "{f}"
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("is Removed, not Enabled"),
        "{f}"
    );
    let denied = row(two)["reason"].as_str().unwrap();
    assert!(
        denied.contains("AccessDenied") && denied.contains("deploy the member stack there"),
        "{denied}"
    );
    let slow = row(throttled)["reason"].as_str().unwrap();
    assert!(
        slow.contains("Throttling") && slow.contains("run the view again"),
        "{slow}"
    );
    let fault = testkit::strict_faults()
        .into_iter()
        .find(|f| f["action"] == "AssumeRole")
        .unwrap();
    assert_eq!(fault["seen"], 3, "the SDK tried three times: {fault}");
    assert_eq!(row(ACCOUNT)["status"], "skipped");
    assert_eq!(
        out.status.code(),
        Some(3),
        "rows not read: failed, the critical finding printed"
    );
    let calls = macie.control("GET", "/_local/calls", None);
    assert_eq!(
        calls["accounts"][format!("{one}/us-east-1")]["GetClassificationExportConfiguration"],
        1,
        "read once"
    );
}

/// `scripts/deploy-org.sh` with the AWS CLI against the stand-ins (CloudFormation StackSets
/// behind the strictness layer: CallAs, trusted access, never the management account), as
/// `credentials` (an account's, from moto's STS); its exit status and output.
fn deploy_org(
    credentials: &[(String, String)],
    dist: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    let mut all = vec!["--dist", dist.to_str().unwrap()];
    all.extend_from_slice(args);
    deploy_script("scripts/deploy-org.sh", credentials, &all)
}

/// One of the deploy scripts, with the AWS CLI against the stand-ins, as `credentials`.
fn deploy_script(
    script: &str,
    credentials: &[(String, String)],
    args: &[&str],
) -> std::process::Output {
    let root = testkit::workspace_root();
    let path = format!(
        "{}:{}",
        root.join(".venv/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new(root.join(script))
        .args(args)
        .env_clear()
        .env("PATH", path)
        .env("HOME", std::env::temp_dir())
        .env("AWS_ENDPOINT_URL", &moto().url)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(credentials.iter().cloned())
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"))
}

async fn credentials_of(conf: &aws_config::SdkConfig) -> Vec<(String, String)> {
    let c = testkit::credentials_of(conf).await;
    let mut out = vec![
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            c.access_key_id().to_string(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            c.secret_access_key().to_string(),
        ),
    ];
    if let Some(t) = c.session_token() {
        out.push(("AWS_SESSION_TOKEN".to_string(), t.to_string()));
    }
    out
}

/// The package the script deploys: the StackSets template as scripts/package.py makes it, the
/// artifact bucket's template, and two zips (their content does not matter here).
fn package(dir: &std::path::Path) {
    let root = testkit::workspace_root();
    std::fs::create_dir_all(dir.join("artifacts/macie-guard")).unwrap();
    let made = std::process::Command::new(root.join(".venv-sam/bin/python"))
        .arg(root.join("scripts/package.py"))
        .arg(root.join("template.yaml"))
        .arg(dir.join("macie-guard.template.json"))
        .current_dir(&root)
        .status()
        .expect("scripts/package.py (.venv-sam: scripts/setup-venv.sh --sam)");
    assert!(made.success());
    std::fs::copy(
        root.join("stacksets/artifact-bucket.yaml"),
        dir.join("artifact-bucket.yaml"),
    )
    .unwrap();
    for zip in ["expiry-guard.zip", "export-guard.zip"] {
        std::fs::write(dir.join("artifacts/macie-guard").join(zip), b"zip").unwrap();
    }
}

/// The organization ready for service-managed stack sets: trusted access for StackSets, a
/// delegated administrator (the first account that is not the management account); the
/// accounts, that administrator and the root's id.
async fn stack_sets_ready() -> (Vec<String>, String, String) {
    let (accounts, _closed) = organization().await;
    let admin = accounts.iter().find(|a| *a != ACCOUNT).unwrap().clone();
    let mgmt_conf = stand_in_config(&moto().url).await;
    let org = aws_sdk_organizations::Client::new(&mgmt_conf);
    let principal = "member.org.stacksets.cloudformation.amazonaws.com";
    org.enable_aws_service_access()
        .service_principal(principal)
        .send()
        .await
        .unwrap();
    let listed = org.list_delegated_administrators().send().await.unwrap();
    if !listed
        .delegated_administrators()
        .iter()
        .any(|d| d.id() == Some(admin.as_str()))
    {
        // Two tests may ask at once: one registers, the other finds it registered.
        let _ = org
            .register_delegated_administrator()
            .account_id(&admin)
            .service_principal(principal)
            .send()
            .await;
    }
    let root_id = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string();
    (accounts, admin, root_id)
}

/// The StackSets commands work from a delegated administrator (`--call-as DELEGATED_ADMIN`)
/// and from the management account, and deploy to every account of the targeted OU but the
/// management account, which StackSets never deploy to.
#[tokio::test]
async fn stack_sets_deploy_from_a_delegated_administrator_and_the_management_account() {
    let (accounts, admin, root_id) = stack_sets_ready().await;
    let mgmt_conf = stand_in_config(&moto().url).await;
    let dir = std::env::temp_dir().join(format!("macie-guard-dist-{}", std::process::id()));
    package(&dir);
    let admin_creds = credentials_of(&as_account(&sdk_config().await, &admin).await).await;
    let mgmt_creds = credentials_of(&mgmt_conf).await;
    // Each deploying account has buckets of its own (bucket names are global).
    let common_args = |name: &str, call_as: &str| -> Vec<String> {
        let prefix = if call_as == "SELF" {
            "acme-guard-m"
        } else {
            "acme-guard"
        };
        [
            "--prefix",
            prefix,
            "--org",
            "o-abcdefghij",
            "--ou",
            &root_id,
            "--regions",
            "us-east-1,eu-west-1",
            "--name",
            name,
            "--call-as",
            call_as,
            "--param",
            "NotificationEmail=security@example.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |creds: &[(String, String)], args: Vec<String>| {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        deploy_org(creds, &dir, &argv)
    };
    // A delegated administrator that calls as SELF is told what to pass, before anything is made.
    let out = run(&admin_creds, common_args("macie-guard-delegated", "SELF"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--call-as DELEGATED_ADMIN"), "{err}");

    // As DELEGATED_ADMIN: the stack set and its instances in every account of the root but
    // the management account; a second run updates it.
    for attempt in ["create", "update"] {
        let out = run(
            &admin_creds,
            common_args("macie-guard-delegated", "DELEGATED_ADMIN"),
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{attempt}: {text}");
        assert!(
            text.contains(&format!("stack set macie-guard-delegated: {attempt}")),
            "{text}"
        );
        assert!(
            text.contains("StackSets never deploy to the organization's management account"),
            "{text}"
        );
    }
    let deployed = stack_instances(&admin_creds, "macie-guard-delegated", "DELEGATED_ADMIN");
    assert!(!deployed.is_empty());
    assert!(
        deployed.iter().all(|(a, _)| a != ACCOUNT),
        "never the management account: {deployed:?}"
    );
    for a in accounts.iter().filter(|a| *a != ACCOUNT) {
        for r in ["eu-west-1", "us-east-1"] {
            assert!(
                deployed.contains(&(a.clone(), r.to_string())),
                "{a} {r}: {deployed:?}"
            );
        }
    }
    // The CallAs a stack set was made with is the one it answers to.
    let root = testkit::workspace_root();
    let wrong = std::process::Command::new(root.join(".venv/bin/aws"))
        .args([
            "cloudformation",
            "describe-stack-set",
            "--stack-set-name",
            "macie-guard-delegated",
        ])
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .env("AWS_ENDPOINT_URL", &moto().url)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .envs(admin_creds.iter().cloned())
        .output()
        .unwrap();
    assert!(
        !wrong.status.success(),
        "a delegated administrator's stack set needs DELEGATED_ADMIN"
    );

    // From the management account, as SELF.
    let out = run(&mgmt_creds, common_args("macie-guard-self", "SELF"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployed = stack_instances(&mgmt_creds, "macie-guard-self", "SELF");
    assert!(
        !deployed.is_empty() && deployed.iter().all(|(a, _)| a != ACCOUNT),
        "{deployed:?}"
    );
    // The artifact buckets hold the zips, in each Region.
    let s3 = testkit::s3_client(&moto().url).await;
    for r in ["us-east-1", "eu-west-1"] {
        let listed = s3
            .list_objects_v2()
            .bucket(format!("acme-guard-{r}"))
            .send()
            .await
            .unwrap();
        let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
        assert!(
            keys.contains(&"macie-guard/expiry-guard.zip"),
            "{r}: {keys:?}"
        );
    }
    // The stack set's template came by TemplateURL: inline, AWS refuses it (the strictness
    // layer holds TemplateBody to 51,200 bytes), and it is larger than that.
    let template_bytes = std::fs::metadata(dir.join("macie-guard.template.json"))
        .unwrap()
        .len();
    assert!(template_bytes > 51_200, "{template_bytes}");
    let listed = s3
        .list_objects_v2()
        .bucket("acme-guard-m-us-east-1")
        .send()
        .await
        .unwrap();
    assert!(
        listed
            .contents()
            .iter()
            .any(|o| o.key() == Some("macie-guard/macie-guard.template.json")),
        "the template in the first Region's artifact bucket"
    );

    // The management account's plain stack, as the script and docs/organization.md print it:
    // through the bucket it is accepted (a change set made, not executed); inline, the AWS CLI
    // refuses the template itself.
    let deploy = |extra: &[&str]| {
        std::process::Command::new(root.join(".venv/bin/aws"))
            .args([
                "cloudformation",
                "deploy",
                "--region",
                "us-east-1",
                "--stack-name",
                "macie-guard",
                "--template-file",
                dir.join("macie-guard.template.json").to_str().unwrap(),
                "--capabilities",
                "CAPABILITY_NAMED_IAM",
                "--no-execute-changeset",
                "--parameter-overrides",
                "ArtifactBucketPrefix=acme-guard-m",
            ])
            .args(extra)
            .env_clear()
            .env("HOME", std::env::temp_dir())
            .env("AWS_ENDPOINT_URL", &moto().url)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(mgmt_creds.iter().cloned())
            .output()
            .unwrap()
    };
    let inline = deploy(&[]);
    assert!(!inline.status.success());
    assert!(
        String::from_utf8_lossy(&inline.stderr).contains("51,200 bytes"),
        "{}",
        String::from_utf8_lossy(&inline.stderr)
    );
    let through_s3 = deploy(&[
        "--s3-bucket",
        "acme-guard-m-us-east-1",
        "--s3-prefix",
        "macie-guard",
    ]);
    assert!(
        through_s3.status.success(),
        "{}{}",
        String::from_utf8_lossy(&through_s3.stdout),
        String::from_utf8_lossy(&through_s3.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("--s3-bucket acme-guard-m-<Region>"),
        "{printed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The stack instances of stack set `name` (account, Region), sorted, as `creds` list them.
/// The AWS CLI of the test's virtualenv against the stand-ins, as `creds`, JSON out.
fn aws_cli(creds: &[(String, String)], args: &[&str]) -> std::process::Output {
    let root = testkit::workspace_root();
    std::process::Command::new(root.join(".venv/bin/aws"))
        .args(args)
        .args(["--output", "json"])
        .env_clear()
        .env("HOME", std::env::temp_dir())
        .env("AWS_ENDPOINT_URL", &moto().url)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .envs(creds.iter().cloned())
        .output()
        .unwrap()
}

/// The stack instances of stack set `name` (account, Region), sorted, as `creds` list them.
fn stack_instances(creds: &[(String, String)], name: &str, call_as: &str) -> Vec<(String, String)> {
    let out = aws_cli(
        creds,
        &[
            "cloudformation",
            "list-stack-instances",
            "--stack-set-name",
            name,
            "--call-as",
            call_as,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<(String, String)> = v["Summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["Account"].as_str().unwrap().into(),
                s["Region"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    got
}

/// `scripts/deploy-members.sh`: the member stack set from a delegated administrator, in every
/// account of the root but the management account, in the hub's Regions; then, from the
/// management account with `--management`, the same template there as a plain stack, which
/// creates the member role once (in the hub's Region).
#[tokio::test]
async fn the_member_stack_goes_to_every_account_and_the_management_account_by_a_plain_stack() {
    let (accounts, admin, root_id) = stack_sets_ready().await;
    let admin_creds = credentials_of(&as_account(&sdk_config().await, &admin).await).await;
    let mgmt_creds = credentials_of(&stand_in_config(&moto().url).await).await;
    let hub_role = format!("arn:aws:iam::{admin}:role/macie-guard-hub-ExpiryGuardFunctionRole-X");
    let read_role = format!("arn:aws:iam::{admin}:role/macie-guard-hub-ExportGuardFunctionRole-X");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--hub-account",
            admin.as_str(),
            "--hub-region",
            "us-east-1",
            "--hub-roles",
            hub_role.as_str(),
            "--hub-read-roles",
            read_role.as_str(),
            "--org",
            "o-abcdefghij",
            "--regions",
            "us-east-1,eu-west-1",
            "--name",
            "macie-guard-member-test",
            // A role name of its own: the organization view's tests hold the default ones.
            "--param",
            "RoleName=macie-guard-member-t",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |creds: &[(String, String)], args: Vec<String>| {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = deploy_script("scripts/deploy-members.sh", creds, &argv);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    // Bad input changes nothing and says what to give.
    let (code, text) = run(&admin_creds, {
        let mut a = args(&["--ou", &root_id, "--call-as", "DELEGATED_ADMIN"]);
        a[5] = "not-a-role".into();
        a
    });
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--hub-roles"), "{text}");
    let (code, text) = run(&admin_creds, {
        let mut a = args(&["--ou", &root_id, "--call-as", "DELEGATED_ADMIN"]);
        a[11] = "eu-west-1".into();
        a
    });
    assert_eq!(
        code,
        Some(2),
        "the hub's Region is needed for the role: {text}"
    );

    let (code, text) = run(
        &admin_creds,
        args(&["--ou", &root_id, "--call-as", "DELEGATED_ADMIN"]),
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("stack set macie-guard-member-test: create"),
        "{text}"
    );
    assert!(text.contains("--management"), "{text}");
    let deployed = stack_instances(&admin_creds, "macie-guard-member-test", "DELEGATED_ADMIN");
    assert!(deployed.iter().all(|(a, _)| a != ACCOUNT), "{deployed:?}");
    for a in accounts.iter().filter(|a| *a != ACCOUNT) {
        for r in ["us-east-1", "eu-west-1"] {
            assert!(
                deployed.contains(&(a.clone(), r.to_string())),
                "{a} {r}: {deployed:?}"
            );
        }
    }

    // The management account: not from another account; from itself, a plain stack per Region.
    let (code, text) = run(
        &admin_creds,
        args(&["--management", "--call-as", "DELEGATED_ADMIN"]),
    );
    assert_eq!(code, Some(2), "{text}");
    let (code, text) = run(&mgmt_creds, args(&["--management"]));
    assert_eq!(code, Some(0), "{text}");
    for region in ["us-east-1", "eu-west-1"] {
        assert!(
            text.contains(&format!("the management account {ACCOUNT}, {region}")),
            "{text}"
        );
    }
    let iam = aws_cli(
        &mgmt_creds,
        &["iam", "get-role", "--role-name", "macie-guard-member-t"],
    );
    assert!(
        iam.status.success(),
        "{}",
        String::from_utf8_lossy(&iam.stderr)
    );
    let role: Value = serde_json::from_slice(&iam.stdout).unwrap();
    assert!(
        role["Role"]["AssumeRolePolicyDocument"]
            .to_string()
            .contains(&hub_role),
        "the role trusts the hub's roles: {role}"
    );
}
