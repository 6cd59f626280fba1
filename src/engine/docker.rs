//! The Docker Engine implementation of `Engine`, over bollard. This is the only file in mls that
//! speaks the Engine API; everything it returns is the plain data declared in `engine`.

use super::{
    BuildRequest, ContainerSpec, ContainerState, ContainerSummary, Engine, EngineError, Event,
    ExecSpec, Health, HealthProbe, ImageInfo, LogChunk, LogOptions, NetworkSummary, PublishedPort,
    Result, Session, Snapshot, Top, TtyOf, VolumeSummary,
};
use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{
    BuildInfoAux, ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Mount,
    MountType, NetworkConnectRequest, NetworkCreateRequest, NetworkingConfig, PortBinding,
    RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    BuildImageOptionsBuilder, BuilderVersion, CreateContainerOptionsBuilder,
    CreateImageOptionsBuilder, EventsOptionsBuilder, ListContainersOptionsBuilder,
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, LogsOptionsBuilder,
    PushImageOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
    RemoveVolumeOptionsBuilder, RenameContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::stream::{BoxStream, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::time::Duration;

/// How long one request may take before its response headers arrive. Streams (logs, events,
/// build output) are not bounded by it, but a build's context upload and a `stop` with a long
/// grace period are, so it is far above bollard's 120 s default.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Where the engine listens when DOCKER_HOST is unset, as for the docker CLI.
const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// A connection to a Docker Engine, with the API version negotiated down to what it speaks.
#[derive(Debug, Clone)]
pub struct Docker {
    client: bollard::Docker,
    host: String,
    /// Build with the engine's BuildKit (as Docker Compose and the docker CLI do), unless
    /// `DOCKER_BUILDKIT=0` asks for the classic builder.
    buildkit: bool,
}

impl Docker {
    /// Connects the way the docker CLI does (DOCKER_HOST, else the local unix socket) and
    /// negotiates the API version; engines older than bollard's default (e.g. 20.10 speaks 1.41)
    /// reject requests until this has happened.
    pub async fn connect() -> Result<Docker> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| DEFAULT_HOST.to_string());
        Docker::connect_to(&host).await
    }

    /// Connects to `host` ("unix:///path", "tcp://host:port", ...) and negotiates the API version.
    pub async fn connect_to(host: &str) -> Result<Docker> {
        let host = host.to_string();
        let unreachable = |e: BollardError| EngineError::Unreachable {
            host: host.clone(),
            reason: reason(&e),
        };
        let client = bollard::Docker::connect_with_host(&host)
            .map_err(unreachable)?
            .with_timeout(REQUEST_TIMEOUT);
        let client = client.negotiate_version().await.map_err(unreachable)?;
        let buildkit = !matches!(
            std::env::var("DOCKER_BUILDKIT").as_deref(),
            Ok("0" | "false" | "FALSE" | "False")
        );
        Ok(Docker {
            client,
            host,
            buildkit,
        })
    }

    /// The id of the image at `tag` if it carries every label a build asked for (the
    /// fingerprint among them), i.e. if that very build finished.
    async fn built_image(
        &self,
        tag: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<String>> {
        let image = self.inspect_image(tag).await?;
        Ok(image
            .filter(|i| labels.iter().all(|(k, v)| i.labels.get(k) == Some(v)))
            .map(|i| i.id))
    }

    /// The DOCKER_HOST this connection uses, e.g. "unix:///var/run/docker.sock".
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// The most useful text of a bollard error: the engine's own message when it sent one, else the
/// innermost cause (e.g. "No such file or directory (os error 2)" for a missing socket).
fn reason(e: &BollardError) -> String {
    if let BollardError::DockerResponseServerError { message, .. } = e {
        return message.trim().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

fn api(e: BollardError) -> EngineError {
    EngineError::Api(reason(&e))
}

fn status_of(e: &BollardError) -> Option<u16> {
    match e {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

fn is_404(e: &BollardError) -> bool {
    status_of(e) == Some(404)
}

/// Maps the engine's "No such container/image/..." to `NotFound(what)` and anything else to
/// `Api`. Other 404s name something else (e.g. starting a container whose network is gone
/// answers 404 "network x not found"), so they keep the engine's words.
fn not_found(what: String) -> impl FnOnce(BollardError) -> EngineError {
    move |e| {
        if is_404(&e) && reason(&e).starts_with("No such") {
            EngineError::NotFound(what)
        } else {
            api(e)
        }
    }
}

/// A 404 means the thing is already gone, which is what the caller wanted.
fn ok_if_missing(r: std::result::Result<(), BollardError>) -> Result<()> {
    match r {
        Err(e) if !is_404(&e) => Err(api(e)),
        _ => Ok(()),
    }
}

fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([(
        "label".to_string(),
        vec![format!("{}={project}", super::labels::PROJECT)],
    )])
}

fn sorted(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

fn hash(map: &BTreeMap<String, String>) -> HashMap<String, String> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn container_summary(c: bollard::models::ContainerSummary) -> ContainerSummary {
    let name = c
        .names
        .unwrap_or_default()
        .into_iter()
        .next()
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_default();
    let mut networks: Vec<String> = c
        .network_settings
        .and_then(|n| n.networks)
        .map(|n| n.into_keys().collect())
        .unwrap_or_default();
    networks.sort();
    let ports = c
        .ports
        .unwrap_or_default()
        .into_iter()
        .map(|p| PublishedPort {
            ip: p.ip.filter(|ip| !ip.is_empty()),
            private_port: p.private_port,
            public_port: p.public_port,
            protocol: p.typ.map(|t| t.to_string()).unwrap_or_default(),
        })
        .collect();
    let mounts = c.mounts.unwrap_or_default();
    let local_volumes = mounts
        .iter()
        .filter(|m| m.driver.as_deref() == Some("local"))
        .count();
    let mounts = mounts
        .into_iter()
        .map(|m| {
            m.name
                .filter(|n| !n.is_empty())
                .or(m.source)
                .unwrap_or_default()
        })
        .collect();
    ContainerSummary {
        id: c.id.unwrap_or_default(),
        name,
        image: c.image.unwrap_or_default(),
        image_id: c.image_id.unwrap_or_default(),
        command: c.command.unwrap_or_default(),
        labels: sorted(c.labels),
        state: c.state.map(|s| s.to_string()).unwrap_or_default(),
        status: c.status.unwrap_or_default(),
        created: c.created.unwrap_or_default(),
        ports,
        networks,
        mounts,
        local_volumes,
    }
}

/// Log output (multiplexed or raw) as plain chunks; the stdin echo is dropped.
fn chunks(
    output: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = std::result::Result<LogOutput, BollardError>> + Send>,
    >,
) -> BoxStream<'static, Result<LogChunk>> {
    output
        .filter_map(|item| {
            std::future::ready(match item {
                Ok(LogOutput::StdErr { message }) => Some(Ok(LogChunk::Stderr(message.to_vec()))),
                Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                    Some(Ok(LogChunk::Stdout(message.to_vec())))
                }
                Ok(LogOutput::StdIn { .. }) => None,
                Err(e) => Some(Err(api(e))),
            })
        })
        .boxed()
}

/// The create options of an exec for `spec`.
fn exec_options(spec: ExecSpec) -> CreateExecOptions<String> {
    CreateExecOptions {
        attach_stdin: Some(spec.stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(spec.tty),
        env: non_empty(spec.env),
        cmd: Some(spec.cmd),
        privileged: Some(spec.privileged),
        user: spec.user,
        working_dir: spec.workdir,
        ..Default::default()
    }
}

/// "no", "always", "unless-stopped", "on-failure" or "on-failure:N".
fn restart_policy(text: &str) -> Result<RestartPolicy> {
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

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// Bind mounts with a source go through `Binds` ("src:dst:rw"), as Docker Compose does: unlike
/// `Mounts`, it makes the engine create a missing host directory instead of refusing to start
/// (moby/moby#43483). Everything else becomes a typed `Mount`.
fn bind_string(m: &super::MountSpec) -> Option<String> {
    let source = m.source.as_deref().filter(|_| m.kind == "bind")?;
    let mode = if m.read_only { "ro" } else { "rw" };
    Some(format!("{source}:{}:{mode}", m.target))
}

fn mount(m: &super::MountSpec) -> Result<Mount> {
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
    Ok(Mount {
        target: Some(m.target.clone()),
        source: m.source.clone(),
        typ: Some(typ),
        read_only: Some(m.read_only),
        ..Default::default()
    })
}

/// The create body for `spec`: everything but the name, which is a query parameter.
fn create_body(spec: &ContainerSpec) -> Result<ContainerCreateBody> {
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

    let networking_config = spec
        .networks
        .first()
        .map(|(net, aliases)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                net.clone(),
                EndpointSettings {
                    aliases: non_empty(aliases.clone()),
                    ..Default::default()
                },
            )])),
        });

    let host_config = HostConfig {
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        binds: non_empty(spec.mounts.iter().filter_map(bind_string).collect()),
        mounts: non_empty(
            spec.mounts
                .iter()
                .filter(|m| bind_string(m).is_none())
                .map(mount)
                .collect::<Result<_>>()?,
        ),
        restart_policy: spec.restart.as_deref().map(restart_policy).transpose()?,
        network_mode: spec.networks.first().map(|(net, _)| net.clone()),
        init: spec.init,
        privileged: Some(spec.privileged),
        readonly_rootfs: Some(spec.read_only),
        cap_add: non_empty(spec.cap_add.clone()),
        cap_drop: non_empty(spec.cap_drop.clone()),
        extra_hosts: non_empty(spec.extra_hosts.clone()),
        dns: non_empty(spec.dns.clone()),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        ..Default::default()
    };

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
        stop_signal: spec.stop_signal.clone(),
        stop_timeout: spec.stop_timeout,
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    })
}

/// A healthcheck test counts as configured unless it is absent, empty or ["NONE"].
fn is_active_healthcheck(test: Option<&Vec<String>>) -> bool {
    matches!(test, Some(t) if !t.is_empty() && t[0] != "NONE")
}

/// Splits build output into trimmed, non-empty lines.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// A timestamp as the engine's JSON gives it (RFC 3339).
fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A fresh BuildKit session id (any unique string will do).
fn session_id() -> String {
    use sha2::{Digest, Sha256};
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seed = format!(
        "{}-{}-{}",
        std::process::id(),
        now.as_nanos(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    hex::encode(&Sha256::digest(seed.as_bytes())[..16])
}

/// What a build has shown so far: the current step (classic builder) or BuildKit's vertices,
/// so that a failure names the step that failed and shows its last output lines.
#[derive(Default)]
struct BuildProgress {
    /// The classic builder's current step ("2/5 : RUN false"), or BuildKit's failed vertex.
    step: String,
    names: HashMap<String, String>,
    shown: std::collections::HashSet<String>,
    /// The last output lines of each vertex.
    logs: HashMap<String, std::collections::VecDeque<String>>,
    failed: Option<(String, String)>,
}

const FAILURE_TAIL: usize = 10;

impl BuildProgress {
    fn update(
        &mut self,
        status: &bollard::moby::buildkit::v1::StatusResponse,
        on_line: &(dyn Fn(&str) + Send + Sync),
    ) {
        for v in &status.vertexes {
            self.names.insert(v.digest.clone(), v.name.clone());
            // Internal vertices ("[internal] load .dockerignore") are noise for a user.
            if v.name.starts_with("[internal]") {
                continue;
            }
            if v.cached && self.shown.insert(v.digest.clone()) {
                on_line(&format!("{} CACHED", v.name));
            } else if v.started.is_some() && self.shown.insert(v.digest.clone()) {
                on_line(&v.name);
            }
            if !v.error.is_empty() && self.failed.is_none() {
                self.failed = Some((v.digest.clone(), v.name.clone()));
            }
        }
        for log in &status.logs {
            let tail = self.logs.entry(log.vertex.clone()).or_default();
            for line in lines(&String::from_utf8_lossy(&log.msg)) {
                on_line(line);
                if tail.len() == FAILURE_TAIL {
                    tail.pop_front();
                }
                tail.push_back(line.to_string());
            }
        }
    }

    /// The failed step and the message to show for an error the build ended with.
    fn failure(&self, message: String) -> (String, String) {
        let Some((digest, name)) = &self.failed else {
            let step = if self.step.is_empty() {
                "?"
            } else {
                &self.step
            };
            return (step.to_string(), message);
        };
        let step = name
            .strip_prefix('[')
            .and_then(|n| n.split_once("] "))
            .map_or(name.as_str(), |(_, rest)| rest);
        let at = name
            .strip_prefix('[')
            .and_then(|n| n.split_once(']'))
            .map(|(n, _)| n.rsplit(' ').next().unwrap_or(n));
        let step = match at {
            Some(at) => format!("{at} : {step}"),
            None => step.to_string(),
        };
        let mut message = message;
        if let Some(tail) = self.logs.get(digest).filter(|t| !t.is_empty()) {
            message.push_str("\n  ");
            message.push_str(&tail.iter().cloned().collect::<Vec<_>>().join("\n  "));
        }
        (step, message)
    }
}

/// A base-image pull during a build reports through `status`; its byte-count progress updates
/// are left out, the steps ("abc123: Pull complete") are kept.
fn pull_status(info: &bollard::models::BuildInfo) -> Option<String> {
    let status = info.status.as_deref()?.trim();
    let counting = info
        .progress_detail
        .as_ref()
        .is_some_and(|p| p.current.is_some());
    if status.is_empty() || counting {
        return None;
    }
    Some(match info.id.as_deref() {
        Some(id) if !id.is_empty() => format!("{id}: {status}"),
        _ => status.to_string(),
    })
}

impl Engine for Docker {
    async fn snapshot(&self, project: &str) -> Result<Snapshot> {
        let filters = project_filter(project);
        let containers = self.client.list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filters)
                .build(),
        ));
        let networks = self.client.list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ));
        let volumes = self.client.list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filters)
                .build(),
        ));
        let (containers, networks, volumes) = tokio::join!(containers, networks, volumes);
        let mut containers: Vec<ContainerSummary> = containers
            .map_err(api)?
            .into_iter()
            .map(container_summary)
            .collect();
        containers.sort_by(|a, b| a.name.cmp(&b.name));
        let mut networks: Vec<NetworkSummary> = networks
            .map_err(api)?
            .into_iter()
            .map(|n| NetworkSummary {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                labels: sorted(n.labels),
            })
            .collect();
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        let mut volumes: Vec<VolumeSummary> = volumes
            .map_err(api)?
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| VolumeSummary {
                name: v.name,
                labels: v.labels.into_iter().collect(),
            })
            .collect();
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Snapshot {
            containers,
            networks,
            volumes,
        })
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>> {
        let image = match self.client.inspect_image(reference).await {
            Ok(image) => image,
            Err(e) if is_404(&e) => return Ok(None),
            Err(e) => return Err(api(e)),
        };
        let config = image.config.unwrap_or_default();
        Ok(Some(ImageInfo {
            id: image.id.unwrap_or_default(),
            labels: sorted(config.labels),
            healthcheck: config
                .healthcheck
                .and_then(|h| h.test)
                .filter(|t| !t.is_empty()),
            repo_tags: image.repo_tags.unwrap_or_default(),
            size: image.size.unwrap_or_default(),
            platform: [image.os, image.architecture, image.variant]
                .into_iter()
                .flatten()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("/"),
            last_tag_time: image
                .metadata
                .and_then(|m| m.last_tag_time)
                .filter(|t| t.unix_timestamp() > 0)
                .or(image.created)
                .map(rfc3339)
                .unwrap_or_default(),
        }))
    }

    async fn tag_image(&self, id: &str, reference: &str) -> Result<()> {
        let (repo, tag) = split_reference(reference);
        let options = bollard::query_parameters::TagImageOptions {
            repo: Some(repo.to_string()),
            tag: Some(tag.to_string()),
        };
        self.client
            .tag_image(id, Some(options))
            .await
            .map_err(not_found(format!("image {id}")))
    }

    async fn copy_to_container(&self, id: &str, tar: Vec<u8>, dest: &str) -> Result<()> {
        let options = bollard::query_parameters::UploadToContainerOptions {
            path: dest.to_string(),
            ..Default::default()
        };
        self.client
            .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
            .await
            .map_err(not_found(format!("container {id} or its directory {dest}")))
    }

    async fn build(
        &self,
        req: BuildRequest,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<String> {
        let mut options = BuildImageOptionsBuilder::default()
            .t(&req.tag)
            .dockerfile(&req.dockerfile)
            .buildargs(&hash(&req.args))
            .labels(&hash(&req.labels))
            .nocache(req.no_cache)
            .rm(true)
            .forcerm(true);
        if let Some(target) = &req.target {
            options = options.target(target);
        }
        let session = session_id();
        if self.buildkit && !req.classic {
            options = options
                .version(BuilderVersion::BuilderBuildKit)
                .session(&session);
        }
        let mut stream = self.client.build_image(
            options.build(),
            None,
            Some(bollard::body_full(req.context_tar.into())),
        );
        let mut progress = BuildProgress::default();
        let mut id: Option<String> = None;
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                Err(e) => {
                    let message = match e {
                        BollardError::DockerStreamError { error } => error.trim().to_string(),
                        other => {
                            // The stream broke off (seen with BuildKit: "bytes remaining on
                            // stream" right after the image was tagged). The build may still
                            // have finished: the tag carries this build's labels if it did.
                            if let Some(image) = self.built_image(&req.tag, &req.labels).await? {
                                return Ok(image);
                            }
                            reason(&other)
                        }
                    };
                    let (step, message) = progress.failure(message);
                    return Err(EngineError::Build {
                        service: req.service,
                        step,
                        message,
                    });
                }
            };
            for line in lines(info.stream.as_deref().unwrap_or_default()) {
                if let Some(rest) = line.strip_prefix("Step ") {
                    progress.step = rest.to_string();
                }
                if let Some(short) = line.strip_prefix("Successfully built ") {
                    id.get_or_insert_with(|| short.trim().to_string());
                }
                on_line(line);
            }
            if let Some(status) = pull_status(&info) {
                on_line(&status);
            }
            match info.aux {
                Some(BuildInfoAux::Default(image)) => {
                    if let Some(aux_id) = image.id {
                        id = Some(aux_id);
                    }
                }
                Some(BuildInfoAux::BuildKit(status)) => progress.update(&status, &*on_line),
                None => {}
            }
        }
        // The short id of "Successfully built" (or a missing one) is resolved through the tag.
        match id {
            Some(id) if id.starts_with("sha256:") => Ok(id),
            _ => match self.inspect_image(&req.tag).await? {
                Some(image) => Ok(image.id),
                None => Err(EngineError::Build {
                    service: req.service,
                    step: progress.step,
                    message: format!("the engine reported no image for tag {}", req.tag),
                }),
            },
        }
    }

    async fn pull_image(
        &self,
        reference: &str,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<()> {
        let (repo, tag) = super::split_reference(reference);
        let options = CreateImageOptionsBuilder::default()
            .from_image(repo)
            .tag(tag)
            .build();
        let mut stream = self.client.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            let info =
                item.map_err(|e| EngineError::Api(format!("pull {reference}: {}", reason(&e))))?;
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(EngineError::Api(format!("pull {reference}: {err}")));
            }
            // Byte-count progress updates are noise in a line display; keep the steps.
            if let (Some(status), None) =
                (info.status, info.progress_detail.and_then(|p| p.current))
            {
                match info.id {
                    Some(id) => on_line(&format!("{id}: {status}")),
                    None => on_line(&status),
                }
            }
        }
        Ok(())
    }

    async fn push_image(
        &self,
        reference: &str,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<()> {
        let (repo, tag) = super::split_reference(reference);
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        let mut stream = self.client.push_image(repo, Some(options), None);
        while let Some(item) = stream.next().await {
            let info =
                item.map_err(|e| EngineError::Api(format!("push {reference}: {}", reason(&e))))?;
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(EngineError::Api(format!("push {reference}: {err}")));
            }
            if let (Some(status), None) =
                (info.status, info.progress_detail.and_then(|p| p.current))
            {
                on_line(&status);
            }
        }
        Ok(())
    }

    async fn remove_image(&self, reference: &str) -> Result<()> {
        let options = RemoveImageOptionsBuilder::default().build();
        ok_if_missing(
            self.client
                .remove_image(reference, Some(options), None)
                .await
                .map(drop),
        )
    }

    async fn create_network(
        &self,
        name: &str,
        driver: Option<&str>,
        labels: BTreeMap<String, String>,
    ) -> Result<String> {
        // Engines before API 1.44 allow two networks with one name, so look before creating.
        match self.client.inspect_network(name, None).await {
            Ok(n) if n.name.as_deref() == Some(name) => return Ok(n.id.unwrap_or_default()),
            Ok(_) => {}
            Err(e) if is_404(&e) => {}
            Err(e) => return Err(api(e)),
        }
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: driver.map(str::to_string),
            labels: Some(hash(&labels)),
            ..Default::default()
        };
        let created = self.client.create_network(request).await.map_err(api)?;
        Ok(created.id)
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        match self.client.remove_network(name).await {
            // "error while removing network: network x has active endpoints"
            Err(e) if status_of(&e) == Some(403) || status_of(&e) == Some(409) => {
                Err(EngineError::InUse(format!("network {name}")))
            }
            r => ok_if_missing(r),
        }
    }

    async fn create_volume(
        &self,
        name: &str,
        driver: Option<&str>,
        labels: BTreeMap<String, String>,
    ) -> Result<()> {
        // The engine returns the existing volume when the name is taken with the same driver.
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: driver.map(str::to_string),
            labels: Some(hash(&labels)),
            ..Default::default()
        };
        self.client
            .create_volume(request)
            .await
            .map(drop)
            .map_err(api)
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        let options = RemoveVolumeOptionsBuilder::default().build();
        ok_if_missing(self.client.remove_volume(name, Some(options)).await)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<String> {
        let body = create_body(spec)?;
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        let created = self
            .client
            .create_container(Some(options), body)
            .await
            .map_err(not_found(format!("image {}", spec.image)))?;
        Ok(created.id)
    }

    async fn connect_network(
        &self,
        container: &str,
        network: &str,
        aliases: &[String],
    ) -> Result<()> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(EndpointSettings {
                aliases: non_empty(aliases.to_vec()),
                ..Default::default()
            }),
        };
        self.client
            .connect_network(network, request)
            .await
            .map_err(api)
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        // An already running container answers 304, which bollard reports as success.
        self.client
            .start_container(id, None)
            .await
            .map_err(not_found(format!("container {id}")))
    }

    async fn stop_container(&self, id: &str, timeout: Option<Duration>) -> Result<()> {
        let mut options = StopContainerOptionsBuilder::default();
        if let Some(t) = timeout {
            options = options.t(i32::try_from(t.as_secs()).unwrap_or(i32::MAX));
        }
        self.client
            .stop_container(id, Some(options.build()))
            .await
            .map_err(not_found(format!("container {id}")))
    }

    async fn remove_container(&self, id: &str, force: bool, volumes: bool) -> Result<()> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(force)
            .v(volumes)
            .build();
        ok_if_missing(self.client.remove_container(id, Some(options)).await)
    }

    async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        let options = RenameContainerOptionsBuilder::default().name(name).build();
        self.client
            .rename_container(id, options)
            .await
            .map_err(not_found(format!("container {id}")))
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerState> {
        let c = self
            .client
            .inspect_container(id, None)
            .await
            .map_err(not_found(format!("container {id}")))?;
        let state = c.state.unwrap_or_default();
        let health = state.health.map(|h| Health {
            status: h.status.map(|s| s.to_string()).unwrap_or_default(),
            log: h
                .log
                .unwrap_or_default()
                .into_iter()
                .map(|p| HealthProbe {
                    start: p.start.map(rfc3339).unwrap_or_default(),
                    end: p.end.map(rfc3339).unwrap_or_default(),
                    exit_code: p.exit_code.unwrap_or_default(),
                    output: p.output.unwrap_or_default(),
                })
                .collect(),
        });
        let has_healthcheck = is_active_healthcheck(
            c.config
                .as_ref()
                .and_then(|c| c.healthcheck.as_ref())
                .and_then(|h| h.test.as_ref()),
        );
        Ok(ContainerState {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            status: state.status.map(|s| s.to_string()).unwrap_or_default(),
            running: state.running.unwrap_or_default(),
            exit_code: state.exit_code.unwrap_or_default(),
            started_at: state.started_at.unwrap_or_default(),
            finished_at: state.finished_at.unwrap_or_default(),
            health,
            has_healthcheck,
        })
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut stream = self.client.wait_container(id, None);
        match stream.next().await {
            Some(Ok(response)) => Ok(response.status_code),
            // bollard turns every non-zero exit into this error; for mls it is just the code.
            Some(Err(BollardError::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(not_found(format!("container {id}"))(e)),
            None => Err(EngineError::Api(format!(
                "the engine closed the wait for container {id} without an exit code"
            ))),
        }
    }

    fn events(&self, project: &str) -> BoxStream<'static, Result<Event>> {
        let mut filters = project_filter(project);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        // Only what waiters act on: every health probe also makes three exec events per
        // container, which the engine would otherwise encode and send for nothing.
        filters.insert(
            "event".to_string(),
            vec!["start".into(), "die".into(), "health_status".into()],
        );
        // The request only goes out when the stream is first polled; `since` = now makes the
        // engine replay what happened in between, so "from now on" holds from this call.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let since = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
        let options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&filters)
            .build();
        self.client
            .events(Some(options))
            .map(|item| {
                let message = item.map_err(api)?;
                let actor = message.actor.unwrap_or_default();
                let attributes = actor.attributes.unwrap_or_default();
                Ok(Event {
                    container_id: actor.id.unwrap_or_default(),
                    action: message.action.unwrap_or_default(),
                    service: attributes
                        .get(super::labels::SERVICE)
                        .cloned()
                        .unwrap_or_default(),
                    exit_code: attributes.get("exitCode").and_then(|c| c.parse().ok()),
                })
            })
            .boxed()
    }

    fn logs(&self, id: &str, opts: LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        let mut options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .follow(opts.follow)
            .timestamps(opts.timestamps)
            .tail(opts.tail.as_deref().unwrap_or("all"));
        if let Some(since) = opts.since {
            options = options.since(i32::try_from(since).unwrap_or(i32::MAX));
        }
        if let Some(until) = opts.until {
            options = options.until(i32::try_from(until).unwrap_or(i32::MAX));
        }
        let what = format!("container {id}");
        self.client
            .logs(id, Some(options.build()))
            .filter_map(move |item| {
                let chunk = match item {
                    Ok(LogOutput::StdErr { message }) => {
                        Some(Ok(LogChunk::Stderr(message.to_vec())))
                    }
                    Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                        Some(Ok(LogChunk::Stdout(message.to_vec())))
                    }
                    Ok(LogOutput::StdIn { .. }) => None,
                    Err(e) => Some(Err(not_found(what.clone())(e))),
                };
                std::future::ready(chunk)
            })
            .boxed()
    }

    async fn kill_container(&self, id: &str, signal: Option<&str>) -> Result<()> {
        let options = bollard::query_parameters::KillContainerOptionsBuilder::default()
            .signal(signal.unwrap_or("SIGKILL"))
            .build();
        self.client
            .kill_container(id, Some(options))
            .await
            .map_err(not_found(format!("container {id}")))
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        self.client
            .pause_container(id)
            .await
            .map_err(not_found(format!("container {id}")))
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.client
            .unpause_container(id)
            .await
            .map_err(not_found(format!("container {id}")))
    }

    async fn top(&self, id: &str) -> Result<Top> {
        let top = self
            .client
            .top_processes(id, None)
            .await
            .map_err(not_found(format!("container {id}")))?;
        Ok(Top {
            titles: top.titles.unwrap_or_default(),
            processes: top.processes.unwrap_or_default(),
        })
    }

    async fn compose_containers(&self) -> Result<Vec<ContainerSummary>> {
        let filters = HashMap::from([(
            "label".to_string(),
            vec![super::labels::PROJECT.to_string()],
        )]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .client
            .list_containers(Some(options))
            .await
            .map_err(api)?;
        Ok(list.into_iter().map(container_summary).collect())
    }

    async fn attach(&self, id: &str, stdin: bool) -> Result<Session> {
        let options = bollard::query_parameters::AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdin(stdin)
            .stdout(true)
            .stderr(true)
            .build();
        let attached = self
            .client
            .attach_container(id, Some(options))
            .await
            .map_err(not_found(format!("container {id}")))?;
        Ok(Session {
            output: chunks(attached.output),
            input: attached.input,
        })
    }

    async fn exec_attach(&self, id: &str, spec: ExecSpec) -> Result<(String, Session)> {
        let tty = spec.tty;
        let exec = self
            .client
            .create_exec(id, exec_options(spec))
            .await
            .map_err(not_found(format!("container {id}")))?;
        let start = StartExecOptions {
            detach: false,
            tty,
            output_capacity: None,
        };
        match self
            .client
            .start_exec(&exec.id, Some(start))
            .await
            .map_err(api)?
        {
            StartExecResults::Attached { output, input } => Ok((
                exec.id,
                Session {
                    output: chunks(output),
                    input,
                },
            )),
            StartExecResults::Detached => Err(EngineError::Api(format!(
                "the engine started the exec in container {id} detached"
            ))),
        }
    }

    async fn exec_detached(&self, id: &str, spec: ExecSpec) -> Result<()> {
        let exec = self
            .client
            .create_exec(id, exec_options(spec))
            .await
            .map_err(not_found(format!("container {id}")))?;
        let start = StartExecOptions {
            detach: true,
            tty: false,
            output_capacity: None,
        };
        self.client
            .start_exec(&exec.id, Some(start))
            .await
            .map(drop)
            .map_err(api)
    }

    async fn exec_exit_code(&self, exec_id: &str) -> Result<i64> {
        // The output can end a moment before the engine records the exit code.
        for _ in 0..50 {
            let inspect = self.client.inspect_exec(exec_id).await.map_err(api)?;
            if inspect.running != Some(true) {
                if let Some(code) = inspect.exit_code {
                    return Ok(code);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(EngineError::Api(format!(
            "exec {exec_id} finished without an exit code"
        )))
    }

    async fn resize(&self, of: &TtyOf, rows: u16, cols: u16) -> Result<()> {
        let (h, w) = (i32::from(rows), i32::from(cols));
        let r = match of {
            TtyOf::Container(id) => {
                let options = bollard::query_parameters::ResizeContainerTTYOptions { h, w };
                self.client.resize_container_tty(id, options).await
            }
            TtyOf::Exec(id) => {
                let options = bollard::query_parameters::ResizeExecOptions { h, w };
                self.client.resize_exec(id, options).await
            }
        };
        r.map_err(api)
    }

    async fn exec(
        &self,
        id: &str,
        cmd: Vec<String>,
        user: Option<String>,
        workdir: Option<String>,
        env: Vec<String>,
        tty: bool,
    ) -> Result<i64> {
        let config = CreateExecOptions {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(tty),
            env: non_empty(env),
            cmd: Some(cmd),
            user,
            working_dir: workdir,
            ..Default::default()
        };
        let exec = self
            .client
            .create_exec(id, config)
            .await
            .map_err(not_found(format!("container {id}")))?;
        let start = StartExecOptions {
            detach: false,
            tty,
            output_capacity: None,
        };
        if let StartExecResults::Attached { mut output, .. } = self
            .client
            .start_exec(&exec.id, Some(start))
            .await
            .map_err(api)?
        {
            while let Some(item) = output.next().await {
                // The container's own output goes to ours unchanged; a closed pipe just drops it.
                let _ = match item.map_err(api)? {
                    LogOutput::StdErr { message } => std::io::stderr().write_all(&message),
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        std::io::stdout().write_all(&message)
                    }
                    LogOutput::StdIn { .. } => Ok(()),
                };
            }
            let _ = std::io::stdout().flush();
        }
        // The output can end a moment before the engine records the exit code.
        for _ in 0..50 {
            let inspect = self.client.inspect_exec(&exec.id).await.map_err(api)?;
            if inspect.running != Some(true) {
                if let Some(code) = inspect.exit_code {
                    return Ok(code);
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(EngineError::Api(format!(
            "exec in container {id} finished without an exit code"
        )))
    }
}

/// `repo[:tag]` → (repo, tag), where a `:` inside a registry host's port is not a tag.
fn split_reference(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (reference, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{HealthSpec, MountSpec};

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
                    kind: "volume".into(),
                    source: Some("p_data".into()),
                    target: "/data".into(),
                    read_only: true,
                },
                MountSpec {
                    kind: "bind".into(),
                    source: Some("/srv/app".into()),
                    target: "/app".into(),
                    read_only: false,
                },
            ],
            networks: vec![
                ("p_default".into(), vec!["web".into()]),
                ("other".into(), vec![]),
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
        assert_eq!(endpoints.len(), 1);
        assert_eq!(
            endpoints["p_default"].aliases,
            Some(vec!["web".to_string()])
        );
        let mounts = host.mounts.unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].typ, Some(MountType::VOLUME));
        assert_eq!(host.binds, Some(vec!["/srv/app:/app:rw".to_string()]));
        assert_eq!(mounts[0].read_only, Some(true));
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
    fn unknown_mount_kinds_are_refused() {
        let spec = ContainerSpec {
            mounts: vec![MountSpec {
                kind: "npipe".into(),
                target: "/x".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(create_body(&spec).is_err());
    }

    #[test]
    fn pull_status_keeps_steps_and_drops_byte_counts() {
        use bollard::models::{BuildInfo, ProgressDetail};
        let step = BuildInfo {
            id: Some("abc123".into()),
            status: Some("Pull complete".into()),
            ..Default::default()
        };
        assert_eq!(pull_status(&step).as_deref(), Some("abc123: Pull complete"));
        let counting = BuildInfo {
            status: Some("Downloading".into()),
            progress_detail: Some(ProgressDetail {
                current: Some(10),
                total: Some(100),
            }),
            ..step.clone()
        };
        assert_eq!(pull_status(&counting), None);
        assert_eq!(pull_status(&BuildInfo::default()), None);
    }

    #[test]
    fn none_healthchecks_are_not_active() {
        assert!(!is_active_healthcheck(None));
        assert!(!is_active_healthcheck(Some(&vec!["NONE".to_string()])));
        assert!(!is_active_healthcheck(Some(&vec![])));
        assert!(is_active_healthcheck(Some(&vec![
            "CMD-SHELL".to_string(),
            "true".to_string()
        ])));
    }
}
