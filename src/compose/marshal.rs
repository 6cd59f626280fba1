//! compose-go's marshalling of a project, on the canonical tree: each value is printed as the
//! Go type it decodes into (`gotypes`) would print it, for go-yaml or for Go's JSON encoder.
//! The result (`Out`) keeps its final key order; `goyaml` and `gojson` only write it out.

use super::gofmt::sprint;
use super::gotypes::{Struct, Ty, PROJECT, SERVICE};
use super::goyaml::key_order;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// A marshalled value, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Null,
    Bool(bool),
    Int(i128),
    /// A float, and whether it is a float32.
    Float(f64, bool),
    Str(String),
    Seq(Vec<Out>),
    Map(Vec<(String, Out)>),
}

/// Which encoder's rules apply (they differ on `omitempty`, key names and map order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    Yaml,
    Json,
}

impl Enc {
    fn order(self, a: &str, b: &str) -> Ordering {
        match self {
            Enc::Yaml => key_order(a, b),
            Enc::Json => a.cmp(b),
        }
    }
}

/// The project as `config` prints it. Its JSON is `types.Project.MarshalJSON`'s map: name,
/// services, the non-empty resource maps and top-level extensions, sorted, and no models.
pub fn project(tree: &Value, enc: Enc) -> Out {
    if enc == Enc::Yaml {
        return marshal(Some(tree), &PROJECT, enc);
    }
    let Ty::Struct(fields) = &PROJECT else {
        return Out::Null;
    };
    let root = tree.as_object();
    let get = |k: &str| root.and_then(|r| r.get(k));
    let mut entries: Vec<(String, Out)> = Vec::new();
    for field in fields.fields {
        let v = get(field.key);
        let wanted = match field.key {
            "name" | "services" => true,
            "models" => false,
            _ => !is_zero(v, field.ty, enc),
        };
        if wanted {
            entries.push((field.key.to_string(), marshal(v, field.ty, enc)));
        }
    }
    for (k, v) in root.into_iter().flatten() {
        if k.starts_with("x-") {
            entries.push((k.clone(), any(Some(v), enc)));
        }
    }
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    Out::Map(entries)
}

/// One service as compose-go's `ServiceConfig` prints it.
pub fn service(svc: &Value, enc: Enc) -> Out {
    marshal(Some(svc), &SERVICE, enc)
}

/// An untyped model (`config --no-interpolate`): maps sorted, values as decoded.
pub fn raw(tree: &Value, enc: Enc) -> Out {
    any(Some(tree), enc)
}

fn marshal(v: Option<&Value>, ty: &Ty, enc: Enc) -> Out {
    let v = v.filter(|v| !v.is_null());
    match ty {
        Ty::Str => Out::Str(v.map(sprint).unwrap_or_default()),
        Ty::Bool => match v {
            Some(Value::String(s)) => parse_bool(s).map_or_else(|| Out::Str(s.clone()), Out::Bool),
            other => Out::Bool(other.is_some_and(|b| b.as_bool() == Some(true))),
        },
        Ty::Int => int(v),
        Ty::F32 => match v.map(float) {
            Some(Some(f)) => Out::Float(f64::from(f as f32), true),
            Some(None) => Out::Str(v.map(sprint).unwrap_or_default()),
            None => Out::Float(0.0, true),
        },
        Ty::Duration => Out::Str(match v {
            Some(Value::String(s)) => s.clone(),
            Some(other) if other.as_f64() != Some(0.0) => sprint(other),
            _ => "0s".into(),
        }),
        Ty::Bytes => Out::Str(v.map(sprint).unwrap_or_else(|| "0".into())),
        Ty::FileMode => file_mode(v),
        Ty::Command => match v {
            None => Out::Null,
            Some(Value::Array(words)) => {
                Out::Seq(words.iter().map(|w| Out::Str(sprint(w))).collect())
            }
            Some(other) => Out::Seq(vec![Out::Str(sprint(other))]),
        },
        Ty::Ulimit => ulimit(v, enc),
        Ty::EnvFile => env_file(v, enc),
        Ty::Ssh => ssh(v, enc),
        Ty::MultiOptions => multi_options(v, enc),
        Ty::Ptr(inner) => match v {
            None => Out::Null,
            some => marshal(some, inner, enc),
        },
        Ty::Seq(inner) => Out::Seq(match v {
            Some(Value::Array(items)) => {
                items.iter().map(|i| marshal(Some(i), inner, enc)).collect()
            }
            Some(other) => vec![marshal(Some(other), inner, enc)],
            None => Vec::new(),
        }),
        Ty::Map(inner) => {
            let empty = Map::new();
            let m = v.and_then(Value::as_object).unwrap_or(&empty);
            sorted(m, enc, |v| marshal(Some(v), inner, enc))
        }
        Ty::Struct(st) => strukt(v.and_then(Value::as_object), st, enc),
    }
}

fn sorted(m: &Map<String, Value>, enc: Enc, each: impl Fn(&Value) -> Out) -> Out {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort_by(|a, b| enc.order(a, b));
    Out::Map(keys.into_iter().map(|k| (k.clone(), each(&m[k]))).collect())
}

/// A struct's fields in declaration order, `omitempty` ones left out when zero; in YAML its
/// `x-*` extensions follow, sorted. Keys compose-go has no field for are dropped.
fn strukt(obj: Option<&Map<String, Value>>, st: &Struct, enc: Enc) -> Out {
    let mut out = Vec::new();
    for field in st.fields {
        let (name, omitempty) = match enc {
            Enc::Yaml => (Some(field.key), field.yaml_omitempty),
            Enc::Json => (field.json, field.json_omitempty),
        };
        let Some(name) = name else { continue };
        let v = obj.and_then(|m| m.get(field.key));
        if omitempty && is_zero(v, field.ty, enc) {
            continue;
        }
        out.push((name.to_string(), marshal(v, field.ty, enc)));
    }
    if enc == Enc::Yaml && st.extensions {
        let mut ext: Vec<(&String, &Value)> = obj
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.starts_with("x-"))
            .collect();
        ext.sort_by(|(a, _), (b, _)| key_order(a, b));
        out.extend(ext.into_iter().map(|(k, v)| (k.clone(), any(Some(v), enc))));
    }
    Out::Map(out)
}

/// Whether a value is its Go type's zero value, as `omitempty` sees it: go-yaml also counts
/// all-zero structs; Go's JSON encoder never leaves a struct out.
fn is_zero(v: Option<&Value>, ty: &Ty, enc: Enc) -> bool {
    if matches!(ty, Ty::Struct(_)) && enc == Enc::Json {
        return false;
    }
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return true;
    };
    match ty {
        Ty::Str => sprint(v).is_empty(),
        Ty::Bool => match v {
            Value::String(s) => parse_bool(s) == Some(false),
            other => other.as_bool() == Some(false),
        },
        Ty::Int => int(Some(v)) == Out::Int(0),
        Ty::F32 => float(v) == Some(0.0),
        Ty::Duration => match v {
            Value::String(s) => super::canonical::parse_go_duration(s) == Some(0),
            other => other.as_f64() == Some(0.0),
        },
        Ty::Bytes => sprint(v) == "0",
        Ty::Seq(_) | Ty::Ssh => v.as_array().is_some_and(Vec::is_empty),
        Ty::Map(_) | Ty::MultiOptions => v.as_object().is_some_and(Map::is_empty),
        Ty::Struct(st) => struct_is_zero(v.as_object(), st),
        Ty::FileMode | Ty::Command | Ty::Ulimit | Ty::EnvFile | Ty::Ptr(_) => false,
    }
}

fn struct_is_zero(obj: Option<&Map<String, Value>>, st: &Struct) -> bool {
    let Some(m) = obj else { return true };
    let fields_zero = st
        .fields
        .iter()
        .all(|f| is_zero(m.get(f.key), f.ty, Enc::Yaml));
    fields_zero && !(st.extensions && m.keys().any(|k| k.starts_with("x-")))
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" | "1" | "t" | "T" => Some(true),
        "false" | "False" | "FALSE" | "0" | "f" | "F" => Some(false),
        _ => None,
    }
}

fn float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn int_of(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i128)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i128::from(*b)),
        _ => None,
    }
}

/// An integer; text that is not one stays text rather than being lost.
fn int(v: Option<&Value>) -> Out {
    match v {
        None => Out::Int(0),
        Some(v) => int_of(v).map_or_else(|| Out::Str(sprint(v)), Out::Int),
    }
}

/// `FileMode` prints in octal; a string is read as octal, a YAML number as is.
fn file_mode(v: Option<&Value>) -> Out {
    let n = match v {
        Some(Value::String(s)) => i64::from_str_radix(s.trim(), 8).ok(),
        Some(other) => other.as_i64(),
        None => Some(0),
    };
    match n {
        Some(n) if n < 0 => Out::Str(format!("0-{:o}", n.unsigned_abs())),
        Some(n) => Out::Str(format!("0{n:o}")),
        None => Out::Str(v.map(sprint).unwrap_or_default()),
    }
}

/// `UlimitsConfig`: a single number as is; else go-yaml always prints soft and hard, Go's
/// JSON only the non-zero ones.
fn ulimit(v: Option<&Value>, enc: Enc) -> Out {
    let num = |v: Option<&Value>| v.and_then(int_of).unwrap_or(0);
    let (single, soft, hard) = match v {
        Some(Value::Object(m)) => (0, num(m.get("soft")), num(m.get("hard"))),
        other => (num(other), 0, 0),
    };
    if single != 0 {
        return Out::Int(single);
    }
    let pairs = [("soft", soft), ("hard", hard)];
    Out::Map(
        pairs
            .into_iter()
            .filter(|(_, n)| enc == Enc::Yaml || *n != 0)
            .map(|(k, n)| (k.to_string(), Out::Int(n)))
            .collect(),
    )
}

/// `EnvFile`: a required file prints as its path; otherwise go-yaml prints path and
/// required (sorted, without format) and Go's JSON the whole struct.
fn env_file(v: Option<&Value>, enc: Enc) -> Out {
    let m = match v {
        Some(Value::Object(m)) => m,
        other => return Out::Str(other.map(sprint).unwrap_or_default()),
    };
    let path = m.get("path").map(sprint).unwrap_or_default();
    let required = m.get("required").and_then(Value::as_bool).unwrap_or(true);
    if required {
        return Out::Str(path);
    }
    let mut out = Vec::new();
    if !path.is_empty() || enc == Enc::Yaml {
        out.push(("path".to_string(), Out::Str(path)));
    }
    out.push(("required".to_string(), Out::Bool(false)));
    let format = m.get("format").map(sprint).unwrap_or_default();
    if enc == Enc::Json && !format.is_empty() {
        out.push(("format".to_string(), Out::Str(format)));
    }
    Out::Map(out)
}

/// `SSHConfig` entries, `id` or `id=path` in the tree. go-yaml prints `id: path`; Compose's
/// JSON encoder fails on a path (it writes invalid JSON), so JSON keeps the input form.
fn ssh(v: Option<&Value>, enc: Enc) -> Out {
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    match v {
        Some(Value::Array(items)) => {
            for item in items {
                let s = sprint(item);
                keys.push(match s.split_once('=') {
                    Some((id, path)) => (id.to_string(), Some(path.to_string())),
                    None => (s, None),
                });
            }
        }
        Some(Value::Object(m)) => {
            for (id, path) in m {
                keys.push((id.clone(), (!path.is_null()).then(|| sprint(path))));
            }
        }
        _ => {}
    }
    let sep = if enc == Enc::Yaml { ": " } else { "=" };
    Out::Seq(
        keys.into_iter()
            .map(|(id, path)| match path {
                Some(p) if !p.is_empty() => Out::Str(format!("{id}{sep}{p}")),
                _ => Out::Str(id),
            })
            .collect(),
    )
}

/// `MultiOptions`: every value becomes a list of strings.
fn multi_options(v: Option<&Value>, enc: Enc) -> Out {
    let empty = Map::new();
    let m = v.and_then(Value::as_object).unwrap_or(&empty);
    sorted(m, enc, |v| match v {
        Value::Array(items) => Out::Seq(items.iter().map(|i| Out::Str(sprint(i))).collect()),
        other => Out::Seq(vec![Out::Str(sprint(other))]),
    })
}

/// An `interface{}` value as decoded from YAML.
fn any(v: Option<&Value>, enc: Enc) -> Out {
    match v {
        None | Some(Value::Null) => Out::Null,
        Some(Value::Bool(b)) => Out::Bool(*b),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Out::Int(i.into()),
            (_, Some(u)) => Out::Int(u.into()),
            _ => Out::Float(n.as_f64().unwrap_or(0.0), false),
        },
        Some(Value::String(s)) => Out::Str(s.clone()),
        Some(Value::Array(items)) => Out::Seq(items.iter().map(|i| any(Some(i), enc)).collect()),
        Some(Value::Object(m)) => sorted(m, enc, |v| any(Some(v), enc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(out: &Out) -> Vec<&str> {
        match out {
            Out::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn fields_follow_go_struct_order_and_omitempty() {
        let svc = json!({
            "image": "a", "privileged": false, "init": false, "entrypoint": [],
            "deploy": {"resources": {"limits": {"memory": "10", "cpus": "1"}}},
            "x-b": 1, "x-a": 2,
        });
        let yaml = service(&svc, Enc::Yaml);
        assert_eq!(
            keys(&yaml),
            ["deploy", "entrypoint", "image", "init", "x-a", "x-b"]
        );
        let json = service(&svc, Enc::Json);
        assert_eq!(
            keys(&json),
            ["command", "deploy", "entrypoint", "image", "init"]
        );
    }

    #[test]
    fn zero_structs_are_omitted_in_yaml_only() {
        let svc = json!({"deploy": {}, "healthcheck": {"test": []}});
        let Out::Map(yaml) = service(&svc, Enc::Yaml) else {
            panic!()
        };
        assert_eq!(yaml[0], ("deploy".into(), Out::Map(vec![])));
        assert_eq!(yaml[1], ("healthcheck".into(), Out::Map(vec![])));
        let Out::Map(json) = service(&svc, Enc::Json) else {
            panic!()
        };
        assert_eq!(keys(&json[1].1), ["resources", "placement"]);
    }

    #[test]
    fn go_types_print_their_own_way() {
        let svc = json!({
            "environment": {"A": 1.0, "B": null},
            "cpus": 0.3333333333333333,
            "secrets": [{"source": "s", "mode": 256}],
            "ulimits": {"nofile": {"soft": 1, "hard": 2}, "nproc": 5},
        });
        let Out::Map(yaml) = service(&svc, Enc::Yaml) else {
            panic!()
        };
        assert_eq!(yaml[0].1, Out::Float(f64::from(0.33333334f32), true));
        assert_eq!(
            yaml[1].1,
            Out::Map(vec![
                ("A".into(), Out::Str("1".into())),
                ("B".into(), Out::Null)
            ])
        );
        assert_eq!(
            yaml[2].1,
            Out::Seq(vec![Out::Map(vec![
                ("source".into(), Out::Str("s".into())),
                ("mode".into(), Out::Str("0400".into())),
            ])])
        );
        assert_eq!(
            yaml[3].1,
            Out::Map(vec![
                (
                    "nofile".into(),
                    Out::Map(vec![
                        ("soft".into(), Out::Int(1)),
                        ("hard".into(), Out::Int(2))
                    ])
                ),
                ("nproc".into(), Out::Int(5)),
            ])
        );
    }
}
