//! `status`: is the guard deployed, alive and healthy here?

use crate::args::*;
use crate::context::*;
use crate::exit;
use chrono::Utc;
use macie_guard::operator::org::STACK_READ_ROLE;
use macie_guard::operator::session::caller_account;
use macie_guard::operator::status::{StackRef, StatusReader, DEFAULT_STACK};
use macie_guard::{aws, Error};
use macie_guard_core::operator::status::judge_status;
use macie_guard_core::tell::status as status_text;
use std::process::ExitCode;

/// `status`: the stack given (or MACIE_GUARD_STACK), else `macie-guard`, else the one holding
/// the read role of this Region.
pub(crate) async fn run_status(cli: &Cli, stack: Option<&str>) -> Result<ExitCode, Error> {
    let sdk = sdk(cli, cli.region.first().map(String::as_str)).await?;
    let region = aws::region_of(&sdk)?;
    let account = match given_account(cli)? {
        Some(a) => a,
        None => caller_account(&sdk).await?,
    };
    let given = stack
        .map(str::to_string)
        .or_else(|| cli_env().string("STACK"));
    let reader = StatusReader {
        sdk,
        region: region.clone(),
        account: account.clone(),
    };
    let facts = match given {
        Some(name) => reader.facts(&StackRef::Name(name)).await?,
        None => match reader.facts(&StackRef::Name(DEFAULT_STACK.into())).await {
            Err(Error::NoStack { .. }) => reader
                .facts(&StackRef::Holding(
                    STACK_READ_ROLE.replace("{region}", &region),
                ))
                .await
                .map_err(|e| match e {
                    Error::NoStack {
                        region, message, ..
                    } => Error::NoStack {
                        looked: format!("named {DEFAULT_STACK} nor holding the read role"),
                        region,
                        message,
                    },
                    e => e,
                })?,
            other => other?,
        },
    };
    let status = judge_status(&facts, Utc::now());
    if cli.json {
        print_json(&serde_json::json!({"account": account, "region": region, "status": status}));
    } else {
        print!("{}", status_text::status_text(&status, &account, &region));
    }
    Ok(exit::attention(status.attention > 0))
}
