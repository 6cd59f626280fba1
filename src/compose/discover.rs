//! Which compose files to load: `-f` files, COMPOSE_FILE, or discovery of `compose.yaml` (and
//! its `.override` companion) in the working directory and its parents.

use super::paths::clean;
use super::LoadOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Compose's names, in its order of preference (note `yml` before `yaml` for the
/// `docker-compose` names and for every override).
pub(super) const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// `-f` files, else COMPOSE_FILE, else discovery in cwd and its parents (plus the override).
/// `env` is the shell overlaid on the `.env` file, which may set COMPOSE_FILE. Warnings (several
/// candidates in one folder) are pushed to `notes`.
pub(super) fn config_files(
    opts: &LoadOptions,
    env: &HashMap<String, String>,
    notes: &mut Vec<String>,
) -> Result<Vec<PathBuf>, String> {
    let given: Vec<PathBuf> = if !opts.files.is_empty() {
        opts.files.clone()
    } else if let Some(list) = env.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
        let sep = env
            .get("COMPOSE_PATH_SEPARATOR")
            .map(String::as_str)
            .unwrap_or(":");
        list.split(sep)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect()
    } else {
        // Discovery starts in the project directory when one is given.
        let start = match &opts.project_directory {
            Some(d) => clean(&opts.cwd.join(d)),
            None => opts.cwd.clone(),
        };
        return discover(&start, notes);
    };
    // Compose checks COMPOSE_FILE entries with stat and opens `-f` files: its messages say so.
    let verb = if opts.files.is_empty() {
        "stat"
    } else {
        "open"
    };
    let mut out = Vec::new();
    for f in given {
        let abs = clean(&opts.cwd.join(&f));
        if abs.is_dir() {
            return Err(format!("read {}: is a directory", abs.display()));
        }
        if !abs.is_file() {
            return Err(format!(
                "{verb} {}: no such file or directory",
                abs.display()
            ));
        }
        out.push(abs);
    }
    Ok(out)
}

/// The first folder from `cwd` upwards holding one of the default names, and its override.
pub(super) fn discover(cwd: &Path, notes: &mut Vec<String>) -> Result<Vec<PathBuf>, String> {
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if let Some(found) = pick(d, DEFAULT_FILES, "config", notes) {
            let mut files = vec![found];
            files.extend(pick(d, OVERRIDE_FILES, "override", notes));
            return Ok(files);
        }
        dir = d.parent();
    }
    Err(format!(
        "no configuration file provided: not found (looked for {} in {} and its parents)",
        DEFAULT_FILES.join(", "),
        cwd.display()
    ))
}

/// The first of `names` present in `dir`; when several are, Compose's two warnings.
fn pick(dir: &Path, names: &[&str], kind: &str, notes: &mut Vec<String>) -> Option<PathBuf> {
    let present: Vec<PathBuf> = names
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect();
    let first = present.first()?.clone();
    if present.len() > 1 {
        let all: Vec<String> = present.iter().map(|p| p.display().to_string()).collect();
        notes.push(format!(
            "Found multiple {kind} files with supported names: {}",
            all.join(", ")
        ));
        notes.push(format!("Using {}", first.display()));
    }
    Some(first)
}
