//! `macie-guard recreate`: a cancelled job back, from its definition. Reads the job
//! (DescribeClassificationJob answers for cancelled jobs) or takes the definition from a lost
//! job's report, checks that what it refers to still exists (custom data identifiers, allow
//! lists), finds a job that already stands for it, and creates the job once
//! (CreateClassificationJob with the token `expiry::recreate::client_token` derives from the
//! lost job). The request is the JSON `expiry::recreate::request` builds, sent as it is
//! (`crate::signed`): what `--dry-run` prints is what is sent.

use aws_config::SdkConfig;
use aws_sdk_macie2::error::ProvideErrorMetadata;
use aws_sdk_macie2::types as mt;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::expiry::jobs::MacieJobs;
use crate::signed::{Request, Signed, MACIE2};
use macie_guard_core::expiry::policy::JobStatus;
use macie_guard_core::expiry::recreate::{self, RecreateError, RECREATED_FROM_TAG};

/// Where the definition comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The cancelled job itself.
    Job(String),
    /// A lost job's report or event: its id and definition.
    Report { job_id: String, definition: Value },
}

/// What `recreate` did.
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "outcome",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Recreated {
    /// Nothing was created: the request that would be sent.
    DryRun { original: String, request: Value },
    /// The new job.
    Created {
        original: String,
        job_id: String,
        job_arn: String,
        name: String,
    },
    /// A job recreated from it earlier stands for it: nothing new was created.
    AlreadyStood {
        original: String,
        job_id: String,
        name: String,
    },
}

fn macie_error<E: ProvideErrorMetadata>(operation: &'static str, on: &str, e: &E) -> Error {
    Error::Aws {
        service: "Macie",
        operation,
        on: Some(on.to_string()),
        code: e.code().unwrap_or("Unknown").to_string(),
        message: e.message().unwrap_or_default().to_string(),
    }
}

/// The custom data identifiers and allow lists of `request` that do not exist.
async fn missing(macie: &aws_sdk_macie2::Client, request: &Value) -> Result<Vec<String>> {
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
    let custom = ids("customDataIdentifierIds");
    for chunk in custom.chunks(50) {
        let got = macie
            .batch_get_custom_data_identifiers()
            .set_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| {
                macie_error(
                    "BatchGetCustomDataIdentifiers",
                    "the job's custom data identifiers",
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
        match macie.get_allow_list().id(&id).send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                out.push(format!("allow list {id}"))
            }
            Err(e) => return Err(macie_error("GetAllowList", &id, &e)),
        }
    }
    Ok(out)
}

/// A job named `name` that carries the tag naming `original`: one recreated from it before.
async fn standing(
    macie: &aws_sdk_macie2::Client,
    original: &str,
    name: &str,
) -> Result<Option<String>> {
    let filter = mt::ListJobsFilterCriteria::builder()
        .includes(
            mt::ListJobsFilterTerm::builder()
                .key(mt::ListJobsFilterKey::Name)
                .comparator(mt::JobComparator::Eq)
                .values(name)
                .build(),
        )
        .build();
    let page = macie
        .list_classification_jobs()
        .filter_criteria(filter)
        .send()
        .await
        .map_err(|e| macie_error("ListClassificationJobs", name, &e))?;
    for job in page.items() {
        let Some(id) = job.job_id() else { continue };
        if let Some(d) = macie.describe(id).await? {
            let tags = d.snapshot.tags.unwrap_or_default();
            if tags.get(RECREATED_FROM_TAG).map(String::as_str) == Some(original) {
                return Ok(Some(id.to_string()));
            }
        }
    }
    Ok(None)
}

/// Recreates the lost job of `source` in `region` (once; `name` chooses the new name).
pub async fn recreate(
    sdk: &SdkConfig,
    region: &str,
    source: Source,
    name: Option<&str>,
    dry_run: bool,
) -> Result<Recreated> {
    let macie = crate::aws::macie(sdk);
    let (original, definition) = match source {
        Source::Job(id) => {
            let described = macie.describe(&id).await?.ok_or_else(|| Error::Aws {
                service: "Macie",
                operation: "DescribeClassificationJob",
                on: Some(id.clone()),
                code: "ResourceNotFoundException".into(),
                message: "no such job in this account and Region (--region?)".into(),
            })?;
            if described.snapshot.status != JobStatus::Cancelled {
                return Err(RecreateError::NotLost {
                    job_id: id,
                    status: described.snapshot.status.as_str().to_string(),
                }
                .into());
            }
            (id, described.definition)
        }
        Source::Report { job_id, definition } => {
            if let Some(d) = macie.describe(&job_id).await? {
                if d.snapshot.status != JobStatus::Cancelled {
                    return Err(RecreateError::NotLost {
                        job_id,
                        status: d.snapshot.status.as_str().to_string(),
                    }
                    .into());
                }
            }
            (job_id, definition)
        }
    };
    let request = recreate::request(&original, &definition, name)?;
    let missing = missing(&macie, &request).await?;
    if !missing.is_empty() {
        return Err(Error::Missing {
            job_id: original,
            missing: missing.join(", "),
        });
    }
    if dry_run {
        return Ok(Recreated::DryRun { original, request });
    }
    let new_name = request["name"].as_str().unwrap_or_default().to_string();
    if let Some(job_id) = standing(&macie, &original, &new_name).await? {
        return Ok(Recreated::AlreadyStood {
            original,
            job_id,
            name: new_name,
        });
    }
    let until = Instant::now() + Duration::from_secs(30);
    let answer = Signed::new(sdk, MACIE2)
        .send(
            region,
            "CreateClassificationJob",
            Request::rest_json("POST", "/jobs", Some(&request)),
            until,
        )
        .await
        .map_err(|e| Error::Aws {
            service: "Macie",
            operation: "CreateClassificationJob",
            on: Some(original.clone()),
            code: e.code().unwrap_or("NoAnswer").to_string(),
            message: e.to_string(),
        })?;
    let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
    Ok(Recreated::Created {
        original,
        job_id: v["jobId"].as_str().unwrap_or_default().to_string(),
        job_arn: v["jobArn"].as_str().unwrap_or_default().to_string(),
        name: new_name,
    })
}
