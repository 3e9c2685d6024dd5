//! The TOML parser's errors, told without a value (feature `toml`).
//!
//! The parser's own messages quote what they found (`invalid type: string "…"`), and what
//! they found may be a key. Nothing of a message is passed on as text: it is only
//! *classified* (unknown setting, missing setting, wrong type, wrong value, syntax), and the
//! error is rebuilt from the library's own words, the setting's name (from the library's
//! list, or the unknown name when it reads like a setting name) and the line number.

/// A parse failure told without a value; `config.rs` makes it a `ConfigError::Parse`.
#[derive(Debug)]
pub(crate) struct ParseFailure {
    /// The 1-based line, when known.
    pub(crate) line: Option<usize>,
    /// The setting at fault, when known.
    pub(crate) field: Option<String>,
    /// What is wrong, in the library's words.
    pub(crate) problem: String,
}

/// Every setting of a shop, with what it takes, in the words of error messages.
pub(crate) const SETTINGS: &[(&str, &str)] = &[
    ("site_id", "a string of 8 digits"),
    ("ctx_mode", "\"TEST\" or \"PRODUCTION\""),
    ("algorithm", "\"HMAC-SHA-256\" or \"SHA-1\""),
    ("test_algorithm", "\"HMAC-SHA-256\" or \"SHA-1\""),
    ("production_algorithm", "\"HMAC-SHA-256\" or \"SHA-1\""),
    ("test_key", "a string"),
    ("test_key_file", "a path (a string)"),
    ("test_key_env", "an environment variable name (a string)"),
    ("production_key", "a string"),
    ("production_key_file", "a path (a string)"),
    (
        "production_key_env",
        "an environment variable name (a string)",
    ),
    ("test_password", "a string"),
    ("test_password_file", "a path (a string)"),
    (
        "test_password_env",
        "an environment variable name (a string)",
    ),
    ("test_hmac_key", "a string"),
    ("test_hmac_key_file", "a path (a string)"),
    (
        "test_hmac_key_env",
        "an environment variable name (a string)",
    ),
    ("production_password", "a string"),
    ("production_password_file", "a path (a string)"),
    (
        "production_password_env",
        "an environment variable name (a string)",
    ),
    ("production_hmac_key", "a string"),
    ("production_hmac_key_file", "a path (a string)"),
    (
        "production_hmac_key_env",
        "an environment variable name (a string)",
    ),
    ("previous_production_keys", "a list of strings"),
    ("brand", "a brand name (a string)"),
    ("payment_url", "a URL (a string)"),
    ("api_url", "a URL (a string)"),
    (
        "accept_both_algorithms_until",
        "a UTC time \"YYYY-MM-DDTHH:MM:SSZ\" (a string)",
    ),
    ("notification_url", "a URL (a string)"),
    (
        "store_url",
        "a database URL, sqlite:... or postgres://... (a string)",
    ),
    (
        "channels",
        "a table: moto, call_centre, merchant_initiated = \"off\", \"TEST\" or \"PRODUCTION\"",
    ),
    (
        "uses",
        "a list of \"installments\", \"subscriptions\", \"tokens\"",
    ),
    ("shops", "tables [shops.NAME], one per shop"),
];

/// What a setting takes, when `name` is one.
fn expected_of(name: &str) -> Option<&'static str> {
    SETTINGS.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

/// Whether `name` reads like a setting name, so that printing it cannot print a key
/// someone pasted as a name by mistake: the rule of [`crate::protocol::shown`], in lowercase (as
/// every setting is).
fn reads_like_a_name(name: &str) -> bool {
    crate::protocol::shown::reads_like_a_name(name) && !name.bytes().any(|b| b.is_ascii_uppercase())
}

/// The known setting closest to `name` (at most two edits away), for "did you mean".
fn closest(name: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = (above + 1)
                    .min(row[j] + 1)
                    .min(diagonal + usize::from(ca != *cb));
                diagonal = above;
            }
        }
        row[b.len()]
    }
    SETTINGS
        .iter()
        .map(|(n, _)| (distance(name, n), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

/// The text between the first pair of backticks of `message`.
fn first_quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The kind of value a serde "invalid type" message says it found, in plain words.
fn found_kind(message: &str) -> &'static str {
    let rest = message
        .strip_prefix("invalid type: ")
        .unwrap_or_default()
        .trim_start();
    const KINDS: &[(&str, &str)] = &[
        ("string", "a string"),
        ("integer", "a number"),
        ("floating point", "a number"),
        ("boolean", "a boolean"),
        ("sequence", "a list"),
        ("map", "a table"),
        ("character", "a string"),
    ];
    KINDS
        .iter()
        .find(|(prefix, _)| rest.starts_with(prefix))
        .map_or("a value of another type", |(_, kind)| kind)
}

/// The 1-based line and column of byte `at` of `text`.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The setting named on the line holding byte `at`: the last part of the dotted key
/// before `=`, when it is one of the library's settings.
fn setting_on_line(text: &str, at: usize) -> Option<String> {
    let start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].split('\n').next()?;
    let (key, _) = line.split_once('=')?;
    let name = key.rsplit('.').next()?.trim().trim_matches(['"', '\'']);
    // Only the library's own names: a line could be inside a multi-line string.
    expected_of(name).map(|_| name.to_owned())
}

/// Deserializes `T` from TOML `text`; errors become a [`ParseFailure`].
///
/// Not `toml::from_str`: its errors keep a copy of the whole text (to print a snippet),
/// freed later without being wiped, and the text may hold keys. Deserializing from the
/// parsed table does not attach it. (A *syntax* error still gets a copy from the parser;
/// the library cannot reach it to wipe it. ARCHITECTURE.md records this limit.)
pub(crate) fn from_toml<'de, T: serde::Deserialize<'de>>(
    text: &'de str,
) -> Result<T, ParseFailure> {
    let table = toml::de::DeTable::parse(text).map_err(|e| parse_error(&e, text))?;
    T::deserialize(toml::de::Deserializer::from(table)).map_err(|e| parse_error(&e, text))
}

/// A [`ParseFailure`] for the parser's error `e` on `text`, holding no value of it.
fn parse_error(e: &toml::de::Error, text: &str) -> ParseFailure {
    let message = e.message();
    let at = e.span().map(|span| span.start);
    let position = at.map(|at| line_and_column(text, at));
    let line = position.map(|(line, _)| line);
    let on_line = at.and_then(|at| setting_on_line(text, at));
    let (field, problem) = if message.starts_with("unknown field") {
        match first_quoted(message).filter(|n| reads_like_a_name(n)) {
            Some(name) => {
                let hint = closest(name)
                    .map(|n| format!(" (did you mean {n}?)"))
                    .unwrap_or_default();
                (
                    Some(name.to_owned()),
                    format!(
                        "unknown setting{hint}; the settings are listed in the ShopConfig docs"
                    ),
                )
            }
            None => (
                None,
                "an unknown setting (its name is not shown: it does not read like one)".into(),
            ),
        }
    } else if message.starts_with("missing field") {
        let name = first_quoted(message).and_then(|n| expected_of(n).map(|_| n));
        let problem = match name.and_then(expected_of) {
            Some(expected) => format!("missing: it is required ({expected})"),
            None => "a required setting is missing".into(),
        };
        return ParseFailure {
            line: None,
            field: name.map(str::to_owned),
            problem,
        };
    } else if message.starts_with("invalid type") {
        let expected = on_line.as_deref().and_then(expected_of);
        let problem = match expected {
            Some(expected) => format!("expected {expected}, found {}", found_kind(message)),
            None => format!("a value of the wrong type ({})", found_kind(message)),
        };
        (on_line, problem)
    } else if message.starts_with("invalid value")
        || message.starts_with("unknown variant")
        || message.starts_with("invalid length")
    {
        let problem = match on_line.as_deref().and_then(expected_of) {
            Some(expected) => format!("expected {expected}"),
            None => "a value that is not allowed".into(),
        };
        (on_line, problem)
    } else if e.span().is_some() && message.starts_with("duplicate key") {
        (on_line, "set twice".into())
    } else {
        // A syntax error: keep the parser's first line only when it is plain words (its
        // descriptions, like "invalid string"), never anything that could quote the text.
        let first = message
            .lines()
            .next()
            .unwrap_or_default()
            .split(',')
            .next()
            .unwrap_or_default()
            .trim();
        let plain = !first.is_empty()
            && first.len() <= 60
            && first
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b' ' || b == b'-');
        // A bare word where a value goes is a string without its quotes.
        let hint = if first == "invalid boolean" || first == "invalid integer" {
            "; is a string missing its quotes?"
        } else {
            ""
        };
        let problem = match (plain, position.map(|(_, column)| column)) {
            (true, Some(column)) => format!("not valid TOML at column {column} ({first}{hint})"),
            (true, None) => format!("not valid TOML ({first}{hint})"),
            (false, Some(column)) => format!("not valid TOML at column {column}"),
            (false, None) => "not valid TOML".into(),
        };
        (on_line, problem)
    };
    ParseFailure {
        line,
        field,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_told_apart_from_keys() {
        assert!(reads_like_a_name("test_key_fiel"));
        assert!(reads_like_a_name("ctx_mod"));
        assert!(!reads_like_a_name("1122334455667788"));
        assert!(!reads_like_a_name("MyOldProdKey123456"));
        assert!(!reads_like_a_name("abcdef1234"));
        assert!(!reads_like_a_name(""));
        assert_eq!(closest("test_key_fiel"), Some("test_key_file"));
        assert_eq!(closest("ctx_mod"), Some("ctx_mode"));
        assert_eq!(closest("colour"), None);
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        assert_eq!(line_and_column(text, 10), (2, 4));
        assert_eq!(setting_on_line(text, 8), None, "not a setting");
        assert_eq!(
            setting_on_line("x = 1\nsite_id = 2", 7).as_deref(),
            Some("site_id")
        );
        assert_eq!(
            setting_on_line("x = 1\nshops.web.site_id = 2", 12).as_deref(),
            Some("site_id")
        );
    }
}
