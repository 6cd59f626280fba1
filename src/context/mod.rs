//! PURE build context: the `.dockerignore` matcher (moby semantics) and the context tar + digest.

use std::path::Path;

/// A build context ready to send: an uncompressed tar and a digest of its contents.
#[derive(Debug, Clone)]
pub struct Context {
    pub tar: Vec<u8>,
    /// sha256 over every (path, mode, content) sent, stable across runs.
    pub digest: String,
    pub files: usize,
    pub bytes: u64,
}

/// Builds the context for `dir` with the Dockerfile at `dockerfile` (relative to `dir`).
pub fn create(_dir: &Path, _dockerfile: &str) -> std::io::Result<Context> {
    Err(std::io::Error::other("context not implemented yet"))
}
