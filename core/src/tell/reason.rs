//! Every sentence of the expiry guard's job results, once: a [`Reason`] and the report it
//! belongs to in, the sentence out. The notification, the chat text, the events, Security
//! Hub's description and the CLI's text and JSON all read [`JobReport::message`]; the guard
//! writes none.
//!
//! The sentence keeps values exact (a job's name as Macie returns it); where it becomes
//! readable text it is escaped there (`text::safe`).

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use crate::expiry::job::{JobSnapshot, JobType};
use crate::expiry::outcome::{JobReport, NewJob, Outcome};
use crate::expiry::plan::Quiet;
use crate::expiry::plan::Step;
use crate::expiry::policy::{Near, Policy, PolicySource, POLICY_TAG};
use crate::expiry::reason::{By, Caveat, Known, Loss, NotRecreated, Prompt, Reason, Unread};
use crate::expiry::recreate::{ON_LOST_RECREATE, ON_LOST_TAG};

/// A time as every sentence writes it.
pub fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What kind of job it is, in words.
pub fn kind(t: JobType) -> &'static str {
    match t {
        JobType::OneTime => "one-time job",
        JobType::Scheduled => "recurring job",
        JobType::Unknown => "job",
    }
}

/// The job as people read it. The name is the raw value: readable text is made safe where it
/// is rendered, the JSON keeps it exact.
pub fn label(job: &JobSnapshot) -> String {
    named(job.job_type, &job.name, &job.job_id)
}

fn named(job_type: JobType, name: &str, job_id: &str) -> String {
    if name.is_empty() {
        format!("{} {}", kind(job_type), job_id)
    } else {
        format!("{} \"{}\" ({})", kind(job_type), name, job_id)
    }
}

/// What a policy does to a job of this type, as the sentences say it.
pub fn fate(policy: Policy, job_type: JobType) -> &'static str {
    let recurring = job_type != JobType::OneTime;
    match (policy, recurring) {
        (Policy::Resume, false) => "resumed: its scan continues where it stopped",
        (Policy::Resume, true) => "resumed: its paused run continues, and its schedule stays",
        (Policy::KeepPaused, false) => {
            "resumed and paused again: it stays paused and its 30-day clock restarts"
        }
        (Policy::KeepPaused, true) => {
            "resumed and paused again: its run stays paused, its 30-day clock restarts, and its schedule stays"
        }
        (Policy::Cancel | Policy::CancelJob, false) => {
            "cancelled: its scan ends for good (its definition is in this report, to recreate it)"
        }
        (Policy::Cancel, true) => {
            "left alone: at expiry Macie cancels only the paused run; the job keeps its schedule and its next runs"
        }
        (Policy::CancelJob, true) => {
            "cancelled for good: the paused run and every future run end (its definition is in this report, to recreate it)"
        }
        (Policy::Notify, false) => "left alone: at expiry Macie cancels it and its scan is lost",
        (Policy::Notify, true) => {
            "left alone: at expiry Macie cancels its paused run; the job keeps its schedule"
        }
        (Policy::Ignore, _) => "left alone",
    }
}

/// Why a job is not at risk now.
pub fn quiet(q: &Quiet) -> String {
    match q {
        Quiet::NotPaused { status } => format!("job is {status}, not USER_PAUSED"),
        Quiet::NeverExpires => {
            "paused while no run was in progress; the pause never expires".to_string()
        }
        Quiet::OutsideWindow {
            expires_at,
            window_days,
        } => format!(
            "expires {}, outside the {window_days}-day warning window",
            when(*expires_at)
        ),
    }
}

/// A near miss of the `macie-guard:on-expiry` tag or of an exclusion.
pub fn near_policy(n: &Near) -> String {
    match n {
        Near::Exclusion { entry } => almost_excluded(entry),
        Near::Value { value } => format!(
            "tag {POLICY_TAG} has the value {value:?}, which is not a policy ({})",
            Policy::VALUES
        ),
        Near::Key { key } => format!(
            "tag key {key:?} is not the exact key {POLICY_TAG:?} (tag keys are case-sensitive)"
        ),
    }
}

fn almost_excluded(entry: &str) -> String {
    format!("EXCLUDE_JOBS entry {entry:?} almost matches this job but does not (letter case or separators differ; an exclusion must match exactly)")
}

/// Why a lost job was not recreated automatically.
pub fn not_recreated(n: &NotRecreated) -> String {
    match n {
        NotRecreated::NearMiss(Near::Exclusion { entry }) => almost_excluded(entry),
        NotRecreated::NearMiss(Near::Value { value }) => format!(
            "its tag {ON_LOST_TAG} has the value {value:?}, and the only value is {ON_LOST_RECREATE:?}"
        ),
        NotRecreated::NearMiss(Near::Key { key }) => format!(
            "its tag key {key:?} is not the exact key {ON_LOST_TAG:?} (tag keys are case-sensitive)"
        ),
        NotRecreated::Recurring => format!(
            "its tag {ON_LOST_TAG}={ON_LOST_RECREATE} is for one-time jobs: a recurring job loses only its paused run and keeps its schedule"
        ),
        NotRecreated::NotCancelled { status } => format!(
            "its tag {ON_LOST_TAG}={ON_LOST_RECREATE} asks for it to be recreated once lost, and it is {status}, not CANCELLED"
        ),
        NotRecreated::IdNotPlain => "its job id is not of Macie's alphabet (a-z, 0-9)".to_string(),
        NotRecreated::NotAllowed => format!(
            "its tag {ON_LOST_TAG}={ON_LOST_RECREATE} asks for it to be recreated, and this stack does not recreate lost jobs (parameter RecreateLostJobs is false)"
        ),
        NotRecreated::SeenTooEarly { hours } => format!(
            "macie-guard last saw it paused {hours} hours before its pause expired, too long before to tell Macie's cancellation from a person's"
        ),
        NotRecreated::Invalid { error } => format!("it cannot be recreated: {error}"),
        NotRecreated::Missing { by, missing } => format!(
            "it was to be recreated {}, and it cannot be recreated as it was: {} no longer exist(s). Nothing was created; create what is missing, then run the command",
            by_words(*by),
            missing.join(", ")
        ),
    }
}

fn known(k: &Known) -> String {
    match k {
        Known::HealthEvent => {
            "Macie cancelled it after it stayed paused for 30 days (its Health event says so)"
                .to_string()
        }
        Known::Watched {
            expires_at,
            seen_paused_at,
        } => format!(
            "Macie cancelled it when its pause expired ({}; macie-guard saw it paused at {})",
            expires_at.map(when).unwrap_or_default(),
            seen_paused_at.map(when).unwrap_or_default()
        ),
        Known::TagSet => "a cancelled one-time job".to_string(),
        Known::RunDecided => "it is CANCELLED, and a run decided to recreate it".to_string(),
    }
}

fn by_words(by: By) -> &'static str {
    match by {
        By::Tag => "as its tag macie-guard:on-lost=recreate asks",
        By::TagSet => "as its tag macie-guard:on-lost=recreate, set after it was cancelled, asks",
        By::Decided => "as decided before an earlier invocation was interrupted",
    }
}

const RECREATE_IT: &str = "recreate it once with `macie-guard recreate` (the command and the definition are in this report).";

fn loss(l: &Loss) -> String {
    match l {
        Loss::OneTime => format!("Macie cancelled this one-time job after it stayed paused for 30 days. Its scan is lost; {RECREATE_IT}"),
        Loss::Run => "Macie cancelled the paused run of this recurring job after 30 days; the job itself remains and runs on its schedule.".to_string(),
        Loss::WatchedCancelled => format!("This one-time job is CANCELLED and its 30-day pause has expired; Macie cancels such a job, and a person may have. Its scan is lost; {RECREATE_IT}"),
        Loss::Cancelled => "It is CANCELLED.".to_string(),
        Loss::Unrecreated(k) => format!("It is lost ({}); {RECREATE_IT}", known(k)),
    }
}

fn prompt(p: &Prompt) -> String {
    match p {
        Prompt::TaggedCancelled => "it was tagged and is CANCELLED".to_string(),
        Prompt::Lost(k) => format!("it is lost ({})", known(k)),
        Prompt::RecreateDecided => "an interrupted run had decided to recreate it".to_string(),
        Prompt::PauseAgainLeft => "an interrupted run resumed it to pause it again (keep-paused), and it was not paused again: pause it yourself if it must not run".to_string(),
        Prompt::ChangeLeftOpen(action) => {
            format!("a change ({}) was left open for it", action.as_str())
        }
    }
}

fn caveat(c: &Option<Caveat>) -> String {
    match c {
        Some(Caveat::NearMiss(n)) => format!(
            " Near miss: {}. macie-guard changes nothing on this job until it is spelled exactly: tag {POLICY_TAG}=<{}>.",
            near_policy(n),
            Policy::VALUES.replace(", ", "|")
        ),
        Some(Caveat::Refused { asked }) => format!(
            " Refused: its tag {POLICY_TAG} asks for {asked}, which this stack does not take from tags (HonouredTagPolicies); macie-guard changes nothing on this job. Ask the stack's owners, or change the job yourself."
        ),
        None => String::new(),
    }
}

fn interrupted_note(interrupted: bool) -> &'static str {
    if interrupted {
        " (finished after an earlier invocation was interrupted)"
    } else {
        ""
    }
}

impl JobReport {
    /// What happened to the job, in one paragraph: the one sentence for its reason.
    pub fn message(&self) -> String {
        let who = named(self.job_type, &self.name, &self.job_id);
        let expires = self.expires_at.map(when).unwrap_or_default();
        let left = self.days_left.unwrap_or_default();
        let status = &self.status;
        match &self.reason {
            Reason::Quiet(q) => format!("{who}: {}", quiet(q)),
            Reason::Excluded { asked: None } => {
                format!("{who} is excluded from macie-guard (EXCLUDE_JOBS)")
            }
            Reason::Excluded { asked: Some(p) } => format!(
                "{who} is excluded from macie-guard (EXCLUDE_JOBS): {}; nothing was done, it is {status}",
                prompt(p)
            ),
            Reason::PolicyIgnore => format!("{who} expires {expires}; policy ignore"),
            Reason::Warning {
                policy: Policy::Notify,
                caveat: c,
                ..
            } => format!(
                "{who} expires {expires} ({left:.1} days left). Its policy is notify, so macie-guard will not change it: it will be {}. Resume it, or tag it {POLICY_TAG}=resume|keep-paused|cancel, before then.{}",
                fate(Policy::Notify, self.job_type),
                caveat(c)
            ),
            Reason::Warning { policy, act_at, .. } => format!(
                "{who} expires {expires} ({left:.1} days left). On {} it will be {} (policy {policy}), unless you resume it first or tag it {POLICY_TAG} with another policy ({}).",
                act_at.map(when).unwrap_or_default(),
                fate(*policy, self.job_type),
                Policy::VALUES
            ),
            Reason::WillExpire { caveat: c } => format!(
                "{who} expires {expires} ({left:.1} days left) and macie-guard will not change it: it will be {}. Resume it now, or tag it {POLICY_TAG}=resume|keep-paused|cancel.{}",
                fate(Policy::Notify, self.job_type),
                caveat(c)
            ),
            Reason::RunLeftToExpire => format!(
                "{who} expires {expires} ({left:.1} days left); policy cancel: {}. To end the job and all its future runs, tag it {POLICY_TAG}=cancel-job.",
                fate(Policy::Cancel, self.job_type),
            ),
            Reason::WouldChange { action, policy } => format!(
                "{who} expires {expires}: would {} it (policy {policy}): it would be {}; DRY_RUN is on, nothing was changed",
                action.as_str(),
                fate(*policy, self.job_type)
            ),
            Reason::NotAttempted { action } => format!("{who}: {} not attempted", action.as_str()),
            Reason::NotAChange => {
                format!("{who}: recreate is not a change of a paused job; nothing was changed")
            }
            Reason::Changed { policy, from_tag } => format!(
                "{who} was {} (policy {policy}{}); it would have expired {expires}",
                fate(*policy, self.job_type),
                if *from_tag {
                    ", from its tag"
                } else {
                    ", the default"
                },
            ),
            Reason::Finished {
                policy,
                interrupted,
            } => format!(
                "{who} was {}{}",
                fate(*policy, self.job_type),
                interrupted_note(*interrupted)
            ),
            Reason::RunEndedFirst { interrupted } => format!(
                "{who} was resumed to be paused again, and its run finished ({status}) before it could be paused{}",
                interrupted_note(*interrupted)
            ),
            Reason::AlreadyMade { action } => format!(
                "{who}: another invocation already made this change ({})",
                action.as_str()
            ),
            Reason::AlreadyThere => format!("{who} is already {status}"),
            Reason::MovedAway { refusal } => format!(
                "{who} changed before macie-guard could act ({}: {}); it is {status} now, nothing left to do",
                refusal.code, refusal.message
            ),
            Reason::Busy {
                action,
                owner,
                until,
            } => format!(
                "{who} is being changed ({}) by another run ({owner}), which holds it until {} and renews that while it lives; left to it. If that run dies, the next run after then finishes the change and reports it",
                action.as_str(),
                until.map(when).unwrap_or_else(|| "an unknown time".into())
            ),
            Reason::RecreationLeftOpen => format!(
                "{who}: a recreation left open by another run is finished by recovery, first thing in the next run"
            ),
            Reason::NotFound => format!("{who} does not exist (any more)"),
            Reason::EventJobMissing => format!(
                "{who} named by a cancellation event does not exist in this account and Region"
            ),
            Reason::RecreateJobMissing => {
                format!("{who} was to be recreated and does not exist (any more)")
            }
            Reason::Disappeared => format!("{who} disappeared while being changed"),
            Reason::Unreadable { what, error } => match what {
                Unread::Job => error.clone(),
                Unread::LostJob => {
                    format!("could not read the lost job to report its definition: {error}")
                }
                Unread::Watched => format!(
                    "{who} (watched for {ON_LOST_TAG}={ON_LOST_RECREATE}) could not be read: {error}; the next sweep looks again"
                ),
                Unread::Watches => format!(
                    "could not read the jobs watched for {ON_LOST_TAG}={ON_LOST_RECREATE}: {error}; the next sweep looks again (the Health event still recreates them)"
                ),
            },
            Reason::LeaseFailed {
                error,
                creating: false,
            } => format!("{error}; nothing was changed (the job's lease could not be taken)"),
            Reason::LeaseFailed {
                error,
                creating: true,
            } => format!(
                "{error}; nothing was created (the job's lease could not be taken); the next run tries again"
            ),
            Reason::JournalFailed => format!(
                "{who}: its journal entry could not be updated; nothing was changed"
            ),
            Reason::RereadFailed { refusal, error } => format!(
                "{who}: Macie refused the change ({}: {}) and re-reading failed: {error}",
                refusal.code, refusal.message
            ),
            Reason::RefusedTwice { action, refusal } => format!(
                "{who}: {} refused twice ({}: {}); job is {status}",
                action.as_str(),
                refusal.code,
                refusal.message
            ),
            Reason::ChangeFailed { action, error } => {
                format!("{who}: {} failed: {error}", action.as_str())
            }
            Reason::RepauseFailed { error, now } => format!(
                "{who} was resumed to be paused again, and pausing it failed ({error}); it is {now} now. The next invocation pauses it again; pause it by hand if it must not run"
            ),
            Reason::Lost { loss: l, declined } => {
                let mut m = format!("{who}: {}", loss(l));
                if let Some(why) = declined {
                    m.push_str(&format!(
                        " Not recreated automatically: {}.",
                        not_recreated(why)
                    ));
                }
                m
            }
            Reason::LostUnidentified {
                loss: l,
                event_arn,
                description,
            } => format!(
                "{} The event did not identify the job (Health event {event_arn}): {}",
                loss(l),
                description.as_deref().unwrap_or("no description")
            ),
            Reason::TaggedCancelled => format!("{who} was tagged and is CANCELLED: nothing to do"),
            Reason::Recreated {
                known: k,
                by,
                interrupted,
                created,
            } => {
                let (name, id) = self
                    .recreated
                    .as_ref()
                    .map(|n: &NewJob| (n.name.as_str(), n.job_id.as_str()))
                    .unwrap_or_default();
                format!(
                    "{who}: {}; it was recreated, once, {}: the new job is \"{name}\" ({id}){}{}",
                    known(k),
                    by_words(*by),
                    if *created {
                        ", and its scan starts over"
                    } else {
                        ""
                    },
                    interrupted_note(*interrupted)
                )
            }
            Reason::WouldRecreate { known: k, by, name } => format!(
                "{who}: {}; it would be recreated {}, as \"{name}\" (dry run: nothing was created)",
                known(k),
                by_words(*by)
            ),
            Reason::RecreatedThisRun => format!("{who}: recreated by this run already"),
            Reason::AlreadyRecreated => {
                format!("{who}: another invocation already recreated it")
            }
            Reason::RecreateFailed {
                known: k,
                by,
                error,
            } => format!(
                "{who}: {}; recreating it {} failed: {error}. The next run finds out whether it was created and finishes it (the request's client token makes it once only)",
                known(k),
                by_words(*by)
            ),
        }
    }
}

/// A report as the JSON carries it (the handler's answer, the CLI's `--json`): its fields,
/// its `reason` code and its `message`.
#[derive(Serialize)]
struct Wire<'a> {
    job_id: &'a str,
    name: &'a str,
    status: &'a str,
    job_type: JobType,
    paused_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    days_left: Option<f64>,
    policy: Option<Policy>,
    policy_source: Option<&'a PolicySource>,
    action: Step,
    outcome: Outcome,
    reason: &'a Reason,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    held_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    held_until: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recreated: Option<&'a NewJob>,
}

impl Serialize for JobReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            job_id: &self.job_id,
            name: &self.name,
            status: &self.status,
            job_type: self.job_type,
            paused_at: self.paused_at,
            expires_at: self.expires_at,
            days_left: self.days_left,
            policy: self.policy,
            policy_source: self.policy_source.as_ref(),
            action: self.action,
            outcome: self.outcome,
            reason: &self.reason,
            message: self.message(),
            definition: self.definition.as_ref(),
            held_by: self.held_by.as_deref(),
            held_until: self.held_until,
            recreated: self.recreated.as_ref(),
        }
        .serialize(s)
    }
}

/// A plan of nothing carries why, as the sentence says it.
impl Serialize for Quiet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&quiet(self))
    }
}

/// A near miss carries what almost matched, as the sentence says it.
impl Serialize for Near {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&near_policy(self))
    }
}

#[cfg(test)]
mod tests;
