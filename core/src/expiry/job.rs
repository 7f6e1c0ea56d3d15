//! A classification job as the expiry guard sees it: its status, its type, and the snapshot
//! every decision reads (plain data, read from Macie).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A classification job's status, as the Macie API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum JobStatus {
    Running,
    Paused,
    UserPaused,
    Idle,
    Complete,
    Cancelled,
    Other(String),
}

impl JobStatus {
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Running => "RUNNING",
            JobStatus::Paused => "PAUSED",
            JobStatus::UserPaused => "USER_PAUSED",
            JobStatus::Idle => "IDLE",
            JobStatus::Complete => "COMPLETE",
            JobStatus::Cancelled => "CANCELLED",
            JobStatus::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> JobStatus {
        match s {
            "RUNNING" => JobStatus::Running,
            "PAUSED" => JobStatus::Paused,
            "USER_PAUSED" => JobStatus::UserPaused,
            "IDLE" => JobStatus::Idle,
            "COMPLETE" => JobStatus::Complete,
            "CANCELLED" => JobStatus::Cancelled,
            other => JobStatus::Other(other.to_string()),
        }
    }
}

impl From<JobStatus> for String {
    fn from(s: JobStatus) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum JobType {
    #[serde(rename = "ONE_TIME")]
    OneTime,
    #[serde(rename = "SCHEDULED")]
    Scheduled,
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl JobType {
    pub fn parse(s: &str) -> JobType {
        match s {
            "ONE_TIME" => JobType::OneTime,
            "SCHEDULED" => JobType::Scheduled,
            _ => JobType::Unknown,
        }
    }
}

/// Everything the decision needs to know about one job, read from Macie.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSnapshot {
    pub job_id: String,
    pub name: String,
    pub status: JobStatus,
    pub job_type: JobType,
    pub paused_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub health_event_arn: Option<String>,
    /// None when the source (ListClassificationJobs) carries no tags.
    pub tags: Option<BTreeMap<String, String>>,
}
