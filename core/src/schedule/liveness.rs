//! Is a scheduled run overdue? The decision the journal watch makes each minute for the sweep
//! and the export check, over what the journal remembers: when the last successful run
//! started, and since when the watch has been looking (a stack just deployed owes no run yet).
//!
//! A run is overdue when the schedule should have started one at least [`GRACE`] ago (long
//! enough for the function's timeout and a retry) and no successful run started at or after
//! that firing. The metric the watch emits from this ([`METRIC`], 1 overdue, 0 on time) is
//! what the stack's alarms watch; a watch that stops emitting it is an alarm too.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::{Schedule, ScheduleError};
use crate::severity::Severity;

/// The metric (namespace `MacieGuard`, dimensions `Function` and `Run`) the watch emits.
pub const METRIC: &str = "Overdue";

/// How long after a firing its run may still be going or retried before it is overdue: the
/// sweep's timeout (5 minutes) twice, and a margin.
pub const GRACE: Duration = Duration::minutes(15);

/// Clock skew and Scheduler's own delay: a run that started this much before the firing
/// counts as that firing's.
pub const SLACK: Duration = Duration::minutes(1);

/// The scheduled runs the watch keeps an eye on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// The expiry guard's sweep (SweepSchedule).
    Sweep,
    /// The export guard's scheduled check (ExportCheckSchedule).
    ExportCheck,
}

impl RunKind {
    pub const ALL: [RunKind; 2] = [RunKind::Sweep, RunKind::ExportCheck];

    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Sweep => "sweep",
            RunKind::ExportCheck => "export-check",
        }
    }

    /// The stack parameter whose expression schedules it.
    pub fn parameter(self) -> &'static str {
        match self {
            RunKind::Sweep => "SweepSchedule",
            RunKind::ExportCheck => "ExportCheckSchedule",
        }
    }

    pub fn parse(s: &str) -> Option<RunKind> {
        RunKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict on one scheduled run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Liveness {
    /// The newest successful run is as recent as the schedule asks (or none is owed yet).
    OnTime { last_started: Option<DateTime<Utc>> },
    /// The schedule should have started a run at `due` and none that started since then
    /// succeeded.
    Overdue {
        due: DateTime<Utc>,
        last_started: Option<DateTime<Utc>>,
    },
    /// The expression could not be read here: reported as overdue, with the reason, so that a
    /// schedule this code cannot judge is looked at rather than trusted.
    Unreadable { error: String },
}

impl Liveness {
    pub fn overdue(&self) -> bool {
        !matches!(self, Liveness::OnTime { .. })
    }
}

/// Judges one run. `watched_since`: when the watch first looked (the stack's first minutes);
/// no run is owed for firings before it.
pub fn judge(
    schedule: &Result<Schedule, ScheduleError>,
    last_started: Option<DateTime<Utc>>,
    watched_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Liveness {
    let schedule = match schedule {
        Ok(s) => s,
        Err(e) => {
            return Liveness::Unreadable {
                error: e.to_string(),
            }
        }
    };
    let Some(due) = schedule.due_by(now - GRACE) else {
        return Liveness::OnTime { last_started };
    };
    // Never ran: as if a run had started when the watch began (a new stack owes nothing for
    // firings before it existed).
    let newest = last_started.map_or(watched_since, |l| l.max(watched_since));
    if newest + SLACK < due {
        Liveness::Overdue { due, last_started }
    } else {
        Liveness::OnTime { last_started }
    }
}

/// What the journal keeps of a scheduled run's last success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub kind: RunKind,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// One line: what the run found (for `macie-guard status`).
    pub result: String,
    /// The macie-guard version that ran it.
    pub version: String,
    /// The worst of what it found (the export check's verdict; none when clean, and for the
    /// sweep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<Severity>,
}

/// What the watch knows of the scheduled runs: each one's last success, and since when it has
/// been watching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Runs {
    pub records: Vec<RunRecord>,
    pub watched_since: DateTime<Utc>,
}

impl Runs {
    pub fn last(&self, kind: RunKind) -> Option<&RunRecord> {
        self.records.iter().find(|r| r.kind == kind)
    }

    /// Each run's verdict, its schedule read from `expression_of(kind)`.
    pub fn judge_all(
        &self,
        expression_of: impl Fn(RunKind) -> String,
        now: DateTime<Utc>,
    ) -> Vec<(RunKind, Liveness)> {
        RunKind::ALL
            .into_iter()
            .map(|kind| {
                let schedule = expression_of(kind).parse();
                let last = self.last(kind).map(|r| r.started_at);
                (kind, judge(&schedule, last, self.watched_since, now))
            })
            .collect()
    }
}

/// The schedule expressions the stack gives the watch (SWEEP_SCHEDULE, EXPORT_CHECK_SCHEDULE:
/// the SweepSchedule and ExportCheckSchedule parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedules {
    pub sweep: String,
    pub export_check: String,
}

impl Schedules {
    pub fn expression(&self, kind: RunKind) -> String {
        match kind {
            RunKind::Sweep => self.sweep.clone(),
            RunKind::ExportCheck => self.export_check.clone(),
        }
    }
}
