//! One thin file per verb: load → plan → execute → render. Shared steps live here.

pub mod build;
pub mod config;
pub mod down;
pub mod exec;
pub mod format;
pub mod images;
pub mod lifecycle;
pub mod logs;
pub mod ps;
pub mod pull;
pub mod run;
pub mod scope;
pub mod session;
pub mod up;
pub mod watch;

use crate::cli::Global;
use crate::compose::{self, LoadOptions, Project};
use crate::engine::{BuildRequest, Docker, Engine, ImageInfo};
use crate::error::{Error, Result};
use crate::executor::Executor;
use crate::graph::Graph;
use crate::plan::fingerprint::{base_images, build_args, fingerprint};
use crate::plan::{self, image_ref, BuildMode};
use crate::progress::{Progress, State};
use futures_util::future::join_all;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// What every command gets: global flags, the caller's environment and the renderer.
pub struct Ctx {
    pub global: Global,
    pub environ: HashMap<String, String>,
    pub cwd: PathBuf,
    pub progress: Progress,
}

impl Ctx {
    /// Loads the project; `services` named on the command line enable their profiles.
    pub fn load(&self, services: &[String], no_interpolate: bool) -> Result<Project> {
        self.load_with(&self.options(services, no_interpolate))
    }

    /// The loader's options for this command line.
    pub fn options(&self, services: &[String], no_interpolate: bool) -> LoadOptions {
        load_options(
            &self.global,
            services,
            no_interpolate,
            self.environ.clone(),
            self.cwd.clone(),
        )
    }

    /// Loads the project with these options and shows its warnings.
    pub fn load_with(&self, opts: &LoadOptions) -> Result<Project> {
        let project = compose::load(opts)?;
        for w in &project.warnings {
            self.progress.warn(w);
        }
        Ok(project)
    }

    /// Connects to the engine (DOCKER_HOST or the local socket) and negotiates the API version.
    pub async fn engine(&self) -> Result<Arc<Docker>> {
        Ok(Arc::new(Docker::connect().await?))
    }
}

/// The loader's options for these global flags, services named on the command line,
/// environment and working directory.
pub fn load_options(
    global: &Global,
    services: &[String],
    no_interpolate: bool,
    environ: HashMap<String, String>,
    cwd: PathBuf,
) -> LoadOptions {
    LoadOptions {
        files: global.files.clone(),
        project_name: global.project_name.clone(),
        project_directory: global.project_directory.clone(),
        env_files: global.env_files.clone(),
        profiles: global.profiles.clone(),
        services: services.to_vec(),
        only_selected: false,
        no_interpolate,
        keep_env_files: false,
        environ,
        cwd,
    }
}

/// Loads the project and its graph, and resolves the selected services (with dependencies
/// unless `no_deps`).
pub fn select(
    ctx: &Ctx,
    services: &[String],
    no_deps: bool,
) -> Result<(Project, Graph, BTreeSet<String>)> {
    let project = ctx.load(services, false)?;
    let graph = Graph::new(&project)?;
    let selected = if no_deps && !services.is_empty() {
        for s in services {
            if !project.services.contains_key(s) {
                return Err(Error::Usage(format!("no such service: {s}")));
            }
        }
        services.iter().cloned().collect()
    } else {
        graph.with_dependencies(services)?
    };
    Ok((project, graph, selected))
}

/// Makes sure every selected service has its image: decides the builds (by fingerprint), runs
/// them, and returns image ref → image id for all selected services whose image exists.
pub async fn ensure_images<E: Engine>(
    ctx: &Ctx,
    engine: &Arc<E>,
    project: &Project,
    graph: &Graph,
    selected: &BTreeSet<String>,
    mode: BuildMode,
    no_cache: bool,
) -> Result<HashMap<String, String>> {
    let refs: BTreeSet<String> = selected
        .iter()
        .map(|s| image_ref(project, &project.services[s]))
        .collect();
    let infos = join_all(refs.iter().map(|r| engine.inspect_image(r))).await;
    let mut images: HashMap<String, Option<ImageInfo>> = HashMap::new();
    for (r, info) in refs.iter().zip(infos) {
        images.insert(r.clone(), info?);
    }
    pull_missing(ctx, engine, project, selected, &mut images).await?;

    // Fingerprints need the context digest: only worth computing when a build may be skipped.
    let mut prepared: HashMap<String, (crate::context::Context, String)> = HashMap::new();
    if mode != BuildMode::Never {
        for name in selected {
            let service = &project.services[name];
            if service.build.is_none() {
                continue;
            }
            let have = images
                .get(&image_ref(project, service))
                .and_then(Option::as_ref);
            let unlabelled = have.is_some_and(|i| {
                !i.labels
                    .contains_key(crate::engine::labels::BUILD_FINGERPRINT)
            });
            let forced = service.pull_policy.as_deref() == Some("build");
            if mode == BuildMode::Auto && unlabelled && !forced {
                continue; // built by another tool: like Compose, use it as it is
            }
            prepared.insert(name.clone(), prepare(ctx, engine, name, service).await?);
        }
    }
    let fingerprints: HashMap<String, String> = prepared
        .iter()
        .map(|(k, (_, fp))| (k.clone(), fp.clone()))
        .collect();
    let steps =
        plan::images(project, selected, &images, &fingerprints, mode).map_err(Error::Usage)?;
    if mode == BuildMode::Stale {
        // `mls build` says what it skipped, so "nothing happened" is visibly deliberate.
        // A service whose twin (same build config) is built gets that image: not up to date.
        let built = |s: &String| {
            let image = image_ref(project, &project.services[s]);
            steps
                .iter()
                .any(|st| &st.service == s || st.image == image || st.also.contains(&image))
        };
        for name in selected.iter().filter(|s| !built(s)) {
            ctx.progress
                .status("Image", name, State::Done, "Up to date");
        }
    }

    let mut requests = Vec::new();
    for step in &steps {
        let service = &project.services[&step.service];
        let Some(build) = service.build.as_ref() else {
            continue;
        };
        let (context, fp) = match prepared.remove(&step.service) {
            Some(p) => p,
            None => prepare(ctx, engine, &step.service, service).await?,
        };
        if let Some(w) = heavy_warning(&step.service, &context) {
            ctx.progress.warn(&w);
        }
        ctx.progress.status(
            "Image",
            &step.service,
            State::Working,
            &format!(
                "Sending context ({} files, {})",
                context.files,
                human_bytes(context.bytes)
            ),
        );
        let mut labels: std::collections::BTreeMap<String, String> = build
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(crate::engine::labels::BUILD_FINGERPRINT.into(), fp);
        labels.insert(crate::engine::labels::PROJECT.into(), project.name.clone());
        labels.insert(crate::engine::labels::SERVICE.into(), step.service.clone());
        requests.push(BuildRequest {
            service: step.service.clone(),
            tag: step.image.clone(),
            context_tar: context.tar,
            dockerfile: context.dockerfile.clone(),
            args: build_args(build, &ctx.environ),
            target: build.target.clone(),
            labels,
            no_cache,
            classic: context.needs_classic,
        });
    }
    let environ = ctx.environ.clone();
    let executor = Executor::new(engine, &ctx.progress, project, graph, &environ);
    let mut built = executor.build(requests).await?;
    for step in &steps {
        let Some(id) = built.get(&step.image).cloned() else {
            continue;
        };
        for other in &step.also {
            engine.tag_image(&id, other).await?;
            built.insert(other.clone(), id.clone());
        }
    }

    let mut ids: HashMap<String, String> = images
        .into_iter()
        .filter_map(|(r, i)| i.map(|i| (r, i.id)))
        .collect();
    ids.extend(built);
    Ok(ids)
}

/// Pulls the images of services that are not built here, as their `pull_policy` says: when
/// missing (the default), always, or never (then a missing image is an error).
async fn pull_missing<E: Engine>(
    ctx: &Ctx,
    engine: &Arc<E>,
    project: &Project,
    selected: &BTreeSet<String>,
    images: &mut HashMap<String, Option<ImageInfo>>,
) -> Result<()> {
    let mut pulls = BTreeSet::new();
    for name in selected {
        let service = &project.services[name];
        let image = image_ref(project, service);
        let missing = images.get(&image).is_none_or(Option::is_none);
        let policy = service.pull_policy.as_deref().unwrap_or("missing");
        let pull = match policy {
            _ if service.build.is_some() => false,
            "always" => true,
            "never" if missing => {
                return Err(Error::Failed(format!(
                    "service {name:?}: image {image} is not present locally and its pull_policy is never"
                )))
            }
            "never" | "build" => false,
            _ => missing,
        };
        if pull {
            pulls.insert(image);
        }
    }
    let jobs = pulls.iter().map(|image| async move {
        ctx.progress
            .status("Image", image, State::Working, "Pulling");
        let p = ctx.progress.clone();
        let tag = image.clone();
        let r = engine
            .pull_image(image, Box::new(move |line: &str| p.build_line(&tag, line)))
            .await;
        match &r {
            Ok(()) => ctx.progress.status("Image", image, State::Done, "Pulled"),
            Err(e) => ctx
                .progress
                .status("Image", image, State::Failed, &e.to_string()),
        }
        r
    });
    for r in join_all(jobs).await {
        r?;
    }
    for image in pulls {
        let info = engine.inspect_image(&image).await?;
        images.insert(image, info);
    }
    Ok(())
}

/// Reads a service's build context and computes its fingerprint, resolving the Dockerfile's
/// base images to the ids the engine holds for them.
async fn prepare<E: Engine>(
    ctx: &Ctx,
    engine: &Arc<E>,
    name: &str,
    service: &compose::Service,
) -> Result<(crate::context::Context, String)> {
    let Some(build) = &service.build else {
        return Err(Error::Usage(format!(
            "service {name:?} has no build section"
        )));
    };
    let dir = std::path::Path::new(&build.context);
    let source = match &build.dockerfile_inline {
        Some(text) => crate::context::Dockerfile::Inline(text),
        None => crate::context::Dockerfile::Path(&build.dockerfile),
    };
    let context = crate::context::create_with(dir, source).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound if !dir.is_dir() => Error::Failed(format!(
            "service {name:?}: build context {} does not exist",
            build.context
        )),
        std::io::ErrorKind::NotFound => Error::Failed(format!("service {name:?}: {e}")),
        _ => Error::Failed(format!(
            "service {name:?}: cannot read build context {}: {e}",
            build.context
        )),
    })?;
    let args = build_args(build, &ctx.environ);
    let text = match &build.dockerfile_inline {
        Some(inline) => inline.clone(),
        None => std::fs::read_to_string(dir.join(&build.dockerfile)).unwrap_or_default(),
    };
    let mut bases = std::collections::BTreeMap::new();
    for image in base_images(&text, &args) {
        if let Some(info) = engine.inspect_image(&image).await? {
            bases.insert(image, info.id);
        }
    }
    let fp = fingerprint(build, &context.digest, &args, &bases);
    Ok((context, fp))
}

/// The warning shown before sending a context that carries what `.dockerignore` could drop.
pub fn heavy_warning(service: &str, context: &crate::context::Context) -> Option<String> {
    use crate::context::HeavyKind;
    if context.heavy.is_empty() {
        return None;
    }
    let items: Vec<String> = context
        .heavy
        .iter()
        .map(|h| match h.kind {
            HeavyKind::LargeFile(n) => format!("{} ({})", h.path, human_bytes(n)),
            _ => format!("{}/", h.path),
        })
        .collect();
    let ignore = context
        .ignore_file
        .as_ref()
        .map_or_else(|| ".dockerignore".to_string(), |p| p.display().to_string());
    Some(format!(
        "service {service:?}: the build context ({}) carries {}; list them in {ignore} to send less",
        human_bytes(context.bytes),
        items.join(", ")
    ))
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n}B")
    } else {
        format!("{v:.1}{}", UNITS[u])
    }
}

/// Unix seconds now, for event replay.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{Context, Heavy, HeavyKind};

    fn context(heavy: Vec<Heavy>) -> Context {
        Context {
            tar: Vec::new(),
            digest: String::new(),
            files: 3,
            bytes: 80_000_000,
            dockerfile: "Dockerfile".into(),
            ignore_file: None,
            heavy,
            needs_classic: false,
        }
    }

    #[test]
    fn heavy_contexts_are_named_with_what_to_ignore() {
        assert_eq!(heavy_warning("api", &context(Vec::new())), None);
        let w = heavy_warning(
            "api",
            &context(vec![
                Heavy {
                    path: ".git".into(),
                    kind: HeavyKind::Git,
                },
                Heavy {
                    path: "web/node_modules".into(),
                    kind: HeavyKind::NodeModules,
                },
                Heavy {
                    path: "dump.sql".into(),
                    kind: HeavyKind::LargeFile(60_000_000),
                },
            ]),
        )
        .unwrap();
        assert_eq!(
            w,
            "service \"api\": the build context (80.0MB) carries .git/, web/node_modules/, \
             dump.sql (60.0MB); list them in .dockerignore to send less"
        );
    }
}
