//! The policy evaluator on untrusted policy documents: never a panic, and never an Allow from
//! a document with no Allow statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use macie_guard_core::export::policy_eval::{
    PolicyDoc, Request, Verdict, ABSENT_FOR_SERVICE_PRINCIPALS,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = PolicyDoc::parse(text) else {
        return;
    };
    let req = Request {
        service: "macie.amazonaws.com",
        action: "s3:PutObject",
        resource: "arn:aws:s3:::results/macie/x",
        present: vec![
            ("aws:SourceAccount", vec!["123456789012".into()]),
            ("aws:SecureTransport", vec!["true".into()]),
            ("aws:PrincipalIsAWSService", vec!["true".into()]),
        ],
        absent: ABSENT_FOR_SERVICE_PRINCIPALS.to_vec(),
    };
    let verdict = doc.evaluate(&req);
    if !text.contains("Allow") {
        // No Allow statement: the implicit deny, or an explicit one; never a pass, never a
        // "cannot verify".
        assert!(
            matches!(verdict, Verdict::NotAllowed | Verdict::Denied(_)),
            "{verdict:?}"
        );
    }
    // Adding a Deny nobody can decide never turns the verdict into a pass.
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) {
        let deny = serde_json::json!({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}});
        let list = match v.get_mut("Statement") {
            Some(serde_json::Value::Array(a)) => Some(a),
            _ => None,
        };
        if let Some(a) = list {
            a.push(deny);
            if let Ok(d) = PolicyDoc::parse(&v.to_string()) {
                assert_ne!(d.evaluate(&req), Verdict::Allowed);
            }
        }
    }
});
