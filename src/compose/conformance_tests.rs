//! Replays the `config` conformance cases (tests/conformance/cases) in-process: the case's
//! `cmd` is parsed by the real CLI, loaded with `load` and printed by `config`'s renderer, then
//! compared with Docker Compose v2.40.3's recorded output (tests/conformance/record.sh).

use crate::cli::{Cli, Command, ConfigArgs};
use crate::commands::config::{adjust_options, render};
use crate::commands::load_options;
use clap::Parser;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/cases")
}

/// The case's `config` flags and its environment (`PATH` plus `shell.env`), as the runner
/// would give them to the binary.
fn parse_case(dir: &Path) -> Result<(Cli, ConfigArgs, HashMap<String, String>), String> {
    let cmd = std::fs::read_to_string(dir.join("cmd")).map_err(|e| e.to_string())?;
    let cli = Cli::try_parse_from(std::iter::once("mls").chain(cmd.split_whitespace()))
        .map_err(|e| e.to_string())?;
    let Command::Config(args) = &cli.command else {
        return Err("not a config command".into());
    };
    let args = args.clone();
    let mut environ = HashMap::new();
    if let Ok(path) = std::env::var("PATH") {
        environ.insert("PATH".into(), path);
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("shell.env")) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                environ.insert(k.to_string(), v.to_string());
            }
        }
    }
    Ok((cli, args, environ))
}

/// `config --hash` covers resolved absolute paths (bind mounts, env_file), so a hash case is
/// recorded (tests/conformance/record.sh) and replayed from one fixed folder,
/// `/tmp/mls-conformance/<case>`, wherever the checkout is.
fn placed(dir: &Path) -> PathBuf {
    let cmd = std::fs::read_to_string(dir.join("cmd")).unwrap_or_default();
    if !cmd.split_whitespace().any(|w| w == "--hash") {
        return dir.to_path_buf();
    }
    let to = Path::new("/tmp/mls-conformance").join(dir.file_name().expect("case name"));
    let _ = std::fs::remove_dir_all(&to);
    copy_tree(dir, &to).expect("copy the case to /tmp/mls-conformance");
    to
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Runs one case; `Err` says why it failed.
fn run_case(dir: &Path) -> Result<(), String> {
    let dir = &placed(dir);
    let (cli, args, environ) = parse_case(dir)?;
    let mut opts = load_options(
        &cli.global,
        &args.services,
        args.no_interpolate,
        environ,
        dir.to_path_buf(),
    );
    adjust_options(&mut opts, &args);
    let case_dir = dir.to_string_lossy().into_owned();
    let result = super::load(&opts)
        .map_err(|e| e.to_string())
        .and_then(|p| render(&p, &args).map_err(|e| e.to_string()));
    if let Ok(text) = std::fs::read_to_string(dir.join("expected.json")) {
        let out = result
            .map_err(|e| format!("load failed: {e}"))?
            .replace(&case_dir, "${CASE_DIR}");
        let got: serde_json::Value =
            serde_json::from_str(&out).map_err(|e| format!("output is not JSON: {e}"))?;
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
    if let Ok(want) = std::fs::read_to_string(dir.join("expected.txt")) {
        let got = result
            .map_err(|e| format!("load failed: {e}"))?
            .replace(&case_dir, "${CASE_DIR}");
        if got != want {
            return Err(format!("text differs\n--- got\n{got}--- want\n{want}"));
        }
        return Ok(());
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("expected-error.txt")) {
        let err = match result {
            Ok(_) => return Err("expected a failure, got a project".into()),
            Err(e) => e.replace(&case_dir, "${CASE_DIR}"),
        };
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
    assert!(names.len() >= 60, "too few cases found: {names:?}");
    let mut failures: HashMap<String, String> = HashMap::new();
    let mut ran = 0;
    for name in &names {
        let cmd = std::fs::read_to_string(cases_dir().join(name).join("cmd")).unwrap_or_default();
        // Runtime cases (up, run) are replayed against the engine by the integration tests.
        if !cmd.split_whitespace().any(|w| w == "config") {
            continue;
        }
        ran += 1;
        if let Err(why) = run_case(&cases_dir().join(name)) {
            failures.insert(name.clone(), why);
        }
    }
    assert!(ran >= 60, "only {ran} config cases ran");
    let mut report: Vec<String> = failures
        .iter()
        .map(|(n, why)| format!("FAIL {n}: {why}"))
        .collect();
    report.sort();
    assert!(failures.is_empty(), "{}", report.join("\n\n"));
}
