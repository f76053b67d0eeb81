//! Sync from the apps: a progress listener implemented in Kotlin/Swift, a cancel token, and
//! enrolment strings (`sangam://enrol?hub=URL&token=T`, shown as a QR code by the hub; the format
//! is `sangam_core::sync::protocol::Enrolment`'s). For a hub with a self-signed certificate,
//! URL ends in `#sha256=<hex>`, the certificate's pin: keep the whole string as the hub address,
//! and sync trusts exactly that certificate.

use std::sync::atomic::{AtomicBool, Ordering};

use sangam_core::sync::protocol;

use crate::{ApiError, SyncProgressInfo};

/// Receives progress after every round trip of a sync.
#[uniffi::export(with_foreign)]
pub trait SyncProgressListener: Send + Sync {
    fn on_progress(&self, progress: SyncProgressInfo);
}

/// Cancels a running sync between round trips; what was acknowledged stays.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken(pub(crate) AtomicBool);

#[uniffi::export]
impl CancelToken {
    #[uniffi::constructor]
    pub fn new() -> Self {
        CancelToken(AtomicBool::new(false))
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed)
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Where to sync and with which token.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Enrolment {
    pub hub_url: String,
    pub token: String,
}

pub(crate) fn parse_enrolment(text: &str) -> Result<Enrolment, ApiError> {
    let e = protocol::Enrolment::decode(text)?;
    Ok(Enrolment { hub_url: e.hub_url, token: e.token })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format itself is tested with `sangam_core::sync::protocol`; here, what apps see.
    #[test]
    fn enrolment_codes_parse_and_bad_ones_are_refused() {
        let e = parse_enrolment("sangam://enrol?hub=http%3A%2F%2F192.168.1.10%3A8787&token=sgm_abc").unwrap();
        assert_eq!(e, Enrolment { hub_url: "http://192.168.1.10:8787".into(), token: "sgm_abc".into() });
        for bad in ["", "http://x", "sangam://enrol?hub=http%3A%2F%2Fx%23sha256%3Dab&token=t"] {
            assert!(matches!(parse_enrolment(bad), Err(ApiError::InvalidInput { .. })), "{bad}");
        }
    }
}
