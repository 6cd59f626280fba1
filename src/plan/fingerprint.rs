//! The build fingerprint: a digest of everything that decides an image (context after
//! .dockerignore, Dockerfile path, args, target, labels), stored as a label on built images so
//! a later run can tell, without the engine's help, whether a rebuild is needed.

use crate::compose::Build;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Build args with `None` values resolved from the caller's environment (unset ones dropped),
/// as the engine will receive them.
pub fn build_args(build: &Build, environ: &HashMap<String, String>) -> BTreeMap<String, String> {
    build
        .args
        .iter()
        .filter_map(|(k, v)| match v {
            Some(v) => Some((k.clone(), v.clone())),
            None => environ.get(k).map(|v| (k.clone(), v.clone())),
        })
        .collect()
}

/// Hex sha256 over the context digest and the build settings.
pub fn fingerprint(build: &Build, context_digest: &str, args: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    let mut field = |k: &str, v: &str| {
        h.update(k.as_bytes());
        h.update([0]);
        h.update(v.len().to_le_bytes());
        h.update(v.as_bytes());
    };
    field("context", context_digest);
    field("dockerfile", &build.dockerfile);
    if let Some(inline) = &build.dockerfile_inline {
        field("dockerfile_inline", inline);
    }
    field("target", build.target.as_deref().unwrap_or(""));
    for (k, v) in args {
        field("arg", &format!("{k}={v}"));
    }
    for (k, v) in &build.labels {
        field("label", &format!("{k}={v}"));
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_changes_with_each_input() {
        let b = Build {
            context: "/c".into(),
            dockerfile: "Dockerfile".into(),
            ..Default::default()
        };
        let none = BTreeMap::new();
        let base = fingerprint(&b, "d1", &none);
        assert_eq!(base, fingerprint(&b, "d1", &none));
        assert_ne!(base, fingerprint(&b, "d2", &none));
        let args = BTreeMap::from([("V".to_string(), "1".to_string())]);
        assert_ne!(base, fingerprint(&b, "d1", &args));
        let mut t = b.clone();
        t.target = Some("runtime".into());
        assert_ne!(base, fingerprint(&t, "d1", &none));
    }

    #[test]
    fn args_without_value_come_from_the_environment() {
        let mut b = Build::default();
        b.args.insert("A".into(), None);
        b.args.insert("B".into(), None);
        b.args.insert("C".into(), Some("c".into()));
        let env = HashMap::from([("A".to_string(), "from-env".to_string())]);
        let args = build_args(&b, &env);
        assert_eq!(args.get("A").map(String::as_str), Some("from-env"));
        assert!(!args.contains_key("B"));
        assert_eq!(args.get("C").map(String::as_str), Some("c"));
    }
}
