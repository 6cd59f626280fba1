//! `mls ps`: the project's containers from one list call, as a table or JSON lines.

use super::Ctx;
use crate::cli::PsArgs;
use crate::engine::{ContainerSummary, Engine, PublishedPort};
use crate::error::{Error, Result};
use serde_json::json;
use std::io::Write;

pub async fn ps(ctx: &Ctx, args: &PsArgs) -> Result<()> {
    let project = ctx.load(&args.services, false)?;
    if args.services_only {
        let mut out = String::new();
        for s in project.services.keys() {
            out.push_str(s);
            out.push('\n');
        }
        return print(&out);
    }
    for s in &args.services {
        if !project.services.contains_key(s) {
            return Err(Error::Usage(format!("no such service: {s}")));
        }
    }
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&project.name).await?;
    let mut rows: Vec<&ContainerSummary> = snapshot
        .containers
        .iter()
        .filter(|c| args.all || c.state == "running" || c.state == "restarting")
        .filter(|c| {
            args.services.is_empty()
                || args
                    .services
                    .iter()
                    .any(|s| Some(s.as_str()) == c.service())
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let now = super::now_unix();
    let out = if args.quiet {
        rows.iter().map(|c| format!("{}\n", c.id)).collect()
    } else if args.format == "json" {
        rows.iter()
            .map(|c| format!("{}\n", json_row(c, &project.name, now)))
            .collect()
    } else {
        table(&rows, now)
    };
    print(&out)
}

fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

/// "0.0.0.0:8000->8000/tcp, :::8000->8000/tcp" like the Docker CLI.
pub fn ports(ports: &[PublishedPort]) -> String {
    let mut v: Vec<&PublishedPort> = ports.iter().collect();
    v.sort_by_key(|p| (p.private_port, p.ip.clone(), p.public_port));
    v.iter()
        .map(|p| match (p.public_port, &p.ip) {
            (Some(public), Some(ip)) => {
                let ip = if ip.contains(':') {
                    format!("[{ip}]")
                } else {
                    ip.clone()
                };
                let ip = if ip == "[::]" { "::".to_string() } else { ip };
                format!("{ip}:{public}->{}/{}", p.private_port, p.protocol)
            }
            (Some(public), None) => format!("{public}->{}/{}", p.private_port, p.protocol),
            (None, _) => format!("{}/{}", p.private_port, p.protocol),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn created(created: i64, now: i64) -> String {
    let secs = (now - created).max(0);
    let (n, unit) = match secs {
        s if s < 60 => (s, "second"),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86400 => (s / 3600, "hour"),
        s => (s / 86400, "day"),
    };
    if n == 1 {
        format!("{n} {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

fn table(rows: &[&ContainerSummary], now: i64) -> String {
    let header = [
        "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
    ];
    let mut lines: Vec<[String; 7]> = vec![header.map(String::from)];
    for c in rows {
        let mut cmd = c.command.clone();
        if cmd.chars().count() > 20 {
            cmd = format!("{}…", cmd.chars().take(19).collect::<String>());
        }
        lines.push([
            c.name.clone(),
            c.image.clone(),
            format!("\"{cmd}\""),
            c.service().unwrap_or("").to_string(),
            created(c.created, now),
            c.status.clone(),
            ports(&c.ports),
        ]);
    }
    let mut widths = [0usize; 7];
    for l in &lines {
        for (i, cell) in l.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for l in &lines {
        let mut line = String::new();
        for (i, cell) in l.iter().enumerate() {
            if i == 6 {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}   ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn json_row(c: &ContainerSummary, project: &str, now: i64) -> serde_json::Value {
    let publishers: Vec<serde_json::Value> = c
        .ports
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
    let exit_code = c
        .status
        .strip_prefix("Exited (")
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    json!({
        "Command": format!("\"{}\"", c.command),
        "CreatedAt": c.created,
        "ExitCode": exit_code,
        "Health": c.health(),
        "ID": c.id,
        "Image": c.image,
        "Labels": labels.join(","),
        "Name": c.name,
        "Names": c.name,
        "Networks": c.networks.join(","),
        "Ports": ports(&c.ports),
        "Project": project,
        "Publishers": publishers,
        "RunningFor": created(c.created, now),
        "Service": c.service().unwrap_or(""),
        "State": c.state,
        "Status": c.status,
    })
}
