//! The loading pipeline in compose-go's order: discover files → read `.env` → per file (parse,
//! interpolate, validate, canonicalise, extends) → merge → name → paths → env_file →
//! defaults → profiles → typed model.

use super::canonical::{canonicalize_file, canonicalize_service, scalar_string};
use super::interpolate::{interpolate_tree, unset_warning};
use super::merge::{merge, strip_resets, Tags};
use super::model::{Project, Service};
use super::{dotenv, project_name, validate, yaml, LoadError, LoadOptions};
use indexmap::IndexMap;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// State shared by every step of one load.
struct Ctx {
    env: HashMap<String, String>,
    interpolate: bool,
    unset: Vec<String>,
}

/// Loads a project the way Docker Compose v2 does.
pub fn load(opts: &LoadOptions) -> Result<Project, LoadError> {
    load_inner(opts).map_err(LoadError::new)
}

fn load_inner(opts: &LoadOptions) -> Result<Project, String> {
    let files = config_files(opts)?;
    let first = files
        .first()
        .ok_or("no configuration file provided: not found")?;
    let working_dir = match &opts.project_directory {
        Some(d) => clean(&opts.cwd.join(d)),
        None => first
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| opts.cwd.clone()),
    };
    let mut ctx = Ctx {
        env: project_env(opts, &working_dir)?,
        interpolate: !opts.no_interpolate,
        unset: Vec::new(),
    };

    let mut tree = Value::Object(Map::new());
    for file in &files {
        let (one, tags) = read_file(file, &mut ctx)?;
        merge(&mut tree, one, &mut Vec::new(), &tags);
        strip_resets(&mut tree, &tags);
    }
    let Value::Object(mut root) = tree else {
        return Err("top-level object must be a mapping".into());
    };

    let name = choose_name(opts, &ctx, &root, &working_dir)?;
    root.insert("name".into(), Value::String(name.clone()));

    let mut services = match root.shift_remove("services") {
        Some(Value::Object(s)) => s,
        _ => Map::new(),
    };
    for (_, svc) in services.iter_mut() {
        resolve_paths(svc, &working_dir, &ctx.env);
        apply_env_files(svc, &mut ctx)?;
        service_defaults(svc, ctx.interpolate);
    }
    let mut resources = Value::Object(root);
    resolve_resource_files(&mut resources, &working_dir, &ctx.env);
    let Value::Object(mut root) = resources else {
        return Err("top-level object must be a mapping".into());
    };

    let mut all_profiles: Vec<String> = services
        .values()
        .filter_map(|s| s.get("profiles").and_then(Value::as_array))
        .flatten()
        .filter_map(|p| p.as_str().map(String::from))
        .collect();
    all_profiles.sort();
    all_profiles.dedup();

    check_dependencies(&services, &services)?;
    for (name, svc) in &services {
        if svc.get("image").is_none() && svc.get("build").is_none() && svc.get("provider").is_none()
        {
            return Err(format!(
                "service \"{name}\" has neither an image nor a build context specified: invalid compose project"
            ));
        }
    }
    let disabled_services = apply_profiles(&mut services, opts, &ctx.env)?;
    check_references(&services, &root)?;
    resource_defaults(&mut root, &services, &name, ctx.interpolate);

    services.sort_keys();
    for (_, svc) in services.iter_mut() {
        sort_maps(svc);
    }
    root.insert("services".into(), Value::Object(services));
    let tree = ordered_root(root);

    let typed = typed_view(&tree)?;
    let mut escaped = tree;
    // Interpolation turned `$$` into `$`; write it back so the output loads again. Without
    // interpolation the values still hold their original `$$`.
    if ctx.interpolate {
        escape_dollars(&mut escaped);
    }
    let warnings = ctx.unset.iter().map(|n| unset_warning(n)).collect();
    Ok(Project {
        name,
        working_dir,
        config_files: files,
        services: typed.0,
        networks: typed.1,
        volumes: typed.2,
        disabled_services,
        tree: escaped,
        warnings,
        all_profiles,
    })
}

/// `-f` files, else COMPOSE_FILE, else discovery in cwd and its parents (plus the override).
fn config_files(opts: &LoadOptions) -> Result<Vec<PathBuf>, String> {
    let given: Vec<PathBuf> = if !opts.files.is_empty() {
        opts.files.clone()
    } else if let Some(list) = opts.environ.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
        let sep = opts
            .environ
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

fn discover(cwd: &Path) -> Result<Vec<PathBuf>, String> {
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

/// The variables interpolation sees: `.env` (or `--env-file`s) overlaid by the shell.
fn project_env(opts: &LoadOptions, dir: &Path) -> Result<HashMap<String, String>, String> {
    let files: Vec<PathBuf> = if opts.env_files.is_empty() {
        let default = dir.join(".env");
        if default.is_file() {
            vec![default]
        } else {
            vec![]
        }
    } else {
        opts.env_files.iter().map(|f| opts.cwd.join(f)).collect()
    };
    env_from_files(&files, &opts.environ)
}

/// Reads dotenv files in order and overlays `outer` (the shell wins over the files).
fn env_from_files(
    files: &[PathBuf],
    outer: &HashMap<String, String>,
) -> Result<HashMap<String, String>, String> {
    let mut env: HashMap<String, String> = HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("couldn't read env file {}: {e}", file.display()))?;
        let lookup = |k: &str| outer.get(k).or_else(|| env.get(k)).cloned();
        let mut unset = Vec::new();
        let vars = dotenv::parse(&text, &lookup, &mut unset)
            .map_err(|e| format!("failed to read {}: {e}", file.display()))?;
        env.extend(vars);
    }
    env.extend(outer.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(env)
}

/// Parse, interpolate, validate, canonicalise and apply `extends` for one file.
fn read_file(file: &Path, ctx: &mut Ctx) -> Result<(Value, Tags), String> {
    let mut tree = parse_interpolated(file, ctx)?;
    let tags = std::mem::take(&mut tree.1);
    validate::validate_file(&tree.0, file)?;
    canonicalize_file(&mut tree.0).map_err(|e| format!("validating {}: {e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    apply_extends(&mut tree.0, &dir, ctx, &mut Vec::new())?;
    apply_include(&mut tree.0, &dir, ctx)?;
    Ok((tree.0, tags))
}

/// Loads each `include` entry as its own small project (own directory and `.env`, paths made
/// absolute there) and adds its resources; redefining an imported service is an error.
fn apply_include(tree: &mut Value, dir: &Path, ctx: &mut Ctx) -> Result<(), String> {
    let Value::Object(root) = tree else {
        return Ok(());
    };
    let entries = match root.shift_remove("include") {
        Some(Value::Array(e)) => e,
        Some(Value::Null) | None => return Ok(()),
        Some(_) => return Err("include must be a list".into()),
    };
    for entry in entries {
        let (paths, project_dir, env_files) = match &entry {
            Value::String(p) => (vec![p.clone()], None, Vec::new()),
            Value::Object(m) => {
                let paths = match m.get("path") {
                    Some(Value::String(p)) => vec![p.clone()],
                    Some(Value::Array(ps)) => ps.iter().map(scalar_string).collect(),
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
        let mut sub = Ctx {
            env: env_from_files(&env_files, &ctx.env)?,
            interpolate: ctx.interpolate,
            unset: std::mem::take(&mut ctx.unset),
        };
        let mut included = Value::Object(Map::new());
        for f in &files {
            if !f.is_file() {
                return Err(format!("open {}: no such file or directory", f.display()));
            }
            let (one, tags) = read_file(f, &mut sub)?;
            merge(&mut included, one, &mut Vec::new(), &tags);
            strip_resets(&mut included, &tags);
        }
        ctx.unset = sub.unset;
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
                    Some(existing) if kind == "services" && *existing != v => {
                        return Err(format!("services.{k} conflicts with imported resource"));
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

/// Makes `file:` of top-level secrets and configs, and relative local volume devices, absolute.
fn resolve_resource_files(root: &mut Value, base: &Path, env: &HashMap<String, String>) {
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

fn parse_interpolated(file: &Path, ctx: &mut Ctx) -> Result<(Value, Tags), String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("open {}: {e}", file.display()))?;
    let (mut tree, tags) = yaml::parse(&text, file)?;
    if ctx.interpolate {
        let env = std::mem::take(&mut ctx.env);
        let lookup = |k: &str| env.get(k).cloned();
        let r = interpolate_tree(&mut tree, &mut Vec::new(), &lookup, &mut ctx.unset);
        ctx.env = env;
        r?;
    }
    Ok((tree, tags))
}

/// Replaces every service's `extends` with the merge of its (resolved) base and itself.
fn apply_extends(
    tree: &mut Value,
    dir: &Path,
    ctx: &mut Ctx,
    chain: &mut Vec<String>,
) -> Result<(), String> {
    let names: Vec<String> = match tree.get("services") {
        Some(Value::Object(s)) => s.keys().cloned().collect(),
        _ => return Ok(()),
    };
    for name in names {
        resolve_service(tree, &name, dir, ctx, chain)?;
    }
    Ok(())
}

fn resolve_service(
    tree: &mut Value,
    name: &str,
    dir: &Path,
    ctx: &mut Ctx,
    chain: &mut Vec<String>,
) -> Result<Value, String> {
    let key = format!("{}#{name}", dir.display());
    if chain.contains(&key) {
        return Err(format!("circular reference with extends in service {name}"));
    }
    let Some(svc) = tree.get("services").and_then(|s| s.get(name)).cloned() else {
        return Err(format!(
            "cannot extend service \"{name}\": service not found"
        ));
    };
    let Some(ext) = svc.get("extends").cloned() else {
        return Ok(svc);
    };
    let base_name = ext
        .get("service")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("services.{name}.extends.service is required"))?
        .to_string();
    chain.push(key);
    let base = match ext.get("file").and_then(Value::as_str) {
        Some(f) => {
            let path = clean(&dir.join(f));
            let (mut other, _) = parse_interpolated(&path, ctx)?;
            canonicalize_file(&mut other)?;
            let other_dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
            let mut base = resolve_service(&mut other, &base_name, &other_dir, ctx, chain)?;
            resolve_paths(&mut base, &other_dir, &ctx.env);
            base
        }
        None => resolve_service(tree, &base_name, dir, ctx, chain)?,
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
        &Tags::new(),
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

fn choose_name(
    opts: &LoadOptions,
    ctx: &Ctx,
    root: &Map<String, Value>,
    dir: &Path,
) -> Result<String, String> {
    let explicit = opts
        .project_name
        .clone()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            ctx.env
                .get("COMPOSE_PROJECT_NAME")
                .filter(|s| !s.is_empty())
                .cloned()
        });
    if let Some(name) = explicit {
        project_name::validate(&name)?;
        return Ok(name);
    }
    let from_file = root
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let raw = match from_file {
        Some(n) => n.to_string(),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let name = project_name::normalize(&raw);
    if name.is_empty() {
        return Err(format!(
            "project name {raw:?} is empty after normalisation: use -p or `name:` to set one"
        ));
    }
    Ok(name)
}

/// Lexically normalises a path (no filesystem access): drops `.`, folds `..`.
pub fn clean(p: &Path) -> PathBuf {
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

fn is_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

fn absolute(p: &str, base: &Path, env: &HashMap<String, String>) -> String {
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
fn resolve_paths(svc: &mut Value, base: &Path, env: &HashMap<String, String>) {
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

/// Merges `env_file` contents under `environment` and drops `env_file`.
fn apply_env_files(svc: &mut Value, ctx: &mut Ctx) -> Result<(), String> {
    let Value::Object(m) = svc else { return Ok(()) };
    let files = match m.shift_remove("env_file") {
        Some(Value::Array(f)) => f,
        _ => Vec::new(),
    };
    let declared = match m.get("environment") {
        Some(Value::Object(e)) => e.clone(),
        _ => Map::new(),
    };
    if files.is_empty() && !declared.values().any(Value::is_null) {
        return Ok(());
    }
    let mut from_files: IndexMap<String, String> = IndexMap::new();
    for f in files {
        let path = f.get("path").and_then(Value::as_str).unwrap_or_default();
        let required = f.get("required").and_then(Value::as_bool).unwrap_or(true);
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(_) if !required => continue,
            Err(e) => {
                return Err(format!(
                    "env file {path} not found: stat {path}: {}",
                    io_reason(&e)
                ))
            }
        };
        let lookup = |k: &str| ctx.env.get(k).cloned();
        let vars = dotenv::parse(&text, &lookup, &mut ctx.unset)
            .map_err(|e| format!("failed to read {path}: {e}"))?;
        from_files.extend(vars);
    }
    let mut env = Map::new();
    for (k, v) in from_files {
        env.insert(k, Value::String(v));
    }
    for (k, v) in declared {
        let v = match v {
            Value::Null => ctx
                .env
                .get(&k)
                .map(|s| Value::String(s.clone()))
                .or_else(|| env.get(&k).cloned())
                .unwrap_or(Value::Null),
            other => other,
        };
        env.insert(k, v);
    }
    m.insert("environment".into(), Value::Object(env));
    Ok(())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => e.to_string(),
    }
}

/// Defaults Docker Compose fills in. Without interpolation (`config --no-interpolate`) it
/// leaves unset commands out, and so do we.
fn service_defaults(svc: &mut Value, interpolated: bool) {
    let Value::Object(m) = svc else { return };
    if interpolated {
        m.entry("command").or_insert(Value::Null);
        m.entry("entrypoint").or_insert(Value::Null);
    }
    if !m.contains_key("network_mode") && !m.contains_key("networks") {
        m.insert("networks".into(), json!({ "default": null }));
    }
    implicit_dependencies(m);
    if let Some(Value::Object(build)) = m.get_mut("build") {
        if !build.contains_key("dockerfile") && !build.contains_key("dockerfile_inline") {
            let at = usize::from(build.contains_key("context"));
            build.shift_insert(at, "dockerfile".into(), Value::String("Dockerfile".into()));
        }
    }
}

/// Services reached through `links`, `volumes_from` and `service:` modes become dependencies
/// that restart with their target, as in compose-go.
fn implicit_dependencies(m: &mut Map<String, Value>) {
    let mut names: Vec<String> = Vec::new();
    for key in ["links", "volumes_from"] {
        if let Some(Value::Array(items)) = m.get(key) {
            for item in items.iter().filter_map(Value::as_str) {
                if item.starts_with("container:") {
                    continue;
                }
                names.push(item.split(':').next().unwrap_or(item).to_string());
            }
        }
    }
    for key in ["network_mode", "ipc", "pid"] {
        if let Some(target) = m
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("service:"))
        {
            names.push(target.to_string());
        }
    }
    if names.is_empty() {
        return;
    }
    let deps = m
        .entry("depends_on")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(d) = deps {
        for n in names {
            d.entry(n).or_insert_with(
                || json!({ "condition": "service_started", "restart": true, "required": true }),
            );
        }
    }
}

fn depends(svc: &Value) -> Vec<(String, bool)> {
    match svc.get("depends_on") {
        Some(Value::Object(d)) => d
            .iter()
            .map(|(k, v)| {
                let required = v.get("required").and_then(Value::as_bool).unwrap_or(true);
                (k.clone(), required)
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn undefined_dependency(svc: &str, dep: &str) -> String {
    format!("service \"{svc}\" depends on undefined service \"{dep}\": invalid compose project")
}

fn check_dependencies(
    services: &Map<String, Value>,
    known: &Map<String, Value>,
) -> Result<(), String> {
    for (name, svc) in services {
        for (dep, _) in depends(svc) {
            if !known.contains_key(&dep) {
                return Err(undefined_dependency(name, &dep));
            }
        }
    }
    Ok(())
}

/// Removes services whose profiles are not enabled; returns their names.
fn apply_profiles(
    services: &mut Map<String, Value>,
    opts: &LoadOptions,
    env: &HashMap<String, String>,
) -> Result<Vec<String>, String> {
    let mut enabled: HashSet<String> = opts.profiles.iter().cloned().collect();
    if let Some(p) = env.get("COMPOSE_PROFILES") {
        enabled.extend(
            p.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    let all = enabled.contains("*");
    let mut keep: HashSet<String> = services
        .iter()
        .filter(|(_, svc)| {
            let profiles: Vec<&str> = svc
                .get("profiles")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            profiles.is_empty() || all || profiles.iter().any(|p| enabled.contains(*p))
        })
        .map(|(k, _)| k.clone())
        .collect();
    // Services named on the command line are enabled (their dependencies are not: Docker
    // Compose then reports the missing dependency).
    keep.extend(
        opts.services
            .iter()
            .filter(|s| services.contains_key(*s))
            .cloned(),
    );
    let disabled: Vec<String> = services
        .keys()
        .filter(|k| !keep.contains(*k))
        .cloned()
        .collect();
    for d in &disabled {
        services.shift_remove(d);
    }
    // A dependency that is not required may point at a disabled service; it stays listed.
    for (name, svc) in services.iter() {
        for (dep, required) in depends(svc) {
            if required && !keep.contains(&dep) {
                return Err(undefined_dependency(name, &dep));
            }
        }
    }
    Ok(disabled)
}

/// Every network and named volume a service uses must be declared (or be `default`).
fn check_references(
    services: &Map<String, Value>,
    root: &Map<String, Value>,
) -> Result<(), String> {
    let declared = |kind: &str, key: &str| {
        root.get(kind)
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key(key))
    };
    for (name, svc) in services {
        if let Some(Value::Object(nets)) = svc.get("networks") {
            for net in nets.keys() {
                if net != "default" && !declared("networks", net) {
                    return Err(format!(
                        "service \"{name}\" refers to undefined network {net}: invalid compose project"
                    ));
                }
            }
        }
        if let Some(Value::Array(vols)) = svc.get("volumes") {
            for v in vols {
                if v.get("type").and_then(Value::as_str) != Some("volume") {
                    continue;
                }
                if let Some(src) = v.get("source").and_then(Value::as_str) {
                    if !declared("volumes", src) {
                        return Err(format!(
                            "service \"{name}\" refers to undefined volume {src}: invalid compose project"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Default network when used, and engine-side names for networks and volumes.
fn resource_defaults(
    root: &mut Map<String, Value>,
    services: &Map<String, Value>,
    project: &str,
    interpolated: bool,
) {
    let uses_default = services.values().any(|s| {
        s.get("networks")
            .and_then(Value::as_object)
            .is_some_and(|n| n.contains_key("default"))
    });
    if uses_default {
        let nets = root
            .entry("networks")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(n) = nets {
            n.entry("default").or_insert_with(|| json!({}));
        }
    }
    drop_unused(root, services);
    for kind in ["networks", "volumes", "secrets", "configs"] {
        let Some(Value::Object(items)) = root.get_mut(kind) else {
            continue;
        };
        for (key, item) in items.iter_mut() {
            if item.is_null() {
                *item = json!({});
            }
            let Value::Object(m) = item else { continue };
            let external = m.get("external").and_then(Value::as_bool).unwrap_or(false);
            if !m.contains_key("name") {
                let name = if external {
                    key.clone()
                } else {
                    format!("{project}_{key}")
                };
                m.shift_insert(0, "name".into(), Value::String(name));
            }
            if kind == "networks" && interpolated {
                m.entry("ipam").or_insert_with(|| json!({}));
            }
        }
        items.sort_keys();
    }
}

/// Drops networks, volumes, secrets and configs no enabled service uses (as `config` does).
fn drop_unused(root: &mut Map<String, Value>, services: &Map<String, Value>) {
    let mut used: HashMap<&str, HashSet<String>> = HashMap::new();
    for svc in services.values() {
        if let Some(Value::Object(nets)) = svc.get("networks") {
            used.entry("networks")
                .or_default()
                .extend(nets.keys().cloned());
        }
        for kind in ["volumes", "secrets", "configs"] {
            let Some(Value::Array(items)) = svc.get(kind) else {
                continue;
            };
            for item in items {
                if kind == "volumes" && item.get("type").and_then(Value::as_str) != Some("volume") {
                    continue;
                }
                if let Some(src) = item.get("source").and_then(Value::as_str) {
                    used.entry(kind).or_default().insert(src.to_string());
                }
            }
        }
        if let Some(Value::Array(items)) = svc.get("build").and_then(|b| b.get("secrets")) {
            for item in items {
                let src = item
                    .as_str()
                    .or_else(|| item.get("source").and_then(Value::as_str));
                if let Some(src) = src {
                    used.entry("secrets").or_default().insert(src.to_string());
                }
            }
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        let keep = used.remove(kind).unwrap_or_default();
        if let Some(Value::Object(items)) = root.get_mut(kind) {
            items.retain(|k, _| keep.contains(k));
            if items.is_empty() {
                root.shift_remove(kind);
            }
        }
    }
}

/// Sorts the keys of a service and of its map-typed attributes (Go prints maps sorted).
fn sort_maps(svc: &mut Value) {
    let Value::Object(m) = svc else { return };
    m.sort_keys();
    for key in [
        "environment",
        "labels",
        "depends_on",
        "networks",
        "annotations",
        "sysctls",
    ] {
        if let Some(Value::Object(inner)) = m.get_mut(key) {
            inner.sort_keys();
        }
    }
    if let Some(Value::Object(build)) = m.get_mut("build") {
        for key in ["args", "labels"] {
            if let Some(Value::Object(inner)) = build.get_mut(key) {
                inner.sort_keys();
            }
        }
    }
}

fn ordered_root(mut root: Map<String, Value>) -> Value {
    let mut out = Map::new();
    for key in [
        "name", "services", "networks", "volumes", "secrets", "configs", "models",
    ] {
        if let Some(v) = root.shift_remove(key) {
            out.insert(key.into(), v);
        }
    }
    root.shift_remove("version");
    root.shift_remove("include");
    for (k, v) in root {
        out.insert(k, v);
    }
    Value::Object(out)
}

type Typed = (
    IndexMap<String, Service>,
    IndexMap<String, super::model::Network>,
    IndexMap<String, super::model::Volume>,
);

fn typed_view(tree: &Value) -> Result<Typed, String> {
    fn section<T: serde::de::DeserializeOwned>(
        tree: &Value,
        kind: &str,
    ) -> Result<IndexMap<String, T>, String> {
        let mut out = IndexMap::new();
        if let Some(Value::Object(items)) = tree.get(kind) {
            for (k, v) in items {
                let item: T =
                    serde_json::from_value(v.clone()).map_err(|e| format!("{kind}.{k}: {e}"))?;
                out.insert(k.clone(), item);
            }
        }
        Ok(out)
    }
    let mut services: IndexMap<String, Service> = section(tree, "services")?;
    for (name, svc) in services.iter_mut() {
        svc.name = name.clone();
    }
    Ok((
        services,
        section(tree, "networks")?,
        section(tree, "volumes")?,
    ))
}

/// Writes every literal `$` back as `$$` (keys and values), the re-loadable `config` form.
fn escape_dollars(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
        Value::Array(items) => items.iter_mut().for_each(escape_dollars),
        Value::Object(m) => {
            let old = std::mem::take(m);
            for (k, mut val) in old {
                escape_dollars(&mut val);
                m.insert(k.replace('$', "$$"), val);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `files` into a fresh temp dir and loads with `tweak` applied to the options.
    fn load_files(
        files: &[(&str, &str)],
        tweak: impl FnOnce(&mut LoadOptions),
    ) -> (tempfile::TempDir, Result<Project, String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let mut opts = LoadOptions {
            cwd: dir.path().to_path_buf(),
            ..LoadOptions::default()
        };
        tweak(&mut opts);
        let r = load_inner(&opts);
        (dir, r)
    }

    #[test]
    fn discovers_file_in_parent_with_override() {
        let (_d, p) = load_files(
            &[
                ("proj/compose.yaml", "services:\n  a:\n    image: one\n"),
                (
                    "proj/compose.override.yaml",
                    "services:\n  a:\n    image: two\n",
                ),
                ("proj/sub/deeper/.keep", ""),
            ],
            |o| o.cwd = o.cwd.join("proj/sub/deeper"),
        );
        let p = p.unwrap();
        assert_eq!(p.name, "proj");
        assert_eq!(p.config_files.len(), 2);
        assert_eq!(p.services["a"].image.as_deref(), Some("two"));
    }

    #[test]
    fn compose_file_variable_and_project_name_sources() {
        let files = [
            ("a.yaml", "name: from-file\nservices:\n  a:\n    image: x\n"),
            ("b.yaml", "services:\n  b:\n    image: y\n"),
        ];
        let (_d, p) = load_files(&files, |o| {
            o.environ
                .insert("COMPOSE_FILE".into(), "a.yaml:b.yaml".into());
        });
        let p = p.unwrap();
        assert_eq!(p.name, "from-file");
        assert_eq!(service_names(&p), ["a", "b"]);
        let (_d, p) = load_files(&files, |o| {
            o.files = vec!["a.yaml".into()];
            o.environ
                .insert("COMPOSE_PROJECT_NAME".into(), "env-name".into());
        });
        assert_eq!(p.unwrap().name, "env-name");
        let (_d, p) = load_files(&files, |o| {
            o.files = vec!["a.yaml".into()];
            o.project_name = Some("Bad".into());
        });
        assert!(p.unwrap_err().contains("invalid project name \"Bad\""));
    }

    fn service_names(p: &Project) -> Vec<&str> {
        p.services.keys().map(String::as_str).collect()
    }

    #[test]
    fn profiles_enable_by_flag_env_or_service_name() {
        let compose =
            "services:\n  a:\n    image: a\n  dbg:\n    image: d\n    profiles: [debug]\n";
        let files = [("compose.yaml", compose)];
        type Tweak = fn(&mut LoadOptions);
        let cases: [(&str, Tweak, &[&str]); 4] = [
            ("none", |_| {}, &["a"]),
            ("flag", |o| o.profiles = vec!["debug".into()], &["a", "dbg"]),
            (
                "env",
                |o| {
                    o.environ
                        .insert("COMPOSE_PROFILES".into(), "x,debug".into());
                },
                &["a", "dbg"],
            ),
            ("named", |o| o.services = vec!["dbg".into()], &["a", "dbg"]),
        ];
        for (label, tweak, want) in cases {
            let (_d, p) = load_files(&files, tweak);
            let p = p.unwrap();
            assert_eq!(service_names(&p), want, "{label}");
            assert_eq!(p.all_profiles, ["debug"], "{label}");
        }
    }

    #[test]
    fn errors_name_the_place() {
        let cases = [
            ("services:\n  a:\n    image: [x\n", "compose.yaml:"),
            (
                "services:\n  a:\n    image: x\n    healtcheck: {}\n",
                "did you mean `healthcheck`?",
            ),
            (
                "services:\n  a:\n    image: ${NOPE:?set it}\n",
                "error while interpolating services.a.image: required variable NOPE is missing a value: set it",
            ),
            (
                "services:\n  a:\n    image: x\n    depends_on: [b]\n",
                "service \"a\" depends on undefined service \"b\": invalid compose project",
            ),
            (
                "services:\n  a:\n    image: x\n    networks: [nope]\n",
                "refers to undefined network nope",
            ),
            ("services:\n  a:\n    command: x\n", "neither an image nor a build context"),
        ];
        for (text, want) in cases {
            let (_d, r) = load_files(&[("compose.yaml", text)], |_| {});
            let err = r.err().unwrap_or_default();
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn extends_from_other_file_resolves_its_paths_there() {
        let (d, p) = load_files(
            &[
                (
                    "compose.yaml",
                    "services:\n  app:\n    extends:\n      file: lib/base.yaml\n      service: base\n    environment:\n      B: child\n",
                ),
                (
                    "lib/base.yaml",
                    "services:\n  base:\n    build: .\n    environment:\n      A: base\n      B: base\n",
                ),
            ],
            |_| {},
        );
        let p = p.unwrap();
        let app = &p.services["app"];
        let ctx = app.build.as_ref().map(|b| b.context.clone());
        assert_eq!(
            ctx,
            Some(d.path().join("lib").to_string_lossy().into_owned())
        );
        assert_eq!(app.environment["A"].as_deref(), Some("base"));
        assert_eq!(app.environment["B"].as_deref(), Some("child"));
    }

    #[test]
    fn unset_variables_warn_and_typed_model_is_unescaped() {
        let (_d, p) = load_files(
            &[(
                "compose.yaml",
                "services:\n  a:\n    image: x${MISSING}\n    command: echo $$HOME\n",
            )],
            |_| {},
        );
        let p = p.unwrap();
        assert_eq!(
            p.warnings,
            ["The \"MISSING\" variable is not set. Defaulting to a blank string."]
        );
        let cmd = p.services["a"].command.clone().unwrap_or_default();
        assert_eq!(cmd, ["echo", "$HOME"]);
        assert_eq!(p.tree["services"]["a"]["command"][1], "$$HOME");
    }

    #[test]
    fn clean_paths() {
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(clean(Path::new("/a/b/.")), PathBuf::from("/a/b"));
    }

    #[test]
    fn dollars_are_escaped_in_keys_and_values() {
        let mut v = json!({"${X}": "a$b", "k": ["$"]});
        escape_dollars(&mut v);
        assert_eq!(v, json!({"$${X}": "a$$b", "k": ["$$"]}));
    }
}
