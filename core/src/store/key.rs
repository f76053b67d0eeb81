//! Encryption at rest: a store kept in a SQLCipher file, every page (the WAL's too) encrypted
//! with AES-256 under a 32-byte key the platform holds (Android Keystore, iOS Keychain, a hub's
//! key file). ADR 0013.
//!
//! - A new store opened with a key is encrypted from its first page.
//! - A clear store opened with a key is encrypted first, in a copy renamed over it only once the
//!   copy is complete and on disk: a crash at any point leaves either the clear store or the
//!   encrypted one, whole.
//! - A wrong key, or no key for an encrypted store, is a clear error, and the file is left
//!   exactly as it was (never moved aside as damaged).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{Error, Result};

/// Page size of encrypted stores (as for clear ones: 8 KB pages fit a record row). SQLCipher
/// does not record it in the file, so it is given again at every open.
const CIPHER_PAGE_SIZE: i64 = 8192;

/// The first 16 bytes of every clear SQLite file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A store's key: 32 random bytes, used as SQLCipher's raw key (no password stretching: the
/// key is random, not a password). Its bytes are wiped when it is dropped, and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// A new random key, from the system's random source.
    pub fn generate() -> Result<StoreKey> {
        let mut b = [0u8; 32];
        getrandom::getrandom(&mut b).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Ok(StoreKey(b))
    }

    /// The key of exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let b: [u8; 32] = bytes.try_into().map_err(|_| Error::invalid(format!("a store key is 32 bytes, not {}", bytes.len())))?;
        Ok(StoreKey(b))
    }

    /// The key written as 64 hexadecimal digits (a hub's key file, an environment variable);
    /// surrounding white space is ignored.
    pub fn from_hex(text: &str) -> Result<StoreKey> {
        let t = text.trim();
        let bytes = hex::decode(t).map_err(|_| Error::invalid("a store key is 64 hexadecimal digits"))?;
        StoreKey::from_bytes(&bytes)
    }

    /// The key as 64 hexadecimal digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key's bytes (to hand to the platform's key store).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// SQLCipher's raw-key literal, `"x'…'"`.
    fn literal(&self) -> String {
        format!("\"x'{}'\"", hex::encode(self.0))
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

/// Gives `conn` its key; must come before anything reads the file.
pub(super) fn apply(conn: &Connection, key: &StoreKey) -> Result<()> {
    // SQLCipher would log a wrong key to stderr itself; the caller reports it (as WrongKey).
    conn.execute_batch(&format!("PRAGMA cipher_log_level = NONE; PRAGMA key = {}; PRAGMA cipher_page_size = {CIPHER_PAGE_SIZE};", key.literal()))?;
    Ok(())
}

/// Whether the file at `path` looks like an encrypted store: it exists, is made of whole
/// pages, and does not start as every clear SQLite file does. (A short or odd-sized file that
/// is not SQLite is damaged, not encrypted.)
pub fn looks_encrypted(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let len = f.metadata()?.len();
    if len == 0 || len % 512 != 0 {
        return Ok(false);
    }
    let mut head = [0u8; 16];
    f.read_exact(&mut head)?;
    Ok(&head != SQLITE_HEADER)
}

/// Whether the file at `path` is a clear SQLite file (with at least its header written).
fn is_clear(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let mut head = [0u8; 16];
    match f.read_exact(&mut head) {
        Ok(()) => Ok(&head == SQLITE_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn side(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Encrypts the clear store at `path` under `key`, in place; does nothing if the file is not a
/// clear SQLite file. Returns whether it encrypted.
///
/// The clear store's WAL is folded in first; the encrypted copy is written beside it
/// (`…-encrypting`), synced, and renamed over the clear file, after the clear WAL and shared
/// memory files are gone (an old WAL beside the encrypted file would be replayed into it). A
/// crash before the rename leaves the clear store whole (the copy is redone at the next open);
/// after it, the encrypted store.
pub fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<bool> {
    if !is_clear(path)? {
        return Ok(false);
    }
    let tmp = side(path, "-encrypting");
    for p in [tmp.clone(), side(&tmp, "-journal"), side(&tmp, "-wal"), side(&tmp, "-shm")] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    crate::files::create_new_private(&tmp)?;
    {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tmp_text = tmp.to_str().ok_or_else(|| Error::invalid("the store's path is not valid UTF-8"))?;
        conn.execute(&format!("ATTACH DATABASE ?1 AS sealed KEY {}", key.literal()), [tmp_text])?;
        conn.execute_batch(&format!("PRAGMA sealed.cipher_page_size = {CIPHER_PAGE_SIZE};"))?;
        conn.query_row("SELECT sqlcipher_export('sealed')", [], |_| Ok(()))?;
        // The export copies tables and rows, not the schema version.
        conn.execute_batch(&format!("PRAGMA sealed.user_version = {version}; DETACH DATABASE sealed;"))?;
        conn.close().map_err(|(_, e)| Error::Sqlite(e))?;
    }
    // The copy must open with the key and hold every row before it replaces the original.
    {
        let check = Connection::open(&tmp)?;
        apply(&check, key)?;
        let ok: String = check.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if ok != "ok" {
            return Err(Error::invalid(format!("the encrypted copy failed its check ({ok}); the clear store is unchanged")));
        }
    }
    std::fs::File::open(&tmp)?.sync_all()?;
    for p in [side(path, "-wal"), side(path, "-shm")] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::rename(&tmp, path)?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    tracing::info!("store encrypted");
    Ok(true)
}

/// Changes the key of the encrypted store on `conn` to `new`. SQLCipher cannot rekey a WAL
/// database, so the WAL is folded in and the store switched to a rollback journal for the
/// rekey, then back: a crash during the rekey rolls back to the old key.
pub(super) fn rekey(conn: &Connection, new: &StoreKey) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::invalid("the store is in use by another connection; close it and rekey again"));
    }
    let result = conn.execute_batch(&format!("PRAGMA rekey = {};", new.literal()));
    // Back to WAL whatever happened: the store keeps working under whichever key it now has.
    let back = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
    result?;
    back?;
    Ok(())
}

/// Opens a plain SQLite database of the store's kind (a hub's device registry, its console
/// accounts) at `path` under `key`, as [`crate::Store::open_encrypted`] opens a store: a clear
/// file is encrypted in place first, a wrong key is [`Error::WrongKey`], and an encrypted file
/// opened without a key is [`Error::KeyNeeded`]. The file is created private if new.
pub fn open_sqlite(path: &Path, key: Option<&StoreKey>) -> Result<Connection> {
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::private_dir(dir)?;
        }
        match crate::files::create_new_private(path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e.into()),
            _ => {}
        }
    }
    match key {
        Some(k) => {
            encrypt_in_place(path, k)?;
        }
        None if looks_encrypted(path)? => return Err(Error::KeyNeeded),
        None => {}
    }
    let conn = Connection::open(path)?;
    if let Some(k) = key {
        apply(&conn, k)?;
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(conn),
        Err(e) if key.is_some() && e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => Err(Error::WrongKey),
        Err(e) => Err(e.into()),
    }
}

/// Changes the key of the encrypted database on `conn` (see [`open_sqlite`]) to `new`.
pub fn rekey_sqlite(conn: &Connection, new: &StoreKey) -> Result<()> {
    rekey(conn, new)
}

/// The first bytes of a file sealed by [`seal`].
const SEALED_MAGIC: &[u8; 8] = b"SGSEAL1\n";

/// Seals `bytes` under a key derived from `key` (ChaCha20-Poly1305, a random nonce): what a
/// hub writes beside its encrypted store (quarantined payloads) so that no file it writes
/// holds clear text.
pub fn seal(key: &StoreKey, bytes: &[u8]) -> Result<Vec<u8>> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let cipher = chacha20poly1305::ChaCha20Poly1305::new(&sealing_key(key).into());
    let mut nonce = [0u8; 12];
    getrandom::getrandom(&mut nonce).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
    let body = cipher.encrypt(&nonce.into(), bytes).map_err(|_| Error::invalid("sealing failed"))?;
    let mut out = Vec::with_capacity(SEALED_MAGIC.len() + nonce.len() + body.len());
    out.extend_from_slice(SEALED_MAGIC);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Opens what [`seal`] sealed; a wrong key or altered bytes are [`Error::WrongKey`].
pub fn unseal(key: &StoreKey, sealed: &[u8]) -> Result<Vec<u8>> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let rest = sealed.strip_prefix(&SEALED_MAGIC[..]).ok_or_else(|| Error::invalid("not a sealed file"))?;
    if rest.len() < 12 + 16 {
        return Err(Error::invalid("the sealed file is cut short"));
    }
    let (nonce, body) = rest.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().map_err(|_| Error::invalid("the sealed file is cut short"))?;
    let cipher = chacha20poly1305::ChaCha20Poly1305::new(&sealing_key(key).into());
    cipher.decrypt(&nonce.into(), body).map_err(|_| Error::WrongKey)
}

/// Whether `bytes` were written by [`seal`].
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(SEALED_MAGIC)
}

/// The sealing key: a key of its own, derived from the store key, so that one key never
/// serves two ciphers.
fn sealing_key(key: &StoreKey) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"sangam-seal-v1");
    h.update(key.0);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_hex_and_never_prints() {
        let k = StoreKey::generate().unwrap();
        assert_eq!(StoreKey::from_hex(&format!(" {}\n", k.to_hex())).unwrap(), k);
        assert_eq!(format!("{k:?}"), "StoreKey(…)");
        assert!(StoreKey::from_hex("abcd").is_err());
        assert!(StoreKey::from_bytes(&[0u8; 31]).is_err());
    }

    #[test]
    fn sealed_bytes_open_only_with_their_key_and_unaltered() {
        let k = StoreKey::generate().unwrap();
        let sealed = seal(&k, b"Sunita Devi, 9876543210").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(6).any(|w| w == b"Sunita"));
        assert_eq!(unseal(&k, &sealed).unwrap(), b"Sunita Devi, 9876543210");
        assert!(matches!(unseal(&StoreKey::generate().unwrap(), &sealed), Err(Error::WrongKey)));
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(matches!(unseal(&k, &altered), Err(Error::WrongKey)));
        assert!(unseal(&k, &sealed[..20]).is_err());
    }
}
