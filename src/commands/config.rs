//! `mls config`: the project as Docker Compose would print it.

use super::Ctx;
use crate::cli::ConfigArgs;
use crate::compose;
use crate::error::Result;
use crate::graph::Graph;

pub fn config(ctx: &Ctx, args: &ConfigArgs) -> Result<()> {
    let project = ctx.load(&args.services, args.no_interpolate)?;
    Graph::new(&project)?;
    if args.quiet {
        return Ok(());
    }
    let out = if args.list_services {
        lines(project.services.keys())
    } else if args.volumes {
        lines(project.volumes.keys())
    } else if args.images {
        lines(
            project
                .services
                .values()
                .map(|s| crate::plan::image_ref(&project, s)),
        )
    } else if args.profiles {
        lines(project.all_profiles.iter())
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
