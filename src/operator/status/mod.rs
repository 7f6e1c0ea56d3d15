//! `macie-guard status`: reads, in one account and Region, what the core's `status` judges:
//! the stack (CloudFormation), its functions (Lambda), rules (EventBridge), schedules
//! (EventBridge Scheduler), alarms (CloudWatch), dead letters (SQS), the journal and run log
//! (DynamoDB) and Security Hub. Reads only: nothing is changed, not even the run log's first
//! look.
//!
//! CloudFormation, Lambda, Scheduler and CloudWatch are called without their generated
//! clients (`crate::signed`): six read calls, against minutes of build for every binary.

use aws_config::SdkConfig;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::journal::Journal;
use crate::runlog::reader::RunLogReader;
use crate::signed::{
    encode, CallError, Request, Signed, CLOUDFORMATION, CLOUDWATCH, LAMBDA, SCHEDULER, SECURITY_HUB,
};
use macie_guard_core::operator::status::{
    AlarmFacts, Facts, FunctionFacts, FunctionState, HubFacts, OpenEntry, Read, RunLogFacts,
    StackFacts, TargetFacts, TopicFacts, TriggerFacts, TriggerKind, Wiring,
};
use macie_guard_core::schedule::liveness::Schedules;
use macie_guard_core::scope::Scope;

pub mod xml;

/// The stack `status` reads by default (the name the README's deploy gives it).
pub const DEFAULT_STACK: &str = "macie-guard";

/// How long all of one account-Region's reads may take.
const READ_TIME: Duration = Duration::from_secs(60);

/// Which stack: by name, or the one that holds a resource (the organization view's read role,
/// which every StackSets instance creates under a name it knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackRef {
    Name(String),
    Holding(String),
}

/// One resource of the stack (DescribeStackResources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub logical_id: String,
    pub physical_id: String,
    pub kind: String,
}

fn cfn_error(looked: &str, region: &str, operation: &'static str, e: CallError) -> Error {
    match &e {
        CallError::Service(s)
            if s.code == "ValidationError" && s.message.contains("does not exist") =>
        {
            Error::NoStack {
                looked: looked.to_string(),
                region: region.to_string(),
                message: s.message.clone(),
            }
        }
        _ => Error::aws_answer(
            "CloudFormation",
            operation,
            Some(looked),
            e.code().unwrap_or("NoAnswer"),
            e.to_string(),
        ),
    }
}

/// The reads of one account and Region.
pub struct StatusReader {
    pub sdk: SdkConfig,
    pub region: String,
    pub account: String,
}

impl StatusReader {
    async fn cfn(
        &self,
        operation: &'static str,
        params: &[(&str, &str)],
        until: Instant,
    ) -> Result<xml::Node, CallError> {
        let text = Signed::new(&self.sdk, CLOUDFORMATION)
            .send(
                &self.region,
                operation,
                Request::query(operation, "2010-05-15", params),
                until,
            )
            .await?;
        xml::parse(&text).map_err(|e| CallError::Unanswered(format!("{operation}: {e}")))
    }

    /// The stack's resources, and its name (found through a resource it holds, when asked so).
    /// DescribeStackResources returns up to 100 resources; a macie-guard stack has about 35.
    pub async fn resources(
        &self,
        stack: &StackRef,
        until: Instant,
    ) -> Result<(String, Vec<Resource>)> {
        let (param, looked) = match stack {
            StackRef::Name(n) => ("StackName", format!("named {n}")),
            StackRef::Holding(p) => ("PhysicalResourceId", format!("holding {p}")),
        };
        let value = match stack {
            StackRef::Name(n) | StackRef::Holding(n) => n.as_str(),
        };
        let doc = self
            .cfn("DescribeStackResources", &[(param, value)], until)
            .await
            .map_err(|e| cfn_error(&looked, &self.region, "DescribeStackResources", e))?;
        let members = doc.members(&["DescribeStackResourcesResult", "StackResources"]);
        let name = members
            .first()
            .and_then(|m| m.text_of("StackName"))
            .ok_or_else(|| Error::NoStack {
                looked: looked.clone(),
                region: self.region.clone(),
                message: "CloudFormation returned no resource".into(),
            })?;
        let resources = members
            .iter()
            .map(|m| Resource {
                logical_id: m.text_of("LogicalResourceId").unwrap_or_default(),
                physical_id: m.text_of("PhysicalResourceId").unwrap_or_default(),
                kind: m.text_of("ResourceType").unwrap_or_default(),
            })
            .collect();
        Ok((name, resources))
    }

    /// The stack's status, outputs and parameters.
    async fn stack(
        &self,
        name: &str,
        until: Instant,
    ) -> Result<(
        StackFacts,
        BTreeMap<String, String>,
        BTreeMap<String, String>,
    )> {
        let doc = self
            .cfn("DescribeStacks", &[("StackName", name)], until)
            .await
            .map_err(|e| cfn_error(&format!("named {name}"), &self.region, "DescribeStacks", e))?;
        let stacks = doc.members(&["DescribeStacksResult", "Stacks"]);
        let s = stacks.first().ok_or_else(|| Error::NoStack {
            looked: format!("named {name}"),
            region: self.region.clone(),
            message: "DescribeStacks returned no stack".into(),
        })?;
        let pairs = |list: &str, key: &str, value: &str| -> BTreeMap<String, String> {
            s.members(&[list])
                .iter()
                .filter_map(|m| Some((m.text_of(key)?, m.text_of(value).unwrap_or_default())))
                .collect()
        };
        let outputs = pairs("Outputs", "OutputKey", "OutputValue");
        let parameters = pairs("Parameters", "ParameterKey", "ParameterValue");
        let facts = StackFacts {
            name: s.text_of("StackName").unwrap_or_else(|| name.to_string()),
            status: s.text_of("StackStatus").unwrap_or_default(),
            reason: s.text_of("StackStatusReason").filter(|r| !r.is_empty()),
            version: outputs.get("Version").cloned(),
            created: s
                .text_of("CreationTime")
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
        };
        Ok((facts, outputs, parameters))
    }

    async fn function(&self, r: &Resource, until: Instant) -> FunctionFacts {
        let lambda = Signed::new(&self.sdk, LAMBDA);
        let name = encode(&r.physical_id);
        let read = async {
            let text = lambda
                .send(
                    &self.region,
                    "GetFunction",
                    Request::rest_json("GET", format!("/2015-03-31/functions/{name}"), None),
                    until,
                )
                .await
                .map_err(|e| e.to_string())?;
            let v: Value = serde_json::from_str(&text).map_err(|e| format!("GetFunction: {e}"))?;
            let c = &v["Configuration"];
            let concurrency = lambda
                .send(
                    &self.region,
                    "GetFunctionConcurrency",
                    Request::rest_json(
                        "GET",
                        format!("/2019-09-30/functions/{name}/concurrency"),
                        None,
                    ),
                    until,
                )
                .await
                .map_err(|e| e.to_string())?;
            let reserved = serde_json::from_str::<Value>(&concurrency)
                .ok()
                .and_then(|c| c["ReservedConcurrentExecutions"].as_i64());
            Ok(FunctionState {
                // A function created before Lambda had states has none: it is active.
                state: c["State"].as_str().unwrap_or("Active").to_string(),
                state_reason: c["StateReason"].as_str().map(str::to_string),
                last_update: c["LastUpdateStatus"].as_str().map(str::to_string),
                reserved_concurrency: reserved,
            })
        };
        FunctionFacts {
            logical_id: r.logical_id.clone(),
            name: r.physical_id.clone(),
            arn: self
                .scope()
                .arn("lambda", &format!("function:{}", r.physical_id)),
            state: read.await,
        }
    }

    async fn rule(&self, r: &Resource) -> TriggerFacts {
        // A rule's physical id is its name (on the default bus); "bus|name" on another.
        let (bus, name) = match r.physical_id.split_once('|') {
            Some((b, n)) => (Some(b.to_string()), n.to_string()),
            None => (None, r.physical_id.clone()),
        };
        let client = crate::aws::eventbridge(&self.sdk);
        let state = client
            .describe_rule()
            .name(&name)
            .set_event_bus_name(bus.clone())
            .send()
            .await
            .map_err(|e| crate::error::describe_sdk_error(&e))
            .map(|out| {
                out.state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default()
            });
        // A rule has at most 5 targets (EventBridge quotas): one page.
        let targets = client
            .list_targets_by_rule()
            .rule(&name)
            .set_event_bus_name(bus)
            .send()
            .await
            .map_err(|e| crate::error::describe_sdk_error(&e))
            .map(|out| {
                out.targets()
                    .iter()
                    .map(|t| TargetFacts {
                        arn: t.arn().to_string(),
                        role_arn: t.role_arn().map(str::to_string),
                        dead_letter_arn: t
                            .dead_letter_config()
                            .and_then(|d| d.arn())
                            .map(str::to_string),
                    })
                    .collect()
            });
        TriggerFacts {
            kind: TriggerKind::Rule,
            logical_id: r.logical_id.clone(),
            name,
            state,
            targets,
        }
    }

    fn scope(&self) -> Scope {
        Scope::new(self.account.clone(), self.region.clone())
    }

    /// Who the topic tells (ListSubscriptionsByTopic, every page): a subscription waiting
    /// for its confirmation has the ARN `PendingConfirmation` (SNS API Reference, Subscription).
    async fn topic(&self, arn: Option<&String>) -> Read<TopicFacts> {
        let arn = arn.ok_or("the stack has no TopicArn output")?;
        let client = crate::aws::sns(&self.sdk);
        let (mut confirmed, mut pending) = (0, 0);
        let mut token: Option<String> = None;
        loop {
            let out = client
                .list_subscriptions_by_topic()
                .topic_arn(arn)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| crate::error::describe_sdk_error(&e))?;
            for sub in out.subscriptions() {
                match sub.subscription_arn() {
                    Some("PendingConfirmation") => pending += 1,
                    Some("Deleted") | None => {}
                    Some(_) => confirmed += 1,
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(TopicFacts {
            arn: arn.clone(),
            confirmed,
            pending,
        })
    }

    async fn schedule(&self, r: &Resource, group: Option<&str>, until: Instant) -> TriggerFacts {
        let mut path = format!("/schedules/{}", encode(&r.physical_id));
        if let Some(g) = group {
            path.push_str(&format!("?groupName={}", encode(g)));
        }
        let read = Signed::new(&self.sdk, SCHEDULER)
            .send(
                &self.region,
                "GetSchedule",
                Request::rest_json("GET", path, None),
                until,
            )
            .await
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_str::<Value>(&text).map_err(|e| format!("GetSchedule: {e}"))
            });
        let state = read
            .as_ref()
            .map(|v| v["State"].as_str().unwrap_or_default().to_string())
            .map_err(String::clone);
        // A schedule has exactly one target (Scheduler API Reference, GetSchedule: Target).
        let targets = read.map(|v| {
            let t = &v["Target"];
            let text = |x: &Value| x.as_str().filter(|s| !s.is_empty()).map(str::to_string);
            text(&t["Arn"])
                .map(|arn| TargetFacts {
                    arn,
                    role_arn: text(&t["RoleArn"]),
                    dead_letter_arn: text(&t["DeadLetterConfig"]["Arn"]),
                })
                .into_iter()
                .collect()
        });
        TriggerFacts {
            kind: TriggerKind::Schedule,
            logical_id: r.logical_id.clone(),
            name: r.physical_id.clone(),
            state,
            targets,
        }
    }

    /// The alarms' states (DescribeAlarms takes at most 100 names).
    async fn alarms(&self, names: &[String], until: Instant) -> Read<Vec<AlarmFacts>> {
        let mut out = Vec::new();
        for chunk in names.chunks(100) {
            let text = Signed::new(&self.sdk, CLOUDWATCH)
                .send(
                    &self.region,
                    "DescribeAlarms",
                    Request::json_1_0(
                        "GraniteServiceVersion20100801.DescribeAlarms".into(),
                        &json!({"AlarmNames": chunk, "MaxRecords": 100}),
                    ),
                    until,
                )
                .await
                .map_err(|e| e.to_string())?;
            let v: Value =
                serde_json::from_str(&text).map_err(|e| format!("DescribeAlarms: {e}"))?;
            for a in v["MetricAlarms"].as_array().into_iter().flatten() {
                out.push(AlarmFacts {
                    name: a["AlarmName"].as_str().unwrap_or_default().to_string(),
                    state: a["StateValue"].as_str().unwrap_or_default().to_string(),
                    reason: a["StateReason"].as_str().unwrap_or_default().to_string(),
                    // CloudWatch API Reference, MetricAlarm: ActionsEnabled, AlarmActions.
                    actions_enabled: a["ActionsEnabled"].as_bool().unwrap_or(true),
                    actions: a["AlarmActions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                });
            }
        }
        Ok(out)
    }

    async fn dead_letters(&self, url: Option<&String>) -> Read<u64> {
        let url = url.ok_or("the stack has no DeadLetterQueueUrl output")?;
        let out = crate::aws::sqs(&self.sdk)
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(
                aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            )
            .send()
            .await
            .map_err(|e| crate::error::describe_sdk_error(&e))?;
        let count = |n: aws_sdk_sqs::types::QueueAttributeName| {
            out.attributes()
                .and_then(|a| a.get(&n))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(
            count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                + count(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                ),
        )
    }

    /// Whether Security Hub is enabled here (DescribeHub): `Ok(false)` when it answers that it
    /// is not (InvalidAccessException).
    async fn hub_enabled(&self, until: Instant) -> Read<bool> {
        let request = Request::rest_json("GET", "/accounts", None);
        match Signed::new(&self.sdk, SECURITY_HUB)
            .send(&self.region, "DescribeHub", request, until)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("InvalidAccessException") => Ok(false),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Everything about the stack, read in this account and Region.
    pub async fn facts(&self, stack: &StackRef) -> Result<Facts> {
        let until = Instant::now() + READ_TIME;
        let (name, resources) = self.resources(stack, until).await?;
        let (stack_facts, outputs, parameters) = self.stack(&name, until).await?;
        let of_kind = |k: &'static str| resources.iter().filter(move |r| r.kind == k);
        let group = of_kind("AWS::Scheduler::ScheduleGroup")
            .next()
            .map(|r| r.physical_id.clone());
        let mut functions = Vec::new();
        for r in of_kind("AWS::Lambda::Function") {
            functions.push(self.function(r, until).await);
        }
        let mut triggers = Vec::new();
        for r in of_kind("AWS::Events::Rule") {
            triggers.push(self.rule(r).await);
        }
        for r in of_kind("AWS::Scheduler::Schedule") {
            triggers.push(self.schedule(r, group.as_deref(), until).await);
        }
        let alarm_names: Vec<String> = of_kind("AWS::CloudWatch::Alarm")
            .map(|r| r.physical_id.clone())
            .collect();
        let alarms = self.alarms(&alarm_names, until).await;
        let dead_letters = self.dead_letters(outputs.get("DeadLetterQueueUrl")).await;
        let topic = self.topic(outputs.get("TopicArn")).await;
        let scope = self.scope();
        let wiring = Wiring {
            // An SQS queue's ARN from its URL's last part, the queue's name.
            dead_letter_arn: outputs
                .get("DeadLetterQueueUrl")
                .and_then(|u| u.rsplit('/').next())
                .map(|name| scope.arn("sqs", name)),
            topic_arn: outputs.get("TopicArn").cloned(),
            scheduler_role_arn: of_kind("AWS::IAM::Role")
                .find(|r| r.logical_id == "SchedulerRole")
                .map(|r| {
                    format!(
                        "arn:{}:iam::{}:role/{}",
                        scope.partition(),
                        self.account,
                        r.physical_id
                    )
                }),
            central_bus_arn: parameters
                .get("CentralEventBusArn")
                .filter(|b| !b.is_empty())
                .cloned(),
        };
        let key = Scope::new(self.account.clone(), self.region.clone()).journal_key();
        let table = outputs.get("JournalTableName").cloned();
        let (journal, runs) = match &table {
            None => {
                let why = "the stack has no JournalTableName output".to_string();
                (Err(why.clone()), Err(why))
            }
            Some(t) => {
                let journal = crate::journal::open(&self.sdk, Some(t.clone()))
                    .entries(&key)
                    .await
                    .map(|entries| {
                        entries
                            .into_iter()
                            .map(|e| OpenEntry {
                                job_id: e.job_id,
                                lease_until: DateTime::from_timestamp(e.lease_until, 0)
                                    .unwrap_or_default(),
                            })
                            .collect()
                    })
                    .map_err(|e| e.to_string());
                let log = crate::runlog::open(&self.sdk, Some(t.clone()));
                let members = log.members(&key).await.unwrap_or_default();
                let runs = log
                    .recorded(&key)
                    .await
                    .map(|(records, watched_since)| RunLogFacts {
                        records,
                        watched_since,
                        members,
                    })
                    .map_err(|e| e.to_string());
                (journal, runs)
            }
        };
        let parameter = |k: &str, default: &str| {
            parameters
                .get(k)
                .cloned()
                .unwrap_or_else(|| default.to_string())
        };
        let security_hub = if parameter("SecurityHubFindings", "false") == "true" {
            HubFacts::On(self.hub_enabled(until).await)
        } else {
            HubFacts::Off
        };
        Ok(Facts {
            stack: stack_facts,
            cli_version: env!("CARGO_PKG_VERSION").to_string(),
            functions,
            triggers,
            alarms,
            dead_letters,
            journal,
            runs,
            schedules: Schedules {
                sweep: parameter("SweepSchedule", "rate(6 hours)"),
                export_check: parameter("ExportCheckSchedule", "rate(1 day)"),
            },
            security_hub,
            per_account_stacks: listed(&parameter("PerAccountStacks", "")),
            member_regions: listed(&parameter("MemberRegions", "")),
            wiring,
            topic,
        })
    }
}

/// A comma-separated parameter's items.
fn listed(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}
