//! What became of telling a run's outcome: whether people were sent a message, and what
//! Security Hub made of the findings. Its own small type, beside the outcome, never a field
//! filled into it after the fact.

use serde::Serialize;
use std::ops::Deref;

use crate::text::safe;

/// How a run's outcome was delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// A message was published (or printed) for people.
    pub notified: bool,
    /// What became of the Security Hub findings, when they are asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<HubOutcome>,
}

/// A run's outcome and how it was told: the handler's return value and the CLI's JSON (the
/// two flattened into one object). Reads as the outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Told<T> {
    #[serde(flatten)]
    pub outcome: T,
    #[serde(flatten)]
    pub delivery: Delivery,
}

impl<T> Deref for Told<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.outcome
    }
}

/// What became of a run's Security Hub sync (in the run's report), over every Region it
/// concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum HubOutcome {
    /// Imported in every Region: `active` findings written or updated, `resolved` findings
    /// archived (`RecordState` ARCHIVED; `Workflow` RESOLVED where nobody had set it).
    Synced { active: usize, resolved: usize },
    /// Security Hub is not enabled in (some of) the Regions: nothing was imported there.
    NotEnabled { message: String },
    /// A call failed (or ran out of time); the next run writes the same findings again.
    Failed { message: String },
}

impl HubOutcome {
    /// One line for the CLI's text, escaped.
    pub fn line(&self) -> String {
        match self {
            HubOutcome::Synced { active, resolved } => {
                format!("Security Hub: synced, {active} finding(s) active, {resolved} resolved")
            }
            HubOutcome::NotEnabled { message } => {
                format!("Security Hub: not enabled: {}", safe(message))
            }
            HubOutcome::Failed { message } => format!("Security Hub: failed: {}", safe(message)),
        }
    }

    /// One outcome for several Regions' (Region, outcome): failed if any failed, else not
    /// enabled if any is not, else synced with the sums; messages name their Region.
    pub fn combine(outcomes: Vec<(String, HubOutcome)>) -> HubOutcome {
        let (mut active, mut resolved) = (0, 0);
        let (mut failed, mut not_enabled) = (Vec::new(), Vec::new());
        for (region, o) in outcomes {
            match o {
                HubOutcome::Synced {
                    active: a,
                    resolved: r,
                } => {
                    active += a;
                    resolved += r;
                }
                HubOutcome::NotEnabled { message } => {
                    not_enabled.push(format!("{region}: {message}"))
                }
                HubOutcome::Failed { message } => failed.push(format!("{region}: {message}")),
            }
        }
        if !failed.is_empty() {
            failed.extend(not_enabled);
            HubOutcome::Failed {
                message: failed.join("; "),
            }
        } else if !not_enabled.is_empty() {
            HubOutcome::NotEnabled {
                message: not_enabled.join("; "),
            }
        } else {
            HubOutcome::Synced { active, resolved }
        }
    }
}
