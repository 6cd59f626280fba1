//! Profiles switch services off unless enabled; every dependency of a kept service must exist
//! and be kept (unless `required: false`), and every network or named volume be declared.

use super::LoadOptions;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

pub(super) fn depends(svc: &Value) -> Vec<(String, bool)> {
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

pub(super) fn undefined_dependency(svc: &str, dep: &str) -> String {
    format!("service \"{svc}\" depends on undefined service \"{dep}\": invalid compose project")
}

pub(super) fn check_dependencies(
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
pub(super) fn apply_profiles(
    services: &mut Map<String, Value>,
    opts: &LoadOptions,
    env: &HashMap<String, String>,
) -> Result<Vec<String>, String> {
    let mut enabled: HashSet<String> = opts.profiles.iter().cloned().collect();
    // `--profile` flags replace COMPOSE_PROFILES rather than adding to it (compose-go's
    // WithDefaultProfiles reads the variable only when no flag was given).
    if let Some(p) = env
        .get("COMPOSE_PROFILES")
        .filter(|_| opts.profiles.is_empty())
    {
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
    let by_profile = keep.clone();
    // Services named on the command line are enabled (their dependencies are not: Docker
    // Compose then reports the missing dependency).
    for name in &opts.services {
        if !services.contains_key(name) {
            return Err(format!("no such service: {name}"));
        }
        keep.insert(name.clone());
    }
    let disabled: Vec<String> = services
        .keys()
        .filter(|k| !keep.contains(*k))
        .cloned()
        .collect();
    for d in &disabled {
        services.shift_remove(d);
    }
    // A dependency that is not required may point at a disabled service; it stays listed.
    // Compose checks the services its profiles enabled first; a service enabled only by being
    // named then misses its dependency as an unknown service.
    for by_name in [false, true] {
        for (name, svc) in services.iter() {
            if by_profile.contains(name) == by_name {
                continue;
            }
            for (dep, required) in depends(svc) {
                if required && !keep.contains(&dep) {
                    return Err(if by_name {
                        format!("no such service: {dep}")
                    } else {
                        undefined_dependency(name, &dep)
                    });
                }
            }
        }
    }
    Ok(disabled)
}

/// Keeps only `selected` and the services they depend on, transitively.
pub(super) fn keep_selected(services: &mut Map<String, Value>, selected: &[String]) {
    let mut keep: HashSet<String> = HashSet::new();
    let mut todo: Vec<String> = selected.to_vec();
    while let Some(name) = todo.pop() {
        if !keep.insert(name.clone()) {
            continue;
        }
        if let Some(svc) = services.get(&name) {
            todo.extend(depends(svc).into_iter().map(|(d, _)| d));
        }
    }
    services.retain(|k, _| keep.contains(k));
}

/// Every network and named volume a service uses must be declared (or be `default`).
pub(super) fn check_references(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selection_keeps_named_services_and_their_dependencies() {
        let Value::Object(mut services) = json!({
            "web": {"depends_on": {"api": {}}},
            "api": {"depends_on": {"db": {}, "cache": {"required": false}}},
            "db": {},
            "cache": {},
            "other": {"depends_on": {"db": {}}},
        }) else {
            unreachable!()
        };
        keep_selected(&mut services, &["web".to_string()]);
        let mut kept: Vec<&str> = services.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["api", "cache", "db", "web"]);
    }
}
