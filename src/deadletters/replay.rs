//! `macie-guard dead-letters replay`: each dead letter's event run again the way its function
//! runs it (the same dispatcher, guards and journal, in the CLI), deleted from the queue only
//! after that succeeded; one that fails again stays, visible again at once, and is reported.
//! The journal holds across replays as across invocations: a change already made (a receipt)
//! is not made again, however often a dead letter is replayed.

use std::future::Future;

use super::{DeadLetterQueue, Held};
use crate::error::{Error, Result};
use macie_guard_core::deadletter::DeadLetter;
use macie_guard_core::dispatch::Routed;
use macie_guard_core::tell::deadletters::Replayed;

/// How long a message is held while the replay runs: longer than a sweep may take (the expiry
/// guard's timeout is 5 minutes), so no one else sees it meanwhile.
pub const HOLD_SECS: i32 = 900;

/// Runs one event as its function would: the outcome in one line, or the error.
pub trait Handler {
    fn handle(&self, event: Routed) -> impl Future<Output = std::result::Result<String, String>>;
}

/// Which dead letters to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    Id(String),
}

/// Every dead letter, held and released at once (the listing changes nothing).
pub async fn list<Q: DeadLetterQueue>(queue: &Q) -> Result<Vec<DeadLetter>> {
    let held = queue.hold_all(30).await?;
    for h in &held {
        queue.release(&h.receipt).await?;
    }
    Ok(held.into_iter().map(|h| h.letter).collect())
}

/// Replays the selected dead letters one after another. `dry_run`: says what would be
/// replayed, handles nothing and deletes nothing. An `--id` that is not in the queue is an
/// error naming the ids that are, and changes nothing.
pub async fn replay<Q: DeadLetterQueue, H: Handler>(
    queue: &Q,
    handler: &H,
    select: &Select,
    dry_run: bool,
) -> Result<Vec<(DeadLetter, Replayed)>> {
    let held = queue.hold_all(HOLD_SECS).await?;
    let (chosen, others): (Vec<Held>, Vec<Held>) = held.into_iter().partition(|h| match select {
        Select::All => true,
        Select::Id(id) => &h.letter.id == id,
    });
    for h in &others {
        queue.release(&h.receipt).await?;
    }
    if let (Select::Id(id), true) = (select, chosen.is_empty()) {
        let ids: Vec<&str> = others.iter().map(|h| h.letter.id.as_str()).collect();
        return Err(Error::config(
            "--id",
            id.clone(),
            format!(
                "no such message in the dead-letter queue; waiting: {} (see `macie-guard dead-letters list`)",
                if ids.is_empty() { "none".to_string() } else { ids.join(", ") }
            ),
        ));
    }
    let mut out = Vec::new();
    for h in chosen {
        let result = match h.letter.routed() {
            Err(why) => Replayed::NotReplayable { why },
            Ok(event) if dry_run => Replayed::Tried {
                outcome: format!("would be handled as {}", kind_of(&event)),
            },
            Ok(event) => match handler.handle(event).await {
                Ok(outcome) => Replayed::Done { outcome },
                Err(error) => Replayed::Failed { error },
            },
        };
        if matches!(result, Replayed::Done { .. }) {
            queue.delete(&h.receipt).await?;
        } else {
            queue.release(&h.receipt).await?;
        }
        out.push((h.letter, result));
    }
    Ok(out)
}

fn kind_of(event: &Routed) -> &'static str {
    match event {
        Routed::Expiry(_) => "the expiry guard's event",
        Routed::Export(_) => "the export guard's event",
    }
}
