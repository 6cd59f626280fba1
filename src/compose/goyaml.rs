//! go-yaml v3, the YAML library behind compose-go, in the two places its behaviour shows in
//! `config`: how a plain scalar resolves (`0755` is the integer 493, `1_000` is 1000,
//! `2024-01-01` a timestamp) and how a document is written (key order, indentation, which
//! scalars need quotes and how they are escaped).

use super::gofmt::yaml_float;
use super::marshal::Out;
use regex::Regex;
use std::cmp::Ordering;
use std::sync::LazyLock;

/// What a plain (unquoted) scalar means to go-yaml.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// Looks like a date or time; decoded into `interface{}` it stays a string.
    Timestamp,
    /// The `<<` merge key.
    Merge,
    Str,
}

/// go-yaml's `resolve` for an untagged plain scalar.
pub fn resolve(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    match s.as_bytes()[0] {
        b'.' => match s.parse::<f64>() {
            Ok(f) if f.is_finite() => Resolved::Float(f),
            _ => Resolved::Str,
        },
        b'+' | b'-' | b'0'..=b'9' => resolve_number(s),
        _ => Resolved::Str,
    }
}

static YAML_FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").expect("valid regex")
});
static BASE60_FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").expect("valid regex")
});

/// Scalars starting with a sign or a digit: timestamps, then integers in any base Go's
/// `ParseInt(s, 0, 64)` reads (underscores dropped), then YAML-style floats.
fn resolve_number(s: &str) -> Resolved {
    if is_timestamp(s) {
        return Resolved::Timestamp;
    }
    let plain = s.replace('_', "");
    if let Some(n) = go_parse_int(&plain) {
        return Resolved::Int(n);
    }
    if YAML_FLOAT.is_match(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            if f.is_finite() {
                return Resolved::Float(f);
            }
        }
    }
    let radix = |digits: &str, base: u32| {
        i64::from_str_radix(digits, base)
            .map(i128::from)
            .ok()
            .or_else(|| u64::from_str_radix(digits, base).ok().map(i128::from))
    };
    let prefixed = [("0b", 2), ("0o", 8)]
        .iter()
        .find_map(|(p, base)| plain.strip_prefix(p).and_then(|d| radix(d, *base)));
    let negative = [("-0b", 2), ("-0o", 8)].iter().find_map(|(p, base)| {
        let digits = plain.strip_prefix(p)?;
        i64::from_str_radix(&format!("-{digits}"), *base)
            .ok()
            .map(i128::from)
    });
    match prefixed.or(negative) {
        Some(n) => Resolved::Int(n),
        None => Resolved::Str,
    }
}

/// Go's `ParseInt(s, 0, 64)`, falling back to `ParseUint(s, 0, 64)` (no sign) as go-yaml does.
fn go_parse_int(s: &str) -> Option<i128> {
    let (neg, signed, body) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let prefix = body.get(..2).map(str::to_ascii_lowercase);
    let (base, digits) = match (prefix.as_deref(), body.strip_prefix('0')) {
        (Some("0b"), _) if body.len() >= 3 => (2, &body[2..]),
        (Some("0o"), _) if body.len() >= 3 => (8, &body[2..]),
        (Some("0x"), _) if body.len() >= 3 => (16, &body[2..]),
        (_, Some(octal)) => (8, octal),
        _ => (10, body),
    };
    if body.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    let value = if digits.is_empty() {
        0
    } else {
        u128::from_str_radix(digits, base).ok()?
    };
    let value = i128::try_from(value).ok()?;
    let value = if neg { -value } else { value };
    let fits_i64 = i64::try_from(value).is_ok();
    let fits_u64 = !signed && u64::try_from(value).is_ok();
    (fits_i64 || fits_u64).then_some(value)
}

/// go-yaml's timestamp check: `YYYY-M-D`, optionally followed by a time (`T`, `t` or a space
/// and `h:m:s[.frac]`, with a `Z` or `±hh:mm` zone after `T`/`t`), all fields in range.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = Cursor { b, i: 5 };
    let year: u32 = s[..4].parse().unwrap_or(0);
    let Some(month) = p.num().filter(|m| (1..=12).contains(m)) else {
        return false;
    };
    if !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.num() else { return false };
    if day < 1 || day > days_in_month(year, month) {
        return false;
    }
    if p.done() {
        return true;
    }
    let sep = b[p.i];
    p.i += 1;
    if !matches!(sep, b'T' | b't' | b' ') || !p.time() {
        return false;
    }
    if sep == b' ' {
        return p.done();
    }
    if p.eat(b'Z') {
        return p.done();
    }
    let zone = &b[p.i..];
    zone.len() == 6
        && matches!(zone[0], b'+' | b'-')
        && zone[1..3].iter().all(u8::is_ascii_digit)
        && zone[3] == b':'
        && zone[4..6].iter().all(u8::is_ascii_digit)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn done(&self) -> bool {
        self.i == self.b.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    /// One or two digits, as Go's time layouts without padding read them.
    fn num(&mut self) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.i - start < 2 && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    fn time(&mut self) -> bool {
        let ok = self.num().is_some_and(|h| h < 24)
            && self.eat(b':')
            && self.num().is_some_and(|m| m < 60)
            && self.eat(b':')
            && self.num().is_some_and(|s| s < 60);
        if ok
            && self.b.get(self.i) == Some(&b'.')
            && self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit)
        {
            self.i += 1;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
        }
        ok
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The order go-yaml writes map keys in: runs of digits compare as numbers, and letters sort
/// after other characters unless the run before them was digits (`kafka2` < `kafka10`,
/// `DB_HOST` < `DBHOST`).
pub fn key_order(a: &str, b: &str) -> Ordering {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut digits = false;
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            digits = ar[i].is_ascii_digit();
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            let a_first = if digits { al } else { bl };
            return if a_first {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            let nonzero_before = ar[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|c| *c != '0');
            if nonzero_before {
                an = 1;
                bn = 1;
            }
        }
        let run = |r: &[char], n: &mut i64| {
            let mut j = i;
            while j < r.len() && r[j].is_ascii_digit() {
                *n = n
                    .wrapping_mul(10)
                    .wrapping_add(i64::from(r[j] as u8 - b'0'));
                j += 1;
            }
            j
        };
        let (ai, bi) = (run(&ar, &mut an), run(&br, &mut bn));
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Writes a document the way go-yaml's encoder does with an indent of 2.
pub fn to_yaml(doc: &Out) -> String {
    let mut w = String::new();
    match doc {
        Out::Map(entries) if !entries.is_empty() => write_map(&mut w, entries, 0, false),
        Out::Seq(items) if !items.is_empty() => write_seq(&mut w, items, 0, false),
        other => {
            w.push_str(&inline(other, 0));
            end_line(&mut w);
        }
    }
    w
}

fn pad(w: &mut String, n: usize) {
    w.extend(std::iter::repeat_n(' ', n));
}

fn end_line(w: &mut String) {
    if !w.ends_with('\n') {
        w.push('\n');
    }
}

/// A block mapping with keys at column `indent`; `inline_first` when its first key follows a
/// sequence dash on the same line.
fn write_map(w: &mut String, entries: &[(String, Out)], indent: usize, inline_first: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(w, indent);
        }
        if is_simple_key(k) {
            w.push_str(&scalar(k, indent + 2, true));
        } else {
            // A multi-line or very long key is written as a complex key, `? key` then `: value`.
            w.push_str("? ");
            w.push_str(&scalar(k, indent + 2, false));
            end_line(w);
            pad(w, indent);
        }
        w.push(':');
        match v {
            Out::Map(m) if !m.is_empty() => {
                w.push('\n');
                write_map(w, m, indent + 2, false);
            }
            Out::Seq(s) if !s.is_empty() => {
                w.push('\n');
                write_seq(w, s, indent + 2, false);
            }
            other => {
                w.push(' ');
                w.push_str(&inline(other, indent + 2));
                end_line(w);
            }
        }
    }
}

/// The emitter writes a key on one line with `:` only if it is short and has no line break.
fn is_simple_key(k: &str) -> bool {
    k.len() <= 128 && !Analysis::of(k).multiline
}

/// A block sequence with its dashes at column `indent`.
fn write_seq(w: &mut String, items: &[Out], indent: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            pad(w, indent);
        }
        w.push_str("- ");
        match item {
            Out::Map(m) if !m.is_empty() => write_map(w, m, indent + 2, true),
            Out::Seq(s) if !s.is_empty() => write_seq(w, s, indent + 2, true),
            other => {
                w.push_str(&inline(other, indent + 2));
                end_line(w);
            }
        }
    }
}

/// A scalar or empty collection; `indent` is where continuation lines of block scalars go.
fn inline(v: &Out, indent: usize) -> String {
    match v {
        Out::Null => "null".into(),
        Out::Bool(b) => b.to_string(),
        Out::Int(n) => n.to_string(),
        Out::Float(f, bits32) => yaml_float(*f, *bits32),
        Out::Str(s) => scalar(s, indent, false),
        Out::Seq(_) => "[]".into(),
        Out::Map(_) => "{}".into(),
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// A string as go-yaml writes it: the style its encoder asks for (plain unless the text
/// would read back as something else, a literal block for multi-line text), downgraded by
/// the emitter when the text cannot be written that way. `key` is the simple-key context.
pub fn scalar(s: &str, indent: usize, key: bool) -> String {
    let plain_reads_back = resolve_plain_as_str(s);
    let mut style = if s.contains('\n') {
        Style::Literal
    } else if plain_reads_back {
        Style::Plain
    } else {
        Style::Double
    };
    let a = Analysis::of(s);
    if key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain && (!a.plain_allowed || (s.is_empty() && key)) {
        style = Style::Single;
    }
    if style == Style::Single && !a.single_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || key) {
        style = Style::Double;
    }
    match style {
        Style::Plain => s.to_string(),
        Style::Single => single_quoted(s, indent),
        Style::Double => double_quoted(s),
        Style::Literal => literal(s, indent),
    }
}

/// The encoder's own check: plain only if the text resolves to a string and is neither a
/// YAML 1.1 sexagesimal number nor a YAML 1.1 boolean.
fn resolve_plain_as_str(s: &str) -> bool {
    let old_bool = matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    );
    resolve(s) == Resolved::Str && !old_bool && !BASE60_FLOAT.is_match(s)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's printable set (which leaves out everything beyond the Basic Multilingual Plane).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

/// The emitter's scan of a scalar (libyaml's `analyze_scalar`).
struct Analysis {
    multiline: bool,
    plain_allowed: bool,
    single_allowed: bool,
    block_allowed: bool,
}

impl Analysis {
    fn of(s: &str) -> Analysis {
        if s.is_empty() {
            return Analysis {
                multiline: false,
                plain_allowed: true,
                single_allowed: true,
                block_allowed: false,
            };
        }
        let chars: Vec<char> = s.chars().collect();
        let mut block_indicators = s.starts_with("---") || s.starts_with("...");
        let (mut line_breaks, mut special, mut tabs) = (false, false, false);
        let (mut leading_space, mut leading_break) = (false, false);
        let (mut trailing_space, mut trailing_break) = (false, false);
        let (mut break_space, mut space_break) = (false, false);
        let (mut prev_space, mut prev_break) = (false, false);
        let mut preceded_by_ws = true;
        let last = chars.len() - 1;
        for (i, &c) in chars.iter().enumerate() {
            let followed_by_ws = chars.get(i + 1).is_none_or(|n| matches!(n, ' ' | '\t'));
            if i == 0 {
                match c {
                    '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\''
                    | '"' | '%' | '@' | '`' => block_indicators = true,
                    '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                    _ => {}
                }
            } else {
                match c {
                    ':' if followed_by_ws => block_indicators = true,
                    '#' if preceded_by_ws => block_indicators = true,
                    _ => {}
                }
            }
            if c == '\t' {
                tabs = true;
            } else if !is_printable(c) {
                special = true;
            }
            if c == ' ' {
                leading_space |= i == 0;
                trailing_space |= i == last;
                break_space |= prev_break;
                (prev_space, prev_break) = (true, false);
            } else if is_break(c) {
                line_breaks = true;
                leading_break |= i == 0;
                trailing_break |= i == last;
                space_break |= prev_space;
                (prev_space, prev_break) = (false, true);
            } else {
                (prev_space, prev_break) = (false, false);
            }
            preceded_by_ws = matches!(c, ' ' | '\t' | '\0') || is_break(c);
        }
        let edges = leading_space || leading_break || trailing_space || trailing_break;
        let unquotable = break_space || space_break || tabs || special;
        Analysis {
            multiline: line_breaks,
            plain_allowed: !(edges || unquotable || line_breaks || block_indicators),
            single_allowed: !unquotable,
            block_allowed: !(trailing_space || space_break || special),
        }
    }
}

fn single_quoted(s: &str, indent: usize) -> String {
    let mut out = String::from('\'');
    let mut breaks = false;
    for c in s.chars() {
        if is_break(c) {
            if !breaks && c == '\n' {
                out.push('\n');
            }
            out.push(c);
            breaks = true;
            continue;
        }
        if breaks {
            pad(&mut out, indent);
        }
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
        breaks = false;
    }
    out.push('\'');
    out
}

fn double_quoted(s: &str) -> String {
    // libyaml checks for a byte order mark at the start of the whole value, not at each
    // character, so a value starting with one has every character escaped.
    let bom = s.starts_with('\u{FEFF}');
    let mut out = String::from('"');
    for c in s.chars() {
        if !(bom || !is_printable(c) || is_break(c) || c == '"' || c == '\\') {
            out.push(c);
            continue;
        }
        out.push('\\');
        match c {
            '\0' => out.push('0'),
            '\u{7}' => out.push('a'),
            '\u{8}' => out.push('b'),
            '\t' => out.push('t'),
            '\n' => out.push('n'),
            '\u{b}' => out.push('v'),
            '\u{c}' => out.push('f'),
            '\r' => out.push('r'),
            '\u{1b}' => out.push('e'),
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '\u{85}' => out.push('N'),
            '\u{a0}' => out.push('_'),
            '\u{2028}' => out.push('L'),
            '\u{2029}' => out.push('P'),
            c if (c as u32) <= 0xFF => out.push_str(&format!("x{:02X}", c as u32)),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("u{:04X}", c as u32)),
            c => out.push_str(&format!("U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// A literal block (`|`), with an indentation hint when the text starts with a space or a
/// line break and the chomping indicator its trailing line breaks call for.
fn literal(s: &str, indent: usize) -> String {
    let mut out = String::from("|");
    if s.starts_with(' ') || s.starts_with(is_break) {
        out.push('2');
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n == 0 || !is_break(chars[n - 1]) {
        out.push('-');
    } else if n == 1 || is_break(chars[n - 2]) {
        out.push('+');
    }
    out.push('\n');
    let mut breaks = true;
    for c in chars {
        if is_break(c) {
            out.push(c);
            breaks = true;
        } else {
            if breaks {
                pad(&mut out, indent);
            }
            out.push(c);
            breaks = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_go_yaml() {
        assert_eq!(resolve("0755"), Resolved::Int(493));
        assert_eq!(resolve("1_000"), Resolved::Int(1000));
        assert_eq!(resolve("0b101"), Resolved::Int(5));
        assert_eq!(resolve("0x1F"), Resolved::Int(31));
        assert_eq!(resolve("09"), Resolved::Float(9.0));
        assert_eq!(resolve("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve(".5"), Resolved::Float(0.5));
        assert_eq!(
            resolve("12345678901234567890"),
            Resolved::Int(12345678901234567890)
        );
        assert_eq!(
            resolve("+12345678901234567890"),
            Resolved::Float(12345678901234567890.0)
        );
        assert_eq!(resolve("2024-01-01"), Resolved::Timestamp);
        assert_eq!(resolve("2024-1-1"), Resolved::Timestamp);
        assert_eq!(resolve("2024-01-01T10:00:00Z"), Resolved::Timestamp);
        assert_eq!(resolve("2023-02-30"), Resolved::Str);
        assert_eq!(resolve("yes"), Resolved::Str);
        assert_eq!(resolve("1.2.3"), Resolved::Str);
        assert_eq!(resolve("+Inf"), Resolved::Str);
    }

    #[test]
    fn keys_sort_like_go_yaml() {
        let mut keys = vec![
            "kafka10", "kafka2", "DBHOST", "DB_HOST", "A10", "A2", "a", "B", "_x", "V01", "V1",
            "V001", "Z9", "Z09",
        ];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(
            keys,
            [
                "_x", "A2", "A10", "B", "DB_HOST", "DBHOST", "V1", "V01", "V001", "Z9", "Z09", "a",
                "kafka2", "kafka10"
            ]
        );
    }

    #[test]
    fn scalars_quote_like_go_yaml() {
        let cases = [
            ("plain", "plain"),
            ("1000", "\"1000\""),
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("", "\"\""),
            ("a: b", "'a: b'"),
            ("# x", "'# x'"),
            ("it's: x", "'it''s: x'"),
            ("--verbose", "--verbose"),
            ("x\ty", "\"x\\ty\""),
            ("$$HOME", "$$HOME"),
            ("*", "'*'"),
            ("08:00", "\"08:00\""),
            ("2023-10-16", "\"2023-10-16\""),
            ("1_0", "\"1_0\""),
            ("...", "'...'"),
            ("emoji 😀", "\"emoji \\U0001F600\""),
            ("\u{1}", "\"\\x01\""),
            ("\u{7}bell", "\"\\abell\""),
            ("\u{feff}bom", "\"\\uFEFF\\x62\\x6F\\x6D\""),
            ("\u{a0}nbsp", "\u{a0}nbsp"),
            (" \nx", "\" \\nx\""),
        ];
        for (input, want) in cases {
            assert_eq!(scalar(input, 0, false), want, "input {input:?}");
        }
        assert_eq!(scalar("a\nb", 2, false), "|-\n  a\n  b");
        assert_eq!(scalar("a\n", 2, false), "|\n  a\n");
        assert_eq!(scalar("a\n\n", 2, false), "|+\n  a\n\n");
        assert_eq!(
            scalar("line\u{2028}sep", 8, false),
            "'line\u{2028}        sep'"
        );
        assert_eq!(scalar("a\nb", 2, true), "\"a\\nb\"");
    }

    #[test]
    fn documents_nest_like_go_yaml() {
        let doc = Out::Map(vec![
            (
                "a".into(),
                Out::Seq(vec![Out::Seq(vec![Out::Int(1), Out::Int(2)])]),
            ),
            (
                "b".into(),
                Out::Seq(vec![Out::Map(vec![
                    ("x".into(), Out::Str("1".into())),
                    ("z".into(), Out::Map(vec![])),
                ])]),
            ),
        ]);
        assert_eq!(
            to_yaml(&doc),
            "a:\n  - - 1\n    - 2\nb:\n  - x: \"1\"\n    z: {}\n"
        );
    }
}
