//! How the organization view is told: the tables the CLI prints, the line saying whose
//! settings its plans are under, and the progress bar. Every value escaped.

use crate::expiry::outcome::PausedJob;
use crate::expiry::plan::Plan;
use crate::export::outcome::RegionReport;
use crate::operator::org::{unreachable, worst, PlanSettings, Reach, Row};
use crate::severity::Severity;
use crate::text::safe_short;

/// The line above `org jobs`' table: whose settings its plans are decided under.
pub fn settings_line(settings: &PlanSettings) -> String {
    format!(
            "Plans under this operator's settings (default policy {}, warn {} and act {} day(s) before expiry), not each account's stack's: a job's own tag is read, a stack's DefaultPolicy and windows are not.\n",
            settings.default_policy, settings.warning_window_days, settings.action_window_days
        )
}

fn head(r: &Row<impl Sized>) -> String {
    format!("{:<12}  {:<14}", r.account, safe_short(&r.region, 14))
}

fn unreachable_line<T>(r: &Row<T>, reason: &str) -> String {
    format!("{}  unreachable: {}\n", head(r), safe_short(reason, 400))
}

fn skipped_line<T>(r: &Row<T>, reason: &str) -> String {
    format!("{}  not read: {}\n", head(r), safe_short(reason, 400))
}

/// `org jobs`: one line per paused job, in every account and Region; every value escaped.
pub fn jobs_table(rows: &[Row<Vec<PausedJob>>], settings: &PlanSettings) -> String {
    let mut out = settings_line(settings);
    out.push_str(&format!(
        "{:<12}  {:<14}  {:<32}  {:<24}  {:>9}  {:<11}  PLAN\n",
        "ACCOUNT", "REGION", "JOB ID", "NAME", "DAYS LEFT", "POLICY"
    ));
    let mut jobs = 0;
    for r in rows {
        match &r.reach {
            Reach::Unreachable { reason } => out.push_str(&unreachable_line(r, reason)),
            Reach::Skipped { reason } => out.push_str(&skipped_line(r, reason)),
            Reach::Read { result } if result.is_empty() => {
                out.push_str(&format!("{}  no paused jobs\n", head(r)))
            }
            Reach::Read { result } => {
                for j in result {
                    jobs += 1;
                    let plan = match &j.plan {
                        Plan::Warn { act_at, .. } => {
                            format!("warn; act {}", act_at.format("%Y-%m-%d %H:%M"))
                        }
                        p => p.label().to_string(),
                    };
                    out.push_str(&format!(
                        "{}  {:<32}  {:<24}  {:>9}  {:<11}  {}\n",
                        head(r),
                        safe_short(&j.job.job_id, 32),
                        safe_short(&j.job.name, 24),
                        j.days_left
                            .map(|d| format!("{d:.1}"))
                            .unwrap_or_else(|| "-".into()),
                        j.policy.as_str(),
                        plan
                    ));
                }
            }
        }
    }
    out.push_str(&format!(
        "{jobs} paused job(s) in {} account-Region(s), {} unreachable\n",
        rows.len(),
        unreachable(rows)
    ));
    out
}

/// `org check-export`: one line per finding (or `clean`), in every account and Region.
pub fn export_table(rows: &[Row<RegionReport>]) -> String {
    let mut out = format!(
        "{:<12}  {:<14}  {:<8}  {:<38}  MESSAGE\n",
        "ACCOUNT", "REGION", "SEVERITY", "CODE"
    );
    for r in rows {
        match &r.reach {
            Reach::Unreachable { reason } => out.push_str(&unreachable_line(r, reason)),
            Reach::Skipped { reason } => out.push_str(&skipped_line(r, reason)),
            Reach::Read { result } if result.findings.is_empty() => {
                out.push_str(&format!("{}  clean\n", head(r)))
            }
            Reach::Read { result } => {
                for f in &result.findings {
                    out.push_str(&format!(
                        "{}  {:<8}  {:<38}  {}\n",
                        head(r),
                        f.severity.as_str(),
                        f.code,
                        safe_short(&f.message, 160)
                    ));
                }
            }
        }
    }
    let worst = worst(rows);
    out.push_str(&format!(
        "{} account-Region(s): worst {}, {} unreachable\n",
        rows.len(),
        worst.map(Severity::as_str).unwrap_or("clean"),
        unreachable(rows)
    ));
    out
}

/// The progress bar the CLI draws on a terminal: `[#####.....] 12/40 account-Regions`.
pub fn progress_line(done: usize, total: usize) -> String {
    progress_of(done, total, "account-Regions")
}

/// The same bar for any count: `[#####.....] 12/40 jobs`.
pub fn progress_of(done: usize, total: usize, what: &str) -> String {
    const WIDTH: usize = 30;
    let filled = WIDTH * done.min(total) / total.max(1);
    format!(
        "[{}{}] {done}/{total} {what}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_with_the_rows_read() {
        assert_eq!(
            progress_line(0, 200),
            format!("[{}] 0/200 account-Regions", ".".repeat(30))
        );
        assert_eq!(
            progress_line(100, 200),
            format!(
                "[{}{}] 100/200 account-Regions",
                "#".repeat(15),
                ".".repeat(15)
            )
        );
        assert!(progress_line(200, 200).starts_with(&format!("[{}]", "#".repeat(30))));
        assert_eq!(
            progress_line(0, 0),
            format!("[{}] 0/0 account-Regions", ".".repeat(30))
        );
    }
    use crate::export::facts::ConfigFact;
    use crate::operator::org::sorted;

    fn row<T>(account: &str, region: &str, reach: Reach<T>) -> Row<T> {
        Row {
            account: account.into(),
            name: None,
            region: region.into(),
            reach,
        }
    }

    #[test]
    fn an_unreachable_account_is_a_row_with_its_reason_escaped() {
        let rows = sorted(vec![
            row(
                "222222222222",
                "us-east-1",
                Reach::Unreachable {
                    reason: "AccessDenied:\nnot authorized\u{1b}[2J".into(),
                },
            ),
            row(
                "111111111111",
                "eu-west-1",
                Reach::Read {
                    result: RegionReport {
                        region: "eu-west-1".into(),
                        configuration: ConfigFact::NotSet,
                        findings: vec![],
                        evidence: None,
                    },
                },
            ),
        ]);
        let text = export_table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[1].starts_with("111111111111  eu-west-1"), "{text}");
        assert!(lines[1].ends_with("clean"));
        assert!(lines[2].contains("unreachable: AccessDenied:\\nnot authorized\\u{1b}[2J"));
        assert!(!text.contains('\u{1b}'));
        assert_eq!(lines.len(), 4, "header, two rows, total: {text}");
        assert!(lines[3].contains("1 unreachable"));
        assert_eq!(unreachable(&rows), 1);
        assert_eq!(worst(&rows), None);
        let json = serde_json::to_value(&rows[1]).unwrap();
        assert_eq!(json["status"], "unreachable");
        assert_eq!(json["account"], "222222222222");
    }
}
