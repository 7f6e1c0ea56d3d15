//! A scenario file: the starting state of the server's account, and of the other accounts and
//! Regions behind it.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::accounts::Macie;
use crate::error::ApiError;
use crate::identifiers::IdentifierSeed;
use crate::model::timestamp;
use crate::state::{JobSeed, State};

/// A scenario file: the account's starting state.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    pub account: Option<String>,
    pub region: Option<String>,
    pub now: Option<DateTime<Utc>>,
    #[serde(default = "enabled")]
    pub macie_enabled: bool,
    #[serde(default)]
    pub jobs: Vec<JobSeed>,
    /// Custom data identifiers and allow lists, each with its id (jobs refer to them).
    #[serde(default)]
    pub custom_data_identifiers: Vec<IdentifierSeed>,
    #[serde(default)]
    pub allow_lists: Vec<IdentifierSeed>,
    pub export_configuration: Option<Value>,
    /// The Macie administrator account this account is a member of.
    pub administrator: Option<String>,
    /// The relationship to it, as GetAdministratorAccount reports it (botocore's
    /// RelationshipStatus: Enabled, Paused, Invited, Created, Removed, Resigned,
    /// EmailVerificationInProgress, EmailVerificationFailed, RegionDisabled,
    /// AccountSuspended); default Enabled.
    pub administrator_relationship: Option<String>,
    /// Whether automated sensitive data discovery is on.
    #[serde(default)]
    pub automated_discovery: bool,
    /// Other accounts and Regions behind the same server, each a scenario with its `account`
    /// and `region` (requests reach them by the access key they are signed with).
    #[serde(default)]
    pub accounts: Vec<Scenario>,
}

fn enabled() -> bool {
    true
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            account: None,
            region: None,
            now: None,
            macie_enabled: true,
            jobs: Vec::new(),
            custom_data_identifiers: Vec::new(),
            allow_lists: Vec::new(),
            export_configuration: None,
            administrator: None,
            administrator_relationship: None,
            automated_discovery: false,
            accounts: Vec::new(),
        }
    }
}

impl Scenario {
    pub fn apply(&self, st: &mut State) -> Result<(), ApiError> {
        if let Some(now) = self.now {
            st.set_clock(now);
        }
        st.set_macie_enabled(self.macie_enabled);
        let (prefix, now) = (st.arn_prefix(), timestamp(st.now()));
        for (seeds, allow_list) in [
            (&self.custom_data_identifiers, false),
            (&self.allow_lists, true),
        ] {
            for s in seeds {
                st.identifiers.seed(s, allow_list, &prefix, &now);
            }
        }
        for seed in &self.jobs {
            st.seed_job(seed)?;
        }
        if let Some(config) = &self.export_configuration {
            st.seed_export_configuration(config)?;
        }
        st.set_administrator(
            self.administrator.clone(),
            self.administrator_relationship.as_deref(),
        )?;
        st.set_automated_discovery(self.automated_discovery);
        Ok(())
    }

    /// The server's accounts: `own`, with this scenario applied, and each of `accounts`.
    pub fn build(&self, own: State) -> Result<Macie, ApiError> {
        let mut own = own;
        self.apply(&mut own)?;
        let mut macie = Macie::new(own);
        for other in &self.accounts {
            let (Some(account), Some(region)) = (&other.account, &other.region) else {
                return Err(ApiError::validation(
                    "each entry of accounts needs its account and region",
                ));
            };
            if !other.accounts.is_empty() {
                return Err(ApiError::validation("accounts do not nest"));
            }
            let mut st = State::new(account.clone(), region.clone());
            other.apply(&mut st)?;
            macie.add(st);
        }
        Ok(macie)
    }
}
