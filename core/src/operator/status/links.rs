//! The links from a trigger to a person: each rule and schedule to its function (or the
//! central bus) with the dead-letter queue and a role where one is needed, each alarm's
//! actions to the topic, and someone subscribed to the topic.

use super::{
    check, unreadable, Area, Check, Facts, TargetFacts, TriggerFacts, TriggerKind, FUNCTIONS,
};

pub(super) fn trigger_check(t: &TriggerFacts, f: &Facts) -> Check {
    let area = match t.kind {
        TriggerKind::Rule => Area::Rule,
        TriggerKind::Schedule => Area::Schedule,
    };
    match &t.state {
        Err(why) => return unreadable(area, &t.name, why),
        Ok(s) if s == "ENABLED" => {}
        Ok(s) => {
            let how = match t.kind {
                TriggerKind::Rule => format!("aws events enable-rule --name {}", t.name),
                TriggerKind::Schedule => "enable it (aws scheduler update-schedule ... --state ENABLED), or update the stack, which enables it".to_string(),
            };
            return check(
                area,
                &t.name,
                true,
                format!(
                    "{s} ({}): nothing invokes the function this way; {how}",
                    t.logical_id
                ),
            );
        }
    }
    let targets = match &t.targets {
        Err(why) => return unreadable(area, &t.name, &format!("its targets: {why}")),
        Ok(x) => x,
    };
    let problems = target_problems(t, targets, f);
    if problems.is_empty() {
        check(area, &t.name, false, format!("ENABLED ({})", t.logical_id))
    } else {
        check(
            area,
            &t.name,
            true,
            format!(
                "ENABLED, but {} ({}): deploy the stack again to restore it",
                problems.join("; "),
                t.logical_id
            ),
        )
    }
}

/// What is wrong with where a trigger delivers: its function (the one whose logical id its own
/// starts with, as SAM names a function's events) or, for the forwarding rule, the central bus;
/// with the stack's dead-letter queue; with a role where one is needed.
fn target_problems(t: &TriggerFacts, targets: &[TargetFacts], f: &Facts) -> Vec<String> {
    let mut problems = Vec::new();
    let expected = match FUNCTIONS.iter().find(|l| t.logical_id.starts_with(*l)) {
        Some(l) => f
            .functions
            .iter()
            .find(|x| x.logical_id == *l)
            .map(|x| (format!("its function {}", x.name), x.arn.clone(), false)),
        None => f
            .wiring
            .central_bus_arn
            .clone()
            .map(|b| ("the central bus".to_string(), b, true)),
    };
    let target = match &expected {
        Some((what, arn, _)) => {
            let qualified = format!("{arn}:");
            let hit = targets
                .iter()
                .find(|x| x.arn == *arn || x.arn.starts_with(&qualified));
            if hit.is_none() {
                problems.push(format!(
                    "it does not target {what} ({arn}): what it matches reaches nobody{}",
                    match targets.len() {
                        0 => " (it has no target)".to_string(),
                        n => format!(" (its {n} target(s) are elsewhere)"),
                    }
                ));
            }
            hit
        }
        None if targets.is_empty() => {
            problems.push("it has no target: what it matches reaches nobody".into());
            None
        }
        None => targets.first(),
    };
    let Some(target) = target else {
        return problems;
    };
    if let Some(dlq) = &f.wiring.dead_letter_arn {
        if target.dead_letter_arn.as_deref() != Some(dlq.as_str()) {
            problems.push(format!(
                "its target's dead-letter queue is {} instead of the stack's: an event that cannot be delivered is lost",
                target.dead_letter_arn.as_deref().unwrap_or("none")
            ));
        }
    }
    let needs_role = t.kind == TriggerKind::Schedule || expected.as_ref().is_some_and(|e| e.2);
    if needs_role {
        match (&target.role_arn, &f.wiring.scheduler_role_arn) {
            (None, _) => problems.push("its target has no role to invoke with".into()),
            (Some(role), Some(want)) if t.kind == TriggerKind::Schedule && role != want => problems
                .push(format!(
                    "it invokes with role {role}, not the stack's {want}"
                )),
            _ => {}
        }
    }
    problems
}

pub(super) fn alarm_checks(f: &Facts) -> Vec<Check> {
    let alarms = match &f.alarms {
        Err(why) => return vec![unreadable(Area::Alarm, "alarms", why)],
        Ok(a) => a,
    };
    let needing: Vec<Check> = alarms
        .iter()
        .filter_map(|a| {
            let mut problems = Vec::new();
            if a.state == "ALARM" {
                problems.push(format!("ALARM: {}", a.reason));
            }
            if !a.actions_enabled {
                problems.push(format!(
                    "its actions are disabled: when it fires nobody is told (aws cloudwatch enable-alarm-actions --alarm-names {})",
                    a.name
                ));
            } else if let Some(topic) = &f.wiring.topic_arn {
                if !a.actions.contains(topic) {
                    problems.push(format!(
                        "it does not tell the stack's topic {topic} (its actions: {}): deploy the stack again to restore them",
                        if a.actions.is_empty() { "none".to_string() } else { a.actions.join(", ") }
                    ));
                }
            }
            (!problems.is_empty()).then(|| check(Area::Alarm, &a.name, true, problems.join("; ")))
        })
        .collect();
    if !needing.is_empty() {
        return needing;
    }
    let waiting = alarms
        .iter()
        .filter(|a| a.state == "INSUFFICIENT_DATA")
        .count();
    // Where the topic is not known, the alarms' actions were not judged: said so.
    let telling = if f.wiring.topic_arn.is_some() {
        ", each telling the topic"
    } else {
        ""
    };
    let detail = if waiting > 0 {
        format!(
            "{} alarm(s), none in ALARM{telling} ({waiting} without data yet)",
            alarms.len()
        )
    } else {
        format!("{} alarm(s), none in ALARM{telling}", alarms.len())
    };
    vec![check(Area::Alarm, "alarms", false, detail)]
}

pub(super) fn topic_check(f: &Facts) -> Check {
    let t = match &f.topic {
        Err(why) => return unreadable(Area::Topic, "topic", why),
        Ok(t) => t,
    };
    match (t.confirmed, t.pending) {
        (0, 0) => check(
            Area::Topic,
            &t.arn,
            true,
            "no subscription: nobody is told what the guard does or what its alarms see; deploy with NotificationEmail, or subscribe an address or a chat channel (aws sns subscribe)".into(),
        ),
        (0, p) => check(
            Area::Topic,
            &t.arn,
            true,
            format!("{p} subscription(s) wait for confirmation (the link in the e-mail AWS sent): nobody is told until one is confirmed"),
        ),
        (c, 0) => check(Area::Topic, &t.arn, false, format!("{c} confirmed subscription(s)")),
        (c, p) => check(
            Area::Topic,
            &t.arn,
            false,
            format!("{c} confirmed subscription(s), {p} waiting for confirmation"),
        ),
    }
}
