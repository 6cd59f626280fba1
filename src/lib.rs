//! mls: a fast compose-style stack manager for the Docker Engine.
//!
//! Data flows one way: files → model (`compose`) → graph → plan → engine, and events flow back to
//! one renderer (`progress`). The core (`compose`, `graph`, `plan`, `context`) is pure.

pub mod compose;
pub mod context;
pub mod engine;
pub mod error;
pub mod executor;
pub mod graph;
pub mod plan;
pub mod progress;
