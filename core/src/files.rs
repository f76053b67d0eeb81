//! Writing files that hold personal data: private modes, no following of planted links, and
//! never over a live database.
//!
//! Every file the core or the hub writes (stores, bundles, exports, quarantined payloads) goes
//! through here. On Unix, directories are made 0700 and files 0600, so another account on a
//! shared office laptop reads nothing. A file is written under a fresh temporary name made
//! with `O_CREAT | O_EXCL` (a symlink planted at the temporary name is never followed), synced,
//! and renamed over its target, so a crash leaves the old file or the new one, never half.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Makes `dir` and its missing parents, the new ones private (0700 on Unix).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates a new file that must not exist yet (a symlink in its place is an error, not
/// followed), readable and writable by its owner only.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Makes an existing file private (0600 on Unix); a no-op elsewhere.
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Why `path` may not be replaced, if it may not: a symlink, something other than a regular
/// file, or an SQLite database (a store, or a hub's device registry).
pub fn refuse_target(path: &Path) -> Option<String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return None,
    };
    if meta.file_type().is_symlink() {
        return Some(format!(
            "{} is a symbolic link; write to a plain path",
            path.display()
        ));
    }
    if !meta.is_file() {
        return Some(format!(
            "{} exists and is not a regular file",
            path.display()
        ));
    }
    let mut head = [0u8; 16];
    if let Ok(mut f) = File::open(path) {
        use std::io::Read;
        if f.read_exact(&mut head).is_ok() && &head == SQLITE_MAGIC {
            return Some(format!(
                "{} is a database (a store?); refusing to overwrite it",
                path.display()
            ));
        }
    }
    None
}

/// A file being written under a temporary name beside its target, renamed over the target by
/// [`AtomicFile::commit`]; dropped uncommitted, the temporary file is removed.
pub struct AtomicFile {
    tmp: PathBuf,
    path: PathBuf,
    file: Option<File>,
}

impl AtomicFile {
    /// Starts writing `path`. Refuses a target that [`refuse_target`] refuses.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        if let Some(why) = refuse_target(path) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} names no file", path.display()),
                )
            })?
            .to_string_lossy()
            .into_owned();
        private_dir(&dir)?;
        // A fresh name each time: a leftover or planted `NAME.partial` is never reused.
        for _ in 0..16 {
            let tmp = dir.join(format!(".{name}.{}.partial", uuid::Uuid::new_v4().simple()));
            match create_new_private(&tmp) {
                Ok(file) => {
                    return Ok(AtomicFile {
                        tmp,
                        path: path.to_path_buf(),
                        file: Some(file),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "cannot find a free temporary name",
        ))
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until committed")
    }

    /// Syncs the data (when `durable`) and renames the file into place.
    pub fn commit(mut self, durable: bool) -> io::Result<PathBuf> {
        let file = self.file.take().expect("open until committed");
        if durable {
            file.sync_all()?;
        }
        drop(file);
        // Checked again: the target may have been swapped for a link while we wrote.
        if let Some(why) = refuse_target(&self.path) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        }
        std::fs::rename(&self.tmp, &self.path)?;
        #[cfg(unix)]
        if durable {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
        }
        Ok(std::mem::take(&mut self.path))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` atomically and privately (see [`AtomicFile`]), synced to disk.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.file().write_all(bytes)?;
    f.commit(true)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_privately_and_refuses_links_and_databases() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub/b.bundle");
        write_private(&out, b"one").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(out.parent().unwrap())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
            // A planted link at the old temporary name and at the target: neither is followed.
            let victim = dir.path().join("victim");
            std::fs::write(&victim, b"keep").unwrap();
            std::os::unix::fs::symlink(&victim, dir.path().join("sub/b.bundle.partial")).unwrap();
            write_private(&out, b"two").unwrap();
            assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
            let link = dir.path().join("link.bundle");
            std::os::unix::fs::symlink(&victim, &link).unwrap();
            assert!(write_private(&link, b"x").is_err());
            assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        }
        let db = dir.path().join("hub.db");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE t(x);")
            .unwrap();
        let e = write_private(&db, b"x").unwrap_err().to_string();
        assert!(e.contains("database"), "{e}");
        assert!(rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
            .is_ok());
        // Nothing left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            left.iter()
                .all(|n| !n.to_string_lossy().ends_with(".partial") || n == "b.bundle.partial"),
            "{left:?}"
        );
    }
}
