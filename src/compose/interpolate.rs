//! Variable substitution the way compose-go does it: `${VAR}`, `$VAR`, the `-`, `?` and `+`
//! operators with and without `:`, nested defaults and `$$` as the escape for a literal dollar.
//! Substitution touches values only: mapping keys are never interpolated.

use serde_json::Value;

/// Why a substitution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubstError {
    /// `${VAR?msg}` / `${VAR:?msg}` with VAR missing.
    Required { name: String, message: String },
    /// A `${...}` that is not a valid expression.
    Invalid,
}

/// Substitutes variables in one string. `lookup` returns `None` for an unset variable.
/// Bare references to unset variables become empty strings and are reported in `unset`.
pub fn substitute(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, SubstError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let end = matching_brace(&chars, i + 2).ok_or(SubstError::Invalid)?;
                let body: String = chars[i + 2..end].iter().collect();
                out.push_str(&braced(&body, lookup, unset)?);
                i = end + 1;
            }
            Some(&n) if n == '_' || n.is_ascii_alphabetic() => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && (chars[j] == '_' || chars[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                out.push_str(&bare(&name, lookup, unset));
                i = j;
            }
            // A lone `$` (end of string or before a character that cannot start a name) is
            // taken literally, as compose-go does.
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Index of the `}` closing a `${` whose body starts at `from`, honouring nested `${...}`.
fn matching_brace(chars: &[char], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '$' if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            '$' if chars.get(i + 1) == Some(&'$') => {
                i += 2;
                continue;
            }
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn bare(name: &str, lookup: &dyn Fn(&str) -> Option<String>, unset: &mut Vec<String>) -> String {
    match lookup(name) {
        Some(v) => v,
        None => {
            if !unset.iter().any(|u| u == name) {
                unset.push(name.to_string());
            }
            String::new()
        }
    }
}

fn braced(
    body: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, SubstError> {
    let name_len = body
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(body.len());
    let name = &body[..name_len];
    if name.is_empty() {
        return Err(SubstError::Invalid);
    }
    let rest = &body[name_len..];
    if rest.is_empty() {
        return Ok(bare(name, lookup, unset));
    }
    let (colon, op, arg) = match rest.strip_prefix(':') {
        Some(r) => (true, r.chars().next(), r.get(1..).unwrap_or("")),
        None => (false, rest.chars().next(), rest.get(1..).unwrap_or("")),
    };
    let value = lookup(name);
    let present = match &value {
        Some(v) => !colon || !v.is_empty(),
        None => false,
    };
    match op {
        Some('-') => match value {
            Some(v) if present => Ok(v),
            _ => substitute(arg, lookup, unset),
        },
        Some('+') => {
            if present {
                substitute(arg, lookup, unset)
            } else {
                Ok(String::new())
            }
        }
        Some('?') => match value {
            Some(v) if present => Ok(v),
            _ => Err(SubstError::Required {
                name: name.to_string(),
                message: substitute(arg, lookup, unset)?,
            }),
        },
        _ => Err(SubstError::Invalid),
    }
}

/// The text of a failed substitution, in compose-go's words.
pub fn describe(err: &SubstError, path: &str, raw: &str) -> String {
    match err {
        SubstError::Required { name, message } => {
            let mut msg = format!(
                "error while interpolating {path}: required variable {name} is missing a value"
            );
            if !message.is_empty() {
                msg.push_str(": ");
                msg.push_str(message);
            }
            msg
        }
        SubstError::Invalid => format!(
            "invalid interpolation format for {path}.\nYou may need to escape any $ with another $.\n{raw}"
        ),
    }
}

/// Interpolates every string value of a tree (never mapping keys). `path` names the position
/// for error messages (`services.db.environment.ROOT_SECRET`).
pub fn interpolate_tree(
    value: &mut Value,
    path: &mut Vec<String>,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(), String> {
    match value {
        Value::String(s) => {
            let new = substitute(s, lookup, unset).map_err(|e| describe(&e, &path.join("."), s))?;
            *s = new;
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                let r = interpolate_tree(item, path, lookup, unset);
                path.pop();
                r?;
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                path.push(k.clone());
                let r = interpolate_tree(v, path, lookup, unset);
                path.pop();
                r?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The warning Docker Compose prints for a variable that was not set.
pub fn unset_warning(name: &str) -> String {
    format!("The \"{name}\" variable is not set. Defaulting to a blank string.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(input: &str) -> (Result<String, SubstError>, Vec<String>) {
        let env: HashMap<&str, &str> = [("SET", "val"), ("EMPTY", ""), ("OTHER", "o")].into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let mut unset = vec![];
        (substitute(input, &lookup, &mut unset), unset)
    }

    #[test]
    fn substitution_table() {
        let cases = [
            ("plain", "plain"),
            ("${SET}", "val"),
            ("$SET/x", "val/x"),
            ("a$SET-b", "aval-b"),
            ("${MISSING}", ""),
            ("${MISSING:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${MISSING-d}", "d"),
            ("${SET:+r}", "r"),
            ("${EMPTY:+r}", ""),
            ("${EMPTY+r}", "r"),
            ("${MISSING+r}", ""),
            ("${MISSING:-${OTHER}}", "o"),
            ("${MISSING:-${ALSO:-deep}}", "deep"),
            ("$$SET", "$SET"),
            ("$${SET}", "${SET}"),
            ("ends-with-$", "ends-with-$"),
            ("$ 5", "$ 5"),
            ("${EMPTY?boom}", ""),
        ];
        for (input, want) in cases {
            assert_eq!(run(input).0, Ok(want.to_string()), "input {input}");
        }
    }

    #[test]
    fn unset_is_reported_once() {
        let (_, unset) = run("${MISSING} $MISSING ${MISSING:-x}");
        assert_eq!(unset, vec!["MISSING".to_string()]);
    }

    #[test]
    fn required_errors() {
        let (r, _) = run("${MISSING:?please set it}");
        let err = r.unwrap_err();
        assert_eq!(
            describe(&err, "services.db.environment.X", ""),
            "error while interpolating services.db.environment.X: required variable MISSING is missing a value: please set it"
        );
        assert!(run("${EMPTY:?x}").0.is_err());
        assert_eq!(run("${}").0, Err(SubstError::Invalid));
        assert_eq!(run("${SET").0, Err(SubstError::Invalid));
    }
}
