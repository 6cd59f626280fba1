//! `mls pull` and `mls push`: move service images between the engine and their registries.

use super::Ctx;
use crate::cli::{PullArgs, PushArgs};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::progress::State;
use futures_util::future::join_all;
use std::collections::BTreeSet;

pub async fn pull(ctx: &Ctx, args: &PullArgs) -> Result<()> {
    let project = ctx.load(&args.services, false)?;
    let images: BTreeSet<String> = chosen(&project, &args.services)?
        .into_iter()
        .filter_map(|s| {
            let service = &project.services[&s];
            (service.build.is_none())
                .then(|| service.image.clone())
                .flatten()
        })
        .collect();
    transfer(ctx, images, true, args.ignore_pull_failures).await
}

pub async fn push(ctx: &Ctx, args: &PushArgs) -> Result<()> {
    let project = ctx.load(&args.services, false)?;
    let images: BTreeSet<String> = chosen(&project, &args.services)?
        .into_iter()
        .filter_map(|s| {
            let service = &project.services[&s];
            (service.build.is_some())
                .then(|| service.image.clone())
                .flatten()
        })
        .collect();
    transfer(ctx, images, false, args.ignore_push_failures).await
}

fn chosen(project: &crate::compose::Project, services: &[String]) -> Result<Vec<String>> {
    if services.is_empty() {
        return Ok(project.services.keys().cloned().collect());
    }
    for s in services {
        if !project.services.contains_key(s) {
            return Err(Error::Usage(format!("no such service: {s}")));
        }
    }
    Ok(services.to_vec())
}

async fn transfer(ctx: &Ctx, images: BTreeSet<String>, pull: bool, ignore: bool) -> Result<()> {
    let engine = ctx.engine().await?;
    let (working, done) = if pull {
        ("Pulling", "Pulled")
    } else {
        ("Pushing", "Pushed")
    };
    let jobs = images.iter().map(|image| {
        let engine = engine.clone();
        async move {
            ctx.progress.status("Image", image, State::Working, working);
            let p = ctx.progress.clone();
            let tag = image.clone();
            let on_line = Box::new(move |line: &str| p.build_line(&tag, line));
            let r = if pull {
                engine.pull_image(image, on_line).await
            } else {
                engine.push_image(image, on_line).await
            };
            match &r {
                Ok(()) => ctx.progress.status("Image", image, State::Done, done),
                Err(e) => ctx
                    .progress
                    .status("Image", image, State::Failed, &e.to_string()),
            }
            r
        }
    });
    let results = join_all(jobs).await;
    ctx.progress.finish();
    for r in results {
        if let Err(e) = r {
            if !ignore {
                return Err(e.into());
            }
        }
    }
    Ok(())
}
