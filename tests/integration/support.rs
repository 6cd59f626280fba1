//! The test DSL: a project folder in a temp dir, the real `mls` binary run inside it, and a
//! guard that tears the project down (containers, networks, volumes, built images) on drop.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

pub const MLS: &str = env!("CARGO_BIN_EXE_mls");

static COUNTER: AtomicU32 = AtomicU32::new(0);
static BASE: Once = Once::new();

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails (never skips) when the engine does not answer, then makes sure the local base images
/// exist (`stacks/base/build.sh`, quick when they do).
pub fn require_engine() {
    let info = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    match info {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "the Docker Engine is required for this test and did not answer: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("the docker CLI is required for this test: {e}"),
    }
    BASE.call_once(|| {
        let out = Command::new("sh")
            .arg(repo().join("stacks/base/build.sh"))
            .output()
            .expect("run stacks/base/build.sh");
        assert!(
            out.status.success(),
            "stacks/base/build.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// A unique project name per test, so tests can run in parallel and never touch other stacks.
pub fn unique_name(prefix: &str) -> String {
    format!(
        "mlst-{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

pub struct TestProject {
    pub dir: tempfile::TempDir,
    pub name: String,
    pub env: Vec<(String, String)>,
}

impl TestProject {
    /// A project from a compose.yaml text.
    pub fn new(prefix: &str, compose: &str) -> TestProject {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("compose.yaml"), compose).expect("write compose.yaml");
        TestProject {
            dir,
            name: unique_name(prefix),
            env: Vec::new(),
        }
    }

    /// A copy of a folder (a stack of `stacks/` or a conformance case).
    pub fn copy_of(prefix: &str, src: &Path) -> TestProject {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(src, dir.path());
        TestProject {
            dir,
            name: unique_name(prefix),
            env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    #[allow(dead_code)] // part of the builder DSL; no current test writes after creation
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Runs mls in the project folder with COMPOSE_PROJECT_NAME set to the unique name.
    pub fn mls(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().expect("run mls"))
    }

    /// The mls command `mls` runs, to adjust (folder, stdin) or spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(MLS);
        cmd.args(args)
            .current_dir(self.path())
            .env("COMPOSE_PROJECT_NAME", &self.name)
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROFILES")
            .env("NO_COLOR", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs mls with `input` on its stdin.
    #[allow(dead_code)] // part of the builder DSL
    pub fn mls_with_stdin(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn mls");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
        drop(stdin);
        Run(child.wait_with_output().expect("wait mls"))
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        let _ = self.mls(&[
            "--progress",
            "quiet",
            "down",
            "-v",
            "--rmi",
            "local",
            "-t",
            "0",
        ]);
        // Belt and braces: nothing labelled with this project may outlive the test.
        let label = format!("label=com.docker.compose.project={}", self.name);
        if let Ok(o) = Command::new("docker")
            .args(["ps", "-aq", "--filter", &label])
            .output()
        {
            for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                let _ = Command::new("docker").args(["rm", "-f", "-v", id]).output();
            }
        }
        for kind in ["network", "volume"] {
            if let Ok(o) = Command::new("docker")
                .args([kind, "ls", "-q", "--filter", &label])
                .output()
            {
                for id in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("docker").args([kind, "rm", id]).output();
                }
            }
        }
    }
}

/// The output of one mls run, with assertions that show both streams on failure.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code(),
            0,
            "mls failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn fails_with(self, code: i32) -> Run {
        assert_eq!(
            self.code(),
            code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// `docker inspect` of one object, as JSON.
pub fn inspect(id: &str) -> Value {
    let o = Command::new("docker")
        .args(["inspect", id])
        .output()
        .expect("docker inspect");
    assert!(
        o.status.success(),
        "docker inspect {id}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("inspect JSON");
    v[0].clone()
}

/// Lines of `docker <args>` stdout.
pub fn docker_lines(args: &[&str]) -> Vec<String> {
    let o = Command::new("docker").args(args).output().expect("docker");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// An engine RFC 3339 timestamp as (seconds part, nanoseconds), comparable across precisions.
pub fn timestamp(s: &str) -> (String, u32) {
    let s = s.trim_end_matches('Z');
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = frac.split(['+', '-']).next().unwrap_or("0");
    let nanos: u32 = format!("{frac:0<9}")[..9].parse().unwrap_or(0);
    (secs.to_string(), nanos)
}

/// A plain HTTP/1.0 GET on 127.0.0.1; the whole response, headers included.
pub fn http_get(port: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            copy_dir(&entry.path(), &to);
        } else if ft.is_symlink() {
            let target = std::fs::read_link(entry.path()).unwrap();
            std::os::unix::fs::symlink(target, &to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}
