use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap()
}

fn record(kind: RunKind, started: DateTime<Utc>, worst: Option<Severity>) -> RunRecord {
    RunRecord {
        kind,
        started_at: started,
        finished_at: started + Duration::seconds(2),
        result: "fine".into(),
        version: "0.2.0".into(),
        worst,
    }
}

fn healthy() -> Facts {
    Facts {
        stack: StackFacts {
            name: "macie-guard".into(),
            status: "UPDATE_COMPLETE".into(),
            reason: None,
            version: Some("0.2.0".into()),
            created: Some(now() - Duration::days(30)),
        },
        cli_version: "0.2.0".into(),
        functions: FUNCTIONS
            .iter()
            .map(|l| FunctionFacts {
                logical_id: l.to_string(),
                name: format!("macie-guard-{l}-ABC"),
                arn: format!("arn:aws:lambda:us-east-1:111122223333:function:macie-guard-{l}-ABC"),
                state: Ok(FunctionState {
                    state: "Active".into(),
                    state_reason: None,
                    last_update: Some("Successful".into()),
                    reserved_concurrency: None,
                }),
            })
            .collect(),
        triggers: vec![
            TriggerFacts {
                kind: TriggerKind::Rule,
                logical_id: "ExpiryGuardFunctionMacieHealth".into(),
                name: "macie-guard-Health-1".into(),
                state: Ok("ENABLED".into()),
                targets: Ok(vec![TargetFacts {
                    arn: EXPIRY_ARN.into(),
                    role_arn: None,
                    dead_letter_arn: Some(DLQ.into()),
                }]),
            },
            TriggerFacts {
                kind: TriggerKind::Schedule,
                logical_id: "ExpiryGuardFunctionSweep".into(),
                name: "macie-guard-Sweep-1".into(),
                state: Ok("ENABLED".into()),
                targets: Ok(vec![TargetFacts {
                    arn: EXPIRY_ARN.into(),
                    role_arn: Some(SCHEDULER_ROLE.into()),
                    dead_letter_arn: Some(DLQ.into()),
                }]),
            },
            TriggerFacts {
                kind: TriggerKind::Rule,
                logical_id: "ForwardToCentralBusRule".into(),
                name: "macie-guard-Forward-1".into(),
                state: Ok("ENABLED".into()),
                targets: Ok(vec![TargetFacts {
                    arn: BUS.into(),
                    role_arn: Some("arn:aws:iam::111122223333:role/forward".into()),
                    dead_letter_arn: Some(DLQ.into()),
                }]),
            },
        ],
        alarms: Ok(vec![AlarmFacts {
            name: "macie-guard-SweepOverdueAlarm-1".into(),
            state: "OK".into(),
            reason: "fine".into(),
            actions_enabled: true,
            actions: vec![TOPIC.into()],
        }]),
        dead_letters: Ok(0),
        journal: Ok(vec![]),
        runs: Ok(RunLogFacts {
            records: vec![
                record(RunKind::Sweep, now() - Duration::hours(2), None),
                record(RunKind::ExportCheck, now() - Duration::hours(3), None),
            ],
            watched_since: Some(now() - Duration::days(30)),
            members: vec![],
        }),
        schedules: Schedules {
            sweep: "rate(6 hours)".into(),
            export_check: "rate(1 day)".into(),
        },
        security_hub: HubFacts::On(Ok(true)),
        per_account_stacks: vec![],
        member_regions: vec![],
        wiring: Wiring {
            dead_letter_arn: Some(DLQ.into()),
            topic_arn: Some(TOPIC.into()),
            scheduler_role_arn: Some(SCHEDULER_ROLE.into()),
            central_bus_arn: Some(BUS.into()),
        },
        topic: Ok(TopicFacts {
            arn: TOPIC.into(),
            confirmed: 1,
            pending: 0,
        }),
    }
}

const EXPIRY_ARN: &str =
    "arn:aws:lambda:us-east-1:111122223333:function:macie-guard-ExpiryGuardFunction-ABC";
const DLQ: &str = "arn:aws:sqs:us-east-1:111122223333:macie-guard-DeadLetterQueue-1";
const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:macie-guard-Topic-1";
const SCHEDULER_ROLE: &str = "arn:aws:iam::111122223333:role/macie-guard-SchedulerRole-1";
const BUS: &str = "arn:aws:events:us-east-1:999999999999:event-bus/central";

fn attention(f: &Facts) -> Vec<(Area, String)> {
    judge_status(f, now())
        .checks
        .into_iter()
        .filter(|c| c.attention)
        .map(|c| (c.area, c.detail))
        .collect()
}

#[test]
fn a_healthy_stack_needs_nothing() {
    let s = judge_status(&healthy(), now());
    assert_eq!(s.attention, 0, "{:#?}", s.checks);
    // Every area is looked at.
    for area in [
        Area::Stack,
        Area::Function,
        Area::Rule,
        Area::Schedule,
        Area::Run,
        Area::Alarm,
        Area::Topic,
        Area::DeadLetters,
        Area::Journal,
        Area::Export,
        Area::SecurityHub,
    ] {
        assert!(s.checks.iter().any(|c| c.area == area), "{area:?}");
    }
}

#[test]
fn each_broken_part_is_one_check_needing_attention() {
    type Break = fn(&mut Facts);
    let cases: Vec<(Area, &str, Break)> = vec![
        (Area::Stack, "rolled back", |f| {
            f.stack.status = "UPDATE_ROLLBACK_COMPLETE".into()
        }),
        (Area::Stack, "under way", |f| {
            f.stack.status = "UPDATE_IN_PROGRESS".into()
        }),
        (Area::Function, "throttled", |f| {
            f.functions[0].state.as_mut().unwrap().reserved_concurrency = Some(0)
        }),
        (Area::Function, "state Failed", |f| {
            f.functions[1].state.as_mut().unwrap().state = "Failed".into()
        }),
        (Area::Function, "has no ExportGuardFunction", |f| {
            f.functions.pop();
        }),
        (Area::Rule, "enable-rule --name macie-guard-Health-1", |f| {
            f.triggers[0].state = Ok("DISABLED".into())
        }),
        (Area::Schedule, "DISABLED", |f| {
            f.triggers[1].state = Ok("DISABLED".into())
        }),
        (Area::Run, "overdue", |f| {
            f.runs.as_mut().unwrap().records[0].started_at = now() - Duration::hours(7)
        }),
        (Area::Alarm, "ALARM: Threshold Crossed", |f| {
            let a = &mut f.alarms.as_mut().unwrap()[0];
            a.state = "ALARM".into();
            a.reason = "Threshold Crossed".into();
        }),
        (Area::DeadLetters, "3 waiting", |f| f.dead_letters = Ok(3)),
        (Area::Journal, "jobs j1", |f| {
            f.journal = Ok(vec![OpenEntry {
                job_id: "j1".into(),
                lease_until: now() - Duration::minutes(11),
            }])
        }),
        (Area::Export, "critical", |f| {
            f.runs.as_mut().unwrap().records[1].worst = Some(Severity::Critical)
        }),
        (Area::SecurityHub, "not enabled", |f| {
            f.security_hub = HubFacts::On(Ok(false))
        }),
        (Area::DeadLetters, "could not be read: AccessDenied", |f| {
            f.dead_letters = Err("AccessDenied".into())
        }),
        // Every link from a trigger to a person.
        (Area::Rule, "(it has no target)", |f| {
            f.triggers[0].targets = Ok(vec![])
        }),
        (Area::Rule, "its 1 target(s) are elsewhere", |f| {
            f.triggers[0].targets.as_mut().unwrap()[0].arn =
                "arn:aws:lambda:us-east-1:111122223333:function:other".into()
        }),
        (Area::Rule, "dead-letter queue is none", |f| {
            f.triggers[0].targets.as_mut().unwrap()[0].dead_letter_arn = None
        }),
        (Area::Rule, "could not be read: its targets", |f| {
            f.triggers[0].targets = Err("AccessDenied".into())
        }),
        (Area::Rule, "does not target the central bus", |f| {
            f.triggers[2].targets.as_mut().unwrap()[0].arn =
                "arn:aws:events:us-east-1:999999999999:event-bus/elsewhere".into()
        }),
        (Area::Rule, "no role to invoke with", |f| {
            f.triggers[2].targets.as_mut().unwrap()[0].role_arn = None
        }),
        (Area::Schedule, "no role to invoke with", |f| {
            f.triggers[1].targets.as_mut().unwrap()[0].role_arn = None
        }),
        (Area::Schedule, "not the stack's", |f| {
            f.triggers[1].targets.as_mut().unwrap()[0].role_arn =
                Some("arn:aws:iam::111122223333:role/other".into())
        }),
        (Area::Schedule, "it does not target its function", |f| {
            f.triggers[1].targets.as_mut().unwrap()[0].arn = "arn:aws:sqs:x".into()
        }),
        (
            Area::Alarm,
            "enable-alarm-actions --alarm-names macie-guard-SweepOverdueAlarm-1",
            |f| f.alarms.as_mut().unwrap()[0].actions_enabled = false,
        ),
        (Area::Alarm, "does not tell the stack's topic", |f| {
            f.alarms.as_mut().unwrap()[0].actions = vec![]
        }),
        (Area::Topic, "no subscription: nobody is told", |f| {
            f.topic.as_mut().unwrap().confirmed = 0
        }),
        (Area::Topic, "wait for confirmation", |f| {
            let t = f.topic.as_mut().unwrap();
            t.confirmed = 0;
            t.pending = 1;
        }),
    ];
    for (area, says, break_it) in cases {
        let mut f = healthy();
        break_it(&mut f);
        let a = attention(&f);
        assert_eq!(a.len(), 1, "{says}: {a:#?}");
        assert_eq!(a[0].0, area, "{says}");
        assert!(a[0].1.contains(says), "{says}: {}", a[0].1);
    }
}

#[test]
fn what_is_fine_is_not_attention() {
    let mut f = healthy();
    // A change in flight, its lease current; a warning-free export check with info; a newer
    // CLI; Security Hub off; alarms still without data.
    f.journal = Ok(vec![OpenEntry {
        job_id: "j1".into(),
        lease_until: now() + Duration::seconds(30),
    }]);
    f.runs.as_mut().unwrap().records[1].worst = Some(Severity::Info);
    f.cli_version = "0.3.0".into();
    f.security_hub = HubFacts::Off;
    f.alarms.as_mut().unwrap()[0].state = "INSUFFICIENT_DATA".into();
    // A rule's target qualified by a version or alias; a subscription waiting beside one
    // confirmed.
    f.triggers[0].targets.as_mut().unwrap()[0].arn = format!("{EXPIRY_ARN}:live");
    f.topic.as_mut().unwrap().pending = 1;
    let s = judge_status(&f, now());
    assert_eq!(s.attention, 0, "{:#?}", s.checks);
    let stack = &s.checks[0];
    assert!(
        stack.detail.contains("(this CLI is 0.3.0)"),
        "{}",
        stack.detail
    );
}

#[test]
fn a_new_stack_owes_no_run_before_it_existed() {
    let mut f = healthy();
    f.stack.created = Some(now() - Duration::minutes(20));
    f.runs = Ok(RunLogFacts {
        records: vec![],
        watched_since: None,
        members: vec![],
    });
    assert!(attention(&f).is_empty());
    // A month without a sweep is overdue.
    f.stack.created = Some(now() - Duration::days(30));
    let a = attention(&f);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(a.iter().all(|(area, _)| *area == Area::Run));
}

/// The alarms' line claims they tell the topic only where the topic was known and checked.
#[test]
fn the_alarms_line_claims_only_what_was_checked() {
    let s = judge_status(&healthy(), now());
    let line = s.checks.iter().find(|c| c.name == "alarms").unwrap();
    assert!(
        line.detail.contains("each telling the topic"),
        "{}",
        line.detail
    );
    let mut f = healthy();
    f.wiring.topic_arn = None;
    let s = judge_status(&f, now());
    let line = s.checks.iter().find(|c| c.name == "alarms").unwrap();
    assert!(!line.detail.contains("telling"), "{}", line.detail);
}

/// A hub's members: a run that reached every member is one fine line; an account-Region it
/// could not reach is a line needing attention with the refusal, and more than it keeps are
/// counted.
#[test]
fn a_hubs_unreached_members_are_lines_of_their_own() {
    use crate::hub::{MembersSeen, UnreachedRow};
    let mut f = healthy();
    let row = |a: &str| UnreachedRow {
        account: a.into(),
        region: "eu-west-1".into(),
        code: "AccessDenied".into(),
        reason: "cannot assume arn:aws:iam::222222222222:role/macie-guard-member\n\u{1b}[2J".into(),
    };
    if let Ok(log) = &mut f.runs {
        log.members = vec![
            MembersSeen {
                run: "export-check".into(),
                at: now() - Duration::hours(1),
                units: 34,
                unreached: vec![],
                more: 0,
                not_done: vec![],
                more_not_done: 0,
            },
            MembersSeen {
                run: "sweep".into(),
                at: now() - Duration::hours(2),
                units: 34,
                unreached: vec![row("222222222222")],
                more: 3,
                not_done: vec![],
                more_not_done: 0,
            },
        ];
    }
    let s = judge_status(&f, now());
    let members: Vec<&Check> = s
        .checks
        .iter()
        .filter(|c| c.area == Area::Members)
        .collect();
    assert_eq!(members.len(), 3, "{members:#?}");
    assert!(
        !members[0].attention
            && members[0]
                .detail
                .contains("reached every member account-Region (34)")
    );
    assert!(members[1].attention && members[1].name == "222222222222 eu-west-1");
    assert!(
        members[1].detail.contains("AccessDenied") && !members[1].detail.contains('\u{1b}'),
        "{}",
        members[1].detail
    );
    assert!(members[2].attention && members[2].detail.starts_with("and 3 more"));
    assert_eq!(s.attention, 2);
    // A run that handed account-Regions to its work queue did not reach every one itself.
    if let Ok(log) = &mut f.runs {
        log.members[0].not_done = vec![UnreachedRow {
            code: "queued".into(),
            reason: "handed to the work queue".into(),
            ..row("333333333333")
        }];
    }
    let s = judge_status(&f, now());
    let first = s.checks.iter().find(|c| c.area == Area::Members).unwrap();
    assert!(
        !first.detail.contains("reached every") && first.detail.contains("did not finish 1 of 34"),
        "{}",
        first.detail
    );
}
