//! Incremental builds and watch mode on the real engine: `mls build` skips unchanged images,
//! `mls up --watch` rebuilds only the service whose sources changed, syncs files (and
//! deletions) for sync rules, folds a burst into one rebuild, and keeps the old container
//! serving when a rebuild fails.

use crate::support::*;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port().to_string()
}

fn demo(prefix: &str) -> TestProject {
    require_engine();
    let mut p = TestProject::copy_of(prefix, &repo().join("stacks/demo"));
    p.env.push(("BACKEND_PORT".into(), free_port()));
    p.env.push(("FRONTEND_PORT".into(), free_port()));
    p
}

fn http_get(port: &str, path: &str) -> String {
    let Ok(mut s) = std::net::TcpStream::connect(format!("127.0.0.1:{port}")) else {
        return String::new();
    };
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Polls `cond` every 50 ms until it holds; panics with `what` and the watch log after `secs`.
#[track_caller]
fn wait_until(secs: u64, what: &str, w: &Watch, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "timed out after {secs}s waiting for {what}\nwatch log:\n{}",
        w.log()
    );
}

/// `mls up --watch` as a child process, killed on drop. Its stderr goes to a file we can read.
struct Watch {
    child: Child,
    log: PathBuf,
}

impl Watch {
    fn start(p: &TestProject) -> Watch {
        let log = p.path().join("watch.log");
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(MLS);
        cmd.args(["--progress", "plain", "up", "--watch"])
            .current_dir(p.path())
            .env("COMPOSE_PROJECT_NAME", &p.name)
            .env_remove("COMPOSE_FILE")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(file);
        for (k, v) in &p.env {
            cmd.env(k, v);
        }
        let w = Watch {
            child: cmd.spawn().expect("spawn mls up --watch"),
            log,
        };
        wait_until(180, "the watch to start", &w, || {
            w.log().contains("Watching ")
        });
        w
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn count(&self, needle: &str) -> usize {
        self.log().matches(needle).count()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn container_id(p: &TestProject, service: &str) -> String {
    inspect(&format!("{}-{service}-1", p.name))["Id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Unix time with nanoseconds, as `docker events --since/--until` take it.
fn unix_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    format!("{}.{:09}", d.as_secs(), d.subsec_nanos())
}

/// Image `tag` events for names starting with `prefix` in [since, until]: every build the
/// engine runs, even one served entirely from the layer cache, ends with one.
fn tag_events(since: &str, until: &str, prefix: &str) -> Vec<String> {
    docker_lines(&[
        "events",
        "--since",
        since,
        "--until",
        until,
        "--filter",
        "type=image",
        "--filter",
        "event=tag",
        "--format",
        "{{.Actor.Attributes.name}}",
    ])
    .into_iter()
    .filter(|n| n.starts_with(prefix))
    .collect()
}

#[test]
fn build_with_nothing_changed_does_not_build() {
    let p = demo("noop");
    p.mls(&["--progress", "plain", "build"]).ok();
    let image = format!("{}-backend", p.name);
    let before = inspect(&image);
    std::thread::sleep(Duration::from_millis(1100));

    let since = unix_now();
    let run = p.mls(&["--progress", "plain", "build"]).ok();
    let until = unix_now();
    std::thread::sleep(Duration::from_millis(1100));
    let tags = tag_events(&since, &until, &p.name);
    assert!(tags.is_empty(), "the engine built: {tags:?}");
    let err = run.stderr();
    assert!(
        err.contains("Image backend  Up to date") && err.contains("Image frontend  Up to date"),
        "{err}"
    );
    assert!(
        !err.contains("Sending context"),
        "a context was sent:\n{err}"
    );
    let after = inspect(&image);
    assert_eq!(before["Id"], after["Id"]);
    assert_eq!(before["Created"], after["Created"]);

    // The control: a changed source file is sent and built, and only for its service.
    p.write("backend/www/api/extra.json", "{\"x\":1}\n");
    let since = unix_now();
    let err = p.mls(&["--progress", "plain", "build"]).ok().stderr();
    let until = unix_now();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        tag_events(&since, &until, &p.name),
        vec![format!("{image}:latest")],
        "one build, of backend only"
    );
    assert!(err.contains("Image backend  Sending context"), "{err}");
    assert!(err.contains("Image frontend  Up to date"), "{err}");
    assert_ne!(inspect(&image)["Id"], before["Id"]);
}

#[test]
fn watch_rebuilds_only_the_changed_service_batches_bursts_and_survives_a_broken_dockerfile() {
    let p = demo("watch");
    let port = p.env[0].1.clone();
    let w = Watch::start(&p);
    wait_until(60, "backend to serve", &w, || {
        http_get(&port, "/api/health").contains("ok")
    });
    let frontend = container_id(&p, "frontend");
    let backend = container_id(&p, "backend");

    // A source edit rebuilds backend only, and the new content is served.
    p.write("backend/www/api/health", "{\"status\":\"edited\"}\n");
    wait_until(120, "the edited file to be served", &w, || {
        http_get(&port, "/api/health").contains("edited")
    });
    wait_until(30, "the rebuilt line", &w, || {
        w.count("backend  rebuilt in") == 1
    });
    assert_eq!(container_id(&p, "frontend"), frontend, "{}", w.log());
    assert_ne!(container_id(&p, "backend"), backend);
    assert_eq!(w.count("frontend  rebuilt"), 0, "{}", w.log());

    // 500 files written in a burst: one rebuild.
    for i in 0..500 {
        p.write(&format!("backend/www/burst/f{i}.txt"), &format!("{i}\n"));
    }
    wait_until(120, "the burst to be served", &w, || {
        http_get(&port, "/burst/f499.txt").contains("499")
    });
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(w.count("backend  rebuilt in"), 2, "{}", w.log());

    // A broken Dockerfile: the old container keeps running and healthy.
    let serving = container_id(&p, "backend");
    let dockerfile = p.path().join("backend/Dockerfile");
    let good = std::fs::read_to_string(&dockerfile).unwrap();
    std::fs::write(
        &dockerfile,
        good.replace("RUN chmod 0755", "RUN exit 3 && chmod 0755"),
    )
    .unwrap();
    wait_until(120, "the rebuild to fail", &w, || {
        w.log().contains("backend  rebuild failed")
    });
    let log = w.log();
    assert!(
        log.contains("RUN exit 3"),
        "the failing step is shown:\n{log}"
    );
    assert_eq!(container_id(&p, "backend"), serving);
    let state = inspect(&serving);
    assert_eq!(state["State"]["Running"], true);
    assert_eq!(state["State"]["Health"]["Status"], "healthy");
    assert!(http_get(&port, "/api/health").contains("edited"));

    // The next save retries.
    std::fs::write(&dockerfile, good).unwrap();
    wait_until(120, "the retried rebuild", &w, || {
        w.count("backend  rebuilt in") == 3
    });
    assert_eq!(container_id(&p, "frontend"), frontend);
}

#[test]
fn sync_rule_copies_written_files_and_propagates_deletions() {
    let p = demo("sync");
    p.write(
        "compose.override.yaml",
        r#"
services:
  backend:
    develop:
      watch:
        - path: ./backend/www
          target: /srv/www
          action: sync
          ignore: ["*.tmp"]
          initial_sync: true
"#,
    );
    // *.md is in backend's .dockerignore: only the initial sync can bring it in.
    p.write("backend/www/before.md", "written before the watch\n");
    let port = p.env[0].1.clone();
    let w = Watch::start(&p);
    let backend = container_id(&p, "backend");
    let cat = |path: &str| {
        Command::new("docker")
            .args(["exec", &backend, "cat", path])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };

    wait_until(10, "the initial sync", &w, || {
        cat("/srv/www/before.md").contains("written before the watch")
    });

    p.write("backend/www/notes/hello.txt", "hello from the host\n");
    p.write("backend/www/scratch.tmp", "ignored\n");
    wait_until(10, "the synced file in the container", &w, || {
        cat("/srv/www/notes/hello.txt").contains("hello from the host")
    });
    assert!(http_get(&port, "/notes/hello.txt").contains("hello from the host"));

    std::fs::remove_file(p.path().join("backend/www/notes/hello.txt")).unwrap();
    wait_until(10, "the deletion in the container", &w, || {
        Command::new("docker")
            .args(["exec", &backend, "test", "-e", "/srv/www/notes/hello.txt"])
            .status()
            .is_ok_and(|s| s.code() == Some(1))
    });
    assert!(
        cat("/srv/www/scratch.tmp").is_empty(),
        "ignored file synced"
    );
    assert_eq!(
        container_id(&p, "backend"),
        backend,
        "sync must not recreate"
    );
    assert_eq!(w.count("rebuilt"), 0, "{}", w.log());
    assert!(w.log().contains("backend  synced 1 file"), "{}", w.log());

    // The watched folder deleted and made again (a checkout, a build tool): still synced.
    let www = p.path().join("backend/www");
    std::fs::remove_dir_all(&www).unwrap();
    std::fs::create_dir(&www).unwrap();
    p.write("backend/www/again.txt", "after the folder came back\n");
    wait_until(10, "a file in the recreated folder", &w, || {
        cat("/srv/www/again.txt").contains("after the folder came back")
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.write("backend/www/later.txt", "later\n");
    wait_until(10, "a later write in the recreated folder", &w, || {
        cat("/srv/www/later.txt").contains("later")
    });
}

#[test]
fn dependents_with_restart_true_restart_after_their_dependency_is_recreated() {
    require_engine();
    let p = TestProject::new(
        "deprestart",
        r#"
services:
  api:
    build: ./api
    stop_signal: SIGKILL
  worker:
    image: mls/busybox:local
    command: ["sleep", "600"]
    stop_signal: SIGKILL
    depends_on:
      api:
        condition: service_started
        restart: true
  bystander:
    image: mls/busybox:local
    command: ["sleep", "600"]
    stop_signal: SIGKILL
    depends_on: [api]
"#,
    );
    p.write(
        "api/Dockerfile",
        "FROM mls/busybox:local\nCOPY v.txt /v.txt\nCMD [\"sleep\", \"600\"]\n",
    );
    p.write("api/v.txt", "1\n");
    let w = Watch::start(&p);
    let started = |s: &str| {
        inspect(&format!("{}-{s}-1", p.name))["State"]["StartedAt"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let worker = container_id(&p, "worker");
    let worker_started = started("worker");
    let bystander_started = started("bystander");

    p.write("api/v.txt", "2\n");
    wait_until(60, "worker to restart", &w, || {
        w.log().contains("worker  restarted")
    });
    assert!(w.log().contains("api  rebuilt in"), "{}", w.log());
    assert_eq!(
        container_id(&p, "worker"),
        worker,
        "restarted, not recreated"
    );
    assert_ne!(started("worker"), worker_started);
    assert_eq!(started("bystander"), bystander_started, "no restart: true");
}

#[test]
fn a_compose_file_change_reloads_the_project_and_applies_the_difference() {
    require_engine();
    let compose = r#"
services:
  app:
    image: mls/busybox:local
    command: ["sleep", "600"]
    stop_signal: SIGKILL
    environment:
      GREETING: hello
  other:
    image: mls/busybox:local
    command: ["sleep", "600"]
    stop_signal: SIGKILL
"#;
    let p = TestProject::new("reload", compose);
    let w = Watch::start(&p);
    let app = container_id(&p, "app");
    let other = container_id(&p, "other");
    p.write("compose.yaml", &compose.replace("hello", "bonjour"));
    wait_until(60, "the reload", &w, || {
        w.log().contains("project  reloaded")
    });
    let fresh = container_id(&p, "app");
    assert_ne!(fresh, app, "app's configuration changed: recreated");
    let env = inspect(&fresh)["Config"]["Env"].to_string();
    assert!(env.contains("GREETING=bonjour"), "{env}");
    assert_eq!(container_id(&p, "other"), other, "other is untouched");
}
