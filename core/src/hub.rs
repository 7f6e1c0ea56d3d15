//! The organization as one hub and its members, as plain data: which account-Regions the hub
//! guards, which it leaves and why, and whether an event from another account or Region is the
//! hub's to act on. Reaching a member (its role, Organizations) is the `macie-guard` crate's
//! `hub` module.

use serde::Serialize;

use crate::config::Env;
use crate::error::Error;
use crate::scope::{is_account, Scope};

/// The role every member account holds for the hub, unless the stack names another.
pub const DEFAULT_MEMBER_ROLE: &str = "macie-guard-member";

/// What the member's read-only role's name adds to the member role's (stacksets/member.yaml).
pub const READ_ROLE_SUFFIX: &str = "-read";

/// The hub's settings (the stack's MemberRoleName, MemberRegions and PerAccountStacks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubConfig {
    /// MEMBER_ROLE_NAME: the role each member account holds for the hub.
    pub member_role: String,
    /// MEMBER_REGIONS: the Regions guarded in every account (the hub's own Region always).
    pub regions: Vec<String>,
    /// PER_ACCOUNT_STACKS: account-Regions (or whole accounts) where a per-account stack still
    /// runs: left to that stack, never acted on by the hub.
    pub per_account: Vec<PerAccount>,
    /// HUB_CONCURRENCY: account-Regions swept at once (each with SWEEP_CONCURRENCY jobs).
    pub concurrency: usize,
}

/// An account-Region (or every Region of an account) that a per-account stack still guards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerAccount {
    pub account: String,
    /// `None`: every Region of the account.
    pub region: Option<String>,
}

impl HubConfig {
    /// The hub's settings, when the stack guards an organization (MEMBER_REGIONS set);
    /// `None` for a single-account stack.
    pub fn from_env<F: Fn(&str) -> Option<String>>(
        env: &Env<F>,
    ) -> Result<Option<HubConfig>, Error> {
        let regions = env.regions("MEMBER_REGIONS")?;
        if regions.is_empty() {
            return Ok(None);
        }
        let member_role = env
            .string("MEMBER_ROLE_NAME")
            .unwrap_or_else(|| DEFAULT_MEMBER_ROLE.to_string());
        if !is_role_name(&member_role) {
            return Err(Error::Config {
                name: "MEMBER_ROLE_NAME",
                value: member_role,
                reason: "use an IAM role name: 1 to 64 letters, digits and +=,.@_-".into(),
            });
        }
        let per_account = parse_per_account(&env.string("PER_ACCOUNT_STACKS").unwrap_or_default())?;
        Ok(Some(HubConfig {
            member_role,
            regions,
            per_account,
            concurrency: env.usize_in("HUB_CONCURRENCY", 8, 1, 64)?,
        }))
    }

    /// The member role's ARN in `account` (IAM is global: one role per account).
    pub fn role_arn(&self, account: &str, partition: &str) -> String {
        format!("arn:{partition}:iam::{account}:role/{}", self.member_role)
    }

    /// The same settings reaching each member by its read-only role (`<member role>-read`):
    /// the export check and the operator's organization view, which change nothing.
    pub fn reading(&self) -> HubConfig {
        HubConfig {
            member_role: format!("{}{READ_ROLE_SUFFIX}", self.member_role),
            ..self.clone()
        }
    }

    /// The Regions guarded: the hub's own first, then the others named.
    pub fn guarded_regions(&self, hub: &Scope) -> Vec<String> {
        crate::config::distinct(
            std::iter::once(hub.region.clone()).chain(self.regions.iter().cloned()),
        )
    }

    /// Whether a per-account stack still guards `account` in `region`.
    pub fn left_to_stack(&self, account: &str, region: &str) -> bool {
        self.per_account
            .iter()
            .any(|p| p.account == account && p.region.as_deref().is_none_or(|r| r == region))
    }
}

fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `PER_ACCOUNT_STACKS`: `ACCOUNT` or `ACCOUNT:REGION`, comma-separated, nothing else (no
/// spaces, no empty item).
fn parse_per_account(v: &str) -> Result<Vec<PerAccount>, Error> {
    let bad = |item: &str| Error::Config {
        name: "PER_ACCOUNT_STACKS",
        value: item.to_string(),
        reason: "use 12-digit account ids, each alone or as ACCOUNT:REGION, separated by commas"
            .into(),
    };
    if v.is_empty() {
        return Ok(Vec::new());
    }
    v.split(',')
        .map(|item| {
            let (account, region) = match item.split_once(':') {
                Some((a, r)) if crate::config::is_region_name(r) => (a, Some(r.to_string())),
                Some(_) => return Err(bad(item)),
                None => (item, None),
            };
            if !is_account(account) {
                return Err(bad(item));
            }
            Ok(PerAccount {
                account: account.to_string(),
                region,
            })
        })
        .collect()
}

/// An account of the organization, as Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, `CLOSED`, ...
    pub status: String,
    /// When it joined the organization (ListAccounts' JoinedTimestamp), when known: a run
    /// that started before it did not cover it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined: Option<chrono::DateTime<chrono::Utc>>,
}

/// How the hub reaches an account-Region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Through {
    /// The hub's own account: its own credentials.
    Own,
    /// A member account: the member role.
    MemberRole,
}

/// An account-Region the hub guards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    #[serde(flatten)]
    pub scope: Scope,
    pub through: Through,
}

/// An account-Region the hub does not guard this run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Left {
    pub account: String,
    /// `None`: every Region of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(flatten)]
    pub why: LeftWhy,
}

/// Why an account-Region is left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum LeftWhy {
    /// The account is not ACTIVE (suspended, closing, closed).
    NotActive { status: String },
    /// A per-account stack still guards it (PER_ACCOUNT_STACKS): never two guards on a job.
    PerAccountStack,
}

impl LeftWhy {
    /// The reason, as a sentence.
    pub fn sentence(&self) -> String {
        match self {
            LeftWhy::NotActive { status } => {
                format!("the account is {status}, not ACTIVE: nothing of it is guarded until it is active again")
            }
            LeftWhy::PerAccountStack => "a per-account macie-guard stack still guards it (PerAccountStacks): the hub leaves it to that stack until the stack is removed and the entry with it".to_string(),
        }
    }
}

/// The work of one organization-wide run: every ACTIVE account in every guarded Region, the
/// hub's own account first, each account-Region once; and what is left, and why.
pub fn units(hub: &Scope, config: &HubConfig, accounts: &[Account]) -> (Vec<Unit>, Vec<Left>) {
    let regions = config.guarded_regions(hub);
    let mut seen = std::collections::HashSet::new();
    let own = Account {
        id: hub.account.clone(),
        name: None,
        status: "ACTIVE".into(),
        joined: None,
    };
    let mut units = Vec::new();
    let mut left = Vec::new();
    for account in std::iter::once(&own).chain(accounts.iter()) {
        if !seen.insert(account.id.as_str()) {
            continue;
        }
        if account.status != "ACTIVE" {
            left.push(Left {
                account: account.id.clone(),
                region: None,
                why: LeftWhy::NotActive {
                    status: account.status.clone(),
                },
            });
            continue;
        }
        for region in &regions {
            if config.left_to_stack(&account.id, region) {
                left.push(Left {
                    account: account.id.clone(),
                    region: Some(region.clone()),
                    why: LeftWhy::PerAccountStack,
                });
                continue;
            }
            units.push(Unit {
                scope: Scope::new(account.id.as_str(), region.as_str()),
                through: if account.id == hub.account {
                    Through::Own
                } else {
                    Through::MemberRole
                },
            });
        }
    }
    (units, left)
}

/// Where an event from `account` and `region` is acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The hub's own account and Region.
    Own,
    /// Another account-Region the hub guards: acted on there, through `through`.
    Guarded(Unit),
    /// Not the hub's: why (a Region not guarded, a per-account stack's).
    NotGuarded(String),
}

/// Whether an event about `account` in `region` is the hub's to act on. Whether the account
/// belongs to the organization is asked of Organizations by the caller (an account outside
/// it is never acted in).
pub fn placement(
    hub: &Scope,
    config: Option<&HubConfig>,
    account: &str,
    region: &str,
) -> Placement {
    if account == hub.account && region == hub.region {
        return Placement::Own;
    }
    let Some(config) = config else {
        return Placement::NotGuarded(format!(
            "the event is about account {account} in {region}, and this stack guards only {} in {} (no MemberRegions)",
            hub.account, hub.region
        ));
    };
    if !config.guarded_regions(hub).iter().any(|r| r == region) {
        return Placement::NotGuarded(format!(
            "the event is about {region}, a Region this hub does not guard (MemberRegions: {})",
            config.guarded_regions(hub).join(", ")
        ));
    }
    if config.left_to_stack(account, region) {
        return Placement::NotGuarded(format!(
            "account {account} in {region}: {}",
            LeftWhy::PerAccountStack.sentence()
        ));
    }
    Placement::Guarded(Unit {
        scope: Scope::new(account, region),
        through: if account == hub.account {
            Through::Own
        } else {
            Through::MemberRole
        },
    })
}

/// How one account-Region's part of an organization-wide run ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum UnitResult {
    /// The guard ran there: its counts (its jobs are in its own report and notification).
    Ran {
        scanned: usize,
        jobs: usize,
        failed: usize,
        deferred: usize,
    },
    /// The export check ran there: how many findings, and the worst (none: clean). Its
    /// findings are in its own report and notification.
    Checked {
        findings: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        worst: Option<crate::severity::Severity>,
        /// A member whose forwarding rules are missing or disabled ([`forwarding_verdict`]):
        /// its events do not reach the hub. Told as a member not reached.
        #[serde(skip_serializing_if = "Option::is_none")]
        forwarding: Option<String>,
    },
    /// The member role could not be assumed: STS's code and why, with what to do.
    Unreached { code: String, reason: String },
    /// Macie is not enabled there (Macie answers AccessDenied with a message that says so):
    /// nothing to guard, and nothing wrong.
    MacieOff { reason: String },
    /// The guard's run there failed as a whole (Macie could not be listed, the journal could
    /// not be read): why. The next run tries again.
    Failed { reason: String },
    /// Handed to the hub's work queue (its time ran out first): done by the invocations the
    /// queue makes, retried there, and dead-lettered after its last try.
    Queued,
    /// Not started: the invocation's time ran out first and no work queue took it (the next
    /// run does it again).
    Deferred,
}

/// One account-Region of an organization-wide run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitReport {
    #[serde(flatten)]
    pub scope: Scope,
    #[serde(flatten)]
    pub result: UnitResult,
}

/// What one organization-wide run did: each account-Region guarded, what was left and why,
/// and the organization's listing when it failed (the hub's own account is run anyway).
#[derive(Debug, Clone, Serialize)]
pub struct HubRun {
    pub trigger: String,
    pub hub: Scope,
    pub units: Vec<UnitReport>,
    pub left: Vec<Left>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts_error: Option<String>,
}

impl HubRun {
    /// Account-Regions that could not be reached (the member role): the hub's alarm counts
    /// them.
    pub fn unreached(&self) -> usize {
        self.count(|r| matches!(r, UnitResult::Unreached { .. }))
    }

    /// Account-Regions the hub cannot fully guard: unreached, or reached but not forwarding
    /// their events (the gauge `UnreachedMembers`).
    pub fn not_guarded(&self) -> usize {
        self.count(|r| {
            matches!(
                r,
                UnitResult::Unreached { .. }
                    | UnitResult::Checked {
                        forwarding: Some(_),
                        ..
                    }
            )
        })
    }

    /// Account-Regions not started for want of time.
    pub fn deferred(&self) -> usize {
        self.count(|r| matches!(r, UnitResult::Deferred))
    }

    /// Account-Regions handed to the work queue.
    pub fn queued(&self) -> usize {
        self.count(|r| matches!(r, UnitResult::Queued))
    }

    /// Account-Regions whose run failed, or had a job fail.
    pub fn failed(&self) -> usize {
        self.count(|r| {
            matches!(r, UnitResult::Failed { .. })
                || matches!(r, UnitResult::Ran { failed, .. } if *failed > 0)
        })
    }

    fn count(&self, f: impl Fn(&UnitResult) -> bool) -> usize {
        self.units.iter().filter(|u| f(&u.result)).count()
    }

    /// Whether the run covered the organization: listed, every account-Region reached and
    /// run to its end (or without Macie there: nothing to guard), nothing failed. Only then is
    /// it the run's success in the run log.
    pub fn complete(&self) -> bool {
        self.accounts_error.is_none()
            && self.units.iter().all(|u| {
                matches!(
                    u.result,
                    UnitResult::Ran {
                        failed: 0,
                        deferred: 0,
                        ..
                    } | UnitResult::Checked { .. }
                        | UnitResult::MacieOff { .. }
                        | UnitResult::Queued
                )
            })
    }

    /// The worst finding of an export check over the organization.
    pub fn worst(&self) -> Option<crate::severity::Severity> {
        self.units
            .iter()
            .filter_map(|u| match u.result {
                UnitResult::Checked { worst, .. } => worst,
                _ => None,
            })
            .max()
    }
}

/// Why the member role `role_arn` could not be assumed, with advice that fits STS's answer
/// (`code`, `message`).
pub fn member_unreached(role_arn: &str, code: &str, message: &str) -> String {
    let advice = match code {
        "AccessDenied" | "AccessDeniedException" => {
            "deploy the member stack there (stacksets/member.yaml, by StackSets; the management account by a plain stack), or check that the role's trust names this hub's function roles and that no SCP denies it"
        }
        "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
            "STS throttled it and the SDK's retries did not get through: the next run tries again"
        }
        "RegionDisabledException" => {
            "STS is not activated in the hub's Region for that account: activate it (IAM account settings)"
        }
        "ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" => {
            "the hub's own credentials were refused: the next run, with fresh ones, tries again"
        }
        _ => "check the member role and the hub's permissions; the next run tries again",
    };
    format!("cannot assume {role_arn}: {code}: {message}; {advice}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env_of as env;

    const HUB: &str = "111111111111";

    fn hub() -> Scope {
        Scope::new(HUB, "eu-west-1")
    }

    fn config(per_account: &str) -> HubConfig {
        HubConfig::from_env(&env(&[
            ("MEMBER_REGIONS", "eu-west-1,us-east-1"),
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

    #[test]
    fn no_member_regions_is_a_single_account_stack() {
        assert_eq!(HubConfig::from_env(&env(&[])).unwrap(), None);
        let c = config("");
        assert_eq!(c.member_role, DEFAULT_MEMBER_ROLE);
        assert_eq!(
            c.role_arn("222222222222", "aws"),
            "arn:aws:iam::222222222222:role/macie-guard-member"
        );
    }

    #[test]
    fn bad_settings_name_the_variable_and_the_value() {
        for (pairs, name, value) in [
            (
                vec![("MEMBER_REGIONS", "eu-west-1, us-east-1")],
                "MEMBER_REGIONS",
                " us-east-1",
            ),
            (
                vec![("MEMBER_REGIONS", "eu-west-1"), ("MEMBER_ROLE_NAME", "a/b")],
                "MEMBER_ROLE_NAME",
                "a/b",
            ),
            (
                vec![
                    ("MEMBER_REGIONS", "eu-west-1"),
                    ("PER_ACCOUNT_STACKS", "12345:eu-west-1"),
                ],
                "PER_ACCOUNT_STACKS",
                "12345:eu-west-1",
            ),
            (
                vec![
                    ("MEMBER_REGIONS", "eu-west-1"),
                    ("PER_ACCOUNT_STACKS", "222222222222:Mars"),
                ],
                "PER_ACCOUNT_STACKS",
                "222222222222:Mars",
            ),
        ] {
            let e = HubConfig::from_env(&env(&pairs)).unwrap_err().to_string();
            assert!(e.contains(name) && e.contains(value), "{e}");
        }
    }

    #[test]
    fn every_active_account_in_every_region_once_the_hub_first() {
        let accounts = [
            account("333333333333", "ACTIVE"),
            account(HUB, "ACTIVE"),
            account("222222222222", "SUSPENDED"),
            account("333333333333", "ACTIVE"),
            account("444444444444", "ACTIVE"),
        ];
        let (units, left) = units(&hub(), &config("444444444444:us-east-1"), &accounts);
        let got: Vec<(String, String, Through)> = units
            .iter()
            .map(|u| (u.scope.account.clone(), u.scope.region.clone(), u.through))
            .collect();
        let want = [
            (HUB, "eu-west-1", Through::Own),
            (HUB, "us-east-1", Through::Own),
            ("333333333333", "eu-west-1", Through::MemberRole),
            ("333333333333", "us-east-1", Through::MemberRole),
            ("444444444444", "eu-west-1", Through::MemberRole),
        ];
        assert_eq!(got, want.map(|(a, r, t)| (a.to_string(), r.to_string(), t)));
        assert_eq!(left.len(), 2);
        assert_eq!(
            left[0].why,
            LeftWhy::NotActive {
                status: "SUSPENDED".into()
            }
        );
        assert!(left[0].why.sentence().contains("SUSPENDED"));
        assert_eq!(
            (
                left[1].account.as_str(),
                left[1].region.as_deref(),
                &left[1].why
            ),
            ("444444444444", Some("us-east-1"), &LeftWhy::PerAccountStack)
        );
    }

    #[test]
    fn an_event_is_acted_on_where_it_happened_and_only_where_guarded() {
        let c = config("444444444444");
        assert_eq!(
            placement(&hub(), Some(&c), HUB, "eu-west-1"),
            Placement::Own
        );
        assert_eq!(
            placement(&hub(), Some(&c), "333333333333", "us-east-1"),
            Placement::Guarded(Unit {
                scope: Scope::new("333333333333", "us-east-1"),
                through: Through::MemberRole
            })
        );
        assert_eq!(
            placement(&hub(), Some(&c), HUB, "us-east-1"),
            Placement::Guarded(Unit {
                scope: Scope::new(HUB, "us-east-1"),
                through: Through::Own
            })
        );
        for (account, region, says) in [
            ("333333333333", "ap-south-1", "does not guard"),
            ("444444444444", "eu-west-1", "per-account"),
        ] {
            match placement(&hub(), Some(&c), account, region) {
                Placement::NotGuarded(why) => assert!(why.contains(says), "{why}"),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            placement(&hub(), None, "333333333333", "eu-west-1"),
            Placement::NotGuarded(_)
        ));
    }
}

/// At most this many unreached account-Regions are kept of a run (an item of the run log
/// holds at most 400 KB); the rest are counted.
pub const SEEN_ROWS: usize = 50;

/// What a hub's run saw of its members, kept in the run log after every run (complete or not)
/// for `macie-guard status`: which account-Regions it could not reach, and why.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct MembersSeen {
    /// `sweep` or `export-check`.
    pub run: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// Account-Regions the run covered.
    pub units: usize,
    pub unreached: Vec<UnreachedRow>,
    /// Unreached account-Regions beyond the first [`SEEN_ROWS`].
    pub more: usize,
    /// Account-Regions the run reached but did not finish: `failed` (why), `queued` (handed to
    /// the work queue), `deferred` (its time ran out). At most [`SEEN_ROWS`]; items written
    /// before there was this field have none.
    #[serde(default)]
    pub not_done: Vec<UnreachedRow>,
    /// Not-done account-Regions beyond the first [`SEEN_ROWS`].
    #[serde(default)]
    pub more_not_done: usize,
}

/// An account-Region a run could not reach.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UnreachedRow {
    pub account: String,
    pub region: String,
    pub code: String,
    pub reason: String,
}

impl HubRun {
    /// What this run saw of its members, as of `at`.
    pub fn seen(&self, run: &str, at: chrono::DateTime<chrono::Utc>) -> MembersSeen {
        let all: Vec<UnreachedRow> = self
            .units
            .iter()
            .filter_map(|u| match &u.result {
                UnitResult::Unreached { code, reason } => Some(UnreachedRow {
                    account: u.scope.account.clone(),
                    region: u.scope.region.clone(),
                    code: code.clone(),
                    reason: crate::text::safe_short(reason, 400),
                }),
                UnitResult::Checked {
                    forwarding: Some(why),
                    ..
                } => Some(UnreachedRow {
                    account: u.scope.account.clone(),
                    region: u.scope.region.clone(),
                    code: FORWARDING_BROKEN.to_string(),
                    reason: crate::text::safe_short(why, 400),
                }),
                _ => None,
            })
            .collect();
        let not_done: Vec<UnreachedRow> = self
            .units
            .iter()
            .filter_map(|u| {
                let (code, reason) = match &u.result {
                    UnitResult::Failed { reason } => ("failed", reason.as_str()),
                    UnitResult::Queued => ("queued", "handed to the work queue"),
                    UnitResult::Deferred => ("deferred", "not started: the run's time ran out"),
                    _ => return None,
                };
                Some(UnreachedRow {
                    account: u.scope.account.clone(),
                    region: u.scope.region.clone(),
                    code: code.to_string(),
                    reason: crate::text::safe_short(reason, 400),
                })
            })
            .collect();
        MembersSeen {
            run: run.to_string(),
            at,
            units: self.units.len(),
            more: all.len().saturating_sub(SEEN_ROWS),
            unreached: all.into_iter().take(SEEN_ROWS).collect(),
            more_not_done: not_done.len().saturating_sub(SEEN_ROWS),
            not_done: not_done.into_iter().take(SEEN_ROWS).collect(),
        }
    }
}

/// What a run saw of an account-Region it could not guard, in a sentence: `the sweep at T
/// could not reach it (AccessDenied): ...`, or for a member that does not forward its events
/// `the export-check at T found its forwarding rule ...`.
pub fn unreached_sentence(seen: &MembersSeen, row: &UnreachedRow) -> String {
    let at = seen.at.format("%Y-%m-%d %H:%M UTC");
    if row.code == FORWARDING_BROKEN {
        return format!(
            "the {} at {at} found {}",
            seen.run,
            crate::text::safe(&row.reason)
        );
    }
    format!(
        "the {} at {at} could not reach it ({}): {}",
        seen.run,
        crate::text::safe(&row.code),
        crate::text::safe(&row.reason)
    )
}

/// The tag of a share's message body: what tells it from any other message.
pub const SHARE: &str = "macie-guard-share";

/// One account's part of an organization-wide run that the run handed to the hub's work queue
/// (its time was running out): the trigger, the account and its Regions still to do. The
/// function the queue invokes does them as the run would have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// Always [`SHARE`].
    #[serde(rename = "kind")]
    pub kind: String,
    pub trigger: String,
    pub account: String,
    pub regions: Vec<String>,
}

impl Share {
    /// A share's message body, read and checked: a body that is not a share, or names no
    /// account or Region as AWS writes them, is refused with why.
    pub fn parse(body: &str) -> Result<Share, String> {
        let share: Share = serde_json::from_str(body).map_err(|e| {
            format!(
                "not a macie-guard share ({e}): {}",
                crate::text::safe_short(body, 120)
            )
        })?;
        if share.kind != SHARE {
            return Err(format!("kind {:?} is not {SHARE:?}", share.kind));
        }
        if !crate::scope::is_account(&share.account) {
            return Err(format!(
                "account {:?} is not a 12-digit account id",
                share.account
            ));
        }
        if share.regions.is_empty() {
            return Err("the share names no Region".into());
        }
        if let Some(r) = share
            .regions
            .iter()
            .find(|r| !crate::config::is_region_name(r))
        {
            return Err(format!("{r:?} is not a Region name"));
        }
        Ok(share)
    }
}

/// The account-Regions not done, as shares: one per account, its Regions in the order given.
pub fn shares<'a>(trigger: &str, scopes: impl IntoIterator<Item = &'a Scope>) -> Vec<Share> {
    let mut out: Vec<Share> = Vec::new();
    for scope in scopes {
        match out.iter_mut().find(|s| s.account == scope.account) {
            Some(s) => s.regions.push(scope.region.clone()),
            None => out.push(Share {
                kind: SHARE.into(),
                trigger: trigger.to_string(),
                account: scope.account.clone(),
                regions: vec![scope.region.clone()],
            }),
        }
    }
    out
}

/// One message of an SQS event (Lambda's event source mapping): its id (what a partial batch
/// response names) and its share, or why it is not one.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub message_id: String,
    pub share: Result<Share, String>,
}

/// The messages of an SQS event, when `payload` is one (`Records` of `eventSource`
/// `aws:sqs`); `None` for any other event.
pub fn queued(payload: &serde_json::Value) -> Option<Vec<Queued>> {
    let records = payload.get("Records")?.as_array()?;
    if records.is_empty()
        || !records
            .iter()
            .all(|r| r.get("eventSource").and_then(|s| s.as_str()) == Some("aws:sqs"))
    {
        return None;
    }
    Some(
        records
            .iter()
            .map(|r| Queued {
                message_id: r
                    .get("messageId")
                    .and_then(|m| m.as_str())
                    .unwrap_or_default()
                    .to_string(),
                share: match r.get("body").and_then(|b| b.as_str()) {
                    Some(body) => Share::parse(body),
                    None => Err("the message has no body".into()),
                },
            })
            .collect(),
    )
}

/// The rules a member stack (stacksets/member.yaml) forwards to the hub by, each in every
/// guarded Region, by name: what each forwards.
pub const FORWARDING_RULES: [(&str, &str); 3] = [
    ("macie-guard-forward-health", "Macie's Health events"),
    (
        "macie-guard-forward-tags",
        "the records of macie-guard: tags on jobs",
    ),
    (
        "macie-guard-forward-export-changes",
        "the records of export configuration, bucket and key changes",
    ),
];

/// What the hub's export check lists a member's rules by (EventBridge ListRules NamePrefix).
pub const FORWARDING_PREFIX: &str = "macie-guard-forward-";

/// The code of an account-Region whose forwarding rules are missing or disabled.
pub const FORWARDING_BROKEN: &str = "ForwardingBroken";

/// Whether a member's forwarding rules, as ListRules gave them (name, state), all forward:
/// `None`, or what is missing or disabled and what it means, with what to do. A rule that is
/// there and enabled (`ENABLED`, or `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`) forwards;
/// a rule of another name is none of ours.
pub fn forwarding_verdict(found: &[(String, String)]) -> Option<String> {
    let mut wrong = Vec::new();
    for (name, carries) in FORWARDING_RULES {
        match found.iter().find(|(n, _)| n == name) {
            None => wrong.push(format!(
                "{name} is missing ({carries} do not reach the hub)"
            )),
            Some((_, state)) if !state.starts_with("ENABLED") => wrong.push(format!(
                "{name} is {} ({carries} do not reach the hub)",
                crate::text::safe_short(state, 40)
            )),
            Some(_) => {}
        }
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "its forwarding rule {}; deploy the member stack (stacksets/member.yaml) there again, or enable the rule",
            wrong.join("; ")
        )
    })
}

#[cfg(test)]
mod forwarding_tests {
    use super::*;

    fn rules(of: &[(&str, &str)]) -> Vec<(String, String)> {
        of.iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect()
    }

    #[test]
    fn every_forwarding_rule_must_be_there_and_enabled() {
        let all = [
            ("macie-guard-forward-health", "ENABLED"),
            (
                "macie-guard-forward-tags",
                "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
            ),
            ("macie-guard-forward-export-changes", "ENABLED"),
            ("macie-guard-forward-something-else", "DISABLED"),
        ];
        assert_eq!(forwarding_verdict(&rules(&all)), None);
        let why = forwarding_verdict(&rules(&[
            ("macie-guard-forward-health", "DISABLED"),
            ("macie-guard-forward-export-changes", "ENABLED"),
        ]))
        .unwrap();
        assert!(
            why.contains("macie-guard-forward-health is DISABLED (Macie's Health events do not reach the hub)"),
            "{why}"
        );
        assert!(why.contains("macie-guard-forward-tags is missing"), "{why}");
        assert!(!why.contains("export-changes"), "{why}");
        assert!(why.ends_with("or enable the rule"), "{why}");
        let none = forwarding_verdict(&[]).unwrap();
        assert_eq!(none.matches("is missing").count(), 3);
        // A state with a control character is escaped.
        let odd =
            forwarding_verdict(&rules(&[("macie-guard-forward-health", "\u{1b}[2J")])).unwrap();
        assert!(!odd.contains('\u{1b}'), "{odd}");
    }
}
