//! Replays the `config` conformance cases (tests/conformance/cases) through `load` and
//! `render_json`, comparing with Docker Compose v2.40.3's recorded output.

use super::{load, render_json, LoadOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Cases whose `cmd` is not a `config` command, or whose check lives in another module.
const NOT_LOADER_CASES: &[&str] = &[
    // The dependency cycle is reported by the graph module, not by the loader.
    "depends-on-cycle",
];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/cases")
}

/// Builds load options from a case's `cmd` and `shell.env`, as the runner would.
fn options(dir: &Path) -> LoadOptions {
    let cmd = std::fs::read_to_string(dir.join("cmd")).unwrap_or_default();
    let mut opts = LoadOptions {
        cwd: dir.to_path_buf(),
        ..LoadOptions::default()
    };
    let mut words = cmd.split_whitespace();
    while let Some(w) = words.next() {
        let mut value = || words.next().unwrap_or_default().to_string();
        match w {
            "-f" | "--file" => opts.files.push(PathBuf::from(value())),
            "-p" | "--project-name" => opts.project_name = Some(value()),
            "--project-directory" => opts.project_directory = Some(PathBuf::from(value())),
            "--env-file" => opts.env_files.push(PathBuf::from(value())),
            "--profile" => opts.profiles.push(value()),
            _ => {}
        }
    }
    if let Ok(path) = std::env::var("PATH") {
        opts.environ.insert("PATH".into(), path);
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("shell.env")) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                opts.environ.insert(k.to_string(), v.to_string());
            }
        }
    }
    opts
}

/// Runs one case; `Err` says why it failed.
fn run_case(dir: &Path) -> Result<(), String> {
    let opts = options(dir);
    let result = load(&opts);
    let case_dir = dir.to_string_lossy().into_owned();
    let expected_json = dir.join("expected.json");
    let expected_err = dir.join("expected-error.txt");
    if expected_json.exists() {
        let project = result.map_err(|e| format!("load failed: {e}"))?;
        let out = render_json(&project).replace(&case_dir, "${CASE_DIR}");
        let got: serde_json::Value =
            serde_json::from_str(&out).map_err(|e| format!("output is not JSON: {e}"))?;
        let text = std::fs::read_to_string(&expected_json).map_err(|e| e.to_string())?;
        let want: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if got != want {
            return Err(format!(
                "JSON differs\n--- got\n{}\n--- want\n{}",
                serde_json::to_string_pretty(&got).unwrap_or_default(),
                serde_json::to_string_pretty(&want).unwrap_or_default()
            ));
        }
        return Ok(());
    }
    if expected_err.exists() {
        let err = match result {
            Ok(_) => return Err("expected a failure, got a project".into()),
            Err(e) => e.to_string().replace(&case_dir, "${CASE_DIR}"),
        };
        let text = std::fs::read_to_string(&expected_err).map_err(|e| e.to_string())?;
        let missing: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter(|l| !err.contains(l))
            .collect();
        if !missing.is_empty() {
            return Err(format!("missing {missing:?} in error: {err}"));
        }
        return Ok(());
    }
    Err("no expected file".into())
}

#[test]
fn config_cases_match_docker_compose() {
    let mut names: Vec<String> = std::fs::read_dir(cases_dir())
        .expect("conformance cases are checked in")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "too few cases found: {names:?}");
    let mut failures: HashMap<String, String> = HashMap::new();
    for name in &names {
        let cmd = std::fs::read_to_string(cases_dir().join(name).join("cmd")).unwrap_or_default();
        // Runtime cases (up, run) are replayed against the engine by the integration tests.
        if NOT_LOADER_CASES.contains(&name.as_str())
            || !cmd.split_whitespace().any(|w| w == "config")
        {
            continue;
        }
        if let Err(why) = run_case(&cases_dir().join(name)) {
            failures.insert(name.clone(), why);
        }
    }
    let mut report: Vec<String> = failures
        .iter()
        .map(|(n, why)| format!("FAIL {n}: {why}"))
        .collect();
    report.sort();
    assert!(failures.is_empty(), "{}", report.join("\n\n"));
}
