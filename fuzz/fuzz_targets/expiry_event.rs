//! The expiry guard's event parsing and routing: any bytes, never a panic; whatever names a
//! job of another account or Region is never taken for one of ours.
#![no_main]

use libfuzzer_sys::fuzz_target;
use macie_guard_core::dispatch::{route, Function};
use macie_guard_core::expiry::event::ExpiryEvent;
use macie_guard_core::expiry::event::JobRef;
use macie_guard_core::scope::Scope;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = route(&value, None);
    let _ = route(&value, Some(Function::Expiry));
    if let Ok(ExpiryEvent::Health(h)) = ExpiryEvent::parse(&value) {
        let scope = Scope::new("123456789012", "us-east-1");
        for r in h.candidate_refs() {
            if let JobRef::Mine(id) = JobRef::parse(r, &scope) {
                assert!(
                    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{id:?}"
                );
                assert!(
                    r.trim() == id || r.contains(":123456789012:") && r.contains(":us-east-1:"),
                    "{r:?}"
                );
            }
        }
        let _ = h.detail.start();
        let _ = h.detail.description();
    }
});
