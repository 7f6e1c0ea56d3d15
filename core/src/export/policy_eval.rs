//! Just enough IAM policy evaluation to tell whether a key or bucket policy lets Macie write
//! its results, and whether a Deny blocks it, by AWS's rules (IAM User Guide, "Policy
//! evaluation logic" and "Condition operators"). What it cannot decide is `Unknown`, never a
//! pass; and with no statement that can allow the request, the answer is `NotAllowed` (an
//! implicit deny) whatever any Deny says.
//!
//! Each [`Request`] says which condition keys it carries (and their values) and which it is
//! known not to carry; any other key makes a condition on it undecidable.
//!
//! Modelled: `Statement` as an object or a list; `Effect`; `Principal` / `NotPrincipal` (`*`,
//! `{"AWS": "*"}`, `{"Service": ...}`; other principals are not an AWS service); `Action` /
//! `NotAction`, `Resource` / `NotResource` with `*` and `?`; the String*, Arn* (both matched
//! part by part, as AWS does: six colon-separated parts), Bool and Null operators, their
//! `IfExists` forms and the `ForAnyValue:` / `ForAllValues:` set forms; a missing key makes
//! negated operators, `IfExists` and `ForAllValues:` true and every other operator false.
//! Numeric, Date, IP address and Binary operators are decided only where the key is absent.

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

    fn of(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }
}

/// One request Macie makes, with what its context holds.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The service principal making it (`macie.amazonaws.com`).
    pub service: &'a str,
    pub action: &'a str,
    pub resource: &'a str,
    /// Keys present in the request context, with their values (names compared
    /// case-insensitively).
    pub present: Vec<(&'a str, Vec<String>)>,
    /// Keys known to be absent from it; an entry ending in `*` covers every key it starts.
    pub absent: Vec<&'a str>,
}

/// What a request's context says about a condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFact<'r> {
    Present(&'r [String]),
    Absent,
    Unknown,
}

impl Request<'_> {
    pub fn key(&self, key: &str) -> KeyFact<'_> {
        if let Some((_, v)) = self
            .present
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return KeyFact::Present(v);
        }
        let absent = self.absent.iter().any(|a| match a.strip_suffix('*') {
            Some(prefix) => key
                .get(..prefix.len())
                .is_some_and(|k| k.eq_ignore_ascii_case(prefix)),
            None => a.eq_ignore_ascii_case(key),
        });
        if absent {
            KeyFact::Absent
        } else {
            KeyFact::Unknown
        }
    }
}

/// Keys that a request made by an AWS service principal on a customer's behalf does not
/// carry (IAM User Guide, "AWS global condition context keys": principal keys exist only for
/// IAM principals; network keys only for requests from a VPC).
pub const ABSENT_FOR_SERVICE_PRINCIPALS: [&str; 14] = [
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalTag/*",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:VpcSourceIp",
    "aws:SourceVpcArn",
    "aws:userid",
    "aws:username",
    "aws:SourceIdentity",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
];

/// What the policy says about one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// No statement allows it (an implicit deny).
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

/// ARN matching as AWS does it for `ArnLike` and `ArnEquals`: both split into six
/// colon-separated parts (the last keeps its colons), each part matched with wildcards; a
/// pattern with fewer parts matches nothing.
fn arn_match(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    p.len() == 6 && a.len() == 6 && p.iter().zip(&a).all(|(p, a)| glob(p, a, false))
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
            let (principal, not_principal) = match (s.get("Principal"), s.get("NotPrincipal")) {
                (Some(_), Some(_)) => {
                    return Err(format!("{label}: both Principal and NotPrincipal"))
                }
                (Some(p), None) => (p.clone(), false),
                (None, Some(p)) => (p.clone(), true),
                (None, None) => (Value::Null, false),
            };
            statements.push(Statement {
                label,
                allow,
                principal,
                not_principal,
                actions,
                not_action,
                resources,
                not_resource,
                condition: s.get("Condition").cloned(),
            });
        }
        Ok(PolicyDoc { statements })
    }

    /// AWS's order: an explicit Deny wins; else an Allow allows; else the implicit deny.
    /// With no statement that could allow the request, it is `NotAllowed` whatever any
    /// undecidable Deny says; an undecidable Deny beside an Allow is `Unknown`. A resource
    /// policy's statements name their principals.
    pub fn evaluate(&self, req: &Request<'_>) -> Verdict {
        self.evaluate_as(req, false)
    }

    /// The same for a policy attached to the principal making the request (an identity-based
    /// policy, a permissions boundary, a service control policy): its statements have no
    /// `Principal` and apply to that principal (IAM User Guide, "Policy evaluation logic").
    pub fn evaluate_attached(&self, req: &Request<'_>) -> Verdict {
        self.evaluate_as(req, true)
    }

    fn evaluate_as(&self, req: &Request<'_>, attached: bool) -> Verdict {
        let mut allowed = false;
        let mut allow_unknown: Option<String> = None;
        let mut deny_unknown: Option<String> = None;
        for s in &self.statements {
            match (s.allow, s.applies(req, attached)) {
                (false, Tri::Yes) => return Verdict::Denied(s.label.clone()),
                (false, Tri::Unknown(w)) => {
                    deny_unknown.get_or_insert(format!("{}: {w}", s.label));
                }
                (true, Tri::Yes) => allowed = true,
                (true, Tri::Unknown(w)) => {
                    allow_unknown.get_or_insert(format!("{}: {w}", s.label));
                }
                _ => {}
            }
        }
        if !allowed && allow_unknown.is_none() {
            return Verdict::NotAllowed;
        }
        if let Some(w) = deny_unknown {
            return Verdict::Unknown(format!("a Deny statement may apply ({w})"));
        }
        match (allowed, allow_unknown) {
            (true, _) => Verdict::Allowed,
            (false, Some(w)) => Verdict::Unknown(w),
            (false, None) => Verdict::NotAllowed,
        }
    }
}

/// Whether a `Principal` value names the service (or everyone).
fn names_service(p: &Value, service: &str) -> Tri {
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
    fn applies(&self, req: &Request<'_>, attached: bool) -> Tri {
        let named = match (attached, &self.principal) {
            (true, Value::Null) => Tri::Yes,
            (true, _) => Tri::Unknown("a policy attached to a principal has no Principal".into()),
            (false, p) => names_service(p, req.service),
        };
        let principal = match (named, self.not_principal) {
            (t, false) => t,
            // NotPrincipal: everyone but the principals it names.
            (Tri::Yes, true) => Tri::No,
            (Tri::No, true) => Tri::Yes,
            (u @ Tri::Unknown(_), true) => u,
        };
        principal
            .and(|| {
                let hit = self.actions.iter().any(|a| glob(a, req.action, true));
                Tri::of(hit != self.not_action)
            })
            .and(|| {
                let hit = self.resources.iter().any(|r| glob(r, req.resource, false));
                Tri::of(hit != self.not_resource)
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

#[derive(Clone, Copy, PartialEq)]
enum SetMode {
    Single,
    AnyValue,
    AllValues,
}

/// Whether `base` is one of the negated operators (true when the key is missing).
fn negated(base: &str) -> bool {
    base.contains("Not")
}

/// One value against the policy's values, for the operators whose values are modelled.
/// `None`: the operator is not modelled.
fn value_matches(base: &str, actual: &str, values: &[String]) -> Option<bool> {
    let any = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    let hit = match base {
        "StringEquals" | "StringNotEquals" => any(&|v| v == actual),
        "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
            any(&|v| v.eq_ignore_ascii_case(actual))
        }
        "StringLike" | "StringNotLike" => any(&|v| glob(v, actual, false)),
        "ArnEquals" | "ArnNotEquals" | "ArnLike" | "ArnNotLike" => any(&|v| arn_match(v, actual)),
        "Bool" => any(&|v| v.eq_ignore_ascii_case(actual)),
        _ => return None,
    };
    Some(hit != negated(base))
}

fn condition(op: &str, key: &str, values: &Value, req: &Request<'_>) -> Tri {
    let unknown = |why: String| Tri::Unknown(why);
    let (mode, rest) = if let Some(r) = op.strip_prefix("ForAnyValue:") {
        (SetMode::AnyValue, r)
    } else if let Some(r) = op.strip_prefix("ForAllValues:") {
        (SetMode::AllValues, r)
    } else if op.contains(':') {
        return unknown(format!("operator {op} on {key} is not one IAM knows"));
    } else {
        (SetMode::Single, op)
    };
    let Some(values) = scalar_strings(values) else {
        return unknown(format!("{op} {key}: values are not strings"));
    };
    if values.iter().any(|v| v.contains("${")) {
        return unknown(format!("{op} {key}: policy variables are not evaluated"));
    }
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let fact = req.key(key);
    if base == "Null" {
        let want_absent = values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        return match fact {
            KeyFact::Unknown => unknown(format!(
                "Null on {key}: whether Macie's {} request carries it is not known",
                req.action
            )),
            KeyFact::Absent => Tri::of(want_absent),
            KeyFact::Present(_) => Tri::of(!want_absent),
        };
    }
    match fact {
        KeyFact::Unknown => unknown(format!(
            "condition key {key} is not known for Macie's {} request",
            req.action
        )),
        // A missing key: ForAllValues and IfExists match, negated operators match,
        // everything else does not.
        KeyFact::Absent => Tri::of(match mode {
            SetMode::AllValues => true,
            SetMode::AnyValue => false,
            SetMode::Single => if_exists || negated(base),
        }),
        KeyFact::Present(actual) => {
            let mut results = Vec::new();
            let actual: Vec<&String> = match mode {
                SetMode::Single => actual.iter().take(1).collect(),
                _ => actual.iter().collect(),
            };
            for a in actual {
                match value_matches(base, a, &values) {
                    Some(r) => results.push(r),
                    None => return unknown(format!("operator {op} on {key} is not evaluated")),
                }
            }
            Tri::of(match mode {
                SetMode::AllValues => results.iter().all(|r| *r),
                _ => results.iter().any(|r| *r),
            })
        }
    }
}

#[cfg(test)]
mod tests;
