//! The only module touching the file watcher: `notify` through `notify-debouncer-full`, which
//! stitches an editor's write/rename/chmod sequence into one event per path and tracks renames
//! by file id. Its timeout is kept tiny; the real batching (quiet period AND maximum wait, so a
//! user who keeps saving still sees changes land) is ours, in `batch`.

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the debouncer holds an event for a path before passing it on.
const EDGE_TIMEOUT: Duration = Duration::from_millis(10);
/// How often the debouncer looks for events due.
const EDGE_TICK: Duration = Duration::from_millis(5);

/// A running file watcher; dropping it stops watching.
pub struct FileWatcher {
    _inner: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

/// Watches `roots` (directories recursively; a file through its parent directory, filtered) and
/// sends every changed path. Roots that do not exist yet are watched through their parent.
pub fn watch(roots: &[PathBuf]) -> Result<(FileWatcher, mpsc::UnboundedReceiver<PathBuf>), String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut inner = new_debouncer(
        EDGE_TIMEOUT,
        Some(EDGE_TICK),
        move |res: DebounceEventResult| {
            let Ok(events) = res else { return };
            for ev in events {
                if matches!(ev.event.kind, EventKind::Access(_)) {
                    continue;
                }
                for p in &ev.event.paths {
                    let _ = tx.send(p.clone());
                }
            }
        },
    )
    .map_err(|e| format!("cannot start the file watcher: {e}"))?;
    let mut watched: Vec<PathBuf> = Vec::new();
    for root in roots {
        let (dir, mode) = if root.is_dir() {
            (root.clone(), RecursiveMode::Recursive)
        } else {
            let parent = root.parent().unwrap_or(Path::new("/")).to_path_buf();
            (parent, RecursiveMode::NonRecursive)
        };
        if watched.contains(&dir) {
            continue;
        }
        inner
            .watch(&dir, mode)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        watched.push(dir);
    }
    Ok((FileWatcher { _inner: inner }, rx))
}
