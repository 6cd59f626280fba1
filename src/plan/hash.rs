//! The config hash stored on each container (`com.docker.compose.config-hash`): a digest of the
//! service's canonical configuration, minus the keys that do not affect the running container.

use crate::compose::Project;
use sha2::{Digest, Sha256};

/// Keys left out of the hash: they decide how an image is obtained or how many replicas run,
/// not what a container is (the image itself is compared by id separately).
const IGNORED: &[&str] = &["build", "pull_policy", "scale", "develop"];

/// Hex sha256 of the service's canonical JSON.
pub fn config_hash(project: &Project, service: &str) -> String {
    let mut value = project
        .tree
        .get("services")
        .and_then(|s| s.get(service))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    if let Some(map) = value.as_object_mut() {
        for key in IGNORED {
            map.remove(*key);
        }
        if let Some(deploy) = map.get_mut("deploy").and_then(|d| d.as_object_mut()) {
            deploy.remove("replicas");
        }
    }
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}
