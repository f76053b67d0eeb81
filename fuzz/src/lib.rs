//! Fuzz harness for sangam-core; see `harness` (shared with core/tests/fuzz_regressions.rs).
#[path = "harness.rs"]
pub mod harness;
pub use harness::*;
