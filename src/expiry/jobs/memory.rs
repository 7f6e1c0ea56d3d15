//! Macie's jobs in memory, for the orchestration's tests with many branches: jobs held and
//! answered as scripted. The wire behaviour (pagination, SDK errors, retries) is tested against
//! the local Macie; this stand-in holds to the port's contract only.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use super::{DescribedJob, MacieJobs, Page, Target, UpdateError};
use crate::error::{Error, Result};
use macie_guard_core::expiry::job::{JobSnapshot, JobStatus, JobType};
use macie_guard_core::expiry::outcome::NewJob;

/// A scripted answer to the next UpdateClassificationJob of a job.
#[derive(Debug, Clone)]
pub enum UpdateAnswer {
    /// Macie refuses the move (ValidationException, ConflictException) and the job's status
    /// becomes the given one: someone else moved it.
    RefusedBecause(JobStatus),
    /// The call fails (after the SDK's retries).
    Fails,
}

#[derive(Default)]
struct Jobs {
    jobs: BTreeMap<String, JobSnapshot>,
    updates: Vec<(String, Target)>,
    reads: usize,
    scripted: HashMap<String, VecDeque<UpdateAnswer>>,
    describe_fails: Vec<String>,
    page_size: usize,
    /// Every CreateClassificationJob request, in order.
    created: Vec<serde_json::Value>,
}

/// Macie's jobs in memory: `list_paused` pages by `page_size`, `update` moves statuses as
/// Macie does (a pause sets the pause and expiry times) unless an answer is scripted.
pub struct MemoryJobs {
    state: Mutex<Jobs>,
    pub now: DateTime<Utc>,
}

impl MemoryJobs {
    pub fn new(now: DateTime<Utc>) -> MemoryJobs {
        MemoryJobs {
            state: Mutex::new(Jobs {
                page_size: 2,
                ..Jobs::default()
            }),
            now,
        }
    }

    /// A job paused `days_ago` days before `now`, with the policy tag when given.
    pub fn paused(self, id: &str, job_type: JobType, days_ago: f64, tag: Option<&str>) -> Self {
        let paused_at = self.now - Duration::seconds((days_ago * 86_400.0) as i64);
        let snapshot = JobSnapshot {
            job_id: id.to_string(),
            name: format!("job {id}"),
            status: JobStatus::UserPaused,
            job_type,
            paused_at: Some(paused_at),
            expires_at: Some(paused_at + Duration::days(30)),
            health_event_arn: None,
            tags: Some(
                tag.map(|t| BTreeMap::from([("macie-guard:on-expiry".to_string(), t.to_string())]))
                    .unwrap_or_default(),
            ),
        };
        self.state
            .lock()
            .unwrap()
            .jobs
            .insert(id.to_string(), snapshot);
        self
    }

    /// Renames a job.
    pub fn named(self, id: &str, name: &str) -> Self {
        if let Some(j) = self.state.lock().unwrap().jobs.get_mut(id) {
            j.name = name.to_string();
        }
        self
    }

    pub fn answer_next_update(&self, id: &str, answer: UpdateAnswer) {
        self.state
            .lock()
            .unwrap()
            .scripted
            .entry(id.to_string())
            .or_default()
            .push_back(answer);
    }

    /// Sets a job's tag `key` to `value`.
    pub fn tagged(self, id: &str, key: &str, value: &str) -> Self {
        if let Some(j) = self.state.lock().unwrap().jobs.get_mut(id) {
            j.tags
                .get_or_insert_with(BTreeMap::new)
                .insert(key.to_string(), value.to_string());
        }
        self
    }

    /// Macie cancels a job (its pause expired).
    pub fn cancel(&self, id: &str) {
        let mut s = self.state.lock().unwrap();
        let j = s.jobs.get_mut(id).expect("a job of the fake");
        j.status = JobStatus::Cancelled;
        j.paused_at = None;
        j.expires_at = None;
    }

    /// Every CreateClassificationJob request made, in order.
    pub fn created(&self) -> Vec<serde_json::Value> {
        self.state.lock().unwrap().created.clone()
    }

    pub fn fail_describe(&self, id: &str) {
        self.state.lock().unwrap().describe_fails.push(id.into());
    }

    pub fn status(&self, id: &str) -> JobStatus {
        self.state.lock().unwrap().jobs[id].status.clone()
    }

    /// Every UpdateClassificationJob made, in order.
    pub fn updates(&self) -> Vec<(String, Target)> {
        self.state.lock().unwrap().updates.clone()
    }

    /// Every call made to this Macie: lists, reads and updates.
    pub fn calls(&self) -> usize {
        let s = self.state.lock().unwrap();
        s.reads + s.updates.len()
    }
}

fn failed(op: &'static str, id: &str) -> Error {
    Error::aws_answer(
        "Macie",
        op,
        Some(id),
        "InternalServerException",
        "the stand-in was told to fail",
    )
}

impl MacieJobs for MemoryJobs {
    async fn missing(&self, _request: &serde_json::Value) -> Result<Vec<String>> {
        self.state.lock().unwrap().reads += 1;
        Ok(Vec::new())
    }

    async fn standing(&self, original: &str, name: &str) -> Result<Option<String>> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        Ok(s.jobs
            .values()
            .find(|j| {
                j.name == name
                    && j.tags
                        .as_ref()
                        .and_then(|t| t.get("macie-guard:recreated-from"))
                        == Some(&original.to_string())
            })
            .map(|j| j.job_id.clone()))
    }

    async fn create(&self, request: &serde_json::Value) -> Result<NewJob> {
        let mut s = self.state.lock().unwrap();
        s.created.push(request.clone());
        let token = request["clientToken"].as_str().unwrap_or_default();
        // As Macie: the same token gives the same job.
        let id = format!(
            "{:032x}",
            token
                .bytes()
                .fold(7u128, |h, b| h.wrapping_mul(31).wrapping_add(u128::from(b)))
        );
        let name = request["name"].as_str().unwrap_or_default().to_string();
        let tags = request["tags"]
            .as_object()
            .map(|t| {
                t.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        s.jobs.entry(id.clone()).or_insert(JobSnapshot {
            job_id: id.clone(),
            name: name.clone(),
            status: JobStatus::Running,
            job_type: JobType::OneTime,
            paused_at: None,
            expires_at: None,
            health_event_arn: None,
            tags: Some(tags),
        });
        Ok(NewJob {
            job_arn: format!("arn:aws:macie2:us-east-1:111122223333:classification-job/{id}"),
            job_id: id,
            name,
        })
    }

    async fn list_paused(&self, next_token: Option<String>) -> Result<Page> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        let paused: Vec<&JobSnapshot> = s
            .jobs
            .values()
            .filter(|j| j.status == JobStatus::UserPaused)
            .collect();
        let start: usize = next_token.map(|t| t.parse().unwrap()).unwrap_or(0);
        let end = (start + s.page_size).min(paused.len());
        Ok(Page {
            // Like ListClassificationJobs: summaries carry no tags.
            jobs: paused[start..end]
                .iter()
                .map(|j| JobSnapshot {
                    tags: None,
                    ..(*j).clone()
                })
                .collect(),
            next_token: (end < paused.len()).then(|| end.to_string()),
        })
    }

    async fn describe(&self, job_id: &str) -> Result<Option<DescribedJob>> {
        let mut s = self.state.lock().unwrap();
        s.reads += 1;
        if s.describe_fails.iter().any(|i| i == job_id) {
            return Err(failed("DescribeClassificationJob", job_id));
        }
        Ok(s.jobs.get(job_id).map(|j| DescribedJob {
            snapshot: j.clone(),
            definition: json!({
                "name": j.name,
                "jobType": match j.job_type { JobType::Scheduled => "SCHEDULED", _ => "ONE_TIME" },
                "s3JobDefinition": {"bucketDefinitions": [{"accountId": "111122223333", "buckets": ["records"]}]},
                "tags": j.tags,
            }),
        }))
    }

    async fn update(&self, job_id: &str, to: Target) -> std::result::Result<(), UpdateError> {
        let mut s = self.state.lock().unwrap();
        s.updates.push((job_id.to_string(), to));
        let scripted = s.scripted.get_mut(job_id).and_then(VecDeque::pop_front);
        let now = self.now;
        let Some(job) = s.jobs.get_mut(job_id) else {
            return Err(UpdateError::Refused {
                code: "ResourceNotFoundException".into(),
                message: format!("no job {job_id}"),
            });
        };
        match scripted {
            Some(UpdateAnswer::RefusedBecause(status)) => {
                job.status = status;
                Err(UpdateError::Refused {
                    code: "ValidationException".into(),
                    message: "the job's status changed".into(),
                })
            }
            Some(UpdateAnswer::Fails) => Err(UpdateError::Failed(failed(
                "UpdateClassificationJob",
                job_id,
            ))),
            None => {
                match to {
                    Target::Running => {
                        job.status = JobStatus::Running;
                        job.paused_at = None;
                        job.expires_at = None;
                    }
                    Target::UserPaused => {
                        job.status = JobStatus::UserPaused;
                        job.paused_at = Some(now);
                        job.expires_at = Some(now + Duration::days(30));
                    }
                    Target::Cancelled => job.status = JobStatus::Cancelled,
                }
                Ok(())
            }
        }
    }
}
