//! The hub's export check covers the organization: every ACTIVE account in every guarded
//! Region once, through each member's read role; a Region without Macie is nothing wrong; an
//! account without its role is a row saying so; each account-Region's findings are told with
//! its account and Region. A change a member's CloudTrail recorded is checked in that account,
//! never in another one. Orchestration over the in-memory stand-ins (the wire is
//! `hub_wire`'s).

use lambda_runtime::{Context, LambdaEvent};
use macie_guard::export::lambda::ExportFunction;
use macie_guard::export::sources::memory::MemorySources;
use macie_guard::hub::export::ExportHub;
use macie_guard::hub::members::memory::MemoryMembers;
use macie_guard::hub::queue::WorkQueue;
use macie_guard::outbound::memory::RecordingOutbound;
use macie_guard::runlog::AnyRunLog;
use macie_guard_core::config::Env;
use macie_guard_core::export::facts::{ConfigFact, Membership};
use macie_guard_core::hub::{Account, HubConfig};
use serde_json::{json, Value};
use std::collections::HashMap;

const HUB: &str = "111111111111";
const A: &str = "222222222222";
const SUSPENDED: &str = "333333333333";
const NO_ROLE: &str = "444444444444";
const PER_ACCOUNT: &str = "555555555555";
const OUTSIDE: &str = "999999999999";
const HOME: &str = "eu-west-1";
const OTHER: &str = "us-east-1";

/// Macie's answer where it is not enabled (Macie API Reference, Common Errors: AccessDenied,
/// told apart from IAM's by its message).
const MACIE_OFF: &str = "AccessDeniedException: Macie is not enabled in this Region";

fn account(id: &str, status: &str) -> Account {
    Account {
        id: id.into(),
        name: None,
        status: status.into(),
        joined: None,
    }
}

fn configs(of: &[(&str, ConfigFact)]) -> MemorySources {
    MemorySources {
        configs: of.iter().map(|(r, c)| (r.to_string(), c.clone())).collect(),
        ..MemorySources::default()
    }
}

type Hub = ExportHub<MemorySources, RecordingOutbound, MemoryMembers>;

fn hub(accounts: Vec<Account>) -> Hub {
    let vars = HashMap::from([
        ("MEMBER_REGIONS", format!("{HOME},{OTHER}")),
        ("PER_ACCOUNT_STACKS", PER_ACCOUNT.to_string()),
        ("HUB_CONCURRENCY", "3".to_string()),
    ]);
    let config = HubConfig::from_env(&Env(|k: &str| vars.get(k).cloned()))
        .unwrap()
        .unwrap();
    let off = || ConfigFact::Unreadable {
        reason: MACIE_OFF.into(),
    };
    // A: no configuration in HOME (critical); in OTHER a member whose jobs are all its
    // administrator's (info: nobody is told).
    let mut a = configs(&[(HOME, ConfigFact::NotSet), (OTHER, ConfigFact::NotSet)]);
    a.memberships.insert(
        OTHER.into(),
        Membership::Member {
            administrator: HUB.into(),
            own_jobs: Some(false),
        },
    );
    let members = MemoryMembers::new(accounts)
        .with_sources(A, a)
        .with_sources(SUSPENDED, configs(&[(HOME, ConfigFact::NotSet)]))
        .with_sources(PER_ACCOUNT, configs(&[(HOME, ConfigFact::NotSet)]))
        .with_sources(OUTSIDE, configs(&[(HOME, ConfigFact::NotSet)]))
        .refusing(NO_ROLE, "AccessDenied");
    ExportHub {
        own: ExportFunction {
            // The hub's own account: no configuration at home, Macie off in OTHER.
            sources: configs(&[(HOME, ConfigFact::NotSet), (OTHER, off())]),
            outbound: RecordingOutbound::default(),
            runs: AnyRunLog::Memory(Default::default()),
            regions: vec![HOME.into(), OTHER.into()],
            fallback_account: None,
            results_grace: chrono::Duration::hours(6),
        },
        members,
        config,
        queue: Some(WorkQueue::memory()),
    }
}

fn organization() -> Vec<Account> {
    vec![
        account(HUB, "ACTIVE"),
        account(A, "ACTIVE"),
        account(SUSPENDED, "SUSPENDED"),
        account(NO_ROLE, "ACTIVE"),
        account(PER_ACCOUNT, "ACTIVE"),
    ]
}

fn ctx() -> Context {
    let mut c = Context::default();
    c.invoked_function_arn = format!("arn:aws:lambda:{HOME}:{HUB}:function:export-guard");
    c
}

fn row<'a>(out: &'a Value, account: &str, region: &str) -> &'a Value {
    out["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["account"] == account && u["region"] == region)
        .unwrap_or_else(|| panic!("no row for {account} {region}: {out}"))
}

fn subjects(h: &Hub) -> Vec<String> {
    let mut s = h.own.outbound.subjects.lock().unwrap().clone();
    s.sort();
    s
}

#[tokio::test]
async fn a_check_reads_every_active_account_in_every_region_once_and_says_each() {
    let h = hub(organization());
    let out = h
        .handle(LambdaEvent::new(json!({"action": "check-export"}), ctx()))
        .await
        .expect("an unreached member is a row, not a failed check");
    assert_eq!(row(&out, HUB, HOME)["result"], "checked", "{out}");
    assert_eq!(row(&out, HUB, HOME)["worst"], "critical", "{out}");
    assert_eq!(row(&out, HUB, OTHER)["result"], "macie-off", "{out}");
    assert_eq!(row(&out, A, HOME)["worst"], "critical", "{out}");
    assert_eq!(row(&out, A, OTHER)["worst"], "info", "{out}");
    assert_eq!(row(&out, NO_ROLE, HOME)["result"], "unreached", "{out}");
    assert_eq!(row(&out, NO_ROLE, OTHER)["code"], "AccessDenied", "{out}");
    assert_eq!(out["units"].as_array().unwrap().len(), 6, "{out}");
    // Never read in a suspended account nor where a per-account stack still runs: each is
    // left, with why.
    let reached = h.members.reached();
    assert_eq!(reached.get(SUSPENDED), None);
    assert_eq!(reached.get(PER_ACCOUNT), None);
    assert!(h
        .members
        .sources_of(SUSPENDED)
        .unwrap()
        .reads
        .lock()
        .unwrap()
        .is_empty());
    let left: Vec<(&str, &str)> = out["left"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["account"].as_str().unwrap(), l["why"].as_str().unwrap()))
        .collect();
    assert!(left.contains(&(SUSPENDED, "not-active")), "{out}");
    assert!(left.contains(&(PER_ACCOUNT, "per-account-stack")), "{out}");
    // Each account-Region read once: A's two Regions, each configuration read once.
    let reads = h
        .members
        .sources_of(A)
        .unwrap()
        .reads
        .lock()
        .unwrap()
        .clone();
    for region in [HOME, OTHER] {
        let n = reads
            .iter()
            .filter(|r| **r == format!("configuration {region}"))
            .count();
        assert_eq!(n, 1, "{reads:?}");
    }
    // Told once per account-Region with something to fix, naming it; the info finding and
    // the Region without Macie are told nothing.
    assert_eq!(
        subjects(&h),
        [
            format!("Macie discovery results at risk in {HUB} {HOME}: 1 critical, 0 warning"),
            format!("Macie discovery results at risk in {A} {HOME}: 1 critical, 0 warning"),
        ]
    );
    // Not the organization's success while a member could not be read: the overdue alarm
    // keeps counting.
    let AnyRunLog::Memory(log) = &h.own.runs else {
        unreachable!()
    };
    assert!(log.recorded(&format!("{HUB}#{HOME}")).0.is_empty());
}

#[tokio::test]
async fn a_complete_check_is_the_run_logs_success_with_the_organizations_worst() {
    let accounts = vec![account(HUB, "ACTIVE"), account(A, "ACTIVE")];
    let h = hub(accounts);
    h.handle(LambdaEvent::new(json!({"action": "check-export"}), ctx()))
        .await
        .unwrap();
    let AnyRunLog::Memory(log) = &h.own.runs else {
        unreachable!()
    };
    let (records, _) = log.recorded(&format!("{HUB}#{HOME}"));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].result, "4 account-Regions checked");
    assert_eq!(records[0].worst.map(|s| s.as_str()), Some("critical"));
}

/// A CloudTrail record as a member forwards it: `account` is the member's (EventBridge keeps
/// the source account across buses, and sets it to the caller's on PutEvents: a member
/// cannot make the hub read another account).
fn bucket_policy_deleted(account: &str) -> Value {
    let mut e: Value = serde_json::from_str(
        &std::fs::read_to_string("events/cloudtrail-s3-delete-bucket-policy.json").unwrap(),
    )
    .unwrap();
    e["account"] = json!(account);
    e["region"] = json!(HOME);
    e["detail"]["awsRegion"] = json!(HOME);
    e["detail"]["recipientAccountId"] = json!(account);
    e["detail"]["userIdentity"]["accountId"] = json!(account);
    e
}

#[tokio::test]
async fn a_members_change_is_checked_in_that_account_only() {
    let h = hub(organization());
    let out = h
        .handle(LambdaEvent::new(bucket_policy_deleted(A), ctx()))
        .await
        .unwrap();
    assert_eq!(out["account"], A, "{out}");
    // A bucket may be any Region's destination: every guarded Region of A was read.
    let reads = h
        .members
        .sources_of(A)
        .unwrap()
        .reads
        .lock()
        .unwrap()
        .clone();
    assert!(
        reads.contains(&format!("configuration {HOME}")),
        "{reads:?}"
    );
    assert!(
        reads.contains(&format!("configuration {OTHER}")),
        "{reads:?}"
    );
    assert_eq!(
        h.members.reached().get(HUB),
        None,
        "{:?}",
        h.members.reached()
    );
    assert!(h.own.sources.reads.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_change_outside_what_the_hub_guards_reads_nothing() {
    let h = hub(organization());
    for (account, why) in [
        // An account outside the organization: Organizations does not know it.
        (OUTSIDE, "not in this hub's organization"),
        (SUSPENDED, "SUSPENDED"),
        (PER_ACCOUNT, "per-account"),
    ] {
        let out = h
            .handle(LambdaEvent::new(bucket_policy_deleted(account), ctx()))
            .await
            .unwrap();
        assert_eq!(out["trigger"], "elsewhere", "{out}");
        assert!(
            out["elsewhere"].as_str().unwrap().contains(why),
            "{why}: {out}"
        );
    }
    assert!(h.members.reached().is_empty(), "{:?}", h.members.reached());
    for a in [OUTSIDE, SUSPENDED, PER_ACCOUNT] {
        assert!(
            h.members
                .sources_of(a)
                .unwrap()
                .reads
                .lock()
                .unwrap()
                .is_empty(),
            "{a}"
        );
    }
    assert!(subjects(&h).is_empty());
}

#[tokio::test]
async fn a_change_in_a_member_without_its_role_fails_and_is_kept() {
    let h = hub(organization());
    let e = h
        .handle(LambdaEvent::new(bucket_policy_deleted(NO_ROLE), ctx()))
        .await
        .expect_err("Lambda's retries, then the dead-letter queue, keep it");
    assert_eq!(e.kind(), "MemberUnreached");
    assert!(e.to_string().contains(NO_ROLE), "{e}");
}

/// A member that removed or disabled a forwarding rule is still checked, and is a row saying
/// which rule and what no longer reaches the hub: in the check's answer, in the run log's
/// members item (`status`, `org status --hub`), and in the gauge its alarm reads. The check is
/// still the organization's success (nothing was left unchecked).
#[tokio::test]
async fn a_member_that_stopped_forwarding_is_checked_and_said() {
    use macie_guard_core::scope::Scope;
    let accounts = vec![account(HUB, "ACTIVE"), account(A, "ACTIVE")];
    let mut h = hub(accounts);
    h.members = std::mem::take(&mut h.members)
        .with_forwarding_rule(&Scope::new(A, HOME), "macie-guard-forward-health", None)
        .with_forwarding_rule(
            &Scope::new(A, HOME),
            "macie-guard-forward-export-changes",
            Some("DISABLED"),
        );
    let out = h
        .handle(LambdaEvent::new(json!({"action": "check-export"}), ctx()))
        .await
        .unwrap();
    let broken = row(&out, A, HOME);
    assert_eq!(broken["result"], "checked", "{out}");
    assert_eq!(broken["worst"], "critical", "{out}");
    let why = broken["forwarding"].as_str().unwrap();
    assert!(
        why.contains(
            "macie-guard-forward-health is missing (Macie's Health events do not reach the hub)"
        ),
        "{why}"
    );
    assert!(
        why.contains("macie-guard-forward-export-changes is DISABLED"),
        "{why}"
    );
    assert!(row(&out, A, OTHER).get("forwarding").is_none(), "{out}");
    // The hub's own account holds no member rules: never asked.
    assert!(row(&out, HUB, HOME).get("forwarding").is_none(), "{out}");
    let AnyRunLog::Memory(log) = &h.own.runs else {
        unreachable!()
    };
    let seen = log.members(&format!("{HUB}#{HOME}"));
    let rows: Vec<_> = seen.iter().flat_map(|s| s.unreached.clone()).collect();
    assert_eq!(rows.len(), 1, "{seen:?}");
    assert_eq!(
        (
            rows[0].account.as_str(),
            rows[0].region.as_str(),
            rows[0].code.as_str()
        ),
        (A, HOME, "ForwardingBroken")
    );
    assert!(
        !log.recorded(&format!("{HUB}#{HOME}")).0.is_empty(),
        "a complete check"
    );
}
