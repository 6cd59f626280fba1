//! Relative paths become absolute against the directory they were written for: the project
//! directory for `-f` files, the other file's directory for `extends: {file}` and `include`.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Lexically normalises a path (no filesystem access): drops `.`, folds `..`.
pub(super) fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // `/..` is `/`, as in Go's `Clean`.
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

pub(super) fn is_remote(s: &str) -> bool {
    s.contains("://")
        || s.starts_with("git@")
        || s.starts_with("github.com/")
        || s.starts_with("service:")
}

/// compose-go's `ExpandUser`: a leading `~` (even `~user`) stands for `$HOME`.
fn expand_user(p: &str, env: &HashMap<String, String>) -> String {
    match (p.strip_prefix('~'), env.get("HOME")) {
        (Some(rest), Some(home)) => {
            let joined = Path::new(home).join(rest.trim_start_matches('/'));
            clean(&joined).to_string_lossy().into_owned()
        }
        _ => p.to_string(),
    }
}

/// A path made absolute against `base`. Absolute paths are kept as written (compose-go
/// does not clean them: `/abs/../x` stays); relative ones are joined and cleaned.
pub(super) fn absolute(p: &str, base: &Path, env: &HashMap<String, String>) -> String {
    let p = expand_user(p, env);
    if p.is_empty() || Path::new(&p).is_absolute() {
        return p;
    }
    clean(&base.join(p)).to_string_lossy().into_owned()
}

/// A host path for a mount or a file: like `absolute`, but a Windows absolute path
/// (`c:\x`, `\\host\share`) is kept as well, for a client and daemon on different systems.
fn host_path(p: &str, base: &Path, env: &HashMap<String, String>) -> String {
    let b = p.as_bytes();
    let sep = |c: u8| c == b'/' || c == b'\\';
    let windows_abs =
        (b.len() >= 3 && b[1] == b':' && sep(b[2])) || (b.len() >= 2 && sep(b[0]) && sep(b[1]));
    if windows_abs {
        return p.to_string();
    }
    absolute(p, base, env)
}

/// Go's `path.Clean` for a container path (a volume target): `/t/` is `/t`.
pub(super) fn clean_target(p: &str) -> String {
    let cleaned = clean(Path::new(p)).to_string_lossy().into_owned();
    if cleaned.is_empty() {
        ".".into()
    } else {
        cleaned
    }
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
        }
    }
    if let Some(ssh) = m.get_mut("build").and_then(|b| b.get_mut("ssh")) {
        resolve_ssh(ssh, base, env);
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
                *src = host_path(src, base, env);
            }
        }
    }
}

/// SSH key files (`id=path`, or `{id: path}`) are host paths.
fn resolve_ssh(ssh: &mut Value, base: &Path, env: &HashMap<String, String>) {
    match ssh {
        Value::Array(items) => {
            for item in items.iter_mut() {
                if let Some((id, path)) = item.as_str().and_then(|s| s.split_once('=')) {
                    *item = Value::String(format!("{id}={}", host_path(path, base, env)));
                }
            }
        }
        Value::Object(keys) => {
            for (_, path) in keys.iter_mut() {
                if let Value::String(p) = path {
                    *p = host_path(p, base, env);
                }
            }
        }
        _ => {}
    }
}

/// Makes `file:` of top-level secrets and configs absolute, and the device of a local
/// volume that is really a bind mount (`driver: local`, `o: bind`).
pub(super) fn resolve_resource_files(root: &mut Value, base: &Path, env: &HashMap<String, String>) {
    if let Some(Value::Object(vols)) = root.get_mut("volumes") {
        for (_, vol) in vols.iter_mut() {
            if vol.get("driver").and_then(Value::as_str) != Some("local") {
                continue;
            }
            let Some(Value::Object(opts)) = vol.get_mut("driver_opts") else {
                continue;
            };
            if opts.get("o").and_then(Value::as_str) != Some("bind") {
                continue;
            }
            if let Some(Value::String(d)) = opts.get_mut("device") {
                *d = host_path(d, base, env);
            }
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(Value::Object(items)) = root.get_mut(kind) {
            for (_, item) in items.iter_mut() {
                if let Some(Value::String(f)) = item.get_mut("file") {
                    *f = host_path(f, base, env);
                }
            }
        }
    }
}
