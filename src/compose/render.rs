//! `config` output: the canonical tree as JSON (2-space indent, like
//! `docker compose config --format json`) or YAML, plus the `--services`, `--volumes`,
//! `--images` and `--profiles` listings.

use super::model::Project;
use serde_json::{Map, Value};

/// The project as `docker compose config --format json` prints it: top-level keys sorted,
/// HTML-sensitive characters escaped like Go's encoder, and no trailing newline.
pub fn render_json(project: &Project) -> String {
    let mut tree = project.tree.clone();
    if let Value::Object(root) = &mut tree {
        root.sort_keys();
        // Go's JSON encoding of compose-go types leaves out extensions below the top level.
        for kind in ["services", "networks", "volumes", "secrets", "configs"] {
            if let Some(Value::Object(items)) = root.get_mut(kind) {
                for (_, item) in items.iter_mut() {
                    if let Value::Object(m) = item {
                        m.retain(|k, _| !k.starts_with("x-"));
                    }
                    if kind == "services" {
                        go_json_service(item);
                    }
                }
            }
        }
    }
    let out = serde_json::to_string_pretty(&tree).unwrap_or_else(|_| "{}".into());
    // Go's encoder escapes these inside strings; outside strings JSON never contains them.
    out.replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Where Go's JSON of a compose-go service differs from its YAML: blkio device entries
/// (`ThrottleDevice`, `WeightDevice`) have no JSON tags, so their fields keep Go's names.
pub fn go_json_service(svc: &mut Value) {
    let Some(Value::Object(blkio)) = svc.get_mut("blkio_config") else {
        return;
    };
    for (key, list) in blkio.iter_mut() {
        let Value::Array(items) = list else { continue };
        if key == "weight" {
            continue;
        }
        for item in items.iter_mut() {
            if let Value::Object(m) = item {
                let old = std::mem::take(m);
                for (k, v) in old {
                    let k = match k.as_str() {
                        "path" => "Path".to_string(),
                        "rate" => "Rate".to_string(),
                        "weight" => "Weight".to_string(),
                        _ => k,
                    };
                    m.insert(k, v);
                }
            }
        }
    }
}

/// The project as `docker compose config` prints it (YAML, in go-yaml's style: sequences
/// indented under their key, double quotes only where a plain scalar would be misread).
pub fn render_yaml(project: &Project) -> String {
    let mut out = String::new();
    if let Value::Object(root) = &project.tree {
        let mut root = root.clone();
        if let Some(Value::Object(services)) = root.get_mut("services") {
            for (_, svc) in services.iter_mut() {
                yaml_service_shape(svc);
            }
        }
        if let Some(Value::Object(networks)) = root.get_mut("networks") {
            for (_, net) in networks.iter_mut() {
                if let Value::Object(n) = net {
                    if n.get("ipam")
                        .is_some_and(|i| i == &Value::Object(Map::new()))
                    {
                        n.shift_remove("ipam");
                    }
                }
            }
        }
        write_map(&mut out, &root, 0);
    }
    out
}

/// go-yaml omits unset commands and lists `profiles` first (compose-go's field order).
fn yaml_service_shape(svc: &mut Value) {
    let Value::Object(m) = svc else { return };
    for key in ["command", "entrypoint"] {
        if m.get(key).is_some_and(Value::is_null) {
            m.shift_remove(key);
        }
    }
    if let Some(Value::Array(watch)) = m.get_mut("develop").and_then(|d| d.get_mut("watch")) {
        for w in watch.iter_mut() {
            if let Value::Object(w) = w {
                if w.get("exec") == Some(&serde_json::json!({ "command": null })) {
                    w.shift_remove("exec");
                }
            }
        }
    }
    // Empty structs are omitted in YAML (but printed as `{}` in JSON).
    if let Some(Value::Object(deploy)) = m.get_mut("deploy") {
        deploy.retain(|_, v| v.as_object().is_none_or(|o| !o.is_empty()));
    }
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, map: &Map<String, Value>, depth: usize) {
    for (k, v) in map {
        indent(out, depth);
        out.push_str(&scalar(k, depth));
        out.push(':');
        write_value_after_key(out, v, depth);
    }
}

fn write_value_after_key(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, depth + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, depth + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other, depth + 2));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], depth: usize) {
    for item in items {
        indent(out, depth);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => {
                let mut first = true;
                for (k, v) in m {
                    if !first {
                        indent(out, depth + 2);
                    }
                    first = false;
                    out.push_str(&scalar(k, depth + 2));
                    out.push(':');
                    write_value_after_key(out, v, depth + 2);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                write_seq(out, a, depth + 2);
            }
            other => {
                out.push_str(&inline(other, depth + 2));
                out.push('\n');
            }
        }
    }
}

fn inline(v: &Value, depth: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s, depth),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string as a YAML scalar: plain when safe, a literal block for multi-line text, else
/// double-quoted.
fn scalar(s: &str, depth: usize) -> String {
    if plain_ok(s) {
        return s.to_string();
    }
    let special = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !s.is_empty() && !misread(s) && !s.chars().any(special) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let lines_ok = !s.contains('\r') && s.lines().all(|l| l.trim_end() == l);
    if s.contains('\n') && lines_ok && !s.starts_with([' ', '\n']) {
        let body = s.strip_suffix('\n').unwrap_or(s);
        let mut out = String::from(if s.ends_with('\n') { "|" } else { "|-" });
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(&mut out, depth);
                out.push_str(line);
            }
        }
        return out;
    }
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.trim() != s || s.contains(['\n', '\t', '\r']) {
        return false;
    }
    if misread(s) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "[]{}#&*!|>'\"%@`,".contains(first) {
        return false;
    }
    if "-?:".contains(first) && (s.len() == 1 || s[1..].starts_with(' ')) {
        return false;
    }
    let special = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    !(s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(special))
}

/// True when a plain scalar would read back as a bool, null or number.
fn misread(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    reserved.contains(&lower.as_str()) || looks_numeric(&lower)
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    if t.is_empty() {
        return false;
    }
    if [".inf", ".nan"].contains(&t) {
        return true;
    }
    if let Some(hex) = t.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = t.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| c.is_digit(8));
    }
    t.parse::<f64>().is_ok() && t.chars().all(|c| c.is_ascii_digit() || ".e+-_".contains(c))
}

/// `config --services`: enabled service names, one per entry.
pub fn service_names(project: &Project) -> Vec<String> {
    project.services.keys().cloned().collect()
}

/// `config --volumes`: declared volume keys.
pub fn volume_names(project: &Project) -> Vec<String> {
    project.volumes.keys().cloned().collect()
}

/// `config --images`: each service's image, or `<project>-<service>` when only `build` is set.
pub fn image_names(project: &Project) -> Vec<String> {
    project
        .services
        .iter()
        .map(|(name, svc)| {
            svc.image
                .clone()
                .unwrap_or_else(|| format!("{}-{name}", project.name))
        })
        .collect()
}

/// `config --profiles`: every profile named by any service, sorted.
pub fn profile_names(project: &Project) -> Vec<String> {
    project.all_profiles.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_like_go_yaml() {
        let cases = [
            ("plain", "plain"),
            ("1000", "\"1000\""),
            ("true", "\"true\""),
            ("", "\"\""),
            ("a: b", "'a: b'"),
            ("# x", "'# x'"),
            ("it's: x", "'it''s: x'"),
            ("--verbose", "--verbose"),
            ("x\ty", "\"x\\ty\""),
            ("/usr/bin", "/usr/bin"),
            ("$$HOME", "$$HOME"),
            ("*", "'*'"),
        ];
        for (input, want) in cases {
            assert_eq!(scalar(input, 0), want, "input {input:?}");
        }
        assert_eq!(scalar("a\nb", 2), "|-\n  a\n  b");
    }
}
