//! The `.dockerignore` matcher, a faithful port of moby/patternmatcher and
//! moby/buildkit's `dockerignore.ReadAll`, so `mls` sends exactly the files `docker build` sends.
//!
//! Paths are always `/`-separated and relative to the context root (no leading `./`).

use regex::Regex;

/// One cleaned pattern, compiled the way patternmatcher compiles it.
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    exclusion: bool,
    kind: Kind,
}

/// patternmatcher's match types: it only builds a regexp when a wildcard forces it to, and the
/// shortcuts differ from the regexp in corner cases (`**foo` is a plain suffix match), so we keep
/// them to stay byte-for-byte compatible.
#[derive(Debug, Clone)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex(Regex),
}

/// What a path's parent matched: the per-pattern results `MatchesUsingParentResults` carries down
/// the walk. Empty means "no information" (the caller did not walk from the root).
#[derive(Debug, Clone, Default)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

/// An ordered list of patterns; the last one that matches a path decides.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<Pattern>,
}

/// A pattern patternmatcher would reject (`filepath.Match` reports `ErrBadPattern`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid .dockerignore pattern {pattern:?}: {reason}")]
pub struct BadPattern {
    pub pattern: String,
    pub reason: String,
}

/// Reads a `.dockerignore` file into patterns like buildkit's `dockerignore.ReadAll`: a UTF-8 BOM
/// is dropped, lines *starting* with `#` are comments (before trimming, so ` #x` is a pattern),
/// blank lines are skipped, each pattern is `filepath.Clean`ed and a leading `/` stripped.
pub fn read_patterns(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut pattern = line.trim();
        if pattern.is_empty() {
            continue;
        }
        let invert = pattern.starts_with('!');
        if invert {
            pattern = pattern[1..].trim();
        }
        let mut cleaned = String::new();
        if !pattern.is_empty() {
            cleaned = clean(pattern);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
        }
        out.push(if invert {
            format!("!{cleaned}")
        } else {
            cleaned
        });
    }
    out
}

/// Go's `filepath.Clean` for `/`-separated paths: collapses `//`, `.` and `..` lexically.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

impl Matcher {
    /// Compiles patterns as `NewPatternMatcher` does (trim, skip empty, clean, `!` = exception).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Matcher, BadPattern> {
        let mut out = Vec::new();
        for raw in patterns {
            let p = raw.as_ref().trim();
            if p.is_empty() {
                continue;
            }
            let p = clean(p);
            let (exclusion, p) = match p.strip_prefix('!') {
                Some("") => {
                    return Err(BadPattern {
                        pattern: raw.as_ref().into(),
                        reason: "illegal exclusion pattern \"!\"".into(),
                    })
                }
                Some(rest) => (true, rest.to_string()),
                None => (false, p),
            };
            let kind = compile(&p).map_err(|reason| BadPattern {
                pattern: raw.as_ref().into(),
                reason,
            })?;
            out.push(Pattern {
                text: p,
                exclusion,
                kind,
            });
        }
        Ok(Matcher { patterns: out })
    }

    /// Whether any pattern is an exception (`!...`); then excluded directories may hold
    /// re-included files and must still be walked.
    pub fn has_exclusions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// `MatchesOrParentMatches`: is `path` excluded, either itself or through a parent directory?
    pub fn matches(&self, path: &str) -> bool {
        self.matches_using_parent(path, &MatchInfo::default()).0
    }

    /// `MatchesUsingParentResults`: like [`Matcher::matches`] but reuses what the parent
    /// directory matched, which is how the context walk evaluates every entry.
    pub fn matches_using_parent(&self, path: &str, parent: &MatchInfo) -> (bool, MatchInfo) {
        let mut matched = false;
        let mut info = MatchInfo {
            parent_matched: vec![false; self.patterns.len()],
        };
        let known = parent.parent_matched.len() == self.patterns.len();
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut hit = known && parent.parent_matched[i];
            if !hit {
                // An inclusion cannot change an already-excluded path, nor an exception a kept one.
                if pattern.exclusion != matched {
                    continue;
                }
                hit = pattern.is_match(path);
                if !hit && !known {
                    if let Some((parent_path, _)) = path.rsplit_once('/') {
                        let mut end = 0;
                        for seg in parent_path.split('/') {
                            end += seg.len();
                            if pattern.is_match(&parent_path[..end]) {
                                hit = true;
                                break;
                            }
                            end += 1;
                        }
                    }
                }
            }
            info.parent_matched[i] = hit;
            if hit {
                matched = !pattern.exclusion;
            }
        }
        (matched, info)
    }

    /// moby's rule for skipping an excluded directory: it may only be skipped when no exception
    /// pattern starts with `dir/` (so `!**/keep` does NOT rescue files under an excluded dir).
    pub fn must_walk_excluded_dir(&self, dir: &str) -> bool {
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .filter(|p| p.exclusion)
            .any(|p| format!("{}/", p.text).starts_with(&dir_slash))
    }
}

impl Pattern {
    fn is_match(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.text,
            Kind::Prefix => path.starts_with(&self.text[..self.text.len() - 2]),
            Kind::Suffix => {
                let suffix = &self.text[2..];
                path.ends_with(suffix) || (suffix.starts_with('/') && path == &suffix[1..])
            }
            Kind::Regex(re) => re.is_match(path),
        }
    }
}

/// patternmatcher's `compile`: `*` and `?` stay within one path segment, `**` spans any number
/// (including zero) of segments, `[...]` is a character class, `\` escapes the next character.
fn compile(pattern: &str) -> Result<Kind, String> {
    check_syntax(pattern)?;
    #[derive(PartialEq)]
    enum T {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut kind = T::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        match ch {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == chars.len() {
                    if kind == T::Exact {
                        kind = T::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = T::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = T::Regex;
                }
                if first {
                    kind = T::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = T::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                kind = T::Regex;
            }
            '.' | '$' | '+' | '(' | ')' | '{' | '}' | '|' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => {
                re.push('\\');
                if let Some(&next) = chars.get(i) {
                    re.push(next);
                    i += 1;
                    kind = T::Regex;
                }
            }
            '[' | ']' => {
                re.push(ch);
                kind = T::Regex;
            }
            c => re.push(c),
        }
        first = false;
    }
    re.push('$');
    Ok(match kind {
        T::Exact => Kind::Exact,
        T::Prefix => Kind::Prefix,
        T::Suffix => Kind::Suffix,
        T::Regex => Kind::Regex(Regex::new(&re).map_err(|e| e.to_string())?),
    })
}

/// Mirrors the error cases of Go's `filepath.Match(pattern, ".")`, which patternmatcher calls to
/// validate patterns: an unterminated `[` class, an empty class, or a trailing `\`.
fn check_syntax(pattern: &str) -> Result<(), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Err("trailing backslash".into());
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let start = i;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated character class".into()),
                        Some(']') if i > start => break,
                        Some(']') => return Err("empty character class".into()),
                        Some('\\') => i += 2,
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(patterns: &[&str], path: &str) -> bool {
        let pats = read_patterns(&patterns.join("\n"));
        Matcher::new(&pats).expect("valid patterns").matches(path)
    }

    #[test]
    fn pattern_table() {
        // (patterns, path, excluded?) — cases from moby/patternmatcher's tests and the
        // dockerignore-anchoring conformance case.
        let table: &[(&[&str], &str, bool)] = &[
            (&["node_modules"], "node_modules", true),
            (&["node_modules"], "node_modules/a.js", true),
            (&["node_modules"], "pkg/node_modules", false),
            (&["node_modules"], "pkg/node_modules/b.js", false),
            (&["/datasets/*"], "datasets", false),
            (&["/datasets/*"], "datasets/big.bin", true),
            (&["/datasets/*"], "datasets/raw/part1", true),
            (&["build/"], "build/out.o", true),
            (&["build/"], "sub/build/out.o", false),
            (&["**/*.pyc"], "top.pyc", true),
            (&["**/*.pyc"], "src/deep/mod.pyc", true),
            (&["**/*.pyc"], "src/app.py", false),
            (&["*.md"], "README.md", true),
            (&["*.md"], "app/README.md", false),
            (&["*/*.md"], "app/README.md", true),
            (&["a?c"], "abc", true),
            (&["a?c"], "a/c", false),
            (&["a*"], "a/b", true), // the parent `a` matches
            (&["a*b"], "a/b", false),
            (&["[a-c]x"], "bx", true),
            (&["[a-c]x"], "dx", false),
            (&["[^a-c]x"], "dx", true),
            (&["**"], "anything/at/all", true),
            (&["**/foo"], "foo", true),
            (&["**/foo"], "a/b/foo", true),
            (&["**/foo"], "a/xfoo", false),
            (&["**foo"], "xfoo", true), // suffix shortcut, as in moby
            (&["foo/**"], "foo/bar", true),
            (&["foo/**"], "foo", false),
            (&["foo/**/bar"], "foo/bar", true),
            (&["foo/**/bar"], "foo/a/b/bar", true),
            (&["a/./b/../c"], "a/c", true),
            (&["dir//file"], "dir/file", true),
            (&["a.b"], "aXb", false),
            (&["\\*"], "*", true),
            (&["a\\[b"], "a[b", true),
            (&["\\*"], "x", false),
            // exceptions and "last match wins"
            (&["*.md", "!README.md"], "README.md", false),
            (&["*.md", "!README.md"], "CHANGES.md", true),
            (&["!README.md", "*.md"], "README.md", true),
            (&["docs", "!docs/keep.md"], "docs/keep.md", false),
            (&["docs", "!docs/keep.md"], "docs/other.md", true),
            (
                &["docs", "!docs/keep.md", "docs/keep.md"],
                "docs/keep.md",
                true,
            ),
            // comments and blank lines
            (&["# node_modules", "", "   "], "# node_modules", false),
            (&[" # x"], "# x", true),
            (&["! /secret "], "secret", false),
        ];
        for (patterns, path, want) in table {
            assert_eq!(
                excluded(patterns, path),
                *want,
                "patterns {patterns:?} on {path:?}"
            );
        }
    }

    #[test]
    fn read_patterns_cleans_and_unanchors() {
        let got = read_patterns("\u{feff}/a/\n#c\n\n  b//c/.  \n!/d\n./e\n/\n");
        assert_eq!(got, ["a", "b/c", "!d", "e", "/"]);
    }

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("a//b/./c/", "a/b/c"),
            ("/", "/"),
            ("../../x", "../../x"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }

    #[test]
    fn bad_patterns_are_rejected() {
        for bad in ["[", "a[", "[]", "x\\", "!"] {
            assert!(Matcher::new(&[bad]).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn excluded_dirs_are_walked_only_for_matching_exceptions() {
        let m = Matcher::new(&["pkg", "!pkg/keep.js", "!**/x"]).expect("valid");
        assert!(m.must_walk_excluded_dir("pkg"));
        assert!(!m.must_walk_excluded_dir("other"));
        let m = Matcher::new(&["pkg"]).expect("valid");
        assert!(!m.must_walk_excluded_dir("pkg"));
    }

    #[test]
    fn parent_results_follow_moby_walk() {
        // With parent results, a pattern skipped at the parent is not re-checked against the
        // parent path for the child (moby's walk behaves this way).
        let m = Matcher::new(&["foo", "!foo/bar", "f*"]).expect("valid");
        let (dir, info) = m.matches_using_parent("foo", &MatchInfo::default());
        assert!(dir);
        let (child, _) = m.matches_using_parent("foo/bar", &info);
        assert!(!child);
        assert!(
            m.matches("foo/bar"),
            "without parent info the parent `foo` matches f*"
        );
    }
}
