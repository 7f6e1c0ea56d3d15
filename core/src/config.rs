//! Configuration from environment variables (the functions) with typed, named errors.
//!
//! Each variable that template.yaml sets from a parameter accepts exactly the values that the
//! parameter accepts (tests/template.rs proves it from both files): a stack that
//! deploys, starts.

use chrono::Duration;

use crate::error::Error;

type Result<T, E = Error> = std::result::Result<T, E>;
use crate::expiry::plan::Windows;
use crate::expiry::policy::{Exclusions, Policy};
use crate::expiry::settings::ExpiryConfig;

/// Reads configuration through `lookup` (the environment in the binaries; a map in tests).
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.is_empty())
    }

    fn bad(name: &'static str, value: &str, reason: impl Into<String>) -> Error {
        Error::Config {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    pub fn bool(&self, name: &'static str, default: bool) -> Result<bool> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Self::bad(name, &v, "use true or false")),
            },
        }
    }

    /// A whole number of days from 1 to 30.
    pub fn days(&self, name: &'static str, default: i64) -> Result<Duration> {
        let days = match self.get(name) {
            None => default,
            Some(v) => match whole(&v) {
                Some(d) if (1..=30).contains(&d) => d as i64,
                _ => {
                    return Err(Self::bad(
                        name,
                        &v,
                        "use a whole number of days from 1 to 30",
                    ))
                }
            },
        };
        Ok(Duration::days(days))
    }

    pub fn usize_in(
        &self,
        name: &'static str,
        default: usize,
        min: usize,
        max: usize,
    ) -> Result<usize> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match whole(&v) {
                Some(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(Self::bad(
                    name,
                    &v,
                    format!("use a whole number from {min} to {max}"),
                )),
            },
        }
    }

    pub fn policy(&self, name: &'static str, default: Policy) -> Result<Policy> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => Policy::parse_default(&v).map_err(|e| Self::bad(name, &v, e)),
        }
    }

    /// The policies a job's tag may ask for: policy names separated by commas, each exactly
    /// spelled (a name given twice counts once); unset: every policy.
    pub fn policies(&self, name: &'static str) -> Result<Vec<Policy>> {
        let Some(v) = self.get(name) else {
            return Ok(Policy::ALL.to_vec());
        };
        let mut out = Vec::new();
        for part in v.split(',') {
            let p: Policy = part.parse().ok().filter(|p: &Policy| p.as_str() == part).ok_or_else(|| {
                Self::bad(
                    name,
                    &v,
                    format!(
                        "{part:?} is not a policy: use policy names separated by commas, no spaces ({})",
                        Policy::VALUES
                    ),
                )
            })?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// An SNS topic ARN, or none (notifications are then printed).
    pub fn topic(&self, name: &'static str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if is_topic_arn(&v) => Ok(Some(v)),
            Some(v) => Err(Self::bad(
                name,
                &v,
                "use an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or leave it empty",
            )),
        }
    }

    /// A comma-separated list of Region names.
    pub fn regions(&self, name: &'static str) -> Result<Vec<String>> {
        let Some(v) = self.get(name) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for r in v.split(',') {
            if !is_region_name(r) {
                return Err(Self::bad(
                    name,
                    r,
                    "use Region names such as eu-west-1, separated by commas without spaces",
                ));
            }
            out.push(r.to_string());
        }
        Ok(distinct(out))
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name)
    }
}

/// The values in their first order, without repeats (Regions given twice are checked once).
pub fn distinct<I: IntoIterator<Item = String>>(values: I) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The export guard's settings (environment variables of the function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportConfig {
    /// EXPORT_REGIONS: Regions checked besides the function's own.
    pub extra_regions: Vec<String>,
    /// RESULTS_GRACE_HOURS: how long after a job's run its results may still be on their way.
    pub results_grace: Duration,
}

/// A job's results are due this long after its run starts (RESULTS_GRACE_HOURS, default 6).
pub const DEFAULT_RESULTS_GRACE: Duration = Duration::hours(6);

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            extra_regions: Vec::new(),
            results_grace: DEFAULT_RESULTS_GRACE,
        }
    }
}

impl ExportConfig {
    /// The Regions to check: `own` first, then the extra ones, without repeats.
    pub fn regions(&self, own: &str) -> Vec<String> {
        distinct(std::iter::once(own.to_string()).chain(self.extra_regions.iter().cloned()))
    }
}

/// The export guard's settings from the environment; errors name the variable and the value.
pub fn export_config<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<ExportConfig> {
    let results_grace = match env.get("RESULTS_GRACE_HOURS") {
        None => DEFAULT_RESULTS_GRACE,
        Some(v) => match whole(&v).filter(|h| *h <= 72) {
            Some(h) => Duration::hours(h as i64),
            None => {
                return Err(Error::Config {
                    name: "RESULTS_GRACE_HOURS",
                    value: v,
                    reason: "use whole hours from 0 to 72".into(),
                })
            }
        },
    };
    Ok(ExportConfig {
        extra_regions: env.regions("EXPORT_REGIONS")?,
        results_grace,
    })
}

/// Where the functions report besides their log: `PUT_EVENTS` (their events on the default
/// bus), `SECURITY_HUB` (Security Hub findings), `NOTIFICATION_FORMAT` (`text`: the readable
/// message; `chat`: the same, plus Amazon Q Developer's custom-notification JSON for chat
/// channels subscribed to the topic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outputs {
    pub put_events: bool,
    pub security_hub: bool,
    pub chat: bool,
}

/// The functions' outputs from the environment; errors name the variable and the value.
pub fn outputs<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Outputs> {
    let chat = match env.string("NOTIFICATION_FORMAT").as_deref() {
        None | Some("text") => false,
        Some("chat") => true,
        Some(other) => {
            return Err(Error::Config {
                name: "NOTIFICATION_FORMAT",
                value: other.to_string(),
                reason: "use text or chat".into(),
            })
        }
    };
    Ok(Outputs {
        put_events: env.bool("PUT_EVENTS", false)?,
        security_hub: env.bool("SECURITY_HUB", false)?,
        chat,
    })
}

/// A whole number written plainly: digits only, no sign, no leading zero.
fn whole(v: &str) -> Option<usize> {
    let plain =
        !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && (v == "0" || !v.starts_with('0'));
    if plain {
        v.parse().ok()
    } else {
        None
    }
}

/// `[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}`: a Region name (us-east-1, us-gov-west-1,
/// eusc-de-east-1), as the template's ExportRegions pattern writes it.
pub fn is_region_name(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let lower = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [first, middle @ .., last] if !middle.is_empty() => {
            (2..=4).contains(&first.len())
                && lower(first)
                && middle.iter().all(|m| lower(m))
                && (1..=2).contains(&last.len())
                && last.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// `arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}`: a standard SNS topic ARN,
/// as the template's ExistingTopicArn pattern writes it.
fn is_topic_arn(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    let [arn, partition, sns, region, account, name] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition
            .strip_prefix("aws")
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        && *sns == "sns"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The process environment.
/// SWEEP_SCHEDULE and EXPORT_CHECK_SCHEDULE, the expressions the journal watch judges the
/// scheduled runs by; None without SWEEP_SCHEDULE (the watch then judges nothing). Read as
/// given: an expression the watch cannot read is reported by it as overdue, with the reason.
pub fn schedules<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Option<crate::schedule::liveness::Schedules> {
    let sweep = env.string("SWEEP_SCHEDULE")?;
    Some(crate::schedule::liveness::Schedules {
        sweep,
        export_check: env
            .string("EXPORT_CHECK_SCHEDULE")
            .unwrap_or_else(|| "rate(1 day)".into()),
    })
}

/// Settings given as name-value pairs (tests, and callers that hold them in a list).
pub fn env_of(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
    let map: std::collections::HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Env(move |k: &str| map.get(k).cloned())
}

pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env(|k: &str| std::env::var(k).ok())
}

/// The expiry guard's settings: DEFAULT_POLICY, WARNING_WINDOW_DAYS, ACTION_WINDOW_DAYS,
/// DRY_RUN, SWEEP_CONCURRENCY, EXCLUDE_JOBS, HONOURED_TAG_POLICIES, RECREATE_LOST_JOBS.
pub fn expiry_config<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<ExpiryConfig> {
    // An action window longer than the warning window is accepted: there is then no separate
    // warning, the guard acts as soon as a job enters the action window.
    let windows = Windows {
        warning: env.days("WARNING_WINDOW_DAYS", 7)?,
        action: env.days("ACTION_WINDOW_DAYS", 2)?,
    };
    Ok(ExpiryConfig {
        default_policy: env.policy("DEFAULT_POLICY", Policy::Notify)?,
        windows,
        dry_run: env.bool("DRY_RUN", false)?,
        concurrency: env.usize_in("SWEEP_CONCURRENCY", 8, 1, 64)?,
        exclusions: Exclusions::parse(&env.string("EXCLUDE_JOBS").unwrap_or_default()),
        honoured: env.policies("HONOURED_TAG_POLICIES")?,
        recreate_lost: env.bool("RECREATE_LOST_JOBS", false)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_regions_start_with_the_functions_own_without_repeats() {
        let c = export_config(&Env(|n: &str| {
            (n == "EXPORT_REGIONS").then(|| "eu-west-1,us-east-1,eu-west-1".to_string())
        }))
        .unwrap();
        assert_eq!(c.extra_regions, ["eu-west-1", "us-east-1"]);
        assert_eq!(c.regions("us-east-1"), ["us-east-1", "eu-west-1"]);
        assert_eq!(
            ExportConfig::default().regions("eu-central-1"),
            ["eu-central-1"]
        );
    }
    use super::env_of as env;

    #[test]
    fn defaults() {
        let c = expiry_config(&env(&[])).unwrap();
        assert_eq!(c.default_policy, Policy::Notify);
        assert_eq!(c.windows, Windows::default());
        assert!(!c.dry_run);
        assert_eq!(c.concurrency, 8);
        assert!(
            !c.recreate_lost,
            "lost jobs are recreated only where the stack allows it"
        );
    }

    #[test]
    fn values_and_errors_name_the_variable() {
        let c = expiry_config(&env(&[
            ("DEFAULT_POLICY", "keep-paused"),
            ("WARNING_WINDOW_DAYS", "10"),
            ("ACTION_WINDOW_DAYS", "9"),
            ("DRY_RUN", "true"),
            ("EXCLUDE_JOBS", "legal-*"),
            ("RECREATE_LOST_JOBS", "true"),
        ]))
        .unwrap();
        assert!(c.recreate_lost);
        assert_eq!(c.default_policy, Policy::KeepPaused);
        assert_eq!(c.windows.action, Duration::days(9));
        assert_eq!(c.windows.outer(), Duration::days(10));
        assert!(c.dry_run);
        assert_eq!(c.exclusions.name_prefixes, vec!["legal-"]);
        for (pairs, name) in [
            (vec![("DEFAULT_POLICY", "delete")], "DEFAULT_POLICY"),
            (vec![("WARNING_WINDOW_DAYS", "0")], "WARNING_WINDOW_DAYS"),
            (vec![("WARNING_WINDOW_DAYS", "31")], "WARNING_WINDOW_DAYS"),
            (vec![("ACTION_WINDOW_DAYS", "1.5")], "ACTION_WINDOW_DAYS"),
            (vec![("ACTION_WINDOW_DAYS", "0")], "ACTION_WINDOW_DAYS"),
            (vec![("DEFAULT_POLICY", "cancel-job")], "DEFAULT_POLICY"),
            (vec![("DRY_RUN", "maybe")], "DRY_RUN"),
            (vec![("RECREATE_LOST_JOBS", "yes")], "RECREATE_LOST_JOBS"),
            (vec![("SWEEP_CONCURRENCY", "0")], "SWEEP_CONCURRENCY"),
        ] {
            let err = expiry_config(&env(&pairs)).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
        assert!(env(&[("T", "arn:aws:sns:us-east-1:123456789012:alerts")])
            .topic("T")
            .unwrap()
            .is_some());
        assert!(env(&[("T", "alerts")]).topic("T").is_err());
        assert_eq!(
            env(&[("R", "eu-west-1,us-east-1,eu-west-1")])
                .regions("R")
                .unwrap(),
            vec!["eu-west-1", "us-east-1"]
        );
        assert!(env(&[("R", "Mars")]).regions("R").is_err());
        assert!(env(&[("R", "eu-west-1, us-east-1")]).regions("R").is_err());
        assert!(is_region_name("eusc-de-east-1") && is_region_name("us-gov-west-1"));
    }
}
