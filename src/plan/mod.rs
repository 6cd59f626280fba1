//! PURE convergence: the desired project plus one observation of the engine give a Plan.
//!
//! Planning happens in two phases because a container's fate depends on the image it would run:
//! `images` decides which services to build; after the builds, `converge` decides per container
//! whether to keep, start, create or recreate it. Neither calls the engine.

mod files;
pub mod fingerprint;
mod hash;
pub mod resources;
mod runtime;
pub mod spec;

pub use hash::config_hash;

use crate::compose::{Project, Service};
use crate::engine::{labels, ContainerSummary, ImageInfo, MountPoint, Snapshot};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

/// `--build` / `--no-build` / neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildMode {
    /// Build what is missing or whose build inputs changed.
    #[default]
    Auto,
    Always,
    Never,
    /// `mls build`: build unless the image carries this exact fingerprint.
    Stale,
}

/// The image reference a service runs: `image:` or `<project>-<service>` for build-only services.
pub fn image_ref(project: &Project, service: &Service) -> String {
    match &service.image {
        Some(image) => image.clone(),
        None => format!("{}-{}", project.name, service.name),
    }
}

/// Container name of replica `number` of a service.
pub fn container_name(project: &Project, service: &Service, number: u32) -> String {
    match &service.container_name {
        Some(name) => name.clone(),
        None => format!("{}-{}-{}", project.name, service.name, number),
    }
}

/// Why an image will be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildReason {
    Missing,
    Forced,
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStep {
    pub service: String,
    pub image: String,
    pub reason: BuildReason,
    /// Further image refs of services with the identical build config: tagged, not rebuilt.
    pub also: Vec<String>,
}

/// Decides which of `services` to build. `images` holds what the engine has for each service's
/// image ref; `fingerprints` the digest of each service's current build inputs (when known).
/// Services sharing one image ref, or one identical build config, are built once.
/// `pull_policy: build` forces a build unless the mode is `Never`.
pub fn images(
    project: &Project,
    services: &BTreeSet<String>,
    images: &HashMap<String, Option<ImageInfo>>,
    fingerprints: &HashMap<String, String>,
    mode: BuildMode,
) -> Result<Vec<BuildStep>, String> {
    let mut steps: Vec<BuildStep> = Vec::new();
    for name in services {
        let service = &project.services[name];
        let image = image_ref(project, service);
        let present = images.get(&image).and_then(Option::as_ref);
        if service.build.is_none() {
            continue;
        }
        let forced = service.pull_policy.as_deref() == Some("build");
        let mode = if forced && mode != BuildMode::Never {
            BuildMode::Always
        } else {
            mode
        };
        let reason = match (mode, present) {
            (BuildMode::Never, None) if service.image.is_none() => {
                return Err(format!(
                    "service {name:?} has no image {image:?} and --no-build was given: run `mls build {name}` first"
                ))
            }
            (BuildMode::Never, _) => continue,
            (BuildMode::Always, _) => BuildReason::Forced,
            (BuildMode::Auto, None) => BuildReason::Missing,
            (BuildMode::Stale, None) => BuildReason::Missing,
            (BuildMode::Stale, Some(info)) => {
                let stored = info.labels.get(labels::BUILD_FINGERPRINT);
                if stored.is_some() && stored == fingerprints.get(name) {
                    continue;
                }
                BuildReason::Changed
            }
            (BuildMode::Auto, Some(info)) => {
                let stored = info.labels.get(labels::BUILD_FINGERPRINT);
                match (stored, fingerprints.get(name)) {
                    (Some(old), Some(new)) if old != new => BuildReason::Changed,
                    _ => continue,
                }
            }
        };
        if steps
            .iter()
            .any(|s| s.image == image || s.also.contains(&image))
        {
            continue;
        }
        let twin = steps.iter_mut().find(|s| {
            project.services[&s.service].build == service.build
                && fingerprints.get(&s.service) == fingerprints.get(name)
        });
        if let Some(twin) = twin {
            twin.also.push(image);
            continue;
        }
        steps.push(BuildStep {
            service: name.clone(),
            image,
            reason,
            also: Vec::new(),
        });
    }
    Ok(steps)
}

/// What happens to one service's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerOp {
    /// Up to date and running.
    Keep {
        id: String,
    },
    /// Up to date but not running.
    Start {
        id: String,
    },
    Create,
    Recreate {
        id: String,
        reason: String,
        /// The replaced container's mounts: its anonymous volumes carry over.
        mounts: Vec<MountPoint>,
    },
}

/// An existing container of a service, as others refer to it (`network_mode: service:x`,
/// `volumes_from`, `links`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub number: u32,
    pub name: String,
    pub id: String,
}

/// Containers by service, lowest number first.
pub type Peers = BTreeMap<String, Vec<Peer>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStep {
    pub service: String,
    pub name: String,
    pub number: u32,
    pub op: ContainerOp,
    pub config_hash: String,
    pub image: String,
    /// The image id the container should run (known after builds).
    pub image_id: String,
}

/// The container phase of a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// (key in the compose file, engine name) of networks to create.
    pub networks: Vec<(String, String)>,
    pub volumes: Vec<(String, String)>,
    /// Engine names of the `external` networks and volumes the services use: they must exist.
    pub external_networks: Vec<String>,
    pub external_volumes: Vec<String>,
    /// The first (lowest-numbered) container of each service that runs any.
    pub containers: BTreeMap<String, ContainerStep>,
    /// The further containers of services that run more than one (`scale`,
    /// `deploy.replicas`), by service then number.
    pub replicas: Vec<ContainerStep>,
    /// Surplus replicas of a service (scale went down, or duplicates): (name, id).
    pub remove: Vec<(String, String)>,
    /// Containers of services no longer in the project: (name, id).
    pub orphans: Vec<(String, String)>,
    pub remove_orphans: bool,
    /// The project's containers that stay (kept, started or replaced in place), by service.
    pub peers: Peers,
}

/// Options of `converge`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub remove_orphans: bool,
    /// `--scale service=n`: overrides the service's `scale` / `deploy.replicas`.
    pub scale: BTreeMap<String, u32>,
}

/// Decides, for each selected service, what to do with its container, and which networks and
/// volumes to create. `image_ids` maps each service's image ref to its id after the builds.
pub fn converge(
    project: &Project,
    services: &BTreeSet<String>,
    snapshot: &Snapshot,
    image_ids: &HashMap<String, String>,
    opts: &Options,
) -> Result<Plan, String> {
    let mut plan = Plan {
        remove_orphans: opts.remove_orphans,
        ..Plan::default()
    };
    let have_networks: BTreeSet<&str> = snapshot.networks.iter().map(|n| n.name.as_str()).collect();
    let have_volumes: BTreeSet<&str> = snapshot.volumes.iter().map(|v| v.name.as_str()).collect();

    let mut used_networks = BTreeSet::new();
    let mut used_volumes = BTreeSet::new();
    for name in services {
        let service = &project.services[name];
        used_networks.extend(service.networks.keys().cloned());
        for m in &service.volumes {
            if m.kind == "volume" {
                if let Some(src) = &m.source {
                    used_volumes.insert(src.clone());
                }
            }
        }
    }
    for (key, net) in &project.networks {
        if !used_networks.contains(key) {
            continue;
        }
        if net.external {
            plan.external_networks.push(net.name.clone());
        } else if !have_networks.contains(net.name.as_str()) {
            plan.networks.push((key.clone(), net.name.clone()));
        }
    }
    for (key, vol) in &project.volumes {
        if !used_volumes.contains(key) {
            continue;
        }
        if vol.external {
            plan.external_volumes.push(vol.name.clone());
        } else if !have_volumes.contains(vol.name.as_str()) {
            plan.volumes.push((key.clone(), vol.name.clone()));
        }
    }

    let mut by_service: BTreeMap<&str, Vec<&ContainerSummary>> = BTreeMap::new();
    for c in snapshot.containers.iter().filter(|c| !c.is_oneoff()) {
        match c.service() {
            Some(s) if project.services.contains_key(s) => by_service.entry(s).or_default().push(c),
            Some(s) if project.disabled_services.iter().any(|d| d == s) => {}
            _ => plan.orphans.push((c.name.clone(), c.id.clone())),
        }
    }

    for (name, existing) in &by_service {
        if !services.contains(*name) {
            plan.peers.insert(name.to_string(), peers(existing));
        }
    }
    for name in services {
        let service = &project.services[name];
        let scale = match opts.scale.get(name) {
            Some(n) => *n,
            None => runtime::Runtime::of(service)?.scale()?,
        };
        if scale > 1 {
            if let Some(fixed) = &service.container_name {
                return Err(format!(
                    "WARNING: The \"{name}\" service is using the custom container name \"{fixed}\". Docker requires each container to have a unique name. Remove the custom name to scale the service"
                ));
            }
        }
        let image = image_ref(project, service);
        let image_id = image_ids.get(&image).cloned().unwrap_or_default();
        let hash = config_hash(project, name);
        let reason = |c: &ContainerSummary| {
            if opts.no_recreate {
                None
            } else if opts.force_recreate {
                Some("forced".to_string())
            } else if c.label(labels::CONFIG_HASH) != Some(hash.as_str()) {
                Some("configuration changed".to_string())
            } else if !image_id.is_empty() && c.image_id != image_id {
                Some("image changed".to_string())
            } else {
                None
            }
        };
        let mut existing = by_service.remove(name.as_str()).unwrap_or_default();
        // Like Compose: up-to-date containers first, lowest numbers first; what is over the
        // scale goes, obsolete containers before up-to-date ones.
        existing.sort_by_key(|c| (reason(c).is_some(), number_of(c)));
        let next = existing.iter().map(|c| number_of(c)).max().unwrap_or(0) + 1;
        let keep = existing.len().min(scale as usize);
        for extra in &existing[keep..] {
            plan.remove.push((extra.name.clone(), extra.id.clone()));
        }
        let kept = &existing[..keep];
        plan.peers.insert(name.clone(), peers(kept));
        let step = |number: u32, name: String, op: ContainerOp| ContainerStep {
            service: service.name.clone(),
            name,
            number,
            op,
            config_hash: hash.clone(),
            image: image.clone(),
            image_id: image_id.clone(),
        };
        let mut steps: Vec<ContainerStep> = kept
            .iter()
            .map(|c| {
                let op = match reason(c) {
                    Some(reason) => ContainerOp::Recreate {
                        id: c.id.clone(),
                        reason,
                        mounts: c.mounts.clone(),
                    },
                    None if c.state == "running" => ContainerOp::Keep { id: c.id.clone() },
                    None => ContainerOp::Start { id: c.id.clone() },
                };
                step(number_of(c), c.name.clone(), op)
            })
            .collect();
        for number in (next..).take(scale as usize - keep) {
            steps.push(step(
                number,
                container_name(project, service, number),
                ContainerOp::Create,
            ));
        }
        steps.sort_by_key(|s| s.number);
        let mut steps = steps.into_iter();
        if let Some(first) = steps.next() {
            plan.containers.insert(name.clone(), first);
        }
        plan.replicas.extend(steps);
    }
    Ok(plan)
}

/// The project's (non one-off) containers in `snapshot` as peers, by service.
pub fn snapshot_peers(snapshot: &Snapshot) -> Peers {
    let mut by_service: BTreeMap<&str, Vec<&ContainerSummary>> = BTreeMap::new();
    for c in snapshot.containers.iter().filter(|c| !c.is_oneoff()) {
        if let Some(s) = c.service() {
            by_service.entry(s).or_default().push(c);
        }
    }
    by_service
        .into_iter()
        .map(|(s, list)| (s.to_string(), peers(&list)))
        .collect()
}

/// The containers as peers, lowest number first.
fn peers(containers: &[&ContainerSummary]) -> Vec<Peer> {
    let mut out: Vec<Peer> = containers
        .iter()
        .map(|c| Peer {
            number: number_of(c),
            name: c.name.clone(),
            id: c.id.clone(),
        })
        .collect();
    out.sort_by_key(|p| p.number);
    out
}

fn number_of(c: &ContainerSummary) -> u32 {
    c.label(labels::NUMBER)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

impl Plan {
    /// True when applying the plan would change nothing in the engine.
    pub fn is_noop(&self) -> bool {
        self.networks.is_empty()
            && self.volumes.is_empty()
            && self.remove.is_empty()
            && (self.orphans.is_empty() || !self.remove_orphans)
            && self
                .steps()
                .all(|c| matches!(c.op, ContainerOp::Keep { .. }))
    }

    /// Every container step: each service's first, then the further replicas.
    pub fn steps(&self) -> impl Iterator<Item = &ContainerStep> {
        self.containers.values().chain(&self.replicas)
    }

    /// The steps of one service, lowest number first.
    pub fn steps_of<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a ContainerStep> {
        self.steps().filter(move |s| s.service == service)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (_, name) in &self.networks {
            writeln!(f, "network {name}: create")?;
        }
        for (_, name) in &self.volumes {
            writeln!(f, "volume {name}: create")?;
        }
        for (name, _) in &self.remove {
            writeln!(f, "container {name}: remove (surplus)")?;
        }
        for (name, _) in &self.orphans {
            let what = if self.remove_orphans {
                "remove"
            } else {
                "keep"
            };
            writeln!(f, "container {name}: {what} (orphan)")?;
        }
        let mut steps: Vec<&ContainerStep> = self.steps().collect();
        steps.sort_by(|a, b| (&a.service, a.number).cmp(&(&b.service, b.number)));
        for step in steps {
            let what = match &step.op {
                ContainerOp::Keep { .. } => "keep".to_string(),
                ContainerOp::Start { .. } => "start".to_string(),
                ContainerOp::Create => "create".to_string(),
                ContainerOp::Recreate { reason, .. } => format!("recreate ({reason})"),
            };
            writeln!(f, "container {}: {what}", step.name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
