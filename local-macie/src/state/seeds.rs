//! Seeding jobs, as a scenario file and `POST /_local/jobs` describe them.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

use super::fields::{STATUSES, TYPES};
use super::State;
use crate::error::ApiError;
use crate::model::{valid_job_id, Job, JobStatus, JobType};

/// Seeds a job as the scenario file and `POST /_local/jobs` describe it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobSeed {
    #[serde(default)]
    pub job_id: Option<String>,
    pub name: String,
    #[serde(default = "one_time")]
    pub job_type: String,
    #[serde(default = "running")]
    pub job_status: String,
    /// For USER_PAUSED jobs: how many days ago the pause happened (fractions allowed).
    #[serde(default)]
    pub paused_days_ago: Option<f64>,
    /// For USER_PAUSED jobs: the status the job had when paused (RUNNING, PAUSED or IDLE).
    #[serde(default = "running")]
    pub paused_from: String,
    #[serde(default)]
    pub created_days_ago: Option<f64>,
    /// When the job's latest run started (default: its creation).
    #[serde(default)]
    pub last_run_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub s3_job_definition: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
    /// The rest of a definition, as CreateClassificationJob takes it (default: daily for a
    /// recurring job, RECOMMENDED managed data identifiers, 100% sampling).
    #[serde(default)]
    pub schedule_frequency: Option<Value>,
    #[serde(default)]
    pub sampling_percentage: Option<i64>,
    #[serde(default)]
    pub managed_data_identifier_selector: Option<String>,
    #[serde(default)]
    pub managed_data_identifier_ids: Option<Vec<String>>,
    #[serde(default)]
    pub custom_data_identifier_ids: Option<Vec<String>>,
    #[serde(default)]
    pub allow_list_ids: Option<Vec<String>>,
    #[serde(default)]
    pub initial_run: Option<bool>,
    /// Seeds this many copies, named `<name>-<n>`.
    #[serde(default = "one")]
    pub count: usize,
}

fn one_time() -> String {
    "ONE_TIME".into()
}

fn running() -> String {
    "RUNNING".into()
}

fn one() -> usize {
    1
}

fn days(d: f64) -> Duration {
    Duration::milliseconds((d * 86_400_000.0) as i64)
}

impl State {
    pub fn seed_job(&mut self, seed: &JobSeed) -> Result<Vec<String>, ApiError> {
        let job_type = JobType::parse(&seed.job_type).ok_or_else(|| {
            ApiError::validation(format!("jobType {:?}: use one of {TYPES}", seed.job_type))
        })?;
        let status = JobStatus::parse(&seed.job_status).ok_or_else(|| {
            ApiError::validation(format!(
                "jobStatus {:?}: use one of {STATUSES}",
                seed.job_status
            ))
        })?;
        let paused_from = JobStatus::parse(&seed.paused_from)
            .filter(|s| matches!(s, JobStatus::Running | JobStatus::Paused | JobStatus::Idle))
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "pausedFrom {:?}: use RUNNING, PAUSED or IDLE",
                    seed.paused_from
                ))
            })?;
        if status == JobStatus::Complete && job_type == JobType::Scheduled {
            return Err(ApiError::validation("only ONE_TIME jobs can be COMPLETE"));
        }
        if seed.count == 0 || seed.count > 100_000 {
            return Err(ApiError::validation("count must be from 1 to 100000"));
        }
        if seed.job_id.is_some() && seed.count != 1 {
            return Err(ApiError::validation("jobId can only be given with count 1"));
        }
        if let Some(id) = &seed.job_id {
            if !valid_job_id(id) {
                return Err(ApiError::validation(format!(
                    "jobId {id:?}: use 1-64 lowercase letters and digits"
                )));
            }
            if self.jobs.contains_key(id) {
                return Err(ApiError::conflict(format!("job {id} exists already")));
            }
        }
        let now = self.now();
        let paused_days = seed.paused_days_ago.unwrap_or(0.0);
        if !(0.0..=3650.0).contains(&paused_days) {
            return Err(ApiError::validation("pausedDaysAgo must be from 0 to 3650"));
        }
        let created = now
            - days(
                seed.created_days_ago
                    .unwrap_or(paused_days + 1.0)
                    .clamp(0.0, 3650.0),
            );
        let definition = {
            let mut d = Map::new();
            d.insert(
                "s3JobDefinition".into(),
                seed.s3_job_definition.clone().unwrap_or_else(|| {
                    json!({"bucketDefinitions": [{"accountId": self.account, "buckets": ["example-data-bucket"]}]})
                }),
            );
            if job_type == JobType::Scheduled {
                d.insert(
                    "scheduleFrequency".into(),
                    seed.schedule_frequency
                        .clone()
                        .unwrap_or_else(|| json!({"dailySchedule": {}})),
                );
                if let Some(r) = seed.initial_run {
                    d.insert("initialRun".into(), json!(r));
                }
            }
            if let Some(desc) = &seed.description {
                d.insert("description".into(), json!(desc));
            }
            d.insert(
                "managedDataIdentifierSelector".into(),
                json!(seed
                    .managed_data_identifier_selector
                    .as_deref()
                    .unwrap_or("RECOMMENDED")),
            );
            d.insert(
                "samplingPercentage".into(),
                json!(seed.sampling_percentage.unwrap_or(100)),
            );
            for (key, ids) in [
                (
                    "managedDataIdentifierIds",
                    &seed.managed_data_identifier_ids,
                ),
                ("customDataIdentifierIds", &seed.custom_data_identifier_ids),
                ("allowListIds", &seed.allow_list_ids),
            ] {
                if let Some(ids) = ids {
                    d.insert(key.into(), json!(ids));
                }
            }
            d
        };
        let mut ids = Vec::with_capacity(seed.count);
        for i in 0..seed.count {
            let job_id = match &seed.job_id {
                Some(id) => id.clone(),
                None => self.new_job_id(),
            };
            let name = if seed.count == 1 {
                seed.name.clone()
            } else {
                format!("{}-{:05}", seed.name, i + 1)
            };
            let mut job = Job {
                job_id: job_id.clone(),
                name,
                job_type,
                status,
                created_at: created + Duration::milliseconds(i as i64),
                tags: seed.tags.clone(),
                definition: definition.clone(),
                pause: None,
                last_run_time: Some(seed.last_run_at.unwrap_or(created)),
                number_of_runs: 1,
            };
            if status == JobStatus::UserPaused {
                job.pause = Some(crate::model::Pause {
                    at: now - days(paused_days),
                    from: paused_from,
                });
            }
            self.jobs.insert(job_id.clone(), job);
            ids.push(job_id);
        }
        Ok(ids)
    }
}
