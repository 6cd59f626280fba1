//! `mls stop|start|restart|kill|pause|unpause|rm`: the verbs that act on a project's existing
//! containers. They share one shape (scope → snapshot → containers of the named services →
//! act along the dependency graph, reporting each container as Docker Compose does), so they
//! live together rather than as seven near-identical files.

use super::scope::Scope;
use super::Ctx;
use crate::cli::{KillArgs, PauseArgs, RestartArgs, RmArgs, StartArgs, StopArgs};
use crate::compose::Project;
use crate::engine::{ContainerSummary, Docker, Engine, Snapshot};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::graph::Graph;
use crate::progress::State;
use futures_util::future::join_all;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// What every verb here starts from.
struct Target {
    engine: Arc<Docker>,
    project: Project,
    graph: Graph,
    snapshot: Snapshot,
}

impl Target {
    async fn new(ctx: &Ctx, services: &[String]) -> Result<Target> {
        let scope: Scope = ctx.scope(services)?;
        scope.check_services(services)?;
        let engine = ctx.engine().await?;
        let snapshot = engine.snapshot(&scope.name).await?;
        let project = scope.project(&snapshot);
        let graph = Graph::new(&project)?;
        Ok(Target {
            engine,
            project,
            graph,
            snapshot,
        })
    }

    /// The service containers (not one-offs) of `services` (all when empty) that `keep` accepts.
    fn containers(
        &self,
        services: &BTreeSet<String>,
        keep: impl Fn(&ContainerSummary) -> bool,
    ) -> Vec<&ContainerSummary> {
        self.snapshot
            .containers
            .iter()
            .filter(|c| !c.is_oneoff())
            .filter(|c| services.is_empty() || c.service().is_some_and(|s| services.contains(s)))
            .filter(|c| keep(c))
            .collect()
    }

    fn executor<'a>(&'a self, ctx: &'a Ctx) -> Executor<'a, Docker> {
        Executor::new(
            &self.engine,
            &ctx.progress,
            &self.project,
            &self.graph,
            &ctx.environ,
        )
    }

    /// Runs `act` on the containers level by level of the dependency graph (dependencies
    /// first, or dependents first when `reverse`), each level in parallel.
    async fn by_level<'c, F, Fut>(
        &self,
        containers: &[&'c ContainerSummary],
        reverse: bool,
        act: F,
    ) -> Result<()>
    where
        F: Fn(&'c ContainerSummary) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let mut levels = self.graph.levels();
        if reverse {
            levels.reverse();
        }
        let level_of = |c: &ContainerSummary| {
            let s = c.service().unwrap_or("");
            levels.iter().position(|l| l.iter().any(|x| x == s))
        };
        // Containers of services the graph does not know (orphans) go last.
        for level in (0..levels.len()).map(Some).chain([None]) {
            let jobs = containers
                .iter()
                .filter(|c| level_of(c) == level)
                .map(|c| act(c));
            for r in join_all(jobs).await {
                r?;
            }
        }
        Ok(())
    }
}

fn names(services: &[String]) -> BTreeSet<String> {
    services.iter().cloned().collect()
}

fn running(c: &ContainerSummary) -> bool {
    matches!(c.state.as_str(), "running" | "restarting" | "paused")
}

/// Runs one engine call for a container between a Working and a Done line.
async fn report<T>(
    ctx: &Ctx,
    c: &ContainerSummary,
    working: Option<&str>,
    done: &str,
    call: impl Future<Output = crate::engine::Result<T>>,
) -> Result<()> {
    if let Some(w) = working {
        ctx.progress.status("Container", &c.name, State::Working, w);
    }
    match call.await {
        Ok(_) => {
            ctx.progress.status("Container", &c.name, State::Done, done);
            Ok(())
        }
        Err(e) => {
            ctx.progress
                .status("Container", &c.name, State::Failed, &e.to_string());
            Err(e.into())
        }
    }
}

fn finish(ctx: &Ctx, r: Result<()>) -> Result<()> {
    ctx.progress.finish();
    r
}

/// `mls stop`: only the named services (their dependents keep running, as in Compose),
/// dependents before dependencies.
pub async fn stop(ctx: &Ctx, args: &StopArgs) -> Result<()> {
    let t = &Target::new(ctx, &args.services).await?;
    let containers = t.containers(&names(&args.services), running);
    let timeout = args.timeout.map(Duration::from_secs);
    let r = t
        .executor(ctx)
        .stop_all(&containers, timeout, false, false)
        .await;
    finish(ctx, r)
}

/// `mls start`: the named services and what they depend on, dependencies first, each waiting
/// for its dependencies' conditions (healthy, completed) like `up`.
pub async fn start(ctx: &Ctx, args: &StartArgs) -> Result<()> {
    let t = &Target::new(ctx, &args.services).await?;
    let all: &Vec<&ContainerSummary> = &t.containers(&BTreeSet::new(), |_| true);
    if all.is_empty() {
        let first = t.graph.levels().into_iter().flatten().next();
        return Err(Error::Failed(format!(
            "service {:?} has no container to start",
            first.unwrap_or_default()
        )));
    }
    let selected = if args.services.is_empty() {
        BTreeSet::new()
    } else {
        t.graph.with_dependencies(&args.services)?
    };
    let containers = t.containers(&selected, |c| !running(c));
    let mut ex = t.executor(ctx);
    ex.follow_events();
    let ex = &ex;
    let r = t
        .by_level(&containers, false, |c| async move {
            for (dep, edge) in t.graph.dependencies(c.service().unwrap_or("")) {
                for d in all.iter().filter(|d| d.service() == Some(dep.as_str())) {
                    ex.wait_condition(&d.id, &d.name, &dep, edge.condition)
                        .await
                        .map_err(Error::Failed)?;
                }
            }
            report(
                ctx,
                c,
                Some("Starting"),
                "Started",
                t.engine.start_container(&c.id),
            )
            .await
        })
        .await;
    finish(ctx, r)
}

/// `mls restart`: the named services and (unless `--no-deps`) their dependents that declare
/// `restart: true` on them, dependencies first.
pub async fn restart(ctx: &Ctx, args: &RestartArgs) -> Result<()> {
    let t = &Target::new(ctx, &args.services).await?;
    let mut selected = names(&args.services);
    if !args.services.is_empty() && !args.no_deps {
        let mut todo: Vec<String> = args.services.clone();
        while let Some(s) = todo.pop() {
            for (dependent, edge) in t.graph.dependents(&s) {
                if edge.restart && selected.insert(dependent.clone()) {
                    todo.push(dependent);
                }
            }
        }
    }
    let containers = t.containers(&selected, |_| true);
    let timeout = args.timeout.map(Duration::from_secs);
    let r = t
        .by_level(&containers, false, |c| {
            let restart = async move {
                t.engine.stop_container(&c.id, timeout).await?;
                t.engine.start_container(&c.id).await
            };
            report(ctx, c, Some("Restarting"), "Started", restart)
        })
        .await;
    finish(ctx, r)
}

/// `mls kill`: sends a signal (SIGKILL by default) to the running containers.
pub async fn kill(ctx: &Ctx, args: &KillArgs) -> Result<()> {
    let t = &Target::new(ctx, &args.services).await?;
    let containers = t.containers(&names(&args.services), running);
    let signal = args.signal.as_str();
    let jobs = containers.iter().map(|c| {
        report(
            ctx,
            c,
            Some("Killing"),
            "Killed",
            t.engine.kill_container(&c.id, Some(signal)),
        )
    });
    let r = join_all(jobs).await.into_iter().collect::<Result<()>>();
    if r.is_ok() && args.remove_orphans {
        let orphans: Vec<&ContainerSummary> = t
            .snapshot
            .containers
            .iter()
            .filter(|c| {
                c.service()
                    .is_some_and(|s| !t.project.services.contains_key(s))
            })
            .collect();
        let r = t.executor(ctx).stop_all(&orphans, None, true, false).await;
        return finish(ctx, r);
    }
    finish(ctx, r)
}

/// `mls pause` (`pause: true`) and `mls unpause`.
pub async fn pause(ctx: &Ctx, args: &PauseArgs, pause: bool) -> Result<()> {
    let t = &Target::new(ctx, &args.services).await?;
    let wanted = if pause { "running" } else { "paused" };
    let containers = t.containers(&names(&args.services), |c| c.state == wanted);
    let jobs = containers.iter().map(|c| async move {
        if pause {
            report(ctx, c, None, "Paused", t.engine.pause_container(&c.id)).await
        } else {
            report(ctx, c, None, "Unpaused", t.engine.unpause_container(&c.id)).await
        }
    });
    let r = join_all(jobs).await.into_iter().collect::<Result<()>>();
    finish(ctx, r)
}

/// `mls rm`: removes stopped containers (with `-s`, stops them first), asking first unless
/// `-f`; `-v` removes their anonymous volumes too.
pub async fn rm(ctx: &Ctx, args: &RmArgs) -> Result<()> {
    let t = &Target::new(ctx, &args.services).await?;
    let services = names(&args.services);
    if args.stop {
        let running = t.containers(&services, running);
        t.executor(ctx)
            .stop_all(&running, None, false, false)
            .await?;
    }
    let mut containers: Vec<&ContainerSummary> = t.containers(&services, |c| {
        args.stop || matches!(c.state.as_str(), "exited" | "created" | "dead")
    });
    containers.sort_by(|a, b| b.name.cmp(&a.name));
    if containers.is_empty() {
        ctx.progress.println_stderr("No stopped containers");
        return finish(ctx, Ok(()));
    }
    let list: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    super::ps::print(&format!("Going to remove {}\n", list.join(", ")))?;
    if !args.force && !confirm()? {
        return finish(ctx, Ok(()));
    }
    let jobs = containers.iter().map(|c| {
        report(
            ctx,
            c,
            Some("Removing"),
            "Removed",
            t.engine.remove_container(&c.id, true, args.volumes),
        )
    });
    let r = join_all(jobs).await.into_iter().collect::<Result<()>>();
    finish(ctx, r)
}

/// "Are you sure? [yN]" on a terminal; the answer is read from stdin either way (EOF is no).
fn confirm() -> Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if std::io::stdin().is_terminal() {
        eprint!("? Are you sure? [yN] ");
        let _ = std::io::stderr().flush();
    }
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
