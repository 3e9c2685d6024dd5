//! The README's code reads cleanly and compiles: no hidden `# ` lines in any `rust`
//! block (GitHub shows them as they are), each `rust,ignore` block is marked
//! `<!-- snippet: FILE#NAME -->` and is, byte for byte, the region of FILE between
//! `// README: NAME` and `// README: end` (a program CI builds: `cargo test` builds the
//! examples), and every other `rust` block is a complete program (a doc test).
//! `python3 scripts/readme_snippets.py` rewrites the snippets from their regions.

/// Whether the test runs in the repository's checkout (the packaged crate holds only its
/// own files: the other crates' examples and READMEs are checked in the checkout).
fn in_checkout(root: &std::path::Path) -> bool {
    root.join("cli/Cargo.toml").exists()
}

fn region(root: &std::path::Path, path: &str, name: &str) -> String {
    let text = std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let start = format!("// README: {name}\n");
    let from = text
        .find(&start)
        .unwrap_or_else(|| panic!("{path}: no region {name}"))
        + start.len();
    let to = from
        + text[from..]
            .find("// README: end")
            .unwrap_or_else(|| panic!("{path}: region {name} never ends"));
    text[from..to].to_owned()
}

#[test]
fn every_readme_snippet_is_a_part_of_a_program_and_none_hides_lines() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    let mut checked = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(lang) = line.strip_prefix("```") {
            let end = i
                + 1
                + lines[i + 1..]
                    .iter()
                    .position(|l| l.starts_with("```"))
                    .expect("a closed block");
            let body: String = lines[i + 1..end].iter().map(|l| format!("{l}\n")).collect();
            if lang.starts_with("rust") {
                for l in &lines[i + 1..end] {
                    assert!(
                        !l.starts_with("# ") && *l != "#",
                        "README line {}: a hidden doc-test line shows on GitHub: {l}",
                        i + 1
                    );
                }
            }
            if lang == "rust,ignore" {
                let marker = lines[i - 1]
                    .strip_prefix("<!-- snippet: ")
                    .and_then(|m| m.strip_suffix(" -->"))
                    .unwrap_or_else(|| {
                        panic!("README line {}: an unchecked rust,ignore block", i + 1)
                    });
                let (path, name) = marker.split_once('#').expect("FILE#NAME");
                if !in_checkout(root) && !root.join(path).exists() {
                    // Another crate's program: checked in the checkout.
                    i = end + 1;
                    continue;
                }
                assert_eq!(
                    body,
                    region(root, path, name),
                    "README line {}: the snippet differs from {path}#{name} (python3 scripts/readme_snippets.py)",
                    i + 1
                );
                checked += 1;
            } else if lang == "rust" {
                assert!(
                    body.contains("fn main()"),
                    "README line {}: a rust block that is not a whole program",
                    i + 1
                );
            }
            i = end + 1;
        } else {
            i += 1;
        }
    }
    assert!(
        checked >= 7 || !in_checkout(root),
        "{checked} snippets checked"
    );
}

/// The first cells of a markdown table of `vads ...` commands.
fn commands(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("| `vads "))
        .map(|l| l.split(" | ").next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn the_cli_readme_lists_the_commands_the_readme_lists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    if !in_checkout(root) {
        // The packaged crate has no cli/: its own README is checked by vads-cli's tests.
        return;
    }
    let main = std::fs::read_to_string(root.join("README.md")).unwrap();
    let cli = std::fs::read_to_string(root.join("cli/README.md")).unwrap();
    let listed = commands(&main);
    assert!(listed.len() >= 8, "{listed:?}");
    assert_eq!(commands(&cli), listed);
    // The exit statuses too.
    let statuses = |t: &str| {
        let from = t.find("Exit statuses:").unwrap();
        t[from..from + t[from..].find("```").unwrap()].to_owned()
    };
    assert_eq!(statuses(&cli), statuses(&main));
}

/// The README's money that recurs, run: every assertion of the program its snippets come
/// from holds (the examples are only built by `cargo test`).
#[cfg(feature = "testing")]
#[path = "../examples/readme_recurring.rs"]
mod readme_recurring;

#[cfg(feature = "testing")]
#[test]
fn the_readme_recurring_program_runs() {
    readme_recurring::main().unwrap();
}

/// The README's saved cards through the API, run.
#[cfg(all(feature = "testing", feature = "api"))]
#[path = "../examples/readme_charges.rs"]
mod readme_charges;

#[cfg(all(feature = "testing", feature = "api"))]
#[test]
fn the_readme_charges_program_runs() {
    readme_charges::main().unwrap();
}
