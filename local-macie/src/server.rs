//! HTTP routes: the Macie2 REST-JSON operations and the `/_local/` control plane.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::accounts::Macie;
use crate::error::{ApiError, ErrorKind};
use crate::model::{timestamp, JobStatus};
use crate::state::{FaultPlan, JobSeed, State};

pub type Shared = Arc<Mutex<Macie>>;

fn lock(state: &Shared) -> MutexGuard<'_, Macie> {
    // A panic while holding the lock leaves consistent data (every mutation is one step).
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ok(body: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(format!("the request body is not valid JSON: {e}")))
}

/// Runs one API operation in the account and Region the request is signed for: count it,
/// serve any planned fault, then do it under the lock.
fn operation(
    state: &Shared,
    headers: &HeaderMap,
    name: &str,
    body: Option<&Bytes>,
    f: impl FnOnce(&mut State, Value) -> Result<Response, ApiError>,
) -> Response {
    let mut macie = lock(state);
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let result = macie.select(authorization).and_then(|st| {
        st.enter(name)
            .and_then(|()| body.map(parse_body).unwrap_or(Ok(Value::Null)))
            .and_then(|v| f(st, v))
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/jobs", post(create_job))
        .route("/jobs/list", post(list_jobs))
        .route("/jobs/{job_id}", get(describe_job).patch(update_job))
        .route(
            "/classification-export-configuration",
            get(get_export).put(put_export),
        )
        .route("/macie", get(macie_session))
        .route("/administrator", get(administrator_account))
        .route(
            "/automated-discovery/configuration",
            get(automated_discovery),
        )
        .route("/tags/{arn}", get(list_tags).post(tag_resource))
        .route("/custom-data-identifiers", post(create_custom))
        .route("/custom-data-identifiers/list", post(list_custom))
        .route("/custom-data-identifiers/get", post(batch_get_custom))
        .route(
            "/custom-data-identifiers/{id}",
            get(get_custom).delete(delete_custom),
        )
        .route(
            "/allow-lists",
            post(create_allow_list).get(list_allow_lists),
        )
        .route(
            "/allow-lists/{id}",
            get(get_allow_list).delete(delete_allow_list),
        )
        .route("/_local/jobs", post(seed_jobs))
        .route("/_local/jobs/{job_id}/status", post(force_status))
        .route("/_local/clock", get(get_clock).post(set_clock))
        .route("/_local/calls", get(get_calls).delete(reset_calls))
        .route("/_local/faults", post(set_faults).delete(clear_faults))
        .route("/_local/latency", post(set_latency))
        .fallback(unknown)
        .with_state(state)
}

async fn unknown() -> Response {
    ApiError::new(
        ErrorKind::ResourceNotFound,
        "local-macie implements classification jobs, custom data identifiers, allow lists, tags, the export configuration, GetMacieSession and GetAdministratorAccount only",
    )
    .into_response()
}

async fn create_job(AxState(s): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    operation(
        &s,
        &headers,
        "CreateClassificationJob",
        Some(&body),
        |st, v| st.create_job(&v).map(ok),
    )
}

async fn create_custom(AxState(s): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    operation(
        &s,
        &headers,
        "CreateCustomDataIdentifier",
        Some(&body),
        |st, v| {
            let (prefix, salt, now) = (st.arn_prefix(), st.id_salt(), timestamp(st.now()));
            st.identifiers
                .create_custom(&v, &prefix, salt, &now)
                .map(ok)
        },
    )
}

async fn list_custom(AxState(s): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    operation(
        &s,
        &headers,
        "ListCustomDataIdentifiers",
        Some(&body),
        |st, _| Ok(ok(st.identifiers.list_custom())),
    )
}

async fn batch_get_custom(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    operation(
        &s,
        &headers,
        "BatchGetCustomDataIdentifiers",
        Some(&body),
        |st, v| st.identifiers.batch_get_custom(&v).map(ok),
    )
}

async fn get_custom(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    operation(&s, &headers, "GetCustomDataIdentifier", None, |st, _| {
        st.identifiers.get_custom(&id).map(ok)
    })
}

async fn delete_custom(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    operation(&s, &headers, "DeleteCustomDataIdentifier", None, |st, _| {
        st.identifiers.delete_custom(&id).map(ok)
    })
}

async fn create_allow_list(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    operation(&s, &headers, "CreateAllowList", Some(&body), |st, v| {
        let (prefix, salt, now) = (st.arn_prefix(), st.id_salt(), timestamp(st.now()));
        st.identifiers
            .create_allow_list(&v, &prefix, salt, &now)
            .map(ok)
    })
}

async fn list_allow_lists(AxState(s): AxState<Shared>, headers: HeaderMap) -> Response {
    operation(&s, &headers, "ListAllowLists", None, |st, _| {
        Ok(ok(st.identifiers.list_allow_lists()))
    })
}

async fn get_allow_list(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    operation(&s, &headers, "GetAllowList", None, |st, _| {
        st.identifiers.get_allow_list(&id).map(ok)
    })
}

async fn delete_allow_list(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    operation(&s, &headers, "DeleteAllowList", None, |st, _| {
        st.identifiers.delete_allow_list(&id).map(ok)
    })
}

async fn list_jobs(AxState(s): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    slow(&s, "ListClassificationJobs").await;
    operation(
        &s,
        &headers,
        "ListClassificationJobs",
        Some(&body),
        |st, v| st.list_jobs(&v).map(ok),
    )
}

/// Waits the latency set for `operation`, without holding the lock.
async fn slow(state: &Shared, operation: &str) {
    let ms = {
        let m = lock(state);
        match m.latency.get(operation) {
            Some(&(ms, after)) if m.own.calls_of(operation) >= after => ms,
            _ => 0,
        }
    };
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

async fn describe_job(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    slow(&s, "DescribeClassificationJob").await;
    operation(&s, &headers, "DescribeClassificationJob", None, |st, _| {
        st.describe_job(&job_id).map(ok)
    })
}

async fn update_job(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Response {
    slow(&s, "UpdateClassificationJob").await;
    operation(
        &s,
        &headers,
        "UpdateClassificationJob",
        Some(&body),
        |st, v| st.update_job(&job_id, &v).map(|()| ok(json!({}))),
    )
}

async fn get_export(AxState(s): AxState<Shared>, headers: HeaderMap) -> Response {
    slow(&s, "GetClassificationExportConfiguration").await;
    operation(
        &s,
        &headers,
        "GetClassificationExportConfiguration",
        None,
        |st, _| Ok(ok(st.get_export_configuration())),
    )
}

async fn put_export(AxState(s): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    operation(
        &s,
        &headers,
        "PutClassificationExportConfiguration",
        Some(&body),
        |st, v| st.put_export_configuration(&v).map(ok),
    )
}

async fn administrator_account(AxState(s): AxState<Shared>, headers: HeaderMap) -> Response {
    slow(&s, "GetAdministratorAccount").await;
    operation(&s, &headers, "GetAdministratorAccount", None, |st, _| {
        Ok(ok(st.administrator_account()))
    })
}

async fn automated_discovery(AxState(s): AxState<Shared>, headers: HeaderMap) -> Response {
    slow(&s, "GetAutomatedDiscoveryConfiguration").await;
    operation(
        &s,
        &headers,
        "GetAutomatedDiscoveryConfiguration",
        None,
        |st, _| Ok(ok(st.automated_discovery())),
    )
}

async fn macie_session(AxState(s): AxState<Shared>, headers: HeaderMap) -> Response {
    operation(&s, &headers, "GetMacieSession", None, |st, _| {
        Ok(ok(st.macie_session()))
    })
}

async fn list_tags(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(arn): Path<String>,
) -> Response {
    operation(&s, &headers, "ListTagsForResource", None, |st, _| {
        st.list_tags(&arn).map(ok)
    })
}

async fn tag_resource(
    AxState(s): AxState<Shared>,
    headers: HeaderMap,
    Path(arn): Path<String>,
    body: Bytes,
) -> Response {
    operation(&s, &headers, "TagResource", Some(&body), |st, v| {
        st.tag_resource(&arn, &v)
            .map(|()| StatusCode::NO_CONTENT.into_response())
    })
}

// ---- control plane -----------------------------------------------------------------------

fn control(f: impl FnOnce() -> Result<Value, ApiError>) -> Response {
    f().map(ok).unwrap_or_else(IntoResponse::into_response)
}

fn parse_as<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::validation(format!("control request: {e}")))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Seeds {
    Many { jobs: Vec<JobSeed> },
    One(Box<JobSeed>),
}

async fn seed_jobs(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    control(|| {
        let seeds = match parse_as::<Seeds>(&body)? {
            Seeds::Many { jobs } => jobs,
            Seeds::One(seed) => vec![*seed],
        };
        let mut macie = lock(&s);
        let st = &mut macie.own;
        let mut ids = Vec::new();
        for seed in &seeds {
            ids.extend(st.seed_job(seed)?);
        }
        Ok(json!({ "jobIds": ids }))
    })
}

async fn force_status(
    AxState(s): AxState<Shared>,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Response {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Req {
        job_status: String,
    }
    control(|| {
        let req: Req = parse_as(&body)?;
        let status = JobStatus::parse(&req.job_status).ok_or_else(|| {
            ApiError::validation(format!("jobStatus {:?} is unknown", req.job_status))
        })?;
        lock(&s).own.force_status(&job_id, status)
    })
}

fn clock_body(st: &State) -> Value {
    json!({ "now": timestamp(st.now()) })
}

async fn get_clock(AxState(s): AxState<Shared>) -> Response {
    control(|| Ok(clock_body(&lock(&s).own)))
}

async fn set_clock(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Req {
        advance_days: Option<f64>,
        advance_seconds: Option<f64>,
        now: Option<DateTime<Utc>>,
    }
    control(|| {
        let req: Req = parse_as(&body)?;
        let mut macie = lock(&s);
        let st = &mut macie.own;
        if let Some(now) = req.now {
            st.set_clock(now);
        }
        let secs = req.advance_days.unwrap_or(0.0) * 86_400.0 + req.advance_seconds.unwrap_or(0.0);
        if !secs.is_finite() || secs.abs() > 3650.0 * 86_400.0 {
            return Err(ApiError::validation(
                "advance by at most 3650 days either way",
            ));
        }
        st.advance_clock(Duration::milliseconds((secs * 1000.0) as i64));
        Ok(clock_body(st))
    })
}

async fn get_calls(AxState(s): AxState<Shared>) -> Response {
    control(|| Ok(lock(&s).calls()))
}

async fn reset_calls(AxState(s): AxState<Shared>) -> Response {
    control(|| {
        let mut macie = lock(&s);
        macie.reset_calls();
        Ok(macie.calls())
    })
}

async fn set_faults(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Req {
        operation: String,
        #[serde(default)]
        sequence: Vec<String>,
        #[serde(default)]
        rate: f64,
        #[serde(default)]
        error: Option<String>,
        #[serde(default)]
        seed: Option<u64>,
        /// Another account and Region behind this server (both, or neither: its own).
        #[serde(default)]
        account: Option<String>,
        #[serde(default)]
        region: Option<String>,
    }
    control(|| {
        let req: Req = parse_as(&body)?;
        let fault = |name: &str| -> Result<Option<ErrorKind>, ApiError> {
            if name == "ok" {
                return Ok(None);
            }
            ErrorKind::parse(name).map(Some).ok_or_else(|| {
                ApiError::validation(format!(
                    "fault {name:?}: use ok or an error name such as ThrottlingException or InternalServerException"
                ))
            })
        };
        if !(0.0..=1.0).contains(&req.rate) {
            return Err(ApiError::validation("rate must be from 0 to 1"));
        }
        let plan = FaultPlan {
            sequence: req
                .sequence
                .iter()
                .map(|n| fault(n))
                .collect::<Result<_, _>>()?,
            rate: req.rate,
            rate_error: req.error.as_deref().map(fault).transpose()?.flatten(),
        };
        let mut macie = lock(&s);
        let st = macie.tenant(req.account.as_deref(), req.region.as_deref())?;
        if let Some(seed) = req.seed {
            st.seed_rng(seed);
        }
        st.set_faults(req.operation.clone(), plan);
        Ok(json!({ "operation": req.operation }))
    })
}

/// `{"operation": "UpdateClassificationJob", "ms": 200}`: that operation answers that much
/// later (0: at once); with `"after": N`, only once N of its calls were answered (the call
/// after the N-th is the first held back).
async fn set_latency(AxState(s): AxState<Shared>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Req {
        operation: String,
        ms: u64,
        #[serde(default)]
        after: u64,
    }
    control(|| {
        let req: Req = parse_as(&body)?;
        if req.ms > 60_000 {
            return Err(ApiError::validation("ms is at most 60000"));
        }
        lock(&s)
            .latency
            .insert(req.operation.clone(), (req.ms, req.after));
        Ok(json!({ "operation": req.operation, "ms": req.ms, "after": req.after }))
    })
}

async fn clear_faults(AxState(s): AxState<Shared>) -> Response {
    control(|| {
        lock(&s).own.clear_faults();
        Ok(json!({}))
    })
}
