//! The hub guards the organization: a sweep runs the guard in every ACTIVE account in every
//! guarded Region, once each, leaving suspended accounts and per-account stacks alone and
//! naming the accounts it could not reach; an event is acted on in the account and Region it
//! is about, never in an account outside the organization, and one about an account whose
//! role is missing is told and kept. Orchestration over the in-memory stand-ins (the wire, STS
//! and Organizations, is `hub_wire`'s).

use lambda_runtime::{Context, LambdaEvent};
use macie_guard::expiry::jobs::memory::MemoryJobs;
use macie_guard::expiry::jobs::Target;
use macie_guard::expiry::lambda::ExpiryFunction;
use macie_guard::hub::expiry::ExpiryHub;
use macie_guard::hub::members::memory::MemoryMembers;
use macie_guard::hub::queue::WorkQueue;
use macie_guard::journal::memory::MemoryJournal;
use macie_guard::outbound::memory::RecordingOutbound;
use macie_guard_core::config::Env;
use macie_guard_core::expiry::job::{JobStatus, JobType};
use macie_guard_core::hub::{Account, HubConfig};
use macie_guard_core::scope::Scope;
use serde_json::Value;
use std::collections::HashMap;

const HUB: &str = "111111111111";
const A: &str = "222222222222";
const SUSPENDED: &str = "333333333333";
const NO_ROLE: &str = "444444444444";
const PER_ACCOUNT: &str = "555555555555";
const HOME: &str = "eu-west-1";
const OTHER: &str = "us-east-1";

fn account(id: &str, status: &str) -> Account {
    Account {
        id: id.into(),
        name: Some(format!("acct-{id}")),
        status: status.into(),
        joined: None,
    }
}

/// A Macie job id (32 hex digits) made of `short`.
fn id(short: &str) -> String {
    format!("{short:0<32}")
}

/// A job in its last half day, whose tag asks for resume.
fn expiring(short: &str) -> MemoryJobs {
    MemoryJobs::new(chrono::Utc::now()).paused(&id(short), JobType::OneTime, 29.5, Some("resume"))
}

fn hub() -> ExpiryHub<MemoryJobs, RecordingOutbound, MemoryJournal, MemoryMembers> {
    let vars = HashMap::from([
        ("MEMBER_REGIONS", format!("{HOME},{OTHER}")),
        ("PER_ACCOUNT_STACKS", PER_ACCOUNT.to_string()),
        ("HUB_CONCURRENCY", "3".to_string()),
    ]);
    let config = HubConfig::from_env(&Env(|k: &str| vars.get(k).cloned()))
        .unwrap()
        .unwrap();
    let members = MemoryMembers::new(vec![
        account(HUB, "ACTIVE"),
        account(A, "ACTIVE"),
        account(SUSPENDED, "SUSPENDED"),
        account(NO_ROLE, "ACTIVE"),
        account(PER_ACCOUNT, "ACTIVE"),
    ])
    .with_jobs(&Scope::new(HUB, OTHER), expiring("e2"))
    .with_jobs(&Scope::new(A, HOME), expiring("a1"))
    .with_jobs(&Scope::new(A, OTHER), expiring("a2"))
    .with_jobs(&Scope::new(SUSPENDED, HOME), expiring("5a"))
    .with_jobs(&Scope::new(PER_ACCOUNT, HOME), expiring("fa"))
    .refusing(NO_ROLE, "AccessDenied");
    ExpiryHub {
        own: ExpiryFunction {
            macie: expiring("e1"),
            outbound: RecordingOutbound::default(),
            journal: MemoryJournal::new(),
            config: Default::default(),
            region: HOME.into(),
            fallback_account: None,
            schedules: None,
            runs: macie_guard::runlog::AnyRunLog::Memory(Default::default()),
        },
        members,
        config,
        queue: Some(WorkQueue::memory()),
    }
}

fn ctx() -> Context {
    let mut c = Context::default();
    c.invoked_function_arn = format!("arn:aws:lambda:{HOME}:{HUB}:function:expiry-guard");
    c
}

fn resumed(jobs: &MemoryJobs, short: &str) -> bool {
    jobs.updates() == vec![(id(short), Target::Running)]
}

fn member_jobs(
    h: &ExpiryHub<MemoryJobs, RecordingOutbound, MemoryJournal, MemoryMembers>,
    account: &str,
    region: &str,
) -> std::sync::Arc<MemoryJobs> {
    h.members.jobs_of(&Scope::new(account, region)).unwrap()
}

#[tokio::test]
async fn a_sweep_guards_every_active_account_in_every_region_once() {
    let h = hub();
    let out: Value = h
        .handle(LambdaEvent::new(
            serde_json::json!({"action": "sweep"}),
            ctx(),
        ))
        .await
        .expect("an unreached member is a row, not a failed sweep");
    // Acted on in the hub's own account (both Regions) and the member's.
    assert!(resumed(&h.own.macie, "e1"));
    assert!(resumed(&member_jobs(&h, HUB, OTHER), "e2"));
    assert!(resumed(&member_jobs(&h, A, HOME), "a1"));
    assert!(resumed(&member_jobs(&h, A, OTHER), "a2"));
    // Never in a suspended account nor where a per-account stack still runs.
    assert!(member_jobs(&h, SUSPENDED, HOME).updates().is_empty());
    assert_eq!(
        member_jobs(&h, PER_ACCOUNT, HOME).status(&id("fa")),
        JobStatus::UserPaused
    );
    assert!(member_jobs(&h, PER_ACCOUNT, HOME).updates().is_empty());
    // Each account-Region once: the hub's own Region through its own client.
    let rows: Vec<(String, String, String)> = out["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["account"].as_str().unwrap().to_string(),
                u["region"].as_str().unwrap().to_string(),
                u["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [
        (HUB, HOME, "ran"),
        (HUB, OTHER, "ran"),
        (A, HOME, "ran"),
        (A, OTHER, "ran"),
        (NO_ROLE, HOME, "unreached"),
        (NO_ROLE, OTHER, "unreached"),
    ];
    assert_eq!(
        rows,
        want.map(|(a, r, x)| (a.to_string(), r.to_string(), x.to_string()))
    );
    let reached = h.members.reached();
    assert_eq!(
        reached.get(HUB),
        Some(&1),
        "own account, other Region: {reached:?}"
    );
    assert_eq!(reached.get(A), Some(&2));
    assert_eq!(reached.get(SUSPENDED), None);
    assert_eq!(reached.get(PER_ACCOUNT), None);
    // What was left, and why.
    let left: Vec<(&str, &str)> = out["left"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["account"].as_str().unwrap(), l["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        left,
        [
            (SUSPENDED, "not-active"),
            (PER_ACCOUNT, "per-account-stack"),
            (PER_ACCOUNT, "per-account-stack")
        ]
    );
    // One message per account-Region changed, each naming it.
    let subjects = h.own.outbound.subjects.lock().unwrap().clone();
    for (account, region) in [(HUB, HOME), (HUB, OTHER), (A, HOME), (A, OTHER)] {
        assert!(
            subjects
                .iter()
                .any(|s| s.contains(account) && s.contains(region)),
            "{account} {region}: {subjects:?}"
        );
    }
    assert_eq!(
        h.members.listed(),
        1,
        "the organization is listed once a run"
    );
}

fn health_about(account: &str, region: &str, job: &str) -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/health-paused-job-expiration.json"
    ))
    .unwrap()
    .replace("123456789012", account)
    .replace("us-east-1", region)
    .replace("3ce05dbb7ec5505def334104bf4fc3b4", &id(job));
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn an_event_from_a_member_is_acted_on_there_through_its_role() {
    let h = hub();
    let out = h
        .handle(LambdaEvent::new(health_about(A, OTHER, "a2"), ctx()))
        .await
        .unwrap();
    assert_eq!(out["account"], A, "{out}");
    assert!(resumed(&member_jobs(&h, A, OTHER), "a2"));
    assert!(
        member_jobs(&h, A, HOME).updates().is_empty(),
        "only where it happened"
    );
    assert!(h.own.macie.updates().is_empty());
    assert_eq!(h.members.reached().get(A), Some(&1));
}

#[tokio::test]
async fn an_event_outside_what_the_hub_guards_changes_nothing() {
    let h = hub();
    for (account, region, why) in [
        ("999999999999", HOME, "not in this hub's organization"),
        (SUSPENDED, HOME, "SUSPENDED"),
        (A, "ap-south-1", "does not guard"),
        (PER_ACCOUNT, HOME, "per-account"),
    ] {
        let out = h
            .handle(LambdaEvent::new(health_about(account, region, "cc"), ctx()))
            .await
            .unwrap();
        let said = out["elsewhere"].as_str().unwrap_or_default();
        assert!(said.contains(why), "{account} {region}: {out}");
    }
    assert!(h.members.reached().is_empty(), "no role assumed");
    assert!(member_jobs(&h, PER_ACCOUNT, HOME).updates().is_empty());
    assert!(h.own.outbound.subjects.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_event_about_a_member_without_its_role_is_told_and_kept() {
    let h = hub();
    let err = h
        .handle(LambdaEvent::new(health_about(NO_ROLE, HOME, "dd"), ctx()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(NO_ROLE) && text.contains("AccessDenied") && text.contains("dead-letter"),
        "{text}"
    );
    assert_eq!(err.kind(), "MemberUnreached");
    let subjects = h.own.outbound.subjects.lock().unwrap().clone();
    assert_eq!(
        subjects,
        [format!(
            "macie-guard could not reach account {NO_ROLE} in {HOME}"
        )]
    );
}

/// A change a dead hub run left open in a member's account-Region is finished by the next
/// journal watch (the journal's open scopes), through the member's role, as in the hub's own.
#[tokio::test]
async fn the_journal_watch_finishes_a_members_open_change() {
    use macie_guard::journal::{Entry, Journal};
    use macie_guard_core::expiry::plan::Action;
    use macie_guard_core::expiry::policy::Policy;
    let h = hub();
    let now = chrono::Utc::now();
    let dead = Entry {
        job_id: id("a1"),
        owner: "macie-guard-expiry:dead-run#1".into(),
        lease_until: now.timestamp() - 60,
        action: Action::Resume,
        policy: Policy::Resume,
        paused_at: String::new(),
        name: "job a1".into(),
        decided_at: now.to_rfc3339(),
    };
    let scope = Scope::new(A, HOME).journal_key();
    h.own
        .journal
        .claim(&scope, &dead, now.timestamp())
        .await
        .unwrap();
    assert_eq!(
        h.own.journal.open_scopes().await.unwrap(),
        std::slice::from_ref(&scope)
    );

    let out = h
        .handle(LambdaEvent::new(
            serde_json::json!({"action": "recover"}),
            ctx(),
        ))
        .await
        .unwrap();
    assert!(resumed(&member_jobs(&h, A, HOME), "a1"), "{out}");
    assert_eq!(out["members"][0]["account"], A, "{out}");
    assert_eq!(out["members"][0]["result"], "ran", "{out}");
    assert!(h.own.journal.open_scopes().await.unwrap().is_empty());
    assert!(
        member_jobs(&h, A, OTHER).updates().is_empty(),
        "only where it was open"
    );
    assert_eq!(h.members.reached().get(A), Some(&1));
    // Nothing open: the next watch reaches no member.
    h.handle(LambdaEvent::new(
        serde_json::json!({"action": "recover"}),
        ctx(),
    ))
    .await
    .unwrap();
    assert_eq!(h.members.reached().get(A), Some(&1));
}

/// A tag record forwarded by one member that names another account's job changes nothing:
/// each member forwards its own account's records.
#[tokio::test]
async fn a_record_naming_another_accounts_job_is_not_acted_on() {
    let h = hub();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/events/cloudtrail-macie2-tag-resource.json"
    ))
    .unwrap()
    .replace(
        "arn:aws:macie2:us-east-1:123456789012:classification-job/0b9f6c2e8d7a4b3c1e2f3a4b5c6d7e8f",
        &format!("arn:aws:macie2:{HOME}:{A}:classification-job/{}", id("a1")),
    )
    .replace("123456789012", NO_ROLE);
    let mut record: Value = serde_json::from_str(&text).unwrap();
    record["detail"]["requestParameters"]["tags"] =
        serde_json::json!({"macie-guard:on-expiry": "resume"});
    let out = h.handle(LambdaEvent::new(record, ctx())).await.unwrap();
    assert!(
        out["elsewhere"]
            .as_str()
            .unwrap_or_default()
            .contains("names a job of account"),
        "{out}"
    );
    assert!(member_jobs(&h, A, HOME).updates().is_empty());
    assert!(h.members.reached().is_empty());
}

/// A hub that cannot list its organization sweeps its own account and fails the run, saying
/// why: never a quiet success that guarded a fraction of the organization.
#[tokio::test]
async fn a_sweep_that_cannot_list_the_organization_fails_after_its_own_account() {
    let mut h = hub();
    h.members = std::mem::take(&mut h.members).unlisted();
    let err = h
        .handle(LambdaEvent::new(
            serde_json::json!({"action": "sweep"}),
            ctx(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "OrganizationUnlisted");
    let text = err.to_string();
    assert!(
        text.contains("AccessDeniedException") && text.contains("only the hub's own account"),
        "{text}"
    );
    assert!(
        resumed(&h.own.macie, "e1"),
        "its own account is still guarded"
    );
    assert!(resumed(&member_jobs(&h, HUB, OTHER), "e2"));
    assert!(!h.members.reached().contains_key(A), "no member reached");
}

/// The invocation's context with `secs` left before its deadline.
fn ctx_with(secs: i64) -> Context {
    let mut c = ctx();
    c.deadline = (chrono::Utc::now() + chrono::Duration::seconds(secs)).timestamp_millis() as u64;
    c
}

/// An SQS event (Lambda's event source mapping) of `bodies`, each with its message id.
fn sqs_event(bodies: &[(&str, String)]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            serde_json::json!({"messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:111111111111:hub-work",
                "awsRegion": HOME})
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// A sweep whose time runs out hands every account-Region it could not start to the work
/// queue, one share per account with its Regions, and changes nothing itself; the run is
/// handed on in full, so it is the sweep's success.
#[tokio::test]
async fn a_sweep_whose_time_runs_out_queues_the_rest_one_share_per_account() {
    let h = hub();
    // Less than the reserve a unit needs: nothing starts.
    let out = h
        .handle(LambdaEvent::new(
            serde_json::json!({"action": "sweep"}),
            ctx_with(100),
        ))
        .await
        .unwrap();
    let rows = out["units"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "{out}");
    assert!(rows.iter().all(|r| r["result"] == "queued"), "{out}");
    let shares = h.queue.as_ref().unwrap().sent();
    let by_account: Vec<(&str, Vec<&str>)> = shares
        .iter()
        .map(|s| {
            (
                s.account.as_str(),
                s.regions.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        by_account,
        [
            (HUB, vec![HOME, OTHER]),
            (A, vec![HOME, OTHER]),
            (NO_ROLE, vec![HOME, OTHER])
        ]
    );
    assert!(
        shares.iter().all(|s| out["trigger"] == s.trigger.as_str()),
        "{out}"
    );
    assert!(h.own.macie.updates().is_empty());
    assert!(member_jobs(&h, A, HOME).updates().is_empty());
    assert!(h.members.reached().is_empty(), "no member reached");
    // The run log says which account-Regions this run handed on, so that `org status --hub`
    // claims no sweep time for them until their shares are done.
    let macie_guard::runlog::AnyRunLog::Memory(log) = &h.own.runs else {
        unreachable!()
    };
    let seen = log.members(&format!("{HUB}#{HOME}"));
    assert_eq!(seen[0].not_done.len(), 6, "{seen:?}");
    assert!(
        seen[0].not_done.iter().all(|u| u.code == "queued"),
        "{seen:?}"
    );
}

/// The queue's messages are done as the sweep would have; a share one of whose Regions failed
/// is named in the partial batch response (received again), and done when it comes back; a
/// member without its role is counted, not retried; a message that is not a share is named.
#[tokio::test]
async fn queued_shares_are_done_and_a_failed_one_is_received_again() {
    let h = hub();
    let share = |account: &str, regions: &[&str]| {
        serde_json::json!({"kind": "macie-guard-share", "trigger": "sweep", "account": account, "regions": regions})
            .to_string()
    };
    // A's first update in HOME fails (after the SDK's retries).
    member_jobs(&h, A, HOME).answer_next_update(
        &id("a1"),
        macie_guard::expiry::jobs::memory::UpdateAnswer::Fails,
    );
    let event = sqs_event(&[
        ("m-a", share(A, &[HOME, OTHER])),
        ("m-norole", share(NO_ROLE, &[HOME])),
        ("m-hub", share(HUB, &[HOME])),
        ("m-junk", "{\"kind\": \"something-else\"}".into()),
        // Never in an account-Region the hub leaves to its per-account stack.
        ("m-left", share(PER_ACCOUNT, &[HOME])),
    ]);
    let out = h.handle(LambdaEvent::new(event, ctx())).await.unwrap();
    let failed: Vec<&str> = out["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["m-a", "m-junk"], "{out}");
    assert!(resumed(&member_jobs(&h, A, OTHER), "a2"));
    assert!(resumed(&h.own.macie, "e1"));
    assert!(member_jobs(&h, PER_ACCOUNT, HOME).updates().is_empty());
    // Received again: done.
    let again = sqs_event(&[("m-a", share(A, &[HOME, OTHER]))]);
    let out = h.handle(LambdaEvent::new(again, ctx())).await.unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([]), "{out}");
    assert_eq!(
        member_jobs(&h, A, HOME).status(&id("a1")),
        JobStatus::Running
    );
    // A2 was resumed once: done again, it is left as it is.
    assert_eq!(member_jobs(&h, A, OTHER).updates().len(), 1);
}

/// The upgrade from a per-account stack: while the account is in PerAccountStacks, neither the
/// sweep nor an event of it changes its jobs; the first sweep after its entry is removed (the
/// stack deleted once its journal held nothing open) guards it.
#[tokio::test]
async fn an_account_leaving_per_account_stacks_is_taken_over_by_the_next_sweep() {
    let h = hub();
    h.handle(LambdaEvent::new(
        serde_json::json!({"action": "sweep"}),
        ctx(),
    ))
    .await
    .unwrap();
    let out = h
        .handle(LambdaEvent::new(
            health_about(PER_ACCOUNT, HOME, "fa"),
            ctx(),
        ))
        .await
        .unwrap();
    assert_eq!(out["trigger"], "elsewhere", "{out}");
    let jobs = member_jobs(&h, PER_ACCOUNT, HOME);
    assert!(jobs.updates().is_empty(), "left to its own stack");
    // The entry removed (a stack update of the hub): the same organization, the same jobs.
    let mut h = h;
    h.config.per_account.clear();
    let out = h
        .handle(LambdaEvent::new(
            serde_json::json!({"action": "sweep"}),
            ctx(),
        ))
        .await
        .unwrap();
    assert!(resumed(&jobs, "fa"), "{out}");
    assert!(
        !out["left"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["account"] == PER_ACCOUNT),
        "{out}"
    );
}

/// Every sweep, complete or not, leaves in the run log what it saw of the members, for
/// `macie-guard status`: the account-Regions it could not reach and STS's answer.
#[tokio::test]
async fn a_sweep_leaves_the_members_it_could_not_reach_for_status() {
    let h = hub();
    h.handle(LambdaEvent::new(
        serde_json::json!({"action": "sweep"}),
        ctx(),
    ))
    .await
    .unwrap();
    let macie_guard::runlog::AnyRunLog::Memory(log) = &h.own.runs else {
        unreachable!()
    };
    let seen = log.members(&format!("{HUB}#{HOME}"));
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].run, "sweep");
    assert_eq!(seen[0].units, 6);
    let rows: Vec<(&str, &str, &str)> = seen[0]
        .unreached
        .iter()
        .map(|u| (u.account.as_str(), u.region.as_str(), u.code.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (NO_ROLE, HOME, "AccessDenied"),
            (NO_ROLE, OTHER, "AccessDenied")
        ]
    );
}
