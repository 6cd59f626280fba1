//! The loading pipeline in compose-go's order: discover files → read `.env` → per file (parse,
//! interpolate, validate, canonicalise, extends) → merge → name → paths → env_file →
//! defaults → profiles → typed model.

use super::canonical::canonicalize_file;
use super::defaults::{ordered_root, resource_defaults, service_defaults, sort_maps};
use super::discover::config_files;
use super::extends::{apply_extends, apply_include};
use super::interpolate::{interpolate_tree, unset_warning};
use super::merge::{merge, put_back_resets, strip_resets, take_resets, Tags};
use super::model::{Project, Service};
use super::paths::{clean, resolve_paths, resolve_resource_files};
use super::profiles::{apply_profiles, check_dependencies, check_references, keep_selected};
use super::{dotenv, project_name, validate, yaml, LoadError, LoadOptions};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// State shared by every step of one load.
pub(super) struct Ctx {
    pub(super) env: HashMap<String, String>,
    pub(super) interpolate: bool,
    pub(super) unset: Vec<String>,
    /// Other warnings, in the order found.
    pub(super) notes: Vec<String>,
    /// The files whose `include`s are being read, outermost first (to report cycles).
    pub(super) including: Vec<PathBuf>,
}

/// Loads a project the way Docker Compose v2 does.
pub fn load(opts: &LoadOptions) -> Result<Project, LoadError> {
    load_inner(opts).map_err(LoadError::new)
}

fn load_inner(opts: &LoadOptions) -> Result<Project, String> {
    let mut notes = Vec::new();
    let (env, files, working_dir) = env_and_files(opts, &mut notes)?;
    // Discovery speaks first, as in Compose; unset variables come before the other notes.
    let discovery_notes = notes.len();
    let mut ctx = Ctx {
        env,
        interpolate: !opts.no_interpolate,
        unset: Vec::new(),
        notes,
        including: Vec::new(),
    };

    let mut tree = Value::Object(Map::new());
    for file in &files {
        let docs = read_file(file, &mut ctx)?;
        merge_all(&mut tree, docs);
        validate::check_required(&tree, file)?;
    }
    validate::check_project(&tree)?;
    let Value::Object(mut root) = tree else {
        return Err("top-level object must be a mapping".into());
    };
    if root.is_empty() {
        return Err("empty compose file".into());
    }

    let name = choose_name(opts, &ctx, &root, &working_dir)?;
    root.insert("name".into(), Value::String(name.clone()));

    let mut services = match root.shift_remove("services") {
        Some(Value::Object(s)) => s,
        _ => Map::new(),
    };
    for (_, svc) in services.iter_mut() {
        resolve_paths(svc, &working_dir, &ctx.env);
        // Without interpolation Compose reads no env_file and resolves no bare variable.
        if ctx.interpolate {
            apply_env_files(svc, &mut ctx, !opts.keep_env_files)?;
        }
        apply_label_files(svc)?;
        service_defaults(svc);
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

    // Without interpolation Compose prints the raw model: no profiles applied, no checks of
    // what services refer to.
    let disabled_services = if ctx.interpolate {
        check_project(&services)?;
        let disabled = apply_profiles(&mut services, opts, &ctx.env)?;
        if opts.only_selected && !opts.services.is_empty() {
            keep_selected(&mut services, &opts.services);
        }
        check_references(&services, &root)?;
        validate::check_consistency(&services, &root)?;
        disabled
    } else {
        Vec::new()
    };
    resource_defaults(&mut root, &services, &name, !ctx.interpolate);

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
    let later_notes = ctx.notes.split_off(discovery_notes);
    let mut warnings = ctx.notes;
    warnings.extend(ctx.unset.iter().map(|n| unset_warning(n)));
    warnings.extend(later_notes);
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
        raw_model: !ctx.interpolate,
    })
}

type Env = HashMap<String, String>;

/// The project's environment, its files and its working directory. The `.env` is looked for
/// before the files are known (it may set COMPOSE_FILE): in the project directory, else next
/// to the first `-f` file, else in the working directory; without one there, next to the files
/// found (COMPOSE_FILE, discovery in a parent folder).
fn env_and_files(
    opts: &LoadOptions,
    notes: &mut Vec<String>,
) -> Result<(Env, Vec<PathBuf>, PathBuf), String> {
    let early_dir = match (&opts.project_directory, opts.files.first()) {
        (Some(d), _) => clean(&opts.cwd.join(d)),
        (None, Some(f)) => clean(&opts.cwd.join(f))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| opts.cwd.clone()),
        (None, None) => opts.cwd.clone(),
    };
    let (mut env, found) = project_env(opts, &early_dir)?;
    let files = config_files(opts, &env, notes)?;
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
    if !found && working_dir != early_dir {
        env = project_env(opts, &working_dir)?.0;
    }
    Ok((env, files, working_dir))
}

/// Every dependency is defined and every service has something to run.
fn check_project(services: &Map<String, Value>) -> Result<(), String> {
    check_dependencies(services, services)?;
    for (name, svc) in services {
        if svc.get("image").is_none() && svc.get("build").is_none() && svc.get("provider").is_none()
        {
            return Err(format!(
                "service \"{name}\" has neither an image nor a build context specified: invalid compose project"
            ));
        }
    }
    Ok(())
}

/// The variables interpolation sees: `dir/.env` (or the `--env-file`s) overlaid by the shell,
/// and whether any file was read.
fn project_env(opts: &LoadOptions, dir: &Path) -> Result<(HashMap<String, String>, bool), String> {
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
    let found = !files.is_empty();
    let env = env_from_files(&files, &opts.environ)?;
    // COMPOSE_DISABLE_ENV_FILE (from the shell or the `.env` itself) turns the default `.env`
    // off; `--env-file`s are still read.
    let disabled = match env.get("COMPOSE_DISABLE_ENV_FILE") {
        Some(v) => go_bool(v)?,
        None => false,
    };
    if disabled && opts.env_files.is_empty() {
        return Ok((opts.environ.clone(), true));
    }
    Ok((env, found))
}

/// Go's `strconv.ParseBool`, with its error.
fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// Reads dotenv files in order and overlays `outer` (the shell wins over the files).
pub(super) fn env_from_files(
    files: &[PathBuf],
    outer: &HashMap<String, String>,
) -> Result<HashMap<String, String>, String> {
    let mut env: HashMap<String, String> = HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("couldn't find env file: {}", file.display()),
            _ => format!("couldn't read env file {}: {e}", file.display()),
        })?;
        // The shell wins, then this file's own earlier lines, then the files before it.
        let lookup = |k: &str| outer.get(k).cloned();
        let earlier = |k: &str| env.get(k).cloned();
        let mut unset = Vec::new();
        let vars = dotenv::parse(&text, &lookup, &earlier, &mut unset)
            .map_err(|e| format!("failed to read {}: {e}", file.display()))?;
        env.extend(vars);
    }
    env.extend(outer.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(env)
}

/// Parse, interpolate, validate, canonicalise and apply `extends` for one file.
pub(super) fn read_file(file: &Path, ctx: &mut Ctx) -> Result<Vec<(Value, Tags)>, String> {
    if ctx.including.iter().any(|f| f == file) {
        let mut steps = ctx.including.iter().map(|f| f.display().to_string());
        let mut msg = format!(
            "include cycle detected:\n{}",
            steps.next().unwrap_or_default()
        );
        for f in steps.chain(std::iter::once(file.display().to_string())) {
            msg.push_str(&format!("\n include {f}"));
        }
        return Err(msg);
    }
    let mut docs = Vec::new();
    for (n, mut tree) in parse_interpolated(file, ctx)?.into_iter().enumerate() {
        if n == 0 && tree.0.get("version").is_some() {
            ctx.notes.push(format!(
                "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                file.display()
            ));
        }
        let tags = std::mem::take(&mut tree.1);
        let resets = take_resets(&mut tree.0, &tags);
        super::extends::include_shape(&tree.0)?;
        ctx.notes.extend(validate::validate_file(
            &tree.0,
            &tags,
            file,
            ctx.interpolate,
        )?);
        canonicalize_file(&mut tree.0, &mut ctx.notes)
            .map_err(|e| format!("validating {}: {e}", file.display()))?;
        put_back_resets(&mut tree.0, &resets);
        let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
        apply_extends(&mut tree.0, file, &tags, ctx, &mut Vec::new())?;
        ctx.including.push(file.to_path_buf());
        let included = apply_include(&mut tree.0, &dir, ctx);
        ctx.including.pop();
        included?;
        docs.push((tree.0, tags));
    }
    Ok(docs)
}

/// Merges `docs` (files, or documents of one file) onto `tree` in order.
pub(super) fn merge_all(tree: &mut Value, docs: Vec<(Value, Tags)>) {
    for (one, tags) in docs {
        merge(tree, one, &mut Vec::new(), &tags);
        strip_resets(tree, &tags);
    }
}

/// Reads and interpolates a file: one tree per YAML document.
pub(super) fn parse_interpolated(file: &Path, ctx: &mut Ctx) -> Result<Vec<(Value, Tags)>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("open {}: {}", file.display(), io_reason(&e)))?;
    let mut docs = yaml::parse_documents(&text, file)?;
    if ctx.interpolate {
        let env = std::mem::take(&mut ctx.env);
        let lookup = |k: &str| env.get(k).cloned();
        let r = docs.iter_mut().try_for_each(|(tree, _)| {
            interpolate_tree(tree, &mut Vec::new(), &lookup, &mut ctx.unset)
        });
        ctx.env = env;
        // The key path alone does not say which of several files holds the variable.
        r.map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(docs)
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
            "project name must not be empty: {raw:?} has no letters or digits once normalised; use -p or `name:` to set one"
        ));
    }
    Ok(name)
}

/// Merges `env_file` contents under `environment` and drops `env_file`.
/// Merges `label_file` contents under `labels` (own labels win) and drops `label_file`.
fn apply_label_files(svc: &mut Value) -> Result<(), String> {
    let Value::Object(m) = svc else { return Ok(()) };
    let Some(Value::Array(files)) = m.shift_remove("label_file") else {
        return Ok(());
    };
    let mut labels = Map::new();
    for f in files {
        let path = f.as_str().unwrap_or_default();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("failed to read label file {path}: {}", io_reason(&e)))?;
        let vars = dotenv::parse(&text, &|_| None, &|_| None, &mut Vec::new())
            .map_err(|e| format!("failed to read {path}: {e}"))?;
        labels.extend(vars.into_iter().map(|(k, v)| (k, Value::String(v))));
    }
    if let Some(Value::Object(own)) = m.get("labels") {
        labels.extend(own.clone());
    }
    m.insert("labels".into(), Value::Object(labels));
    Ok(())
}

/// With `read_files` false (`config --hash`), `env_file` stays as paths and only bare
/// `environment` entries are resolved.
fn apply_env_files(svc: &mut Value, ctx: &mut Ctx, read_files: bool) -> Result<(), String> {
    if !read_files {
        env_file_paths(svc);
    }
    let Value::Object(m) = svc else { return Ok(()) };
    let files = match m.get("env_file") {
        Some(Value::Array(f)) if read_files => f.clone(),
        _ => Vec::new(),
    };
    if read_files {
        m.shift_remove("env_file");
    }
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
        match f.get("format").and_then(Value::as_str) {
            None | Some("raw") => {}
            Some(other) => return Err(format!("unsupported env_file format {other:?}")),
        }
        if f.get("format").and_then(Value::as_str) == Some("raw") {
            let vars = dotenv::parse_raw(&text)
                .map_err(|e| format!("failed to parse env_file {path}: {e}"))?;
            from_files.extend(vars);
            continue;
        }
        // The project's environment wins, then this file's earlier lines, then earlier files.
        let lookup = |k: &str| ctx.env.get(k).cloned();
        let earlier = |k: &str| from_files.get(k).cloned();
        let vars = dotenv::parse(&text, &lookup, &earlier, &mut ctx.unset)
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

/// `env_file` as Compose prints it unresolved: a path string when it is required in the
/// default format, else the long form.
fn env_file_paths(svc: &mut Value) {
    let Some(Value::Array(files)) = svc.get_mut("env_file") else {
        return;
    };
    for f in files.iter_mut() {
        let required = f.get("required").and_then(Value::as_bool).unwrap_or(true);
        if let (Some(Value::Object(m)), true) = (Some(&mut *f), required) {
            if !m.contains_key("format") {
                if let Some(path) = m.get("path").cloned() {
                    *f = path;
                }
            }
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => e.to_string(),
    }
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
                // The path inside the item (`ports[1].target`) makes the error actionable.
                let item: T = serde_path_to_error::deserialize(v.clone()).map_err(|e| {
                    let inner = e.path().to_string();
                    let at = if inner == "." {
                        format!("{kind}.{k}")
                    } else {
                        format!("{kind}.{k}.{inner}")
                    };
                    format!("{at}: {}", e.into_inner())
                })?;
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
    use serde_json::json;

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
    fn several_candidates_warn_like_compose_before_other_warnings() {
        let (d, p) = load_files(
            &[
                ("compose.yaml", "services:\n  a:\n    image: x${UNSET}\n"),
                ("docker-compose.yml", "services:\n  a:\n    image: y\n"),
            ],
            |_| {},
        );
        let dir = d.path().display();
        assert_eq!(
            p.unwrap().warnings,
            [
                format!("Found multiple config files with supported names: {dir}/compose.yaml, {dir}/docker-compose.yml"),
                format!("Using {dir}/compose.yaml"),
                unset_warning("UNSET"),
            ]
        );
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
                "compose.yaml: error while interpolating services.a.image: required variable NOPE is missing a value: set it",
            ),
            (
                "services:\n  a:\n    image: x\n    ports: [\"80\", {target: eighty}]\n",
                "error while interpolating services.a.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing \"eighty\"",
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
    fn odd_shapes_fail_cleanly_instead_of_panicking() {
        let docs = [
            "",
            "[]",
            "services: []",
            "services:\n  a: text",
            "services:\n  a:\n    image: x\n    ports: {a: 1}",
            "services:\n  a:\n    image: x\n    ports: [[1]]",
            "services:\n  a:\n    image: x\n    ports: [{target: 99999999}]",
            "services:\n  a:\n    image: x\n    environment: text",
            "services:\n  a:\n    image: x\n    depends_on: 3",
            "services:\n  a:\n    image: x\n    healthcheck: text",
            "services:\n  a:\n    image: x\n    healthcheck: {interval: 5x}",
            "services:\n  a:\n    build: [1]",
            "services:\n  a:\n    image: x\n    volumes: [1, ':', 'a:b:c:d']",
            "services:\n  a:\n    image: x\n    networks: text",
            "services:\n  a:\n    extends: {}",
            "services:\n  a:\n    extends: a",
            "services:\n  a:\n    extends: {service: b, file: nope.yaml}",
            "include: text",
            "include: [{}]",
            "name: 3\nservices: {a: {image: x}}",
            "services:\n  a:\n    image: x\n    command: \"unterminated '\"",
            "services:\n  a:\n    image: x\n    env_file: [{path: missing.env}]",
            "networks: [a]",
            "services:\n  a:\n    image: ${}",
            "services:\n  a:\n    image: x\n    mem_limit: lots",
            "services:\n  a:\n    image: x\n    deploy: {resources: {limits: {memory: []}}}",
        ];
        for doc in docs {
            let (_d, r) = load_files(&[("compose.yaml", doc)], |_| {});
            if let Err(e) = r {
                assert!(!e.is_empty(), "{doc:?}");
            }
        }
    }

    #[test]
    fn naming_an_unknown_service_fails() {
        let (_d, r) = load_files(
            &[("compose.yaml", "services:\n  a:\n    image: x\n")],
            |o| o.services = vec!["ghost".into()],
        );
        assert_eq!(r.err().as_deref(), Some("no such service: ghost"));
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
