//! Prints a project the way `mls config --format json` will, straight from the loader API:
//! `cargo run --example config -- [-f FILE]... [-p NAME] [--profile P]... [--env-file F]...`

use mls::compose::{load, render_json, LoadOptions};
use std::path::PathBuf;

fn main() {
    let mut opts = LoadOptions {
        environ: std::env::vars().collect(),
        cwd: std::env::current_dir().unwrap_or_default(),
        ..LoadOptions::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_default();
        match a.as_str() {
            "-f" => opts.files.push(PathBuf::from(value())),
            "-p" => opts.project_name = Some(value()),
            "--project-directory" => opts.project_directory = Some(PathBuf::from(value())),
            "--env-file" => opts.env_files.push(PathBuf::from(value())),
            "--profile" => opts.profiles.push(value()),
            "--no-interpolate" => opts.no_interpolate = true,
            other => opts.services.push(other.to_string()),
        }
    }
    match load(&opts) {
        Ok(project) => {
            for w in &project.warnings {
                eprintln!("WARN[0000] {w}");
            }
            if std::env::var("MLS_YAML").is_ok() {
                print!("{}", mls::compose::render_yaml(&project));
            } else {
                print!("{}", render_json(&project));
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}
