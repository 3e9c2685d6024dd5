#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vads_fuzz::api_envelope(data));
