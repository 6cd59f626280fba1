//! Walks a Plan concurrently against an Engine along the dependency graph, reporting to the one
//! renderer. It decides nothing: what to build, create or keep comes from `plan`.
//!
//! Waits are event-driven: one task follows the engine's event stream (start, die,
//! health_status) into a `Tracker`, and waiters wake on its notifications instead of polling.

use crate::compose::{Condition, Project};
use crate::engine::{labels, BuildRequest, ContainerState, ContainerSummary, Engine, Event};
use crate::graph::Graph;
use crate::plan::resources::{existing_network, existing_volume, network_spec, volume_spec};
use crate::plan::spec::{carried_volumes, check, container_spec, Context, Replaced};
use crate::plan::{ContainerOp, ContainerStep, Peer, Peers, Plan};
use crate::progress::{Progress, State};
use futures_util::future::join_all;
use futures_util::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How often a waiter re-inspects a container even without events: a safety net against a lost
/// event stream, not the mechanism (events wake waiters immediately).
const SAFETY_REINSPECT: Duration = Duration::from_secs(5);

/// Live state of containers, fed by engine events and by inspections.
#[derive(Default)]
pub struct Tracker {
    state: Mutex<HashMap<String, Observed>>,
    notify: Notify,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Observed {
    running: bool,
    health: Option<String>,
    exit: Option<i64>,
}

impl Tracker {
    fn apply_event(&self, ev: &Event) {
        {
            let mut state = lock(&self.state);
            let s = state.entry(ev.container_id.clone()).or_default();
            match ev.action.as_str() {
                "start" => {
                    s.running = true;
                    s.exit = None;
                }
                "die" => {
                    s.running = false;
                    s.exit = Some(ev.exit_code.unwrap_or(-1));
                }
                a => {
                    if let Some(h) = a.strip_prefix("health_status: ") {
                        s.health = Some(h.trim().to_string());
                    } else {
                        return;
                    }
                }
            }
        }
        self.notify.notify_waiters();
    }

    fn apply_inspect(&self, st: &ContainerState) {
        {
            let mut state = lock(&self.state);
            let s = state.entry(st.id.clone()).or_default();
            s.running = st.running;
            s.exit = (!st.running && st.status == "exited").then_some(st.exit_code);
            s.health = st.health.as_ref().map(|h| h.status.clone());
        }
        self.notify.notify_waiters();
    }

    fn get(&self, id: &str) -> Observed {
        lock(&self.state).get(id).cloned().unwrap_or_default()
    }
}

/// Where a service stands during `up`; dependents watch it.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Pending,
    /// Its container exists but was not started yet.
    Created,
    /// Its container runs (id).
    Started(String),
    /// Started and reported healthy.
    Healthy(String),
    /// Ran to completion with exit code 0.
    Completed(String),
    /// It, or what it needed, failed; the message says why ("" when already reported).
    Failed(String),
}

impl Phase {
    /// The container id once the phase satisfies `condition`.
    fn satisfies(&self, condition: Condition) -> Option<&str> {
        match (self, condition) {
            (
                Phase::Started(id) | Phase::Healthy(id) | Phase::Completed(id),
                Condition::ServiceStarted,
            )
            | (Phase::Healthy(id), Condition::ServiceHealthy)
            | (Phase::Completed(id), Condition::ServiceCompletedSuccessfully) => Some(id),
            _ => None,
        }
    }
}

/// What a dependency wait found.
enum Outcome {
    Met,
    Unhealthy,
    Failed(String),
    Pending,
}

pub struct Executor<'a, E: Engine> {
    pub engine: &'a Arc<E>,
    pub progress: &'a Progress,
    pub project: &'a Project,
    pub graph: &'a Graph,
    pub environ: &'a HashMap<String, String>,
    tracker: Arc<Tracker>,
    events: Option<tokio::task::JoinHandle<()>>,
    /// The project's containers by service as this run leaves them: what `network_mode:
    /// service:x`, `volumes_from` and `links` of containers created later refer to.
    peers: Mutex<Peers>,
}

/// A container `apply` left running (or completed, for one-shot services).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub service: String,
    pub name: String,
    pub id: String,
}

impl<'a, E: Engine> Drop for Executor<'a, E> {
    fn drop(&mut self) {
        if let Some(h) = self.events.take() {
            h.abort();
        }
    }
}

impl<'a, E: Engine> Executor<'a, E> {
    pub fn new(
        engine: &'a Arc<E>,
        progress: &'a Progress,
        project: &'a Project,
        graph: &'a Graph,
        environ: &'a HashMap<String, String>,
    ) -> Self {
        Executor {
            engine,
            progress,
            project,
            graph,
            environ,
            tracker: Arc::new(Tracker::default()),
            events: None,
            peers: Mutex::default(),
        }
    }

    /// Starts following the engine's events for the project. Call before starting containers.
    pub fn follow_events(&mut self) {
        let mut stream = self.engine.events(&self.project.name);
        let tracker = self.tracker.clone();
        self.events = Some(tokio::spawn(async move {
            while let Some(ev) = stream.next().await {
                match ev {
                    Ok(ev) => tracker.apply_event(&ev),
                    Err(_) => break,
                }
            }
        }));
    }

    /// Builds images in parallel; returns image ref → image id. The first failure is returned
    /// after the other builds finished (so their output is not cut off).
    pub async fn build(
        &self,
        requests: Vec<BuildRequest>,
    ) -> crate::error::Result<HashMap<String, String>> {
        let jobs = requests.into_iter().map(|req| async move {
            let service = req.service.clone();
            let tag = req.tag.clone();
            self.progress
                .status("Image", &service, State::Working, "Building");
            let p = self.progress.clone();
            let s = service.clone();
            let res = self
                .engine
                .build(req, Box::new(move |line: &str| p.build_line(&s, line)))
                .await;
            match &res {
                Ok(_) => self
                    .progress
                    .status("Image", &service, State::Done, "Built"),
                Err(e) => self
                    .progress
                    .status("Image", &service, State::Failed, &e.to_string()),
            }
            res.map(|id| (tag, id))
        });
        let mut out = HashMap::new();
        let mut first_err = None;
        for r in join_all(jobs).await {
            match r {
                Ok((tag, id)) => {
                    out.insert(tag, id);
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e.into()),
            None => Ok(out),
        }
    }

    /// Applies the container phase of a plan. Returns service → container id of every service
    /// whose container runs (its first container, when it runs several).
    pub async fn apply(&self, plan: &Plan) -> crate::error::Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for r in self.apply_all(plan).await? {
            out.entry(r.service).or_insert(r.id);
        }
        Ok(out)
    }

    /// Applies the container phase of a plan. Returns every container that runs, in the
    /// order of the plan's steps.
    pub async fn apply_all(&self, plan: &Plan) -> crate::error::Result<Vec<Running>> {
        self.check_services(plan)?;
        for (name, id) in &plan.orphans {
            if plan.remove_orphans {
                self.remove_one(name, id).await?;
            } else {
                self.progress.warn(&format!(
                    "Found orphan container ({name}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up."
                ));
            }
        }
        for (name, id) in &plan.remove {
            self.remove_one(name, id).await?;
        }
        self.check_external(plan).await?;
        let nets = plan
            .networks
            .iter()
            .map(|(key, name)| self.ensure_network(key, name));
        for r in join_all(nets).await {
            r?;
        }
        let vols = plan
            .volumes
            .iter()
            .map(|(key, name)| self.ensure_volume(key, name));
        for r in join_all(vols).await {
            r?;
        }
        *lock(&self.peers) = plan.peers.clone();

        let phases: HashMap<&str, watch::Sender<Phase>> = plan
            .steps()
            .map(|s| (s.name.as_str(), watch::channel(Phase::Pending).0))
            .collect();
        let jobs = plan.steps().map(|step| {
            let phases = &phases;
            async move {
                let tx = &phases[step.name.as_str()];
                let res = self.converge_one(step, plan, phases).await;
                match &res {
                    Ok(id) => {
                        tx.send_replace(Phase::Started(id.clone()));
                        self.report_conditions(step, id, plan, tx).await;
                    }
                    Err(e) => {
                        tx.send_replace(Phase::Failed(e.clone()));
                    }
                }
                res.map(|id| Running {
                    service: step.service.clone(),
                    name: step.name.clone(),
                    id,
                })
            }
        });
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for r in join_all(jobs).await {
            match r {
                Ok(running) => out.push(running),
                Err(e) => errors.push(e),
            }
        }
        match errors.into_iter().find(|e| !e.is_empty()) {
            Some(e) => Err(crate::error::Error::Failed(e)),
            None => Ok(out),
        }
    }

    /// Refuses, before anything is created, what the engine cannot do for the planned
    /// services (as Compose refuses it), and shows what it would silently ignore.
    fn check_services(&self, plan: &Plan) -> crate::error::Result<()> {
        let api = self.engine.api_version();
        let services: std::collections::BTreeSet<&str> =
            plan.steps().map(|s| s.service.as_str()).collect();
        for name in services {
            let service = &self.project.services[name];
            let warnings = check(self.project, service, self.environ, api)
                .map_err(|e| crate::error::Error::Failed(format!("service {name:?}: {e}")))?;
            for w in warnings {
                self.progress.warn(&w);
            }
        }
        Ok(())
    }

    /// Fails, as Compose does, when an `external` network or volume a service uses is missing.
    async fn check_external(&self, plan: &Plan) -> crate::error::Result<()> {
        for name in &plan.external_networks {
            if self.engine.inspect_network(name).await?.is_none() {
                return Err(crate::error::Error::Failed(format!(
                    "network {name} declared as external, but could not be found"
                )));
            }
        }
        for name in &plan.external_volumes {
            if self.engine.inspect_volume(name).await?.is_none() {
                return Err(crate::error::Error::Failed(format!(
                    "external volume {name:?} not found"
                )));
            }
        }
        Ok(())
    }

    /// Creates network `key` unless a network of its name exists: one Compose made for this
    /// project is used, a foreign one is refused (Compose's words).
    async fn ensure_network(&self, key: &str, name: &str) -> crate::error::Result<()> {
        let api = self.engine.api_version();
        let (spec, warnings) =
            network_spec(self.project, key, api).map_err(crate::error::Error::Failed)?;
        for w in warnings {
            self.progress.warn(&w);
        }
        if let Some(found) = self.engine.inspect_network(name).await? {
            let (warning, verdict) = existing_network(&self.project.name, key, &found);
            if let Some(w) = warning {
                self.progress.warn(&w);
            }
            return verdict.map_err(crate::error::Error::Failed);
        }
        self.report("Network", name, self.engine.create_network(&spec))
            .await?;
        Ok(())
    }

    /// Creates volume `key` unless a volume of its name exists, which is used (with Compose's
    /// warning when Compose did not create it for this project).
    async fn ensure_volume(&self, key: &str, name: &str) -> crate::error::Result<()> {
        let spec = volume_spec(self.project, key).map_err(crate::error::Error::Failed)?;
        if let Some(found) = self.engine.inspect_volume(name).await? {
            if let Some(w) = existing_volume(&self.project.name, &found) {
                self.progress.warn(&w);
            }
            return Ok(());
        }
        self.report("Volume", name, self.engine.create_volume(&spec))
            .await?;
        Ok(())
    }

    /// The phases of the containers of `service` in this run (none when it is not part of it).
    fn phases_of<'p>(
        &self,
        plan: &Plan,
        service: &str,
        phases: &'p HashMap<&str, watch::Sender<Phase>>,
    ) -> Vec<(&'p watch::Sender<Phase>, String)> {
        plan.steps_of(service)
            .filter_map(|s| phases.get(s.name.as_str()).map(|tx| (tx, s.name.clone())))
            .collect()
    }

    /// Once a service runs, finds out (once, for all its dependents in this plan) whether it
    /// turns healthy or completes, and publishes that.
    async fn report_conditions(
        &self,
        step: &ContainerStep,
        id: &str,
        plan: &Plan,
        tx: &watch::Sender<Phase>,
    ) {
        let needed: Vec<Condition> = self
            .graph
            .dependents(&step.service)
            .into_iter()
            .filter(|(d, _)| {
                plan.steps_of(d)
                    .any(|s| !matches!(s.op, ContainerOp::Keep { .. }))
            })
            .map(|(_, e)| e.condition)
            .collect();
        for condition in [
            Condition::ServiceHealthy,
            Condition::ServiceCompletedSuccessfully,
        ] {
            if !needed.contains(&condition) {
                continue;
            }
            match self
                .wait_condition(id, &step.name, &step.service, condition)
                .await
            {
                Ok(()) => {
                    tx.send_replace(match condition {
                        Condition::ServiceHealthy => Phase::Healthy(id.to_string()),
                        _ => Phase::Completed(id.to_string()),
                    });
                }
                Err(e) => {
                    self.progress
                        .status("Container", &step.name, State::Failed, &e);
                    tx.send_replace(Phase::Failed(e));
                    return;
                }
            }
        }
    }

    /// Creates the container ahead (so it is ready the moment its dependencies are), waits for
    /// its dependencies' conditions, then starts it. An empty error means "not started because
    /// a dependency failed" (reported once, by the dependency's waiter).
    ///
    /// Creation waits until what it depends on was created, and, behind a health or completion
    /// condition, started: that wait lasts at least a probe interval, so the create fits in it,
    /// and it keeps the engine free for the containers on the critical path.
    async fn converge_one(
        &self,
        step: &ContainerStep,
        plan: &Plan,
        phases: &HashMap<&str, watch::Sender<Phase>>,
    ) -> Result<String, String> {
        if let ContainerOp::Keep { id } = &step.op {
            // Running and unchanged: its dependencies were satisfied when it started.
            self.progress
                .status("Container", &step.name, State::Done, "Running");
            return Ok(id.clone());
        }
        for (dep, edge) in self.graph.dependencies(&step.service) {
            for (tx, _) in self.phases_of(plan, &dep, phases) {
                let _ = tx
                    .subscribe()
                    .wait_for(|p| match p {
                        Phase::Pending => false,
                        Phase::Created => edge.condition == Condition::ServiceStarted,
                        _ => true,
                    })
                    .await;
            }
        }
        let id = self.prepare(step).await?;
        if let Some(tx) = phases.get(step.name.as_str()) {
            tx.send_if_modified(|p| {
                let first = *p == Phase::Pending;
                if first {
                    *p = Phase::Created;
                }
                first
            });
        }
        // Dependencies not part of this run (e.g. --no-deps, scale 0) have no phases.
        for (dep, edge) in self.graph.dependencies(&step.service) {
            let mut failure = None;
            for (tx, name) in self.phases_of(plan, &dep, phases) {
                let mut rx = tx.subscribe();
                let phase = rx
                    .wait_for(|p| {
                        p.satisfies(edge.condition).is_some() || matches!(p, Phase::Failed(_))
                    })
                    .await
                    .map(|p| p.clone())
                    .unwrap_or(Phase::Failed(String::new()));
                if let Phase::Failed(e) = phase {
                    failure = Some((e, name));
                    break;
                }
            }
            let Some((e, dep_name)) = failure else {
                continue;
            };
            if !edge.required {
                self.progress
                    .warn(&format!("optional dependency {dep} failed: {e}"));
                continue;
            }
            self.progress.status(
                "Container",
                &step.name,
                State::Failed,
                &format!("not started: dependency {dep} failed"),
            );
            return Err(if e.is_empty() {
                String::new()
            } else if e.contains(dep_name.as_str()) {
                format!("dependency failed to start: {e}")
            } else {
                format!("dependency failed to start: container {dep_name}: {e}")
            });
        }
        self.start(step, &id).await?;
        Ok(id)
    }

    /// Creates (or recreates) the container of a step; for `Start` returns the existing id.
    ///
    /// Recreation goes as in Compose: the new container is created under a temporary name
    /// (inheriting the old one's anonymous volumes), then the old one is stopped and removed
    /// (its volumes kept), and the new one takes the name.
    async fn prepare(&self, step: &ContainerStep) -> Result<String, String> {
        let fail = |e: String| {
            self.progress
                .status("Container", &step.name, State::Failed, &e);
            e
        };
        let id = match &step.op {
            ContainerOp::Keep { id } | ContainerOp::Start { id } => return Ok(id.clone()),
            ContainerOp::Create => {
                self.progress
                    .status("Container", &step.name, State::Working, "Creating");
                self.create(step, &step.name, None).await.map_err(fail)?
            }
            ContainerOp::Recreate {
                id: old, mounts, ..
            } => {
                self.progress
                    .status("Container", &step.name, State::Working, "Recreate");
                let image_volumes = match self.engine.inspect_image(&step.image).await {
                    Ok(info) => info.map(|i| i.volumes).unwrap_or_default(),
                    Err(e) => return Err(fail(e.to_string())),
                };
                let replaced = Replaced {
                    mounts: mounts.clone(),
                    image_volumes,
                };
                let tmp = format!("{}_{}", &old[..old.len().min(12)], step.name);
                let id = self
                    .create(step, &tmp, Some(&replaced))
                    .await
                    .map_err(fail)?;
                let timeout = self.stop_timeout(&step.service);
                let swap = async {
                    self.engine.stop_container(old, timeout).await?;
                    self.engine.remove_container(old, true, false).await?;
                    self.engine.rename_container(&id, &step.name).await
                };
                swap.await.map_err(|e| fail(e.to_string()))?;
                id
            }
        };
        let peer = Peer {
            number: step.number,
            name: step.name.clone(),
            id: id.clone(),
        };
        let mut peers = lock(&self.peers);
        let list = peers.entry(step.service.clone()).or_default();
        list.retain(|p| p.number != step.number);
        list.push(peer);
        list.sort_by_key(|p| p.number);
        drop(peers);
        let done = match step.op {
            ContainerOp::Recreate { .. } => "Recreated",
            _ => "Created",
        };
        self.progress
            .status("Container", &step.name, State::Working, done);
        Ok(id)
    }

    /// Creates the container of `step` under `name`, attached to its networks and with its
    /// files written; the engine's warnings are shown.
    async fn create(
        &self,
        step: &ContainerStep,
        name: &str,
        replaced: Option<&Replaced>,
    ) -> Result<String, String> {
        let service = &self.project.services[&step.service];
        let peers = lock(&self.peers).clone();
        let cx = Context {
            environ: self.environ,
            oneoff: false,
            peers: &peers,
            replaced,
        };
        let mut spec = container_spec(self.project, service, step, &cx)?;
        spec.name = name.to_string();
        if replaced.is_some() {
            let replaced_name = service
                .container_name
                .clone()
                .unwrap_or_else(|| format!("{}-{}", service.name, step.number));
            spec.labels.insert(labels::REPLACE.into(), replaced_name);
        }
        let created = self
            .engine
            .create_container(&spec)
            .await
            .map_err(|e| e.to_string())?;
        for w in &created.warnings {
            self.progress.warn(w);
        }
        Ok(created.id)
    }

    async fn start(&self, step: &ContainerStep, id: &str) -> Result<(), String> {
        self.progress
            .status("Container", &step.name, State::Working, "Starting");
        self.engine.start_container(id).await.map_err(|e| {
            let e = e.to_string();
            self.progress
                .status("Container", &step.name, State::Failed, &e);
            e
        })?;
        self.progress
            .status("Container", &step.name, State::Done, "Started");
        Ok(())
    }

    fn stop_timeout(&self, service: &str) -> Option<Duration> {
        self.project
            .services
            .get(service)
            .and_then(|s| s.stop_grace_period.as_deref())
            .and_then(crate::compose::parse_duration)
    }

    /// Waits until container `id` meets `condition`. Errors are phrased for users and name the
    /// container; an unhealthy container's last healthcheck output is included.
    pub async fn wait_condition(
        &self,
        id: &str,
        name: &str,
        service: &str,
        condition: Condition,
    ) -> Result<(), String> {
        if condition == Condition::ServiceStarted {
            return Ok(());
        }
        let mut announced = false;
        loop {
            let notified = self.tracker.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let st = self
                .engine
                .inspect_container(id)
                .await
                .map_err(|e| format!("container {name}: {e}"))?;
            self.tracker.apply_inspect(&st);
            if condition == Condition::ServiceHealthy && !st.has_healthcheck {
                return Err(format!("container {name} has no healthcheck configured"));
            }
            loop {
                match self.check(id, name, service, condition) {
                    Outcome::Met => {
                        if announced {
                            self.progress.status(
                                "Container",
                                name,
                                State::Done,
                                match condition {
                                    Condition::ServiceHealthy => "Healthy",
                                    _ => "Exited",
                                },
                            );
                        }
                        return Ok(());
                    }
                    Outcome::Unhealthy => {
                        let last = match self.engine.inspect_container(id).await {
                            Ok(st) => last_probe(&st),
                            Err(_) => last_probe(&st),
                        };
                        return Err(format!("container {name} is unhealthy{last}"));
                    }
                    Outcome::Failed(e) => return Err(e),
                    Outcome::Pending => {}
                }
                if !announced {
                    announced = true;
                    self.progress
                        .status("Container", name, State::Working, "Waiting");
                }
                let woke = tokio::time::timeout(SAFETY_REINSPECT, notified.as_mut()).await;
                if woke.is_err() {
                    break; // re-inspect
                }
                notified.set(self.tracker.notify.notified());
                notified.as_mut().enable();
            }
        }
    }

    fn check(&self, id: &str, name: &str, service: &str, condition: Condition) -> Outcome {
        let o = self.tracker.get(id);
        match condition {
            Condition::ServiceStarted => Outcome::Met,
            Condition::ServiceHealthy => match (o.health.as_deref(), o.exit) {
                (Some("healthy"), _) if o.running => Outcome::Met,
                (Some("unhealthy"), _) => Outcome::Unhealthy,
                (_, Some(code)) => Outcome::Failed(format!(
                    "container {name} exited ({code}) before it became healthy"
                )),
                _ => Outcome::Pending,
            },
            Condition::ServiceCompletedSuccessfully => match o.exit {
                Some(0) => Outcome::Met,
                Some(code) => Outcome::Failed(format!(
                    "service {service:?} didn't complete successfully: exit {code}"
                )),
                None => Outcome::Pending,
            },
        }
    }

    /// `--wait`: every container healthy (when it has a healthcheck) or running. A container that
    /// exited 0 is fine when something waits for it to complete.
    pub async fn wait_ready(&self, ready: &[Running]) -> Result<(), String> {
        let jobs = ready.iter().map(|r| async move {
            let (service, name, id) = (&r.service, r.name.as_str(), &r.id);
            let st = self
                .engine
                .inspect_container(id)
                .await
                .map_err(|e| format!("container {name}: {e}"))?;
            let completes = self
                .graph
                .dependents(service)
                .iter()
                .any(|(_, e)| e.condition == Condition::ServiceCompletedSuccessfully);
            let cond = if st.has_healthcheck {
                Condition::ServiceHealthy
            } else if completes {
                Condition::ServiceCompletedSuccessfully
            } else if st.running {
                return Ok(());
            } else {
                return Err(format!("container {name} exited ({})", st.exit_code));
            };
            self.wait_condition(id, name, service, cond).await
        });
        for r in join_all(jobs).await {
            r?;
        }
        Ok(())
    }

    /// Runs the creation of a network or volume, reporting it as it starts and ends.
    async fn report<T>(
        &self,
        kind: &str,
        name: &str,
        create: impl std::future::Future<Output = crate::engine::Result<T>>,
    ) -> crate::engine::Result<T> {
        self.progress.status(kind, name, State::Working, "Creating");
        let r = create.await;
        match &r {
            Ok(_) => self.progress.status(kind, name, State::Done, "Created"),
            Err(e) => self
                .progress
                .status(kind, name, State::Failed, &e.to_string()),
        }
        r
    }

    /// Stops and removes one container (an orphan or a surplus replica), reporting it.
    async fn remove_one(&self, name: &str, id: &str) -> crate::error::Result<()> {
        self.progress
            .status("Container", name, State::Working, "Removing");
        self.engine.stop_container(id, None).await?;
        self.engine.remove_container(id, true, false).await?;
        self.progress
            .status("Container", name, State::Done, "Removed");
        Ok(())
    }

    /// Stops (and with `remove`, removes) containers, dependents before what they depend on:
    /// one-off and orphan containers first, then the graph's levels from the top down, each
    /// level in parallel. `timeout` overrides each service's `stop_grace_period`. With
    /// `volumes`, removal also removes the containers' anonymous volumes (`down -v`).
    pub async fn stop_all(
        &self,
        containers: &[&ContainerSummary],
        timeout: Option<Duration>,
        remove: bool,
        volumes: bool,
    ) -> crate::error::Result<()> {
        let mut levels = self.graph.levels();
        levels.reverse();
        let level_of = |c: &ContainerSummary| {
            let s = c.service().unwrap_or("");
            match levels.iter().position(|l| l.iter().any(|x| x == s)) {
                Some(i) if !c.is_oneoff() => i + 1,
                _ => 0,
            }
        };
        for level in 0..=levels.len() {
            let jobs = containers
                .iter()
                .filter(|c| level_of(c) == level)
                .map(|c| async move {
                    let t = timeout.or_else(|| c.service().and_then(|s| self.stop_timeout(s)));
                    self.progress
                        .status("Container", &c.name, State::Working, "Stopping");
                    self.engine.stop_container(&c.id, t).await?;
                    if !remove {
                        self.progress
                            .status("Container", &c.name, State::Done, "Stopped");
                        return Ok(());
                    }
                    // Like Compose: Stopping, Stopped, Removing, Removed.
                    for text in ["Stopped", "Removing"] {
                        self.progress
                            .status("Container", &c.name, State::Working, text);
                    }
                    // The engine's `v` keeps anonymous volumes a recreated container took
                    // over by name: they go too (one still in use elsewhere stays).
                    let carried = match volumes {
                        true => match self.engine.inspect_container(&c.id).await {
                            Ok(st) => carried_volumes(self.project, &st.mounted_volumes),
                            Err(_) => Vec::new(),
                        },
                        false => Vec::new(),
                    };
                    self.engine.remove_container(&c.id, true, volumes).await?;
                    for v in carried {
                        let _ = self.engine.remove_volume(&v).await;
                    }
                    self.progress
                        .status("Container", &c.name, State::Done, "Removed");
                    Ok::<(), crate::engine::EngineError>(())
                });
            for r in join_all(jobs).await {
                r?;
            }
        }
        Ok(())
    }
}

fn last_probe(st: &ContainerState) -> String {
    st.health
        .as_ref()
        .and_then(|h| h.log.last())
        .map(|p| {
            format!(
                "\n  last healthcheck output (exit {}): {}",
                p.exit_code,
                p.output.trim()
            )
        })
        .unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
#[path = "executor_tests.rs"]
mod tests;
