//! Regression replay on stable: every file of the fuzz corpora (fuzz/corpus/<target>/) and
//! every saved crash (fuzz/artifacts/<target>/) goes through the same checks as the fuzz
//! targets (fuzz/src/checks.rs, included here), so a fixed crash stays fixed.
#[path = "../../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut count = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("artifacts").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(
                    outcome.is_ok(),
                    "{target}: {} fails its check",
                    path.display()
                );
                count += 1;
            }
        }
    }
    eprintln!("{target}: {count} inputs replayed");
    count
}

#[test]
fn body_corpus() {
    assert!(replay("body", checks::body) > 0);
}

#[test]
fn verify_oracle_corpus() {
    assert!(replay("verify_oracle", checks::verify_oracle) > 0);
}

#[test]
fn sign_differential_corpus() {
    assert!(replay("sign_differential", checks::sign_differential) > 0);
}

#[test]
fn config_corpus() {
    assert!(replay("config", checks::config) > 0);
}

#[test]
fn config_secrets_corpus() {
    assert!(replay("config_secrets", checks::config_secrets) > 0);
}

#[test]
fn rest_oracle_corpus() {
    assert!(replay("rest_oracle", checks::rest_oracle) > 0);
}

#[test]
fn rest_slashes_corpus() {
    assert!(replay("rest_slashes", checks::rest_slashes) > 0);
}

#[test]
fn api_envelope_corpus() {
    assert!(replay("api_envelope", checks::api_envelope) > 0);
}

#[test]
fn verify_paths_corpus() {
    assert!(replay("verify_paths", checks::verify_paths) > 0);
}
