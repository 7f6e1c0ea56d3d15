//! The local Macie through the real aws-sdk-macie2 client over HTTP: every operation, every
//! error of the API reference, the state machine and the clock rules.
//!
//! Why one file this long: one test per operation and error of the API reference, in the
//! reference's order, so the file reads as a checklist against it.

use aws_sdk_macie2::error::ProvideErrorMetadata;
use aws_sdk_macie2::operation::create_classification_job::CreateClassificationJobError;
use aws_sdk_macie2::operation::describe_classification_job::DescribeClassificationJobError;
use aws_sdk_macie2::operation::list_classification_jobs::ListClassificationJobsError;
use aws_sdk_macie2::operation::update_classification_job::UpdateClassificationJobError;
use aws_sdk_macie2::types::{
    ClassificationExportConfiguration, DailySchedule, JobComparator, JobScheduleFrequency,
    JobStatus, JobType, ListJobsFilterCriteria, ListJobsFilterKey, ListJobsFilterTerm,
    ListJobsSortAttributeName, ListJobsSortCriteria, OrderBy, S3BucketDefinitionForJob,
    S3Destination, S3JobDefinition,
};
use aws_sdk_macie2::Client;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use testkit::{macie_client, LocalMacie, ACCOUNT};

fn definition() -> S3JobDefinition {
    S3JobDefinition::builder()
        .bucket_definitions(
            S3BucketDefinitionForJob::builder()
                .account_id(ACCOUNT)
                .buckets("customer-records")
                .build(),
        )
        .build()
}

async fn setup() -> (LocalMacie, Client) {
    let macie = LocalMacie::start(None);
    let client = macie_client(macie.url()).await;
    (macie, client)
}

fn term(key: ListJobsFilterKey, cmp: JobComparator, values: &[&str]) -> ListJobsFilterTerm {
    let mut b = ListJobsFilterTerm::builder().key(key).comparator(cmp);
    for v in values {
        b = b.values(*v);
    }
    b.build()
}

async fn list_names(
    client: &Client,
    includes: Vec<ListJobsFilterTerm>,
    excludes: Vec<ListJobsFilterTerm>,
) -> Vec<String> {
    let out = client
        .list_classification_jobs()
        .filter_criteria(
            ListJobsFilterCriteria::builder()
                .set_includes(Some(includes))
                .set_excludes(Some(excludes))
                .build(),
        )
        .sort_criteria(
            ListJobsSortCriteria::builder()
                .attribute_name(ListJobsSortAttributeName::Name)
                .order_by(OrderBy::Asc)
                .build(),
        )
        .send()
        .await
        .expect("list");
    out.items()
        .iter()
        .map(|j| j.name().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_describe_update_tag_round_trip() {
    let (macie, client) = setup().await;
    let created = client
        .create_classification_job()
        .job_type(JobType::OneTime)
        .name("quarterly-pii")
        .description("PII scan")
        .s3_job_definition(definition())
        .tags("team", "privacy")
        .send()
        .await
        .expect("create");
    let id = created.job_id().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(
        created.job_arn().unwrap(),
        format!("arn:aws:macie2:us-east-1:{ACCOUNT}:classification-job/{id}")
    );

    let job = client
        .describe_classification_job()
        .job_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_status(), Some(&JobStatus::Running));
    assert_eq!(job.job_type(), Some(&JobType::OneTime));
    assert_eq!(job.name(), Some("quarterly-pii"));
    assert_eq!(job.description(), Some("PII scan"));
    assert!(
        job.created_at().is_some(),
        "createdAt parses as a timestamp"
    );
    assert_eq!(job.statistics().unwrap().number_of_runs(), Some(1.0));
    assert_eq!(
        job.tags().unwrap().get("team").map(String::as_str),
        Some("privacy")
    );
    assert_eq!(
        job.s3_job_definition().unwrap().bucket_definitions()[0].buckets(),
        ["customer-records"]
    );
    assert!(job.user_paused_details().is_none());

    // Pause while running: expiry 30 days after the pause, no Health ARN yet.
    client
        .update_classification_job()
        .job_id(&id)
        .job_status(JobStatus::UserPaused)
        .send()
        .await
        .unwrap();
    let job = client
        .describe_classification_job()
        .job_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_status(), Some(&JobStatus::UserPaused));
    let d = job.user_paused_details().expect("userPausedDetails");
    let paused = d.job_paused_at().unwrap().secs();
    assert_eq!(d.job_expires_at().unwrap().secs() - paused, 30 * 86_400);
    assert!(d.job_imminent_expiration_health_event_arn().is_none());

    // Resume, then cancel.
    client
        .update_classification_job()
        .job_id(&id)
        .job_status(JobStatus::Running)
        .send()
        .await
        .unwrap();
    let job = client
        .describe_classification_job()
        .job_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_status(), Some(&JobStatus::Running));
    assert!(job.user_paused_details().is_none());
    client
        .update_classification_job()
        .job_id(&id)
        .job_status(JobStatus::Cancelled)
        .send()
        .await
        .unwrap();

    // Tags.
    let arn = created.job_arn().unwrap();
    client
        .tag_resource()
        .resource_arn(arn)
        .tags("macie-guard:on-expiry", "resume")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    let tags = tags.tags().unwrap();
    assert_eq!(
        tags.get("macie-guard:on-expiry").map(String::as_str),
        Some("resume")
    );
    assert_eq!(tags.get("team").map(String::as_str), Some("privacy"));

    for op in [
        "CreateClassificationJob",
        "DescribeClassificationJob",
        "UpdateClassificationJob",
        "TagResource",
        "ListTagsForResource",
    ] {
        assert!(macie.calls(op) >= 1, "{op} was counted");
    }
    assert_eq!(macie.calls("UpdateClassificationJob"), 3);
}

#[tokio::test]
async fn create_is_idempotent_on_client_token_and_scheduled_jobs_start_idle() {
    let (_macie, client) = setup().await;
    let send = || {
        client
            .create_classification_job()
            .client_token("token-1")
            .job_type(JobType::OneTime)
            .name("once")
            .s3_job_definition(definition())
            .send()
    };
    let a = send().await.unwrap();
    let b = send().await.unwrap();
    assert_eq!(a.job_id(), b.job_id());

    let s = client
        .create_classification_job()
        .job_type(JobType::Scheduled)
        .name("daily")
        .schedule_frequency(
            JobScheduleFrequency::builder()
                .daily_schedule(DailySchedule::builder().build())
                .build(),
        )
        .s3_job_definition(definition())
        .send()
        .await
        .unwrap();
    let job = client
        .describe_classification_job()
        .job_id(s.job_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_status(), Some(&JobStatus::Idle));
    assert!(job.schedule_frequency().unwrap().daily_schedule().is_some());
}

#[tokio::test]
async fn create_validates_required_fields_and_enums() {
    let (_macie, client) = setup().await;
    let cases = [
        (
            client
                .create_classification_job()
                .job_type(JobType::OneTime)
                .s3_job_definition(definition()),
            "name",
        ),
        (
            client
                .create_classification_job()
                .name("x")
                .s3_job_definition(definition()),
            "jobType",
        ),
        (
            client
                .create_classification_job()
                .name("x")
                .job_type(JobType::OneTime),
            "s3JobDefinition",
        ),
        (
            client
                .create_classification_job()
                .name("x")
                .job_type(JobType::from("WEEKLY"))
                .s3_job_definition(definition()),
            "jobType",
        ),
        (
            client
                .create_classification_job()
                .name("x")
                .job_type(JobType::Scheduled)
                .s3_job_definition(definition()),
            "scheduleFrequency",
        ),
        (
            client
                .create_classification_job()
                .name("x")
                .job_type(JobType::OneTime)
                .sampling_percentage(0)
                .s3_job_definition(definition()),
            "samplingPercentage",
        ),
    ];
    for (req, field) in cases {
        let err = req.send().await.expect_err(field).into_service_error();
        assert!(
            matches!(err, CreateClassificationJobError::ValidationException(_)),
            "{field}: {err:?}"
        );
        assert!(
            err.message().unwrap().contains(field),
            "message names {field}: {:?}",
            err.message()
        );
    }
}

#[tokio::test]
async fn update_errors_follow_the_state_machine() {
    let (macie, client) = setup().await;
    let ids = macie.seed(json!({"jobs": [
        {"name": "cancelled", "jobStatus": "CANCELLED"},
        {"name": "complete", "jobStatus": "COMPLETE"},
        {"name": "running", "jobStatus": "RUNNING"},
    ]}));
    let update = |id: &str, status: JobStatus| {
        client
            .update_classification_job()
            .job_id(id)
            .job_status(status)
            .send()
    };

    let err = update(&ids[0], JobStatus::Running)
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, UpdateClassificationJobError::ValidationException(_)),
        "{err:?}"
    );
    assert!(
        err.message()
            .unwrap()
            .contains("cannot update cancelled job"),
        "{:?}",
        err.message()
    );

    let err = update(&ids[1], JobStatus::Running)
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, UpdateClassificationJobError::ValidationException(_)),
        "{err:?}"
    );

    let err = update(&ids[2], JobStatus::Running)
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, UpdateClassificationJobError::ConflictException(_)),
        "{err:?}"
    );

    let err = update(&ids[2], JobStatus::Complete)
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, UpdateClassificationJobError::ValidationException(_)),
        "{err:?}"
    );
    assert!(err.message().unwrap().contains("jobStatus"));

    let err = update(&ids[2], JobStatus::from("FINISHED"))
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(err, UpdateClassificationJobError::ValidationException(_)),
        "{err:?}"
    );
    assert!(err.message().unwrap().contains("jobStatus"));

    let missing = client
        .update_classification_job()
        .job_id(&ids[2])
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        missing.message().unwrap().contains("jobStatus is required"),
        "{missing:?}"
    );

    let err = update("0123456789abcdef0123456789abcdef", JobStatus::Running)
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(
            err,
            UpdateClassificationJobError::ResourceNotFoundException(_)
        ),
        "{err:?}"
    );

    // The refused moves changed nothing.
    let job = client
        .describe_classification_job()
        .job_id(&ids[2])
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_status(), Some(&JobStatus::Running));
}

#[tokio::test]
async fn bad_and_unknown_job_ids() {
    let (_macie, client) = setup().await;
    for bad in ["../jobs/list", "UPPER", "a b", &"a".repeat(65)] {
        let err = client
            .describe_classification_job()
            .job_id(bad)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(
            matches!(err, DescribeClassificationJobError::ValidationException(_)),
            "{bad}: {err:?}"
        );
        assert!(
            err.message().unwrap().contains("jobId"),
            "{bad}: {:?}",
            err.message()
        );
    }
    let err = client
        .describe_classification_job()
        .job_id("ffffffffffffffffffffffffffffffff")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(
        matches!(
            err,
            DescribeClassificationJobError::ResourceNotFoundException(_)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_validation_error_naming_the_body() {
    // The SDK never sends malformed JSON, so this one goes over raw HTTP.
    let macie = LocalMacie::start(None);
    for (method, path) in [
        ("POST", "/jobs"),
        ("POST", "/jobs/list"),
        ("PUT", "/classification-export-configuration"),
    ] {
        let (status, kind, body) = macie.raw(method, path, "{\"name\": ");
        assert_eq!(status, 400, "{path}");
        assert_eq!(kind.as_deref(), Some("ValidationException"));
        assert!(body.contains("request body is not valid JSON"), "{body}");
    }
    let (status, kind, _) = macie.raw("PATCH", "/jobs/abc", "[1, 2]");
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("ValidationException"))
    );
}

#[tokio::test]
async fn list_filters_every_key_and_comparator() {
    let (macie, client) = setup().await;
    macie.seed(json!({"jobs": [
        {"name": "alpha-scan", "jobType": "ONE_TIME", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 5, "createdDaysAgo": 10},
        {"name": "beta-scan", "jobType": "SCHEDULED", "jobStatus": "IDLE", "createdDaysAgo": 20},
        {"name": "gamma", "jobType": "ONE_TIME", "jobStatus": "COMPLETE", "createdDaysAgo": 30},
    ]}));
    use JobComparator as C;
    use ListJobsFilterKey as K;
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(15))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let cases: Vec<(ListJobsFilterTerm, Vec<&str>)> = vec![
        (
            term(K::JobStatus, C::Eq, &["USER_PAUSED"]),
            vec!["alpha-scan"],
        ),
        (
            term(K::JobStatus, C::Ne, &["USER_PAUSED", "IDLE"]),
            vec!["gamma"],
        ),
        (term(K::JobType, C::Eq, &["SCHEDULED"]), vec!["beta-scan"]),
        (
            term(K::Name, C::Contains, &["scan"]),
            vec!["alpha-scan", "beta-scan"],
        ),
        (
            term(K::Name, C::StartsWith, &["gam", "alp"]),
            vec!["alpha-scan", "gamma"],
        ),
        (term(K::Name, C::Gt, &["beta-scan"]), vec!["gamma"]),
        (
            term(K::Name, C::Gte, &["beta-scan"]),
            vec!["beta-scan", "gamma"],
        ),
        (term(K::Name, C::Lt, &["beta-scan"]), vec!["alpha-scan"]),
        (
            term(K::Name, C::Lte, &["beta-scan"]),
            vec!["alpha-scan", "beta-scan"],
        ),
        (term(K::CreatedAt, C::Gt, &[&cutoff]), vec!["alpha-scan"]),
        (term(K::CreatedAt, C::Gte, &[&cutoff]), vec!["alpha-scan"]),
        (
            term(K::CreatedAt, C::Lt, &[&cutoff]),
            vec!["beta-scan", "gamma"],
        ),
        (
            term(K::CreatedAt, C::Lte, &[&cutoff]),
            vec!["beta-scan", "gamma"],
        ),
    ];
    for (t, want) in cases {
        let desc = format!("{t:?}");
        assert_eq!(list_names(&client, vec![t], vec![]).await, want, "{desc}");
    }
    // Excludes remove what any term matches; includes are all required.
    let got = list_names(
        &client,
        vec![term(K::Name, C::Contains, &["a"])],
        vec![term(K::JobType, C::Eq, &["SCHEDULED"])],
    )
    .await;
    assert_eq!(got, vec!["alpha-scan", "gamma"]);
    let got = list_names(
        &client,
        vec![
            term(K::Name, C::Contains, &["scan"]),
            term(K::JobType, C::Eq, &["ONE_TIME"]),
        ],
        vec![],
    )
    .await;
    assert_eq!(got, vec!["alpha-scan"]);

    // The summary carries userPausedDetails.
    let out = client
        .list_classification_jobs()
        .filter_criteria(
            ListJobsFilterCriteria::builder()
                .includes(term(K::JobStatus, C::Eq, &["USER_PAUSED"]))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(out.items()[0]
        .user_paused_details()
        .unwrap()
        .job_expires_at()
        .is_some());
    assert!(!out.items()[0].bucket_definitions().is_empty());

    // Bad values name the field.
    let bad = [
        term(K::JobStatus, C::Eq, &["SLEEPING"]),
        term(K::CreatedAt, C::Gt, &["yesterday"]),
        term(K::from("owner"), C::Eq, &["x"]),
        term(K::Name, C::from("LIKE"), &["x"]),
    ];
    for t in bad {
        let desc = format!("{t:?}");
        let err = client
            .list_classification_jobs()
            .filter_criteria(ListJobsFilterCriteria::builder().includes(t).build())
            .send()
            .await
            .expect_err(&desc)
            .into_service_error();
        assert!(
            matches!(err, ListClassificationJobsError::ValidationException(_)),
            "{desc}: {err:?}"
        );
        assert!(
            err.message()
                .unwrap()
                .contains("filterCriteria.includes[0]"),
            "{:?}",
            err.message()
        );
    }
}

#[tokio::test]
async fn list_sorts_and_pages_with_stable_tokens() {
    let (macie, client) = setup().await;
    macie.seed(json!({"name": "job", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 3, "count": 25}));
    let out = client
        .list_classification_jobs()
        .sort_criteria(
            ListJobsSortCriteria::builder()
                .attribute_name(ListJobsSortAttributeName::Name)
                .order_by(OrderBy::Desc)
                .build(),
        )
        .max_results(200)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = out.items().iter().map(|j| j.name().unwrap()).collect();
    assert_eq!(names.first(), Some(&"job-00025"));
    assert_eq!(names.last(), Some(&"job-00001"));
    assert!(out.next_token().is_none());

    // Page through 7 at a time while resuming every job seen: every job appears exactly once,
    // although each page removes its jobs from the filter.
    let mut seen = HashSet::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_classification_jobs()
            .filter_criteria(
                ListJobsFilterCriteria::builder()
                    .includes(term(
                        ListJobsFilterKey::JobStatus,
                        JobComparator::Eq,
                        &["USER_PAUSED"],
                    ))
                    .build(),
            )
            .max_results(7)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        for j in page.items() {
            let id = j.job_id().unwrap().to_string();
            client
                .update_classification_job()
                .job_id(&id)
                .job_status(JobStatus::Running)
                .send()
                .await
                .unwrap();
            assert!(seen.insert(id), "a job came twice");
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(pages, 4);

    for bad in [0, 201, -1] {
        let err = client
            .list_classification_jobs()
            .max_results(bad)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(
            err.message().unwrap().contains("maxResults"),
            "{bad}: {err:?}"
        );
    }
    let err = client
        .list_classification_jobs()
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(
        err,
        ListClassificationJobsError::ValidationException(_)
    ));
    assert!(err.message().unwrap().contains("nextToken"));
}

#[tokio::test]
async fn clock_rules_health_arn_at_23_days_and_expiry_at_30() {
    let (macie, client) = setup().await;
    let ids = macie.seed(json!({"jobs": [
        {"name": "paused-22", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 22},
        {"name": "paused-24", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 24},
        {"name": "one-time-31", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 31},
        {"name": "scheduled-31", "jobType": "SCHEDULED", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 31},
        {"name": "paused-idle-90", "jobType": "SCHEDULED", "jobStatus": "USER_PAUSED", "pausedFrom": "IDLE", "pausedDaysAgo": 90},
    ]}));
    let describe = |id: &str| client.describe_classification_job().job_id(id).send();

    let j22 = describe(&ids[0]).await.unwrap();
    assert!(j22
        .user_paused_details()
        .unwrap()
        .job_imminent_expiration_health_event_arn()
        .is_none());
    let j24 = describe(&ids[1]).await.unwrap();
    let arn = j24
        .user_paused_details()
        .unwrap()
        .job_imminent_expiration_health_event_arn()
        .unwrap();
    assert!(
        arn.starts_with(
            "arn:aws:health:us-east-1::event/MACIE/AWS_MACIE_PAUSED_JOB_EXPIRATION_EVENT/"
        ),
        "{arn}"
    );
    assert_eq!(
        describe(&ids[2]).await.unwrap().job_status(),
        Some(&JobStatus::Cancelled)
    );
    let s31 = describe(&ids[3]).await.unwrap();
    assert_eq!(s31.job_status(), Some(&JobStatus::Idle));
    assert!(s31.user_paused_details().is_none());
    let idle = describe(&ids[4]).await.unwrap();
    assert_eq!(idle.job_status(), Some(&JobStatus::UserPaused));
    assert!(
        idle.user_paused_details().is_none(),
        "a pause taken while IDLE never expires"
    );

    // Moving the clock: 22 days + 1.5 → ARN; + 8 more (31.5) → cancelled, and the update fails.
    macie.advance_days(1.5);
    let j = describe(&ids[0]).await.unwrap();
    assert!(j
        .user_paused_details()
        .unwrap()
        .job_imminent_expiration_health_event_arn()
        .is_some());
    macie.advance_days(8.0);
    assert_eq!(
        describe(&ids[0]).await.unwrap().job_status(),
        Some(&JobStatus::Cancelled)
    );
    let err = client
        .update_classification_job()
        .job_id(&ids[0])
        .job_status(JobStatus::Running)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err
        .message()
        .unwrap()
        .contains("cannot update cancelled job"));
}

#[tokio::test]
async fn export_configuration_and_session() {
    let (macie, client) = setup().await;
    let empty = client
        .get_classification_export_configuration()
        .send()
        .await
        .unwrap();
    assert!(empty.configuration().is_none());

    let dest = S3Destination::builder()
        .bucket_name("discovery-results")
        .key_prefix("macie/")
        .kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        .build();
    let put = client
        .put_classification_export_configuration()
        .configuration(
            ClassificationExportConfiguration::builder()
                .s3_destination(dest)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.configuration()
            .unwrap()
            .s3_destination()
            .unwrap()
            .bucket_name(),
        Some("discovery-results")
    );
    let got = client
        .get_classification_export_configuration()
        .send()
        .await
        .unwrap();
    let d = got.configuration().unwrap().s3_destination().unwrap();
    assert_eq!(d.key_prefix(), Some("macie/"));
    assert!(d.kms_key_arn().unwrap().starts_with("arn:aws:kms:"));

    let err = client
        .put_classification_export_configuration()
        .configuration(
            ClassificationExportConfiguration::builder()
                .s3_destination(
                    S3Destination::builder()
                        .bucket_name("b")
                        .kms_key_arn("")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ValidationException"));
    assert!(err.message().unwrap().contains("kmsKeyArn"));
    let err = client
        .put_classification_export_configuration()
        .send()
        .await
        .unwrap_err();
    assert!(
        err.message().unwrap().contains("configuration is required"),
        "{err:?}"
    );

    let session = client.get_macie_session().send().await.unwrap();
    assert_eq!(session.status().map(|s| s.as_str()), Some("ENABLED"));
    assert!(session.service_role().unwrap().contains(ACCOUNT));
    assert_eq!(macie.calls("GetMacieSession"), 1);
    assert_eq!(macie.calls("PutClassificationExportConfiguration"), 3);
}

#[tokio::test]
async fn scenario_seeds_state_and_disabled_macie_denies_access() {
    let macie = LocalMacie::start(Some(&json!({
        "account": "111122223333",
        "region": "eu-west-1",
        "jobs": [{"jobId": "aaaabbbbccccdddd", "name": "seeded", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 25, "tags": {"macie-guard:on-expiry": "cancel"}}],
        "exportConfiguration": {"s3Destination": {"bucketName": "results", "kmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k"}}
    })));
    let client = macie_client(macie.url()).await;
    let job = client
        .describe_classification_job()
        .job_id("aaaabbbbccccdddd")
        .send()
        .await
        .unwrap();
    assert_eq!(
        job.job_arn(),
        Some("arn:aws:macie2:eu-west-1:111122223333:classification-job/aaaabbbbccccdddd")
    );
    assert_eq!(job.tags().unwrap()["macie-guard:on-expiry"], "cancel");
    assert!(job
        .user_paused_details()
        .unwrap()
        .job_imminent_expiration_health_event_arn()
        .unwrap()
        .contains("eu-west-1"));
    let conf = client
        .get_classification_export_configuration()
        .send()
        .await
        .unwrap();
    assert_eq!(
        conf.configuration()
            .unwrap()
            .s3_destination()
            .unwrap()
            .bucket_name(),
        Some("results")
    );
    // Tags for ARNs outside this account and Region are not found.
    let err = client
        .list_tags_for_resource()
        .resource_arn("arn:aws:macie2:us-east-1:111122223333:classification-job/aaaabbbbccccdddd")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("ResourceNotFoundException"));

    let off = LocalMacie::start(Some(&json!({"macieEnabled": false})));
    let client = macie_client(off.url()).await;
    let err = client.get_macie_session().send().await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert!(err.message().unwrap().contains("not enabled"));
}

#[tokio::test]
async fn injected_faults_give_every_error_type_and_throttling_is_retried() {
    let (macie, client) = setup().await;
    let id = macie.seed(json!({"name": "j"})).remove(0);
    for (name, status_code) in [
        ("ValidationException", 400),
        ("ServiceQuotaExceededException", 402),
        ("AccessDeniedException", 403),
        ("ResourceNotFoundException", 404),
        ("ConflictException", 409),
        ("ThrottlingException", 429),
        ("InternalServerException", 500),
    ] {
        // Three in a row exhaust the SDK's three attempts for retryable errors.
        macie.faults(
            json!({"operation": "DescribeClassificationJob", "sequence": [name, name, name]}),
        );
        let err = client
            .describe_classification_job()
            .job_id(&id)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(name));
        assert_eq!(
            err.raw_response().map(|r| r.status().as_u16()),
            Some(status_code)
        );
        let typed = err.into_service_error();
        let matched = match name {
            "ValidationException" => matches!(
                typed,
                DescribeClassificationJobError::ValidationException(_)
            ),
            "ServiceQuotaExceededException" => matches!(
                typed,
                DescribeClassificationJobError::ServiceQuotaExceededException(_)
            ),
            "AccessDeniedException" => matches!(
                typed,
                DescribeClassificationJobError::AccessDeniedException(_)
            ),
            "ResourceNotFoundException" => matches!(
                typed,
                DescribeClassificationJobError::ResourceNotFoundException(_)
            ),
            "ConflictException" => {
                matches!(typed, DescribeClassificationJobError::ConflictException(_))
            }
            "ThrottlingException" => matches!(
                typed,
                DescribeClassificationJobError::ThrottlingException(_)
            ),
            _ => matches!(
                typed,
                DescribeClassificationJobError::InternalServerException(_)
            ),
        };
        assert!(matched, "{name} maps to its typed error: {typed:?}");
        macie.control("DELETE", "/_local/faults", None);
    }

    // Throttling then a 500, then success: the SDK retries and the update lands once.
    macie.reset_calls();
    macie.faults(json!({"operation": "UpdateClassificationJob", "sequence": ["ThrottlingException", "InternalServerException"]}));
    client
        .update_classification_job()
        .job_id(&id)
        .job_status(JobStatus::UserPaused)
        .send()
        .await
        .unwrap();
    assert_eq!(macie.calls("UpdateClassificationJob"), 3);
    let faults = macie.control("GET", "/_local/calls", None);
    assert_eq!(faults["faults"]["UpdateClassificationJob"], 2);
    let job = client
        .describe_classification_job()
        .job_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(job.job_status(), Some(&JobStatus::UserPaused));

    // A rate: about 30% of 200 calls fail (seeded, so the count is fixed for this seed).
    macie.control("DELETE", "/_local/faults", None);
    macie.faults(json!({"operation": "GetMacieSession", "rate": 0.3, "error": "InternalServerException", "seed": 7}));
    macie.reset_calls();
    let single = aws_sdk_macie2::Client::from_conf(
        client
            .config()
            .to_builder()
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build(),
    );
    let mut failed = 0;
    for _ in 0..200 {
        if single.get_macie_session().send().await.is_err() {
            failed += 1;
        }
    }
    assert!(
        (40..=80).contains(&failed),
        "{failed} of 200 failed at rate 0.3"
    );
    let calls = macie.control("GET", "/_local/calls", None);
    assert_eq!(calls["faults"]["GetMacieSession"], failed);
}

#[tokio::test]
async fn many_parallel_clients_see_consistent_state() {
    let (macie, client) = setup().await;
    let ids = macie
        .seed(json!({"name": "p", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 10, "count": 400}));
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in ids.chunks(25) {
        let client = client.clone();
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for id in chunk {
                client
                    .describe_classification_job()
                    .job_id(&id)
                    .send()
                    .await
                    .unwrap();
                client
                    .update_classification_job()
                    .job_id(&id)
                    .job_status(JobStatus::Running)
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert_eq!(macie.calls("DescribeClassificationJob"), 400);
    assert_eq!(macie.calls("UpdateClassificationJob"), 400);
    let out = client
        .list_classification_jobs()
        .filter_criteria(
            ListJobsFilterCriteria::builder()
                .includes(term(
                    ListJobsFilterKey::JobStatus,
                    JobComparator::Eq,
                    &["RUNNING"],
                ))
                .build(),
        )
        .max_results(200)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let by_id: HashMap<_, _> = out.iter().map(|j| (j.job_id().unwrap(), j)).collect();
    assert_eq!(by_id.len(), 400);
}
