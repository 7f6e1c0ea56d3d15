//! The stand-ins answer the real SDK clients the way the project relies on (AWS-FACTS §5).

use testkit::{kms_client, moto, s3_client, sns_client, LocalMacie};

#[tokio::test]
async fn moto_serves_s3_kms_and_sns_over_http() {
    let moto = moto();
    let s3 = s3_client(&moto.url).await;
    s3.create_bucket()
        .bucket("harness-bucket")
        .send()
        .await
        .expect("create bucket");
    let head = s3
        .head_bucket()
        .bucket("harness-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let missing = s3
        .head_bucket()
        .bucket("harness-missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        missing.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );

    let kms = kms_client(&moto.url).await;
    let key = kms.create_key().send().await.unwrap();
    let id = key.key_metadata().unwrap().key_id().to_string();
    kms.disable_key().key_id(&id).send().await.unwrap();
    let described = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        described
            .key_metadata()
            .unwrap()
            .key_state()
            .map(|s| s.as_str()),
        Some("Disabled")
    );

    let sns = sns_client(&moto.url).await;
    let topic = sns.create_topic().name("harness").send().await.unwrap();
    let published = sns
        .publish()
        .topic_arn(topic.topic_arn().unwrap())
        .message("hello")
        .send()
        .await
        .unwrap();
    assert!(published.message_id().is_some());
}

#[tokio::test]
async fn local_macie_stops_when_dropped() {
    let macie = LocalMacie::start(None);
    let addr = macie.url().trim_start_matches("http://").to_string();
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    drop(macie);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "the server is gone once its handle drops"
    );
}
