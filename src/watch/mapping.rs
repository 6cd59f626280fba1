//! PURE: which action a changed path asks of which service, from the services' `develop.watch`
//! rules (or, for a service with `build` but no `develop`, an implicit rebuild rule on its
//! context), and how a batch of paths folds into one [`Pending`] per service.

use crate::compose::Project;
use crate::context::ignore::{self, Matcher};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A `develop.watch` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Action {
    #[serde(rename = "sync")]
    Sync,
    #[serde(rename = "rebuild")]
    Rebuild,
    #[serde(rename = "restart")]
    Restart,
    #[serde(rename = "sync+restart")]
    SyncRestart,
    #[serde(rename = "sync+exec")]
    SyncExec,
}

impl Action {
    pub fn syncs(self) -> bool {
        matches!(self, Action::Sync | Action::SyncRestart | Action::SyncExec)
    }
}

/// `develop.watch[].exec` of a `sync+exec` rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Exec {
    /// A string (run by `sh -c`) or a list.
    pub command: Option<serde_json::Value>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    #[serde(default)]
    pub environment: BTreeMap<String, Option<String>>,
}

impl Exec {
    pub fn argv(&self) -> Option<Vec<String>> {
        match self.command.as_ref()? {
            serde_json::Value::String(s) => Some(vec!["sh".into(), "-c".into(), s.clone()]),
            serde_json::Value::Array(a) => Some(
                a.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// One `develop.watch` rule as the loader leaves it (paths absolute).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WatchRule {
    pub path: PathBuf,
    pub action: Action,
    pub target: Option<String>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exec: Exec,
    #[serde(default)]
    pub initial_sync: bool,
}

/// `develop:` of a service.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Develop {
    #[serde(default)]
    pub watch: Vec<WatchRule>,
}

/// The typed `develop` section of a service, if it has one.
pub fn develop_of(service: &crate::compose::Service) -> Result<Option<Develop>, String> {
    match service.extra.get("develop") {
        None => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| format!("service {:?}: invalid develop section: {e}", service.name)),
    }
}

struct Rule {
    rule: WatchRule,
    ignore: Matcher,
    include: Option<Matcher>,
}

struct ServiceRules {
    service: String,
    rules: Vec<Rule>,
    /// The build context and its `.dockerignore`, applied to rebuild rules inside it.
    context: Option<(PathBuf, Matcher)>,
}

/// What to do to one service after a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending {
    /// Host path → container path, for every changed path under a sync rule.
    pub sync: BTreeMap<PathBuf, String>,
    pub rebuild: bool,
    pub restart: bool,
    /// Indexes of the `sync+exec` rules to run after syncing.
    pub exec: BTreeSet<usize>,
}

/// Everything a batch asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub services: BTreeMap<String, Pending>,
    /// A compose or env file changed: reload the project and apply the difference.
    pub reload: bool,
}

/// The watch rules of a project.
pub struct Mapping {
    services: Vec<ServiceRules>,
    reload: BTreeSet<PathBuf>,
}

impl Mapping {
    /// Rules for `services`; `reload_files` are the compose and env files.
    /// `dockerignore(context_dir)` returns the patterns of a build context's ignore file (the
    /// caller reads the file, so this stays pure).
    pub fn new(
        project: &Project,
        services: &BTreeSet<String>,
        reload_files: &[PathBuf],
        dockerignore: &dyn Fn(&Path, &str) -> Vec<String>,
    ) -> Result<Mapping, String> {
        let mut out = Vec::new();
        for name in services {
            let service = &project.services[name];
            let rules = match develop_of(service)? {
                Some(d) => d.watch,
                None => match &service.build {
                    Some(b) if !b.context.contains("://") => vec![WatchRule {
                        path: PathBuf::from(&b.context),
                        action: Action::Rebuild,
                        target: None,
                        ignore: Vec::new(),
                        include: Vec::new(),
                        exec: Exec::default(),
                        initial_sync: false,
                    }],
                    _ => Vec::new(),
                },
            };
            if rules.is_empty() {
                continue;
            }
            let mut compiled = Vec::new();
            for rule in rules {
                if rule.action.syncs() && rule.target.is_none() {
                    return Err(format!(
                        "service {name:?}: watch rule on {} needs a target for action {:?}",
                        rule.path.display(),
                        rule.action
                    ));
                }
                let ignore = Matcher::new(&rule.ignore).map_err(|e| e.to_string())?;
                let include = if rule.include.is_empty() {
                    None
                } else {
                    Some(Matcher::new(&rule.include).map_err(|e| e.to_string())?)
                };
                compiled.push(Rule {
                    rule,
                    ignore,
                    include,
                });
            }
            let context = match &service.build {
                Some(b) if !b.context.contains("://") => {
                    let dir = PathBuf::from(&b.context);
                    let patterns = dockerignore(&dir, &b.dockerfile);
                    let m = Matcher::new(&patterns).map_err(|e| e.to_string())?;
                    Some((dir, m))
                }
                _ => None,
            };
            out.push(ServiceRules {
                service: name.clone(),
                rules: compiled,
                context,
            });
        }
        Ok(Mapping {
            services: out,
            reload: reload_files.iter().cloned().collect(),
        })
    }

    /// The directories and files to watch.
    pub fn roots(&self) -> Vec<PathBuf> {
        let mut roots: BTreeSet<PathBuf> = self.reload.clone();
        for s in &self.services {
            for r in &s.rules {
                roots.insert(r.rule.path.clone());
            }
        }
        roots.into_iter().collect()
    }

    /// The rules of a service (for exec commands and initial sync).
    pub fn rules(&self, service: &str) -> Vec<&WatchRule> {
        self.services
            .iter()
            .filter(|s| s.service == service)
            .flat_map(|s| s.rules.iter().map(|r| &r.rule))
            .collect()
    }

    /// Folds a batch of changed paths into what each service must do.
    pub fn changes<'a>(&self, paths: impl IntoIterator<Item = &'a Path>) -> Changes {
        let mut out = Changes::default();
        for path in paths {
            if self.reload.contains(path) {
                out.reload = true;
                continue;
            }
            if is_noise(path) {
                continue;
            }
            for s in &self.services {
                for (i, r) in s.rules.iter().enumerate() {
                    let Some(rel) = relative(path, &r.rule.path) else {
                        continue;
                    };
                    if !rel.is_empty() && r.ignore.matches(&rel) {
                        continue;
                    }
                    if let Some(include) = &r.include {
                        if rel.is_empty() || !include.matches(&rel) {
                            continue;
                        }
                    }
                    if r.rule.action == Action::Rebuild {
                        if let Some((dir, m)) = &s.context {
                            match relative(path, dir) {
                                Some(crel) if !crel.is_empty() && m.matches(&crel) => continue,
                                _ => {}
                            }
                        }
                    }
                    let p = out.services.entry(s.service.clone()).or_default();
                    match r.rule.action {
                        Action::Rebuild => p.rebuild = true,
                        Action::Restart => p.restart = true,
                        a => {
                            let target = r.rule.target.clone().unwrap_or_default();
                            let dest = if rel.is_empty() {
                                target
                            } else {
                                format!("{}/{rel}", target.trim_end_matches('/'))
                            };
                            p.sync.insert(path.to_path_buf(), dest);
                            if a == Action::SyncRestart {
                                p.restart = true;
                            }
                            if a == Action::SyncExec {
                                p.exec.insert(i);
                            }
                        }
                    }
                }
            }
        }
        // A rebuild recreates the container from fresh sources: syncing first is wasted work.
        for p in out.services.values_mut() {
            if p.rebuild {
                p.sync.clear();
                p.restart = false;
                p.exec.clear();
            }
        }
        out
    }
}

/// `path` relative to `root` with `/` separators ("" for the root itself), or None outside it.
fn relative(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(
        ignore::clean(&rel.to_string_lossy())
            .trim_start_matches("./")
            .to_string(),
    )
    .map(|s| if s == "." { String::new() } else { s })
}

/// `.git` internals and editor scratch files never trigger anything.
fn is_noise(path: &Path) -> bool {
    if path.components().any(|c| c.as_os_str() == ".git") {
        return true;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
        || name.starts_with(".#")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{Build, Service};
    use indexmap::IndexMap;

    fn project(develop: Option<serde_json::Value>) -> Project {
        let mut services = IndexMap::new();
        let mut api = Service {
            name: "api".into(),
            build: Some(Build {
                context: "/p/api".into(),
                dockerfile: "Dockerfile".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        if let Some(d) = develop {
            api.extra.insert("develop".into(), d);
        }
        let web = Service {
            name: "web".into(),
            build: Some(Build {
                context: "/p/web".into(),
                dockerfile: "Dockerfile".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let db = Service {
            name: "db".into(),
            image: Some("postgres".into()),
            ..Default::default()
        };
        services.insert("api".to_string(), api);
        services.insert("web".to_string(), web);
        services.insert("db".to_string(), db);
        Project {
            name: "p".into(),
            services,
            ..Default::default()
        }
    }

    fn mapping(p: &Project) -> Mapping {
        let all: BTreeSet<String> = p.services.keys().cloned().collect();
        let ignore = |dir: &Path, _: &str| {
            if dir == Path::new("/p/web") {
                vec!["dist".to_string(), "*.log".to_string()]
            } else {
                vec![]
            }
        };
        Mapping::new(p, &all, &[PathBuf::from("/p/compose.yaml")], &ignore).unwrap()
    }

    fn changes(m: &Mapping, paths: &[&str]) -> Changes {
        m.changes(paths.iter().map(Path::new))
    }

    #[test]
    fn build_without_develop_rebuilds_on_context_changes_only() {
        let p = project(None);
        let m = mapping(&p);
        let c = changes(&m, &["/p/web/src/app.js"]);
        assert_eq!(c.services.keys().collect::<Vec<_>>(), vec!["web"]);
        assert!(c.services["web"].rebuild);
        assert!(changes(&m, &["/p/elsewhere/x"]).services.is_empty());
        // .dockerignore and .git are honoured.
        assert!(changes(&m, &["/p/web/dist/bundle.js", "/p/web/a.log"])
            .services
            .is_empty());
        assert!(changes(&m, &["/p/web/.git/index", "/p/web/x.swp"])
            .services
            .is_empty());
        assert!(changes(&m, &["/p/compose.yaml"]).reload);
    }

    #[test]
    fn sync_rules_map_paths_under_target_with_ignore_and_include() {
        let p = project(Some(serde_json::json!({"watch": [
            {"path": "/p/api/src", "action": "sync", "target": "/app/src",
             "ignore": ["tmp/"], "include": ["*.py", "**/*.py"]},
            {"path": "/p/api/conf", "action": "sync+restart", "target": "/etc/app"},
            {"path": "/p/api/hooks", "action": "sync+exec", "target": "/hooks",
             "exec": {"command": "kill -HUP 1"}},
            {"path": "/p/api/requirements.txt", "action": "rebuild"},
        ]})));
        let m = mapping(&p);
        let c = changes(
            &m,
            &[
                "/p/api/src/main.py",
                "/p/api/src/pkg/mod.py",
                "/p/api/src/tmp/x.py",
                "/p/api/src/readme.md",
            ],
        );
        let api = &c.services["api"];
        assert_eq!(
            api.sync,
            BTreeMap::from([
                (
                    PathBuf::from("/p/api/src/main.py"),
                    "/app/src/main.py".into()
                ),
                (
                    PathBuf::from("/p/api/src/pkg/mod.py"),
                    "/app/src/pkg/mod.py".into()
                ),
            ])
        );
        assert!(!api.rebuild && !api.restart);
        let c = changes(&m, &["/p/api/conf/app.ini"]);
        assert!(c.services["api"].restart);
        let c = changes(&m, &["/p/api/hooks/h.sh"]);
        assert_eq!(c.services["api"].exec, BTreeSet::from([2]));
        assert_eq!(
            m.rules("api")[2].exec.argv().unwrap(),
            vec!["sh", "-c", "kill -HUP 1"]
        );
        // With develop, the implicit context rule is gone: other files do nothing.
        assert!(changes(&m, &["/p/api/other.txt"]).services.is_empty());
        // A rebuild absorbs syncs of the same batch.
        let c = changes(&m, &["/p/api/src/main.py", "/p/api/requirements.txt"]);
        assert!(c.services["api"].rebuild);
        assert!(c.services["api"].sync.is_empty());
    }

    #[test]
    fn a_thousand_files_fold_into_one_action_per_service() {
        let p = project(None);
        let m = mapping(&p);
        let paths: Vec<PathBuf> = (0..1000)
            .map(|i| PathBuf::from(format!("/p/{}/src/f{i}.js", ["api", "web"][i % 2])))
            .collect();
        let c = m.changes(paths.iter().map(PathBuf::as_path));
        assert_eq!(c.services.len(), 2);
        assert!(c.services.values().all(|p| p.rebuild));
    }

    #[test]
    fn sync_without_target_is_an_error() {
        let p = project(Some(
            serde_json::json!({"watch": [{"path": "/p/api", "action": "sync"}]}),
        ));
        let all: BTreeSet<String> = p.services.keys().cloned().collect();
        assert!(Mapping::new(&p, &all, &[], &|_: &Path, _: &str| vec![]).is_err());
    }
}
