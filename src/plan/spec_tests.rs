//! Spec mapping tests: a service as the canonical tree holds it in, the engine spec out.

use super::*;
use crate::compose::{Network, Volume};
use crate::engine::MountPoint;
use crate::plan::{ContainerOp, Peer};
use serde_json::json;

fn service(name: &str, v: serde_json::Value) -> Service {
    let mut s: Service = serde_json::from_value(v).expect("service");
    s.name = name.into();
    s
}

fn project(services: Vec<Service>) -> Project {
    let mut p = Project {
        name: "p".into(),
        working_dir: "/w".into(),
        ..Default::default()
    };
    for key in ["default", "front", "back"] {
        p.networks.insert(
            key.into(),
            Network {
                name: format!("p_{key}"),
                ..Default::default()
            },
        );
    }
    p.volumes.insert(
        "data".into(),
        Volume {
            name: "p_data".into(),
            ..Default::default()
        },
    );
    for s in services {
        p.services.insert(s.name.clone(), s);
    }
    p
}

fn step(service: &str, number: u32) -> ContainerStep {
    ContainerStep {
        service: service.into(),
        name: format!("p-{service}-{number}"),
        number,
        op: ContainerOp::Create,
        config_hash: "h".into(),
        image: "img".into(),
        image_id: "sha256:1".into(),
    }
}

fn peers() -> Peers {
    Peers::from([(
        "b".to_string(),
        vec![
            Peer {
                number: 1,
                name: "p-b-1".into(),
                id: "id-b-1".into(),
            },
            Peer {
                number: 2,
                name: "p-b-2".into(),
                id: "id-b-2".into(),
            },
        ],
    )])
}

fn spec_of(p: &Project, name: &str, peers: &Peers, oneoff: bool) -> Result<ContainerSpec, String> {
    let cx = Context {
        environ: &HashMap::new(),
        oneoff,
        peers,
        replaced: None,
    };
    container_spec(p, &p.services[name], &step(name, 1), &cx)
}

#[test]
fn every_engine_field_of_the_service_reaches_the_spec() {
    let s = service(
        "b",
        serde_json::from_str(
            r#"{
            "image": "img",
            "mem_limit": "50331648",
            "memswap_limit": "100663296",
            "mem_reservation": "16m",
            "mem_swappiness": "10",
            "cpus": 0.25,
            "cpu_shares": 512,
            "cpu_quota": 50000,
            "cpu_period": 100000,
            "cpu_rt_runtime": "400ms",
            "cpuset": "0",
            "pids_limit": 50,
            "oom_kill_disable": true,
            "oom_score_adj": 100,
            "shm_size": "33554432",
            "security_opt": ["no-new-privileges:true", "systempaths=unconfined"],
            "pid": "host",
            "ipc": "shareable",
            "uts": "host",
            "userns_mode": "host",
            "cgroup": "private",
            "cgroup_parent": "mygroup",
            "domainname": "example.org",
            "mac_address": "02:42:ac:11:00:99",
            "group_add": ["100", 200],
            "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 500},
            "sysctls": {"net.core.somaxconn": "1024"},
            "storage_opt": {"size": "1G"},
            "devices": [{"source": "/dev/null", "target": "/dev/xnull", "permissions": "rw"}],
            "dns_search": ["example.com"],
            "dns_opt": ["ndots:2"],
            "logging": {"driver": "json-file", "options": {"max-size": "1m"}},
            "runtime": "runc",
            "platform": "linux/amd64",
            "isolation": "default",
            "volume_driver": "local",
            "blkio_config": {"weight": 300, "weight_device": [{"Path": "/dev/sda", "Weight": 400}],
                             "device_write_iops": [{"Path": "/dev/sda", "Rate": "30"}]},
            "external_links": ["ext:alias", "plain"],
            "networks": {"default": null}
        }"#,
        )
        .unwrap(),
    );
    let p = project(vec![s]);
    let spec = spec_of(&p, "b", &Peers::new(), false).unwrap();
    let r = &spec.resources;
    assert_eq!(r.memory, Some(48 << 20));
    assert_eq!(r.memory_swap, Some(96 << 20));
    assert_eq!(r.memory_reservation, Some(16 << 20));
    assert_eq!(r.memory_swappiness, Some(10));
    assert_eq!(r.nano_cpus, Some(250_000_000));
    assert_eq!(r.cpu_shares, Some(512));
    assert_eq!(r.cpu_quota, Some(50000));
    assert_eq!(r.cpu_period, Some(100000));
    assert_eq!(r.cpu_realtime_runtime, Some(400_000));
    assert_eq!(r.cpuset_cpus.as_deref(), Some("0"));
    assert_eq!(r.pids_limit, Some(50));
    assert_eq!(r.oom_kill_disable, Some(true));
    assert_eq!(r.cgroup_parent.as_deref(), Some("mygroup"));
    assert_eq!(r.blkio_weight, Some(300));
    assert_eq!(r.blkio_weight_device, [("/dev/sda".to_string(), 400)]);
    assert_eq!(r.blkio_device_write_iops, [("/dev/sda".to_string(), 30)]);
    assert_eq!(
        r.devices,
        [DeviceSpec {
            path_on_host: "/dev/null".into(),
            path_in_container: "/dev/xnull".into(),
            cgroup_permissions: "rw".into(),
        }]
    );
    assert_eq!(
        r.ulimits,
        [
            UlimitSpec {
                name: "nofile".into(),
                soft: 1024,
                hard: 2048
            },
            UlimitSpec {
                name: "nproc".into(),
                soft: 500,
                hard: 500
            }
        ]
    );
    assert_eq!(spec.oom_score_adj, Some(100));
    assert_eq!(spec.shm_size, Some(32 << 20));
    assert_eq!(spec.security_opt, ["no-new-privileges:true"]);
    assert!(spec.unconfined_paths);
    assert_eq!(spec.pid.as_deref(), Some("host"));
    assert_eq!(spec.ipc.as_deref(), Some("shareable"));
    assert_eq!(spec.uts.as_deref(), Some("host"));
    assert_eq!(spec.userns_mode.as_deref(), Some("host"));
    assert_eq!(spec.cgroupns.as_deref(), Some("private"));
    assert_eq!(spec.domainname.as_deref(), Some("example.org"));
    assert_eq!(spec.mac_address.as_deref(), Some("02:42:ac:11:00:99"));
    assert_eq!(
        spec.networks[0].mac_address.as_deref(),
        Some("02:42:ac:11:00:99"),
        "engines from API 1.44 take it from the endpoint"
    );
    assert_eq!(spec.group_add, ["100", "200"]);
    assert_eq!(spec.sysctls["net.core.somaxconn"], "1024");
    assert_eq!(spec.storage_opt["size"], "1G");
    assert_eq!(spec.dns_search, ["example.com"]);
    assert_eq!(spec.dns_opt, ["ndots:2"]);
    let log = spec.log.as_ref().unwrap();
    assert_eq!(log.driver.as_deref(), Some("json-file"));
    assert_eq!(log.options["max-size"], "1m");
    assert_eq!(spec.runtime.as_deref(), Some("runc"));
    assert_eq!(spec.platform.as_deref(), Some("linux/amd64"));
    assert_eq!(spec.isolation.as_deref(), Some("default"));
    assert_eq!(spec.volume_driver.as_deref(), Some("local"));
    assert_eq!(spec.links, ["ext:alias", "plain:plain"]);
    assert_eq!(spec.networks[0].links, spec.links);
    assert_eq!(spec.network_mode, None);
}

#[test]
fn deploy_resources_override_and_reserve() {
    let s = service(
        "r",
        json!({
            "image": "img",
            "mem_limit": "1g",
            "cpus": 2,
            "deploy": {
                "replicas": 3,
                "resources": {
                    "limits": {"memory": "67108864", "cpus": 0.5, "pids": 40},
                    "reservations": {"memory": "8388608", "cpus": 0.1,
                                     "devices": [{"capabilities": ["gpu"], "count": "all"}]}
                },
                "restart_policy": {"condition": "on-failure", "max_attempts": 3}
            },
            "gpus": [{"driver": "nvidia", "count": 1}],
            "devices": ["vendor.com/device=gpu0"],
            "networks": {"default": null}
        }),
    );
    let p = project(vec![s]);
    let spec = spec_of(&p, "r", &Peers::new(), false).unwrap();
    let r = &spec.resources;
    assert_eq!(r.memory, Some(64 << 20));
    assert_eq!(r.nano_cpus, Some(500_000_000));
    assert_eq!(r.pids_limit, Some(40));
    assert_eq!(r.memory_reservation, Some(8 << 20));
    assert!(r.devices.is_empty(), "a CDI name is a device request");
    assert_eq!(
        r.device_requests,
        [
            DeviceRequestSpec {
                count: Some(-1),
                capabilities: vec![vec!["gpu".into()]],
                ..Default::default()
            },
            DeviceRequestSpec {
                driver: Some("cdi".into()),
                device_ids: vec!["vendor.com/device=gpu0".into()],
                ..Default::default()
            },
            DeviceRequestSpec {
                driver: Some("nvidia".into()),
                count: Some(1),
                capabilities: vec![vec!["gpu".into()]],
                ..Default::default()
            },
        ]
    );
    assert_eq!(spec.restart.as_deref(), Some("on-failure:3"));
}

#[test]
fn networks_follow_priority_and_carry_compose_aliases() {
    let s = service(
        "web",
        json!({
            "image": "img",
            "networks": {
                "back": {"aliases": ["api"], "ipv4_address": "10.1.0.5", "link_local_ips": ["169.254.1.1"]},
                "default": null,
                "front": {"priority": 100, "driver_opts": {"o": 1}, "mac_address": "02:00:00:00:00:01"}
            }
        }),
    );
    let p = project(vec![s]);
    let spec = spec_of(&p, "web", &Peers::new(), false).unwrap();
    let order: Vec<&str> = spec.networks.iter().map(|e| e.network.as_str()).collect();
    assert_eq!(order, ["p_front", "p_back", "p_default"]);
    assert_eq!(spec.networks[0].aliases, ["p-web-1", "web"]);
    assert_eq!(spec.networks[0].driver_opts["o"], "1");
    assert_eq!(
        spec.mac_address.as_deref(),
        Some("02:00:00:00:00:01"),
        "the primary endpoint's MAC is the container's on engines before API 1.44"
    );
    assert_eq!(spec.networks[1].aliases, ["p-web-1", "web", "api"]);
    assert_eq!(spec.networks[1].ipv4_address.as_deref(), Some("10.1.0.5"));
    assert_eq!(spec.networks[1].link_local_ips, ["169.254.1.1"]);
    let oneoff = spec_of(&p, "web", &Peers::new(), true).unwrap();
    assert!(oneoff.networks.iter().all(|e| e.aliases == ["p-web-1"]));
}

#[test]
fn service_references_resolve_to_the_first_container() {
    let c = service(
        "c",
        json!({
            "image": "img",
            "network_mode": "service:b",
            "ipc": "service:b",
            "pid": "container:other",
            "volumes_from": ["b:ro", "b", "container:named:rw", "container:plain"],
            "links": ["b:bee"]
        }),
    );
    let p = project(vec![c]);
    let spec = spec_of(&p, "c", &peers(), false).unwrap();
    assert_eq!(spec.network_mode.as_deref(), Some("container:id-b-1"));
    assert!(spec.networks.is_empty());
    assert_eq!(spec.ipc.as_deref(), Some("container:id-b-1"));
    assert_eq!(spec.pid.as_deref(), Some("container:other"));
    assert_eq!(
        spec.volumes_from,
        ["id-b-1:ro", "id-b-1", "named:rw", "plain"]
    );
    assert_eq!(
        spec.links,
        [
            "p-b-1:bee",
            "p-b-1:b-1",
            "p-b-1:p-b-1",
            "p-b-2:bee",
            "p-b-2:b-1",
            "p-b-2:p-b-1"
        ]
    );
    let err = spec_of(&p, "c", &Peers::new(), false).unwrap_err();
    assert_eq!(
        err,
        "cannot share network namespace with service b: container missing"
    );
    let host = project(vec![service(
        "h",
        json!({"image": "img", "network_mode": "host"}),
    )]);
    let spec = spec_of(&host, "h", &Peers::new(), false).unwrap();
    assert_eq!(spec.network_mode.as_deref(), Some("host"));
    let none = project(vec![service("n", json!({"image": "img"}))]);
    assert_eq!(
        spec_of(&none, "n", &Peers::new(), false)
            .unwrap()
            .network_mode
            .as_deref(),
        Some("none"),
        "a service without networks joins none, as in Compose"
    );
}

#[test]
fn volumes_go_through_binds_or_mounts_as_compose_sends_them() {
    let s = service(
        "v",
        json!({
            "image": "img",
            "networks": {"default": null},
            "volumes": [
                {"type": "volume", "source": "data", "target": "/data"},
                {"type": "volume", "target": "/anon"},
                {"type": "bind", "source": "/src", "target": "/src", "bind": {"create_host_path": true, "selinux": "z"}},
                {"type": "bind", "source": "/strict", "target": "/strict", "bind": {"create_host_path": false}},
                {"type": "volume", "source": "data", "target": "/sub", "volume": {"subpath": "x", "nocopy": true}},
                {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1m", "mode": "1777"}}
            ]
        }),
    );
    let p = project(vec![s]);
    let spec = spec_of(&p, "v", &Peers::new(), false).unwrap();
    let m = &spec.mounts;
    assert!(m[0].legacy && m[0].source.as_deref() == Some("p_data"));
    assert!(!m[1].legacy && m[1].source.is_none());
    assert!(m[2].legacy && m[2].selinux.as_deref() == Some("z"));
    assert!(
        !m[3].legacy,
        "a bind that must not create its source uses the Mount API"
    );
    assert!(!m[4].legacy && m[4].no_copy && m[4].subpath.as_deref() == Some("x"));
    assert_eq!(
        (m[5].tmpfs_size, m[5].tmpfs_mode),
        (Some(1 << 20), Some(0o1777))
    );
}

#[test]
fn recreated_containers_keep_their_anonymous_volumes() {
    let s = service(
        "db",
        json!({
            "image": "img",
            "networks": {"default": null},
            "volumes": [
                {"type": "volume", "target": "/anon"},
                {"type": "volume", "source": "data", "target": "/data"}
            ]
        }),
    );
    let p = project(vec![s]);
    let old = |kind: &str, name: &str, dest: &str| MountPoint {
        kind: kind.into(),
        name: name.into(),
        source: format!("/var/lib/docker/volumes/{name}/_data"),
        destination: dest.into(),
        rw: true,
        driver: "local".into(),
    };
    let replaced = Replaced {
        mounts: vec![
            old("volume", "aaa", "/anon"),
            old("volume", "p_data", "/data"),
            old("volume", "bbb", "/image-vol"),
            old("volume", "ccc", "/gone"),
            old("tmpfs", "", "/image-tmp"),
        ],
        image_volumes: vec!["/image-vol".into(), "/image-tmp".into()],
    };
    let cx = Context {
        environ: &HashMap::new(),
        oneoff: false,
        peers: &Peers::new(),
        replaced: Some(&replaced),
    };
    let spec = container_spec(&p, &p.services["db"], &step("db", 1), &cx).unwrap();
    let got: Vec<(&str, Option<&str>)> = spec
        .mounts
        .iter()
        .map(|m| (m.target.as_str(), m.source.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("/anon", Some("aaa")),
            ("/data", Some("p_data")),
            ("/image-vol", Some("bbb"))
        ]
    );
}

#[test]
fn check_refuses_what_the_engine_cannot_do_and_names_what_it_ignores() {
    let api = ApiVersion(1, 41);
    let env = HashMap::new();
    let mut s = service("a", json!({"image": "img", "networks": {"default": null}}));
    s.healthcheck = Some(crate::compose::Healthcheck {
        test: Some(vec!["CMD".into(), "true".into()]),
        start_interval: Some("1s".into()),
        start_period: Some("5s".into()),
        ..Default::default()
    });
    let p = project(vec![s.clone()]);
    assert_eq!(
        check(&p, &s, &env, api).unwrap_err(),
        "can't set healthcheck.start_interval as feature require Docker Engine v25 or later"
    );
    assert_eq!(check(&p, &s, &env, ApiVersion(1, 44)), Ok(vec![]));

    let macs = service(
        "m",
        json!({"image": "img", "networks": {
            "front": {"mac_address": "02:00:00:00:00:01"},
            "back": {"mac_address": "02:00:00:00:00:02"}}}),
    );
    let p = project(vec![macs.clone()]);
    assert!(check(&p, &macs, &env, api)
        .unwrap_err()
        .starts_with("a MAC address is specified for multiple networks (p_back, p_front)"));

    let ignored = service(
        "i",
        json!({"image": "img", "networks": {"default": null},
               "annotations": {"a": "b"}, "post_start": [{"command": "x"}]}),
    );
    let p = project(vec![ignored.clone()]);
    let warnings = check(&p, &ignored, &env, api).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("annotations require Docker Engine v24"));
    assert!(warnings[1].contains("`post_start` is not supported by mls"));

    let bad = service("x", json!({"image": "img", "mem_limit": "lots"}));
    let p = project(vec![bad.clone()]);
    assert!(check(&p, &bad, &env, api).unwrap_err().contains("lots"));
}

#[test]
fn carried_volumes_are_the_anonymous_ones_only() {
    let anon = "a".repeat(64);
    let mut p = project(vec![]);
    let declared = "b".repeat(64);
    p.volumes.insert(
        "hex".into(),
        Volume {
            name: declared.clone(),
            ..Default::default()
        },
    );
    let mounted = vec![
        anon.clone(),
        declared,
        "p_data".to_string(),
        "A".repeat(64),
        "a".repeat(63),
    ];
    assert_eq!(carried_volumes(&p, &mounted), [anon]);
}
