//! The CLI's progress bar: drawn on standard error while a run works, redrawn from the run's
//! tally, only when standard error is a terminal (nothing on a pipe or in a file), and
//! cleared when the run is done.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::progress::Tally;
use macie_guard_core::tell::org::progress_of;

/// A bar being drawn; [`Bar::done`] clears it.
pub struct Bar {
    stop: Arc<AtomicBool>,
    drawing: Option<tokio::task::JoinHandle<()>>,
}

/// Draws `tally` as `[#####.....] 12/40 {what}` every 200 ms while it has something to do,
/// when standard error is a terminal.
pub fn draw(tally: Arc<Tally>, what: &'static str) -> Bar {
    let stop = Arc::new(AtomicBool::new(false));
    if !std::io::stderr().is_terminal() {
        return Bar {
            stop,
            drawing: None,
        };
    }
    let until = stop.clone();
    let drawing = tokio::spawn(async move {
        while !until.load(Ordering::Relaxed) {
            let (done, total) = tally.read();
            if total > 0 {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{}", progress_of(done, total, what));
                let _ = err.flush();
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    Bar {
        stop,
        drawing: Some(drawing),
    }
}

impl Bar {
    /// Stops drawing and clears the line, before the report is printed.
    pub async fn done(self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(d) = self.drawing {
            let _ = d.await;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(70));
            let _ = err.flush();
        }
    }
}
