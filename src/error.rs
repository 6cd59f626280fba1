//! Typed errors and the one exit-code table of mls.

use crate::compose::LoadError;
use crate::engine::EngineError;

/// Exit codes, in one place (see STYLE.md).
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The compose files could not be loaded or are invalid.
    #[error("{0}")]
    Load(#[from] LoadError),
    /// The dependency graph is invalid (unknown service, cycle).
    #[error("{0}")]
    Graph(#[from] crate::graph::GraphError),
    /// Wrong use of the command line.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// The operation ran and failed (a service failed, went unhealthy, a wait timed out).
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// A container's own exit code passed through (`run`, `exec`).
    #[error("exit status {0}")]
    Exit(i32),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Load(_) | Error::Graph(_) | Error::Usage(_) => exit::USAGE,
            Error::Engine(_) | Error::Failed(_) | Error::Io(_) => exit::FAILED,
            Error::Interrupted => exit::INTERRUPTED,
            Error::Exit(code) => *code,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
