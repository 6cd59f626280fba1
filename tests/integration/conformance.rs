//! Replays the conformance cases copied into `tests/conformance/cases` (from real bug reports;
//! expected output is Docker Compose v2.40.3's) against the real mls binary, with the same rules
//! as `../shared/conformance/run`.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const RUNTIME: &[&str] = &["up", "run", "create", "start"];

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

fn run_case(dir: &Path) -> Result<(), String> {
    let dir = &placed(dir);
    let cmd = std::fs::read_to_string(dir.join("cmd")).map_err(|e| e.to_string())?;
    let args: Vec<&str> = cmd.split_whitespace().collect();
    let mut env: Vec<(String, String)> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(dir.join("shell.env")) {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once('=') {
                env.push((k.to_string(), v.to_string()));
            }
        }
    }
    let mls = |args: &[&str]| {
        let mut c = Command::new(MLS);
        c.args(args).current_dir(dir);
        for (k, _) in std::env::vars() {
            if k.starts_with("COMPOSE_") {
                c.env_remove(k);
            }
        }
        for (k, v) in &env {
            c.env(k, v);
        }
        c.output().expect("run mls")
    };
    let out = mls(&args);
    if args.iter().any(|a| RUNTIME.contains(a)) {
        mls(&["down", "-v", "--rmi", "local", "-t", "0"]);
    }
    let case_dir = dir.to_string_lossy().to_string();
    let norm = |b: &[u8]| String::from_utf8_lossy(b).replace(&case_dir, "${CASE_DIR}");
    let (stdout, stderr) = (norm(&out.stdout), norm(&out.stderr));
    let code = out.status.code().unwrap_or(-1);
    let tail = || {
        stderr
            .chars()
            .rev()
            .take(400)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    };
    if let Ok(expected) = std::fs::read_to_string(dir.join("expected.json")) {
        if code != 0 {
            return Err(format!("exit {code}: {}", tail()));
        }
        let got: Value =
            serde_json::from_str(&stdout).map_err(|e| format!("stdout is not JSON: {e}"))?;
        let want: Value = serde_json::from_str(&expected).unwrap();
        return if got == want {
            Ok(())
        } else {
            Err(format!(
                "JSON differs\n--- got\n{}\n--- want\n{}",
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&want).unwrap()
            ))
        };
    }
    if let Ok(expected) = std::fs::read_to_string(dir.join("expected.txt")) {
        if code != 0 {
            return Err(format!("exit {code}: {}", tail()));
        }
        return if stdout == expected {
            Ok(())
        } else {
            Err(format!(
                "text differs\n--- got\n{stdout}--- want\n{expected}"
            ))
        };
    }
    let expected =
        std::fs::read_to_string(dir.join("expected-error.txt")).map_err(|e| e.to_string())?;
    if code == 0 {
        return Err("expected a failure, got exit 0".into());
    }
    let all = format!("{stdout}{stderr}");
    let missing: Vec<&str> = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| !all.contains(l))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("missing {missing:?} in: {}", tail()))
    }
}

fn cases(runtime: bool) -> Vec<std::path::PathBuf> {
    let root = repo().join("tests/conformance/cases");
    let mut out: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("cmd").exists())
        .filter(|p| {
            let cmd = std::fs::read_to_string(p.join("cmd")).unwrap_or_default();
            cmd.split_whitespace().any(|a| RUNTIME.contains(&a)) == runtime
        })
        .collect();
    out.sort();
    out
}

fn check_all(runtime: bool) {
    let cases = cases(runtime);
    assert!(!cases.is_empty(), "no conformance cases found");
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run_case(case) {
            failures.push(format!(
                "FAIL {}: {why}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn conformance_config_cases() {
    check_all(false);
}

#[test]
fn conformance_runtime_cases() {
    require_engine();
    check_all(true);
}
