//! Every lost-job report says how to get the job back: the notification (and so the chat
//! message), the event and the Security Hub finding carry the exact `macie-guard recreate`
//! command; a recurring job's lost run gets none.

use crate::expiry::job::{JobSnapshot, JobStatus, JobType};
use crate::expiry::outcome::{JobReport, Outcome, Summary};
use crate::expiry::plan::Step;
use crate::expiry::reason::{By, Known, Loss, Reason};
use serde_json::json;

const ID: &str = "0123456789abcdef0123456789abcdef";
const COMMAND: &str = "macie-guard --region eu-west-1 recreate 0123456789abcdef0123456789abcdef";

fn summary(job_type: JobType) -> Summary {
    let job = JobSnapshot {
        job_id: ID.into(),
        name: "customer-records".into(),
        status: JobStatus::Cancelled,
        job_type,
        paused_at: None,
        expires_at: None,
        health_event_arn: None,
        tags: None,
    };
    let mut s = Summary::new("health", "111122223333", "eu-west-1", false);
    let mut r = JobReport::new(
        &job,
        chrono::Utc::now(),
        Step::Lost,
        Outcome::Lost,
        Reason::Lost {
            loss: Loss::OneTime,
            declined: None,
        },
    );
    r.definition = Some(json!({"jobType": "ONE_TIME", "s3JobDefinition": {}}));
    s.jobs.push(r);
    s
}

#[test]
fn a_lost_one_time_job_carries_its_recreate_command_everywhere() {
    let s = summary(JobType::OneTime);
    let n = super::expiry::notification(&s).expect("a lost job is told");
    assert!(
        n.next_steps.iter().any(|x| x.contains(COMMAND)),
        "{:?}",
        n.next_steps
    );
    let chat = super::chat::custom_notification(&n, "id");
    assert!(chat.to_string().contains(COMMAND), "{chat}");
    let events = super::expiry::events(&s);
    assert_eq!(events[0].detail["recreate"], COMMAND);
    let sync = super::asff::expiry::expiry_sync(&s, false);
    assert!(
        sync.findings[0].recommendation.contains(COMMAND),
        "{}",
        sync.findings[0].recommendation
    );
}

#[test]
fn a_recurring_jobs_lost_run_needs_no_recreate() {
    let s = summary(JobType::Scheduled);
    let n = super::expiry::notification(&s).unwrap();
    assert!(!n.next_steps.iter().any(|x| x.contains("recreate ")));
    assert!(!n.text.contains("bring it back"));
    assert!(n
        .next_steps
        .iter()
        .any(|x| x.contains("nothing to recreate")));
    assert!(super::expiry::events(&s)[0]
        .detail
        .get("recreate")
        .is_none());
    let sync = super::asff::expiry::expiry_sync(&s, false);
    assert!(sync.findings[0]
        .recommendation
        .contains("nothing to recreate"));
}

/// A lost job the guard recreated (its tag asked): every report names the new job and none
/// asks a person to run the command.
#[test]
fn a_recreated_job_is_reported_with_its_new_job_and_no_command() {
    let mut s = summary(JobType::OneTime);
    let new = "fedcba9876543210fedcba9876543210";
    let arn = format!("arn:aws:macie2:eu-west-1:111122223333:classification-job/{new}");
    s.jobs[0].action = Step::Recreate;
    s.jobs[0].outcome = Outcome::Done;
    s.jobs[0].reason = Reason::Recreated {
        known: Known::HealthEvent,
        by: By::Tag,
        interrupted: false,
        created: true,
    };
    s.jobs[0].recreated = Some(crate::expiry::outcome::NewJob {
        job_id: new.into(),
        job_arn: arn.clone(),
        name: "customer-records (recreated)".into(),
    });
    let n = super::expiry::notification(&s).expect("a recreated job is told");
    assert!(n.text.contains(new), "{}", n.text);
    assert!(!n.text.contains("bring it back"), "{}", n.text);
    assert!(!n.next_steps.iter().any(|x| x.contains(COMMAND)));
    assert_eq!(n.facts["jobs"][0]["recreated"]["job_id"], new);
    let events = super::expiry::events(&s);
    assert_eq!(events[0].detail["recreated"]["jobId"], new);
    assert_eq!(events[0].detail["action"], "recreate");
    assert!(events[0].detail.get("recreate").is_none());
    assert!(events[0].resources.contains(&arn));
    let sync = super::asff::expiry::expiry_sync(&s, false);
    let f = &sync.findings[0];
    assert_eq!(
        f.generator_id,
        format!("{}PAUSED_JOB_RECREATED", super::asff::ID_PREFIX)
    );
    assert_eq!(f.severity, "INFORMATIONAL");
    assert!(
        f.title.contains(new) && f.recommendation.contains(new),
        "{f:?}"
    );
    assert!(f.resources.iter().any(|r| r.id == arn));
    assert!(
        sync.resolve_ids
            .iter()
            .any(|id| id.ends_with(&format!("/job/111122223333/eu-west-1/{ID}"))),
        "the at-risk finding is resolved: {:?}",
        sync.resolve_ids
    );
}

/// The chat channel's buttons read what the notification carries: each action's variables
/// exist, at the path the action reads them, in the custom notification of the job it is
/// offered for; no other notification offers it.
#[test]
fn each_chat_actions_variables_are_in_the_notifications_it_is_on() {
    use super::chat::{custom_notification, ACTIONS, COMMAND_MAX, VARIABLE_PATH};
    let lost = summary(JobType::OneTime);
    let mut expiring = summary(JobType::OneTime);
    expiring.jobs[0].outcome = Outcome::Notified;
    expiring.jobs[0].action = Step::Notify;
    expiring.jobs[0].status = "USER_PAUSED".into();
    expiring.jobs[0].definition = None;
    let chat = |s: &Summary| custom_notification(&super::expiry::notification(s).unwrap(), "id");
    let at = |v: &serde_json::Value, path: &str| -> Option<String> {
        let mut cur = v;
        for part in path.strip_prefix("event.")?.split('.') {
            cur = cur.get(part)?;
        }
        cur.as_str().map(str::to_string)
    };
    for a in ACTIONS {
        let on = match a.offer {
            "expiring" => &expiring,
            "lost" => &lost,
            other => panic!("{}: no notification offers {other}", a.name),
        };
        let n = chat(on);
        for v in a.variables {
            let value = at(&n, &format!("{VARIABLE_PATH}{v}"))
                .unwrap_or_else(|| panic!("{}: ${v} is not in {n}", a.name));
            assert!(
                !value.is_empty() && !value.contains(' '),
                "{}: ${v} = {value:?}",
                a.name
            );
        }
        let ctx = &n["metadata"]["additionalContext"];
        assert_eq!(ctx["offer"], a.offer);
        assert_eq!(ctx["account"], "111122223333");
        assert_eq!(ctx["region"], "eu-west-1");
        assert_eq!(ctx["jobId"], ID);
        for read in a.reads() {
            assert!(
                a.variables.contains(&read),
                "{}: ${read} is read and not defined",
                a.name
            );
        }
        // The criteria read offer, account and region; each attachment at most 5 variables.
        for v in ["offer", "account", "region"] {
            assert!(a.variables.contains(&v), "{}: {v}", a.name);
        }
        assert!(
            a.variables.len() <= 5 && a.button.chars().count() <= 50,
            "{}",
            a.name
        );
        assert!(
            a.command.chars().count() <= COMMAND_MAX,
            "{}: {} characters",
            a.name,
            a.command.len()
        );
        assert!(format!("{}-ap-southeast-5", a.name).len() <= 64);
        // The other notification does not offer it.
        let other = if a.offer == "lost" { &expiring } else { &lost };
        assert_ne!(
            chat(other)["metadata"]["additionalContext"]["offer"],
            a.offer
        );
    }
    // Nothing to press: two jobs at once, a dry run, a job already back, an odd job id.
    let mut two = expiring.clone();
    let mut second = two.jobs[0].clone();
    second.job_id = "fedcba9876543210fedcba9876543210".into();
    two.jobs.push(second);
    let mut dry = expiring.clone();
    dry.dry_run = true;
    let mut back = lost.clone();
    back.jobs[0].recreated = Some(crate::expiry::outcome::NewJob {
        job_id: "fedcba9876543210fedcba9876543210".into(),
        job_arn: "arn".into(),
        name: "n".into(),
    });
    back.jobs[0].outcome = Outcome::Done;
    let mut odd = expiring.clone();
    odd.jobs[0].job_id = "$(reboot)".into();
    for (case, s) in [
        ("two", two),
        ("dry run", dry),
        ("recreated", back),
        ("odd id", odd),
    ] {
        let n = chat(&s);
        assert!(
            n["metadata"]["additionalContext"].get("offer").is_none(),
            "{case}: {n}"
        );
    }
}
