//! No loader leaves a key behind in freed memory.
//!
//! This test binary's global allocator scans every block as it is freed (or moved by a
//! reallocation) for the bytes of a marker key. A loader that grows a buffer holding a key,
//! copies a key into an unwiped string, or lowercases it for a comparison leaves such a
//! block; `Key`, `SecretString` and the bounded file reader wipe theirs before freeing.
//! Everything runs in one test function: the harness's other threads must not allocate
//! while the scan is armed.
#![cfg(feature = "toml")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The key every scenario loads: long and unusual enough never to occur by chance.
const MARKER: &str = "Zq7xFreedMarkerKey4242";

static ARMED: AtomicBool = AtomicBool::new(false);
static FOUND: AtomicUsize = AtomicUsize::new(0);

struct ScanningAllocator;

fn holds_marker(block: &[u8]) -> bool {
    block.windows(MARKER.len()).any(|w| w == MARKER.as_bytes())
}

// SAFETY: every call is forwarded to the system allocator unchanged; `dealloc` only reads
// and zeroes the block it is given, before freeing it, within the size it was allocated
// with.
unsafe impl GlobalAlloc for ScanningAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if holds_marker(block) {
                FOUND.fetch_add(1, Ordering::SeqCst);
            }
        }
        // Every freed block is zeroed after the scan, armed or not: a later block that
        // reuses its memory and is freed before being fully written must not be blamed
        // for stale bytes (the test's own `format!` of configs holding the marker frees
        // such blocks while disarmed). A real leak is still caught at its own dealloc.
        unsafe { std::ptr::write_bytes(ptr, 0, layout.size()) };
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` is the trait's default: alloc, copy, then `dealloc` of the old block, so a
    // grown buffer's old block is scanned too.
}

#[global_allocator]
static ALLOCATOR: ScanningAllocator = ScanningAllocator;

/// Runs `scenario` with the scan armed; how many freed blocks held the marker.
fn leaks(scenario: impl FnOnce()) -> usize {
    FOUND.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    scenario();
    ARMED.store(false, Ordering::SeqCst);
    FOUND.load(Ordering::SeqCst)
}

#[test]
fn loaders_leave_no_key_in_freed_memory() {
    let dir = std::env::temp_dir().join(format!("vads-freed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Files are written before arming (the test's own buffers are not under test).
    std::fs::write(dir.join("key.txt"), format!("{MARKER}\n")).unwrap();
    std::fs::write(dir.join("bad.key"), format!("\u{feff}{MARKER}\n")).unwrap();
    std::fs::write(dir.join("two-lines.key"), format!("{MARKER}\n{MARKER}\n")).unwrap();
    let literal = format!("site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"{MARKER}\"\n");
    let shops = format!(
        "[shops.web]\nsite_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_key = \"{MARKER}\"\nprevious_production_keys = [\"{MARKER}1\", \"{MARKER}2\"]\n\n[shops.phone]\nsite_id = \"87654321\"\nctx_mode = \"TEST\"\ntest_key_file = \"key.txt\"\n"
    );
    let wrong_type = format!(
        "site_id = \"12345678\"\nctx_mode = \"TEST\"\ntest_key = \"{MARKER}\"\nprevious_production_keys = \"{MARKER}\"\n"
    );
    std::fs::write(dir.join("shops.toml"), &shops).unwrap();
    std::env::set_var("VADS_FREED_TEST_KEY", MARKER);
    let rest = format!(
        "[shops.rest]\nsite_id = \"12345678\"\nctx_mode = \"PRODUCTION\"\nproduction_password = \"prodpassword_{MARKER}\"\nproduction_hmac_key_file = \"key.txt\"\ntest_password = \"testpassword_{MARKER}\"\ntest_hmac_key_env = \"VADS_FREED_TEST_KEY\"\n"
    );
    let rest_file = dir.join("rest.toml");
    std::fs::write(&rest_file, &rest).unwrap();
    let key_file = dir.join("key.txt");
    let shops_file = dir.join("shops.toml");

    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let cases: Vec<Case<'_>> = vec![
        (
            "Key::new",
            Box::new(|| drop(vads::Key::new(MARKER).unwrap())),
        ),
        (
            "Key::from_file",
            Box::new(|| drop(vads::Key::from_file(&key_file).unwrap())),
        ),
        (
            "Key::from_file, refused (BOM)",
            Box::new(|| drop(vads::Key::from_file(dir.join("bad.key")).unwrap_err())),
        ),
        (
            "Key::from_file, refused (two lines)",
            Box::new(|| drop(vads::Key::from_file(dir.join("two-lines.key")).unwrap_err())),
        ),
        (
            "Key::from_env",
            Box::new(|| drop(vads::Key::from_env("VADS_FREED_TEST_KEY").unwrap())),
        ),
        (
            "ShopConfig::from_toml_str + Shop::new",
            Box::new(|| {
                let config = vads::ShopConfig::from_toml_str(&literal).unwrap();
                drop(vads::Shop::new(config).unwrap());
            }),
        ),
        (
            "ShopsConfig::from_toml_str + Shops::new",
            Box::new(|| {
                let mut config = vads::ShopsConfig::from_toml_str(&shops).unwrap();
                for shop in config.shops.values_mut() {
                    shop.resolve_relative_paths(&dir);
                }
                drop(vads::Shops::new(config).unwrap());
            }),
        ),
        (
            "ShopsConfig::from_toml_file + preflight + Shops::new",
            Box::new(|| {
                let config = vads::ShopsConfig::from_toml_file(&shops_file).unwrap();
                drop(vads::preflight::preflight(&config));
                drop(vads::Shops::new(config).unwrap());
            }),
        ),
        (
            "a config with a wrong type after a literal key",
            Box::new(|| drop(vads::ShopsConfig::from_toml_str(&wrong_type).unwrap_err())),
        ),
        (
            "REST keys: ShopsConfig::from_toml_file + preflight + Shops::new",
            Box::new(|| {
                let config = vads::ShopsConfig::from_toml_file(&rest_file).unwrap();
                drop(vads::preflight::preflight(&config));
                drop(vads::Shops::new(config).unwrap());
            }),
        ),
        (
            "REST keys: ShopConfig::from_env",
            Box::new(|| {
                std::env::set_var("VADS_SITE_ID", "12345678");
                std::env::set_var("VADS_CTX_MODE", "TEST");
                std::env::remove_var("VADS_TEST_KEY");
                std::env::set_var("VADS_TEST_PASSWORD", MARKER);
                let config = vads::ShopConfig::from_env().unwrap();
                drop(vads::Shop::new(config).unwrap());
                std::env::remove_var("VADS_TEST_PASSWORD");
            }),
        ),
        (
            "ShopConfig::from_env",
            Box::new(|| {
                std::env::set_var("VADS_SITE_ID", "12345678");
                std::env::set_var("VADS_CTX_MODE", "TEST");
                std::env::set_var("VADS_TEST_KEY", MARKER);
                let config = vads::ShopConfig::from_env().unwrap();
                drop(vads::Shop::new(config).unwrap());
            }),
        ),
    ];
    // The scan itself works: an unwiped copy is found.
    assert_eq!(
        leaks(|| drop(MARKER.to_owned())),
        1,
        "the scan must see a plain copy"
    );
    let mut failures = Vec::new();
    for (name, case) in &cases {
        let found = leaks(case);
        if found > 0 {
            failures.push(format!("{name}: {found} freed block(s) held the key"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
