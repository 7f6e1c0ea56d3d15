//! The local demo (`scripts/demo.sh`): moto and the local Macie with the account in
//! demo/scenario.json and a broken export configuration, the real Lambda binaries under
//! cargo-lambda's local runtime on the sample events and a sweep, and a short story of what
//! they decided and did; last, an organization's hub sweeping two member accounts in two
//! Regions and one account without its role. Everything it starts stops when it ends, also on
//! failure.

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use macie_guard_core::text::safe;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use testkit::local_runtime::{invoke, start_functions, Watch};
use testkit::{
    endpoint_env, journal_table, kms_client, macie_client, moto, s3_client, sns_messages, topic,
    workspace_root, LocalMacie, ACCOUNT, REGION,
};

/// A step's title: bold on a terminal, plain otherwise.
fn say(s: &str) {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        println!("\n\x1b[1m{s}\x1b[0m");
    } else {
        println!("\n{s}");
    }
}

/// What the demo account is given besides its jobs.
struct Seeded {
    key_arn: String,
    key_id: String,
    topic: String,
    journal: String,
}

/// A results bucket whose policy forgets s3:PutObject, a key whose policy forgets Macie and
/// that is scheduled for deletion, the export configuration that points at them, an SNS topic
/// and the expiry guard's journal table.
async fn seed(macie: &LocalMacie) -> Seeded {
    let moto = &moto().url;
    let bucket = format!("macie-discovery-results-{ACCOUNT}");
    let s3 = s3_client(moto).await;
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let bucket_policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "AllowMacieToGetTheBucketLocation", "Effect": "Allow",
        "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation",
        "Resource": format!("arn:aws:s3:::{bucket}")}]});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(bucket_policy.to_string())
        .send()
        .await
        .expect("bucket policy");
    let kms = kms_client(moto).await;
    let key = kms
        .create_key()
        .description("macie discovery results")
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .expect("key");
    let meta = key.key_metadata().expect("key metadata");
    let (key_arn, key_id) = (meta.arn().unwrap().to_string(), meta.key_id().to_string());
    let key_policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}]});
    kms.put_key_policy()
        .key_id(&key_id)
        .policy_name("default")
        .policy(key_policy.to_string())
        .send()
        .await
        .expect("key policy");
    kms.schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("schedule deletion");
    let destination = aws_sdk_macie2::types::S3Destination::builder()
        .bucket_name(&bucket)
        .key_prefix("macie/")
        .kms_key_arn(&key_arn)
        .build();
    macie_client(macie.url())
        .await
        .put_classification_export_configuration()
        .configuration(
            aws_sdk_macie2::types::ClassificationExportConfiguration::builder()
                .s3_destination(destination)
                .build(),
        )
        .send()
        .await
        .expect("export configuration");
    Seeded {
        key_arn,
        key_id,
        topic: topic("macie-guard-demo").await,
        journal: journal_table("macie-guard-journal").await,
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The expiry guard's answer as a few readable lines; values from AWS escaped as in every
/// report of macie-guard.
fn expiry_story(r: &Value) {
    let jobs = r["jobs"].as_array().cloned().unwrap_or_default();
    println!(
        "   trigger {}: {} paused job(s) listed, {} looked at",
        text(&r["trigger"]),
        r["scanned"],
        jobs.len()
    );
    for j in &jobs {
        // The outcome as the tool words it (`[done        ]`, `[notified    ]`, ...).
        println!(
            "   [{:<12}] {}",
            safe(text(&j["outcome"])),
            safe(text(&j["message"]))
        );
        if let Some(d) = j.get("definition").filter(|d| d.is_object()) {
            let buckets: Vec<String> = d["s3JobDefinition"]["bucketDefinitions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|b| b["buckets"].as_array().cloned().unwrap_or_default())
                .map(|b| safe(text(&b)))
                .collect();
            println!(
                "       definition kept for recreating it: {} job over {}",
                text(&d["jobType"]),
                buckets.join(", ")
            );
        }
    }
    for i in r["ignored"].as_array().into_iter().flatten() {
        println!("   - [ignored] {}", safe(text(i)));
    }
}

fn export_story(r: &Value) {
    if let Some(why) = r["ignored"].as_str() {
        println!("   ignored: {}", safe(why));
    }
    if let Some(res) = r["changed_resource"].as_str() {
        println!("   changed: {} (only its findings are notified)", safe(res));
    }
    for region in r["regions"].as_array().into_iter().flatten() {
        let c = &region["configuration"];
        if c["state"] == "set" {
            println!(
                "   {}: bucket {}, key {}",
                text(&region["region"]),
                safe(text(&c["bucket_name"])),
                safe(text(&c["kms_key_arn"]))
            );
        }
        let findings = region["findings"].as_array().cloned().unwrap_or_default();
        if findings.is_empty() {
            println!("   OK: Macie can store its discovery results");
        }
        for f in &findings {
            println!(
                "   - [{}] {}: {}",
                text(&f["severity"]),
                text(&f["code"]),
                safe(text(&f["message"]))
            );
            println!("       fix: {}", safe(text(&f["fix"])));
            // The statement to paste, whole, as `check-export` prints it.
            if let Some(st) = f.get("statement").filter(|s| !s.is_null()) {
                println!("       statement to add:");
                for line in serde_json::to_string_pretty(st).unwrap_or_default().lines() {
                    println!("         {line}");
                }
            }
        }
    }
}

fn run_cli(env: &[(String, String)], args: &[&str]) {
    let status = Command::new(testkit::cli_bin())
        .args(args)
        .envs(env.iter().cloned())
        // The CLI reads its own settings prefixed (MACIE_GUARD_JOURNAL_TABLE, ...).
        .envs(testkit::cli_settings(env))
        .status()
        .expect("run macie-guard (scripts/demo.sh builds it)");
    assert!(status.success(), "macie-guard {args:?}: {status}");
}

fn step(watch: &Watch, function: &str, file: &Path) -> Value {
    invoke(watch, function, file).unwrap_or_else(|e| panic!("{function} {}: {e}", file.display()))
}

#[tokio::main]
async fn main() {
    let root = workspace_root();
    let scenario: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("demo/scenario.json")).expect("demo/scenario.json"),
    )
    .expect("the scenario is JSON");
    let macie = LocalMacie::start(Some(&scenario));
    let seeded = seed(&macie).await;
    println!("moto on {}, local Macie on {}", moto().url, macie.url());

    let mut env = endpoint_env(macie.url(), &moto().url);
    for (k, v) in [
        ("JOURNAL_TABLE", seeded.journal.as_str()),
        ("MACIE_GUARD_ACCOUNT_ID", ACCOUNT),
        ("NOTIFICATION_TOPIC_ARN", seeded.topic.as_str()),
        ("AWS_REGION", REGION),
        ("RUST_LOG", "warn"),
    ] {
        env.push((k.to_string(), v.to_string()));
    }
    // The binaries the test command built (scripts/demo.sh builds them the same way), started
    // against cargo-lambda's Runtime API as Lambda starts a function: nothing built twice.
    let watch = start_functions(
        env.clone(),
        &[
            ("expiry-guard", &testkit::function_bin("expiry-guard")),
            ("export-guard", &testkit::function_bin("export-guard")),
        ],
    );
    let event = |name: &str| root.join("events").join(name);

    say("1. The account's paused jobs (macie-guard jobs)");
    run_cli(&env, &["jobs"]);

    say("2. AWS Health: a paused one-time job will expire soon (events/health-paused-job-expiration.json)");
    expiry_story(&step(
        &watch,
        "expiry-guard",
        &event("health-paused-job-expiration.json"),
    ));

    say("3. AWS Health: a paused job expired and Macie cancelled it (events/health-paused-job-cancelled.json)");
    let lost = step(
        &watch,
        "expiry-guard",
        &event("health-paused-job-cancelled.json"),
    );
    expiry_story(&lost);
    // The report carries the command that brings the job back; run it (twice: once only).
    let recreatable = lost["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["outcome"] == "lost" && j["definition"]["jobType"] == "ONE_TIME")
        .filter_map(|j| j["job_id"].as_str().or(j["jobId"].as_str()))
        .next()
        .map(str::to_string);
    if let Some(id) = recreatable {
        say(&format!(
            "3b. The lost job back, once (macie-guard recreate {id}, run twice)"
        ));
        run_cli(&env, &["recreate", &id]);
        run_cli(&env, &["recreate", &id]);
    }

    say("4. The scheduled sweep (events/schedule-sweep.json)");
    expiry_story(&step(&watch, "expiry-guard", &event("schedule-sweep.json")));

    say("5. The paused jobs afterwards");
    run_cli(&env, &["jobs"]);

    say("6. The scheduled export configuration check (events/check-export.json)");
    export_story(&step(&watch, "export-guard", &event("check-export.json")));

    say("7. CloudTrail: ScheduleKeyDeletion on the results key (events/cloudtrail-kms-schedule-key-deletion.json, with this key)");
    let mut ct: Value = serde_json::from_str(
        &std::fs::read_to_string(event("cloudtrail-kms-schedule-key-deletion.json"))
            .expect("the CloudTrail sample"),
    )
    .expect("JSON");
    ct["detail"]["requestParameters"]["keyId"] = json!(seeded.key_id);
    ct["detail"]["resources"][0]["ARN"] = json!(seeded.key_arn);
    let file: PathBuf =
        std::env::temp_dir().join(format!("macie-guard-demo-{}.json", std::process::id()));
    std::fs::write(&file, ct.to_string()).expect("write the event");
    let answer = step(&watch, "export-guard", &file);
    let _ = std::fs::remove_file(&file);
    export_story(&answer);

    say("8. Notifications published to SNS");
    for m in sns_messages(&seeded.topic) {
        println!(
            "   - {}",
            safe(m.subject.as_deref().unwrap_or("(no subject)"))
        );
    }

    say("9. An organization's hub: two member accounts in two Regions, and one without its role");
    hub_story(&seeded).await;

    say("Done. Stopping moto, the local Macie and the local runtime.");
    println!(
        "\nTry next:\n\
         - by hand against the same stand-ins: docs/quickstart.md (scripts/local-stack.sh start)\n\
         - deploy in one account: README.md, \"Deploy in one account\"\n\
         - what a paused job's tag does: docs/policies.md; every finding code: docs/reports.md"
    );
}

/// One job paused `days` ago whose tag asks for `policy`.
fn paused(name: &str, days: f64, policy: &str) -> Value {
    json!({"name": name, "jobStatus": "USER_PAUSED", "pausedDaysAgo": days,
           "tags": {"macie-guard:on-expiry": policy}})
}

/// The hub: moto's Organizations with this account as the management account (the hub's) and
/// three members, two holding the member role (stacksets/member.yaml's trust); one local Macie
/// serving each account-Region; the expiry guard with MemberRegions, one sweep.
async fn hub_story(seeded: &Seeded) {
    let base = testkit::sdk_config().await;
    let key = testkit::access_key_of(&base).await;
    let org = |op: &str, body: Value| {
        testkit::try_moto_json(
            &key,
            "organizations",
            &format!("AWSOrganizationsV20161128.{op}"),
            body,
        )
    };
    let org_id = org("DescribeOrganization", json!({}))
        .or_else(|_| org("CreateOrganization", json!({"FeatureSet": "ALL"})))
        .expect("an organization in moto")["Organization"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut members = Vec::new();
    for name in ["payments", "analytics", "sandbox"] {
        let made = org(
            "CreateAccount",
            json!({"AccountName": name, "Email": format!("{name}@example.com")}),
        )
        .expect("CreateAccount");
        members.push(
            made["CreateAccountStatus"]["AccountId"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let member = testkit::template_json("stacksets/member.yaml", false);
    let mut trust =
        member["Resources"]["MemberRole"]["Properties"]["AssumeRolePolicyDocument"].clone();
    trust["Statement"][0]["Principal"]["AWS"] = json!(format!("arn:aws:iam::{ACCOUNT}:root"));
    trust["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = json!(org_id);
    for account in &members[..2] {
        let k = testkit::access_key_of(&testkit::as_account(&base, account).await).await;
        testkit::iam_create_role(&k, "macie-guard-member", &trust);
    }
    let (payments, analytics, sandbox) = (&members[0], &members[1], &members[2]);
    let tenant = |account: &str, region: &str, jobs: Vec<Value>| json!({"account": account, "region": region, "jobs": jobs});
    let macie = LocalMacie::start(Some(&json!({
        "account": ACCOUNT,
        "jobs": [paused("hub-own-audit", 29.5, "resume")],
        "accounts": [
            tenant(payments, "us-east-1", vec![paused("card-data-scan", 29.5, "resume")]),
            tenant(payments, "eu-west-1", vec![paused("eu-archive", 29.6, "cancel")]),
            tenant(analytics, "us-east-1", vec![paused("warehouse-scan", 25.0, "resume")]),
            tenant(sandbox, "us-east-1", vec![paused("sandbox-scan", 29.5, "resume")]),
        ]
    })));
    println!(
        "   members {payments} (payments), {analytics} (analytics), {sandbox} (sandbox: no role); Regions us-east-1, eu-west-1"
    );
    let mut env = endpoint_env(macie.url(), &moto().url);
    for (k, v) in [
        ("JOURNAL_TABLE", seeded.journal.as_str()),
        ("MACIE_GUARD_ACCOUNT_ID", ACCOUNT),
        ("NOTIFICATION_TOPIC_ARN", seeded.topic.as_str()),
        ("AWS_REGION", REGION),
        ("RUST_LOG", "warn"),
        ("MEMBER_REGIONS", "us-east-1,eu-west-1"),
        ("MEMBER_ROLE_NAME", "macie-guard-member"),
    ] {
        env.push((k.to_string(), v.to_string()));
    }
    let hub = testkit::local_runtime::start_functions(
        env,
        &[("expiry-guard", &testkit::function_bin("expiry-guard"))],
    );
    let run = step(
        &hub,
        "expiry-guard",
        &workspace_root().join("events/schedule-sweep.json"),
    );
    for unit in run["units"].as_array().into_iter().flatten() {
        let what = match unit["result"].as_str().unwrap_or("") {
            "ran" => format!("{} job(s) decided", unit["jobs"]),
            "unreached" => format!("not reached: {}", text(&unit["reason"])),
            "macie-off" => "Macie not enabled: nothing to guard".to_string(),
            other => other.to_string(),
        };
        println!(
            "   {} {:<10} {}",
            text(&unit["account"]),
            text(&unit["region"]),
            safe(&what)
        );
    }
    for left in run["left"].as_array().into_iter().flatten() {
        println!("   {} left: {}", text(&left["account"]), text(&left["why"]));
    }
    for (account, region) in [
        (payments, "us-east-1"),
        (payments, "eu-west-1"),
        (analytics, "us-east-1"),
        (sandbox, "us-east-1"),
    ] {
        let conf = testkit::as_account(&testkit::stand_in_config(macie.url()).await, account).await;
        let conf = conf
            .into_builder()
            .region(aws_types::region::Region::new(region.to_string()))
            .build();
        let jobs = aws_sdk_macie2::Client::new(&conf)
            .list_classification_jobs()
            .send()
            .await
            .expect("the member's jobs");
        for j in jobs.items() {
            println!(
                "   now in {account} {region}: {} {}",
                safe(j.name().unwrap_or_default()),
                j.job_status().map(|s| s.as_str()).unwrap_or("?")
            );
        }
    }
}
