//! `vads sign`: the signature of the form fields read on standard input, with a key from
//! a file or an environment variable (never an argument).

use crate::common::{data_error, read_stdin, usage_error, Failure};
use clap::Args;
use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use vads::body::{self, RawField};
use vads::{Algorithm, Key};

/// Where the key comes from: exactly one of the two is required.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct KeySource {
    /// File holding the key (surrounding whitespace trimmed).
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// Environment variable holding the key.
    #[arg(long, value_name = "VAR")]
    key_env: Option<String>,
}

#[derive(Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    key: KeySource,
    /// HMAC-SHA-256 (default) or SHA-1.
    #[arg(long, default_value = "HMAC-SHA-256", value_parser = parse_algorithm)]
    algorithm: Algorithm,
    /// Also print the signing string, key masked, on standard error.
    #[arg(long)]
    explain: bool,
}

pub(crate) fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    s.parse().map_err(|e: vads::UnknownAlgorithm| e.to_string())
}

pub(crate) fn load_key(source: &KeySource) -> Result<Key, Failure> {
    match (&source.key_file, &source.key_env) {
        (Some(path), _) => Key::from_file(path).map_err(data_error),
        (None, Some(var)) => Key::from_env(var).map_err(data_error),
        (None, None) => Err(usage_error("usage: give --key-file PATH or --key-env VAR")),
    }
}

pub(crate) fn run(args: &SignArgs) -> Result<(), Failure> {
    let key = load_key(&args.key)?;
    let body = read_stdin()?;
    // Room for every field a body of MAX_BODY_LEN can hold: only vads_ fields count
    // toward the signing limit, which `vads::sign` enforces.
    let mut storage = vec![RawField::EMPTY; vads::MAX_BODY_LEN / 2 + 1];
    let fields = body::parse(&body, &mut storage).map_err(|e| {
        if body.contains(&b'\n') && e.code() == "malformed_body" {
            // A line break is not urlencoded: fields written one per line.
            data_error(format!(
                "{e}; the fields are on several lines: join them with '&' (name=value&name=value)"
            ))
        } else {
            data_error(e)
        }
    })?;
    let pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        fields.iter().map(|f| (f.name(), f.value())).collect();
    let iter = || pairs.iter().map(|(n, v)| (n.as_ref(), v.as_ref()));
    let signature = vads::sign(iter(), &key, args.algorithm).map_err(data_error)?;
    if args.explain {
        let s = vads::signing_string_masked(iter()).map_err(data_error)?;
        let _ = writeln!(std::io::stderr(), "{s}");
    }
    println!("{signature}");
    Ok(())
}
