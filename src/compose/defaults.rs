//! What compose-go fills in after merging (its `SetDefaultValues` and `Normalize`): the
//! default network, device request counts, secret targets, implicit dependencies, replicas
//! from `scale`, clean mount targets, engine-side resource names; plus dropping unused
//! resources.

use super::paths::clean_target;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Defaults Docker Compose fills in on each merged service.
pub(super) fn service_defaults(svc: &mut Value) {
    let Value::Object(m) = svc else { return };
    // Services without networks join the default one; provider services join none.
    let no_networks = m
        .get("networks")
        .is_none_or(|n| n.as_object().is_some_and(Map::is_empty));
    if no_networks && !m.contains_key("network_mode") && !m.contains_key("provider") {
        m.insert("networks".into(), json!({ "default": null }));
    }
    super::canonical::dependency_defaults(m);
    implicit_dependencies(m);
    device_request_counts(m);
    if let Some(Value::Array(secrets)) = m.get_mut("secrets") {
        for secret in secrets.iter_mut().filter_map(Value::as_object_mut) {
            if !secret.contains_key("target") {
                let source = secret.get("source").map(super::gofmt::sprint);
                let target = format!("/run/secrets/{}", source.unwrap_or_default());
                secret.insert("target".into(), Value::String(target));
            }
        }
    }
    // compose-go copies `scale` into `deploy.replicas` when there is a deploy section.
    if let (Some(scale), Some(Value::Object(deploy))) =
        (m.get("scale").cloned(), m.get_mut("deploy"))
    {
        deploy.insert("replicas".into(), scale);
    }
    if let Some(Value::Array(vols)) = m.get_mut("volumes") {
        for v in vols.iter_mut() {
            if let Some(Value::String(t)) = v.get_mut("target") {
                *t = clean_target(t);
            }
        }
    }
    // compose-go prints host lists sorted, so entries appended by later files take their place.
    if let Some(Value::Array(hosts)) = m.get_mut("extra_hosts") {
        hosts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    if let Some(Value::Object(build)) = m.get_mut("build") {
        if let Some(Value::Array(hosts)) = build.get_mut("extra_hosts") {
            hosts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
        if !build.contains_key("dockerfile") && !build.contains_key("dockerfile_inline") {
            build.insert("dockerfile".into(), Value::String("Dockerfile".into()));
        }
    }
}

/// A GPU or device reservation naming neither a count nor device ids takes them all
/// (`count: -1`), for `gpus` and `deploy.resources.reservations.devices` (not limits).
fn device_request_counts(m: &mut Map<String, Value>) {
    fn all_by_default(list: Option<&mut Value>) {
        let Some(Value::Array(items)) = list else {
            return;
        };
        for item in items.iter_mut() {
            if let Value::Object(d) = item {
                if !d.contains_key("count") && !d.contains_key("device_ids") {
                    d.insert("count".into(), Value::from(-1));
                }
            }
        }
    }
    all_by_default(m.get_mut("gpus"));
    all_by_default(
        m.get_mut("deploy")
            .and_then(|d| d.get_mut("resources"))
            .and_then(|r| r.get_mut("reservations"))
            .and_then(|r| r.get_mut("devices")),
    );
}

/// Services reached through `links`, `service:` namespaces and `volumes_from` become
/// dependencies, in that order of precedence; only the first two restart with their target.
pub(super) fn implicit_dependencies(m: &mut Map<String, Value>) {
    let mut found: Vec<(String, bool)> = Vec::new();
    let refs = |key: &str| -> Vec<String> {
        match m.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.starts_with("container:"))
                .map(|s| s.split(':').next().unwrap_or(s).to_string())
                .collect(),
            _ => Vec::new(),
        }
    };
    found.extend(refs("links").into_iter().map(|n| (n, true)));
    for key in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
        if let Some(target) = m
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("service:"))
        {
            found.push((target.to_string(), true));
        }
    }
    found.extend(refs("volumes_from").into_iter().map(|n| (n, false)));
    if found.is_empty() {
        return;
    }
    let deps = m
        .entry("depends_on")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(d) = deps {
        for (name, restart) in found {
            d.entry(name).or_insert_with(
                || json!({ "condition": "service_started", "restart": restart, "required": true }),
            );
        }
    }
}

/// Default network when used, and engine-side names for networks and volumes. Resources no
/// service uses are dropped unless `keep_unused` (Compose keeps them without interpolation).
pub(super) fn resource_defaults(
    root: &mut Map<String, Value>,
    services: &Map<String, Value>,
    project: &str,
    keep_unused: bool,
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
    if !keep_unused {
        drop_unused(root, services);
    }
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
        }
        items.sort_keys();
    }
}

/// Drops networks, volumes, secrets and configs no enabled service uses (as `config` does).
pub(super) fn drop_unused(root: &mut Map<String, Value>, services: &Map<String, Value>) {
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

/// Sorts every mapping below `v` by key (Go prints maps sorted).
pub(super) fn sort_deep(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.sort_keys();
            m.values_mut().for_each(sort_deep);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_deep),
        _ => {}
    }
}

/// Sorts a service's free-form maps by key, so runtime consumers (container environment,
/// labels) see a stable order whatever order the files wrote them in.
pub(super) fn sort_maps(svc: &mut Value) {
    let Value::Object(m) = svc else { return };
    for key in [
        "environment",
        "labels",
        "annotations",
        "sysctls",
        "logging",
        "storage_opt",
    ] {
        if let Some(v) = m.get_mut(key) {
            sort_deep(v);
        }
    }
    for key in ["depends_on", "networks", "ulimits"] {
        if let Some(Value::Object(inner)) = m.get_mut(key) {
            inner.sort_keys();
        }
    }
    if let Some(Value::Object(build)) = m.get_mut("build") {
        for key in ["args", "labels", "additional_contexts"] {
            if let Some(v) = build.get_mut(key) {
                sort_deep(v);
            }
        }
    }
}

pub(super) fn ordered_root(mut root: Map<String, Value>) -> Value {
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
    for (k, mut v) in root {
        sort_deep(&mut v);
        out.insert(k, v);
    }
    Value::Object(out)
}
