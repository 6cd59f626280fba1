//! PURE compose loader: files → untyped tree → interpolate → merge → canonicalise → typed model.
//! Nothing here touches the engine, the terminal or async runtimes.
//!
//! The pipeline follows compose-go's order (see `load.rs`): `discover` finds the files and
//! `dotenv` reads `.env`; each file is parsed (`yaml`), interpolated (`interpolate`), checked
//! (`validate`), canonicalised (`canonical`) and has its `extends`/`include` applied
//! (`extends`); files are merged (`merge`), paths made absolute (`paths`), defaults filled
//! (`defaults`), profiles applied (`profiles`), and the result is deserialised into `model`.
//! `render` prints what `config` shows, through compose-go's types (`gotypes`, `marshal`)
//! and Go's encoders (`goyaml`, `gojson`, `gofmt`).

mod canonical;
#[cfg(test)]
mod conformance_tests;
mod defaults;
mod discover;
mod dotenv;
mod extends;
mod gofmt;
mod gojson;
mod gotypes;
mod goyaml;
mod interpolate;
mod load;
mod marshal;
mod merge;
pub mod model;
mod paths;
mod profiles;
pub mod project_name;
mod render;
mod schema;
mod validate;
mod yaml;

pub use canonical::{format_go_duration, parse_bytes, parse_go_duration, shell_split};
pub use load::load;
pub use model::*;
pub use render::{
    image_names, profile_names, render_json, render_yaml, service_json, service_names, volume_names,
};

use std::collections::HashMap;
use std::path::PathBuf;

/// What the command line and environment say about where and how to load a project.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files in order; empty means COMPOSE_FILE or discovery in `cwd` and its parents.
    pub files: Vec<PathBuf>,
    /// `-p` (validated, never normalised) — otherwise COMPOSE_PROJECT_NAME, `name:`, folder name.
    pub project_name: Option<String>,
    pub project_directory: Option<PathBuf>,
    /// `--env-file`, repeatable; default `<project dir>/.env`.
    pub env_files: Vec<PathBuf>,
    /// `--profile`, plus COMPOSE_PROFILES.
    pub profiles: Vec<String>,
    /// Services named on the command line (their profiles are enabled implicitly).
    pub services: Vec<String>,
    /// Keep only `services` and what they depend on, and the resources those use (`config
    /// SERVICE...` prints just that, as Docker Compose does).
    pub only_selected: bool,
    /// False for `config --no-interpolate`.
    pub no_interpolate: bool,
    /// `config --hash`: leave `env_file` unread and bare `environment` entries unresolved, as
    /// Docker Compose does for that flag (its hash covers the files, not their contents).
    pub keep_env_files: bool,
    /// The caller's environment (injected so tests need not touch the process env).
    pub environ: HashMap<String, String>,
    /// Working directory of the caller.
    pub cwd: PathBuf,
}

/// A load failure, rendered with file, line and key where known. Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    pub message: String,
}

impl LoadError {
    pub fn new(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
        }
    }
}
