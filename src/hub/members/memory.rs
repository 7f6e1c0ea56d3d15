//! The organization in memory, for the hub's orchestration tests: accounts as listed, each
//! account-Region's jobs a [`MemoryJobs`], and accounts whose role cannot be assumed. The wire
//! (STS, Organizations, the member role's credentials reaching the local Macie) is tested
//! against moto and the local Macie.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Members, Unreached};
use crate::error::Result;
use crate::expiry::jobs::memory::MemoryJobs;
use crate::export::sources::memory::MemorySources;
use crate::hub::expiry::JobMembers;
use crate::hub::export::ReadMembers;
use macie_guard_core::hub::{Account, Unit};
use macie_guard_core::scope::Scope;

/// Accounts, their jobs per Region, and the roles that refuse.
/// A forwarding rule a test changed: its name, and its state (`None`: removed).
type RuleState = (String, Option<String>);

#[derive(Default)]
pub struct MemoryMembers {
    pub accounts: Vec<Account>,
    jobs: BTreeMap<(String, String), Arc<MemoryJobs>>,
    /// Each account's export facts (every Region of it).
    sources: HashMap<String, Arc<MemorySources>>,
    refused: HashMap<String, Unreached>,
    /// Forwarding rules a test removed (`None`) or set to a state, per account-Region.
    forwarding: HashMap<(String, String), Vec<RuleState>>,
    /// ListAccounts fails (the hub's role may not list the organization).
    unlisted: bool,
    /// Role assumptions asked for, per account (the hub's own account is never assumed).
    reached: std::sync::Mutex<HashMap<String, usize>>,
    listed: AtomicUsize,
}

impl MemoryMembers {
    pub fn new(accounts: Vec<Account>) -> MemoryMembers {
        MemoryMembers {
            accounts,
            ..MemoryMembers::default()
        }
    }

    /// `jobs` are the account-Region's.
    pub fn with_jobs(mut self, scope: &Scope, jobs: MemoryJobs) -> Self {
        self.jobs.insert(
            (scope.account.clone(), scope.region.clone()),
            Arc::new(jobs),
        );
        self
    }

    /// `sources` are the account's export facts.
    pub fn with_sources(mut self, account: &str, sources: MemorySources) -> Self {
        self.sources.insert(account.to_string(), Arc::new(sources));
        self
    }

    /// The export facts of one account, to look at after a run.
    pub fn sources_of(&self, account: &str) -> Option<Arc<MemorySources>> {
        self.sources.get(account).cloned()
    }

    /// The account's role cannot be assumed: `code` as STS would answer.
    pub fn refusing(mut self, account: &str, code: &str) -> Self {
        self.refused.insert(
            account.to_string(),
            Unreached {
                code: code.to_string(),
                reason: format!("cannot assume the member role of {account}: {code}"),
            },
        );
        self
    }

    /// The organization cannot be listed, as from an account that is neither the management
    /// account nor a delegated administrator.
    /// `rule` in `scope` removed (`state` `None`) or in `state` (`DISABLED`).
    pub fn with_forwarding_rule(mut self, scope: &Scope, rule: &str, state: Option<&str>) -> Self {
        self.forwarding
            .entry((scope.account.clone(), scope.region.clone()))
            .or_default()
            .push((rule.to_string(), state.map(str::to_string)));
        self
    }

    pub fn unlisted(mut self) -> Self {
        self.unlisted = true;
        self
    }

    /// The jobs of one account-Region, to look at after a run.
    pub fn jobs_of(&self, scope: &Scope) -> Option<Arc<MemoryJobs>> {
        self.jobs
            .get(&(scope.account.clone(), scope.region.clone()))
            .cloned()
    }

    /// How many times each account was reached.
    pub fn reached(&self) -> HashMap<String, usize> {
        self.reached.lock().unwrap().clone()
    }

    /// How many times the accounts were listed.
    pub fn listed(&self) -> usize {
        self.listed.load(Ordering::Relaxed)
    }
}

impl Members for MemoryMembers {
    async fn accounts(&self) -> Result<Vec<Account>> {
        self.listed.fetch_add(1, Ordering::Relaxed);
        if self.unlisted {
            return Err(crate::error::Error::aws_answer(
                "Organizations",
                "ListAccounts",
                None,
                "AccessDeniedException",
                "You don't have permissions to access this resource.",
            ));
        }
        Ok(self.accounts.clone())
    }

    async fn account(&self, id: &str) -> Result<Option<Account>> {
        Ok(self.accounts.iter().find(|a| a.id == id).cloned())
    }
}

impl JobMembers for MemoryMembers {
    type Jobs = Arc<MemoryJobs>;

    async fn jobs(&self, unit: &Unit) -> std::result::Result<Self::Jobs, Unreached> {
        self.reach(&unit.scope.account)?;
        // An account-Region with nothing seeded has Macie with no jobs.
        Ok(self
            .jobs_of(&unit.scope)
            .unwrap_or_else(|| Arc::new(MemoryJobs::new(chrono::Utc::now()))))
    }
}

impl ReadMembers for MemoryMembers {
    type Sources = Arc<MemorySources>;

    async fn sources(&self, unit: &Unit) -> std::result::Result<Self::Sources, Unreached> {
        self.reach(&unit.scope.account)?;
        // An account with nothing seeded: every fact "cannot verify".
        Ok(self.sources_of(&unit.scope.account).unwrap_or_default())
    }

    /// Every forwarding rule there and enabled, but where the test removed or disabled one.
    async fn forwarding(&self, unit: &Unit) -> std::result::Result<Vec<(String, String)>, String> {
        let broken = self
            .forwarding
            .get(&(unit.scope.account.clone(), unit.scope.region.clone()));
        Ok(macie_guard_core::hub::FORWARDING_RULES
            .iter()
            .filter_map(|(name, _)| match broken {
                Some(b) => b.iter().find(|(n, _)| n == name).map_or(
                    Some((name.to_string(), "ENABLED".to_string())),
                    |(_, state)| state.clone().map(|s| (name.to_string(), s)),
                ),
                None => Some((name.to_string(), "ENABLED".to_string())),
            })
            .collect())
    }
}

impl MemoryMembers {
    /// Counts a reach of `account`; its refusal when it refuses.
    fn reach(&self, account: &str) -> std::result::Result<(), Unreached> {
        *self
            .reached
            .lock()
            .unwrap()
            .entry(account.to_string())
            .or_default() += 1;
        match self.refused.get(account) {
            Some(refused) => Err(refused.clone()),
            None => Ok(()),
        }
    }
}
