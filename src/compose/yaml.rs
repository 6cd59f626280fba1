//! Reads one compose file into an untyped JSON tree, keeping `!reset`/`!override` tags aside
//! and reporting syntax errors as `file:line:column`.

use super::merge::{MergeTag, Tags};
use serde_json::{Map, Number, Value};
use serde_yaml::Value as Yaml;
use std::path::Path;

/// Parses YAML text. Mapping keys become strings; tags are collected by key path.
pub fn parse(text: &str, file: &Path) -> Result<(Value, Tags), String> {
    let mut doc: Yaml = serde_yaml::from_str(text).map_err(|e| {
        let msg = strip_location(&e.to_string());
        match e.location() {
            Some(loc) => format!(
                "{}:{}:{}: yaml: {msg}{}",
                file.display(),
                loc.line(),
                loc.column(),
                snippet(text, loc.line(), loc.column())
            ),
            None => format!("{}: yaml: {msg}", file.display()),
        }
    })?;
    doc.apply_merge()
        .map_err(|e| format!("{}: yaml: {e}", file.display()))?;
    let mut tags = Tags::new();
    let tree = convert(doc, &mut vec![], &mut tags);
    let tree = match tree {
        Value::Null => Value::Object(Map::new()),
        Value::Object(_) => tree,
        _ => {
            return Err(format!(
                "{}: top-level object must be a mapping",
                file.display()
            ))
        }
    };
    Ok((tree, tags))
}

/// The offending line with a caret under the column, for the error message.
fn snippet(text: &str, line: usize, column: usize) -> String {
    let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let width = line.to_string().len();
    format!(
        "\n{line:>width$} | {src}\n{:>width$} | {}^",
        "",
        " ".repeat(column.saturating_sub(1))
    )
}

fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn key_string(k: Yaml) -> String {
    match k {
        Yaml::String(s) => s,
        Yaml::Bool(b) => b.to_string(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Null => "null".into(),
        Yaml::Tagged(t) => key_string(t.value),
        other => serde_yaml::to_string(&other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn convert(v: Yaml, path: &mut Vec<String>, tags: &mut Tags) -> Value {
    match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(n.to_string()))
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    path.push(i.to_string());
                    let v = convert(item, path, tags);
                    path.pop();
                    v
                })
                .collect(),
        ),
        Yaml::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = key_string(k);
                path.push(key.clone());
                let v = convert(v, path, tags);
                path.pop();
                out.insert(key, v);
            }
            Value::Object(out)
        }
        Yaml::Tagged(t) => {
            if t.tag == "reset" {
                tags.insert(path.clone(), MergeTag::Reset);
            } else if t.tag == "override" {
                tags.insert(path.clone(), MergeTag::Override);
            }
            convert(t.value, path, tags)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_collected_by_path() {
        let (tree, tags) = parse(
            "services:\n  web:\n    ports: !override\n      - 80\n    dns: !reset []\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(tree["services"]["web"]["ports"][0], 80);
        let p = |k: &str| vec!["services".to_string(), "web".to_string(), k.to_string()];
        assert_eq!(tags.get(&p("ports")), Some(&MergeTag::Override));
        assert_eq!(tags.get(&p("dns")), Some(&MergeTag::Reset));
    }

    #[test]
    fn syntax_errors_name_file_line_column() {
        let err = parse(
            "services:\n  web:\n    image: [a\n  db: 1\n",
            Path::new("/p/c.yaml"),
        )
        .unwrap_err();
        assert!(err.starts_with("/p/c.yaml:4:5: yaml: "), "{err}");
        assert!(err.ends_with("4 |   db: 1\n  |     ^"), "{err}");
    }

    #[test]
    fn non_string_keys_become_strings() {
        let (tree, _) = parse("x:\n  1: a\n  true: b\n", Path::new("c.yaml")).unwrap();
        assert_eq!(tree["x"]["1"], "a");
        assert_eq!(tree["x"]["true"], "b");
    }
}
