//! Evidence that discovery results arrive: the newest result object Macie wrote for the
//! account's latest job run, compared with when that run started. Policies can be beyond what
//! the checks can evaluate; results that arrive are the strongest answer, and a run with no
//! results after it is the clearest failure.
//!
//! Macie writes a job's results as objects under
//! `<keyPrefix>/AWSLogs/<account>/Macie/<region>/<jobId>/` in the configured bucket.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The latest run among the account's most recently created jobs (a bounded read).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RunFact {
    /// `job_id` started its latest run at `at` (DescribeClassificationJob's `lastRunTime`).
    Ran {
        job_id: String,
        name: String,
        at: DateTime<Utc>,
    },
    /// No job has run.
    NoRun,
    /// The jobs could not be read.
    Unverified { reason: String },
}

/// What one bounded listing of the run's result prefix showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ResultsFact {
    Listed {
        prefix: String,
        /// The newest `LastModified` among the objects listed.
        newest: Option<DateTime<Utc>>,
        objects: usize,
        /// More objects than one listing returns: the newest may be among the rest.
        truncated: bool,
    },
    /// ListObjectsV2 was refused or failed.
    Unverified { reason: String },
}

/// The facts and the clock of one Region's evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceFacts {
    pub now: DateTime<Utc>,
    /// How long after a run starts its results may still be on their way.
    pub grace_hours: i64,
    pub run: RunFact,
    /// Listed only when a job ran and the bucket was found.
    pub results: Option<ResultsFact>,
    /// GetAutomatedDiscoveryConfiguration's status; `None` when it could not be read.
    pub automated_discovery: Option<bool>,
}

/// What the evidence says, and whether automated sensitive data discovery is on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Automated sensitive data discovery writes its results to the same repository; where
    /// is not documented, so they are not compared. `None`: could not be read.
    pub automated_discovery: Option<bool>,
}

/// The verdict on the latest job run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Verdict {
    /// Results newer than the latest run's start: Macie could write them.
    Verified {
        job_id: String,
        run_at: DateTime<Utc>,
        newest: DateTime<Utc>,
    },
    /// The latest run started more than the grace period ago and no result object is newer.
    Missing {
        job_id: String,
        name: String,
        run_at: DateTime<Utc>,
        newest: Option<DateTime<Utc>>,
    },
    /// The latest run is too recent to judge.
    Pending {
        job_id: String,
        run_at: DateTime<Utc>,
    },
    /// No job has run: nothing to compare.
    NoRun,
    /// More result objects than one listing returns, none of those listed newer than the run.
    Inconclusive { job_id: String, objects: usize },
    /// The jobs or the results could not be read: cannot verify, never a pass.
    Unverified { reason: String },
}

/// The prefix Macie writes `job_id`'s results under (`key_prefix` with or without its
/// trailing slash).
pub fn results_prefix(
    key_prefix: Option<&str>,
    account: &str,
    region: &str,
    job_id: &str,
) -> String {
    let base = key_prefix.unwrap_or("").trim_end_matches('/');
    let lead = if base.is_empty() {
        String::new()
    } else {
        format!("{base}/")
    };
    format!("{lead}AWSLogs/{account}/Macie/{region}/{job_id}/")
}

/// Weighs the facts.
pub fn weigh(f: &EvidenceFacts) -> Evidence {
    Evidence {
        verdict: verdict(f),
        automated_discovery: f.automated_discovery,
    }
}

fn verdict(f: &EvidenceFacts) -> Verdict {
    let (job_id, name, at) = match &f.run {
        RunFact::NoRun => return Verdict::NoRun,
        RunFact::Unverified { reason } => {
            return Verdict::Unverified {
                reason: format!("the jobs' latest run could not be read: {reason}"),
            }
        }
        RunFact::Ran { job_id, name, at } => (job_id.clone(), name.clone(), *at),
    };
    let pending = f.now - at < Duration::hours(f.grace_hours);
    match &f.results {
        Some(ResultsFact::Listed {
            newest: Some(newest),
            ..
        }) if *newest >= at => Verdict::Verified {
            job_id,
            run_at: at,
            newest: *newest,
        },
        _ if pending => Verdict::Pending { job_id, run_at: at },
        None => Verdict::Unverified {
            reason: "the results bucket could not be listed".into(),
        },
        Some(ResultsFact::Unverified { reason }) => Verdict::Unverified {
            reason: format!("the results could not be listed: {reason}"),
        },
        Some(ResultsFact::Listed {
            truncated: true,
            objects,
            ..
        }) => Verdict::Inconclusive {
            job_id,
            objects: *objects,
        },
        Some(ResultsFact::Listed { newest, .. }) => Verdict::Missing {
            job_id,
            name,
            run_at: at,
            newest: *newest,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(run_hours_ago: i64, newest_hours_ago: Option<i64>, truncated: bool) -> EvidenceFacts {
        let now = Utc::now();
        EvidenceFacts {
            now,
            grace_hours: 6,
            run: RunFact::Ran {
                job_id: "j".into(),
                name: "n".into(),
                at: now - Duration::hours(run_hours_ago),
            },
            automated_discovery: Some(false),
            results: Some(ResultsFact::Listed {
                prefix: "p/".into(),
                newest: newest_hours_ago.map(|h| now - Duration::hours(h)),
                objects: newest_hours_ago.map_or(0, |_| 3),
                truncated,
            }),
        }
    }

    #[test]
    fn results_after_the_run_verify_and_a_run_without_results_is_missing() {
        assert!(matches!(
            verdict(&facts(24, Some(20), false)),
            Verdict::Verified { .. }
        ));
        assert!(matches!(
            verdict(&facts(24, Some(30), false)),
            Verdict::Missing {
                newest: Some(_),
                ..
            }
        ));
        assert!(matches!(
            verdict(&facts(24, None, false)),
            Verdict::Missing { newest: None, .. }
        ));
        assert!(
            matches!(verdict(&facts(2, None, false)), Verdict::Pending { .. }),
            "within the grace period"
        );
        assert!(
            matches!(verdict(&facts(2, Some(1), false)), Verdict::Verified { .. }),
            "early results count"
        );
        assert!(matches!(
            verdict(&facts(24, Some(30), true)),
            Verdict::Inconclusive { .. }
        ));
        let mut f = facts(24, None, false);
        f.grace_hours = 48;
        assert!(matches!(verdict(&f), Verdict::Pending { .. }));
    }

    #[test]
    fn what_cannot_be_read_is_never_a_pass() {
        let mut f = facts(24, None, false);
        f.results = Some(ResultsFact::Unverified {
            reason: "AccessDenied".into(),
        });
        assert!(
            matches!(verdict(&f), Verdict::Unverified { reason } if reason.contains("AccessDenied"))
        );
        f.results = None;
        assert!(matches!(verdict(&f), Verdict::Unverified { .. }));
        f.run = RunFact::Unverified {
            reason: "throttled".into(),
        };
        assert!(
            matches!(verdict(&f), Verdict::Unverified { reason } if reason.contains("throttled"))
        );
        f.run = RunFact::NoRun;
        assert_eq!(verdict(&f), Verdict::NoRun);
        assert_eq!(weigh(&f).automated_discovery, Some(false));
    }

    #[test]
    fn the_prefix_is_macies() {
        assert_eq!(
            results_prefix(Some("macie/"), "111122223333", "eu-west-1", "j1"),
            "macie/AWSLogs/111122223333/Macie/eu-west-1/j1/"
        );
        assert_eq!(
            results_prefix(Some("macie"), "1", "r", "j"),
            "macie/AWSLogs/1/Macie/r/j/"
        );
        assert_eq!(results_prefix(None, "1", "r", "j"), "AWSLogs/1/Macie/r/j/");
    }
}
