//! How the expiry guard's outcome is told: the message people get, the events for the
//! default bus, the metrics, and the CLI's text. Values from AWS stay exact in the JSON and are
//! escaped ([`safe`]) wherever they become readable text.

use crate::expiry::recreate::{command, recreatable, shell_safe};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::delivery::Delivery;
use crate::expiry::outcome::{JobReport, Outcome, PausedJob, Summary};
use crate::expiry::plan::Plan;
use crate::expiry::policy::POLICY_TAG;
use crate::scope::Scope;
use crate::severity::Severity;
use crate::tell::events::{GuardEvent, JOB_DECISION, SCHEMA_VERSION};
use crate::tell::metrics::Counts;
use crate::tell::notification::Notification;
use crate::text::{safe, safe_short};

/// The message people get about an invocation: `None` when nothing needs telling. One line
/// per job (at most 50, the rest counted), every value from AWS or an event escaped.
pub fn notification(s: &Summary) -> Option<Notification> {
    /// Jobs listed one by one in a message; the rest are counted.
    const LISTED: usize = 50;
    let order = [
        (Outcome::Failed, "failed"),
        (Outcome::Lost, "lost"),
        (Outcome::Notified, "expiring, no action"),
        (Outcome::Done, "changed"),
        (Outcome::DryRun, "would change (dry run)"),
        (Outcome::Warned, "warning"),
        (Outcome::NotFound, "not found"),
        (Outcome::Busy, "held by another run"),
    ];
    let failed_or_told = s.jobs.iter().any(|j| j.outcome.tells_people());
    let mut told: Vec<&JobReport> = s.jobs.iter().filter(|j| j.outcome.tells_people()).collect();
    if !failed_or_told && s.deferred == 0 {
        return None;
    }
    told.sort_by_key(|j| order.iter().position(|(o, _)| *o == j.outcome));
    let mut parts = Vec::new();
    let mut counts = serde_json::Map::new();
    for (outcome, word) in order {
        let n = s.count(outcome);
        if n > 0 {
            parts.push(format!("{n} {word}"));
            counts.insert(outcome.as_str().into(), json!(n));
        }
    }
    let worst = told.iter().map(|j| j.outcome.severity()).max();
    let severity = match worst {
        Some(Severity::Critical) => Severity::Critical,
        _ if s.deferred > 0 => Severity::Warning,
        Some(w) => w,
        None => Severity::Info,
    };
    if s.deferred > 0 {
        parts.push(format!("{} left for the next sweep", s.deferred));
        counts.insert("deferred".into(), json!(s.deferred));
    }
    let subject = format!(
        "Macie paused jobs in {} {}: {}",
        s.account,
        s.region,
        parts.join(", ")
    );
    let mut text = format!(
        "macie-guard looked at paused Amazon Macie jobs in account {} ({}), trigger {}{}.\n\
         A job paused while running is cancelled (or loses its run) 30 days after the pause.\n",
        s.account,
        s.region,
        s.trigger,
        if s.dry_run {
            ", DRY RUN: nothing was changed"
        } else {
            ""
        }
    );
    let listed = &told[..told.len().min(LISTED)];
    for j in listed {
        // One line per job: every value from AWS or an event is escaped.
        text.push_str(&format!(
            "\n- [{}] {}",
            j.outcome.as_str(),
            safe(&j.message())
        ));
        if recreatable(j) {
            text.push_str(&format!(
                "\n  bring it back, once: {}",
                command(&j.job_id, &safe(&s.region))
            ));
        }
    }
    if s.deferred > 0 {
        text.push_str(&format!(
            "\n\n{} job(s) in the window were not looked at: {}. The next sweep takes them.",
            s.deferred,
            if s.stopped {
                "the run was stopped by its operator"
            } else {
                "the invocation's time budget ran out"
            }
        ));
    }
    if told.len() > listed.len() {
        text.push_str(&format!(
            "\n\n... and {} more job(s), listed in the function's log (one line per job) and its result.",
            told.len() - listed.len()
        ));
    }
    let facts = json!({
        "account": s.account, "region": s.region, "trigger": s.trigger, "dryRun": s.dry_run,
        "counts": counts, "jobs": listed, "jobsNotListed": told.len() - listed.len(),
        "deferred": s.deferred, "recovered": s.recovered,
    });
    let has = |o: Outcome| told.iter().any(|j| j.outcome == o);
    let mut next_steps = Vec::new();
    if has(Outcome::Notified) || has(Outcome::Warned) {
        next_steps.push(format!("Resume the jobs you want to keep, or tag them {POLICY_TAG}=resume, keep-paused or cancel so that macie-guard acts on them."));
    }
    let recreatable: Vec<String> = told
        .iter()
        .filter(|j| recreatable(j))
        .map(|j| command(&safe(&j.job_id), &safe(&s.region)))
        .collect();
    if !recreatable.is_empty() {
        let shown = &recreatable[..recreatable.len().min(5)];
        let more = if recreatable.len() > shown.len() {
            format!(
                " (and {} more, in the function's result)",
                recreatable.len() - shown.len()
            )
        } else {
            String::new()
        };
        next_steps.push(format!(
            "Recreate each lost job, once, from its definition: {}{more}.",
            shown.join("; ")
        ));
    } else if has(Outcome::Lost) {
        next_steps.push("A recurring job lost only its paused run: it runs on its schedule; nothing to recreate.".to_string());
    }
    if has(Outcome::Failed) {
        next_steps.push(
            "See why the failed jobs failed in the function's log; the next run tries them again."
                .to_string(),
        );
    }
    if has(Outcome::DryRun) {
        next_steps
            .push("This was a dry run: set DryRun to false to let macie-guard act.".to_string());
    }
    if s.deferred > 0 {
        next_steps.push(
            "The next sweep takes the jobs left over; if this repeats, raise SweepConcurrency."
                .to_string(),
        );
    }
    let scope = Scope::new(s.account.as_str(), s.region.as_str());
    // A message about one job a person can act on carries it for the chat channel's buttons
    // (`tell::chat::ACTIONS`): one expiring with no action, else one lost that can come back.
    let expiring: Vec<&&JobReport> = told
        .iter()
        .filter(|j| j.outcome == Outcome::Notified)
        .collect();
    let lost: Vec<&&JobReport> = told
        .iter()
        .filter(|j| crate::expiry::recreate::recreatable(j))
        .collect();
    let offered = match (expiring.as_slice(), lost.as_slice()) {
        ([j], _) => Some(("expiring", j)),
        ([], [j]) => Some(("lost", j)),
        _ => None,
    };
    let mut context = std::collections::BTreeMap::new();
    if let Some((offer, j)) = offered.filter(|(_, j)| !s.dry_run && shell_safe(&j.job_id)) {
        context.insert("offer", offer.to_string());
        context.insert("account", s.account.clone());
        context.insert("region", s.region.clone());
        context.insert("jobId", j.job_id.clone());
        context.insert("jobArn", scope.job_arn(&j.job_id));
    }
    Some(Notification {
        subject,
        text,
        facts,
        kind: "expiry",
        severity,
        thread: format!("macie-guard/expiry/{}/{}", s.account, s.region),
        next_steps,
        resources: listed.iter().map(|j| scope.job_arn(&j.job_id)).collect(),
        context,
    })
}

/// The run's events for the default bus: one `Macie Guard Job Decision` per job the
/// notification names (the same jobs, the same facts, values exact and JSON-escaped).
pub fn events(s: &Summary) -> Vec<GuardEvent> {
    let scope = Scope::new(s.account.as_str(), s.region.as_str());
    s.jobs
        .iter()
        .filter(|j| j.outcome.tells_people())
        .map(|j| {
            let arn = scope.job_arn(&j.job_id);
            let mut detail = json!({
                "schemaVersion": SCHEMA_VERSION,
                "account": s.account,
                "region": s.region,
                "trigger": s.trigger,
                "dryRun": s.dry_run,
                "jobId": j.job_id,
                "jobArn": arn,
                "jobName": j.name,
                "jobType": j.job_type,
                "status": j.status,
                "pausedAt": j.paused_at,
                "expiresAt": j.expires_at,
                "daysLeft": j.days_left,
                "policy": j.policy,
                "policySource": j.policy_source,
                "action": j.action,
                "outcome": j.outcome,
                "severity": j.outcome.severity(),
                // Why, as a stable code (docs/integrating.md lists every one).
                "reason": j.reason.code(),
                // The sentence people read, escaped as in the message; the values above exact.
                "message": safe(&j.message()),
            });
            if let Some(d) = &j.definition {
                detail["definition"] = d.clone();
            }
            if recreatable(j) {
                detail["recreate"] = json!(command(&j.job_id, &s.region));
            }
            let mut resources = vec![arn];
            if let Some(new) = &j.recreated {
                detail["recreated"] =
                    json!({"jobId": new.job_id, "jobArn": new.job_arn, "jobName": new.name});
                resources.push(new.job_arn.clone());
            }
            GuardEvent::new(JOB_DECISION, resources, detail)
        })
        .collect()
}

/// The decisions as metrics (EMF, namespace MacieGuard): one count per action and outcome.
pub fn metrics(s: &Summary) -> Counts {
    let mut counts = Counts::default();
    for j in &s.jobs {
        counts.add(&[
            ("Action", j.action.as_str()),
            ("Outcome", j.outcome.as_str()),
        ]);
    }
    counts
}

/// A run's result in one line (the run log, `macie-guard status`).
pub fn run_result(s: &Summary) -> String {
    let mut out = format!(
        "{} paused job(s) scanned, {} handled",
        s.scanned,
        s.jobs.len()
    );
    if s.deferred > 0 {
        out.push_str(&format!(", {} left for the next sweep", s.deferred));
    }
    out
}

/// The run in one line with what became of each job (a dead letter's replay): "1 paused
/// job(s) scanned, 1 handled: [ignored] ... is excluded from macie-guard (EXCLUDE_JOBS) ...".
pub fn run_result_with_jobs(s: &Summary) -> String {
    let mut out = run_result(s);
    for (i, j) in s.jobs.iter().enumerate() {
        out.push_str(if i == 0 { ": " } else { "; " });
        out.push_str(&format!("[{}] {}", j.outcome.as_str(), j.message()));
    }
    out
}

/// The readable report of a run (the CLI): one line for the run, one per job, every value
/// escaped.
pub fn summary_text(s: &Summary, delivery: &Delivery) -> String {
    let mut out = format!(
        "{} in {} {}: {} paused job(s) scanned, {} handled{}\n",
        safe(&s.trigger),
        safe(&s.account),
        safe(&s.region),
        s.scanned,
        s.jobs.len(),
        if s.dry_run { " (dry run)" } else { "" }
    );
    for j in &s.jobs {
        out.push_str(&format!(
            "  [{:<12}] {}\n",
            j.outcome.as_str(),
            safe(&j.message())
        ));
    }
    for i in &s.ignored {
        out.push_str(&format!("  [ignored     ] {}\n", safe(i)));
    }
    if let Some(e) = &s.elsewhere {
        out.push_str(&format!("  [elsewhere   ] {}\n", safe(e)));
    }
    if s.deferred > 0 {
        out.push_str(&format!(
            "  {} job(s) left for the next sweep ({})\n",
            s.deferred,
            if s.stopped { "stopped" } else { "time budget" }
        ));
    }
    if let Some(h) = &delivery.security_hub {
        out.push_str(&format!("{}\n", h.line()));
    }
    out
}

/// The CLI's `jobs` table: one row per paused job, names escaped and cut to their column.
pub fn jobs_table(jobs: &[PausedJob]) -> String {
    let mut out = format!(
        "{:<32}  {:<28}  {:<16}  {:<16}  {:>9}  {:<11}  PLAN\n",
        "JOB ID", "NAME", "PAUSED", "EXPIRES", "DAYS LEFT", "POLICY"
    );
    let t = |d: Option<DateTime<Utc>>| {
        d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into())
    };
    for j in jobs {
        let plan = match &j.plan {
            Plan::Warn { act_at, .. } => format!("warn; act {}", act_at.format("%Y-%m-%d %H:%M")),
            p => p.label().to_string(),
        };
        out.push_str(&format!(
            "{:<32}  {:<28}  {:<16}  {:<16}  {:>9}  {:<11}  {}\n",
            safe_short(&j.job.job_id, 32),
            safe_short(&j.job.name, 28),
            t(j.job.paused_at),
            t(j.job.expires_at),
            j.days_left
                .map(|d| format!("{d:.1}"))
                .unwrap_or_else(|| "-".into()),
            j.policy.as_str(),
            plan
        ));
    }
    out.push_str(&format!("{} paused job(s)\n", jobs.len()));
    // Each job's ARN is this with its id (the tag commands take it; --json gives each whole).
    if let Some(j) = jobs.first() {
        if let Some(prefix) = j.arn.strip_suffix(&j.job.job_id) {
            out.push_str(&format!("job ARN: {}<JOB ID>\n", safe(prefix)));
        }
    }
    out
}
