//! `macie-guard status` and `org status` as text: a line per check, the ones that need
//! attention first said as such; every value from AWS escaped.

use crate::operator::org::{Guarded, Reach, Row};
use crate::operator::status::Status;
use crate::text::safe_short;

/// One account and Region: a heading, then each check (`ok` or `ATTENTION`), then the count.
pub fn status_text(s: &Status, account: &str, region: &str) -> String {
    let mut out = format!(
        "macie-guard in account {account}, {}: stack {} ({})\n",
        safe_short(region, 30),
        safe_short(&s.stack, 128),
        safe_short(&s.stack_status, 40)
    );
    for c in &s.checks {
        out.push_str(&format!(
            "  {:<9}  {:<12}  {:<40}  {}\n",
            if c.attention { "ATTENTION" } else { "ok" },
            c.area.as_str(),
            safe_short(&c.name, 40),
            safe_short(&c.detail, 600)
        ));
    }
    out.push_str(&match s.attention {
        0 => "healthy: nothing needs attention\n".to_string(),
        n => format!("{n} check(s) need attention\n"),
    });
    out
}

/// `org status`: one line per account and Region: healthy, or how many checks need attention
/// and the first of them.
pub fn org_status_table(rows: &[Row<Status>]) -> String {
    let mut out = format!(
        "{:<12}  {:<14}  {:<9}  {:<9}  STATE\n",
        "ACCOUNT", "REGION", "VERSION", "ATTENTION"
    );
    let mut attention = 0;
    let mut unreachable = 0;
    for r in rows {
        let head = format!("{:<12}  {:<14}", r.account, safe_short(&r.region, 14));
        match &r.reach {
            Reach::Unreachable { reason } => {
                unreachable += 1;
                out.push_str(&format!(
                    "{head}  {:<9}  {:<9}  unreachable: {}\n",
                    "-",
                    "-",
                    safe_short(reason, 400)
                ));
            }
            Reach::Skipped { reason } => out.push_str(&format!(
                "{head}  {:<9}  {:<9}  not read: {}\n",
                "-",
                "-",
                safe_short(reason, 400)
            )),
            Reach::Read { result } => {
                let version = result.version.as_deref().unwrap_or("?");
                let state = match result.checks.iter().find(|c| c.attention) {
                    None => "healthy".to_string(),
                    Some(c) => {
                        attention += 1;
                        format!(
                            "{} {}: {}",
                            c.area.as_str(),
                            safe_short(&c.name, 60),
                            safe_short(&c.detail, 300)
                        )
                    }
                };
                out.push_str(&format!(
                    "{head}  {:<9}  {:<9}  {state}\n",
                    safe_short(version, 9),
                    result.attention
                ));
            }
        }
    }
    out.push_str(&format!(
        "{} account-Region(s): {attention} need attention, {unreachable} unreachable\n",
        rows.len()
    ));
    out
}

/// `org status --hub`: one line per member account-Region, as the hub last saw it.
pub fn hub_members_table(rows: &[Row<Guarded>]) -> String {
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("none yet".to_string(), |t| {
            t.format("%Y-%m-%d %H:%M UTC").to_string()
        })
    };
    let mut out = format!("{:<12}  {:<14}  STATE\n", "ACCOUNT", "REGION");
    let (mut guarded, mut not_yet, mut unreachable, mut skipped) = (0, 0, 0, 0);
    for r in rows {
        let head = format!("{:<12}  {:<14}", r.account, safe_short(&r.region, 14));
        let state = match &r.reach {
            Reach::Unreachable { reason } => {
                unreachable += 1;
                format!("unreachable: {}", safe_short(reason, 400))
            }
            Reach::Skipped { reason } => {
                skipped += 1;
                format!("not guarded: {}", safe_short(reason, 400))
            }
            Reach::Read { result } => {
                // "guarded" only where both runs did this account-Region.
                let label = if result.sweep.is_some() && result.export_check.is_some() {
                    guarded += 1;
                    "guarded"
                } else {
                    not_yet += 1;
                    "not yet guarded"
                };
                let mut s = format!(
                    "{label}: sweep {}, export check {}",
                    when(result.sweep),
                    when(result.export_check)
                );
                if let Some(n) = &result.note {
                    s.push_str(&format!(" ({})", safe_short(n, 300)));
                }
                s
            }
        };
        out.push_str(&format!("{head}  {state}\n"));
    }
    out.push_str(&format!(
        "{} account-Region(s): {guarded} guarded, {not_yet} not yet, {unreachable} unreachable, {skipped} not guarded\n",
        rows.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::status::{Area, Check};

    fn status(attention: bool, name: &str) -> Status {
        Status {
            stack: "macie-guard".into(),
            stack_status: "UPDATE_COMPLETE".into(),
            version: Some("0.2.0".into()),
            cli_version: "0.2.0".into(),
            attention: usize::from(attention),
            checks: vec![Check {
                area: Area::Rule,
                name: name.into(),
                attention,
                detail: "DISABLED".into(),
            }],
        }
    }

    #[test]
    fn a_check_needing_attention_says_so_and_names_are_escaped() {
        let text = status_text(
            &status(true, "rule\n\u{1b}[31mred"),
            "111122223333",
            "us-east-1",
        );
        assert!(text.contains("ATTENTION  rule"), "{text}");
        assert!(text.ends_with("1 check(s) need attention\n"), "{text}");
        assert!(!text.contains('\u{1b}'), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
        let fine = status_text(&status(false, "r"), "111122223333", "us-east-1");
        assert!(
            fine.ends_with("healthy: nothing needs attention\n"),
            "{fine}"
        );
    }

    #[test]
    fn the_org_table_has_a_line_per_account_region() {
        let rows = vec![
            Row {
                account: "111122223333".into(),
                name: None,
                region: "us-east-1".into(),
                reach: Reach::Read {
                    result: status(false, "r"),
                },
            },
            Row {
                account: "444455556666".into(),
                name: None,
                region: "us-east-1".into(),
                reach: Reach::Read {
                    result: status(true, "r"),
                },
            },
            Row {
                account: "777788889999".into(),
                name: None,
                region: "us-east-1".into(),
                reach: Reach::Unreachable {
                    reason: "AccessDenied".into(),
                },
            },
        ];
        let t = org_status_table(&rows);
        assert!(
            t.contains("111122223333  us-east-1       0.2.0      0          healthy"),
            "{t}"
        );
        assert!(t.contains("rule r: DISABLED"), "{t}");
        assert!(
            t.ends_with("3 account-Region(s): 1 need attention, 1 unreachable\n"),
            "{t}"
        );
    }
}
