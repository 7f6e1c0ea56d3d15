//! Facts about the export configuration in, findings out: pure functions, no I/O.
//!
//! [`evidence`] weighs the results that arrived; [`policies`] reads the key and bucket
//! policies; this file checks the configuration, the bucket and the key.

use serde::Serialize;
use serde_json::{json, Value};

use super::facts::{
    bucket_name_problem, parse_key_arn, BucketFact, ConfigFact, Destination, ExportFacts, KeyFact,
    Membership, Owner,
};
use super::policy_eval::{PolicyDoc, Request, Verdict, ABSENT_FOR_SERVICE_PRINCIPALS};
use super::regions::{classify, macie_principal, placement, Placement};
use crate::scope::{is_account, partition_of};
use crate::severity::Severity;

/// One problem (or a thing that could not be verified), with its fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable code, listed in docs/reports.md (Finding codes).
    pub code: &'static str,
    pub severity: Severity,
    /// What it is about: the configuration, the bucket ARN or the key ARN.
    pub resource: String,
    pub message: String,
    pub fix: String,
    /// For policy findings: the exact statement(s) to add.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Value>,
}

struct Ctx<'a> {
    account: &'a str,
    region: &'a str,
    partition: &'static str,
    principal: String,
    config_resource: String,
    bucket_arn: String,
    key_arn: String,
    /// The key's Region and account, from its ARN.
    key_home: Option<(String, String)>,
    prefix: String,
    out: Vec<Finding>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        code: &'static str,
        severity: Severity,
        resource: &str,
        message: String,
        fix: String,
    ) {
        self.out.push(Finding {
            code,
            severity,
            resource: resource.to_string(),
            message,
            fix,
            statement: None,
        });
    }

    fn with_statement(&mut self, statement: Value) {
        if let Some(f) = self.out.last_mut() {
            f.statement = Some(statement);
        }
    }

    fn source_conditions(&self) -> Value {
        json!({
            "StringEquals": {"aws:SourceAccount": self.account},
            "ArnLike": {"aws:SourceArn": [
                format!("arn:{}:macie2:{}:{}:export-configuration:*", self.partition, self.region, self.account),
                format!("arn:{}:macie2:{}:{}:classification-job/*", self.partition, self.region, self.account),
            ]}
        })
    }

    /// Whether a key policy naming Macie's regional service principal may be refused: Macie
    /// runs in an opt-in Region (its principal is `macie.<region>.amazonaws.com`) and the key
    /// sits in another Region or another account, where KMS need not know that principal (it
    /// has refused such policies with "Invalid Service Principal" where the key's account had
    /// not enabled the Region: awslabs/landing-zone-accelerator-on-aws#1054; docs/aws-behaviour.md).
    fn regional_principal_may_be_refused(&self) -> bool {
        let regional = self.principal != "macie.amazonaws.com";
        regional
            && self
                .key_home
                .as_ref()
                .is_some_and(|(region, account)| region != self.region || account != self.account)
    }

    /// The statement Macie needs in the key policy. Where the regional principal may be
    /// refused, the form KMS takes in any Region and account: no named principal, only an AWS
    /// service acting for Macie's export configuration or jobs in this account and Region
    /// (aws:PrincipalIsAWSService, aws:SourceAccount, aws:SourceArn).
    fn key_statement(&self) -> Value {
        if self.regional_principal_may_be_refused() {
            let mut condition = self.source_conditions();
            condition["Bool"] = json!({"aws:PrincipalIsAWSService": "true"});
            return json!({
                "Sid": "AllowMacieToUseTheKey",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
                "Resource": "*",
                "Condition": condition,
            });
        }
        json!({
            "Sid": "AllowMacieToUseTheKey",
            "Effect": "Allow",
            "Principal": {"Service": self.principal},
            "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
            "Resource": "*",
            "Condition": self.source_conditions(),
        })
    }

    /// What the fix of a key-policy finding adds about the statement's form.
    fn key_statement_note(&self) -> String {
        if !self.regional_principal_may_be_refused() {
            return String::new();
        }
        let (region, account) = self.key_home.clone().unwrap_or_default();
        format!(
            " Macie in the opt-in Region {} acts as {}; the key is in {region}, account {account}, where KMS may refuse a key policy naming that principal (\"Invalid Service Principal\", unless that account has enabled {}). So the statement names no principal and admits only an AWS service acting for Macie's export configuration or jobs in {} of account {}. Where the key's account has enabled {}, {{\"Service\": \"{}\"}} as the principal works too.",
            self.region, self.principal, self.region, self.region, self.account, self.region, self.principal
        )
    }

    fn bucket_statements(&self) -> Value {
        json!([
            {
                "Sid": "AllowMacieToGetTheBucketLocation",
                "Effect": "Allow",
                "Principal": {"Service": self.principal},
                "Action": "s3:GetBucketLocation",
                "Resource": self.bucket_arn,
                "Condition": self.source_conditions(),
            },
            {
                "Sid": "AllowMacieToAddObjectsToTheBucket",
                "Effect": "Allow",
                "Principal": {"Service": self.principal},
                "Action": "s3:PutObject",
                "Resource": format!("{}/{}*", self.bucket_arn, self.prefix),
                "Condition": self.source_conditions(),
            }
        ])
    }

    /// Macie's requests, once from the export configuration and once from a job, each with
    /// the condition keys that request carries: the service principal's own keys always;
    /// the SSE keys only on PutObject (they exist on object writes alone); the principal and
    /// network keys of IAM principals never.
    fn requests<'b>(&'b self, action: &'b str, resource: &'b str) -> Vec<Request<'b>> {
        ["export-configuration:*", "classification-job/example"]
            .iter()
            .map(|tail| {
                let mut present = vec![
                    ("aws:SourceAccount", vec![self.account.to_string()]),
                    (
                        "aws:SourceArn",
                        vec![format!(
                            "arn:{}:macie2:{}:{}:{tail}",
                            self.partition, self.region, self.account
                        )],
                    ),
                    ("aws:SecureTransport", vec!["true".into()]),
                    ("aws:PrincipalIsAWSService", vec!["true".into()]),
                    ("aws:PrincipalServiceName", vec![self.principal.clone()]),
                ];
                let mut absent = ABSENT_FOR_SERVICE_PRINCIPALS.to_vec();
                if action == "s3:PutObject" {
                    present.push(("s3:x-amz-server-side-encryption", vec!["aws:kms".into()]));
                    present.push((
                        "s3:x-amz-server-side-encryption-aws-kms-key-id",
                        vec![self.key_arn.clone()],
                    ));
                } else if action.starts_with("s3:") {
                    absent.push("s3:x-amz-server-side-encryption*");
                }
                Request {
                    service: &self.principal,
                    action,
                    resource,
                    present,
                    absent,
                }
            })
            .collect()
    }

    fn verdict(&self, doc: &PolicyDoc, action: &str, resource: &str) -> Verdict {
        let mut out = Verdict::Allowed;
        for req in self.requests(action, resource) {
            match doc.evaluate(&req) {
                Verdict::Allowed => {}
                v @ Verdict::Denied(_) => return v,
                v => {
                    if out == Verdict::Allowed || v == Verdict::NotAllowed {
                        out = v;
                    }
                }
            }
        }
        out
    }
}

/// Every finding for one Region's facts.
pub fn check(f: &ExportFacts) -> Vec<Finding> {
    let partition = partition_of(&f.macie_region);
    let mut c = Ctx {
        account: &f.account,
        region: &f.macie_region,
        partition,
        principal: macie_principal(&f.macie_region),
        config_resource: format!(
            "arn:{partition}:macie2:{}:{}:export-configuration",
            f.macie_region, f.account
        ),
        bucket_arn: String::new(),
        key_arn: String::new(),
        key_home: None,
        prefix: String::new(),
        out: Vec::new(),
    };
    let Some(dest) = check_configuration(&mut c, f) else {
        return c.out;
    };
    let fields = check_fields(&mut c, dest);
    c.key_home = fields
        .key_parts
        .as_ref()
        .map(|(_, region, account, _)| (region.clone(), account.clone()));
    let bucket_region = check_bucket(&mut c, f, dest, &fields);
    let key_found = check_key(&mut c, f, &fields, bucket_region.as_deref());
    if key_found {
        check_key_policy(&mut c, f, &fields);
    }
    if matches!(f.bucket, Some(BucketFact::Found { .. })) {
        check_bucket_policy(&mut c, f, dest, &fields);
    }
    check_evidence(&mut c, f);
    c.out
}

/// What the configuration's own fields say, for the checks of the bucket and the key.
struct Fields {
    bucket: String,
    bucket_ok: bool,
    /// (partition, Region, account, key id) of a well-formed key ARN.
    key_parts: Option<(String, String, String, String)>,
}

/// The Macie Region and the configuration itself: `None` when there is nothing further to
/// check (no configuration, or it cannot be read).
fn check_configuration<'f>(c: &mut Ctx<'_>, f: &'f ExportFacts) -> Option<&'f Destination> {
    let config = c.config_resource.clone();
    if classify(&f.macie_region).is_none() {
        c.push("MACIE_REGION_UNKNOWN", Severity::Warning, &config,
            format!("{:?} is not a Region macie-guard knows, so the Region rule for the results bucket cannot be applied", f.macie_region),
            "Check the Region the function or CLI runs in (AWS_REGION, --region).".into());
    }
    let dest = match &f.config {
        ConfigFact::NotSet => {
            missing_configuration(c, f, &config);
            return None;
        }
        ConfigFact::Unreadable { reason } => {
            c.push("EXPORT_CONFIG_UNVERIFIED", Severity::Warning, &config,
                format!("cannot read the export configuration in {}: {reason}", f.macie_region),
                "Allow the function macie2:GetClassificationExportConfiguration, and check Macie is enabled in this Region.".into());
            return None;
        }
        ConfigFact::Set(d) => d,
    };
    Some(dest)
}

/// No export configuration: a gap where the account runs jobs of its own (or may), noise in a
/// member account whose jobs and automated discovery all belong to its administrator (their
/// results go to the administrator's repository).
fn missing_configuration(c: &mut Ctx<'_>, f: &ExportFacts, config: &str) {
    let region = &f.macie_region;
    let fix = format!("Choose an S3 bucket and a customer managed KMS key, then run PutClassificationExportConfiguration in {region} (Macie console: Settings > Discovery results).");
    let gap = format!("Macie in {region} has no export configuration: it stores no sensitive data discovery results, which audits rely on");
    match &f.membership {
        Some(Membership::Member {
            administrator,
            own_jobs: Some(false),
        }) => c.push(
            "EXPORT_CONFIG_MISSING",
            Severity::Info,
            config,
            format!("Macie in {region} has no export configuration, and needs none now: this account is a member of Macie administrator account {administrator} and has no classification jobs of its own; the administrator's jobs and automated sensitive data discovery store their results in the administrator's repository"),
            format!("Nothing to do while this account creates no jobs of its own. Before it does: {fix}"),
        ),
        Some(Membership::Member {
            administrator,
            own_jobs: Some(true),
        }) => c.push(
            "EXPORT_CONFIG_MISSING",
            Severity::Critical,
            config,
            format!("{gap}. This account is a member of Macie administrator account {administrator} but has classification jobs of its own, and their results have nowhere to go"),
            fix,
        ),
        Some(Membership::Member {
            administrator,
            own_jobs: None,
        }) => c.push(
            "EXPORT_CONFIG_MISSING",
            Severity::Critical,
            config,
            format!("{gap}. This account is a member of Macie administrator account {administrator}; whether it has jobs of its own could not be read"),
            fix,
        ),
        Some(Membership::Detached {
            administrator,
            status,
        }) => c.push(
            "EXPORT_CONFIG_MISSING",
            Severity::Critical,
            config,
            format!("{gap}. This account's relationship to Macie administrator account {administrator} is {status}, not Enabled: it is not an active member, and its results need a repository of its own"),
            fix,
        ),
        _ => c.push("EXPORT_CONFIG_MISSING", Severity::Critical, config, gap, fix),
    }
}

/// The configuration's bucket name, key ARN and expected owner, as written.
fn check_fields(c: &mut Ctx<'_>, dest: &Destination) -> Fields {
    let config = c.config_resource.clone();
    let bucket = dest.bucket_name.clone().unwrap_or_default();
    c.prefix = dest.key_prefix.clone().unwrap_or_default();
    c.bucket_arn = format!("arn:{}:s3:::{bucket}", c.partition);
    c.key_arn = dest.kms_key_arn.clone().unwrap_or_default();
    let bucket_ok = match bucket_name_problem(&bucket) {
        None => true,
        Some(why) => {
            c.push(
                "EXPORT_BUCKET_NAME_INVALID",
                Severity::Critical,
                &config,
                format!("the export configuration's bucket name {bucket:?} is not valid: {why}"),
                "Put an export configuration that names an existing general purpose bucket.".into(),
            );
            false
        }
    };
    let key_parts = match parse_key_arn(&c.key_arn) {
        Ok(p) => Some(p),
        Err(why) => {
            c.push("EXPORT_KEY_ARN_INVALID", Severity::Critical, &config,
                format!("the export configuration's KMS key {:?} is not a key ARN: {why}", c.key_arn),
                "Put an export configuration with the full ARN of a customer managed symmetric key (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID).".into());
            None
        }
    };
    if let Some(owner) = &dest.expected_bucket_owner {
        if !is_account(owner) {
            c.push(
                "EXPORT_EXPECTED_OWNER_INVALID",
                Severity::Critical,
                &config,
                format!("expectedBucketOwner {owner:?} is not a 12-digit account id"),
                "Set expectedBucketOwner to the id of the account that owns the bucket.".into(),
            );
        }
    }

    Fields {
        bucket,
        bucket_ok,
        key_parts,
    }
}

/// The bucket: exists, who owns it, and whether its Region is allowed. Returns its Region
/// when known.
fn check_bucket(
    c: &mut Ctx<'_>,
    f: &ExportFacts,
    dest: &Destination,
    fields: &Fields,
) -> Option<String> {
    let (bucket, bucket_ok) = (&fields.bucket, fields.bucket_ok);
    let bucket_arn = c.bucket_arn.clone();
    let mut bucket_region = None;
    match (&f.bucket, bucket_ok) {
        (_, false) | (None, _) => {}
        (Some(BucketFact::Missing), _) => c.push("BUCKET_MISSING", Severity::Critical, &bucket_arn,
            format!("the results bucket {bucket} does not exist: Macie cannot store discovery results"),
            format!("Create the general purpose bucket {bucket} (with the bucket policy below), or point the export configuration at an existing bucket.")),
        (Some(BucketFact::Unverified { region, reason }), _) => {
            bucket_region = region.clone();
            c.push("BUCKET_UNVERIFIED", Severity::Warning, &bucket_arn,
                format!("cannot verify the results bucket {bucket}: {reason}"),
                "Allow the function s3:ListBucket (HeadBucket) and s3:GetBucketPolicy on the bucket, or check it by hand.".into());
        }
        (Some(BucketFact::Found { region, owner }), _) => {
            bucket_region = Some(region.clone());
            match (owner, &dest.expected_bucket_owner) {
                (Owner::Other, None) => c.push("BUCKET_OTHER_ACCOUNT_NO_EXPECTED_OWNER", Severity::Critical, &bucket_arn,
                    format!("the bucket {bucket} belongs to another account, and the export configuration has no expectedBucketOwner"),
                    "Put the export configuration again with expectedBucketOwner set to the owning account's id.".into()),
                (Owner::Other, Some(o)) => c.push("BUCKET_OWNER_MISMATCH", Severity::Critical, &bucket_arn,
                    format!("the bucket {bucket} is not owned by the expectedBucketOwner {o}"),
                    "Correct expectedBucketOwner, or use a bucket that account owns.".into()),
                (Owner::Unknown, _) => c.push("BUCKET_OWNER_UNVERIFIED", Severity::Warning, &bucket_arn,
                    format!("cannot verify who owns the bucket {bucket}"),
                    "Check the bucket's owner by hand; set expectedBucketOwner if another account owns it.".into()),
                (Owner::Expected, _) => {}
            }
        }
    }
    if let Some(br) = &bucket_region {
        match placement(&f.macie_region, br) {
            Placement::Allowed => {}
            Placement::Forbidden(why) => c.push("BUCKET_REGION_FORBIDDEN", Severity::Critical, &bucket_arn,
                format!("the bucket {bucket} is in {br}: {why}"),
                format!("Use a bucket in {} or in a Region enabled by default (and a key in that bucket's Region).",
                    if classify(&f.macie_region).is_some_and(|i| i.class == super::regions::RegionClass::OptIn) { f.macie_region.as_str() } else { "a Region enabled by default" })),
            Placement::Unknown(why) => c.push("BUCKET_REGION_UNKNOWN", Severity::Warning, &bucket_arn,
                format!("cannot apply the Region rule to bucket {bucket} in {br:?}: {why}"),
                "Check by hand that the bucket's Region is allowed for this Macie Region.".into()),
        }
    }

    bucket_region
}

/// The key: exists, its state, manager, spec and usage, and its Region against the bucket's.
/// Returns whether it was found.
fn check_key(
    c: &mut Ctx<'_>,
    f: &ExportFacts,
    fields: &Fields,
    bucket_region: Option<&str>,
) -> bool {
    let (bucket, key_parts) = (&fields.bucket, &fields.key_parts);
    let key_arn = c.key_arn.clone();
    let mut key_found = false;
    if let (Some((_, key_region, key_account, _)), Some(key)) = (&key_parts, &f.key) {
        match key {
            KeyFact::NotFound { reason } if *key_account == f.account => c.push("KEY_NOT_FOUND", Severity::Critical, &key_arn,
                format!("the KMS key {key_arn} does not exist ({reason}): Macie cannot encrypt discovery results"),
                "Create a customer managed symmetric key in the bucket's Region and put its ARN in the export configuration.".into()),
            KeyFact::NotFound { reason } | KeyFact::Unverified { reason } => c.push("KEY_UNVERIFIED", Severity::Warning, &key_arn,
                format!("cannot verify the KMS key {key_arn}: {reason}"),
                format!("Allow the function kms:DescribeKey and kms:GetKeyPolicy on the key{}, or check it by hand.",
                    if *key_account != f.account { " (in the key's account, through its key policy)" } else { "" })),
            KeyFact::Found(k) => {
                key_found = true;
                let state_problem = match k.state.as_str() {
                    "Enabled" => None,
                    "Disabled" => Some(("KEY_DISABLED", format!("the KMS key {key_arn} is disabled"), "Enable the key (kms:EnableKey).".to_string())),
                    "PendingDeletion" => Some(("KEY_PENDING_DELETION",
                        format!("the KMS key {key_arn} is scheduled for deletion{}", k.deletion_date.map(|d| format!(" on {}", d.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_default()),
                        "Cancel the deletion (kms:CancelKeyDeletion), then enable the key.".to_string())),
                    "PendingReplicaDeletion" => Some(("KEY_PENDING_DELETION", format!("the KMS key {key_arn} is a replica pending deletion"), "Cancel the deletion, or use another key.".to_string())),
                    "PendingImport" => Some(("KEY_PENDING_IMPORT", format!("the KMS key {key_arn} is waiting for its key material to be imported"), "Import the key material, or use another key.".to_string())),
                    "Unavailable" => Some(("KEY_UNAVAILABLE", format!("the KMS key {key_arn} is unavailable (its custom key store is disconnected)"), "Reconnect the custom key store, or use another key.".to_string())),
                    other => Some(("KEY_NOT_ENABLED", format!("the KMS key {key_arn} is in state {other}, not Enabled"), "Wait for the key to become Enabled, or use another key.".to_string())),
                };
                if let Some((code, msg, fix)) = state_problem {
                    c.push(code, Severity::Critical, &key_arn, format!("{msg}: Macie cannot encrypt discovery results"), fix);
                }
                if k.manager != "CUSTOMER" {
                    c.push("KEY_NOT_CUSTOMER_MANAGED", Severity::Critical, &key_arn,
                        format!("the KMS key {key_arn} is {} managed; Macie needs a customer managed key", k.manager.to_lowercase()),
                        "Create a customer managed symmetric key and use its ARN.".into());
                }
                if k.spec != "SYMMETRIC_DEFAULT" {
                    c.push("KEY_NOT_SYMMETRIC", Severity::Critical, &key_arn,
                        format!("the KMS key {key_arn} has key spec {}; Macie needs a symmetric encryption key (SYMMETRIC_DEFAULT)", k.spec),
                        "Use a symmetric encryption key.".into());
                }
                match k.usage.as_deref() {
                    Some("ENCRYPT_DECRYPT") => {}
                    Some(u) => c.push("KEY_USAGE_WRONG", Severity::Critical, &key_arn,
                        format!("the KMS key {key_arn} is for {u}; Macie needs ENCRYPT_DECRYPT"),
                        "Use a key whose usage is ENCRYPT_DECRYPT.".into()),
                    None => c.push("KEY_USAGE_UNVERIFIED", Severity::Warning, &key_arn,
                        format!("KMS did not say what the key {key_arn} is for"),
                        "Check by hand that the key's usage is ENCRYPT_DECRYPT.".into()),
                }
            }
        }
        if let Some(br) = bucket_region {
            if key_region != br {
                c.push("KEY_REGION_MISMATCH", Severity::Critical, &key_arn,
                    format!("the KMS key is in {key_region} but the bucket {bucket} is in {br}; they must be in the same Region"),
                    format!("Use a customer managed key in {br}."));
            }
        }
    }

    key_found
}

mod evidence;
mod policies;

use evidence::check_evidence;
use policies::{check_bucket_policy, check_key_policy};

#[cfg(test)]
mod tests;
