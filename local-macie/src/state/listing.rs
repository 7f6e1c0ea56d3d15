//! ListClassificationJobs: the filter language (terms of includes and excludes), the sort,
//! and keyset pages that stay correct while jobs change between them.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

use super::fields::{enum_field, obj, opt_str};
use super::State;
use super::{DEFAULT_MAX_RESULTS, MAX_RESULTS};
use crate::error::ApiError;
use crate::model::{Job, JobStatus, JobType};

#[derive(Debug, Clone, Copy)]
enum SortKey {
    CreatedAt,
    JobStatus,
    Name,
    JobType,
}

impl SortKey {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "createdAt" => SortKey::CreatedAt,
            "jobStatus" => SortKey::JobStatus,
            "name" => SortKey::Name,
            "jobType" => SortKey::JobType,
            _ => return None,
        })
    }
}

/// A keyset position: paging stays correct while jobs change between pages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Cursor {
    key: String,
    job_id: String,
}

impl Cursor {
    fn of(job: &Job, key: SortKey) -> Self {
        let key = match key {
            SortKey::CreatedAt => format!("{:020}", job.created_at.timestamp_millis().max(0)),
            SortKey::JobStatus => job.status.as_str().to_string(),
            SortKey::Name => job.name.clone(),
            SortKey::JobType => job.job_type.as_str().to_string(),
        };
        Cursor {
            key,
            job_id: job.job_id.clone(),
        }
    }

    fn encode(&self) -> String {
        let raw = json!([self.key, self.job_id]).to_string();
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn decode(token: &str) -> Option<Self> {
        if !token.len().is_multiple_of(2) || token.len() > 4096 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..token.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
            .collect();
        let v: Value = serde_json::from_slice(&bytes?).ok()?;
        let arr = v.as_array()?;
        Some(Cursor {
            key: arr.first()?.as_str()?.to_string(),
            job_id: arr.get(1)?.as_str()?.to_string(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparator {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
    Ne,
    Contains,
    StartsWith,
}

#[derive(Debug)]
enum TermValues {
    Strings(Vec<String>),
    Times(Vec<DateTime<Utc>>),
}

#[derive(Debug)]
struct Term {
    comparator: Comparator,
    key: SortKey,
    values: TermValues,
}

fn parse_terms(v: Option<&Value>, field: &str) -> Result<Vec<Term>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::validation(format!("{field} must be a list")))?;
    arr.iter()
        .enumerate()
        .map(|(i, t)| {
            let f = format!("{field}[{i}]");
            let t = obj(t, &f)?;
            let comparator = enum_field(
                t,
                "comparator",
                |s| {
                    Some(match s {
                        "EQ" => Comparator::Eq,
                        "GT" => Comparator::Gt,
                        "GTE" => Comparator::Gte,
                        "LT" => Comparator::Lt,
                        "LTE" => Comparator::Lte,
                        "NE" => Comparator::Ne,
                        "CONTAINS" => Comparator::Contains,
                        "STARTS_WITH" => Comparator::StartsWith,
                        _ => return None,
                    })
                },
                "EQ, GT, GTE, LT, LTE, NE, CONTAINS, STARTS_WITH",
            )
            .map_err(|e| ApiError::validation(format!("{f}.{}", e.message)))?
            .unwrap_or(Comparator::Eq);
            let key = enum_field(t, "key", SortKey::parse, "jobType, jobStatus, createdAt, name")
                .map_err(|e| ApiError::validation(format!("{f}.{}", e.message)))?
                .ok_or_else(|| ApiError::validation(format!("{f}.key is required")))?;
            let raw: Vec<String> = match t.get("values") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            ApiError::validation(format!("{f}.values must be a list of strings"))
                        })
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(ApiError::validation(format!("{f}.values must be a list of strings"))),
            };
            let values = match key {
                SortKey::CreatedAt => TermValues::Times(
                    raw.iter()
                        .map(|s| {
                            DateTime::parse_from_rfc3339(s)
                                .map(|t| t.with_timezone(&Utc))
                                .map_err(|_| {
                                    ApiError::validation(format!(
                                        "{f}.values: {s:?} is not an ISO 8601 date-time such as 2026-09-28T14:31:13Z"
                                    ))
                                })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                SortKey::JobStatus | SortKey::JobType => {
                    for s in &raw {
                        let ok = match key {
                            SortKey::JobStatus => JobStatus::parse(s).is_some(),
                            _ => JobType::parse(s).is_some(),
                        };
                        if !ok {
                            return Err(ApiError::validation(format!(
                                "{f}.values: {s:?} is not a valid value for {}",
                                match key {
                                    SortKey::JobStatus => "jobStatus",
                                    _ => "jobType",
                                }
                            )));
                        }
                    }
                    TermValues::Strings(raw)
                }
                SortKey::Name => TermValues::Strings(raw),
            };
            Ok(Term {
                comparator,
                key,
                values,
            })
        })
        .collect()
}

fn compare<T: PartialOrd + ?Sized>(c: Comparator, field: &T, value: &T) -> bool {
    match c {
        Comparator::Eq => field == value,
        Comparator::Ne => field != value,
        Comparator::Gt => field > value,
        Comparator::Gte => field >= value,
        Comparator::Lt => field < value,
        Comparator::Lte => field <= value,
        Comparator::Contains | Comparator::StartsWith => false,
    }
}

impl Term {
    fn matches(&self, job: &Job) -> bool {
        match &self.values {
            TermValues::Times(times) => {
                let hit = |t: &DateTime<Utc>| compare(self.comparator, &job.created_at, t);
                if self.comparator == Comparator::Ne {
                    times.iter().all(hit)
                } else {
                    times.iter().any(hit)
                }
            }
            TermValues::Strings(values) => {
                let field = match self.key {
                    SortKey::JobStatus => job.status.as_str(),
                    SortKey::JobType => job.job_type.as_str(),
                    SortKey::Name => job.name.as_str(),
                    // createdAt terms always hold times.
                    SortKey::CreatedAt => return false,
                };
                let hit = |v: &String| match self.comparator {
                    Comparator::Contains => field.contains(v.as_str()),
                    Comparator::StartsWith => field.starts_with(v.as_str()),
                    c => compare(c, field, v.as_str()),
                };
                if self.comparator == Comparator::Ne {
                    values.iter().all(hit)
                } else {
                    values.iter().any(hit)
                }
            }
        }
    }
}

impl State {
    pub fn list_jobs(&mut self, body: &Value) -> Result<Value, ApiError> {
        let body = match body {
            Value::Null => Map::new(),
            v => obj(v, "request body")?.clone(),
        };
        let max_results = match body.get("maxResults") {
            None | Some(Value::Null) => DEFAULT_MAX_RESULTS,
            Some(v) => match v.as_i64() {
                Some(n @ 1..=MAX_RESULTS) => n,
                _ => {
                    return Err(ApiError::validation(format!(
                        "maxResults must be an integer from 1 to {MAX_RESULTS}, not {v}"
                    )))
                }
            },
        } as usize;
        let (includes, excludes) = match body.get("filterCriteria") {
            None | Some(Value::Null) => (Vec::new(), Vec::new()),
            Some(v) => {
                let fc = obj(v, "filterCriteria")?;
                (
                    parse_terms(fc.get("includes"), "filterCriteria.includes")?,
                    parse_terms(fc.get("excludes"), "filterCriteria.excludes")?,
                )
            }
        };
        let (sort_key, descending) = match body.get("sortCriteria") {
            None | Some(Value::Null) => (SortKey::CreatedAt, false),
            Some(v) => {
                let sc = obj(v, "sortCriteria")?;
                let key = enum_field(
                    sc,
                    "attributeName",
                    SortKey::parse,
                    "createdAt, jobStatus, name, jobType",
                )?
                .unwrap_or(SortKey::CreatedAt);
                let desc = enum_field(
                    sc,
                    "orderBy",
                    |s| match s {
                        "ASC" => Some(false),
                        "DESC" => Some(true),
                        _ => None,
                    },
                    "ASC, DESC",
                )?
                .unwrap_or(false);
                (key, desc)
            }
        };
        let after = match opt_str(&body, "nextToken")? {
            None => None,
            Some(t) => Some(Cursor::decode(t).ok_or_else(|| {
                ApiError::validation(format!(
                    "nextToken {t:?} is not a token this service issued"
                ))
            })?),
        };

        let now = self.now();
        let mut matched: Vec<&Job> = Vec::new();
        for job in self.jobs.values_mut() {
            job.expire(now);
        }
        for job in self.jobs.values() {
            if includes.iter().all(|t| t.matches(job)) && !excludes.iter().any(|t| t.matches(job)) {
                let cursor = Cursor::of(job, sort_key);
                let past = match &after {
                    None => true,
                    Some(a) => {
                        let ord = cursor.cmp(a);
                        if descending {
                            ord == Ordering::Less
                        } else {
                            ord == Ordering::Greater
                        }
                    }
                };
                if past {
                    matched.push(job);
                }
            }
        }
        matched.sort_by(|a, b| {
            let ord = Cursor::of(a, sort_key).cmp(&Cursor::of(b, sort_key));
            if descending {
                ord.reverse()
            } else {
                ord
            }
        });
        let more = matched.len() > max_results;
        matched.truncate(max_results);
        let items: Vec<Value> = matched
            .iter()
            .map(|j| j.summary(&self.region, now))
            .collect();
        let next = if more {
            matched.last().map(|j| Cursor::of(j, sort_key).encode())
        } else {
            None
        };
        let mut out = json!({ "items": items });
        if let Some(n) = next {
            out["nextToken"] = json!(n);
        }
        Ok(out)
    }
}
