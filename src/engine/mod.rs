//! The edge to the container engine: a narrow `Engine` trait with plain-data requests and
//! observations. `docker` implements it with bollard (the only bollard user in mls); `fake` is an
//! in-memory engine for fast executor tests.

mod body;
pub mod docker;
pub mod fake;

use futures_util::stream::BoxStream;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

pub use docker::Docker;

/// Errors from the engine, already phrased for users.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot reach the Docker Engine at {host}: {reason}\n  Is dockerd running? Start it (e.g. `sudo dockerd &` or `systemctl start docker`) or set DOCKER_HOST.")]
    Unreachable { host: String, reason: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("build of {service} failed{}: {message}", at_step(step))]
    Build {
        service: String,
        step: String,
        message: String,
    },
    /// The engine refused to remove something still in use (a network with containers).
    #[error("{0} is still in use")]
    InUse(String),
    #[error("{0}")]
    Api(String),
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// " at step X", or nothing when the build failed before any step ("?").
fn at_step(step: &str) -> String {
    if step.is_empty() || step == "?" {
        String::new()
    } else {
        format!(" at step {step}")
    }
}

/// An Engine API version, e.g. 1.41 for Docker Engine 20.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u32, pub u32);

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// Labels Docker Compose puts on what it creates; mls uses the same so both tools see one stack.
pub mod labels {
    pub const PROJECT: &str = "com.docker.compose.project";
    pub const SERVICE: &str = "com.docker.compose.service";
    pub const NUMBER: &str = "com.docker.compose.container-number";
    pub const ONEOFF: &str = "com.docker.compose.oneoff";
    pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
    pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
    pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
    pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
    pub const IMAGE: &str = "com.docker.compose.image";
    pub const VERSION: &str = "com.docker.compose.version";
    pub const NETWORK: &str = "com.docker.compose.network";
    pub const VOLUME: &str = "com.docker.compose.volume";
    pub const REPLACE: &str = "com.docker.compose.replace";
    /// One-off (`run`) containers: a random 64-hex id whose first 12 end the container name.
    pub const SLUG: &str = "com.docker.compose.slug";
    /// mls's own: digest of the build inputs, stored on built images.
    pub const BUILD_FINGERPRINT: &str = "dev.mls.build-fingerprint";
}

/// One container as the engine lists it (from one list call; no per-container inspect).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSummary {
    pub id: String,
    /// Without the leading '/'.
    pub name: String,
    pub image: String,
    pub image_id: String,
    /// The command line as the engine shows it (entrypoint and command joined).
    pub command: String,
    pub labels: BTreeMap<String, String>,
    /// "created", "running", "exited", "restarting", "paused", "dead", "removing".
    pub state: String,
    /// Engine's human status, e.g. "Up 3 seconds (healthy)".
    pub status: String,
    pub created: i64,
    pub ports: Vec<PublishedPort>,
    pub networks: Vec<String>,
    pub mounts: Vec<MountPoint>,
}

/// One mount of an existing container, as the engine lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountPoint {
    /// "volume", "bind", "tmpfs", ...
    pub kind: String,
    /// The volume's name (volumes only; anonymous volumes have a generated one).
    pub name: String,
    pub source: String,
    pub destination: String,
    pub rw: bool,
    /// The volume driver ("local", ...); empty for binds and tmpfs.
    pub driver: String,
}

impl ContainerSummary {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
    pub fn service(&self) -> Option<&str> {
        self.label(labels::SERVICE)
    }
    pub fn is_oneoff(&self) -> bool {
        self.label(labels::ONEOFF) == Some("True")
    }
    /// Health parsed from the status text: "healthy", "unhealthy", "starting" or "".
    pub fn health(&self) -> &'static str {
        if self.status.contains("(healthy)") {
            "healthy"
        } else if self.status.contains("(unhealthy)") {
            "unhealthy"
        } else if self.status.contains("(health: starting)") {
            "starting"
        } else {
            ""
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedPort {
    pub ip: Option<String>,
    pub private_port: u16,
    pub public_port: Option<u16>,
    pub protocol: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeSummary {
    pub name: String,
    pub labels: BTreeMap<String, String>,
}

/// One observation of everything a project owns, taken at the start of a command.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// All containers (running or not) labelled with the project.
    pub containers: Vec<ContainerSummary>,
    pub networks: Vec<NetworkSummary>,
    pub volumes: Vec<VolumeSummary>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageInfo {
    pub id: String,
    pub labels: BTreeMap<String, String>,
    /// The image's own HEALTHCHECK test, if any (e.g. ["CMD-SHELL", "..."]).
    pub healthcheck: Option<Vec<String>>,
    pub repo_tags: Vec<String>,
    /// Bytes, as the engine reports the image's size.
    pub size: i64,
    /// "linux/amd64" (os/architecture[/variant]).
    pub platform: String,
    /// RFC 3339: when the image was last tagged, else when it was created.
    pub last_tag_time: String,
    /// The image's `VOLUME` paths.
    pub volumes: Vec<String>,
}

/// Full state of one container (inspect), used when a wait needs to explain a failure.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerState {
    pub id: String,
    pub name: String,
    pub status: String,
    pub running: bool,
    pub exit_code: i64,
    /// RFC 3339 from the engine.
    pub started_at: String,
    pub finished_at: String,
    /// None when the container has no healthcheck.
    pub health: Option<Health>,
    pub has_healthcheck: bool,
    /// Volumes the container was created with by name through typed mounts (not those of
    /// `volumes_from`, not the engine's own anonymous ones).
    pub mounted_volumes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Health {
    pub status: String,
    pub log: Vec<HealthProbe>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthProbe {
    pub start: String,
    pub end: String,
    pub exit_code: i64,
    pub output: String,
}

/// Everything needed to create a container; the executor fills it from the plan. Field names
/// follow the Engine API's `Config` / `HostConfig` / `NetworkingConfig`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerSpec {
    pub name: String,
    pub image: String,
    /// "os/arch[/variant]" to create the container for (query parameter of the create call).
    pub platform: Option<String>,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    /// The container's MAC address on its primary network.
    pub mac_address: Option<String>,
    pub tty: bool,
    pub stdin_open: bool,
    /// Engine healthcheck: test + durations in nanoseconds; `Some` with test ["NONE"] disables.
    pub healthcheck: Option<HealthSpec>,
    pub exposed_ports: Vec<String>,
    /// (container "8000/tcp", host ip, host port or range or "").
    pub port_bindings: Vec<(String, Option<String>, Option<String>)>,
    /// Bind strings and typed mounts are both expressed as mounts.
    pub mounts: Vec<MountSpec>,
    pub restart: Option<String>,
    /// "host", "none", "bridge", "container:<id>", ...: set when the service has a
    /// `network_mode`; otherwise the first of `networks` is the container's network mode.
    pub network_mode: Option<String>,
    /// `network_mode: disabled`.
    pub network_disabled: bool,
    /// The first endpoint is joined at create time; the others are connected before start.
    pub networks: Vec<EndpointSpec>,
    /// "container[:ro|:rw]" entries (ids or names).
    pub volumes_from: Vec<String>,
    /// "container:alias" entries.
    pub links: Vec<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<i64>,
    pub init: Option<bool>,
    pub privileged: bool,
    pub read_only: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    /// `security_opt: [systempaths=unconfined]`: no masked or read-only paths.
    pub unconfined_paths: bool,
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_opt: Vec<String>,
    pub tmpfs: Vec<String>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub uts: Option<String>,
    pub userns_mode: Option<String>,
    /// Cgroup namespace mode: "host" or "private".
    pub cgroupns: Option<String>,
    pub isolation: Option<String>,
    pub runtime: Option<String>,
    pub group_add: Vec<String>,
    pub oom_score_adj: Option<i64>,
    pub shm_size: Option<i64>,
    pub sysctls: BTreeMap<String, String>,
    pub storage_opt: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub volume_driver: Option<String>,
    pub log: Option<LogSpec>,
    pub resources: Resources,
    /// Files written into the container once it is created, before it starts (secrets and
    /// configs whose content is inline or comes from the environment).
    pub files: Vec<FileSpec>,
}

/// One network a container joins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointSpec {
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub link_local_ips: Vec<String>,
    pub mac_address: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub links: Vec<String>,
    pub gw_priority: Option<i64>,
}

impl EndpointSpec {
    /// An endpoint on `network` with these aliases and nothing else.
    pub fn new(network: &str, aliases: &[&str]) -> EndpointSpec {
        EndpointSpec {
            network: network.to_string(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        }
    }
}

/// The logging driver and its options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogSpec {
    pub driver: Option<String>,
    pub options: BTreeMap<String, String>,
}

/// The `HostConfig` resource fields (limits, devices, ulimits).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub cgroup_parent: Option<String>,
    pub memory: Option<i64>,
    pub memory_swap: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub memory_swappiness: Option<i64>,
    pub oom_kill_disable: Option<bool>,
    pub nano_cpus: Option<i64>,
    pub cpu_shares: Option<i64>,
    pub cpu_period: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_realtime_period: Option<i64>,
    pub cpu_realtime_runtime: Option<i64>,
    pub cpu_count: Option<i64>,
    pub cpu_percent: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub pids_limit: Option<i64>,
    pub blkio_weight: Option<u16>,
    /// (device path, weight).
    pub blkio_weight_device: Vec<(String, u16)>,
    /// (device path, rate) for each throttle.
    pub blkio_device_read_bps: Vec<(String, i64)>,
    pub blkio_device_write_bps: Vec<(String, i64)>,
    pub blkio_device_read_iops: Vec<(String, i64)>,
    pub blkio_device_write_iops: Vec<(String, i64)>,
    pub devices: Vec<DeviceSpec>,
    pub device_requests: Vec<DeviceRequestSpec>,
    pub device_cgroup_rules: Vec<String>,
    pub ulimits: Vec<UlimitSpec>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceSpec {
    pub path_on_host: String,
    pub path_in_container: String,
    pub cgroup_permissions: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceRequestSpec {
    pub driver: Option<String>,
    /// -1 means all.
    pub count: Option<i64>,
    pub device_ids: Vec<String>,
    pub capabilities: Vec<Vec<String>>,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UlimitSpec {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// A file written into a container (extracted from a tar at `/`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSpec {
    /// Absolute path inside the container.
    pub path: String,
    pub content: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Ask the engine to own the file by the container's user (Compose does when uid or gid
    /// is given).
    pub copy_uid_gid: bool,
}

/// What the engine answered to a container creation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Created {
    pub id: String,
    /// The engine's warnings (e.g. a limit the kernel cannot enforce).
    pub warnings: Vec<String>,
}

/// Everything needed to create a network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkSpec {
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: Option<bool>,
    pub ipam: Option<IpamSpec>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpamSpec {
    pub driver: Option<String>,
    pub config: Vec<IpamPool>,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpamPool {
    pub subnet: Option<String>,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
    pub aux_addresses: BTreeMap<String, String>,
}

/// Everything needed to create a volume.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VolumeSpec {
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthSpec {
    pub test: Vec<String>,
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub start_period_ns: Option<i64>,
    pub start_interval_ns: Option<i64>,
    pub retries: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MountSpec {
    /// "bind", "volume" or "tmpfs".
    pub kind: String,
    /// Host path (bind) or engine volume name (volume); None for anonymous volumes / tmpfs.
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// Sent as a `Binds` string ("src:dst:mode"), as Compose does for plain binds and named
    /// volumes: for a bind, the engine then creates a missing host directory. Otherwise a
    /// typed `Mount`, which refuses a missing bind source.
    pub legacy: bool,
    /// Bind: "z" or "Z" (only with `legacy`).
    pub selinux: Option<String>,
    /// Bind: "private", "rshared", ...
    pub propagation: Option<String>,
    /// Volume: do not copy the image's content into a new volume.
    pub no_copy: bool,
    /// Volume: mount this sub-directory of the volume.
    pub subpath: Option<String>,
    pub tmpfs_size: Option<i64>,
    pub tmpfs_mode: Option<u32>,
    pub consistency: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildRequest {
    pub service: String,
    /// Tag to apply, e.g. "proj-backend".
    pub tag: String,
    /// The context as an uncompressed tar (see `context::tar`).
    pub context_tar: Vec<u8>,
    /// Dockerfile path inside the tar.
    pub dockerfile: String,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub no_cache: bool,
    /// Build with the classic builder even when BuildKit is on: the context needs the engine
    /// to apply its `.dockerignore` (see `context::Context::needs_classic`).
    pub classic: bool,
}

/// A container event from the engine's event stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    pub container_id: String,
    /// "create", "start", "die", "health_status: healthy", "health_status: unhealthy", ...
    pub action: String,
    pub service: String,
    /// Exit code for "die" events.
    pub exit_code: Option<i64>,
}

/// A command to run in a running container (`mls exec`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub env: Vec<String>,
    pub tty: bool,
    /// Attach mls's stdin to the command's.
    pub stdin: bool,
    pub privileged: bool,
}

/// The streams of a process attached to mls: what it prints, and a writer to its stdin
/// (shutting the writer down closes the process's stdin).
pub struct Session {
    pub output: BoxStream<'static, Result<LogChunk>>,
    pub input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

/// Whose pseudo-terminal a resize is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TtyOf {
    Container(String),
    Exec(String),
}

/// The processes of one container, as `ps` inside it shows them (`mls top`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Top {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LogChunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
}

#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    /// "all" or a number of lines.
    pub tail: Option<String>,
    pub timestamps: bool,
    /// Unix seconds; only logs since then.
    pub since: Option<i64>,
    /// Unix seconds; only logs before then.
    pub until: Option<i64>,
}

/// Splits an image reference into repository and tag ("latest" when none is given); a
/// registry port (`127.0.0.1:5000/app`) is not a tag, and a digest stays with the repository.
pub fn split_reference(reference: &str) -> (&str, &str) {
    if reference.contains('@') {
        return (reference, "");
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            &reference[..last_slash + i],
            &reference[last_slash + i + 1..],
        ),
        None => (reference, "latest"),
    }
}

#[cfg(test)]
#[test]
fn references_split_like_docker() {
    assert_eq!(split_reference("busybox"), ("busybox", "latest"));
    assert_eq!(split_reference("busybox:1.36"), ("busybox", "1.36"));
    assert_eq!(
        split_reference("127.0.0.1:5000/team/app"),
        ("127.0.0.1:5000/team/app", "latest")
    );
    assert_eq!(
        split_reference("127.0.0.1:5000/team/app:v2"),
        ("127.0.0.1:5000/team/app", "v2")
    );
    assert_eq!(split_reference("app@sha256:abc"), ("app@sha256:abc", ""));
}

/// The engine as mls needs it. Async methods return `Send` futures so the executor can run them
/// concurrently on a multi-threaded runtime.
pub trait Engine: Send + Sync + 'static {
    /// The API version spoken with the engine (negotiated at connect time).
    fn api_version(&self) -> ApiVersion;
    /// Everything labelled with `project` (containers incl. stopped, networks, volumes), one list
    /// call each.
    fn snapshot(&self, project: &str) -> impl Future<Output = Result<Snapshot>> + Send;
    fn inspect_image(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<ImageInfo>>> + Send;
    /// Builds an image; `on_line` gets each line of build output as it arrives.
    fn build(
        &self,
        req: BuildRequest,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> impl Future<Output = Result<String>> + Send;
    fn remove_image(&self, reference: &str) -> impl Future<Output = Result<()>> + Send;
    /// Pulls an image from its registry; `on_line` gets each step ("abc: Pull complete").
    fn pull_image(
        &self,
        reference: &str,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Pushes a local image to its registry.
    fn push_image(
        &self,
        reference: &str,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Adds `reference` (`repo[:tag]`) as a further name of image `id`.
    fn tag_image(&self, id: &str, reference: &str) -> impl Future<Output = Result<()>> + Send;
    /// Extracts an uncompressed tar into directory `dest` of a container (which must exist).
    fn copy_to_container(
        &self,
        id: &str,
        tar: Vec<u8>,
        dest: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Creates a network; an existing network of that name is returned as it is.
    fn create_network(&self, spec: &NetworkSpec) -> impl Future<Output = Result<String>> + Send;
    /// The network of exactly this name, if any (labelled or not).
    fn inspect_network(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<NetworkSummary>>> + Send;
    fn remove_network(&self, name: &str) -> impl Future<Output = Result<()>> + Send;
    /// Creates a volume; the engine returns an existing one of that name and driver as it is.
    fn create_volume(&self, spec: &VolumeSpec) -> impl Future<Output = Result<()>> + Send;
    /// The volume of exactly this name, if any (labelled or not).
    fn inspect_volume(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<VolumeSummary>>> + Send;
    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    /// Creates a container attached to every network of the spec (the first at create time,
    /// the others connected right after, as on engines before API 1.44) and writes the spec's
    /// files into it. It is not started.
    fn create_container(
        &self,
        spec: &ContainerSpec,
    ) -> impl Future<Output = Result<Created>> + Send;
    /// Connects an existing container to a further network.
    fn connect_network(
        &self,
        container: &str,
        endpoint: &EndpointSpec,
    ) -> impl Future<Output = Result<()>> + Send;
    fn start_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn stop_container(
        &self,
        id: &str,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<()>> + Send;
    fn remove_container(
        &self,
        id: &str,
        force: bool,
        volumes: bool,
    ) -> impl Future<Output = Result<()>> + Send;
    fn rename_container(&self, id: &str, name: &str) -> impl Future<Output = Result<()>> + Send;
    fn inspect_container(&self, id: &str) -> impl Future<Output = Result<ContainerState>> + Send;
    /// Blocks until the container exits, returning its exit code.
    fn wait_container(&self, id: &str) -> impl Future<Output = Result<i64>> + Send;

    /// The start, die and health_status events of `project`'s containers from the moment of
    /// this call on (the engine replays what happened between the call and the first poll, so
    /// no event is lost).
    fn events(&self, project: &str) -> BoxStream<'static, Result<Event>>;
    fn logs(&self, id: &str, opts: LogOptions) -> BoxStream<'static, Result<LogChunk>>;
    /// Sends a signal to a running container ("SIGKILL" when `None`).
    fn kill_container(
        &self,
        id: &str,
        signal: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;
    fn pause_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    fn unpause_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;
    /// The processes running in a container.
    fn top(&self, id: &str) -> impl Future<Output = Result<Top>> + Send;
    /// Every container labelled with any compose project, running or not (`mls ls`).
    fn compose_containers(&self) -> impl Future<Output = Result<Vec<ContainerSummary>>> + Send;
    /// Attaches to a created container's stdin (when `stdin`), stdout and stderr; call before
    /// starting it so no output is lost.
    fn attach(&self, id: &str, stdin: bool) -> impl Future<Output = Result<Session>> + Send;
    /// Starts a command in a running container attached to a `Session`; returns the exec's id.
    fn exec_attach(
        &self,
        id: &str,
        spec: ExecSpec,
    ) -> impl Future<Output = Result<(String, Session)>> + Send;
    /// Starts a command in a running container in the background.
    fn exec_detached(&self, id: &str, spec: ExecSpec) -> impl Future<Output = Result<()>> + Send;
    /// The exit code of a finished exec (waits briefly for the engine to record it).
    fn exec_exit_code(&self, exec_id: &str) -> impl Future<Output = Result<i64>> + Send;
    /// Resizes the pseudo-terminal of a container or an exec.
    fn resize(&self, of: &TtyOf, rows: u16, cols: u16) -> impl Future<Output = Result<()>> + Send;

    /// Runs a command in a running container, attached to mls's own stdout/stderr; returns its
    /// exit code.
    fn exec(
        &self,
        id: &str,
        cmd: Vec<String>,
        user: Option<String>,
        workdir: Option<String>,
        env: Vec<String>,
        tty: bool,
    ) -> impl Future<Output = Result<i64>> + Send;
}
