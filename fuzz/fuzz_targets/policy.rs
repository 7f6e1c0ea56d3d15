//! The policy evaluator on untrusted policy documents: never a panic, and never an Allow from
//! a document with no Allow statement.
#![no_main]

use libfuzzer_sys::fuzz_target;
use macie_guard::export::policy_eval::{PolicyDoc, Request, Verdict};

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
        context: vec![
            ("aws:SourceAccount", "123456789012".into()),
            ("aws:SecureTransport", "true".into()),
        ],
    };
    let verdict = doc.evaluate(&req);
    if !text.contains("Allow") {
        assert_ne!(verdict, Verdict::Allowed);
    }
});
