//! Why a job's handling ended as it did: plain data, one value per job result, with a stable
//! code for integrators. The sentences that say each reason are `tell::reason`'s, and only
//! theirs: nothing here is prose.

use chrono::{DateTime, Utc};

use super::job::JobStatus;
use super::plan::{Action, Quiet};
use super::policy::{Near, Policy};

/// Where a policy that changes nothing fell short of the owner's intent: the tag or exclusion
/// almost says something, or asks for what the stack does not take from tags.
#[derive(Debug, Clone, PartialEq)]
pub enum Caveat {
    NearMiss(Near),
    Refused { asked: Policy },
}

/// What an excluded job was asked to have done (by an event, a tag, a watch, a change left
/// open): nothing was.
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    /// Its `macie-guard:` tag was set and it is CANCELLED.
    TaggedCancelled,
    /// It is lost (and how that is known).
    Lost(Known),
    /// An interrupted run had decided to recreate it.
    RecreateDecided,
    /// An interrupted run resumed it to pause it again, and it was not paused again.
    PauseAgainLeft,
    /// A change was left open for it.
    ChangeLeftOpen(Action),
}

/// How macie-guard knows that a job was lost (or is to be recreated).
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// Macie's Health event says it cancelled the job.
    HealthEvent,
    /// A sweep found cancelled a job it had watched while paused, just after its pause
    /// expired.
    Watched {
        expires_at: Option<DateTime<Utc>>,
        seen_paused_at: Option<DateTime<Utc>>,
    },
    /// Its `macie-guard:on-lost=recreate` tag was set after it was cancelled.
    TagSet,
    /// A run that was interrupted had decided to recreate it.
    RunDecided,
}

/// Who asked for a recreation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// Its tag `macie-guard:on-lost=recreate`.
    Tag,
    /// That tag, set after the job was cancelled.
    TagSet,
    /// A run that was interrupted decided it.
    Decided,
}

/// What was lost, as the report says it.
#[derive(Debug, Clone, PartialEq)]
pub enum Loss {
    /// Macie cancelled a one-time job whose pause expired: its scan is lost.
    OneTime,
    /// Macie cancelled the paused run of a recurring job; the job stays.
    Run,
    /// A watched one-time job is CANCELLED after its pause expired, and who cancelled it
    /// cannot be told.
    WatchedCancelled,
    /// A job tagged after it was CANCELLED.
    Cancelled,
    /// A job that was to be recreated (`Known` says why), and was not.
    Unrecreated(Known),
}

/// Why a lost job was not recreated automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRecreated {
    /// Its `macie-guard:on-lost` tag almost asks for it (a key or value misspelled), or an
    /// `EXCLUDE_JOBS` entry almost excludes it.
    NearMiss(Near),
    /// The tag is for one-time jobs: a recurring job loses only its paused run.
    Recurring,
    /// The tag asks for it once lost, and the job is not CANCELLED.
    NotCancelled { status: JobStatus },
    /// The job id is not of Macie's alphabet.
    IdNotPlain,
    /// The stack does not recreate lost jobs (`RecreateLostJobs` is false).
    NotAllowed,
    /// Last seen paused too long before its pause expired to tell Macie's cancellation from
    /// a person's.
    SeenTooEarly { hours: i64 },
    /// Its definition cannot be made into a request (the error says why).
    Invalid { error: String },
    /// What its definition refers to no longer exists (`missing`); it was to be recreated
    /// (`by`).
    Missing { by: By, missing: Vec<String> },
}

/// Macie refused an update: its error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: String,
    pub message: String,
}

/// What could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// The job (the error is the whole story).
    Job,
    /// A lost job, to report its definition.
    LostJob,
    /// A job watched for `macie-guard:on-lost=recreate`.
    Watched,
    /// The list of watched jobs.
    Watches,
}

/// Why a job's handling ended as it did.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Not at risk now.
    Quiet(Quiet),
    /// Excluded from macie-guard (`EXCLUDE_JOBS`); `asked`: what was asked and not done.
    Excluded { asked: Option<Prompt> },
    /// Policy `ignore`.
    PolicyIgnore,
    /// In the warning window: what happens on `act_at` (for a policy that changes the job),
    /// or that nothing will (`notify`, with why where the owner's intent fell short).
    Warning {
        policy: Policy,
        act_at: Option<DateTime<Utc>>,
        caveat: Option<Caveat>,
    },
    /// In the action window, and macie-guard will not change it.
    WillExpire { caveat: Option<Caveat> },
    /// Policy `cancel` on a recurring job: its paused run is left to expire.
    RunLeftToExpire,
    /// DRY_RUN: the change that would have been made.
    WouldChange { action: Action, policy: Policy },
    /// A plan's change that was never attempted.
    NotAttempted { action: Action },
    /// `recreate` asked of a paused job: not a change of one.
    NotAChange,
    /// The change was made (policy from its tag, or the default).
    Changed { policy: Policy, from_tag: bool },
    /// An earlier run's change, left open, was made; the job now shows it.
    Finished { policy: Policy, interrupted: bool },
    /// keep-paused resumed the job and its run ended before it could be paused again.
    RunEndedFirst { interrupted: bool },
    /// Another invocation already made this change.
    AlreadyMade { action: Action },
    /// The job was already in the wanted state.
    AlreadyThere,
    /// The job changed before macie-guard could act, and needs nothing now.
    MovedAway { refusal: Refusal },
    /// Another run holds the job's lease: left to it.
    Busy {
        action: Action,
        owner: String,
        until: Option<DateTime<Utc>>,
    },
    /// A recreation left open by another run: recovery finishes it.
    RecreationLeftOpen,
    /// The job does not exist (any more).
    NotFound,
    /// A job named by a cancellation event does not exist here.
    EventJobMissing,
    /// A job that was to be recreated does not exist (any more).
    RecreateJobMissing,
    /// The job disappeared while it was being changed.
    Disappeared,
    /// Something could not be read (the error's text).
    Unreadable { what: Unread, error: String },
    /// The job's lease could not be taken (`creating`: for a recreation).
    LeaseFailed { error: String, creating: bool },
    /// The job's journal entry could not be updated.
    JournalFailed,
    /// Macie refused the change and re-reading the job failed.
    RereadFailed { refusal: Refusal, error: String },
    /// Macie refused the change twice.
    RefusedTwice { action: Action, refusal: Refusal },
    /// The change failed (maybe made: the next run finds out).
    ChangeFailed { action: Action, error: String },
    /// keep-paused: resumed, and pausing it again failed; it is `now`.
    RepauseFailed { error: String, now: String },
    /// The job (or its run) was lost (`loss`), and not recreated (`declined`: why, where its
    /// owner had asked).
    Lost {
        loss: Loss,
        declined: Option<NotRecreated>,
    },
    /// A cancellation event that named no job.
    LostUnidentified {
        loss: Loss,
        event_arn: String,
        description: Option<String>,
    },
    /// A job tagged after it was cancelled, with nothing asked.
    TaggedCancelled,
    /// The lost job was created again (the new job is the report's `recreated`).
    Recreated {
        known: Known,
        by: By,
        interrupted: bool,
        /// The new job was created by this run (its scan starts over), not found standing.
        created: bool,
    },
    /// DRY_RUN: the lost job would have been recreated, as `name`.
    WouldRecreate { known: Known, by: By, name: String },
    /// This run recreated it already.
    RecreatedThisRun,
    /// Another invocation recreated it already.
    AlreadyRecreated,
    /// Recreating it failed; the next run finds out whether it was created.
    RecreateFailed { known: Known, by: By, error: String },
}

impl Reason {
    /// Every code [`Reason::code`] returns.
    pub const CODES: &'static [&'static str] = &[
        "not-paused",
        "never-expires",
        "outside-window",
        "excluded",
        "policy-ignore",
        "warning",
        "will-expire",
        "run-left-to-expire",
        "dry-run",
        "not-attempted",
        "changed",
        "finished",
        "run-ended-first",
        "already-made",
        "already-there",
        "moved-away",
        "busy",
        "recreation-left-open",
        "not-found",
        "disappeared",
        "unreadable",
        "lease-failed",
        "journal-failed",
        "refused",
        "change-failed",
        "repause-failed",
        "lost",
        "tagged-cancelled",
        "recreated",
        "recreate-failed",
    ];

    /// The stable code integrators match on (the `reason` of events and JSON).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Quiet(Quiet::NotPaused { .. }) => "not-paused",
            Reason::Quiet(Quiet::NeverExpires) => "never-expires",
            Reason::Quiet(Quiet::OutsideWindow { .. }) => "outside-window",
            Reason::Excluded { .. } => "excluded",
            Reason::PolicyIgnore => "policy-ignore",
            Reason::Warning { .. } => "warning",
            Reason::WillExpire { .. } => "will-expire",
            Reason::RunLeftToExpire => "run-left-to-expire",
            Reason::WouldChange { .. } | Reason::WouldRecreate { .. } => "dry-run",
            Reason::NotAttempted { .. } | Reason::NotAChange => "not-attempted",
            Reason::Changed { .. } => "changed",
            Reason::Finished { .. } => "finished",
            Reason::RunEndedFirst { .. } => "run-ended-first",
            Reason::AlreadyMade { .. } | Reason::RecreatedThisRun | Reason::AlreadyRecreated => {
                "already-made"
            }
            Reason::AlreadyThere => "already-there",
            Reason::MovedAway { .. } => "moved-away",
            Reason::Busy { .. } => "busy",
            Reason::RecreationLeftOpen => "recreation-left-open",
            Reason::NotFound | Reason::EventJobMissing | Reason::RecreateJobMissing => "not-found",
            Reason::Disappeared => "disappeared",
            Reason::Unreadable { .. } => "unreadable",
            Reason::LeaseFailed { .. } => "lease-failed",
            Reason::JournalFailed => "journal-failed",
            Reason::RereadFailed { .. } | Reason::RefusedTwice { .. } => "refused",
            Reason::ChangeFailed { .. } => "change-failed",
            Reason::RepauseFailed { .. } => "repause-failed",
            Reason::Lost { .. } | Reason::LostUnidentified { .. } => "lost",
            Reason::TaggedCancelled => "tagged-cancelled",
            Reason::Recreated { .. } => "recreated",
            Reason::RecreateFailed { .. } => "recreate-failed",
        }
    }
}

impl serde::Serialize for Reason {
    /// The code: the details are in the report's other fields and its message.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}
