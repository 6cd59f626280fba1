//! PURE secrets and configs as Docker Compose applies them without Swarm: a `file` source is
//! bind-mounted read-only at the target; `environment` and `content` sources are written into
//! the container after it is created (mode 0444 unless given, owner from uid/gid).

use super::runtime::{FileRef, Runtime, Scalar};
use crate::compose::{Project, Service};
use crate::engine::{FileSpec, MountSpec};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    Config,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Secret => "secrets",
            Kind::Config => "configs",
        }
    }
    fn word(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Config => "config",
        }
    }
}

/// A top-level `secrets:` / `configs:` entry.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(default)]
struct Definition {
    name: Option<String>,
    file: Option<String>,
    environment: Option<String>,
    content: Option<String>,
    external: bool,
    driver: Option<String>,
    template_driver: Option<String>,
}

/// What a service's secrets and configs add to its container.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    pub mounts: Vec<MountSpec>,
    pub files: Vec<FileSpec>,
    pub warnings: Vec<String>,
}

/// One service reference, normalised.
struct Reference<'a> {
    source: &'a str,
    target: Option<&'a str>,
    uid: Option<&'a Scalar>,
    gid: Option<&'a Scalar>,
    mode: Option<&'a Scalar>,
}

fn reference(r: &FileRef) -> Reference<'_> {
    match r {
        FileRef::Short(source) => Reference {
            source,
            target: None,
            uid: None,
            gid: None,
            mode: None,
        },
        FileRef::Long {
            source,
            target,
            uid,
            gid,
            mode,
        } => Reference {
            source,
            target: target.as_deref().filter(|t| !t.is_empty()),
            uid: uid.as_ref(),
            gid: gid.as_ref(),
            mode: mode.as_ref(),
        },
    }
}

/// Where a secret or config lands: secrets under /run/secrets, configs under /.
fn target(kind: Kind, r: &Reference) -> String {
    let base = match kind {
        Kind::Secret => "/run/secrets/",
        Kind::Config => "/",
    };
    match r.target {
        Some(t) if t.starts_with('/') => t.to_string(),
        Some(t) => format!("{base}{t}"),
        None => format!("{base}{}", r.source),
    }
}

fn definition(project: &Project, kind: Kind, source: &str) -> Result<Definition, String> {
    let value = project
        .tree
        .get(kind.key())
        .and_then(|m| m.get(source))
        .cloned()
        .ok_or_else(|| format!("{} {source:?} is not defined", kind.word()))?;
    let mut def: Definition =
        serde_json::from_value(value).map_err(|e| format!("{} {source:?}: {e}", kind.word()))?;
    // The tree keeps literal `$` escaped as `$$` (the re-loadable `config` form).
    def.content = def.content.map(|c| c.replace("$$", "$"));
    Ok(def)
}

fn owner(kind: Kind, name: &str, what: &str, v: Option<&Scalar>) -> Result<u64, String> {
    match v {
        None => Ok(0),
        Some(v) => v.text().trim().parse().map_err(|_| {
            format!(
                "{} {name:?}: {what} {:?} is not a number",
                kind.word(),
                v.text()
            )
        }),
    }
}

/// The mounts, files and warnings of a service's `secrets` or `configs`. `environ` resolves
/// `environment` sources. `taken` are targets already mounted (service volumes win).
pub fn apply(
    project: &Project,
    service: &Service,
    rt: &Runtime,
    environ: &HashMap<String, String>,
    kind: Kind,
    taken: &[String],
) -> Result<Applied, String> {
    let refs = match kind {
        Kind::Secret => &rt.secrets,
        Kind::Config => &rt.configs,
    };
    let mut out = Applied::default();
    for r in refs.iter().map(reference) {
        let def = definition(project, kind, r.source)?;
        let name = def.name.clone().unwrap_or_else(|| r.source.to_string());
        let word = kind.word();
        if def.external {
            return Err(format!("unsupported external {word} {name}"));
        }
        if def.driver.is_some() {
            return Err(format!(
                "{}.*.driver is not supported without Swarm",
                kind.key()
            ));
        }
        if def.template_driver.is_some() {
            return Err(format!(
                "{}.*.template_driver is not supported without Swarm",
                kind.key()
            ));
        }
        let path = target(kind, &r);
        let content = match (&def.environment, &def.content) {
            (Some(var), _) => Some(environ.get(var).cloned().ok_or_else(|| {
                format!("environment variable {var:?} required by {word} {name:?} is not set")
            })?),
            (None, Some(content)) => Some(content.clone()),
            (None, None) => None,
        };
        match content {
            // Compose writes nothing for an empty value.
            Some(content) if content.is_empty() => {}
            Some(content) => {
                if service.read_only {
                    return Err(format!(
                        "cannot create {word} {name:?} in read-only service {}: `file` is the sole supported option",
                        service.name
                    ));
                }
                out.files.push(FileSpec {
                    path,
                    content: content.into_bytes(),
                    mode: r.mode.map(Scalar::mode).transpose()?.unwrap_or(0o444),
                    uid: owner(kind, &name, "uid", r.uid)?,
                    gid: owner(kind, &name, "gid", r.gid)?,
                    copy_uid_gid: r.uid.is_some() || r.gid.is_some(),
                });
            }
            None => {
                if taken.contains(&path) || out.mounts.iter().any(|m| m.target == path) {
                    continue;
                }
                if r.uid.is_some() || r.gid.is_some() || r.mode.is_some() {
                    let what = match kind {
                        Kind::Secret => "secrets",
                        Kind::Config => "config",
                    };
                    out.warnings.push(format!(
                        "{what} `uid`, `gid` and `mode` are not supported, they will be ignored"
                    ));
                }
                let file = def.file.clone().unwrap_or_default();
                if kind == Kind::Secret && !std::path::Path::new(&file).exists() {
                    out.warnings
                        .push(format!("secret file {name} does not exist"));
                }
                out.mounts.push(MountSpec {
                    kind: "bind".into(),
                    source: Some(file),
                    target: path,
                    read_only: true,
                    ..Default::default()
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(tree: serde_json::Value) -> Project {
        Project {
            name: "p".into(),
            tree,
            ..Default::default()
        }
    }

    fn runtime(v: serde_json::Value) -> Runtime {
        let mut s: Service = serde_json::from_value(v).unwrap();
        s.name = "app".into();
        Runtime::of(&s).unwrap()
    }

    #[test]
    fn file_sources_mount_and_content_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.txt");
        std::fs::write(&file, "x").unwrap();
        let file = file.to_string_lossy().into_owned();
        let p = project(json!({
            "secrets": {
                "s": {"name": "p_s", "file": file},
                "e": {"name": "p_e", "environment": "TOKEN"}
            },
            "configs": {
                "c": {"name": "p_c", "file": file},
                "i": {"name": "p_i", "content": "a $${X}"}
            }
        }));
        let service = Service {
            name: "app".into(),
            ..Default::default()
        };
        let rt = runtime(json!({
            "secrets": [
                {"source": "s", "target": "/run/secrets/s"},
                {"source": "s", "target": "/etc/x", "uid": "1", "mode": "0400"},
                {"source": "e", "target": "tok", "uid": "103", "gid": "104", "mode": "0440"}
            ],
            "configs": ["c", {"source": "i", "target": "rel/i"}, {"source": "c", "target": "/taken"}]
        }));
        let environ = HashMap::from([("TOKEN".to_string(), "t0k".to_string())]);
        let secrets = apply(&p, &service, &rt, &environ, Kind::Secret, &[]).unwrap();
        let targets: Vec<&str> = secrets.mounts.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(targets, ["/run/secrets/s", "/etc/x"]);
        assert!(secrets.mounts.iter().all(|m| m.read_only && !m.legacy));
        assert_eq!(
            secrets.warnings,
            ["secrets `uid`, `gid` and `mode` are not supported, they will be ignored"]
        );
        assert_eq!(
            secrets.files,
            [FileSpec {
                path: "/run/secrets/tok".into(),
                content: b"t0k".to_vec(),
                mode: 0o440,
                uid: 103,
                gid: 104,
                copy_uid_gid: true,
            }]
        );
        let configs = apply(
            &p,
            &service,
            &rt,
            &environ,
            Kind::Config,
            &["/taken".into()],
        )
        .unwrap();
        let targets: Vec<&str> = configs.mounts.iter().map(|m| m.target.as_str()).collect();
        assert_eq!(targets, ["/c"]);
        assert_eq!(configs.files[0].path, "/rel/i");
        assert_eq!(configs.files[0].content, b"a ${X}");
        assert_eq!(configs.files[0].mode, 0o444);
        assert!(!configs.files[0].copy_uid_gid);
    }

    #[test]
    fn missing_sources_and_unsupported_definitions_are_explicit() {
        let p = project(json!({
            "secrets": {
                "e": {"name": "p_e", "environment": "NOPE"},
                "x": {"name": "ext", "external": true},
                "m": {"name": "p_m", "file": "/nonexistent/mls-secret"},
                "i": {"name": "p_i", "content": "v"}
            }
        }));
        let service = Service {
            name: "app".into(),
            ..Default::default()
        };
        let run = |v| {
            apply(
                &p,
                &service,
                &runtime(json!({"secrets": [v]})),
                &HashMap::new(),
                Kind::Secret,
                &[],
            )
        };
        assert_eq!(
            run(json!("e")).unwrap_err(),
            "environment variable \"NOPE\" required by secret \"p_e\" is not set"
        );
        assert_eq!(
            run(json!("x")).unwrap_err(),
            "unsupported external secret ext"
        );
        assert_eq!(
            run(json!("m")).unwrap().warnings,
            ["secret file p_m does not exist"]
        );
        let read_only = Service {
            name: "app".into(),
            read_only: true,
            ..Default::default()
        };
        let err = apply(
            &p,
            &read_only,
            &runtime(json!({"secrets": ["i"]})),
            &HashMap::new(),
            Kind::Secret,
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "cannot create secret \"p_i\" in read-only service app: `file` is the sole supported option"
        );
    }
}
