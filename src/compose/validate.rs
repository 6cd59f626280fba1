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

const HEALTHCHECK_KEYS: &[&str] = &[
    "disable",
    "interval",
    "retries",
    "test",
    "timeout",
    "start_period",
    "start_interval",
];

const BUILD_KEYS: &[&str] = &[
    "context",
    "dockerfile",
    "dockerfile_inline",
    "entitlements",
    "args",
    "ssh",
    "labels",
    "cache_from",
    "cache_to",
    "no_cache",
    "additional_contexts",
    "network",
    "provenance",
    "sbom",
    "pull",
    "target",
    "shm_size",
    "extra_hosts",
    "isolation",
    "privileged",
    "secrets",
    "tags",
    "ulimits",
    "platforms",
];

const NETWORK_KEYS: &[&str] = &[
    "name",
    "driver",
    "driver_opts",
    "ipam",
    "external",
    "internal",
    "enable_ipv4",
    "enable_ipv6",
    "attachable",
    "labels",
];

const VOLUME_KEYS: &[&str] = &["name", "driver", "driver_opts", "external", "labels"];

/// Known keys of nested mappings users often mistype.
fn check_nested(root: &serde_json::Map<String, Value>) -> Result<(), String> {
    let check = |at: String, v: Option<&Value>, known: &[&str]| -> Result<(), String> {
        if let Some(Value::Object(m)) = v {
            for key in m.keys() {
                if !key.starts_with("x-") && !known.contains(&key.as_str()) {
                    return Err(unknown(&at, key, known));
                }
            }
        }
        Ok(())
    };
    if let Some(Value::Object(services)) = root.get("services") {
        for (name, svc) in services {
            check(
                format!("services.{name}.healthcheck"),
                svc.get("healthcheck"),
                HEALTHCHECK_KEYS,
            )?;
            check(
                format!("services.{name}.build"),
                svc.get("build"),
                BUILD_KEYS,
            )?;
        }
    }
    for (kind, known) in [("networks", NETWORK_KEYS), ("volumes", VOLUME_KEYS)] {
        if let Some(Value::Object(items)) = root.get(kind) {
            for (name, item) in items {
                check(format!("{kind}.{name}"), Some(item), known)?;
            }
        }
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
    fn edit_distance() {
        assert_eq!(distance("healtcheck", "healthcheck"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}
