//! Every lost-job report says how to get the job back: the notification (and so the chat
//! message), the event and the Security Hub finding carry the exact `macie-guard recreate`
//! command; a recurring job's lost run gets none.

use crate::expiry::outcome::{JobReport, Outcome, Summary};
use crate::expiry::policy::{JobSnapshot, JobStatus, JobType, Step};
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
        "lost".into(),
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
    s.jobs[0].message = format!("recreated as {new}");
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
