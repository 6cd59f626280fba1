//! The config hash stored on each container (`com.docker.compose.config-hash`): a digest of the
//! service's canonical configuration, minus the keys that do not affect the running container.

use crate::compose::Project;
use sha2::{Digest, Sha256};

/// Keys left out of the hash, as Docker Compose's `ServiceHash` leaves them out: they decide
/// how an image is obtained, how many replicas run or when the service starts, not what a
/// container is (the image itself is compared by id separately).
const IGNORED: &[&str] = &["build", "pull_policy", "scale", "depends_on", "profiles"];

/// Hex sha256 of the service's canonical JSON, byte-equal to Compose's `config --hash` so
/// containers created by either tool are recognised as up to date by the other.
pub fn config_hash(project: &Project, service: &str) -> String {
    let mut value = project
        .tree
        .get("services")
        .and_then(|s| s.get(service))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    if let Some(map) = value.as_object_mut() {
        for key in IGNORED {
            map.shift_remove(*key);
        }
        if let Some(deploy) = map.get_mut("deploy").and_then(|d| d.as_object_mut()) {
            deploy.shift_remove("replicas");
        }
    }
    strip_extensions(&mut value);
    crate::compose::go_json_service(&mut value);
    // The tree holds every literal `$` written back as `$$` (the re-loadable `config` form);
    // Compose hashes the interpolated values themselves.
    let json = serde_json::to_string(&value)
        .unwrap_or_default()
        .replace("$$", "$");
    hex::encode(Sha256::digest(go_escape(&json)))
}

/// Compose's model keeps `x-` extensions out of its JSON; free-form maps (environment, labels,
/// options) hold user keys, where `x-` is no extension.
fn strip_extensions(v: &mut serde_json::Value) {
    const FREE_FORM: &[&str] = &[
        "environment",
        "labels",
        "annotations",
        "sysctls",
        "args",
        "options",
        "driver_opts",
        "extra_hosts",
    ];
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| !k.starts_with("x-"));
            for (k, child) in m.iter_mut() {
                if !FREE_FORM.contains(&k.as_str()) {
                    strip_extensions(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_extensions),
        _ => {}
    }
}

/// Go's `json.Marshal` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; those
/// characters appear in JSON text only inside strings, so a plain replacement is exact.
fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
