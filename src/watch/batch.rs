//! PURE batching of file events, clock injected: a batch closes after a short quiet period, or
//! after a maximum wait from its first event, whichever comes first — so a burst (a `git
//! checkout`) gives one batch, and a user who keeps saving still sees changes land.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Quiet period: long enough to swallow an editor's write-rename-chmod sequence.
pub const QUIET: Duration = Duration::from_millis(50);
/// Maximum wait from a batch's first event.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Batcher {
    quiet: Duration,
    max_wait: Duration,
    first: Option<Instant>,
    last: Option<Instant>,
    paths: BTreeSet<PathBuf>,
}

impl Default for Batcher {
    fn default() -> Self {
        Batcher::new(QUIET, MAX_WAIT)
    }
}

impl Batcher {
    pub fn new(quiet: Duration, max_wait: Duration) -> Batcher {
        Batcher {
            quiet,
            max_wait,
            first: None,
            last: None,
            paths: BTreeSet::new(),
        }
    }

    /// Records a changed path seen at `now`.
    pub fn push(&mut self, now: Instant, path: PathBuf) {
        self.first.get_or_insert(now);
        self.last = Some(now);
        self.paths.insert(path);
    }

    /// When the open batch closes (None when nothing is pending).
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + self.quiet).min(first + self.max_wait))
    }

    /// The batch, if it is due at `now`; the batcher is then empty again.
    pub fn take_due(&mut self, now: Instant) -> Option<BTreeSet<PathBuf>> {
        if self.deadline()? > now {
            return None;
        }
        self.first = None;
        self.last = None;
        Some(std::mem::take(&mut self.paths))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake clock: milliseconds after a fixed origin.
    struct Clock(Instant);
    impl Clock {
        fn at(&self, ms: u64) -> Instant {
            self.0 + Duration::from_millis(ms)
        }
    }

    #[test]
    fn a_burst_closes_after_the_quiet_period_as_one_batch() {
        let c = Clock(Instant::now());
        let mut b = Batcher::default();
        assert_eq!(b.deadline(), None);
        for i in 0..1000u64 {
            b.push(c.at(i / 100), PathBuf::from(format!("/f{i}")));
        }
        let quiet = QUIET.as_millis() as u64;
        assert_eq!(b.deadline(), Some(c.at(9 + quiet)));
        assert!(b.take_due(c.at(9 + quiet - 1)).is_none());
        let batch = b.take_due(c.at(9 + quiet)).unwrap();
        assert_eq!(batch.len(), 1000);
        assert!(b.take_due(c.at(10_000)).is_none());
        assert_eq!(b.deadline(), None);
    }

    #[test]
    fn steady_saves_still_flush_at_the_max_wait() {
        let c = Clock(Instant::now());
        let mut b = Batcher::default();
        // A save every 40 ms never leaves a 50 ms quiet period.
        let mut flushed = Vec::new();
        for t in (0..3000u64).step_by(40) {
            if let Some(batch) = b.take_due(c.at(t)) {
                flushed.push((t, batch.len()));
            }
            b.push(c.at(t), PathBuf::from("/app.py"));
        }
        assert_eq!(flushed[0], (1000, 1));
        assert_eq!(flushed.len(), 2, "{flushed:?}");
    }

    #[test]
    fn duplicate_paths_coalesce() {
        let c = Clock(Instant::now());
        let mut b = Batcher::default();
        b.push(c.at(0), PathBuf::from("/a"));
        b.push(c.at(1), PathBuf::from("/a"));
        assert_eq!(b.take_due(c.at(200)).unwrap().len(), 1);
    }
}
