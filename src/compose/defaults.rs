//! Defaults Docker Compose fills in after merging: null commands, the default network,
//! engine-side resource names, implicit dependencies; plus dropping unused resources and the
//! key order `config` prints.

use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// Defaults Docker Compose fills in. Without interpolation (`config --no-interpolate`) it
/// leaves unset commands out, and so do we.
pub(super) fn service_defaults(svc: &mut Value, interpolated: bool) {
    let Value::Object(m) = svc else { return };
    if interpolated {
        m.entry("command").or_insert(Value::Null);
        m.entry("entrypoint").or_insert(Value::Null);
    }
    if !m.contains_key("network_mode") && !m.contains_key("networks") {
        m.insert("networks".into(), json!({ "default": null }));
    }
    implicit_dependencies(m);
    // compose-go prints host lists sorted, so entries appended by later files take their place.
    if let Some(Value::Array(hosts)) = m.get_mut("extra_hosts") {
        hosts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    if let Some(Value::Object(build)) = m.get_mut("build") {
        if let Some(Value::Array(hosts)) = build.get_mut("extra_hosts") {
            hosts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
        if !build.contains_key("dockerfile") && !build.contains_key("dockerfile_inline") {
            let at = usize::from(build.contains_key("context"));
            build.shift_insert(at, "dockerfile".into(), Value::String("Dockerfile".into()));
        }
    }
}

/// Services reached through `links`, `volumes_from` and `service:` modes become dependencies
/// that restart with their target, as in compose-go.
pub(super) fn implicit_dependencies(m: &mut Map<String, Value>) {
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

/// Default network when used, and engine-side names for networks and volumes.
pub(super) fn resource_defaults(
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
        let order = if kind == "networks" {
            NETWORK_ORDER
        } else {
            VOLUME_ORDER
        };
        for (_, item) in items.iter_mut() {
            if let Value::Object(m) = item {
                for key in ["labels", "driver_opts"] {
                    if let Some(v) = m.get_mut(key) {
                        sort_deep(v);
                    }
                }
                order_keys(m, order);
            }
        }
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

/// compose-go's `ServiceConfig` field order, which `config` follows in JSON and YAML.
const SERVICE_ORDER: &[&str] = &[
    "profiles",
    "annotations",
    "attach",
    "build",
    "develop",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "cgroup",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpuset",
    "cpu_shares",
    "command",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "deploy",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "dockerfile",
    "domainname",
    "entrypoint",
    "provider",
    "environment",
    "env_file",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "group_add",
    "gpus",
    "hostname",
    "healthcheck",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "label_file",
    "links",
    "logging",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "mem_swappiness",
    "mac_address",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "privileged",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volume_driver",
    "volumes",
    "volumes_from",
    "working_dir",
    "post_start",
    "pre_stop",
];

const BUILD_ORDER: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "entitlements",
    "args",
    "provenance",
    "sbom",
    "ssh",
    "labels",
    "cache_from",
    "cache_to",
    "no_cache",
    "additional_contexts",
    "pull",
    "extra_hosts",
    "isolation",
    "network",
    "target",
    "secrets",
    "shm_size",
    "tags",
    "ulimits",
    "platforms",
    "privileged",
];

const HEALTHCHECK_ORDER: &[&str] = &[
    "test",
    "timeout",
    "interval",
    "retries",
    "start_period",
    "start_interval",
    "disable",
];

const DEPLOY_ORDER: &[&str] = &[
    "mode",
    "replicas",
    "labels",
    "update_config",
    "rollback_config",
    "resources",
    "restart_policy",
    "placement",
    "endpoint_mode",
];

const WATCH_ORDER: &[&str] = &["path", "action", "target", "exec", "ignore", "include"];

/// Network and volume definitions, in compose-go's field order.
pub(super) const NETWORK_ORDER: &[&str] = &[
    "name",
    "driver",
    "driver_opts",
    "ipam",
    "external",
    "internal",
    "attachable",
    "labels",
    "enable_ipv4",
    "enable_ipv6",
];
pub(super) const VOLUME_ORDER: &[&str] = &["name", "driver", "driver_opts", "external", "labels"];

/// Reorders keys: those in `order` first, in that order, then the rest sorted.
pub(super) fn order_keys(m: &mut Map<String, Value>, order: &[&str]) {
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    m.extend(entries);
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

/// Puts a service's keys in compose-go's order and sorts its map-typed attributes.
pub(super) fn sort_maps(svc: &mut Value) {
    let Value::Object(m) = svc else { return };
    order_keys(m, SERVICE_ORDER);
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
    // Maps of structs: only the outer keys are sorted.
    for key in ["depends_on", "networks", "ulimits"] {
        if let Some(Value::Object(inner)) = m.get_mut(key) {
            inner.sort_keys();
        }
    }
    // compose-go's field orders: ServiceDependency, and ServiceNetworkConfig (alphabetical).
    if let Some(Value::Object(deps)) = m.get_mut("depends_on") {
        for (_, dep) in deps.iter_mut() {
            if let Value::Object(d) = dep {
                order_keys(d, &["condition", "restart", "required"]);
            }
        }
    }
    if let Some(Value::Object(nets)) = m.get_mut("networks") {
        for (_, net) in nets.iter_mut() {
            if let Value::Object(n) = net {
                n.sort_keys();
            }
        }
    }
    let nested = [
        ("build", BUILD_ORDER),
        ("healthcheck", HEALTHCHECK_ORDER),
        ("deploy", DEPLOY_ORDER),
    ];
    for (key, order) in nested {
        if let Some(Value::Object(inner)) = m.get_mut(key) {
            order_keys(inner, order);
        }
    }
    if let Some(Value::Object(build)) = m.get_mut("build") {
        for key in ["args", "labels", "additional_contexts"] {
            if let Some(v) = build.get_mut(key) {
                sort_deep(v);
            }
        }
    }
    if let Some(Value::Array(watch)) = m.get_mut("develop").and_then(|d| d.get_mut("watch")) {
        for w in watch.iter_mut() {
            if let Value::Object(w) = w {
                order_keys(w, WATCH_ORDER);
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
