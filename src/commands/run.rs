//! `mls run`: start the service's dependencies like `up` does, then run a one-off container of
//! the service attached to the terminal; its exit code becomes mls's.

use super::{ensure_images, select, Ctx};
use crate::cli::RunArgs;
use crate::engine::{Engine, LogChunk, LogOptions};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::plan::spec::{check, container_spec, Context};
use crate::plan::{self, config_hash, image_ref, BuildMode, ContainerOp, ContainerStep, Options};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::io::Write;

pub async fn run(ctx: &Ctx, args: &RunArgs) -> Result<()> {
    let (project, graph, selected) =
        select(ctx, std::slice::from_ref(&args.service), args.no_deps)?;
    let service = project
        .services
        .get(&args.service)
        .ok_or_else(|| Error::Usage(format!("no such service: {}", args.service)))?;
    let engine = ctx.engine().await?;
    let mode = if args.build {
        BuildMode::Always
    } else {
        BuildMode::Auto
    };
    let image_ids = ensure_images(ctx, &engine, &project, &graph, &selected, mode, false).await?;

    // Converge the dependencies like `up` does; the plan covers the service too so its
    // networks and volumes exist, but its own long-running container is left alone.
    let mut ex = Executor::new(&engine, &ctx.progress, &project, &graph, &ctx.environ);
    ex.follow_events();
    let snapshot = engine.snapshot(&project.name).await?;
    let mut plan = plan::converge(
        &project,
        &selected,
        &snapshot,
        &image_ids,
        &Options::default(),
    )
    .map_err(Error::Usage)?;
    plan.containers.remove(&args.service);
    let ready = ex.apply(&plan).await?;
    for (dep, edge) in graph.dependencies(&args.service) {
        let (Some(id), Some(step)) = (ready.get(&dep), plan.containers.get(&dep)) else {
            continue;
        };
        if let Err(e) = ex
            .wait_condition(id, &step.name, &dep, edge.condition)
            .await
        {
            if edge.required {
                ctx.progress.finish();
                return Err(Error::Failed(format!("dependency failed to start: {e}")));
            }
        }
    }
    ctx.progress.finish();

    let image = image_ref(&project, service);
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}-run-{}", project.name, args.service, random_suffix()));
    let step = ContainerStep {
        service: args.service.clone(),
        name: name.clone(),
        number: 1,
        op: ContainerOp::Create,
        config_hash: config_hash(&project, &args.service),
        image: image.clone(),
        image_id: image_ids.get(&image).cloned().unwrap_or_default(),
    };
    for w in check(&project, service, &ctx.environ, engine.api_version()).map_err(Error::Failed)? {
        ctx.progress.warn(&w);
    }
    // The dependencies' containers as they are now (`network_mode: service:x`, links, ...).
    let peers = plan::snapshot_peers(&engine.snapshot(&project.name).await?);
    let cx = Context {
        environ: &ctx.environ,
        oneoff: true,
        peers: &peers,
        replaced: None,
    };
    let mut spec = container_spec(&project, service, &step, &cx).map_err(Error::Failed)?;
    if !args.command.is_empty() {
        spec.command = Some(args.command.clone());
    }
    if let Some(ep) = &args.entrypoint {
        spec.entrypoint = Some(ep.split_whitespace().map(String::from).collect());
    }
    if args.user.is_some() {
        spec.user = args.user.clone();
    }
    if args.workdir.is_some() {
        spec.working_dir = args.workdir.clone();
    }
    spec.env.extend(args.env.iter().cloned());
    if !args.service_ports {
        spec.port_bindings.clear();
    }
    spec.restart = None;
    spec.tty = false;

    let id = engine.create_container(&spec).await?.id;
    let mut logs = engine.logs(
        &id,
        LogOptions {
            follow: true,
            tail: Some("all".into()),
            timestamps: false,
            since: None,
        },
    );
    engine.start_container(&id).await?;
    if args.detach {
        println!("{id}");
        return Ok(());
    }
    let copy = async {
        while let Some(chunk) = logs.next().await {
            let ok = match chunk {
                Ok(LogChunk::Stdout(b)) => std::io::stdout().lock().write_all(&b).is_ok(),
                Ok(LogChunk::Stderr(b)) => std::io::stderr().lock().write_all(&b).is_ok(),
                Err(_) => break,
            };
            if !ok {
                break;
            }
        }
        let _ = std::io::stdout().flush();
    };
    let code = tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            let _ = engine.stop_container(&id, None).await;
            if args.rm {
                let _ = engine.remove_container(&id, true, true).await;
            }
            return Err(Error::Interrupted);
        }
        (_, code) = async { tokio::join!(copy, engine.wait_container(&id)) } => code,
    };
    if args.rm {
        engine.remove_container(&id, true, true).await?;
    }
    match code? {
        0 => Ok(()),
        c => Err(Error::Exit(c as i32)),
    }
}

/// 12 hex characters, unique enough for one-off container names.
fn random_suffix() -> String {
    let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
    hex::encode(Sha256::digest(seed.as_bytes()))[..12].to_string()
}
