//! The organization's accounts, and the way into each (the port [`Members`]): Organizations
//! for who belongs, the member role for what is there. Its adapter over STS and Organizations
//! ([`aws`]) and its in-memory stand-in ([`memory`]) beside it.

use std::future::Future;

use crate::error::Result;
use crate::expiry::jobs::MacieJobs;
use crate::outbound::securityhub::SecurityHub;
use macie_guard_core::hub::{Account, Unit};

pub mod aws;
pub mod memory;

/// Why an account-Region could not be reached: the error's code, and a sentence with what to
/// do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreached {
    pub code: String,
    pub reason: String,
}

impl std::fmt::Display for Unreached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// The organization as the hub sees it.
pub trait Members: Send + Sync {
    /// What the guards read and change jobs through in one account-Region.
    type Jobs: MacieJobs;

    /// Every account of the organization (Organizations ListAccounts, all pages).
    fn accounts(&self) -> impl Future<Output = Result<Vec<Account>>> + Send;

    /// One account, when it belongs to the organization (Organizations DescribeAccount);
    /// `None` for an account outside it.
    fn account(&self, id: &str) -> impl Future<Output = Result<Option<Account>>> + Send;

    /// The jobs of `unit`: the hub's own credentials in its own account, the member role in
    /// another (assumed once per account and reused across its Regions until it nears its
    /// expiry).
    fn jobs(
        &self,
        unit: &Unit,
    ) -> impl Future<Output = std::result::Result<Self::Jobs, Unreached>> + Send;

    /// The Security Hub of `unit`'s account, called as that account (Security Hub takes a
    /// finding only from the account it is about); `None` where the hub imports no findings.
    fn security_hub(&self, unit: &Unit) -> impl Future<Output = Option<SecurityHub>> + Send {
        let _ = unit;
        async { None }
    }
}
