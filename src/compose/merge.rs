//! Merging canonical trees (later `-f` files, `extends`) with compose-go's per-attribute rules:
//! mappings merge by key, scalars and commands are replaced, ports/volumes/lists are appended
//! then made unique, and the `!reset` / `!override` tags opt out of merging.

use super::canonical::scalar_string;
use serde_json::Value;
use std::collections::HashMap;

/// A YAML tag that changes how a value merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeTag {
    /// `!reset`: drop the value (and whatever earlier files said).
    Reset,
    /// `!override`: replace the earlier value instead of merging with it.
    Override,
}

/// Tags found while parsing one file, by key path (`["services", "web", "ports"]`).
pub type Tags = HashMap<Vec<String>, MergeTag>;

#[derive(Clone, Copy)]
enum Rule {
    Replace,
    Merge,
    /// Append, then keep one entry per key (the later entry merged onto the first position).
    Unique(fn(&Value) -> String),
}

fn rule(path: &[String]) -> Rule {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["services", _, "command" | "entrypoint"] => Rule::Replace,
        ["services", _, "healthcheck", "test"] => Rule::Replace,
        ["services", _, "ports"] => Rule::Unique(port_key),
        ["services", _, "volumes" | "devices"] => Rule::Unique(volume_key),
        ["services", _, "secrets" | "configs"] => Rule::Unique(mount_key),
        ["services", _, "env_file"] => Rule::Unique(env_file_key),
        ["services", _, "dns" | "dns_search" | "dns_opt" | "expose" | "cap_add" | "cap_drop" | "profiles"
        | "tmpfs" | "links" | "extra_hosts"] => Rule::Unique(plain_key),
        ["services", _, "networks", _, "aliases"] => Rule::Unique(plain_key),
        ["services", _, "build", "extra_hosts" | "tags"] => Rule::Unique(plain_key),
        _ => Rule::Merge,
    }
}

fn is_logging(path: &[String]) -> bool {
    path.len() == 3 && path[0] == "services" && path[2] == "logging"
}

fn drivers_differ(base: &Value, overlay: &Value) -> bool {
    match (base.get("driver"), overlay.get("driver")) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

fn plain_key(v: &Value) -> String {
    scalar_string(v)
}

fn port_key(v: &Value) -> String {
    let f = |k: &str, d: &str| v.get(k).map(scalar_string).unwrap_or_else(|| d.to_string());
    format!(
        "{}:{}:{}/{}",
        f("host_ip", "0.0.0.0"),
        f("published", ""),
        f("target", ""),
        f("protocol", "tcp")
    )
}

fn volume_key(v: &Value) -> String {
    v.get("target").map(scalar_string).unwrap_or_default()
}

/// Secrets and configs are one per target; a short `configs` entry targets `/<source>`.
fn mount_key(v: &Value) -> String {
    match v.get("target").map(scalar_string) {
        Some(t) => t,
        None => format!(
            "/{}",
            v.get("source").map(scalar_string).unwrap_or_default()
        ),
    }
}

fn env_file_key(v: &Value) -> String {
    v.get("path").map(scalar_string).unwrap_or_default()
}

/// Merges `overlay` onto `base` at `path`, honouring `tags` of the overlay's file.
pub fn merge(base: &mut Value, overlay: Value, path: &mut Vec<String>, tags: &Tags) {
    let rule = rule(path);
    if is_logging(path) && drivers_differ(base, &overlay) {
        // Another logging driver's options mean nothing to this one: start afresh.
        *base = overlay;
        return;
    }
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) if matches!(rule, Rule::Merge) => {
            for (k, v) in o {
                path.push(k.clone());
                match tags.get(path.as_slice()) {
                    Some(MergeTag::Reset) => {
                        b.shift_remove(&k);
                    }
                    Some(MergeTag::Override) => {
                        b.insert(k, v);
                    }
                    None => match b.get_mut(&k) {
                        Some(existing) if !existing.is_null() => merge(existing, v, path, tags),
                        _ => {
                            b.insert(k, v);
                        }
                    },
                }
                path.pop();
            }
        }
        (Value::Array(b), Value::Array(o)) if !matches!(rule, Rule::Replace) => {
            b.extend(o);
            if let Rule::Unique(key) = rule {
                dedupe(b, key, path, tags);
            }
        }
        (b, o) => {
            if !o.is_null() || !matches!(rule, Rule::Merge) {
                *b = o;
            }
        }
    }
}

fn dedupe(items: &mut Vec<Value>, key: fn(&Value) -> String, path: &mut Vec<String>, tags: &Tags) {
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items.drain(..) {
        let k = key(&item);
        match index.get(&k) {
            Some(&i) => {
                if item.is_object() && out[i].is_object() {
                    merge(&mut out[i], item, path, tags);
                } else {
                    out[i] = item;
                }
            }
            None => {
                index.insert(k, out.len());
                out.push(item);
            }
        }
    }
    *items = out;
}

/// Takes the `!reset` values out of a file's tree before it is checked (a bare `!reset` is a
/// null where a list or mapping belongs) and returns where they were, for `put_back_resets`.
pub fn take_resets(tree: &mut Value, tags: &Tags) -> Vec<Vec<String>> {
    let mut taken: Vec<Vec<String>> = tags
        .iter()
        .filter(|(_, t)| **t == MergeTag::Reset)
        .map(|(p, _)| p.clone())
        .collect();
    // Deepest first, so a reset inside another reset is taken before its parent.
    taken.sort_by_key(|p| std::cmp::Reverse(p.len()));
    strip_resets(tree, tags);
    taken
}

/// Puts a null back at each reset path whose parent mapping survived checking, so that
/// `merge` sees the key and applies the tag.
pub fn put_back_resets(tree: &mut Value, paths: &[Vec<String>]) {
    for path in paths.iter().rev() {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let parent = parents
            .iter()
            .try_fold(&mut *tree, |node, p| node.get_mut(p.as_str()));
        if let Some(Value::Object(m)) = parent {
            m.insert(last.clone(), Value::Null);
        }
    }
}

/// Removes `!reset` values from a file's own tree (they mean "nothing here").
pub fn strip_resets(tree: &mut Value, tags: &Tags) {
    for (path, tag) in tags {
        if *tag != MergeTag::Reset {
            continue;
        }
        if let Some((last, parents)) = path.split_last() {
            let parent = parents
                .iter()
                .try_fold(&mut *tree, |node, p| node.get_mut(p.as_str()));
            if let Some(Value::Object(m)) = parent {
                m.shift_remove(last.as_str());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(base: Value, overlay: Value) -> Value {
        let mut base = json!({ "services": { "s": base } });
        merge(
            &mut base,
            json!({ "services": { "s": overlay } }),
            &mut vec![],
            &Tags::new(),
        );
        base["services"]["s"].clone()
    }

    #[test]
    fn merge_rules_one_key_at_a_time() {
        let cases = [
            (
                json!({"image": "a"}),
                json!({"image": "b"}),
                json!({"image": "b"}),
            ),
            (
                json!({"command": ["a", "b"]}),
                json!({"command": ["c"]}),
                json!({"command": ["c"]}),
            ),
            (
                json!({"healthcheck": {"test": ["CMD", "a"], "retries": 3}}),
                json!({"healthcheck": {"test": ["CMD", "b"]}}),
                json!({"healthcheck": {"test": ["CMD", "b"], "retries": 3}}),
            ),
            (
                json!({"environment": {"A": "1", "B": "2"}}),
                json!({"environment": {"B": "3", "C": "4"}}),
                json!({"environment": {"A": "1", "B": "3", "C": "4"}}),
            ),
            (
                json!({"dns": ["1", "2"]}),
                json!({"dns": ["2", "3"]}),
                json!({"dns": ["1", "2", "3"]}),
            ),
            (
                json!({"ports": [{"target": 80, "published": "80"}]}),
                json!({"ports": [{"target": 80, "published": "80"}, {"target": 80, "published": "81"}]}),
                json!({"ports": [{"target": 80, "published": "80"}, {"target": 80, "published": "81"}]}),
            ),
            (
                json!({"volumes": [{"type": "bind", "source": "./a", "target": "/d"}, {"target": "/x"}]}),
                json!({"volumes": [{"type": "bind", "source": "./b", "target": "/d"}]}),
                json!({"volumes": [{"type": "bind", "source": "./b", "target": "/d"}, {"target": "/x"}]}),
            ),
            (
                json!({"depends_on": {"a": {"condition": "service_started"}}}),
                json!({"depends_on": {"b": {"condition": "service_healthy"}}}),
                json!({"depends_on": {"a": {"condition": "service_started"}, "b": {"condition": "service_healthy"}}}),
            ),
            (
                json!({"logging": {"driver": "a", "options": {"x": "1"}}}),
                json!({"logging": {"driver": "b", "options": {"y": "2"}}}),
                json!({"logging": {"driver": "b", "options": {"y": "2"}}}),
            ),
            (
                json!({"logging": {"driver": "a", "options": {"x": "1"}}}),
                json!({"logging": {"options": {"y": "2"}}}),
                json!({"logging": {"driver": "a", "options": {"x": "1", "y": "2"}}}),
            ),
            (
                json!({"security_opt": ["a"]}),
                json!({"security_opt": ["a"]}),
                json!({"security_opt": ["a", "a"]}),
            ),
        ];
        for (base, overlay, want) in cases {
            assert_eq!(
                merged(base.clone(), overlay.clone()),
                want,
                "{base} + {overlay}"
            );
        }
    }

    #[test]
    fn tags_replace_or_reset() {
        let mut base = json!({"services": {"s": {"ports": [1], "dns": ["a"], "image": "x"}}});
        let mut tags = Tags::new();
        tags.insert(
            vec!["services".into(), "s".into(), "ports".into()],
            MergeTag::Override,
        );
        tags.insert(
            vec!["services".into(), "s".into(), "dns".into()],
            MergeTag::Reset,
        );
        merge(
            &mut base,
            json!({"services": {"s": {"ports": [2], "dns": null}}}),
            &mut vec![],
            &tags,
        );
        assert_eq!(
            base,
            json!({"services": {"s": {"ports": [2], "image": "x"}}})
        );
    }
}
