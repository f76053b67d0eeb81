//! `sangam-hub`: the district sync hub and the coordinator's command line.
//!
//! A hub is just another peer with a `sangam-core` store (`DATA/hub.db`, embedded SQLite),
//! plus a registry of enrolled devices (`DATA/devices.db`) and an HTTP server. See
//! `sangam-hub --help`.

pub mod cli;
pub mod conn;
pub mod coord;
pub mod demo;
pub mod devices;
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
    let store = Store::open(
        data.join("hub.db"),
        Identity::new("hub", "District hub", Role::Admin),
    )?;
    store.enable_serving()?;
    Ok(store)
}
