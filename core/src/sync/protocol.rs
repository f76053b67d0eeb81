//! The sync protocol's names and formats, in one place for the hub's server and command line,
//! the phone's HTTP client, an upstream-syncing hub and the app bindings: the HTTP path, content
//! types and headers, the protocol version, the hub address with its certificate pin, the
//! enrolment link, and the machine codes a hub refuses a request with. `docs/PROTOCOL.md`
//! describes them with the frame and bundle layouts.
//!
//! Nothing here does I/O; it is compiled in every build.

use std::fmt;

pub use super::wire::PROTOCOL_VERSION;
use crate::{Error, Result};

/// Where a device posts its sync requests.
pub const SYNC_PATH: &str = "/v1/sync";
/// The hub's liveness check (`ok`).
pub const HEALTH_PATH: &str = "/healthz";
/// The hub's Prometheus metrics (an admin device's token).
pub const METRICS_PATH: &str = "/metrics";
/// The content type of a sync request or answer body (a `wire` frame).
pub const CONTENT_TYPE: &str = "application/x-sangam-sync";
/// The content type of a refusal body: `{"error": "<what to do>", "code": "<RejectCode>"}`.
pub const ERROR_CONTENT_TYPE: &str = "application/json";
/// The request header carrying the device's enrolment token, as [`bearer`] writes it.
pub const AUTHORIZATION_HEADER: &str = "Authorization";
/// The request header that names the syncing device (its store's device id, 32 hex digits).
pub const DEVICE_HEADER: &str = "X-Sangam-Device";
/// The request header proving which device sends the request: the device's Ed25519 public key
/// and its signature of "sangam-request-v1" ‖ device id ‖ SHA-256(body), as 192 hex digits
/// (key, then signature; [`crate::sign::DeviceKey::sign_request`]). A device sends it until
/// its hub has registered its key, and again whenever the hub asks
/// ([`RejectCode::ProofRequired`]).
pub const PROOF_HEADER: &str = "X-Sangam-Proof";

/// The [`PROOF_HEADER`] value for a request with `body` from the device whose key is `key`.
pub fn device_proof(key: &crate::sign::DeviceKey, body: &[u8]) -> String {
    let mut v = hex::encode(key.public());
    v.push_str(&hex::encode(key.sign_request(&key.device_id(), body).0));
    v
}

/// Checks a request's [`DEVICE_HEADER`] and [`PROOF_HEADER`] for `body`: the device id is the
/// key's and the signature is the key's of this very body. Gives the proven key, or what is
/// wrong.
pub fn check_device_proof(device: Option<&str>, proof: Option<&str>, body: &[u8]) -> std::result::Result<crate::sign::PublicKey, String> {
    let device: [u8; 16] = device
        .and_then(|v| hex::decode(v.trim()).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("missing or malformed '{DEVICE_HEADER}' header (32 hex digits); update the app"))?;
    let proof = proof
        .and_then(|v| hex::decode(v.trim()).ok())
        .filter(|b| b.len() == 96)
        .ok_or_else(|| format!("malformed '{PROOF_HEADER}' header (192 hex digits: the key, then the signature)"))?;
    let key: crate::sign::PublicKey = proof[..32].try_into().expect("32");
    let sig = crate::sign::Sig(proof[32..].try_into().expect("64"));
    if crate::sign::device_of_key(&key) != device {
        return Err(format!("the '{DEVICE_HEADER}' header is not the id of the key in '{PROOF_HEADER}'"));
    }
    if !crate::sign::verify_request(&key, &device, body, &sig) {
        return Err(format!("the '{PROOF_HEADER}' signature does not match this request and key"));
    }
    Ok(key)
}

/// The device id a request's [`DEVICE_HEADER`] names, if well formed.
pub fn device_header(device: Option<&str>) -> Option<[u8; 16]> {
    device.and_then(|v| hex::decode(v.trim()).ok()).and_then(|b| b.try_into().ok())
}

/// The response header carrying a refusal's [`RejectCode`] (also in the JSON body's `code`).
pub const ERROR_CODE_HEADER: &str = "X-Sangam-Error";

const BEARER_PREFIX: &str = "Bearer ";

/// The [`AUTHORIZATION_HEADER`] value for `token`.
pub fn bearer(token: &str) -> String {
    format!("{BEARER_PREFIX}{token}")
}

/// The token in an [`AUTHORIZATION_HEADER`] value, if it is a non-empty bearer token.
pub fn bearer_token(value: &str) -> Option<&str> {
    value.strip_prefix(BEARER_PREFIX).map(str::trim).filter(|t| !t.is_empty())
}

/// The URL sync requests go to, for a hub address without its pin ([`HubAddress::url`]).
pub fn sync_url(base: &str) -> String {
    format!("{}{SYNC_PATH}", base.trim_end_matches('/'))
}

/// The SHA-256 fingerprint of a hub's TLS certificate (DER), which a device trusts instead of
/// any certificate authority. Written `sha256=<64 hex digits>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertPin(pub [u8; 32]);

const PIN_PREFIX: &str = "sha256=";

impl CertPin {
    /// The pin of a certificate, from its DER bytes.
    pub fn of_der(der: &[u8]) -> CertPin {
        use sha2::Digest;
        CertPin(sha2::Sha256::digest(der).into())
    }

    /// Reads `sha256=<hex>` or bare hex (64 digits; colons between bytes allowed).
    pub fn parse(text: &str) -> Option<CertPin> {
        let digits = text.strip_prefix(PIN_PREFIX).unwrap_or(text).replace(':', "");
        hex::decode(digits).ok().and_then(|b| b.try_into().ok()).map(CertPin)
    }

    /// The 64 hex digits, lower case.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for CertPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PIN_PREFIX}{}", self.to_hex())
    }
}

/// A hub address as devices store it: `http://host:port`, `https://host:port`, or an https
/// address with the hub certificate's pin as a fragment, `https://10.0.0.2:8787#sha256=<hex>`.
/// A fragment never travels in an HTTP request, so the address stays the one string apps
/// have always kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAddress {
    /// The address without its fragment.
    pub url: String,
    pub pin: Option<CertPin>,
}

impl HubAddress {
    /// Splits a hub address into its URL and its certificate pin, refusing what is neither.
    pub fn parse(address: &str) -> Result<HubAddress> {
        let address = address.trim();
        if !(address.starts_with("http://") || address.starts_with("https://")) {
            return Err(Error::invalid("the hub address must start with http:// or https://"));
        }
        let Some((url, fragment)) = address.split_once('#') else {
            return Ok(HubAddress { url: address.to_string(), pin: None });
        };
        let bad = || Error::invalid(format!("'#{fragment}' is not a certificate pin; it reads #sha256= and 64 hex digits"));
        if !fragment.starts_with(PIN_PREFIX) {
            return Err(bad());
        }
        let pin = CertPin::parse(fragment).ok_or_else(bad)?;
        let address = HubAddress { url: url.to_string(), pin: Some(pin) };
        if !address.is_https() {
            return Err(Error::invalid("a certificate pin needs an https:// hub address"));
        }
        Ok(address)
    }

    pub fn is_https(&self) -> bool {
        self.url.starts_with("https://")
    }

    /// Where this hub takes sync requests.
    pub fn sync_url(&self) -> String {
        sync_url(&self.url)
    }
}

impl fmt::Display for HubAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pin {
            Some(pin) => write!(f, "{}#{pin}", self.url),
            None => f.write_str(&self.url),
        }
    }
}

const ENROL_PREFIX: &str = "sangam://enrol?";

/// What a device needs to sync: the hub's address (with its pin, if any) and the device's
/// token. The hub prints it as a link for a QR code, `sangam://enrol?hub=<address>&token=<token>`,
/// both values percent-encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub hub_url: String,
    pub token: String,
}

impl Enrolment {
    /// The enrolment link.
    pub fn encode(&self) -> String {
        format!("{ENROL_PREFIX}hub={}&token={}", percent_encode(&self.hub_url), percent_encode(&self.token))
    }

    /// Reads an enrolment link (scanned or pasted). The parameters may come in any order,
    /// encoded or not; others are ignored. The hub address must be one [`HubAddress::parse`]
    /// takes, and the token must not be empty.
    pub fn decode(text: &str) -> Result<Enrolment> {
        let bad = || Error::invalid("not a Sangam enrolment code (sangam://enrol?hub=…&token=…)");
        let rest = text.trim().strip_prefix(ENROL_PREFIX).ok_or_else(bad)?;
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
        HubAddress::parse(&hub_url)?;
        Ok(Enrolment { hub_url, token })
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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

/// Why a hub refused a request, as a machine reads it: sent as the [`ERROR_CODE_HEADER`]
/// header and the JSON body's `code`, next to the human message. Clients act on the code; a
/// hub too old to send one is understood from its HTTP status ([`RejectCode::from_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectCode {
    /// The request speaks an older protocol version than the hub: update the app.
    VersionTooOld,
    /// The request speaks a newer protocol version than the hub: update the hub.
    VersionTooNew,
    /// No token, or an unknown or revoked one: enrol again.
    Unauthorized,
    /// The device's role or scopes do not allow this.
    Forbidden,
    /// The body, or the records in it, are over the hub's limits: sync in smaller batches.
    TooLarge,
    /// This device already has as many syncs in flight as the hub allows: retry shortly.
    RateLimited,
    /// The hub cannot take requests now (shutting down): retry later.
    Busy,
    /// The request is malformed (an unreadable body, a missing header, a damaged frame).
    BadRequest,
    /// The hub failed; nothing was lost: retry later.
    ServerError,
    /// The hub does not know this device's key yet: send the request again with the device's
    /// proof ([`PROOF_HEADER`]).
    ProofRequired,
}

impl RejectCode {
    pub const ALL: [RejectCode; 10] = [
        RejectCode::VersionTooOld,
        RejectCode::VersionTooNew,
        RejectCode::Unauthorized,
        RejectCode::Forbidden,
        RejectCode::TooLarge,
        RejectCode::RateLimited,
        RejectCode::Busy,
        RejectCode::BadRequest,
        RejectCode::ServerError,
        RejectCode::ProofRequired,
    ];

    /// The stable spelling on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::VersionTooOld => "version-too-old",
            RejectCode::VersionTooNew => "version-too-new",
            RejectCode::Unauthorized => "unauthorized",
            RejectCode::Forbidden => "forbidden",
            RejectCode::TooLarge => "too-large",
            RejectCode::RateLimited => "rate-limited",
            RejectCode::Busy => "busy",
            RejectCode::BadRequest => "bad-request",
            RejectCode::ServerError => "server-error",
            RejectCode::ProofRequired => "proof-required",
        }
    }

    /// The code spelled `s`; `None` for one this build does not know (a newer hub's).
    pub fn parse(s: &str) -> Option<RejectCode> {
        RejectCode::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// The HTTP status a hub sends with this code.
    pub fn status(self) -> u16 {
        match self {
            RejectCode::VersionTooOld | RejectCode::VersionTooNew | RejectCode::BadRequest => 400,
            RejectCode::Unauthorized | RejectCode::ProofRequired => 401,
            RejectCode::Forbidden => 403,
            RejectCode::TooLarge => 413,
            RejectCode::RateLimited => 429,
            RejectCode::Busy => 503,
            RejectCode::ServerError => 500,
        }
    }

    /// The code a refusal without one (from an older hub) stands for, by its HTTP status.
    pub fn from_status(status: u16) -> RejectCode {
        match status {
            401 => RejectCode::Unauthorized,
            403 => RejectCode::Forbidden,
            413 => RejectCode::TooLarge,
            429 => RejectCode::RateLimited,
            503 => RejectCode::Busy,
            400..=499 => RejectCode::BadRequest,
            _ => RejectCode::ServerError,
        }
    }

    /// Whether the same request may succeed later unchanged.
    pub fn retryable(self) -> bool {
        matches!(self, RejectCode::RateLimited | RejectCode::Busy | RejectCode::ServerError)
    }

    /// The code for a request body that would not decode: a frame of another protocol version,
    /// or a malformed one.
    pub fn for_undecodable(frame: &[u8]) -> RejectCode {
        match super::wire::frame_version(frame) {
            Some(v) if v < PROTOCOL_VERSION => RejectCode::VersionTooOld,
            Some(v) if v > PROTOCOL_VERSION => RejectCode::VersionTooNew,
            _ => RejectCode::BadRequest,
        }
    }

    /// The code for an error serving a decoded request (`Store::serve_sync`): the request's
    /// fault, the device's authority, or the hub's own failure.
    pub fn for_serve_error(e: &Error) -> RejectCode {
        match e {
            Error::InvalidInput(_) => RejectCode::BadRequest,
            Error::Forbidden(_) => RejectCode::Forbidden,
            _ => RejectCode::ServerError,
        }
    }

    /// The error a client reports for this refusal, with the hub's message.
    pub fn into_error(self, status: u16, message: String) -> Error {
        match self {
            // A client that proved its key and is still asked for it cannot sync with this hub.
            RejectCode::Unauthorized | RejectCode::ProofRequired => Error::Auth(message),
            RejectCode::Forbidden => Error::Forbidden(message),
            RejectCode::VersionTooOld | RejectCode::VersionTooNew => Error::Incompatible(message),
            // Busy: the same device is already syncing, or the hub is going down; worth retrying.
            RejectCode::RateLimited | RejectCode::Busy => Error::Network(format!("the hub is busy ({status}): {message}")),
            RejectCode::ServerError => Error::Network(format!("the hub failed ({status}): {message}")),
            RejectCode::BadRequest | RejectCode::TooLarge => {
                Error::InvalidInput(format!("the hub refused the request ({status}): {message}"))
            }
        }
    }
}

/// The JSON body of a refusal ([`ERROR_CONTENT_TYPE`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Refusal {
    /// What went wrong and what to do, for people.
    pub error: String,
    /// The [`RejectCode`], as spelled on the wire (absent from older hubs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl Refusal {
    pub fn new(code: RejectCode, error: impl Into<String>) -> Refusal {
        Refusal { error: error.into(), code: Some(code.as_str().to_string()) }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a refusal body; `None` if it is not one (a proxy's page, say).
    pub fn from_json(body: &str) -> Option<Refusal> {
        serde_json::from_str(body).ok()
    }

    /// The code, if it is one this build knows.
    pub fn code(&self) -> Option<RejectCode> {
        self.code.as_deref().and_then(RejectCode::parse)
    }
}

/// What a client makes of a refusal: the code from the [`ERROR_CODE_HEADER`] header, else from
/// the body, else (an older hub) from the HTTP status; the message from the body, else the body
/// itself.
pub fn read_refusal(status: u16, header_code: Option<&str>, body: &str) -> (RejectCode, String) {
    let refusal = Refusal::from_json(body);
    let code = header_code
        .and_then(RejectCode::parse)
        .or_else(|| refusal.as_ref().and_then(Refusal::code))
        .unwrap_or_else(|| RejectCode::from_status(status));
    let message = refusal.map(|r| r.error).unwrap_or_else(|| body.to_string());
    (code, message)
}

impl fmt::Display for RejectCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_links_round_trip() {
        let pin = "ab".repeat(32);
        for hub_url in ["http://192.168.1.10:8787", &format!("https://10.0.0.2:8787#sha256={pin}"), "https://hub.example.org/"] {
            let e = Enrolment { hub_url: hub_url.to_string(), token: "sgm_0123abcd".into() };
            let link = e.encode();
            assert!(link.starts_with("sangam://enrol?hub=http"), "{link}");
            assert!(!link[ENROL_PREFIX.len()..].contains(['/', ':', '#']), "{link}");
            assert_eq!(Enrolment::decode(&link).unwrap(), e);
        }
        // What `sangam-hub device add` printed before this module: the same bytes.
        let e = Enrolment { hub_url: "http://10.0.0.2:8787".into(), token: "sgm_t".into() };
        assert_eq!(e.encode(), "sangam://enrol?hub=http%3A%2F%2F10.0.0.2%3A8787&token=sgm_t");
    }

    #[test]
    fn every_link_accepted_before_is_accepted_and_bad_ones_are_refused() {
        let e = Enrolment::decode("sangam://enrol?hub=http%3A%2F%2F192.168.1.10%3A8787&token=sgm_abc").unwrap();
        assert_eq!((e.hub_url.as_str(), e.token.as_str()), ("http://192.168.1.10:8787", "sgm_abc"));
        let pin = "ab".repeat(32);
        let e = Enrolment::decode(&format!("sangam://enrol?hub=https%3A%2F%2F10.0.0.2%3A8787%23sha256%3D{pin}&token=t")).unwrap();
        assert_eq!(e.hub_url, format!("https://10.0.0.2:8787#sha256={pin}"));
        // Unencoded values, the token first, unknown parameters, surrounding blanks.
        let e = Enrolment::decode(&format!("  sangam://enrol?token=t&v=2&hub=https://10.0.0.2:8787#sha256={pin}\n")).unwrap();
        assert_eq!((e.hub_url, e.token), (format!("https://10.0.0.2:8787#sha256={pin}"), "t".to_string()));
        // A pin written with colons and in capitals.
        let colons = ["AB"; 32].join(":");
        assert!(Enrolment::decode(&format!("sangam://enrol?hub=https://x%23sha256%3D{colons}&token=t")).is_ok());
        for bad in [
            "",
            "http://x",
            "sangam://enrol?hub=ftp://x&token=t",
            "sangam://enrol?hub=http://x",
            "sangam://enrol?hub=http://x&token=",
            "sangam://enrol?hub=%ZZ&token=t",
            "sangam://enrol?hub=http%3A%2F%2Fx%23sha256%3Dab&token=t",
            &format!("sangam://enrol?hub=http://x%23sha256%3D{pin}&token=t"),
        ] {
            assert!(Enrolment::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hub_addresses_carry_an_optional_pin() {
        let pin = "0f".repeat(32);
        let a = HubAddress::parse(&format!(" https://10.0.0.2:8787#sha256={pin} ")).unwrap();
        assert_eq!(a.url, "https://10.0.0.2:8787");
        assert_eq!(a.pin, Some(CertPin([0x0f; 32])));
        assert_eq!(a.to_string(), format!("https://10.0.0.2:8787#sha256={pin}"));
        assert_eq!(a.sync_url(), "https://10.0.0.2:8787/v1/sync");
        let a = HubAddress::parse("http://h:8787/").unwrap();
        assert_eq!((a.pin, a.sync_url(), a.to_string()), (None, "http://h:8787/v1/sync".into(), "http://h:8787/".into()));
        let e = HubAddress::parse("https://h#sha256=abc").unwrap_err().to_string();
        assert!(e.contains("certificate pin"), "{e}");
        assert!(HubAddress::parse("https://h#md5=00").is_err());
        assert!(HubAddress::parse(&format!("http://h#sha256={pin}")).unwrap_err().to_string().contains("https"));
        assert!(HubAddress::parse("h:8787").is_err());
        assert_eq!(CertPin::parse(&pin), Some(CertPin([0x0f; 32])));
        assert_eq!(CertPin::of_der(b"").to_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer("sgm_1"), "Bearer sgm_1");
        assert_eq!(bearer_token("Bearer  sgm_1 "), Some("sgm_1"));
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Basic abc"), None);
    }

    #[test]
    fn reject_codes_are_stable_and_map_from_status_when_missing() {
        let spelled: Vec<&str> = RejectCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            spelled,
            ["version-too-old", "version-too-new", "unauthorized", "forbidden", "too-large", "rate-limited", "busy", "bad-request", "server-error", "proof-required"]
        );
        for c in RejectCode::ALL {
            assert_eq!(RejectCode::parse(c.as_str()), Some(c));
            // What an old hub's status alone says agrees with the code, except for versions
            // (an old hub's version refusal is a plain 400) and the proof a hub asks for (401,
            // like any refusal of who the device is).
            if !matches!(c, RejectCode::VersionTooOld | RejectCode::VersionTooNew | RejectCode::ProofRequired) {
                assert_eq!(RejectCode::from_status(c.status()), c);
            }
        }
        assert_eq!(RejectCode::parse("from-the-future"), None);
        assert_eq!(RejectCode::from_status(422), RejectCode::BadRequest);
        assert_eq!(RejectCode::from_status(502), RejectCode::ServerError);
        assert!(matches!(RejectCode::VersionTooOld.into_error(400, "m".into()), Error::Incompatible(_)));
        assert!(matches!(RejectCode::Unauthorized.into_error(401, "m".into()), Error::Auth(_)));
        assert!(matches!(RejectCode::RateLimited.into_error(429, "m".into()), Error::Network(_)));
        assert!(matches!(RejectCode::TooLarge.into_error(413, "m".into()), Error::InvalidInput(_)));
    }

    #[test]
    fn refusals_are_read_from_the_header_the_body_or_the_status() {
        let body = Refusal::new(RejectCode::VersionTooOld, "update the app").to_json();
        assert_eq!(body, r#"{"error":"update the app","code":"version-too-old"}"#);
        assert_eq!(read_refusal(400, Some("version-too-old"), &body), (RejectCode::VersionTooOld, "update the app".into()));
        assert_eq!(read_refusal(400, None, &body), (RejectCode::VersionTooOld, "update the app".into()));
        // An older hub: no code anywhere; the status decides and the message is kept.
        let old = r#"{"error":"the peer speaks sync protocol version 1"}"#;
        assert_eq!(read_refusal(400, None, old), (RejectCode::BadRequest, "the peer speaks sync protocol version 1".into()));
        assert_eq!(read_refusal(429, None, old).0, RejectCode::RateLimited);
        // A newer hub's code this build does not know: the status decides.
        assert_eq!(read_refusal(503, Some("on-fire"), r#"{"error":"x","code":"on-fire"}"#).0, RejectCode::Busy);
        // Not JSON at all (a proxy's error page).
        assert_eq!(read_refusal(502, None, "Bad Gateway"), (RejectCode::ServerError, "Bad Gateway".into()));
    }

    #[test]
    fn undecodable_frames_are_told_apart_by_version() {
        let mut f = super::super::wire::encode(&super::super::wire::SyncRequest::default()).unwrap();
        assert_eq!(RejectCode::for_undecodable(b"junk"), RejectCode::BadRequest);
        f[4..6].copy_from_slice(&(PROTOCOL_VERSION - 1).to_le_bytes());
        assert_eq!(RejectCode::for_undecodable(&f), RejectCode::VersionTooOld);
        f[4..6].copy_from_slice(&(PROTOCOL_VERSION + 1).to_le_bytes());
        assert_eq!(RejectCode::for_undecodable(&f), RejectCode::VersionTooNew);
        f[4..6].copy_from_slice(&PROTOCOL_VERSION.to_le_bytes());
        assert_eq!(RejectCode::for_undecodable(&f[..10]), RejectCode::BadRequest);
    }
}
