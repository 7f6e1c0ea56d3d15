//! The operator's organization view (`macie-guard org ...`): for each account (Organizations
//! ListAccounts, or a list) and each Region, assume the member's read-only role
//! (stacksets/member.yaml, trusting the operator by `OperatorPrincipalArn`; `org status` the
//! read role of a per-account stack), read what the guards would read, and make one row of it. At most
//! `concurrency` accounts-and-Regions at once; an account that cannot be reached is a row
//! saying why. Reads only: nobody is told, nothing is changed.

use crate::operator::status::{StackRef, StatusReader};
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use macie_guard_core::operator::status::judge_status;
use std::future::Future;
use std::io::{IsTerminal, Write};

use crate::error::{describe_sdk_error, Error, Result};
use crate::expiry::guard::ExpiryGuard;
use crate::export::guard::ExportGuard;
use crate::export::sources::{AwsSources, ExportSources};
use crate::outbound::print::PrintNotifier;
use macie_guard_core::expiry::outcome::PausedJob;
use macie_guard_core::expiry::settings::ExpiryConfig;
use macie_guard_core::export::outcome::RegionReport;
use macie_guard_core::operator::org::{assume_role_failure, sorted, Reach, Row};
use macie_guard_core::scope::{is_account, partition_of, Scope};
use macie_guard_core::tell::org::progress_line;

/// The member's read-only role (IAM is global: one per account): `org jobs` and
/// `org check-export` read through it.
pub const MEMBER_READ_ROLE: &str = "macie-guard-member-read";

/// The read-only role a per-account stack creates with `OperatorAccountId`, `{region}`
/// replaced by the Region: `org status` reads such a stack's health through it.
pub const STACK_READ_ROLE: &str = "macie-guard-read-{region}";

pub use crate::hub::members::aws::list_accounts;
/// An account of the organization (accounts given on the command line are taken as active).
pub use macie_guard_core::hub::Account;

/// The organization's management account (Organizations DescribeOrganization, which any
/// account of the organization may call), where StackSets never deploy; `None` outside an
/// organization or when it cannot be read.
pub async fn management_account(sdk: &SdkConfig) -> Option<String> {
    let client = aws_sdk_organizations::Client::new(sdk);
    match client.describe_organization().send().await {
        Ok(out) => out
            .organization()
            .and_then(|o| o.master_account_id())
            .map(str::to_string),
        Err(e) => {
            tracing::info!(error = %describe_sdk_error(&e), "the organization's management account is not known");
            None
        }
    }
}

/// Each account once, in the order first given (a list with an account twice, or twice
/// listed, is read once).
pub fn distinct(accounts: Vec<Account>) -> Vec<Account> {
    let mut seen = std::collections::HashSet::new();
    accounts
        .into_iter()
        .filter(|a| seen.insert(a.id.clone()))
        .collect()
}

/// Accounts given on the command line (`--accounts`), each checked to be 12 digits.
pub fn given_accounts(ids: &[String]) -> Result<Vec<Account>> {
    ids.iter()
        .map(|id| {
            let id = id.trim();
            if is_account(id) {
                Ok(Account {
                    id: id.to_string(),
                    name: None,
                    status: "ACTIVE".into(),
                    joined: None,
                })
            } else {
                Err(Error::config(
                    "--accounts",
                    id,
                    "use 12-digit account ids, separated by commas",
                ))
            }
        })
        .collect()
}

/// The view: the operator's configuration and how to reach each account.
pub struct OrgView {
    pub sdk: SdkConfig,
    /// The role to assume in each account, `{region}` replaced by the Region.
    pub role_name: String,
    pub concurrency: usize,
    /// Draw a progress bar on standard error (when it is a terminal).
    pub progress: bool,
    /// The organization's management account: StackSets never deploy there, so a missing
    /// role is a skipped row, not an unreachable one.
    pub management: Option<String>,
}

impl OrgView {
    fn role_arn(&self, account: &str, region: &str) -> String {
        format!(
            "arn:{}:iam::{account}:role/{}",
            partition_of(region),
            self.role_name.replace("{region}", region)
        )
    }

    /// The SDK configuration of the role in `account`, for `region`.
    async fn session(
        &self,
        account: &str,
        region: &str,
    ) -> std::result::Result<SdkConfig, Refused> {
        let arn = self.role_arn(account, region);
        let sts = aws_sdk_sts::Client::new(&self.sdk);
        let out = sts
            .assume_role()
            .role_arn(&arn)
            .role_session_name("macie-guard-org-view")
            .duration_seconds(900)
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                Refused {
                    code: e.code().unwrap_or("Unknown").to_string(),
                    reason: assume_role_failure(
                        &arn,
                        e.code().unwrap_or("Unknown"),
                        &e.message()
                            .map(str::to_string)
                            .unwrap_or_else(|| describe_sdk_error(&e)),
                    ),
                }
            })?;
        let c = out.credentials().ok_or_else(|| Refused {
            code: "NoCredentials".into(),
            reason: format!("AssumeRole of {arn} returned no credentials"),
        })?;
        let credentials = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "macie-guard-org-view",
        );
        Ok(self
            .sdk
            .clone()
            .into_builder()
            .region(Region::new(region.to_string()))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build())
    }

    /// Reads every account and Region with `read`, at most `concurrency` at once, one row each,
    /// sorted by account and Region.
    async fn each<T, F, Fut>(
        &self,
        accounts: &[Account],
        regions: &[String],
        read: F,
    ) -> Vec<Row<T>>
    where
        F: Fn(SdkConfig, Scope) -> Fut,
        Fut: Future<Output = std::result::Result<T, String>>,
    {
        let targets: Vec<(&Account, &String)> = accounts
            .iter()
            .flat_map(|a| regions.iter().map(move |r| (a, r)))
            .collect();
        let total = targets.len();
        let mut bar = Progress::new(self.progress && std::io::stderr().is_terminal(), total);
        let read = &read;
        let mut rows: Vec<Row<T>> = Vec::with_capacity(total);
        let mut results = stream::iter(targets)
            .map(|(account, region)| async move {
                let reach = if account.status != "ACTIVE" {
                    Reach::Unreachable {
                        reason: format!("the account is {}, not ACTIVE", account.status),
                    }
                } else {
                    match self.session(&account.id, region).await {
                        Err(Refused { code, reason })
                            if code.starts_with("AccessDenied")
                                && self.management.as_deref() == Some(account.id.as_str()) =>
                        {
                            Reach::Skipped {
                                reason: format!("the organization's management account: StackSets never deploy there, and it holds no member stack of its own naming you (scripts/deploy-members.sh --management; docs/organization.md); {reason}"),
                            }
                        }
                        Err(Refused { reason, .. }) => Reach::Unreachable { reason },
                        Ok(conf) => {
                            match read(conf, Scope::new(account.id.as_str(), region.as_str())).await
                            {
                                Ok(result) => Reach::Read { result },
                                Err(reason) => Reach::Unreachable { reason },
                            }
                        }
                    }
                };
                Row {
                    account: account.id.clone(),
                    name: account.name.clone(),
                    region: region.clone(),
                    reach,
                }
            })
            .buffer_unordered(self.concurrency.max(1));
        while let Some(row) = results.next().await {
            rows.push(row);
            bar.step();
        }
        bar.done();
        sorted(rows)
    }

    /// `org jobs`: every paused job with its days left, policy and plan (the guard's own
    /// decision under `config`, as of `now`).
    pub async fn jobs(
        &self,
        accounts: &[Account],
        regions: &[String],
        config: &ExpiryConfig,
        now: DateTime<Utc>,
    ) -> Vec<Row<Vec<PausedJob>>> {
        self.each(accounts, regions, |conf, scope| async move {
            ExpiryGuard::new(
                crate::aws::macie(&conf),
                PrintNotifier,
                config.clone(),
                scope,
            )
            .paused_jobs(now)
            .await
            .map_err(|e| e.to_string())
        })
        .await
    }

    /// `org check-export`: the export check of each account and Region, telling nobody;
    /// `results_grace` as RESULTS_GRACE_HOURS.
    pub async fn check_export(
        &self,
        accounts: &[Account],
        regions: &[String],
        results_grace: chrono::Duration,
    ) -> Vec<Row<RegionReport>> {
        self.each(accounts, regions, |conf, scope| async move {
            let guard = ExportGuard {
                sources: AwsSources::new(conf),
                outbound: PrintNotifier,
                account: scope.account.clone(),
                regions: vec![scope.region.clone()],
                results_grace,
                deadline: None,
            };
            let mut reports = guard.check().await;
            // A read that got no answer: not read, rather than findings of what it missed.
            if let Some(none) = guard.sources.take_no_answer() {
                return Err(none);
            }
            let report = reports.pop().expect("one Region asked, one report");
            // A configuration Macie would not give is a reason, not a clean row.
            match &report.configuration {
                macie_guard_core::export::facts::ConfigFact::Unreadable { reason }
                    if reason.contains("AccessDenied") =>
                {
                    Err(reason.clone())
                }
                _ => Ok(report),
            }
        })
        .await
    }
}

impl OrgView {
    /// `org status`: `macie-guard status` in each account and Region, through the read role;
    /// the stack by name when given, else the one holding the read role (a StackSets
    /// instance's name is not known ahead).
    pub async fn status(
        &self,
        accounts: &[Account],
        regions: &[String],
        stack: Option<&str>,
        now: DateTime<Utc>,
    ) -> Vec<Row<macie_guard_core::operator::status::Status>> {
        self.each(accounts, regions, |conf, scope| async move {
            let stack = match stack {
                Some(s) => StackRef::Name(s.to_string()),
                None => StackRef::Holding(self.role_name.replace("{region}", &scope.region)),
            };
            let reader = StatusReader {
                sdk: conf,
                region: scope.region.clone(),
                account: scope.account.clone(),
            };
            let facts = reader.facts(&stack).await.map_err(|e| e.to_string())?;
            Ok(judge_status(&facts, now))
        })
        .await
    }
}

/// An AssumeRole that failed: STS's code, and the reason with its advice.
struct Refused {
    code: String,
    reason: String,
}

/// A one-line progress bar on standard error: `[#####.....] 12/40`.
struct Progress {
    on: bool,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(on: bool, total: usize) -> Progress {
        let p = Progress { on, total, done: 0 };
        p.draw();
        p
    }

    fn step(&mut self) {
        self.done += 1;
        self.draw();
    }

    fn draw(&self) {
        if !self.on {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}", progress_line(self.done, self.total));
        let _ = err.flush();
    }

    fn done(&self) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(60));
            let _ = err.flush();
        }
    }
}
