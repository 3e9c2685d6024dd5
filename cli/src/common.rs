//! What every command shares: the error contract (a [`Failure`]: an exit status and one
//! line `CODE: sentence`), loading a config into shops, choosing one, reading standard
//! input with the library's bound, and quoting the user's text only as `vads::shown` allows.

use std::io::Read;
use std::path::PathBuf;
use vads::{Shop, Shops, ShopsConfig};

/// A failure: exit status and one line of message (starting with the error's code).
pub(crate) struct Failure {
    pub(crate) status: u8,
    pub(crate) message: String,
}

pub(crate) fn data_error(e: impl std::fmt::Display) -> Failure {
    Failure {
        status: 1,
        message: e.to_string(),
    }
}

pub(crate) fn usage_error(e: impl std::fmt::Display) -> Failure {
    Failure {
        status: 2,
        message: e.to_string(),
    }
}

/// clap's message with each quoted piece of the user's command line (`'...'`) kept only
/// when it is an option (`--config`, `<PATH>`) or reads like a name
/// ([`vads::shown`]): a key pasted as a stray argument is not printed back.
pub(crate) fn withhold_quoted(line: &str) -> String {
    let mut out = String::new();
    let mut parts = line.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('\'');
        // Odd pieces (0, 2, ... here) are inside quotes.
        let inside = i % 2 == 0;
        if inside
            && !part.starts_with('-')
            && !part.contains('<')
            && !vads::shown::reads_like_a_name(part)
        {
            out.push_str(vads::shown::NAME_WITHHELD);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// An I/O error as the operating system words it ("No such file or directory"), without
/// std's " (os error 2)".
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// A configuration error: exit 1 when a key is at fault, 2 when the config is.
pub(crate) fn config_error(e: vads::ConfigError) -> Failure {
    Failure {
        status: if e.key_error().is_some() { 1 } else { 2 },
        message: e.to_string(),
    }
}

/// Standard input, without one final line break (a urlencoded body never ends with a raw
/// line break; `echo` and editors add one).
pub(crate) fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    std::io::stdin()
        .take(vads::MAX_BODY_LEN as u64 + 3)
        .read_to_end(&mut body)
        .map_err(|e| {
            data_error(format!(
                "read_error: cannot read standard input: {}",
                os_reason(&e)
            ))
        })?;
    if body.ends_with(b"\r\n") {
        body.truncate(body.len() - 2);
    } else if body.ends_with(b"\n") {
        body.truncate(body.len() - 1);
    }
    Ok(body)
}

pub(crate) fn load_shops(path: &PathBuf) -> Result<Shops, Failure> {
    let config = ShopsConfig::from_toml_file(path).map_err(config_error)?;
    Shops::new(config).map_err(config_error)
}

/// The shop named `name`, or the only one.
pub(crate) fn pick<'s>(shops: &'s Shops, name: Option<&str>) -> Result<&'s Shop, Failure> {
    match name {
        Some(n) => shops.get(n).ok_or_else(|| {
            usage_error(format!(
                "usage: no shop named {} in the config",
                vads::shown::shown_name(n, &[])
            ))
        }),
        None => shops.only().ok_or_else(|| {
            let names: Vec<String> = shops
                .names()
                .map(|n| vads::shown::shown_name(n, &[]))
                .collect();
            usage_error(format!(
                "usage: the config has several shops; choose one with --shop ({})",
                names.join(", ")
            ))
        }),
    }
}

/// An amount on the command line: minor units, plain ASCII digits only (`+5`, ` 5`,
/// `5e2`, `5.00` refused), at most 18 of them (what the platform accepts).
pub(crate) fn amount_arg(text: &str) -> Result<u64, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "an amount is minor units written with digits only (1050 for 10.50 EUR)".into(),
        );
    }
    if text.len() > 18 {
        return Err("an amount has at most 18 digits".into());
    }
    text.parse()
        .map_err(|_| "an amount has at most 18 digits".to_owned())
}
