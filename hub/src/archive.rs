//! Exports packed into one ZIP file: photos and audio stored as they are, text deflated, and,
//! when a password is given, every entry encrypted with AES-256 (WinZip AE-2; 7-Zip, WinRAR and
//! macOS Archive Utility open it with the password).

use std::io::Write;
use std::path::Path;

use crate::HubError;

/// Shortest password an encrypted export takes.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Refuses a password too short to protect an export.
pub fn check_password(password: &str) -> Result<(), HubError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(HubError::Usage(format!("an export password has at least {MIN_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

/// Writes every file under `dir` into a ZIP at `to`, under the folder `root`; photos and
/// audio are stored as they are, text is deflated; with `password`, every entry is encrypted.
pub fn zip_dir(dir: &Path, to: &Path, root: &str, password: Option<&str>) -> Result<(), HubError> {
    if let Some(p) = password {
        check_password(p)?;
    }
    let mut file = sangam_core::files::AtomicFile::create(to)?;
    {
        let mut z = zip::ZipWriter::new(file.file().try_clone()?);
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&d)?.flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let rel = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                let text = rel.ends_with(".csv") || rel.ends_with(".jsonl");
                let method = if text { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
                let options = zip::write::SimpleFileOptions::default().compression_method(method).unix_permissions(0o600).large_file(true);
                let options = match password {
                    Some(p) => options.with_aes_encryption(zip::AesMode::Aes256, p),
                    None => options,
                };
                z.start_file(format!("{root}/{rel}"), options).map_err(|e| HubError::Usage(format!("the ZIP file could not be written: {e}")))?;
                let mut src = std::fs::File::open(&path)?;
                std::io::copy(&mut src, &mut z)?;
            }
        }
        let mut inner = z.finish().map_err(|e| HubError::Usage(format!("the ZIP file could not be written: {e}")))?;
        inner.flush()?;
    }
    file.commit(true)?;
    Ok(())
}

