//! The demo stack end to end on the real engine: up --wait, health ordering, ps, idempotent up,
//! down keeping named volumes, and Docker Compose seeing mls's containers.

use crate::support::*;
use serde_json::Value;
use std::process::Command;

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port().to_string()
}

fn demo() -> TestProject {
    require_engine();
    let mut p = TestProject::copy_of("demo", &repo().join("stacks/demo"));
    p.env.push(("BACKEND_PORT".into(), free_port()));
    p.env.push(("FRONTEND_PORT".into(), free_port()));
    p
}

fn ps_json(p: &TestProject) -> Vec<Value> {
    let out = p.mls(&["ps", "--format", "json"]).ok().stdout();
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

#[test]
fn demo_up_wait_orders_health_and_is_idempotent() {
    let p = demo();
    p.mls(&["--progress", "plain", "up", "-d", "--wait"]).ok();

    // ps --format json lists both services, running, with their health.
    let rows = ps_json(&p);
    let mut services: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["Service"].as_str().unwrap(),
                r["State"].as_str().unwrap(),
                r["Health"].as_str().unwrap(),
            )
        })
        .collect();
    services.sort();
    assert_eq!(
        services,
        vec![
            ("backend", "running", "healthy"),
            ("frontend", "running", "healthy")
        ]
    );

    // Backend turned healthy before frontend's container started, by the engine's own clocks.
    let backend = inspect(&format!("{}-backend-1", p.name));
    let frontend = inspect(&format!("{}-frontend-1", p.name));
    let log = backend["State"]["Health"]["Log"].as_array().unwrap();
    let first_ok = log
        .iter()
        .find(|probe| probe["ExitCode"] == 0)
        .expect("a passing probe in backend's health log");
    let healthy_at = timestamp(first_ok["End"].as_str().unwrap());
    let frontend_started = timestamp(frontend["State"]["StartedAt"].as_str().unwrap());
    assert!(
        healthy_at < frontend_started,
        "frontend started at {frontend_started:?}, before backend was healthy at {healthy_at:?}"
    );

    // Labels are Docker Compose's.
    let labels = &backend["Config"]["Labels"];
    assert_eq!(labels["com.docker.compose.project"], p.name.as_str());
    assert_eq!(labels["com.docker.compose.service"], "backend");
    assert_eq!(labels["com.docker.compose.container-number"], "1");
    assert_eq!(labels["com.docker.compose.oneoff"], "False");
    assert!(
        labels["com.docker.compose.config-hash"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );
    assert_eq!(
        frontend["Config"]["Labels"]["com.docker.compose.depends_on"],
        "backend:service_healthy:false"
    );

    // The API answers on the published port.
    let port = &p.env[0].1;
    let body = http_get(port, "/api/health");
    assert!(body.contains("ok"), "{body}");

    // A second up changes nothing: same container ids.
    let ids = |rows: &[Value]| {
        let mut v: Vec<String> = rows
            .iter()
            .map(|r| r["ID"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let before = ids(&rows);
    p.mls(&["up", "-d"]).ok();
    assert_eq!(ids(&ps_json(&p)), before);

    // down removes containers and the network, keeps the named volume...
    p.mls(&["down"]).ok();
    let label = format!("label=com.docker.compose.project={}", p.name);
    assert!(docker_lines(&["ps", "-aq", "--filter", &label]).is_empty());
    assert!(docker_lines(&["network", "ls", "-q", "--filter", &label]).is_empty());
    let volume = format!("{}_backend-data", p.name);
    assert_eq!(
        docker_lines(&["volume", "ls", "-q", "--filter", &format!("name={volume}")]),
        vec![volume.clone()]
    );
    // ...and `down -v` removes it.
    p.mls(&["down", "-v"]).ok();
    assert!(
        docker_lines(&["volume", "ls", "-q", "--filter", &format!("name={volume}")]).is_empty()
    );
}

fn http_get(port: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn unhealthy_dependency_fails_up_and_names_it() {
    require_engine();
    let p = TestProject::new(
        "unhealthy",
        r#"
services:
  db:
    image: mls/busybox:local
    command: ["sleep", "300"]
    healthcheck:
      test: ["CMD-SHELL", "echo probe says no; exit 1"]
      interval: 500ms
      timeout: 1s
      retries: 2
  app:
    image: mls/busybox:local
    command: ["sleep", "300"]
    depends_on:
      db:
        condition: service_healthy
"#,
    );
    let started = std::time::Instant::now();
    let run = p.mls(&["--progress", "plain", "up", "-d"]).fails_with(1);
    let elapsed = started.elapsed();
    let err = run.stderr();
    assert!(err.contains(&format!("{}-db-1", p.name)), "{err}");
    assert!(err.contains("unhealthy"), "{err}");
    assert!(err.contains("probe says no"), "{err}");
    // Budget: 2 retries at 500 ms plus start-up; far less than any fixed sleep-based wait.
    assert!(elapsed.as_secs() < 15, "took {elapsed:?}");
    let label = "label=com.docker.compose.service=app".to_string();
    let app = docker_lines(&[
        "ps",
        "-aq",
        "--filter",
        &format!("label=com.docker.compose.project={}", p.name),
        "--filter",
        &label,
    ]);
    assert!(
        app.is_empty(),
        "app must not be created when its dependency is unhealthy"
    );
}

#[test]
fn docker_compose_lists_containers_mls_started() {
    require_engine();
    let has_compose = Command::new("docker")
        .args(["compose", "version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        has_compose,
        "Docker Compose v2 is required: run ../shared/peers/install-compose-v2"
    );
    let p = TestProject::new(
        "peer",
        "services:\n  web:\n    image: mls/busybox:local\n    command: [\"sleep\", \"300\"]\n",
    );
    p.mls(&["up", "-d"]).ok();
    let o = Command::new("docker")
        .args([
            "compose",
            "-p",
            &p.name,
            "ps",
            "--format",
            "{{.Name}} {{.Service}} {{.State}}",
        ])
        .current_dir(p.path())
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        listed.trim(),
        format!("{}-web-1 web running", p.name),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
