//! `org jobs`, `org check-export` and `org status`: the organization view.

use crate::args::*;
use crate::context::*;
use crate::exit;
use chrono::Utc;
use macie_guard::operator::org::{self, OrgView};
use macie_guard::operator::session::caller_account;
use macie_guard::operator::status::{StackRef, StatusReader};
use macie_guard::{aws, Error};
use macie_guard_core::config::{distinct, env_of, expiry_config, export_config};
use macie_guard_core::hub::HubConfig;
use macie_guard_core::operator::org::{hub_rows, Guarded, Row};
use macie_guard_core::scope::Scope;
use macie_guard_core::tell::org as org_tables;
use macie_guard_core::tell::status as status_text;
use std::process::ExitCode;

pub(crate) async fn run_org(
    cli: &Cli,
    view: &OrgCommand,
    accounts: &[String],
    role_name: Option<&str>,
    concurrency: u16,
) -> Result<ExitCode, Error> {
    // A member holds the read-only role; a per-account stack's health is read through its own.
    let role_name = role_name.unwrap_or(match view {
        OrgCommand::Status { .. } => org::STACK_READ_ROLE,
        _ => org::MEMBER_READ_ROLE,
    });
    let mut config = expiry_config(&cli_env())?;
    if let Some(p) = cli.default_policy {
        config.default_policy = p;
    }
    let grace = export_config(&cli_env())?.results_grace;
    // Bad arguments change nothing and cost nothing: checked before any call.
    let given = org::given_accounts(accounts)?;
    let sdk = sdk(cli, cli.region.first().map(String::as_str)).await?;
    let regions = if cli.region.is_empty() {
        vec![aws::region_of(&sdk)?]
    } else {
        distinct(cli.region.iter().cloned())
    };
    let accounts = org::distinct(if given.is_empty() {
        org::list_accounts(&sdk).await?
    } else {
        given
    });
    let management = org::management_account(&sdk).await;
    let view_of = OrgView {
        sdk,
        role_name: role_name.to_string(),
        concurrency: usize::from(concurrency),
        progress: true,
        management,
    };
    match view {
        OrgCommand::Jobs => {
            let rows = view_of.jobs(&accounts, &regions, &config, Utc::now()).await;
            let settings = macie_guard_core::operator::org::PlanSettings::of_operator(&config);
            if cli.json {
                print_json(&serde_json::json!({"plans_under": settings, "rows": rows}));
            } else {
                print!("{}", org_tables::jobs_table(&rows, &settings));
            }
            Ok(exit::failed_or(
                macie_guard_core::operator::org::unreachable(&rows) > 0,
                exit::attention(false),
            ))
        }
        OrgCommand::CheckExport => {
            let rows = view_of.check_export(&accounts, &regions, grace).await;
            if cli.json {
                print_json(&rows);
            } else {
                print!("{}", org_tables::export_table(&rows));
            }
            // An account-Region that could not be read: the check failed there (3), whatever
            // the others found.
            Ok(exit::failed_or(
                macie_guard_core::operator::org::unreachable(&rows) > 0,
                exit::of_severity(macie_guard_core::operator::org::worst(&rows)),
            ))
        }
        OrgCommand::Status { hub: Some(hub), .. } => {
            // The hub's guarded Regions, or those of them given with --region.
            let asked = distinct(cli.region.iter().cloned());
            let rows = hub_status(&view_of.sdk, hub, &accounts, &asked).await?;
            if cli.json {
                print_json(&rows);
            } else {
                print!("{}", status_text::hub_members_table(&rows));
            }
            // A member the hub could not reach needs attention; nothing here failed.
            Ok(exit::attention(
                macie_guard_core::operator::org::unreachable(&rows) > 0,
            ))
        }
        OrgCommand::Status { stack, hub: None } => {
            let rows = view_of
                .status(&accounts, &regions, stack.as_deref(), Utc::now())
                .await;
            if cli.json {
                print_json(&rows);
            } else {
                print!("{}", status_text::org_status_table(&rows));
            }
            let attention = rows.iter().any(|r| match &r.reach {
                macie_guard_core::operator::org::Reach::Read { result } => result.attention > 0,
                _ => false,
            });
            Ok(exit::failed_or(
                macie_guard_core::operator::org::unreachable(&rows) > 0,
                exit::attention(attention),
            ))
        }
    }
}

/// `org status --hub STACK`: the hub's own status read here (its run log's members items and
/// its parameters), then a row per account and guarded Region (those of `--region`, when
/// given, that the hub guards).
async fn hub_status(
    sdk: &aws_config::SdkConfig,
    stack: &str,
    accounts: &[org::Account],
    asked: &[String],
) -> Result<Vec<Row<Guarded>>, Error> {
    let region = aws::region_of(sdk)?;
    let reader = StatusReader {
        sdk: sdk.clone(),
        region: region.clone(),
        account: caller_account(sdk).await?,
    };
    let facts = reader.facts(&StackRef::Name(stack.to_string())).await?;
    // The hub's settings as its functions read them, from the stack's parameters.
    let env = env_of(&[
        ("MEMBER_REGIONS", &facts.member_regions.join(",")),
        ("PER_ACCOUNT_STACKS", &facts.per_account_stacks.join(",")),
    ]);
    let Some(hub) = HubConfig::from_env(&env)? else {
        return Err(Error::NotAHub {
            stack: stack.to_string(),
            region,
        });
    };
    let guarded = hub.guarded_regions(&Scope::new(&reader.account, &region));
    let regions: Vec<String> = if asked.is_empty() {
        guarded
    } else {
        guarded.into_iter().filter(|r| asked.contains(r)).collect()
    };
    let seen = match &facts.runs {
        Ok(log) => log.members.clone(),
        Err(why) => {
            return Err(Error::aws_answer(
                "dynamodb",
                "Query",
                Some("the hub's run log"),
                "Unreadable",
                why.clone(),
            ))
        }
    };
    Ok(hub_rows(accounts, &regions, &hub, &seen))
}
