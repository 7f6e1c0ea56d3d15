//! A dead-letter queue in memory, for the replay's orchestration tests: what is held, deleted
//! and released is recorded.

use std::sync::Mutex;

use super::{Counts, DeadLetterQueue, Held};
use crate::error::Result;
use macie_guard_core::operator::deadletter::DeadLetter;

#[derive(Debug, Default)]
pub struct MemoryQueue {
    pub letters: Mutex<Vec<DeadLetter>>,
    /// Receipts (the message ids) deleted and released, in order.
    pub deleted: Mutex<Vec<String>>,
    pub released: Mutex<Vec<String>>,
    /// Messages another reader holds: counted in flight, never returned.
    pub held_elsewhere: u64,
    /// How many messages this queue's own reader holds now.
    holding: Mutex<u64>,
}

impl MemoryQueue {
    /// The same queue, with `n` more messages held by another reader.
    pub fn held_elsewhere(mut self, n: u64) -> MemoryQueue {
        self.held_elsewhere = n;
        self
    }

    pub fn with(letters: Vec<DeadLetter>) -> MemoryQueue {
        MemoryQueue {
            letters: Mutex::new(letters),
            ..MemoryQueue::default()
        }
    }
}

impl MemoryQueue {
    fn let_go(&self) {
        let mut holding = self.holding.lock().unwrap_or_else(|p| p.into_inner());
        *holding = holding.saturating_sub(1);
    }
}

impl DeadLetterQueue for MemoryQueue {
    async fn hold_all(&self, _hold_secs: i32) -> Result<Vec<Held>> {
        let n = self.letters.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
        *self.holding.lock().unwrap_or_else(|p| p.into_inner()) = n;
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

    async fn peek_all(&self, _expected: u64) -> Result<Vec<DeadLetter>> {
        Ok(self
            .letters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone())
    }

    async fn counts(&self) -> Result<Counts> {
        let n = self.letters.lock().unwrap_or_else(|p| p.into_inner()).len() as u64;
        let holding = *self.holding.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Counts {
            visible: n.saturating_sub(holding),
            in_flight: holding + self.held_elsewhere,
            delayed: 0,
        })
    }

    async fn delete(&self, receipt: &str) -> Result<()> {
        self.letters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|l| l.id != receipt);
        self.let_go();
        self.deleted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(receipt.to_string());
        Ok(())
    }

    async fn release(&self, receipt: &str) -> Result<()> {
        self.let_go();
        self.released
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(receipt.to_string());
        Ok(())
    }
}
