//! The only module touching the file watcher: `notify` through `notify-debouncer-full`, which
//! stitches an editor's write/rename/chmod sequence into one event per path and tracks renames
//! by file id. Its timeout is kept tiny; the real batching (quiet period AND maximum wait, so a
//! user who keeps saving still sees changes land) is ours, in `batch`.
//!
//! A watched directory that is deleted and made again (`git checkout`, a build tool wiping its
//! output) loses its inotify watch with the old inode, so every root is also watched through
//! its parent: when a root directory appears, it is watched again and what it already holds is
//! reported as changed.

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::path::{Path, PathBuf};
use std::sync::{mpsc as std_mpsc, Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the debouncer holds an event for a path before passing it on.
const EDGE_TIMEOUT: Duration = Duration::from_millis(10);
/// How often the debouncer looks for events due.
const EDGE_TICK: Duration = Duration::from_millis(5);

type Inner = Debouncer<notify::RecommendedWatcher, RecommendedCache>;

/// A running file watcher; dropping it stops watching.
pub struct FileWatcher {
    _inner: Arc<Mutex<Inner>>,
}

/// Watches `roots` (directories recursively; a file through its parent directory, filtered) and
/// sends every changed path under them. Roots that do not exist yet, or are deleted and made
/// again later, are picked up when they appear.
pub fn watch(roots: &[PathBuf]) -> Result<(FileWatcher, mpsc::UnboundedReceiver<PathBuf>), String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (appeared_tx, appeared_rx) = std_mpsc::channel::<PathBuf>();
    let dirs: Vec<PathBuf> = roots.to_vec();
    let events_tx = tx.clone();
    let inner = new_debouncer(
        EDGE_TIMEOUT,
        Some(EDGE_TICK),
        move |res: DebounceEventResult| {
            let Ok(events) = res else { return };
            for ev in events {
                if matches!(ev.event.kind, EventKind::Access(_)) {
                    continue;
                }
                for p in &ev.event.paths {
                    if !dirs.iter().any(|r| p.starts_with(r)) {
                        continue; // a sibling seen through a root's parent
                    }
                    if dirs.contains(p) && p.is_dir() {
                        let _ = appeared_tx.send(p.clone());
                    }
                    let _ = events_tx.send(p.clone());
                }
            }
        },
    )
    .map_err(|e| format!("cannot start the file watcher: {e}"))?;
    let inner = Arc::new(Mutex::new(inner));
    let mut watched: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    for root in roots {
        let parent = root.parent().unwrap_or(Path::new("/")).to_path_buf();
        let mut wanted = vec![(parent, RecursiveMode::NonRecursive)];
        if root.is_dir() {
            wanted.push((root.clone(), RecursiveMode::Recursive));
        }
        for (dir, mode) in wanted {
            if watched.contains(&(dir.clone(), mode)) {
                continue;
            }
            lock(&inner)
                .watch(&dir, mode)
                .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
            watched.push((dir, mode));
        }
    }
    rewatch_on_appearance(Arc::downgrade(&inner), appeared_rx, tx);
    Ok((FileWatcher { _inner: inner }, rx))
}

/// Watches each root directory that appears (again) and reports the files it already holds,
/// which may have been written before the watch took hold. Ends with the watcher.
fn rewatch_on_appearance(
    inner: Weak<Mutex<Inner>>,
    appeared: std_mpsc::Receiver<PathBuf>,
    tx: mpsc::UnboundedSender<PathBuf>,
) {
    std::thread::spawn(move || {
        while let Ok(dir) = appeared.recv() {
            let Some(inner) = inner.upgrade() else { return };
            if lock(&inner).watch(&dir, RecursiveMode::Recursive).is_err() {
                continue; // gone again; its next appearance retries
            }
            drop(inner);
            let mut files = Vec::new();
            walk(&dir, &mut files);
            for f in files {
                let _ = tx.send(f);
            }
        }
    });
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&p, out);
        }
        out.push(p);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// What the watcher reports until `want` shows up (included), or None after 5 s.
    fn seen_until(rx: &mut mpsc::UnboundedReceiver<PathBuf>, want: &Path) -> Option<Vec<PathBuf>> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match rx.try_recv() {
                Ok(p) => {
                    let done = p == want;
                    seen.push(p);
                    if done {
                        return Some(seen);
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        None
    }

    fn wait_for(rx: &mut mpsc::UnboundedReceiver<PathBuf>, want: &Path) -> bool {
        seen_until(rx, want).is_some()
    }

    #[test]
    fn a_root_deleted_and_made_again_is_still_watched() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("src");
        std::fs::create_dir(&root).unwrap();
        let (_w, mut rx) = watch(std::slice::from_ref(&root)).unwrap();
        let first = root.join("a.txt");
        std::fs::write(&first, "1").unwrap();
        assert!(wait_for(&mut rx, &first), "no event for {first:?}");

        std::fs::remove_dir_all(&root).unwrap();
        std::fs::create_dir(&root).unwrap();
        let early = root.join("r1.txt");
        std::fs::write(&early, "r1").unwrap();
        assert!(wait_for(&mut rx, &early), "no event for {early:?}");
        // Once watched again, later writes are seen as they happen.
        std::thread::sleep(Duration::from_millis(200));
        let later = root.join("r2.txt");
        std::fs::write(&later, "r2").unwrap();
        assert!(wait_for(&mut rx, &later), "no event for {later:?}");
    }

    #[test]
    fn siblings_of_a_root_are_not_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("src");
        std::fs::create_dir(&root).unwrap();
        let (_w, mut rx) = watch(std::slice::from_ref(&root)).unwrap();
        std::fs::write(tmp.path().join("README.md"), "x").unwrap();
        let inside = root.join("b.txt");
        std::fs::write(&inside, "b").unwrap();
        let seen = seen_until(&mut rx, &inside).expect("an event for b.txt");
        assert!(seen.iter().all(|p| p.starts_with(&root)), "{seen:?}");
    }
}
