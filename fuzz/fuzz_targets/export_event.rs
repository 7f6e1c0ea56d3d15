//! The export guard's event parsing and routing: any bytes, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use macie_guard_core::dispatch::{route, Function};
use macie_guard_core::export::event::{Change, ExportEvent};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let _ = route(&value, Some(Function::Export));
    if let Ok(ExportEvent::Change(Change { changed, .. })) = ExportEvent::parse(&value) {
        let _ = changed.touches(
            Some("bucket"),
            Some("arn:aws:kms:us-east-1:123456789012:key/k"),
        );
        let _ = changed.touches(None, None);
    }
});
