//! `macie-guard recreate`: a cancelled job back, from its definition. Reads the job
//! (DescribeClassificationJob answers for cancelled jobs) or takes the definition from a lost
//! job's report, checks that what it refers to still exists (custom data identifiers, allow
//! lists), finds a job that already stands for it, and creates the job once
//! (CreateClassificationJob with the token `expiry::recreate::client_token` derives from the
//! lost job). The request is the JSON `expiry::recreate::request` builds, sent as it is
//! (`MacieJobs::create`): what `--dry-run` prints is what is sent. The expiry guard recreates
//! a job its tag asks for with the same calls (`expiry::guard::lost`).

use aws_config::SdkConfig;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::expiry::jobs::MacieJobs;
use macie_guard_core::expiry::job::JobStatus;
use macie_guard_core::expiry::recreate::{self, RecreateError};

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

/// Recreates the lost job of `source` in the Region of `sdk` (once; `name` chooses the new
/// name).
pub async fn recreate(
    sdk: &SdkConfig,
    source: Source,
    name: Option<&str>,
    dry_run: bool,
) -> Result<Recreated> {
    let macie = crate::aws::macie(sdk);
    let (original, definition) = match source {
        Source::Job(id) => {
            let described = macie.describe(&id).await?.ok_or_else(|| {
                Error::aws_answer(
                    "Macie",
                    "DescribeClassificationJob",
                    Some(&id),
                    "ResourceNotFoundException",
                    "no such job in this account and Region (--region?)",
                )
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
    let missing = macie.missing(&request).await?;
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
    if let Some(job_id) = macie.standing(&original, &new_name).await? {
        return Ok(Recreated::AlreadyStood {
            original,
            job_id,
            name: new_name,
        });
    }
    let new = macie.create(&request).await?;
    Ok(Recreated::Created {
        original,
        job_id: new.job_id,
        job_arn: new.job_arn,
        name: new.name,
    })
}
