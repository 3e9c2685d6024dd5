//! The protocol core's limits: every bound the library puts on what it reads.
//!
//! They are plain constants so that the parser, the signer, the error sentences and the
//! key loader agree on one number each.

/// The largest body [`crate::protocol::body::parse`] and [`crate::Shop::verify`] accept: 64 KiB. A
/// real notification is 1–3 KB.
pub const MAX_BODY_LEN: usize = 64 * 1024;

/// The most fields a body (for verification) or a field set (for signing, counting only
/// `vads_` fields) may have: 512. A real notification has 40–90.
pub const MAX_FIELDS: usize = 512;

/// The largest key file [`crate::Key::from_file`] reads: 4 KiB (a key is a few dozen
/// bytes).
pub const MAX_KEY_FILE_LEN: usize = 4096;

/// The largest configuration file [`crate::ShopsConfig::from_toml_file`] reads: 1 MiB (a
/// config of a hundred shops is a few dozen KiB).
pub const MAX_CONFIG_FILE_LEN: usize = 1024 * 1024;
