//! Sync from the apps: a progress listener implemented in Kotlin/Swift, a cancel token, and
//! enrolment strings (`sangam://enrol?hub=URL&token=T`, shown as a QR code by the hub). For a
//! hub with a self-signed certificate, URL ends in `#sha256=<hex>`, the certificate's pin: keep
//! the whole string as the hub address, and sync trusts exactly that certificate.

use std::sync::atomic::{AtomicBool, Ordering};

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
    let bad = || ApiError::InvalidInput { message: "not a Sangam enrolment code (sangam://enrol?hub=…&token=…)".into() };
    let rest = text.trim().strip_prefix("sangam://enrol?").ok_or_else(bad)?;
    let (mut hub, mut token) = (None, None);
    for pair in rest.split('&') {
        match pair.split_once('=') {
            Some(("hub", v)) => hub = Some(percent_decode(v).ok_or_else(bad)?),
            Some(("token", v)) => token = Some(percent_decode(v).ok_or_else(bad)?),
            _ => {}
        }
    }
    let (hub_url, token) = (hub.ok_or_else(bad)?, token.ok_or_else(bad)?);
    if !(hub_url.starts_with("http://") || hub_url.starts_with("https://")) || token.is_empty() {
        return Err(bad());
    }
    // A pin, if any, must be well formed (and needs https).
    sangam_core::sync::client::parse_hub_address(&hub_url).map_err(|e| ApiError::InvalidInput { message: e.to_string() })?;
    Ok(Enrolment { hub_url, token })
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_codes_parse_and_bad_ones_are_refused() {
        let e = parse_enrolment("sangam://enrol?hub=http%3A%2F%2F192.168.1.10%3A8787&token=sgm_abc").unwrap();
        assert_eq!(e.hub_url, "http://192.168.1.10:8787");
        assert_eq!(e.token, "sgm_abc");
        let pin = "ab".repeat(32);
        let e = parse_enrolment(&format!("sangam://enrol?hub=https%3A%2F%2F10.0.0.2%3A8787%23sha256%3D{pin}&token=t")).unwrap();
        assert_eq!(e.hub_url, format!("https://10.0.0.2:8787#sha256={pin}"));
        assert!(parse_enrolment("sangam://enrol?hub=http%3A%2F%2Fx%23sha256%3Dab&token=t").is_err());
        for bad in ["", "http://x", "sangam://enrol?hub=ftp://x&token=t", "sangam://enrol?hub=http://x", "sangam://enrol?hub=%ZZ&token=t"] {
            assert!(parse_enrolment(bad).is_err(), "{bad}");
        }
    }
}
