//! Planner tests: plain structs in, a Plan with a stable Display out.

use super::*;
use crate::compose::{Build, Mount, Network, Volume};
use crate::engine::{NetworkSummary, VolumeSummary};
use indexmap::IndexMap;
use serde_json::json;

fn project() -> Project {
    let mut services = IndexMap::new();
    let mut api = Service {
        name: "api".into(),
        build: Some(Build {
            context: "/src/api".into(),
            dockerfile: "Dockerfile".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    api.networks.insert("default".into(), None);
    api.volumes.push(Mount {
        kind: "volume".into(),
        source: Some("data".into()),
        target: "/data".into(),
        read_only: false,
        bind: None,
        volume: None,
        tmpfs: None,
        consistency: None,
    });
    let mut web = Service {
        name: "web".into(),
        image: Some("example/web:1".into()),
        ..Default::default()
    };
    web.networks.insert("default".into(), None);
    services.insert("api".to_string(), api);
    services.insert("web".to_string(), web);
    let mut networks = IndexMap::new();
    networks.insert(
        "default".to_string(),
        Network {
            name: "p_default".into(),
            ..Default::default()
        },
    );
    let mut volumes = IndexMap::new();
    volumes.insert(
        "data".to_string(),
        Volume {
            name: "p_data".into(),
            ..Default::default()
        },
    );
    Project {
        name: "p".into(),
        working_dir: "/src".into(),
        config_files: vec![],
        services,
        networks,
        volumes,
        disabled_services: vec![],
        tree: json!({"services": {"api": {"image": null, "command": null}, "web": {"image": "example/web:1"}}}),
        warnings: vec![],
        all_profiles: vec![],
        raw_model: false,
    }
}

fn all(p: &Project) -> BTreeSet<String> {
    p.services.keys().cloned().collect()
}

fn container(p: &Project, service: &str, state: &str, image_id: &str) -> ContainerSummary {
    let mut labels = std::collections::BTreeMap::new();
    labels.insert(labels::PROJECT.into(), "p".into());
    labels.insert(labels::SERVICE.into(), service.into());
    labels.insert(labels::NUMBER.into(), "1".into());
    labels.insert(labels::ONEOFF.into(), "False".into());
    labels.insert(labels::CONFIG_HASH.into(), config_hash(p, service));
    ContainerSummary {
        id: format!("id-{service}"),
        name: format!("p-{service}-1"),
        image_id: image_id.into(),
        labels,
        state: state.into(),
        ..Default::default()
    }
}

fn ids() -> HashMap<String, String> {
    HashMap::from([
        ("p-api".to_string(), "sha256:a".to_string()),
        ("example/web:1".to_string(), "sha256:w".to_string()),
    ])
}

#[test]
fn fresh_project_creates_everything() {
    let p = project();
    let plan = converge(
        &p,
        &all(&p),
        &Snapshot::default(),
        &ids(),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        plan.to_string(),
        "network p_default: create\nvolume p_data: create\ncontainer p-api-1: create\ncontainer p-web-1: create\n"
    );
    assert!(!plan.is_noop());
}

#[test]
fn up_to_date_running_project_is_a_noop() {
    let p = project();
    let snap = Snapshot {
        containers: vec![
            container(&p, "api", "running", "sha256:a"),
            container(&p, "web", "running", "sha256:w"),
        ],
        networks: vec![NetworkSummary {
            name: "p_default".into(),
            ..Default::default()
        }],
        volumes: vec![VolumeSummary {
            name: "p_data".into(),
            ..Default::default()
        }],
    };
    let plan = converge(&p, &all(&p), &snap, &ids(), &Options::default()).unwrap();
    assert!(plan.is_noop(), "{plan}");
    assert_eq!(
        plan.to_string(),
        "container p-api-1: keep\ncontainer p-web-1: keep\n"
    );
}

#[test]
fn changed_config_image_and_stopped_containers() {
    let p = project();
    let mut stale = container(&p, "api", "running", "sha256:a");
    stale
        .labels
        .insert(labels::CONFIG_HASH.into(), "old".into());
    let snap = Snapshot {
        containers: vec![stale, container(&p, "web", "exited", "sha256:w")],
        ..Default::default()
    };
    let plan = converge(&p, &all(&p), &snap, &ids(), &Options::default()).unwrap();
    assert!(plan.to_string().contains(
        "container p-api-1: recreate (configuration changed)\ncontainer p-web-1: start\n"
    ));

    let snap = Snapshot {
        containers: vec![container(&p, "api", "running", "sha256:OLD")],
        ..Default::default()
    };
    let plan = converge(&p, &all(&p), &snap, &ids(), &Options::default()).unwrap();
    assert!(plan
        .to_string()
        .contains("container p-api-1: recreate (image changed)"));
}

#[test]
fn orphans_kept_unless_asked_and_disabled_services_are_not_orphans() {
    let mut p = project();
    p.disabled_services.push("debug".into());
    let snap = Snapshot {
        containers: vec![
            container(&p, "gone", "running", "x"),
            container(&p, "debug", "running", "x"),
        ],
        ..Default::default()
    };
    let plan = converge(&p, &all(&p), &snap, &ids(), &Options::default()).unwrap();
    assert!(plan
        .to_string()
        .contains("container p-gone-1: keep (orphan)"));
    assert!(!plan.to_string().contains("debug"));
    let opts = Options {
        remove_orphans: true,
        ..Default::default()
    };
    let plan = converge(&p, &all(&p), &snap, &ids(), &opts).unwrap();
    assert!(plan
        .to_string()
        .contains("container p-gone-1: remove (orphan)"));
}

#[test]
fn builds_missing_changed_and_forced_images_once() {
    let p = project();
    let sel = all(&p);
    let none = HashMap::from([("p-api".to_string(), None)]);
    let steps = images(&p, &sel, &none, &HashMap::new(), BuildMode::Auto).unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].reason, BuildReason::Missing);

    let mut info = ImageInfo::default();
    info.labels
        .insert(labels::BUILD_FINGERPRINT.into(), "f1".into());
    let have = HashMap::from([("p-api".to_string(), Some(info))]);
    let same = HashMap::from([("api".to_string(), "f1".to_string())]);
    let changed = HashMap::from([("api".to_string(), "f2".to_string())]);
    assert!(images(&p, &sel, &have, &same, BuildMode::Auto)
        .unwrap()
        .is_empty());
    assert_eq!(
        images(&p, &sel, &have, &changed, BuildMode::Auto).unwrap()[0].reason,
        BuildReason::Changed
    );
    assert_eq!(
        images(&p, &sel, &have, &same, BuildMode::Always).unwrap()[0].reason,
        BuildReason::Forced
    );
    assert!(images(&p, &sel, &have, &changed, BuildMode::Never)
        .unwrap()
        .is_empty());
    assert!(images(&p, &sel, &none, &same, BuildMode::Never).is_err());
}

#[test]
fn identical_build_configs_build_once_and_pull_policy_build_forces() {
    let mut p = project();
    let mut twin = p.services["api"].clone();
    twin.name = "worker".into();
    p.services.insert("worker".into(), twin);
    let sel = all(&p);
    let none = HashMap::from([("p-api".to_string(), None), ("p-worker".to_string(), None)]);
    let steps = images(&p, &sel, &none, &HashMap::new(), BuildMode::Auto).unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].also, vec!["p-worker".to_string()]);

    let mut info = ImageInfo::default();
    info.labels
        .insert(labels::BUILD_FINGERPRINT.into(), "f1".into());
    let have = HashMap::from([("p-api".to_string(), Some(info))]);
    let same = HashMap::from([("api".to_string(), "f1".to_string())]);
    let mut p = project();
    p.services.get_mut("api").unwrap().pull_policy = Some("build".into());
    let sel = all(&p);
    assert_eq!(
        images(&p, &sel, &have, &same, BuildMode::Auto).unwrap()[0].reason,
        BuildReason::Forced
    );
    assert!(images(&p, &sel, &have, &same, BuildMode::Never)
        .unwrap()
        .is_empty());
}

/// Replica `n` of `service`, running and up to date unless `stale`.
fn replica(p: &Project, service: &str, n: u32, stale: bool) -> ContainerSummary {
    let mut c = container(p, service, "running", "sha256:w");
    c.id = format!("id-{service}-{n}");
    c.name = format!("p-{service}-{n}");
    c.labels.insert(labels::NUMBER.into(), n.to_string());
    if stale {
        c.labels.insert(labels::CONFIG_HASH.into(), "old".into());
    }
    c
}

#[test]
fn scale_adds_and_removes_replicas_like_compose() {
    let mut p = project();
    p.services["web"]
        .extra
        .insert("deploy".into(), json!({"replicas": 3}));
    let web: BTreeSet<String> = ["web".to_string()].into();
    let plan = converge(&p, &web, &Snapshot::default(), &ids(), &Options::default()).unwrap();
    assert_eq!(
        plan.to_string(),
        "network p_default: create\ncontainer p-web-1: create\ncontainer p-web-2: create\ncontainer p-web-3: create\n"
    );
    assert_eq!(plan.steps_of("web").count(), 3);

    // Down to 2: a stale container goes before up-to-date ones, then the highest number.
    let snap = Snapshot {
        containers: vec![
            replica(&p, "web", 1, true),
            replica(&p, "web", 2, false),
            replica(&p, "web", 4, false),
        ],
        ..Snapshot::default()
    };
    let opts = Options {
        scale: BTreeMap::from([("web".to_string(), 2)]),
        ..Options::default()
    };
    let plan = converge(&p, &web, &snap, &ids(), &opts).unwrap();
    assert_eq!(
        plan.to_string(),
        "network p_default: create\ncontainer p-web-1: remove (surplus)\ncontainer p-web-2: keep\ncontainer p-web-4: keep\n"
    );
    let peers: Vec<&str> = plan.peers["web"].iter().map(|p| p.name.as_str()).collect();
    assert_eq!(peers, ["p-web-2", "p-web-4"]);

    // Up to 5: new numbers continue after the highest in use.
    let opts = Options {
        scale: BTreeMap::from([("web".to_string(), 5)]),
        ..Options::default()
    };
    let plan = converge(&p, &web, &snap, &ids(), &opts).unwrap();
    assert!(plan.to_string().ends_with(
        "container p-web-1: recreate (configuration changed)\ncontainer p-web-2: keep\ncontainer p-web-4: keep\ncontainer p-web-5: create\ncontainer p-web-6: create\n"
    ), "{plan}");

    // Zero: every container goes.
    let opts = Options {
        scale: BTreeMap::from([("web".to_string(), 0)]),
        ..Options::default()
    };
    let plan = converge(&p, &web, &snap, &ids(), &opts).unwrap();
    assert_eq!(plan.remove.len(), 3);
    assert!(plan.containers.is_empty());
}

#[test]
fn a_fixed_container_name_cannot_scale() {
    let mut p = project();
    p.services["web"].container_name = Some("fixed".into());
    p.services["web"].extra.insert("scale".into(), json!(2));
    let err = converge(
        &p,
        &all(&p),
        &Snapshot::default(),
        &ids(),
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        err.contains("is using the custom container name \"fixed\""),
        "{err}"
    );
}
