//! [`Members`] over Organizations and STS: accounts listed and described by Organizations
//! (from the management account or a delegated administrator), and each member account
//! reached through its role, assumed once and reused across Regions.

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{Members, Unreached};
use crate::error::{describe_sdk_error, Error, Result};
use crate::outbound::securityhub::SecurityHub;
use macie_guard_core::hub::{member_unreached, Account, HubConfig, Through, Unit};
use macie_guard_core::scope::partition_of;

/// A member's credentials are renewed when they have less than this left: a unit started
/// with them finishes well inside it.
const RENEW_BEFORE: Duration = Duration::from_secs(15 * 60);

/// How long an assumed session lasts (AssumeRole's default and the role's default maximum).
const SESSION_SECS: i32 = 3600;

/// The session name the member's CloudTrail shows for the hub's calls.
const SESSION_NAME: &str = "macie-guard-hub";

/// A refused AssumeRole is not asked again for this long: the Regions of one account share
/// one answer within a run.
const REFUSAL_KEPT: Duration = Duration::from_secs(5 * 60);

/// One account's credentials, while they last.
#[derive(Clone)]
struct Session {
    credentials: Credentials,
    expires: SystemTime,
}

/// What is known of an account's role.
enum Slot {
    Unknown,
    Assumed(Session),
    Refused(Unreached, SystemTime),
}

/// The organization through the hub's own configuration.
pub struct AwsMembers {
    sdk: SdkConfig,
    config: HubConfig,
    /// Whether members' findings go to their Security Hub (the hub's SECURITY_HUB).
    security_hub: bool,
    /// Each account's session, behind a lock of its own: two units of one account wait for
    /// one AssumeRole.
    sessions: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Slot>>>>,
    /// AssumeRole calls made (the benchmark's calls per account).
    assumed: AtomicUsize,
}

impl AwsMembers {
    pub fn new(sdk: SdkConfig, config: HubConfig) -> AwsMembers {
        AwsMembers {
            sdk,
            config,
            security_hub: false,
            sessions: Mutex::new(HashMap::new()),
            assumed: AtomicUsize::new(0),
        }
    }

    /// Members' findings imported into their own Security Hub, through their role.
    pub fn with_security_hub(mut self, on: bool) -> Self {
        self.security_hub = on;
        self
    }

    /// How many AssumeRole calls this process has made.
    pub fn assumed(&self) -> usize {
        self.assumed.load(Ordering::Relaxed)
    }

    /// The SDK configuration of `unit`: its Region, and the member role's credentials where
    /// the account is not the hub's (the hub's own account is reached with its own
    /// credentials, never its member role).
    pub async fn session(&self, unit: &Unit) -> std::result::Result<SdkConfig, Unreached> {
        let builder = self
            .sdk
            .clone()
            .into_builder()
            .region(Region::new(unit.scope.region.clone()));
        if unit.through == Through::Own {
            return Ok(builder.build());
        }
        let credentials = self
            .credentials(&unit.scope.account, &unit.scope.region)
            .await?;
        Ok(builder
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build())
    }

    async fn credentials(
        &self,
        account: &str,
        region: &str,
    ) -> std::result::Result<Credentials, Unreached> {
        let slot = {
            let mut all = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
            all.entry(account.to_string())
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Slot::Unknown)))
                .clone()
        };
        let mut held = slot.lock().await;
        let now = SystemTime::now();
        match &*held {
            Slot::Assumed(s)
                if s.expires.duration_since(now).unwrap_or_default() > RENEW_BEFORE =>
            {
                return Ok(s.credentials.clone())
            }
            Slot::Refused(why, at)
                if now.duration_since(*at).unwrap_or_default() < REFUSAL_KEPT =>
            {
                return Err(why.clone())
            }
            _ => {}
        }
        match self.assume(account, region).await {
            Ok(session) => {
                let credentials = session.credentials.clone();
                *held = Slot::Assumed(session);
                Ok(credentials)
            }
            Err(why) => {
                *held = Slot::Refused(why.clone(), now);
                Err(why)
            }
        }
    }

    async fn assume(&self, account: &str, region: &str) -> std::result::Result<Session, Unreached> {
        let arn = self.config.role_arn(account, partition_of(region));
        self.assumed.fetch_add(1, Ordering::Relaxed);
        let out = aws_sdk_sts::Client::new(&self.sdk)
            .assume_role()
            .role_arn(&arn)
            .role_session_name(SESSION_NAME)
            .duration_seconds(SESSION_SECS)
            .send()
            .await
            .map_err(|e| {
                let code = e.code().unwrap_or("Unknown").to_string();
                let message = e
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| describe_sdk_error(&e));
                Unreached {
                    reason: member_unreached(&arn, &code, &message),
                    code,
                }
            })?;
        let c = out.credentials().ok_or_else(|| Unreached {
            code: "NoCredentials".into(),
            reason: format!(
                "AssumeRole of {arn} returned no credentials; the next run tries again"
            ),
        })?;
        let expires = SystemTime::try_from(*c.expiration())
            .unwrap_or_else(|_| SystemTime::now() + Duration::from_secs(SESSION_SECS as u64));
        Ok(Session {
            credentials: Credentials::new(
                c.access_key_id(),
                c.secret_access_key(),
                Some(c.session_token().to_string()),
                Some(expires),
                SESSION_NAME,
            ),
            expires,
        })
    }
}

impl Members for AwsMembers {
    async fn accounts(&self) -> Result<Vec<Account>> {
        list_accounts(&self.sdk).await
    }

    async fn account(&self, id: &str) -> Result<Option<Account>> {
        let client = aws_sdk_organizations::Client::new(&self.sdk);
        match client.describe_account().account_id(id).send().await {
            Ok(out) => Ok(out.account().map(account_of)),
            Err(e) if e.code() == Some("AccountNotFoundException") => Ok(None),
            Err(e) => Err(Error::aws("Organizations", "DescribeAccount", Some(id), &e)),
        }
    }

    async fn security_hub(&self, unit: &Unit) -> Option<SecurityHub> {
        if !self.security_hub {
            return None;
        }
        // Reached already for the jobs: the same credentials.
        self.session(unit).await.ok().map(|c| SecurityHub::new(&c))
    }
}

fn account_of(a: &aws_sdk_organizations::types::Account) -> Account {
    Account {
        id: a.id().unwrap_or_default().to_string(),
        name: a.name().map(str::to_string),
        // `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED) replaces the older `Status`.
        status: a
            .state()
            .map(|s| s.as_str().to_string())
            .or_else(|| a.status().map(|s| s.as_str().to_string()))
            .unwrap_or_else(|| "ACTIVE".into()),
        joined: a
            .joined_timestamp()
            .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
    }
}

/// Every account of the organization (Organizations ListAccounts, all pages): needs
/// `organizations:ListAccounts` in the management account or a delegated administrator.
pub async fn list_accounts(sdk: &SdkConfig) -> Result<Vec<Account>> {
    let client = aws_sdk_organizations::Client::new(sdk);
    let mut out = Vec::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Error::aws("Organizations", "ListAccounts", None, &e))?;
        out.extend(
            page.accounts()
                .iter()
                .filter(|a| a.id().is_some())
                .map(account_of),
        );
    }
    Ok(out)
}
