//! Pull and push against a real registry (Debian's docker-registry) on 127.0.0.1.

use crate::support::*;
use std::process::{Child, Command, Stdio};

/// A registry on a free loopback port, with its storage in a temp dir; stopped on drop.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let bin = "/usr/bin/docker-registry";
        assert!(
            std::path::Path::new(bin).exists(),
            "Debian's docker-registry is required: apt-get install docker-registry"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let mut child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Registry {
                    child,
                    port,
                    _dir: dir,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("docker-registry did not listen on 127.0.0.1:{port}");
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn push_then_pull_through_a_local_registry() {
    require_engine();
    let registry = Registry::start();
    let image = format!("127.0.0.1:{}/mlstest/app:1", registry.port);

    // Build and push with one project...
    let builder = TestProject::new(
        "push",
        &format!("services:\n  app:\n    build: .\n    image: {image}\n"),
    );
    builder.write(
        "Dockerfile",
        "FROM mls/busybox:local\nRUN echo pushed > /marker\nCMD [\"sleep\", \"300\"]\n",
    );
    builder.mls(&["build"]).ok();
    builder.mls(&["--progress", "plain", "push"]).ok();
    let tags = http_get(&registry.port.to_string(), "/v2/mlstest/app/tags/list");
    assert!(
        tags.contains("\"1\""),
        "registry does not list the pushed tag: {tags}"
    );
    let removed = Command::new("docker")
        .args(["rmi", &image])
        .output()
        .unwrap();
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );

    // ...and `up` in another project pulls the missing image before creating its container.
    let user = TestProject::new("pull", &format!("services:\n  app:\n    image: {image}\n"));
    let run = user.mls(&["--progress", "plain", "up", "-d"]).ok();
    assert!(run.stderr().contains("Pulled"), "{}", run.stderr());
    let c = inspect(&format!("{}-app-1", user.name));
    assert_eq!(c["State"]["Status"], "running");
    let marker = Command::new("docker")
        .args(["exec", &format!("{}-app-1", user.name), "cat", "/marker"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&marker.stdout), "pushed\n");

    // `pull` fetches it again; pull_policy: never refuses to pull a missing image.
    user.mls(&["pull"]).ok();
    let never = TestProject::new(
        "never",
        "services:\n  app:\n    image: 127.0.0.1:1/nothing/here:1\n    pull_policy: never\n",
    );
    let run = never.mls(&["up", "-d"]).fails_with(1);
    assert!(
        run.stderr().contains("pull_policy is never"),
        "{}",
        run.stderr()
    );
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
}
