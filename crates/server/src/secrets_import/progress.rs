//! Progress of an import on stderr: one status line redrawn in place on a terminal, a plain
//! line per chunk otherwise (logs, pipes, CI).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the terminal status line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

pub(super) struct Progress {
    terminal: bool,
    /// The file size, for the percentage.
    size: u64,
    /// `--atomic`: chunks are checked and written, but nothing is kept before the end.
    atomic: bool,
    started: Instant,
    last_drawn: Option<Instant>,
}

impl Progress {
    pub(super) fn new(size: u64, atomic: bool) -> Self {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            size,
            atomic,
            started: Instant::now(),
            last_drawn: None,
        }
    }

    /// A chunk (lines `first` to `last`) is done.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn chunk(
        &mut self,
        first: u64,
        last: u64,
        written: u64,
        refused: u64,
        total_written: u64,
        total_refused: u64,
        bytes_read: u64,
    ) {
        let mut err = std::io::stderr().lock();
        let verb = if self.atomic { "valid" } else { "imported" };
        if !self.terminal {
            let _ = writeln!(
                err,
                "lines {first}-{last}: {written} {verb}, {refused} refused"
            );
            return;
        }
        let now = Instant::now();
        if self.last_drawn.is_some_and(|t| now - t < REDRAW) {
            return;
        }
        self.last_drawn = Some(now);
        let percent = (bytes_read * 100)
            .checked_div(self.size)
            .unwrap_or(100)
            .min(100);
        let filled = (percent / 4) as usize;
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = (total_written + total_refused) as f64 / seconds;
        let _ = write!(
            err,
            "\r\x1b[2K{percent:>3}% [{}{}] line {last}: {total_written} {verb}, {total_refused} refused, {rate:.0} lines/s",
            "#".repeat(filled),
            " ".repeat(25 - filled),
        );
        let _ = err.flush();
    }

    /// Clears the status line before other output.
    pub(super) fn clear(&mut self) {
        if self.terminal && self.last_drawn.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.last_drawn = None;
        }
    }

    pub(super) fn finish(&mut self) {
        self.clear();
    }
}
