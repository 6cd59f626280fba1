//! `mls down`: stop and remove the project's containers (dependents first) and networks; named
//! volumes only with `-v`, images only with `--rmi`. Like Docker Compose, one-off `run`
//! containers are kept unless `--remove-orphans`, and a network still in use is kept with a
//! warning. Nothing outside the project is touched.

use super::Ctx;
use crate::cli::DownArgs;
use crate::compose::Project;
use crate::engine::{ContainerSummary, Engine, EngineError};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::graph::Graph;
use crate::plan::image_ref;
use crate::progress::State;
use std::collections::BTreeSet;
use std::time::Duration;

pub async fn down(ctx: &Ctx, args: &DownArgs) -> Result<()> {
    let scope = ctx.scope(&args.services)?;
    let loaded = scope.project.is_some();
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&scope.name).await?;
    let project = scope.project(&snapshot);
    let graph = Graph::new(&project)?;

    // Named services the project lacks: an error with a compose file, skipped without one
    // (Compose cannot tell a typo from a container already removed then).
    let mut services = Vec::new();
    for s in &args.services {
        match (project.services.contains_key(s), loaded) {
            (true, _) => services.push(s.clone()),
            (false, true) => return Err(Error::Usage(format!("no such service: {s}"))),
            (false, false) => {}
        }
    }
    if !args.services.is_empty() && services.is_empty() {
        ctx.progress.println_stderr(&format!(
            "Any of the services [{}] not running in project {:?}",
            args.services.join(" "),
            project.name
        ));
        return Ok(());
    }
    let targeted: BTreeSet<String> = if services.is_empty() {
        project.services.keys().cloned().collect()
    } else {
        graph.with_dependents(&services)?
    };
    let known = |s: &str| {
        project.services.contains_key(s) || project.disabled_services.iter().any(|d| d == s)
    };
    let containers: Vec<&ContainerSummary> = snapshot
        .containers
        .iter()
        .filter(|c| args.remove_orphans || !c.is_oneoff())
        .filter(|c| {
            let s = c.service().unwrap_or("");
            targeted.contains(s) || (args.remove_orphans && !known(s))
        })
        .collect();

    let ex = Executor::new(&engine, &ctx.progress, &project, &graph, &ctx.environ);
    ex.stop_all(
        &containers,
        args.timeout.map(Duration::from_secs),
        true,
        args.volumes,
    )
    .await?;
    let mut removed = !containers.is_empty();
    removed |= remove_networks(ctx, &engine, &project, &snapshot).await?;
    if args.volumes {
        removed |= remove_volumes(ctx, &engine, &project, &snapshot).await?;
    }
    if let Some(rmi) = &args.rmi {
        removed |= remove_images(ctx, &engine, &project, rmi).await?;
    }
    if !removed {
        ctx.progress.warn(&format!(
            "Warning: No resource found to remove for project {:?}.",
            project.name
        ));
    }
    ctx.progress.finish();
    Ok(())
}

/// Removes the project's networks (those it declares and the engine labels as its own); one
/// still in use (by a kept one-off container, another project) stays, with a warning.
async fn remove_networks<E: Engine>(
    ctx: &Ctx,
    engine: &std::sync::Arc<E>,
    project: &Project,
    snapshot: &crate::engine::Snapshot,
) -> Result<bool> {
    let mut any = false;
    for n in &snapshot.networks {
        let declared = project
            .networks
            .values()
            .any(|net| net.name == n.name && !net.external);
        if declared {
            any = true;
            ctx.progress
                .status("Network", &n.name, State::Working, "Removing");
            removed(
                ctx,
                "Network",
                &n.name,
                engine.remove_network(&n.name).await,
            )?;
        }
    }
    Ok(any)
}

/// Removes the named volumes the project declares (never external ones, never ones it did not
/// create: they must carry the project's label to be in the snapshot).
async fn remove_volumes<E: Engine>(
    ctx: &Ctx,
    engine: &std::sync::Arc<E>,
    project: &Project,
    snapshot: &crate::engine::Snapshot,
) -> Result<bool> {
    let mut any = false;
    for v in &snapshot.volumes {
        let declared = project
            .volumes
            .values()
            .any(|vol| vol.name == v.name && !vol.external);
        if declared {
            any = true;
            ctx.progress
                .status("Volume", &v.name, State::Working, "Removing");
            removed(ctx, "Volume", &v.name, engine.remove_volume(&v.name).await)?;
        }
    }
    Ok(any)
}

/// Reports one network or volume removal as Compose does: "Removed", a warning when it is
/// still in use (it stays), or the failure, which ends `down`.
fn removed(
    ctx: &Ctx,
    kind: &str,
    name: &str,
    result: std::result::Result<(), EngineError>,
) -> Result<()> {
    match result {
        Ok(()) => ctx.progress.status(kind, name, State::Done, "Removed"),
        Err(EngineError::InUse(_)) => {
            ctx.progress
                .status(kind, name, State::Warning, "Resource is still in use")
        }
        Err(e) => {
            ctx.progress
                .status(kind, name, State::Failed, &e.to_string());
            return Err(e.into());
        }
    }
    Ok(())
}

/// `--rmi local` removes the images built for services without an `image:` name; `all` every
/// service image.
async fn remove_images<E: Engine>(
    ctx: &Ctx,
    engine: &std::sync::Arc<E>,
    project: &Project,
    rmi: &str,
) -> Result<bool> {
    let mut images = BTreeSet::new();
    for s in project.services.values() {
        if rmi == "all" || s.image.is_none() {
            images.insert(image_ref(project, s));
        }
    }
    for image in &images {
        match engine.remove_image(image).await {
            Ok(()) => ctx.progress.status("Image", image, State::Done, "Removed"),
            Err(EngineError::NotFound(_)) => {}
            Err(e) => return Err(Error::Engine(e)),
        }
    }
    Ok(!images.is_empty())
}
