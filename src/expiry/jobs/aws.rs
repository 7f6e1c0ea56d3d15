//! [`MacieJobs`] over aws-sdk-macie2: ListClassificationJobs, DescribeClassificationJob,
//! UpdateClassificationJob, and the calls a recreation makes.

use super::*;

fn time(t: Option<&SmithyTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

fn paused_details(
    d: Option<&mt::UserPausedDetails>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<String>) {
    match d {
        None => (None, None, None),
        Some(d) => (
            time(d.job_paused_at()),
            time(d.job_expires_at()),
            d.job_imminent_expiration_health_event_arn()
                .map(str::to_string),
        ),
    }
}

fn snapshot_of_summary(s: &mt::JobSummary) -> JobSnapshot {
    let (paused_at, expires_at, health_event_arn) = paused_details(s.user_paused_details());
    JobSnapshot {
        job_id: s.job_id().unwrap_or_default().to_string(),
        name: s.name().unwrap_or_default().to_string(),
        status: JobStatus::parse(s.job_status().map(|v| v.as_str()).unwrap_or("")),
        job_type: JobType::parse(s.job_type().map(|v| v.as_str()).unwrap_or("")),
        paused_at,
        expires_at,
        health_event_arn,
        tags: None,
    }
}

fn described_job(
    out: &aws_sdk_macie2::operation::describe_classification_job::DescribeClassificationJobOutput,
) -> DescribedJob {
    let (paused_at, expires_at, health_event_arn) = paused_details(out.user_paused_details());
    let tags = out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    DescribedJob {
        snapshot: JobSnapshot {
            job_id: out.job_id().unwrap_or_default().to_string(),
            name: out.name().unwrap_or_default().to_string(),
            status: JobStatus::parse(out.job_status().map(|v| v.as_str()).unwrap_or("")),
            job_type: JobType::parse(out.job_type().map(|v| v.as_str()).unwrap_or("")),
            paused_at,
            expires_at,
            health_event_arn,
            tags: Some(tags),
        },
        definition: definition_json(out),
    }
}

/// The job's definition in CreateClassificationJob's JSON shape, so a person can recreate
/// a job that was lost.
fn definition_json(
    out: &aws_sdk_macie2::operation::describe_classification_job::DescribeClassificationJobOutput,
) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() && v != json!([]) {
            m.insert(k.to_string(), v);
        }
    };
    put("name", json!(out.name()));
    put("description", json!(out.description()));
    put("jobType", json!(out.job_type().map(|v| v.as_str())));
    put("jobArn", json!(out.job_arn()));
    put(
        "createdAt",
        json!(time(out.created_at()).map(|t| t.to_rfc3339())),
    );
    put("samplingPercentage", json!(out.sampling_percentage()));
    put("initialRun", json!(out.initial_run()));
    put(
        "managedDataIdentifierSelector",
        json!(out.managed_data_identifier_selector().map(|v| v.as_str())),
    );
    put(
        "managedDataIdentifierIds",
        json!(out.managed_data_identifier_ids()),
    );
    put(
        "customDataIdentifierIds",
        json!(out.custom_data_identifier_ids()),
    );
    put("allowListIds", json!(out.allow_list_ids()));
    put("tags", json!(out.tags()));
    if let Some(s) = out.schedule_frequency() {
        let mut f = Map::new();
        if s.daily_schedule().is_some() {
            f.insert("dailySchedule".into(), json!({}));
        }
        if let Some(w) = s.weekly_schedule() {
            f.insert(
                "weeklySchedule".into(),
                json!({"dayOfWeek": w.day_of_week().map(|d| d.as_str())}),
            );
        }
        if let Some(mo) = s.monthly_schedule() {
            f.insert(
                "monthlySchedule".into(),
                json!({"dayOfMonth": mo.day_of_month()}),
            );
        }
        put("scheduleFrequency", Value::Object(f));
    }
    if let Some(d) = out.s3_job_definition() {
        let mut def = Map::new();
        let buckets: Vec<Value> = d
            .bucket_definitions()
            .iter()
            .map(|b| json!({"accountId": b.account_id(), "buckets": b.buckets()}))
            .collect();
        if !buckets.is_empty() {
            def.insert("bucketDefinitions".into(), Value::Array(buckets));
        }
        if let Some(c) = d.bucket_criteria() {
            def.insert(
                "bucketCriteria".into(),
                json!({"includes": c.includes().map(criteria_block), "excludes": c.excludes().map(criteria_block)}),
            );
        }
        if let Some(s) = d.scoping() {
            def.insert(
                "scoping".into(),
                json!({"includes": s.includes().map(scoping_block), "excludes": s.excludes().map(scoping_block)}),
            );
        }
        put("s3JobDefinition", Value::Object(def));
    }
    Value::Object(m)
}

fn criteria_block(b: &mt::CriteriaBlockForJob) -> Value {
    let and: Vec<Value> = b
        .and()
        .iter()
        .map(|c| {
            json!({
                "simpleCriterion": c.simple_criterion().map(|s| json!({
                    "comparator": s.comparator().map(|v| v.as_str()),
                    "key": s.key().map(|v| v.as_str()),
                    "values": s.values(),
                })),
                "tagCriterion": c.tag_criterion().map(|t| json!({
                    "comparator": t.comparator().map(|v| v.as_str()),
                    "tagValues": t.tag_values().iter().map(|p| json!({"key": p.key(), "value": p.value()})).collect::<Vec<_>>(),
                })),
            })
        })
        .collect();
    json!({ "and": and })
}

fn scoping_block(b: &mt::JobScopingBlock) -> Value {
    let and: Vec<Value> = b
        .and()
        .iter()
        .map(|t| {
            json!({
                "simpleScopeTerm": t.simple_scope_term().map(|s| json!({
                    "comparator": s.comparator().map(|v| v.as_str()),
                    "key": s.key().map(|v| v.as_str()),
                    "values": s.values(),
                })),
                "tagScopeTerm": t.tag_scope_term().map(|s| json!({
                    "comparator": s.comparator().map(|v| v.as_str()),
                    "key": s.key(),
                    "tagValues": s.tag_values().iter().map(|p| json!({"key": p.key(), "value": p.value()})).collect::<Vec<_>>(),
                    "target": s.target().map(|v| v.as_str()),
                })),
            })
        })
        .collect();
    json!({ "and": and })
}

impl MacieJobs for aws_sdk_macie2::Client {
    async fn list_paused(&self, next_token: Option<String>) -> Result<Page> {
        let filter = mt::ListJobsFilterCriteria::builder()
            .includes(
                mt::ListJobsFilterTerm::builder()
                    .key(mt::ListJobsFilterKey::JobStatus)
                    .comparator(mt::JobComparator::Eq)
                    .values("USER_PAUSED")
                    .build(),
            )
            .build();
        let out = self
            .list_classification_jobs()
            .filter_criteria(filter)
            .max_results(LIST_PAGE_SIZE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| Error::aws("Macie", "ListClassificationJobs", None, &e))?;
        Ok(Page {
            jobs: out.items().iter().map(snapshot_of_summary).collect(),
            next_token: out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        })
    }

    async fn describe(&self, job_id: &str) -> Result<Option<DescribedJob>> {
        match self
            .describe_classification_job()
            .job_id(job_id)
            .send()
            .await
        {
            Ok(out) => Ok(Some(described_job(&out))),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(e) => Err(Error::aws(
                "Macie",
                "DescribeClassificationJob",
                Some(job_id),
                &e,
            )),
        }
    }

    async fn update(&self, job_id: &str, to: Target) -> std::result::Result<(), UpdateError> {
        let status = match to {
            Target::Running => mt::JobStatus::Running,
            Target::UserPaused => mt::JobStatus::UserPaused,
            Target::Cancelled => mt::JobStatus::Cancelled,
        };
        match self
            .update_classification_job()
            .job_id(job_id)
            .job_status(status)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some("ValidationException" | "ConflictException")) => {
                Err(UpdateError::Refused {
                    code: e.code().unwrap_or_default().to_string(),
                    message: e.message().unwrap_or_default().to_string(),
                })
            }
            Err(e) => Err(UpdateError::Failed(Error::aws(
                "Macie",
                "UpdateClassificationJob",
                Some(job_id),
                &e,
            ))),
        }
    }

    async fn missing(&self, request: &Value) -> Result<Vec<String>> {
        let ids = |field: &str| -> Vec<String> {
            request[field]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut out = Vec::new();
        // BatchGetCustomDataIdentifiers takes up to 50 ids a call.
        for chunk in ids("customDataIdentifierIds").chunks(50) {
            let got = self
                .batch_get_custom_data_identifiers()
                .set_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| {
                    Error::aws(
                        "Macie",
                        "BatchGetCustomDataIdentifiers",
                        Some("the job's custom data identifiers"),
                        &e,
                    )
                })?;
            out.extend(
                got.not_found_identifier_ids()
                    .iter()
                    .map(|id| format!("custom data identifier {id}")),
            );
        }
        for id in ids("allowListIds") {
            match self.get_allow_list().id(&id).send().await {
                Ok(_) => {}
                Err(e) if e.code() == Some("ResourceNotFoundException") => {
                    out.push(format!("allow list {id}"))
                }
                Err(e) => return Err(Error::aws("Macie", "GetAllowList", Some(&id), &e)),
            }
        }
        Ok(out)
    }

    async fn standing(&self, original: &str, name: &str) -> Result<Option<String>> {
        let filter = mt::ListJobsFilterCriteria::builder()
            .includes(
                mt::ListJobsFilterTerm::builder()
                    .key(mt::ListJobsFilterKey::Name)
                    .comparator(mt::JobComparator::Eq)
                    .values(name)
                    .build(),
            )
            .build();
        let mut token = None;
        loop {
            let page = self
                .list_classification_jobs()
                .filter_criteria(filter.clone())
                .max_results(LIST_PAGE_SIZE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| Error::aws("Macie", "ListClassificationJobs", Some(name), &e))?;
            for job in page.items() {
                let Some(id) = job.job_id() else { continue };
                if let Some(d) = self.describe(id).await? {
                    let tags = d.snapshot.tags.unwrap_or_default();
                    if tags.get(RECREATED_FROM_TAG).map(String::as_str) == Some(original) {
                        return Ok(Some(id.to_string()));
                    }
                }
            }
            match page.next_token().filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(None),
            }
        }
    }

    async fn create(&self, request: &Value) -> Result<NewJob> {
        let body = request.to_string();
        let name = request["name"].as_str().unwrap_or_default().to_string();
        let token = request["clientToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // The request is sent exactly as built (what `recreate --dry-run` prints): the SDK's
        // call carries the required members and its body is then replaced by the whole
        // definition, before it is signed (the SDK signs after `mutate_request`).
        let out = self
            .create_classification_job()
            .name(&name)
            .job_type(mt::JobType::OneTime)
            .client_token(&token)
            .s3_job_definition(mt::S3JobDefinition::builder().build())
            .customize()
            .mutate_request(move |req| {
                let bytes = body.clone().into_bytes();
                req.headers_mut()
                    .insert("content-length", bytes.len().to_string());
                *req.body_mut() = aws_smithy_types::body::SdkBody::from(bytes);
            })
            .send()
            .await
            .map_err(|e| Error::aws("Macie", "CreateClassificationJob", Some(&name), &e))?;
        Ok(NewJob {
            job_id: out.job_id().unwrap_or_default().to_string(),
            job_arn: out.job_arn().unwrap_or_default().to_string(),
            name,
        })
    }
}
