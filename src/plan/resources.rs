//! PURE networks and volumes of a project: what to create (with every option the compose file
//! gives), and what to make of one that already exists under that name, as Docker Compose
//! decides it (warn for a volume, refuse a network it did not create).

use super::runtime::{read, texts, NetworkExtra, VolumeExtra};
use super::spec::COMPOSE_VERSION;
use crate::compose::Project;
use crate::engine::{
    labels, ApiVersion, IpamPool, IpamSpec, NetworkSpec, NetworkSummary, VolumeSpec, VolumeSummary,
};
use std::collections::BTreeMap;

/// The labels of a network or volume the project creates: the user's, plus Compose's
/// resource (`kind` = key), project and version labels.
fn resource_labels(
    user: &indexmap::IndexMap<String, String>,
    project: &str,
    kind: &str,
    key: &str,
) -> BTreeMap<String, String> {
    let mut l: BTreeMap<String, String> = user.clone().into_iter().collect();
    l.insert(kind.into(), key.to_string());
    l.insert(labels::PROJECT.into(), project.to_string());
    l.insert(labels::VERSION.into(), COMPOSE_VERSION.into());
    l
}

/// The network `key` of the project as the engine should create it, with warnings for what
/// this engine would ignore.
pub fn network_spec(
    project: &Project,
    key: &str,
    api: ApiVersion,
) -> Result<(NetworkSpec, Vec<String>), String> {
    let net = project
        .networks
        .get(key)
        .ok_or_else(|| format!("network {key:?} is not defined"))?;
    let extra: NetworkExtra = read(&format!("network {key:?}"), &net.extra)?;
    let mut warnings = Vec::new();
    if extra.enable_ipv4 == Some(false) && api < ApiVersion(1, 48) {
        warnings.push(format!(
            "network {key:?}: enable_ipv4: false requires Docker Engine v28 or later; this engine (API {api}) ignores it"
        ));
    }
    let ipam = extra
        .ipam
        .as_ref()
        .filter(|i| i.driver.is_some() || !i.config.is_empty());
    let spec = NetworkSpec {
        name: net.name.clone(),
        driver: net.driver.clone(),
        driver_opts: texts(&extra.driver_opts),
        internal: net.internal,
        attachable: extra.attachable,
        enable_ipv6: extra.enable_ipv6,
        ipam: ipam.map(|i| IpamSpec {
            driver: i.driver.clone(),
            config: i
                .config
                .iter()
                .map(|p| IpamPool {
                    subnet: p.subnet.clone(),
                    ip_range: p.ip_range.clone(),
                    gateway: p.gateway.clone(),
                    aux_addresses: p.aux_addresses.clone(),
                })
                .collect(),
            options: texts(&i.options),
        }),
        labels: resource_labels(&net.labels, &project.name, labels::NETWORK, key),
    };
    Ok((spec, warnings))
}

/// The volume `key` of the project as the engine should create it.
pub fn volume_spec(project: &Project, key: &str) -> Result<VolumeSpec, String> {
    let vol = project
        .volumes
        .get(key)
        .ok_or_else(|| format!("volume {key:?} is not defined"))?;
    let extra: VolumeExtra = read(&format!("volume {key:?}"), &vol.extra)?;
    Ok(VolumeSpec {
        name: vol.name.clone(),
        driver: vol.driver.clone(),
        driver_opts: texts(&extra.driver_opts),
        labels: resource_labels(&vol.labels, &project.name, labels::VOLUME, key),
    })
}

/// What to make of network `key` found existing: a warning when another project or no Compose
/// created it, and a refusal when its network label says it is not this one.
pub fn existing_network(
    project: &str,
    key: &str,
    found: &NetworkSummary,
) -> (Option<String>, Result<(), String>) {
    let warning = match found.labels.get(labels::PROJECT) {
        None => Some(format!(
            "a network with name {} exists but was not created by compose.\nSet `external: true` to use an existing network",
            found.name
        )),
        Some(p) if p != project => Some(format!(
            "a network with name {} exists but was not created for project {project:?}.\nSet `external: true` to use an existing network",
            found.name
        )),
        Some(_) => None,
    };
    let label = found.labels.get(labels::NETWORK).map_or("", String::as_str);
    let verdict = if label == key {
        Ok(())
    } else {
        Err(format!(
            "network {} was found but has incorrect label {} set to {label:?} (expected: {key:?})",
            found.name,
            labels::NETWORK
        ))
    };
    (warning, verdict)
}

/// The warning for volume `found`, when another project or no Compose created it.
pub fn existing_volume(project: &str, found: &VolumeSummary) -> Option<String> {
    match found.labels.get(labels::PROJECT) {
        None => Some(format!(
            "volume {:?} already exists but was not created by Docker Compose. Use `external: true` to use an existing volume",
            found.name
        )),
        Some(p) if p != project => Some(format!(
            "volume {:?} already exists but was created for project {p:?} (expected {project:?}). Use `external: true` to use an existing volume",
            found.name
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{Network, Volume};
    use serde_json::json;

    fn project() -> Project {
        let mut p = Project {
            name: "p".into(),
            ..Default::default()
        };
        let extra = |v: serde_json::Value| {
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        p.networks.insert(
            "back".into(),
            Network {
                name: "p_back".into(),
                internal: true,
                labels: [("x".to_string(), "y".to_string())].into_iter().collect(),
                extra: extra(json!({
                    "attachable": true,
                    "enable_ipv6": false,
                    "enable_ipv4": false,
                    "driver_opts": {"com.docker.network.bridge.name": "brx", "mtu": 1400},
                    "ipam": {"driver": "default", "config": [{"subnet": "172.31.9.0/24", "aux_addresses": {"h": "172.31.9.3"}}]}
                })),
                ..Default::default()
            },
        );
        p.volumes.insert(
            "v".into(),
            Volume {
                name: "p_v".into(),
                extra: extra(json!({"driver_opts": {"type": "tmpfs", "device": "tmpfs"}})),
                ..Default::default()
            },
        );
        p
    }

    #[test]
    fn networks_carry_every_option() {
        let (spec, warnings) = network_spec(&project(), "back", ApiVersion(1, 41)).unwrap();
        assert!(spec.internal && spec.attachable);
        assert_eq!(spec.enable_ipv6, Some(false));
        assert_eq!(spec.driver_opts["mtu"], "1400");
        let ipam = spec.ipam.unwrap();
        assert_eq!(ipam.driver.as_deref(), Some("default"));
        assert_eq!(ipam.config[0].subnet.as_deref(), Some("172.31.9.0/24"));
        assert_eq!(ipam.config[0].aux_addresses["h"], "172.31.9.3");
        assert_eq!(spec.labels["x"], "y");
        assert_eq!(spec.labels[labels::NETWORK], "back");
        assert_eq!(spec.labels[labels::PROJECT], "p");
        assert_eq!(
            warnings.len(),
            1,
            "enable_ipv4 needs API 1.48: {warnings:?}"
        );
        let (_, warnings) = network_spec(&project(), "back", ApiVersion(1, 48)).unwrap();
        assert!(warnings.is_empty());
    }

    #[test]
    fn volumes_carry_driver_options() {
        let spec = volume_spec(&project(), "v").unwrap();
        assert_eq!(spec.driver_opts["type"], "tmpfs");
        assert_eq!(spec.labels[labels::VOLUME], "v");
    }

    #[test]
    fn foreign_networks_are_refused_and_volumes_warned_like_compose() {
        let net = |labels: &[(&str, &str)]| NetworkSummary {
            id: "n1".into(),
            name: "p_back".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let (warning, verdict) = existing_network("p", "back", &net(&[]));
        assert_eq!(
            warning.as_deref(),
            Some("a network with name p_back exists but was not created by compose.\nSet `external: true` to use an existing network")
        );
        assert_eq!(
            verdict,
            Err("network p_back was found but has incorrect label com.docker.compose.network set to \"\" (expected: \"back\")".into())
        );
        let ours = net(&[(labels::PROJECT, "p"), (labels::NETWORK, "back")]);
        assert_eq!(existing_network("p", "back", &ours), (None, Ok(())));
        let other = net(&[(labels::PROJECT, "q"), (labels::NETWORK, "back")]);
        let (warning, verdict) = existing_network("p", "back", &other);
        assert!(warning.unwrap().contains("not created for project \"p\""));
        assert_eq!(verdict, Ok(()));

        let vol = |labels: &[(&str, &str)]| VolumeSummary {
            name: "p_v".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        assert_eq!(
            existing_volume("p", &vol(&[])).as_deref(),
            Some("volume \"p_v\" already exists but was not created by Docker Compose. Use `external: true` to use an existing volume")
        );
        assert_eq!(existing_volume("p", &vol(&[(labels::PROJECT, "p")])), None);
        assert!(existing_volume("p", &vol(&[(labels::PROJECT, "q")]))
            .unwrap()
            .contains("created for project \"q\""));
    }
}
