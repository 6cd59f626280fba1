//! Daemon tests of `engine::Docker` against the real Docker Engine. They need the base image
//! `conformance/busybox:local` (see /work/shared/conformance/base/build.sh) and FAIL, never skip,
//! when the engine is unreachable.

use futures_util::StreamExt;
use mls::engine::{
    labels, BuildRequest, ContainerSpec, Docker, EndpointSpec, Engine, EngineError, HealthSpec,
    LogChunk, LogOptions, MountSpec, NetworkSpec, VolumeSpec,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BASE: &str = "conformance/busybox:local";

async fn engine() -> Docker {
    match Docker::connect().await {
        Ok(docker) => docker,
        Err(e) => panic!("daemon tests need a running Docker Engine: {e}"),
    }
}

/// A project name no other test (or test run) uses.
fn unique(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    format!(
        "mlst{}{what}{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Removes everything labelled with the project, and the images it names, when dropped, so a
/// failing assertion still leaves the engine clean.
struct Cleanup {
    project: String,
    images: Vec<String>,
}

impl Cleanup {
    fn new(project: &str) -> Cleanup {
        Cleanup {
            project: project.to_string(),
            images: Vec::new(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let project = self.project.clone();
        let images = std::mem::take(&mut self.images);
        // Drop cannot await, and may run inside the test's runtime: clean up on a fresh one.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(docker) = Docker::connect().await else {
                    return;
                };
                if let Ok(snap) = docker.snapshot(&project).await {
                    for c in snap.containers {
                        let _ = docker.remove_container(&c.id, true, true).await;
                    }
                    for n in snap.networks {
                        let _ = docker.remove_network(&n.name).await;
                    }
                    for v in snap.volumes {
                        let _ = docker.remove_volume(&v.name).await;
                    }
                }
                for image in images {
                    let _ = docker.remove_image(&image).await;
                }
            });
        })
        .join();
    }
}

fn project_labels(project: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::from([(labels::PROJECT.to_string(), project.to_string())]);
    for (k, v) in extra {
        map.insert(k.to_string(), v.to_string());
    }
    map
}

/// An uncompressed tar holding `files`, as `context::tar` would produce.
fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, text.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

fn build_request(project: &str, dockerfile: &str) -> BuildRequest {
    BuildRequest {
        service: "app".into(),
        tag: format!("{project}-app"),
        context_tar: tar_of(&[
            ("Dockerfile", dockerfile),
            ("hello.txt", "hello from the context\n"),
        ]),
        dockerfile: "Dockerfile".into(),
        labels: project_labels(project, &[("dev.mls.test", "yes")]),
        ..Default::default()
    }
}

type Lines = Arc<Mutex<Vec<String>>>;
type OnLine = Box<dyn Fn(&str) + Send + Sync>;

/// Collects build output lines for assertions.
fn recorder() -> (Lines, OnLine) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    (
        lines,
        Box::new(move |line: &str| sink.lock().unwrap().push(line.to_string())),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_negotiates_and_sees_an_empty_project() {
    let docker = engine().await;
    let snap = docker.snapshot(&unique("empty")).await.unwrap();
    assert!(snap.containers.is_empty());
    assert!(snap.networks.is_empty());
    assert!(snap.volumes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_engine_names_the_host() {
    let err = Docker::connect_to("unix:///nonexistent/mls.sock")
        .await
        .unwrap_err();
    match &err {
        EngineError::Unreachable { host, reason } => {
            assert_eq!(host, "unix:///nonexistent/mls.sock");
            assert!(!reason.is_empty());
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(err.to_string().contains("Is dockerd running?"));
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_image_of_a_missing_image_is_none() {
    let docker = engine().await;
    let missing = format!("{}:nope", unique("missing"));
    assert_eq!(docker.inspect_image(&missing).await.unwrap(), None);
    let base = docker.inspect_image(BASE).await.unwrap().expect(BASE);
    assert!(base.id.starts_with("sha256:"));
    assert_eq!(base.healthcheck, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn build_streams_lines_and_returns_the_image_id() {
    let docker = engine().await;
    let project = unique("build");
    let mut cleanup = Cleanup::new(&project);
    let req = build_request(
        &project,
        "FROM conformance/busybox:local\nCOPY hello.txt /hello.txt\nHEALTHCHECK CMD true\n",
    );
    let tag = req.tag.clone();
    cleanup.images.push(tag.clone());
    let (lines, on_line) = recorder();

    let id = docker.build(req, on_line).await.unwrap();

    assert!(id.starts_with("sha256:"), "{id}");
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("[2/2] COPY hello.txt /hello.txt")),
        "{lines:#?}"
    );
    assert!(lines.iter().all(|l| l == l.trim() && !l.is_empty()));
    let image = docker
        .inspect_image(&tag)
        .await
        .unwrap()
        .expect("built image");
    assert_eq!(image.id, id);
    assert_eq!(
        image.labels.get("dev.mls.test").map(String::as_str),
        Some("yes")
    );
    assert_eq!(
        image.healthcheck,
        Some(vec!["CMD-SHELL".to_string(), "true".to_string()])
    );
    assert!(image.repo_tags.contains(&format!("{tag}:latest")));
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_build_names_the_step() {
    let docker = engine().await;
    let project = unique("fail");
    let mut cleanup = Cleanup::new(&project);
    let req = build_request(
        &project,
        "FROM conformance/busybox:local\nRUN echo boom-output && false\n",
    );
    cleanup.images.push(req.tag.clone());
    let (_, on_line) = recorder();

    let err = docker.build(req, on_line).await.unwrap_err();

    match err {
        EngineError::Build {
            service,
            step,
            message,
        } => {
            assert_eq!(service, "app");
            // BuildKit names the failing vertex; its last output lines come with the message.
            assert_eq!(step, "2/2 : RUN echo boom-output && false");
            assert!(message.contains("exit code: 1"), "{message}");
            assert!(message.contains("boom-output"), "{message}");
        }
        other => panic!("expected a Build error, got {other:?}"),
    }

    // A context without the named Dockerfile fails before any step.
    let mut req = build_request(&project, "FROM conformance/busybox:local\n");
    req.dockerfile = "Missing.Dockerfile".into();
    let (_, on_line) = recorder();
    match docker.build(req, on_line).await.unwrap_err() {
        EngineError::Build { step, message, .. } => {
            assert_eq!(step, "?");
            assert!(message.contains("Missing.Dockerfile"), "{message}");
        }
        other => panic!("expected a Build error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_returns_a_non_zero_exit_code() {
    let docker = engine().await;
    let project = unique("wait");
    let _cleanup = Cleanup::new(&project);
    let spec = ContainerSpec {
        name: format!("{project}-job-1"),
        image: BASE.into(),
        command: Some(vec!["sh".into(), "-c".into(), "echo bye; exit 7".into()]),
        labels: project_labels(&project, &[]),
        ..Default::default()
    };
    let id = docker.create_container(&spec).await.unwrap().id;
    docker.start_container(&id).await.unwrap();
    assert_eq!(docker.wait_container(&id).await.unwrap(), 7);
    // Following the logs of an exited container ends with its output.
    let followed: Vec<LogChunk> = docker
        .logs(
            &id,
            LogOptions {
                follow: true,
                timestamps: true,
                ..Default::default()
            },
        )
        .map(Result::unwrap)
        .collect()
        .await;
    match followed.as_slice() {
        [LogChunk::Stdout(line)] => {
            let line = String::from_utf8_lossy(line);
            assert!(
                line.starts_with("20") && line.ends_with("Z bye\n"),
                "{line}"
            );
        }
        other => panic!("expected one timestamped line, got {other:?}"),
    }
    assert_eq!(docker.inspect_container(&id).await.unwrap().exit_code, 7);
    // A second container of the same name is the engine's conflict, in its own words.
    let err = docker.create_container(&spec).await.unwrap_err();
    assert!(err.to_string().contains("is already in use"), "{err}");
    // A missing image and a missing network are told apart.
    let other = |image: &str, network: &str| ContainerSpec {
        name: unique("other"),
        image: image.into(),
        networks: vec![EndpointSpec::new(network, &[])],
        labels: project_labels(&project, &[]),
        ..Default::default()
    };
    let missing_image = format!("{project}-nope:latest");
    let err = docker
        .create_container(&other(&missing_image, "bridge"))
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), format!("image {missing_image} not found"));
    // Engine 20.10 accepts a missing network at create and refuses it (404) at start.
    let err = match docker
        .create_container(&other(BASE, &format!("{project}_nope")))
        .await
    {
        Ok(created) => docker.start_container(&created.id).await.unwrap_err(),
        Err(e) => e,
    };
    assert!(
        matches!(&err, EngineError::Api(m) if m.contains(&format!("{project}_nope"))),
        "{err:?}"
    );
}

/// Reads events of container `id` until every `wanted` action arrived; fails after a minute.
async fn await_events(
    events: &mut futures_util::stream::BoxStream<'static, mls::engine::Result<mls::engine::Event>>,
    id: &str,
    wanted: &[&str],
) -> Vec<mls::engine::Event> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !wanted
        .iter()
        .all(|w| seen.iter().any(|e: &mls::engine::Event| e.action == *w))
    {
        let next = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {wanted:?}; saw {seen:#?}"));
        let event = next.expect("event stream ended").unwrap();
        if event.container_id == id {
            seen.push(event);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn container_lifecycle_against_the_engine() {
    let docker = engine().await;
    let project = unique("life");
    let _cleanup = Cleanup::new(&project);
    let network = format!("{project}_default");
    let backend = format!("{project}_backend");
    let volume = format!("{project}_data");
    let net_labels = project_labels(&project, &[(labels::NETWORK, "default")]);

    // Networks and volumes: labelled, and created idempotently.
    let net_spec = NetworkSpec {
        name: network.clone(),
        labels: net_labels.clone(),
        ..Default::default()
    };
    let net_id = docker.create_network(&net_spec).await.unwrap();
    assert_eq!(docker.create_network(&net_spec).await.unwrap(), net_id);
    let found = docker.inspect_network(&network).await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), &found.labels),
        (net_id.as_str(), &net_labels)
    );
    assert_eq!(
        docker
            .inspect_network(&format!("{project}_nope"))
            .await
            .unwrap(),
        None
    );
    docker
        .create_network(&NetworkSpec {
            name: backend.clone(),
            driver: Some("bridge".into()),
            labels: project_labels(&project, &[]),
            ..Default::default()
        })
        .await
        .unwrap();
    let vol_labels = project_labels(&project, &[(labels::VOLUME, "data")]);
    let vol_spec = VolumeSpec {
        name: volume.clone(),
        labels: vol_labels.clone(),
        ..Default::default()
    };
    docker.create_volume(&vol_spec).await.unwrap();
    docker.create_volume(&vol_spec).await.unwrap();
    assert_eq!(
        docker
            .inspect_volume(&volume)
            .await
            .unwrap()
            .unwrap()
            .labels,
        vol_labels
    );
    assert_eq!(
        docker
            .inspect_volume(&format!("{project}_nope"))
            .await
            .unwrap(),
        None
    );

    // Like Docker Compose, a bind of a missing host directory creates it.
    let host_dir = tempfile::tempdir().unwrap();
    let missing_dir = host_dir.path().join("made-by-engine");
    let name = format!("{project}-web-1");
    let spec = ContainerSpec {
        name: name.clone(),
        image: BASE.into(),
        command: Some(vec![
            "sh".into(),
            "-c".into(),
            "trap 'exit 0' TERM; echo hello-out; echo hello-err >&2; \
             echo kept > /data/file; sleep 300 & wait"
                .into(),
        ]),
        env: vec!["GREETING=hi".into()],
        labels: project_labels(&project, &[(labels::SERVICE, "web")]),
        healthcheck: Some(HealthSpec {
            test: vec!["CMD-SHELL".into(), "test -f /data/file".into()],
            interval_ns: Some(300_000_000),
            timeout_ns: Some(5_000_000_000),
            retries: Some(3),
            ..Default::default()
        }),
        port_bindings: vec![("8080/tcp".into(), Some("127.0.0.1".into()), Some("".into()))],
        mounts: vec![
            MountSpec {
                kind: "volume".into(),
                source: Some(volume.clone()),
                target: "/data".into(),
                ..Default::default()
            },
            MountSpec {
                kind: "bind".into(),
                source: Some(missing_dir.to_string_lossy().into_owned()),
                target: "/host".into(),
                read_only: true,
                legacy: true,
                ..Default::default()
            },
            MountSpec {
                kind: "tmpfs".into(),
                target: "/scratch".into(),
                ..Default::default()
            },
        ],
        networks: vec![
            EndpointSpec::new(&network, &["web", "www"]),
            EndpointSpec::new(&backend, &["api"]),
        ],
        restart: Some("on-failure:2".into()),
        stop_timeout: Some(5),
        ..Default::default()
    };
    let mut events = docker.events(&project);
    // The second network is connected by create, before start.
    let id = docker.create_container(&spec).await.unwrap().id;
    docker.start_container(&id).await.unwrap();
    docker.start_container(&id).await.unwrap(); // already started is fine

    let seen = await_events(&mut events, &id, &["start", "health_status: healthy"]).await;
    assert!(seen.iter().all(|e| e.service == "web"), "{seen:#?}");

    // One snapshot shows the container, its labels, port and networks, and the project's objects.
    let snap = docker.snapshot(&project).await.unwrap();
    assert_eq!(snap.containers.len(), 1, "{snap:#?}");
    let c = &snap.containers[0];
    assert_eq!(c.id, id);
    assert_eq!(c.name, name);
    assert_eq!(c.state, "running");
    assert_eq!(c.service(), Some("web"));
    assert_eq!(c.health(), "healthy", "{}", c.status);
    assert_eq!(c.networks, vec![backend.clone(), network.clone()]);
    let port = c
        .ports
        .iter()
        .find(|p| p.private_port == 8080)
        .unwrap_or_else(|| panic!("{:?}", c.ports));
    assert_eq!(port.protocol, "tcp");
    assert_eq!(port.ip.as_deref(), Some("127.0.0.1"));
    assert!(port.public_port.is_some_and(|p| p > 0));
    let net = snap.networks.iter().find(|n| n.name == network).unwrap();
    assert_eq!(net.id, net_id);
    assert_eq!(net.labels, net_labels);
    assert_eq!(snap.networks.len(), 2);
    assert_eq!(snap.volumes.len(), 1);
    assert_eq!(snap.volumes[0].name, volume);
    assert_eq!(snap.volumes[0].labels, vol_labels);

    // Logs keep stdout and stderr apart.
    let chunks: Vec<LogChunk> = docker
        .logs(&id, LogOptions::default())
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(
        chunks.contains(&LogChunk::Stdout(b"hello-out\n".to_vec())),
        "{chunks:?}"
    );
    assert!(
        chunks.contains(&LogChunk::Stderr(b"hello-err\n".to_vec())),
        "{chunks:?}"
    );
    let tail: Vec<LogChunk> = docker
        .logs(
            &id,
            LogOptions {
                tail: Some("0".into()),
                ..Default::default()
            },
        )
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(tail.is_empty(), "{tail:?}");

    // Inspect explains health with the probes themselves.
    let state = docker.inspect_container(&id).await.unwrap();
    assert!(state.running);
    assert_eq!(state.name, name);
    assert!(state.has_healthcheck);
    let health = state.health.expect("health");
    assert_eq!(health.status, "healthy");
    let probe = health.log.last().expect("a probe");
    assert_eq!(probe.exit_code, 0);
    assert!(!probe.start.is_empty() && !probe.end.is_empty());

    // Exec passes the command's exit code through; aliases resolve on both networks.
    let exec = |cmd: &str| {
        docker.exec(
            &id,
            vec!["sh".into(), "-c".into(), cmd.into()],
            None,
            Some("/data".into()),
            vec!["CODE=3".into()],
            false,
        )
    };
    assert_eq!(
        exec("test \"$PWD\" = /data && exit $CODE").await.unwrap(),
        3
    );
    assert_eq!(exec("test \"$GREETING\" = hi").await.unwrap(), 0);
    assert_eq!(exec("test -d /host && ! touch /host/x").await.unwrap(), 0);
    assert_eq!(exec("touch /scratch/x").await.unwrap(), 0);
    let with_tty = docker
        .exec(
            &id,
            vec!["sh".into(), "-c".into(), "test -t 1 && exit 4".into()],
            None,
            None,
            vec![],
            true,
        )
        .await
        .unwrap();
    assert_eq!(with_tty, 4);
    assert!(missing_dir.is_dir());
    assert_eq!(
        exec("ping -c1 -W2 www && ping -c1 -W2 api").await.unwrap(),
        0
    );

    // Rename, stop (twice), wait, remove (twice).
    let renamed = format!("{project}-web-old");
    docker.rename_container(&id, &renamed).await.unwrap();
    docker
        .stop_container(&id, Some(Duration::from_secs(5)))
        .await
        .unwrap();
    docker
        .stop_container(&id, Some(Duration::from_secs(5)))
        .await
        .unwrap();
    assert_eq!(docker.wait_container(&id).await.unwrap(), 0);
    let stopped = docker.inspect_container(&id).await.unwrap();
    assert_eq!(stopped.name, renamed);
    assert!(!stopped.running);
    assert_eq!(stopped.status, "exited");
    await_events(&mut events, &id, &["die"]).await;

    docker.remove_container(&id, false, false).await.unwrap();
    docker.remove_container(&id, false, false).await.unwrap();
    assert!(matches!(
        docker.inspect_container(&id).await,
        Err(EngineError::NotFound(_))
    ));
    for n in [&network, &backend] {
        docker.remove_network(n).await.unwrap();
        docker.remove_network(n).await.unwrap();
    }
    docker.remove_volume(&volume).await.unwrap();
    docker.remove_volume(&volume).await.unwrap();
    let snap = docker.snapshot(&project).await.unwrap();
    assert!(snap.containers.is_empty() && snap.networks.is_empty() && snap.volumes.is_empty());
}
