//! The Docker Engine implementation of `Engine`, over bollard. This is the only file in mls that
//! speaks the Engine API; everything it returns is the plain data declared in `engine`.

use super::body::{self, create_body, hash};
use super::{
    ApiVersion, BuildRequest, ContainerSpec, ContainerState, ContainerSummary, Created,
    EndpointSpec, Engine, EngineError, Event, ExecSpec, Health, HealthProbe, ImageInfo, LogChunk,
    LogOptions, MountPoint, NetworkSpec, NetworkSummary, PublishedPort, Result, Session, Snapshot,
    Top, TtyOf, VolumeSpec, VolumeSummary,
};
use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::{BuildInfoAux, NetworkConnectRequest};
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
    /// Create bodies bollard's models cannot express, by container name (see `with_mac`).
    bodies: Bodies,
}

/// Create bodies waiting for their request, by container name.
type Bodies = std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<u8>>>>;

/// The container name a create request is for (`/containers/create?name=...`).
fn create_name(request: &bollard::BollardRequest) -> Option<String> {
    let uri = request.uri();
    if request.method() != "POST" || !uri.path().ends_with("/containers/create") {
        return None;
    }
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("name="))
        .map(str::to_string)
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
        let bodies = Bodies::default();
        let pending = bodies.clone();
        // Engines before API 1.44 read a container's MAC address from `Config.MacAddress`,
        // a field bollard's models no longer carry: such creates send a body built here.
        let client = client
            .negotiate_version()
            .await
            .map_err(unreachable)?
            .with_request_modifier(move |mut request| {
                let body = create_name(&request).and_then(|name| {
                    pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&name)
                });
                if let Some(body) = body {
                    *request.body_mut() = bollard::body_full(body.into());
                }
                request
            });
        let buildkit = !matches!(
            std::env::var("DOCKER_BUILDKIT").as_deref(),
            Ok("0" | "false" | "FALSE" | "False")
        );
        Ok(Docker {
            client,
            host,
            buildkit,
            bodies,
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
        mounts: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountPoint {
                kind: m.typ.unwrap_or_default(),
                name: m.name.unwrap_or_default(),
                source: m.source.unwrap_or_default(),
                destination: m.destination.unwrap_or_default(),
                rw: m.rw.unwrap_or(true),
                driver: m.driver.unwrap_or_default(),
            })
            .collect(),
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

fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
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
    fn api_version(&self) -> ApiVersion {
        let v = self.client.client_version();
        ApiVersion(
            u32::try_from(v.major_version).unwrap_or(1),
            u32::try_from(v.minor_version).unwrap_or(0),
        )
    }

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
            volumes: config.volumes.unwrap_or_default(),
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

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        // Engines before API 1.44 allow two networks with one name, so look before creating.
        if let Some(existing) = self.inspect_network(&spec.name).await? {
            return Ok(existing.id);
        }
        let created = self
            .client
            .create_network(body::network_body(spec))
            .await
            .map_err(|e| {
                EngineError::Api(format!(
                    "failed to create network {}: {}",
                    spec.name,
                    reason(&e)
                ))
            })?;
        Ok(created.id)
    }

    async fn inspect_network(&self, name: &str) -> Result<Option<NetworkSummary>> {
        // Inspect also matches an id prefix: only a network of exactly this name counts.
        match self.client.inspect_network(name, None).await {
            Ok(n) if n.name.as_deref() == Some(name) => Ok(Some(NetworkSummary {
                id: n.id.unwrap_or_default(),
                name: name.to_string(),
                labels: sorted(n.labels),
            })),
            Ok(_) => Ok(None),
            Err(e) if is_404(&e) => Ok(None),
            Err(e) => Err(api(e)),
        }
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

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        // The engine returns the existing volume when the name is taken with the same driver.
        self.client
            .create_volume(body::volume_body(spec))
            .await
            .map(drop)
            .map_err(api)
    }

    async fn inspect_volume(&self, name: &str) -> Result<Option<VolumeSummary>> {
        match self.client.inspect_volume(name).await {
            Ok(v) => Ok(Some(VolumeSummary {
                name: v.name,
                labels: v.labels.into_iter().collect(),
            })),
            Err(e) if is_404(&e) => Ok(None),
            Err(e) => Err(api(e)),
        }
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        let options = RemoveVolumeOptionsBuilder::default().build();
        ok_if_missing(self.client.remove_volume(name, Some(options)).await)
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<Created> {
        let body = create_body(spec)?;
        let mac = spec.mac_address.as_deref().filter(|m| !m.is_empty());
        if let (Some(mac), true) = (mac, self.api_version() < ApiVersion(1, 44)) {
            let json = body::create_json_with_mac(&body, mac)?;
            self.bodies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(spec.name.clone(), json.to_string().into_bytes());
        }
        let mut options = CreateContainerOptionsBuilder::default().name(&spec.name);
        if let Some(platform) = &spec.platform {
            options = options.platform(platform);
        }
        let created = self
            .client
            .create_container(Some(options.build()), body)
            .await;
        self.bodies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&spec.name);
        let created = created.map_err(not_found(format!("image {}", spec.image)))?;
        // As on engines before API 1.44 (and as Compose does there): the other networks are
        // connected after create, before start.
        if spec.network_mode.is_none() {
            for endpoint in spec.networks.iter().skip(1) {
                self.connect_network(&created.id, endpoint).await?;
            }
        }
        for file in &spec.files {
            let options = bollard::query_parameters::UploadToContainerOptions {
                path: "/".to_string(),
                copy_uidgid: file.copy_uid_gid.then(|| "true".to_string()),
                ..Default::default()
            };
            let tar = body::file_tar(file)?;
            self.client
                .upload_to_container(&created.id, Some(options), bollard::body_full(tar.into()))
                .await
                .map_err(|e| {
                    EngineError::Api(format!(
                        "cannot write {} into {}: {}",
                        file.path,
                        spec.name,
                        reason(&e)
                    ))
                })?;
        }
        Ok(Created {
            id: created.id,
            warnings: created.warnings,
        })
    }

    async fn connect_network(&self, container: &str, endpoint: &EndpointSpec) -> Result<()> {
        let request = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(body::endpoint(endpoint)),
        };
        self.client
            .connect_network(&endpoint.network, request)
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
        let mounted_volumes = c
            .host_config
            .as_ref()
            .and_then(|h| h.mounts.as_ref())
            .into_iter()
            .flatten()
            .filter(|m| m.typ == Some(bollard::models::MountType::VOLUME))
            .filter_map(|m| m.source.clone())
            .filter(|s| !s.is_empty())
            .collect();
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
            mounted_volumes,
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
