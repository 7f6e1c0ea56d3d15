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
            },
            TriggerFacts {
                kind: TriggerKind::Schedule,
                logical_id: "ExpiryGuardFunctionSweep".into(),
                name: "macie-guard-Sweep-1".into(),
                state: Ok("ENABLED".into()),
            },
        ],
        alarms: Ok(vec![AlarmFacts {
            name: "macie-guard-SweepOverdueAlarm-1".into(),
            state: "OK".into(),
            reason: "fine".into(),
        }]),
        dead_letters: Ok(0),
        journal: Ok(vec![]),
        runs: Ok(RunLogFacts {
            records: vec![
                record(RunKind::Sweep, now() - Duration::hours(2), None),
                record(RunKind::ExportCheck, now() - Duration::hours(3), None),
            ],
            watched_since: Some(now() - Duration::days(30)),
        }),
        schedules: Schedules {
            sweep: "rate(6 hours)".into(),
            export_check: "rate(1 day)".into(),
        },
        security_hub: HubFacts::On(Ok(true)),
    }
}

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
    });
    assert!(attention(&f).is_empty());
    // A month without a sweep is overdue.
    f.stack.created = Some(now() - Duration::days(30));
    let a = attention(&f);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(a.iter().all(|(area, _)| *area == Area::Run));
}
