#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mimql::fuzzing::c2s_input(data));
