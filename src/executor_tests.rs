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
    let graph = Graph::new(p).unwrap();
    let services: BTreeSet<String> = p.services.keys().cloned().collect();
    let snap = fake.snapshot(&p.name).await.unwrap();
    let plan = converge(p, &services, &snap, &HashMap::new(), &Options::default()).unwrap();
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
        vec![("t_default".to_string(), vec!["api".to_string()])]
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
