//! A small JSON-schema (draft-07 subset) validator driven by the compose-spec schema, so every
//! field the specification knows is accepted and every shape it forbids is refused, with the one
//! error Docker Compose picks and its wording.
//!
//! The schema, `compose-spec.json`, is compose-go v2.9.1's copy of the Compose Specification
//! schema (github.com/compose-spec/compose-go, `schema/compose-spec.json`, Apache-2.0; see
//! NOTICE), the one Docker Compose v2.40.3 validates against. Only the keywords it uses are
//! implemented: type, enum, $ref, properties, patternProperties, additionalProperties,
//! required, items, uniqueItems, pattern, minimum, maximum, allOf, anyOf, oneOf.

use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

const SPEC: &str = include_str!("compose-spec.json");

/// One failed check: where (the instance path) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub path: Vec<String>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// The accepted JSON types, as the schema names them.
    Type(Vec<String>),
    Enum(Vec<Value>),
    Required(Vec<String>),
    /// Unknown keys, and the keys the mapping does know (for a hint).
    Additional {
        names: Vec<String>,
        known: Vec<String>,
    },
    Pattern {
        got: String,
        want: String,
    },
    OneOfMany(usize, usize),
    Unique(usize, usize),
    Minimum(String),
    Maximum(String),
    False,
}

impl Violation {
    /// Docker Compose reports the deepest violation; an unknown key counts one level deeper
    /// than its mapping.
    fn specificity(&self) -> usize {
        self.path.len() + usize::from(matches!(self.kind, Kind::Additional { .. }))
    }

    /// The instance path as Compose writes it: `services.web.ports.1`.
    pub fn at(&self) -> String {
        self.path.join(".")
    }

    /// The message in Compose's words (compose-go's `schema.validationError`).
    pub fn message(&self) -> String {
        let at = self.at();
        match &self.kind {
            Kind::Type(want) => format!("{at} must be a {}", human_types(want)),
            Kind::Enum(want) if want.len() == 1 => {
                format!("{at} value must be {}", display(&want[0]))
            }
            Kind::Enum(want) => {
                let all: Vec<String> = want.iter().map(display).collect();
                format!("{at} value must be one of {}", all.join(", "))
            }
            Kind::Required(missing) if missing.len() == 1 => {
                format!("{at} missing property {}", quote(&missing[0]))
            }
            Kind::Required(missing) => format!("{at} missing properties {}", quoted(missing)),
            Kind::Additional { names, .. } => {
                format!("{at} additional properties {} not allowed", quoted(names))
            }
            Kind::Pattern { got, want } => {
                format!("{at} {} does not match pattern {}", quote(got), quote(want))
            }
            Kind::OneOfMany(a, b) => format!("{at} oneOf failed, subschemas {a}, {b} matched"),
            Kind::Unique(a, b) => format!("{at} items at {a} and {b} are equal"),
            Kind::Minimum(n) => format!("{at} must be greater than or equal to {n}"),
            Kind::Maximum(n) => format!("{at} must be less than or equal to {n}"),
            Kind::False => format!("{at} false schema"),
        }
    }
}

/// Validates a whole compose file (after interpolation) and returns the violation Docker
/// Compose would report, if any: the most specific one, the first found among equals.
pub fn validate(doc: &Value) -> Option<Violation> {
    let spec = compiled()?;
    best(spec.check(&spec.root, doc, &mut Vec::new()))
}

thread_local! {
    static SKIP_REQUIRED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Like `validate`, but without `required`: Docker Compose validates each file after merging
/// it onto the files before it (and after `extends`), so a key an override or an extending
/// service leaves out (a `depends_on` entry's `condition`) may come from elsewhere.
/// `missing_required` checks those on the merged model.
pub fn validate_lenient(doc: &Value) -> Option<Violation> {
    SKIP_REQUIRED.with(|c| c.set(true));
    let found = validate(doc);
    SKIP_REQUIRED.with(|c| c.set(false));
    found
}

/// The `required` violations alone, on a merged (canonical) model.
pub fn missing_required(doc: &Value) -> Option<Violation> {
    let spec = compiled()?;
    let all = spec.check(&spec.root, doc, &mut Vec::new());
    // Where a key is missing, the error Compose reports is chosen among all the violations
    // at that place (a oneOf's other forms fail there too).
    let places: Vec<Vec<String>> = all
        .iter()
        .filter(|v| matches!(v.kind, Kind::Required(_)))
        .map(|v| v.path.clone())
        .collect();
    best(
        all.into_iter()
            .filter(|v| places.contains(&v.path))
            .collect(),
    )
}

fn best(all: Vec<Violation>) -> Option<Violation> {
    let mut best: Option<Violation> = None;
    for v in all {
        if best
            .as_ref()
            .is_none_or(|b| v.specificity() > b.specificity())
        {
            best = Some(v);
        }
    }
    best
}

/// The keywords of one schema object, found in one pass over its entries (a schema object
/// has a handful of keys; looking each keyword up by hash, for every value checked, cost more
/// than the checking).
#[derive(Default)]
struct Keywords<'a> {
    ty: Option<&'a Value>,
    enum_: Option<&'a Value>,
    ref_: Option<&'a Value>,
    pattern: Option<&'a Value>,
    minimum: Option<&'a Value>,
    maximum: Option<&'a Value>,
    all_of: Option<&'a Value>,
    any_of: Option<&'a Value>,
    one_of: Option<&'a Value>,
    required: Option<&'a Value>,
    properties: Option<&'a Value>,
    pattern_properties: Option<&'a Value>,
    additional_properties: Option<&'a Value>,
    unique_items: Option<&'a Value>,
    items: Option<&'a Value>,
}

impl<'a> Keywords<'a> {
    fn of(m: &'a Map<String, Value>) -> Self {
        let mut k = Keywords::default();
        for (key, v) in m {
            let slot = match key.as_str() {
                "type" => &mut k.ty,
                "enum" => &mut k.enum_,
                "$ref" => &mut k.ref_,
                "pattern" => &mut k.pattern,
                "minimum" => &mut k.minimum,
                "maximum" => &mut k.maximum,
                "allOf" => &mut k.all_of,
                "anyOf" => &mut k.any_of,
                "oneOf" => &mut k.one_of,
                "required" => &mut k.required,
                "properties" => &mut k.properties,
                "patternProperties" => &mut k.pattern_properties,
                "additionalProperties" => &mut k.additional_properties,
                "uniqueItems" => &mut k.unique_items,
                "items" => &mut k.items,
                _ => continue,
            };
            *slot = Some(v);
        }
        k
    }
}

struct Spec {
    root: Value,
    /// Every `pattern` and `patternProperties` key, compiled the first time it is used (most
    /// runs touch a handful of the schema's patterns; compiling all of them cost more than
    /// the whole validation).
    regexes: HashMap<String, OnceLock<Option<Regex>>>,
}

fn compiled() -> Option<&'static Spec> {
    static SPEC_CELL: OnceLock<Option<Spec>> = OnceLock::new();
    SPEC_CELL
        .get_or_init(|| {
            let root: Value = serde_json::from_str(SPEC).ok()?;
            let mut regexes = HashMap::new();
            collect_regexes(&root, &mut regexes);
            Some(Spec { root, regexes })
        })
        .as_ref()
}

fn collect_regexes(s: &Value, out: &mut HashMap<String, OnceLock<Option<Regex>>>) {
    match s {
        Value::Object(m) => {
            if let Some(Value::String(p)) = m.get("pattern") {
                out.entry(p.clone()).or_default();
            }
            if let Some(Value::Object(pp)) = m.get("patternProperties") {
                for p in pp.keys() {
                    out.entry(p.clone()).or_default();
                }
            }
            m.values().for_each(|v| collect_regexes(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_regexes(v, out)),
        _ => {}
    }
}

impl Spec {
    fn regex(&self, pattern: &str) -> Option<&Regex> {
        self.regexes
            .get(pattern)?
            .get_or_init(|| Regex::new(pattern).ok())
            .as_ref()
    }

    fn matches(&self, pattern: &str, s: &str) -> bool {
        self.regex(pattern).is_some_and(|re| re.is_match(s))
    }

    /// Every violation of `v` against schema `s`, in the order the reference validator
    /// (santhosh-tekuri/jsonschema) finds them; empty when `v` is valid.
    fn check(&self, s: &Value, v: &Value, path: &mut Vec<String>) -> Vec<Violation> {
        let s = match s {
            Value::Object(m) => Keywords::of(m),
            Value::Bool(false) => return vec![here(path, Kind::False)],
            _ => return Vec::new(),
        };
        if let Some(want) = s.ty {
            let ok = match want {
                Value::String(t) => has_type(v, t),
                Value::Array(ts) => {
                    ts.iter().all(|t| t.as_str().is_none())
                        || ts.iter().filter_map(Value::as_str).any(|t| has_type(v, t))
                }
                _ => true,
            };
            if !ok {
                let want: Vec<String> = match want {
                    Value::String(t) => vec![t.clone()],
                    Value::Array(ts) => ts
                        .iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                };
                return vec![here(path, Kind::Type(want))];
            }
        }
        if let Some(Value::Array(values)) = s.enum_ {
            if !values.iter().any(|e| json_eq(e, v)) {
                return vec![here(path, Kind::Enum(values.clone()))];
            }
        }
        // Draft-07: a `$ref` stands for the whole schema; its siblings are ignored.
        if let Some(Value::String(r)) = s.ref_ {
            return match r.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                Some(target) => self.check(target, v, path),
                None => Vec::new(),
            };
        }
        let mut errs = Vec::new();
        match v {
            Value::Object(obj) => self.object(&s, obj, path, &mut errs),
            Value::Array(items) => self.array(&s, items, path, &mut errs),
            Value::String(text) => {
                if let Some(Value::String(p)) = s.pattern {
                    if self.regex(p).is_some() && !self.matches(p, text) {
                        errs.push(here(
                            path,
                            Kind::Pattern {
                                got: text.clone(),
                                want: p.clone(),
                            },
                        ));
                    }
                }
            }
            Value::Number(n) => {
                let x = n.as_f64().unwrap_or(0.0);
                if let Some(min) = s.minimum.and_then(Value::as_f64) {
                    if x < min {
                        errs.push(here(path, Kind::Minimum(number(min))));
                    }
                }
                if let Some(max) = s.maximum.and_then(Value::as_f64) {
                    if x > max {
                        errs.push(here(path, Kind::Maximum(number(max))));
                    }
                }
            }
            _ => {}
        }
        if let Some(Value::Array(all)) = s.all_of {
            for sub in all {
                errs.extend(self.check(sub, v, path));
            }
        }
        if let Some(Value::Array(any)) = s.any_of {
            let mut failed = Vec::new();
            let mut matched = false;
            for sub in any {
                let e = self.check(sub, v, path);
                if e.is_empty() {
                    matched = true;
                    break;
                }
                failed.extend(e);
            }
            if !matched {
                errs.extend(failed);
            }
        }
        if let Some(Value::Array(one)) = s.one_of {
            let mut failed = Vec::new();
            let mut matched: Option<usize> = None;
            for (i, sub) in one.iter().enumerate() {
                let e = self.check(sub, v, path);
                match (e.is_empty(), matched) {
                    (true, None) => matched = Some(i),
                    (true, Some(first)) => {
                        errs.push(here(path, Kind::OneOfMany(first, i)));
                        break;
                    }
                    (false, None) => failed.extend(e),
                    (false, Some(_)) => {}
                }
            }
            if matched.is_none() {
                errs.extend(failed);
            }
        }
        errs
    }

    fn object(
        &self,
        s: &Keywords,
        obj: &Map<String, Value>,
        path: &mut Vec<String>,
        errs: &mut Vec<Violation>,
    ) {
        if let Some(Value::Array(req)) = s.required.filter(|_| !SKIP_REQUIRED.with(|c| c.get())) {
            let missing: Vec<String> = req
                .iter()
                .filter_map(Value::as_str)
                .filter(|k| !obj.contains_key(*k))
                .map(String::from)
                .collect();
            if !missing.is_empty() {
                errs.push(Violation {
                    path: path.clone(),
                    kind: Kind::Required(missing),
                });
            }
        }
        let props = s.properties.and_then(Value::as_object);
        let patterns = s.pattern_properties.and_then(Value::as_object);
        let mut extra = Vec::new();
        for (key, child) in obj {
            let mut evaluated = false;
            path.push(key.clone());
            if let Some(sub) = props.and_then(|p| p.get(key)) {
                evaluated = true;
                errs.extend(self.check(sub, child, path));
            }
            for (p, sub) in patterns.into_iter().flatten() {
                if self.matches(p, key) {
                    evaluated = true;
                    errs.extend(self.check(sub, child, path));
                }
            }
            if !evaluated {
                match s.additional_properties {
                    Some(Value::Bool(false)) => extra.push(key.clone()),
                    Some(sub @ Value::Object(_)) => errs.extend(self.check(sub, child, path)),
                    _ => {}
                }
            }
            path.pop();
        }
        if !extra.is_empty() {
            let known = props
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            errs.push(Violation {
                path: path.clone(),
                kind: Kind::Additional {
                    names: extra,
                    known,
                },
            });
        }
    }

    fn array(
        &self,
        s: &Keywords,
        items: &[Value],
        path: &mut Vec<String>,
        errs: &mut Vec<Violation>,
    ) {
        if s.unique_items == Some(&Value::Bool(true)) {
            'outer: for (i, a) in items.iter().enumerate() {
                for (j, b) in items.iter().enumerate().skip(i + 1) {
                    if json_eq(a, b) {
                        errs.push(Violation {
                            path: path.clone(),
                            kind: Kind::Unique(i, j),
                        });
                        break 'outer;
                    }
                }
            }
        }
        if let Some(sub) = s.items {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                errs.extend(self.check(sub, item, path));
                path.pop();
            }
        }
    }
}

fn here(path: &[String], kind: Kind) -> Violation {
    Violation {
        path: path.to_vec(),
        kind,
    }
}

/// JSON types as the schema names them; numbers are integers when they hold no fraction
/// (Compose validates a JSON round trip, where every number is a float64).
fn has_type(v: &Value, t: &str) -> bool {
    match (t, v) {
        ("null", Value::Null)
        | ("boolean", Value::Bool(_))
        | ("object", Value::Object(_))
        | ("array", Value::Array(_))
        | ("string", Value::String(_))
        | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// Equality as JSON means it: numbers by value, whatever their representation.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

/// compose-go's `humanReadableType`: `object` is a mapping; several types are sorted and
/// joined ("mapping or null").
fn human_types(want: &[String]) -> String {
    let mut names: Vec<&str> = want
        .iter()
        .map(|t| if t == "object" { "mapping" } else { t.as_str() })
        .collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        n => {
            names.sort_unstable();
            format!("{} or {}", names[..n - 1].join(", "), names[n - 1])
        }
    }
}

fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// A primitive as the reference validator shows it: strings quoted, others plain.
fn display(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Array(_) | Value::Object(_) => "value".into(),
        other => other.to_string(),
    }
}

/// Single-quoted, with backslash escapes for what would not print.
fn quote(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote(n))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(doc: Value) -> Option<String> {
        validate(&doc).map(|v| v.message())
    }

    #[test]
    fn the_schema_loads() {
        assert!(compiled().is_some());
        assert_eq!(msg(json!({"services": {"web": {"image": "x"}}})), None);
    }

    #[test]
    fn compose_wording() {
        let cases = [
            (
                json!({"services": {"web": {"image": "x", "ports": "80:80"}}}),
                "services.web.ports must be a array",
            ),
            (
                json!({"services": {"web": {"image": "x", "environment": 5}}}),
                "services.web.environment must be a mapping",
            ),
            (
                json!({"volumes": {"data": 5}}),
                "volumes.data must be a mapping or null",
            ),
            (
                json!({"services": {"web": {"image": "x", "depends_on": {"db": {"condition": "no"}}}}}),
                "services.web.depends_on.db.condition value must be one of 'service_started', 'service_healthy', 'service_completed_successfully'",
            ),
            (
                json!({"service": {}}),
                " additional properties 'service' not allowed",
            ),
        ];
        for (doc, want) in cases {
            assert_eq!(msg(doc).as_deref(), Some(want));
        }
    }

    #[test]
    fn extensions_pass_everywhere() {
        let doc = json!({"x-a": 1, "services": {"web": {"image": "x", "x-b": 1,
            "deploy": {"x-c": 1, "resources": {"limits": {"x-d": 1}}}}}});
        assert_eq!(msg(doc), None);
    }
}
