//! Go's `encoding/json` output for a marshalled value: `MarshalIndent` with two spaces for
//! `config --format json`, compact for the config hash; strings escaped as Go escapes them
//! (`<`, `>`, `&`, U+2028 and U+2029 included).

use super::gofmt::json_float;
use super::marshal::Out;

/// `json.MarshalIndent(v, "", "  ")` when `pretty`, else `json.Marshal(v)`.
pub fn to_json(v: &Out, pretty: bool) -> String {
    let mut w = String::new();
    write(&mut w, v, pretty.then_some(0));
    w
}

fn newline(w: &mut String, level: Option<usize>) {
    if let Some(level) = level {
        w.push('\n');
        w.extend(std::iter::repeat_n(' ', level * 2));
    }
}

fn write(w: &mut String, v: &Out, level: Option<usize>) {
    let inner = level.map(|l| l + 1);
    match v {
        Out::Null => w.push_str("null"),
        Out::Bool(b) => w.push_str(if *b { "true" } else { "false" }),
        Out::Int(n) => w.push_str(&n.to_string()),
        Out::Float(f, bits32) => w.push_str(&json_float(*f, *bits32)),
        Out::Str(s) => string(w, s),
        Out::Seq(items) if items.is_empty() => w.push_str("[]"),
        Out::Map(entries) if entries.is_empty() => w.push_str("{}"),
        Out::Seq(items) => {
            w.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.push(',');
                }
                newline(w, inner);
                write(w, item, inner);
            }
            newline(w, level);
            w.push(']');
        }
        Out::Map(entries) => {
            w.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    w.push(',');
                }
                newline(w, inner);
                string(w, k);
                w.push(':');
                if level.is_some() {
                    w.push(' ');
                }
                write(w, v, inner);
            }
            newline(w, level);
            w.push('}');
        }
    }
}

fn string(w: &mut String, s: &str) {
    w.push('"');
    for c in s.chars() {
        match c {
            '"' => w.push_str("\\\""),
            '\\' => w.push_str("\\\\"),
            '\n' => w.push_str("\\n"),
            '\r' => w.push_str("\\r"),
            '\t' => w.push_str("\\t"),
            '\u{8}' => w.push_str("\\b"),
            '\u{c}' => w.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                w.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => w.push_str(&format!("\\u{:04x}", c as u32)),
            c => w.push(c),
        }
    }
    w.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_and_escapes_like_go() {
        let v = Out::Map(vec![
            (
                "a".into(),
                Out::Seq(vec![Out::Int(1), Out::Float(0.5, true)]),
            ),
            ("b".into(), Out::Map(vec![])),
            ("c".into(), Out::Str("<&>\u{1}\u{2028}é".into())),
        ]);
        assert_eq!(
            to_json(&v, true),
            "{\n  \"a\": [\n    1,\n    0.5\n  ],\n  \"b\": {},\n  \"c\": \"\\u003c\\u0026\\u003e\\u0001\\u2028é\"\n}"
        );
        assert_eq!(
            to_json(&v, false),
            "{\"a\":[1,0.5],\"b\":{},\"c\":\"\\u003c\\u0026\\u003e\\u0001\\u2028é\"}"
        );
    }
}
