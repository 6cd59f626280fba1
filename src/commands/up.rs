//! `mls up`: build what changed, converge containers along the graph, optionally wait or attach.

use super::{ensure_images, now_unix, select, Ctx};
use crate::cli::UpArgs;
use crate::engine::{Engine, LogOptions};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::plan::{self, BuildMode, Options};
use std::collections::BTreeMap;
use std::time::Duration;

pub async fn up(ctx: &Ctx, args: &UpArgs) -> Result<()> {
    if args.watch && (args.detach || args.wait) {
        return Err(Error::Usage(
            "--watch needs an attached session: drop -d/--wait, or run `mls watch`".into(),
        ));
    }
    let (project, graph, selected) = select(ctx, &args.services, args.no_deps)?;
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
    let ready = ex.apply_all(&plan).await;
    let ready = match ready {
        Ok(r) => r,
        Err(e) => {
            ctx.progress.finish();
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

    // Attached: follow every container's output until they all stop or the user presses Ctrl-C,
    // which stops the stack (like Docker Compose).
    let containers: Vec<(String, String)> = ready
        .iter()
        .map(|r| {
            (
                super::logs::container_label(&r.service, &r.name, &project.name),
                r.id.clone(),
            )
        })
        .collect();
    let opts = LogOptions {
        follow: true,
        tail: Some("all".into()),
        timestamps: false,
        since: Some(since),
    };
    let follow = super::logs::stream(&engine, &ctx.progress, containers, opts, true);
    let watching = async {
        if args.watch {
            // Logs of recreated containers end; the session lasts until Ctrl-C.
            let follow = async {
                follow.await;
                std::future::pending::<()>().await
            };
            tokio::select! {
                () = follow => Ok(()),
                r = super::watch::run(ctx, &engine, &args.services, true) => r,
            }
        } else {
            follow.await;
            Ok(())
        }
    };
    tokio::select! {
        r = watching => r,
        _ = tokio::signal::ctrl_c() => {
            ctx.progress.println_stderr("Gracefully stopping... (press Ctrl+C again to force)");
            let timeout = args.timeout.map(Duration::from_secs);
            let stop = async {
                let snapshot = engine.snapshot(&project.name).await?;
                let ours: Vec<&crate::engine::ContainerSummary> = snapshot
                    .containers
                    .iter()
                    .filter(|c| ready.iter().any(|r| r.id == c.id))
                    .collect();
                ex.stop_all(&ours, timeout, false, false).await
            };
            tokio::select! {
                r = stop => r?,
                _ = tokio::signal::ctrl_c() => {}
            }
            ctx.progress.finish();
            Err(Error::Interrupted)
        }
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
