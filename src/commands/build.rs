//! `mls build`: build the images whose inputs changed (all with `--no-cache`).

use super::{ensure_images, Ctx};
use crate::cli::BuildArgs;
use crate::error::Result;
use crate::graph::Graph;
use crate::plan::BuildMode;
use std::collections::BTreeSet;

pub async fn build(ctx: &Ctx, args: &BuildArgs) -> Result<()> {
    let project = ctx.load(&args.services, false)?;
    let graph = Graph::new(&project)?;
    let selected: BTreeSet<String> = if args.services.is_empty() {
        project.services.keys().cloned().collect()
    } else {
        for s in &args.services {
            if !project.services.contains_key(s) {
                return Err(crate::error::Error::Usage(format!("no such service: {s}")));
            }
        }
        args.services.iter().cloned().collect()
    };
    let selected: BTreeSet<String> = selected
        .into_iter()
        .filter(|s| project.services[s].build.is_some())
        .collect();
    let engine = ctx.engine().await?;
    let mode = if args.no_cache {
        BuildMode::Always
    } else {
        BuildMode::Stale
    };
    ensure_images(
        ctx,
        &engine,
        &project,
        &graph,
        &selected,
        mode,
        args.no_cache,
    )
    .await?;
    ctx.progress.finish();
    Ok(())
}
