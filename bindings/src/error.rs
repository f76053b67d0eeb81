//! The one error type apps see, mapped from core errors in one place.

use sangam_core::Error as CoreError;

/// An error an app can act on. Messages never contain survey answers or personal data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum ApiError {
    /// A value or form rule was not met (the data is kept; fix and retry).
    #[error("{message}")]
    Validation { message: String },
    #[error("{message}")]
    NotFound { message: String },
    /// The hub refused this device's token: enrol again.
    #[error("{message}")]
    Auth { message: String },
    /// The hub could not be reached or failed: retry later; nothing was lost.
    #[error("{message}")]
    Network { message: String },
    /// The store could not be read or written (corrupt files are moved aside, never deleted).
    #[error("{message}")]
    Storage { message: String },
    /// The store's key is wrong, or the store is encrypted and no key was given. The file is
    /// left exactly as it was: try the right key (or the one a rekey was changing to).
    #[error("{message}")]
    Key { message: String },
    /// The input was malformed (bad bytes, an unknown form, a wrong kind of record).
    #[error("{message}")]
    InvalidInput { message: String },
    /// The user's role may not do this.
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    Cancelled { message: String },
    #[error("{message}")]
    Other { message: String },
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::NotFound(_) => ApiError::NotFound { message },
            CoreError::InvalidInput(_) | CoreError::Rejected { .. } | CoreError::Incompatible(_) => {
                ApiError::InvalidInput { message }
            }
            CoreError::Auth(_) => ApiError::Auth { message },
            CoreError::Network(_) => ApiError::Network { message },
            CoreError::Forbidden(_) => ApiError::Forbidden { message },
            CoreError::Cancelled => ApiError::Cancelled { message },
            CoreError::WrongKey | CoreError::KeyNeeded => ApiError::Key { message },
            CoreError::Sqlite(_) | CoreError::Corrupt { .. } | CoreError::SchemaTooNew { .. } | CoreError::Io(_) => {
                ApiError::Storage { message }
            }
            CoreError::Automerge(_) | CoreError::Json(_) => ApiError::Other { message },
        }
    }
}

/// Runs `f`, turning a panic into `ApiError::Other` so it never crosses the FFI.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, ApiError>) -> Result<T, ApiError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(ApiError::Other { message: "internal error in the Sangam core; the store is unchanged".into() }),
    }
}
