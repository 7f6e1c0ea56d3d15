//! Calls to moto (behind the strictness layer) signed as an account, for the tests to set up
//! and read what the SDK clients under test do not: topics, tables, queues, Security Hub,
//! IAM roles, faults.

use serde_json::Value;

use crate::*;

/// An `Authorization` header moto reads the account from (the access key) and routes by
/// (the service); it checks no signature.
fn signed_as(access_key: &str, region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
}

/// [`moto_json`] where an error answer is expected: the answer, or `Err` with its status and
/// body.
pub fn try_moto_json(
    access_key: &str,
    service: &str,
    target: &str,
    body: Value,
) -> Result<Value, (u16, String)> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut response = agent
        .post(&moto().url)
        .header("X-Amz-Target", target)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("Authorization", &signed_as(access_key, REGION, service))
        .send(body.to_string())
        .map_err(|e| (0, e.to_string()))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    if !(200..300).contains(&status) {
        return Err((status, text));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// One call of a JSON-protocol service of moto (`target` as in `X-Amz-Target`), signed as
/// `access_key`'s account.
pub fn moto_json(access_key: &str, service: &str, target: &str, body: Value) -> Value {
    let auth = signed_as(access_key, REGION, service);
    let mut response = ureq::post(&moto().url)
        .header("X-Amz-Target", target)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("Authorization", &auth)
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("{target}: {e}"));
    let text = response.body_mut().read_to_string().expect("an answer");
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{target}: {e}: {text}"))
}

/// One call of moto's SQS signed as `access_key`'s account: queues to read what EventBridge
/// rules delivered, without an SQS client.
pub fn sqs(access_key: &str, operation: &str, body: Value) -> Value {
    moto_json(access_key, "sqs", &format!("AmazonSQS.{operation}"), body)
}

/// One Security Hub call to moto (REST-JSON) as `access_key`'s account in `region`: what a
/// person or the console sends (`POST /accounts` enables Security Hub, `PATCH
/// /findings/batchupdate` is BatchUpdateFindings). Panics unless it answers 2xx.
pub fn securityhub(access_key: &str, region: &str, method: &str, path: &str, body: Value) -> Value {
    let auth = signed_as(access_key, region, "securityhub");
    let url = format!("{}{path}", moto().url);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let text = body.to_string();
    let request = |m: &str| {
        ureq::http::Request::builder()
            .method(m)
            .uri(&url)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .body(text.clone())
            .expect("a request")
    };
    let mut response = agent
        .run(request(method))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = response.status().as_u16();
    let answer = response.body_mut().read_to_string().unwrap_or_default();
    assert!(
        (200..300).contains(&status),
        "{method} {path} answered {status}: {answer}"
    );
    serde_json::from_str(&answer).unwrap_or(Value::Null)
}

/// Enables Security Hub for `access_key`'s account in `region` (idempotent).
pub fn enable_security_hub(access_key: &str, region: &str) {
    securityhub(
        access_key,
        region,
        "POST",
        "/accounts",
        serde_json::json!({}),
    );
}

/// Asks the strictness layer in front of moto (`scripts/strict_moto/`) to fail or stall
/// the calls `fault` matches (`service`, `action`, and optionally `account`, `region`,
/// `match`, `times`, `code`, `status`, `message`, `stall`).
pub fn strict_fault(fault: Value) {
    let mut response = ureq::post(&format!("{}/_strict/faults", moto().url))
        .send(fault.to_string())
        .unwrap_or_else(|e| panic!("POST /_strict/faults: {e}"));
    let _ = response.body_mut().read_to_string();
}

/// The faults asked of the strictness layer, each with `seen`: how many calls it answered.
pub fn strict_faults() -> Vec<Value> {
    let mut response = ureq::get(&format!("{}/_strict/faults", moto().url))
        .call()
        .unwrap_or_else(|e| panic!("GET /_strict/faults: {e}"));
    let v: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap_or_default())
        .expect("JSON");
    v["faults"].as_array().cloned().unwrap_or_default()
}

/// Every finding moto's Security Hub holds for the account of `access_key` in `region`
/// (GetFindings without a filter: active and archived).
pub fn securityhub_findings(access_key: &str, region: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = serde_json::json!({"MaxResults": 100});
        if let Some(t) = &token {
            body["NextToken"] = serde_json::json!(t);
        }
        let page = securityhub(access_key, region, "POST", "/findings", body);
        out.extend(page["Findings"].as_array().cloned().unwrap_or_default());
        match page["NextToken"].as_str().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

/// Creates an IAM role in `access_key`'s account of moto (IAM query API): the role a stack
/// would create there.
pub fn iam_create_role(access_key: &str, name: &str, trust_policy: &Value) {
    let auth = signed_as(access_key, "us-east-1", "iam");
    let policy = trust_policy.to_string();
    ureq::post(&moto().url)
        .header("Authorization", &auth)
        .send_form([
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", policy.as_str()),
        ])
        .unwrap_or_else(|e| panic!("IAM CreateRole {name}: {e}"));
}

/// Every message waiting in the queue, deleted as read.
pub fn sqs_drain(access_key: &str, queue_url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let got = sqs(
            access_key,
            "ReceiveMessage",
            serde_json::json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 60}),
        );
        let messages = got["Messages"].as_array().cloned().unwrap_or_default();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            sqs(
                access_key,
                "DeleteMessage",
                serde_json::json!({"QueueUrl": queue_url, "ReceiptHandle": m["ReceiptHandle"]}),
            );
            out.push(
                serde_json::from_str(m["Body"].as_str().unwrap_or("null")).unwrap_or(Value::Null),
            );
        }
    }
}

/// A message moto's SNS accepted.
#[derive(Debug, Clone)]
pub struct SnsMessage {
    pub subject: Option<String>,
    pub message: String,
    pub attributes: Value,
}

/// The messages SNS accepted for `topic_arn`: what it would have delivered, read from moto's
/// state for that topic alone (the strict layer's `/_strict/sns-published`).
pub fn sns_messages(topic_arn: &str) -> Vec<SnsMessage> {
    let mut response = ureq::get(&format!("{}/_strict/sns-published", moto().url))
        .query("topic", topic_arn)
        .call()
        .unwrap_or_else(|e| panic!("the messages of {topic_arn}: {e}"));
    let text = response.body_mut().read_to_string().expect("moto state");
    let data: Value = serde_json::from_str(&text).expect("moto state is JSON");
    data["published"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|n| SnsMessage {
            message: n["message"].as_str().unwrap_or_default().to_string(),
            subject: n["subject"].as_str().map(str::to_string),
            attributes: n["attributes"].clone(),
        })
        .collect()
}

/// A new SNS topic in moto, unique to the caller.
pub async fn topic(name: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let client = sns_client(&moto().url).await;
    let unique = format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    client
        .create_topic()
        .name(unique)
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("topic arn")
        .to_string()
}

/// A new journal table in moto shaped as template.yaml's JournalTable (partition key
/// `scope`, sort key `jobId`, on demand, the sparse index `open`), unique to the caller.
/// Returns its name.
pub async fn journal_table(name: &str) -> String {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let unique = format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    dynamodb_client(&moto().url)
        .await
        .create_table()
        .table_name(&unique)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("scope"))
        .attribute_definitions(attr("jobId"))
        .attribute_definitions(attr("openScope"))
        .key_schema(key("scope", KeyType::Hash))
        .key_schema(key("jobId", KeyType::Range))
        // As template.yaml's: the sparse index of open entries.
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("open")
                .key_schema(key("openScope", KeyType::Hash))
                .key_schema(key("jobId", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .expect("index"),
        )
        .send()
        .await
        .expect("create journal table");
    unique
}

/// One query-protocol call of moto (CloudFormation, IAM, ...), signed as `access_key`'s
/// account: the answer's XML, whatever its status.
pub fn moto_query(access_key: &str, service: &str, form: &[(String, String)]) -> String {
    let auth = signed_as(access_key, REGION, service);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut response = ureq::post(&moto().url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("Authorization", &auth)
        .send_form(pairs)
        .unwrap_or_else(|e| panic!("{service}: {e}"));
    response.body_mut().read_to_string().expect("an answer")
}

/// One REST-JSON call of moto (`method path` with a JSON body), signed as `access_key`'s
/// account; it must succeed.
pub fn moto_rest(access_key: &str, service: &str, method: &str, path: &str, body: &Value) {
    let auth = signed_as(access_key, REGION, service);
    let url = format!("{}{path}", moto().url);
    let request = match method {
        "PUT" => ureq::put(&url),
        "POST" => ureq::post(&url),
        other => panic!("moto_rest: {other} is not used"),
    };
    request
        .header("Authorization", &auth)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
}
