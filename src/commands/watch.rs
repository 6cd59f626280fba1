//! `mls watch` and the watch loop behind `mls up --watch`: file events → batches → per-service
//! actions (sync, rebuild, restart, exec) against the engine, one output line per action.

use super::{ensure_images, select, Ctx};
use crate::cli::WatchArgs;
use crate::compose::Project;
use crate::engine::{Engine, LogOptions, Snapshot};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::graph::Graph;
use crate::plan::{self, BuildMode, ContainerOp, Options};
use crate::progress::{Mode, Progress};
use crate::watch::batch::Batcher;
use crate::watch::mapping::{Mapping, Pending};
use crate::watch::notify::{self, FileWatcher};
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedReceiver;

pub async fn watch(ctx: &Ctx, args: &WatchArgs) -> Result<()> {
    let (project, graph, selected) = select(ctx, &args.services, false)?;
    let engine = ctx.engine().await?;
    if !args.no_up {
        converge(ctx, &engine, &project, &graph, &selected).await?;
    }
    ctx.progress.finish();
    tokio::select! {
        r = run(ctx, &engine, &args.services, false) => r,
        _ = tokio::signal::ctrl_c() => Err(Error::Interrupted),
    }
}

/// Builds what changed and converges `selected`; restarts dependents that asked for it
/// (`depends_on.restart: true`) after their dependency was recreated. Returns service →
/// running container id, and the dependents restarted.
async fn converge<E: Engine>(
    ctx: &Ctx,
    engine: &Arc<E>,
    project: &Project,
    graph: &Graph,
    selected: &BTreeSet<String>,
) -> Result<(BTreeMap<String, String>, Vec<String>)> {
    let ids = ensure_images(
        ctx,
        engine,
        project,
        graph,
        selected,
        BuildMode::Auto,
        false,
    )
    .await?;
    let snapshot = engine.snapshot(&project.name).await?;
    let plan = plan::converge(project, selected, &snapshot, &ids, &Options::default())
        .map_err(Error::Usage)?;
    let mut ex = Executor::new(engine, &ctx.progress, project, graph, &ctx.environ);
    ex.follow_events();
    let recreated: Vec<String> = plan
        .containers
        .values()
        .filter(|s| matches!(s.op, ContainerOp::Recreate { .. }))
        .map(|s| s.service.clone())
        .collect();
    let ready = ex.apply(&plan).await?;
    // Dependents that asked for it restart after their dependency was recreated.
    let restart: BTreeSet<String> = recreated
        .iter()
        .flat_map(|s| graph.dependents(s))
        .filter(|(_, e)| e.restart)
        .map(|(d, _)| d)
        .filter(|d| !recreated.contains(d))
        .collect();
    let mut restarted = Vec::new();
    if !restart.is_empty() {
        let running = running(&engine.snapshot(&project.name).await?);
        for d in restart {
            if let Some(id) = running.get(&d) {
                engine.stop_container(id, None).await?;
                engine.start_container(id).await?;
                restarted.push(d);
            }
        }
    }
    Ok((ready, restarted))
}

fn report_restarts(ctx: &Ctx, restarted: &[String]) {
    for d in restarted {
        ctx.progress.action(d, "restarted (dependency recreated)");
    }
}

/// Service → id of its running (else any) container.
fn running(snapshot: &Snapshot) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut list: Vec<_> = snapshot
        .containers
        .iter()
        .filter(|c| !c.is_oneoff())
        .collect();
    // Running containers last, so they win.
    list.sort_by_key(|c| c.state == "running");
    for c in list {
        if let Some(s) = c.service() {
            out.insert(s.to_string(), c.id.clone());
        }
    }
    out
}

/// The files whose change reloads the project: compose files and env files.
fn reload_files(ctx: &Ctx, project: &Project) -> Vec<PathBuf> {
    let mut files = project.config_files.clone();
    if ctx.global.env_files.is_empty() {
        files.push(project.working_dir.join(".env"));
    } else {
        files.extend(ctx.global.env_files.iter().map(|f| ctx.cwd.join(f)));
    }
    files
}

fn dockerignore(dir: &Path, dockerfile: &str) -> Vec<String> {
    let specific = dir.join(format!("{dockerfile}.dockerignore"));
    [specific, dir.join(".dockerignore")]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|t| crate::context::ignore::read_patterns(&t))
        .unwrap_or_default()
}

struct State {
    project: Project,
    graph: Graph,
    selected: BTreeSet<String>,
    mapping: Mapping,
    _watcher: FileWatcher,
    rx: UnboundedReceiver<PathBuf>,
    containers: BTreeMap<String, String>,
}

fn load_state(ctx: &Ctx, services: &[String]) -> Result<State> {
    let (project, graph, selected) = select(ctx, services, false)?;
    let files = reload_files(ctx, &project);
    let mapping = Mapping::new(&project, &selected, &files, &dockerignore).map_err(Error::Usage)?;
    let (watcher, rx) = notify::watch(&mapping.roots()).map_err(Error::Failed)?;
    Ok(State {
        project,
        graph,
        selected,
        mapping,
        _watcher: watcher,
        rx,
        containers: BTreeMap::new(),
    })
}

/// The watch loop: runs until an unrecoverable error (the caller adds Ctrl-C). With
/// `follow_logs` (`up --watch`), the output of containers it recreates is followed too.
pub async fn run<E: Engine>(
    ctx: &Ctx,
    engine: &Arc<E>,
    services: &[String],
    follow_logs: bool,
) -> Result<()> {
    let mut st = load_state(ctx, services)?;
    st.containers = running(&engine.snapshot(&st.project.name).await?);
    // Inner steps report through a quiet renderer: watch shows one line per action.
    let quiet = Ctx {
        global: ctx.global.clone(),
        environ: ctx.environ.clone(),
        cwd: ctx.cwd.clone(),
        progress: Progress::new(Mode::Quiet),
    };
    initial_sync(ctx, engine, &mut st).await;
    ctx.progress.println_stderr(&format!(
        "Watching {} for changes (press Ctrl+C to stop)",
        st.mapping
            .roots()
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut batcher = Batcher::default();
    let mut logs = futures_util::stream::FuturesUnordered::new();
    loop {
        let deadline = batcher.deadline();
        let wake =
            deadline.unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(3600));
        tokio::select! {
            Some(()) = logs.next(), if !logs.is_empty() => {}
            p = st.rx.recv() => {
                let Some(p) = p else {
                    return Err(Error::Failed("the file watcher stopped".into()));
                };
                let now = Instant::now();
                batcher.push(now, p);
                while let Ok(p) = st.rx.try_recv() {
                    batcher.push(now, p);
                }
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)), if deadline.is_some() => {
                if let Some(batch) = batcher.take_due(Instant::now()) {
                    let before = st.containers.clone();
                    let changes = st.mapping.changes(batch.iter().map(PathBuf::as_path));
                    if changes.reload {
                        reload(ctx, &quiet, engine, services, &mut st).await;
                    }
                    // Syncs first: they are the fast path the user is waiting on.
                    let (syncs, rest): (Vec<_>, Vec<_>) = if changes.reload {
                        (Vec::new(), Vec::new())
                    } else {
                        changes.services.into_iter().partition(|(_, p)| !p.rebuild)
                    };
                    for (service, pending) in syncs.into_iter().chain(rest) {
                        apply(ctx, &quiet, engine, &mut st, &service, &pending).await;
                    }
                    if follow_logs {
                        let fresh: Vec<(String, String)> = st
                            .containers
                            .iter()
                            .filter(|(s, id)| before.get(*s) != Some(*id))
                            .map(|(s, id)| (s.clone(), id.clone()))
                            .collect();
                        if !fresh.is_empty() {
                            let opts = LogOptions {
                                follow: true,
                                tail: Some("all".into()),
                                ..Default::default()
                            };
                            logs.push(super::logs::stream(engine, &ctx.progress, fresh, opts, true));
                        }
                    }
                }
            }
        }
    }
}

async fn reload<E: Engine>(
    ctx: &Ctx,
    quiet: &Ctx,
    engine: &Arc<E>,
    services: &[String],
    st: &mut State,
) {
    let started = Instant::now();
    let fresh = match load_state(ctx, services) {
        Ok(s) => s,
        Err(e) => {
            ctx.progress.action(
                "project",
                &format!("reload failed, keeping the old configuration: {e}"),
            );
            return;
        }
    };
    *st = fresh;
    match converge(quiet, engine, &st.project, &st.graph, &st.selected).await {
        Ok((ids, restarted)) => {
            st.containers = ids;
            report_restarts(ctx, &restarted);
            ctx.progress.action(
                "project",
                &format!("reloaded in {:.1}s", started.elapsed().as_secs_f64()),
            );
        }
        Err(e) => ctx
            .progress
            .action("project", &format!("reload failed: {e}")),
    }
}

async fn apply<E: Engine>(
    ctx: &Ctx,
    quiet: &Ctx,
    engine: &Arc<E>,
    st: &mut State,
    service: &str,
    pending: &Pending,
) {
    let started = Instant::now();
    if pending.rebuild {
        let one = BTreeSet::from([service.to_string()]);
        match converge(quiet, engine, &st.project, &st.graph, &one).await {
            Ok((ids, restarted)) => {
                st.containers.extend(ids);
                ctx.progress.action(
                    service,
                    &format!("rebuilt in {:.1}s", started.elapsed().as_secs_f64()),
                );
                report_restarts(ctx, &restarted);
            }
            Err(e) => ctx.progress.action(
                service,
                &format!("rebuild failed, the old container keeps running: {e}"),
            ),
        }
        return;
    }
    let Some(id) = st.containers.get(service).cloned() else {
        ctx.progress.action(
            service,
            "has no container to update; start it with `mls up`",
        );
        return;
    };
    if !pending.sync.is_empty() {
        match sync(engine, &id, &pending.sync).await {
            Ok(n) => ctx.progress.action(
                service,
                &format!("synced {n} file{}", if n == 1 { "" } else { "s" }),
            ),
            Err(e) => {
                ctx.progress.action(service, &format!("sync failed: {e}"));
                return;
            }
        }
    }
    for i in &pending.exec {
        let rules = st.mapping.rules(service);
        let Some(rule) = rules.get(*i) else { continue };
        let Some(argv) = rule.exec.argv() else {
            continue;
        };
        let env = rule
            .exec
            .environment
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        let r = engine
            .exec(
                &id,
                argv.clone(),
                rule.exec.user.clone(),
                rule.exec.working_dir.clone(),
                env,
                false,
            )
            .await;
        let text = match r {
            Ok(0) => format!("ran {}", argv.join(" ")),
            Ok(code) => format!("{} exited with {code}", argv.join(" ")),
            Err(e) => format!("exec failed: {e}"),
        };
        ctx.progress.action(service, &text);
    }
    if pending.restart {
        let r = async {
            engine.stop_container(&id, None).await?;
            engine.start_container(&id).await
        }
        .await;
        match r {
            Ok(()) => ctx.progress.action(
                service,
                &format!("restarted in {:.1}s", started.elapsed().as_secs_f64()),
            ),
            Err(e) => ctx
                .progress
                .action(service, &format!("restart failed: {e}")),
        }
    }
}

/// Copies existing paths into the container (one tar, extracted at `/`) and deletes the ones
/// gone from disk. Returns how many paths were synced.
async fn sync<E: Engine>(
    engine: &Arc<E>,
    id: &str,
    paths: &BTreeMap<PathBuf, String>,
) -> std::result::Result<usize, String> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut copied = 0;
    let mut gone = Vec::new();
    for (host, dest) in paths {
        let name = dest.trim_start_matches('/');
        match std::fs::symlink_metadata(host) {
            Ok(m) if m.is_dir() => builder.append_dir_all(name, host),
            Ok(_) => builder.append_path_with_name(host, name),
            Err(_) => {
                gone.push(dest.clone());
                continue;
            }
        }
        .map_err(|e| format!("cannot read {}: {e}", host.display()))?;
        copied += 1;
    }
    let tar = builder.into_inner().map_err(|e| e.to_string())?;
    if copied > 0 {
        engine
            .copy_to_container(id, tar, "/")
            .await
            .map_err(|e| e.to_string())?;
    }
    if !gone.is_empty() {
        let mut cmd = vec!["rm".to_string(), "-rf".to_string(), "--".to_string()];
        cmd.extend(gone.iter().cloned());
        // The engine copies as root, so deletes run as root too.
        let code = engine
            .exec(id, cmd, Some("0".into()), None, Vec::new(), false)
            .await
            .map_err(|e| e.to_string())?;
        if code != 0 {
            return Err(format!("rm -rf in the container exited with {code}"));
        }
    }
    Ok(copied + gone.len())
}

/// `initial_sync: true` rules copy their whole tree once, before the first change.
async fn initial_sync<E: Engine>(ctx: &Ctx, engine: &Arc<E>, st: &mut State) {
    for service in st.selected.clone() {
        let rules: Vec<PathBuf> = st
            .mapping
            .rules(&service)
            .iter()
            .filter(|r| r.initial_sync && r.action.syncs())
            .map(|r| r.path.clone())
            .collect();
        if rules.is_empty() {
            continue;
        }
        let mut files = Vec::new();
        for root in &rules {
            walk(root, &mut files);
        }
        let changes = st.mapping.changes(files.iter().map(PathBuf::as_path));
        let Some(p) = changes.services.get(&service) else {
            continue;
        };
        let Some(id) = st.containers.get(&service) else {
            continue;
        };
        match sync(engine, id, &p.sync).await {
            Ok(n) => ctx
                .progress
                .action(&service, &format!("initial sync: {n} files")),
            Err(e) => ctx
                .progress
                .action(&service, &format!("initial sync failed: {e}")),
        }
    }
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for e in entries.flatten() {
                walk(&e.path(), out);
            }
        }
        Err(_) if path.is_file() => out.push(path.to_path_buf()),
        Err(_) => {}
    }
}
