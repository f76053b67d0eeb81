//! A blocking HTTP transport for sync (feature `client`): phones and upstream-syncing hubs call
//! [`Store::sync`] and get a report. TLS is rustls; one agent (connection reuse) per sync.
//!
//! A hub on an office LAN usually has a self-signed certificate. Its address may then carry
//! the certificate's pin ([`protocol::HubAddress`]; the hub's enrolment code includes it): the
//! client trusts exactly that certificate and no other, whatever CA signed it and whatever name
//! it carries.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::engine::{SyncEngine, SyncProgress, SyncReport};
use super::protocol::{self, CertPin, HubAddress};
use super::wire::{decode, encode, SyncResponse, MAX_DECODED_BYTES};
use crate::{Error, Result, Store};

/// Longest sync session, in round trips (a guard against a peer that always says "more").
const MAX_ROUNDS: u32 = 10_000;

/// How to run a sync.
pub struct SyncOptions<'a> {
    /// Called after every round trip.
    pub progress: Option<&'a (dyn Fn(&SyncProgress) + Sync)>,
    /// Set to stop between round trips; what was acknowledged so far is kept.
    pub cancel: Option<&'a AtomicBool>,
    /// Per-request timeout (a patchy 2G link needs a long one).
    pub timeout: Duration,
    /// Records and change bytes per request.
    pub batch_docs: usize,
    pub batch_bytes: u64,
}

impl Default for SyncOptions<'_> {
    fn default() -> Self {
        SyncOptions {
            progress: None,
            cancel: None,
            timeout: Duration::from_secs(120),
            batch_docs: super::engine::BATCH_DOCS,
            batch_bytes: super::engine::BATCH_BYTES,
        }
    }
}

impl Store {
    /// Syncs with the hub at `hub_url` (e.g. `http://192.168.1.10:8787`) using this device's
    /// enrolment token. Runs round trips until both sides have everything, or until cancelled.
    pub fn sync(&self, hub_url: &str, token: &str, opts: &SyncOptions<'_>) -> Result<SyncReport> {
        let address = HubAddress::parse(hub_url)?;
        let url = address.sync_url();
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(15))
            .timeout(opts.timeout)
            .user_agent(concat!("sangam/", env!("CARGO_PKG_VERSION")));
        if let Some(pin) = address.pin {
            agent = agent.tls_config(std::sync::Arc::new(pinned_tls(pin)?));
        }
        let agent = agent.build();
        // Which device this is: the hub binds it to the enrolment (see `sync::policy`).
        let device = self.device_id();
        let mut engine = SyncEngine::new(self).with_batch(opts.batch_docs, opts.batch_bytes);
        let mut rounds = 0;
        while let Some(req) = engine.next_request()? {
            if opts.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Cancelled);
            }
            rounds += 1;
            if rounds > MAX_ROUNDS {
                return Err(Error::Network(
                    "the hub kept asking for more; stopped".into(),
                ));
            }
            let body = encode(&req)?;
            let (resp, received) = post(&agent, &url, token, &device, &body)?;
            engine.handle_response(resp, body.len() as u64, received)?;
            if let Some(p) = opts.progress {
                p(engine.progress());
            }
        }
        Ok(engine.finish())
    }
}

/// TLS that trusts exactly the certificate whose SHA-256 is `pin`.
fn pinned_tls(pin: CertPin) -> Result<rustls::ClientConfig> {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = std::sync::Arc::new(Pinned { pin, provider: provider.clone() });
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid(format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Accepts the one certificate whose SHA-256 fingerprint is `pin`; the handshake signatures
/// are still verified against it, so only the holder of its private key passes.
#[derive(Debug)]
struct Pinned {
    pin: CertPin,
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if CertPin::of_der(end_entity.as_ref()) == self.pin {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("the hub's certificate is not the one this device was enrolled with (pin mismatch)".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

fn post(agent: &ureq::Agent, url: &str, token: &str, device: &str, body: &[u8]) -> Result<(SyncResponse, u64)> {
    let result = agent
        .post(url)
        .set(protocol::AUTHORIZATION_HEADER, &protocol::bearer(token))
        .set(protocol::DEVICE_HEADER, device)
        .set("Content-Type", protocol::CONTENT_TYPE)
        .send_bytes(body);
    match result {
        Ok(resp) => {
            let mut buf = Vec::new();
            resp.into_reader()
                .take(MAX_DECODED_BYTES as u64)
                .read_to_end(&mut buf)
                .map_err(|e| {
                    Error::Network(format!("the connection broke while receiving: {e}"))
                })?;
            let n = buf.len() as u64;
            Ok((decode(&buf)?, n))
        }
        Err(ureq::Error::Status(status, resp)) => {
            let header = resp.header(protocol::ERROR_CODE_HEADER).map(str::to_string);
            let body = resp.into_string().unwrap_or_default();
            let (code, message) = protocol::read_refusal(status, header.as_deref(), &body);
            Err(code.into_error(status, message))
        }
        Err(ureq::Error::Transport(t)) => Err(Error::Network(format!("cannot reach the hub: {t}"))),
    }
}
