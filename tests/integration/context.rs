//! Build contexts made by `mls::context::create` against the real engine: the conformance cases
//! say which files `COPY . /ctx/` must land in the image, and the classic builder decides.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Removes the test image however the test ends.
struct Image(String);

impl Drop for Image {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rmi", "-f", &self.0]).output();
    }
}

/// Builds `case` from the tar `mls` makes, lists `/ctx` in the image, compares with expected.txt.
fn check_case(case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/cases")
        .join(case);
    let ctx = mls::context::create(&dir, "Dockerfile").expect("context is created");
    let image = Image(format!("mls-test-context-{case}:{}", std::process::id()));

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
    let expected = std::fs::read_to_string(dir.join("expected.txt")).expect("expected.txt");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
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
