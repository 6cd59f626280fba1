//! Relative paths become absolute against the directory they were written for: the project
//! directory for `-f` files, the other file's directory for `extends: {file}` and `include`.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Lexically normalises a path (no filesystem access): drops `.`, folds `..`.
pub(super) fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub(super) fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

pub(super) fn absolute(p: &str, base: &Path, env: &HashMap<String, String>) -> String {
    let expanded = match p.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => env
            .get("HOME")
            .map(|h| format!("{h}{rest}"))
            .unwrap_or_else(|| p.to_string()),
        _ => p.to_string(),
    };
    clean(&base.join(expanded)).to_string_lossy().into_owned()
}

/// Makes the service's relative paths absolute against `base`.
pub(super) fn resolve_paths(svc: &mut Value, base: &Path, env: &HashMap<String, String>) {
    let Value::Object(m) = svc else { return };
    if let Some(Value::Object(build)) = m.get_mut("build") {
        let ctx = build
            .get("context")
            .and_then(Value::as_str)
            .unwrap_or(".")
            .to_string();
        if !is_remote(&ctx) {
            build.insert("context".into(), Value::String(absolute(&ctx, base, env)));
        }
        if let Some(Value::Object(extra)) = build.get_mut("additional_contexts") {
            for (_, v) in extra.iter_mut() {
                if let Value::String(s) = v {
                    if !is_remote(s) && !s.contains(':') {
                        *s = absolute(s, base, env);
                    }
                }
            }
        }
    }
    if let Some(Value::Object(args)) = m.get_mut("build").and_then(|b| b.get_mut("args")) {
        let old = std::mem::take(args);
        for (k, v) in old {
            match v {
                Value::Null => {
                    if let Some(val) = env.get(&k) {
                        args.insert(k, Value::String(val.clone()));
                    }
                }
                other => {
                    args.insert(k, other);
                }
            }
        }
    }
    if let Some(Value::Array(files)) = m.get_mut("env_file") {
        for f in files {
            if let Some(Value::String(p)) = f.get_mut("path") {
                *p = absolute(p, base, env);
            }
        }
    }
    if let Some(Value::Array(watch)) = m.get_mut("develop").and_then(|d| d.get_mut("watch")) {
        for w in watch.iter_mut() {
            if let Some(Value::String(p)) = w.get_mut("path") {
                *p = absolute(p, base, env);
            }
            if let Value::Object(w) = w {
                w.entry("exec")
                    .or_insert_with(|| json!({ "command": null }));
            }
        }
    }
    if let Some(Value::Array(files)) = m.get_mut("label_file") {
        for f in files {
            if let Value::String(p) = f {
                *p = absolute(p, base, env);
            }
        }
    }
    if let Some(Value::Array(vols)) = m.get_mut("volumes") {
        for v in vols {
            if v.get("type").and_then(Value::as_str) != Some("bind") {
                continue;
            }
            if let Some(Value::String(src)) = v.get_mut("source") {
                *src = absolute(src, base, env);
            }
        }
    }
}

/// Makes `file:` of top-level secrets and configs, and relative local volume devices, absolute.
pub(super) fn resolve_resource_files(root: &mut Value, base: &Path, env: &HashMap<String, String>) {
    if let Some(Value::Object(vols)) = root.get_mut("volumes") {
        for (_, vol) in vols.iter_mut() {
            let device = vol.get_mut("driver_opts").and_then(|o| o.get_mut("device"));
            if let Some(Value::String(d)) = device {
                if d.starts_with('.') {
                    *d = absolute(d, base, env);
                }
            }
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(Value::Object(items)) = root.get_mut(kind) {
            for (_, item) in items.iter_mut() {
                if let Some(Value::String(f)) = item.get_mut("file") {
                    *f = absolute(f, base, env);
                }
            }
        }
    }
}
