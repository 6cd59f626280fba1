//! `mls down`: stop and remove the project's containers (dependents first) and networks; named
//! volumes only with `-v`, images only with `--rmi`. Nothing outside the project is touched.

use super::Ctx;
use crate::cli::DownArgs;
use crate::engine::{labels, ContainerSummary, Engine};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::graph::Graph;
use crate::plan::image_ref;
use crate::progress::State;
use std::collections::BTreeSet;
use std::time::Duration;

pub async fn down(ctx: &Ctx, args: &DownArgs) -> Result<()> {
    let project = ctx.load(&args.services, false)?;
    let graph = Graph::new(&project)?;
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&project.name).await?;
    let timeout = args.timeout.map(Duration::from_secs);
    let targeted: BTreeSet<String> = if args.services.is_empty() {
        BTreeSet::new()
    } else {
        graph.with_dependents(&args.services)?
    };
    let known = |s: &str| {
        project.services.contains_key(s) || project.disabled_services.iter().any(|d| d == s)
    };
    let wanted = |c: &ContainerSummary| -> bool {
        let s = c.service().unwrap_or("");
        if !targeted.is_empty() {
            return targeted.contains(s);
        }
        known(s) || args.remove_orphans
    };
    let containers: Vec<&ContainerSummary> =
        snapshot.containers.iter().filter(|c| wanted(c)).collect();
    if targeted.is_empty() && !args.remove_orphans {
        for c in snapshot.containers.iter().filter(|c| !wanted(c)) {
            ctx.progress.warn(&format!(
                "Found orphan container ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                c.name
            ));
        }
    }

    let environ = ctx.environ.clone();
    let ex = Executor::new(&engine, &ctx.progress, &project, &graph, &environ);
    ex.stop_all(&containers, timeout, true, args.volumes)
        .await?;
    if !targeted.is_empty() {
        return finish(ctx);
    }

    for n in &snapshot.networks {
        let ours = project
            .networks
            .values()
            .any(|net| net.name == n.name && !net.external);
        if ours || n.labels.get(labels::PROJECT) == Some(&project.name) {
            ctx.progress
                .status("Network", &n.name, State::Working, "Removing");
            engine.remove_network(&n.name).await?;
            ctx.progress
                .status("Network", &n.name, State::Done, "Removed");
        }
    }
    if args.volumes {
        for v in &snapshot.volumes {
            let declared = project
                .volumes
                .values()
                .any(|vol| vol.name == v.name && !vol.external);
            if declared {
                ctx.progress
                    .status("Volume", &v.name, State::Working, "Removing");
                engine.remove_volume(&v.name).await?;
                ctx.progress
                    .status("Volume", &v.name, State::Done, "Removed");
            }
        }
    }
    if let Some(rmi) = &args.rmi {
        let mut images = BTreeSet::new();
        for s in project.services.values() {
            if rmi == "all" || s.image.is_none() {
                images.insert(image_ref(&project, s));
            }
        }
        for image in images {
            match engine.remove_image(&image).await {
                Ok(()) => ctx.progress.status("Image", &image, State::Done, "Removed"),
                Err(crate::engine::EngineError::NotFound(_)) => {}
                Err(e) => return Err(Error::Engine(e)),
            }
        }
    }
    finish(ctx)
}

fn finish(ctx: &Ctx) -> Result<()> {
    ctx.progress.finish();
    Ok(())
}
