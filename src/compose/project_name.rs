//! Project names: explicit names (`-p`, COMPOSE_PROJECT_NAME) are validated and rejected when
//! invalid; names derived from `name:` or the folder are normalised instead.

/// True when `name` is a valid project name: `[a-z0-9][a-z0-9_-]*`.
pub fn is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Checks an explicitly given name, with Docker Compose's message when it is invalid.
pub fn validate(name: &str) -> Result<(), String> {
    if is_valid(name) {
        Ok(())
    } else {
        Err(format!(
            "invalid project name \"{name}\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        ))
    }
}

/// Lower-cases, drops characters outside `[a-z0-9_-]`, then strips leading characters that are
/// not letters or digits.
pub fn normalize(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        let cases = [
            ("_2Fast.Web-Portal_V2", "2fastweb-portal_v2"),
            ("myapp", "myapp"),
            ("My App", "myapp"),
            ("--x", "x"),
            ("a.b.c", "abc"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input), want, "input {input}");
        }
    }

    #[test]
    fn validation_table() {
        for ok in ["a", "0app", "my-app_1"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in ["", "MyCoolProject", "_x", "-x", "a.b"] {
            assert!(validate(bad).is_err(), "{bad}");
        }
        assert!(validate("MyCoolProject")
            .unwrap_err()
            .contains("invalid project name \"MyCoolProject\""));
    }
}
