//! PURE translation of a compose service into the engine's container spec, with Docker
//! Compose's labels, so that both tools recognise each other's containers. Everything the
//! engine supports on the service is applied here; what it cannot do is reported by `check`.

use super::files::{self, Kind};
use super::runtime::{
    read, texts, BindOptions, DeviceRequest, EndpointExtra, Gpus, Runtime, Scalar, TmpfsOptions,
    Ulimit, VolumeOptions,
};
use super::{image_ref, ContainerStep, Peers};
use crate::compose::{parse_duration, Condition, Project, Service};
use crate::engine::{
    labels, ApiVersion, ContainerSpec, DeviceRequestSpec, DeviceSpec, EndpointSpec, HealthSpec,
    LogSpec, MountPoint, MountSpec, Resources, UlimitSpec,
};
use std::collections::{BTreeMap, HashMap};

/// The version written in `com.docker.compose.version`.
pub const COMPOSE_VERSION: &str = "2.40.3";

/// What a container's spec needs beyond its service.
pub struct Context<'a> {
    /// Resolves `environment` entries without a value (passed through from the caller's
    /// environment when set there) and secrets/configs from the environment.
    pub environ: &'a HashMap<String, String>,
    /// A one-off (`run`) container: only its own name as network alias.
    pub oneoff: bool,
    /// The project's containers by service: `network_mode: service:x`, `volumes_from`,
    /// `links` and `ipc`/`pid: service:x` name them.
    pub peers: &'a Peers,
    /// The container this one replaces: its anonymous volumes carry over.
    pub replaced: Option<&'a Replaced>,
}

/// What a recreated container inherits from the one it replaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replaced {
    pub mounts: Vec<MountPoint>,
    /// The `VOLUME` paths of the image the new container runs.
    pub image_volumes: Vec<String>,
}

/// Builds the spec of a service's container. Errors name what cannot be resolved (e.g. the
/// container of a service whose network namespace this one shares).
pub fn container_spec(
    project: &Project,
    service: &Service,
    step: &ContainerStep,
    cx: &Context,
) -> Result<ContainerSpec, String> {
    let rt = Runtime::of(service)?;
    let mut labels = service_labels(project, service, cx.oneoff);
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

    let mut mounts = mounts(project, service)?;
    if let Some(replaced) = cx.replaced {
        inherit(&mut mounts, service, replaced);
    }
    let mut file_mounts = Vec::new();
    let mut files = Vec::new();
    for kind in [Kind::Secret, Kind::Config] {
        let taken: Vec<String> = mounts.iter().map(|m| m.target.clone()).collect();
        let applied = files::apply(project, service, &rt, cx.environ, kind, &taken)?;
        file_mounts.extend(applied.mounts);
        files.extend(applied.files);
    }
    mounts.extend(file_mounts);

    let mut networks = if rt.network_mode.is_some() {
        Vec::new()
    } else {
        networks(project, service, &step.name, cx.oneoff)?
    };
    let links = links(project, &rt, step.number, cx.peers);
    for endpoint in &mut networks {
        endpoint.links = links.clone();
    }
    let mac_address = networks
        .first()
        .and_then(|e| e.mac_address.clone())
        .or_else(|| rt.mac_address.clone());
    if let Some(primary) = networks.first_mut() {
        primary.mac_address = mac_address.clone();
    }
    let network_mode = match &rt.network_mode {
        Some(mode) => Some(shared_namespace("network", mode, cx.peers)?),
        None if networks.is_empty() => Some("none".to_string()),
        None => None,
    };
    let (security_opt, unconfined_paths) = security_opts(&rt.security_opt);

    Ok(ContainerSpec {
        name: step.name.clone(),
        image: image_ref(project, service),
        platform: rt
            .platform
            .clone()
            .or_else(|| cx.environ.get("DOCKER_DEFAULT_PLATFORM").cloned())
            .filter(|p| !p.is_empty()),
        command: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        env: environment(service, cx.environ),
        labels,
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        hostname: service.hostname.clone(),
        domainname: rt.domainname.clone(),
        mac_address,
        tty: service.tty,
        stdin_open: service.stdin_open,
        healthcheck: healthcheck(service),
        exposed_ports: exposed,
        port_bindings: bindings,
        mounts,
        restart: restart(service, &rt)?,
        network_disabled: rt.network_mode.as_deref() == Some("disabled"),
        network_mode,
        networks,
        volumes_from: volumes_from(&rt, cx.peers)?,
        links,
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
        security_opt,
        unconfined_paths,
        extra_hosts: extra_hosts(&service.extra_hosts),
        dns: service.dns.clone(),
        dns_search: rt.dns_search.to_vec(),
        dns_opt: rt.dns_opt.clone(),
        tmpfs: service.tmpfs.clone(),
        pid: namespace("PID", &rt.pid, cx.peers)?,
        ipc: namespace("IPC", &rt.ipc, cx.peers)?,
        uts: rt.uts.clone(),
        userns_mode: rt.userns_mode.clone(),
        cgroupns: rt.cgroup.clone(),
        isolation: rt.isolation.clone(),
        runtime: rt.runtime.clone(),
        group_add: rt.group_add.iter().map(Scalar::text).collect(),
        oom_score_adj: rt.oom_score_adj.as_ref().map(Scalar::int).transpose()?,
        shm_size: rt.shm_size.as_ref().map(Scalar::bytes).transpose()?,
        sysctls: rt.sysctls.to_map(),
        storage_opt: rt.storage_opt.to_map(),
        annotations: rt.annotations.to_map(),
        volume_driver: rt.volume_driver.clone(),
        log: rt.logging.as_ref().map(|l| LogSpec {
            driver: l.driver.clone(),
            options: l
                .options
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.text())))
                .collect(),
        }),
        resources: resources(&rt)?,
        files,
    })
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

/// Options of a long-syntax volume entry (`bind:`, `volume:`, `tmpfs:`).
fn options<T: serde::de::DeserializeOwned + Default>(
    service: &Service,
    what: &str,
    v: &Option<serde_json::Value>,
) -> Result<T, String> {
    match v {
        Some(serde_json::Value::Object(map)) => read(
            &format!("service {:?} volume {what}", service.name),
            &map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        ),
        _ => Ok(T::default()),
    }
}

/// The service's `volumes`, sent as Docker Compose sends them: plain binds and named project
/// volumes as `Binds` strings, everything needing options as typed mounts.
fn mounts(project: &Project, service: &Service) -> Result<Vec<MountSpec>, String> {
    let mut out = Vec::new();
    for m in &service.volumes {
        let bind: BindOptions = options(service, "bind", &m.bind)?;
        let volume: VolumeOptions = options(service, "volume", &m.volume)?;
        let tmpfs: TmpfsOptions = options(service, "tmpfs", &m.tmpfs)?;
        let declared = match (m.kind.as_str(), &m.source) {
            ("volume", Some(key)) => project.volumes.get(key),
            _ => None,
        };
        let source = match declared {
            Some(v) => Some(v.name.clone()),
            None => m.source.clone(),
        };
        let legacy = match m.kind.as_str() {
            "bind" => {
                m.bind.is_none()
                    || (bind.create_host_path != Some(false)
                        && bind.propagation.is_none()
                        && bind.recursive.is_none())
            }
            "volume" => {
                declared.is_some()
                    && volume.labels.is_empty()
                    && volume.subpath.is_none()
                    && !volume.nocopy
            }
            _ => false,
        };
        out.push(MountSpec {
            kind: m.kind.clone(),
            source,
            target: m.target.clone(),
            read_only: m.read_only,
            legacy,
            selinux: bind.selinux.filter(|_| m.kind == "bind"),
            propagation: bind.propagation.filter(|_| m.kind == "bind"),
            no_copy: volume.nocopy,
            subpath: volume.subpath,
            tmpfs_size: tmpfs.size.as_ref().map(Scalar::bytes).transpose()?,
            tmpfs_mode: tmpfs.mode.as_ref().map(Scalar::mode).transpose()?,
            consistency: m.consistency.clone(),
        });
    }
    Ok(out)
}

/// Carries the replaced container's anonymous volumes over, as Compose does: whatever was
/// mounted at one of the image's `VOLUME` paths, and the volume of each service volume entry
/// without a source. Entries of the service with a source keep theirs.
fn inherit(mounts: &mut Vec<MountSpec>, service: &Service, replaced: &Replaced) {
    for old in replaced.mounts.iter().filter(|m| m.kind != "tmpfs") {
        let source = if old.kind == "volume" {
            old.name.clone()
        } else {
            old.source.clone()
        };
        let carried = MountSpec {
            kind: old.kind.clone(),
            source: Some(source),
            target: old.destination.clone(),
            read_only: !old.rw,
            ..Default::default()
        };
        let anonymous = service
            .volumes
            .iter()
            .any(|v| v.target == old.destination && v.source.is_none());
        if let Some(slot) = mounts.iter_mut().find(|m| m.target == old.destination) {
            if anonymous && slot.source.is_none() {
                *slot = carried;
            }
        } else if replaced.image_volumes.contains(&old.destination) {
            mounts.push(carried);
        }
    }
}

/// Of the volumes a container mounts by name, those that are anonymous volumes carried over
/// from a container it replaced (engine-generated 64-hex names the project does not declare).
pub fn carried_volumes(project: &Project, mounted: &[String]) -> Vec<String> {
    mounted
        .iter()
        .filter(|v| {
            v.len() == 64
                && v.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
        .filter(|v| !project.volumes.values().any(|d| &d.name == *v))
        .cloned()
        .collect()
}

/// The service's networks in Compose's order (highest `priority` first, then by key), each
/// with the container's name as an alias, and the service name and its aliases unless the
/// container is a one-off.
fn networks(
    project: &Project,
    service: &Service,
    container: &str,
    oneoff: bool,
) -> Result<Vec<EndpointSpec>, String> {
    let mut out = Vec::new();
    for (key, cfg) in &service.networks {
        let extra: EndpointExtra = match cfg {
            Some(c) => read(
                &format!("service {:?} network {key}", service.name),
                &c.extra,
            )?,
            None => EndpointExtra::default(),
        };
        let priority = extra
            .priority
            .as_ref()
            .map(Scalar::int)
            .transpose()?
            .unwrap_or(0);
        let name = project
            .networks
            .get(key)
            .map_or_else(|| format!("{}_{key}", project.name), |n| n.name.clone());
        let mut aliases = vec![container.to_string()];
        if !oneoff {
            aliases.push(service.name.clone());
            if let Some(cfg) = cfg {
                aliases.extend(cfg.aliases.iter().cloned());
            }
        }
        let endpoint = EndpointSpec {
            network: name,
            aliases,
            ipv4_address: cfg.as_ref().and_then(|c| c.ipv4_address.clone()),
            ipv6_address: cfg.as_ref().and_then(|c| c.ipv6_address.clone()),
            link_local_ips: extra.link_local_ips.clone(),
            mac_address: extra.mac_address.clone().filter(|m| !m.is_empty()),
            driver_opts: interface_opts(&extra),
            links: Vec::new(),
            gw_priority: extra.gw_priority.as_ref().map(Scalar::int).transpose()?,
        };
        out.push((priority, key.clone(), endpoint));
    }
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(out.into_iter().map(|(_, _, e)| e).collect())
}

/// The endpoint's driver options, with `interface_name` as the engine's option for it.
fn interface_opts(extra: &EndpointExtra) -> BTreeMap<String, String> {
    let mut opts = texts(&extra.driver_opts);
    if let Some(name) = &extra.interface_name {
        opts.insert("com.docker.network.endpoint.ifname".into(), name.clone());
    }
    opts
}

/// The first (lowest-numbered) container of `service` among the peers.
fn first_peer<'a>(peers: &'a Peers, service: &str) -> Option<&'a super::Peer> {
    peers.get(service).and_then(|p| p.first())
}

/// `network_mode`: `service:x` becomes `container:<id of x's container>`.
fn shared_namespace(what: &str, mode: &str, peers: &Peers) -> Result<String, String> {
    match mode.strip_prefix("service:") {
        Some(name) => first_peer(peers, name)
            .map(|p| format!("container:{}", p.id))
            .ok_or_else(|| {
                format!("cannot share {what} namespace with service {name}: container missing")
            }),
        None => Ok(mode.to_string()),
    }
}

/// `pid` / `ipc`, where `service:x` shares x's namespace.
fn namespace(what: &str, mode: &Option<String>, peers: &Peers) -> Result<Option<String>, String> {
    mode.as_deref()
        .map(|m| shared_namespace(what, m, peers))
        .transpose()
}

/// `volumes_from`: `service[:mode]` names the service's first container by id,
/// `container:name[:mode]` a container by name. The mode is kept (Compose drops it).
fn volumes_from(rt: &Runtime, peers: &Peers) -> Result<Vec<String>, String> {
    rt.volumes_from
        .iter()
        .map(|entry| {
            let (source, mode) = match entry.strip_prefix("container:") {
                Some(rest) => match rest.split_once(':') {
                    Some((name, mode)) => (name.to_string(), Some(mode)),
                    None => (rest.to_string(), None),
                },
                None => {
                    let (name, mode) = match entry.split_once(':') {
                        Some((name, mode)) => (name, Some(mode)),
                        None => (entry.as_str(), None),
                    };
                    let peer = first_peer(peers, name).ok_or_else(|| {
                        format!("cannot share volume with service {name}: container missing")
                    })?;
                    (peer.id.clone(), mode)
                }
            };
            Ok(match mode {
                Some(mode) => format!("{source}:{mode}"),
                None => source,
            })
        })
        .collect()
}

/// Legacy links, as Compose writes them: for each container of a linked service
/// `<container>:<alias>`, `<container>:<service>-<n>`, `<container>:<project>-<service>-<n>`
/// (n being this container's number), then the external links.
fn links(project: &Project, rt: &Runtime, number: u32, peers: &Peers) -> Vec<String> {
    let mut out = Vec::new();
    for link in &rt.links {
        let (target, alias) = link
            .split_once(':')
            .unwrap_or((link.as_str(), link.as_str()));
        for c in peers.get(target).into_iter().flatten() {
            out.push(format!("{}:{alias}", c.name));
            out.push(format!("{}:{target}-{number}", c.name));
            out.push(format!("{}:{}-{target}-{number}", c.name, project.name));
        }
    }
    for link in &rt.external_links {
        let (name, alias) = link
            .split_once(':')
            .unwrap_or((link.as_str(), link.as_str()));
        out.push(format!("{name}:{alias}"));
    }
    out
}

/// `security_opt` as the docker CLI passes it; `systempaths=unconfined` is not an option for
/// the engine but unmasks the system paths.
fn security_opts(opts: &[String]) -> (Vec<String>, bool) {
    let unconfined = opts.iter().any(|o| o == "systempaths=unconfined");
    let rest = opts
        .iter()
        .filter(|o| *o != "systempaths=unconfined")
        .cloned()
        .collect();
    (rest, unconfined)
}

/// `restart`, overridden by `deploy.restart_policy` as Compose does.
fn restart(service: &Service, rt: &Runtime) -> Result<Option<String>, String> {
    let Some(policy) = rt.deploy.as_ref().and_then(|d| d.restart_policy.as_ref()) else {
        return Ok(service.restart.clone());
    };
    let name = match policy.condition.as_deref().unwrap_or("") {
        "none" | "no" => "no",
        "any" | "always" | "" => "always",
        "on-failure" => "on-failure",
        "unless-stopped" => "unless-stopped",
        other => return Err(format!("unknown deploy.restart_policy.condition {other:?}")),
    };
    let attempts = policy
        .max_attempts
        .as_ref()
        .map(Scalar::int)
        .transpose()?
        .filter(|n| *n > 0 && name == "on-failure");
    Ok(Some(match attempts {
        Some(n) => format!("{name}:{n}"),
        None => name.to_string(),
    }))
}

fn device_request(
    d: &DeviceRequest,
    extra_capability: Option<&str>,
) -> Result<DeviceRequestSpec, String> {
    let mut capabilities = d.capabilities.clone();
    if let Some(c) = extra_capability {
        capabilities.push(c.to_string());
    }
    Ok(DeviceRequestSpec {
        driver: d.driver.clone(),
        count: d.count()?,
        device_ids: d.device_ids.clone(),
        capabilities: vec![capabilities],
        options: texts(&d.options),
    })
}

/// A CDI device name ("vendor.com/class=name"), requested through the "cdi" driver.
fn is_cdi(name: &str) -> bool {
    matches!(name.split_once('='), Some((kind, dev)) if kind.contains('/') && !dev.is_empty() && !kind.starts_with('/'))
}

/// Compose's `getDeployResources`: service-level limits, overridden by `deploy.resources`.
fn resources(rt: &Runtime) -> Result<Resources, String> {
    let int = |v: &Option<Scalar>| v.as_ref().map(Scalar::int).transpose();
    let bytes = |v: &Option<Scalar>| v.as_ref().map(Scalar::bytes).transpose();
    let mut r = Resources {
        cgroup_parent: rt.cgroup_parent.clone(),
        memory: bytes(&rt.mem_limit)?,
        memory_swap: bytes(&rt.memswap_limit)?,
        memory_reservation: bytes(&rt.mem_reservation)?,
        memory_swappiness: int(&rt.mem_swappiness)?.filter(|s| *s != 0),
        oom_kill_disable: Some(rt.oom_kill_disable),
        nano_cpus: rt
            .cpus
            .as_ref()
            .map(|c| c.float().map(|c| (c * 1e9) as i64))
            .transpose()?
            .filter(|n| *n != 0),
        cpu_shares: int(&rt.cpu_shares)?,
        cpu_period: int(&rt.cpu_period)?,
        cpu_quota: int(&rt.cpu_quota)?,
        cpu_realtime_period: rt.cpu_rt_period.as_ref().map(Scalar::micros).transpose()?,
        cpu_realtime_runtime: rt.cpu_rt_runtime.as_ref().map(Scalar::micros).transpose()?,
        cpu_count: int(&rt.cpu_count)?,
        cpu_percent: int(&rt.cpu_percent)?,
        cpuset_cpus: rt.cpuset.clone(),
        pids_limit: int(&rt.pids_limit)?.filter(|p| *p != 0),
        device_cgroup_rules: rt.device_cgroup_rules.clone(),
        ..Default::default()
    };
    if let Some(blkio) = &rt.blkio_config {
        let throttle = |list: &[super::runtime::ThrottleDevice]| {
            list.iter()
                .map(|t| Ok((t.path.clone(), t.rate.bytes()?)))
                .collect::<Result<Vec<_>, String>>()
        };
        r.blkio_weight = blkio
            .weight
            .as_ref()
            .map(|w| {
                w.int()
                    .and_then(|w| u16::try_from(w).map_err(|e| e.to_string()))
            })
            .transpose()?;
        r.blkio_weight_device = blkio
            .weight_device
            .iter()
            .map(|w| {
                let weight = w.weight.int()?;
                Ok((
                    w.path.clone(),
                    u16::try_from(weight).map_err(|e| e.to_string())?,
                ))
            })
            .collect::<Result<_, String>>()?;
        r.blkio_device_read_bps = throttle(&blkio.device_read_bps)?;
        r.blkio_device_write_bps = throttle(&blkio.device_write_bps)?;
        r.blkio_device_read_iops = throttle(&blkio.device_read_iops)?;
        r.blkio_device_write_iops = throttle(&blkio.device_write_iops)?;
    }
    if let Some(deploy) = &rt.deploy {
        if let Some(limits) = &deploy.resources.limits {
            if let Some(m) = bytes(&limits.memory)?.filter(|m| *m != 0) {
                r.memory = Some(m);
            }
            if let Some(c) = limits.cpus.as_ref().map(Scalar::float).transpose()? {
                if c != 0.0 {
                    r.nano_cpus = Some((c * 1e9) as i64);
                }
            }
            if let Some(p) = int(&limits.pids)?.filter(|p| *p > 0) {
                r.pids_limit = Some(p);
            }
        }
        if let Some(reservations) = &deploy.resources.reservations {
            // CPU reservations are Swarm's; memory and devices apply.
            if let Some(m) = bytes(&reservations.memory)?.filter(|m| *m != 0) {
                r.memory_reservation = Some(m);
            }
            for d in &reservations.devices {
                r.device_requests.push(device_request(d, None)?);
            }
        }
    }
    let mut cdi = Vec::new();
    for device in &rt.devices {
        let (host, container, permissions) = device.parts();
        if host == container && is_cdi(&host) {
            cdi.push(host);
            continue;
        }
        r.devices.push(DeviceSpec {
            path_on_host: host,
            path_in_container: container,
            cgroup_permissions: permissions,
        });
    }
    if !cdi.is_empty() {
        r.device_requests.push(DeviceRequestSpec {
            driver: Some("cdi".into()),
            device_ids: cdi,
            ..Default::default()
        });
    }
    match &rt.gpus {
        Some(Gpus::All(all)) if all == "all" => r.device_requests.push(DeviceRequestSpec {
            count: Some(-1),
            capabilities: vec![vec!["gpu".into()]],
            ..Default::default()
        }),
        Some(Gpus::All(other)) => return Err(format!("gpus: {other:?} is not \"all\" or a list")),
        Some(Gpus::List(list)) => {
            for d in list {
                r.device_requests.push(device_request(d, Some("gpu"))?);
            }
        }
        None => {}
    }
    for (name, limit) in &rt.ulimits {
        let (soft, hard) = match limit {
            Ulimit::Single(v) => (v.int()?, v.int()?),
            Ulimit::Pair { soft, hard } => (soft.int()?, hard.int()?),
        };
        r.ulimits.push(UlimitSpec {
            name: name.clone(),
            soft,
            hard,
        });
    }
    Ok(r)
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

/// Keys of a service that mls does not apply (they are not engine settings, or need features
/// mls lacks); each is named in a warning instead of being dropped in silence.
const NOT_APPLIED: &[&str] = &[
    "post_start",
    "pre_stop",
    "credential_spec",
    "use_api_socket",
    "models",
];

/// What the engine at `api` cannot do for `service`: `Err` for what Compose refuses, warnings
/// for what the engine would silently ignore. Also reports malformed runtime keys and
/// secrets/configs that cannot be provided.
pub fn check(
    project: &Project,
    service: &Service,
    environ: &HashMap<String, String>,
    api: ApiVersion,
) -> Result<Vec<String>, String> {
    let rt = Runtime::of(service)?;
    let name = &service.name;
    let mut warnings = Vec::new();
    if let Some(hc) = &service.healthcheck {
        if hc.start_interval.is_some() && !hc.is_disabled() {
            if api < ApiVersion(1, 44) {
                return Err("can't set healthcheck.start_interval as feature require Docker Engine v25 or later".into());
            }
            if hc.start_period.is_none() {
                return Err(
                    "healthcheck.start_interval requires healthcheck.start_period to be set".into(),
                );
            }
        }
    }
    check_networks(project, service, &rt, api, &mut warnings)?;
    for m in &service.volumes {
        if m.kind == "image" && api < ApiVersion(1, 48) {
            return Err("volume with type=image require Docker Engine v28 or later".into());
        }
        let volume: VolumeOptions = options(service, "volume", &m.volume)?;
        if volume.subpath.is_some() && api < ApiVersion(1, 45) {
            return Err(format!(
                "service {name:?}: volume.subpath for {} requires Docker Engine v26 or later",
                m.target
            ));
        }
        let bind: BindOptions = options(service, "bind", &m.bind)?;
        if bind.recursive.is_some() {
            warnings.push(format!(
                "service {name:?}: bind.recursive for {} is not applied by mls",
                m.target
            ));
        }
    }
    if !rt.annotations.is_empty() && api < ApiVersion(1, 43) {
        warnings.push(format!(
            "service {name:?}: annotations require Docker Engine v24 or later; this engine (API {api}) ignores them"
        ));
    }
    for key in NOT_APPLIED {
        if service.extra.contains_key(*key) {
            warnings.push(format!(
                "service {name:?}: `{key}` is not supported by mls and is ignored"
            ));
        }
    }
    for kind in [Kind::Secret, Kind::Config] {
        let applied = files::apply(project, service, &rt, environ, kind, &[])?;
        warnings.extend(applied.warnings);
    }
    resources(&rt)?;
    restart(service, &rt)?;
    Ok(warnings)
}

/// Per-network settings that need a newer engine.
fn check_networks(
    project: &Project,
    service: &Service,
    rt: &Runtime,
    api: ApiVersion,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let endpoints = networks(project, service, "", false)?;
    let with_mac: Vec<&str> = endpoints
        .iter()
        .filter(|e| e.mac_address.is_some())
        .map(|e| e.network.as_str())
        .collect();
    if let (Some(service_mac), Some(primary)) = (&rt.mac_address, endpoints.first()) {
        if primary
            .mac_address
            .as_ref()
            .is_some_and(|m| m != service_mac)
        {
            return Err(format!(
                "the service-level mac_address should have the same value as network {}",
                primary.network
            ));
        }
    }
    if api < ApiVersion(1, 44) && with_mac.len() > 1 {
        return Err(format!(
            "a MAC address is specified for multiple networks ({}), but this feature requires Docker Engine v25 or later",
            with_mac.join(", ")
        ));
    }
    if api < ApiVersion(1, 49)
        && endpoints.iter().any(|e| {
            e.driver_opts
                .contains_key("com.docker.network.endpoint.ifname")
        })
    {
        return Err("interface_name requires Docker Engine v28.1 or later".into());
    }
    if api < ApiVersion(1, 48) && endpoints.iter().any(|e| e.gw_priority.is_some()) {
        warnings.push(format!(
            "service {:?}: gw_priority requires Docker Engine v28 or later; this engine (API {api}) ignores it",
            service.name
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
