#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vads_fuzz::rest_slashes(data));
