//! `mls images`, `mls top` and `mls ls`: listings of what the engine holds for projects, in
//! Docker Compose's layouts.

use super::format::{go_json, human_duration, human_size, tabwrite};
use super::ps::print;
use super::Ctx;
use crate::cli::{ImagesArgs, LsArgs, TopArgs};
use crate::engine::{labels, ContainerSummary, Engine};
use crate::error::{Error, Result};
use futures_util::future::join_all;
use serde_json::json;
use std::collections::BTreeMap;

/// The containers of `project` (all, one-offs too) of `services` (all when empty).
fn of_services<'s>(
    containers: &'s [ContainerSummary],
    services: &[String],
) -> Vec<&'s ContainerSummary> {
    containers
        .iter()
        .filter(|c| {
            services.is_empty() || c.service().is_some_and(|s| services.iter().any(|x| x == s))
        })
        .collect()
}

/// `mls images`: per container, the image it runs (table, JSON or ids).
pub async fn images(ctx: &Ctx, args: &ImagesArgs) -> Result<()> {
    let name = ctx.project_name()?;
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&name).await?;
    let containers = of_services(&snapshot.containers, &args.services);
    let infos = join_all(containers.iter().map(|c| engine.inspect_image(&c.image))).await;
    let mut rows = BTreeMap::new();
    for (c, info) in containers.iter().zip(infos) {
        let info = info?.ok_or_else(|| Error::Failed(format!("image {} not found", c.image)))?;
        rows.insert(c.name.clone(), (c.image.clone(), info));
    }
    if args.quiet {
        let mut ids: Vec<&str> = Vec::new();
        for (_, info) in rows.values() {
            let id = info.id.split_once(':').map_or(info.id.as_str(), |(_, h)| h);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        return print(&ids.iter().map(|i| format!("{i}\n")).collect::<String>());
    }
    if args.format == "json" {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, (image, info))| {
                let (repo, tag) = repository_tag(image);
                json!({
                    "ID": info.id,
                    "ContainerName": name,
                    "Repository": repo,
                    "Tag": tag,
                    "Platform": info.platform,
                    "Size": info.size,
                    "LastTagTime": info.last_tag_time,
                })
            })
            .collect();
        // Compose prints the encoder's line and then a newline of its own.
        return print(&format!("{}\n\n", go_json(&serde_json::Value::Array(list))));
    }
    let now = super::now_unix();
    let mut table = vec![[
        "CONTAINER",
        "REPOSITORY",
        "TAG",
        "PLATFORM",
        "IMAGE ID",
        "SIZE",
        "CREATED",
    ]
    .map(String::from)
    .to_vec()];
    for (name, (image, info)) in &rows {
        let (repo, tag) = repository_tag(image);
        let id = info.id.split_once(':').map_or(info.id.as_str(), |(_, h)| h);
        let created = unix(&info.last_tag_time).map_or(String::new(), |t| {
            format!("{} ago", human_duration(now - t))
        });
        table.push(vec![
            name.clone(),
            if repo.is_empty() {
                "<none>".into()
            } else {
                repo
            },
            if tag.is_empty() { "<none>".into() } else { tag },
            info.platform.clone(),
            id.chars().take(12).collect(),
            human_size(info.size),
            created,
        ]);
    }
    print(&tabwrite(&table, 20, 3))
}

/// "mls/busybox:local" → ("mls/busybox", "local"); "busybox" → ("busybox", "latest"); an id
/// (no name) gives two empty strings.
fn repository_tag(image: &str) -> (String, String) {
    if image.starts_with("sha256:") {
        return (String::new(), String::new());
    }
    let (repo, tag) = crate::engine::split_reference(image);
    let repo = repo
        .strip_prefix("docker.io/library/")
        .or_else(|| repo.strip_prefix("docker.io/"))
        .unwrap_or(repo);
    (repo.to_string(), tag.to_string())
}

/// Unix seconds of an RFC 3339 time.
fn unix(rfc3339: &str) -> Option<i64> {
    super::format::timestamp(rfc3339, 0)
        .ok()
        .filter(|_| rfc3339.contains('T'))
}

/// `mls top`: the processes of every running container, in one table with SERVICE and #
/// (replica) columns, CMD last.
pub async fn top(ctx: &Ctx, args: &TopArgs) -> Result<()> {
    let name = ctx.project_name()?;
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&name).await?;
    let mut containers: Vec<&ContainerSummary> = of_services(&snapshot.containers, &args.services)
        .into_iter()
        .filter(|c| c.state == "running" && !c.is_oneoff())
        .collect();
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    let tops = join_all(containers.iter().map(|c| engine.top(&c.id))).await;
    let mut headers: Vec<String> = vec!["SERVICE".into(), "#".into()];
    let mut entries: Vec<BTreeMap<String, String>> = Vec::new();
    for (c, top) in containers.iter().zip(tops) {
        let top = top?;
        for process in &top.processes {
            let mut entry = BTreeMap::from([
                ("SERVICE".to_string(), c.service().unwrap_or("").to_string()),
                (
                    "#".to_string(),
                    c.label(labels::NUMBER).unwrap_or("").to_string(),
                ),
            ]);
            for (title, value) in top.titles.iter().zip(process) {
                if !headers.contains(title) {
                    headers.push(title.clone());
                }
                entry.insert(title.clone(), value.clone());
            }
            entries.push(entry);
        }
    }
    if entries.is_empty() {
        return Ok(());
    }
    if let Some(pos) = headers.iter().position(|h| h == "CMD") {
        let cmd = headers.remove(pos);
        headers.push(cmd);
    }
    let mut rows = vec![headers.clone()];
    for e in &entries {
        rows.push(
            headers
                .iter()
                .map(|h| e.get(h).cloned().unwrap_or_else(|| "-".into()))
                .collect(),
        );
    }
    print(&tabwrite(&rows, 4, 2))
}

/// `mls ls`: projects found from container labels, with their states counted.
pub async fn ls(ctx: &Ctx, args: &LsArgs) -> Result<()> {
    let mut name_filters = Vec::new();
    for f in &args.filter {
        match f.split_once('=') {
            Some(("name", re)) => name_filters.push(
                regex::Regex::new(re).map_err(|e| Error::Usage(format!("--filter {f}: {e}")))?,
            ),
            _ => {
                return Err(Error::Usage(format!(
                    "invalid filter {f:?}: only name=... is supported"
                )))
            }
        }
    }
    let engine = ctx.engine().await?;
    let containers = engine.compose_containers().await?;
    let stacks = stacks(&containers, args.all);
    let stacks: Vec<&Stack> = stacks
        .iter()
        .filter(|s| name_filters.is_empty() || name_filters.iter().any(|re| re.is_match(&s.name)))
        .collect();
    if args.quiet {
        return print(
            &stacks
                .iter()
                .map(|s| format!("{}\n", s.name))
                .collect::<String>(),
        );
    }
    if args.format == "json" {
        let list: Vec<serde_json::Value> = stacks
            .iter()
            .map(|s| json!({"Name": s.name, "Status": s.status, "ConfigFiles": s.config_files}))
            .collect();
        return print(&format!("{}\n", go_json(&serde_json::Value::Array(list))));
    }
    let mut rows = vec![["NAME", "STATUS", "CONFIG FILES"]
        .map(String::from)
        .to_vec()];
    for s in stacks {
        rows.push(vec![
            s.name.clone(),
            s.status.clone(),
            s.config_files.clone(),
        ]);
    }
    print(&tabwrite(&rows, 20, 3))
}

#[derive(Debug, PartialEq)]
struct Stack {
    name: String,
    /// "exited(1), running(2)": each state with its count, states sorted.
    status: String,
    config_files: String,
}

/// PURE: groups containers (with a config hash, running unless `all`) by project.
fn stacks(containers: &[ContainerSummary], all: bool) -> Vec<Stack> {
    let mut by_project: BTreeMap<&str, Vec<&ContainerSummary>> = BTreeMap::new();
    for c in containers
        .iter()
        .filter(|c| c.labels.contains_key(labels::CONFIG_HASH))
        .filter(|c| all || c.state == "running")
    {
        if let Some(p) = c.label(labels::PROJECT) {
            by_project.entry(p).or_default().push(c);
        }
    }
    by_project
        .into_iter()
        .map(|(name, cs)| {
            let mut states: BTreeMap<&str, usize> = BTreeMap::new();
            let mut files: Vec<&str> = Vec::new();
            for c in &cs {
                *states.entry(c.state.as_str()).or_default() += 1;
                for f in c.label(labels::CONFIG_FILES).unwrap_or("N/A").split(',') {
                    if !files.contains(&f) {
                        files.push(f);
                    }
                }
            }
            Stack {
                name: name.to_string(),
                status: states
                    .iter()
                    .map(|(s, n)| format!("{s}({n})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                config_files: files.join(","),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(project: &str, state: &str, files: &str) -> ContainerSummary {
        ContainerSummary {
            state: state.into(),
            labels: [
                (labels::PROJECT, project),
                (labels::CONFIG_HASH, "h"),
                (labels::CONFIG_FILES, files),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn stacks_count_states_per_project() {
        let cs = vec![
            container("b", "running", "/b/compose.yaml"),
            container("a", "exited", "/a/compose.yaml"),
            container("b", "exited", "/b/compose.yaml,/b/override.yaml"),
            container("b", "running", "/b/compose.yaml"),
        ];
        assert_eq!(
            stacks(&cs, true),
            vec![
                Stack {
                    name: "a".into(),
                    status: "exited(1)".into(),
                    config_files: "/a/compose.yaml".into()
                },
                Stack {
                    name: "b".into(),
                    status: "exited(1), running(2)".into(),
                    config_files: "/b/compose.yaml,/b/override.yaml".into()
                },
            ]
        );
        assert_eq!(stacks(&cs, false)[0].status, "running(2)");
    }

    #[test]
    fn image_references_split_into_repository_and_tag() {
        assert_eq!(
            repository_tag("mls/busybox:local"),
            ("mls/busybox".into(), "local".into())
        );
        assert_eq!(
            repository_tag("busybox"),
            ("busybox".into(), "latest".into())
        );
        assert_eq!(repository_tag("sha256:abc"), (String::new(), String::new()));
    }
}
