//! PURE text formatting shared by the listing commands (`ps`, `images`, `ls`, `top`), written to
//! print exactly what Docker Compose prints: Go's tabwriter alignment, go-units durations and
//! sizes, Go's JSON escaping, the Docker CLI's port list, and a subset of Go templates
//! (`{{.Field}}`, `{{json .}}`, `{{json .Field}}`, `{{.Label "key"}}`, a leading `table`).

use crate::engine::PublishedPort;
use serde_json::Value;

/// Aligns tab-separated cells like Go's `tabwriter.NewWriter(w, minwidth, 1, padding, ' ', 0)`:
/// every cell but a line's last is padded to its column's widest cell plus `padding`, and at
/// least `minwidth`.
pub fn tabwrite(rows: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![minwidth; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            widths[i] = widths[i].max(cell.chars().count() + padding);
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

/// go-units `HumanDuration`: "Less than a second", "About a minute", "3 hours", ...
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let minutes = secs / 60;
    // Go rounds hours: int(d.Hours() + 0.5).
    let hours = (secs + 1800) / 3600;
    match secs {
        0 => "Less than a second".into(),
        1 => "1 second".into(),
        s if s < 60 => format!("{s} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", secs / 3600 / 24 / 365),
    }
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, three significant digits
/// ("1.99MB", "512B", "0B").
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", significant(size, 3), UNITS[unit])
}

/// Go's `%.<digits>g` for the values sizes take (no exponent form).
fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - exp).max(0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Go's `time.Unix(secs, 0).String()` in UTC: "2026-12-04 07:33:44 +0000 UTC".
pub fn go_time(secs: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return String::new();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The Docker CLI's `GetTimestamp` for `--since`/`--until`, in Unix seconds: a Go duration
/// counts back from `now` ("42m"), else a Unix time ("1700000000[.5]"), else an RFC 3339 date
/// ("2013-01-02T13:23:37Z", "2013-01-02T13:23:37+02:00", "2013-01-02"; no zone means UTC).
pub fn timestamp(value: &str, now: i64) -> Result<i64, String> {
    let bad = || {
        format!("invalid value {value:?}: use a duration (42m), a Unix time or an RFC 3339 date")
    };
    if let Some(ns) = crate::compose::parse_go_duration(value) {
        return Ok(now - (ns / 1_000_000_000) as i64);
    }
    if let Ok(secs) = value.split('.').next().unwrap_or("").parse::<i64>() {
        if value.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Ok(secs);
        }
    }
    let (date, rest) = value.split_at(value.find('T').unwrap_or(value.len()));
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let d: Vec<&str> = date.split('-').collect();
    let [y, m, day] = d.as_slice() else {
        return Err(bad());
    };
    let month = time::Month::try_from(num(m)? as u8).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(num(y)? as i32, month, num(day)? as u8)
        .map_err(|_| bad())?;
    let rest = rest.trim_start_matches('T');
    let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(zone_at);
    let mut hms = [0i64; 3];
    for (i, part) in clock
        .split(':')
        .filter(|p| !p.is_empty())
        .enumerate()
        .take(3)
    {
        hms[i] = num(part.split('.').next().unwrap_or(part))?;
    }
    let offset = match zone {
        "" | "Z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (h, m) = z[1..].split_once(':').unwrap_or((&z[1..], "0"));
            sign * (num(h)? * 3600 + num(m)? * 60)
        }
    };
    let midnight = date.midnight().assume_utc().unix_timestamp();
    Ok(midnight + hms[0] * 3600 + hms[1] * 60 + hms[2] - offset)
}

/// JSON as Go's encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub fn go_json(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The exit code in an engine status such as "Exited (3) 2 seconds ago".
pub fn exit_code(status: &str) -> Option<i64> {
    status
        .strip_prefix("Exited (")
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
}

/// Cuts `text` to `width` characters, the last being "…" (the Docker CLI's `Ellipsis`).
pub fn ellipsis(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The Docker CLI's `DisplayablePorts`: "0.0.0.0:8000->8000/tcp, [::]:8000->8000/tcp", with
/// consecutive ports grouped into ranges.
pub fn ports(ports: &[PublishedPort]) -> String {
    let mut sorted: Vec<&PublishedPort> = ports.iter().collect();
    let ip = |p: &PublishedPort| p.ip.clone().unwrap_or_default();
    sorted.sort_by(|a, b| {
        (
            a.private_port,
            ip(a),
            a.public_port.unwrap_or(0),
            &a.protocol,
        )
            .cmp(&(
                b.private_port,
                ip(b),
                b.public_port.unwrap_or(0),
                &b.protocol,
            ))
    });
    // (ip, protocol) → current (first, last) run, in the order keys first appear.
    let mut groups: Vec<((String, String), (u16, u16))> = Vec::new();
    let mut result = Vec::new();
    let mut mappings = Vec::new();
    for p in sorted {
        let port = p.private_port;
        let ip = ip(p);
        if !ip.is_empty() && p.public_port.unwrap_or(0) != port {
            let host = join_host_port(&ip, &p.public_port.unwrap_or(0).to_string());
            mappings.push(format!("{host}->{port}/{}", p.protocol));
            continue;
        }
        let key = (ip, p.protocol.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            None => groups.push((key, (port, port))),
            Some((_, run)) if port == run.1.wrapping_add(1) => run.1 = port,
            Some((k, run)) => {
                result.push(port_group(k, *run));
                *run = (port, port);
            }
        }
    }
    result.extend(groups.iter().map(|(k, run)| port_group(k, *run)));
    result.extend(mappings);
    result.join(", ")
}

fn port_group((ip, protocol): &(String, String), (first, last): (u16, u16)) -> String {
    let mut group = first.to_string();
    if first != last {
        group = format!("{group}-{last}");
    }
    if !ip.is_empty() {
        group = format!("{}->{group}", join_host_port(ip, &group));
    }
    format!("{group}/{protocol}")
}

/// Go's `net.JoinHostPort`: IPv6 hosts in brackets.
fn join_host_port(host: &str, port: &str) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// One record a template renders: its fields in JSON order (Go sorts them by name), with the
/// header each field has in `table` output.
pub struct Record {
    pub fields: Vec<(&'static str, Value)>,
    pub labels: std::collections::BTreeMap<String, String>,
}

impl Record {
    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    fn json(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
}

/// What Go's `{{.}}` prints for a value: strings bare, numbers as numbers, arrays of structs as
/// `[{a b} {c d}]`.
fn go_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(go_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.values().map(go_text).collect::<Vec<_>>().join(" ")
        ),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

/// A parsed `--format` Go template (the subset Compose users write).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub table: bool,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Field(String),
    JsonAll,
    JsonField(String),
    Label(String),
}

impl Template {
    /// Parses `format`; `\t` and `\n` written literally mean tab and newline, as in the Docker CLI.
    pub fn parse(format: &str) -> Result<Template, String> {
        let (table, body) = match format.strip_prefix("table") {
            Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
                (true, rest.trim_start())
            }
            _ => (false, format),
        };
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        let mut parts = Vec::new();
        let mut rest = body.as_str();
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("template parsing error: unclosed action in {format:?}"))?;
            parts.push(Self::action(
                after[..end].trim_matches(|c| c == ' ' || c == '-'),
            )?);
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { table, parts })
    }

    fn action(action: &str) -> Result<Part, String> {
        let words: Vec<&str> = action.split_whitespace().collect();
        match words.as_slice() {
            ["json", "."] => Ok(Part::JsonAll),
            ["json", field] if field.starts_with('.') => Ok(Part::JsonField(field[1..].into())),
            [".Label", key] => Ok(Part::Label(key.trim_matches('"').to_string())),
            [field] if field.starts_with('.') && field.len() > 1 => Ok(Part::Field(field[1..].into())),
            _ => Err(format!(
                "template parsing error: unsupported action {{{{{action}}}}}: use {{{{.Field}}}}, {{{{json .}}}} or {{{{.Label \"key\"}}}}"
            )),
        }
    }

    /// Renders one record; an unknown field is an error naming it, as Go's is.
    pub fn render(&self, r: &Record) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::JsonAll => out.push_str(&go_json(&r.json())),
                Part::Field(f) => out.push_str(&go_text(Self::field(r, f)?)),
                Part::JsonField(f) => out.push_str(&go_json(Self::field(r, f)?)),
                Part::Label(k) => out.push_str(r.labels.get(k).map_or("", String::as_str)),
            }
        }
        Ok(out)
    }

    fn field<'r>(r: &'r Record, name: &str) -> Result<&'r Value, String> {
        r.get(name).ok_or_else(|| {
            format!("template parsing error: template: :1: executing \"\" at <.{name}>: can't evaluate field {name}")
        })
    }

    /// The header line of a `table` template: each field's header, `<no value>` for a field
    /// without one (as the Docker CLI prints).
    pub fn header(&self, headers: &[(&str, &str)]) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) | Part::JsonField(f) => out.push_str(
                    headers
                        .iter()
                        .find(|(k, _)| k == f)
                        .map_or("<no value>", |(_, h)| h),
                ),
                Part::Label(k) => {
                    let last = k.rsplit('.').next().unwrap_or(k);
                    out.push_str(&last.replace(['-', '_'], " "));
                }
                Part::JsonAll => {}
            }
        }
        out
    }

    /// Renders records: a `table` gets its header and Go's tabwriter (min width 10, padding 3);
    /// other templates print one line per record.
    pub fn render_all(
        &self,
        records: &[Record],
        headers: &[(&str, &str)],
    ) -> Result<String, String> {
        let mut lines = Vec::new();
        if self.table {
            lines.push(self.header(headers));
        }
        for r in records {
            lines.push(self.render(r)?);
        }
        if !self.table {
            return Ok(lines.iter().map(|l| format!("{l}\n")).collect());
        }
        let rows: Vec<Vec<String>> = lines
            .iter()
            .flat_map(|l| l.split('\n'))
            .map(|l| l.split('\t').map(String::from).collect())
            .collect();
        Ok(tabwrite(&rows, 10, 3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn port(ip: &str, private: u16, public: u16, proto: &str) -> PublishedPort {
        PublishedPort {
            ip: (!ip.is_empty()).then(|| ip.to_string()),
            private_port: private,
            public_port: (public != 0).then_some(public),
            protocol: proto.into(),
        }
    }

    #[test]
    fn ports_print_like_the_docker_cli() {
        // What `docker compose ps` printed for ports 18765:18765, 18770-18771, 127.0.0.1:18780:80/udp,
        // 9999 (ephemeral 32769) and expose 7000.
        let list = vec![
            port("0.0.0.0", 18765, 18765, "tcp"),
            port("::", 18765, 18765, "tcp"),
            port("", 7000, 0, "tcp"),
            port("0.0.0.0", 18770, 18770, "tcp"),
            port("::", 18770, 18770, "tcp"),
            port("0.0.0.0", 18771, 18771, "tcp"),
            port("::", 18771, 18771, "tcp"),
            port("127.0.0.1", 80, 18780, "udp"),
            port("0.0.0.0", 9999, 32769, "tcp"),
            port("::", 9999, 32769, "tcp"),
        ];
        assert_eq!(
            ports(&list),
            "0.0.0.0:18765->18765/tcp, [::]:18765->18765/tcp, 7000/tcp, \
             0.0.0.0:18770-18771->18770-18771/tcp, [::]:18770-18771->18770-18771/tcp, \
             127.0.0.1:18780->80/udp, 0.0.0.0:32769->9999/tcp, [::]:32769->9999/tcp"
        );
        assert_eq!(ports(&[]), "");
    }

    #[test]
    fn durations_follow_go_units() {
        let cases = [
            (0, "Less than a second"),
            (1, "1 second"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (119, "About a minute"),
            (120, "2 minutes"),
            (3599, "59 minutes"),
            (3600, "About an hour"),
            (5399, "About an hour"),
            (5400, "2 hours"),
            (47 * 3600, "47 hours"),
            (48 * 3600, "2 days"),
            (14 * 86400, "2 weeks"),
            (60 * 86400, "2 months"),
            (800 * 86400, "2 years"),
        ];
        for (secs, text) in cases {
            assert_eq!(human_duration(secs), text, "{secs}s");
        }
    }

    #[test]
    fn sizes_have_three_significant_digits() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(1_985_562), "1.99MB");
        assert_eq!(human_size(12_500), "12.5kB");
        assert_eq!(human_size(100_000), "100kB");
    }

    #[test]
    fn times_and_json_look_like_go() {
        assert_eq!(go_time(1_796_369_624), "2026-12-04 07:33:44 +0000 UTC");
        assert_eq!(
            go_json(&json!({"Ports": "0.0.0.0:1->1/tcp", "A": "x&y<z"})),
            r#"{"Ports":"0.0.0.0:1-\u003e1/tcp","A":"x\u0026y\u003cz"}"#
        );
        assert_eq!(
            ellipsis("httpd -f -p 8000 -h /tmp", 20),
            "httpd -f -p 8000 -h…"
        );
        assert_eq!(ellipsis("sleep 300", 20), "sleep 300");
    }

    #[test]
    fn timestamps_parse_like_the_docker_cli() {
        let now = 1_700_000_000;
        assert_eq!(timestamp("42m", now), Ok(now - 42 * 60));
        assert_eq!(timestamp("1h30m", now), Ok(now - 5400));
        assert_eq!(timestamp("1699999999", now), Ok(1_699_999_999));
        assert_eq!(timestamp("1699999999.5", now), Ok(1_699_999_999));
        assert_eq!(timestamp("2023-11-14T22:13:20Z", now), Ok(now));
        assert_eq!(timestamp("2023-11-15T00:13:20+02:00", now), Ok(now));
        assert_eq!(timestamp("2023-11-14T22:13:20.123Z", now), Ok(now));
        assert_eq!(
            timestamp("2023-11-14", now),
            Ok(now - 22 * 3600 - 13 * 60 - 20)
        );
        assert!(timestamp("yesterday", now).is_err());
    }

    #[test]
    fn tabwriter_pads_all_but_the_last_cell() {
        let rows = vec![
            vec!["NAME".to_string(), "STATUS".into(), "PORTS".into()],
            vec!["clipb-web-1".to_string(), "Up 2 seconds".into(), "".into()],
        ];
        assert_eq!(
            tabwrite(&rows, 10, 3),
            "NAME          STATUS         PORTS\nclipb-web-1   Up 2 seconds   \n"
        );
    }

    fn record() -> Record {
        Record {
            fields: vec![
                ("Name", json!("p-web-1")),
                (
                    "Publishers",
                    json!([{"URL": "0.0.0.0", "TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"}]),
                ),
                ("State", json!("running")),
            ],
            labels: [("com.docker.compose.service".to_string(), "web".to_string())].into(),
        }
    }

    #[test]
    fn templates_render_fields_json_and_labels() {
        let t = Template::parse("{{.Name}} {{.State}} {{.Label \"com.docker.compose.service\"}}")
            .unwrap();
        assert!(!t.table);
        assert_eq!(t.render(&record()).unwrap(), "p-web-1 running web");
        let t = Template::parse("{{json .Name}}|{{.Publishers}}").unwrap();
        assert_eq!(
            t.render(&record()).unwrap(),
            "\"p-web-1\"|[{0.0.0.0 80 8080 tcp}]"
        );
        let t = Template::parse("{{json .}}").unwrap();
        assert!(t
            .render(&record())
            .unwrap()
            .starts_with("{\"Name\":\"p-web-1\",\"Publishers\":[{"));
        let err = Template::parse("{{.Bogus}}")
            .unwrap()
            .render(&record())
            .unwrap_err();
        assert!(err.contains("can't evaluate field Bogus"), "{err}");
    }

    #[test]
    fn table_templates_have_headers() {
        let t = Template::parse("table {{.Name}}\\t{{.State}}\\t{{.Health}}").unwrap();
        assert!(t.table);
        let out = t
            .render_all(&[record()], &[("Name", "NAME"), ("State", "STATE")])
            .unwrap_err();
        assert!(out.contains("Health"));
        let t = Template::parse("table {{.Name}}\\t{{.State}}").unwrap();
        assert_eq!(
            t.render_all(&[record()], &[("Name", "NAME"), ("State", "STATE")])
                .unwrap(),
            "NAME      STATE\np-web-1   running\n"
        );
        let t =
            Template::parse("table {{.Label \"com.docker.compose.project.working_dir\"}}").unwrap();
        assert_eq!(t.header(&[]), "working dir");
    }
}
