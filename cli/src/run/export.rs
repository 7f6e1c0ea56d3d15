//! `check-export`, and `handle` with an export event.

use crate::args::*;
use crate::context::*;
use crate::exit;
use macie_guard::Error;
use macie_guard_core::export::event::ExportEvent;
use macie_guard_core::tell::export::report_text;
use std::process::ExitCode;

pub(crate) async fn run_export(cli: &Cli, e: Env, event: ExportEvent) -> Result<ExitCode, Error> {
    let tally = std::sync::Arc::new(macie_guard::progress::Tally::default());
    let guard = export_guard(cli, e, tally.clone())?;
    let bar = macie_guard::operator::progress::draw(tally, "Regions");
    let report = guard.handle(&event).await;
    bar.done().await;
    let report = report?;
    if cli.json {
        print_json(&report);
    } else {
        print!("{}", report_text(&report, &report.delivery));
    }
    Ok(exit::of_severity(report.worst()))
}
