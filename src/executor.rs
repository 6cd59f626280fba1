//! Walks a Plan concurrently against an Engine along the dependency graph, reporting to the one
//! renderer. It decides nothing: what to build, create or keep comes from `plan`.
//!
//! Waits are event-driven: one task follows the engine's event stream (start, die,
//! health_status) into a `Tracker`, and waiters wake on its notifications instead of polling.

use crate::compose::{Condition, Project};
use crate::engine::{BuildRequest, ContainerState, ContainerSummary, Engine, Event};
use crate::graph::Graph;
use crate::plan::spec::container_spec;
use crate::plan::{ContainerOp, ContainerStep, Plan};
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
    /// whose container runs.
    pub async fn apply(&self, plan: &Plan) -> crate::error::Result<BTreeMap<String, String>> {
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
        let nets = plan.networks.iter().map(|(key, name)| {
            let net = &self.project.networks[key];
            let labels = self.resource_labels(&net.labels, crate::engine::labels::NETWORK, key);
            let create = self
                .engine
                .create_network(name, net.driver.as_deref(), labels);
            self.report("Network", name, create)
        });
        let vols = plan.volumes.iter().map(|(key, name)| {
            let vol = &self.project.volumes[key];
            let labels = self.resource_labels(&vol.labels, crate::engine::labels::VOLUME, key);
            let create = self
                .engine
                .create_volume(name, vol.driver.as_deref(), labels);
            self.report("Volume", name, create)
        });
        for r in join_all(nets).await {
            r?;
        }
        for r in join_all(vols).await {
            r?;
        }

        let phases: HashMap<&str, watch::Sender<Phase>> = plan
            .containers
            .keys()
            .map(|k| (k.as_str(), watch::channel(Phase::Pending).0))
            .collect();
        let jobs = plan.containers.values().map(|step| {
            let phases = &phases;
            async move {
                let tx = &phases[step.service.as_str()];
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
                res.map(|id| (step.service.clone(), id))
            }
        });
        let mut out = BTreeMap::new();
        let mut errors = Vec::new();
        for r in join_all(jobs).await {
            match r {
                Ok((s, id)) => {
                    out.insert(s, id);
                }
                Err(e) => errors.push(e),
            }
        }
        match errors.into_iter().find(|e| !e.is_empty()) {
            Some(e) => Err(crate::error::Error::Failed(e)),
            None => Ok(out),
        }
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
                plan.containers
                    .get(d)
                    .is_some_and(|s| !matches!(s.op, ContainerOp::Keep { .. }))
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
            let Some(tx) = phases.get(dep.as_str()) else {
                continue;
            };
            let _ = tx
                .subscribe()
                .wait_for(|p| match p {
                    Phase::Pending => false,
                    Phase::Created => edge.condition == Condition::ServiceStarted,
                    _ => true,
                })
                .await;
        }
        let id = self.prepare(step).await?;
        if let Some(tx) = phases.get(step.service.as_str()) {
            tx.send_if_modified(|p| {
                let first = *p == Phase::Pending;
                if first {
                    *p = Phase::Created;
                }
                first
            });
        }
        for (dep, edge) in self.graph.dependencies(&step.service) {
            let Some(tx) = phases.get(dep.as_str()) else {
                continue; // not part of this run (e.g. --no-deps)
            };
            let mut rx = tx.subscribe();
            let phase = rx
                .wait_for(|p| {
                    p.satisfies(edge.condition).is_some() || matches!(p, Phase::Failed(_))
                })
                .await
                .map(|p| p.clone())
                .unwrap_or(Phase::Failed(String::new()));
            let Phase::Failed(e) = phase else {
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
            let dep_name = plan
                .containers
                .get(&dep)
                .map_or(dep.as_str(), |s| s.name.as_str());
            return Err(if e.is_empty() {
                String::new()
            } else if e.contains(dep_name) {
                format!("dependency failed to start: {e}")
            } else {
                format!("dependency failed to start: container {dep_name}: {e}")
            });
        }
        self.start(step, &id).await?;
        Ok(id)
    }

    /// Creates (or recreates) the container of a step; for `Start` returns the existing id.
    async fn prepare(&self, step: &ContainerStep) -> Result<String, String> {
        let fail = |e: String| {
            self.progress
                .status("Container", &step.name, State::Failed, &e);
            e
        };
        match &step.op {
            ContainerOp::Keep { id } | ContainerOp::Start { id } => Ok(id.clone()),
            ContainerOp::Create | ContainerOp::Recreate { .. } => {
                let recreate = matches!(step.op, ContainerOp::Recreate { .. });
                if let ContainerOp::Recreate { id, .. } = &step.op {
                    self.progress
                        .status("Container", &step.name, State::Working, "Recreate");
                    let timeout = self.stop_timeout(&step.service);
                    self.engine
                        .stop_container(id, timeout)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                    self.engine
                        .remove_container(id, true, false)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                } else {
                    self.progress
                        .status("Container", &step.name, State::Working, "Creating");
                }
                let service = &self.project.services[&step.service];
                let spec = container_spec(self.project, service, step, self.environ, false);
                let id = self
                    .engine
                    .create_container(&spec)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                for (net, aliases) in spec.networks.iter().skip(1) {
                    self.engine
                        .connect_network(&id, net, aliases)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                }
                let done = if recreate { "Recreated" } else { "Created" };
                self.progress
                    .status("Container", &step.name, State::Working, done);
                Ok(id)
            }
        }
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
    pub async fn wait_ready(
        &self,
        ready: &BTreeMap<String, String>,
        names: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let jobs = ready.iter().map(|(service, id)| async move {
            let name = names.get(service).map_or(service.as_str(), String::as_str);
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

    /// The labels of a network or volume the project creates: the user's, plus Compose's
    /// project, resource (`kind`) and version labels.
    fn resource_labels(
        &self,
        user: &indexmap::IndexMap<String, String>,
        kind: &str,
        key: &str,
    ) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = user.clone().into_iter().collect();
        labels.insert(
            crate::engine::labels::PROJECT.into(),
            self.project.name.clone(),
        );
        labels.insert(kind.into(), key.to_string());
        labels.insert(
            crate::engine::labels::VERSION.into(),
            crate::plan::spec::COMPOSE_VERSION.into(),
        );
        labels
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
    /// level in parallel. `timeout` overrides each service's `stop_grace_period`.
    pub async fn stop_all(
        &self,
        containers: &[&ContainerSummary],
        timeout: Option<Duration>,
        remove: bool,
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
                    self.engine.remove_container(&c.id, true, false).await?;
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
