//! The Engine API request bodies for creating containers, networks and volumes: plain specs in,
//! bollard models out. Pure mapping, kept apart from the calls in `docker.rs`.

use super::{ContainerSpec, EndpointSpec, EngineError, MountSpec, NetworkSpec, Result, VolumeSpec};
use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointIpamConfig, EndpointSettings,
    HealthConfig, HostConfig, HostConfigLogConfig, Ipam, IpamConfig, Mount, MountBindOptions,
    MountTmpfsOptions, MountType, MountVolumeOptions, NetworkCreateRequest, NetworkingConfig,
    PortBinding, ResourcesBlkioWeightDevice, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum, ThrottleDevice, VolumeCreateRequest,
};
use std::collections::{BTreeMap, HashMap};

pub(super) fn hash(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn non_empty_map(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!map.is_empty()).then(|| hash(map))
}

/// "no", "always", "unless-stopped", "on-failure" or "on-failure:N".
pub(super) fn restart_policy(text: &str) -> Result<RestartPolicy> {
    let (name, count) = match text.split_once(':') {
        Some((name, count)) => (name, Some(count)),
        None => (text, None),
    };
    let name = match name {
        "" | "no" => RestartPolicyNameEnum::NO,
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        other => {
            return Err(EngineError::Api(format!(
                "invalid restart policy {other:?}: use no, always, unless-stopped or on-failure[:N]"
            )))
        }
    };
    let maximum_retry_count = match count {
        Some(n) if name == RestartPolicyNameEnum::ON_FAILURE => {
            Some(n.parse::<i64>().map_err(|_| {
                EngineError::Api(format!(
                    "invalid restart policy {text:?}: {n:?} is not a count"
                ))
            })?)
        }
        Some(_) => {
            return Err(EngineError::Api(format!(
                "invalid restart policy {text:?}: only on-failure takes a retry count"
            )))
        }
        None => None,
    };
    Ok(RestartPolicy {
        name: Some(name),
        maximum_retry_count,
    })
}

/// "8000" means "8000/tcp", as in the Engine API's own shorthand.
fn port_key(port: &str) -> String {
    if port.contains('/') {
        port.to_string()
    } else {
        format!("{port}/tcp")
    }
}

/// A `Binds` string ("src:dst:rw[,z][,nocopy]") for mounts sent the legacy way, as Docker
/// Compose does: for a bind, the engine then creates a missing host directory instead of
/// refusing to start (moby/moby#43483).
fn bind_string(m: &MountSpec) -> Option<String> {
    let source = m.source.as_deref().filter(|_| m.legacy)?;
    let mut options = vec![if m.read_only { "ro" } else { "rw" }];
    if let Some(z) = &m.selinux {
        options.push(z);
    }
    if m.no_copy {
        options.push("nocopy");
    }
    Some(format!("{source}:{}:{}", m.target, options.join(",")))
}

fn mount(m: &MountSpec) -> Result<Mount> {
    let typ = match m.kind.as_str() {
        "bind" => MountType::BIND,
        "volume" => MountType::VOLUME,
        "tmpfs" => MountType::TMPFS,
        other => {
            return Err(EngineError::Api(format!(
                "unsupported mount type {other:?} for {}: use bind, volume or tmpfs",
                m.target
            )))
        }
    };
    let propagation = m
        .propagation
        .as_deref()
        .map(|p| {
            p.parse().map_err(|_| {
                EngineError::Api(format!("invalid bind propagation {p:?} for {}", m.target))
            })
        })
        .transpose()?;
    let bind_options =
        (typ == MountType::BIND && propagation.is_some()).then(|| MountBindOptions {
            propagation,
            ..Default::default()
        });
    let volume_options =
        (typ == MountType::VOLUME && (m.no_copy || m.subpath.is_some())).then(|| {
            MountVolumeOptions {
                no_copy: m.no_copy.then_some(true),
                subpath: m.subpath.clone(),
                ..Default::default()
            }
        });
    let tmpfs_options = (typ == MountType::TMPFS
        && (m.tmpfs_size.is_some() || m.tmpfs_mode.is_some()))
    .then(|| MountTmpfsOptions {
        size_bytes: m.tmpfs_size,
        mode: m.tmpfs_mode.map(i64::from),
        ..Default::default()
    });
    Ok(Mount {
        target: Some(m.target.clone()),
        source: m.source.clone(),
        typ: Some(typ),
        read_only: Some(m.read_only),
        consistency: m.consistency.clone(),
        bind_options,
        volume_options,
        tmpfs_options,
        ..Default::default()
    })
}

/// The endpoint settings of one network a container joins.
pub(super) fn endpoint(e: &EndpointSpec) -> EndpointSettings {
    let ipam =
        (e.ipv4_address.is_some() || e.ipv6_address.is_some() || !e.link_local_ips.is_empty())
            .then(|| EndpointIpamConfig {
                ipv4_address: e.ipv4_address.clone(),
                ipv6_address: e.ipv6_address.clone(),
                link_local_ips: non_empty(e.link_local_ips.clone()),
            });
    EndpointSettings {
        aliases: non_empty(e.aliases.clone()),
        links: non_empty(e.links.clone()),
        ipam_config: ipam,
        mac_address: e.mac_address.clone(),
        driver_opts: non_empty_map(&e.driver_opts),
        gw_priority: e.gw_priority,
        ..Default::default()
    }
}

fn resources(spec: &ContainerSpec, host: &mut HostConfig) {
    let r = &spec.resources;
    let throttle = |list: &[(String, i64)]| {
        non_empty(
            list.iter()
                .map(|(path, rate)| ThrottleDevice {
                    path: Some(path.clone()),
                    rate: Some(*rate),
                })
                .collect(),
        )
    };
    host.cgroup_parent = r.cgroup_parent.clone();
    host.memory = r.memory;
    host.memory_swap = r.memory_swap;
    host.memory_reservation = r.memory_reservation;
    host.memory_swappiness = r.memory_swappiness;
    host.oom_kill_disable = r.oom_kill_disable;
    host.nano_cpus = r.nano_cpus;
    host.cpu_shares = r.cpu_shares;
    host.cpu_period = r.cpu_period;
    host.cpu_quota = r.cpu_quota;
    host.cpu_realtime_period = r.cpu_realtime_period;
    host.cpu_realtime_runtime = r.cpu_realtime_runtime;
    host.cpu_count = r.cpu_count;
    host.cpu_percent = r.cpu_percent;
    host.cpuset_cpus = r.cpuset_cpus.clone();
    host.pids_limit = r.pids_limit;
    host.blkio_weight = r.blkio_weight;
    host.blkio_weight_device = non_empty(
        r.blkio_weight_device
            .iter()
            .map(|(path, weight)| ResourcesBlkioWeightDevice {
                path: Some(path.clone()),
                weight: Some(usize::from(*weight)),
            })
            .collect(),
    );
    host.blkio_device_read_bps = throttle(&r.blkio_device_read_bps);
    host.blkio_device_write_bps = throttle(&r.blkio_device_write_bps);
    host.blkio_device_read_iops = throttle(&r.blkio_device_read_iops);
    host.blkio_device_write_iops = throttle(&r.blkio_device_write_iops);
    host.devices = non_empty(
        r.devices
            .iter()
            .map(|d| DeviceMapping {
                path_on_host: Some(d.path_on_host.clone()),
                path_in_container: Some(d.path_in_container.clone()),
                cgroup_permissions: Some(d.cgroup_permissions.clone()),
            })
            .collect(),
    );
    host.device_requests = non_empty(
        r.device_requests
            .iter()
            .map(|d| DeviceRequest {
                driver: d.driver.clone(),
                count: d.count,
                device_ids: non_empty(d.device_ids.clone()),
                capabilities: non_empty(d.capabilities.clone()),
                options: non_empty_map(&d.options),
            })
            .collect(),
    );
    host.device_cgroup_rules = non_empty(r.device_cgroup_rules.clone());
    host.ulimits = non_empty(
        r.ulimits
            .iter()
            .map(|u| ResourcesUlimits {
                name: Some(u.name.clone()),
                soft: Some(u.soft),
                hard: Some(u.hard),
            })
            .collect(),
    );
}

fn enum_field<T: std::str::FromStr>(what: &str, value: &Option<String>) -> Result<Option<T>> {
    value
        .as_deref()
        .map(|v| {
            v.parse()
                .map_err(|_| EngineError::Api(format!("invalid {what} {v:?}")))
        })
        .transpose()
}

/// The create body for `spec`: everything but the name and platform, which are query
/// parameters.
pub(super) fn create_body(spec: &ContainerSpec) -> Result<ContainerCreateBody> {
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for (port, ip, host_port) in &spec.port_bindings {
        port_bindings
            .entry(port_key(port))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: ip.clone().filter(|s| !s.is_empty()),
                host_port: host_port.clone().filter(|s| !s.is_empty()),
            });
    }
    // Bound ports must also be exposed, as the docker CLI does for `-p`.
    let mut exposed: Vec<String> = spec.exposed_ports.iter().map(|p| port_key(p)).collect();
    exposed.extend(port_bindings.keys().cloned());
    exposed.sort();
    exposed.dedup();

    let tmpfs: HashMap<String, String> = spec
        .tmpfs
        .iter()
        .map(|t| match t.split_once(':') {
            Some((path, opts)) => (path.to_string(), opts.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect();

    // An explicit network mode (host, none, container:...) joins no network of the project.
    let primary = spec
        .networks
        .first()
        .filter(|_| spec.network_mode.is_none());
    let networking_config = primary.map(|e| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(e.network.clone(), endpoint(e))])),
    });
    let network_mode = spec
        .network_mode
        .clone()
        .or_else(|| primary.map(|e| e.network.clone()));

    // Empty port bindings and extra hosts are sent as empty, not absent, as Compose sends
    // them: `docker inspect` then shows the same `{}` / `[]`.
    let mut host_config = HostConfig {
        port_bindings: Some(port_bindings),
        binds: non_empty(spec.mounts.iter().filter_map(bind_string).collect()),
        mounts: non_empty(
            spec.mounts
                .iter()
                .filter(|m| bind_string(m).is_none())
                .map(mount)
                .collect::<Result<_>>()?,
        ),
        restart_policy: spec.restart.as_deref().map(restart_policy).transpose()?,
        network_mode,
        volumes_from: non_empty(spec.volumes_from.clone()),
        links: non_empty(spec.links.clone()),
        init: spec.init,
        privileged: Some(spec.privileged),
        readonly_rootfs: Some(spec.read_only),
        cap_add: non_empty(spec.cap_add.clone()),
        cap_drop: non_empty(spec.cap_drop.clone()),
        security_opt: non_empty(spec.security_opt.clone()),
        extra_hosts: Some(spec.extra_hosts.clone()),
        dns: non_empty(spec.dns.clone()),
        dns_search: non_empty(spec.dns_search.clone()),
        dns_options: non_empty(spec.dns_opt.clone()),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        pid_mode: spec.pid.clone(),
        ipc_mode: spec.ipc.clone(),
        uts_mode: spec.uts.clone(),
        userns_mode: spec.userns_mode.clone(),
        cgroupns_mode: enum_field("cgroup mode", &spec.cgroupns)?,
        isolation: enum_field("isolation", &spec.isolation)?,
        runtime: spec.runtime.clone(),
        group_add: non_empty(spec.group_add.clone()),
        oom_score_adj: spec.oom_score_adj,
        shm_size: spec.shm_size,
        sysctls: non_empty_map(&spec.sysctls),
        storage_opt: non_empty_map(&spec.storage_opt),
        annotations: non_empty_map(&spec.annotations),
        volume_driver: spec.volume_driver.clone(),
        log_config: spec.log.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: non_empty_map(&l.options),
        }),
        ..Default::default()
    };
    if spec.unconfined_paths {
        host_config.masked_paths = Some(Vec::new());
        host_config.readonly_paths = Some(Vec::new());
    }
    resources(spec, &mut host_config);

    let healthcheck = spec.healthcheck.as_ref().map(|h| HealthConfig {
        test: Some(h.test.clone()),
        interval: h.interval_ns,
        timeout: h.timeout_ns,
        retries: h.retries,
        start_period: h.start_period_ns,
        start_interval: h.start_interval_ns,
    });

    let oneoff = spec.labels.get(super::labels::ONEOFF).map(String::as_str) == Some("True");
    Ok(ContainerCreateBody {
        image: Some(spec.image.clone()),
        cmd: spec.command.clone(),
        entrypoint: spec.entrypoint.clone(),
        env: non_empty(spec.env.clone()),
        labels: Some(hash(&spec.labels)),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        tty: Some(spec.tty),
        open_stdin: Some(spec.stdin_open),
        attach_stdin: Some(spec.stdin_open),
        // As Compose: one-off containers are created attached, so their stdin closes when
        // the client's does.
        stdin_once: Some(spec.stdin_open && oneoff),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        healthcheck,
        exposed_ports: non_empty(exposed),
        network_disabled: spec.network_disabled.then_some(true),
        stop_signal: spec.stop_signal.clone(),
        stop_timeout: spec.stop_timeout,
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    })
}

/// The create body as JSON, with the container-wide `MacAddress` that engines before API 1.44
/// read (and only read) for the primary network; later engines take it from the endpoint.
pub(super) fn create_json_with_mac(
    body: &ContainerCreateBody,
    mac: &str,
) -> Result<serde_json::Value> {
    let mut json = serde_json::to_value(body)
        .map_err(|e| EngineError::Api(format!("cannot encode the container: {e}")))?;
    if let Some(map) = json.as_object_mut() {
        map.insert("MacAddress".into(), serde_json::Value::String(mac.into()));
    }
    Ok(json)
}

pub(super) fn network_body(spec: &NetworkSpec) -> NetworkCreateRequest {
    let ipam = spec.ipam.as_ref().map(|i| Ipam {
        driver: i.driver.clone(),
        config: Some(
            i.config
                .iter()
                .map(|p| IpamConfig {
                    subnet: p.subnet.clone(),
                    ip_range: p.ip_range.clone(),
                    gateway: p.gateway.clone(),
                    auxiliary_addresses: non_empty_map(&p.aux_addresses),
                })
                .collect(),
        ),
        options: non_empty_map(&i.options),
    });
    NetworkCreateRequest {
        name: spec.name.clone(),
        driver: spec.driver.clone(),
        internal: Some(spec.internal),
        attachable: Some(spec.attachable),
        enable_ipv6: spec.enable_ipv6,
        ipam,
        options: non_empty_map(&spec.driver_opts),
        labels: Some(hash(&spec.labels)),
        ..Default::default()
    }
}

pub(super) fn volume_body(spec: &VolumeSpec) -> VolumeCreateRequest {
    VolumeCreateRequest {
        name: Some(spec.name.clone()),
        driver: spec.driver.clone(),
        driver_opts: non_empty_map(&spec.driver_opts),
        labels: Some(hash(&spec.labels)),
        ..Default::default()
    }
}

/// A tar holding one file at its absolute path, extracted at `/` in the container.
pub(super) fn file_tar(file: &super::FileSpec) -> Result<Vec<u8>> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(file.content.len() as u64);
    header.set_mode(file.mode);
    header.set_uid(file.uid);
    header.set_gid(file.gid);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    header.set_mtime(now);
    let mut builder = tar::Builder::new(Vec::new());
    let path = file.path.trim_start_matches('/');
    builder
        .append_data(&mut header, path, file.content.as_slice())
        .and_then(|()| builder.into_inner())
        .map_err(|e| EngineError::Api(format!("cannot write {} into a tar: {e}", file.path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{
        DeviceRequestSpec, DeviceSpec, FileSpec, HealthSpec, IpamPool, IpamSpec, LogSpec,
        Resources, UlimitSpec,
    };

    #[test]
    fn restart_policies_parse_like_docker() {
        let p = restart_policy("on-failure:3").unwrap();
        assert_eq!(p.name, Some(RestartPolicyNameEnum::ON_FAILURE));
        assert_eq!(p.maximum_retry_count, Some(3));
        assert_eq!(
            restart_policy("unless-stopped").unwrap().name,
            Some(RestartPolicyNameEnum::UNLESS_STOPPED)
        );
        assert_eq!(
            restart_policy("no").unwrap().name,
            Some(RestartPolicyNameEnum::NO)
        );
        assert!(restart_policy("sometimes").is_err());
        assert!(restart_policy("always:2").is_err());
        assert!(restart_policy("on-failure:x").is_err());
    }

    fn mount_spec(kind: &str, source: Option<&str>, target: &str) -> MountSpec {
        MountSpec {
            kind: kind.into(),
            source: source.map(String::from),
            target: target.into(),
            ..Default::default()
        }
    }

    #[test]
    fn create_body_maps_the_spec() {
        let spec = ContainerSpec {
            name: "p-web-1".into(),
            image: "img".into(),
            port_bindings: vec![
                ("80".into(), None, Some("8080".into())),
                ("80/tcp".into(), Some("127.0.0.1".into()), Some("".into())),
            ],
            exposed_ports: vec!["9000/udp".into()],
            mounts: vec![
                MountSpec {
                    read_only: true,
                    ..mount_spec("volume", Some("p_data"), "/data")
                },
                MountSpec {
                    legacy: true,
                    ..mount_spec("bind", Some("/srv/app"), "/app")
                },
                MountSpec {
                    legacy: true,
                    read_only: true,
                    selinux: Some("z".into()),
                    no_copy: true,
                    ..mount_spec("volume", Some("p_cache"), "/cache")
                },
                MountSpec {
                    propagation: Some("rshared".into()),
                    ..mount_spec("bind", Some("/srv/shared"), "/shared")
                },
                MountSpec {
                    tmpfs_size: Some(1024),
                    tmpfs_mode: Some(0o1777),
                    ..mount_spec("tmpfs", None, "/scratch")
                },
            ],
            networks: vec![
                EndpointSpec {
                    ipv4_address: Some("10.5.0.9".into()),
                    links: vec!["p-db-1:db".into()],
                    ..EndpointSpec::new("p_default", &["p-web-1", "web"])
                },
                EndpointSpec::new("other", &[]),
            ],
            tmpfs: vec!["/run:size=1m".into(), "/tmp".into()],
            healthcheck: Some(HealthSpec {
                test: vec!["CMD".into(), "true".into()],
                interval_ns: Some(1_000_000_000),
                ..Default::default()
            }),
            restart: Some("always".into()),
            ..Default::default()
        };
        let body = create_body(&spec).unwrap();
        let host = body.host_config.unwrap();
        let bindings = host.port_bindings.unwrap();
        let web = bindings["80/tcp"].as_ref().unwrap();
        assert_eq!(web.len(), 2);
        assert_eq!(web[0].host_port.as_deref(), Some("8080"));
        assert_eq!(web[1].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(web[1].host_port, None);
        assert_eq!(
            body.exposed_ports.unwrap(),
            vec!["80/tcp".to_string(), "9000/udp".to_string()]
        );
        assert_eq!(host.network_mode.as_deref(), Some("p_default"));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(endpoints.len(), 1, "the others are connected after create");
        let primary = &endpoints["p_default"];
        assert_eq!(
            primary.aliases,
            Some(vec!["p-web-1".to_string(), "web".to_string()])
        );
        assert_eq!(
            primary
                .ipam_config
                .as_ref()
                .unwrap()
                .ipv4_address
                .as_deref(),
            Some("10.5.0.9")
        );
        assert_eq!(primary.links, Some(vec!["p-db-1:db".to_string()]));
        assert_eq!(
            host.binds,
            Some(vec![
                "/srv/app:/app:rw".to_string(),
                "p_cache:/cache:ro,z,nocopy".to_string()
            ])
        );
        let mounts = host.mounts.unwrap();
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].typ, Some(MountType::VOLUME));
        assert_eq!(mounts[0].read_only, Some(true));
        assert_eq!(mounts[1].typ, Some(MountType::BIND));
        assert_eq!(
            mounts[1]
                .bind_options
                .as_ref()
                .unwrap()
                .propagation
                .as_ref()
                .map(|p| p.as_ref().to_string()),
            Some("rshared".to_string())
        );
        let tmpfs_options = mounts[2].tmpfs_options.as_ref().unwrap();
        assert_eq!(tmpfs_options.size_bytes, Some(1024));
        assert_eq!(tmpfs_options.mode, Some(0o1777));
        let tmpfs = host.tmpfs.unwrap();
        assert_eq!(tmpfs["/run"], "size=1m");
        assert_eq!(tmpfs["/tmp"], "");
        assert_eq!(body.healthcheck.unwrap().interval, Some(1_000_000_000));
        assert_eq!(
            host.restart_policy.unwrap().name,
            Some(RestartPolicyNameEnum::ALWAYS)
        );
    }

    #[test]
    fn host_config_carries_namespaces_limits_and_devices() {
        let spec = ContainerSpec {
            name: "p-b-1".into(),
            image: "img".into(),
            domainname: Some("example.org".into()),
            network_mode: Some("container:abc".into()),
            networks: vec![EndpointSpec::new("p_default", &["b"])],
            volumes_from: vec!["abc:ro".into()],
            pid: Some("host".into()),
            ipc: Some("shareable".into()),
            cgroupns: Some("private".into()),
            isolation: Some("default".into()),
            security_opt: vec!["no-new-privileges:true".into()],
            unconfined_paths: true,
            group_add: vec!["100".into()],
            oom_score_adj: Some(100),
            shm_size: Some(32 << 20),
            sysctls: BTreeMap::from([("net.core.somaxconn".into(), "1024".into())]),
            log: Some(LogSpec {
                driver: Some("json-file".into()),
                options: BTreeMap::from([("max-size".into(), "1m".into())]),
            }),
            resources: Resources {
                memory: Some(48 << 20),
                nano_cpus: Some(250_000_000),
                pids_limit: Some(50),
                oom_kill_disable: Some(false),
                blkio_weight: Some(300),
                blkio_weight_device: vec![("/dev/sda".into(), 400)],
                blkio_device_read_bps: vec![("/dev/sda".into(), 1 << 20)],
                devices: vec![DeviceSpec {
                    path_on_host: "/dev/null".into(),
                    path_in_container: "/dev/xnull".into(),
                    cgroup_permissions: "rwm".into(),
                }],
                device_requests: vec![DeviceRequestSpec {
                    count: Some(-1),
                    capabilities: vec![vec!["gpu".into()]],
                    ..Default::default()
                }],
                ulimits: vec![UlimitSpec {
                    name: "nofile".into(),
                    soft: 1024,
                    hard: 2048,
                }],
                ..Default::default()
            },
            ..Default::default()
        };
        let body = create_body(&spec).unwrap();
        assert_eq!(body.domainname.as_deref(), Some("example.org"));
        assert!(
            body.networking_config.is_none(),
            "a network mode joins no project network"
        );
        let host = body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("container:abc"));
        assert_eq!(host.volumes_from, Some(vec!["abc:ro".to_string()]));
        assert_eq!(host.pid_mode.as_deref(), Some("host"));
        assert_eq!(host.ipc_mode.as_deref(), Some("shareable"));
        assert_eq!(
            host.cgroupns_mode.map(|m| m.as_ref().to_string()),
            Some("private".to_string())
        );
        assert_eq!(host.masked_paths, Some(vec![]));
        assert_eq!(host.readonly_paths, Some(vec![]));
        assert_eq!(host.group_add, Some(vec!["100".to_string()]));
        assert_eq!(host.oom_score_adj, Some(100));
        assert_eq!(host.shm_size, Some(32 << 20));
        assert_eq!(host.sysctls.unwrap()["net.core.somaxconn"], "1024");
        let log = host.log_config.unwrap();
        assert_eq!(log.typ.as_deref(), Some("json-file"));
        assert_eq!(log.config.unwrap()["max-size"], "1m");
        assert_eq!(host.memory, Some(48 << 20));
        assert_eq!(host.nano_cpus, Some(250_000_000));
        assert_eq!(host.pids_limit, Some(50));
        assert_eq!(host.blkio_weight, Some(300));
        assert_eq!(host.blkio_weight_device.unwrap()[0].weight, Some(400));
        assert_eq!(host.blkio_device_read_bps.unwrap()[0].rate, Some(1 << 20));
        assert_eq!(
            host.devices.unwrap()[0].path_in_container.as_deref(),
            Some("/dev/xnull")
        );
        assert_eq!(host.device_requests.unwrap()[0].count, Some(-1));
        let ulimit = &host.ulimits.unwrap()[0];
        assert_eq!((ulimit.soft, ulimit.hard), (Some(1024), Some(2048)));
        assert!(create_body(&ContainerSpec {
            cgroupns: Some("sideways".into()),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn mac_address_goes_into_the_container_config() {
        let body = create_body(&ContainerSpec::default()).unwrap();
        let json = create_json_with_mac(&body, "02:42:ac:11:00:99").unwrap();
        assert_eq!(json["MacAddress"], "02:42:ac:11:00:99");
        assert!(json.get("HostConfig").is_some());
    }

    #[test]
    fn unknown_mount_kinds_are_refused() {
        let spec = ContainerSpec {
            mounts: vec![mount_spec("npipe", None, "/x")],
            ..Default::default()
        };
        assert!(create_body(&spec).is_err());
    }

    #[test]
    fn networks_and_volumes_carry_their_options() {
        let net = network_body(&NetworkSpec {
            name: "p_back".into(),
            internal: true,
            attachable: true,
            enable_ipv6: Some(false),
            driver_opts: BTreeMap::from([("com.docker.network.bridge.name".into(), "br".into())]),
            ipam: Some(IpamSpec {
                driver: Some("default".into()),
                config: vec![IpamPool {
                    subnet: Some("10.9.0.0/24".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(net.internal, Some(true));
        assert_eq!(net.attachable, Some(true));
        assert_eq!(net.enable_ipv6, Some(false));
        assert_eq!(net.options.unwrap()["com.docker.network.bridge.name"], "br");
        let ipam = net.ipam.unwrap();
        assert_eq!(
            ipam.config.unwrap()[0].subnet.as_deref(),
            Some("10.9.0.0/24")
        );
        let vol = volume_body(&VolumeSpec {
            name: "p_v".into(),
            driver_opts: BTreeMap::from([("type".into(), "tmpfs".into())]),
            ..Default::default()
        });
        assert_eq!(vol.driver_opts.unwrap()["type"], "tmpfs");
    }

    #[test]
    fn files_are_tarred_at_their_path_with_owner_and_mode() {
        let tar = file_tar(&FileSpec {
            path: "/run/secrets/s".into(),
            content: b"x".to_vec(),
            mode: 0o440,
            uid: 103,
            gid: 104,
            copy_uid_gid: true,
        })
        .unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entry = archive.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap().to_string_lossy(), "run/secrets/s");
        let h = entry.header();
        assert_eq!(h.mode().unwrap(), 0o440);
        assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (103, 104));
        assert!(h.mtime().unwrap() > 0);
    }
}
