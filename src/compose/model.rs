//! The typed compose model: what the rest of mls reads after loading.
//!
//! The loader works on an untyped tree (interpolate, merge, extends, canonicalise) and then
//! deserialises the canonical tree once into these structs. Fields the runtime does not use yet
//! are still carried in `extra` so nothing a user wrote is dropped.

use indexmap::IndexMap;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// A loaded project: the canonical tree (what `mls config` prints) and its typed view.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Project name after Docker Compose's normalisation rules.
    pub name: String,
    /// Absolute project directory (relative paths were resolved against it).
    pub working_dir: PathBuf,
    /// Absolute paths of the compose files, in load order.
    pub config_files: Vec<PathBuf>,
    /// Enabled services, sorted by name.
    pub services: IndexMap<String, Service>,
    pub networks: IndexMap<String, Network>,
    pub volumes: IndexMap<String, Volume>,
    /// Services switched off by profiles (kept so `down` can still find their containers).
    pub disabled_services: Vec<String>,
    /// The canonical tree, in Docker Compose's `config` shape (with `$` still escaped as `$$`).
    pub tree: serde_json::Value,
    /// Non-fatal problems found while loading (unset variables), in Docker Compose's words.
    pub warnings: Vec<String>,
    /// Every profile named by any service, enabled or not, sorted (`config --profiles`).
    pub all_profiles: Vec<String>,
    /// Loaded without interpolation (`config --no-interpolate`): `tree` is the raw model,
    /// which Docker Compose prints untyped rather than through compose-go's structs.
    pub raw_model: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Service {
    #[serde(skip)]
    pub name: String,
    pub image: Option<String>,
    pub build: Option<Build>,
    /// `None` when unset (use the image's), `Some(vec![])` when explicitly empty.
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    /// `None` value: the variable is passed through from mls's own environment if set.
    #[serde(default)]
    pub environment: IndexMap<String, Option<String>>,
    #[serde(default)]
    pub ports: Vec<Port>,
    #[serde(default)]
    pub volumes: Vec<Mount>,
    #[serde(default)]
    pub depends_on: IndexMap<String, Dependency>,
    pub healthcheck: Option<Healthcheck>,
    pub restart: Option<String>,
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    /// Networks the service joins; value `None` means defaults (no extra aliases).
    #[serde(default)]
    pub networks: IndexMap<String, Option<ServiceNetwork>>,
    #[serde(default)]
    pub profiles: Vec<String>,
    pub pull_policy: Option<String>,
    pub container_name: Option<String>,
    pub hostname: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_grace_period: Option<String>,
    pub init: Option<bool>,
    #[serde(default)]
    pub tty: bool,
    #[serde(default)]
    pub stdin_open: bool,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub cap_add: Vec<String>,
    #[serde(default)]
    pub cap_drop: Vec<String>,
    #[serde(default)]
    pub extra_hosts: serde_json::Value,
    #[serde(default)]
    pub dns: Vec<String>,
    #[serde(default)]
    pub tmpfs: Vec<String>,
    #[serde(default)]
    pub expose: Vec<String>,
    /// Every other key of the service, carried as written (canonicalised).
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
pub struct Build {
    /// Absolute path (or URL) of the build context.
    pub context: String,
    /// Dockerfile path relative to the context (Docker's convention), default "Dockerfile".
    #[serde(default = "default_dockerfile")]
    pub dockerfile: String,
    pub dockerfile_inline: Option<String>,
    /// Build args; `None` value means "take it from the environment".
    #[serde(default)]
    pub args: IndexMap<String, Option<String>>,
    pub target: Option<String>,
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

fn default_dockerfile() -> String {
    "Dockerfile".to_string()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Port {
    pub name: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    pub host_ip: Option<String>,
    pub target: u16,
    /// A single port ("8080") or a range ("9090-9091"); `None` lets the engine pick.
    pub published: Option<String>,
    #[serde(default = "default_tcp")]
    pub protocol: String,
    pub app_protocol: Option<String>,
}

fn default_tcp() -> String {
    "tcp".to_string()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Mount {
    /// "volume", "bind", "tmpfs", "npipe", "cluster", "image".
    #[serde(rename = "type")]
    pub kind: String,
    /// Volume name (project-local key, not yet prefixed) or absolute host path.
    pub source: Option<String>,
    pub target: String,
    #[serde(default)]
    pub read_only: bool,
    pub bind: Option<serde_json::Value>,
    pub volume: Option<serde_json::Value>,
    pub tmpfs: Option<serde_json::Value>,
    pub consistency: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    #[default]
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Dependency {
    #[serde(default)]
    pub condition: Condition,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default)]
    pub restart: bool,
}

fn yes() -> bool {
    true
}

/// Healthcheck as canonicalised: `test` always a list (`["CMD", ...]`, `["CMD-SHELL", s]`,
/// `["NONE"]`); durations as Go duration strings ("1m30s").
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
pub struct Healthcheck {
    #[serde(default)]
    pub test: Option<Vec<String>>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<u64>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    #[serde(default)]
    pub disable: bool,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
pub struct ServiceNetwork {
    #[serde(default)]
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
pub struct Network {
    /// Engine-side name (`<project>_<key>` unless `name:` or external).
    #[serde(default)]
    pub name: String,
    pub driver: Option<String>,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
pub struct Volume {
    /// Engine-side name (`<project>_<key>` unless `name:` or external).
    #[serde(default)]
    pub name: String,
    pub driver: Option<String>,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    #[serde(flatten)]
    pub extra: IndexMap<String, serde_json::Value>,
}

/// Parses a Go-style duration as compose accepts it: "1m30s", "500ms", "2h", "1.5s", "10".
/// A bare number is seconds... no: compose-go rejects bare numbers for durations except 0;
/// we accept them as seconds to be lenient at runtime (the loader validates).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<f64>() {
        return (n >= 0.0).then(|| Duration::from_secs_f64(n));
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * mult;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

impl Healthcheck {
    /// True when this healthcheck turns checking off (`disable: true` or `test: ["NONE"]`).
    pub fn is_disabled(&self) -> bool {
        self.disable
            || self
                .test
                .as_ref()
                .is_some_and(|t| t.first().map(String::as_str) == Some("NONE"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).map(|d| d.as_millis());
        assert_eq!(d("1m30s"), Some(90_000));
        assert_eq!(d("500ms"), Some(500));
        assert_eq!(d("1h2m3s"), Some(3_723_000));
        assert_eq!(d("1.5s"), Some(1_500));
        assert_eq!(d("10"), Some(10_000));
        assert_eq!(d("5x"), None);
        assert_eq!(d(""), None);
    }
}
