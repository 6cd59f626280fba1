//! `mls ps`: the project's containers from one list call, printed as Docker Compose prints them
//! (table, JSON lines, or a Go template).

use super::format::{self, Record, Template};
use super::Ctx;
use crate::cli::PsArgs;
use crate::engine::{ContainerSummary, Engine};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::io::Write;

const DEFAULT_TABLE: &str =
    "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";

/// The headers `table` templates show for each field (others show `<no value>`).
const HEADERS: [(&str, &str); 13] = [
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("Project", "PROJECT"),
    ("Service", "SERVICE"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Labels", "LABELS"),
];

pub async fn ps(ctx: &Ctx, args: &PsArgs) -> Result<()> {
    let mut statuses = args.status.clone();
    if let Some(filter) = &args.filter {
        match filter.split_once('=') {
            Some(("status", value)) => statuses.push(value.to_string()),
            Some((key, _)) => return Err(Error::Usage(format!("unknown filter {key}"))),
            None => {
                return Err(Error::Usage(
                    "arguments to --filter should be in form KEY=VAL".into(),
                ))
            }
        }
    }
    let template = match args.format.as_str() {
        "table" | "" => Some(Template::parse(DEFAULT_TABLE).map_err(Error::Usage)?),
        "json" => None,
        other => Some(Template::parse(other).map_err(Error::Usage)?),
    };
    let scope = ctx.scope(&args.services)?;
    scope.check_services(&args.services)?;
    let mut services = args.services.clone();
    if let (Some(project), false, true) = (&scope.project, args.orphans, services.is_empty()) {
        services = project.services.keys().cloned().collect();
    }
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&scope.name).await?;
    let all = args.all || !statuses.is_empty();
    let mut rows: Vec<&ContainerSummary> = snapshot
        .containers
        .iter()
        .filter(|c| all || (!c.is_oneoff() && listed_without_all(&c.state)))
        .filter(|c| services.is_empty() || services.iter().any(|s| Some(s.as_str()) == c.service()))
        .filter(|c| statuses.is_empty() || statuses.contains(&c.state))
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));

    let out = if args.quiet {
        rows.iter().map(|c| format!("{}\n", c.id)).collect()
    } else if args.services_only {
        let mut names: Vec<&str> = Vec::new();
        for s in rows.iter().map(|c| c.service().unwrap_or("")) {
            if !names.contains(&s) {
                names.push(s);
            }
        }
        format!("{}\n", names.join("\n"))
    } else {
        let now = super::now_unix();
        let records: Vec<Record> = rows
            .iter()
            .map(|c| record(c, !args.no_trunc, now))
            .collect();
        match template {
            None => records
                .iter()
                .map(|r| format!("{}\n", format::go_json(&record_json(r))))
                .collect(),
            Some(t) => t.render_all(&records, &HEADERS).map_err(Error::Usage)?,
        }
    };
    print(&out)
}

/// What the engine lists without `all`: running, paused and restarting containers.
fn listed_without_all(state: &str) -> bool {
    matches!(state, "running" | "paused" | "restarting")
}

pub fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

fn record_json(r: &Record) -> Value {
    Value::Object(
        r.fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// One container as Compose's formatter sees it; `trunc` shortens the id, the command and
/// mount names like Compose does unless `--no-trunc`.
fn record(c: &ContainerSummary, trunc: bool, now: i64) -> Record {
    let mut published: Vec<_> = c.ports.clone();
    published.sort_by_key(|p| p.private_port);
    let publishers: Vec<Value> = published
        .iter()
        .map(|p| {
            json!({
                "URL": p.ip.clone().unwrap_or_default(),
                "TargetPort": p.private_port,
                "PublishedPort": p.public_port.unwrap_or(0),
                "Protocol": p.protocol,
            })
        })
        .collect();
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let exit_code = format::exit_code(&c.status).unwrap_or(0);
    let health = if c.state == "running" { c.health() } else { "" };
    // A mount shows as its volume's name, or its source path for a bind.
    let mounts: Vec<&str> = c
        .mounts
        .iter()
        .map(|m| {
            if m.name.is_empty() {
                &m.source
            } else {
                &m.name
            }
            .as_str()
        })
        .collect();
    let local_volumes = c.mounts.iter().filter(|m| m.driver == "local").count();
    let (id, command, mounts) = if trunc {
        (
            c.id.chars().take(12).collect::<String>(),
            format::ellipsis(&c.command, 20),
            mounts.iter().map(|m| format::ellipsis(m, 15)).collect(),
        )
    } else {
        let mounts: Vec<String> = mounts.iter().map(|m| m.to_string()).collect();
        (c.id.clone(), c.command.clone(), mounts)
    };
    Record {
        fields: vec![
            ("Command", json!(format!("{command:?}"))),
            ("CreatedAt", json!(format::go_time(c.created))),
            ("ExitCode", json!(exit_code)),
            ("Health", json!(health)),
            ("ID", json!(id)),
            ("Image", json!(c.image)),
            ("Labels", json!(labels.join(","))),
            ("LocalVolumes", json!(local_volumes.to_string())),
            ("Mounts", json!(mounts.join(","))),
            ("Name", json!(c.name)),
            ("Names", json!(c.name)),
            ("Networks", json!(c.networks.join(","))),
            ("Ports", json!(format::ports(&c.ports))),
            (
                "Project",
                json!(c.label(crate::engine::labels::PROJECT).unwrap_or("")),
            ),
            ("Publishers", Value::Array(publishers)),
            (
                "RunningFor",
                json!(format!("{} ago", format::human_duration(now - c.created))),
            ),
            ("Service", json!(c.service().unwrap_or(""))),
            ("Size", json!("0B")),
            ("State", json!(c.state)),
            ("Status", json!(c.status)),
        ],
        labels: c.labels.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{MountPoint, PublishedPort};

    #[test]
    fn json_rows_have_composes_schema() {
        let c = ContainerSummary {
            id: "c83359b66843617321fcd7aa15ff193bc9ceee8a9609a156e343e2aa46493fa3".into(),
            name: "clipb-web-1".into(),
            image: "mls/busybox:local".into(),
            command: "httpd -f -p 8000 -h /tmp".into(),
            state: "running".into(),
            status: "Up 1 second".into(),
            created: 1_796_369_624,
            ports: vec![PublishedPort {
                ip: Some("::".into()),
                private_port: 8000,
                public_port: Some(32768),
                protocol: "tcp".into(),
            }],
            networks: vec!["clipb_default".into()],
            mounts: vec![
                MountPoint {
                    kind: "bind".into(),
                    source: "/tmp/clip/b/x".into(),
                    ..Default::default()
                },
                MountPoint {
                    kind: "volume".into(),
                    name: "941507dea1b7fdbdd184e5943b3f096dd012a4b62f021984c6d204a967be59e3".into(),
                    driver: "local".into(),
                    ..Default::default()
                },
                MountPoint {
                    kind: "volume".into(),
                    name: "clipb_data".into(),
                    driver: "local".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let r = record(&c, true, 1_796_369_627);
        let line = format::go_json(&record_json(&r));
        assert_eq!(
            line,
            r#"{"Command":"\"httpd -f -p 8000 -h…\"","CreatedAt":"2026-12-04 07:33:44 +0000 UTC","ExitCode":0,"Health":"","ID":"c83359b66843","Image":"mls/busybox:local","Labels":"","LocalVolumes":"2","Mounts":"/tmp/clip/b/x,941507dea1b7fd…,clipb_data","Name":"clipb-web-1","Names":"clipb-web-1","Networks":"clipb_default","Ports":"[::]:32768-\u003e8000/tcp","Project":"","Publishers":[{"URL":"::","TargetPort":8000,"PublishedPort":32768,"Protocol":"tcp"}],"RunningFor":"3 seconds ago","Service":"","Size":"0B","State":"running","Status":"Up 1 second"}"#
        );
        let full = record(&c, false, 1_796_369_627);
        assert_eq!(full.fields[4].1, json!(c.id));
    }
}
