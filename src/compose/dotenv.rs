//! `.env` and `env_file` parsing with compose-go's dotenv rules: `export` prefix, single quotes
//! (literal), double quotes (escapes, may span lines), unquoted values cut at ` #`, and
//! interpolation read top to bottom.

use super::interpolate::{substitute, SubstError};
use indexmap::IndexMap;

/// Parses dotenv text. Variables in values are looked up with `lookup` first (the shell, or
/// the project's environment), then among the entries already read from this file, then with
/// `earlier` (files read before this one). Names of unset variables are pushed to `unset`.
pub fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    earlier: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<IndexMap<String, String>, String> {
    let mut vars: IndexMap<String, String> = IndexMap::new();
    let text = text.trim_start_matches('\u{feff}');
    let mut rest = text;
    let line_of = |rest: &str| text[..text.len() - rest.len()].matches('\n').count() + 1;
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('#') {
            rest = skip_line(rest);
            continue;
        }
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let statement = rest[..line_end].trim_end_matches('\r');
        let line = line_of(rest);
        // `KEY=value`, or the YAML-like `KEY: value` compose-go also accepts.
        let Some(eq) = statement.find(['=', ':']) else {
            // `KEY` alone: take it from the environment when set.
            let key = strip_export(statement.trim());
            check_name(key, statement, line)?;
            if let Some(v) = lookup(key) {
                vars.insert(key.to_string(), v);
            }
            rest = skip_line(rest);
            continue;
        };
        let key = strip_export(rest[..eq].trim_start()).trim().to_string();
        check_name(&key, statement, line)?;
        rest = rest[eq + 1..].trim_start_matches([' ', '\t']);
        let (value, after) = read_value(rest).map_err(|e| format!("line {line}: {e} for {key}"))?;
        rest = after;
        let value = match value {
            Raw::Single(v) => v,
            Raw::Double(v) => expand(&unescape(&v), lookup, earlier, &vars, unset)?,
            Raw::Plain(v) => expand(&v, lookup, earlier, &vars, unset)?,
        };
        vars.insert(key, value);
    }
    Ok(vars)
}

fn strip_export(key: &str) -> &str {
    key.strip_prefix("export ").map(str::trim).unwrap_or(key)
}

/// A name is letters, digits, `_`, `-`, `.`, `[` and `]`; Compose names the first character
/// that is not, and the statement it is in.
fn check_name(key: &str, statement: &str, line: usize) -> Result<(), String> {
    for c in key.chars() {
        if c.is_whitespace() {
            return Err(format!("line {line}: key cannot contain a space"));
        }
        if !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']')) {
            return Err(format!(
                "line {line}: unexpected character {:?} in variable name {statement:?}",
                c.to_string()
            ));
        }
    }
    Ok(())
}

/// `format: raw` env files: `KEY=value` lines taken literally (no quotes, escapes or
/// interpolation); blank lines, `#` comments and lines without `=` skipped. A name holding
/// whitespace (`export A=1`, `A =1`) is an error, as in Compose.
pub fn parse_raw(text: &str) -> Result<IndexMap<String, String>, String> {
    let mut vars = IndexMap::new();
    for line in text.lines().map(str::trim_start) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.contains(char::is_whitespace) {
            return Err(format!("variable '{k}' contains whitespaces"));
        }
        vars.insert(k.to_string(), v.to_string());
    }
    Ok(vars)
}

enum Raw {
    Single(String),
    Double(String),
    Plain(String),
}

fn skip_line(s: &str) -> &str {
    match s.find('\n') {
        Some(i) => &s[i + 1..],
        None => "",
    }
}

/// Reads one value and returns it with the text after its line.
fn read_value(s: &str) -> Result<(Raw, &str), String> {
    if let Some(body) = s.strip_prefix('\'') {
        let end = body
            .find('\'')
            .ok_or_else(|| "unterminated quoted value".to_string())?;
        // What follows the closing quote on its line is read as more statements.
        return Ok((Raw::Single(body[..end].to_string()), &body[end + 1..]));
    }
    if let Some(body) = s.strip_prefix('"') {
        let bytes = body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return Ok((Raw::Double(body[..i].to_string()), &body[i + 1..])),
                _ => i += 1,
            }
        }
        return Err("unterminated quoted value".into());
    }
    let end = s.find('\n').unwrap_or(s.len());
    let mut value = &s[..end];
    if let Some(i) = value.find(" #") {
        value = &value[..i];
    }
    Ok((
        Raw::Plain(value.trim_end().to_string()),
        skip_line(&s[end..]),
    ))
}

/// Double-quoted escapes as Compose reads them: the C escapes `\a \b \f \n \r \t \v`, `\\`,
/// `\"`, `\$`, and `\0` with three octal digits; `\0` otherwise leaves a lone backslash, and
/// any other backslash is kept with the character after it (`\'` stays `\'`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(e @ ('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"')) => {
                chars.next();
                out.push(match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    other => other,
                });
            }
            // `\$` stays escaped so interpolation leaves the dollar alone.
            Some('$') => {
                chars.next();
                out.push_str("$$");
            }
            Some('0') => {
                chars.next();
                let digits: String = chars.clone().take(3).collect();
                match u8::from_str_radix(&digits, 8) {
                    Ok(b) if digits.len() == 3 && digits.bytes().all(|d| d.is_ascii_digit()) => {
                        chars.nth(2);
                        out.push(if b.is_ascii() {
                            char::from(b)
                        } else {
                            '\u{fffd}'
                        });
                    }
                    _ => out.push('\\'),
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

fn expand(
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    earlier: &dyn Fn(&str) -> Option<String>,
    vars: &IndexMap<String, String>,
    unset: &mut Vec<String>,
) -> Result<String, String> {
    let both = |k: &str| {
        lookup(k)
            .or_else(|| vars.get(k).cloned())
            .or_else(|| earlier(k))
    };
    substitute(value, &both, unset).map_err(|e| match e {
        SubstError::Required { name, message } => {
            format!("required variable {name} is missing a value: {message}")
        }
        SubstError::Invalid => format!("invalid interpolation format in {value:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_plain(text: &str) -> IndexMap<String, String> {
        let mut unset = vec![];
        parse(text, &|_| None, &|_| None, &mut unset).unwrap()
    }

    #[test]
    fn value_forms() {
        let cases = [
            ("A=b", "b"),
            ("export A=b", "b"),
            ("A = padded value  ", "padded value"),
            ("A=abc#def", "abc#def"),
            ("A=plain # remark", "plain"),
            ("A=tabbed\t# kept", "tabbed\t# kept"),
            ("A= # only remark", "# only remark"),
            ("A=\"keep # inside\" # remark", "keep # inside"),
            ("A='single # kept'", "single # kept"),
            ("A='no\\n ${X}'", "no\\n ${X}"),
            ("A=\"t\\tn\\n\\\"q\\\"\"", "t\tn\n\"q\""),
            ("export   A =b", "b"),
            (
                "A=\"\\a\\v\\'\\z\\0101\\0\\012\"",
                "\u{7}\u{b}\\'\\zA\\\\12",
            ),
            ("A=C:\\temp\\new", "C:\\temp\\new"),
            ("A=\"multi\nline\"", "multi\nline"),
            ("A=", ""),
            ("A: yaml style", "yaml style"),
            ("A=http://x:1", "http://x:1"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_plain(text)["A"], want, "line {text:?}");
        }
    }

    #[test]
    fn raw_format_keeps_text() {
        let vars = parse_raw("# c\nA=$X 'q' # not a comment\n\nB=\"x\"\n  C= c \nD\n").unwrap();
        assert_eq!(vars["C"], " c ");
        assert_eq!(vars.len(), 3);
        assert!(parse_raw("export A=1").is_err());
        assert_eq!(vars["A"], "$X 'q' # not a comment");
        assert_eq!(vars["B"], "\"x\"");
    }

    #[test]
    fn comments_and_order() {
        let vars = parse_plain("# c\n  # indented\nX=1\nY=${X}-${Z}\nZ=late\n=no name\n");
        assert_eq!(vars[""], "no name");
        assert_eq!(vars["Y"], "1-");
        assert_eq!(vars.len(), 4);
    }

    #[test]
    fn lookup_wins_over_file() {
        let mut unset = vec![];
        let vars = parse(
            "R=file\nI=img:${R}",
            &|k| (k == "R").then(|| "shell".to_string()),
            &|_| None,
            &mut unset,
        )
        .unwrap();
        assert_eq!(vars["I"], "img:shell");
    }
}
