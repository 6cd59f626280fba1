//! Build contexts made by `mls::context::create` against the real engine: the conformance cases
//! say which files `COPY . /ctx/` must land in the image, and the classic builder decides.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const LISTER: &str = "FROM conformance/busybox:local\nCOPY . /ctx/\n";

/// Removes the test image however the test ends.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// Builds `dir` from the tar `mls` makes and returns `find . | sort` run in the image's `/ctx`.
fn copied_files(dir: &Path, dockerfile: &str, tag: &str) -> String {
    crate::support::require_engine();
    let ctx = mls::context::create(dir, dockerfile).expect("context is created");
    let image = Image(format!("mls-test-context-{tag}:{}", std::process::id()));

    let mut build = Command::new("docker")
        .args(["build", "-q", "-t", &image.0, "-f", &ctx.dockerfile, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker CLI runs");
    build
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(&ctx.tar)
        .expect("context is sent");
    let built = build.wait_with_output().expect("docker build finishes");
    assert!(
        built.status.success(),
        "docker build failed (is the engine up, and conformance/busybox:local built?): {}",
        String::from_utf8_lossy(&built.stderr)
    );

    let listed = Command::new("docker")
        .args([
            "run",
            "--rm",
            &image.0,
            "sh",
            "-c",
            "cd /ctx && find . | sort",
        ])
        .output()
        .expect("docker run runs");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    String::from_utf8_lossy(&listed.stdout).into_owned()
}

fn check_case(case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/cases")
        .join(case);
    let expected = std::fs::read_to_string(dir.join("expected.txt")).expect("expected.txt");
    assert_eq!(
        copied_files(&dir, "Dockerfile", case),
        expected,
        "case {case}"
    );
}

#[test]
fn dockerignore_anchoring() {
    check_case("dockerignore-anchoring");
}

#[test]
fn dockerignore_lists_dockerfile() {
    check_case("dockerignore-lists-dockerfile");
}

/// A per-Dockerfile ignore file that excludes the Dockerfile's own folder: the Dockerfile is
/// still sent, and the daemon still leaves it out of `COPY .`. The classic builder keeps the
/// emptied `docker/` folder, exactly as it does for `docker build` with a root `.dockerignore`.
#[test]
fn dockerfile_specific_ignore_file_hides_the_dockerfile() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("docker")).expect("mkdir");
    std::fs::write(dir.path().join("docker/app.Dockerfile"), LISTER).expect("write");
    std::fs::write(
        dir.path().join("docker/app.Dockerfile.dockerignore"),
        "docker\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("main.sh"), "echo hi\n").expect("write");
    assert_eq!(
        copied_files(dir.path(), "docker/app.Dockerfile", "specific-ignore"),
        ".\n./docker\n./main.sh\n"
    );
}

/// A Dockerfile outside the context is sent under a generated name that `COPY .` leaves out.
#[test]
fn dockerfile_outside_the_context_is_not_copied() {
    let root = tempfile::tempdir().expect("temp dir");
    std::fs::write(root.path().join("Dockerfile"), LISTER).expect("write");
    std::fs::create_dir(root.path().join("ctx")).expect("mkdir");
    std::fs::write(root.path().join("ctx/a.txt"), "a\n").expect("write");
    assert_eq!(
        copied_files(&root.path().join("ctx"), "../Dockerfile", "outside"),
        ".\n./a.txt\n"
    );
}

/// What `docker build` itself copies for the same folder, as `find . | sort` in `/ctx`.
fn copied_by_docker_cli(dir: &Path, dockerfile: &str, tag: &str) -> String {
    let image = Image(format!("mls-test-context-cli-{tag}:{}", std::process::id()));
    let built = Command::new("docker")
        .args(["build", "-q", "-t", &image.0, "-f"])
        .arg(dir.join(dockerfile))
        .arg(dir)
        .output()
        .expect("docker CLI runs");
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let listed = Command::new("docker")
        .args([
            "run",
            "--rm",
            &image.0,
            "sh",
            "-c",
            "cd /ctx && find . | sort",
        ])
        .output()
        .expect("docker run runs");
    String::from_utf8_lossy(&listed.stdout).into_owned()
}

/// Same folder, same Dockerfile: our tar and the docker CLI's must land the same files.
#[test]
fn same_files_as_docker_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        ("docker/app.Dockerfile", LISTER),
        ("docker/notes.txt", "x"),
        (
            ".dockerignore",
            "docker\n**/*.tmp\nlogs/*\n!logs/keep.log\n",
        ),
        ("main.sh", "echo hi\n"),
        ("a/b/c.tmp", "x"),
        ("a/b/c.txt", "x"),
        ("logs/keep.log", "x"),
        ("logs/drop.log", "x"),
    ];
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, content).expect("write");
    }
    let ours = copied_files(dir.path(), "docker/app.Dockerfile", "parity");
    let theirs = copied_by_docker_cli(dir.path(), "docker/app.Dockerfile", "parity");
    assert_eq!(ours, theirs);
    assert!(ours.contains("./logs/keep.log\n"), "{ours}");
}
