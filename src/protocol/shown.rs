//! What an error may quote of what a user wrote: the rule that a key pasted in the wrong
//! place cannot pass.
//!
//! Keys get pasted where a name or a path goes (`test_key_env = "<the key>"`,
//! `test_key_file = "<the key>"`, a key as a setting's name, as a `[shops.NAME]` name, as
//! a stray command-line argument). Every error that quotes such text goes through this
//! module:
//!
//! - **a name** (a setting, a variable, a shop, an argument) is shown only when it is
//!   one of `known` names the caller gives, or [reads like a name](reads_like_a_name):
//!   1 to 64 ASCII letters, digits, `_` or `-`, starting with a letter, its letters all of
//!   one case, and each word (between `_` and `-`) at most 12 characters with at most 2
//!   digits, not starting with `testpassword` or `prodpassword`. The platforms' keys and
//!   passwords (16 digits, 16 mixed-case characters, 32 hex digits,
//!   `testpassword_<36 characters>`, in any case) never do.
//! - **a path** is shown with its file name (its last part: a key has no separator, so a
//!   pasted key is always one part, the last) only when the file name has an extension
//!   (`key.txt`) or reads like a name (`vads_production_key`); otherwise the file name is
//!   replaced by `(file name withheld)` and the directories stay.
//!
//! ```
//! use vads::shown::{reads_like_a_name, shown_name, shown_path};
//! assert!(reads_like_a_name("VADS_TEST_KEY"));
//! assert!(reads_like_a_name("test_key_fiel"));
//! assert!(!reads_like_a_name("1122334455667788"));
//! assert!(!reads_like_a_name("K7X9QZ2M4HVT8R1D"));
//! assert_eq!(shown_name("website", &[]), "website");
//! assert!(!shown_name("MyOldProdKey123456", &[]).contains("MyOld"));
//! let p = std::path::Path::new("/etc/shop/1122334455667788");
//! assert_eq!(shown_path(p), "/etc/shop/(file name withheld)");
//! assert_eq!(shown_path(std::path::Path::new("/etc/shop/key.txt")), "/etc/shop/key.txt");
//! ```

use std::path::Path;

/// What stands for a name that is not shown.
pub const NAME_WITHHELD: &str =
    "(name withheld: it does not read like a name; is a key written in its place?)";

/// What stands for a file name that is not shown.
pub const FILE_NAME_WITHHELD: &str = "(file name withheld)";

/// Whether `text` reads like a name (of a setting, a variable, a shop), so that printing
/// it cannot print a key: see the [module documentation](self) for the rule.
#[must_use]
pub fn reads_like_a_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !(1..=64).contains(&bytes.len()) || !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    {
        return false;
    }
    let lower = bytes.iter().any(u8::is_ascii_lowercase);
    let upper = bytes.iter().any(u8::is_ascii_uppercase);
    if lower && upper {
        return false;
    }
    let folded = text.to_ascii_lowercase();
    if folded.starts_with("testpassword") || folded.starts_with("prodpassword") {
        return false;
    }
    text.split(['_', '-'])
        .all(|word| word.len() <= 12 && word.bytes().filter(u8::is_ascii_digit).count() <= 2)
}

/// `text` if it is one of `known` or [reads like a name](reads_like_a_name), else
/// [`NAME_WITHHELD`].
#[must_use]
pub fn shown_name(text: &str, known: &[&str]) -> String {
    if known.contains(&text) || reads_like_a_name(text) {
        text.to_owned()
    } else {
        NAME_WITHHELD.to_owned()
    }
}

/// Whether a file name may be shown: it has an extension (a `.` then 1 to 8 ASCII
/// letters or digits, after a non-empty stem of name characters) or reads like a name.
fn file_name_is_shown(name: &str) -> bool {
    if reads_like_a_name(name) {
        return true;
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && (1..=8).contains(&ext.len())
                && ext.bytes().all(|b| b.is_ascii_alphanumeric())
                && stem
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        }
        None => false,
    }
}

/// `path` as an error may print it: its directories, and its file name only when it has
/// an extension or reads like a name (else [`FILE_NAME_WITHHELD`]).
#[must_use]
pub fn shown_path(path: &Path) -> String {
    let Some(name) = path.file_name() else {
        return path.display().to_string();
    };
    match name.to_str() {
        Some(name) if file_name_is_shown(name) => path.display().to_string(),
        _ => match path.parent().map(|p| p.display().to_string()) {
            Some(dir) if !dir.is_empty() => {
                let sep = if dir.ends_with(std::path::MAIN_SEPARATOR) {
                    ""
                } else {
                    std::path::MAIN_SEPARATOR_STR
                };
                format!("{dir}{sep}{FILE_NAME_WITHHELD}")
            }
            _ => FILE_NAME_WITHHELD.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of every shape the platforms use, and the same in capitals or with `_`.
    const PLANTED: &[&str] = &[
        "1122334455667788",
        "MyOldProdKey123456",
        "K7X9QZ2M4HVT8R1D",
        "QWERTYUIOPASDFGH",
        "qwertyuiopasdfgh",
        "38453613e7f44dc58732bad3dca2bca3",
        "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M",
        "TESTPASSWORD_DEMOPRIVATEKEY23G4475ZXZQ2UA5X7M",
        "prodpassword_abc",
        "SECRET_KEY_7F3A9B2C1D",
        "a1b2c3d4e5f6a7b8",
    ];

    #[test]
    fn no_key_shape_reads_like_a_name() {
        for key in PLANTED {
            assert!(!reads_like_a_name(key), "{key}");
            assert_eq!(shown_name(key, &[]), NAME_WITHHELD);
            let p = Path::new("/etc/vads").join(key);
            assert_eq!(shown_path(&p), format!("/etc/vads/{FILE_NAME_WITHHELD}"));
            assert_eq!(shown_path(Path::new(key)), FILE_NAME_WITHHELD);
        }
    }

    #[test]
    fn names_and_paths_people_write_are_shown() {
        for name in [
            "VADS_TEST_KEY",
            "VADS_PRODUCTION_HMAC_KEY_FILE",
            "test_key_fiel",
            "accept_both_algorithms_until",
            "website",
            "call-centre",
            "shop2",
            "ctx_mod",
        ] {
            assert!(reads_like_a_name(name), "{name}");
        }
        for path in [
            "/run/secrets/vads_production_key",
            "doc-test-key.txt",
            "/etc/vads/key.pem",
            "keys/test.key",
        ] {
            assert_eq!(shown_path(Path::new(path)), path);
        }
        assert_eq!(shown_name("MixedCase", &["MixedCase"]), "MixedCase");
    }
}
