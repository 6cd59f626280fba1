//! Structural checks on one interpolated file: known top-level and service keys, with a
//! "did you mean" hint for near misses (the compose-spec schema's additionalProperties rule).

use serde_json::Value;
use std::path::Path;

const TOP_LEVEL: &[&str] = &[
    "version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models",
];

const SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "provider",
    "pull_policy",
    "pull_refresh_after",
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
    "volumes",
    "volumes_from",
    "working_dir",
];

/// Checks the shape of one file's tree.
pub fn validate_file(tree: &Value, file: &Path) -> Result<(), String> {
    let fail = |msg: String| Err(format!("validating {}: {msg}", file.display()));
    let Value::Object(root) = tree else {
        return fail("top-level object must be a mapping".into());
    };
    for key in root.keys() {
        if !key.starts_with("x-") && !TOP_LEVEL.contains(&key.as_str()) {
            return fail(unknown("", key, TOP_LEVEL));
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        match root.get(kind) {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(_) => return fail(format!("{kind} must be a mapping")),
        }
    }
    check_nested(root).or_else(fail)?;
    let services = match root.get("services") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(s)) => s,
        Some(_) => return fail("services must be a mapping".into()),
    };
    for (name, svc) in services {
        let svc = match svc {
            Value::Object(m) => m,
            Value::Null => continue,
            _ => return fail(format!("services.{name} must be a mapping")),
        };
        for key in svc.keys() {
            if !key.starts_with("x-") && !SERVICE_KEYS.contains(&key.as_str()) {
                return fail(unknown(&format!("services.{name}"), key, SERVICE_KEYS));
            }
        }
    }
    Ok(())
}

/// Known keys of every nested mapping the compose-spec closes (`additionalProperties: false`),
/// by path: `*` is any key of a mapping, `[]` any item of a sequence. Generated from
/// compose-go's schema/compose-spec.json; `x-` keys are always allowed.
const NESTED: &[(&str, &[&str])] = &[
    ("services.*.develop", &["watch"]),
    (
        "services.*.develop.watch.[]",
        &[
            "action",
            "exec",
            "ignore",
            "include",
            "initial_sync",
            "path",
            "target",
        ],
    ),
    (
        "services.*.develop.watch.[].exec",
        &[
            "command",
            "environment",
            "privileged",
            "user",
            "working_dir",
        ],
    ),
    (
        "services.*.deploy",
        &[
            "endpoint_mode",
            "labels",
            "mode",
            "placement",
            "replicas",
            "resources",
            "restart_policy",
            "rollback_config",
            "update_config",
        ],
    ),
    (
        "services.*.deploy.rollback_config",
        &[
            "delay",
            "failure_action",
            "max_failure_ratio",
            "monitor",
            "order",
            "parallelism",
        ],
    ),
    (
        "services.*.deploy.update_config",
        &[
            "delay",
            "failure_action",
            "max_failure_ratio",
            "monitor",
            "order",
            "parallelism",
        ],
    ),
    ("services.*.deploy.resources", &["limits", "reservations"]),
    (
        "services.*.deploy.resources.limits",
        &["cpus", "memory", "pids"],
    ),
    (
        "services.*.deploy.resources.reservations",
        &["cpus", "devices", "generic_resources", "memory"],
    ),
    (
        "services.*.deploy.resources.reservations.generic_resources.[]",
        &["discrete_resource_spec"],
    ),
    (
        "services.*.deploy.resources.reservations.generic_resources.[].discrete_resource_spec",
        &["kind", "value"],
    ),
    (
        "services.*.deploy.resources.reservations.devices.[]",
        &["capabilities", "count", "device_ids", "driver", "options"],
    ),
    (
        "services.*.deploy.restart_policy",
        &["condition", "delay", "max_attempts", "window"],
    ),
    (
        "services.*.deploy.placement",
        &["constraints", "max_replicas_per_node", "preferences"],
    ),
    ("services.*.deploy.placement.preferences.[]", &["spread"]),
    (
        "services.*.build",
        &[
            "additional_contexts",
            "args",
            "cache_from",
            "cache_to",
            "context",
            "dockerfile",
            "dockerfile_inline",
            "entitlements",
            "extra_hosts",
            "isolation",
            "labels",
            "network",
            "no_cache",
            "no_cache_filter",
            "platforms",
            "privileged",
            "provenance",
            "pull",
            "sbom",
            "secrets",
            "shm_size",
            "ssh",
            "tags",
            "target",
            "ulimits",
        ],
    ),
    (
        "services.*.build.secrets.[]",
        &["gid", "mode", "source", "target", "uid"],
    ),
    ("services.*.build.ulimits.*", &["hard", "soft"]),
    (
        "services.*.blkio_config",
        &[
            "device_read_bps",
            "device_read_iops",
            "device_write_bps",
            "device_write_iops",
            "weight",
            "weight_device",
        ],
    ),
    (
        "services.*.blkio_config.device_read_bps.[]",
        &["path", "rate"],
    ),
    (
        "services.*.blkio_config.device_read_iops.[]",
        &["path", "rate"],
    ),
    (
        "services.*.blkio_config.device_write_bps.[]",
        &["path", "rate"],
    ),
    (
        "services.*.blkio_config.device_write_iops.[]",
        &["path", "rate"],
    ),
    (
        "services.*.blkio_config.weight_device.[]",
        &["path", "weight"],
    ),
    (
        "services.*.configs.[]",
        &["gid", "mode", "source", "target", "uid"],
    ),
    (
        "services.*.credential_spec",
        &["config", "file", "registry"],
    ),
    (
        "services.*.depends_on.*",
        &["condition", "required", "restart"],
    ),
    (
        "services.*.devices.[]",
        &["permissions", "source", "target"],
    ),
    ("services.*.env_file.[]", &["format", "path", "required"]),
    ("services.*.extends", &["file", "service"]),
    ("services.*.provider", &["options", "type"]),
    (
        "services.*.healthcheck",
        &[
            "disable",
            "interval",
            "retries",
            "start_interval",
            "start_period",
            "test",
            "timeout",
        ],
    ),
    ("services.*.logging", &["driver", "options"]),
    ("services.*.models.*", &["endpoint_var", "model_var"]),
    (
        "services.*.networks.*",
        &[
            "aliases",
            "driver_opts",
            "gw_priority",
            "interface_name",
            "ipv4_address",
            "ipv6_address",
            "link_local_ips",
            "mac_address",
            "priority",
        ],
    ),
    (
        "services.*.ports.[]",
        &[
            "app_protocol",
            "host_ip",
            "mode",
            "name",
            "protocol",
            "published",
            "target",
        ],
    ),
    (
        "services.*.pre_start.[]",
        &[
            "command",
            "environment",
            "image",
            "per_replica",
            "privileged",
            "user",
            "working_dir",
        ],
    ),
    (
        "services.*.post_start.[]",
        &[
            "command",
            "environment",
            "privileged",
            "user",
            "working_dir",
        ],
    ),
    (
        "services.*.pre_stop.[]",
        &[
            "command",
            "environment",
            "privileged",
            "user",
            "working_dir",
        ],
    ),
    (
        "services.*.secrets.[]",
        &["gid", "mode", "source", "target", "uid"],
    ),
    ("services.*.ulimits.*", &["hard", "soft"]),
    (
        "services.*.volumes.[]",
        &[
            "bind",
            "consistency",
            "image",
            "read_only",
            "source",
            "target",
            "tmpfs",
            "type",
            "volume",
        ],
    ),
    (
        "services.*.volumes.[].bind",
        &["create_host_path", "propagation", "recursive", "selinux"],
    ),
    (
        "services.*.volumes.[].volume",
        &["labels", "nocopy", "subpath"],
    ),
    ("services.*.volumes.[].tmpfs", &["mode", "size"]),
    ("services.*.volumes.[].image", &["subpath"]),
    (
        "networks.*",
        &[
            "attachable",
            "driver",
            "driver_opts",
            "enable_ipv4",
            "enable_ipv6",
            "external",
            "internal",
            "ipam",
            "labels",
            "name",
        ],
    ),
    ("networks.*.ipam", &["config", "driver", "options"]),
    (
        "networks.*.ipam.config.[]",
        &["aux_addresses", "gateway", "ip_range", "subnet"],
    ),
    ("networks.*.external", &["name"]),
    (
        "volumes.*",
        &["driver", "driver_opts", "external", "labels", "name"],
    ),
    ("volumes.*.external", &["name"]),
    (
        "secrets.*",
        &[
            "driver",
            "driver_opts",
            "environment",
            "external",
            "file",
            "labels",
            "name",
            "template_driver",
        ],
    ),
    (
        "configs.*",
        &[
            "content",
            "environment",
            "external",
            "file",
            "labels",
            "name",
            "template_driver",
        ],
    ),
];

/// Checks every nested mapping of `root` that the schema closes against its known keys.
fn check_nested(root: &serde_json::Map<String, Value>) -> Result<(), String> {
    for (pattern, known) in NESTED {
        let segments: Vec<&str> = pattern.split('.').collect();
        let Some((first, rest)) = segments.split_first() else {
            continue;
        };
        if let Some(v) = root.get(*first) {
            check_at(v, rest, &mut vec![first.to_string()], known)?;
        }
    }
    Ok(())
}

/// Walks `v` along `segments`; at the end, a mapping must hold only `known` keys. The error
/// path is written as Compose writes it (`services.web.ports.0`).
fn check_at(
    v: &Value,
    segments: &[&str],
    at: &mut Vec<String>,
    known: &[&str],
) -> Result<(), String> {
    let Some((first, rest)) = segments.split_first() else {
        if let Value::Object(m) = v {
            for key in m.keys() {
                if !key.starts_with("x-") && !known.contains(&key.as_str()) {
                    return Err(unknown(&at.join("."), key, known));
                }
            }
        }
        return Ok(());
    };
    match (*first, v) {
        ("*", Value::Object(m)) => {
            for (k, child) in m.iter().filter(|(k, _)| !k.starts_with("x-")) {
                at.push(k.clone());
                let r = check_at(child, rest, at, known);
                at.pop();
                r?;
            }
        }
        ("[]", Value::Array(items)) => {
            for (i, child) in items.iter().enumerate() {
                at.push(i.to_string());
                let r = check_at(child, rest, at, known);
                at.pop();
                r?;
            }
        }
        (key, Value::Object(m)) => {
            if let Some(child) = m.get(key) {
                at.push(key.to_string());
                let r = check_at(child, rest, at, known);
                at.pop();
                r?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn unknown(at: &str, key: &str, known: &[&str]) -> String {
    let mut msg = format!("{at} additional properties '{key}' not allowed");
    let best = known
        .iter()
        .map(|k| (distance(key, k), *k))
        .min_by_key(|(d, _)| *d);
    if let Some((d, k)) = best {
        if d <= 2.max(key.len() / 4) && d > 0 {
            msg.push_str(&format!(" (did you mean `{k}`?)"));
        }
    }
    msg
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
        let err = validate_file(&tree, Path::new("/p/compose.yaml")).unwrap_err();
        assert_eq!(
            err,
            "validating /p/compose.yaml: services.web additional properties 'healtcheck' not allowed (did you mean `healthcheck`?)"
        );
    }

    #[test]
    fn far_keys_get_no_hint_and_extensions_pass() {
        let tree = json!({"services": {"web": {"zzzzzzzz": 1}}});
        let err = validate_file(&tree, Path::new("c.yaml")).unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
        let ok = json!({"x-common": 1, "services": {"web": {"x-note": 1, "image": "a"}}});
        assert!(validate_file(&ok, Path::new("c.yaml")).is_ok());
    }

    #[test]
    fn nested_keys_are_checked() {
        let tree = json!({"services": {"web": {"image": "x", "healthcheck": {"intervall": "1s"}}}});
        let err = validate_file(&tree, Path::new("c.yaml")).unwrap_err();
        assert!(
            err.ends_with("services.web.healthcheck additional properties 'intervall' not allowed (did you mean `interval`?)"),
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
            let got = validate_file(&tree, Path::new("c.yaml")).err();
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
}
