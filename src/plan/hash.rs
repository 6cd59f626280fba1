//! The config hash stored on each container (`com.docker.compose.config-hash`): a digest of the
//! service's canonical configuration, minus the keys that do not affect the running container.

use crate::compose::Project;
use sha2::{Digest, Sha256};

/// Keys left out of the hash, as Docker Compose's `ServiceHash` leaves them out: they decide
/// how an image is obtained, how many replicas run or when the service starts, not what a
/// container is (the image itself is compared by id separately).
const IGNORED: &[&str] = &["build", "pull_policy", "scale", "depends_on", "profiles"];

/// Hex sha256 of the service's JSON as compose-go marshals it, byte-equal to Compose's
/// `config --hash` so containers created by either tool are recognised as up to date by the
/// other.
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
    // The tree holds every literal `$` written back as `$$` (the re-loadable `config` form);
    // Compose hashes the interpolated values themselves.
    let json = crate::compose::service_json(&value).replace("$$", "$");
    hex::encode(Sha256::digest(json))
}
