//! The account's state: jobs, tags, export configuration, clock and call counters; the job's
//! transitions here, its requests' fields checked in [`fields`], the list filter language in
//! [`listing`], seeds in [`seeds`], faults in [`faults`].

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

use crate::error::{ApiError, ErrorKind};
use crate::identifiers::Identifiers;
use crate::model::{timestamp, valid_job_id, Job, JobStatus, JobType};

mod faults;
mod fields;
mod listing;
mod seeds;

use faults::splitmix;
pub use faults::FaultPlan;
pub use fields::validate_export_configuration;
use fields::{enum_field, obj, opt_str, req_str, tags_field, STATUSES, TYPES};
pub use seeds::JobSeed;

/// Page size bounds for ListClassificationJobs. The model leaves maxResults unbounded; the
/// local Macie enforces 1..=200 and defaults to 100.
pub const MAX_RESULTS: i64 = 200;
pub const DEFAULT_MAX_RESULTS: i64 = 100;

pub struct State {
    pub account: String,
    pub region: String,
    macie_enabled: bool,
    clock_offset: Duration,
    jobs: HashMap<String, Job>,
    /// Each client token's job, and the request that created it (a different request with
    /// the same token is refused).
    client_tokens: HashMap<String, (String, Value)>,
    /// The custom data identifiers and allow lists job definitions refer to.
    pub identifiers: Identifiers,
    export_configuration: Option<Value>,
    automated_discovery: bool,
    /// The Macie administrator account this account is a member of, if any, and the
    /// relationship's status.
    administrator: Option<(String, String)>,
    calls: BTreeMap<String, u64>,
    faults_served: BTreeMap<String, u64>,
    faults: HashMap<String, FaultPlan>,
    rng: u64,
    id_salt: u64,
    next_id: u64,
}

impl State {
    pub fn new(account: String, region: String) -> Self {
        State {
            account,
            region,
            macie_enabled: true,
            clock_offset: Duration::zero(),
            jobs: HashMap::new(),
            client_tokens: HashMap::new(),
            identifiers: Identifiers::default(),
            export_configuration: None,
            administrator: None,
            automated_discovery: false,
            calls: BTreeMap::new(),
            faults_served: BTreeMap::new(),
            faults: HashMap::new(),
            rng: 0x9E37_79B9_7F4A_7C15,
            // Ids differ from one server start to the next, as a real account's would.
            id_salt: Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64,
            next_id: 1,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub fn set_macie_enabled(&mut self, enabled: bool) {
        self.macie_enabled = enabled;
    }

    /// Counts the call, then serves any fault planned for the operation.
    pub fn enter(&mut self, operation: &str) -> Result<(), ApiError> {
        *self.calls.entry(operation.to_string()).or_default() += 1;
        if let Some(kind) = self.next_fault(operation) {
            *self.faults_served.entry(operation.to_string()).or_default() += 1;
            return Err(ApiError::new(
                kind,
                format!(
                    "{operation}: fault injected by local-macie ({})",
                    kind.name()
                ),
            ));
        }
        if !self.macie_enabled {
            return Err(ApiError::new(
                ErrorKind::AccessDenied,
                format!(
                    "Macie is not enabled for account {} in {}; enable it first",
                    self.account, self.region
                ),
            ));
        }
        Ok(())
    }

    fn job_mut(&mut self, job_id: &str) -> Result<&mut Job, ApiError> {
        if !valid_job_id(job_id) {
            return Err(ApiError::validation(format!(
                "jobId {job_id:?} is not valid: use the 1-64 lowercase letters and digits of a job id"
            )));
        }
        let now = self.now();
        let job = self.jobs.get_mut(job_id).ok_or_else(|| {
            ApiError::not_found(format!("classification job {job_id} was not found"))
        })?;
        job.expire(now);
        Ok(job)
    }

    /// The `arn:PARTITION:macie2:REGION:ACCOUNT` prefix of this account's resources.
    pub fn arn_prefix(&self) -> String {
        format!(
            "arn:{}:macie2:{}:{}",
            crate::model::partition(&self.region),
            self.region,
            self.account
        )
    }

    /// A salt for new resource ids.
    pub fn id_salt(&self) -> u64 {
        self.id_salt
    }

    fn new_job_id(&mut self) -> String {
        loop {
            let n = self.next_id;
            self.next_id += 1;
            // 32 hex digits, like Macie's own ids.
            let id = format!("{:016x}{:016x}", splitmix(self.id_salt ^ n), splitmix(n));
            if !self.jobs.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn create_job(&mut self, body: &Value) -> Result<Value, ApiError> {
        let request = body.clone();
        let body = obj(body, "request body")?;
        let client_token = req_str(body, "clientToken")?;
        if let Some((id, first)) = self.client_tokens.get(client_token) {
            // The same request again: the same job (the token's idempotency). Macie's API
            // Reference does not say how it answers the token with another request; the local
            // Macie refuses it, as AWS's idempotent APIs do, naming the job the token made.
            if *first != request {
                return Err(ApiError::conflict(format!(
                    "clientToken {client_token:?} was already used to create job {id} with a different request; use a new token for a new job"
                )));
            }
            let job = &self.jobs[id];
            return Ok(json!({"jobId": id, "jobArn": job.arn(&self.region, &self.account)}));
        }
        let job_type = enum_field(body, "jobType", JobType::parse, TYPES)?
            .ok_or_else(|| ApiError::validation("jobType is required"))?;
        let name = req_str(body, "name")?;
        if name.is_empty() || name.chars().count() > 500 {
            return Err(ApiError::validation("name must be 1-500 characters"));
        }
        let def = body
            .get("s3JobDefinition")
            .ok_or_else(|| ApiError::validation("s3JobDefinition is required"))?;
        let def_obj = obj(def, "s3JobDefinition")?;
        match (def_obj.get("bucketDefinitions"), def_obj.get("bucketCriteria")) {
            (Some(Value::Array(b)), None) if !b.is_empty() => {}
            (None, Some(Value::Object(_))) => {}
            _ => {
                return Err(ApiError::validation(
                    "s3JobDefinition needs exactly one of bucketDefinitions (a non-empty list) or bucketCriteria",
                ))
            }
        }
        let schedule = body.get("scheduleFrequency");
        match (job_type, schedule) {
            (JobType::Scheduled, None) => {
                return Err(ApiError::validation(
                    "scheduleFrequency is required when jobType is SCHEDULED",
                ))
            }
            (JobType::OneTime, Some(_)) => {
                return Err(ApiError::validation(
                    "scheduleFrequency is only allowed when jobType is SCHEDULED",
                ))
            }
            (_, Some(s)) => {
                obj(s, "scheduleFrequency")?;
            }
            _ => {}
        }
        if let Some(p) = body.get("samplingPercentage") {
            match p.as_i64() {
                Some(1..=100) => {}
                _ => {
                    return Err(ApiError::validation(
                        "samplingPercentage must be an integer from 1 to 100",
                    ))
                }
            }
        }
        if let Some(d) = opt_str(body, "description")? {
            // CreateClassificationJob: "The description can contain as many as 200 characters."
            if d.chars().count() > 200 {
                return Err(ApiError::validation(
                    "description can contain as many as 200 characters",
                ));
            }
        }
        // A definition refers to custom data identifiers and allow lists that must exist.
        for (field, exists) in [("customDataIdentifierIds", true), ("allowListIds", false)] {
            let ids = match body.get(field) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(a)) => a,
                Some(_) => return Err(ApiError::validation(format!("{field} must be a list"))),
            };
            for id in ids {
                let id = id
                    .as_str()
                    .ok_or_else(|| ApiError::validation(format!("{field} holds strings")))?;
                let found = if exists {
                    self.identifiers.custom_exists(id)
                } else {
                    self.identifiers.allow_list_exists(id)
                };
                if !found {
                    return Err(ApiError::not_found(format!("{field}: {id} does not exist")));
                }
            }
        }
        let initial_run = match body.get("initialRun") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(ApiError::validation("initialRun must be a boolean")),
        };
        let tags = tags_field(body, "tags")?;
        let mut definition = Map::new();
        for key in [
            "s3JobDefinition",
            "scheduleFrequency",
            "samplingPercentage",
            "initialRun",
            "description",
            "customDataIdentifierIds",
            "managedDataIdentifierIds",
            "managedDataIdentifierSelector",
            "allowListIds",
            "clientToken",
        ] {
            if let Some(v) = body.get(key) {
                definition.insert(key.into(), v.clone());
            }
        }
        let now = self.now();
        let status = match job_type {
            JobType::Scheduled if !initial_run => JobStatus::Idle,
            _ => JobStatus::Running,
        };
        let job_id = self.new_job_id();
        let job = Job {
            job_id: job_id.clone(),
            name: name.to_string(),
            job_type,
            status,
            created_at: now,
            tags,
            definition,
            pause: None,
            last_run_time: (status == JobStatus::Running).then_some(now),
            number_of_runs: u64::from(status == JobStatus::Running),
        };
        let arn = job.arn(&self.region, &self.account);
        self.client_tokens
            .insert(client_token.to_string(), (job_id.clone(), request));
        self.jobs.insert(job_id.clone(), job);
        Ok(json!({"jobId": job_id, "jobArn": arn}))
    }

    pub fn describe_job(&mut self, job_id: &str) -> Result<Value, ApiError> {
        let now = self.now();
        let (region, account) = (self.region.clone(), self.account.clone());
        Ok(self.job_mut(job_id)?.describe(&region, &account, now))
    }

    pub fn update_job(&mut self, job_id: &str, body: &Value) -> Result<(), ApiError> {
        let body = obj(body, "request body")?;
        let target = enum_field(body, "jobStatus", JobStatus::parse, STATUSES)?
            .ok_or_else(|| ApiError::validation("jobStatus is required"))?;
        let now = self.now();
        self.job_mut(job_id)?.update(target, now)
    }

    fn job_for_arn(&mut self, arn: &str) -> Result<&mut Job, ApiError> {
        let prefix = format!(
            "arn:{}:macie2:{}:{}:classification-job/",
            crate::model::partition(&self.region),
            self.region,
            self.account
        );
        let id = arn.strip_prefix(&prefix).ok_or_else(|| {
            ApiError::not_found(format!(
                "resource {arn} was not found: tags are kept for classification jobs of this account and Region ({prefix}<jobId>)"
            ))
        })?;
        let id = id.to_string();
        self.job_mut(&id).map_err(|e| match e.kind {
            ErrorKind::Validation => ApiError::not_found(format!("resource {arn} was not found")),
            _ => e,
        })
    }

    pub fn tag_resource(&mut self, arn: &str, body: &Value) -> Result<(), ApiError> {
        let body = obj(body, "request body")?;
        if !body.contains_key("tags") {
            return Err(ApiError::validation("tags is required"));
        }
        let tags = tags_field(body, "tags")?;
        let job = self.job_for_arn(arn)?;
        let mut merged = job.tags.clone();
        merged.extend(tags);
        if merged.len() > 50 {
            return Err(ApiError::validation("a resource can have at most 50 tags"));
        }
        job.tags = merged;
        Ok(())
    }

    pub fn list_tags(&mut self, arn: &str) -> Result<Value, ApiError> {
        let job = self.job_for_arn(arn)?;
        Ok(json!({ "tags": job.tags }))
    }

    pub fn get_export_configuration(&self) -> Value {
        match &self.export_configuration {
            Some(c) => json!({ "configuration": c }),
            None => json!({}),
        }
    }

    pub fn put_export_configuration(&mut self, body: &Value) -> Result<Value, ApiError> {
        let config = validate_export_configuration(body)?;
        self.export_configuration = Some(config);
        Ok(self.get_export_configuration())
    }

    /// Sets the export configuration directly (scenario files), with the API's validation.
    pub fn seed_export_configuration(&mut self, config: &Value) -> Result<(), ApiError> {
        self.put_export_configuration(&json!({ "configuration": config }))
            .map(|_| ())
    }

    /// Turns automated sensitive data discovery on or off (scenarios).
    pub fn set_automated_discovery(&mut self, on: bool) {
        self.automated_discovery = on;
    }

    /// GetAutomatedDiscoveryConfiguration's answer.
    pub fn automated_discovery(&self) -> Value {
        json!({"status": if self.automated_discovery { "ENABLED" } else { "DISABLED" }})
    }

    /// Makes this account a member of `administrator`'s organization in Macie (scenarios),
    /// with the relationship `status` (default Enabled), one of Macie's RelationshipStatus.
    pub fn set_administrator(
        &mut self,
        administrator: Option<String>,
        status: Option<&str>,
    ) -> Result<(), ApiError> {
        const STATUSES: [&str; 10] = [
            "Enabled",
            "Paused",
            "Invited",
            "Created",
            "Removed",
            "Resigned",
            "EmailVerificationInProgress",
            "EmailVerificationFailed",
            "RegionDisabled",
            "AccountSuspended",
        ];
        let status = status.unwrap_or("Enabled");
        if !STATUSES.contains(&status) {
            return Err(ApiError::validation(format!(
                "administratorRelationship {status:?} is not one of {STATUSES:?}"
            )));
        }
        self.administrator = administrator.map(|a| (a, status.to_string()));
        Ok(())
    }

    /// GetAdministratorAccount: the administrator and the relationship, or nothing for an
    /// account that is not a member.
    pub fn administrator_account(&self) -> Value {
        match &self.administrator {
            Some((a, status)) => json!({"administrator": {
                "accountId": a,
                "invitationId": "local-invitation",
                "invitedAt": timestamp(self.now() - Duration::days(400)),
                "relationshipStatus": status,
            }}),
            None => json!({}),
        }
    }

    pub fn macie_session(&self) -> Value {
        let created = timestamp(self.now() - Duration::days(365));
        json!({
            "createdAt": created,
            "updatedAt": created,
            "findingPublishingFrequency": "FIFTEEN_MINUTES",
            "serviceRole": format!(
                "arn:{}:iam::{}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie",
                crate::model::partition(&self.region),
                self.account
            ),
            "status": "ENABLED",
        })
    }

    // ---- control plane -------------------------------------------------------------------

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    pub fn set_clock(&mut self, now: DateTime<Utc>) {
        self.clock_offset = now - Utc::now();
    }

    /// How many calls of `operation` were answered (faulted ones included).
    pub fn calls_of(&self, operation: &str) -> u64 {
        self.calls.get(operation).copied().unwrap_or(0)
    }

    pub fn calls(&self) -> Value {
        json!({ "calls": self.calls, "faults": self.faults_served })
    }

    pub fn reset_calls(&mut self) {
        self.calls.clear();
        self.faults_served.clear();
    }

    /// Forces a job's status (a run completing, Macie pausing for a quota): not an API move.
    pub fn force_status(&mut self, job_id: &str, status: JobStatus) -> Result<Value, ApiError> {
        let now = self.now();
        let (region, account) = (self.region.clone(), self.account.clone());
        let job = self.job_mut(job_id)?;
        if status == JobStatus::UserPaused {
            job.pause = Some(crate::model::Pause {
                at: now,
                from: job.status,
            });
        } else {
            job.pause = None;
        }
        job.status = status;
        Ok(job.describe(&region, &account, now))
    }
}
