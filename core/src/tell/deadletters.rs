//! How dead letters are told: `macie-guard dead-letters list` and `replay`, every value
//! escaped (a dead letter's body and error are anyone's text).

use serde::Serialize;

use crate::deadletter::DeadLetter;
use crate::text::safe_short;

/// `dead-letters list`: one block per message (id, when, who sent it, what it was for, the
/// error), and a closing count.
pub fn list_text(letters: &[DeadLetter]) -> String {
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
        if let Err(why) = d.routed() {
            out.push_str(&format!(
                "    cannot be replayed: {}\n",
                safe_short(&why, 300)
            ));
        }
    }
    out.push_str(&format!("{} dead letter(s) waiting\n", letters.len()));
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
    /// Not an event either function takes; kept.
    NotReplayable { why: String },
}

impl Replayed {
    pub fn ok(&self) -> bool {
        matches!(self, Replayed::Done { .. } | Replayed::Tried { .. })
    }
}

/// One line per dead letter replayed, and a closing count.
pub fn replay_text(results: &[(DeadLetter, Replayed)]) -> String {
    let mut out = String::new();
    for (d, r) in results {
        let (word, text) = match r {
            Replayed::Done { outcome } => ("replayed, deleted", outcome),
            Replayed::Tried { outcome } => ("dry run, kept", outcome),
            Replayed::Failed { error } => ("failed again, kept", error),
            Replayed::NotReplayable { why } => ("not replayable, kept", why),
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
    out
}
