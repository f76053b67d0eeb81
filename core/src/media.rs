//! Media attached to records: photos, audio, video, signatures and other files.
//!
//! The bytes never enter an Automerge document. Each file is stored once, content-addressed,
//! in the store's media area (`store::media`), and is named by its SHA-256 and an extension:
//! `3f2a…9c.jpg` ([`MediaName`]). That name is the answer of the media question (ODK stores a
//! file name there too, and exports write the file under it), and the record lists every file
//! it refers to in its root `media` map (name → `{size, type}`), so the store knows which
//! records need which files without reading any form.
//!
//! A name proves its content: whoever sends the bytes, the receiver hashes them and keeps them
//! only if they match, so a file can never be overwritten, only completed.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Bytes per stored piece, and per piece a receiver makes durable: a transfer cut anywhere
/// resumes with at most this much sent again.
pub const PIECE_BYTES: usize = 64 * 1024;
/// Largest file a store takes by default (a hub's limit is `--max-media-mib`).
pub const MAX_MEDIA_BYTES: u64 = 64 * 1024 * 1024;
/// Most files one record may refer to.
pub const MAX_MEDIA_PER_RECORD: usize = 256;
/// Most bytes one download request brings (the client asks again from where it stopped).
pub const DOWNLOAD_WINDOW: u64 = 1024 * 1024;

/// A file's name in the media area: 64 lowercase hex digits of its SHA-256, a dot and an
/// extension of 1 to 10 lowercase letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MediaName(String);

impl MediaName {
    /// The name of `bytes` stored with extension `ext` (`jpg`, `m4a`; a leading dot and
    /// upper case are accepted).
    pub fn of(bytes: &[u8], ext: &str) -> Result<MediaName> {
        let ext = clean_ext(ext)?;
        Ok(MediaName(format!("{}.{ext}", hex::encode(Sha256::digest(bytes)))))
    }

    /// Parses a name; `None` when `s` is not one.
    pub fn parse(s: &str) -> Option<MediaName> {
        let (hash, ext) = s.split_once('.')?;
        let ok_hash = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let ok_ext = (1..=10).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        (ok_hash && ok_ext).then(|| MediaName(s.to_string()))
    }

    /// Parses a name, or says why it is not one.
    pub fn parse_or_err(s: &str) -> Result<MediaName> {
        MediaName::parse(s).ok_or_else(|| {
            Error::invalid(format!("'{}' is not a media name (64 hex digits of SHA-256, a dot, an extension)", clip(s, 80)))
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 the content must have.
    pub fn sha256(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&self.0[..64], &mut out).expect("checked when made");
        out
    }

    /// The extension (`jpg`).
    pub fn ext(&self) -> &str {
        &self.0[65..]
    }

    /// Whether `bytes` are this file's content.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        Sha256::digest(bytes).as_slice() == self.sha256()
    }
}

impl fmt::Display for MediaName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn clean_ext(ext: &str) -> Result<String> {
    let e = ext.trim().trim_start_matches('.').to_ascii_lowercase();
    if (1..=10).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
        Ok(e)
    } else {
        Err(Error::invalid(format!("'{}' is not a file extension (1 to 10 letters or digits)", clip(ext, 40))))
    }
}

/// The usual extension of a media type (`image/jpeg` → `jpg`), for callers that have only the
/// type; `bin` for types not listed.
pub fn ext_for_type(mime: &str) -> &'static str {
    match mime.trim().to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "image/svg+xml" => "svg",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "audio/aac" => "m4a",
        "audio/mpeg" => "mp3",
        "audio/ogg" | "audio/opus" => "ogg",
        "audio/amr" | "audio/3gpp" => "amr",
        "audio/wav" | "audio/x-wav" => "wav",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "video/webm" => "webm",
        "application/pdf" => "pdf",
        "text/csv" => "csv",
        _ => "bin",
    }
}

/// At most `n` characters of untrusted text, for an error message.
fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).filter(|c| !c.is_control()).collect()
}

/// A media type that is safe to label a file with: `type/subtype`, printable, short.
pub fn check_type(mime: &str) -> Result<()> {
    let ok = mime.len() <= 100
        && mime.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && mime.bytes().all(|b| b.is_ascii_alphanumeric() || b"/.+-_".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!("'{}' is not a media type such as image/jpeg", clip(mime, 40))))
    }
}

/// What a store knows of one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaInfo {
    pub name: String,
    /// The whole file's size.
    pub size: u64,
    /// Bytes stored so far (`size` once complete).
    pub have: u64,
    pub complete: bool,
    pub mime: Option<String>,
}

/// One file a record refers to, as its `media` map lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MediaRef {
    pub name: String,
    pub size: u64,
    pub mime: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_hash_and_extension() {
        let n = MediaName::of(b"abc", ".JPG").unwrap();
        assert_eq!(n.as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.jpg");
        assert_eq!(n.ext(), "jpg");
        assert!(n.matches(b"abc"));
        assert!(!n.matches(b"abd"));
        assert_eq!(MediaName::parse(n.as_str()), Some(n));
        for bad in ["", "x.jpg", "../../etc/passwd", &format!("{}.JPG", "a".repeat(64)), &format!("{}.", "a".repeat(64)), &format!("{}.jp/g", "a".repeat(64))] {
            assert!(MediaName::parse(bad).is_none(), "{bad}");
        }
        assert!(MediaName::of(b"x", "a/b").is_err());
        assert!(check_type("image/jpeg").is_ok());
        assert!(check_type("image/jpeg\r\nX: y").is_err());
        assert_eq!(ext_for_type("audio/mp4"), "m4a");
    }
}
