//! `extends` (same file or `file:`) and `include`: both pull services from elsewhere, merged
//! with the same rules as `-f` files, with paths resolved where they were written.

use super::canonical::{canonicalize_file, canonicalize_service, scalar_string};
use super::load::{env_from_files, merge_all, parse_interpolated, read_file, Ctx};
use super::merge::{merge, put_back_resets, strip_resets, take_resets, Tags};
use super::paths::{clean, resolve_paths, resolve_resource_files};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Replaces every service's `extends` with the merge of its (resolved) base and itself.
/// `file` is the file `tree` was read from; `chain` the services being resolved, outermost first.
pub(super) fn apply_extends(
    tree: &mut Value,
    file: &Path,
    tags: &Tags,
    ctx: &mut Ctx,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<(), String> {
    let names: Vec<String> = match tree.get("services") {
        Some(Value::Object(s)) => s.keys().cloned().collect(),
        _ => return Ok(()),
    };
    for name in names {
        resolve_service(tree, &name, file, tags, ctx, chain)?;
    }
    Ok(())
}

/// Compose's report of an `extends` loop: every step from the first service back to itself.
fn circular(chain: &[(PathBuf, String)], file: &Path, name: &str) -> String {
    let mut out = String::from("Circular reference:");
    for (i, (f, n)) in chain.iter().enumerate() {
        let verb = if i == 0 { "" } else { "extends " };
        out.push_str(&format!("\n  {verb}{n} in {}", f.display()));
    }
    out.push_str(&format!("\n  extends {name} in {}", file.display()));
    out
}

fn has_service(tree: &Value, name: &str) -> bool {
    tree.get("services").and_then(|s| s.get(name)).is_some()
}

/// `tags` are the `!reset`/`!override` tags of the file `tree` comes from: they apply to a
/// service over its base as they do over an earlier file.
pub(super) fn resolve_service(
    tree: &mut Value,
    name: &str,
    file: &Path,
    tags: &Tags,
    ctx: &mut Ctx,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Value, String> {
    let key = (file.to_path_buf(), name.to_string());
    if chain.contains(&key) {
        return Err(circular(chain, file, name));
    }
    let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    let Some(svc) = tree.get("services").and_then(|s| s.get(name)).cloned() else {
        return Err(format!(
            "cannot extend service \"{name}\": service not found"
        ));
    };
    let Some(ext) = svc.get("extends").cloned() else {
        // As a base, a service's own `!reset` keys are simply absent.
        let mut wrapped = json!({ "services": { name: svc } });
        strip_resets(&mut wrapped, tags);
        return Ok(wrapped["services"][name].take());
    };
    let base_name = ext
        .get("service")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{}: extends.{name}.service is required", file.display()))?
        .to_string();
    chain.push(key);
    let base = match ext.get("file").and_then(Value::as_str) {
        Some(f) => {
            let path = clean(&dir.join(f));
            let mut other = Value::Object(Map::new());
            for (mut doc, tags) in parse_interpolated(&path, ctx)? {
                super::validate::validate_service(&doc, &tags, &base_name, &path, ctx.interpolate)?;
                let resets = take_resets(&mut doc, &tags);
                canonicalize_file(&mut doc, &mut ctx.notes)?;
                put_back_resets(&mut doc, &resets);
                merge_all(&mut other, vec![(doc, tags)]);
            }
            let other_dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
            if !has_service(&other, &base_name) {
                return Err(format!(
                    "cannot extend service \"{name}\" in {}: service \"{base_name}\" not found in {f}",
                    file.display()
                ));
            }
            let mut base =
                resolve_service(&mut other, &base_name, &path, &Tags::new(), ctx, chain)?;
            resolve_paths(&mut base, &other_dir, &ctx.env);
            base
        }
        None if !has_service(tree, &base_name) => {
            return Err(format!(
                "cannot extend service \"{name}\" in {}: service \"{base_name}\" not found",
                file.display()
            ));
        }
        None => resolve_service(tree, &base_name, file, tags, ctx, chain)?,
    };
    chain.pop();
    let mut child = svc;
    if let Value::Object(m) = &mut child {
        m.shift_remove("extends");
    }
    let mut merged = json!({ "services": { name: base } });
    merge(
        &mut merged,
        json!({ "services": { name: child } }),
        &mut Vec::new(),
        tags,
    );
    let mut result = merged["services"][name].take();
    if let Value::Object(m) = &mut result {
        m.shift_remove("extends");
    }
    canonicalize_service(name, &mut result)?;
    if let Some(Value::Object(s)) = tree.get_mut("services") {
        s.insert(name.to_string(), result.clone());
    }
    Ok(result)
}

/// `include` must be a list; Docker Compose reads it before it validates the file.
pub(super) fn include_shape(tree: &Value) -> Result<(), String> {
    match tree.get("include") {
        Some(Value::Array(_)) | Some(Value::Null) | None => Ok(()),
        Some(other) => Err(format!(
            "`include` must be a list, got {}",
            super::gofmt::sprint(other)
        )),
    }
}

/// Loads each `include` entry as its own small project (own directory and `.env`, paths made
/// absolute there) and adds its resources; redefining an imported service is an error.
pub(super) fn apply_include(tree: &mut Value, dir: &Path, ctx: &mut Ctx) -> Result<(), String> {
    include_shape(tree)?;
    let Value::Object(root) = tree else {
        return Ok(());
    };
    let entries = match root.shift_remove("include") {
        Some(Value::Array(e)) => e,
        _ => return Ok(()),
    };
    for entry in entries {
        let (paths, project_dir, env_files) = match &entry {
            Value::String(p) => (vec![p.clone()], None, Vec::new()),
            Value::Object(m) => {
                let paths = match m.get("path") {
                    Some(Value::String(p)) => vec![p.clone()],
                    Some(Value::Array(ps)) => ps.iter().map(scalar_string).collect(),
                    // Compose skips an entry without a path.
                    None | Some(Value::Null) => continue,
                    _ => return Err("include entry needs a path".into()),
                };
                let env_files = match m.get("env_file") {
                    Some(Value::String(p)) => vec![p.clone()],
                    Some(Value::Array(ps)) => ps.iter().map(scalar_string).collect(),
                    _ => Vec::new(),
                };
                let pd = m
                    .get("project_directory")
                    .and_then(Value::as_str)
                    .map(String::from);
                (paths, pd, env_files)
            }
            _ => return Err("include entries must be strings or mappings".into()),
        };
        let files: Vec<PathBuf> = paths.iter().map(|p| clean(&dir.join(p))).collect();
        let Some(first) = files.first() else { continue };
        let sub_dir = match project_dir {
            Some(pd) => clean(&dir.join(pd)),
            None => first.parent().unwrap_or(Path::new("/")).to_path_buf(),
        };
        let env_files: Vec<PathBuf> = if env_files.is_empty() {
            Some(sub_dir.join(".env"))
                .filter(|p| p.is_file())
                .into_iter()
                .collect()
        } else {
            env_files.iter().map(|p| clean(&dir.join(p))).collect()
        };
        if let Some(missing) = env_files.iter().find(|f| !f.exists()) {
            return Err(format!(
                "stat {}: no such file or directory",
                missing.display()
            ));
        }
        let mut sub = Ctx {
            env: env_from_files(&env_files, &ctx.env)?,
            interpolate: ctx.interpolate,
            unset: std::mem::take(&mut ctx.unset),
            notes: std::mem::take(&mut ctx.notes),
            including: std::mem::take(&mut ctx.including),
        };
        let mut included = Value::Object(Map::new());
        for f in &files {
            if !f.is_file() {
                return Err(format!("open {}: no such file or directory", f.display()));
            }
            let docs = read_file(f, &mut sub)?;
            merge_all(&mut included, docs);
        }
        ctx.unset = sub.unset;
        ctx.notes = sub.notes;
        ctx.including = sub.including;
        if let Some(Value::Object(services)) = included.get_mut("services") {
            for (_, svc) in services.iter_mut() {
                resolve_paths(svc, &sub_dir, &sub.env);
            }
        }
        resolve_resource_files(&mut included, &sub_dir, &sub.env);
        for kind in ["services", "networks", "volumes", "secrets", "configs"] {
            let Some(Value::Object(items)) = included.get_mut(kind).map(Value::take) else {
                continue;
            };
            let target = root
                .entry(kind)
                .or_insert_with(|| Value::Object(Map::new()));
            if target.is_null() {
                *target = Value::Object(Map::new());
            }
            let Value::Object(target) = target else {
                continue;
            };
            for (k, v) in items {
                match target.get(&k) {
                    Some(existing) if *existing != v => {
                        return Err(format!("{kind}.{k} conflicts with imported resource"));
                    }
                    Some(_) => {}
                    None => {
                        target.insert(k, v);
                    }
                }
            }
        }
    }
    Ok(())
}
