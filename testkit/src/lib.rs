//! Test harness: starts the local stand-ins on free loopback ports and builds real SDK
//! clients pointed at them.
//!
//! - `moto()` starts one moto server (S3, KMS, SNS) per test process, on first use, from the
//!   project's `.venv` (`scripts/setup-venv.sh`). It exits when the test process ends, also
//!   when a test fails or the process is killed: its standard input is its lifeline.
//! - `LocalMacie::start` starts one local Macie per call; it is killed when the value drops
//!   (also while a failing test unwinds), and it too has the stdin lifeline.
//!
//! Both print `listening on http://HOST:PORT` once they accept connections; nothing here
//! sleeps or polls for readiness.
//!
//! Why one file this long: every test binary and the benchmark link it, and its parts (servers,
//! clients, seeding, faults, the Runtime API) share one process-wide state of stand-ins.

pub mod local_runtime;
pub mod runtime_api;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The workspace root (where `Cargo.toml`, `.venv` and `scripts/` are).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives one level below the workspace root")
        .to_path_buf()
}

/// A server process on loopback, killed on drop.
pub struct Server {
    child: Child,
    // Held open: the server exits when it closes.
    _lifeline: Option<ChildStdin>,
    pub url: String,
}

impl Server {
    /// Spawns `cmd`, waits for its `listening on URL` line (at most `timeout`).
    pub fn spawn(what: &str, mut cmd: Command, timeout: Duration) -> Server {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({cmd:?}): {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match rx.recv_timeout(timeout) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("{what} did not print its listening line within {timeout:?}");
            }
        };
        let url = match line.trim().strip_prefix("listening on ") {
            Some(url) => url.to_string(),
            None => {
                let _ = child.kill();
                let status = child.wait().ok();
                panic!("{what} did not start: first line {line:?}, exit status {status:?}");
            }
        };
        let lifeline = child.stdin.take();
        Server {
            child,
            _lifeline: lifeline,
            url,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto server of this test process (S3, KMS, SNS), started on first use.
pub fn moto() -> &'static Server {
    static MOTO: OnceLock<Server> = OnceLock::new();
    MOTO.get_or_init(|| {
        let root = workspace_root();
        let python = std::env::var_os("MACIE_GUARD_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".venv/bin/python"));
        assert!(
            python.exists(),
            "{} is missing: run scripts/setup-venv.sh (the test command does) to install moto",
            python.display()
        );
        let mut cmd = Command::new(python);
        cmd.arg(root.join("scripts/moto_server.py"));
        Server::spawn("moto", cmd, Duration::from_secs(60))
    })
}

/// Path of the `local-macie` binary built next to the running test binary.
pub fn local_macie_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("LOCAL_MACIE_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current binary");
    // target/<profile>/deps/<test> or target/<profile>/<bin> -> target/<profile>/local-macie
    let dir = exe.parent().expect("the binary's directory");
    let candidates = [
        dir.join("local-macie"),
        dir.parent()
            .map(|d| d.join("local-macie"))
            .unwrap_or_default(),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "{} is missing: run `cargo build -p local-macie` first (the test command does)",
                candidates[1].display()
            )
        })
}

/// A local Macie for one test.
pub struct LocalMacie {
    pub server: Server,
    http: ureq::Agent,
}

impl LocalMacie {
    /// Starts a local Macie, optionally from a scenario (the JSON of a scenario file).
    pub fn start(scenario: Option<&Value>) -> LocalMacie {
        let mut cmd = Command::new(local_macie_bin());
        cmd.args(["--listen", "127.0.0.1:0", "--exit-on-stdin-eof"]);
        let file = scenario.map(|s| {
            let path = scenario_path();
            std::fs::write(&path, s.to_string()).expect("write scenario file");
            cmd.arg("--scenario").arg(&path);
            path
        });
        let server = Server::spawn("local-macie", cmd, Duration::from_secs(20));
        if let Some(path) = file {
            let _ = std::fs::remove_file(path);
        }
        let http = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        LocalMacie { server, http }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// A control request (`/_local/...`); panics on a non-2xx answer.
    pub fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let url = format!("{}{path}", self.server.url);
        let body = body.map(Value::to_string).unwrap_or_default();
        let result = match method {
            "GET" => self.http.get(&url).call(),
            "DELETE" => self.http.delete(&url).call(),
            "POST" => self.http.post(&url).send(&body),
            other => panic!("control method {other} is not used"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {url}: reading the answer: {e}"));
        assert!(
            (200..300).contains(&status),
            "{method} {path} answered {status}: {text}"
        );
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("control answers are JSON")
        }
    }

    /// A raw HTTP request to any path: (status, `x-amzn-ErrorType`, body). For what the SDK
    /// can't send (malformed JSON).
    pub fn raw(&self, method: &str, path: &str, body: &str) -> (u16, Option<String>, String) {
        let url = format!("{}{path}", self.server.url);
        let result = match method {
            "GET" => self.http.get(&url).call(),
            "POST" => self.http.post(&url).send(body),
            "PUT" => self.http.put(&url).send(body),
            "PATCH" => self.http.patch(&url).send(body),
            other => panic!("raw method {other} is not used"),
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let kind = response
            .headers()
            .get("x-amzn-ErrorType")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (response.status().as_u16(), kind, text)
    }

    /// Seeds jobs (`POST /_local/jobs`) and returns their ids.
    pub fn seed(&self, seed: Value) -> Vec<String> {
        let out = self.control("POST", "/_local/jobs", Some(&seed));
        out["jobIds"]
            .as_array()
            .expect("jobIds")
            .iter()
            .map(|v| v.as_str().expect("id").to_string())
            .collect()
    }

    /// Per-operation call counts since the last reset.
    pub fn calls(&self, operation: &str) -> u64 {
        self.control("GET", "/_local/calls", None)["calls"][operation]
            .as_u64()
            .unwrap_or(0)
    }

    pub fn reset_calls(&self) {
        self.control("DELETE", "/_local/calls", None);
    }

    pub fn advance_days(&self, days: f64) {
        self.control(
            "POST",
            "/_local/clock",
            Some(&serde_json::json!({ "advanceDays": days })),
        );
    }

    pub fn faults(&self, plan: Value) {
        self.control("POST", "/_local/faults", Some(&plan));
    }
}

fn scenario_path() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "local-macie-scenario-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// The SDK configuration every client of the tests shares: explicit Region (no instance
/// metadata probe), dummy credentials, the SDK's standard retries (3 attempts) with a short
/// first backoff so retry tests stay fast.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(20)),
        )
        .credentials_provider(aws_sdk_macie2::config::Credentials::new(
            "AKIDLOCAL",
            "local-secret",
            None,
            None,
            "testkit",
        ))
        .load()
        .await
}

/// Per-service endpoints, answered the way aws-config answers `AWS_ENDPOINT_URL_<SERVICE>`,
/// but for one SDK configuration only (tests run in parallel in one process).
#[derive(Debug)]
struct Endpoints(Vec<(String, String)>);

impl aws_types::service_config::LoadServiceConfig for Endpoints {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        if key.env() != "AWS_ENDPOINT_URL" {
            return None;
        }
        let id = key.service_id().to_ascii_uppercase();
        self.0
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, url)| url.clone())
    }
}

/// An SDK configuration whose Macie client talks to `macie` and whose S3, KMS and SNS clients
/// talk to moto: what a process with the `AWS_ENDPOINT_URL_<SERVICE>` variables gets.
pub async fn stand_in_config(macie: &str) -> aws_config::SdkConfig {
    let moto = moto().url.clone();
    let endpoints = Endpoints(vec![
        ("MACIE2".into(), macie.to_string()),
        ("S3".into(), moto.clone()),
        ("KMS".into(), moto.clone()),
        ("SNS".into(), moto.clone()),
        ("EVENTBRIDGE".into(), moto.clone()),
        ("STS".into(), moto.clone()),
        ("ORGANIZATIONS".into(), moto.clone()),
        ("SECURITYHUB".into(), moto.clone()),
        ("SQS".into(), moto.clone()),
        ("CLOUDFORMATION".into(), moto.clone()),
        ("LAMBDA".into(), moto.clone()),
        ("SCHEDULER".into(), moto.clone()),
        ("CLOUDWATCH".into(), moto.clone()),
        ("DYNAMODB".into(), moto),
    ]);
    sdk_config()
        .await
        .into_builder()
        .service_config(endpoints)
        .build()
}

pub async fn macie_client(endpoint: &str) -> aws_sdk_macie2::Client {
    let conf = aws_sdk_macie2::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_macie2::Client::from_conf(conf)
}

pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

pub async fn kms_client(endpoint: &str) -> aws_sdk_kms::Client {
    let conf = aws_sdk_kms::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

pub async fn sns_client(endpoint: &str) -> aws_sdk_sns::Client {
    let conf = aws_sdk_sns::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sns::Client::from_conf(conf)
}

/// A template read as CloudFormation reads it (scripts/template_json.py in .venv-sam):
/// intrinsic tags as `{"Ref": ...}` / `{"Fn::...": ...}`; with `expand`, after the SAM
/// transform.
pub fn template_json(path: &str, expand: bool) -> Value {
    // Read once per process: each reading starts Python (and, expanded, the SAM translator).
    static READ: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<(String, bool), Value>>,
    > = std::sync::OnceLock::new();
    let cache = READ.get_or_init(Default::default);
    let key = (path.to_string(), expand);
    if let Some(v) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return v.clone();
    }
    let v = read_template_json(path, expand);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, v.clone());
    v
}

fn read_template_json(path: &str, expand: bool) -> Value {
    let root = workspace_root();
    let python = root.join(".venv-sam/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-venv.sh --sam (the test command does)",
        python.display()
    );
    let mut cmd = Command::new(python);
    cmd.current_dir(&root).arg("scripts/template_json.py");
    if expand {
        cmd.arg("--expand");
    }
    let out = cmd.arg(path).output().expect("template_json.py runs");
    assert!(
        out.status.success(),
        "template_json.py {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

pub async fn eventbridge_client(conf: &aws_config::SdkConfig) -> aws_sdk_eventbridge::Client {
    let conf = aws_sdk_eventbridge::config::Builder::from(conf)
        .endpoint_url(&moto().url)
        .build();
    aws_sdk_eventbridge::Client::from_conf(conf)
}

/// The test configuration signed as another account of moto: credentials from moto's STS
/// AssumeRole of a role in `account` (moto tells accounts apart by the access key a request
/// is signed with). Its clients still need their endpoints (see [`stand_in_config`]).
pub async fn as_account(conf: &aws_config::SdkConfig, account: &str) -> aws_config::SdkConfig {
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(conf)
            .endpoint_url(&moto().url)
            .build(),
    );
    let c = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/testkit"))
        .role_session_name("testkit")
        .send()
        .await
        .expect("moto's STS assumes any role")
        .credentials
        .expect("credentials");
    conf.clone()
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_sdk_macie2::config::Credentials::new(
                    c.access_key_id,
                    c.secret_access_key,
                    Some(c.session_token),
                    None,
                    "testkit-assumed",
                ),
            ),
        )
        .build()
}

/// The access key a configuration signs with.
pub async fn access_key_of(conf: &aws_config::SdkConfig) -> String {
    use aws_credential_types::provider::ProvideCredentials;
    conf.credentials_provider()
        .expect("a credentials provider")
        .provide_credentials()
        .await
        .expect("credentials")
        .access_key_id()
        .to_string()
}

/// An `Authorization` header moto reads the account from (the access key) and routes by
/// (the service); it checks no signature.
fn signed_as(access_key: &str, region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
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

/// The SDK's per-service endpoint variables for a process (a Lambda binary, the CLI) that
/// should talk to these stand-ins.
pub fn endpoint_env(macie: &str, moto: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL_MACIE2", macie),
        ("AWS_ENDPOINT_URL_S3", moto),
        ("AWS_ENDPOINT_URL_KMS", moto),
        ("AWS_ENDPOINT_URL_SNS", moto),
        ("AWS_ENDPOINT_URL_DYNAMODB", moto),
        ("AWS_ENDPOINT_URL_EVENTBRIDGE", moto),
        ("AWS_ENDPOINT_URL_STS", moto),
        ("AWS_ENDPOINT_URL_ORGANIZATIONS", moto),
        ("AWS_ENDPOINT_URL_SECURITYHUB", moto),
        ("AWS_ENDPOINT_URL_SQS", moto),
        ("AWS_ENDPOINT_URL_CLOUDFORMATION", moto),
        ("AWS_ENDPOINT_URL_LAMBDA", moto),
        ("AWS_ENDPOINT_URL_SCHEDULER", moto),
        ("AWS_ENDPOINT_URL_CLOUDWATCH", moto),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([
        ("AWS_REGION".to_string(), REGION.to_string()),
        ("AWS_ACCESS_KEY_ID".to_string(), "AKIDLOCAL".to_string()),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            "local-secret".to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        (
            "MACIE_GUARD_STATE_DIR".to_string(),
            fresh_state_dir().display().to_string(),
        ),
    ])
    .collect()
}

/// A state directory no other process uses (the CLI's journal file lives there): each
/// process started with [`endpoint_env`] has its own, as separate machines would.
pub fn fresh_state_dir() -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "macie-guard-test-state/{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A sample event from `events/`.
pub fn event(name: &str) -> Value {
    let path = workspace_root().join("events").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
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

pub async fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}

/// A new journal table in moto shaped as template.yaml's JournalTable (partition key
/// `scope`, sort key `jobId`, on demand), unique to the caller. Returns its name.
pub async fn journal_table(name: &str) -> String {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
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
        .key_schema(key("scope", KeyType::Hash))
        .key_schema(key("jobId", KeyType::Range))
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
