//! The organization as one hub and its members: the hub's functions reach every member account
//! through the role it holds for them ([`members`]), and run the guards there as in their own
//! account ([`expiry`]). What to guard and what to leave is decided in the core
//! (`macie_guard_core::hub`).

use chrono::{DateTime, Duration, Utc};

use crate::error::Result;
use crate::invocation::RESERVE_SECS;
use crate::outbound::securityhub::SecurityHub;
use crate::outbound::Outbound;
use macie_guard_core::delivery::HubOutcome;
use macie_guard_core::tell::asff::HubSync;
use macie_guard_core::tell::events::GuardEvent;
use macie_guard_core::tell::notification::Notification;

pub mod expiry;
pub mod export;
pub mod members;

/// Whether a new account-Region should still be started: a unit needs at least the reserve
/// the guard keeps back to finish and report.
pub(crate) fn out_of_time(deadline: Option<DateTime<Utc>>) -> bool {
    deadline.is_some_and(|d| Utc::now() + Duration::seconds(2 * RESERVE_SECS) >= d)
}

/// The hub's outbound for a member's run: the message and the events go out at the hub; the
/// Security Hub findings go to the member's own Security Hub, through its role (AWS takes a
/// finding only from the account it is about), or nowhere.
pub struct AtHub<'a, N> {
    pub hub: &'a N,
    pub findings: Option<SecurityHub>,
}

impl<N: Outbound> Outbound for AtHub<'_, N> {
    async fn publish(&self, n: &Notification) -> Result<()> {
        self.hub.publish(n).await
    }

    async fn announce(&self, events: &[GuardEvent]) -> Result<()> {
        self.hub.announce(events).await
    }

    async fn sync_findings(
        &self,
        sync: &HubSync,
        deadline: Option<DateTime<Utc>>,
    ) -> Option<HubOutcome> {
        Some(self.findings.as_ref()?.sync_by(sync, deadline).await)
    }
}
