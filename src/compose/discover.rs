//! Which compose files to load: `-f` files, COMPOSE_FILE, or discovery of `compose.yaml` (and
//! its `.override` companion) in the working directory and its parents.

use super::paths::clean;
use super::LoadOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub(super) const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// `-f` files, else COMPOSE_FILE, else discovery in cwd and its parents (plus the override).
/// `env` is the shell overlaid on the `.env` file, which may set COMPOSE_FILE.
pub(super) fn config_files(
    opts: &LoadOptions,
    env: &HashMap<String, String>,
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
        return discover(&start);
    };
    let mut out = Vec::new();
    for f in given {
        let abs = clean(&opts.cwd.join(&f));
        if !abs.is_file() {
            return Err(format!("open {}: no such file or directory", abs.display()));
        }
        out.push(abs);
    }
    Ok(out)
}

pub(super) fn discover(cwd: &Path) -> Result<Vec<PathBuf>, String> {
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if let Some(found) = DEFAULT_FILES
            .iter()
            .map(|n| d.join(n))
            .find(|p| p.is_file())
        {
            let mut files = vec![found.clone()];
            let stem = found
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.rsplit_once('.'))
                .map(|(s, _)| s.to_string())
                .unwrap_or_default();
            if let Some(o) = ["yaml", "yml"]
                .iter()
                .map(|ext| d.join(format!("{stem}.override.{ext}")))
                .find(|p| p.is_file())
            {
                files.push(o);
            }
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
