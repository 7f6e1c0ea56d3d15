//! The operator's organization view, as plain data: one row per account and Region with what
//! was read there (paused jobs, or the export check) or why it could not be read. Its tables
//! are `tell::org`'s; reading is the `macie-guard` crate's `org` module.

use serde::Serialize;

use crate::export::outcome::RegionReport;
use crate::severity::Severity;

/// What one account and Region gave.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Reach<T> {
    /// Read.
    Read { result: T },
    /// The role could not be assumed, or Macie refused or failed: why, and what to do.
    Unreachable { reason: String },
    /// Not read, and nothing is wrong: the organization's management account, where
    /// StackSets never deploy, has no macie-guard stack of its own (why, and what to do).
    Skipped { reason: String },
}

/// One account and Region.
#[derive(Debug, Clone, Serialize)]
pub struct Row<T> {
    pub account: String,
    /// The account's name in the organization, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub region: String,
    #[serde(flatten)]
    pub reach: Reach<T>,
}

/// Rows in a stable order: by account, then Region.
pub fn sorted<T>(mut rows: Vec<Row<T>>) -> Vec<Row<T>> {
    rows.sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    rows
}

/// How many rows could not be read (a skipped management account is not one of them).
pub fn unreachable<T>(rows: &[Row<T>]) -> usize {
    rows.iter()
        .filter(|r| matches!(r.reach, Reach::Unreachable { .. }))
        .count()
}

/// Why an AssumeRole of `role_arn` failed, with advice that fits the error: `code` and
/// `message` as STS answered (after the SDK's retries).
pub fn assume_role_failure(role_arn: &str, code: &str, message: &str) -> String {
    let advice = match code {
        "Throttling" | "ThrottlingException" | "TooManyRequestsException"
        | "RequestLimitExceeded" => {
            "STS throttled it, and the SDK's retries did not get through: run the view again later, or with a lower --concurrency"
        }
        "AccessDenied" | "AccessDeniedException" => {
            "deploy the member stack there with OperatorPrincipalArn naming your role or user (scripts/deploy-members.sh --param OperatorPrincipalArn=...), or check the role's trust policy (it must trust you) and that your credentials may sts:AssumeRole on it"
        }
        "RegionDisabledException" => {
            "STS is not activated in this Region for that account: activate it (IAM account settings) or read another Region"
        }
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "SignatureDoesNotMatch" => {
            "your own credentials were refused: refresh them and run the view again"
        }
        _ => "check the role and your credentials, then run the view again",
    };
    format!("cannot assume {role_arn}: {code}: {message}; {advice}")
}

/// The settings the view's plans are decided under: the operator's, not each stack's (a
/// stack's parameters are not readable through the read-only role).
#[derive(Debug, Clone, Serialize)]
pub struct PlanSettings {
    pub source: &'static str,
    pub default_policy: &'static str,
    pub warning_window_days: i64,
    pub action_window_days: i64,
}

impl PlanSettings {
    pub fn of_operator(config: &crate::expiry::settings::ExpiryConfig) -> PlanSettings {
        PlanSettings {
            source: "operator",
            default_policy: config.default_policy.as_str(),
            warning_window_days: config.windows.warning.num_days(),
            action_window_days: config.windows.action.num_days(),
        }
    }
}

/// The worst severity found anywhere.
pub fn worst(rows: &[Row<RegionReport>]) -> Option<Severity> {
    rows.iter()
        .filter_map(|r| match &r.reach {
            Reach::Read { result } => result.findings.iter().map(|f| f.severity).max(),
            Reach::Unreachable { .. } | Reach::Skipped { .. } => None,
        })
        .max()
}

/// What a hub last saw of one member account-Region it guards (`org status --hub`): when its
/// last sweep and export check ran, each only if it did this account-Region, and why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guarded {
    /// The last sweep's start, if it did this account-Region.
    pub sweep: Option<chrono::DateTime<chrono::Utc>>,
    /// The last export check's start, if it did this account-Region.
    pub export_check: Option<chrono::DateTime<chrono::Utc>>,
    /// Why a run's time is missing (the account joined after it, it did not finish here), or
    /// what makes it uncertain (a run that missed more account-Regions than it names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `org status --hub`: one row per account of the organization and Region the hub guards,
/// from what the hub's own status read (its last runs' members items, its PerAccountStacks),
/// without assuming any role. An account not ACTIVE, or left to a per-account stack, is
/// skipped and says why; an account-Region a run could not reach is unreachable, with the
/// run's time, STS's code and why; the rest are guarded, with their runs' times.
pub fn hub_rows(
    accounts: &[crate::hub::Account],
    regions: &[String],
    hub: &crate::hub::HubConfig,
    seen: &[crate::hub::MembersSeen],
) -> Vec<Row<Guarded>> {
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut rows = Vec::new();
    for account in accounts {
        for region in regions {
            let reach = if account.status != "ACTIVE" {
                Reach::Skipped {
                    reason: format!(
                        "the account is {}: the hub leaves it",
                        crate::text::safe_short(&account.status, 40)
                    ),
                }
            } else if hub.left_to_stack(&account.id, region) {
                Reach::Skipped {
                    reason: crate::hub::LeftWhy::PerAccountStack.sentence(),
                }
            } else if let Some((run, row)) = seen.iter().find_map(|s| {
                s.unreached
                    .iter()
                    .find(|u| u.account == account.id && &u.region == region)
                    .map(|u| (s, u))
            }) {
                Reach::Unreachable {
                    reason: crate::hub::unreached_sentence(run, row),
                }
            } else {
                // Each run's time only where that run did this account-Region: not one that
                // started before the account joined, nor one that left it not done.
                let mut notes = Vec::new();
                let mut covered = |run: &str| {
                    let s = seen.iter().find(|s| s.run == run)?;
                    if account.joined.is_some_and(|j| j > s.at) {
                        notes.push(format!("it joined after the {run} at {}", when(s.at)));
                        return None;
                    }
                    if let Some(n) = s
                        .not_done
                        .iter()
                        .find(|u| u.account == account.id && &u.region == region)
                    {
                        notes.push(format!(
                            "the {run} at {} did not finish it ({}: {})",
                            when(s.at),
                            n.code,
                            crate::text::safe(&n.reason)
                        ));
                        return None;
                    }
                    if s.more > 0 || s.more_not_done > 0 {
                        notes.push(format!(
                            "the {run} at {} missed {} account-Region(s) more than it names; this may be one",
                            when(s.at),
                            s.more + s.more_not_done
                        ));
                    }
                    Some(s.at)
                };
                let sweep = covered("sweep");
                let export_check = covered("export-check");
                Reach::Read {
                    result: Guarded {
                        sweep,
                        export_check,
                        note: (!notes.is_empty()).then(|| notes.join("; ")),
                    },
                }
            };
            rows.push(Row {
                account: account.id.clone(),
                name: account.name.clone(),
                region: region.clone(),
                reach,
            });
        }
    }
    sorted(rows)
}

#[cfg(test)]
mod hub_rows_tests {
    use super::*;
    use crate::hub::{Account, MembersSeen, UnreachedRow};
    use chrono::TimeZone;

    fn hub(per_account: &str) -> crate::hub::HubConfig {
        crate::hub::HubConfig::from_env(&crate::config::env_of(&[
            ("MEMBER_REGIONS", "eu-west-1"),
            ("PER_ACCOUNT_STACKS", per_account),
        ]))
        .unwrap()
        .unwrap()
    }

    fn account(id: &str, status: &str) -> Account {
        Account {
            id: id.into(),
            name: None,
            status: status.into(),
            joined: None,
        }
    }

    /// Each member account-Region is a row: guarded with its runs' times, unreachable with
    /// what the run's AssumeRole said, or skipped (suspended, left to a per-account stack).
    #[test]
    fn every_member_account_region_is_a_row_saying_how_the_hub_sees_it() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
        let seen = vec![
            MembersSeen {
                run: "sweep".into(),
                at: t,
                units: 6,
                unreached: vec![UnreachedRow {
                    account: "222222222222".into(),
                    region: "eu-west-1".into(),
                    code: "AccessDenied".into(),
                    reason: "no role\u{1b}[31m".into(),
                }],
                more: 0,
                not_done: vec![],
                more_not_done: 0,
            },
            MembersSeen {
                run: "export-check".into(),
                at: t - chrono::Duration::hours(4),
                units: 6,
                unreached: vec![],
                more: 0,
                not_done: vec![],
                more_not_done: 0,
            },
        ];
        let accounts = [
            account("111111111111", "ACTIVE"),
            account("222222222222", "ACTIVE"),
            account("333333333333", "SUSPENDED"),
            account("444444444444", "ACTIVE"),
        ];
        let regions = ["us-east-1".to_string(), "eu-west-1".to_string()];
        let rows = hub_rows(&accounts, &regions, &hub("444444444444:eu-west-1"), &seen);
        assert_eq!(rows.len(), 8);
        let of = |a: &str, r: &str| {
            &rows
                .iter()
                .find(|x| x.account == a && x.region == r)
                .unwrap()
                .reach
        };
        match of("111111111111", "eu-west-1") {
            Reach::Read { result } => {
                assert_eq!(result.sweep, Some(t));
                assert_eq!(result.export_check, Some(t - chrono::Duration::hours(4)));
                assert_eq!(result.note, None);
            }
            other => panic!("{other:?}"),
        }
        match of("222222222222", "eu-west-1") {
            Reach::Unreachable { reason } => {
                assert!(reason.starts_with("the sweep at 2026-12-05 10:00 UTC could not reach it (AccessDenied): no role"), "{reason}");
                assert!(!reason.contains('\u{1b}'), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            of("222222222222", "us-east-1"),
            Reach::Read { .. }
        ));
        for r in &regions {
            assert!(
                matches!(of("333333333333", r), Reach::Skipped { reason } if reason.contains("SUSPENDED"))
            );
        }
        assert!(
            matches!(of("444444444444", "eu-west-1"), Reach::Skipped { reason } if reason.contains("PerAccountStacks"))
        );
        assert!(matches!(
            of("444444444444", "us-east-1"),
            Reach::Read { .. }
        ));
        assert_eq!(unreachable(&rows), 1);
        // A whole account left to its stacks; and a run that named fewer than it missed.
        let mut more = seen.clone();
        more[1].more = 3;
        let rows = hub_rows(&accounts[..1], &regions, &hub("111111111111"), &more);
        assert!(rows
            .iter()
            .all(|r| matches!(&r.reach, Reach::Skipped { .. })));
        let rows = hub_rows(&accounts[..1], &regions, &hub(""), &more);
        match &rows[0].reach {
            Reach::Read { result } => {
                assert!(result
                    .note
                    .as_deref()
                    .unwrap()
                    .contains("3 account-Region(s)"))
            }
            other => panic!("{other:?}"),
        }
        // An account that joined after the export check and before the sweep: no check time
        // claimed for it, and why; where the sweep handed it to its work queue, no sweep time
        // claimed either, and why.
        let mut later = account("666666666666", "ACTIVE");
        later.joined = Some(t - chrono::Duration::hours(1));
        let mut queued = seen.clone();
        queued[0].not_done.push(UnreachedRow {
            account: "666666666666".into(),
            region: "us-east-1".into(),
            code: "queued".into(),
            reason: "handed to the work queue".into(),
        });
        let rows = hub_rows(&[later], &regions, &hub(""), &queued);
        let of = |r: &str| match &rows.iter().find(|x| x.region == r).unwrap().reach {
            Reach::Read { result } => result.clone(),
            other => panic!("{other:?}"),
        };
        let us = of("us-east-1");
        assert_eq!((us.sweep, us.export_check), (None, None), "{us:?}");
        let note = us.note.unwrap();
        assert!(
            note.contains("the sweep at 2026-12-05 10:00 UTC did not finish it (queued: handed to the work queue)")
                && note.contains("it joined after the export-check at 2026-12-05 06:00 UTC"),
            "{note}"
        );
        let eu = of("eu-west-1");
        assert_eq!((eu.sweep, eu.export_check), (Some(t), None), "{eu:?}");
        // A hub that never ran: guarded, no run yet.
        let rows = hub_rows(&accounts[..1], &regions, &hub(""), &[]);
        assert!(
            matches!(&rows[0].reach, Reach::Read { result } if result.sweep.is_none() && result.export_check.is_none())
        );
    }
}
