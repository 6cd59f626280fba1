//! PURE convergence: the desired project plus one observation of the engine give a Plan.
//!
//! Planning happens in two phases because a container's fate depends on the image it would run:
//! `images` decides which services to build; after the builds, `converge` decides per container
//! whether to keep, start, create or recreate it. Neither calls the engine.

pub mod fingerprint;
mod hash;
pub mod spec;

pub use hash::config_hash;

use crate::compose::{Project, Service};
use crate::engine::{labels, ContainerSummary, ImageInfo, Snapshot};
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
    },
}

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
    pub containers: BTreeMap<String, ContainerStep>,
    /// Surplus replicas of a service (scale went down, or duplicates): (name, id).
    pub remove: Vec<(String, String)>,
    /// Containers of services no longer in the project: (name, id).
    pub orphans: Vec<(String, String)>,
    pub remove_orphans: bool,
}

/// Options of `converge`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub remove_orphans: bool,
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
        if used_networks.contains(key)
            && !net.external
            && !have_networks.contains(net.name.as_str())
        {
            plan.networks.push((key.clone(), net.name.clone()));
        }
    }
    for (key, vol) in &project.volumes {
        if used_volumes.contains(key) && !vol.external && !have_volumes.contains(vol.name.as_str())
        {
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

    for name in services {
        let service = &project.services[name];
        let image = image_ref(project, service);
        let image_id = image_ids.get(&image).cloned().unwrap_or_default();
        let hash = config_hash(project, name);
        let mut existing = by_service.remove(name.as_str()).unwrap_or_default();
        existing.sort_by_key(|c| number_of(c));
        let current = existing.first().copied();
        for extra in existing.iter().skip(1) {
            plan.remove.push((extra.name.clone(), extra.id.clone()));
        }
        let op = match current {
            None => ContainerOp::Create,
            Some(c) => {
                let reason = if opts.no_recreate {
                    None
                } else if opts.force_recreate {
                    Some("forced".to_string())
                } else if c.label(labels::CONFIG_HASH) != Some(hash.as_str()) {
                    Some("configuration changed".to_string())
                } else if !image_id.is_empty() && c.image_id != image_id {
                    Some("image changed".to_string())
                } else {
                    None
                };
                match reason {
                    Some(reason) => ContainerOp::Recreate {
                        id: c.id.clone(),
                        reason,
                    },
                    None if c.state == "running" => ContainerOp::Keep { id: c.id.clone() },
                    None => ContainerOp::Start { id: c.id.clone() },
                }
            }
        };
        let number = current.map_or(1, number_of);
        plan.containers.insert(
            name.clone(),
            ContainerStep {
                service: name.clone(),
                name: current
                    .map_or_else(|| container_name(project, service, 1), |c| c.name.clone()),
                number,
                op,
                config_hash: hash,
                image,
                image_id,
            },
        );
    }
    Ok(plan)
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
                .containers
                .values()
                .all(|c| matches!(c.op, ContainerOp::Keep { .. }))
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
        for step in self.containers.values() {
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
