//! `macie-guard dead-letters list` and `replay`. A replay runs each dead letter again the way
//! it was meant to go: a function's event through the same dispatcher, guards and journal as
//! the function (in the CLI), a forwarding rule's event put on the bus it was for. A message
//! is deleted only when that was done; one that fails again, one no function acts on (another
//! kind of event, another account or Region) and one that is not an event stay, visible again
//! at once, and are reported. The journal holds across replays as across invocations: a
//! change already made (a receipt) is not made again, however often a dead letter is replayed.

use std::future::Future;

use super::{Counts, DeadLetterQueue, Held};
use crate::error::{Error, Result};
use macie_guard_core::dispatch::Routed;
use macie_guard_core::operator::deadletter::{BusEntry, DeadLetter, EventBus, Target};
use macie_guard_core::tell::deadletters::{Replayed, Unseen};

/// How long a message is held while the replay runs: longer than a sweep may take (the expiry
/// guard's timeout is 5 minutes), so no one else sees it meanwhile.
pub const HOLD_SECS: i32 = 900;

/// What a function made of an event it was given again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// It did what the event asked (which may be nothing to change): the outcome in a line.
    Done(String),
    /// The event is not the function's to act on (another kind of event, another account or
    /// Region): why.
    NotActed(String),
}

/// Runs one dead letter as it was meant to run.
pub trait Handler {
    /// A function's event, as that function would handle it.
    fn handle(&self, event: Routed) -> impl Future<Output = Result<Handled>>;
    /// A forwarding rule's event, put on the bus it was for: what was done, in a line.
    fn forward(&self, bus: &EventBus, entry: &BusEntry) -> impl Future<Output = Result<String>>;
}

/// Which dead letters to replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    Id(String),
}

/// A listing: the messages seen, and what could not be seen.
#[derive(Debug, Clone)]
pub struct Listing {
    pub letters: Vec<DeadLetter>,
    pub unseen: Unseen,
}

/// A replay: each message taken, what became of it, and what could not be seen.
#[derive(Debug, Clone)]
pub struct ReplayRun {
    pub results: Vec<(DeadLetter, Replayed)>,
    pub unseen: Unseen,
}

impl ReplayRun {
    /// Every message taken was done (or tried, in a dry run), and `--all` saw them all.
    pub fn ok(&self) -> bool {
        self.results.iter().all(|(_, r)| r.ok()) && self.unseen.none()
    }
}

/// Every visible dead letter, read without hiding any from anyone (a replay beside it sees
/// them all), and what the listing could not see.
pub async fn list<Q: DeadLetterQueue>(queue: &Q) -> Result<Listing> {
    let before = queue.counts().await?;
    let letters = queue.peek_all(before.visible).await?;
    let after = queue.counts().await?;
    let unseen = Unseen {
        in_flight: before.in_flight.max(after.in_flight),
        delayed: before.delayed.max(after.delayed),
        not_returned: before.visible.saturating_sub(letters.len() as u64),
    };
    Ok(Listing { letters, unseen })
}

/// What a replay holding `held` messages could not see: the messages others hold, the delayed
/// ones, and visible ones its receives did not return.
fn unseen_by_replay(counts: Counts, held: usize) -> Unseen {
    Unseen {
        in_flight: counts.in_flight.saturating_sub(held as u64),
        delayed: counts.delayed,
        not_returned: counts.visible,
    }
}

/// Replays the selected dead letters one after another. `dry_run`: says what would be
/// replayed, handles nothing and deletes nothing. An `--id` that is not in the queue is an
/// error naming the ids that are (and what could not be seen), and changes nothing.
pub async fn replay<Q: DeadLetterQueue, H: Handler>(
    queue: &Q,
    handler: &H,
    select: &Select,
    dry_run: bool,
) -> Result<ReplayRun> {
    let held = queue.hold_all(HOLD_SECS).await?;
    let unseen = unseen_by_replay(queue.counts().await?, held.len());
    let (chosen, others): (Vec<Held>, Vec<Held>) = held.into_iter().partition(|h| match select {
        Select::All => true,
        Select::Id(id) => &h.letter.id == id,
    });
    for h in &others {
        queue.release(&h.receipt).await?;
    }
    if let (Select::Id(id), true) = (select, chosen.is_empty()) {
        let ids: Vec<&str> = others.iter().map(|h| h.letter.id.as_str()).collect();
        let waiting = if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        };
        let more = if unseen.none() {
            String::new()
        } else {
            format!(" ({}: it may be one of them)", unseen.describe())
        };
        return Err(Error::config(
            "--id",
            id.clone(),
            format!(
                "no such message in the dead-letter queue; waiting: {waiting}{more} (see `macie-guard dead-letters list`)"
            ),
        ));
    }
    let mut results = Vec::new();
    for h in chosen {
        let result = match h.letter.target() {
            Err(why) => Replayed::NotReplayable { why },
            Ok(target) if dry_run => Replayed::Tried {
                outcome: format!("would be {}", kind_of(&target)),
            },
            Ok(Target::Function(event)) => match handler.handle(event).await {
                Ok(Handled::Done(outcome)) => Replayed::Done { outcome },
                Ok(Handled::NotActed(why)) => Replayed::NotActed { why },
                Err(e) => Replayed::Failed {
                    error: e.to_string(),
                },
            },
            Ok(Target::Bus { bus, entry }) => match handler.forward(&bus, &entry).await {
                Ok(outcome) => Replayed::Done { outcome },
                Err(e) => Replayed::Failed {
                    error: e.to_string(),
                },
            },
        };
        if matches!(result, Replayed::Done { .. }) {
            queue.delete(&h.receipt).await?;
        } else {
            queue.release(&h.receipt).await?;
        }
        results.push((h.letter, result));
    }
    // `--id` took the one message it asked for: what others hold is not its concern.
    let unseen = match select {
        Select::All => unseen,
        Select::Id(_) => Unseen::default(),
    };
    Ok(ReplayRun { results, unseen })
}

fn kind_of(target: &Target) -> String {
    match target {
        Target::Function(Routed::Expiry(_)) => "handled as the expiry guard's event".into(),
        Target::Function(Routed::Export(_)) => "handled as the export guard's event".into(),
        Target::Bus { bus, .. } => format!("put on event bus {}", bus.arn),
    }
}
