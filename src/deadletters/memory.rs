//! A dead-letter queue in memory, for the replay's orchestration tests: what is held, deleted
//! and released is recorded.

use std::sync::Mutex;

use super::{DeadLetterQueue, Held};
use crate::error::Result;
use macie_guard_core::deadletter::DeadLetter;

#[derive(Debug, Default)]
pub struct MemoryQueue {
    pub letters: Mutex<Vec<DeadLetter>>,
    /// Receipts (the message ids) deleted and released, in order.
    pub deleted: Mutex<Vec<String>>,
    pub released: Mutex<Vec<String>>,
}

impl MemoryQueue {
    pub fn with(letters: Vec<DeadLetter>) -> MemoryQueue {
        MemoryQueue {
            letters: Mutex::new(letters),
            ..MemoryQueue::default()
        }
    }
}

impl DeadLetterQueue for MemoryQueue {
    async fn hold_all(&self, _hold_secs: i32) -> Result<Vec<Held>> {
        Ok(self
            .letters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|l| Held {
                letter: l.clone(),
                receipt: l.id.clone(),
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<()> {
        self.letters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|l| l.id != receipt);
        self.deleted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(receipt.to_string());
        Ok(())
    }

    async fn release(&self, receipt: &str) -> Result<()> {
        self.released
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(receipt.to_string());
        Ok(())
    }
}
