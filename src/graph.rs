//! PURE dependency graph of a project's services (petgraph): start order, levels, selections,
//! and errors that name every service of a cycle.

use crate::compose::{Condition, Project};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("service {service:?} depends on undefined service {dependency:?}: invalid compose project\n  Define {dependency:?} under `services:` or remove it from {service}'s depends_on.")]
    Undefined { service: String, dependency: String },
    #[error("dependency cycle detected: {}\n  Services in a cycle can never start: remove one of these depends_on entries.", .0.join(" -> "))]
    Cycle(Vec<String>),
    #[error("no such service: {0}")]
    NoSuchService(String),
}

/// One edge: `service` waits for `dependency` to reach `condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub condition: Condition,
    pub required: bool,
    pub restart: bool,
}

/// Nodes are services; an edge points from a dependency to its dependent.
#[derive(Debug, Clone)]
pub struct Graph {
    graph: DiGraph<String, Edge>,
    index: HashMap<String, NodeIndex>,
}

impl Graph {
    /// Builds the graph; an unknown required dependency or a cycle is an error. Optional
    /// (`required: false`) dependencies on services that are not there are dropped.
    pub fn new(project: &Project) -> Result<Graph, GraphError> {
        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        for name in project.services.keys() {
            index.insert(name.clone(), graph.add_node(name.clone()));
        }
        for (name, service) in &project.services {
            for (dep, d) in &service.depends_on {
                match index.get(dep) {
                    Some(&from) => {
                        graph.add_edge(
                            from,
                            index[name],
                            Edge {
                                condition: d.condition,
                                required: d.required,
                                restart: d.restart,
                            },
                        );
                    }
                    None if !d.required => {}
                    None => {
                        return Err(GraphError::Undefined {
                            service: name.clone(),
                            dependency: dep.clone(),
                        })
                    }
                }
            }
        }
        let g = Graph { graph, index };
        g.check_cycles()?;
        Ok(g)
    }

    fn check_cycles(&self) -> Result<(), GraphError> {
        for scc in tarjan_scc(&self.graph) {
            let self_loop = scc.len() == 1 && self.graph.contains_edge(scc[0], scc[0]);
            if scc.len() > 1 || self_loop {
                return Err(GraphError::Cycle(self.ring(&scc)));
            }
        }
        Ok(())
    }

    /// Orders the members of a strongly connected component as a ring following depends_on,
    /// starting from the alphabetically first, e.g. alpha -> beta -> gamma -> alpha.
    fn ring(&self, scc: &[NodeIndex]) -> Vec<String> {
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let start = *scc
            .iter()
            .min_by_key(|n| &self.graph[**n])
            .expect("scc is never empty");
        // Walk "depends on" edges (incoming) inside the component, depth-first, to find a
        // simple cycle back to start.
        let mut path = vec![start];
        let mut seen = BTreeSet::from([start]);
        if self.dfs_ring(start, start, &members, &mut path, &mut seen) {
            let mut names: Vec<String> = path.iter().map(|n| self.graph[*n].clone()).collect();
            names.push(self.graph[start].clone());
            return names;
        }
        let mut names: Vec<String> = scc.iter().map(|n| self.graph[*n].clone()).collect();
        names.sort();
        names
    }

    fn dfs_ring(
        &self,
        at: NodeIndex,
        start: NodeIndex,
        members: &BTreeSet<NodeIndex>,
        path: &mut Vec<NodeIndex>,
        seen: &mut BTreeSet<NodeIndex>,
    ) -> bool {
        let mut next: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(at, Direction::Incoming)
            .filter(|n| members.contains(n))
            .collect();
        next.sort_by_key(|n| &self.graph[*n]);
        for n in next {
            if n == start {
                return true;
            }
            if seen.insert(n) {
                path.push(n);
                if self.dfs_ring(n, start, members, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }

    /// Services `service` depends on, with the edge.
    pub fn dependencies(&self, service: &str) -> Vec<(String, Edge)> {
        self.neighbors(service, Direction::Incoming)
    }

    /// Services that depend on `service`, with the edge.
    pub fn dependents(&self, service: &str) -> Vec<(String, Edge)> {
        self.neighbors(service, Direction::Outgoing)
    }

    fn neighbors(&self, service: &str, dir: Direction) -> Vec<(String, Edge)> {
        let Some(&n) = self.index.get(service) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Edge)> = self
            .graph
            .edges_directed(n, dir)
            .map(|e| {
                let other = if dir == Direction::Incoming {
                    petgraph::visit::EdgeRef::source(&e)
                } else {
                    petgraph::visit::EdgeRef::target(&e)
                };
                (self.graph[other].clone(), e.weight().clone())
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The named services plus everything they transitively depend on; all services when
    /// `targets` is empty. Unknown names are an error.
    pub fn with_dependencies(&self, targets: &[String]) -> Result<BTreeSet<String>, GraphError> {
        self.closure(targets, Direction::Incoming)
    }

    /// The named services plus everything that transitively depends on them.
    pub fn with_dependents(&self, targets: &[String]) -> Result<BTreeSet<String>, GraphError> {
        self.closure(targets, Direction::Outgoing)
    }

    fn closure(&self, targets: &[String], dir: Direction) -> Result<BTreeSet<String>, GraphError> {
        if targets.is_empty() {
            return Ok(self.index.keys().cloned().collect());
        }
        let mut out = BTreeSet::new();
        let mut stack = Vec::new();
        for t in targets {
            let n = *self
                .index
                .get(t)
                .ok_or_else(|| GraphError::NoSuchService(t.clone()))?;
            stack.push(n);
        }
        while let Some(n) = stack.pop() {
            if out.insert(self.graph[n].clone()) {
                stack.extend(self.graph.neighbors_directed(n, dir));
            }
        }
        Ok(out)
    }

    /// Start levels: level 0 has no dependencies, level k depends only on levels < k. Each level
    /// is sorted by name. Used for display and reverse-order shutdown.
    pub fn levels(&self) -> Vec<Vec<String>> {
        let mut depth: HashMap<NodeIndex, usize> = HashMap::new();
        let order = petgraph::algo::toposort(&self.graph, None).unwrap_or_default();
        for n in order {
            let d = self
                .graph
                .neighbors_directed(n, Direction::Incoming)
                .map(|p| depth[&p] + 1)
                .max()
                .unwrap_or(0);
            depth.insert(n, d);
        }
        let max = depth.values().copied().max().map_or(0, |m| m + 1);
        let mut levels = vec![Vec::new(); max];
        for (n, d) in depth {
            levels[d].push(self.graph[n].clone());
        }
        for l in &mut levels {
            l.sort();
        }
        levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{Dependency, Service};
    use indexmap::IndexMap;

    fn project(deps: &[(&str, &[&str])]) -> Project {
        let mut services = IndexMap::new();
        for (name, ds) in deps {
            let mut s = Service {
                name: name.to_string(),
                ..Default::default()
            };
            for d in *ds {
                let (d, required) = match d.strip_prefix('?') {
                    Some(d) => (d, false),
                    None => (*d, true),
                };
                s.depends_on.insert(
                    d.to_string(),
                    Dependency {
                        condition: Condition::ServiceStarted,
                        required,
                        restart: false,
                    },
                );
            }
            services.insert(name.to_string(), s);
        }
        Project {
            name: "p".into(),
            working_dir: "/".into(),
            config_files: vec![],
            services,
            networks: IndexMap::new(),
            volumes: IndexMap::new(),
            disabled_services: vec![],
            tree: serde_json::Value::Null,
            warnings: vec![],
            all_profiles: vec![],
            raw_model: false,
        }
    }

    #[test]
    fn levels_follow_dependencies() {
        let g = Graph::new(&project(&[
            ("web", &["api"]),
            ("api", &["db", "cache"]),
            ("db", &[]),
            ("cache", &[]),
            ("worker", &["db"]),
        ]))
        .unwrap();
        assert_eq!(
            g.levels(),
            vec![
                vec!["cache".to_string(), "db".into()],
                vec!["api".into(), "worker".into()],
                vec!["web".into()]
            ]
        );
        assert_eq!(
            g.with_dependencies(&["api".into()]).unwrap(),
            ["api", "cache", "db"].map(String::from).into()
        );
        assert_eq!(
            g.with_dependents(&["db".into()]).unwrap(),
            ["api", "db", "web", "worker"].map(String::from).into()
        );
    }

    #[test]
    fn cycle_names_every_member_in_order() {
        let err = Graph::new(&project(&[
            ("alpha", &["beta"]),
            ("beta", &["gamma"]),
            ("gamma", &["alpha"]),
            ("outsider", &[]),
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            GraphError::Cycle(
                ["alpha", "beta", "gamma", "alpha"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert!(err
            .to_string()
            .starts_with("dependency cycle detected: alpha -> beta -> gamma -> alpha"));
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let err = Graph::new(&project(&[("solo", &["solo"])])).unwrap_err();
        assert_eq!(err, GraphError::Cycle(vec!["solo".into(), "solo".into()]));
    }

    #[test]
    fn undefined_dependency_named_unless_optional() {
        let err = Graph::new(&project(&[("checker", &["main"])])).unwrap_err();
        assert!(err
            .to_string()
            .contains(r#"service "checker" depends on undefined service "main""#));
        assert!(Graph::new(&project(&[("checker", &["?main"])])).is_ok());
    }

    #[test]
    fn unknown_target_is_an_error() {
        let g = Graph::new(&project(&[("a", &[])])).unwrap();
        assert_eq!(
            g.with_dependencies(&["nope".into()]),
            Err(GraphError::NoSuchService("nope".into()))
        );
    }
}
