//! An in-memory engine for fast executor tests. Containers "run" instantly; what a container does
//! after start (turn healthy, turn unhealthy, exit with a code) is scripted per service. Every
//! mutating call is recorded in `calls` so tests can assert order.

use super::*;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// What a service's container does once started.
#[derive(Debug, Clone, PartialEq)]
pub enum Script {
    /// Keeps running; turns healthy if it has a healthcheck.
    Healthy,
    /// Keeps running and turns unhealthy, with this probe output.
    Unhealthy(String),
    /// Exits at once with this code.
    Exits(i64),
}

#[derive(Debug, Clone)]
struct FakeContainer {
    summary: ContainerSummary,
    spec: ContainerSpec,
    state: ContainerState,
}

#[derive(Default)]
struct World {
    containers: Vec<FakeContainer>,
    networks: Vec<NetworkSummary>,
    volumes: Vec<VolumeSummary>,
    images: HashMap<String, ImageInfo>,
    /// References a pull can find.
    registry: std::collections::BTreeSet<String>,
    next_id: u64,
}

pub struct Fake {
    world: Mutex<World>,
    /// The API version the fake claims to speak (default 1.41, Docker Engine 20.10).
    pub api: Mutex<ApiVersion>,
    scripts: Mutex<HashMap<String, Script>>,
    events: broadcast::Sender<Event>,
    /// "create p-api-1", "start p-api-1", "build p-api", ... in call order.
    pub calls: Mutex<Vec<String>>,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            world: Mutex::default(),
            api: Mutex::new(ApiVersion(1, 41)),
            scripts: Mutex::default(),
            events: broadcast::channel(1024).0,
            calls: Mutex::default(),
        }
    }
}

impl Fake {
    pub fn new() -> Fake {
        Fake::default()
    }

    /// Scripts what containers of `service` do after start (default: `Healthy`).
    pub fn script(&self, service: &str, script: Script) {
        lock(&self.scripts).insert(service.to_string(), script);
    }

    /// Adds an image as if pulled or built earlier.
    pub fn add_image(&self, reference: &str, info: ImageInfo) {
        lock(&self.world).images.insert(reference.to_string(), info);
    }

    /// Adds a network as if someone else created it.
    pub fn add_network(&self, network: NetworkSummary) {
        lock(&self.world).networks.push(network);
    }

    /// Adds a volume as if someone else created it.
    pub fn add_volume(&self, volume: VolumeSummary) {
        lock(&self.world).volumes.push(volume);
    }

    /// Makes `reference` pullable.
    pub fn publish(&self, reference: &str) {
        lock(&self.world).registry.insert(reference.to_string());
    }

    pub fn calls(&self) -> Vec<String> {
        lock(&self.calls).clone()
    }

    fn record(&self, call: String) {
        lock(&self.calls).push(call);
    }

    fn emit(&self, id: &str, service: &str, action: &str, exit_code: Option<i64>) {
        let _ = self.events.send(Event {
            container_id: id.to_string(),
            action: action.to_string(),
            service: service.to_string(),
            exit_code,
        });
    }

    fn find<'w>(world: &'w mut World, id: &str) -> Result<&'w mut FakeContainer> {
        world
            .containers
            .iter_mut()
            .find(|c| c.summary.id == id || c.summary.name == id)
            .ok_or_else(|| EngineError::NotFound(format!("container {id}")))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine for Fake {
    fn api_version(&self) -> ApiVersion {
        *lock(&self.api)
    }

    async fn snapshot(&self, project: &str) -> Result<Snapshot> {
        let w = lock(&self.world);
        let mine = |l: &BTreeMap<String, String>| {
            l.get(labels::PROJECT).map(String::as_str) == Some(project)
        };
        Ok(Snapshot {
            containers: w
                .containers
                .iter()
                .filter(|c| mine(&c.summary.labels))
                .map(|c| c.summary.clone())
                .collect(),
            networks: w
                .networks
                .iter()
                .filter(|n| mine(&n.labels))
                .cloned()
                .collect(),
            volumes: w
                .volumes
                .iter()
                .filter(|v| mine(&v.labels))
                .cloned()
                .collect(),
        })
    }

    async fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>> {
        Ok(lock(&self.world).images.get(reference).cloned())
    }

    async fn build(
        &self,
        req: BuildRequest,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<String> {
        self.record(format!("build {}", req.tag));
        on_line("Step 1/1 : FROM scratch");
        let mut w = lock(&self.world);
        w.next_id += 1;
        let id = format!("sha256:built{}", w.next_id);
        w.images.insert(
            req.tag.clone(),
            ImageInfo {
                id: id.clone(),
                labels: req.labels.clone(),
                repo_tags: vec![req.tag],
                ..Default::default()
            },
        );
        Ok(id)
    }

    async fn pull_image(
        &self,
        reference: &str,
        on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<()> {
        self.record(format!("pull {reference}"));
        let mut w = lock(&self.world);
        if !w.registry.contains(reference) {
            return Err(EngineError::Api(format!(
                "pull {reference}: manifest unknown"
            )));
        }
        w.next_id += 1;
        let id = format!("sha256:pulled{}", w.next_id);
        w.images.insert(
            reference.to_string(),
            ImageInfo {
                id,
                ..Default::default()
            },
        );
        on_line("Pull complete");
        Ok(())
    }

    async fn push_image(
        &self,
        reference: &str,
        _on_line: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Result<()> {
        self.record(format!("push {reference}"));
        lock(&self.world).registry.insert(reference.to_string());
        Ok(())
    }

    async fn tag_image(&self, id: &str, reference: &str) -> Result<()> {
        self.record(format!("tag {id} {reference}"));
        let mut w = lock(&self.world);
        let info = w.images.values().find(|i| i.id == id).cloned();
        match info {
            Some(info) => {
                w.images.insert(reference.to_string(), info);
                Ok(())
            }
            None => Err(EngineError::NotFound(format!("image {id}"))),
        }
    }

    async fn copy_to_container(&self, id: &str, tar: Vec<u8>, dest: &str) -> Result<()> {
        self.record(format!("copy {id} {dest} {}B", tar.len()));
        Ok(())
    }

    async fn remove_image(&self, reference: &str) -> Result<()> {
        self.record(format!("rmi {reference}"));
        lock(&self.world).images.remove(reference);
        Ok(())
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<String> {
        if let Some(n) = self.inspect_network(&spec.name).await? {
            return Ok(n.id);
        }
        self.record(format!("network create {}", spec.name));
        lock(&self.world).networks.push(NetworkSummary {
            id: spec.name.clone(),
            name: spec.name.clone(),
            labels: spec.labels.clone(),
        });
        Ok(spec.name.clone())
    }

    async fn inspect_network(&self, name: &str) -> Result<Option<NetworkSummary>> {
        let w = lock(&self.world);
        Ok(w.networks.iter().find(|n| n.name == name).cloned())
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        self.record(format!("network rm {name}"));
        lock(&self.world).networks.retain(|n| n.name != name);
        Ok(())
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> Result<()> {
        if self.inspect_volume(&spec.name).await?.is_some() {
            return Ok(());
        }
        self.record(format!("volume create {}", spec.name));
        lock(&self.world).volumes.push(VolumeSummary {
            name: spec.name.clone(),
            labels: spec.labels.clone(),
        });
        Ok(())
    }

    async fn inspect_volume(&self, name: &str) -> Result<Option<VolumeSummary>> {
        let w = lock(&self.world);
        Ok(w.volumes.iter().find(|v| v.name == name).cloned())
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.record(format!("volume rm {name}"));
        lock(&self.world).volumes.retain(|v| v.name != name);
        Ok(())
    }

    async fn create_container(&self, spec: &ContainerSpec) -> Result<Created> {
        self.record(format!("create {}", spec.name));
        let id = {
            let mut w = lock(&self.world);
            if w.containers.iter().any(|c| c.summary.name == spec.name) {
                return Err(EngineError::Api(format!(
                    "Conflict. The container name \"/{}\" is already in use",
                    spec.name
                )));
            }
            w.next_id += 1;
            let id = format!("c{}", w.next_id);
            let image = w.images.get(&spec.image);
            let image_id = image.map(|i| i.id.clone()).unwrap_or_default();
            let image_hc = image.and_then(|i| i.healthcheck.clone());
            let has_hc = match &spec.healthcheck {
                Some(h) if h.test.first().map(String::as_str) == Some("NONE") => false,
                Some(h) if !h.test.is_empty() => true,
                _ => image_hc.is_some_and(|t| t.first().map(String::as_str) != Some("NONE")),
            };
            let mounts = spec
                .mounts
                .iter()
                .filter(|m| m.kind != "tmpfs")
                .map(|m| {
                    let generated = || format!("anon-{}-{}", id, m.target.trim_start_matches('/'));
                    MountPoint {
                        kind: m.kind.clone(),
                        name: match m.kind.as_str() {
                            "volume" => m.source.clone().unwrap_or_else(generated),
                            _ => String::new(),
                        },
                        source: m.source.clone().unwrap_or_default(),
                        destination: m.target.clone(),
                        rw: !m.read_only,
                        driver: match m.kind.as_str() {
                            "volume" => "local".to_string(),
                            _ => String::new(),
                        },
                    }
                })
                .collect();
            w.containers.push(FakeContainer {
                summary: ContainerSummary {
                    id: id.clone(),
                    name: spec.name.clone(),
                    image: spec.image.clone(),
                    image_id,
                    labels: spec.labels.clone(),
                    state: "created".into(),
                    status: "Created".into(),
                    mounts,
                    ..Default::default()
                },
                spec: spec.clone(),
                state: ContainerState {
                    id: id.clone(),
                    name: spec.name.clone(),
                    status: "created".into(),
                    has_healthcheck: has_hc,
                    mounted_volumes: spec
                        .mounts
                        .iter()
                        .filter(|m| m.kind == "volume" && !m.legacy)
                        .filter_map(|m| m.source.clone())
                        .collect(),
                    ..Default::default()
                },
            });
            id
        };
        if spec.network_mode.is_none() {
            for endpoint in spec.networks.iter().skip(1) {
                self.connect_network(&spec.name, endpoint).await?;
            }
        }
        for file in &spec.files {
            self.record(format!("copy {} {}", spec.name, file.path));
        }
        Ok(Created {
            id,
            warnings: Vec::new(),
        })
    }

    async fn connect_network(&self, container: &str, endpoint: &EndpointSpec) -> Result<()> {
        self.record(format!("connect {container} {}", endpoint.network));
        Ok(())
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        let (name, service, has_hc) = {
            let mut w = lock(&self.world);
            let c = Self::find(&mut w, id)?;
            c.summary.state = "running".into();
            c.summary.status = "Up".into();
            c.state.running = true;
            c.state.status = "running".into();
            let service = c.summary.service().unwrap_or_default().to_string();
            (c.summary.name.clone(), service, c.state.has_healthcheck)
        };
        self.record(format!("start {name}"));
        let id = {
            let mut w = lock(&self.world);
            Self::find(&mut w, id)?.summary.id.clone()
        };
        self.emit(&id, &service, "start", None);
        let script = lock(&self.scripts)
            .get(&service)
            .cloned()
            .unwrap_or(Script::Healthy);
        let mut w = lock(&self.world);
        let c = Self::find(&mut w, &id)?;
        match script {
            Script::Healthy if has_hc => {
                c.state.health = Some(Health {
                    status: "healthy".into(),
                    log: vec![],
                });
                c.summary.status = "Up (healthy)".into();
                drop(w);
                self.emit(&id, &service, "health_status: healthy", None);
            }
            Script::Healthy => {}
            Script::Unhealthy(output) => {
                c.state.health = Some(Health {
                    status: "unhealthy".into(),
                    log: vec![HealthProbe {
                        exit_code: 1,
                        output,
                        ..Default::default()
                    }],
                });
                c.summary.status = "Up (unhealthy)".into();
                drop(w);
                self.emit(&id, &service, "health_status: unhealthy", None);
            }
            Script::Exits(code) => {
                c.state.running = false;
                c.state.status = "exited".into();
                c.state.exit_code = code;
                c.summary.state = "exited".into();
                c.summary.status = format!("Exited ({code})");
                drop(w);
                self.emit(&id, &service, "die", Some(code));
            }
        }
        Ok(())
    }

    async fn stop_container(&self, id: &str, _timeout: Option<Duration>) -> Result<()> {
        let mut w = lock(&self.world);
        let c = Self::find(&mut w, id)?;
        let name = c.summary.name.clone();
        c.summary.state = "exited".into();
        c.state.running = false;
        drop(w);
        self.record(format!("stop {name}"));
        Ok(())
    }

    async fn remove_container(&self, id: &str, _force: bool, volumes: bool) -> Result<()> {
        let mut w = lock(&self.world);
        let name = Self::find(&mut w, id)?.summary.name.clone();
        w.containers.retain(|c| c.summary.name != name);
        drop(w);
        self.record(format!("rm{} {name}", if volumes { " -v" } else { "" }));
        Ok(())
    }

    async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        let mut w = lock(&self.world);
        let c = Self::find(&mut w, id)?;
        let old = std::mem::replace(&mut c.summary.name, name.to_string());
        c.state.name = name.to_string();
        drop(w);
        self.record(format!("rename {old} {name}"));
        Ok(())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerState> {
        let mut w = lock(&self.world);
        Ok(Self::find(&mut w, id)?.state.clone())
    }

    async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut w = lock(&self.world);
        Ok(Self::find(&mut w, id)?.state.exit_code)
    }

    fn events(&self, _project: &str) -> BoxStream<'static, Result<Event>> {
        let rx = self.events.subscribe();
        futures_util::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => return Some((Ok(ev), rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .boxed()
    }

    fn logs(&self, _id: &str, _opts: LogOptions) -> BoxStream<'static, Result<LogChunk>> {
        futures_util::stream::empty().boxed()
    }

    async fn kill_container(&self, id: &str, signal: Option<&str>) -> Result<()> {
        let mut w = lock(&self.world);
        let c = Self::find(&mut w, id)?;
        let name = c.summary.name.clone();
        c.summary.state = "exited".into();
        c.summary.status = "Exited (137)".into();
        c.state.running = false;
        drop(w);
        self.record(format!("kill {name} {}", signal.unwrap_or("SIGKILL")));
        Ok(())
    }

    async fn pause_container(&self, id: &str) -> Result<()> {
        self.set_state(id, "paused", "pause")
    }

    async fn unpause_container(&self, id: &str) -> Result<()> {
        self.set_state(id, "running", "unpause")
    }

    async fn top(&self, id: &str) -> Result<Top> {
        let mut w = lock(&self.world);
        let c = Self::find(&mut w, id)?;
        Ok(Top {
            titles: vec!["PID".into(), "CMD".into()],
            processes: vec![vec!["1".into(), c.summary.command.clone()]],
        })
    }

    async fn compose_containers(&self) -> Result<Vec<ContainerSummary>> {
        Ok(lock(&self.world)
            .containers
            .iter()
            .filter(|c| c.summary.labels.contains_key(labels::PROJECT))
            .map(|c| c.summary.clone())
            .collect())
    }

    async fn attach(&self, id: &str, _stdin: bool) -> Result<Session> {
        self.record(format!("attach {id}"));
        Ok(Session {
            output: futures_util::stream::empty().boxed(),
            input: Box::pin(tokio::io::sink()),
        })
    }

    async fn exec_attach(&self, id: &str, spec: ExecSpec) -> Result<(String, Session)> {
        self.record(format!("exec {id} {}", spec.cmd.join(" ")));
        Ok((
            format!("exec-{id}"),
            Session {
                output: futures_util::stream::empty().boxed(),
                input: Box::pin(tokio::io::sink()),
            },
        ))
    }

    async fn exec_detached(&self, id: &str, spec: ExecSpec) -> Result<()> {
        self.record(format!("exec -d {id} {}", spec.cmd.join(" ")));
        Ok(())
    }

    async fn exec_exit_code(&self, _exec_id: &str) -> Result<i64> {
        Ok(0)
    }

    async fn resize(&self, _of: &TtyOf, _rows: u16, _cols: u16) -> Result<()> {
        Ok(())
    }

    async fn exec(
        &self,
        id: &str,
        cmd: Vec<String>,
        _user: Option<String>,
        _workdir: Option<String>,
        _env: Vec<String>,
        _tty: bool,
    ) -> Result<i64> {
        self.record(format!("exec {id} {}", cmd.join(" ")));
        Ok(0)
    }
}

impl Fake {
    /// Sets a container's state as `pause`/`unpause` do, recording the call.
    fn set_state(&self, id: &str, state: &str, call: &str) -> Result<()> {
        let mut w = lock(&self.world);
        let c = Self::find(&mut w, id)?;
        let name = c.summary.name.clone();
        c.summary.state = state.to_string();
        drop(w);
        self.record(format!("{call} {name}"));
        Ok(())
    }

    /// The spec a container was created with, by name.
    pub fn spec(&self, name: &str) -> Option<ContainerSpec> {
        lock(&self.world)
            .containers
            .iter()
            .find(|c| c.summary.name == name)
            .map(|c| c.spec.clone())
    }
}
