//! Just enough IAM policy evaluation to tell whether a key or bucket policy lets Macie write
//! its results, and whether a Deny blocks it. What it cannot decide is `Unknown`, never a pass.
//!
//! Supported: `Statement` as an object or a list; `Effect`; `Principal` as `"*"` or
//! `{"Service": ...}` / `{"AWS": "*"}` (other principals never match a service); `Action` /
//! `NotAction`, `Resource` / `NotResource` with `*` and `?` wildcards; conditions with the
//! String*, Arn*, Bool and Null operators (and their `IfExists` forms) on keys whose value
//! for Macie's request is known. `NotPrincipal`, set operators (`ForAnyValue:`...), other
//! operators and unknown keys make the statement `Unknown`.

use serde_json::Value;

/// A three-valued answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown(String),
}

impl Tri {
    fn and(self, other: impl FnOnce() -> Tri) -> Tri {
        match self {
            Tri::No => Tri::No,
            Tri::Yes => other(),
            Tri::Unknown(why) => match other() {
                Tri::No => Tri::No,
                _ => Tri::Unknown(why),
            },
        }
    }
}

/// One request Macie makes, with the condition keys its context holds.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub service: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    /// (key, value) pairs present in the request context; keys compared case-insensitively.
    pub context: Vec<(&'a str, String)>,
}

/// Keys that a request from an AWS service principal does not carry.
const ABSENT_FOR_SERVICES: [&str; 7] = [
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalarn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:username",
];

/// What the policy says about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// No statement allows it.
    NotAllowed,
    /// A Deny statement applies (its Sid or index).
    Denied(String),
    Unknown(String),
}

#[derive(Debug, Clone)]
struct Statement {
    label: String,
    allow: bool,
    principal: Value,
    not_principal: bool,
    actions: Vec<String>,
    not_action: bool,
    resources: Vec<String>,
    not_resource: bool,
    condition: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct PolicyDoc {
    statements: Vec<Statement>,
}

fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

fn scalar_strings(v: &Value) -> Option<Vec<String>> {
    let one = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(a) => a.iter().map(one).collect(),
        x => one(x).map(|s| vec![s]),
    }
}

/// `*` and `?` wildcards.
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if ignore_case {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

impl PolicyDoc {
    /// Parses a policy document; the error says what is malformed.
    pub fn parse(text: &str) -> Result<PolicyDoc, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("the policy is not JSON: {e}"))?;
        let list = match v.get("Statement") {
            Some(Value::Array(a)) => a.clone(),
            Some(o @ Value::Object(_)) => vec![o.clone()],
            _ => return Err("the policy has no Statement".into()),
        };
        let mut statements = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let label = s
                .get("Sid")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("statement #{}", i + 1));
            let allow = match s.get("Effect").and_then(Value::as_str) {
                Some("Allow") => true,
                Some("Deny") => false,
                _ => return Err(format!("{label}: Effect must be Allow or Deny")),
            };
            let field = |name: &str, not: &str| -> Result<(Vec<String>, bool), String> {
                match (s.get(name), s.get(not)) {
                    (Some(v), None) => strings(v).map(|l| (l, false)).ok_or_else(|| {
                        format!("{label}: {name} must be a string or a list of strings")
                    }),
                    (None, Some(v)) => strings(v).map(|l| (l, true)).ok_or_else(|| {
                        format!("{label}: {not} must be a string or a list of strings")
                    }),
                    (None, None) => Ok((vec!["*".into()], false)),
                    (Some(_), Some(_)) => Err(format!("{label}: both {name} and {not}")),
                }
            };
            let (actions, not_action) = field("Action", "NotAction")?;
            let (resources, not_resource) = field("Resource", "NotResource")?;
            statements.push(Statement {
                label,
                allow,
                principal: s.get("Principal").cloned().unwrap_or(Value::Null),
                not_principal: s.get("NotPrincipal").is_some(),
                actions,
                not_action,
                resources,
                not_resource,
                condition: s.get("Condition").cloned(),
            });
        }
        Ok(PolicyDoc { statements })
    }

    /// Allow unless a Deny applies; Unknown wherever a relevant statement can't be decided.
    pub fn evaluate(&self, req: &Request<'_>) -> Verdict {
        let mut allowed = Tri::No;
        let mut deny_unknown: Option<String> = None;
        for s in &self.statements {
            match (s.allow, s.applies(req)) {
                (false, Tri::Yes) => return Verdict::Denied(s.label.clone()),
                (false, Tri::Unknown(w)) => {
                    deny_unknown.get_or_insert(format!("{}: {w}", s.label));
                }
                (true, Tri::Yes) => allowed = Tri::Yes,
                (true, Tri::Unknown(w)) if allowed == Tri::No => {
                    allowed = Tri::Unknown(format!("{}: {w}", s.label));
                }
                _ => {}
            }
        }
        if let Some(w) = deny_unknown {
            return Verdict::Unknown(format!("a Deny statement may apply ({w})"));
        }
        match allowed {
            Tri::Yes => Verdict::Allowed,
            Tri::Unknown(w) => Verdict::Unknown(w),
            Tri::No => Verdict::NotAllowed,
        }
    }
}

fn principal_matches(p: &Value, service: &str) -> Tri {
    match p {
        Value::String(s) if s == "*" => Tri::Yes,
        Value::Object(m) => {
            let mut out = Tri::No;
            for (k, v) in m {
                let Some(list) = strings(v) else {
                    return Tri::Unknown(format!("Principal.{k} is not a string or list"));
                };
                let hit = match k.as_str() {
                    "Service" => list.iter().any(|x| x.eq_ignore_ascii_case(service)),
                    "AWS" => list.iter().any(|x| x == "*"),
                    _ => false,
                };
                if hit {
                    out = Tri::Yes;
                }
            }
            out
        }
        Value::Null => Tri::Unknown("no Principal".into()),
        _ => Tri::No,
    }
}

impl Statement {
    fn applies(&self, req: &Request<'_>) -> Tri {
        if self.not_principal {
            return Tri::Unknown("NotPrincipal is not evaluated".into());
        }
        principal_matches(&self.principal, req.service)
            .and(|| {
                let hit = self.actions.iter().any(|a| glob(a, req.action, true));
                if hit != self.not_action {
                    Tri::Yes
                } else {
                    Tri::No
                }
            })
            .and(|| {
                let hit = self.resources.iter().any(|r| glob(r, req.resource, false));
                if hit != self.not_resource {
                    Tri::Yes
                } else {
                    Tri::No
                }
            })
            .and(|| match &self.condition {
                None => Tri::Yes,
                Some(c) => conditions(c, req),
            })
    }
}

fn conditions(c: &Value, req: &Request<'_>) -> Tri {
    let Some(ops) = c.as_object() else {
        return Tri::Unknown("Condition is not an object".into());
    };
    let mut out = Tri::Yes;
    for (op, keys) in ops {
        let Some(keys) = keys.as_object() else {
            return Tri::Unknown(format!("Condition {op} is not an object"));
        };
        for (key, values) in keys {
            let r = condition(op, key, values, req);
            out = out.and(|| r);
            if out == Tri::No {
                return Tri::No;
            }
        }
    }
    out
}

fn condition(op: &str, key: &str, values: &Value, req: &Request<'_>) -> Tri {
    let unknown = |why: String| Tri::Unknown(why);
    if op.contains(':') {
        return unknown(format!("set operator {op} on {key} is not evaluated"));
    }
    let Some(values) = scalar_strings(values) else {
        return unknown(format!("{op} {key}: values are not strings"));
    };
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (op, false),
    };
    let lk = key.to_ascii_lowercase();
    let present = req
        .context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str());
    if base == "Null" {
        let want_absent = values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return if present.is_none() == want_absent {
            Tri::Yes
        } else {
            Tri::No
        };
    }
    let negated = base.contains("Not");
    let Some(actual) = present else {
        if !ABSENT_FOR_SERVICES.contains(&lk.as_str()) {
            return unknown(format!(
                "condition key {key} is not known for Macie's request"
            ));
        }
        // A missing key: negated operators match, others don't, IfExists always matches.
        return if if_exists || negated {
            Tri::Yes
        } else {
            Tri::No
        };
    };
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    let hit = match base {
        "StringEquals" | "StringNotEquals" | "ArnEquals" | "ArnNotEquals" => any(&|v| v == actual),
        "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
            any(&|v| v.eq_ignore_ascii_case(actual))
        }
        "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" => {
            any(&|v| glob(v, actual, false))
        }
        "Bool" => any(&|v| v.eq_ignore_ascii_case(actual)),
        other => return unknown(format!("operator {other} on {key} is not evaluated")),
    };
    if hit != negated {
        Tri::Yes
    } else {
        Tri::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn put_req(source_arn: &str) -> Request<'static> {
        Request {
            service: "macie.amazonaws.com",
            action: "s3:PutObject",
            resource:
                "arn:aws:s3:::results/macie/AWSLogs/123456789012/Macie/us-east-1/job/x.jsonl.gz",
            context: vec![
                ("aws:SourceAccount", "123456789012".into()),
                ("aws:SourceArn", source_arn.into()),
                ("s3:x-amz-server-side-encryption", "aws:kms".into()),
                ("s3:x-amz-server-side-encryption-aws-kms-key-id", KEY.into()),
                ("aws:SecureTransport", "true".into()),
            ],
        }
    }

    fn doc(v: Value) -> PolicyDoc {
        PolicyDoc::parse(&v.to_string()).unwrap()
    }

    const JOB_ARN: &str = "arn:aws:macie2:us-east-1:123456789012:classification-job/abc";

    #[test]
    fn globs() {
        assert!(glob(
            "arn:aws:s3:::results/macie/*",
            "arn:aws:s3:::results/macie/a/b",
            false
        ));
        assert!(!glob(
            "arn:aws:s3:::results/other*",
            "arn:aws:s3:::results/macie/a",
            false
        ));
        assert!(glob("s3:Put*", "s3:PutObject", true));
        assert!(glob("S3:PUTOBJECT", "s3:PutObject", true));
        assert!(glob("a?c", "abc", false) && !glob("a?c", "ac", false));
        assert!(glob("*", "", false));
    }

    #[test]
    fn allow_forms() {
        let allowed = [
            json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/macie/*"}}),
            json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ["x.amazonaws.com", "macie.amazonaws.com"]}, "Action": ["s3:GetBucketLocation", "s3:Put*"], "Resource": ["arn:aws:s3:::results", "arn:aws:s3:::results/*"],
                "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}, "ArnLike": {"aws:SourceArn": ["arn:aws:macie2:us-east-1:123456789012:export-configuration:*", "arn:aws:macie2:us-east-1:123456789012:classification-job/*"]}}}]}),
            json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}),
        ];
        for p in allowed {
            assert_eq!(
                doc(p.clone()).evaluate(&put_req(JOB_ARN)),
                Verdict::Allowed,
                "{p}"
            );
        }
        let not_allowed = [
            json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "s3:*", "Resource": "*"}}),
            json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:GetBucketLocation", "Resource": "*"}}),
            json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/other/*"}}),
            json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}}}}),
            json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.af-south-1.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"}}),
        ];
        for p in not_allowed {
            assert_eq!(
                doc(p.clone()).evaluate(&put_req(JOB_ARN)),
                Verdict::NotAllowed,
                "{p}"
            );
        }
    }

    #[test]
    fn source_arn_conditions_must_cover_each_request() {
        let p = doc(
            json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:macie2:us-east-1:123456789012:classification-job/*"}}}}),
        );
        assert_eq!(p.evaluate(&put_req(JOB_ARN)), Verdict::Allowed);
        assert_eq!(
            p.evaluate(&put_req(
                "arn:aws:macie2:us-east-1:123456789012:export-configuration:*"
            )),
            Verdict::NotAllowed
        );
    }

    #[test]
    fn denies_on_other_keys_and_encryption() {
        let allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"});
        let deny_other_key = json!({"Sid": "OnlyOurKey", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::results/*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:123456789012:key/other"}}});
        assert_eq!(
            doc(json!({"Statement": [allow.clone(), deny_other_key]})).evaluate(&put_req(JOB_ARN)),
            Verdict::Denied("OnlyOurKey".into())
        );
        let deny_matching_key = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
            "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY}}});
        assert_eq!(
            doc(json!({"Statement": [allow.clone(), deny_matching_key]}))
                .evaluate(&put_req(JOB_ARN)),
            Verdict::Allowed
        );
        let deny_insecure = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        let deny_unencrypted = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}});
        assert_eq!(
            doc(json!({"Statement": [allow.clone(), deny_insecure, deny_unencrypted]}))
                .evaluate(&put_req(JOB_ARN)),
            Verdict::Allowed
        );
        // The classic trap: an org-only Deny blocks service principals, which carry no org id.
        let deny_org = json!({"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}});
        assert_eq!(
            doc(json!({"Statement": [allow.clone(), deny_org]})).evaluate(&put_req(JOB_ARN)),
            Verdict::Denied("OrgOnly".into())
        );
        let deny_org_if_exists = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}});
        assert!(matches!(
            doc(json!({"Statement": [allow, deny_org_if_exists]})).evaluate(&put_req(JOB_ARN)),
            Verdict::Denied(_)
        ));
    }

    #[test]
    fn what_cannot_be_decided_is_unknown() {
        let allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"});
        for s in [
            json!({"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "s3:PutObject", "Resource": "*"}),
            json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
            json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringEquals": {"s3:ExistingObjectTag/x": "y"}}}),
            json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:SourceAccount": "123456789012"}}}),
        ] {
            assert!(
                matches!(
                    doc(json!({"Statement": [s.clone()]})).evaluate(&put_req(JOB_ARN)),
                    Verdict::Unknown(_)
                ),
                "{s}"
            );
        }
        // An undecidable Deny next to a clear Allow: still not a pass.
        let deny = json!({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}});
        assert!(matches!(
            doc(json!({"Statement": [allow.clone(), deny]})).evaluate(&put_req(JOB_ARN)),
            Verdict::Unknown(_)
        ));
        // An undecidable Allow is overridden by a decidable one.
        let unknown_allow = json!({"Effect": "Allow", "Principal": {"Service": "macie.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}});
        assert_eq!(
            doc(json!({"Statement": [unknown_allow, allow]})).evaluate(&put_req(JOB_ARN)),
            Verdict::Allowed
        );
    }

    #[test]
    fn malformed_policies_are_errors() {
        for bad in [
            "",
            "{}",
            "{\"Statement\": [{\"Effect\": \"Maybe\"}]}",
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": 5}]}",
        ] {
            assert!(PolicyDoc::parse(bad).is_err(), "{bad}");
        }
    }
}
