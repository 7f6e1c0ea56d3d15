//! The classification job model and its state machine, with no I/O.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use crate::error::ApiError;

/// Days after a pause taken while a run was in progress that the run expires.
pub const EXPIRY_DAYS: i64 = 30;
/// Days after the pause that the imminent-expiration Health event ARN appears.
pub const HEALTH_EVENT_DAYS: i64 = 23;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobStatus {
    Running,
    Paused,
    UserPaused,
    Idle,
    Complete,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Running,
        JobStatus::Paused,
        JobStatus::UserPaused,
        JobStatus::Idle,
        JobStatus::Complete,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "RUNNING",
            JobStatus::Paused => "PAUSED",
            JobStatus::UserPaused => "USER_PAUSED",
            JobStatus::Idle => "IDLE",
            JobStatus::Complete => "COMPLETE",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobType {
    OneTime,
    Scheduled,
}

impl JobType {
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::OneTime => "ONE_TIME",
            JobType::Scheduled => "SCHEDULED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ONE_TIME" => Some(JobType::OneTime),
            "SCHEDULED" => Some(JobType::Scheduled),
            _ => None,
        }
    }

    fn expiration_code(self) -> &'static str {
        match self {
            JobType::OneTime => "AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT",
            JobType::Scheduled => "AWS_MACIE_PAUSED_JOB_RUN_EXPIRATION_EVENT",
        }
    }
}

/// A pause taken through UpdateClassificationJob (USER_PAUSED).
#[derive(Debug, Clone, PartialEq)]
pub struct Pause {
    pub at: DateTime<Utc>,
    /// The status the job had when it was paused; resuming returns to it.
    pub from: JobStatus,
}

impl Pause {
    /// A pause expires only when it interrupted a run (RUNNING, or PAUSED by Macie).
    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        (self.from != JobStatus::Idle).then(|| self.at + Duration::days(EXPIRY_DAYS))
    }
}

#[derive(Debug, Clone)]
pub struct Job {
    pub job_id: String,
    pub name: String,
    pub job_type: JobType,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub tags: BTreeMap<String, String>,
    /// Definition fields kept as given (s3JobDefinition, scheduleFrequency, description, ...).
    pub definition: Map<String, Value>,
    pub pause: Option<Pause>,
    pub last_run_time: Option<DateTime<Utc>>,
    pub number_of_runs: u64,
}

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The partition of a Region name, as job and Health ARNs carry it.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// Job ids: 1 to 64 lowercase letters and digits (Macie's own ids are 32 hex digits).
pub fn valid_job_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Job {
    pub fn arn(&self, region: &str, account: &str) -> String {
        format!(
            "arn:{}:macie2:{region}:{account}:classification-job/{}",
            partition(region),
            self.job_id
        )
    }

    /// The ARN of the imminent-expiration Health event, once the job has been paused 23 days.
    pub fn health_event_arn(&self, region: &str, now: DateTime<Utc>) -> Option<String> {
        let pause = self.pause.as_ref()?;
        pause.expires_at()?;
        if self.status != JobStatus::UserPaused
            || now < pause.at + Duration::days(HEALTH_EVENT_DAYS)
        {
            return None;
        }
        let code = self.job_type.expiration_code();
        Some(format!(
            "arn:{}:health:{region}::event/MACIE/{code}/{code}_{}",
            partition(region),
            &self.job_id[..self.job_id.len().min(12)]
        ))
    }

    /// Applies the 30-day expiry of a paused run: a one-time job is cancelled, a recurring
    /// job loses the run and waits for its next one.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        if self.status != JobStatus::UserPaused {
            return;
        }
        let Some(expires) = self.pause.as_ref().and_then(Pause::expires_at) else {
            return;
        };
        if now >= expires {
            self.status = match self.job_type {
                JobType::OneTime => JobStatus::Cancelled,
                JobType::Scheduled => JobStatus::Idle,
            };
            self.pause = None;
        }
    }

    /// UpdateClassificationJob: only the moves the API allows.
    pub fn update(&mut self, target: JobStatus, now: DateTime<Utc>) -> Result<(), ApiError> {
        use JobStatus::*;
        let id = &self.job_id;
        match (self.status, target) {
            (Cancelled, _) => Err(ApiError::validation(format!(
                "cannot update cancelled job {id}: a cancelled job can't be resumed or changed"
            ))),
            (Complete, _) => Err(ApiError::validation(format!(
                "cannot update completed job {id}: a completed job can't be resumed or changed"
            ))),
            (_, Paused | Idle | Complete) => Err(ApiError::validation(format!(
                "jobStatus {} can't be set through UpdateClassificationJob; use RUNNING, USER_PAUSED or CANCELLED",
                target.as_str()
            ))),
            (UserPaused, Running) => {
                let from = self.pause.take().map(|p| p.from).unwrap_or(Running);
                self.status = if from == Idle { Idle } else { Running };
                Ok(())
            }
            (Running | Idle | Paused, UserPaused) => {
                self.pause = Some(Pause {
                    at: now,
                    from: self.status,
                });
                self.status = UserPaused;
                Ok(())
            }
            (Running | Idle | Paused | UserPaused, Cancelled) => {
                self.status = Cancelled;
                self.pause = None;
                Ok(())
            }
            (from, to) => Err(ApiError::conflict(format!(
                "job {id} is {}; it can't be changed to {}",
                from.as_str(),
                to.as_str()
            ))),
        }
    }

    fn user_paused_details(&self, region: &str, now: DateTime<Utc>) -> Option<Value> {
        if self.status != JobStatus::UserPaused {
            return None;
        }
        let pause = self.pause.as_ref()?;
        let expires = pause.expires_at()?;
        let mut details = json!({
            "jobPausedAt": timestamp(pause.at),
            "jobExpiresAt": timestamp(expires),
        });
        if let Some(arn) = self.health_event_arn(region, now) {
            details["jobImminentExpirationHealthEventArn"] = Value::String(arn);
        }
        Some(details)
    }

    fn last_run_error_status() -> Value {
        json!({"code": "NONE"})
    }

    /// DescribeClassificationJob's response body.
    pub fn describe(&self, region: &str, account: &str, now: DateTime<Utc>) -> Value {
        let mut body = self.definition.clone();
        body.insert("jobId".into(), json!(self.job_id));
        body.insert("jobArn".into(), json!(self.arn(region, account)));
        body.insert("name".into(), json!(self.name));
        body.insert("jobType".into(), json!(self.job_type.as_str()));
        body.insert("jobStatus".into(), json!(self.status.as_str()));
        body.insert("createdAt".into(), json!(timestamp(self.created_at)));
        body.insert("tags".into(), json!(self.tags));
        body.insert("lastRunErrorStatus".into(), Self::last_run_error_status());
        body.insert(
            "statistics".into(),
            json!({
                "approximateNumberOfObjectsToProcess": 0.0,
                "numberOfRuns": self.number_of_runs as f64,
            }),
        );
        if let Some(t) = self.last_run_time {
            body.insert("lastRunTime".into(), json!(timestamp(t)));
        }
        if let Some(d) = self.user_paused_details(region, now) {
            body.insert("userPausedDetails".into(), d);
        }
        Value::Object(body)
    }

    /// ListClassificationJobs' JobSummary.
    pub fn summary(&self, region: &str, now: DateTime<Utc>) -> Value {
        let mut body = Map::new();
        if let Some(def) = self.definition.get("s3JobDefinition") {
            for key in ["bucketDefinitions", "bucketCriteria"] {
                if let Some(v) = def.get(key) {
                    body.insert(key.into(), v.clone());
                }
            }
        }
        body.insert("jobId".into(), json!(self.job_id));
        body.insert("name".into(), json!(self.name));
        body.insert("jobType".into(), json!(self.job_type.as_str()));
        body.insert("jobStatus".into(), json!(self.status.as_str()));
        body.insert("createdAt".into(), json!(timestamp(self.created_at)));
        body.insert("lastRunErrorStatus".into(), Self::last_run_error_status());
        if let Some(d) = self.user_paused_details(region, now) {
            body.insert("userPausedDetails".into(), d);
        }
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: JobStatus, job_type: JobType) -> Job {
        Job {
            job_id: "0123456789abcdef0123456789abcdef".into(),
            name: "j".into(),
            job_type,
            status,
            created_at: Utc::now(),
            tags: BTreeMap::new(),
            definition: Map::new(),
            pause: None,
            last_run_time: None,
            number_of_runs: 0,
        }
    }

    #[test]
    fn transitions_follow_the_api_table() {
        use JobStatus::*;
        let now = Utc::now();
        let legal = [
            (Running, UserPaused),
            (Running, Cancelled),
            (Idle, UserPaused),
            (Idle, Cancelled),
            (Paused, UserPaused),
            (Paused, Cancelled),
            (UserPaused, Running),
            (UserPaused, Cancelled),
        ];
        for from in JobStatus::ALL {
            for to in JobStatus::ALL {
                let mut j = job(from, JobType::OneTime);
                if from == UserPaused {
                    j.pause = Some(Pause {
                        at: now,
                        from: Running,
                    });
                }
                let result = j.update(to, now);
                assert_eq!(
                    result.is_ok(),
                    legal.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
                if result.is_err() {
                    assert_eq!(j.status, from, "a refused move changes nothing");
                }
            }
        }
    }

    #[test]
    fn pause_while_idle_never_expires_and_resumes_to_idle() {
        let now = Utc::now();
        let mut j = job(JobStatus::Idle, JobType::Scheduled);
        j.update(JobStatus::UserPaused, now).unwrap();
        j.expire(now + Duration::days(400));
        assert_eq!(j.status, JobStatus::UserPaused);
        assert!(j
            .describe("us-east-1", "1", now)
            .get("userPausedDetails")
            .is_none());
        j.update(JobStatus::Running, now).unwrap();
        assert_eq!(j.status, JobStatus::Idle);
    }

    #[test]
    fn expiry_cancels_one_time_and_drops_scheduled_run() {
        let now = Utc::now();
        for (ty, after) in [
            (JobType::OneTime, JobStatus::Cancelled),
            (JobType::Scheduled, JobStatus::Idle),
        ] {
            let mut j = job(JobStatus::Running, ty);
            j.update(JobStatus::UserPaused, now).unwrap();
            j.expire(now + Duration::days(29));
            assert_eq!(j.status, JobStatus::UserPaused);
            assert!(j
                .health_event_arn("us-east-1", now + Duration::days(22))
                .is_none());
            assert!(j
                .health_event_arn("us-east-1", now + Duration::days(23))
                .is_some());
            j.expire(now + Duration::days(30));
            assert_eq!(j.status, after);
        }
    }
}
