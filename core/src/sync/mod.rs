//! Sync: how records move between phones, hubs and files.
//!
//! - [`wire`]: the versioned binary messages.
//! - [`protocol`]: what travels around them — the HTTP path, content types and headers, hub
//!   addresses with certificate pins, enrolment links, and the codes a hub refuses with.
//! - [`engine`]: the device side ([`SyncEngine`]), sans-IO.
//! - [`serve`]: the hub side ([`crate::Store::serve_sync`]), sans-IO.
//! - [`policy`]: who may write what, checked on everything that arrives from a peer.
//! - [`bundle`]: the same changes on a file.
//! - [`transport`]: the round-trip loop ([`crate::Store::sync_with`]) over a [`Transport`], and
//!   [`InProcess`], a hub store answering in the same process.
//! - `client` (feature `client`): the HTTP transport, so shells call one function
//!   (`Store::sync`).

pub mod transpose;
pub mod bundle;
pub mod edit;
mod compact;
#[cfg(feature = "client")]
pub mod client;
pub mod engine;
pub mod media;
pub use crate::policy;
pub mod protocol;
pub mod sealed;
pub mod serve;
pub mod transport;
pub mod wire;

pub use bundle::{bundle_header, BundleHeader, BundleOptions, BundleReport, BUNDLE_VERSION};
pub use engine::{SyncEngine, SyncProgress, SyncReport};
pub use policy::PeerInfo;
pub use serve::ServeStats;
pub use transport::{InProcess, SyncOptions, Transport, TransportError};
pub use wire::{SyncRequest, SyncResponse, PROTOCOL_VERSION};
