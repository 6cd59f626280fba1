//! PURE translation of a compose service into the engine's container spec, with Docker
//! Compose's labels, so that both tools recognise each other's containers.

use super::{image_ref, ContainerStep};
use crate::compose::{parse_duration, Condition, Project, Service};
use crate::engine::{labels, ContainerSpec, HealthSpec, MountSpec};
use std::collections::{BTreeMap, HashMap};

/// The version written in `com.docker.compose.version`.
pub const COMPOSE_VERSION: &str = "2.40.3";

/// Builds the spec of a service's container. `environ` resolves `environment` entries that have
/// no value (passed through from the caller's environment when set there).
pub fn container_spec(
    project: &Project,
    service: &Service,
    step: &ContainerStep,
    environ: &HashMap<String, String>,
    oneoff: bool,
) -> ContainerSpec {
    let mut labels = service_labels(project, service, oneoff);
    labels.insert(labels::NUMBER.into(), step.number.to_string());
    labels.insert(labels::CONFIG_HASH.into(), step.config_hash.clone());
    labels.insert(labels::IMAGE.into(), step.image_id.clone());

    let mut exposed = Vec::new();
    let mut bindings = Vec::new();
    for p in &service.ports {
        let key = format!("{}/{}", p.target, p.protocol);
        exposed.push(key.clone());
        bindings.push((key, p.host_ip.clone(), p.published.clone()));
    }
    for e in &service.expose {
        let (port, proto) = e.split_once('/').unwrap_or((e.as_str(), "tcp"));
        exposed.push(format!("{port}/{proto}"));
    }
    exposed.sort();
    exposed.dedup();

    ContainerSpec {
        name: step.name.clone(),
        image: image_ref(project, service),
        command: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        env: environment(service, environ),
        labels,
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        hostname: service.hostname.clone(),
        tty: service.tty,
        stdin_open: service.stdin_open,
        healthcheck: healthcheck(service),
        exposed_ports: exposed,
        port_bindings: bindings,
        mounts: mounts(project, service),
        restart: service.restart.clone(),
        networks: networks(project, service),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service
            .stop_grace_period
            .as_deref()
            .and_then(parse_duration)
            .map(|d| d.as_secs() as i64),
        init: service.init,
        privileged: service.privileged,
        read_only: service.read_only,
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        extra_hosts: extra_hosts(&service.extra_hosts),
        dns: service.dns.clone(),
        tmpfs: service.tmpfs.clone(),
    }
}

/// Labels shared by every container of the service: the user's, then Docker Compose's.
pub fn service_labels(
    project: &Project,
    service: &Service,
    oneoff: bool,
) -> BTreeMap<String, String> {
    let mut l: BTreeMap<String, String> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    l.insert(labels::PROJECT.into(), project.name.clone());
    l.insert(labels::SERVICE.into(), service.name.clone());
    l.insert(
        labels::ONEOFF.into(),
        if oneoff { "True" } else { "False" }.into(),
    );
    l.insert(
        labels::WORKING_DIR.into(),
        project.working_dir.display().to_string(),
    );
    l.insert(
        labels::CONFIG_FILES.into(),
        project
            .config_files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(","),
    );
    l.insert(labels::DEPENDS_ON.into(), depends_on_label(service));
    l.insert(labels::VERSION.into(), COMPOSE_VERSION.into());
    l
}

/// Docker Compose's `depends_on` label: `service:condition:restart` joined by commas.
fn depends_on_label(service: &Service) -> String {
    service
        .depends_on
        .iter()
        .map(|(name, d)| {
            let condition = match d.condition {
                Condition::ServiceStarted => "service_started",
                Condition::ServiceHealthy => "service_healthy",
                Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
            };
            format!("{name}:{condition}:{}", d.restart)
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn environment(service: &Service, environ: &HashMap<String, String>) -> Vec<String> {
    service
        .environment
        .iter()
        .filter_map(|(k, v)| match v {
            Some(v) => Some(format!("{k}={v}")),
            None => environ.get(k).map(|v| format!("{k}={v}")),
        })
        .collect()
}

fn healthcheck(service: &Service) -> Option<HealthSpec> {
    let hc = service.healthcheck.as_ref()?;
    if hc.is_disabled() {
        return Some(HealthSpec {
            test: vec!["NONE".into()],
            ..Default::default()
        });
    }
    let ns = |d: &Option<String>| {
        d.as_deref()
            .and_then(parse_duration)
            .map(|d| d.as_nanos() as i64)
    };
    Some(HealthSpec {
        test: hc.test.clone().unwrap_or_default(),
        interval_ns: ns(&hc.interval),
        timeout_ns: ns(&hc.timeout),
        start_period_ns: ns(&hc.start_period),
        start_interval_ns: ns(&hc.start_interval),
        retries: hc.retries.map(|r| r as i64),
    })
}

fn mounts(project: &Project, service: &Service) -> Vec<MountSpec> {
    service
        .volumes
        .iter()
        .map(|m| {
            let source = match (m.kind.as_str(), &m.source) {
                ("volume", Some(key)) => Some(
                    project
                        .volumes
                        .get(key)
                        .map_or_else(|| key.clone(), |v| v.name.clone()),
                ),
                (_, s) => s.clone(),
            };
            MountSpec {
                kind: m.kind.clone(),
                source,
                target: m.target.clone(),
                read_only: m.read_only,
            }
        })
        .collect()
}

fn networks(project: &Project, service: &Service) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = service
        .networks
        .iter()
        .map(|(key, cfg)| {
            let name = project
                .networks
                .get(key)
                .map_or_else(|| format!("{}_{key}", project.name), |n| n.name.clone());
            let mut aliases = vec![service.name.clone()];
            if let Some(cfg) = cfg {
                aliases.extend(cfg.aliases.iter().cloned());
            }
            (name, aliases)
        })
        .collect();
    // Deterministic: the default network first, then by name, like Compose's priority-less order.
    out.sort_by(|a, b| {
        let da = a.0 == format!("{}_default", project.name);
        let db = b.0 == format!("{}_default", project.name);
        db.cmp(&da).then(a.0.cmp(&b.0))
    });
    out
}

fn extra_hosts(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(|s| s.replacen('=', ":", 1)))
            .collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(host, ips)| match ips {
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|ip| ip.as_str().map(|ip| format!("{host}:{ip}")))
                    .collect::<Vec<_>>(),
                serde_json::Value::String(ip) => vec![format!("{host}:{ip}")],
                _ => vec![],
            })
            .collect(),
        _ => vec![],
    }
}
