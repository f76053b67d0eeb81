//! `sangam-ffi`: the Rust core as Kotlin and Swift see it (uniffi 0.32, proc-macros).
//!
//! Thin by design: newtype wrappers with one-line bodies over `sangam-core`, a coarse domain
//! API (never Automerge object ids or paths beyond a conflict's field path), and the one place
//! where core errors become [`ApiError`]. Every exported function returns `Result`, and a panic
//! anywhere below is caught and returned as `ApiError::Other`, so nothing unwinds across the FFI.

mod coordinator;
mod error;
mod media;
mod store;
mod sync;
mod views;

pub use error::ApiError;
pub use media::{MediaProgressInfo, MediaProgressListener, MediaStateInfo, MediaSyncResult};
pub use store::SangamStore;
pub use sync::{CancelToken, Enrolment, SyncProgressListener};
pub use views::*;

uniffi::setup_scaffolding!("sangam");

/// Parses an enrolment string (scanned from a QR code or pasted): `sangam://enrol?hub=URL&token=T`.
#[uniffi::export]
pub fn parse_enrolment(text: String) -> Result<Enrolment, ApiError> {
    error::guard(|| sync::parse_enrolment(&text))
}

/// A new random store key (32 bytes) for [`store::SangamStore::open_encrypted`], to be kept by
/// the platform's key store (wrapped by the Android Keystore, or in the iOS Keychain).
#[uniffi::export]
pub fn generate_store_key() -> Result<Vec<u8>, ApiError> {
    error::guard(|| Ok(sangam_core::StoreKey::generate()?.bytes().to_vec()))
}
