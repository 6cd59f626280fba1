//! `config` output: the canonical tree marshalled as compose-go's types (`marshal`) and
//! written as go-yaml or Go's JSON encoder would (`goyaml`, `gojson`), plus the
//! `--services`, `--volumes`, `--images` and `--profiles` listings.

use super::gojson::to_json;
use super::goyaml::to_yaml;
use super::marshal::{self, Enc};
use super::model::Project;
use serde_json::Value;

/// The project as `docker compose config --format json` prints it (no trailing newline).
pub fn render_json(project: &Project) -> String {
    to_json(&marshalled(project, Enc::Json), true)
}

/// The project as `docker compose config` prints it.
pub fn render_yaml(project: &Project) -> String {
    to_yaml(&marshalled(project, Enc::Yaml))
}

/// Docker Compose prints the loaded model through compose-go's types; without interpolation
/// it has no typed model and dumps the raw one.
fn marshalled(project: &Project, enc: Enc) -> marshal::Out {
    if project.raw_model {
        marshal::raw(&project.tree, enc)
    } else {
        marshal::project(&project.tree, enc)
    }
}

/// A service as Go's `json.Marshal` writes compose-go's `ServiceConfig`: what Docker Compose
/// hashes into `com.docker.compose.config-hash`.
pub fn service_json(svc: &Value) -> String {
    to_json(&marshal::service(svc, Enc::Json), false)
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
