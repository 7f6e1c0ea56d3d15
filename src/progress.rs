//! How far a run is: the jobs (or Regions) it has to do and has done, counted as it goes, for
//! the CLI's progress bar (`operator::progress`). The functions count too, and nobody reads it.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A run's count of what it has to do and has done.
#[derive(Debug, Default)]
pub struct Tally {
    total: AtomicUsize,
    done: AtomicUsize,
}

impl Tally {
    /// `n` more to do.
    pub fn add_total(&self, n: usize) {
        self.total.fetch_add(n, Ordering::Relaxed);
    }

    /// One more done.
    pub fn one_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// (done, total).
    pub fn read(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}
