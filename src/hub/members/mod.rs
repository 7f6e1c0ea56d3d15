//! The organization's accounts, and the way into each (the port [`Members`]): Organizations
//! for who belongs, the member roles for what is there (the expiry guard's jobs through the
//! member role: `hub::expiry::JobMembers`; the export check's facts through the read-only
//! role: `hub::export::ReadMembers`). Its adapter over STS and Organizations
//! ([`aws`]) and its in-memory stand-in ([`memory`]) beside it.

use std::future::Future;

use crate::error::Result;
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
    /// Every account of the organization (Organizations ListAccounts, all pages).
    fn accounts(&self) -> impl Future<Output = Result<Vec<Account>>> + Send;

    /// One account, when it belongs to the organization (Organizations DescribeAccount);
    /// `None` for an account outside it.
    fn account(&self, id: &str) -> impl Future<Output = Result<Option<Account>>> + Send;

    /// The Security Hub of `unit`'s account, called as that account (Security Hub takes a
    /// finding only from the account it is about); `None` where the hub imports no findings.
    fn security_hub(&self, unit: &Unit) -> impl Future<Output = Option<SecurityHub>> + Send {
        let _ = unit;
        async { None }
    }
}
