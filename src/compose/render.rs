//! `config` output: the canonical tree as JSON (2-space indent, like
//! `docker compose config --format json`) or YAML, plus the `--services`, `--volumes`,
//! `--images` and `--profiles` listings.

use super::model::Project;

/// The project as `docker compose config --format json` prints it.
pub fn render_json(project: &Project) -> String {
    let mut out = serde_json::to_string_pretty(&project.tree).unwrap_or_else(|_| "{}".into());
    out.push('\n');
    out
}

/// The project as `docker compose config` prints it (YAML).
pub fn render_yaml(project: &Project) -> String {
    serde_yaml::to_string(&project.tree).unwrap_or_default()
}

/// `config --services`: enabled service names, one per entry.
pub fn service_names(project: &Project) -> Vec<String> {
    project.services.keys().cloned().collect()
}

/// `config --volumes`: declared volume keys.
pub fn volume_names(project: &Project) -> Vec<String> {
    project.volumes.keys().cloned().collect()
}

/// `config --images`: each service's image, or `<project>-<service>` when only `build` is set.
pub fn image_names(project: &Project) -> Vec<String> {
    project
        .services
        .iter()
        .map(|(name, svc)| {
            svc.image
                .clone()
                .unwrap_or_else(|| format!("{}-{name}", project.name))
        })
        .collect()
}

/// `config --profiles`: every profile named by any service, sorted.
pub fn profile_names(project: &Project) -> Vec<String> {
    project.all_profiles.clone()
}
