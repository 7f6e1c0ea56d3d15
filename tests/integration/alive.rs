//! Alive, or someone is told: the stack's alarms and dashboard held against the template, the
//! code and CloudWatch's rules.
//!
//! - every function's, rule's and schedule's failure is heard once: a dead letter in an alarmed
//!   queue, a dead letter that did not get out, or a scheduled run (the sweep, the export
//!   check) overdue, whose alarm treats missing data as breaching (a watch that stopped is an
//!   alarm too);
//! - every metric an alarm or the dashboard names is one the code emits (with its dimensions)
//!   or one AWS documents for that namespace (with its dimensions);
//! - periods within CloudWatch's limits; the overdue alarms' periods hold at least one watch
//!   for every journal-watch schedule the template accepts; the watch reads the same schedule
//!   parameters the schedules run on;
//! - the run log's overdue judgement through the journal watch's Lambda handler, and the run
//!   log's DynamoDB adapter against moto.

use macie_guard_core::schedule::Schedule;
use macie_guard_core::tell::metrics::{EMITTED, NAMESPACE};
use serde_json::Value;
use std::collections::BTreeSet;

fn template(expand: bool) -> Value {
    testkit::template_json("template.yaml", expand)
}

/// AWS's metrics the stack may alarm on or show, with the dimension each is published by.
/// Sources: Lambda Developer Guide, "Types of metrics for Lambda functions" (Errors by
/// FunctionName); SQS Developer Guide, "Available CloudWatch metrics for Amazon SQS"
/// (QueueName); EventBridge User Guide, "Monitoring Amazon EventBridge" (FailedInvocations,
/// InvocationsFailedToBeSentToDlq by RuleName).
const AWS_METRICS: [(&str, &str, &str); 4] = [
    ("AWS/Lambda", "Errors", "FunctionName"),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"),
    ("AWS/Events", "FailedInvocations", "RuleName"),
    ("AWS/Events", "InvocationsFailedToBeSentToDlq", "RuleName"),
];

/// A metric as an alarm or a widget names it: namespace, name, dimensions (name, value).
#[derive(Debug, Clone)]
struct Metric {
    namespace: String,
    name: String,
    dims: Vec<(String, Value)>,
}

/// Whether the code or AWS emits `m` with exactly these dimension names.
fn emitted(m: &Metric) -> Result<(), String> {
    let dims: Vec<&str> = m.dims.iter().map(|(k, _)| k.as_str()).collect();
    if m.namespace == NAMESPACE {
        let Some((_, want)) = EMITTED.iter().find(|(n, _)| *n == m.name) else {
            return Err(format!(
                "{}/{} is not a metric the code emits",
                m.namespace, m.name
            ));
        };
        let (mut a, mut b) = (dims.clone(), want.to_vec());
        a.sort();
        b.sort();
        if a != b {
            return Err(format!(
                "{}: dimensions {dims:?}, the code emits {want:?}",
                m.name
            ));
        }
        return Ok(());
    }
    match AWS_METRICS
        .iter()
        .find(|(ns, n, _)| *ns == m.namespace && *n == m.name)
    {
        Some((_, _, d)) if dims == [*d] => Ok(()),
        Some((_, _, d)) => Err(format!(
            "{}/{}: dimensions {dims:?}, AWS publishes it by {d}",
            m.namespace, m.name
        )),
        None => Err(format!(
            "{}/{} is not in the list of AWS metrics relied on",
            m.namespace, m.name
        )),
    }
}

fn dims_of(v: &Value) -> Vec<(String, Value)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|d| (d["Name"].as_str().unwrap().to_string(), d["Value"].clone()))
        .collect()
}

/// Each metric an alarm watches (one, or those of its math expression), with its period.
fn alarm_metrics(alarm: &Value) -> Vec<(Metric, i64)> {
    let p = &alarm["Properties"];
    if let Some(ms) = p["Metrics"].as_array() {
        return ms
            .iter()
            .filter_map(|q| q.get("MetricStat"))
            .map(|st| {
                (
                    Metric {
                        namespace: st["Metric"]["Namespace"].as_str().unwrap().into(),
                        name: st["Metric"]["MetricName"].as_str().unwrap().into(),
                        dims: dims_of(&st["Metric"]["Dimensions"]),
                    },
                    st["Period"].as_i64().unwrap(),
                )
            })
            .collect();
    }
    vec![(
        Metric {
            namespace: p["Namespace"].as_str().unwrap().into(),
            name: p["MetricName"].as_str().unwrap().into(),
            dims: dims_of(&p["Dimensions"]),
        },
        p["Period"].as_i64().unwrap(),
    )]
}

fn alarms(t: &Value) -> Vec<(String, Value)> {
    t["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|(k, r)| (k.clone(), r.clone()))
        .collect()
}

fn refs(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

/// Every alarm's metrics exist; CloudWatch's limits on periods hold (CloudWatch API
/// Reference, PutMetricAlarm: Period 10, 20, 30 or a multiple of 60; Period times
/// EvaluationPeriods at most 86,400 seconds below an hour's period, else 604,800; at most 10
/// metrics in a math expression); and every alarm tells the topic.
#[test]
fn every_alarm_watches_a_metric_that_exists_within_cloudwatchs_limits() {
    let t = template(true);
    let all = alarms(&t);
    assert!(all.len() >= 7, "{}", all.len());
    for (name, a) in &all {
        let p = &a["Properties"];
        let ms = alarm_metrics(a);
        assert!(
            !ms.is_empty() && ms.len() <= 10,
            "{name}: {} metrics",
            ms.len()
        );
        let evaluations = p["EvaluationPeriods"].as_i64().unwrap();
        if let Some(d) = p.get("DatapointsToAlarm") {
            assert!(d.as_i64().unwrap() <= evaluations, "{name}");
        }
        for (m, period) in ms {
            emitted(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                [10, 20, 30].contains(&period) || period % 60 == 0,
                "{name}: period {period}"
            );
            let limit = if period < 3600 { 86_400 } else { 604_800 };
            assert!(
                period * evaluations <= limit,
                "{name}: {period} x {evaluations}"
            );
        }
        assert!(
            p["AlarmActions"].to_string().contains("Topic"),
            "{name} tells no one: {}",
            p["AlarmActions"]
        );
    }
}

/// Each function, each rule and each schedule of the stack is heard when it fails for good,
/// and by one alarm only (an alarm metric is paid every month): a function's failed event is a
/// dead letter (its DeadLetterConfig, no other destination), heard by the queue's alarm; a
/// rule's target sends what it could not deliver to an alarmed queue, and the rule is watched
/// for dead letters that did not get out (a rule without a dead-letter queue is watched for its
/// failed invocations); a schedule's run that did not happen is an overdue run (the sweep's,
/// the export check's), and a journal watch that did not run leaves every Overdue gauge
/// missing, which its alarms read as overdue.
#[test]
fn every_function_rule_and_schedule_is_covered() {
    use macie_guard_core::schedule::liveness::{RunKind, METRIC};
    let t = template(true);
    let resources = t["Resources"].as_object().unwrap();
    let all = alarms(&t);
    let watched: Vec<Metric> = all
        .iter()
        .flat_map(|(_, a)| alarm_metrics(a))
        .map(|(m, _)| m)
        .collect();
    let watched_by = |ns: &str, metric: &str, dim: &str, resource: &str| {
        watched.iter().any(|m| {
            m.namespace == ns
                && m.name == metric
                && m.dims
                    .iter()
                    .any(|(k, v)| k == dim && refs(v) == Some(resource))
        })
    };
    // A queue whose waiting messages an alarm hears, by its ARN's Fn::GetAtt.
    let alarmed_queue = |arn: &Value| -> bool {
        let Some(queue) = arn["Fn::GetAtt"][0].as_str() else {
            return false;
        };
        resources[queue]["Type"] == "AWS::SQS::Queue"
            && watched.iter().any(|m| {
                m.name == "ApproximateNumberOfMessagesVisible"
                    && m.dims[0].1.to_string().contains(queue)
            })
    };
    let overdue_alarm = |run: &str| {
        all.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["MetricName"] == METRIC
                && p["TreatMissingData"] == "breaching"
                && dims_of(&p["Dimensions"])
                    .iter()
                    .any(|(k, v)| k == "Run" && v == run)
        })
    };
    let mut covered = BTreeSet::new();
    for (name, r) in resources {
        let p = &r["Properties"];
        match r["Type"].as_str().unwrap() {
            "AWS::Lambda::Function" => {
                assert!(
                    alarmed_queue(&p["DeadLetterConfig"]["TargetArn"]),
                    "{name}: a failed event is not a dead letter anyone hears"
                );
            }
            "AWS::Lambda::EventInvokeConfig" => {
                assert!(
                    p["DestinationConfig"]["OnFailure"].is_null(),
                    "{name}: a failure destination takes failed events from the dead-letter queue"
                );
            }
            "AWS::Events::Rule" => {
                let targets = p["Targets"].as_array().unwrap();
                let with_dlq = targets
                    .iter()
                    .filter(|t| !t["DeadLetterConfig"].is_null())
                    .count();
                if with_dlq == 0 {
                    assert!(
                        watched_by("AWS/Events", "FailedInvocations", "RuleName", name),
                        "{name}: no dead-letter queue, and no alarm on failed deliveries"
                    );
                } else {
                    assert_eq!(
                        with_dlq,
                        targets.len(),
                        "{name}: a target without a dead-letter queue"
                    );
                    for target in targets {
                        assert!(
                            alarmed_queue(&target["DeadLetterConfig"]["Arn"]),
                            "{name}: its dead letters go to a queue no alarm hears"
                        );
                    }
                    assert!(
                        watched_by(
                            "AWS/Events",
                            "InvocationsFailedToBeSentToDlq",
                            "RuleName",
                            name
                        ),
                        "{name}: no alarm on dead letters that did not get out"
                    );
                }
            }
            "AWS::Scheduler::Schedule" => {
                assert!(
                    alarmed_queue(&p["Target"]["DeadLetterConfig"]["Arn"]),
                    "{name}: its dead letters go to a queue no alarm hears"
                );
                let input: Value =
                    serde_json::from_str(p["Target"]["Input"].as_str().unwrap()).unwrap();
                match input["action"].as_str().unwrap() {
                    "sweep" => assert!(overdue_alarm(RunKind::Sweep.as_str()), "{name}"),
                    "check-export" => {
                        assert!(overdue_alarm(RunKind::ExportCheck.as_str()), "{name}")
                    }
                    // The journal watch: the gauges it publishes are what every overdue alarm
                    // reads, and a missing gauge is overdue.
                    "recover" => {
                        for kind in RunKind::ALL {
                            assert!(overdue_alarm(kind.as_str()), "{name}: {kind}");
                        }
                    }
                    other => panic!("{name}: a schedule whose run no alarm judges ({other})"),
                }
            }
            "AWS::SQS::Queue" => {
                assert!(
                    watched_by(
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        name
                    ) || watched
                        .iter()
                        .any(|m| m.name == "ApproximateNumberOfMessagesVisible"
                            && m.dims[0].1.to_string().contains(name)),
                    "{name}: no alarm on messages waiting"
                );
            }
            _ => continue,
        }
        covered.insert(r["Type"].as_str().unwrap().to_string());
    }
    assert_eq!(covered.len(), 5, "{covered:?}");
    // No metric is watched twice (each is paid), and none repeats what the chain above hears.
    let mut seen = BTreeSet::new();
    for m in &watched {
        assert!(
            seen.insert(format!("{}/{} {:?}", m.namespace, m.name, m.dims)),
            "{m:?} is watched twice"
        );
        assert!(
            (m.namespace != "AWS/Lambda" || m.name != "Errors")
                && !m.namespace.starts_with("AWS/Scheduler"),
            "{m:?}: what the dead-letter queue or the overdue alarms already hear"
        );
    }
}

/// The overdue alarms: one per scheduled run, on the metric the watch emits, missing data
/// breaching; each period holds a watch for every journal-watch schedule the template
/// accepts; the watch judges each run by the very parameter its schedule runs on.
#[test]
fn the_overdue_alarms_follow_the_schedules() {
    use macie_guard_core::schedule::liveness::{RunKind, METRIC};
    let raw = template(false);
    let t = template(true);
    let overdue: Vec<(String, Value)> = alarms(&t)
        .into_iter()
        .filter(|(_, a)| a["Properties"]["MetricName"] == METRIC)
        .collect();
    for kind in RunKind::ALL {
        let (name, a) = overdue
            .iter()
            .find(|(_, a)| {
                dims_of(&a["Properties"]["Dimensions"])
                    .iter()
                    .any(|(k, v)| k == "Run" && v == kind.as_str())
            })
            .unwrap_or_else(|| panic!("no overdue alarm for {kind}"));
        let p = &a["Properties"];
        assert_eq!(p["TreatMissingData"], "breaching", "{name}");
        assert_eq!(p["Statistic"], "Maximum", "{name}");
        assert_eq!(p["Threshold"].as_f64(), Some(1.0), "{name}");
        // Every watch interval the template accepts fits in one period, so a living watch
        // leaves no period empty.
        let period = p["Period"].as_i64().unwrap();
        let watch = &raw["Parameters"]["JournalWatchSchedule"];
        let pattern = regex_lite::Regex::new(watch["AllowedPattern"].as_str().unwrap()).unwrap();
        let mut accepted = 0;
        for n in 0..=120 {
            for unit in ["minute", "minutes", "hour", "hours"] {
                let e = format!("rate({n} {unit})");
                if !pattern.is_match(&e) {
                    continue;
                }
                accepted += 1;
                let Ok(Schedule::Rate { every }) = e.parse::<Schedule>() else {
                    panic!("{e} accepted by the template, not by Scheduler's rules");
                };
                assert!(
                    every.num_seconds() <= period,
                    "{name}: {e} leaves periods of {period} s empty"
                );
            }
        }
        assert!(accepted >= 5 && pattern.is_match(watch["Default"].as_str().unwrap()));
        // The description names the parameter the run is scheduled by.
        assert!(
            p["AlarmDescription"].to_string().contains(kind.parameter()),
            "{name}"
        );
        let _ = name;
    }
    // The watch reads the schedules' own parameters.
    let env = &raw["Resources"]["ExpiryGuardFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(refs(&env["SWEEP_SCHEDULE"]), Some("SweepSchedule"));
    assert_eq!(
        refs(&env["EXPORT_CHECK_SCHEDULE"]),
        Some("ExportCheckSchedule")
    );
    let events = |f: &str| raw["Resources"][f]["Properties"]["Events"].clone();
    assert_eq!(
        refs(&events("ExpiryGuardFunction")["Sweep"]["Properties"]["ScheduleExpression"]),
        Some(RunKind::Sweep.parameter())
    );
    assert_eq!(
        refs(&events("ExportGuardFunction")["Check"]["Properties"]["ScheduleExpression"]),
        Some(RunKind::ExportCheck.parameter())
    );
    // Every schedule expression AWS documents as an example (Scheduler User Guide, "Schedule
    // types"), and the parameters' defaults, are accepted by the template and read by the watch.
    for kind in RunKind::ALL {
        let param = &raw["Parameters"][kind.parameter()];
        let pattern = regex_lite::Regex::new(param["AllowedPattern"].as_str().unwrap()).unwrap();
        for e in [
            param["Default"].as_str().unwrap(),
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(7 days)",
            "cron(0 10 * * ? *)",
            "cron(15 12 * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(0/10 * ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0 9 ? * 2#1 *)",
        ] {
            assert!(pattern.is_match(e), "{} refuses {e}", kind.parameter());
            e.parse::<Schedule>()
                .unwrap_or_else(|err| panic!("the watch cannot read {e}: {err}"));
        }
    }
}

/// The dashboard is valid JSON once substituted, shows every alarm of the stack that tells of
/// the guard's health, and names only metrics that exist.
#[test]
fn the_dashboard_shows_what_exists() {
    let raw = template(false);
    let dash = &raw["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"];
    let body = dash[0].as_str().unwrap();
    // Substituted as CloudFormation would: every ${X} or ${X.Arn} by a plain token.
    let subst = regex_lite::Regex::new(r"\$\{([A-Za-z0-9:]+)(\.[A-Za-z]+)?\}").unwrap();
    let mut named = BTreeSet::new();
    let text = subst.replace_all(body, |c: &regex_lite::Captures| {
        named.insert(c[1].to_string());
        format!("<{}>", &c[1])
    });
    let doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("dashboard body: {e}\n{text}"));
    let resources = raw["Resources"].as_object().unwrap();
    for n in &named {
        assert!(
            resources.contains_key(n) || n.starts_with("AWS::") || dash[1].get(n).is_some(),
            "the dashboard names {n}, which is nothing"
        );
    }
    let widgets = doc["widgets"].as_array().unwrap();
    let alarm_widget = widgets.iter().find(|w| w["type"] == "alarm").unwrap();
    let shown = alarm_widget["properties"]["alarms"].to_string();
    for (name, a) in alarms(&template(false)) {
        if a.get("Condition").is_some() {
            continue; // not in every stack
        }
        assert!(
            shown.contains(&format!("<{name}>")),
            "the dashboard does not show {name}"
        );
    }
    let mut metrics = 0;
    for w in widgets.iter().filter(|w| w["type"] == "metric") {
        for m in w["properties"]["metrics"].as_array().unwrap() {
            let m = m.as_array().unwrap();
            if let Some(e) = m[0].get("expression").and_then(Value::as_str) {
                // SEARCH('{NAMESPACE,dims...} MetricName="X"', ...)
                let re = regex_lite::Regex::new(r#"\{([^}]*)\} MetricName="([A-Za-z]+)""#).unwrap();
                let c = re.captures(e).unwrap_or_else(|| panic!("{e}"));
                let mut parts = c[1].split(',');
                let namespace = parts.next().unwrap().to_string();
                let metric = Metric {
                    namespace,
                    name: c[2].to_string(),
                    dims: parts.map(|d| (d.to_string(), Value::Null)).collect(),
                };
                emitted(&metric).unwrap_or_else(|e| panic!("dashboard: {e}"));
            } else {
                let strs: Vec<&str> = m.iter().filter_map(Value::as_str).collect();
                let metric = Metric {
                    namespace: strs[0].into(),
                    name: strs[1].into(),
                    dims: strs[2..]
                        .chunks(2)
                        .map(|kv| (kv[0].to_string(), Value::String(kv[1].into())))
                        .collect(),
                };
                emitted(&metric).unwrap_or_else(|e| panic!("dashboard: {e}"));
            }
            metrics += 1;
        }
    }
    assert!(metrics >= 7, "{metrics}");
}

fn run(
    kind: macie_guard_core::schedule::liveness::RunKind,
    started: chrono::DateTime<chrono::Utc>,
    result: &str,
) -> macie_guard_core::schedule::liveness::RunRecord {
    macie_guard_core::schedule::liveness::RunRecord {
        kind,
        started_at: started,
        finished_at: started + chrono::Duration::seconds(3),
        result: result.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        worst: None,
    }
}

/// The run log in DynamoDB (moto): the newest success stays (a late retry of an older run does
/// not replace it), the watch's first look is remembered, and every item is in the partition
/// the export guard's role is limited to (`RUNS#ACCOUNT#REGION`).
#[tokio::test]
async fn the_run_log_keeps_the_newest_success_and_the_first_look() {
    use macie_guard::runlog::dynamo::DynamoRunLog;
    use macie_guard::runlog::reader::RunLogReader;
    use macie_guard::runlog::RunLog;
    use macie_guard_core::schedule::liveness::RunKind;
    let client = testkit::dynamodb_client(&testkit::moto().url).await;
    let table = testkit::journal_table("run-log").await;
    let log = DynamoRunLog {
        client: client.clone(),
        table: table.clone(),
    };
    let scope = format!("{}#eu-west-1", testkit::ACCOUNT);
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-02T06:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let first = log.runs(&scope, t0).await.unwrap();
    assert!(first.records.is_empty());
    assert_eq!(first.watched_since, t0);
    log.succeeded(
        &scope,
        &run(RunKind::Sweep, t0 + chrono::Duration::hours(6), "newer"),
    )
    .await
    .unwrap();
    log.succeeded(&scope, &run(RunKind::Sweep, t0, "older, retried late"))
        .await
        .unwrap();
    log.succeeded(
        &scope,
        &run(
            RunKind::ExportCheck,
            t0,
            "1 Region(s) checked: eu-west-1 clean",
        ),
    )
    .await
    .unwrap();
    let later = log
        .runs(&scope, t0 + chrono::Duration::days(1))
        .await
        .unwrap();
    assert_eq!(later.watched_since, t0, "the first look stays");
    let sweep = later.last(RunKind::Sweep).unwrap();
    assert_eq!(sweep.result, "newer");
    assert_eq!(sweep.started_at, t0 + chrono::Duration::hours(6));
    assert_eq!(
        later.last(RunKind::ExportCheck).unwrap().result,
        "1 Region(s) checked: eu-west-1 clean"
    );
    // Every item of the run log is in the RUNS# partition; none in the journal's own.
    let scan = client.scan().table_name(&table).send().await.unwrap();
    assert_eq!(scan.items().len(), 3);
    for item in scan.items() {
        assert_eq!(
            item["scope"].as_s().unwrap(),
            &format!("RUNS#{}#eu-west-1", testkit::ACCOUNT)
        );
    }
    // And the journal, reading its own partition, sees none of them.
    use macie_guard::journal::Journal;
    let journal = macie_guard::journal::dynamo::DynamoJournal { client, table };
    assert!(journal.entries(&scope).await.unwrap().is_empty());
}

/// The journal watch through the expiry guard's handler: a sweep that stopped six hours and a
/// quarter ago is overdue, an export check that ran is not; a recover invocation judges the
/// run log the scheduled runs wrote through the same handlers.
#[tokio::test]
async fn the_journal_watch_finds_a_sweep_that_stopped() {
    use macie_guard::expiry::lambda::ExpiryFunction;
    use macie_guard::runlog::dynamo::DynamoRunLog;
    use macie_guard::runlog::reader::RunLogReader;
    use macie_guard::runlog::{AnyRunLog, RunLog};
    use macie_guard_core::schedule::liveness::{Liveness, RunKind, Schedules};
    let client = testkit::dynamodb_client(&testkit::moto().url).await;
    let table = testkit::journal_table("watch").await;
    let log = DynamoRunLog {
        client: client.clone(),
        table: table.clone(),
    };
    let scope = format!("{}#us-east-1", testkit::ACCOUNT);
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T16:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    // Watched for two days; the last sweep 6 h 17 min ago; the export check 3 hours ago.
    log.runs(&scope, now - chrono::Duration::days(2))
        .await
        .unwrap();
    log.succeeded(
        &scope,
        &run(
            RunKind::Sweep,
            now - chrono::Duration::minutes(6 * 60 + 17),
            "12 paused job(s) scanned, 0 handled",
        ),
    )
    .await
    .unwrap();
    log.succeeded(
        &scope,
        &run(
            RunKind::ExportCheck,
            now - chrono::Duration::hours(3),
            "clean",
        ),
    )
    .await
    .unwrap();
    let function = ExpiryFunction {
        macie: testkit::macie_client("http://127.0.0.1:9").await,
        outbound: macie_guard::outbound::print::PrintNotifier,
        journal: macie_guard::journal::memory::MemoryJournal::new(),
        config: Default::default(),
        region: "us-east-1".into(),
        fallback_account: None,
        schedules: Some(Schedules {
            sweep: "rate(6 hours)".into(),
            export_check: "cron(0 10 * * ? *)".into(),
        }),
        runs: AnyRunLog::Dynamo(log),
    };
    let verdicts = function.watch_runs(&scope, 0, now).await;
    let of = |k: RunKind| verdicts.iter().find(|(x, _)| *x == k).unwrap().1.clone();
    assert!(
        matches!(of(RunKind::Sweep), Liveness::Overdue { .. }),
        "{verdicts:?}"
    );
    // The daily 10:00 check ran at 13:00: on time; had it last run yesterday, overdue.
    assert_eq!(
        of(RunKind::ExportCheck),
        Liveness::OnTime {
            last_started: Some(now - chrono::Duration::hours(3))
        }
    );
    // In another Region the check last ran yesterday at 13:00: today's 10:00 is owed.
    let other = format!("{}#eu-west-1", testkit::ACCOUNT);
    if let AnyRunLog::Dynamo(log) = &function.runs {
        log.runs(&other, now - chrono::Duration::days(2))
            .await
            .unwrap();
        log.succeeded(
            &other,
            &run(
                RunKind::ExportCheck,
                now - chrono::Duration::hours(27),
                "clean",
            ),
        )
        .await
        .unwrap();
    }
    let v = function.watch_runs(&other, 0, now).await;
    let today_10 = now - chrono::Duration::hours(6);
    assert_eq!(
        v[1],
        (
            RunKind::ExportCheck,
            Liveness::Overdue {
                due: today_10,
                last_started: Some(now - chrono::Duration::hours(27))
            }
        )
    );
    // Without schedules (the CLI, local runs without SWEEP_SCHEDULE) nothing is judged.
    let quiet = ExpiryFunction {
        schedules: None,
        ..function
    };
    assert!(quiet.watch_runs(&scope, 0, now).await.is_empty());
}
