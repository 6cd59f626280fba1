//! Checks one interpolated file the way Docker Compose does before it canonicalises it: the
//! type casts its interpolation applies, then the compose-spec schema (`schema`). Messages keep
//! Compose's wording and add where the key sits (`file:line:column`, with the line) and, for a
//! misspelt key, the nearest valid one.

use super::merge::{strip_resets, Tags};
use super::schema::{self, Kind};
use serde_json::Value;
use std::path::Path;

/// Checks the shape of one file's tree; values tagged `!reset` are not there for Compose.
/// Returns the warnings Compose prints on the way (YAML 1.1 booleans). The type casts belong
/// to interpolation: without it (`config --no-interpolate`) strings stay strings.
pub fn validate_file(
    tree: &Value,
    tags: &Tags,
    file: &Path,
    interpolate: bool,
) -> Result<Vec<String>, String> {
    let mut typed = tree.clone();
    strip_resets(&mut typed, tags);
    drop_repeats(&mut typed);
    let mut warnings = Vec::new();
    if interpolate {
        cast_scalars(&mut typed, &mut warnings).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    let Some(v) = schema::validate_lenient(&typed) else {
        return Ok(warnings);
    };
    Err(report(&v, &typed, file))
}

/// A `required` key still missing once `file` is merged onto the files before it (the model is
/// canonical by then; Docker Compose validates the merged result and names the file).
pub fn check_required(tree: &Value, file: &Path) -> Result<(), String> {
    match schema::missing_required(tree) {
        Some(v) => Err(report(&v, tree, file)),
        None => Ok(()),
    }
}

fn report(v: &schema::Violation, typed: &Value, file: &Path) -> String {
    let mut msg = format!("validating {}: {}", file.display(), v.message());
    let mut at = v.path.clone();
    if let Kind::Additional { names, known } = &v.kind {
        if let Some(hint) = names.first().and_then(|n| suggest(n, known)) {
            msg.push_str(&format!(" (did you mean `{hint}`?)"));
        }
        at.extend(names.first().cloned());
    }
    if at.is_empty() {
        return msg;
    }
    let key = key_path(typed, &at);
    match std::fs::read_to_string(file)
        .ok()
        .and_then(|text| locate(&text, &at).map(|(l, c)| (l, c, text)))
    {
        Some((line, col, text)) => msg.push_str(&format!(
            "\n  at {key}, {}:{line}:{col}{}",
            file.display(),
            super::yaml::snippet(&text, line, col)
        )),
        None => msg.push_str(&format!("\n  at {key}, {}", file.display())),
    }
    msg
}

/// Checks the one service another file lends through `extends` (Docker Compose validates the
/// extending file after the base is merged in, so the rest of that file goes unchecked).
pub fn validate_service(
    tree: &Value,
    tags: &Tags,
    name: &str,
    file: &Path,
    interpolate: bool,
) -> Result<(), String> {
    let Some(svc) = tree.get("services").and_then(|s| s.get(name)) else {
        return Ok(());
    };
    let own: Tags = tags
        .iter()
        .filter(|(p, _)| p.len() > 2 && p[0] == "services" && p[1] == name)
        .map(|(p, t)| (p.clone(), *t))
        .collect();
    let mut services = serde_json::Map::new();
    services.insert(name.to_string(), svc.clone());
    let mut doc = serde_json::Map::new();
    doc.insert("services".into(), Value::Object(services));
    validate_file(&Value::Object(doc), &own, file, interpolate).map(drop)
}

/// The key path written for people: sequence items as `[1]` (`services.web.ports[1].target`).
fn key_path(tree: &Value, path: &[String]) -> String {
    let mut out = String::new();
    let mut node = Some(tree);
    for seg in path {
        match node {
            Some(Value::Array(items)) => {
                out.push_str(&format!("[{seg}]"));
                node = seg.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            _ => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(seg);
                node = node.and_then(|n| n.get(seg.as_str()));
            }
        }
    }
    out
}

/// Checks Docker Compose makes on the merged model of all files (compose-go's `validation`
/// package, and its refusal of an empty project), before paths are resolved.
pub fn check_project(tree: &Value) -> Result<(), String> {
    let Value::Object(root) = tree else {
        return Ok(());
    };
    if root.keys().all(|k| k == "version") {
        return Err("empty compose file".into());
    }
    for (kind, keys) in [
        ("configs", &["file", "environment", "content"][..]),
        ("secrets", &["file", "environment"][..]),
    ] {
        for (name, def) in entries(root.get(kind)) {
            file_object(def, keys).map_err(|e| format!("{kind}.{name}: {e}"))?;
        }
    }
    for (name, def) in entries(root.get("volumes")) {
        if let Value::Object(m) = def {
            if m.get("external") == Some(&Value::Bool(true)) {
                let other = m
                    .keys()
                    .find(|k| !matches!(k.as_str(), "name" | "external") && !k.starts_with("x-"));
                if let Some(k) = other {
                    return Err(format!(
                        "volumes.{name}: conflicting parameters \"external\" and \"{k}\" specified"
                    ));
                }
            }
        }
    }
    for (name, svc) in entries(root.get("services")) {
        check_scale(name, svc)?;
        let at = format!("services.{name}");
        for port in items(svc.get("ports")) {
            if let Some(ip) = port.get("host_ip") {
                let text = ip.as_str().unwrap_or_default();
                if text.parse::<std::net::IpAddr>().is_err() {
                    return Err(format!("{at}.ports.[]: invalid ip address: {}", scalar(ip)));
                }
            }
        }
        for watch in items(svc.get("develop").and_then(|d| d.get("watch"))) {
            if watch.get("path").and_then(Value::as_str) == Some("") {
                return Err(format!("{at}.develop.watch.[].path: value can't be blank"));
            }
        }
        let reserved = svc
            .get("deploy")
            .and_then(|d| d.get("resources"))
            .and_then(|r| r.get("reservations"))
            .and_then(|r| r.get("devices"));
        for (list, path) in [
            (reserved, "deploy.resources.reservations.devices"),
            (svc.get("gpus"), "gpus"),
        ] {
            for dev in items(list) {
                if dev.get("count").is_some() && dev.get("device_ids").is_some() {
                    return Err(format!(
                        "{at}.{path}.[]: \"count\" and \"device_ids\" attributes are exclusive"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// `scale` against `deploy.replicas`, checked before defaults copy one onto the other.
fn check_scale(name: &str, svc: &Value) -> Result<(), String> {
    let scale = svc.get("scale").and_then(Value::as_i64);
    let replicas = svc
        .get("deploy")
        .and_then(|d| d.get("replicas"))
        .and_then(number);
    if let (Some(s), Some(r)) = (scale, replicas) {
        if s as f64 != r {
            return Err(format!(
                "services.{name}: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project"
            ));
        }
    }
    if scale.is_some_and(|s| s < 0) {
        return Err(format!(
            "services.{name}.scale: must be greater than or equal to 0"
        ));
    }
    if replicas.is_some_and(|r| r < 0.0) {
        return Err(format!(
            "services.{name}.deploy.replicas: must be greater than or equal to 0"
        ));
    }
    Ok(())
}

/// Docker Compose's consistency checks on the loaded project (enabled services only, after
/// profiles), for what `check_references` does not already cover.
pub fn check_consistency(
    services: &serde_json::Map<String, Value>,
    root: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    let declared = |kind: &str, key: &str| {
        root.get(kind)
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key(key))
    };
    for (name, svc) in services {
        let invalid = |what: String| Err(format!("{what}: invalid compose project"));
        let build = svc.get("build").and_then(Value::as_object);
        if let Some(b) = build {
            if has_text(b.get("dockerfile")) && has_text(b.get("dockerfile_inline")) {
                return invalid(format!(
                    "service {name:?} declares mutualy exclusive dockerfile and dockerfile_inline"
                ));
            }
            for (ctx, target) in key_values(b.get("additional_contexts")) {
                let Some(other) = target.strip_prefix("service:") else {
                    continue;
                };
                match services.get(other) {
                    None => {
                        return Err(format!(
                            "service {name:?} declares unknown service {other:?} as additional contexts {ctx}"
                        ))
                    }
                    Some(o) if o.get("build").is_none() => {
                        return Err(format!(
                            "service {name:?} declares non-buildable service {other:?} as additional contexts {ctx}"
                        ))
                    }
                    Some(_) => {}
                }
            }
            if let (Some(Value::Array(platforms)), Some(p)) = (
                b.get("platforms"),
                svc.get("platform").and_then(Value::as_str),
            ) {
                if !platforms.is_empty()
                    && !p.is_empty()
                    && !platforms.iter().any(|x| x.as_str() == Some(p))
                {
                    return invalid(format!(
                        "service.build.platforms MUST include service.platform {p:?}"
                    ));
                }
            }
        }
        let networks = svc.get("networks").and_then(Value::as_object);
        if has_text(svc.get("network_mode")) && networks.is_some_and(|n| !n.is_empty()) {
            return invalid(format!(
                "service {name} declares mutually exclusive `network_mode` and `networks`"
            ));
        }
        let test = svc.get("healthcheck").and_then(|h| h.get("test"));
        if let Some(first) = test.and_then(Value::as_array).and_then(|t| t.first()) {
            if !matches!(first.as_str(), Some("CMD" | "CMD-SHELL" | "NONE")) {
                return Err(
                    r#"healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE""#.into(),
                );
            }
        }
        let sources = |v: Option<&Value>| -> Vec<String> {
            items(v)
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    other => other.get("source").map(scalar),
                })
                .collect()
        };
        for s in sources(build.and_then(|b| b.get("secrets"))) {
            if !declared("secrets", &s) {
                return invalid(format!(
                    "service {name:?} refers to undefined build secret {s}"
                ));
            }
        }
        for c in sources(svc.get("configs")) {
            if !declared("configs", &c) {
                return invalid(format!("service {name:?} refers to undefined config {c}"));
            }
        }
        let models: Vec<String> = match svc.get("models") {
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            other => items(other).map(scalar).collect(),
        };
        for m in models {
            if !declared("models", &m) {
                return invalid(format!("service {name:?} refers to undefined model {m}"));
            }
        }
        for s in sources(svc.get("secrets")) {
            if !declared("secrets", &s) {
                return invalid(format!("service {name:?} refers to undefined secret {s}"));
            }
        }
        check_limits(name, svc)?;
        check_unique_names_and_mounts(name, svc)?;
    }
    Ok(())
}

/// A service-level limit and its `deploy.resources` twin must agree when both exist.
fn check_limits(name: &str, svc: &Value) -> Result<(), String> {
    let resources = svc.get("deploy").and_then(|d| d.get("resources"));
    let limits = resources
        .and_then(|r| r.get("limits"))
        .filter(|l| l.is_object());
    let reservations = resources
        .and_then(|r| r.get("reservations"))
        .filter(|l| l.is_object());
    let pairs = [
        ("cpus", limits, "cpus", "deploy.resources.limits.cpus"),
        (
            "mem_limit",
            limits,
            "memory",
            "deploy.resources.limits.memory",
        ),
        (
            "mem_reservation",
            reservations,
            "memory",
            "deploy.resources.reservations.memory",
        ),
        ("pids_limit", limits, "pids", "deploy.resources.limits.pids"),
    ];
    for (own, section, key, twin) in pairs {
        let Some(mine) = svc.get(own).and_then(number).filter(|n| *n != 0.0) else {
            continue;
        };
        let Some(section) = section else { continue };
        let theirs = section.get(key).and_then(number).unwrap_or(0.0);
        let differ = if own == "cpus" {
            (mine as f32) != (theirs as f32)
        } else {
            mine != theirs
        };
        if differ {
            return Err(format!(
                "services.{name}: can't set distinct values on '{own}' and '{twin}': invalid compose project"
            ));
        }
    }
    Ok(())
}

/// `container_name` with several replicas, watch rules without a target, and two mounts on
/// one path.
fn check_unique_names_and_mounts(name: &str, svc: &Value) -> Result<(), String> {
    let scale = svc.get("scale").and_then(number);
    let replicas = svc
        .get("deploy")
        .and_then(|d| d.get("replicas"))
        .and_then(number);
    if scale.or(replicas).unwrap_or(1.0) > 1.0 && has_text(svc.get("container_name")) {
        let attr = if scale.is_some() {
            "scale"
        } else {
            "deploy.replicas"
        };
        // Compose's message has its two arguments swapped; this is what it prints.
        return Err(format!(
            "services.{attr}: can't set container_name and {name} as container name must be unique: invalid compose project"
        ));
    }
    for watch in items(svc.get("develop").and_then(|d| d.get("watch"))) {
        let action = watch
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !has_text(watch.get("target")) && action != "rebuild" && action != "restart" {
            return Err(format!(
                "services.{name}.develop.watch: target is required for non-rebuild actions: invalid compose project"
            ));
        }
    }
    let mut mounts: Vec<(String, String)> = Vec::new();
    let tmpfs: Vec<String> = match svc.get("tmpfs") {
        Some(Value::String(t)) => vec![t.clone()],
        other => items(other).map(scalar).collect(),
    };
    let targets = tmpfs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                format!("services.{name}.tmpfs[{i}]"),
                t.split(':').next().unwrap_or_default().to_string(),
            )
        })
        .chain(items(svc.get("volumes")).enumerate().map(|(i, v)| {
            let target = v.get("target").map(scalar).unwrap_or_default();
            (format!("services.{name}.volumes[{i}]"), target)
        }));
    for (loc, path) in targets {
        if let Some((_, first)) = mounts.iter().find(|(p, _)| *p == path) {
            return Err(format!("{loc}: target {path} already mounted as {first}"));
        }
        mounts.push((path, loc));
    }
    Ok(())
}

fn has_text(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str).is_some_and(|s| !s.is_empty())
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A mapping, or a list of `key=value` strings, as pairs.
fn key_values(v: Option<&Value>) -> Vec<(String, String)> {
    match v {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
        other => items(other)
            .filter_map(|i| {
                i.as_str()?
                    .split_once('=')
                    .map(|(k, v)| (k.into(), v.into()))
            })
            .collect(),
    }
}

/// A config or secret takes its content from exactly one source, unless a driver or
/// `external` provides it.
fn file_object(def: &Value, keys: &[&str]) -> Result<(), String> {
    let Value::Object(m) = def else { return Ok(()) };
    let count = keys.iter().filter(|k| m.contains_key(**k)).count();
    if count > 1 {
        return Err(format!(
            "{} attributes are mutually exclusive",
            keys.join("|")
        ));
    }
    if count == 0 && !m.contains_key("driver") && !m.contains_key("external") {
        return Err(format!("one of {} must be set", keys.join("|")));
    }
    Ok(())
}

fn entries(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object).into_iter().flatten()
}

fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Lists Compose de-duplicates before validating (compose-go's `EnforceUnicity`), so a
/// repeated item there is no `uniqueItems` violation.
const DEDUPED: &[&str] = &[
    "networks.*.labels",
    "networks.*.ipam.options",
    "services.*.annotations",
    "services.*.build.args",
    "services.*.build.additional_contexts",
    "services.*.build.tags",
    "services.*.build.labels",
    "services.*.cap_add",
    "services.*.cap_drop",
    "services.*.devices",
    "services.*.configs",
    "services.*.deploy.labels",
    "services.*.dns",
    "services.*.dns_opt",
    "services.*.dns_search",
    "services.*.environment",
    "services.*.env_file",
    "services.*.expose",
    "services.*.labels",
    "services.*.links",
    "services.*.networks.*.aliases",
    "services.*.networks.*.link_local_ips",
    "services.*.ports",
    "services.*.profiles",
    "services.*.secrets",
    "services.*.sysctls",
    "services.*.tmpfs",
    "services.*.volumes",
];

fn drop_repeats(tree: &mut Value) {
    for pattern in DEDUPED {
        let segments: Vec<&str> = pattern.split('.').collect();
        dedup_at(tree, &segments);
    }
}

fn dedup_at(v: &mut Value, segments: &[&str]) {
    let Some((first, rest)) = segments.split_first() else {
        if let Value::Array(list) = v {
            let mut seen: Vec<Value> = Vec::new();
            list.retain(|item| {
                let new = !seen.contains(item);
                if new {
                    seen.push(item.clone());
                }
                new
            });
        }
        return;
    };
    match (*first, v) {
        ("*", Value::Object(m)) => m.values_mut().for_each(|c| dedup_at(c, rest)),
        (key, Value::Object(m)) => {
            if let Some(c) = m.get_mut(key) {
                dedup_at(c, rest);
            }
        }
        _ => {}
    }
}

/// The casts compose-go's interpolation applies to string values at these paths before the
/// schema sees them (`*` any key, `[]` any item); a string that does not parse fails as it does.
const CASTS: &[(&str, Cast)] = &[
    ("services.*.cpu_count", Cast::Int64),
    ("services.*.cpu_percent", Cast::Float),
    ("services.*.cpu_period", Cast::Int64),
    ("services.*.cpu_quota", Cast::Int64),
    ("services.*.cpu_rt_period", Cast::Int64),
    ("services.*.cpu_rt_runtime", Cast::Int64),
    ("services.*.cpus", Cast::Float),
    ("services.*.cpu_shares", Cast::Int64),
    ("services.*.init", Cast::Bool),
    ("services.*.deploy.replicas", Cast::Int),
    ("services.*.deploy.update_config.parallelism", Cast::Int),
    (
        "services.*.deploy.update_config.max_failure_ratio",
        Cast::Float,
    ),
    ("services.*.deploy.rollback_config.parallelism", Cast::Int),
    (
        "services.*.deploy.rollback_config.max_failure_ratio",
        Cast::Float,
    ),
    ("services.*.deploy.restart_policy.max_attempts", Cast::Int),
    (
        "services.*.deploy.placement.max_replicas_per_node",
        Cast::Int,
    ),
    ("services.*.healthcheck.retries", Cast::Int),
    ("services.*.healthcheck.disable", Cast::Bool),
    ("services.*.oom_kill_disable", Cast::Bool),
    ("services.*.oom_score_adj", Cast::Int64),
    ("services.*.pids_limit", Cast::Int64),
    ("services.*.ports.[].target", Cast::Int),
    ("services.*.privileged", Cast::Bool),
    ("services.*.read_only", Cast::Bool),
    ("services.*.scale", Cast::Int),
    ("services.*.stdin_open", Cast::Bool),
    ("services.*.tty", Cast::Bool),
    ("services.*.ulimits.*", Cast::Int),
    ("services.*.ulimits.*.hard", Cast::Int),
    ("services.*.ulimits.*.soft", Cast::Int),
    ("services.*.volumes.[].read_only", Cast::Bool),
    ("services.*.volumes.[].volume.nocopy", Cast::Bool),
    ("networks.*.external", Cast::Bool),
    ("networks.*.internal", Cast::Bool),
    ("networks.*.attachable", Cast::Bool),
    ("networks.*.enable_ipv4", Cast::Bool),
    ("networks.*.enable_ipv6", Cast::Bool),
    ("volumes.*.external", Cast::Bool),
    ("secrets.*.external", Cast::Bool),
    ("configs.*.external", Cast::Bool),
];

#[derive(Clone, Copy)]
enum Cast {
    Int,
    Int64,
    Float,
    Bool,
}

impl Cast {
    /// The typed value, or Go's error text for the failed parse.
    fn apply(self, s: &str) -> Result<Value, String> {
        let syntax = |func: &str| format!("{func}: parsing {}: invalid syntax", go_quote(s));
        match self {
            Cast::Int => s
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| syntax("strconv.Atoi")),
            Cast::Int64 => s
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| syntax("strconv.ParseInt")),
            Cast::Float => s
                .parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                .ok_or_else(|| syntax("strconv.ParseFloat")),
            Cast::Bool => match s.to_ascii_lowercase().as_str() {
                "true" | "y" | "yes" | "on" => Ok(Value::Bool(true)),
                "false" | "n" | "no" | "off" => Ok(Value::Bool(false)),
                _ => Err(format!("invalid boolean: {s}")),
            },
        }
    }
}

/// `yes`/`no`-style words Compose still reads as booleans, and the word it asks for instead.
fn yaml11_bool(cast: Cast, s: &str) -> Option<&'static str> {
    if !matches!(cast, Cast::Bool) {
        return None;
    }
    match s.to_ascii_lowercase().as_str() {
        "y" | "yes" | "on" => Some("true"),
        "n" | "no" | "off" => Some("false"),
        _ => None,
    }
}

fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Applies `CASTS` to `tree`; the error names the path as compose-go does
/// (`services.web.ports.[].target`).
fn cast_scalars(tree: &mut Value, warnings: &mut Vec<String>) -> Result<(), String> {
    for (pattern, cast) in CASTS {
        let segments: Vec<&str> = pattern.split('.').collect();
        cast_at(tree, &segments, &mut Vec::new(), *cast, warnings)?;
    }
    Ok(())
}

fn cast_at(
    v: &mut Value,
    segments: &[&str],
    at: &mut Vec<String>,
    cast: Cast,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        if let Value::String(s) = v {
            if let Some(word) = yaml11_bool(cast, s) {
                warnings.push(format!(
                    "{} for boolean is not supported by YAML 1.2, please use `{word}`",
                    go_quote(s)
                ));
            }
            *v = cast.apply(s).map_err(|e| {
                format!(
                    "error while interpolating {}: failed to cast to expected type: {e}",
                    at.join(".")
                )
            })?;
        }
        return Ok(());
    };
    match (*first, v) {
        ("*", Value::Object(m)) => {
            for (k, child) in m.iter_mut() {
                at.push(k.clone());
                let r = cast_at(child, rest, at, cast, warnings);
                at.pop();
                r?;
            }
        }
        ("[]", Value::Array(items)) => {
            at.push("[]".into());
            let r = items
                .iter_mut()
                .try_for_each(|child| cast_at(child, rest, at, cast, warnings));
            at.pop();
            r?;
        }
        (key, Value::Object(m)) => {
            if let Some(child) = m.get_mut(key) {
                at.push(key.to_string());
                let r = cast_at(child, rest, at, cast, warnings);
                at.pop();
                r?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Where the key at `path` sits in block-style YAML `text`, as 1-based line and column. A
/// best effort: flow-style collections and anchors are not followed (then `None`).
fn locate(text: &str, path: &[String]) -> Option<(usize, usize)> {
    let lines: Vec<Option<Line>> = text.lines().map(Line::parse).collect();
    // The block searched for the next segment: lines from `from` indented deeper than
    // `parent`, plus line `from` itself when it opens the sequence item being entered.
    let mut from = 0;
    let mut parent: Option<usize> = None;
    let mut item_line = false;
    let mut found = None;
    for seg in path {
        let index = seg.parse::<usize>().ok();
        let block: Vec<(usize, &Line)> = lines
            .iter()
            .enumerate()
            .skip(from)
            .filter_map(|(i, l)| l.as_ref().map(|l| (i, l)))
            .take_while(|(i, l)| {
                (*i == from && item_line)
                    || parent.is_none_or(|p| {
                        l.indent > p || (index.is_some() && l.indent == p && l.item)
                    })
            })
            .collect();
        let (line, col) = if let Some(n) = index {
            let seq = block.first().filter(|(_, l)| l.item)?.1.indent;
            let (i, l) = block
                .iter()
                .filter(|(_, l)| l.item && l.indent == seq)
                .nth(n)?;
            from = *i;
            parent = Some(l.indent);
            item_line = true;
            (*i, l.indent)
        } else {
            let level = block.first()?.1.key_col;
            let (i, l) = block
                .iter()
                .find(|(_, l)| l.key_col == level && is_key(&l.rest, seg))?;
            from = i + 1;
            parent = Some(l.key_col);
            item_line = false;
            (*i, l.key_col)
        };
        found = Some((line + 1, col + 1));
    }
    found
}

/// One non-blank, non-comment line: its indentation, whether it opens a sequence item, the
/// column where its content starts after any `- ` markers, and that content.
struct Line {
    indent: usize,
    item: bool,
    key_col: usize,
    rest: String,
}

impl Line {
    fn parse(line: &str) -> Option<Line> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut rest = line.get(indent..)?;
        if rest.trim().is_empty() || rest.starts_with('#') {
            return None;
        }
        let mut key_col = indent;
        let mut item = false;
        while let Some(after) = rest.strip_prefix('-').filter(|a| a.starts_with(' ')) {
            item = true;
            let trimmed = after.trim_start_matches(' ');
            key_col += 1 + after.len() - trimmed.len();
            rest = trimmed;
        }
        Some(Line {
            indent,
            item,
            key_col,
            rest: rest.to_string(),
        })
    }
}

fn is_key(rest: &str, key: &str) -> bool {
    [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
        .iter()
        .any(|k| {
            rest.strip_prefix(k.as_str())
                .is_some_and(|r| r.trim_start_matches(' ').starts_with(':'))
        })
}

/// The nearest known key to a misspelt one, when it is near enough to be a typo.
fn suggest<'a>(key: &str, known: &'a [String]) -> Option<&'a str> {
    let (d, best) = known
        .iter()
        .map(|k| (distance(key, k), k.as_str()))
        .min_by_key(|(d, _)| *d)?;
    (d > 0 && d <= 2.max(key.len() / 4)).then_some(best)
}

/// Levenshtein distance between two short strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_service_key_suggests_nearest() {
        let tree = json!({"services": {"web": {"image": "x", "healtcheck": {}}}});
        let err =
            validate_file(&tree, &Tags::new(), Path::new("/p/compose.yaml"), true).unwrap_err();
        assert_eq!(
            err,
            "validating /p/compose.yaml: services.web additional properties 'healtcheck' not allowed (did you mean `healthcheck`?)\n  at services.web.healtcheck, /p/compose.yaml"
        );
    }

    #[test]
    fn far_keys_get_no_hint_and_extensions_pass() {
        let tree = json!({"services": {"web": {"zzzzzzzz": 1}}});
        let err = validate_file(&tree, &Tags::new(), Path::new("c.yaml"), true).unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
        let ok = json!({"x-common": 1, "services": {"web": {"x-note": 1, "image": "a"}}});
        assert!(validate_file(&ok, &Tags::new(), Path::new("c.yaml"), true).is_ok());
    }

    #[test]
    fn nested_keys_are_checked() {
        let tree = json!({"services": {"web": {"image": "x", "healthcheck": {"intervall": "1s"}}}});
        let err = validate_file(&tree, &Tags::new(), Path::new("c.yaml"), true).unwrap_err();
        assert!(
            err.contains("services.web.healthcheck additional properties 'intervall' not allowed (did you mean `interval`?)"),
            "{err}"
        );
    }

    #[test]
    fn every_closed_mapping_is_checked_and_extensions_pass() {
        let cases = [
            (
                json!({"services": {"web": {"image": "x", "volumes": ["./a:/a", {"type": "bind", "target": "/b", "bind": {"propagaton": "rshared"}}]}}}),
                Some("services.web.volumes.1.bind additional properties 'propagaton' not allowed"),
            ),
            (
                json!({"networks": {"n": {"ipam": {"config": [{"subnet": "10.0.0.0/8", "gatway": "10.0.0.1"}]}}}}),
                Some("networks.n.ipam.config.0 additional properties 'gatway' not allowed"),
            ),
            (
                json!({"services": {"web": {"image": "x", "deploy": {"x-note": 1, "resources": {"limits": {"cpus": "1", "x-a": 2}}}, "depends_on": ["db"], "networks": {"n": null}}}}),
                None,
            ),
        ];
        for (tree, want) in cases {
            let got = validate_file(&tree, &Tags::new(), Path::new("c.yaml"), true).err();
            match want {
                Some(w) => assert!(got.as_deref().unwrap_or("").contains(w), "{got:?}"),
                None => assert_eq!(got, None),
            }
        }
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("healtcheck", "healthcheck"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(String::from).collect()
    }

    #[test]
    fn locate_finds_keys_and_items_in_block_yaml() {
        let text = "# c\nservices:\n  web:\n    image: x\n    ports:\n    - \"80:80\"\n    -   target: 80\n        published: \"8080\"\n  db:\n    image: y\n";
        let cases = [
            ("services.web.image", Some((4, 5))),
            ("services.web.ports.0", Some((6, 5))),
            ("services.web.ports.1.published", Some((8, 9))),
            ("services.web.ports.1.target", Some((7, 9))),
            ("services.db.image", Some((10, 5))),
            ("services.web.ports.2", None),
            ("services.nope", None),
        ];
        for (p, want) in cases {
            assert_eq!(locate(text, &path(p)), want, "{p}");
        }
    }

    #[test]
    fn key_paths_bracket_sequence_items() {
        let tree = json!({"services": {"web": {"ports": ["80", {"target": "x"}]}}});
        assert_eq!(
            key_path(&tree, &path("services.web.ports.1.target")),
            "services.web.ports[1].target"
        );
        assert_eq!(key_path(&tree, &path("services.0")), "services.0");
    }

    #[test]
    fn locate_survives_odd_text() {
        for text in [
            "",
            "- - -\n  -\n",
            "\tservices:\n",
            "a: [1, 2]\n",
            "w\u{e9}b:\n  \u{e4}: 1\n",
            "-\n- \n",
        ] {
            for p in ["a", "a.0", "services.web", "0.0.0", "w\u{e9}b.\u{e4}"] {
                let _ = locate(text, &path(p));
            }
        }
    }

    #[test]
    fn errors_point_at_the_key_in_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("compose.yaml");
        let text =
            "services:\n  web:\n    image: x\n    healtcheck:\n      test: [CMD, \"true\"]\n";
        std::fs::write(&file, text).expect("write");
        let tree =
            json!({"services": {"web": {"image": "x", "healtcheck": {"test": ["CMD", "true"]}}}});
        let err = validate_file(&tree, &Tags::new(), &file, true).unwrap_err();
        assert!(err.contains("(did you mean `healthcheck`?)"), "{err}");
        assert!(
            err.contains(&format!(
                "at services.web.healtcheck, {}:4:5",
                file.display()
            )),
            "{err}"
        );
        assert!(err.contains("4 |     healtcheck:"), "{err}");
    }

    #[test]
    fn casts_and_merged_checks_speak_like_compose() {
        let tree = json!({"services": {"web": {"image": "x", "ports": [{"target": "80"}, {"target": "x"}]}}});
        let err = validate_file(&tree, &Tags::new(), Path::new("c.yaml"), true).unwrap_err();
        assert_eq!(err, "c.yaml: error while interpolating services.web.ports.[].target: failed to cast to expected type: strconv.Atoi: parsing \"x\": invalid syntax");
        let ok = json!({"services": {"web": {"image": "x", "tty": "yes", "ports": ["80", "80"]}}});
        assert_eq!(
            validate_file(&ok, &Tags::new(), Path::new("c.yaml"), true),
            Ok(vec![
                "\"yes\" for boolean is not supported by YAML 1.2, please use `true`".to_string()
            ])
        );
        assert_eq!(
            check_project(&json!({"version": "3"})),
            Err("empty compose file".into())
        );
        assert_eq!(
            check_project(&json!({"configs": {"c": {"file": "a", "content": "b"}}})),
            Err("configs.c: file|environment|content attributes are mutually exclusive".into())
        );
        assert_eq!(
            check_project(&json!({"secrets": {"s": {"external": true}}})),
            Ok(())
        );
    }
}
