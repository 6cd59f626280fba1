//! `mls config`: the project as Docker Compose would print it.

use super::Ctx;
use crate::cli::ConfigArgs;
use crate::compose;
use crate::error::Result;
use crate::graph::Graph;

pub fn config(ctx: &Ctx, args: &ConfigArgs) -> Result<()> {
    let project = ctx.load(&args.services, args.no_interpolate)?;
    let graph = Graph::new(&project)?;
    if args.quiet {
        return Ok(());
    }
    let out = if args.list_services {
        // Docker Compose lists services in dependency order.
        lines(graph.levels().iter().flatten())
    } else if args.volumes {
        lines(compose::volume_names(&project))
    } else if args.images {
        lines(compose::image_names(&project))
    } else if args.profiles {
        lines(compose::profile_names(&project))
    } else if let Some(which) = &args.hash {
        let names: Vec<&String> = if which == "*" {
            project.services.keys().collect()
        } else {
            project
                .services
                .keys()
                .filter(|s| which.split(',').any(|w| w == s.as_str()))
                .collect()
        };
        names
            .into_iter()
            .map(|s| format!("{s} {}\n", crate::plan::config_hash(&project, s)))
            .collect()
    } else if args.format == "json" {
        compose::render_json(&project)
    } else {
        compose::render_yaml(&project)
    };
    match &args.output {
        Some(path) => std::fs::write(path, out)?,
        None => {
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
        }
    }
    Ok(())
}

fn lines<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    items
        .into_iter()
        .map(|s| format!("{}\n", s.as_ref()))
        .collect()
}
