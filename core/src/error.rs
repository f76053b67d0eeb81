//! The one error type of `sangam-core`.
//!
//! Every variant says what went wrong and, where there is one, what to do about it. Errors never
//! carry survey answers, names or phone numbers: the data is about vulnerable people.

use std::path::PathBuf;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),

    #[error("record {0} was not found")]
    NotFound(String),

    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// Bytes from a peer or a file could not be applied. The live record is unchanged.
    #[error("refused changes for record {id}: {reason}")]
    /// `library_failed`: the document library itself failed (panicked) on these bytes, so a
    /// hub keeps them for inspection.
    Rejected { id: String, reason: String, library_failed: bool },

    /// The database file could not be read as a Sangam store. It was moved aside, never deleted:
    /// it may hold the only copy of unsynced work. Opening again creates a fresh store.
    #[error("the store at {path} is unreadable ({reason}); it was moved aside to {moved_to} and kept")]
    Corrupt { path: PathBuf, moved_to: PathBuf, reason: String },

    /// The key does not open this encrypted store (or the file is damaged). The file was left
    /// exactly as it was.
    #[error("the store could not be opened with this key (a wrong key, or a damaged file); it was left untouched")]
    WrongKey,

    /// The store is encrypted and was opened without its key. The file was left as it was.
    #[error("the store is encrypted; open it with its key")]
    KeyNeeded,

    /// The file was written by a newer version of Sangam.
    #[error("this store has schema version {found}, newer than the {supported} this app understands; update the app")]
    SchemaTooNew { found: i64, supported: i64 },

    /// The current user's role may not do this.
    #[error("not allowed: {0}")]
    Forbidden(String),

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),

    #[error("encoding error: {0}")]
    Json(#[from] serde_json::Error),

    /// A sync peer or a network transport failed.
    #[error("network error: {0}")]
    Network(String),

    /// The peer refused our credentials.
    #[error("authentication failed: {0}")]
    Auth(String),

    /// The operation was cancelled by the caller; everything acknowledged so far is kept.
    #[error("cancelled")]
    Cancelled,

    /// The other side speaks another protocol or file version.
    #[error("incompatible version: {0}")]
    Incompatible(String),
}

impl Error {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidInput(msg.into())
    }
    pub(crate) fn rejected(id: &str, reason: impl Into<String>) -> Self {
        Error::Rejected { id: id.to_string(), reason: reason.into(), library_failed: false }
    }
    /// Bytes on which the document library failed (the panic guard caught it).
    pub(crate) fn library_failed(id: &str, reason: impl Into<String>) -> Self {
        Error::Rejected { id: id.to_string(), reason: reason.into(), library_failed: true }
    }
}
