//! [`ExportSources`] over the SDK clients: Macie, S3 and KMS, per Region.

use super::*;

/// How many of the most recently created jobs the evidence looks at (one describe each).
const RECENT_JOBS: i32 = 10;

/// Clients per Region, built on first use from one SDK configuration.
struct PerRegion<C> {
    clients: Mutex<HashMap<String, C>>,
    build: fn(&SdkConfig, &str) -> C,
}

impl<C: Clone> PerRegion<C> {
    fn new(build: fn(&SdkConfig, &str) -> C) -> Self {
        PerRegion {
            clients: Mutex::new(HashMap::new()),
            build,
        }
    }

    fn put(&self, region: &str, client: C) {
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(region.to_string(), client);
    }

    fn get(&self, sdk: &SdkConfig, region: &str) -> C {
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(region.to_string())
            .or_insert_with(|| (self.build)(sdk, region))
            .clone()
    }
}

pub struct AwsSources {
    sdk: SdkConfig,
    macie: PerRegion<aws_sdk_macie2::Client>,
    s3: PerRegion<aws_sdk_s3::Client>,
    kms: PerRegion<aws_sdk_kms::Client>,
    /// The first read that got no answer (`error::no_answer`): the check fails on it.
    unanswered: Mutex<Option<String>>,
}

impl AwsSources {
    pub fn new(sdk: SdkConfig) -> AwsSources {
        AwsSources {
            sdk,
            unanswered: Mutex::new(None),
            macie: PerRegion::new(|sdk, r| {
                aws_sdk_macie2::Client::from_conf(
                    aws_sdk_macie2::config::Builder::from(sdk)
                        .region(Region::new(r.to_string()))
                        .build(),
                )
            }),
            s3: PerRegion::new(|sdk, r| {
                let base = crate::aws::s3(sdk);
                aws_sdk_s3::Client::from_conf(
                    base.config()
                        .to_builder()
                        .region(Region::new(r.to_string()))
                        .build(),
                )
            }),
            kms: PerRegion::new(|sdk, r| {
                aws_sdk_kms::Client::from_conf(
                    aws_sdk_kms::config::Builder::from(sdk)
                        .region(Region::new(r.to_string()))
                        .build(),
                )
            }),
        }
    }
}

impl AwsSources {
    /// Uses `client` for KMS calls in `region` (a client with its own settings, or a mock).
    pub fn with_kms(self, region: &str, client: aws_sdk_kms::Client) -> Self {
        self.kms.put(region, client);
        self
    }

    /// Uses `client` for S3 calls in `region`.
    pub fn with_s3(self, region: &str, client: aws_sdk_s3::Client) -> Self {
        self.s3.put(region, client);
        self
    }
}

/// A policy as read: its text, or no policy at all.
fn policy_fact(policy: Option<&str>) -> PolicyFact {
    match policy {
        Some(p) => PolicyFact::Document {
            text: p.to_string(),
        },
        None => PolicyFact::None,
    }
}

fn why<E: ProvideErrorMetadata>(e: &E, fallback: impl FnOnce() -> String) -> String {
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => fallback(),
    }
}

impl AwsSources {
    /// Why a read failed, as the fact says it; a read that got no answer from `service` is
    /// also noted, so that the check fails instead of reporting what it could not read.
    fn why<E>(
        &self,
        service: &str,
        e: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> String
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if let Some(none) = crate::error::no_answer(service, e) {
            let mut first = self.unanswered.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| none.clone());
            return none;
        }
        why(e, || describe_sdk_error(e))
    }
}

impl ExportSources for AwsSources {
    fn take_no_answer(&self) -> Option<String> {
        self.unanswered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    async fn configuration(&self, region: &str) -> ConfigFact {
        let client = self.macie.get(&self.sdk, region);
        match client
            .get_classification_export_configuration()
            .send()
            .await
        {
            Ok(out) => match out.configuration().and_then(|c| c.s3_destination()) {
                None => ConfigFact::NotSet,
                Some(d) => ConfigFact::Set(Destination {
                    bucket_name: d.bucket_name().map(str::to_string),
                    key_prefix: d.key_prefix().map(str::to_string),
                    kms_key_arn: d.kms_key_arn().map(str::to_string),
                    expected_bucket_owner: d.expected_bucket_owner().map(str::to_string),
                }),
            },
            Err(e) => ConfigFact::Unreadable {
                reason: self.why("Macie2", &e),
            },
        }
    }

    async fn latest_run(&self, region: &str) -> RunFact {
        use aws_sdk_macie2::types::{ListJobsSortAttributeName, ListJobsSortCriteria, OrderBy};
        let client = self.macie.get(&self.sdk, region);
        // Bounded: the ten most recently created jobs, each described for its last run.
        let listed = client
            .list_classification_jobs()
            .max_results(RECENT_JOBS)
            .sort_criteria(
                ListJobsSortCriteria::builder()
                    .attribute_name(ListJobsSortAttributeName::CreatedAt)
                    .order_by(OrderBy::Desc)
                    .build(),
            )
            .send()
            .await;
        let items = match listed {
            Ok(out) => out.items().to_vec(),
            Err(e) => {
                return RunFact::Unverified {
                    reason: self.why("Macie2", &e),
                }
            }
        };
        let mut latest: Option<RunFact> = None;
        for item in items.iter().take(RECENT_JOBS as usize) {
            let Some(id) = item.job_id() else { continue };
            let job = match client.describe_classification_job().job_id(id).send().await {
                Ok(j) => j,
                Err(e) => {
                    return RunFact::Unverified {
                        reason: self.why("Macie2", &e),
                    }
                }
            };
            // lastRunTime is the creation time of a job that never ran.
            let runs = job
                .statistics()
                .and_then(|s| s.number_of_runs())
                .unwrap_or(0.0);
            let Some(at) = job.last_run_time().filter(|_| runs >= 1.0) else {
                continue;
            };
            let Ok(at) = DateTime::<Utc>::from_timestamp(at.secs(), at.subsec_nanos()).ok_or(())
            else {
                continue;
            };
            let newer = match &latest {
                Some(RunFact::Ran { at: seen, .. }) => at > *seen,
                _ => true,
            };
            if newer {
                latest = Some(RunFact::Ran {
                    job_id: id.to_string(),
                    name: job.name().unwrap_or_default().to_string(),
                    at,
                });
            }
        }
        latest.unwrap_or(RunFact::NoRun)
    }

    async fn automated_discovery(&self, region: &str) -> Option<bool> {
        use aws_sdk_macie2::types::AutomatedDiscoveryStatus;
        match self
            .macie
            .get(&self.sdk, region)
            .get_automated_discovery_configuration()
            .send()
            .await
        {
            Ok(out) => Some(out.status() == Some(&AutomatedDiscoveryStatus::Enabled)),
            Err(e) => {
                tracing::warn!(region, error = %self.why("Macie2", &e), "cannot read the automated discovery configuration");
                None
            }
        }
    }

    async fn results(
        &self,
        bucket_region: &str,
        bucket: &str,
        prefix: &str,
        expected_owner: &str,
    ) -> ResultsFact {
        let out = self
            .s3
            .get(&self.sdk, bucket_region)
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .max_keys(1000)
            .expected_bucket_owner(expected_owner)
            .send()
            .await;
        match out {
            Ok(o) => ResultsFact::Listed {
                prefix: prefix.to_string(),
                newest: o
                    .contents()
                    .iter()
                    .filter_map(|c| c.last_modified())
                    .filter_map(|t| DateTime::<Utc>::from_timestamp(t.secs(), t.subsec_nanos()))
                    .max(),
                objects: o.contents().len(),
                truncated: o.is_truncated().unwrap_or(false),
            },
            Err(e) => ResultsFact::Unverified {
                reason: self.why("S3", &e),
            },
        }
    }

    async fn membership(&self, region: &str) -> Membership {
        let client = self.macie.get(&self.sdk, region);
        let administrator = match client.get_administrator_account().send().await {
            Ok(out) => out.administrator().and_then(|a| {
                let status = a
                    .relationship_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                a.account_id().map(|id| (id.to_string(), status))
            }),
            Err(e) => {
                return Membership::Unverified {
                    reason: self.why("Macie2", &e),
                }
            }
        };
        let administrator = match membership_of(administrator) {
            Ok(active) => active,
            Err(not_a_member) => return not_a_member,
        };
        let own_jobs = match client
            .list_classification_jobs()
            .max_results(1)
            .send()
            .await
        {
            Ok(out) => Some(!out.items().is_empty()),
            Err(e) => {
                tracing::warn!(region, error = %self.why("Macie2", &e), "cannot list this account's own jobs");
                None
            }
        };
        Membership::Member {
            administrator,
            own_jobs,
        }
    }

    async fn bucket(&self, region: &str, bucket: &str, expected_owner: &str) -> BucketFact {
        // Another Region's endpoint answers 301 with the bucket's Region: ask there, once.
        let mut ask = region.to_string();
        let mut redirected = false;
        let bucket_region = loop {
            match self
                .s3
                .get(&self.sdk, &ask)
                .head_bucket()
                .bucket(bucket)
                .send()
                .await
            {
                Ok(out) => match out.bucket_region() {
                    Some(r) => break r.to_string(),
                    None => {
                        return BucketFact::Unverified {
                            region: None,
                            reason: "HeadBucket gave no x-amz-bucket-region".into(),
                        }
                    }
                },
                Err(e) => {
                    let raw = e.raw_response();
                    let status = raw.map(|r| r.status().as_u16());
                    let header = raw
                        .and_then(|r| r.headers().get("x-amz-bucket-region"))
                        .map(str::to_string);
                    match (status, header) {
                        (Some(404), _) => return BucketFact::Missing,
                        (Some(301), Some(r)) if !redirected && r != ask => {
                            redirected = true;
                            ask = r;
                        }
                        (Some(403), r) => {
                            return BucketFact::Unverified {
                                region: r,
                                reason: "HeadBucket was denied (403)".into(),
                            }
                        }
                        (_, r) => {
                            return BucketFact::Unverified {
                                region: r,
                                reason: self.why("S3", &e),
                            }
                        }
                    }
                }
            }
        };
        let owned = self
            .s3
            .get(&self.sdk, &bucket_region)
            .head_bucket()
            .bucket(bucket)
            .expected_bucket_owner(expected_owner)
            .send()
            .await;
        let owner = match owned {
            Ok(_) => Owner::Expected,
            Err(e) if e.raw_response().map(|r| r.status().as_u16()) == Some(403) => Owner::Other,
            Err(_) => Owner::Unknown,
        };
        BucketFact::Found {
            region: bucket_region,
            owner,
        }
    }

    async fn bucket_policy(&self, bucket_region: &str, bucket: &str) -> PolicyFact {
        match self
            .s3
            .get(&self.sdk, bucket_region)
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => policy_fact(out.policy()),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => PolicyFact::None,
            Err(e) => PolicyFact::Unverified {
                reason: self.why("S3", &e),
            },
        }
    }

    async fn key(&self, key_region: &str, key_arn: &str) -> KeyFact {
        match self
            .kms
            .get(&self.sdk, key_region)
            .describe_key()
            .key_id(key_arn)
            .send()
            .await
        {
            Ok(out) => match out.key_metadata() {
                Some(m) => KeyFact::Found(KeyInfo {
                    arn: m.arn().unwrap_or(key_arn).to_string(),
                    state: m
                        .key_state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| {
                            if m.enabled() {
                                "Enabled".into()
                            } else {
                                "Disabled".into()
                            }
                        }),
                    manager: m
                        .key_manager()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    spec: m
                        .key_spec()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    usage: m.key_usage().map(|s| s.as_str().to_string()),
                    deletion_date: m
                        .deletion_date()
                        .and_then(|d| chrono::DateTime::from_timestamp(d.secs(), 0)),
                }),
                None => KeyFact::Unverified {
                    reason: "DescribeKey returned no key metadata".into(),
                },
            },
            Err(e) if e.code() == Some("NotFoundException") => KeyFact::NotFound {
                reason: why(&e, || "NotFoundException".into()),
            },
            Err(e) => KeyFact::Unverified {
                reason: self.why("KMS", &e),
            },
        }
    }

    async fn key_policy(&self, key_region: &str, key_arn: &str) -> PolicyFact {
        match self
            .kms
            .get(&self.sdk, key_region)
            .get_key_policy()
            .key_id(key_arn)
            .policy_name("default")
            .send()
            .await
        {
            Ok(out) => policy_fact(out.policy()),
            Err(e) => PolicyFact::Unverified {
                reason: self.why("KMS", &e),
            },
        }
    }
}
