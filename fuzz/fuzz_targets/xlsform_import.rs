#![no_main]
//! See fuzz/src/harness.rs for what this target does and how its input is laid out.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sangam_fuzz::xlsform_import(data));
