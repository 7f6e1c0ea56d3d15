//! The expiry guard's findings.

use std::collections::BTreeMap;

use crate::expiry::outcome::{Outcome, Summary};
use crate::scope::Scope;
use crate::severity::Severity;
use crate::text::safe;

use super::*;

/// The expiry guard's findings: each paused job at risk (expiring with a warning, with no
/// action, a failed change, a dry run's would-be change) is a finding; a job whose risk this
/// run removed (changed, or found already changed) resolves its finding; a sweep, which sees
/// every paused job, resolves every active one it did not find at risk.
pub fn expiry_sync(s: &Summary, sweep: bool) -> HubSync {
    let scope = Scope::new(s.account.as_str(), s.region.as_str());
    let prefix = format!("{ID_PREFIX}job/{}/{}/", s.account, s.region);
    let mut sync = HubSync::default();
    for j in &s.jobs {
        let id = format!("{prefix}{}", j.job_id);
        let code = match j.outcome {
            // A lost job created again: the at-risk finding is resolved, and the loss and its
            // new job are a finding of their own (informational) for a person to archive.
            Outcome::Done if j.recreated.is_some() => {
                sync.resolve_ids.push(id.clone());
                "PAUSED_JOB_RECREATED"
            }
            Outcome::Warned => "PAUSED_JOB_EXPIRING",
            Outcome::Notified => "PAUSED_JOB_EXPIRING_NO_ACTION",
            Outcome::Failed => "PAUSED_JOB_ACTION_FAILED",
            Outcome::DryRun => "PAUSED_JOB_EXPIRING_DRY_RUN",
            Outcome::Lost => {
                // The risk happened: the at-risk finding is resolved, and the loss is a
                // finding of its own that stays until a person archives it.
                sync.resolve_ids.push(id.clone());
                "PAUSED_JOB_LOST"
            }
            Outcome::Done | Outcome::AlreadyDone | Outcome::NotFound => {
                sync.resolve_ids.push(id);
                continue;
            }
            Outcome::Busy => {
                sync.keep_ids.push(id);
                continue;
            }
            _ => continue,
        };
        let severity = match j.outcome {
            Outcome::DryRun => Severity::Warning,
            Outcome::Done => Severity::Info,
            o => o.severity(),
        };
        let arn = scope.job_arn(&j.job_id);
        let (id, recommendation) = if let Some(new) = &j.recreated {
            (
                format!("{ID_PREFIX}lost/{}/{}/{}", s.account, s.region, j.job_id),
                format!(
                    "Nothing to do: macie-guard recreated the lost job, once, as job {} ({}), as its tag macie-guard:on-lost=recreate asks. Check the new job's results, then archive this finding.",
                    new.job_id,
                    safe(&new.name)
                ),
            )
        } else if j.outcome == Outcome::Lost {
            let how = if crate::expiry::recreate::recreatable(j) {
                format!(
                    "Recreate the job, once, from its definition: {}. Then archive this finding.",
                    crate::expiry::recreate::command(&j.job_id, &s.region)
                )
            } else {
                "A recurring job lost only its paused run and runs on its schedule: nothing to recreate; archive this finding.".to_string()
            };
            (
                format!("{ID_PREFIX}lost/{}/{}/{}", s.account, s.region, j.job_id),
                how,
            )
        } else {
            (
                id,
                "Resume the job before it expires, or tag it macie-guard:on-expiry=resume, keep-paused or cancel so that macie-guard acts on it (docs/policies.md).".to_string(),
            )
        };
        sync.findings.push(HubFinding {
            id,
            generator_id: format!("{ID_PREFIX}{code}"),
            account: s.account.clone(),
            region: s.region.clone(),
            types: vec![
                "Software and Configuration Checks/AWS Security Best Practices/Macie paused jobs"
                    .into(),
            ],
            severity: severity.security_hub_label().into(),
            title: cut(
                &if let Some(new) = &j.recreated {
                    format!(
                        "Paused Macie job {} expired and was recreated as job {}",
                        safe(&j.name),
                        new.job_id
                    )
                } else if j.outcome == Outcome::Lost {
                    format!("Paused Macie job {} expired and was lost", safe(&j.name))
                } else {
                    format!(
                        "Paused Macie job {} expires {}",
                        safe(&j.name),
                        j.expires_at
                            .map(|e| e.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_else(|| "soon".into())
                    )
                },
                TITLE_MAX,
            ),
            description: cut(&safe(&j.message()), DESCRIPTION_MAX),
            resources: std::iter::once(arn)
                .chain(j.recreated.iter().map(|n| n.job_arn.clone()))
                .map(|id| HubResource {
                    kind: "Other".into(),
                    id,
                })
                .collect(),
            recommendation: cut(&recommendation, RECOMMENDATION_MAX),
            product_fields: BTreeMap::from([
                ("macie-guard/code".to_string(), code.to_string()),
                ("macie-guard/job-id".to_string(), j.job_id.clone()),
                ("macie-guard/action".to_string(), j.action.to_string()),
                (
                    "macie-guard/outcome".to_string(),
                    j.outcome.as_str().to_string(),
                ),
            ]),
            created_at: None,
            record: RecordState::Active,
            workflow: None,
        });
    }
    if sweep {
        sync.resolve_under.push(prefix);
    }
    sync
}
