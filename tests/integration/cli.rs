//! The everyday verbs against the real engine, each checked against what Docker Compose v2.40.3
//! prints or does in the same situation (the expected texts were recorded from `docker compose`):
//! ps, -p without a compose file, one-off `run` containers and `down`, stdin of exec/run,
//! attached `up` (exits, failed dependencies, signals, --abort-on-container-exit), and the
//! container verbs stop/start/restart/kill/pause/unpause/rm/top/images/ls.

use crate::support::*;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A long-running service that stops at once on SIGTERM (init forwards it to sleep).
const SLEEPER: &str = "image: mls/busybox:local\n    command: sleep 300\n    init: true\n";

fn project(prefix: &str, compose: &str) -> TestProject {
    require_engine();
    TestProject::new(prefix, compose)
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn state(name: &str) -> (String, i64) {
    let c = inspect(name);
    (
        c["State"]["Status"].as_str().unwrap().to_string(),
        c["State"]["ExitCode"].as_i64().unwrap(),
    )
}

/// Waits (up to 30 s) until `cond` holds.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

#[test]
fn ps_prints_composes_json_table_and_templates() {
    let p = project(
        "ps",
        &format!(
            "services:\n  web:\n    {SLEEPER}    ports: [\"8000\"]\n    volumes: [data:/data, /anon, ./x:/x]\n  job:\n    image: mls/busybox:local\n    command: sh -c 'exit 3'\nvolumes:\n  data:\n"
        ),
    );
    // Nothing runs yet: `--services` prints one empty line, like Compose.
    assert_eq!(p.mls(&["ps", "--services"]).ok().stdout(), "\n");
    p.mls(&["up", "-d"]).ok();
    eventually("job exited", || {
        state(&format!("{}-job-1", p.name)).0 == "exited"
    });

    // JSON: Compose's keys in Compose's order, and its value formats.
    let raw = p.mls(&["ps", "--format", "json"]).ok().stdout();
    assert!(raw.contains("-\\u003e8000/tcp"), "Go escapes '>': {raw}");
    let rows = json_lines(&raw);
    assert_eq!(rows.len(), 1, "only running containers without -a: {raw}");
    let web = &rows[0];
    let keys: Vec<&str> = web
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "Command",
            "CreatedAt",
            "ExitCode",
            "Health",
            "ID",
            "Image",
            "Labels",
            "LocalVolumes",
            "Mounts",
            "Name",
            "Names",
            "Networks",
            "Ports",
            "Project",
            "Publishers",
            "RunningFor",
            "Service",
            "Size",
            "State",
            "Status"
        ]
    );
    let created = web["CreatedAt"].as_str().unwrap();
    let re = regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$").unwrap();
    assert!(re.is_match(created), "{created}");
    assert_eq!(web["ID"].as_str().unwrap().len(), 12);
    assert_eq!(web["Command"], "\"sleep 300\"");
    assert_eq!(web["LocalVolumes"], "2");
    assert_eq!(web["Size"], "0B");
    assert_eq!(web["Name"], format!("{}-web-1", p.name));
    // Mount names are cut to 15 characters like Compose's, unless --no-trunc.
    let mounts = web["Mounts"].as_str().unwrap();
    assert!(
        mounts.split(',').count() == 3 && mounts.split(',').all(|m| m.chars().count() <= 15),
        "{mounts}"
    );
    let full = p
        .mls(&["ps", "--no-trunc", "--format", "json"])
        .ok()
        .stdout();
    let full = json_lines(&full)[0]["Mounts"].as_str().unwrap().to_string();
    assert!(
        full.split(',').any(|m| m == format!("{}_data", p.name)),
        "{full}"
    );
    let ports = web["Ports"].as_str().unwrap();
    assert!(
        ports.starts_with("0.0.0.0:") && ports.contains("->8000/tcp"),
        "{ports}"
    );
    if ports.contains(", ") {
        assert!(ports.contains("[::]:"), "IPv6 hosts in brackets: {ports}");
    }
    assert!(web["RunningFor"].as_str().unwrap().ends_with(" ago"));

    // The table: Compose's columns, tabwriter padding, Go's duration words.
    let table = p.mls(&["ps"]).ok().stdout();
    let header = table.lines().next().unwrap();
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        cols,
        ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    );
    assert!(header.starts_with(&format!(
        "NAME{}IMAGE",
        " ".repeat(p.name.len() + 6 + 3 - 4)
    )));
    let row = table.lines().nth(1).unwrap();
    assert!(
        row.contains("seconds ago")
            || row.contains("Less than a second ago")
            || row.contains("1 second ago"),
        "{row}"
    );

    // --services lists services with running containers; -a adds the exited one.
    assert_eq!(p.mls(&["ps", "--services"]).ok().stdout(), "web\n");
    assert_eq!(
        p.mls(&["ps", "-a", "--services"]).ok().stdout(),
        "job\nweb\n"
    );
    // --status, --filter, templates, --no-trunc, -q.
    let exited = p
        .mls(&[
            "ps",
            "--status",
            "exited",
            "--format",
            "{{.Name}} {{.ExitCode}} {{.State}}",
        ])
        .ok()
        .stdout();
    assert_eq!(exited, format!("{}-job-1 3 exited\n", p.name));
    let ids = p
        .mls(&["ps", "-q", "--filter", "status=running"])
        .ok()
        .stdout();
    assert_eq!(ids.trim().len(), 64, "-q prints full ids: {ids}");
    let full = p
        .mls(&["ps", "--no-trunc", "--format", "{{.ID}}|{{.Command}}"])
        .ok()
        .stdout();
    assert_eq!(full.trim(), format!("{}|\"sleep 300\"", ids.trim()));
    let custom = p
        .mls(&["ps", "-a", "--format", "table {{.Service}}\\t{{.Status}}"])
        .ok()
        .stdout();
    assert!(
        custom.starts_with("SERVICE   STATUS\njob       Exited (3)"),
        "{custom}"
    );
    let one = p.mls(&[
        "ps",
        "--format",
        "{{json .Name}} {{.Label \"com.docker.compose.service\"}}",
    ]);
    assert_eq!(one.ok().stdout(), format!("\"{}-web-1\" web\n", p.name));
    let bad = p.mls(&["ps", "--format", "{{.Bogus}}"]).fails_with(2);
    assert!(bad.stderr().contains("Bogus"), "{}", bad.stderr());
    p.mls(&["ps", "--filter", "name=x"]).fails_with(2);
}

#[test]
fn project_name_alone_reaches_the_project_from_any_folder() {
    let p = project(
        "byname",
        &format!("services:\n  web:\n    {SLEEPER}  hello:\n    image: mls/busybox:local\n    command: echo hello from logs\n"),
    );
    p.mls(&["up", "-d"]).ok();
    let elsewhere = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["-p", p.name.as_str()];
        all.extend_from_slice(args);
        let mut cmd = p.command(&all);
        cmd.current_dir(elsewhere.path())
            .env_remove("COMPOSE_PROJECT_NAME");
        Run(cmd.output().unwrap())
    };
    let ps = run(&["ps", "-a", "--format", "{{.Service}}"]).ok().stdout();
    assert_eq!(ps, "hello\nweb\n");
    eventually("hello ran", || {
        run(&["logs", "hello"])
            .ok()
            .stdout()
            .contains("hello from logs")
    });
    run(&["stop", "web"]).ok();
    assert_eq!(state(&format!("{}-web-1", p.name)).0, "exited");
    let down = run(&["--progress", "plain", "down"]).ok();
    assert!(
        down.stderr()
            .contains(&format!("Network {}_default  Removed", p.name)),
        "{}",
        down.stderr()
    );
    let label = format!("label=com.docker.compose.project={}", p.name);
    assert!(docker_lines(&["ps", "-aq", "--filter", &label]).is_empty());
    assert!(docker_lines(&["network", "ls", "-q", "--filter", &label]).is_empty());
}

#[test]
fn oneoff_run_containers_are_labelled_like_composes_and_kept_by_down() {
    let p = project("oneoff", &format!("services:\n  api:\n    {SLEEPER}"));
    let id = p.mls(&["run", "-d", "api", "sleep", "100"]).ok().stdout();
    let c = inspect(id.trim());
    let name = c["Name"]
        .as_str()
        .unwrap()
        .trim_start_matches('/')
        .to_string();
    let labels = &c["Config"]["Labels"];
    let slug = labels["com.docker.compose.slug"].as_str().unwrap();
    assert_eq!(slug.len(), 64);
    assert_eq!(name, format!("{}-api-run-{}", p.name, &slug[..12]));
    assert_eq!(labels["com.docker.compose.oneoff"], "True");
    assert!(
        labels.get("com.docker.compose.container-number").is_none(),
        "{labels}"
    );
    assert_eq!(c["Config"]["OpenStdin"], true);
    // Resolving the service must not reach the one-off.
    let net = format!("{}_default", p.name);
    let aliases = &c["NetworkSettings"]["Networks"][&net]["Aliases"];
    assert!(
        !aliases.as_array().unwrap().iter().any(|a| a == "api"),
        "{aliases}"
    );

    // `down` keeps it (and so the network it uses), `down --remove-orphans` removes it.
    p.mls(&["up", "-d"]).ok();
    let down = p.mls(&["--progress", "plain", "down", "-t", "0"]).ok();
    let err = down.stderr();
    for line in [
        format!("Container {}-api-1  Stopping", p.name),
        format!("Container {}-api-1  Stopped", p.name),
        format!("Container {}-api-1  Removed", p.name),
        format!("Network {net}  Resource is still in use"),
    ] {
        assert!(err.contains(&line), "missing {line:?} in\n{err}");
    }
    assert_eq!(state(&name).0, "running");
    let down = p
        .mls(&["--progress", "plain", "down", "--remove-orphans", "-t", "0"])
        .ok();
    assert!(
        down.stderr().contains(&format!("Network {net}  Removed")),
        "{}",
        down.stderr()
    );
    let label = format!("label=com.docker.compose.project={}", p.name);
    assert!(docker_lines(&["ps", "-aq", "--filter", &label]).is_empty());
}

#[test]
fn exec_and_run_pass_stdin_and_exit_codes() {
    let p = project("stdin", &format!("services:\n  s:\n    {SLEEPER}"));
    p.mls(&["up", "-d"]).ok();
    let out = p
        .mls_with_stdin(&["exec", "-T", "s", "cat"], "hello\n")
        .ok();
    assert_eq!(out.stdout(), "hello\n");
    let out = p
        .mls_with_stdin(&["run", "--rm", "-T", "s", "cat"], "hello\n")
        .ok();
    assert_eq!(out.stdout(), "hello\n");
    p.mls(&["exec", "s", "sh", "-c", "exit 7"]).fails_with(7);
    p.mls(&["run", "--rm", "s", "sh", "-c", "exit 9"])
        .fails_with(9);
    let missing = p.mls(&["exec", "--index", "2", "s", "true"]).fails_with(1);
    assert!(
        missing
            .stderr()
            .contains("service \"s\" is not running container #2"),
        "{}",
        missing.stderr()
    );
    // With a terminal (script gives mls a pseudo-tty): keys reach the shell, its exit code ours.
    for verb in ["run --rm", "exec"] {
        let line = format!("{MLS} {verb} s sh; echo rc=$?");
        let shell = format!("(sleep 2; printf 'echo hi-$((40+2))\\nexit 5\\n'; sleep 3) | script -qec '{line}' /dev/null");
        let o = Command::new("sh")
            .args(["-c", &shell])
            .current_dir(p.path())
            .env("COMPOSE_PROJECT_NAME", &p.name)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("hi-42") && text.contains("rc=5"),
            "{verb}: {text}"
        );
    }
    let label = "label=com.docker.compose.oneoff=True";
    let project_label = format!("label=com.docker.compose.project={}", p.name);
    assert!(docker_lines(&["ps", "-aq", "--filter", label, "--filter", &project_label]).is_empty());
}

#[test]
fn attached_up_shows_a_failed_dependencys_output_and_exit() {
    let p = project(
        "attach",
        "services:\n  migrate:\n    image: mls/busybox:local\n    command: sh -c 'echo migrating; exit 3'\n  s:\n    image: mls/busybox:local\n    command: sleep 300\n    depends_on:\n      migrate: {condition: service_completed_successfully}\n",
    );
    let run = p.mls(&["up"]).fails_with(1);
    let out = run.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "Attaching to migrate-1, s-1", "{out}");
    assert!(lines.contains(&"migrate-1  | migrating"), "{out}");
    assert!(lines.contains(&"migrate-1 exited with code 3"), "{out}");
    assert!(
        run.stderr()
            .contains("service \"migrate\" didn't complete successfully: exit 3"),
        "{}",
        run.stderr()
    );
}

#[test]
fn abort_on_container_exit_stops_the_stack_and_passes_codes() {
    let p = project(
        "abort",
        &format!("services:\n  a:\n    image: mls/busybox:local\n    command: sh -c 'echo a-out; sleep 1; exit 3'\n  s:\n    {SLEEPER}"),
    );
    let run = p.mls(&["up", "--abort-on-container-exit"]).fails_with(3);
    let out = run.stdout();
    for line in [
        "Attaching to a-1, s-1",
        "a-1  | a-out",
        "a-1 exited with code 3",
        "s-1 exited with code 143",
    ] {
        assert!(out.lines().any(|l| l == line), "missing {line:?} in\n{out}");
    }
    assert!(
        run.stderr().contains("Aborting on container exit..."),
        "{}",
        run.stderr()
    );
    assert_eq!(
        state(&format!("{}-s-1", p.name)),
        ("exited".to_string(), 143)
    );
    // --exit-code-from passes that service's code (s was stopped: 143).
    p.mls(&["up", "--exit-code-from", "s"]).fails_with(143);
    p.mls(&["up", "--exit-code-from", "a"]).fails_with(3);
    p.mls(&["up", "-d", "--abort-on-container-exit"])
        .fails_with(2);
    p.mls(&["up", "--exit-code-from", "nope"]).fails_with(2);
}

#[test]
fn sigterm_stops_an_attached_up_and_a_second_signal_kills() {
    let p = project(
        "sigterm",
        "services:\n  stubborn:\n    image: mls/busybox:local\n    command: sh -c 'trap \"\" TERM; echo ready; while true; do sleep 1; done'\n  polite:\n    image: mls/busybox:local\n    command: sleep 300\n    init: true\n",
    );
    let name = |s: &str| format!("{}-{s}-1", p.name);
    let up = || {
        let child = p
            .command(&["up"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        eventually("both running", || {
            docker_lines(&[
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.compose.project={}", p.name),
            ])
            .len()
                == 2
        });
        std::thread::sleep(Duration::from_millis(500));
        child
    };
    // One SIGTERM: a graceful stop (polite exits at once; stubborn after -t).
    let child = up();
    signal(child.id(), "TERM");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(state(&name("polite")), ("exited".to_string(), 143));
    // A second one kills what still runs, like Compose's force path.
    signal(child.id(), "TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("Gracefully Stopping... press Ctrl+C again to force"),
        "{out}"
    );
    assert_eq!(state(&name("stubborn")), ("exited".to_string(), 137));
}

#[test]
fn container_verbs_act_like_composes() {
    let p = project(
        "verbs",
        &format!("services:\n  a:\n    {SLEEPER}  s:\n    {SLEEPER}    depends_on: [a]\n"),
    );
    let name = |s: &str| format!("{}-{s}-1", p.name);
    p.mls(&["up", "-d"]).ok();
    let plain = |args: &[&str]| {
        let mut all = vec!["--progress", "plain"];
        all.extend_from_slice(args);
        p.mls(&all).ok().stderr()
    };
    // stop SERVICE leaves its dependents running; start SERVICE starts its dependencies.
    let err = plain(&["stop", "a"]);
    assert_eq!(
        err,
        format!(
            " Container {0}  Stopping\n Container {0}  Stopped\n",
            name("a")
        )
    );
    assert_eq!(state(&name("s")).0, "running");
    let err = plain(&["start", "s"]);
    assert_eq!(
        err,
        format!(
            " Container {0}  Starting\n Container {0}  Started\n",
            name("a")
        )
    );
    let err = plain(&["restart", "s"]);
    assert_eq!(
        err,
        format!(
            " Container {0}  Restarting\n Container {0}  Started\n",
            name("s")
        )
    );
    let err = plain(&["pause", "a"]);
    assert_eq!(err, format!(" Container {}  Paused\n", name("a")));
    assert_eq!(state(&name("a")).0, "paused");
    plain(&["unpause"]);
    assert_eq!(state(&name("a")).0, "running");
    let err = plain(&["kill", "-s", "SIGTERM", "s"]);
    assert_eq!(
        err,
        format!(
            " Container {0}  Killing\n Container {0}  Killed\n",
            name("s")
        )
    );
    eventually("s exited", || {
        state(&name("s")) == ("exited".to_string(), 143)
    });

    // top: one table for all containers, SERVICE and # first, CMD last.
    let top = p.mls(&["top"]).ok().stdout();
    let header: Vec<&str> = top.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(&header[..3], ["SERVICE", "#", "UID"], "{top}");
    assert_eq!(header.last(), Some(&"CMD"));
    assert!(
        top.lines()
            .any(|l| l.starts_with("a ") && l.ends_with("sleep 300")),
        "{top}"
    );

    // images: per container, columns 20 wide.
    let images = p.mls(&["images"]).ok().stdout();
    let mut lines = images.lines();
    let header = lines.next().unwrap();
    let width = (name("a").len() + 3).max(20);
    assert_eq!(
        header,
        format!(
            "{:width$}REPOSITORY          TAG                 PLATFORM            IMAGE ID            SIZE                CREATED",
            "CONTAINER"
        )
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        &row[..4],
        [name("a").as_str(), "mls/busybox", "local", "linux/amd64"]
    );
    let json = p.mls(&["images", "--format", "json"]).ok().stdout();
    let list: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(list[0]["Repository"], "mls/busybox");
    assert!(list[0]["ID"].as_str().unwrap().starts_with("sha256:"));

    // ls: projects from labels.
    let ls = p
        .mls(&["ls", "--filter", &format!("name={}", p.name)])
        .ok()
        .stdout();
    let row = ls.lines().nth(1).unwrap_or_default().to_string();
    assert!(
        row.starts_with(&p.name) && row.contains("running(1)"),
        "{ls}"
    );
    let all = p.mls(&[
        "ls",
        "-a",
        "--format",
        "json",
        "--filter",
        &format!("name={}", p.name),
    ]);
    let list: Value = serde_json::from_str(all.ok().stdout().trim()).unwrap();
    assert_eq!(list[0]["Status"], "exited(1), running(1)");

    // rm: stopped containers only, after saying which; -s stops first.
    let rm = p.mls(&["--progress", "plain", "rm", "-f"]).ok();
    assert_eq!(rm.stdout(), format!("Going to remove {}\n", name("s")));
    assert!(rm
        .stderr()
        .contains(&format!("Container {}  Removed", name("s"))));
    let none = p.mls(&["rm", "-f"]).ok();
    assert!(
        none.stderr().contains("No stopped containers"),
        "{}",
        none.stderr()
    );
    let asked = p.mls_with_stdin(&["rm", "-s"], "n\n").ok();
    assert_eq!(asked.stdout(), format!("Going to remove {}\n", name("a")));
    assert_eq!(
        state(&name("a")).0,
        "exited",
        "rm -s stopped it but kept it (answer n)"
    );
    p.mls(&["rm", "-f", "-v"]).ok();
    let label = format!("label=com.docker.compose.project={}", p.name);
    assert!(docker_lines(&["ps", "-aq", "--filter", &label]).is_empty());
}

#[test]
fn logs_since_and_until_bound_the_output() {
    let p = project(
        "since",
        "services:\n  talk:\n    image: mls/busybox:local\n    command: sh -c 'echo first; echo second'\n",
    );
    p.mls(&["up", "-d"]).ok();
    eventually("talk exited", || {
        state(&format!("{}-talk-1", p.name)).0 == "exited"
    });
    let all = p
        .mls(&["logs", "--since", "1h", "--no-log-prefix"])
        .ok()
        .stdout();
    assert_eq!(all, "first\nsecond\n");
    let none = p.mls(&["logs", "--until", "1h"]).ok().stdout();
    assert_eq!(none, "");
    let none = p
        .mls(&["logs", "--since", "2099-01-01T00:00:00Z"])
        .ok()
        .stdout();
    assert_eq!(none, "");
    p.mls(&["logs", "--since", "yesterday"]).fails_with(2);
}

#[test]
fn progress_says_recreate_and_build_skips_twins() {
    let p = project(
        "words",
        "services:\n  one:\n    build: .\n  two:\n    build: .\n",
    );
    p.write(
        "Dockerfile",
        "FROM mls/busybox:local\nCMD [\"sleep\", \"300\"]\n",
    );
    let build = p.mls(&["--progress", "plain", "build"]).ok();
    assert!(!build.stderr().contains("Up to date"), "{}", build.stderr());
    p.mls(&["up", "-d"]).ok();
    p.write(
        "compose.yaml",
        "services:\n  one:\n    build: .\n    environment: [V=2]\n  two:\n    build: .\n",
    );
    let up = p.mls(&["--progress", "plain", "up", "-d"]).ok();
    let err = up.stderr();
    let one = format!("Container {}-one-1", p.name);
    assert!(err.contains(&format!("{one}  Recreate\n")), "{err}");
    assert!(err.contains(&format!("{one}  Recreated\n")), "{err}");
    assert!(!err.contains("Recreating"), "{err}");
}
