//! The account's state: jobs, tags, export configuration, clock, call counters and faults.
//! Request bodies arrive as JSON values and are validated here, field by field, so every
//! ValidationException names the field that is wrong.
//!
//! Why one file this long: the state machine of a job (the API reference's transition rules
//! and its validation) is one table read as a whole; splitting it would split the rules that
//! constrain each other.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::error::{ApiError, ErrorKind};
use crate::identifiers::Identifiers;
use crate::model::{timestamp, valid_job_id, Job, JobStatus, JobType};

/// Page size bounds for ListClassificationJobs. The model leaves maxResults unbounded; the
/// local Macie enforces 1..=200 and defaults to 100.
pub const MAX_RESULTS: i64 = 200;
pub const DEFAULT_MAX_RESULTS: i64 = 100;

#[derive(Debug, Default, Clone)]
pub struct FaultPlan {
    /// Faults served first, in order; `None` lets one call through.
    pub sequence: VecDeque<Option<ErrorKind>>,
    /// After the sequence: the share of calls that fail with `rate_error`.
    pub rate: f64,
    pub rate_error: Option<ErrorKind>,
}

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

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn obj<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| ApiError::validation(format!("{field} must be a JSON object")))
}

fn opt_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::validation(format!("{field} must be a string"))),
    }
}

fn req_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, ApiError> {
    opt_str(body, field)?.ok_or_else(|| ApiError::validation(format!("{field} is required")))
}

fn enum_field<T>(
    body: &Map<String, Value>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>, ApiError> {
    match opt_str(body, field)? {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            ApiError::validation(format!(
                "{field} has an unknown value {s:?}; use one of {allowed}"
            ))
        }),
    }
}

const STATUSES: &str = "RUNNING, PAUSED, USER_PAUSED, IDLE, COMPLETE, CANCELLED";
const TYPES: &str = "ONE_TIME, SCHEDULED";

fn tags_field(
    body: &Map<String, Value>,
    field: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut tags = BTreeMap::new();
    let Some(v) = body.get(field) else {
        return Ok(tags);
    };
    let map = obj(v, field)?;
    if map.len() > 50 {
        return Err(ApiError::validation(format!(
            "{field} has {} tags; at most 50 are allowed",
            map.len()
        )));
    }
    for (k, v) in map {
        let Value::String(s) = v else {
            return Err(ApiError::validation(format!(
                "{field}.{k} must be a string"
            )));
        };
        if k.is_empty() || k.chars().count() > 128 || s.chars().count() > 256 {
            return Err(ApiError::validation(format!(
                "{field}.{k}: tag keys are 1-128 characters and values at most 256"
            )));
        }
        tags.insert(k.clone(), s.clone());
    }
    Ok(tags)
}

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

    fn random(&mut self) -> f64 {
        // xorshift64*: deterministic, enough for fault rates.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn next_fault(&mut self, operation: &str) -> Option<ErrorKind> {
        let plan = self.faults.get_mut(operation)?;
        if let Some(step) = plan.sequence.pop_front() {
            return step;
        }
        let (rate, kind) = (plan.rate, plan.rate_error);
        if rate > 0.0 && self.random() < rate {
            return Some(kind.unwrap_or(ErrorKind::Throttling));
        }
        None
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

    pub fn list_jobs(&mut self, body: &Value) -> Result<Value, ApiError> {
        let body = match body {
            Value::Null => Map::new(),
            v => obj(v, "request body")?.clone(),
        };
        let max_results = match body.get("maxResults") {
            None | Some(Value::Null) => DEFAULT_MAX_RESULTS,
            Some(v) => match v.as_i64() {
                Some(n @ 1..=MAX_RESULTS) => n,
                _ => {
                    return Err(ApiError::validation(format!(
                        "maxResults must be an integer from 1 to {MAX_RESULTS}, not {v}"
                    )))
                }
            },
        } as usize;
        let (includes, excludes) = match body.get("filterCriteria") {
            None | Some(Value::Null) => (Vec::new(), Vec::new()),
            Some(v) => {
                let fc = obj(v, "filterCriteria")?;
                (
                    parse_terms(fc.get("includes"), "filterCriteria.includes")?,
                    parse_terms(fc.get("excludes"), "filterCriteria.excludes")?,
                )
            }
        };
        let (sort_key, descending) = match body.get("sortCriteria") {
            None | Some(Value::Null) => (SortKey::CreatedAt, false),
            Some(v) => {
                let sc = obj(v, "sortCriteria")?;
                let key = enum_field(
                    sc,
                    "attributeName",
                    SortKey::parse,
                    "createdAt, jobStatus, name, jobType",
                )?
                .unwrap_or(SortKey::CreatedAt);
                let desc = enum_field(
                    sc,
                    "orderBy",
                    |s| match s {
                        "ASC" => Some(false),
                        "DESC" => Some(true),
                        _ => None,
                    },
                    "ASC, DESC",
                )?
                .unwrap_or(false);
                (key, desc)
            }
        };
        let after = match opt_str(&body, "nextToken")? {
            None => None,
            Some(t) => Some(Cursor::decode(t).ok_or_else(|| {
                ApiError::validation(format!(
                    "nextToken {t:?} is not a token this service issued"
                ))
            })?),
        };

        let now = self.now();
        let mut matched: Vec<&Job> = Vec::new();
        for job in self.jobs.values_mut() {
            job.expire(now);
        }
        for job in self.jobs.values() {
            if includes.iter().all(|t| t.matches(job)) && !excludes.iter().any(|t| t.matches(job)) {
                let cursor = Cursor::of(job, sort_key);
                let past = match &after {
                    None => true,
                    Some(a) => {
                        let ord = cursor.cmp(a);
                        if descending {
                            ord == Ordering::Less
                        } else {
                            ord == Ordering::Greater
                        }
                    }
                };
                if past {
                    matched.push(job);
                }
            }
        }
        matched.sort_by(|a, b| {
            let ord = Cursor::of(a, sort_key).cmp(&Cursor::of(b, sort_key));
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
        let more = matched.len() > max_results;
        matched.truncate(max_results);
        let items: Vec<Value> = matched
            .iter()
            .map(|j| j.summary(&self.region, now))
            .collect();
        let next = if more {
            matched.last().map(|j| Cursor::of(j, sort_key).encode())
        } else {
            None
        };
        let mut out = json!({ "items": items });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
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

    pub fn advance_clock(&mut self, by: Duration) {
        self.clock_offset += by;
    }

    pub fn set_clock(&mut self, now: DateTime<Utc>) {
        self.clock_offset = now - Utc::now();
    }

    pub fn calls(&self) -> Value {
        json!({ "calls": self.calls, "faults": self.faults_served })
    }

    pub fn reset_calls(&mut self) {
        self.calls.clear();
        self.faults_served.clear();
    }

    pub fn set_faults(&mut self, operation: String, plan: FaultPlan) {
        self.faults.insert(operation, plan);
    }

    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub fn seed_rng(&mut self, seed: u64) {
        self.rng = seed.max(1);
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

pub fn validate_export_configuration(body: &Value) -> Result<Value, ApiError> {
    let body = obj(body, "request body")?;
    let config = body
        .get("configuration")
        .ok_or_else(|| ApiError::validation("configuration is required"))?;
    let config_obj = obj(config, "configuration")?;
    if let Some(dest) = config_obj.get("s3Destination") {
        let dest = obj(dest, "configuration.s3Destination")?;
        for field in ["bucketName", "kmsKeyArn"] {
            match opt_str(dest, field)? {
                Some(s) if !s.is_empty() => {}
                _ => {
                    return Err(ApiError::validation(format!(
                        "configuration.s3Destination.{field} is required"
                    )))
                }
            }
        }
        opt_str(dest, "keyPrefix")?;
    }
    Ok(config.clone())
}

#[derive(Debug, Clone, Copy)]
enum SortKey {
    CreatedAt,
    JobStatus,
    Name,
    JobType,
}

impl SortKey {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "createdAt" => SortKey::CreatedAt,
            "jobStatus" => SortKey::JobStatus,
            "name" => SortKey::Name,
            "jobType" => SortKey::JobType,
            _ => return None,
        })
    }
}

/// A keyset position: paging stays correct while jobs change between pages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Cursor {
    key: String,
    job_id: String,
}

impl Cursor {
    fn of(job: &Job, key: SortKey) -> Self {
        let key = match key {
            SortKey::CreatedAt => format!("{:020}", job.created_at.timestamp_millis().max(0)),
            SortKey::JobStatus => job.status.as_str().to_string(),
            SortKey::Name => job.name.clone(),
            SortKey::JobType => job.job_type.as_str().to_string(),
        };
        Cursor {
            key,
            job_id: job.job_id.clone(),
        }
    }

    fn encode(&self) -> String {
        let raw = json!([self.key, self.job_id]).to_string();
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn decode(token: &str) -> Option<Self> {
        if !token.len().is_multiple_of(2) || token.len() > 4096 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..token.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
            .collect();
        let v: Value = serde_json::from_slice(&bytes?).ok()?;
        let arr = v.as_array()?;
        Some(Cursor {
            key: arr.first()?.as_str()?.to_string(),
            job_id: arr.get(1)?.as_str()?.to_string(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparator {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
    Ne,
    Contains,
    StartsWith,
}

#[derive(Debug)]
enum TermValues {
    Strings(Vec<String>),
    Times(Vec<DateTime<Utc>>),
}

#[derive(Debug)]
struct Term {
    comparator: Comparator,
    key: SortKey,
    values: TermValues,
}

fn parse_terms(v: Option<&Value>, field: &str) -> Result<Vec<Term>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::validation(format!("{field} must be a list")))?;
    arr.iter()
        .enumerate()
        .map(|(i, t)| {
            let f = format!("{field}[{i}]");
            let t = obj(t, &f)?;
            let comparator = enum_field(
                t,
                "comparator",
                |s| {
                    Some(match s {
                        "EQ" => Comparator::Eq,
                        "GT" => Comparator::Gt,
                        "GTE" => Comparator::Gte,
                        "LT" => Comparator::Lt,
                        "LTE" => Comparator::Lte,
                        "NE" => Comparator::Ne,
                        "CONTAINS" => Comparator::Contains,
                        "STARTS_WITH" => Comparator::StartsWith,
                        _ => return None,
                    })
                },
                "EQ, GT, GTE, LT, LTE, NE, CONTAINS, STARTS_WITH",
            )
            .map_err(|e| ApiError::validation(format!("{f}.{}", e.message)))?
            .unwrap_or(Comparator::Eq);
            let key = enum_field(t, "key", SortKey::parse, "jobType, jobStatus, createdAt, name")
                .map_err(|e| ApiError::validation(format!("{f}.{}", e.message)))?
                .ok_or_else(|| ApiError::validation(format!("{f}.key is required")))?;
            let raw: Vec<String> = match t.get("values") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            ApiError::validation(format!("{f}.values must be a list of strings"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(ApiError::validation(format!("{f}.values must be a list of strings"))),
            };
            let values = match key {
                SortKey::CreatedAt => TermValues::Times(
                    raw.iter()
                        .map(|s| {
                            DateTime::parse_from_rfc3339(s)
                                .map(|t| t.with_timezone(&Utc))
                                .map_err(|_| {
                                    ApiError::validation(format!(
                                        "{f}.values: {s:?} is not an ISO 8601 date-time such as 2026-09-28T14:31:13Z"
                                    ))
                                })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                SortKey::JobStatus | SortKey::JobType => {
                    for s in &raw {
                        let ok = match key {
                            SortKey::JobStatus => JobStatus::parse(s).is_some(),
                            _ => JobType::parse(s).is_some(),
                        };
                        if !ok {
                            return Err(ApiError::validation(format!(
                                "{f}.values: {s:?} is not a valid value for {}",
                                match key {
                                    SortKey::JobStatus => "jobStatus",
                                    _ => "jobType",
                                }
                            )));
                        }
                    }
                    TermValues::Strings(raw)
                }
                SortKey::Name => TermValues::Strings(raw),
            };
            Ok(Term {
                comparator,
                key,
                values,
            })
        })
        .collect()
}

fn compare<T: PartialOrd + ?Sized>(c: Comparator, field: &T, value: &T) -> bool {
    match c {
        Comparator::Eq => field == value,
        Comparator::Ne => field != value,
        Comparator::Gt => field > value,
        Comparator::Gte => field >= value,
        Comparator::Lt => field < value,
        Comparator::Lte => field <= value,
        Comparator::Contains | Comparator::StartsWith => false,
    }
}

impl Term {
    fn matches(&self, job: &Job) -> bool {
        match &self.values {
            TermValues::Times(times) => {
                let hit = |t: &DateTime<Utc>| compare(self.comparator, &job.created_at, t);
                if self.comparator == Comparator::Ne {
                    times.iter().all(hit)
                } else {
                    times.iter().any(hit)
                }
            }
            TermValues::Strings(values) => {
                let field = match self.key {
                    SortKey::JobStatus => job.status.as_str(),
                    SortKey::JobType => job.job_type.as_str(),
                    SortKey::Name => job.name.as_str(),
                    // createdAt terms always hold times.
                    SortKey::CreatedAt => return false,
                };
                let hit = |v: &String| match self.comparator {
                    Comparator::Contains => field.contains(v.as_str()),
                    Comparator::StartsWith => field.starts_with(v.as_str()),
                    c => compare(c, field, v.as_str()),
                };
                if self.comparator == Comparator::Ne {
                    values.iter().all(hit)
                } else {
                    values.iter().any(hit)
                }
            }
        }
    }
}
