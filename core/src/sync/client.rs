//! The HTTP transport for sync (feature `client`): phones and upstream-syncing hubs call
//! [`Store::sync`] and get a report. It is [`HttpTransport`] under the round-trip loop of
//! `transport` ([`Store::sync_with`]): blocking ureq, rustls, one agent (connection reuse) per
//! sync, and the names of `protocol`.
//!
//! A hub on an office LAN usually has a self-signed certificate. Its address may then carry
//! the certificate's pin ([`protocol::HubAddress`]; the hub's enrolment code includes it): the
//! client trusts exactly that certificate and no other, whatever CA signed it and whatever name
//! it carries.

use std::io::Read;
use std::time::Duration;

use super::engine::SyncReport;
use super::protocol::{self, CertPin, HubAddress};
pub use super::transport::SyncOptions;
use super::transport::{Transport, TransportError};
use super::wire::MAX_DECODED_BYTES;
use crate::sign::DeviceKey;
use crate::{Error, Result, Store};

impl Store {
    /// Syncs with the hub at `hub_url` (e.g. `http://192.168.1.10:8787`, or an https address
    /// with its certificate pin) using this device's enrolment token. Runs round trips until
    /// both sides have everything, or until cancelled.
    pub fn sync(&self, hub_url: &str, token: &str, opts: &SyncOptions<'_>) -> Result<SyncReport> {
        // Which device this is: the hub binds it to the enrolment (see `policy`). The device's
        // proof goes with the requests until this hub has registered its key.
        let hub = self.upstream()?.hub_store;
        let proved = hub.is_some() && self.proved_to()? == hub;
        let mut transport = HttpTransport::new(hub_url, token, self.device_key(), opts.timeout)?.with_proof(!proved);
        let out = self.sync_with(&mut transport, opts);
        if transport.proved {
            if let Some(h) = self.upstream()?.hub_store {
                self.set_proved_to(&h)?;
            }
        }
        out
    }
}

/// Sync requests to one hub over HTTP(S), as one device.
pub struct HttpTransport {
    agent: ureq::Agent,
    url: String,
    authorization: String,
    device: [u8; 16],
    key: DeviceKey,
    /// Send the device's proof with each request.
    proof: bool,
    /// A request with the proof was answered: the hub has the key now.
    pub proved: bool,
}

impl HttpTransport {
    /// A transport to the hub at `hub_address` (pinned or not) for the device whose key is `key`
    /// (its store's), enrolled with `token`; each request may take `timeout`. Every request is
    /// signed with the key, which is how the hub knows the device is the one it says.
    pub fn new(hub_address: &str, token: &str, key: DeviceKey, timeout: Duration) -> Result<HttpTransport> {
        let address = HubAddress::parse(hub_address)?;
        let (agent, _) = http_agent(hub_address, timeout)?;
        Ok(HttpTransport {
            agent,
            url: address.sync_url(),
            authorization: protocol::bearer(token),
            device: key.device_id(),
            key,
            proof: true,
            proved: false,
        })
    }

    /// Whether to send the device's proof before the hub asks for it (it always does for a
    /// device whose key it has not registered).
    pub fn with_proof(mut self, proof: bool) -> HttpTransport {
        self.proof = proof;
        self
    }
}

impl HttpTransport {
    fn post(&self, body: &[u8], proof: bool) -> std::result::Result<Vec<u8>, TransportError> {
        let mut req = self
            .agent
            .post(&self.url)
            .set(protocol::AUTHORIZATION_HEADER, &self.authorization)
            .set(protocol::DEVICE_HEADER, &hex::encode(self.device))
            .set("Content-Type", protocol::CONTENT_TYPE);
        if proof {
            req = req.set(protocol::PROOF_HEADER, &protocol::device_proof(&self.key, body));
        }
        match req.send_bytes(body) {
            Ok(resp) => {
                let mut buf = Vec::new();
                resp.into_reader()
                    .take(MAX_DECODED_BYTES as u64)
                    .read_to_end(&mut buf)
                    .map_err(|e| TransportError::Unreachable(format!("the connection broke while receiving: {e}")))?;
                Ok(buf)
            }
            Err(ureq::Error::Status(status, resp)) => {
                let header = resp.header(protocol::ERROR_CODE_HEADER).map(str::to_string);
                let body = resp.into_string().unwrap_or_default();
                let (code, message) = protocol::read_refusal(status, header.as_deref(), &body);
                Err(TransportError::Refused { status, code, message })
            }
            Err(ureq::Error::Transport(t)) => Err(TransportError::Unreachable(format!("cannot reach the hub: {t}"))),
        }
    }
}

impl Transport for HttpTransport {
    fn round_trip(&mut self, body: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        let mut out = self.post(body, self.proof);
        if !self.proof && matches!(out, Err(TransportError::Refused { code: protocol::RejectCode::ProofRequired, .. })) {
            // The hub does not know this device's key (a new hub, or one restored from an old
            // copy): the same request again, proven.
            self.proof = true;
            out = self.post(body, true);
        }
        if self.proof && out.is_ok() {
            self.proved = true;
        }
        out
    }
}

/// An HTTP agent for the hub at `hub_address` (trusting exactly its pinned certificate, if
/// the address carries a pin), and the hub's base address without the pin.
pub(crate) fn http_agent(hub_address: &str, timeout: Duration) -> Result<(ureq::Agent, String)> {
    let address = HubAddress::parse(hub_address)?;
    let mut agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout(timeout)
        .user_agent(concat!("sangam/", env!("CARGO_PKG_VERSION")));
    if let Some(pin) = address.pin {
        agent = agent.tls_config(std::sync::Arc::new(pinned_tls(pin)?));
    }
    Ok((agent.build(), address.url.trim_end_matches('/').to_string()))
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
