//! What the compose file says reaches the engine: each test runs `mls up` on a project and
//! `docker inspect`s what the containers, networks and volumes became.

use crate::support::{docker_lines, inspect, require_engine, TestProject};
use serde_json::Value;
use std::process::Command;

/// `docker exec <container> sh -c <script>`, stdout trimmed; panics with stderr on failure.
fn exec(container: &str, script: &str) -> String {
    let o = Command::new("docker")
        .args(["exec", container, "sh", "-c", script])
        .output()
        .expect("docker exec");
    assert!(
        o.status.success(),
        "docker exec {container} {script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Names of the project's containers, sorted.
fn containers(p: &TestProject) -> Vec<String> {
    let label = format!("label=com.docker.compose.project={}", p.name);
    let mut names = docker_lines(&["ps", "-a", "--filter", &label, "--format", "{{.Names}}"]);
    names.sort();
    names
}

#[test]
fn service_fields_reach_the_container() {
    require_engine();
    let p = TestProject::new(
        "spec",
        r#"
services:
  b:
    image: mls/busybox:local
    command: ["sleep", "300"]
    init: true
    mem_limit: 48m
    memswap_limit: 96m
    mem_reservation: 16m
    cpus: 0.25
    cpu_shares: 512
    pids_limit: 50
    security_opt: ["no-new-privileges:true"]
    pid: host
    domainname: example.org
    group_add: ["100"]
    oom_score_adj: 100
    mac_address: "02:42:ac:11:00:99"
    shm_size: 32m
    ulimits:
      nofile: {soft: 1024, hard: 2048}
    sysctls:
      net.core.somaxconn: 1024
    dns_search: [example.org]
    dns_opt: ["ndots:2"]
    logging:
      driver: json-file
      options: {max-size: 1m}
    devices: ["/dev/null:/dev/xnull:rw"]
    tmpfs: [/scratch]
    stop_signal: SIGINT
    labels: {my.label: "yes"}
    secrets:
      - s
      - source: s
        target: /etc/s-copy
      - source: token
        target: tok
        uid: "103"
        gid: "104"
        mode: 0440
    configs:
      - c
      - source: inline
        target: /etc/inline.conf
    networks:
      back:
        aliases: [bee]
  c:
    image: mls/busybox:local
    command: ["sleep", "300"]
    init: true
    network_mode: "service:b"
    volumes_from: ["b:ro"]
    ipc: shareable
  r:
    image: mls/busybox:local
    command: ["sleep", "300"]
    init: true
    deploy:
      replicas: 3
      resources:
        limits: {memory: 64m, pids: 40}
      restart_policy: {condition: on-failure, max_attempts: 2}
secrets:
  s: {file: ./secret.txt}
  token: {environment: MLS_TEST_TOKEN}
configs:
  c: {file: ./secret.txt}
  inline: {content: "port=$${PORT}"}
networks:
  back:
    internal: true
    attachable: true
    labels: {net.label: "x"}
    ipam:
      config: [{subnet: 172.29.213.0/24}]
"#,
    );
    p.write("secret.txt", "s3cret\n");
    let mut p = p;
    p.env.push(("MLS_TEST_TOKEN".into(), "t0k".into()));
    p.mls(&["up", "-d"]).ok();

    let b = inspect(&format!("{}-b-1", p.name));
    let host = &b["HostConfig"];
    assert_eq!(host["Memory"], 48 << 20);
    assert_eq!(host["MemorySwap"], 96 << 20);
    assert_eq!(host["MemoryReservation"], 16 << 20);
    assert_eq!(host["NanoCpus"], 250_000_000);
    assert_eq!(host["CpuShares"], 512);
    assert_eq!(host["PidsLimit"], 50);
    assert_eq!(host["PidMode"], "host");
    assert_eq!(host["GroupAdd"], serde_json::json!(["100"]));
    assert_eq!(host["OomScoreAdj"], 100);
    assert_eq!(host["ShmSize"], 32 << 20);
    assert_eq!(
        host["Ulimits"],
        serde_json::json!([{"Name": "nofile", "Soft": 1024, "Hard": 2048}])
    );
    assert_eq!(host["Sysctls"]["net.core.somaxconn"], "1024");
    assert_eq!(host["DnsSearch"], serde_json::json!(["example.org"]));
    assert_eq!(host["DnsOptions"], serde_json::json!(["ndots:2"]));
    assert_eq!(host["LogConfig"]["Type"], "json-file");
    assert_eq!(host["LogConfig"]["Config"]["max-size"], "1m");
    assert_eq!(host["Devices"][0]["PathInContainer"], "/dev/xnull");
    assert!(host["SecurityOpt"]
        .as_array()
        .unwrap()
        .contains(&Value::from("no-new-privileges:true")));
    assert_eq!(b["Config"]["Domainname"], "example.org");
    assert_eq!(b["Config"]["MacAddress"], "02:42:ac:11:00:99");
    assert_eq!(b["Config"]["StopSignal"], "SIGINT");
    assert_eq!(b["Config"]["Labels"]["my.label"], "yes");
    let back = format!("{}_back", p.name);
    let endpoint = &b["NetworkSettings"]["Networks"][back.as_str()];
    assert_eq!(endpoint["MacAddress"], "02:42:ac:11:00:99");
    let aliases = endpoint["Aliases"].as_array().unwrap();
    for alias in [format!("{}-b-1", p.name), "b".into(), "bee".into()] {
        assert!(
            aliases.contains(&Value::from(alias.as_str())),
            "{aliases:?}"
        );
    }

    // Secrets and configs: files bind-mounted read-only, content written with its owner and mode.
    let b_name = format!("{}-b-1", p.name);
    assert_eq!(
        exec(&b_name, "cat /run/secrets/s /etc/s-copy /c"),
        "s3cret\ns3cret\ns3cret"
    );
    assert_eq!(exec(&b_name, "cat /run/secrets/tok"), "t0k");
    assert_eq!(
        exec(&b_name, "stat -c '%a %u %g' /run/secrets/tok"),
        "440 103 104"
    );
    assert_eq!(exec(&b_name, "cat /etc/inline.conf"), "port=${PORT}");
    assert_eq!(exec(&b_name, "stat -c '%a' /etc/inline.conf"), "444");
    assert!(exec(&b_name, "touch /run/secrets/s 2>&1 || echo refused").contains("refused"));
    assert_eq!(exec(&b_name, "test -c /dev/xnull && echo dev"), "dev");

    // The network: internal, attachable, labelled and with its subnet.
    let net = inspect(&back);
    assert_eq!(net["Internal"], true);
    assert_eq!(net["Attachable"], true);
    assert_eq!(net["Labels"]["net.label"], "x");
    assert_eq!(net["Labels"]["com.docker.compose.network"], "back");
    assert_eq!(net["IPAM"]["Config"][0]["Subnet"], "172.29.213.0/24");

    // c shares b's network namespace and mounts its volumes read-only.
    let c = inspect(&format!("{}-c-1", p.name));
    let b_id = b["Id"].as_str().unwrap();
    assert_eq!(c["HostConfig"]["NetworkMode"], format!("container:{b_id}"));
    assert_eq!(
        c["HostConfig"]["VolumesFrom"],
        serde_json::json!([format!("{b_id}:ro")])
    );
    assert_eq!(c["HostConfig"]["IpcMode"], "shareable");
    assert_eq!(
        exec(
            &format!("{}-c-1", p.name),
            "cat /proc/sys/net/core/somaxconn"
        ),
        "1024",
        "c sees b's network namespace"
    );

    // r runs three replicas, each with the deploy limits and restart policy.
    let r: Vec<String> = (1..=3).map(|n| format!("{}-r-{n}", p.name)).collect();
    for name in &r {
        let host = inspect(name)["HostConfig"].clone();
        assert_eq!(host["Memory"], 64 << 20, "{name}");
        assert_eq!(host["PidsLimit"], 40, "{name}");
        assert_eq!(host["RestartPolicy"]["Name"], "on-failure");
        assert_eq!(host["RestartPolicy"]["MaximumRetryCount"], 2);
    }
    let all = containers(&p);
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(r.iter().all(|n| all.contains(n)), "{all:?}");

    // Scale down and up again, as Compose does.
    p.mls(&["up", "-d", "--scale", "r=1"]).ok();
    assert!(containers(&p)
        .iter()
        .filter(|n| n.contains("-r-"))
        .eq([&r[0]]));
    p.mls(&["up", "-d"]).ok();
    assert_eq!(
        containers(&p).iter().filter(|n| n.contains("-r-")).count(),
        3
    );
}

#[test]
fn anonymous_volumes_survive_recreation_and_down_v_removes_them() {
    require_engine();
    let mut p = TestProject::new(
        "anon",
        r#"
services:
  db:
    build: .
    init: true
    environment: {V: "${V:-1}"}
    volumes:
      - /anon
      - keep:/keep
volumes:
  keep:
"#,
    );
    p.write(
        "Dockerfile",
        "FROM mls/busybox:local\nVOLUME /data\nCMD [\"sleep\", \"300\"]\n",
    );
    p.mls(&["up", "-d"]).ok();
    let name = format!("{}-db-1", p.name);
    exec(&name, "echo precious > /data/f && echo kept > /anon/g");
    let volumes = |name: &str| -> Vec<String> {
        let c = inspect(name);
        let mut v: Vec<String> = c["Mounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["Type"] == "volume")
            .map(|m| m["Name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let before = volumes(&name);
    assert_eq!(before.len(), 3, "{before:?}");

    p.env.push(("V".into(), "2".into()));
    let up = p.mls(&["up", "-d"]).ok();
    assert!(up.stderr().contains("Recreat"), "{}", up.stderr());
    assert_eq!(exec(&name, "cat /data/f /anon/g"), "precious\nkept");
    p.mls(&["up", "-d", "--force-recreate"]).ok();
    assert_eq!(exec(&name, "cat /data/f /anon/g"), "precious\nkept");
    assert_eq!(volumes(&name), before);
    assert_eq!(
        inspect(&name)["Config"]["Labels"]["com.docker.compose.replace"],
        "db-1"
    );

    p.mls(&["down", "-v", "-t", "0"]).ok();
    for v in &before {
        let gone = !Command::new("docker")
            .args(["volume", "inspect", v])
            .output()
            .unwrap()
            .status
            .success();
        assert!(gone, "volume {v} outlived down -v");
    }
}

/// Removes a network or volume created by the test itself outside of mls.
struct Foreign(&'static str, String);

impl Drop for Foreign {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args([self.0, "rm", &self.1])
            .output();
    }
}

#[test]
fn existing_volumes_are_warned_about_and_networks_refused_like_compose() {
    require_engine();
    let p = TestProject::new(
        "foreign",
        r#"
services:
  a:
    image: mls/busybox:local
    command: ["sleep", "300"]
    init: true
    volumes: ["data:/data"]
    networks: [back]
networks:
  back: {}
volumes:
  data: {}
"#,
    );
    let network = Foreign("network", format!("{}_back", p.name));
    let volume = Foreign("volume", format!("{}_data", p.name));
    assert!(Command::new("docker")
        .args(["network", "create", &network.1])
        .output()
        .unwrap()
        .status
        .success());
    assert!(Command::new("docker")
        .args(["volume", "create", &volume.1])
        .output()
        .unwrap()
        .status
        .success());

    let refused = p.mls(&["up", "-d"]).fails_with(1);
    let err = refused.stderr();
    assert!(
        err.contains(&format!(
            "a network with name {} exists but was not created by compose.\nSet `external: true` to use an existing network",
            network.1
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "network {} was found but has incorrect label com.docker.compose.network set to \"\" (expected: \"back\")",
            network.1
        )),
        "{err}"
    );
    assert!(containers(&p).is_empty());

    let _ = Command::new("docker")
        .args(["network", "rm", &network.1])
        .output();
    let up = p.mls(&["up", "-d"]).ok();
    assert!(
        up.stderr().contains(&format!(
            "volume \"{}\" already exists but was not created by Docker Compose. Use `external: true` to use an existing volume",
            volume.1
        )),
        "{}",
        up.stderr()
    );
    assert!(!up
        .stderr()
        .contains(&format!("Volume {}  Created", volume.1)));
    // down -v never removes a volume the project did not create.
    p.mls(&["down", "-v", "-t", "0"]).ok();
    assert!(Command::new("docker")
        .args(["volume", "inspect", &volume.1])
        .output()
        .unwrap()
        .status
        .success());
}

#[test]
fn start_interval_is_refused_on_engines_before_v25() {
    require_engine();
    let p = TestProject::new(
        "interval",
        r#"
services:
  a:
    image: mls/busybox:local
    command: ["sleep", "300"]
    healthcheck:
      test: ["CMD", "true"]
      start_period: 5s
      start_interval: 1s
"#,
    );
    let api = docker_lines(&["version", "--format", "{{.Server.APIVersion}}"]);
    let minor: u32 = api[0].split('.').nth(1).unwrap().parse().unwrap();
    if minor >= 44 {
        p.mls(&["up", "-d"]).ok();
        return;
    }
    let run = p.mls(&["up", "-d"]).fails_with(1);
    assert!(
        run.stderr().contains(
            "can't set healthcheck.start_interval as feature require Docker Engine v25 or later"
        ),
        "{}",
        run.stderr()
    );
    assert!(containers(&p).is_empty(), "nothing is created");
}

#[test]
fn build_context_keeps_mtimes_and_inline_dockerfiles_build() {
    require_engine();
    let p = TestProject::new(
        "ctx",
        r#"
services:
  files:
    build: .
    command: ["sleep", "300"]
    init: true
  inline:
    build:
      context: .
      dockerfile_inline: |
        FROM mls/busybox:local
        COPY page.html /www/
        CMD ["sleep", "300"]
    init: true
  broken:
    build:
      context: .
      dockerfile: missing/Dockerfile
    profiles: [broken]
"#,
    );
    p.write(
        "Dockerfile",
        "FROM mls/busybox:local\nCOPY page.html /www/\n",
    );
    p.write("page.html", "<p>hi</p>\n");
    let touch = Command::new("touch")
        .args(["-d", "2021-03-04 05:06:07 UTC"])
        .arg(p.path().join("page.html"))
        .status()
        .unwrap();
    assert!(touch.success());
    p.mls(&["up", "-d"]).ok();
    for service in ["files", "inline"] {
        let name = format!("{}-{service}-1", p.name);
        assert_eq!(
            exec(&name, "stat -c %Y /www/page.html"),
            "1614834367",
            "{service}"
        );
        assert_eq!(exec(&name, "ls -a / | grep -c dockerfile || true"), "0");
    }

    // A later touch changes no fingerprint: nothing is rebuilt.
    let touch = Command::new("touch")
        .arg(p.path().join("page.html"))
        .status()
        .unwrap();
    assert!(touch.success());
    let build = p.mls(&["build"]).ok();
    assert!(!build.stderr().contains("Built"), "{}", build.stderr());

    let broken = p
        .mls(&["--profile", "broken", "build", "broken"])
        .fails_with(1);
    let expected = format!(
        "cannot find Dockerfile {}",
        p.path().join("missing/Dockerfile").display()
    );
    assert!(broken.stderr().contains(&expected), "{}", broken.stderr());
    assert!(!broken.stderr().contains("step ?"), "{}", broken.stderr());
}
