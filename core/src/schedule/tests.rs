use super::liveness::{judge, Liveness, GRACE, SLACK};
use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn cron(body: &str) -> Schedule {
    format!("cron({body})").parse().unwrap()
}

fn latest(body: &str, t: &str) -> Option<String> {
    cron(body)
        .due_by(at(t))
        .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
}

/// The stack's defaults and the Scheduler User Guide's examples parse.
#[test]
fn rates_and_crons_as_scheduler_takes_them() {
    for e in [
        "rate(6 hours)",
        "rate(1 day)",
        "rate(1 minute)",
        "rate(5 minutes)",
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 ? * 6L *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 LW * ? 2026-2030)",
        "cron(30 2 ? JAN,JUL SUN *)",
    ] {
        assert!(e.parse::<Schedule>().is_ok(), "{e}");
    }
    assert_eq!(
        "rate(6 hours)".parse::<Schedule>().unwrap(),
        Schedule::Rate {
            every: Duration::hours(6)
        }
    );
}

/// What Scheduler refuses is refused here, with the expression and the reason.
#[test]
fn malformed_expressions_say_what_is_wrong() {
    for (e, why) in [
        ("rate(0 hours)", "positive"),
        ("rate(1 hours)", "unit"),
        ("rate(2 hour)", "unit"),
        ("rate(6 weeks)", "unit"),
        ("rate(6)", "value and a unit"),
        ("cron(0 10 * * *)", "six fields"),
        ("cron(0 10 * * * *)", "both be given"),
        ("cron(0 10 ? * ? *)", "must be given"),
        ("cron(60 10 * * ? *)", "minute \"60\""),
        ("cron(0 24 * * ? *)", "hour"),
        ("cron(0 10 32 * ? *)", "day-of-month"),
        ("cron(0 10 ? * 8 *)", "day-of-week"),
        ("cron(0 10 ? * 2#6 *)", "1 to 5"),
        ("cron(0 10 * FOO ? *)", "month"),
        ("cron(0 10-5 * * ? *)", "backwards"),
        ("at(2026-01-01T00:00:00)", "neither"),
        ("", "neither"),
    ] {
        let err = e.parse::<Schedule>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(why), "{e}: {msg}");
        assert!(
            msg.contains(&format!("{e:?}")),
            "{e}: names the expression: {msg}"
        );
    }
}

#[test]
fn latest_firing_of_crons() {
    // Daily at 10:00.
    assert_eq!(
        latest("0 10 * * ? *", "2026-12-02T16:46:00Z").as_deref(),
        Some("2026-12-02T10:00")
    );
    assert_eq!(
        latest("0 10 * * ? *", "2026-12-02T09:59:59Z").as_deref(),
        Some("2026-12-01T10:00")
    );
    assert_eq!(
        latest("0 10 * * ? *", "2026-12-02T10:00:00Z").as_deref(),
        Some("2026-12-02T10:00")
    );
    // Every 10 minutes on weekdays: Wednesday 2 December 2026; Sunday 6 December goes back to Friday.
    assert_eq!(
        latest("0/10 * ? * MON-FRI *", "2026-12-02T16:46:00Z").as_deref(),
        Some("2026-12-02T16:40")
    );
    assert_eq!(
        latest("0/10 * ? * MON-FRI *", "2026-12-06T12:00:00Z").as_deref(),
        Some("2026-12-04T23:50")
    );
    // The first Monday (2#1) of the month at 09:00: 7 December 2026 is not yet, 2 November is.
    assert_eq!(
        latest("0 9 ? * 2#1 *", "2026-12-06T12:00:00Z").as_deref(),
        Some("2026-11-02T09:00")
    );
    // The last day of the month.
    assert_eq!(
        latest("0 0 L * ? *", "2026-12-02T00:00:00Z").as_deref(),
        Some("2026-11-30T00:00")
    );
    assert_eq!(
        latest("0 0 L * ? *", "2028-03-01T00:00:00Z").as_deref(),
        Some("2028-02-29T00:00")
    );
    // The last Friday (6L) of the month: 27 November 2026.
    assert_eq!(
        latest("0 0 ? * 6L *", "2026-12-02T00:00:00Z").as_deref(),
        Some("2026-11-27T00:00")
    );
    // The weekday nearest the 15th: 15 November 2026 is a Sunday, so Monday the 16th.
    assert_eq!(
        latest("0 0 15W * ? *", "2026-12-02T00:00:00Z").as_deref(),
        Some("2026-11-16T00:00")
    );
    // The last weekday: 31 October 2026 is a Saturday, so Friday the 30th.
    assert_eq!(
        latest("0 0 LW * ? *", "2026-11-15T00:00:00Z").as_deref(),
        Some("2026-10-30T00:00")
    );
    // The weekday nearest the 1st when it is a Saturday (1 August 2026): Monday the 3rd.
    assert_eq!(
        latest("0 0 1W * ? *", "2026-08-20T00:00:00Z").as_deref(),
        Some("2026-08-03T00:00")
    );
    // Twice a year, Sundays: the latest Sunday of July 2026 is the 26th.
    assert_eq!(
        latest("30 2 ? JAN,JUL SUN *", "2026-12-02T00:00:00Z").as_deref(),
        Some("2026-07-26T02:30")
    );
    // Years to come only: nothing is due yet.
    assert_eq!(latest("0 0 1 1 ? 2030", "2026-12-02T00:00:00Z"), None);
}

/// Brute force, minute by minute, agrees with the search for every expression and instant tried.
#[test]
fn latest_firing_agrees_with_a_minute_by_minute_search() {
    let exprs = [
        "0 10 * * ? *",
        "*/7 3-5 ? * TUE,THU *",
        "0 0 L * ? *",
        "0 12 ? * 4L *",
        "15 6 10W * ? *",
        "0 0 ? * 7#2 *",
        "45 23 LW * ? *",
        "0 0/6 * * ? *",
    ];
    let mut t = at("2026-01-01T00:00:00Z");
    for i in 0..40 {
        t += Duration::minutes(9_973 + i * 617);
        for e in exprs {
            let c = cron(e);
            let Schedule::Cron(inner) = &c else {
                unreachable!()
            };
            let mut probe = t - Duration::seconds(t.timestamp() % 60);
            let want = loop {
                let d = probe.date_naive();
                if inner.day_allowed(d)
                    && inner.hours[probe.hour() as usize]
                    && inner.minutes[probe.minute() as usize]
                {
                    break probe;
                }
                probe -= Duration::minutes(1);
            };
            assert_eq!(c.due_by(t), Some(want), "{e} at {t}");
        }
    }
}

#[test]
fn a_rate_is_due_one_interval_back() {
    let s: Schedule = "rate(6 hours)".parse().unwrap();
    let now = at("2026-12-02T12:00:00Z");
    assert_eq!(s.due_by(now), Some(at("2026-12-02T06:00:00Z")));
}

fn judged(expr: &str, last: Option<&str>, since: &str, now: &str) -> Liveness {
    judge(&expr.parse(), last.map(at), at(since), at(now))
}

#[test]
fn overdue_after_one_interval_and_the_grace_without_a_success() {
    let since = "2026-11-01T00:00:00Z";
    // Swept at 06:00, every 6 hours: on time until 12:15, overdue after.
    let last = Some("2026-12-02T06:00:00Z");
    assert!(!judged("rate(6 hours)", last, since, "2026-12-02T12:15:00Z").overdue());
    let l = judged("rate(6 hours)", last, since, "2026-12-02T12:16:01Z");
    assert!(l.overdue(), "{l:?}");
    assert!(matches!(
        l,
        Liveness::Overdue {
            last_started: Some(_),
            ..
        }
    ));
    // A cron at 10:00 daily: yesterday's run is fine until today 10:15.
    let last = Some("2026-12-01T10:00:20Z");
    assert!(!judged("cron(0 10 * * ? *)", last, since, "2026-12-02T10:14:00Z").overdue());
    assert!(judged("cron(0 10 * * ? *)", last, since, "2026-12-02T10:16:00Z").overdue());
    // A run that started a few seconds before the firing (clocks) counts.
    let last = Some("2026-12-02T09:59:30Z");
    assert!(!judged("cron(0 10 * * ? *)", last, since, "2026-12-02T16:00:00Z").overdue());
}

#[test]
fn a_new_stack_owes_nothing_before_it_was_watched() {
    // Deployed at 11:00 with a daily 10:00 cron: nothing owed until tomorrow 10:15.
    let since = "2026-12-02T11:00:00Z";
    assert!(!judged("cron(0 10 * * ? *)", None, since, "2026-12-03T10:14:00Z").overdue());
    assert!(judged("cron(0 10 * * ? *)", None, since, "2026-12-03T10:16:00Z").overdue());
    // A rate: one interval and the grace after the watch began.
    let t = at(since) + Duration::hours(6) + GRACE + SLACK;
    assert!(!judge(&"rate(6 hours)".parse(), None, at(since), t).overdue());
    assert!(judge(
        &"rate(6 hours)".parse(),
        None,
        at(since),
        t + Duration::seconds(1)
    )
    .overdue());
}

#[test]
fn an_expression_that_cannot_be_read_is_reported_not_trusted() {
    let l = judged(
        "cron(bad)",
        None,
        "2026-12-02T11:00:00Z",
        "2026-12-02T12:00:00Z",
    );
    assert!(l.overdue());
    let Liveness::Unreadable { error } = l else {
        panic!()
    };
    assert!(error.contains("cron(bad)"), "{error}");
}
