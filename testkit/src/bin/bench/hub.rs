//! The hub over an organization: its sweep and its export check, each one invocation of the
//! release function (Lambda's 15 minutes as its deadline), over every account-Region of an
//! organization in moto (Organizations, STS: one member role and one read-only role per
//! account) and one local Macie serving every account-Region. Measured at two sizes (flat in
//! the number of accounts?) and again at the larger with a latency added to every call.

use serde_json::{json, Value};
use std::time::Duration;

use super::{bin, ms, Function};
use testkit::{endpoint_env, moto, LocalMacie, ACCOUNT};

/// The 17 Regions enabled by default in every account (AWS General Reference, "AWS Regions":
/// those not opt-in).
pub const REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

const ROLE: &str = "macie-guard-member";

pub struct HubArgs {
    /// Which of `small`, `full`, `latency` to run.
    pub steps: Vec<String>,
    /// Which functions: `expiry-guard`, `export-guard`.
    pub functions: Vec<String>,
    pub accounts: usize,
    pub regions: usize,
    pub latency_ms: u64,
    pub concurrency: usize,
}

/// The organization in moto: this account (the management account, the hub's) and
/// `accounts - 1` created ones, each with the member role and the read-only role trusting
/// this account within the organization. Created once, grown as asked.
async fn organization(accounts: usize) -> Vec<String> {
    let base = testkit::sdk_config().await;
    let key = testkit::access_key_of(&base).await;
    let org = |op: &str, body: Value| {
        testkit::moto_json(
            &key,
            "organizations",
            &format!("AWSOrganizationsV20161128.{op}"),
            body,
        )
    };
    let list = || {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({});
            if let Some(t) = &token {
                body["NextToken"] = json!(t);
            }
            let page = org("ListAccounts", body);
            for a in page["Accounts"].as_array().unwrap() {
                ids.push(a["Id"].as_str().unwrap().to_string());
            }
            match page["NextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => return ids,
            }
        }
    };
    // The organization view's benchmark may have made it already.
    let answered = |op: &str, body: Value| {
        testkit::try_moto_json(
            &key,
            "organizations",
            &format!("AWSOrganizationsV20161128.{op}"),
            body,
        )
        .ok()
    };
    let org_id = answered("DescribeOrganization", json!({}))
        .or_else(|| answered("CreateOrganization", json!({"FeatureSet": "ALL"})))
        .and_then(|o| o["Organization"]["Id"].as_str().map(str::to_string))
        .expect("an organization in moto");
    let had = list();
    for i in had.len()..accounts {
        org(
            "CreateAccount",
            json!({"AccountName": format!("hub-member-{i}"), "Email": format!("m{i}@example.com")}),
        );
    }
    let ids = list();
    assert!(ids.len() >= accounts);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}}}]});
    // Each account's roles once in this process (the organization view's accounts, made
    // before, hold other roles).
    static WITH_ROLES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    for id in ids.iter().take(accounts).filter(|id| *id != ACCOUNT) {
        if WITH_ROLES.lock().unwrap().contains(id) {
            continue;
        }
        let k = testkit::access_key_of(&testkit::as_account(&base, id).await).await;
        testkit::iam_create_role(&k, ROLE, &trust);
        testkit::iam_create_role(&k, &format!("{ROLE}-read"), &trust);
        WITH_ROLES.lock().unwrap().push(id.clone());
    }
    // The hub's own account first; the rest, as many as asked.
    let mut out = vec![ACCOUNT.to_string()];
    out.extend(
        ids.into_iter()
            .filter(|id| id != ACCOUNT)
            .take(accounts - 1),
    );
    out
}

/// One local Macie serving every account-Region: for the sweep, three jobs paused ten days
/// ago in each (nothing to do: the steady state); for the export check, a member of the hub's
/// Macie organization with no job of its own (no configuration needed: an info finding, told
/// to nobody).
fn macie(ids: &[String], regions: &[&str], sweep: bool) -> LocalMacie {
    let mut tenants = Vec::new();
    for id in ids.iter().filter(|id| *id != ACCOUNT) {
        for r in regions {
            tenants.push(if sweep {
                json!({"account": id, "region": r, "jobs": [
                    {"name": "far", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 10, "count": 3}]})
            } else {
                json!({"account": id, "region": r, "administrator": ACCOUNT})
            });
        }
    }
    let own = if sweep {
        json!([{"name": "far", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 10, "count": 3}])
    } else {
        json!([])
    };
    LocalMacie::start(Some(
        &json!({"account": ACCOUNT, "jobs": own, "accounts": tenants}),
    ))
}

/// Every call answered `ms` later: the local Macie's operations, and moto's STS,
/// Organizations and DynamoDB (the strict layer's stall).
fn slow_down(macie: &LocalMacie, ms: u64) {
    for op in [
        "ListClassificationJobs",
        "DescribeClassificationJob",
        "GetClassificationExportConfiguration",
        "GetAdministratorAccount",
        "GetAutomatedDiscoveryConfiguration",
    ] {
        macie.control(
            "POST",
            "/_local/latency",
            Some(&json!({"operation": op, "ms": ms})),
        );
    }
    for (service, action) in [
        ("sts", "AssumeRole"),
        ("organizations", "ListAccounts"),
        ("dynamodb", "Query"),
    ] {
        testkit::strict_fault(
            json!({"service": service, "action": action, "stall": ms as f64 / 1000.0}),
        );
    }
}

fn strict_calls() -> Value {
    let mut response = ureq::get(&format!("{}/_strict/calls", moto().url))
        .call()
        .expect("GET /_strict/calls");
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

fn reset_strict() {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for path in ["/_strict/faults", "/_strict/calls"] {
        agent
            .delete(&format!("{}{path}", moto().url))
            .call()
            .expect("DELETE");
    }
}

/// One run of `function` (`expiry-guard` or `export-guard`) over `ids` x `regions`.
async fn run(function: &str, ids: &[String], regions: &[&str], a: &HubArgs, latency: u64) -> Value {
    let sweep = function == "expiry-guard";
    let macie = macie(ids, regions, sweep);
    reset_strict();
    if latency > 0 {
        slow_down(&macie, latency);
    }
    let mut env = endpoint_env(macie.url(), &moto().url);
    env.extend([
        ("MEMBER_REGIONS".to_string(), regions.join(",")),
        ("MEMBER_ROLE_NAME".to_string(), ROLE.to_string()),
        ("HUB_CONCURRENCY".to_string(), a.concurrency.to_string()),
        ("RUST_LOG".to_string(), "error".to_string()),
    ]);
    if sweep {
        env.push((
            "JOURNAL_TABLE".to_string(),
            testkit::journal_table("bench-hub").await,
        ));
    }
    let f = Function::start(&bin(function), &env);
    let event = if sweep {
        json!({"action": "sweep"})
    } else {
        json!({"action": "check-export"})
    };
    let (wall, answer) = f.invoke_within(&event, Duration::from_secs(960));
    let units = answer["units"].as_array().cloned().unwrap_or_default();
    let count = |r: &str| units.iter().filter(|u| u["result"] == r).count();
    let done = count(if sweep { "ran" } else { "checked" });
    assert_eq!(
        units.len(),
        ids.len() * regions.len(),
        "{function}: every account-Region is a row"
    );
    // Calls per account-Region: Macie's from its counters; STS, Organizations and DynamoDB
    // from the strict layer's.
    let counters = macie.control("GET", "/_local/calls", None);
    let mut per: std::collections::BTreeMap<String, f64> = Default::default();
    let mut add = |calls: &Value| {
        for (op, n) in calls.as_object().into_iter().flatten() {
            *per.entry(op.clone()).or_default() += n.as_f64().unwrap_or(0.0);
        }
    };
    add(&counters["calls"]);
    for calls in counters["accounts"].as_object().unwrap().values() {
        add(calls);
    }
    for (op, n) in strict_calls()["calls"].as_object().unwrap() {
        if op.starts_with("sts:")
            || op.starts_with("organizations:")
            || op.starts_with("dynamodb:Query")
        {
            per.insert(op.clone(), n.as_f64().unwrap_or(0.0));
        }
    }
    let n = units.len() as f64;
    let per_unit: serde_json::Map<String, Value> = per
        .into_iter()
        .map(|(op, c)| (op, json!((c / n * 1000.0).round() / 1000.0)))
        .collect();
    reset_strict();
    json!({"accounts": ids.len(), "regions": regions.len(), "account_regions": units.len(),
           "latency_ms": latency, "concurrency": a.concurrency,
           "wall_ms": ms(wall), "ms_per_account_region": ms(wall) / n,
           "done": done, "deferred": count("deferred"), "unreached": count("unreached"),
           "peak_rss_mib": f.peak_rss_mib(), "calls_per_account_region": per_unit})
}

/// The hub's figures: both functions at a tenth of the organization and at all of it, then
/// all of it with `latency_ms` on every call.
pub async fn hub(a: &HubArgs) -> Value {
    let regions = &REGIONS[..a.regions.clamp(1, REGIONS.len())];
    let small = (a.accounts / 10).max(2);
    let mut rows = Vec::new();
    for (step, accounts, latency) in [
        ("small", small, 0),
        ("full", a.accounts, 0),
        ("latency", a.accounts, a.latency_ms),
    ] {
        if !a.steps.iter().any(|s| s == step) {
            continue;
        }
        let ids = organization(accounts).await;
        for function in a.functions.iter().map(String::as_str) {
            let row = run(function, &ids, regions, a, latency).await;
            eprintln!("hub {function}: {row}");
            rows.push(json!({"function": function, "figures": row}));
        }
    }
    Value::Array(rows)
}
