//! The key a hub keeps its data under (ADR 0013): given as a key file (`--key-file`, or
//! `SANGAM_HUB_KEY_FILE`) or as 64 hexadecimal digits in `SANGAM_HUB_KEY`, never stored in the
//! data directory. With a key, every database the hub keeps (`hub.db`, `devices.db`,
//! `console.db`) is encrypted, a clear one on its first open with the key, and quarantined
//! payloads are sealed.

use std::path::Path;
use std::sync::OnceLock;

use sangam_core::StoreKey;

use crate::HubError;

static KEY: OnceLock<Option<StoreKey>> = OnceLock::new();

/// Sets the process's data key; the first call wins (the command line sets it once, before
/// any store opens).
pub fn set(key: Option<StoreKey>) {
    let _ = KEY.set(key);
}

/// Resolves the data key from `--key-file` (`file`) or the environment and sets it: what the
/// command line does before anything else, so that a key that was meant but cannot be read
/// stops the hub instead of leaving its data clear.
pub fn init(file: Option<&Path>) -> Result<(), HubError> {
    let key = match file {
        Some(f) => Some(read_file(f)?),
        None => from_env()?,
    };
    set(key);
    Ok(())
}

/// The data key, if the hub runs with one. Never set (a library user), it is read from the
/// environment.
pub fn get() -> Option<&'static StoreKey> {
    KEY.get_or_init(|| {
        from_env().unwrap_or_else(|e| {
            tracing::error!(error = %e, "the data key in the environment is unusable");
            None
        })
    })
    .as_ref()
}

/// The key from `SANGAM_HUB_KEY_FILE` or `SANGAM_HUB_KEY`, if either is set.
pub fn from_env() -> Result<Option<StoreKey>, HubError> {
    if let Some(file) = std::env::var_os("SANGAM_HUB_KEY_FILE").filter(|f| !f.is_empty()) {
        return read_file(Path::new(&file)).map(Some);
    }
    match std::env::var("SANGAM_HUB_KEY") {
        Ok(hex) if !hex.trim().is_empty() => Ok(Some(StoreKey::from_hex(&hex)?)),
        _ => Ok(None),
    }
}

/// Reads a key file: 64 hexadecimal digits. A file others can read is refused.
pub fn read_file(path: &Path) -> Result<StoreKey, HubError> {
    let text = std::fs::read_to_string(path).map_err(|e| HubError::Usage(format!("cannot read the key file {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(HubError::Usage(format!(
                "the key file {} can be read by others (mode {:o}); make it private with chmod 600",
                path.display(),
                mode & 0o777
            )));
        }
    }
    StoreKey::from_hex(&text).map_err(|e| HubError::Usage(format!("the key file {}: {e}", path.display())))
}

/// Writes a new random key to `path` (private, refusing to replace a file).
pub fn write_new(path: &Path) -> Result<StoreKey, HubError> {
    use std::io::Write;
    let key = StoreKey::generate()?;
    let mut f = sangam_core::files::create_new_private(path)
        .map_err(|e| HubError::Usage(format!("cannot create the key file {}: {e}", path.display())))?;
    writeln!(f, "{}", key.to_hex())?;
    f.sync_all()?;
    Ok(key)
}

/// Writes `bytes` to `path` privately: sealed under the data key when the hub has one.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), HubError> {
    write_private_under(path, bytes, get())
}

/// As [`write_private`], under `key`.
pub fn write_private_under(path: &Path, bytes: &[u8], key: Option<&StoreKey>) -> Result<(), HubError> {
    match key {
        Some(k) => sangam_core::files::write_private(path, &sangam_core::store::key::seal(k, bytes)?)?,
        None => sangam_core::files::write_private(path, bytes)?,
    }
    Ok(())
}

/// Reads a file [`write_private_under`] wrote (unsealing it under `key` when it is sealed).
pub fn read_private_under(path: &Path, key: Option<&StoreKey>) -> Result<Vec<u8>, HubError> {
    let bytes = std::fs::read(path)?;
    if sangam_core::store::key::is_sealed(&bytes) {
        let k = key.ok_or_else(|| HubError::Usage(format!("{} is sealed; give the hub its key", path.display())))?;
        return Ok(sangam_core::store::key::unseal(k, &bytes)?);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantined_payload_is_sealed_under_the_data_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = StoreKey::generate().unwrap();
        let payload = b"a record naming Sunita Kumari Devi, 9876501234".to_vec();
        let sealed = dir.path().join("quarantine/1-asha.bin");
        write_private_under(&sealed, &payload, Some(&key)).unwrap();
        let on_disk = std::fs::read(&sealed).unwrap();
        assert!(!on_disk.windows(6).any(|w| w == b"Sunita") && !on_disk.windows(10).any(|w| w == b"9876501234"));
        assert_eq!(read_private_under(&sealed, Some(&key)).unwrap(), payload);
        assert!(read_private_under(&sealed, None).is_err());
        assert!(read_private_under(&sealed, Some(&StoreKey::generate().unwrap())).is_err());
        // Without a key the payload stays as it came (private, for inspection).
        let clear = dir.path().join("quarantine/2-asha.bin");
        write_private_under(&clear, &payload, None).unwrap();
        assert_eq!(std::fs::read(&clear).unwrap(), payload);
    }

    #[test]
    fn a_key_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.key");
        let key = write_new(&path).unwrap();
        assert_eq!(read_file(&path).unwrap(), key);
        assert!(write_new(&path).is_err(), "an existing key file is never replaced");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = read_file(&path).unwrap_err().to_string();
            assert!(e.contains("chmod 600"), "{e}");
        }
    }
}

/// Re-encrypts every database in `data` (under the current key) under `new`, and reseals the
/// quarantined payloads. Returns the files done. The hub must be stopped.
pub fn rotate(data: &Path, new: &StoreKey) -> Result<Vec<String>, HubError> {
    let old = get().ok_or_else(|| HubError::Usage("the hub has no data key to rotate".into()))?;
    let mut done = Vec::new();
    let store = crate::open_store(data)?;
    store.rekey(new)?;
    drop(store);
    done.push("hub.db".to_string());
    for name in ["devices.db", "console.db"] {
        let path = data.join(name);
        if path.exists() {
            let conn = sangam_core::store::key::open_sqlite(&path, Some(old))?;
            sangam_core::store::key::rekey_sqlite(&conn, new)?;
            done.push(name.to_string());
        }
    }
    if let Ok(entries) = std::fs::read_dir(data.join("quarantine")) {
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path())?;
            if sangam_core::store::key::is_sealed(&bytes) {
                let clear = sangam_core::store::key::unseal(old, &bytes)?;
                sangam_core::files::write_private(&e.path(), &sangam_core::store::key::seal(new, &clear)?)?;
            }
        }
        done.push("quarantine".to_string());
    }
    Ok(done)
}
