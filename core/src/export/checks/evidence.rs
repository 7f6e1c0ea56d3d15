//! Evidence: what the results that arrived after a run say about the configuration.

use crate::export::facts::ExportFacts;
use crate::severity::Severity;

use super::*;

/// "Cannot verify" findings that results written after a run answer: Macie could use the
/// key and write to the bucket then.
pub(super) const ANSWERED_BY_RESULTS: [&str; 4] = [
    "KEY_POLICY_UNVERIFIED",
    "BUCKET_POLICY_UNVERIFIED",
    "KEY_UNVERIFIED",
    "KEY_USAGE_UNVERIFIED",
];

/// Evidence: results that arrive turn "cannot verify" into "verified by evidence"; a run
/// with no results after it is critical; results that cannot be listed are never a pass.
pub(super) fn check_evidence(c: &mut Ctx, f: &ExportFacts) {
    use crate::export::evidence::{weigh, Verdict};
    let Some(facts) = &f.evidence else { return };
    let bucket = c.bucket_arn.clone();
    let prefix = match &facts.results {
        Some(crate::export::evidence::ResultsFact::Listed { prefix, .. }) => prefix.clone(),
        _ => String::new(),
    };
    let evidence = weigh(facts);
    let automated = match evidence.automated_discovery {
        Some(true) => {
            " Automated sensitive data discovery is on here too; its results are not compared."
        }
        _ => "",
    };
    match evidence.verdict {
        Verdict::Verified {
            job_id,
            run_at,
            newest,
        } => {
            for finding in c
                .out
                .iter_mut()
                .filter(|x| ANSWERED_BY_RESULTS.contains(&x.code))
            {
                finding.severity = Severity::Info;
                finding.message = format!(
                    "verified by evidence: Macie wrote discovery results at {} after job {job_id} started at {}, so it could use this key and bucket then; {}",
                    newest.format("%Y-%m-%d %H:%M UTC"),
                    run_at.format("%Y-%m-%d %H:%M UTC"),
                    finding.message
                );
            }
        }
        Verdict::Missing {
            job_id,
            name,
            run_at,
            newest,
        } => {
            let causes: Vec<&str> = c
                .out
                .iter()
                .filter(|x| x.severity >= Severity::Warning)
                .map(|x| x.code)
                .collect();
            let likely = if causes.is_empty() {
                "No check found a cause: see the job's lastRunErrorStatus (it may have analyzed no objects), and whether the bucket or key changed since.".to_string()
            } else {
                format!("Likely causes, from the other checks here: {}.", causes.join(", "))
            };
            c.push(
                "RESULTS_MISSING",
                Severity::Critical,
                &bucket,
                format!(
                    "Macie ran but wrote no results: job {} ({job_id}) started at {}, more than {} hour(s) ago, and the newest result object under s3://{}/{prefix} is {}",
                    crate::text::safe(&name),
                    run_at.format("%Y-%m-%d %H:%M UTC"),
                    facts.grace_hours,
                    bucket.rsplit(':').next().unwrap_or_default(),
                    newest
                        .map(|n| format!("from {}", n.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_else(|| "none at all".into())
                ),
                format!("{likely} Fix what the other findings name, then run the job again.{automated}"),
            );
        }
        Verdict::Unverified { reason } => c.push(
            "RESULTS_UNVERIFIED",
            Severity::Warning,
            &bucket,
            format!("cannot verify that Macie's discovery results arrive: {reason}"),
            "Allow the export guard's role s3:ListBucket on the results bucket (and, for a bucket of another account, its bucket policy too) so that it can see the results Macie writes.".into(),
        ),
        Verdict::Inconclusive { job_id, objects } => c.push(
            "RESULTS_INCONCLUSIVE",
            Severity::Info,
            &bucket,
            format!("job {job_id} has more result objects than one listing returns ({objects} listed, none newer than its latest run): whether its latest run wrote results is not known"),
            "Nothing to do; the next check looks again.".into(),
        ),
        Verdict::Pending { .. } | Verdict::NoRun => {}
    }
}
