//! Reads one compose file into an untyped JSON tree, keeping `!reset`/`!override` tags aside
//! and reporting syntax errors as `file:line:column`. Plain scalars mean what they mean to
//! go-yaml, compose-go's parser (`0755` is 493, `1_000` is 1000).

use super::goyaml::{resolve, Resolved};
use super::merge::{MergeTag, Tags};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Map, Number, Value};
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value as Yaml};
use std::fmt;
use std::path::Path;

/// Parses YAML text of a single document. Mapping keys become strings; tags are collected by
/// key path.
#[cfg(test)]
pub fn parse(text: &str, file: &Path) -> Result<(Value, Tags), String> {
    let mut docs = parse_documents(text, file)?;
    Ok(docs.remove(0))
}

/// Parses YAML text into one tree per document (`---`), which Compose merges like files. An
/// empty text is one empty mapping; an empty document among several is an error.
pub fn parse_documents(text: &str, file: &Path) -> Result<Vec<(Value, Tags)>, String> {
    let mut docs = Vec::new();
    for de in serde_yaml::Deserializer::from_str(text) {
        docs.push(parse_document(de, text, file)?);
    }
    match docs.len() {
        0 => docs.push((Value::Null, Tags::new())),
        1 => {}
        _ if docs.iter().any(|(d, _)| d.is_null()) => {
            return Err(format!(
                "{}: top-level object must be a mapping",
                file.display()
            ))
        }
        _ => {}
    }
    for (tree, _) in docs.iter_mut() {
        if tree.is_null() {
            *tree = Value::Object(Map::new());
        }
    }
    Ok(docs)
}

fn parse_document(
    de: serde_yaml::Deserializer<'_>,
    text: &str,
    file: &Path,
) -> Result<(Value, Tags), String> {
    let seed = GoValue { text, key: false };
    let mut doc: Yaml = seed.deserialize(de).map_err(|e| {
        let msg = strip_location(&e.to_string());
        match e.location() {
            Some(loc) => {
                let (msg, line, column) = match duplicate_key(text, &msg, loc.line(), loc.column())
                {
                    Some((key, first, line)) => (
                        format!("mapping key {key:?} already defined at line {first}"),
                        line,
                        loc.column(),
                    ),
                    None => (msg, loc.line(), loc.column()),
                };
                format!(
                    "{}:{line}:{column}: yaml: {msg}{}",
                    file.display(),
                    snippet(text, line, column)
                )
            }
            None => format!("{}: yaml: {msg}", file.display()),
        }
    })?;
    doc.apply_merge()
        .map_err(|e| format!("{}: yaml: {e}", file.display()))?;
    let mut tags = Tags::new();
    let tree = convert(doc, &mut vec![], &mut tags);
    match tree {
        Value::Null | Value::Object(_) => Ok((tree, tags)),
        _ => Err(format!(
            "{}: top-level object must be a mapping",
            file.display()
        )),
    }
}

/// The offending line with a caret under the column, for the error message.
pub(super) fn snippet(text: &str, line: usize, column: usize) -> String {
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

/// yaml_serde reports a repeated key at the start of its mapping; Compose (go-yaml) names the
/// repeated key's own line and the line of its first definition. Finds the second `key:` at
/// the mapping's column after `line`: the key and the 1-based lines of both.
fn duplicate_key(
    text: &str,
    msg: &str,
    line: usize,
    column: usize,
) -> Option<(String, usize, usize)> {
    let quoted = msg.split("duplicate entry with key ").nth(1)?;
    let key: String = serde_json::from_str(quoted.trim()).ok()?;
    let indent = column.checked_sub(1)?;
    let mut first = None;
    for (i, l) in text.lines().enumerate().skip(line.checked_sub(1)?) {
        let Some(rest) = l.get(indent..) else {
            continue;
        };
        let lead = l.get(..indent).unwrap_or_default();
        if !lead.trim_start_matches(['-', ' ']).is_empty() && !lead.chars().all(|c| c == ' ') {
            continue;
        }
        let is_key = [key.clone(), format!("\"{key}\""), format!("'{key}'")]
            .iter()
            .any(|k| {
                rest.strip_prefix(k.as_str())
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            });
        if is_key {
            match first {
                None => first = Some(i + 1),
                Some(f) => return Some((key, f, i + 1)),
            }
        }
    }
    None
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

/// Builds yaml_serde's `Value` like its own deserializer does, except that a plain scalar
/// resolves by go-yaml's rules. yaml_serde hands out plain and quoted strings alike, but a
/// borrowed one points into the text: a quote just before it means it was quoted.
struct GoValue<'a> {
    text: &'a str,
    /// Mapping keys stay as written.
    key: bool,
}

impl GoValue<'_> {
    fn nested(&self, key: bool) -> Self {
        GoValue {
            text: self.text,
            key,
        }
    }

    fn is_plain(&self, s: &str) -> bool {
        let start = self.text.as_ptr() as usize;
        let at = s.as_ptr() as usize;
        if at < start || at + s.len() > start + self.text.len() {
            return false;
        }
        let before = &self.text[..at - start];
        if before.ends_with(['"', '\'']) {
            return false;
        }
        // An explicit tag (`!!str 123`) decides the type itself.
        let token = before.trim_end().rsplit(char::is_whitespace).next();
        !token.is_some_and(|t| t.starts_with('!'))
    }
}

impl<'de> DeserializeSeed<'de> for GoValue<'_> {
    type Value = Yaml;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GoValue<'_> {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Yaml, E> {
        Ok(Yaml::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Yaml, E> {
        Ok(Yaml::Number(i.into()))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Yaml, E> {
        Ok(Yaml::Number(u.into()))
    }

    /// Beyond 64 bits go-yaml falls back to a float.
    fn visit_i128<E>(self, i: i128) -> Result<Yaml, E> {
        Ok(Yaml::Number((i as f64).into()))
    }

    fn visit_u128<E>(self, u: u128) -> Result<Yaml, E> {
        Ok(Yaml::Number((u as f64).into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Yaml, E> {
        Ok(Yaml::Number(f.into()))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Yaml, E> {
        if self.key || !self.is_plain(s) {
            return Ok(Yaml::String(s.to_string()));
        }
        Ok(match resolve(s) {
            Resolved::Null => Yaml::Null,
            Resolved::Bool(b) => Yaml::Bool(b),
            Resolved::Int(n) => match (i64::try_from(n), u64::try_from(n)) {
                (Ok(i), _) => Yaml::Number(i.into()),
                (_, Ok(u)) => Yaml::Number(u.into()),
                _ => Yaml::Number((n as f64).into()),
            },
            Resolved::Float(f) => Yaml::Number(f.into()),
            Resolved::Timestamp | Resolved::Merge | Resolved::Str => Yaml::String(s.to_string()),
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Yaml, E> {
        Ok(Yaml::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Yaml, E> {
        Ok(Yaml::String(s))
    }

    fn visit_unit<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }

    fn visit_none<E>(self) -> Result<Yaml, E> {
        Ok(Yaml::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Yaml, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Yaml, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.nested(false))? {
            items.push(item);
        }
        Ok(Yaml::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Yaml, A::Error> {
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(self.nested(true))? {
            if mapping.contains_key(&key) {
                let what = match &key {
                    Yaml::String(s) => format!("with key {s:?}"),
                    Yaml::Null => "with null key".into(),
                    other => format!("with key {}", key_string(other.clone())),
                };
                return Err(de::Error::custom(format!("duplicate entry {what}")));
            }
            let value = map.next_value_seed(self.nested(false))?;
            mapping.insert(key, value);
        }
        Ok(Yaml::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Yaml, A::Error> {
        let (tag, contents): (String, _) = data.variant()?;
        let value = contents.newtype_variant_seed(self.nested(false))?;
        Ok(Yaml::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
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
                // JSON has no infinities: keep the text compose-go would turn them into.
                let f = n.as_f64().unwrap_or(f64::NAN);
                Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(super::gofmt::sprint_float(f)))
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
    fn repeated_keys_name_both_lines() {
        let cases = [
            (
                "services:\n  web:\n    ports: []\n    image: a\n    env: {}\n    image: b\n",
                "c.yaml:6:5: yaml: mapping key \"image\" already defined at line 4",
            ),
            (
                "services: {}\nname: x\nservices: {}\n",
                "c.yaml:3:1: yaml: mapping key \"services\" already defined at line 1",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text, Path::new("c.yaml")).unwrap_err();
            assert!(err.starts_with(want), "{err}");
        }
        // Flow mappings keep the parser's own position.
        let err = parse("a: {b: 1, b: 2}\n", Path::new("c.yaml")).unwrap_err();
        assert!(err.contains("duplicate entry"), "{err}");
    }

    #[test]
    fn plain_scalars_resolve_like_go_yaml() {
        let (tree, _) = parse(
            "a: 0755\nb: '0755'\nc: 1_000\nd: \"1_000\"\ne: 08\nf: .inf\n0755: k\ng: !!str 0755\n",
            Path::new("c.yaml"),
        )
        .unwrap();
        assert_eq!(tree["a"], 493);
        assert_eq!(tree["b"], "0755");
        assert_eq!(tree["c"], 1000);
        assert_eq!(tree["d"], "1_000");
        assert_eq!(tree["e"], 8.0);
        assert_eq!(tree["f"], "+Inf");
        assert_eq!(tree["0755"], "k");
        assert_eq!(tree["g"], "0755");
    }

    #[test]
    fn non_string_keys_become_strings() {
        let (tree, _) = parse("x:\n  1: a\n  true: b\n", Path::new("c.yaml")).unwrap();
        assert_eq!(tree["x"]["1"], "a");
        assert_eq!(tree["x"]["true"], "b");
    }
}
