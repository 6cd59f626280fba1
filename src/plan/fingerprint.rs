//! The build fingerprint: a digest of everything that decides an image (context after
//! .dockerignore, Dockerfile path, args, target, labels, base image ids), stored as a label on built images so
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

/// The external images a Dockerfile starts from (`FROM` lines), in order, without stage names,
/// `scratch`, and references still holding a `$` variable after substituting `args` (those are
/// decided by the build itself and covered by the args in the fingerprint).
pub fn base_images(dockerfile: &str, args: &BTreeMap<String, String>) -> Vec<String> {
    let mut stages: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for line in dockerfile.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words
            .first()
            .is_none_or(|w| !w.eq_ignore_ascii_case("FROM"))
        {
            continue;
        }
        let mut rest = words[1..].iter().filter(|w| !w.starts_with("--"));
        let Some(image) = rest.next() else { continue };
        let image = substitute(image, args);
        let is_stage = stages.contains(&image.to_ascii_lowercase());
        if let (Some(as_kw), Some(name)) = (rest.next(), rest.next()) {
            if as_kw.eq_ignore_ascii_case("AS") {
                stages.push(name.to_ascii_lowercase());
            }
        }
        if is_stage || image == "scratch" || image.contains('$') || out.contains(&image) {
            continue;
        }
        out.push(image);
    }
    out
}

/// `$NAME` / `${NAME}` from `args`; unknown names are left in place.
fn substitute(word: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = word.to_string();
    for (k, v) in args {
        out = out
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    out
}

/// Hex sha256 over the context digest, the build settings and the base images' ids
/// (`bases`: reference → id, for the bases present locally).
pub fn fingerprint(
    build: &Build,
    context_digest: &str,
    args: &BTreeMap<String, String>,
    bases: &BTreeMap<String, String>,
) -> String {
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
    for (r, id) in bases {
        field("base", &format!("{r}={id}"));
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
        let base = fingerprint(&b, "d1", &none, &none);
        assert_eq!(base, fingerprint(&b, "d1", &none, &none));
        assert_ne!(base, fingerprint(&b, "d2", &none, &none));
        let args = BTreeMap::from([("V".to_string(), "1".to_string())]);
        assert_ne!(base, fingerprint(&b, "d1", &args, &none));
        let mut t = b.clone();
        t.target = Some("runtime".into());
        assert_ne!(base, fingerprint(&t, "d1", &none, &none));
        let from = BTreeMap::from([("alpine".to_string(), "sha256:1".to_string())]);
        let from2 = BTreeMap::from([("alpine".to_string(), "sha256:2".to_string())]);
        assert_ne!(base, fingerprint(&b, "d1", &none, &from));
        assert_ne!(
            fingerprint(&b, "d1", &none, &from),
            fingerprint(&b, "d1", &none, &from2)
        );
    }

    #[test]
    fn base_images_skip_stages_scratch_and_unresolved_args() {
        let df = "ARG BASE=x\nFROM --platform=linux/amd64 golang:1.22 AS build\nRUN go build\n\
                  from build AS test\nFROM scratch\nFROM ${BASE}\nFROM ${TAG}-alpine\n\
                  FROM mls/busybox:local\nCOPY --from=build /x /x\n";
        let args = BTreeMap::from([("BASE".to_string(), "debian:12".to_string())]);
        assert_eq!(
            base_images(df, &args),
            vec!["golang:1.22", "debian:12", "mls/busybox:local"]
        );
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
