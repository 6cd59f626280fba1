//! Go's ways of turning numbers into text (`strconv.FormatFloat`, `fmt.Sprint`, the JSON
//! encoder), which Docker Compose's output inherits: `1.0` becomes "1", `1e-6` "1e-06", a
//! float32 `0.33333334`.

use serde_json::Value;

/// A float's shortest round-trip digits: value = 0.`digits` × 10^`dp` (no digits for zero).
struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    dp: i32,
}

fn decimal(f: f64, bits32: bool) -> Decimal {
    // Rust's `{:e}` prints the shortest digits that read back as the same f32/f64, the digits
    // Go's shortest formatting picks.
    let text = if bits32 {
        format!("{:e}", f as f32)
    } else {
        format!("{f:e}")
    };
    let (neg, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    if digits.iter().all(|d| *d == b'0') {
        return Decimal {
            neg,
            digits: Vec::new(),
            dp: 0,
        };
    }
    Decimal {
        neg,
        digits,
        dp: exp.parse::<i32>().unwrap_or(0) + 1,
    }
}

/// `%e` with `prec` digits after the point (Go's `fmtE`).
fn fmt_e(d: &Decimal, prec: usize) -> String {
    let mut out = String::new();
    if d.neg {
        out.push('-');
    }
    out.push(d.digits.first().map_or('0', |c| char::from(*c)));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(d.digits.get(i).map_or('0', |c| char::from(*c)));
        }
    }
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
    out
}

/// `%f` with `prec` digits after the point (Go's `fmtF`).
fn fmt_f(d: &Decimal, prec: usize) -> String {
    let mut out = String::new();
    if d.neg {
        out.push('-');
    }
    if d.dp > 0 {
        for i in 0..d.dp as usize {
            out.push(d.digits.get(i).map_or('0', |c| char::from(*c)));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i32 {
            let j = d.dp + i - 1;
            let c = usize::try_from(j)
                .ok()
                .and_then(|j| d.digits.get(j))
                .map_or('0', |c| char::from(*c));
            out.push(c);
        }
    }
    out
}

fn special(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("+Inf")
    } else if f == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// `strconv.FormatFloat(f, 'g', -1, bits)` (also `fmt.Sprint`'s format): shortest digits,
/// exponent form below 1e-4 and from 1e6 on.
pub fn format_g(f: f64, bits32: bool) -> String {
    if let Some(s) = special(f) {
        return s.into();
    }
    let d = decimal(f, bits32);
    let exp = d.dp - 1;
    if !d.digits.is_empty() && !(-4..6).contains(&exp) {
        return fmt_e(&d, d.digits.len() - 1);
    }
    fmt_f(&d, (d.digits.len() as i32 - d.dp).max(0) as usize)
}

/// `fmt.Sprint` of a float64, which compose-go uses to turn YAML numbers into strings.
pub fn sprint_float(f: f64) -> String {
    format_g(f, false)
}

/// A float as go-yaml writes it (`.inf`, `.nan` for the special values).
pub fn yaml_float(f: f64, bits32: bool) -> String {
    match format_g(f, bits32).as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        s => s.into(),
    }
}

/// A float as Go's JSON encoder writes it: plain decimals, exponent form only below 1e-6 or
/// from 1e21 on (with `e-7`, not `e-07`). JSON has no infinities; they print as null.
pub fn json_float(f: f64, bits32: bool) -> String {
    if special(f).is_some() {
        return "null".into();
    }
    let d = decimal(f, bits32);
    let abs = f.abs();
    let (small, big) = if bits32 {
        let a = abs as f32;
        (a < 1e-6, a >= 1e21)
    } else {
        (abs < 1e-6, abs >= 1e21)
    };
    if abs != 0.0 && (small || big) {
        let s = fmt_e(&d, d.digits.len().saturating_sub(1));
        let b = s.as_bytes();
        let n = b.len();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            return format!("{}{}", &s[..n - 2], &s[n - 1..]);
        }
        return s;
    }
    fmt_f(&d, (d.digits.len() as i32 - d.dp).max(0) as usize)
}

/// `fmt.Sprint` of a YAML-decoded value: how compose-go turns numbers and booleans into the
/// strings its maps hold (environment, labels, options...). Null is the empty string.
pub fn sprint(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => sprint_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(sprint).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(m) => {
            let mut parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}:{}", sprint(v)))
                .collect();
            parts.sort();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_g_like_go() {
        let cases: [(f64, &str); 12] = [
            (1.0, "1"),
            (1000.0, "1000"),
            (1e-6, "1e-06"),
            (1e20, "1e+20"),
            (123456789.123, "1.23456789123e+08"),
            (123456.0, "123456"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.0, "0"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "+Inf"),
        ];
        for (f, want) in cases {
            assert_eq!(format_g(f, false), want, "{f}");
        }
        assert_eq!(format_g(0.3333333333333333, true), "0.33333334");
        assert_eq!(format_g(123456789.0, true), "1.2345679e+08");
        assert_eq!(yaml_float(f64::NAN, false), ".nan");
    }

    #[test]
    fn json_floats_like_go() {
        assert_eq!(json_float(123456789.0, true), "123456790");
        assert_eq!(json_float(0.5, true), "0.5");
        assert_eq!(json_float(1e-7, false), "1e-7");
        assert_eq!(json_float(1e21, false), "1e+21");
        assert_eq!(json_float(1e20, false), "100000000000000000000");
        assert_eq!(json_float(1.0, true), "1");
    }

    #[test]
    fn sprint_values() {
        assert_eq!(sprint(&serde_json::json!(1.0)), "1");
        assert_eq!(
            sprint(&serde_json::json!(12345678901234567890u64)),
            "12345678901234567890"
        );
        assert_eq!(
            sprint(&serde_json::json!({"b": 1, "a": "x"})),
            "map[a:x b:1]"
        );
    }
}
