//! `mls up`: build what changed, converge containers along the graph, optionally wait or attach
//! (following the output like Docker Compose: `Attaching to ...`, `<ctr> exited with code N`).

use super::logs::{container_label, follow_one};
use super::session::Interrupts;
use super::{ensure_images, now_unix, select, Ctx};
use crate::cli::UpArgs;
use crate::engine::{ContainerSummary, Docker, Engine, LogOptions, Snapshot};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::plan::{self, BuildMode, Options};
use futures_util::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub async fn up(ctx: &Ctx, args: &UpArgs) -> Result<()> {
    if args.watch && (args.detach || args.wait) {
        return Err(Error::Usage(
            "--watch needs an attached session: drop -d/--wait, or run `mls watch`".into(),
        ));
    }
    let (project, graph, selected) = select(ctx, &args.services, args.no_deps)?;
    if let Some(s) = &args.exit_code_from {
        if !project.services.contains_key(s) {
            return Err(Error::Usage(format!("no such service: {s}")));
        }
    }
    let engine = ctx.engine().await?;
    let since = now_unix();
    let mode = if args.build {
        BuildMode::Always
    } else if args.no_build {
        BuildMode::Never
    } else {
        BuildMode::Auto
    };
    let image_ids = ensure_images(ctx, &engine, &project, &graph, &selected, mode, false).await?;
    let snapshot = engine.snapshot(&project.name).await?;
    let opts = Options {
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        remove_orphans: args.remove_orphans,
        scale: scale_overrides(&project, &args.scale)?,
    };
    let plan =
        plan::converge(&project, &selected, &snapshot, &image_ids, &opts).map_err(Error::Usage)?;
    let mut ex = Executor::new(&engine, &ctx.progress, &project, &graph, &ctx.environ);
    ex.follow_events();
    let attached = !args.detach && !args.wait;
    let ready = match ex.apply_all(&plan).await {
        Ok(r) => r,
        Err(e) => {
            ctx.progress.finish();
            if attached {
                // Like Compose: what the failed containers printed, then why up failed.
                show_failure(ctx, &engine, &project.name, &selected, since).await;
            }
            return Err(e);
        }
    };

    if args.wait {
        let wait = ex.wait_ready(&ready);
        let res = match args.wait_timeout {
            Some(secs) => tokio::time::timeout(Duration::from_secs(secs), wait)
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "timed out after {secs}s waiting for the project to be running and healthy"
                    ))
                }),
            None => wait.await,
        };
        ctx.progress.finish();
        return res.map_err(|e| Error::Failed(format!("application not healthy: {e}")));
    }
    ctx.progress.finish();
    if args.detach {
        return Ok(());
    }
    attach(ctx, args, &engine, &ex, &project.name, &selected, since).await
}

/// One container `up` follows: its log prefix, id and service.
struct Followed {
    label: String,
    id: String,
    service: String,
}

/// The containers of the selected services (not one-offs), by name.
fn followed(snapshot: &Snapshot, project: &str, selected: &BTreeSet<String>) -> Vec<Followed> {
    snapshot
        .containers
        .iter()
        .filter(|c| !c.is_oneoff() && c.service().is_some_and(|s| selected.contains(s)))
        .map(|c| Followed {
            label: container_label("", &c.name, project),
            id: c.id.clone(),
            service: c.service().unwrap_or("").to_string(),
        })
        .collect()
}

fn attaching(ctx: &Ctx, list: &[Followed]) {
    let labels: Vec<&str> = list.iter().map(|f| f.label.as_str()).collect();
    ctx.progress
        .container_status("", &format!("Attaching to {}", labels.join(", ")));
    ctx.progress.align_services(labels);
}

/// After a failed `up`: every selected container's output so far, and how those that stopped
/// exited.
async fn show_failure(
    ctx: &Ctx,
    engine: &Arc<Docker>,
    project: &str,
    selected: &BTreeSet<String>,
    since: i64,
) {
    let Ok(snapshot) = engine.snapshot(project).await else {
        return;
    };
    let list = followed(&snapshot, project, selected);
    attaching(ctx, &list);
    let opts = LogOptions {
        since: Some(since),
        tail: Some("all".into()),
        ..Default::default()
    };
    for f in &list {
        follow_one(
            engine,
            &ctx.progress,
            f.label.clone(),
            f.id.clone(),
            opts.clone(),
            true,
        )
        .await;
    }
    for f in &list {
        match engine.inspect_container(&f.id).await {
            Ok(st) if st.status == "exited" => ctx
                .progress
                .container_status(&f.label, &format!("exited with code {}", st.exit_code)),
            _ => {}
        }
    }
}

/// Attached `up`: follows every container's output until they all stop. The first SIGINT or
/// SIGTERM stops the stack (exit 130), a second one kills it; with --abort-on-container-exit
/// (or --exit-code-from) the first container to exit stops the others and its exit code (or
/// that service's) becomes mls's.
async fn attach(
    ctx: &Ctx,
    args: &UpArgs,
    engine: &Arc<Docker>,
    ex: &Executor<'_, Docker>,
    project: &str,
    selected: &BTreeSet<String>,
    since: i64,
) -> Result<()> {
    let mut signals = Interrupts::new()?;
    let snapshot = engine.snapshot(project).await?;
    let list = followed(&snapshot, project, selected);
    attaching(ctx, &list);
    let opts = LogOptions {
        follow: true,
        tail: Some("all".into()),
        since: Some(since),
        ..Default::default()
    };
    let (tx, mut exits) = tokio::sync::mpsc::unbounded_channel::<(String, i64)>();
    let follow = join_all(list.iter().map(|f| {
        let (tx, opts) = (tx.clone(), opts.clone());
        async move {
            follow_one(
                engine,
                &ctx.progress,
                f.label.clone(),
                f.id.clone(),
                opts,
                true,
            )
            .await;
            if let Ok(code) = engine.wait_container(&f.id).await {
                ctx.progress
                    .container_status(&f.label, &format!("exited with code {code}"));
                let _ = tx.send((f.service.clone(), code));
            }
        }
    }));
    drop(tx);
    let watch = async {
        if args.watch {
            super::watch::run(ctx, engine, &args.services, true).await
        } else {
            std::future::pending().await
        }
    };
    let ours: Vec<&ContainerSummary> = snapshot
        .containers
        .iter()
        .filter(|c| list.iter().any(|f| f.id == c.id))
        .collect();
    let timeout = args.timeout.map(Duration::from_secs);
    let stop_all = || -> Pin<Box<dyn Future<Output = Result<()>> + '_>> {
        Box::pin(ex.stop_all(&ours, timeout, false, false))
    };
    let abort = args.abort_on_container_exit || args.exit_code_from.is_some();
    let mut stop: Pin<Box<dyn Future<Output = Result<()>> + '_>> = Box::pin(pending());
    let (mut stopping, mut signalled, mut killed) = (false, false, false);
    let (mut first_exit, mut from_exit) = (None, None);
    tokio::pin!(follow, watch);
    loop {
        tokio::select! {
            _ = &mut follow, if !args.watch => break,
            r = &mut watch => {
                r?;
                break;
            }
            Some((service, code)) = exits.recv() => {
                if args.exit_code_from.as_deref() == Some(service.as_str()) && from_exit.is_none() {
                    from_exit = Some(code);
                }
                if abort && first_exit.is_none() {
                    first_exit = Some(code);
                    ctx.progress.println_stderr(&console::Style::new().red().bold().for_stderr()
                        .apply_to("Aborting on container exit...").to_string());
                    stopping = true;
                    stop = stop_all();
                }
            }
            _ = signals.next() => {
                if signalled {
                    for f in &list {
                        let _ = engine.kill_container(&f.id, None).await;
                    }
                    killed = true;
                    break;
                }
                signalled = true;
                ctx.progress.container_status("", "Gracefully Stopping... press Ctrl+C again to force");
                stopping = true;
                stop = stop_all();
            }
            r = &mut stop, if stopping => {
                stopping = false;
                stop = Box::pin(pending());
                if let Err(e) = r {
                    ctx.progress.warn(&e.to_string());
                }
            }
        }
    }
    if stopping && !killed {
        stop.await?;
    }
    // Exits reported in the same instant the last log stream ended.
    while let Ok((service, code)) = exits.try_recv() {
        if args.exit_code_from.as_deref() == Some(service.as_str()) && from_exit.is_none() {
            from_exit = Some(code);
        }
    }
    ctx.progress.finish();
    if signalled {
        return Err(Error::Interrupted);
    }
    match from_exit.or(first_exit) {
        Some(code) if code != 0 => Err(Error::Exit(code as i32)),
        _ => Ok(()),
    }
}

/// `--scale SERVICE=NUM` entries, checked against the project's services.
fn scale_overrides(
    project: &crate::compose::Project,
    entries: &[String],
) -> Result<BTreeMap<String, u32>> {
    let mut out = BTreeMap::new();
    for entry in entries {
        let parsed = entry
            .split_once('=')
            .and_then(|(s, n)| Some((s.to_string(), n.trim().parse::<u32>().ok()?)));
        let Some((service, n)) = parsed else {
            return Err(Error::Usage(format!(
                "invalid --scale {entry:?}: use SERVICE=NUM, e.g. --scale web=3"
            )));
        };
        if !project.services.contains_key(&service) {
            return Err(Error::Usage(format!("no such service: {service}")));
        }
        out.insert(service, n);
    }
    Ok(out)
}
