//! `recreate`: a lost job created again, once.

use crate::args::*;
use crate::context::*;
use macie_guard::operator::recreate::{recreate, Recreated, Source};
use macie_guard::{aws, Error};
use macie_guard_core::expiry::recreate::{lost_in, RecreateError};
use macie_guard_core::text::safe;
use serde_json::Value;
use std::process::ExitCode;

/// `recreate`: the definition read from the job or the file (a bad file changes nothing and
/// costs nothing), then the job created once.
pub(crate) async fn run_recreate(
    cli: &Cli,
    job_id: Option<&str>,
    from: Option<&std::path::Path>,
    name: Option<&str>,
) -> Result<ExitCode, Error> {
    let source = match (job_id, from) {
        (Some(id), _) => Source::Job(id.to_string()),
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| Error::malformed(format!("cannot read {}: {e}", file.display())))?;
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| Error::malformed(format!("{} is not JSON: {e}", file.display())))?;
            let (job_id, definition) =
                lost_in(&value).ok_or_else(|| RecreateError::NoDefinition {
                    what: file.display().to_string(),
                })?;
            Source::Report { job_id, definition }
        }
        (None, None) => unreachable!("clap requires a job id or --from"),
    };
    let sdk = sdk(cli, cli.region.first().map(String::as_str)).await?;
    // Macie's jobs are Regional: without a Region there is nothing to recreate in.
    aws::region_of(&sdk)?;
    let outcome = recreate(&sdk, source, name, cli.dry_run).await?;
    if cli.json {
        print_json(&outcome);
        return Ok(ExitCode::SUCCESS);
    }
    match &outcome {
        Recreated::DryRun { original, request } => {
            println!(
                "would recreate job {} with CreateClassificationJob (nothing created):",
                safe(original)
            );
            print_json(request);
        }
        Recreated::Created {
            original,
            job_id,
            name,
            ..
        } => println!(
            "recreated job {} as job {} ({})",
            safe(original),
            safe(job_id),
            safe(name)
        ),
        Recreated::AlreadyStood {
            original,
            job_id,
            name,
        } => println!(
            "job {} ({}) already stands for job {}: nothing was created",
            safe(job_id),
            safe(name),
            safe(original)
        ),
    }
    Ok(ExitCode::SUCCESS)
}
