//! The only module touching the `notify` crate: watches roots and forwards changed paths on a
//! channel. Batching is ours (`batch`), so the raw watcher is enough.

use notify::{EventKind, RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

/// A running file watcher; dropping it stops watching.
pub struct FileWatcher {
    _inner: notify::RecommendedWatcher,
}

/// Watches `roots` (directories recursively; a file through its parent directory, filtered) and
/// sends every changed path. Roots that do not exist yet are watched through their parent.
pub fn watch(roots: &[PathBuf]) -> Result<(FileWatcher, mpsc::UnboundedReceiver<PathBuf>), String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut inner = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        if matches!(ev.kind, EventKind::Access(_)) {
            return;
        }
        for p in ev.paths {
            let _ = tx.send(p);
        }
    })
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
