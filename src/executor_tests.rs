//! Executor tests on the in-memory engine: ordering, waits and failures, no daemon needed.

use super::*;
use crate::compose::{Dependency, Healthcheck, Network, Service};
use crate::engine::fake::{Fake, Script};
use crate::plan::{converge, Options};
use crate::progress::Mode;
use indexmap::IndexMap;
use std::collections::BTreeSet;

fn service(name: &str, deps: &[(&str, Condition)], healthcheck: bool) -> Service {
    let mut s = Service {
        name: name.into(),
        image: Some(format!("img/{name}")),
        ..Default::default()
    };
    s.networks.insert("default".into(), None);
    for (d, c) in deps {
        s.depends_on.insert(
            d.to_string(),
            Dependency {
                condition: *c,
                required: true,
                restart: false,
            },
        );
    }
    if healthcheck {
        s.healthcheck = Some(Healthcheck {
            test: Some(vec!["CMD".into(), "true".into()]),
            interval: Some("1s".into()),
            ..Default::default()
        });
    }
    s
}

fn project(services: Vec<Service>) -> Project {
    let mut networks = IndexMap::new();
    networks.insert(
        "default".to_string(),
        Network {
            name: "t_default".into(),
            ..Default::default()
        },
    );
    Project {
        name: "t".into(),
        working_dir: "/t".into(),
        config_files: vec![],
        services: services.into_iter().map(|s| (s.name.clone(), s)).collect(),
        networks,
        volumes: IndexMap::new(),
        disabled_services: vec![],
        tree: serde_json::json!({}),
        warnings: vec![],
        all_profiles: vec![],
        raw_model: false,
    }
}

async fn up(fake: &Arc<Fake>, p: &Project) -> crate::error::Result<BTreeMap<String, String>> {
    up_with(fake, p, &Options::default()).await
}

async fn up_with(
    fake: &Arc<Fake>,
    p: &Project,
    opts: &Options,
) -> crate::error::Result<BTreeMap<String, String>> {
    let graph = Graph::new(p).unwrap();
    let services: BTreeSet<String> = p.services.keys().cloned().collect();
    let snap = fake.snapshot(&p.name).await.unwrap();
    let plan = converge(p, &services, &snap, &HashMap::new(), opts).unwrap();
    let progress = Progress::new(Mode::Quiet);
    let environ = HashMap::new();
    let mut ex = Executor::new(fake, &progress, p, &graph, &environ);
    ex.follow_events();
    ex.apply(&plan).await
}

fn position(calls: &[String], call: &str) -> usize {
    calls
        .iter()
        .position(|c| c == call)
        .unwrap_or_else(|| panic!("{call} not in {calls:?}"))
}

#[tokio::test]
async fn dependent_starts_after_dependency_is_healthy() {
    let fake = Arc::new(Fake::new());
    let p = project(vec![
        service("db", &[], true),
        service("api", &[("db", Condition::ServiceHealthy)], false),
        service("web", &[("api", Condition::ServiceStarted)], false),
    ]);
    let ids = up(&fake, &p).await.unwrap();
    assert_eq!(ids.len(), 3);
    let calls = fake.calls();
    assert_eq!(calls[0], "network create t_default");
    assert!(position(&calls, "start t-db-1") < position(&calls, "start t-api-1"));
    assert!(position(&calls, "start t-api-1") < position(&calls, "start t-web-1"));
    // Creation stays off the critical path: behind a health condition it waits for the
    // dependency's start, behind service_started only for its creation.
    assert!(position(&calls, "start t-db-1") < position(&calls, "create t-api-1"));
    assert!(position(&calls, "create t-api-1") < position(&calls, "create t-web-1"));
    // The db container carries Compose's labels and the api's depends_on label.
    let spec = fake.spec("t-api-1").unwrap();
    assert_eq!(spec.labels[crate::engine::labels::PROJECT], "t");
    assert_eq!(
        spec.labels["com.docker.compose.depends_on"],
        "db:service_healthy:false"
    );
    assert_eq!(
        spec.networks,
        vec![crate::engine::EndpointSpec::new(
            "t_default",
            &["t-api-1", "api"]
        )]
    );
}

#[tokio::test]
async fn unhealthy_dependency_fails_up_and_names_it() {
    let fake = Arc::new(Fake::new());
    fake.script("db", Script::Unhealthy("connection refused".into()));
    let p = project(vec![
        service("db", &[], true),
        service("api", &[("db", Condition::ServiceHealthy)], false),
    ]);
    let err = up(&fake, &p).await.unwrap_err().to_string();
    assert!(err.contains("container t-db-1 is unhealthy"), "{err}");
    assert!(err.contains("connection refused"), "{err}");
    // Like Docker Compose, the dependent is created ahead but never started.
    assert!(fake.calls().contains(&"create t-api-1".to_string()));
    assert!(!fake.calls().contains(&"start t-api-1".to_string()));
}

#[tokio::test]
async fn healthy_condition_without_healthcheck_fails_at_once() {
    let fake = Arc::new(Fake::new());
    let p = project(vec![
        service("db", &[], false),
        service("app", &[("db", Condition::ServiceHealthy)], false),
    ]);
    let err = up(&fake, &p).await.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "dependency failed to start: container t-db-1 has no healthcheck configured"
    );
}

#[tokio::test]
async fn completed_successfully_waits_for_exit_code() {
    let fake = Arc::new(Fake::new());
    fake.script("seed", Script::Exits(0));
    let p = project(vec![
        service("seed", &[], false),
        service(
            "app",
            &[("seed", Condition::ServiceCompletedSuccessfully)],
            false,
        ),
    ]);
    up(&fake, &p).await.unwrap();

    let fake = Arc::new(Fake::new());
    fake.script("seed", Script::Exits(3));
    let err = up(&fake, &p).await.unwrap_err().to_string();
    assert!(
        err.contains("service \"seed\" didn't complete successfully: exit 3"),
        "{err}"
    );
}

#[tokio::test]
async fn second_up_changes_nothing() {
    let fake = Arc::new(Fake::new());
    let p = project(vec![
        service("db", &[], true),
        service("api", &[("db", Condition::ServiceHealthy)], false),
    ]);
    let first = up(&fake, &p).await.unwrap();
    let n = fake.calls().len();
    let second = up(&fake, &p).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.calls().len(), n, "{:?}", &fake.calls()[n..]);
}

/// A service with `extra` keys as the canonical tree holds them.
fn with_extra(mut s: Service, extra: serde_json::Value) -> Service {
    if let serde_json::Value::Object(map) = extra {
        s.extra.extend(map);
    }
    s
}

#[tokio::test]
async fn replicas_scale_up_and_down_like_compose() {
    let fake = Arc::new(Fake::new());
    let three = project(vec![with_extra(
        service("r", &[], false),
        serde_json::json!({"deploy": {"replicas": 3}}),
    )]);
    up(&fake, &three).await.unwrap();
    let names: Vec<String> = fake
        .snapshot("t")
        .await
        .unwrap()
        .containers
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c.name,
                c.label(crate::engine::labels::NUMBER).unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["t-r-1 1", "t-r-2 2", "t-r-3 3"]);

    let n = fake.calls().len();
    let opts = Options {
        scale: BTreeMap::from([("r".to_string(), 1)]),
        ..Options::default()
    };
    up_with(&fake, &three, &opts).await.unwrap();
    let mut calls = fake.calls()[n..].to_vec();
    calls.sort();
    assert_eq!(calls, ["rm t-r-2", "rm t-r-3", "stop t-r-2", "stop t-r-3"]);

    // Scaling up again continues after the highest number in use.
    up(&fake, &three).await.unwrap();
    assert!(fake.calls().contains(&"create t-r-2".to_string()));
}

#[tokio::test]
async fn recreation_creates_the_new_container_before_removing_the_old() {
    let fake = Arc::new(Fake::new());
    let p = project(vec![service("db", &[], false)]);
    up(&fake, &p).await.unwrap();
    let old = fake.snapshot("t").await.unwrap().containers[0].id.clone();
    let n = fake.calls().len();
    let opts = Options {
        force_recreate: true,
        ..Options::default()
    };
    up_with(&fake, &p, &opts).await.unwrap();
    let tmp = format!("{old}_t-db-1");
    assert_eq!(
        fake.calls()[n..],
        [
            format!("create {tmp}"),
            "stop t-db-1".to_string(),
            "rm t-db-1".to_string(),
            format!("rename {tmp} t-db-1"),
            "start t-db-1".to_string(),
        ]
    );
    let spec = fake.spec("t-db-1").unwrap();
    assert_eq!(spec.labels[crate::engine::labels::REPLACE], "db-1");
}

#[tokio::test]
async fn a_network_compose_did_not_create_is_refused_a_volume_is_used() {
    let fake = Arc::new(Fake::new());
    fake.add_network(crate::engine::NetworkSummary {
        id: "n".into(),
        name: "t_default".into(),
        labels: BTreeMap::new(),
    });
    let p = project(vec![service("db", &[], false)]);
    let err = up(&fake, &p).await.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.to_string(),
        "network t_default was found but has incorrect label com.docker.compose.network set to \"\" (expected: \"default\")"
    );
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());

    let fake = Arc::new(Fake::new());
    fake.add_volume(crate::engine::VolumeSummary {
        name: "t_data".into(),
        labels: BTreeMap::new(),
    });
    let mut p = project(vec![service("db", &[], false)]);
    p.volumes.insert(
        "data".into(),
        crate::compose::Volume {
            name: "t_data".into(),
            ..Default::default()
        },
    );
    p.services["db"].volumes.push(crate::compose::Mount {
        kind: "volume".into(),
        source: Some("data".into()),
        target: "/data".into(),
        read_only: false,
        bind: None,
        volume: None,
        tmpfs: None,
        consistency: None,
    });
    up(&fake, &p).await.unwrap();
    assert!(!fake.calls().contains(&"volume create t_data".to_string()));
}

#[tokio::test]
async fn what_the_engine_cannot_do_fails_before_anything_is_created() {
    let fake = Arc::new(Fake::new());
    let mut db = service("db", &[], true);
    if let Some(hc) = db.healthcheck.as_mut() {
        hc.start_interval = Some("1s".into());
        hc.start_period = Some("5s".into());
    }
    let p = project(vec![db]);
    let err = up(&fake, &p).await.unwrap_err();
    assert_eq!(err.exit_code(), 1);
    assert!(
        err.to_string().contains(
            "can't set healthcheck.start_interval as feature require Docker Engine v25 or later"
        ),
        "{err}"
    );
    assert!(fake.calls().is_empty(), "{:?}", fake.calls());
    *fake.api.lock().unwrap() = crate::engine::ApiVersion(1, 44);
    up(&fake, &p).await.unwrap();
}

#[tokio::test]
async fn network_mode_service_joins_the_first_container_of_that_service() {
    let fake = Arc::new(Fake::new());
    let mut c = with_extra(
        service("c", &[("b", Condition::ServiceStarted)], false),
        serde_json::json!({"network_mode": "service:b", "volumes_from": ["b:ro"]}),
    );
    c.networks.clear();
    let p = project(vec![service("b", &[], false), c]);
    up(&fake, &p).await.unwrap();
    let b = fake.snapshot("t").await.unwrap().containers[0].id.clone();
    let spec = fake.spec("t-c-1").unwrap();
    assert_eq!(spec.network_mode, Some(format!("container:{b}")));
    assert_eq!(spec.volumes_from, [format!("{b}:ro")]);
}

#[tokio::test]
async fn down_with_volumes_removes_anonymous_volumes() {
    let fake = Arc::new(Fake::new());
    let p = project(vec![service("db", &[], false)]);
    up(&fake, &p).await.unwrap();
    let snap = fake.snapshot("t").await.unwrap();
    let graph = Graph::new(&p).unwrap();
    let progress = Progress::new(Mode::Quiet);
    let environ = HashMap::new();
    let ex = Executor::new(&fake, &progress, &p, &graph, &environ);
    let all: Vec<&ContainerSummary> = snap.containers.iter().collect();
    ex.stop_all(&all, None, true, true).await.unwrap();
    assert!(fake.calls().contains(&"rm -v t-db-1".to_string()));
}

#[tokio::test]
async fn missing_external_networks_and_volumes_fail_like_compose() {
    let fake = Arc::new(Fake::new());
    let mut p = project(vec![service("db", &[], false)]);
    p.networks["default"].external = true;
    p.networks["default"].name = "shared".into();
    let err = up(&fake, &p).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "network shared declared as external, but could not be found"
    );
    fake.add_network(crate::engine::NetworkSummary {
        id: "n".into(),
        name: "shared".into(),
        labels: BTreeMap::new(),
    });
    p.volumes.insert(
        "data".into(),
        crate::compose::Volume {
            name: "precious".into(),
            external: true,
            ..Default::default()
        },
    );
    p.services["db"].volumes.push(crate::compose::Mount {
        kind: "volume".into(),
        source: Some("data".into()),
        target: "/data".into(),
        read_only: false,
        bind: None,
        volume: None,
        tmpfs: None,
        consistency: None,
    });
    let err = up(&fake, &p).await.unwrap_err();
    assert_eq!(err.to_string(), "external volume \"precious\" not found");
    fake.add_volume(crate::engine::VolumeSummary {
        name: "precious".into(),
        labels: BTreeMap::new(),
    });
    up(&fake, &p).await.unwrap();
    assert!(!fake
        .calls()
        .iter()
        .any(|c| c.contains("create shared") || c.contains("create precious")));
}
