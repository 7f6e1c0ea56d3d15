//! What a job's definition refers to, through the real aws-sdk-macie2 client: custom data
//! identifiers and allow lists created, read, listed and deleted; CreateClassificationJob
//! refusing ids that do not exist, a description over Macie's limit, and a client token
//! reused for another request.

use aws_sdk_macie2::error::ProvideErrorMetadata;
use aws_sdk_macie2::types::{
    AllowListCriteria, JobType, S3BucketDefinitionForJob, S3JobDefinition,
};
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

#[tokio::test]
async fn identifiers_and_allow_lists_exist_for_jobs_that_use_them() {
    let macie = LocalMacie::start(None);
    let c = macie_client(macie.url()).await;
    let cdi = c
        .create_custom_data_identifier()
        .name("employee-id")
        .regex("EMP-[0-9]{6}")
        .send()
        .await
        .unwrap()
        .custom_data_identifier_id
        .unwrap();
    let got = c
        .get_custom_data_identifier()
        .id(&cdi)
        .send()
        .await
        .unwrap();
    assert_eq!(got.regex(), Some("EMP-[0-9]{6}"));
    let list = c
        .create_allow_list()
        .name("test-card-numbers")
        .client_token("t1")
        .criteria(AllowListCriteria::builder().regex("4111-.*").build())
        .send()
        .await
        .unwrap();
    let list_id = list.id().unwrap().to_string();
    // The same token: the same list.
    let again = c
        .create_allow_list()
        .name("test-card-numbers")
        .client_token("t1")
        .criteria(AllowListCriteria::builder().regex("4111-.*").build())
        .send()
        .await
        .unwrap();
    assert_eq!(again.id(), Some(list_id.as_str()));
    assert_eq!(
        c.list_allow_lists()
            .send()
            .await
            .unwrap()
            .allow_lists()
            .len(),
        1
    );
    let batch = c
        .batch_get_custom_data_identifiers()
        .ids(&cdi)
        .ids("ffffffffffffffffffffffffffffffff")
        .send()
        .await
        .unwrap();
    assert_eq!(batch.custom_data_identifiers().len(), 1);
    assert_eq!(
        batch.not_found_identifier_ids(),
        ["ffffffffffffffffffffffffffffffff".to_string()]
    );

    let job = |token: &str, cdi: &str, list: &str| {
        c.create_classification_job()
            .client_token(token)
            .name("uses-both")
            .job_type(JobType::OneTime)
            .s3_job_definition(definition())
            .custom_data_identifier_ids(cdi)
            .allow_list_ids(list)
    };
    job("j1", &cdi, &list_id).send().await.unwrap();
    // Ids that do not exist are refused, naming the id.
    let e = job("j2", "deadbeef", &list_id).send().await.unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    assert!(e.message().unwrap().contains("deadbeef"), "{e:?}");
    c.delete_allow_list().id(&list_id).send().await.unwrap();
    let e = job("j3", &cdi, &list_id).send().await.unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    let e = c.get_allow_list().id(&list_id).send().await.unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
    c.delete_custom_data_identifier()
        .id(&cdi)
        .send()
        .await
        .unwrap();
    let e = c
        .get_custom_data_identifier()
        .id(&cdi)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn a_token_reused_for_another_request_and_a_long_description_are_refused() {
    let macie = LocalMacie::start(None);
    let c = macie_client(macie.url()).await;
    let create = |name: &str, description: &str| {
        c.create_classification_job()
            .client_token("same")
            .name(name)
            .description(description)
            .job_type(JobType::OneTime)
            .s3_job_definition(definition())
    };
    let first = create("a", "d").send().await.unwrap();
    let again = create("a", "d").send().await.unwrap();
    assert_eq!(first.job_id(), again.job_id());
    let e = create("b", "d").send().await.unwrap_err();
    assert_eq!(e.code(), Some("ConflictException"), "{e:?}");
    assert!(e.message().unwrap().contains(first.job_id().unwrap()));
    let e = c
        .create_classification_job()
        .client_token("other")
        .name("c")
        .description("x".repeat(201))
        .job_type(JobType::OneTime)
        .s3_job_definition(definition())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    let jobs = c.list_classification_jobs().send().await.unwrap();
    assert_eq!(jobs.items().len(), 1);
}
