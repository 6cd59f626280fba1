//! Fuzzes the compose loader: arbitrary bytes become a project — compose.yaml, then (after a
//! NUL byte) its .env, then (after another) compose.override.yaml, which is merged in. Loading
//! must return Ok or Err, never panic; a project that loads must render and hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mls::compose::{load, render_json, render_yaml, LoadOptions};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0);
    let files = ["compose.yaml", ".env", "compose.override.yaml"];
    let Ok(dir) = tempfile::tempdir() else { return };
    for name in files {
        if let Some(bytes) = parts.next() {
            if std::fs::write(dir.path().join(name), bytes).is_err() {
                return;
            }
        }
    }
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        project_name: Some("fuzz".into()),
        environ: [("HOME".to_string(), "/home/fuzz".to_string())].into(),
        ..LoadOptions::default()
    };
    if let Ok(project) = load(&opts) {
        // What `config` and `up` do with every project that loads.
        let _ = render_json(&project);
        let _ = render_yaml(&project);
        for name in project.services.keys() {
            let _ = mls::plan::config_hash(&project, name);
        }
    }
});
