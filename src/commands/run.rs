//! `mls run`: start the service's dependencies like `up` does, then run a one-off container of
//! the service attached to the terminal (stdin passed on, a TTY when the output is a terminal);
//! its exit code becomes mls's.

use super::session::{self, Interrupts};
use super::{ensure_images, select, Ctx};
use crate::cli::RunArgs;
use crate::engine::{labels, ContainerSpec, Engine, TtyOf};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::plan::spec::{check, container_spec, Context};
use crate::plan::{self, config_hash, image_ref, BuildMode, ContainerOp, ContainerStep, Options};
use sha2::{Digest, Sha256};

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
    let slug = random_slug();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}-run-{}", project.name, args.service, &slug[..12]));
    let step = ContainerStep {
        service: args.service.clone(),
        name: name.clone(),
        number: 1,
        op: ContainerOp::Create,
        config_hash: config_hash(&project, &args.service),
        image: image.clone(),
        image_id: image_ids.get(&image).cloned().unwrap_or_default(),
    };
    let tty = !args.no_tty && console::Term::stdout().is_term();
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
    let base = container_spec(&project, service, &step, &cx).map_err(Error::Failed)?;
    let spec = oneoff_spec(base, args, &slug, tty)?;

    let id = engine.create_container(&spec).await?.id;
    if args.detach {
        engine.start_container(&id).await?;
        println!("{id}");
        return Ok(());
    }
    let io = engine.attach(&id, true).await?;
    engine.start_container(&id).await?;
    let of = tty.then(|| TtyOf::Container(id.clone()));
    let mut signals = Interrupts::new()?;
    let attached = async {
        session::connect(&engine, io, true, of).await;
        engine.wait_container(&id).await
    };
    tokio::pin!(attached);
    // Like Compose, signals go to the container; its exit ends the run.
    let code = loop {
        tokio::select! {
            code = &mut attached => break code,
            sig = signals.next() => {
                let _ = engine.kill_container(&id, Some(sig)).await;
            }
        }
    };
    if args.rm {
        engine.remove_container(&id, true, true).await?;
    }
    match code? {
        0 => Ok(()),
        c => Err(Error::Exit(c as i32)),
    }
}

/// The one-off container: the service's spec with `run`'s overrides and Compose's one-off
/// identity (labels `oneoff=True` and `slug`, no container number, no service alias: other
/// containers resolving the service must not reach a one-off).
fn oneoff_spec(
    mut spec: ContainerSpec,
    args: &RunArgs,
    slug: &str,
    tty: bool,
) -> Result<ContainerSpec> {
    spec.labels.remove(labels::NUMBER);
    spec.labels.insert(labels::SLUG.into(), slug.to_string());
    let name = spec.name.clone();
    for endpoint in spec.networks.iter_mut() {
        endpoint.aliases = vec![name.clone()];
    }
    if !args.command.is_empty() {
        spec.command = Some(args.command.clone());
    }
    if let Some(ep) = &args.entrypoint {
        spec.entrypoint = Some(crate::compose::shell_split(ep).map_err(Error::Usage)?);
        if args.command.is_empty() {
            spec.command = Some(Vec::new());
        }
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
    spec.tty = tty;
    spec.stdin_open = true;
    Ok(spec)
}

/// 64 hex characters, like Compose's slug (`stringid.GenerateRandomID`).
fn random_slug() -> String {
    let seed = format!(
        "{:?}{}{:?}",
        std::time::SystemTime::now(),
        std::process::id(),
        std::thread::current().id()
    );
    hex::encode(Sha256::digest(seed.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EndpointSpec;
    use clap::Parser;

    fn args(extra: &[&str]) -> RunArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            run: RunArgs,
        }
        let mut argv = vec!["run"];
        argv.extend_from_slice(extra);
        Wrap::parse_from(argv).run
    }

    #[test]
    fn oneoffs_have_composes_identity_and_no_service_alias() {
        let base = ContainerSpec {
            name: "p-api-run-0123456789ab".into(),
            labels: [(labels::NUMBER.to_string(), "1".to_string())].into(),
            networks: vec![EndpointSpec::new("p_default", &["api"])],
            port_bindings: vec![("80/tcp".into(), None, Some("8080".into()))],
            restart: Some("always".into()),
            ..Default::default()
        };
        let spec = oneoff_spec(
            base.clone(),
            &args(&["--entrypoint", "sh -c", "api"]),
            "0123456789abcdef",
            false,
        )
        .unwrap();
        assert!(!spec.labels.contains_key(labels::NUMBER));
        assert_eq!(spec.labels[labels::SLUG], "0123456789abcdef");
        assert_eq!(
            spec.networks[0].aliases,
            vec!["p-api-run-0123456789ab".to_string()]
        );
        assert_eq!(
            spec.entrypoint,
            Some(vec!["sh".to_string(), "-c".to_string()])
        );
        assert_eq!(spec.command, Some(vec![]));
        assert!(spec.port_bindings.is_empty() && spec.restart.is_none() && spec.stdin_open);
        let spec = oneoff_spec(
            base,
            &args(&["--service-ports", "api", "echo", "hi"]),
            "s",
            true,
        )
        .unwrap();
        assert_eq!(
            spec.command,
            Some(vec!["echo".to_string(), "hi".to_string()])
        );
        assert_eq!(spec.port_bindings.len(), 1);
        assert!(spec.tty);
    }
}
