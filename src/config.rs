//! Configuration from environment variables (the functions) with typed, named errors.

use chrono::Duration;

use crate::error::{Error, Result};
use crate::expiry::{Exclusions, ExpiryConfig, Policy, Windows};

/// Reads configuration through `lookup` (the environment in the binaries; a map in tests).
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
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
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(Self::bad(name, &v, "use true or false")),
            },
        }
    }

    pub fn days(&self, name: &'static str, default: f64) -> Result<Duration> {
        let days = match self.get(name) {
            None => default,
            Some(v) => match v.parse::<f64>() {
                Ok(d) if d > 0.0 && d <= 30.0 => d,
                _ => {
                    return Err(Self::bad(
                        name,
                        &v,
                        "use a number of days greater than 0 and at most 30",
                    ))
                }
            },
        };
        Ok(Duration::minutes((days * 1440.0).round() as i64))
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
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
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
            Some(v) => v.parse().map_err(|e: String| Self::bad(name, &v, e)),
        }
    }

    /// An SNS topic ARN, or none (notifications are then printed).
    pub fn topic(&self, name: &'static str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(v)
                if v.starts_with("arn:") && v.split(':').count() == 6 && v.contains(":sns:") =>
            {
                Ok(Some(v))
            }
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
        for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let ok = r.len() <= 32
                && r.split('-').count() >= 3
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(Self::bad(
                    name,
                    r,
                    "use Region names such as eu-west-1, separated by commas",
                ));
            }
            if !out.iter().any(|o| o == r) {
                out.push(r.to_string());
            }
        }
        Ok(out)
    }

    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name)
    }
}

/// The process environment.
pub fn process_env() -> Env<impl Fn(&str) -> Option<String>> {
    Env(|k: &str| std::env::var(k).ok())
}

/// The expiry guard's settings: DEFAULT_POLICY, WARNING_WINDOW_DAYS, ACTION_WINDOW_DAYS,
/// DRY_RUN, SWEEP_CONCURRENCY, EXCLUDE_JOBS.
pub fn expiry_config<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<ExpiryConfig> {
    let windows = Windows {
        warning: env.days("WARNING_WINDOW_DAYS", 7.0)?,
        action: env.days("ACTION_WINDOW_DAYS", 2.0)?,
    };
    if windows.action > windows.warning {
        return Err(Error::Config {
            name: "ACTION_WINDOW_DAYS",
            value: env.string("ACTION_WINDOW_DAYS").unwrap_or_default(),
            reason: format!(
                "the action window must not be longer than the warning window ({} days)",
                windows.warning.num_minutes() as f64 / 1440.0
            ),
        });
    }
    Ok(ExpiryConfig {
        default_policy: env.policy("DEFAULT_POLICY", Policy::Notify)?,
        windows,
        dry_run: env.bool("DRY_RUN", false)?,
        concurrency: env.usize_in("SWEEP_CONCURRENCY", 8, 1, 64)?,
        exclusions: Exclusions::parse(&env.string("EXCLUDE_JOBS").unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env(move |k: &str| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = expiry_config(&env(&[])).unwrap();
        assert_eq!(c.default_policy, Policy::Notify);
        assert_eq!(c.windows, Windows::default());
        assert!(!c.dry_run);
        assert_eq!(c.concurrency, 8);
    }

    #[test]
    fn values_and_errors_name_the_variable() {
        let c = expiry_config(&env(&[
            ("DEFAULT_POLICY", "keep-paused"),
            ("WARNING_WINDOW_DAYS", "10"),
            ("ACTION_WINDOW_DAYS", "1.5"),
            ("DRY_RUN", "TRUE"),
            ("EXCLUDE_JOBS", "legal-*"),
        ]))
        .unwrap();
        assert_eq!(c.default_policy, Policy::KeepPaused);
        assert_eq!(c.windows.action, Duration::hours(36));
        assert!(c.dry_run);
        assert_eq!(c.exclusions.name_prefixes, vec!["legal-"]);
        for (pairs, name) in [
            (vec![("DEFAULT_POLICY", "delete")], "DEFAULT_POLICY"),
            (vec![("WARNING_WINDOW_DAYS", "0")], "WARNING_WINDOW_DAYS"),
            (vec![("WARNING_WINDOW_DAYS", "31")], "WARNING_WINDOW_DAYS"),
            (vec![("ACTION_WINDOW_DAYS", "8")], "ACTION_WINDOW_DAYS"),
            (vec![("DRY_RUN", "maybe")], "DRY_RUN"),
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
            env(&[("R", "eu-west-1, us-east-1,eu-west-1")])
                .regions("R")
                .unwrap(),
            vec!["eu-west-1", "us-east-1"]
        );
        assert!(env(&[("R", "Mars")]).regions("R").is_err());
    }
}
