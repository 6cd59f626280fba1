//! `mls config`: the project as Docker Compose would print it.

use super::Ctx;
use crate::cli::ConfigArgs;
use crate::compose::{self, LoadOptions, Project};
use crate::error::{Error, Result};
use crate::graph::Graph;

pub fn config(ctx: &Ctx, args: &ConfigArgs) -> Result<()> {
    let mut opts = ctx.options(&args.services, args.no_interpolate);
    adjust_options(&mut opts, args);
    let project = ctx.load_with(&opts)?;
    let out = render(&project, args)?;
    match &args.output {
        Some(path) => std::fs::write(path, out)?,
        None => {
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(out.as_bytes());
        }
    }
    Ok(())
}

/// `--hash` loads the project as Compose does for it: services named on the command line do
/// not enable their profiles, and env files are left unread.
pub fn adjust_options(opts: &mut LoadOptions, args: &ConfigArgs) {
    if args.hash.is_some() {
        opts.services.clear();
        opts.keep_env_files = true;
    }
    // `--services` and `--volumes` ignore named services (Docker Compose lists every enabled
    // service and volume); otherwise they narrow what is printed to them and their dependencies.
    if args.list_services || args.volumes {
        opts.services.clear();
    }
    opts.only_selected = true;
}

/// What `config` prints for a loaded project with these flags (pure, so the conformance
/// cases can check it without a process).
pub fn render(project: &Project, args: &ConfigArgs) -> Result<String> {
    // The graph also rejects dependency cycles; the raw model (`--no-interpolate`) is printed
    // unchecked, as Docker Compose does.
    if !project.raw_model {
        Graph::new(project)?;
    }
    Ok(if args.quiet {
        String::new()
    } else if args.list_services {
        // Docker Compose lists services in dependency order.
        lines(Graph::new(project)?.levels().iter().flatten())
    } else if args.volumes {
        lines(compose::volume_names(project))
    } else if args.images {
        lines(compose::image_names(project))
    } else if args.profiles {
        lines(compose::profile_names(project))
    } else if let Some(which) = &args.hash {
        if which != "*" {
            for name in which.split(',') {
                if !project.services.contains_key(name) {
                    let why = if project.disabled_services.iter().any(|d| d == name) {
                        "disabled"
                    } else {
                        "not found"
                    };
                    return Err(Error::Usage(format!("no such service: {name}: {why}")));
                }
            }
        }
        // In name order, whatever order the flag lists them in.
        project
            .services
            .keys()
            .filter(|s| which == "*" || which.split(',').any(|w| w == s.as_str()))
            .map(|s| format!("{s} {}\n", crate::plan::config_hash(project, s)))
            .collect()
    } else if args.format == "json" {
        compose::render_json(project)
    } else {
        compose::render_yaml(project)
    })
}

fn lines<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> String {
    items
        .into_iter()
        .map(|s| format!("{}\n", s.as_ref()))
        .collect()
}
