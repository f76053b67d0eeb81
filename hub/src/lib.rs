//! `sangam-hub`: the district sync hub and the coordinator's command line.
//!
//! A hub is just another peer with a `sangam-core` store (`DATA/hub.db`, embedded SQLite),
//! plus a registry of enrolled devices (`DATA/devices.db`) and an HTTP server. See
//! `sangam-hub --help`.

pub mod archive;
pub mod cli;
pub mod conn;
pub mod console;
pub mod coordinator;
pub mod datakey;
pub mod demo;
pub mod devices;
pub mod media;
pub mod metrics;
pub mod server;
pub mod upstream;

use std::path::Path;

use sangam_core::{Identity, Role, Store};

/// Everything that can stop a hub command.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{0}")]
    Core(#[from] sangam_core::Error),
    #[error("device registry: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// The command was used wrongly; the message says how to use it.
    #[error("{0}")]
    Usage(String),
}

/// Opens (creating on first run) the hub's record store in `data`.
pub fn open_store(data: &Path) -> Result<Store, HubError> {
    sangam_core::files::private_dir(data)?;
    let identity = Identity::new("hub", "District hub", Role::Admin);
    let store = match datakey::get() {
        Some(key) => Store::open_encrypted(data.join("hub.db"), identity, key)?,
        None => Store::open(data.join("hub.db"), identity)?,
    };
    store.enable_serving()?;
    Ok(store)
}

/// Where `serve --tls-cert` records its certificate's pin, for enrolment codes.
pub const TLS_PIN_FILE: &str = "tls-pin";

/// The SHA-256 fingerprint of the first certificate in a PEM file: what phones pin.
pub fn cert_pin(pem: &Path) -> Result<sangam_core::sync::protocol::CertPin, HubError> {
    use rustls::pki_types::pem::PemObject;
    let cert = rustls::pki_types::CertificateDer::pem_file_iter(pem)
        .map_err(|e| HubError::Usage(format!("cannot read the certificate {}: {e}", pem.display())))?
        .next()
        .ok_or_else(|| HubError::Usage(format!("{} holds no certificate", pem.display())))?
        .map_err(|e| HubError::Usage(format!("cannot read the certificate {}: {e}", pem.display())))?;
    Ok(sangam_core::sync::protocol::CertPin::of_der(cert.as_ref()))
}
