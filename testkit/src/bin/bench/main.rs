//! The benchmark: the release Lambda binaries under a tiny local Runtime API, against the
//! local Macie and moto. Each figure is the median of several runs. Run it with
//! `scripts/bench.sh`, which builds what it needs first.
//!
//! Why one file this long: a benchmark is read top to bottom next to its figures; each figure
//! is one function here, in the order `scripts/bench.sh` prints them.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testkit::runtime_api::RuntimeApi;
use testkit::{endpoint_env, event, moto, workspace_root, LocalMacie, ACCOUNT};

mod hub;

struct Args {
    runs: usize,
    sweep_jobs: usize,
    in_window: usize,
    concurrency: usize,
    org_accounts: usize,
    org_regions: usize,
    /// Only the organization view (`--org-only`).
    org_only: bool,
    /// Only the hub's sweep and export check over an organization (`--hub-only`).
    hub_only: bool,
    hub: hub::HubArgs,
    out: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        runs: 7,
        sweep_jobs: 10_000,
        in_window: 1_000,
        concurrency: 8,
        org_accounts: 50,
        org_regions: 4,
        org_only: false,
        hub_only: false,
        hub: hub::HubArgs {
            steps: vec!["small".into(), "full".into(), "latency".into()],
            functions: vec!["expiry-guard".into(), "export-guard".into()],
            accounts: 1000,
            regions: 17,
            latency_ms: 75,
            concurrency: 8,
        },
        out: workspace_root().join("bench-results/bench.json"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--runs" => a.runs = val().parse().expect("--runs N"),
            "--sweep-jobs" => a.sweep_jobs = val().parse().expect("--sweep-jobs N"),
            "--in-window" => a.in_window = val().parse().expect("--in-window N"),
            "--concurrency" => a.concurrency = val().parse().expect("--concurrency N"),
            "--org-accounts" => a.org_accounts = val().parse().expect("--org-accounts N"),
            "--org-regions" => a.org_regions = val().parse().expect("--org-regions N"),
            "--org-only" => a.org_only = true,
            "--hub-only" => a.hub_only = true,
            "--hub-accounts" => a.hub.accounts = val().parse().expect("--hub-accounts N"),
            "--hub-regions" => a.hub.regions = val().parse().expect("--hub-regions N"),
            "--hub-latency-ms" => a.hub.latency_ms = val().parse().expect("--hub-latency-ms N"),
            "--hub-steps" => {
                a.hub.steps = val().split(',').map(str::to_string).collect()
            }
            "--hub-functions" => {
                a.hub.functions = val().split(',').map(str::to_string).collect()
            }
            "--hub-concurrency" => a.hub.concurrency = val().parse().expect("--hub-concurrency N"),
            "--out" => a.out = PathBuf::from(val()),
            other => panic!(
                "unknown flag {other}; use --runs, --sweep-jobs, --in-window, --concurrency, --org-accounts, --org-regions, --org-only, --hub-only, --hub-accounts, --hub-regions, --hub-latency-ms, --hub-concurrency, --hub-steps, --hub-functions, --out"
            ),
        }
    }
    a
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn bin(name: &str) -> PathBuf {
    let p = workspace_root().join("target/release").join(name);
    assert!(
        p.exists(),
        "{} is missing: scripts/bench.sh builds it",
        p.display()
    );
    p
}

/// A function process attached to a Runtime API; killed on drop.
struct Function {
    child: Child,
    api: RuntimeApi,
    started: Instant,
    /// When the last answer came, from the process's start.
    answered: std::cell::Cell<Duration>,
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Function {
    fn start(binary: &Path, env: &[(String, String)]) -> Function {
        let api = RuntimeApi::start();
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", &api.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "error")
            .envs(env.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .stdin(Stdio::null());
        let started = Instant::now();
        let child = cmd.spawn().expect("start function");
        Function {
            child,
            api,
            started,
            answered: std::cell::Cell::new(Duration::ZERO),
        }
    }

    /// Time from process start to its first request for work.
    fn init_time(&self) -> Duration {
        let first = self
            .api
            .wait_first_next(Duration::from_secs(20))
            .expect("the function asked for work");
        first - self.started
    }

    /// Sends one event; (wall time, answer).
    fn invoke(&self, event: &Value) -> (Duration, Value) {
        self.invoke_within(event, Duration::from_secs(300))
    }

    /// Sends one event and waits at most `timeout` for its answer.
    fn invoke_within(&self, event: &Value, timeout: Duration) -> (Duration, Value) {
        self.init_time();
        let t0 = Instant::now();
        let id = self.api.push(event.to_string());
        let a = self.api.wait_answer(&id, timeout).expect("an answer");
        assert!(a.ok, "the function failed: {}", a.body);
        self.answered.set(a.at - self.started);
        (
            a.at - t0,
            serde_json::from_str(&a.body).unwrap_or(Value::Null),
        )
    }

    /// From the process's start to its last answer: start-up and the first invocation.
    fn answered_after(&self) -> Duration {
        self.answered.get()
    }

    /// Peak resident memory so far (VmHWM), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

fn calls(macie: &LocalMacie) -> Value {
    macie.control("GET", "/_local/calls", None)["calls"].clone()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Cold starts of the three binaries, measured in interleaved rounds (each round starts each
/// binary once, in a rotating order) so that the machine's drift touches all three alike.
fn cold_starts(runs: usize) -> Value {
    const NAMES: [&str; 3] = ["hello-lambda", "expiry-guard", "export-guard"];
    let paths: Vec<PathBuf> = NAMES.iter().map(|n| bin(n)).collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); NAMES.len()];
    for round in 0..runs {
        for k in 0..NAMES.len() {
            let i = (round + k) % NAMES.len();
            times[i].push(ms(Function::start(&paths[i], &[]).init_time()));
        }
    }
    let mut out = serde_json::Map::new();
    for (name, t) in NAMES.iter().zip(times) {
        out.insert(
            name.to_string(),
            json!({"median_ms": median(t.clone()), "runs_ms": t}),
        );
    }
    Value::Object(out)
}

fn health_event(runs: usize, topic_env: &[(String, String)]) -> Value {
    let (mut walls, mut firsts) = (Vec::new(), Vec::new());
    let mut last_calls = Value::Null;
    for i in 0..runs {
        let id = format!("{:032x}", 0xbe00 + i);
        let macie = LocalMacie::start(Some(
            &json!({"jobs": [{"jobId": id, "name": "bench", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 28.5,
            "tags": {"macie-guard:on-expiry": "resume"}}]}),
        ));
        let mut env = endpoint_env(macie.url(), &moto().url);
        env.extend(topic_env.iter().cloned());
        let f = Function::start(&bin("expiry-guard"), &env);
        let mut ev = event("health-paused-job-expiration.json");
        ev["detail"]["affectedEntities"][0]["entityValue"] = json!(format!(
            "arn:aws:macie2:us-east-1:{ACCOUNT}:classification-job/{id}"
        ));
        let (wall, answer) = f.invoke(&ev);
        assert_eq!(answer["jobs"][0]["outcome"], "done", "{answer}");
        walls.push(ms(wall));
        firsts.push(ms(f.answered_after()));
        last_calls = calls(&macie);
    }
    json!({"median_ms": median(walls.clone()), "runs_ms": walls,
           "start_to_answer_median_ms": median(firsts.clone()), "start_to_answer_runs_ms": firsts,
           "macie_calls": last_calls, "sns_publish": 1,
           "journal_table": topic_env.iter().any(|(k, _)| k == "JOURNAL_TABLE")})
}

fn sweep(runs: usize, a: &Args, topic_env: &[(String, String)]) -> Value {
    let (mut walls, mut rss) = (Vec::new(), Vec::new());
    let mut last_calls = Value::Null;
    for _ in 0..runs {
        let outside = a.sweep_jobs - a.in_window;
        let macie = LocalMacie::start(Some(&json!({"jobs": [
            {"name": "far", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 10, "count": outside},
            {"name": "near", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "count": a.in_window, "tags": {"macie-guard:on-expiry": "resume"}}
        ]})));
        let mut env = endpoint_env(macie.url(), &moto().url);
        env.extend(topic_env.iter().cloned());
        env.push(("SWEEP_CONCURRENCY".into(), a.concurrency.to_string()));
        let f = Function::start(&bin("expiry-guard"), &env);
        let (wall, answer) = f.invoke(&json!({"action": "sweep"}));
        assert_eq!(answer["scanned"], a.sweep_jobs, "{}", answer["scanned"]);
        let done = answer["jobs"]
            .as_array()
            .map(|j| j.iter().filter(|j| j["outcome"] == "done").count())
            .unwrap_or(0);
        assert_eq!(done, a.in_window);
        walls.push(ms(wall));
        rss.push(f.peak_rss_mib());
        last_calls = calls(&macie);
    }
    json!({"jobs": a.sweep_jobs, "in_window": a.in_window, "concurrency": a.concurrency,
           "median_ms": median(walls.clone()), "runs_ms": walls, "peak_rss_mib": median(rss.clone()), "runs_rss_mib": rss,
           "macie_calls": last_calls, "sns_publish": 1,
           "journal_table": topic_env.iter().any(|(k, _)| k == "JOURNAL_TABLE")})
}

async fn export_check(runs: usize, broken: bool, topic_env: &[(String, String)]) -> Value {
    let conf = testkit::stand_in_config(&moto().url).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let kms = aws_sdk_kms::Client::new(&conf);
    let bucket = format!("bench-results-{}-{}", std::process::id(), broken);
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let key = kms
        .create_key()
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .expect("key");
    let meta = key.key_metadata().unwrap();
    let (key_arn, key_id) = (meta.arn().unwrap().to_string(), meta.key_id().to_string());
    let cond = json!({"StringEquals": {"aws:SourceAccount": ACCOUNT}});
    s3.put_bucket_policy().bucket(&bucket).policy(json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation", "Resource": format!("arn:aws:s3:::{bucket}"), "Condition": cond},
        {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/*"), "Condition": cond}]}).to_string()).send().await.unwrap();
    kms.put_key_policy().key_id(&key_id).policy_name("default").policy(json!({"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": ["kms:GenerateDataKey", "kms:Encrypt"], "Resource": "*", "Condition": cond}]}).to_string()).send().await.unwrap();
    if broken {
        kms.disable_key().key_id(&key_id).send().await.unwrap();
    }
    let mut walls = Vec::new();
    let mut findings = 0;
    let mut last_calls = Value::Null;
    for _ in 0..runs {
        let macie = LocalMacie::start(Some(
            &json!({"exportConfiguration": {"s3Destination": {"bucketName": bucket, "kmsKeyArn": key_arn}}}),
        ));
        let mut env = endpoint_env(macie.url(), &moto().url);
        env.extend(topic_env.iter().cloned());
        let f = Function::start(&bin("export-guard"), &env);
        let (wall, answer) = f.invoke(&json!({"action": "check-export"}));
        findings = answer["regions"][0]["findings"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(99);
        walls.push(ms(wall));
        last_calls = calls(&macie);
    }
    assert_eq!(
        findings > 0,
        broken,
        "healthy has no findings, broken has some"
    );
    json!({"median_ms": median(walls.clone()), "runs_ms": walls, "findings": findings, "macie_calls": last_calls,
           "s3_kms_calls": {"HeadBucket": 2, "GetBucketPolicy": 1, "DescribeKey": 1, "GetKeyPolicy": 1},
           "sns_publish": u32::from(broken)})
}

/// The organization in moto (this account and `accounts - 1` created ones), with the member's
/// read-only role in every account; a local Macie serving every account-Region with three
/// paused jobs (one in the action window) and no export configuration.
async fn organization(accounts: usize, regions: &[&str]) -> (LocalMacie, Vec<String>) {
    let base = testkit::sdk_config().await;
    let key = testkit::access_key_of(&base).await;
    let org = |op: &str, body: Value| {
        testkit::moto_json(
            &key,
            "organizations",
            &format!("AWSOrganizationsV20161128.{op}"),
            body,
        )
    };
    org("CreateOrganization", json!({"FeatureSet": "ALL"}));
    for i in 1..accounts {
        org(
            "CreateAccount",
            json!({"AccountName": format!("workload-{i}"), "Email": format!("w{i}@example.com")}),
        );
    }
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = org("ListAccounts", body);
        for a in page["Accounts"].as_array().unwrap() {
            ids.push(a["Id"].as_str().unwrap().to_string());
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(ids.len(), accounts);
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "sts:AssumeRole"}]});
    let mut tenants = Vec::new();
    for id in &ids {
        let k = testkit::access_key_of(&testkit::as_account(&base, id).await).await;
        testkit::iam_create_role(&k, "macie-guard-member-read", &trust);
        for r in regions {
            tenants.push(json!({"account": id, "region": r, "jobs": [
                {"name": "far", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 10, "count": 2},
                {"name": "near", "jobStatus": "USER_PAUSED", "pausedDaysAgo": 29, "tags": {"macie-guard:on-expiry": "resume"}}
            ]}));
        }
    }
    let macie = LocalMacie::start(Some(
        &json!({"account": "999999999999", "accounts": tenants}),
    ));
    (macie, ids)
}

/// Runs the release CLI to its end, sampling its peak resident memory (VmHWM) as it runs.
fn run_cli(args: &[&str], env: &[(String, String)]) -> (Duration, f64, std::process::Output) {
    let started = Instant::now();
    let child = Command::new(bin("macie-guard"))
        .args(args)
        .envs(env.iter().cloned())
        .envs(testkit::cli_settings(env))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("macie-guard runs");
    let status = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::Mutex::new(f64::NAN));
    let sampler = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while let Ok(text) = std::fs::read_to_string(&status) {
                if let Some(kb) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                {
                    *peak.lock().unwrap() = kb / 1024.0;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let out = child.wait_with_output().expect("macie-guard ends");
    let wall = started.elapsed();
    let _ = sampler.join();
    let peak = *peak.lock().unwrap();
    (wall, peak, out)
}

/// `macie-guard org jobs` and `org check-export` over the organization, as an operator runs
/// them (default concurrency 8).
async fn org_view(runs: usize, a: &Args) -> Value {
    let regions: Vec<&str> = [
        "us-east-1",
        "eu-west-1",
        "ap-southeast-2",
        "sa-east-1",
        "eu-central-1",
        "us-west-2",
    ][..a.org_regions.min(6)]
        .to_vec();
    let (macie, ids) = organization(a.org_accounts, &regions).await;
    let mut env = endpoint_env(macie.url(), &moto().url);
    env.push(("RUST_LOG".into(), "error".into()));
    let mut args: Vec<String> = vec!["org".into(), "jobs".into(), "--json".into()];
    for r in &regions {
        args.push("--region".into());
        args.push(r.to_string());
    }
    let mut out = serde_json::Map::new();
    for view in ["jobs", "check-export"] {
        args[1] = view.to_string();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let (mut walls, mut rss) = (Vec::new(), Vec::new());
        let mut rows = 0;
        macie.reset_calls();
        for _ in 0..runs {
            let (wall, peak, o) = run_cli(&argv, &env);
            let answer: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
                panic!("org {view}: {e}: {}", String::from_utf8_lossy(&o.stderr))
            });
            // `org jobs` says the settings its plans are under, then the rows.
            let parsed: Vec<Value> = answer
                .get("rows")
                .unwrap_or(&answer)
                .as_array()
                .cloned()
                .unwrap_or_default();
            rows = parsed.len();
            assert!(
                parsed.iter().all(|r| r["status"] == "read"),
                "every account-Region is reachable"
            );
            walls.push(ms(wall));
            rss.push(peak);
        }
        assert_eq!(rows, ids.len() * regions.len());
        // Calls per account and Region, per run: Macie's from its counters; STS one AssumeRole.
        let counters = macie.control("GET", "/_local/calls", None);
        let mut per: std::collections::BTreeMap<String, f64> = Default::default();
        for calls in counters["accounts"].as_object().unwrap().values() {
            for (op, n) in calls.as_object().unwrap() {
                *per.entry(op.clone()).or_default() += n.as_f64().unwrap();
            }
        }
        let denominator = (rows * runs) as f64;
        let mut per_row: serde_json::Map<String, Value> = per
            .into_iter()
            .map(|(op, n)| (op, json!(n / denominator)))
            .collect();
        per_row.insert("sts:AssumeRole".into(), json!(1));
        out.insert(
            view.to_string(),
            json!({"accounts": ids.len(), "regions": regions.len(), "rows": rows, "concurrency": 8,
                   "median_ms": median(walls.clone()), "runs_ms": walls,
                   "peak_rss_mib": median(rss.clone()), "runs_rss_mib": rss,
                   "calls_per_account_region": per_row}),
        );
    }
    Value::Object(out)
}

fn sizes() -> Value {
    let path = workspace_root().join(".aws-sam/sizes.json");
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// When and where a run measured: the UTC day, the processor, its cores and architecture.
fn provenance() -> Value {
    let day = Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "an unnamed processor".to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    json!({"when": day, "machine": format!("{cores} cores of {cpu} ({})", std::env::consts::ARCH)})
}

/// `bench --cold BIN...`: only the cold start of the given binaries (median of 21 interleaved
/// rounds).
fn cold_only(bins: &[String]) {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); bins.len()];
    for round in 0..21 {
        for k in 0..bins.len() {
            let i = (round + k) % bins.len();
            times[i].push(ms(Function::start(Path::new(&bins[i]), &[]).init_time()));
        }
    }
    for (b, t) in bins.iter().zip(times) {
        println!("{b}\t{:.2} ms", median(t));
    }
}

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("--cold") {
        return cold_only(&argv[1..]);
    }
    let a = args();
    if a.hub_only {
        let figures = hub::hub(&a.hub).await;
        println!("{}", serde_json::to_string_pretty(&figures).unwrap());
        if let Some(dir) = a.out.parent() {
            std::fs::create_dir_all(dir).expect("results directory");
        }
        // Each run replaces the entries of the same function, size and latency and keeps the
        // others, each with the day it was measured: the page shows what was measured, when.
        let path = a.out.with_file_name("hub.json");
        let kept: Vec<Value> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
            .unwrap_or_default();
        let key = |e: &Value| {
            let f = &e["figures"];
            (
                e["function"].clone(),
                f["account_regions"].clone(),
                f["latency_ms"].clone(),
            )
        };
        let p = provenance();
        let mut new: Vec<Value> = figures.as_array().cloned().unwrap_or_default();
        for e in &mut new {
            e["when"] = p["when"].clone();
            e["machine"] = p["machine"].clone();
        }
        let mut all: Vec<Value> = kept
            .into_iter()
            .filter(|k| !new.iter().any(|n| key(n) == key(k)))
            .collect();
        all.extend(new);
        std::fs::write(&path, serde_json::to_string_pretty(&all).unwrap()).expect("write results");
        return;
    }
    if a.org_only {
        let org = org_view(a.runs.clamp(1, 3), &a).await;
        println!("{}", serde_json::to_string_pretty(&org).unwrap());
        return;
    }
    let topic = testkit::topic("bench").await;
    // As deployed: a topic, and the functions' events on the default bus (moto's).
    let topic_env = vec![
        ("NOTIFICATION_TOPIC_ARN".to_string(), topic),
        ("PUT_EVENTS".to_string(), "true".to_string()),
    ];
    // The expiry guard as deployed: with its journal table (moto's DynamoDB).
    let mut expiry_env = topic_env.clone();
    expiry_env.push((
        "JOURNAL_TABLE".to_string(),
        testkit::journal_table("bench").await,
    ));
    let cold = cold_starts(a.runs.max(21));
    let health = health_event(a.runs, &expiry_env);
    let sweep_journal = sweep(a.runs.clamp(1, 5), &a, &expiry_env);
    // The guard's own work, the journal in its process: what the sweep costs apart from the
    // journal table's latency (moto's DynamoDB answers one write at a time).
    let sweep = sweep(a.runs.clamp(1, 5), &a, &topic_env);
    let healthy = export_check(a.runs, false, &topic_env).await;
    let broken = export_check(a.runs, true, &topic_env).await;
    let org = org_view(a.runs.clamp(1, 3), &a).await;
    let sizes = sizes();

    let hello = cold["hello-lambda"]["median_ms"].as_f64().unwrap();
    let mut targets = Vec::new();
    let mut check = |name: &str, ok: bool, detail: String| {
        targets.push(json!({"target": name, "met": ok, "detail": detail}))
    };
    for f in ["expiry-guard", "export-guard"] {
        let m = cold[f]["median_ms"].as_f64().unwrap();
        check(
            &format!("{f} cold start within 1.5x of hello-world"),
            m <= 1.5 * hello,
            format!("{:.2} ms vs {:.2} ms = {:.2}x", m, hello, m / hello),
        );
        let zip = sizes[f]["zip_bytes"].as_f64();
        check(
            &format!("{f} artifact under 8 MB"),
            zip.is_some_and(|z| z < 8.0 * 1024.0 * 1024.0),
            zip.map(|z| format!("{:.2} MiB zipped", z / 1048576.0))
                .unwrap_or_else(|| "not built (scripts/build.sh)".into()),
        );
    }
    let sweep_ms = sweep["median_ms"].as_f64().unwrap();
    let sweep_rss = sweep["peak_rss_mib"].as_f64().unwrap();
    check(
        "10,000-job sweep under 5 s",
        sweep_ms < 5000.0,
        format!("{:.0} ms", sweep_ms),
    );
    check(
        "10,000-job sweep peak RSS under 64 MB",
        sweep_rss < 64.0,
        format!("{:.1} MiB", sweep_rss),
    );
    let hc = &health["macie_calls"];
    let minimal = hc.get("ListClassificationJobs").is_none()
        && hc["DescribeClassificationJob"] == 1
        && hc["UpdateClassificationJob"] == 1;
    check(
        "Health event at the minimum API calls",
        minimal,
        format!("{hc}"),
    );

    let p = provenance();
    let report = json!({"when": p["when"], "machine": p["machine"], "version": env!("CARGO_PKG_VERSION"), "runs": a.runs, "cold_start": cold, "health_event": health, "sweep": sweep, "sweep_with_journal_table": sweep_journal,
                        "export_check_healthy": healthy, "export_check_broken": broken, "org_view": org, "artifacts": sizes, "targets": targets});
    println!(
        "\nmacie-guard benchmark (medians of {} runs; sweep {} runs)\n",
        a.runs,
        a.runs.clamp(1, 5)
    );
    println!("{:<44} {:>12}", "measure", "median");
    for f in ["hello-lambda", "expiry-guard", "export-guard"] {
        println!(
            "{:<44} {:>9.2} ms",
            format!("cold start, {f}"),
            cold[f]["median_ms"].as_f64().unwrap()
        );
    }
    println!(
        "{:<44} {:>9.2} ms   calls {}",
        "Health event (job in action window)",
        health["median_ms"].as_f64().unwrap(),
        health["macie_calls"]
    );
    println!(
        "{:<44} {:>9.2} ms",
        "  from process start to its answer",
        health["start_to_answer_median_ms"].as_f64().unwrap()
    );
    println!(
        "{:<44} {:>9.0} ms   peak RSS {:.1} MiB   calls {}",
        format!(
            "sweep of {} jobs ({} in window), in-process journal",
            a.sweep_jobs, a.in_window
        ),
        sweep_ms,
        sweep_rss,
        sweep["macie_calls"]
    );
    println!(
        "{:<44} {:>9.0} ms   peak RSS {:.1} MiB",
        "the same sweep, journal table in moto",
        sweep_journal["median_ms"].as_f64().unwrap(),
        sweep_journal["peak_rss_mib"].as_f64().unwrap()
    );
    println!(
        "{:<44} {:>9.2} ms   findings {}",
        "export check, healthy",
        healthy["median_ms"].as_f64().unwrap(),
        healthy["findings"]
    );
    println!(
        "{:<44} {:>9.2} ms   findings {}",
        "export check, broken",
        broken["median_ms"].as_f64().unwrap(),
        broken["findings"]
    );
    for view in ["jobs", "check-export"] {
        let o = &org[view];
        println!(
            "{:<44} {:>9.0} ms   peak RSS {:.1} MiB   calls per account-Region {}",
            format!(
                "org {view}, {} accounts x {} Regions",
                o["accounts"], o["regions"]
            ),
            o["median_ms"].as_f64().unwrap(),
            o["peak_rss_mib"].as_f64().unwrap(),
            o["calls_per_account_region"]
        );
    }
    for f in ["expiry-guard", "export-guard"] {
        if let Some(z) = sizes[f]["zip_bytes"].as_f64() {
            println!(
                "{:<44} {:>9.2} MB   (bootstrap {:.2} MB)",
                format!("artifact zip, {f}"),
                z / 1048576.0,
                sizes[f]["bootstrap_bytes"].as_f64().unwrap_or(0.0) / 1048576.0
            );
        }
    }
    println!("\ntargets:");
    for t in report["targets"].as_array().unwrap() {
        println!(
            "  [{}] {}: {}",
            if t["met"] == true { "met " } else { "MISS" },
            t["target"].as_str().unwrap(),
            t["detail"].as_str().unwrap()
        );
    }
    if let Some(dir) = a.out.parent() {
        std::fs::create_dir_all(dir).expect("results directory");
    }
    std::fs::write(&a.out, serde_json::to_string_pretty(&report).unwrap()).expect("write results");
    println!("\nsaved {}", a.out.display());
}
