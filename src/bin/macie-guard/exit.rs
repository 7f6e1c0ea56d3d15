//! One mapping from what a command found to the process's exit status.

use macie_guard_core::severity::Severity;
use std::process::ExitCode;

/// A check's worst finding: 0 clean (or info), 1 warnings, 2 critical.
pub(crate) fn of_severity(worst: Option<Severity>) -> ExitCode {
    match worst {
        Some(Severity::Critical) => ExitCode::from(2),
        Some(Severity::Warning) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// 1 when something needs attention (or could not be read), else 0.
pub(crate) fn attention(needs: bool) -> ExitCode {
    if needs {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
