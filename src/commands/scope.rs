//! Which project a command acts on, as Docker Compose decides it: the compose files when there
//! are any to read, else (with `-p NAME`, or COMPOSE_PROJECT_NAME when no file is found) only
//! the name, the rest being rebuilt from the labels of the project's containers, networks and
//! volumes. That is what lets `mls -p NAME down` work from any folder.

use super::Ctx;
use crate::compose::{Condition, Dependency, Network, Project, Service, Volume};
use crate::engine::{labels, ContainerSummary, Snapshot};
use crate::error::{Error, Result};

/// A project loaded from files, or just a name whose project comes from the engine.
pub struct Scope {
    pub name: String,
    pub project: Option<Project>,
}

impl Scope {
    /// Fails for services the loaded project does not define (nothing to check without files,
    /// like Compose, which cannot tell a typo from a removed container then).
    pub fn check_services(&self, services: &[String]) -> Result<()> {
        let Some(project) = &self.project else {
            return Ok(());
        };
        match services.iter().find(|s| !project.services.contains_key(*s)) {
            Some(s) => Err(Error::Usage(format!("no such service: {s}"))),
            None => Ok(()),
        }
    }

    /// The project: the loaded one, or one rebuilt from what the engine holds.
    pub fn project(self, snapshot: &Snapshot) -> Project {
        match self.project {
            Some(p) => p,
            None => from_labels(&self.name, snapshot),
        }
    }
}

impl Ctx {
    /// Compose's `projectOrName`: with `-p` and no `-f` the files are not read; otherwise they
    /// are, and when that fails COMPOSE_PROJECT_NAME (if set) still names the project.
    pub fn scope(&self, services: &[String]) -> Result<Scope> {
        if let (Some(name), true) = (&self.global.project_name, self.global.files.is_empty()) {
            return Ok(Scope {
                name: name.to_lowercase(),
                project: None,
            });
        }
        match self.load(services, false) {
            Ok(project) => Ok(Scope {
                name: project.name.clone(),
                project: Some(project),
            }),
            Err(e) => match self.environ.get("COMPOSE_PROJECT_NAME") {
                Some(name) if !name.is_empty() => Ok(Scope {
                    name: name.to_lowercase(),
                    project: None,
                }),
                _ => Err(e),
            },
        }
    }

    /// Compose's `toProjectName`: `-p`, else COMPOSE_PROJECT_NAME, else the loaded project's.
    pub fn project_name(&self) -> Result<String> {
        if let Some(name) = &self.global.project_name {
            return Ok(name.to_lowercase());
        }
        match self.environ.get("COMPOSE_PROJECT_NAME") {
            Some(name) if !name.is_empty() => Ok(name.to_lowercase()),
            _ => Ok(self.load(&[], false)?.name),
        }
    }
}

/// PURE: the project as the engine's labels describe it. Services (with image, labels and
/// `depends_on`) come from the containers that are not one-offs; networks and volumes are those
/// labelled with the project, keyed by their compose name.
pub fn from_labels(name: &str, snapshot: &Snapshot) -> Project {
    let mut project = Project {
        name: name.to_string(),
        ..Default::default()
    };
    for c in snapshot.containers.iter().filter(|c| !c.is_oneoff()) {
        let service = c.service().unwrap_or(c.name.as_str()).to_string();
        project
            .services
            .entry(service.clone())
            .or_insert_with(|| service_from(&service, c));
    }
    project.services.sort_keys();
    for n in &snapshot.networks {
        let key = n.labels.get(labels::NETWORK).unwrap_or(&n.name).clone();
        project.networks.insert(
            key,
            Network {
                name: n.name.clone(),
                ..Default::default()
            },
        );
    }
    for v in &snapshot.volumes {
        let key = v.labels.get(labels::VOLUME).unwrap_or(&v.name).clone();
        project.volumes.insert(
            key,
            Volume {
                name: v.name.clone(),
                ..Default::default()
            },
        );
    }
    project
}

fn service_from(name: &str, c: &ContainerSummary) -> Service {
    let mut service = Service {
        name: name.to_string(),
        image: Some(c.image.clone()),
        ..Default::default()
    };
    // "db:service_healthy:true,cache:service_started:false"
    for entry in c
        .label(labels::DEPENDS_ON)
        .unwrap_or("")
        .split(',')
        .filter(|e| !e.is_empty())
    {
        let mut parts = entry.split(':');
        let dep = parts.next().unwrap_or_default().to_string();
        let condition = match parts.next() {
            Some("service_healthy") => Condition::ServiceHealthy,
            Some("service_completed_successfully") => Condition::ServiceCompletedSuccessfully,
            _ => Condition::ServiceStarted,
        };
        let restart = parts.next() == Some("true");
        service.depends_on.insert(
            dep,
            Dependency {
                condition,
                required: false,
                restart,
            },
        );
    }
    service
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NetworkSummary, VolumeSummary};
    use std::collections::BTreeMap;

    fn container(name: &str, service: &str, oneoff: bool, depends: &str) -> ContainerSummary {
        let labels: BTreeMap<String, String> = [
            (labels::PROJECT, "p"),
            (labels::SERVICE, service),
            (labels::ONEOFF, if oneoff { "True" } else { "False" }),
            (labels::DEPENDS_ON, depends),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        ContainerSummary {
            name: name.into(),
            image: "img".into(),
            labels,
            ..Default::default()
        }
    }

    #[test]
    fn labels_rebuild_services_networks_and_volumes() {
        let snapshot = Snapshot {
            containers: vec![
                container("p-web-1", "web", false, "db:service_healthy:true"),
                container("p-db-1", "db", false, ""),
                container("p-tool-run-0123456789ab", "tool", true, ""),
            ],
            networks: vec![NetworkSummary {
                name: "p_back".into(),
                labels: [(labels::NETWORK.to_string(), "back".to_string())].into(),
                ..Default::default()
            }],
            volumes: vec![VolumeSummary {
                name: "p_data".into(),
                labels: [(labels::VOLUME.to_string(), "data".to_string())].into(),
            }],
        };
        let p = from_labels("p", &snapshot);
        assert_eq!(p.services.keys().collect::<Vec<_>>(), ["db", "web"]);
        let dep = &p.services["web"].depends_on["db"];
        assert_eq!(dep.condition, Condition::ServiceHealthy);
        assert!(dep.restart && !dep.required);
        assert_eq!(p.networks["back"].name, "p_back");
        assert_eq!(p.volumes["data"].name, "p_data");
        // The graph of such a project orders `down`: dependents first.
        let graph = crate::graph::Graph::new(&p).unwrap();
        assert_eq!(
            graph.levels(),
            vec![vec!["db".to_string()], vec!["web".to_string()]]
        );
    }
}
