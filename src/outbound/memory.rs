//! An outbound channel in memory, for tests: the subject of every message published.

use std::sync::Mutex;

use crate::error::Result;

/// A notifier that keeps the subject of every message published.
#[derive(Default)]
pub struct RecordingOutbound {
    pub subjects: Mutex<Vec<String>>,
}

impl super::Outbound for RecordingOutbound {
    async fn publish(&self, n: &macie_guard_core::tell::notification::Notification) -> Result<()> {
        self.subjects.lock().unwrap().push(n.subject.clone());
        Ok(())
    }
}
