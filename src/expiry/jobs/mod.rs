//! The narrow view of Macie that the guards need (the port [`MacieJobs`]): its adapter over
//! aws-sdk-macie2 ([`aws`]) and its in-memory stand-in for the orchestration's tests
//! ([`memory`]) beside it. Everything returned is plain data.

use aws_sdk_macie2::error::ProvideErrorMetadata;
use aws_sdk_macie2::types as mt;
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::future::Future;

use crate::error::{Error, Result};
use macie_guard_core::expiry::job::{JobSnapshot, JobStatus, JobType};
use macie_guard_core::expiry::outcome::NewJob;
use macie_guard_core::expiry::recreate::RECREATED_FROM_TAG;

/// ListClassificationJobs' largest page: the model leaves `maxResults` unbounded, Macie's
/// reference documents up to 200.
pub const LIST_PAGE_SIZE: i32 = 200;

/// One page of paused jobs.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub jobs: Vec<JobSnapshot>,
    pub next_token: Option<String>,
}

/// A job as DescribeClassificationJob tells it: the snapshot, and the definition a person
/// needs to recreate it (CreateClassificationJob's fields).
#[derive(Debug, Clone)]
pub struct DescribedJob {
    pub snapshot: JobSnapshot,
    pub definition: Value,
}

/// The statuses UpdateClassificationJob can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Running,
    UserPaused,
    Cancelled,
}

/// Why an update did not happen.
#[derive(Debug)]
pub enum UpdateError {
    /// Macie refused the move (ValidationException, ConflictException): the job's state moved
    /// under us. Re-read and decide again.
    Refused {
        code: String,
        message: String,
    },
    Failed(Error),
}

/// The classification job operations the expiry guard uses.
pub trait MacieJobs: Send + Sync {
    /// One page of USER_PAUSED jobs (ListClassificationJobs, largest page size).
    fn list_paused(&self, next_token: Option<String>) -> impl Future<Output = Result<Page>> + Send;
    /// DescribeClassificationJob; `None` when the job does not exist.
    fn describe(&self, job_id: &str) -> impl Future<Output = Result<Option<DescribedJob>>> + Send;
    /// UpdateClassificationJob.
    fn update(
        &self,
        job_id: &str,
        to: Target,
    ) -> impl Future<Output = std::result::Result<(), UpdateError>> + Send;
    /// The custom data identifiers and allow lists a CreateClassificationJob `request` names
    /// that do not exist (BatchGetCustomDataIdentifiers, GetAllowList), each as a phrase.
    fn missing(&self, request: &Value) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// The job named `name` that carries the tag naming `original` (`macie-guard:recreated-from`):
    /// one recreated from it before (ListClassificationJobs by name, then each one's tags).
    fn standing(
        &self,
        original: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
    /// CreateClassificationJob with `request` exactly as given (its `clientToken` makes it
    /// once only).
    fn create(&self, request: &Value) -> impl Future<Output = Result<NewJob>> + Send;
}

impl<T: MacieJobs> MacieJobs for &T {
    fn list_paused(&self, next_token: Option<String>) -> impl Future<Output = Result<Page>> + Send {
        (**self).list_paused(next_token)
    }
    fn describe(&self, job_id: &str) -> impl Future<Output = Result<Option<DescribedJob>>> + Send {
        (**self).describe(job_id)
    }
    fn update(
        &self,
        job_id: &str,
        to: Target,
    ) -> impl Future<Output = std::result::Result<(), UpdateError>> + Send {
        (**self).update(job_id, to)
    }
    fn missing(&self, request: &Value) -> impl Future<Output = Result<Vec<String>>> + Send {
        (**self).missing(request)
    }
    fn standing(
        &self,
        original: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send {
        (**self).standing(original, name)
    }
    fn create(&self, request: &Value) -> impl Future<Output = Result<NewJob>> + Send {
        (**self).create(request)
    }
}

/// A stand-in shared between the run and the test that looks at it after.
impl<T: MacieJobs> MacieJobs for std::sync::Arc<T> {
    fn list_paused(&self, next_token: Option<String>) -> impl Future<Output = Result<Page>> + Send {
        (**self).list_paused(next_token)
    }
    fn describe(&self, job_id: &str) -> impl Future<Output = Result<Option<DescribedJob>>> + Send {
        (**self).describe(job_id)
    }
    fn update(
        &self,
        job_id: &str,
        to: Target,
    ) -> impl Future<Output = std::result::Result<(), UpdateError>> + Send {
        (**self).update(job_id, to)
    }
    fn missing(&self, request: &Value) -> impl Future<Output = Result<Vec<String>>> + Send {
        (**self).missing(request)
    }
    fn standing(
        &self,
        original: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>>> + Send {
        (**self).standing(original, name)
    }
    fn create(&self, request: &Value) -> impl Future<Output = Result<NewJob>> + Send {
        (**self).create(request)
    }
}

pub mod aws;
pub mod memory;
