//! `mls logs`: the output of the project's containers, prefixed by service.

use super::Ctx;
use crate::cli::LogsArgs;
use crate::engine::{labels, Engine, LogChunk, LogOptions};
use crate::error::{Error, Result};
use crate::progress::Progress;
use futures_util::future::join_all;
use futures_util::StreamExt;
use std::sync::Arc;

pub async fn logs(ctx: &Ctx, args: &LogsArgs) -> Result<()> {
    let now = super::now_unix();
    let when = |v: &Option<String>| {
        v.as_deref()
            .map(|v| super::format::timestamp(v, now).map_err(Error::Usage))
            .transpose()
    };
    let opts = LogOptions {
        follow: args.follow,
        tail: Some(args.tail.clone()),
        timestamps: args.timestamps,
        since: when(&args.since)?,
        until: when(&args.until)?,
    };
    let scope = ctx.scope(&args.services)?;
    scope.check_services(&args.services)?;
    let engine = ctx.engine().await?;
    let snapshot = engine.snapshot(&scope.name).await?;
    let index = args.index.map(|i| i.to_string());
    let mut containers: Vec<(String, String)> = snapshot
        .containers
        .iter()
        .filter(|c| !c.is_oneoff())
        .filter(|c| index.is_none() || c.label(labels::NUMBER) == index.as_deref())
        .filter_map(|c| {
            let s = c.service()?;
            (args.services.is_empty() || args.services.iter().any(|x| x == s))
                .then(|| (container_label(s, &c.name, &scope.name), c.id.clone()))
        })
        .collect();
    containers.sort();
    stream(
        &engine,
        &ctx.progress,
        containers,
        opts,
        !args.no_log_prefix,
    )
    .await;
    Ok(())
}

/// The prefix Docker Compose shows: the container name without the project, e.g. `backend-1`.
pub fn container_label(_service: &str, name: &str, project: &str) -> String {
    name.strip_prefix(&format!("{project}-"))
        .unwrap_or(name)
        .to_string()
}

/// Streams the logs of `containers` ((prefix, id)) concurrently, line by line, until every
/// stream ends (with `follow`, when the containers stop).
pub async fn stream<E: Engine>(
    engine: &Arc<E>,
    progress: &Progress,
    containers: Vec<(String, String)>,
    opts: LogOptions,
    prefix: bool,
) {
    progress.align_services(containers.iter().map(|(p, _)| p.as_str()));
    let jobs = containers
        .into_iter()
        .map(|(label, id)| follow_one(engine, progress, label, id, opts.clone(), prefix));
    join_all(jobs).await;
}

/// Streams one container's logs, line by line, until the stream ends.
pub async fn follow_one<E: Engine>(
    engine: &Arc<E>,
    progress: &Progress,
    label: String,
    id: String,
    opts: LogOptions,
    prefix: bool,
) {
    let mut s = engine.logs(&id, opts);
    let mut pending: Vec<u8> = Vec::new();
    while let Some(chunk) = s.next().await {
        let bytes = match chunk {
            Ok(LogChunk::Stdout(b)) | Ok(LogChunk::Stderr(b)) => b,
            Err(_) => break,
        };
        pending.extend_from_slice(&bytes);
        while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1]);
            progress.log_line(&label, text.trim_end_matches('\r'), prefix);
        }
    }
    if !pending.is_empty() {
        progress.log_line(&label, &String::from_utf8_lossy(&pending), prefix);
    }
}
