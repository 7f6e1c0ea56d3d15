//! A lost job back: the CreateClassificationJob request that recreates a cancelled job from
//! its definition (as DescribeClassificationJob gives it, or as a lost job's report carries
//! it). Pure: the adapter reads the job and sends the request.
//!
//! Once only: the client token is derived from the job that was lost. Macie cancels a job
//! once, for good, so one token stands for that loss; CreateClassificationJob with the same
//! token gives the job it already created.

use serde_json::{Map, Value};
use thiserror::Error;

use super::job::{JobSnapshot, JobStatus, JobType};
use super::policy::{distance, folded, Exclusions, Near};
use super::reason::NotRecreated;

/// The tag the new job carries: the job it came from.
pub const RECREATED_FROM_TAG: &str = "macie-guard:recreated-from";

/// CreateClassificationJob: "The name can contain as many as 500 characters."
pub const NAME_MAX: usize = 500;

/// What DescribeClassificationJob returns and CreateClassificationJob takes (botocore's
/// macie2 model: the members of both shapes, less the job's own state).
pub const CREATE_FIELDS: [&str; 12] = [
    "name",
    "description",
    "jobType",
    "s3JobDefinition",
    "samplingPercentage",
    "initialRun",
    "managedDataIdentifierSelector",
    "managedDataIdentifierIds",
    "customDataIdentifierIds",
    "allowListIds",
    "scheduleFrequency",
    "tags",
];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RecreateError {
    #[error("job {job_id} is {status}, not CANCELLED: only a job Macie cancelled is recreated (a paused job can still be resumed: macie-guard jobs)")]
    NotLost { job_id: String, status: String },
    #[error("the definition of job {job_id} has no {field}: it cannot be recreated as it was")]
    Incomplete { job_id: String, field: &'static str },
    #[error("the name {name:?} has {chars} characters; Macie takes 1 to {NAME_MAX}: choose another with --name")]
    Name { name: String, chars: usize },
    #[error("no lost job's definition in {what}: give a lost job's report or event (JSON, with jobId and definition), or the job's id")]
    NoDefinition { what: String },
}

/// The client token of the job that recreates `job_id` (at most 64 characters: Macie's job ids
/// are 32).
pub fn client_token(job_id: &str) -> String {
    let id: String = job_id.chars().take(43).collect();
    format!("macie-guard-recreate-{id}")
}

/// The default name: the original's, saying it was recreated, within Macie's limit.
pub fn name_for(original: &str) -> String {
    const SUFFIX: &str = " (recreated)";
    let room = NAME_MAX - SUFFIX.chars().count();
    let base: String = original.chars().take(room).collect();
    format!("{base}{SUFFIX}")
}

/// JSON without its nulls and empty lists (the definition as told leaves them where the
/// job had nothing; CreateClassificationJob wants them absent).
fn pruned(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Array(a) => {
            let items: Vec<Value> = a.iter().filter_map(pruned).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(m) => {
            let kept: Map<String, Value> = m
                .iter()
                .filter_map(|(k, v)| pruned(v).map(|v| (k.clone(), v)))
                .collect();
            Some(Value::Object(kept))
        }
        other => Some(other.clone()),
    }
}

/// The request that recreates `job_id` from `definition`; `name` chooses the new job's name.
pub fn request(
    job_id: &str,
    definition: &Value,
    name: Option<&str>,
) -> Result<Value, RecreateError> {
    let mut out = Map::new();
    for field in CREATE_FIELDS {
        if let Some(v) = definition.get(field).and_then(pruned) {
            out.insert(field.to_string(), v);
        }
    }
    for field in ["s3JobDefinition", "jobType"] {
        if !out.contains_key(field) {
            return Err(RecreateError::Incomplete {
                job_id: job_id.to_string(),
                field,
            });
        }
    }
    // initialRun is for recurring jobs only ("If you configure the job to run only once,
    // don't specify a value for this property").
    if out.get("jobType").and_then(Value::as_str) != Some("SCHEDULED") {
        out.remove("initialRun");
        out.remove("scheduleFrequency");
    }
    let original = definition
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(job_id);
    let name = match name {
        Some(n) => n.to_string(),
        None => name_for(original),
    };
    let chars = name.chars().count();
    if chars == 0 || chars > NAME_MAX {
        return Err(RecreateError::Name { name, chars });
    }
    out.insert("name".into(), Value::String(name));
    let mut tags = out
        .remove("tags")
        .and_then(|t| t.as_object().cloned())
        .unwrap_or_default();
    tags.insert(RECREATED_FROM_TAG.into(), Value::String(job_id.to_string()));
    out.insert("tags".into(), Value::Object(tags));
    out.insert("clientToken".into(), Value::String(client_token(job_id)));
    Ok(Value::Object(out))
}

/// The tag a one-time job's owner sets to have the guard create the job again, once, when
/// Macie cancels it after its pause expired. Only this value; the stack must allow it
/// (`ExpiryConfig::recreate_lost`).
pub const ON_LOST_TAG: &str = "macie-guard:on-lost";
pub const ON_LOST_RECREATE: &str = "recreate";

/// A job watched for its tag is taken as cancelled by Macie's expiry only when the guard saw it
/// still paused at most this long before the pause expired: a person who cancels a job falls
/// in that gap at most (the sweep sees every paused job in the window on each run).
pub const SIGHTING_HOURS: i64 = 24;

/// What the job's tags ask for when it is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// No `macie-guard:on-lost` tag, nor one like it.
    Nothing,
    /// `macie-guard:on-lost=recreate` (the value's letter case and surrounding spaces aside,
    /// as for `macie-guard:on-expiry`).
    Recreate,
    /// A tag that almost says it: nothing is recreated; the report says why.
    NearMiss(Near),
}

/// What the job's tags ask for when it is lost.
pub fn asked(job: &JobSnapshot) -> Asked {
    let Some(tags) = job.tags.as_ref() else {
        return Asked::Nothing;
    };
    if let Some(v) = tags.get(ON_LOST_TAG) {
        return if v.trim().eq_ignore_ascii_case(ON_LOST_RECREATE) {
            Asked::Recreate
        } else {
            Asked::NearMiss(Near::Value { value: v.clone() })
        };
    }
    let want = folded(ON_LOST_TAG);
    match tags.keys().find(|k| {
        let f = folded(k);
        f == want || distance(&f, &want) <= 3
    }) {
        Some(k) => Asked::NearMiss(Near::Key { key: k.clone() }),
        None => Asked::Nothing,
    }
}

/// What the guard does about a job Macie reports cancelled (`job` as described now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnLost {
    /// Report it lost, with the command: nobody asked for more.
    Report,
    /// Create it again, once.
    Recreate,
    /// Report it lost, with the command, and why the tag's wish was not followed.
    Declined(NotRecreated),
    /// Excluded from macie-guard (`EXCLUDE_JOBS`): nothing is done, the report says so.
    Excluded,
}

/// The decision for a job Macie reports cancelled: an excluded job (`EXCLUDE_JOBS`) is left
/// alone whatever its tag says; else its tag, its type and state, and whether this stack
/// recreates lost jobs (`allowed`).
pub fn on_lost(job: &JobSnapshot, allowed: bool, exclusions: &Exclusions) -> OnLost {
    if exclusions.matches(&job.job_id, &job.name) {
        return OnLost::Excluded;
    }
    match (
        by_tag(job, allowed),
        exclusions.near_miss(&job.job_id, &job.name),
    ) {
        (OnLost::Recreate, Some(entry)) => {
            OnLost::Declined(NotRecreated::NearMiss(Near::Exclusion { entry }))
        }
        (decided, _) => decided,
    }
}

/// The decision by the job's tag alone (see [`on_lost`]).
fn by_tag(job: &JobSnapshot, allowed: bool) -> OnLost {
    match asked(job) {
        Asked::Nothing => OnLost::Report,
        Asked::NearMiss(near) => OnLost::Declined(NotRecreated::NearMiss(near)),
        Asked::Recreate if job.job_type != JobType::OneTime => {
            OnLost::Declined(NotRecreated::Recurring)
        }
        Asked::Recreate if job.status != JobStatus::Cancelled => {
            OnLost::Declined(NotRecreated::NotCancelled {
                status: job.status.clone(),
            })
        }
        Asked::Recreate if !shell_safe(&job.job_id) => OnLost::Declined(NotRecreated::IdNotPlain),
        Asked::Recreate if !allowed => OnLost::Declined(NotRecreated::NotAllowed),
        Asked::Recreate => OnLost::Recreate,
    }
}

/// Whether a paused job is one to watch: should Macie cancel it at expiry, a sweep that finds
/// it cancelled recreates it (the Health event may never come, or come to nobody).
pub fn worth_watching(job: &JobSnapshot, allowed: bool, exclusions: &Exclusions) -> bool {
    !exclusions.matches(&job.job_id, &job.name) && worth_watching_by_tag(job, allowed)
}

fn worth_watching_by_tag(job: &JobSnapshot, allowed: bool) -> bool {
    allowed
        && asked(job) == Asked::Recreate
        && job.job_type == JobType::OneTime
        && job.status == JobStatus::UserPaused
        && job.expires_at.is_some()
        && shell_safe(&job.job_id)
}

/// A watched job, as a sweep finds it (see [`watched`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sighting {
    /// Cancelled after its pause expired, and seen paused shortly before: Macie's expiry.
    Lost,
    /// Cancelled after its pause expired, and last seen paused too long before to tell
    /// Macie's cancellation from a person's: reported lost, not recreated, and why.
    Unsure(NotRecreated),
    /// Cancelled before its pause could expire: a person (or its policy) ended it.
    CancelledEarly,
    /// Still paused: Macie has not cancelled it yet.
    Waiting,
    /// Resumed, finished, or gone: nothing to watch any more.
    Done,
}

/// What a watched job's state says: `expires_at` and `seen_paused_at` are what the guard
/// recorded (epoch seconds), `status` is the job now.
pub fn watched(status: &JobStatus, expires_at: i64, seen_paused_at: i64, now: i64) -> Sighting {
    // Macie cancels at expiry; five minutes for clocks that disagree.
    const SKEW: i64 = 300;
    match status {
        JobStatus::UserPaused => Sighting::Waiting,
        JobStatus::Cancelled if now + SKEW < expires_at => Sighting::CancelledEarly,
        JobStatus::Cancelled if seen_paused_at + SIGHTING_HOURS * 3600 >= expires_at => {
            Sighting::Lost
        }
        JobStatus::Cancelled => Sighting::Unsure(NotRecreated::SeenTooEarly {
            hours: (expires_at - seen_paused_at) / 3600,
        }),
        _ => Sighting::Done,
    }
}

/// Only a job id of Macie's alphabet is put into a command people paste into a shell (or a
/// chat channel's button runs).
pub fn shell_safe(job_id: &str) -> bool {
    !job_id.is_empty()
        && job_id.len() <= 64
        && job_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The command that brings `job_id` back (every lost job's report carries it).
pub fn command(job_id: &str, region: &str) -> String {
    format!("macie-guard --region {region} recreate {job_id}")
}

/// A reported job `recreate` can bring back: a one-time job reported with its definition
/// (lost, or cancelled by its policy). A recurring job's lost run needs nothing: the job
/// stays and runs on its schedule.
/// A job already recreated (`recreated`) needs no command.
pub fn recreatable(j: &crate::expiry::outcome::JobReport) -> bool {
    shell_safe(&j.job_id)
        && j.definition.is_some()
        && j.job_type == JobType::OneTime
        && j.recreated.is_none()
}

/// The lost job in a report or event (the guard's JSON): the first object anywhere in it
/// that has a `jobId` and a `definition`.
pub fn lost_in(v: &Value) -> Option<(String, Value)> {
    match v {
        Value::Object(m) => {
            if let (Some(Value::String(id)), Some(d @ Value::Object(_))) =
                (m.get("jobId"), m.get("definition"))
            {
                return Some((id.clone(), d.clone()));
            }
            m.values().find_map(lost_in)
        }
        Value::Array(a) => a.iter().find_map(lost_in),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn described() -> Value {
        json!({
            "name": "customer-records-scan",
            "description": "quarterly",
            "jobType": "ONE_TIME",
            "jobArn": "arn:aws:macie2:us-east-1:111122223333:classification-job/abc",
            "createdAt": "2026-10-01T00:00:00Z",
            "initialRun": false,
            "samplingPercentage": 50,
            "managedDataIdentifierSelector": "EXCLUDE",
            "managedDataIdentifierIds": ["CREDIT_CARD_NUMBER"],
            "customDataIdentifierIds": ["c1"],
            "allowListIds": [],
            "tags": {"team": "data", "macie-guard:on-expiry": "keep-paused"},
            "s3JobDefinition": {
                "bucketCriteria": {
                    "includes": {"and": [{"simpleCriterion": {"comparator": "EQ", "key": "ACCOUNT_ID", "values": ["111122223333"]}, "tagCriterion": null}]},
                    "excludes": null
                }
            }
        })
    }

    #[test]
    fn the_request_keeps_every_create_field_and_nothing_else() {
        let r = request("abc", &described(), None).unwrap();
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        for k in ["jobArn", "createdAt", "initialRun", "allowListIds"] {
            assert!(!keys.contains(&k), "{k}: {keys:?}");
        }
        assert_eq!(r["name"], "customer-records-scan (recreated)");
        assert_eq!(r["samplingPercentage"], 50);
        assert_eq!(r["managedDataIdentifierIds"], json!(["CREDIT_CARD_NUMBER"]));
        assert_eq!(r["tags"]["team"], "data");
        assert_eq!(r["tags"][RECREATED_FROM_TAG], "abc");
        assert_eq!(r["clientToken"], "macie-guard-recreate-abc");
        // Nulls gone: no tagCriterion, no excludes.
        assert_eq!(
            r["s3JobDefinition"],
            json!({"bucketCriteria": {"includes": {"and": [{"simpleCriterion": {"comparator": "EQ", "key": "ACCOUNT_ID", "values": ["111122223333"]}}]}}})
        );
    }

    #[test]
    fn the_same_job_gives_the_same_token_and_names_stay_within_the_limit() {
        assert_eq!(
            request("abc", &described(), None).unwrap()["clientToken"],
            request("abc", &described(), Some("other")).unwrap()["clientToken"]
        );
        assert!(client_token(&"f".repeat(64)).len() <= 64);
        let long = "n".repeat(600);
        let name = name_for(&long);
        assert_eq!(name.chars().count(), NAME_MAX);
        assert!(name.ends_with(" (recreated)"));
        assert!(matches!(
            request("abc", &described(), Some(&"x".repeat(501))),
            Err(RecreateError::Name { chars: 501, .. })
        ));
        assert!(matches!(
            request("abc", &described(), Some("")),
            Err(RecreateError::Name { chars: 0, .. })
        ));
    }

    #[test]
    fn a_definition_without_its_buckets_is_refused() {
        let mut d = described();
        d.as_object_mut().unwrap().remove("s3JobDefinition");
        assert_eq!(
            request("abc", &d, None),
            Err(RecreateError::Incomplete {
                job_id: "abc".into(),
                field: "s3JobDefinition"
            })
        );
    }

    #[test]
    fn a_recurring_job_keeps_its_schedule() {
        let mut d = described();
        d["jobType"] = json!("SCHEDULED");
        d["scheduleFrequency"] = json!({"weeklySchedule": {"dayOfWeek": "MONDAY"}});
        let r = request("abc", &d, None).unwrap();
        assert_eq!(
            r["scheduleFrequency"]["weeklySchedule"]["dayOfWeek"],
            "MONDAY"
        );
        assert_eq!(r["initialRun"], false);
    }

    #[test]
    fn only_a_one_time_job_with_its_definition_and_a_plain_id_gets_a_command() {
        use crate::expiry::outcome::{JobReport, Outcome};
        use crate::expiry::plan::Step;
        let mut j = JobReport::unknown(
            "0123456789abcdef0123456789abcdef",
            Step::Lost,
            Outcome::Lost,
            crate::expiry::reason::Reason::NotFound,
        );
        j.job_type = crate::expiry::job::JobType::OneTime;
        assert!(!recreatable(&j), "no definition");
        j.definition = Some(described());
        assert!(recreatable(&j));
        assert_eq!(
            command(&j.job_id, "eu-west-1"),
            "macie-guard --region eu-west-1 recreate 0123456789abcdef0123456789abcdef"
        );
        j.job_id = "abc; rm -rf ~".into();
        assert!(!recreatable(&j), "not of Macie's alphabet");
        j.job_id = "0123456789abcdef0123456789abcdef".into();
        j.job_type = crate::expiry::job::JobType::Scheduled;
        assert!(!recreatable(&j), "a recurring job stays");
    }

    fn lost_job(tags: &[(&str, &str)]) -> JobSnapshot {
        JobSnapshot {
            job_id: "0123456789abcdef0123456789abcdef".into(),
            name: "scan".into(),
            status: JobStatus::Cancelled,
            job_type: JobType::OneTime,
            paused_at: None,
            expires_at: None,
            health_event_arn: None,
            tags: Some(
                tags.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        }
    }

    /// EXCLUDE_JOBS wins over the tag: an excluded job is never recreated nor watched, by id or
    /// name prefix; an entry that almost matches declines and says why.
    #[test]
    fn an_excluded_job_is_never_recreated_nor_watched() {
        let exact = lost_job(&[(ON_LOST_TAG, "recreate")]);
        let by_id = Exclusions {
            ids: vec![exact.job_id.clone()],
            name_prefixes: vec![],
        };
        let by_name = Exclusions {
            ids: vec![],
            name_prefixes: vec![exact.name[..3].to_string()],
        };
        assert_eq!(on_lost(&exact, true, &by_id), OnLost::Excluded);
        assert_eq!(on_lost(&exact, true, &by_name), OnLost::Excluded);
        assert_eq!(
            on_lost(&exact, true, &Exclusions::default()),
            OnLost::Recreate
        );
        let near = Exclusions {
            ids: vec![exact.job_id.to_uppercase()],
            name_prefixes: vec![],
        };
        match on_lost(&exact, true, &near) {
            OnLost::Declined(NotRecreated::NearMiss(Near::Exclusion { entry })) => {
                assert_eq!(entry, exact.job_id.to_uppercase())
            }
            other => panic!("{other:?}"),
        }
        let mut paused = exact.clone();
        paused.status = JobStatus::UserPaused;
        paused.expires_at = Some(chrono::Utc::now());
        assert!(worth_watching(&paused, true, &Exclusions::default()));
        assert!(!worth_watching(&paused, true, &by_id));
        assert!(!worth_watching(&paused, true, &by_name));
    }

    #[test]
    fn only_the_exact_tag_on_a_cancelled_one_time_job_in_a_stack_that_allows_it_recreates() {
        let exact = lost_job(&[(ON_LOST_TAG, "recreate")]);
        assert_eq!(by_tag(&exact, true), OnLost::Recreate);
        assert_eq!(
            by_tag(&lost_job(&[(ON_LOST_TAG, " ReCreate ")]), true),
            OnLost::Recreate,
            "the value's case and spaces do not matter, as for on-expiry"
        );
        assert_eq!(by_tag(&lost_job(&[("team", "data")]), true), OnLost::Report);
        let declined = |job: &JobSnapshot, allowed: bool, says: &str| match by_tag(job, allowed) {
            OnLost::Declined(why) => assert!(format!("{why:?}").starts_with(says), "{why:?}"),
            other => panic!("{job:?}: {other:?}"),
        };
        declined(&exact, false, "NotAllowed");
        // Near misses of the key and wrong values change nothing and say why.
        for key in [
            "macie-guard:on-lost ",
            "Macie-Guard:On-Lost",
            "macie-guard/on-lost",
            "macie_guard:onlost",
            "macie-guard:on-los",
        ] {
            declined(&lost_job(&[(key, "recreate")]), true, "NearMiss(Key");
        }
        for value in ["re-create", "yes", "true", ""] {
            declined(&lost_job(&[(ON_LOST_TAG, value)]), true, "NearMiss(Value");
        }
        // Neither tag is a near miss of the other.
        let both = lost_job(&[(ON_LOST_TAG, "recreate")]);
        assert_eq!(
            crate::expiry::policy::resolve_policy(
                &both,
                crate::expiry::policy::Policy::Notify,
                &Default::default()
            )
            .1,
            crate::expiry::policy::PolicySource::Default
        );
        assert_eq!(
            by_tag(&lost_job(&[("macie-guard:on-expiry", "cancel")]), true),
            OnLost::Report
        );
        let mut recurring = exact.clone();
        recurring.job_type = JobType::Scheduled;
        recurring.status = JobStatus::Idle;
        declined(&recurring, true, "Recurring");
        let mut running = exact.clone();
        running.status = JobStatus::Running;
        declined(&running, true, "NotCancelled");
        let mut odd = exact.clone();
        odd.job_id = "abc; rm -rf ~".into();
        declined(&odd, true, "IdNotPlain");
    }

    #[test]
    fn a_paused_tagged_one_time_job_is_watched_only_where_recreating_is_allowed() {
        let mut paused = lost_job(&[(ON_LOST_TAG, "recreate")]);
        paused.status = JobStatus::UserPaused;
        paused.expires_at = Some(chrono::Utc::now());
        assert!(worth_watching_by_tag(&paused, true));
        assert!(!worth_watching_by_tag(&paused, false));
        let mut recurring = paused.clone();
        recurring.job_type = JobType::Scheduled;
        assert!(!worth_watching_by_tag(&recurring, true));
        let mut idle_pause = paused.clone();
        idle_pause.expires_at = None;
        assert!(
            !worth_watching_by_tag(&idle_pause, true),
            "a pause that never expires"
        );
        let mut near = paused.clone();
        near.tags = Some([("macie-guard:on-lost ".to_string(), "recreate".to_string())].into());
        assert!(!worth_watching_by_tag(&near, true));
    }

    #[test]
    fn a_watched_job_found_cancelled_is_lost_only_when_it_was_seen_paused_shortly_before_expiry() {
        let expires = 1_000_000_000;
        let h = 3600;
        use JobStatus::*;
        assert_eq!(
            watched(&UserPaused, expires, expires - h, expires + h),
            Sighting::Waiting
        );
        assert_eq!(
            watched(&Cancelled, expires, expires - 6 * h, expires + h),
            Sighting::Lost
        );
        assert_eq!(
            watched(
                &Cancelled,
                expires,
                expires - SIGHTING_HOURS * h,
                expires + h
            ),
            Sighting::Lost
        );
        assert!(matches!(
            watched(
                &Cancelled,
                expires,
                expires - SIGHTING_HOURS * h - 1,
                expires + h
            ),
            Sighting::Unsure(NotRecreated::SeenTooEarly { hours: 24 })
        ));
        assert_eq!(
            watched(
                &Cancelled,
                expires,
                expires - 3 * 24 * h,
                expires - 2 * 24 * h
            ),
            Sighting::CancelledEarly,
            "found cancelled before its pause could expire"
        );
        for status in [Running, Idle, Complete, Paused] {
            assert_eq!(
                watched(&status, expires, expires - h, expires + h),
                Sighting::Done
            );
        }
    }

    #[test]
    fn the_lost_job_is_found_in_a_report_or_an_event() {
        let report = json!({"trigger": "sweep", "jobs": [{"jobId": "x"}, {"jobId": "abc", "definition": described()}]});
        assert_eq!(lost_in(&report).unwrap().0, "abc");
        let event = json!({"detail-type": "x", "detail": {"job": {"jobId": "abc", "definition": described()}}});
        assert_eq!(lost_in(&event).unwrap().0, "abc");
        assert!(lost_in(&json!({"jobId": "abc"})).is_none());
    }
}
