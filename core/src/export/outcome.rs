//! What the export guard found: per Region the configuration and its findings. How it is
//! told is `tell::export`'s.

use serde::Serialize;

use super::checks::Finding;
use super::facts::ConfigFact;
use crate::severity::Severity;

/// One Region's result.
#[derive(Debug, Clone, Serialize)]
pub struct RegionReport {
    pub region: String,
    pub configuration: ConfigFact,
    pub findings: Vec<Finding>,
    /// Whether results arrive, when it could be looked at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::export::evidence::Evidence>,
}

/// What one check did: the handler's return value and the CLI's JSON.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub trigger: String,
    pub account: String,
    pub regions: Vec<RegionReport>,
    /// For a change event: the resource that changed (only its findings are notified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
    /// The event was not this function's to act on (another kind of event, another account
    /// or Region): `ignored` says why. A change the export configuration does not use is
    /// the function's own answer, not this.
    #[serde(skip)]
    pub not_ours: bool,
}

impl ExportReport {
    /// The worst severity found, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.regions
            .iter()
            .flat_map(|r| r.findings.iter().map(|f| f.severity))
            .max()
    }
}
