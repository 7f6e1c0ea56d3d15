//! The exit statuses: one table for every command (docs/operate.md, "Exit codes"), so that
//! a script tells a finding from a failure.

use macie_guard_core::severity::Severity;
use std::process::ExitCode;

/// What a run of the CLI ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Exit {
    /// Done: clean, healthy, nothing to do.
    Ok = 0,
    /// Done, and something needs attention: warnings, a part of the deployment, dead letters.
    Attention = 1,
    /// Done, and critical findings.
    Critical = 2,
    /// Failed: a setting or an input is wrong (nothing was done), an AWS call failed or could
    /// not be made, an account-Region could not be read (what could be is printed).
    Failed = 3,
    /// The command line is wrong: an unknown or misspelled option, a missing argument, an
    /// option the command does not use, a repeated option it takes once. Nothing was done.
    Usage = 64,
    /// Interrupted (Ctrl-C).
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// A check's worst finding: 0 clean (or info), 1 warnings, 2 critical.
pub(crate) fn of_severity(worst: Option<Severity>) -> ExitCode {
    match worst {
        Some(Severity::Critical) => Exit::Critical,
        Some(Severity::Warning) => Exit::Attention,
        _ => Exit::Ok,
    }
    .into()
}

/// 1 when something needs attention, else 0.
pub(crate) fn attention(needs: bool) -> ExitCode {
    if needs { Exit::Attention } else { Exit::Ok }.into()
}

/// 3 when a part of the work failed (a call, a job, an account-Region that could not be
/// read), else what the rest says.
pub(crate) fn failed_or(failed: bool, otherwise: ExitCode) -> ExitCode {
    if failed {
        Exit::Failed.into()
    } else {
        otherwise
    }
}
