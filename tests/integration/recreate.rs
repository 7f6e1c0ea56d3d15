//! `macie-guard recreate` against the local Macie through the real SDK: a cancelled job comes
//! back with its definition, field by field; once only (again, and two at once); a job that
//! is not cancelled, or whose custom data identifier is gone, gets a clear error and nothing
//! is created; --dry-run creates nothing; --from takes a lost job's report.

use crate::common::cli;
use aws_sdk_macie2::types::{
    AllowListCriteria, CriteriaBlockForJob, CriteriaForJob, JobComparator, JobType,
    ManagedDataIdentifierSelector, S3BucketCriteriaForJob, S3JobDefinition, SimpleCriterionForJob,
    SimpleCriterionKeyForJob,
};
use serde_json::{json, Value};
use testkit::{macie_client, LocalMacie, ACCOUNT};

const CREATE_FIELDS: [&str; 10] = [
    "description",
    "jobType",
    "s3JobDefinition",
    "samplingPercentage",
    "managedDataIdentifierSelector",
    "managedDataIdentifierIds",
    "customDataIdentifierIds",
    "allowListIds",
    "scheduleFrequency",
    "initialRun",
];

/// A one-time job using every part of a definition, cancelled by Macie.
async fn cancelled_job(macie: &LocalMacie) -> (String, String) {
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
    let list = c
        .create_allow_list()
        .name("test-cards")
        .client_token("l1")
        .criteria(AllowListCriteria::builder().regex("4111-.*").build())
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    let criteria = S3BucketCriteriaForJob::builder()
        .includes(
            CriteriaBlockForJob::builder()
                .and(
                    CriteriaForJob::builder()
                        .simple_criterion(
                            SimpleCriterionForJob::builder()
                                .comparator(JobComparator::Eq)
                                .key(SimpleCriterionKeyForJob::AccountId)
                                .values(ACCOUNT)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let job = c
        .create_classification_job()
        .client_token("original")
        .name("customer-records\nscan")
        .description("quarterly scan")
        .job_type(JobType::OneTime)
        .sampling_percentage(40)
        .managed_data_identifier_selector(ManagedDataIdentifierSelector::Exclude)
        .managed_data_identifier_ids("CREDIT_CARD_NUMBER")
        .custom_data_identifier_ids(&cdi)
        .allow_list_ids(&list)
        .tags("team", "data")
        .s3_job_definition(S3JobDefinition::builder().bucket_criteria(criteria).build())
        .send()
        .await
        .unwrap()
        .job_id
        .unwrap();
    macie.control(
        "POST",
        &format!("/_local/jobs/{job}/status"),
        Some(&json!({"jobStatus": "CANCELLED"})),
    );
    (job, cdi)
}

/// The job as Macie describes it, over the wire (its definition in CreateClassificationJob's
/// shape, its status and tags).
async fn describe(macie: &LocalMacie, job: &str) -> Value {
    use macie_guard::expiry::jobs::MacieJobs;
    let d = macie_client(macie.url())
        .await
        .describe(job)
        .await
        .unwrap()
        .unwrap();
    let mut v = d.definition;
    v["jobStatus"] = json!(d.snapshot.status.as_str());
    v
}

/// How many jobs the account has.
async fn job_count(macie: &LocalMacie) -> usize {
    macie_client(macie.url())
        .await
        .list_classification_jobs()
        .send()
        .await
        .unwrap()
        .items()
        .len()
}

fn json_out(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn a_cancelled_job_comes_back_with_its_definition_once() {
    let macie = LocalMacie::start(None);
    let (original, _) = cancelled_job(&macie).await;
    // --dry-run: the exact request, nothing created.
    let dry = json_out(&cli(
        &macie,
        &["--json", "--dry-run", "recreate", &original],
    ));
    assert_eq!(dry["outcome"], "dryRun");
    assert_eq!(
        dry["request"]["clientToken"],
        format!("macie-guard-recreate-{original}")
    );
    assert_eq!(job_count(&macie).await, 1);

    let made = json_out(&cli(&macie, &["--json", "recreate", &original]));
    assert_eq!(made["outcome"], "created", "{made:#}");
    let new = made["jobId"].as_str().unwrap().to_string();
    assert_ne!(new, original);
    let (was, now) = (
        describe(&macie, &original).await,
        describe(&macie, &new).await,
    );
    for field in CREATE_FIELDS {
        assert_eq!(was.get(field), now.get(field), "{field}");
    }
    assert_eq!(now["name"], "customer-records\nscan (recreated)");
    assert_eq!(now["tags"]["team"], "data");
    assert_eq!(now["tags"]["macie-guard:recreated-from"], original.as_str());
    assert_eq!(now["jobStatus"], "RUNNING");

    // Again: the job that stands for it is named, nothing new.
    let again = json_out(&cli(&macie, &["--json", "recreate", &original]));
    assert_eq!(again["outcome"], "alreadyStood");
    assert_eq!(again["jobId"], new.as_str());
    let text = cli(&macie, &["recreate", &original]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("job {new}")) && text.contains("already stands"),
        "{text}"
    );
    // The name is printed escaped.
    assert!(text.contains("customer-records\\nscan"), "{text}");
    assert_eq!(job_count(&macie).await, 2);
}

#[tokio::test]
async fn two_runs_at_once_create_one_job() {
    let macie = LocalMacie::start(None);
    let (original, _) = cancelled_job(&macie).await;
    // Each run is held between its check for a standing job and its CreateClassificationJob
    // (the local Macie delays the list), so both find none and both create.
    macie.control(
        "POST",
        "/_local/latency",
        Some(&json!({"operation": "ListClassificationJobs", "ms": 400})),
    );
    let runs: Vec<std::process::Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| cli(&macie, &["--json", "recreate", &original])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ids: Vec<String> = runs
        .iter()
        .map(|o| json_out(o)["jobId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids[0], ids[1], "one job for both runs");
    assert_eq!(job_count(&macie).await, 2);
}

#[tokio::test]
async fn what_cannot_be_recreated_as_it_was_is_refused_and_nothing_is_created() {
    let macie = LocalMacie::start(None);
    let (original, cdi) = cancelled_job(&macie).await;
    let c = macie_client(macie.url()).await;
    // Not cancelled.
    let running = c
        .create_classification_job()
        .client_token("r")
        .name("running")
        .job_type(JobType::OneTime)
        .s3_job_definition(
            S3JobDefinition::builder()
                .bucket_definitions(
                    aws_sdk_macie2::types::S3BucketDefinitionForJob::builder()
                        .account_id(ACCOUNT)
                        .buckets("b")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .job_id
        .unwrap();
    let out = cli(&macie, &["recreate", &running]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is RUNNING, not CANCELLED"), "{err}");
    // Its custom data identifier deleted since.
    c.delete_custom_data_identifier()
        .id(&cdi)
        .send()
        .await
        .unwrap();
    let out = cli(&macie, &["recreate", &original]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("custom data identifier {cdi}"))
            && err.contains("nothing was created"),
        "{err}"
    );
    // A file with no lost job in it.
    let dir = std::env::temp_dir().join(format!("recreate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-a-report.json");
    std::fs::write(&file, r#"{"jobs": []}"#).unwrap();
    let out = cli(&macie, &["recreate", "--from", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no lost job's definition"));
    assert_eq!(job_count(&macie).await, 2);
}

#[tokio::test]
async fn from_a_lost_jobs_report() {
    let macie = LocalMacie::start(None);
    let (original, _) = cancelled_job(&macie).await;
    // A lost job's report: its id and definition, in CreateClassificationJob's shape.
    let definition = {
        let mut d = describe(&macie, &original).await;
        let m = d.as_object_mut().unwrap();
        for k in [
            "jobId",
            "jobStatus",
            "statistics",
            "lastRunErrorStatus",
            "lastRunTime",
            "clientToken",
        ] {
            m.remove(k);
        }
        d
    };
    let report = json!({"trigger": "sweep", "jobs": [{"jobId": original, "outcome": "lost", "definition": definition}]});
    let dir = std::env::temp_dir().join(format!("recreate-from-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let made = json_out(&cli(
        &macie,
        &[
            "--json",
            "recreate",
            "--from",
            file.to_str().unwrap(),
            "--name",
            "brought back",
        ],
    ));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(made["outcome"], "created");
    assert_eq!(
        describe(&macie, made["jobId"].as_str().unwrap()).await["name"],
        "brought back"
    );
}

/// A small deterministic generator (splitmix64): the same definitions every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn some<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .filter(|_| self.below(2) == 0)
            .cloned()
            .collect()
    }
}

fn generated_seed(g: &mut Gen, i: usize) -> Value {
    let comparator = |g: &mut Gen| g.pick(&["EQ", "NE", "CONTAINS", "STARTS_WITH"]).to_string();
    let buckets = if g.below(2) == 0 {
        json!({"bucketDefinitions": [{"accountId": ACCOUNT, "buckets": [format!("bucket-{i}"), "shared-data"]}]})
    } else {
        json!({"bucketCriteria": {"includes": {"and": [
            {"simpleCriterion": {"comparator": comparator(g), "key": g.pick(&["ACCOUNT_ID", "S3_BUCKET_NAME", "S3_BUCKET_EFFECTIVE_PERMISSION"]), "values": [format!("v{}", g.below(100))]}},
            {"tagCriterion": {"comparator": g.pick(&["EQ", "NE"]), "tagValues": [{"key": "team", "value": format!("t{}", g.below(9))}]}}
        ]}}})
    };
    let mut definition = buckets;
    if g.below(2) == 0 {
        definition["scoping"] = json!({"excludes": {"and": [
            {"simpleScopeTerm": {"comparator": "STARTS_WITH", "key": "OBJECT_KEY", "values": ["tmp/"]}},
            {"tagScopeTerm": {"comparator": "EQ", "key": "TAG", "tagValues": [{"key": "skip", "value": "yes"}], "target": "S3_OBJECT"}}
        ]}});
    }
    let selector = g.pick(&["ALL", "EXCLUDE", "INCLUDE", "NONE", "RECOMMENDED"]);
    let scheduled = g.below(3) == 0;
    let mut seed = json!({
        "name": format!("generated job {i} \u{e9}\n{}", g.below(1000)),
        "jobType": if scheduled { "SCHEDULED" } else { "ONE_TIME" },
        "jobStatus": "CANCELLED",
        "s3JobDefinition": definition,
        "description": "d".repeat(g.below(201) as usize),
        "samplingPercentage": 1 + g.below(100),
        "managedDataIdentifierSelector": selector,
        "tags": {"owner": format!("o{}", g.below(5))},
    });
    if matches!(selector, "EXCLUDE" | "INCLUDE") {
        seed["managedDataIdentifierIds"] = json!(g.some(&[
            "CREDIT_CARD_NUMBER",
            "AWS_CREDENTIALS",
            "USA_SOCIAL_SECURITY_NUMBER"
        ]));
    }
    let custom = g.some(&[
        "c0000000000000000000000000000001",
        "c0000000000000000000000000000002",
    ]);
    if !custom.is_empty() {
        seed["customDataIdentifierIds"] = json!(custom);
    }
    let lists = g.some(&["a0000000000000000000000000000001"]);
    if !lists.is_empty() {
        seed["allowListIds"] = json!(lists);
    }
    if scheduled {
        seed["scheduleFrequency"] = match g.below(3) {
            0 => json!({"dailySchedule": {}}),
            1 => json!({"weeklySchedule": {"dayOfWeek": g.pick(&["MONDAY", "FRIDAY", "SUNDAY"])}}),
            _ => json!({"monthlySchedule": {"dayOfMonth": 1 + g.below(28)}}),
        };
        seed["initialRun"] = json!(g.below(2) == 0);
    }
    seed
}

/// Over generated definitions (every kind of bucket selection, scoping, selector and ids,
/// custom data identifiers, allow lists, sampling, schedules, descriptions up to Macie's
/// limit): describing the recreated job gives back the original's definition, field by field.
#[tokio::test]
async fn generated_definitions_come_back_field_by_field() {
    use macie_guard::expiry::jobs::MacieJobs;
    let mut g = Gen(20261202);
    let seeds: Vec<Value> = (0..40).map(|i| generated_seed(&mut g, i)).collect();
    let scenario = json!({
        "customDataIdentifiers": [
            {"id": "c0000000000000000000000000000001", "name": "employee-id", "regex": "EMP-[0-9]{6}"},
            {"id": "c0000000000000000000000000000002", "name": "project", "regex": "PRJ-[A-Z]{3}"}
        ],
        "allowLists": [{"id": "a0000000000000000000000000000001", "name": "test-cards", "regex": "4111-.*"}],
        "jobs": seeds,
    });
    let macie = LocalMacie::start(Some(&scenario));
    let sdk = testkit::stand_in_config(macie.url()).await;
    let client = macie_client(macie.url()).await;
    let originals: Vec<String> = client
        .list_classification_jobs()
        .max_results(200)
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .map(|j| j.job_id().unwrap().to_string())
        .collect();
    assert_eq!(originals.len(), 40);
    for original in originals {
        let made = macie_guard::operator::recreate::recreate(
            &sdk,
            macie_guard::operator::recreate::Source::Job(original.clone()),
            None,
            false,
        )
        .await
        .unwrap_or_else(|e| panic!("{original}: {e}"));
        let macie_guard::operator::recreate::Recreated::Created { job_id, .. } = made else {
            panic!("{original}: {made:?}");
        };
        let was = client
            .describe(&original)
            .await
            .unwrap()
            .unwrap()
            .definition;
        let now = client.describe(&job_id).await.unwrap().unwrap().definition;
        for field in CREATE_FIELDS {
            // A one-time job's initialRun is not sent (Macie: only for recurring jobs).
            if field == "initialRun" && was["jobType"] == "ONE_TIME" {
                continue;
            }
            assert_eq!(was.get(field), now.get(field), "{original} {field}");
        }
        assert_eq!(now["tags"]["owner"], was["tags"]["owner"]);
    }
}
