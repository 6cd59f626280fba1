//! Watch mode: `mapping` (PURE: changed path → action per service), `batch` (PURE, clock
//! injected: bursts → batches), and `notify`, the one module touching the file watcher.
//! The loop that ties them to the engine lives in `commands::watch`.

pub mod batch;
pub mod mapping;
pub mod notify;
