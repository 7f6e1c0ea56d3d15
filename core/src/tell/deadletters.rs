//! How dead letters are told: `macie-guard dead-letters list` and `replay`, every value
//! escaped (a dead letter's body and error are anyone's text).

use serde::Serialize;

use crate::operator::deadletter::DeadLetter;
use crate::text::safe_short;

/// What a listing or a replay could not see in the queue (SQS's approximate counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unseen {
    /// Held by another reader (a replay running now, a consumer): invisible until let go.
    pub in_flight: u64,
    /// Sent with a delay that has not ended.
    pub delayed: u64,
    /// Visible, but not returned by any receive (a receive samples the queue).
    pub not_returned: u64,
}

impl Unseen {
    pub fn none(&self) -> bool {
        self.in_flight + self.delayed + self.not_returned == 0
    }

    pub fn total(&self) -> u64 {
        self.in_flight + self.delayed + self.not_returned
    }

    /// "about 3 message(s) not seen: 2 held by another reader, 1 not returned".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.in_flight > 0 {
            parts.push(format!(
                "{} held by another reader (a replay running now?)",
                self.in_flight
            ));
        }
        if self.delayed > 0 {
            parts.push(format!("{} delayed", self.delayed));
        }
        if self.not_returned > 0 {
            parts.push(format!(
                "{} not returned by SQS this time",
                self.not_returned
            ));
        }
        format!(
            "about {} message(s) not seen: {}",
            self.total(),
            parts.join(", ")
        )
    }
}

/// `dead-letters list`: one block per message (id, when, who sent it, what it was for, the
/// error), a closing count, and what could not be seen.
pub fn list_text(letters: &[DeadLetter], unseen: &Unseen) -> String {
    let mut out = String::new();
    for d in letters {
        let when = d
            .sent_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
            .unwrap_or_else(|| "unknown time".into());
        out.push_str(&format!(
            "{}  {when}  {}\n    for:   {}\n",
            safe_short(&d.id, 80),
            safe_short(&d.producer.describe(), 120),
            safe_short(&d.what(), 200),
        ));
        if d.error_code.is_some() || d.error_message.is_some() {
            out.push_str(&format!(
                "    error: {} {}\n",
                safe_short(d.error_code.as_deref().unwrap_or("-"), 80),
                safe_short(d.error_message.as_deref().unwrap_or(""), 300)
            ));
        }
        if let Err(why) = d.target() {
            out.push_str(&format!(
                "    cannot be replayed: {}\n",
                safe_short(&why, 300)
            ));
        }
    }
    out.push_str(&format!("{} dead letter(s) waiting\n", letters.len()));
    if !unseen.none() {
        out.push_str(&format!(
            "not complete: {}; list again\n",
            unseen.describe()
        ));
    }
    out
}

/// What became of one dead letter in a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum Replayed {
    /// Handled as its function would have; deleted from the queue.
    Done { outcome: String },
    /// Handled in dry-run (decided, nothing changed); kept in the queue.
    Tried { outcome: String },
    /// Failed again; kept in the queue, visible again at once.
    Failed { error: String },
    /// Not an event either function takes, nor one for a bus; kept.
    NotReplayable { why: String },
    /// An event its function does not act on (another kind, another account or Region):
    /// handled, nothing done, kept.
    NotActed { why: String },
}

impl Replayed {
    pub fn ok(&self) -> bool {
        matches!(self, Replayed::Done { .. } | Replayed::Tried { .. })
    }
}

/// One line per dead letter replayed, a closing count, and what the replay could not see.
pub fn replay_text(results: &[(DeadLetter, Replayed)], unseen: &Unseen) -> String {
    let mut out = String::new();
    for (d, r) in results {
        let (word, text) = match r {
            Replayed::Done { outcome } => ("replayed, deleted", outcome),
            Replayed::Tried { outcome } => ("dry run, kept", outcome),
            Replayed::Failed { error } => ("failed again, kept", error),
            Replayed::NotReplayable { why } => ("not replayable, kept", why),
            Replayed::NotActed { why } => ("nothing acted on it, kept", why),
        };
        out.push_str(&format!(
            "{}  {}  {word}: {}\n",
            safe_short(&d.id, 80),
            safe_short(&d.what(), 160),
            safe_short(text, 400)
        ));
    }
    let done = results
        .iter()
        .filter(|(_, r)| matches!(r, Replayed::Done { .. }))
        .count();
    let kept = results.len() - done;
    out.push_str(&format!("{done} replayed, {kept} kept in the queue\n"));
    if !unseen.none() {
        out.push_str(&format!(
            "not all: {}; replay again once they are visible\n",
            unseen.describe()
        ));
    }
    out
}
