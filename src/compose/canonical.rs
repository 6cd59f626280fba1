//! Short syntax → long syntax, per file and before merging, so merge rules compare like with
//! like: ports, volumes, depends_on, env_file, environment/labels lists, string commands,
//! healthcheck tests and Go-style durations.

use serde_json::{json, Map, Value};

/// Canonicalises every service of one file's tree, and the top-level resources. Deprecated
/// forms that still work are reported in `notes`.
pub fn canonicalize_file(root: &mut Value, notes: &mut Vec<String>) -> Result<(), String> {
    if let Some(Value::Object(services)) = root.get_mut("services") {
        for (name, svc) in services.iter_mut() {
            if svc.is_null() {
                *svc = json!({});
            }
            canonicalize_service(name, svc)?;
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        if let Some(Value::Object(items)) = root.get_mut(kind) {
            for (key, item) in items.iter_mut() {
                if item.is_null() {
                    *item = json!({});
                }
                if let Some(v) = item.get_mut("labels") {
                    *v = key_value_map(v, false, &format!("{kind}.{key}.labels"))?;
                }
                // Legacy `external: {name: x}` means `external: true, name: x`.
                if let Some(Value::Object(ext)) = item.get("external").cloned() {
                    if let Value::Object(m) = item {
                        m.insert("external".into(), Value::Bool(true));
                        if let Some(n) = ext.get("name") {
                            notes.push(format!(
                                "{kind}.{key}: external.name is deprecated. Please set name and external: true"
                            ));
                            m.insert("name".into(), n.clone());
                        }
                    }
                }
                cast_bool(item.get_mut("external"));
            }
        }
    }
    Ok(())
}

/// Canonicalises one service mapping in place.
pub fn canonicalize_service(name: &str, svc: &mut Value) -> Result<(), String> {
    let Value::Object(map) = svc else {
        return Err(format!("services.{name} must be a mapping"));
    };
    let at = |key: &str| format!("services.{name}.{key}");
    for key in ["command", "entrypoint"] {
        if let Some(Value::String(s)) = map.get(key) {
            let words = shell_split(s).map_err(|e| format!("{}: {e}", at(key)))?;
            map.insert(key.into(), strings(words));
        }
    }
    if let Some(Value::String(s)) = map.get("build") {
        let ctx = s.clone();
        map.insert("build".into(), json!({ "context": ctx }));
    }
    if let Some(Value::Object(build)) = map.get_mut("build") {
        if let Some(v) = build.get_mut("additional_contexts") {
            *v = key_value_map(v, false, &at("build.additional_contexts"))?;
        }
        if let Some(Value::Array(items)) = build.get_mut("secrets") {
            for item in items.iter_mut() {
                if let Value::String(source) = item {
                    *item = json!({ "source": source.clone() });
                }
            }
        }
        // compose-go holds provenance and sbom as strings ("true" or an attestation spec).
        for key in ["provenance", "sbom"] {
            if let Some(v) = build.get_mut(key) {
                *v = Value::String(scalar_string(v));
            }
        }
        for key in ["args", "labels"] {
            if let Some(v) = build.get_mut(key) {
                *v = key_value_map(v, key == "args", &at(&format!("build.{key}")))?;
            }
        }
    }
    if let Some(v) = map.get_mut("environment") {
        *v = key_value_map(v, true, &at("environment"))?;
    }
    for key in ["labels", "annotations"] {
        if let Some(v) = map.get_mut(key) {
            *v = key_value_map(v, false, &at(key))?;
        }
    }
    if let Some(Value::String(s)) = map.get("extends") {
        let service = s.clone();
        map.insert("extends".into(), json!({ "service": service }));
    }
    for key in [
        "dns",
        "dns_search",
        "tmpfs",
        "env_file",
        "label_file",
        "profiles",
    ] {
        if let Some(Value::String(s)) = map.get(key) {
            let one = s.clone();
            map.insert(key.into(), json!([one]));
        }
    }
    if let Some(Value::Array(items)) = map.get_mut("env_file") {
        for item in items.iter_mut() {
            if let Value::String(path) = item {
                *item = json!({ "path": path.clone(), "required": true });
            } else if let Value::Object(m) = item {
                m.entry("required").or_insert(Value::Bool(true));
            }
        }
    }
    if let Some(Value::Array(items)) = map.get_mut("expose") {
        for item in items.iter_mut() {
            if let Value::Number(n) = item {
                *item = Value::String(n.to_string());
            }
        }
    }
    for (key, prefix) in [("secrets", Some("/run/secrets/")), ("configs", None)] {
        if let Some(Value::Array(items)) = map.get_mut(key) {
            for item in items.iter_mut() {
                if let Value::String(source) = item {
                    let mut m = Map::new();
                    m.insert("source".into(), Value::String(source.clone()));
                    if let Some(prefix) = prefix {
                        m.insert("target".into(), Value::String(format!("{prefix}{source}")));
                    }
                    *item = Value::Object(m);
                }
            }
        }
    }
    if let Some(v) = map.get_mut("depends_on") {
        *v = depends_on(v, &at("depends_on"))?;
    }
    // A list of networks or models is a map of names without settings.
    for key in ["networks", "models"] {
        if let Some(Value::Array(items)) = map.get(key) {
            let mut names = Map::new();
            for item in items {
                let n = item
                    .as_str()
                    .ok_or_else(|| format!("{} must be a list of strings", at(key)))?;
                names.insert(n.to_string(), Value::Null);
            }
            map.insert(key.into(), Value::Object(names));
        }
    }
    if let Some(v) = map.get_mut("ports") {
        *v = ports(v, &at("ports"))?;
    }
    if let Some(Value::Array(items)) = map.get_mut("volumes") {
        for item in items.iter_mut() {
            if let Value::String(s) = item {
                *item = volume(s).map_err(|e| format!("{}: {e}", at("volumes")))?;
            }
        }
    }
    if let Some(Value::Object(hc)) = map.get_mut("healthcheck") {
        if let Some(Value::String(s)) = hc.get("test") {
            let cmd = s.clone();
            hc.insert("test".into(), json!(["CMD-SHELL", cmd]));
        }
        for key in ["interval", "timeout", "start_period", "start_interval"] {
            if let Some(v) = hc.get_mut(key) {
                *v = duration(v)
                    .map_err(|e| format!("{}: {e}", at(&format!("healthcheck.{key}"))))?;
            }
        }
        cast_int(hc.get_mut("retries"));
        cast_bool(hc.get_mut("disable"));
        // compose-go omits `disable: false` (its zero value).
        if hc.get("disable") == Some(&Value::Bool(false)) {
            hc.shift_remove("disable");
        }
        // compose-go's field order, so YAML output lists them as Docker Compose does.
        let order = [
            "test",
            "timeout",
            "interval",
            "retries",
            "start_period",
            "start_interval",
            "disable",
        ];
        let mut sorted = Map::new();
        for key in order {
            if let Some(v) = hc.shift_remove(key) {
                sorted.insert(key.into(), v);
            }
        }
        sorted.append(hc);
        *hc = sorted;
    }
    if let Some(v) = map.get_mut("stop_grace_period") {
        *v = duration(v).map_err(|e| format!("{}: {e}", at("stop_grace_period")))?;
    }
    if let Some(v) = map.get_mut("extra_hosts") {
        *v = hosts_list(v, &at("extra_hosts"))?;
    }
    if let Some(Value::Object(blkio)) = map.get_mut("blkio_config") {
        blkio_config(blkio).map_err(|e| format!("{}.{e}", at("blkio_config")))?;
    }
    for key in ["post_start", "pre_stop"] {
        if let Some(Value::Array(hooks)) = map.get_mut(key) {
            for (i, hook) in hooks.iter_mut().enumerate() {
                if let Value::Object(h) = hook {
                    service_hook(h).map_err(|e| format!("{}[{i}].{e}", at(key)))?;
                }
            }
        }
    }
    if let Some(v) = map
        .get_mut("build")
        .and_then(|b| b.as_object_mut())
        .and_then(|b| b.get_mut("extra_hosts"))
    {
        *v = hosts_list(v, &at("build.extra_hosts"))?;
    }
    for key in [
        "tty",
        "stdin_open",
        "privileged",
        "read_only",
        "init",
        "oom_kill_disable",
    ] {
        cast_bool(map.get_mut(key));
    }
    typed_scalars(map).map_err(|e| format!("services.{name}.{e}"))?;
    Ok(())
}

const INT_KEYS: &[&str] = &[
    "scale",
    "cpu_shares",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "oom_score_adj",
    "pids_limit",
];
/// compose-go holds these as `UnitBytes` and prints them as strings (even mem_swappiness).
const BYTE_KEYS: &[&str] = &[
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "shm_size",
    "mem_swappiness",
];

/// Casts the attributes compose-go holds as numbers, byte counts or structured lists.
fn typed_scalars(map: &mut Map<String, Value>) -> Result<(), String> {
    for key in INT_KEYS {
        if let Some(v) = map.get_mut(*key) {
            *v = strict_int(v).map_err(|e| format!("{key}: {e}"))?;
        }
    }
    cast_float(map.get_mut("cpus"));
    for key in BYTE_KEYS {
        if let Some(v) = map.get_mut(*key) {
            *v = bytes(v).map_err(|e| format!("{key}: {e}"))?;
        }
    }
    if let Some(Value::Object(build)) = map.get_mut("build") {
        if let Some(v) = build.get_mut("shm_size") {
            *v = bytes(v).map_err(|e| format!("build.shm_size: {e}"))?;
        }
    }
    if let Some(Value::Array(vols)) = map.get_mut("volumes") {
        for v in vols.iter_mut() {
            if let Some(size) = v.get_mut("tmpfs").and_then(|t| t.get_mut("size")) {
                *size = bytes(size).map_err(|e| format!("volumes.tmpfs.size: {e}"))?;
            }
        }
    }
    if let Some(v) = map.get_mut("sysctls") {
        *v = key_value_map(v, false, "sysctls")?;
    }
    if let Some(Value::Array(devices)) = map.get_mut("devices") {
        for d in devices.iter_mut() {
            if let Value::String(spec) = d {
                *d = device(spec)?;
            }
        }
    }
    if map.get("gpus").and_then(Value::as_str) == Some("all") {
        map.insert("gpus".into(), json!([{ "count": -1 }]));
    }
    if let Some(Value::Array(gpus)) = map.get_mut("gpus") {
        device_counts(gpus);
    }
    if let Some(Value::Object(deploy)) = map.get_mut("deploy") {
        cast_int(deploy.get_mut("replicas"));
        if let Some(v) = deploy.get_mut("labels") {
            *v = key_value_map(v, false, "deploy.labels")?;
        }
        for (part, keys) in [
            ("restart_policy", &["delay", "window"][..]),
            ("update_config", &["delay", "monitor"][..]),
            ("rollback_config", &["delay", "monitor"][..]),
        ] {
            let Some(Value::Object(p)) = deploy.get_mut(part) else {
                continue;
            };
            for key in keys {
                if let Some(v) = p.get_mut(*key) {
                    *v = duration(v).map_err(|e| format!("deploy.{part}.{key}: {e}"))?;
                }
            }
        }
        if let Some(Value::Object(res)) = deploy.get_mut("resources") {
            for part in ["limits", "reservations"] {
                let Some(Value::Object(r)) = res.get_mut(part) else {
                    continue;
                };
                cast_float(r.get_mut("cpus"));
                cast_int(r.get_mut("pids"));
                if let Some(v) = r.get_mut("memory") {
                    *v = bytes(v).map_err(|e| format!("deploy.resources.{part}.memory: {e}"))?;
                }
                if let Some(Value::Array(devs)) = r.get_mut("devices") {
                    device_counts(devs);
                }
            }
        }
    }
    Ok(())
}

/// A device request's `count`: a number, or `all` (any case) for -1.
fn device_counts(devices: &mut [Value]) {
    for c in devices.iter_mut().filter_map(|d| d.get_mut("count")) {
        if c.as_str().is_some_and(|s| s.eq_ignore_ascii_case("all")) {
            *c = Value::from(-1);
        } else {
            cast_int(Some(c));
        }
    }
}

fn cast_float(v: Option<&mut Value>) {
    if let Some(v) = v {
        if let Some(f) = v.as_str().and_then(|s| s.trim().parse::<f64>().ok()) {
            if let Some(n) = serde_json::Number::from_f64(f) {
                *v = Value::Number(n);
            }
        }
    }
}

/// `/dev/a[:/dev/b[:perm]]` → `{source, target, permissions}`.
fn device(spec: &str) -> Result<Value, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, perms) = match parts.as_slice() {
        [s] => (*s, *s, "rwm"),
        [s, t] => (*s, *t, "rwm"),
        [s, t, p] => (*s, *t, *p),
        _ => {
            return Err(format!(
                "devices: confusing device mapping, please use long syntax: {spec}"
            ))
        }
    };
    Ok(json!({ "source": source, "target": target, "permissions": perms }))
}

/// A byte count as compose-go prints it: a decimal string ("64m" → "67108864").
fn bytes(v: &Value) -> Result<Value, String> {
    let n = match v {
        Value::Number(n) => return Ok(Value::String(n.to_string())),
        Value::String(s) => parse_bytes(s).ok_or_else(|| size_error(s))?,
        Value::Null => return Ok(Value::Null),
        other => return Err(format!("invalid size {other}")),
    };
    Ok(Value::String(n.to_string()))
}

/// Why go-units refuses a size: no number at all, or a unit it does not know.
fn size_error(s: &str) -> String {
    let Some(sep) = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ') else {
        return format!("invalid size: '{s}'");
    };
    let (num, suffix) = (&s[..sep + 1], &s[sep + 1..]);
    if num.trim().parse::<f64>().is_err() || suffix.is_empty() {
        return format!("invalid size: '{s}'");
    }
    format!("invalid suffix: '{suffix}'")
}

/// go-units `RAMInBytes`: a number with an optional binary unit (b, k, m, g, t, p; "kb" etc.).
pub fn parse_bytes(s: &str) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    if let Ok(n) = t.parse::<i64>() {
        return Some(n);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().ok()?;
    let unit = unit.trim();
    let unit = unit
        .strip_suffix("ib")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(unit);
    let mult: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024f64.powi(2),
        "g" => 1024f64.powi(3),
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return None,
    };
    Some((num * mult) as i64)
}

fn strings(words: Vec<String>) -> Value {
    Value::Array(words.into_iter().map(Value::String).collect())
}

fn cast_bool(v: Option<&mut Value>) {
    if let Some(v) = v {
        if let Some(b) = v.as_str().and_then(parse_bool) {
            *v = Value::Bool(b);
        }
    }
}

/// An integer attribute: a number, or a string holding one (after interpolation); anything
/// else is the error compose-go reports when its cast fails.
fn strict_int(v: &Value) -> Result<Value, String> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
        Value::String(s) => {
            s.trim().parse::<i64>().map(Value::from).map_err(|_| {
                format!("failed to cast to expected type: parsing {s:?}: invalid syntax")
            })
        }
        other => Err(format!("must be an integer, not {other}")),
    }
}

fn cast_int(v: Option<&mut Value>) {
    if let Some(v) = v {
        if let Some(n) = v.as_str().and_then(|s| s.trim().parse::<i64>().ok()) {
            *v = Value::from(n);
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" => Some(true),
        "false" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// compose-go's `BlkioConfig`: rates are byte counts printed as strings; fields in struct
/// order. (Its device entries have no JSON tags: `render::go_json_service` renames them.)
fn blkio_config(blkio: &mut Map<String, Value>) -> Result<(), String> {
    let mut out = Map::new();
    for key in [
        "weight",
        "weight_device",
        "device_read_bps",
        "device_read_iops",
        "device_write_bps",
        "device_write_iops",
    ] {
        let Some(v) = blkio.shift_remove(key) else {
            continue;
        };
        let v = match (key, v) {
            ("weight", v) => v,
            (_, Value::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let mut dev = Map::new();
                    dev.insert(
                        "path".into(),
                        item.get("path")
                            .cloned()
                            .unwrap_or(Value::String(String::new())),
                    );
                    if key == "weight_device" {
                        dev.insert(
                            "weight".into(),
                            item.get("weight").cloned().unwrap_or(0.into()),
                        );
                    } else {
                        let rate = item.get("rate").cloned().unwrap_or(0.into());
                        dev.insert(
                            "rate".into(),
                            bytes(&rate).map_err(|e| format!("{key}[{i}].rate: {e}"))?,
                        );
                    }
                    list.push(Value::Object(dev));
                }
                Value::Array(list)
            }
            (_, other) => other,
        };
        out.insert(key.into(), v);
    }
    out.append(blkio);
    *blkio = out;
    Ok(())
}

/// A `post_start` / `pre_stop` hook: command split like `command`, environment as a map,
/// fields in compose-go's order.
fn service_hook(h: &mut Map<String, Value>) -> Result<(), String> {
    if let Some(Value::String(s)) = h.get("command") {
        let words = shell_split(s).map_err(|e| format!("command: {e}"))?;
        h.insert("command".into(), strings(words));
    }
    if let Some(v) = h.get_mut("environment") {
        *v = key_value_map(v, true, "environment")?;
    }
    let mut out = Map::new();
    for key in [
        "command",
        "user",
        "privileged",
        "working_dir",
        "environment",
    ] {
        if let Some(v) = h.shift_remove(key) {
            out.insert(key.into(), v);
        }
    }
    out.append(h);
    *h = out;
    Ok(())
}

/// `extra_hosts` in any form (`["host:ip", "host=ip1,ip2"]`, `{host: ip}`, `{host: [ip]}`)
/// → sorted `["host=ip"]`, as compose-go's `HostsList`: the first `=` (else `:`) separates,
/// comma-separated addresses are split and `[::1]` loses its brackets.
fn hosts_list(v: &Value, at: &str) -> Result<Value, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    match v {
        Value::Array(items) => {
            for item in items {
                let s = scalar_string(item);
                let (host, ips) = s
                    .split_once('=')
                    .or_else(|| s.split_once(':'))
                    .ok_or_else(|| format!("{at}: invalid additional host, missing IP: {s}"))?;
                pairs.extend(ips.split(',').map(|ip| (host.to_string(), ip.to_string())));
            }
        }
        Value::Object(m) => {
            for (host, ips) in m {
                match ips {
                    Value::Array(list) => {
                        pairs.extend(list.iter().map(|ip| (host.clone(), scalar_string(ip))))
                    }
                    other => pairs.push((host.clone(), scalar_string(other))),
                }
            }
        }
        _ => return Err(format!("{at} must be a list or a mapping")),
    }
    let mut out: Vec<String> = Vec::with_capacity(pairs.len());
    for (host, ip) in pairs {
        if host.is_empty() || host.contains([':', '=']) {
            return Err(format!("{at}: bad host name '{host}'"));
        }
        let ip = match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
            Some(inner) if !inner.is_empty() => inner.to_string(),
            _ => ip,
        };
        out.push(format!("{host}={ip}"));
    }
    out.sort();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

/// The string form of a YAML scalar, as compose-go makes it (`fmt.Sprint`: `1.0` is "1").
pub fn scalar_string(v: &Value) -> String {
    super::gofmt::sprint(v)
}

/// `["K=V", "K"]` or `{K: V}` → `{K: "V"}`. A bare `K` maps to null when `null_for_bare`
/// (environment, build args: "take it from the environment"), else to "".
fn key_value_map(v: &Value, null_for_bare: bool, at: &str) -> Result<Value, String> {
    let mut out = Map::new();
    match v {
        Value::Array(items) => {
            for item in items {
                let s = scalar_string(item);
                match s.split_once('=') {
                    Some((k, val)) => out.insert(k.to_string(), Value::String(val.to_string())),
                    None if null_for_bare => out.insert(s, Value::Null),
                    None => out.insert(s, Value::String(String::new())),
                };
            }
        }
        Value::Object(m) => {
            for (k, val) in m {
                let val = match val {
                    Value::Null if null_for_bare => Value::Null,
                    other => Value::String(scalar_string(other)),
                };
                out.insert(k.clone(), val);
            }
        }
        Value::Null => {}
        _ => return Err(format!("{at} must be a mapping or a list")),
    }
    Ok(Value::Object(out))
}

fn depends_on(v: &Value, at: &str) -> Result<Value, String> {
    let mut out = Map::new();
    // The short (list) form means `service_started`, required, and overrides an earlier file's
    // entry; in the long form an absent `condition` or `required` keeps what an earlier file
    // said, so those defaults are only filled after merging (`dependency_defaults`).
    let full = |cond: Option<&Value>, req: Option<&Value>, rest: Option<&Map<String, Value>>| {
        let mut m = Map::new();
        if let Some(cond) = cond {
            m.insert("condition".into(), cond.clone());
        }
        if let Some(rest) = rest {
            for (k, v) in rest {
                if k != "condition" && k != "required" {
                    m.insert(k.clone(), v.clone());
                }
            }
        }
        if let Some(req) = req {
            m.insert("required".into(), req.clone());
        }
        Value::Object(m)
    };
    let short = || json!({"condition": "service_started", "required": true});
    match v {
        Value::Array(items) => {
            for item in items {
                let name = item
                    .as_str()
                    .ok_or_else(|| format!("{at} must be a list of service names"))?;
                out.insert(name.to_string(), short());
            }
        }
        Value::Object(m) => {
            for (name, dep) in m {
                let dep = dep.as_object();
                out.insert(
                    name.clone(),
                    full(
                        dep.and_then(|d| d.get("condition")),
                        dep.and_then(|d| d.get("required")),
                        dep,
                    ),
                );
            }
        }
        _ => return Err(format!("{at} must be a mapping or a list")),
    }
    Ok(Value::Object(out))
}

/// Fills the `depends_on` defaults the long form left out, once every file is merged.
pub(super) fn dependency_defaults(m: &mut Map<String, Value>) {
    let Some(Value::Object(deps)) = m.get_mut("depends_on") else {
        return;
    };
    for dep in deps.values_mut() {
        let Value::Object(d) = dep else { continue };
        if !d.contains_key("condition") {
            d.shift_insert(0, "condition".into(), json!("service_started"));
        }
        if !d.contains_key("required") {
            d.insert("required".into(), Value::Bool(true));
        }
    }
}

/// Splits a command line like a POSIX shell would, without expansions (go-shellwords rules).
pub fn shell_split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err(format!("invalid command line string: {s:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => cur.push(n),
                            Some(n) => {
                                cur.push('\\');
                                cur.push(n);
                            }
                            None => return Err(format!("invalid command line string: {s:?}")),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err(format!("invalid command line string: {s:?}")),
                    }
                }
            }
            other => {
                in_word = true;
                cur.push(other);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Parses a duration as compose-go does (Go's `time.ParseDuration` plus `d` and `w` units,
/// from go-str2duration) into nanoseconds: "1m30s", "-5s", "1.5h", "2d". `None` for
/// anything Go rejects, including a value that overflows its 64-bit nanoseconds.
pub fn parse_go_duration(s: &str) -> Option<i128> {
    const LIMIT: u128 = 1 << 63;
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let whole: u128 = if int_len == 0 {
            0
        } else {
            rest[..int_len].parse().ok().filter(|v| *v < LIMIT)?
        };
        rest = &rest[int_len..];
        // Go keeps at most the fraction digits that fit, and scales them by float.
        let (mut frac, mut scale, mut frac_len) = (0u64, 1f64, 0);
        if let Some(after) = rest.strip_prefix('.') {
            frac_len = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            for d in after[..frac_len].bytes() {
                if frac > (u64::MAX >> 1) / 10 {
                    continue;
                }
                frac = frac * 10 + u64::from(d - b'0');
                scale *= 10.0;
            }
            rest = &after[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return None;
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 604_800_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        if whole > LIMIT / unit {
            return None;
        }
        let mut v = whole * unit;
        if frac > 0 {
            v += (frac as f64 * (unit as f64 / scale)) as u128;
        }
        total += v;
        if v > LIMIT || total > LIMIT {
            return None;
        }
    }
    if neg {
        return Some(-(total as i128));
    }
    (total < LIMIT).then_some(total as i128)
}

/// Formats nanoseconds like Go's `time.Duration.String()`.
pub fn format_go_duration(ns: i128) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let ns = ns.abs();
    let sign = if neg { "-" } else { "" };
    let frac = |value: i128, unit: i128| -> String {
        let whole = value / unit;
        let mut rem = value % unit;
        if rem == 0 {
            return whole.to_string();
        }
        let mut digits = String::new();
        let mut u = unit;
        while rem > 0 && u > 1 {
            u /= 10;
            digits.push(char::from(b'0' + (rem / u) as u8));
            rem %= u;
        }
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    if ns < 1_000 {
        return format!("{sign}{ns}ns");
    }
    if ns < 1_000_000 {
        return format!("{sign}{}µs", frac(ns, 1_000));
    }
    if ns < 1_000_000_000 {
        return format!("{sign}{}ms", frac(ns, 1_000_000));
    }
    let hours = ns / 3_600_000_000_000;
    let mins = (ns / 60_000_000_000) % 60;
    let secs = ns % 60_000_000_000;
    let mut out = sign.to_string();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if hours > 0 || mins > 0 {
        out.push_str(&format!("{mins}m"));
    }
    out.push_str(&format!("{}s", frac(secs, 1_000_000_000)));
    out
}

fn duration(v: &Value) -> Result<Value, String> {
    let ns = match v {
        Value::String(s) => parse_go_duration(s).ok_or_else(|| duration_error(s))?,
        Value::Number(n) if n.as_i64() == Some(0) => 0,
        Value::Null => return Ok(Value::Null),
        other => return Err(format!("invalid duration {other}")),
    };
    Ok(Value::String(format_go_duration(ns)))
}

/// Why Go's `time.ParseDuration` refuses `s`, in its words.
fn duration_error(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap_or_default();
    let mut rest = s.strip_prefix(['-', '+']).unwrap_or(s);
    while !rest.is_empty() {
        let num = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num == 0 || !rest[..num].bytes().any(|b| b.is_ascii_digit()) {
            break;
        }
        rest = &rest[num..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        if unit.is_empty() {
            return format!("time: missing unit in duration {q}");
        }
        if !matches!(
            unit,
            "ns" | "us" | "\u{b5}s" | "\u{3bc}s" | "ms" | "s" | "m" | "h" | "d" | "w"
        ) {
            let u = serde_json::to_string(unit).unwrap_or_default();
            return format!("time: unknown unit {u} in duration {q}");
        }
        rest = &rest[unit_len..];
    }
    format!("time: invalid duration {q}")
}

fn ports(v: &Value, at: &str) -> Result<Value, String> {
    let Value::Array(items) = v else {
        return Err(format!("{at} must be a list"));
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::Number(n) => {
                let spec = n.to_string();
                out.extend(parse_port(&spec).map_err(|e| format!("{at}: {e}"))?);
            }
            Value::String(s) => out.extend(parse_port(s).map_err(|e| format!("{at}: {e}"))?),
            Value::Object(m) => out.push(long_port(m)),
            _ => return Err(format!("{at} contains an invalid entry")),
        }
    }
    Ok(Value::Array(out))
}

/// Long-syntax port in compose-go's field order, with defaults filled in.
fn long_port(m: &Map<String, Value>) -> Value {
    let mut p = Map::new();
    if let Some(name) = m.get("name") {
        p.insert("name".into(), name.clone());
    }
    p.insert(
        "mode".into(),
        m.get("mode")
            .cloned()
            .unwrap_or_else(|| Value::String("ingress".into())),
    );
    if let Some(ip) = m.get("host_ip") {
        p.insert("host_ip".into(), ip.clone());
    }
    let mut target = m.get("target").cloned().unwrap_or(Value::Null);
    cast_int(Some(&mut target));
    p.insert("target".into(), target);
    match m.get("published") {
        Some(Value::Number(n)) => {
            p.insert("published".into(), Value::String(n.to_string()));
        }
        Some(Value::String(s)) if !s.is_empty() => {
            p.insert("published".into(), Value::String(s.clone()));
        }
        _ => {}
    }
    p.insert(
        "protocol".into(),
        m.get("protocol")
            .cloned()
            .unwrap_or_else(|| Value::String("tcp".into())),
    );
    for (k, v) in m {
        if !p.contains_key(k) && k != "published" {
            p.insert(k.clone(), v.clone());
        }
    }
    Value::Object(p)
}

fn port_range(s: &str) -> Result<(u32, u32), String> {
    let num = |t: &str| {
        t.parse::<u32>()
            .ok()
            .filter(|n| *n <= 65535)
            .ok_or_else(|| format!("invalid port {t:?}"))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(format!("invalid port range {s:?}"));
            }
            Ok((a, b))
        }
        None => {
            let n = num(s)?;
            Ok((n, n))
        }
    }
}

/// Expands a short port spec (`[ip:][host[-host]:]container[-container][/proto]`) into
/// long-syntax entries, one per container port (go-connections `ParsePortSpec`).
pub fn parse_port(spec: &str) -> Result<Vec<Value>, String> {
    let (rest, proto) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p),
        None => (spec, "tcp"),
    };
    let (ip, rest) = if let Some(after) = rest.strip_prefix('[') {
        let close = after
            .find(']')
            .ok_or_else(|| format!("invalid port {spec:?}"))?;
        let tail = after[close + 1..]
            .strip_prefix(':')
            .ok_or_else(|| format!("invalid port {spec:?}"))?;
        (after[..close].to_string(), tail)
    } else {
        // `ip:host:container`, where an unbracketed IPv6 address keeps its own colons.
        let parts: Vec<&str> = rest.rsplitn(3, ':').collect();
        match parts.as_slice() {
            [_] | [_, _] => (String::new(), rest),
            [container, host, ip] => {
                let tail = &rest[rest.len() - container.len() - host.len() - 1..];
                (ip.to_string(), tail)
            }
            _ => return Err(format!("invalid port {spec:?}")),
        }
    };
    let (host, container) = match rest.rsplit_once(':') {
        Some((h, c)) => (h, c),
        None => ("", rest),
    };
    // go-connections' order and words: the address, then the protocol (none at all when the
    // container port is empty), the container port, the host port.
    if !ip.is_empty() && ip.parse::<std::net::IpAddr>().is_err() {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err("invalid proto: ".into());
    }
    let proto = if proto.is_empty() { "tcp" } else { proto };
    if !matches!(proto.to_lowercase().as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {}", proto.to_lowercase()));
    }
    let (c_start, c_end) =
        port_range(container).map_err(|_| format!("invalid containerPort: {container}"))?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(port_range(host).map_err(|_| format!("invalid hostPort: {host}"))?)
    };
    if let Some((h_start, h_end)) = host_range {
        if h_end - h_start != c_end - c_start && c_end != c_start {
            return Err(format!(
                "invalid ranges specified for container and host Ports: {container} and {host}"
            ));
        }
    }
    let mut out = Vec::new();
    for i in 0..=(c_end - c_start) {
        let mut p = Map::new();
        p.insert("mode".into(), Value::String("ingress".into()));
        if !ip.is_empty() {
            p.insert("host_ip".into(), Value::String(ip.clone()));
        }
        p.insert("target".into(), Value::from(c_start + i));
        if let Some((h_start, h_end)) = host_range {
            let published = if c_start == c_end && h_start != h_end {
                format!("{h_start}-{h_end}")
            } else {
                (h_start + i).to_string()
            };
            p.insert("published".into(), Value::String(published));
        }
        p.insert("protocol".into(), Value::String(proto.to_lowercase()));
        out.push(Value::Object(p));
    }
    Ok(out)
}

/// A Windows drive prefix: one letter, then a colon (`c:`), which is no field separator.
fn is_drive(letter: &[char], next: char) -> bool {
    next == ':' && letter.len() == 1 && letter[0].is_alphabetic()
}

/// compose-go's test for a bind source: a relative, absolute, home, UNC or drive path.
fn is_file_path(source: &str) -> bool {
    let mut chars = source.chars();
    match (chars.next(), chars.next()) {
        (None, _) => false,
        (Some('.' | '/' | '~'), _) => true,
        (Some('\\'), Some('\\')) => true,
        (Some(first), Some(second)) => is_drive(&[first], second),
        (Some(_), None) => false,
    }
}

/// Parses a short volume spec (`[source:]target[:options]`) into its long form, as
/// compose-go's `ParseVolume` does: a colon after a lone letter is part of a Windows drive
/// path (`v:/v` is one path), colons inside `${...}` separate nothing, and a spec of one or
/// two characters is an anonymous volume.
pub fn volume(spec: &str) -> Result<Value, String> {
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    if spec.len() <= 2 {
        return Ok(json!({ "type": "volume", "target": spec }));
    }
    let mut parts = VolumeParts::default();
    let chars: Vec<char> = spec.chars().collect();
    let mut buffer: Vec<char> = Vec::new();
    let mut depth = 0usize;
    for i in 0..=chars.len() {
        let c = chars.get(i).copied();
        let separator = match c {
            Some('$') if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                false
            }
            Some('}') if depth > 0 => {
                depth -= 1;
                false
            }
            Some(c) if is_drive(&buffer, c) => false,
            None | Some(':') => depth == 0,
            Some(_) => false,
        };
        if separator {
            parts
                .take(&buffer, c.is_none())
                .map_err(|e| format!("invalid spec: {spec}: {e}"))?;
            buffer.clear();
        } else if let Some(c) = c {
            buffer.push(c);
        }
    }
    Ok(parts.into_value())
}

#[derive(Default)]
struct VolumeParts {
    source: String,
    target: String,
    read_only: bool,
    bind: Option<Map<String, Value>>,
    nocopy: bool,
}

impl VolumeParts {
    /// One colon-separated section: source, then target, then options.
    fn take(&mut self, buffer: &[char], last: bool) -> Result<(), String> {
        let section: String = buffer.iter().collect();
        if section.is_empty() {
            return Err("empty section between colons".into());
        }
        if self.source.is_empty() && last {
            self.target = section;
        } else if self.source.is_empty() {
            self.source = section;
        } else if self.target.is_empty() {
            self.target = section;
        } else if !last {
            return Err("too many colons".into());
        } else {
            for option in section.split(',') {
                self.option(option);
            }
        }
        Ok(())
    }

    fn option(&mut self, option: &str) {
        let key = match option {
            "ro" | "rw" => {
                self.read_only = option == "ro";
                return;
            }
            "nocopy" => {
                self.nocopy = true;
                return;
            }
            "z" | "Z" => "selinux",
            "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => "propagation",
            // compose-go ignores options it does not know.
            _ => return,
        };
        self.bind
            .get_or_insert_with(Map::new)
            .insert(key.into(), Value::String(option.into()));
    }

    fn into_value(self) -> Value {
        let bind = is_file_path(&self.source);
        let mut m = Map::new();
        m.insert("type".into(), json!(if bind { "bind" } else { "volume" }));
        if !self.source.is_empty() {
            m.insert("source".into(), Value::String(self.source));
        }
        m.insert("target".into(), Value::String(self.target));
        if self.read_only {
            m.insert("read_only".into(), Value::Bool(true));
        }
        let mut bind_opts = self.bind;
        if bind {
            // Short syntax creates a missing host path, as docker-compose v1 did.
            bind_opts
                .get_or_insert_with(Map::new)
                .insert("create_host_path".into(), Value::Bool(true));
        }
        if let Some(b) = bind_opts {
            m.insert("bind".into(), Value::Object(b));
        }
        if self.nocopy {
            m.insert("volume".into(), json!({ "nocopy": true }));
        } else if !bind {
            m.insert("volume".into(), json!({}));
        }
        m.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_depends_on_leaves_defaults_for_after_the_merge() {
        let long = depends_on(&json!({"db": {"restart": true}}), "x").unwrap();
        assert_eq!(long, json!({"db": {"restart": true}}));
        let short = depends_on(&json!(["db"]), "x").unwrap();
        assert_eq!(
            short,
            json!({"db": {"condition": "service_started", "required": true}})
        );
        let mut svc = Map::new();
        svc.insert("depends_on".into(), long);
        dependency_defaults(&mut svc);
        assert_eq!(
            Value::Object(svc),
            json!({"depends_on": {"db": {"condition": "service_started", "restart": true, "required": true}}})
        );
    }

    #[test]
    fn durations_render_like_go() {
        let cases = [
            ("2m", "2m0s"),
            ("1m30s", "1m30s"),
            ("90s", "1m30s"),
            ("1h2m3s", "1h2m3s"),
            ("500ms", "500ms"),
            ("1.5s", "1.5s"),
            ("10s", "10s"),
            ("0", "0s"),
            ("2h", "2h0m0s"),
        ];
        for (input, want) in cases {
            let ns = parse_go_duration(input).unwrap();
            assert_eq!(format_go_duration(ns), want, "input {input}");
        }
        assert_eq!(parse_go_duration("5x"), None);
        let ns = |s: &str| parse_go_duration(s);
        assert_eq!(ns("-5s"), Some(-5_000_000_000));
        assert_eq!(format_go_duration(ns("-5s").unwrap()), "-5s");
        assert_eq!(format_go_duration(ns("1d").unwrap()), "24h0m0s");
        assert_eq!(format_go_duration(ns("1w2d").unwrap()), "216h0m0s");
        assert_eq!(ns(".5s"), Some(500_000_000));
        assert_eq!(ns("1.5µs"), Some(1_500));
        assert_eq!(ns("1s "), None);
        assert_eq!(ns("10"), None);
        assert_eq!(ns("."), None);
        assert_eq!(ns("9999999999h"), None);
        assert_eq!(ns("2562047h"), Some(2562047 * 3_600_000_000_000));
    }

    #[test]
    fn byte_sizes() {
        let cases = [
            ("64m", 67108864),
            ("1g", 1073741824),
            ("1.5g", 1610612736),
            ("1000", 1000),
            ("10kb", 10240),
        ];
        for (input, want) in cases {
            assert_eq!(parse_bytes(input), Some(want), "input {input}");
        }
        assert_eq!(parse_bytes("12x"), None);
    }

    #[test]
    fn shell_words() {
        let cases: [(&str, &[&str]); 4] = [
            ("run --port 1", &["run", "--port", "1"]),
            ("sh -c 'echo a b'", &["sh", "-c", "echo a b"]),
            (r#"echo "x \"y\"" z\ w"#, &["echo", "x \"y\"", "z w"]),
            ("/usr/local/bin/start", &["/usr/local/bin/start"]),
        ];
        for (input, want) in cases {
            assert_eq!(shell_split(input).unwrap(), want, "input {input}");
        }
        assert!(shell_split("echo 'open").is_err());
    }

    #[test]
    fn ports_table() {
        let p = |s: &str| serde_json::to_string(&parse_port(s).unwrap()).unwrap();
        assert_eq!(
            p("3000"),
            r#"[{"mode":"ingress","target":3000,"protocol":"tcp"}]"#
        );
        assert_eq!(parse_port("3001-3003").unwrap().len(), 3);
        assert_eq!(
            p("127.0.0.1:5000:5000/udp"),
            r#"[{"mode":"ingress","host_ip":"127.0.0.1","target":5000,"published":"5000","protocol":"udp"}]"#
        );
        assert_eq!(
            p("127.0.0.1::6000"),
            r#"[{"mode":"ingress","host_ip":"127.0.0.1","target":6000,"protocol":"tcp"}]"#
        );
        assert_eq!(
            p("[::1]:7000:7000"),
            r#"[{"mode":"ingress","host_ip":"::1","target":7000,"published":"7000","protocol":"tcp"}]"#
        );
        assert_eq!(
            p("9090-9091:8080"),
            r#"[{"mode":"ingress","target":8080,"published":"9090-9091","protocol":"tcp"}]"#
        );
        assert_eq!(
            p("::1:7000:7000"),
            r#"[{"mode":"ingress","host_ip":"::1","target":7000,"published":"7000","protocol":"tcp"}]"#
        );
        for (spec, want) in [
            ("eighty:80", "invalid hostPort: eighty"),
            ("80:eighty", "invalid containerPort: eighty"),
            ("80/xyz", "invalid proto: xyz"),
            ("80:", "invalid proto: "),
            ("a:b:c:d", "invalid IP address: a:b"),
            ("99999:80", "invalid hostPort: 99999"),
        ] {
            assert_eq!(parse_port(spec).unwrap_err(), want, "{spec}");
        }
        assert_eq!(
            p("80/"),
            r#"[{"mode":"ingress","target":80,"protocol":"tcp"}]"#
        );
        let pairs = parse_port("8000-8002:9000-9002").unwrap();
        assert_eq!(pairs[2]["published"], "8002");
        assert_eq!(pairs[2]["target"], 9002);
        assert!(parse_port("1-2:3-5").is_err());
        assert!(parse_port("x").is_err());
    }

    #[test]
    fn volumes_table() {
        let v = |s: &str| serde_json::to_string(&volume(s).unwrap()).unwrap();
        assert_eq!(
            v("./data:/data"),
            r#"{"type":"bind","source":"./data","target":"/data","bind":{"create_host_path":true}}"#
        );
        assert_eq!(
            v("logs:/var/log"),
            r#"{"type":"volume","source":"logs","target":"/var/log","volume":{}}"#
        );
        assert_eq!(
            v("./s:/s:ro"),
            r#"{"type":"bind","source":"./s","target":"/s","read_only":true,"bind":{"create_host_path":true}}"#
        );
        assert_eq!(v("/n"), r#"{"type":"volume","target":"/n"}"#);
        assert_eq!(
            v("v:/v"),
            r#"{"type":"volume","target":"v:/v","volume":{}}"#
        );
        assert_eq!(
            v("c:/data:/data:ro"),
            r#"{"type":"bind","source":"c:/data","target":"/data","read_only":true,"bind":{"create_host_path":true}}"#
        );
        assert_eq!(
            v("named:/n:nocopy,z"),
            r#"{"type":"volume","source":"named","target":"/n","bind":{"selinux":"z"},"volume":{"nocopy":true}}"#
        );
        assert!(volume("ab:/b:ro:x").is_err());
        assert!(volume("ab::/b").is_err());
        assert_eq!(
            v("/anon"),
            r#"{"type":"volume","target":"/anon","volume":{}}"#
        );
    }
}
