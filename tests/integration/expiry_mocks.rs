//! Precise error paths of the expiry guard with aws-smithy-mocks: answers the local Macie
//! cannot stage in the middle of one call sequence.

use crate::common;

use aws_sdk_macie2::error::ErrorMetadata;
use aws_sdk_macie2::operation::describe_classification_job::{
    DescribeClassificationJobError, DescribeClassificationJobOutput,
};
use aws_sdk_macie2::operation::update_classification_job::{
    UpdateClassificationJobError, UpdateClassificationJobOutput,
};
use aws_sdk_macie2::types::error::{
    ConflictException, ResourceNotFoundException, ValidationException,
};
use aws_sdk_macie2::types::{JobStatus, JobType, UserPausedDetails};
use aws_sdk_macie2::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::DateTime;
use chrono::{Duration, Utc};
use macie_guard::expiry::guard::ExpiryGuard;
use macie_guard::outbound::print::PrintNotifier;
use macie_guard_core::expiry::outcome::Outcome;
use macie_guard_core::expiry::settings::ExpiryConfig;

const ID: &str = "3ce05dbb7ec5505def334104bf4fc3b4";

fn job(status: JobStatus, tag: &str) -> DescribeClassificationJobOutput {
    let paused = Utc::now() - Duration::days(29);
    let mut b = DescribeClassificationJobOutput::builder()
        .job_id(ID)
        .name("mocked")
        .job_type(JobType::OneTime)
        .job_status(status.clone())
        .tags("macie-guard:on-expiry", tag);
    if status == JobStatus::UserPaused {
        b = b.user_paused_details(
            UserPausedDetails::builder()
                .job_paused_at(DateTime::from_secs(paused.timestamp()))
                .job_expires_at(DateTime::from_secs(
                    (paused + Duration::days(30)).timestamp(),
                ))
                .build(),
        );
    }
    b.build()
}

fn conflict() -> UpdateClassificationJobError {
    UpdateClassificationJobError::ConflictException(
        ConflictException::builder()
            .message("job state changed")
            .meta(
                ErrorMetadata::builder()
                    .code("ConflictException")
                    .message("job state changed")
                    .build(),
            )
            .build(),
    )
}

fn guard(client: Client) -> ExpiryGuard<Client, PrintNotifier> {
    common::guard(client, PrintNotifier, ExpiryConfig::default())
}

#[tokio::test]
async fn refused_then_found_already_running_is_success_with_one_update() {
    let describe = mock!(Client::describe_classification_job)
        .sequence()
        .output(|| job(JobStatus::UserPaused, "resume"))
        .output(|| job(JobStatus::Running, "resume"))
        .build();
    let update = mock!(Client::update_classification_job).then_error(conflict);
    let client = mock_client!(aws_sdk_macie2, RuleMode::MatchAny, [&describe, &update]);
    let report = guard(client).process(ID, Utc::now()).await;
    assert_eq!(report.outcome, Outcome::AlreadyDone, "{}", report.message());
    assert_eq!(update.num_calls(), 1);
    assert_eq!(describe.num_calls(), 2);
}

#[tokio::test]
async fn refused_then_cancelled_by_someone_else_is_not_cancelled_again_or_resumed() {
    let describe = mock!(Client::describe_classification_job)
        .sequence()
        .output(|| job(JobStatus::UserPaused, "resume"))
        .output(|| job(JobStatus::Cancelled, "resume"))
        .build();
    let update = mock!(Client::update_classification_job).then_error(|| {
        UpdateClassificationJobError::ValidationException(
            ValidationException::builder()
                .message("cannot update cancelled job")
                .meta(ErrorMetadata::builder().code("ValidationException").build())
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_macie2, RuleMode::MatchAny, [&describe, &update]);
    let report = guard(client).process(ID, Utc::now()).await;
    assert_eq!(report.outcome, Outcome::Nothing, "{}", report.message());
    assert!(
        report.message().contains("CANCELLED"),
        "{}",
        report.message()
    );
    assert_eq!(
        update.num_calls(),
        1,
        "no second attempt on a job that moved away"
    );
}

#[tokio::test]
async fn refused_twice_is_a_failure_after_exactly_two_updates() {
    let describe = mock!(Client::describe_classification_job)
        .then_output(|| job(JobStatus::UserPaused, "cancel"));
    let update = mock!(Client::update_classification_job).then_error(conflict);
    let client = mock_client!(aws_sdk_macie2, RuleMode::MatchAny, [&describe, &update]);
    let report = guard(client).process(ID, Utc::now()).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert!(
        report.message().contains("refused twice"),
        "{}",
        report.message()
    );
    assert_eq!(update.num_calls(), 2);
}

#[tokio::test]
async fn keep_paused_whose_pause_fails_says_the_job_is_running() {
    let describe = mock!(Client::describe_classification_job)
        .then_output(|| job(JobStatus::UserPaused, "keep-paused"));
    let update = mock!(Client::update_classification_job)
        .sequence()
        .output(|| UpdateClassificationJobOutput::builder().build())
        .error(conflict)
        .build();
    let client = mock_client!(aws_sdk_macie2, RuleMode::MatchAny, [&describe, &update]);
    let report = guard(client).process(ID, Utc::now()).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert!(
        report.message().contains("it is RUNNING now"),
        "{}",
        report.message()
    );
    assert_eq!(update.num_calls(), 2);
}

#[tokio::test]
async fn a_job_that_no_longer_exists_is_reported_not_found() {
    let describe = mock!(Client::describe_classification_job).then_error(|| {
        DescribeClassificationJobError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("no such job")
                .meta(
                    ErrorMetadata::builder()
                        .code("ResourceNotFoundException")
                        .build(),
                )
                .build(),
        )
    });
    let update = mock!(Client::update_classification_job)
        .then_output(|| UpdateClassificationJobOutput::builder().build());
    let client = mock_client!(aws_sdk_macie2, RuleMode::MatchAny, [&describe, &update]);
    let report = guard(client).process(ID, Utc::now()).await;
    assert_eq!(report.outcome, Outcome::NotFound);
    assert_eq!(update.num_calls(), 0);
}
