//! Enrolled devices: who may sync with this hub, for which scopes, in which role.
//!
//! Kept in `DATA/devices.db`, apart from the records. Only a SHA-256 hash of each token is
//! stored; a presented token is hashed, looked up, and compared in constant time.

use std::path::Path;
use std::sync::Mutex;

use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use sangam_core::sync::PeerInfo;
use sangam_core::Role;

use crate::HubError;

/// An enrolled device as listed to an admin (never with its token).
#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub name: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub created_ms: i64,
    pub revoked: bool,
    pub last_seen_ms: Option<i64>,
}

pub struct Devices {
    conn: Mutex<Connection>,
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

use sangam_core::now_ms;

impl Devices {
    pub fn open(dir: &Path) -> Result<Devices, HubError> {
        sangam_core::files::private_dir(dir)?;
        // Token hashes and enrolments: private from the first byte (SQLite gives the WAL the
        // same mode), and encrypted when the hub has a data key.
        let conn = sangam_core::store::key::open_sqlite(&dir.join("devices.db"), crate::datakey::get())?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS devices (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                scopes TEXT NOT NULL,
                token_hash BLOB NOT NULL UNIQUE,
                created_ms INTEGER NOT NULL,
                revoked INTEGER NOT NULL DEFAULT 0,
                last_seen_ms INTEGER
            );",
        )?;
        Ok(Devices {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Enrols a device; returns its token (shown once, never stored).
    pub fn add(&self, name: &str, role: Role, scopes: &[String]) -> Result<String, HubError> {
        if name.trim().is_empty() || name.len() > 100 {
            return Err(HubError::Usage("a device name is 1-100 characters".into()));
        }
        if scopes.is_empty() {
            return Err(HubError::Usage(
                "a device needs at least one --scope".into(),
            ));
        }
        for s in scopes {
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(HubError::Usage(format!(
                    "'{s}' is not a scope (letters, digits, '-', '_', '.')"
                )));
            }
        }
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = format!("sgm_{}", hex::encode(raw));
        let c = self.lock();
        let revoked: Option<i64> = c
            .query_row("SELECT revoked FROM devices WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        match revoked {
            Some(0) => {
                return Err(HubError::Usage(format!(
                    "a device named '{name}' is enrolled; revoke it first ('sangam-hub device revoke') or pick another name"
                )))
            }
            // A revoked name is enrolled afresh: new token, role and scopes; the old token
            // stays dead because its hash is gone.
            Some(_) => {
                c.execute(
                    "UPDATE devices SET role = ?2, scopes = ?3, token_hash = ?4, created_ms = ?5, revoked = 0, last_seen_ms = NULL
                     WHERE name = ?1",
                    params![name, role.as_str(), serde_json::to_string(scopes)?, hash(&token), now_ms()],
                )?;
            }
            None => {
                c.execute(
                    "INSERT INTO devices(name, role, scopes, token_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![name, role.as_str(), serde_json::to_string(scopes)?, hash(&token), now_ms()],
                )?;
            }
        }
        Ok(token)
    }

    pub fn list(&self) -> Result<Vec<Device>, HubError> {
        let c = self.lock();
        let mut st = c.prepare("SELECT name, role, scopes, created_ms, revoked, last_seen_ms FROM devices ORDER BY name")?;
        let rows = st.query_map([], |r| {
            let scopes: String = r.get(2)?;
            Ok(Device {
                name: r.get(0)?,
                role: r.get(1)?,
                scopes: serde_json::from_str(&scopes).unwrap_or_default(),
                created_ms: r.get(3)?,
                revoked: r.get::<_, i64>(4)? != 0,
                last_seen_ms: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke(&self, name: &str) -> Result<(), HubError> {
        let n = self
            .lock()
            .execute("UPDATE devices SET revoked = 1 WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(HubError::Usage(format!("no device named '{name}'")));
        }
        Ok(())
    }

    /// The enrolled, unrevoked device holding `token`.
    pub fn authenticate(&self, token: &str) -> Result<Option<PeerInfo>, HubError> {
        let h = hash(token);
        let c = self.lock();
        let row: Option<(String, String, String, Vec<u8>, i64)> = c
            .query_row(
                "SELECT name, role, scopes, token_hash, revoked FROM devices WHERE token_hash = ?1",
                [&h],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((name, role, scopes, stored, revoked)) = row else {
            return Ok(None);
        };
        if !bool::from(stored.ct_eq(&h)) || revoked != 0 {
            return Ok(None);
        }
        let _ = c.execute(
            "UPDATE devices SET last_seen_ms = ?2 WHERE name = ?1",
            params![name, now_ms()],
        );
        Ok(Some(PeerInfo::new(name, Role::parse(&role).map_err(|e| HubError::Usage(e.to_string()))?, serde_json::from_str(&scopes)?)))
    }

    /// The enrolment of device `name` (for checking a bundle it sent).
    pub fn peer(&self, name: &str) -> Result<PeerInfo, HubError> {
        let c = self.lock();
        let row: Option<(String, String, i64)> = c
            .query_row(
                "SELECT role, scopes, revoked FROM devices WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match row {
            Some((_, _, 1)) => Err(HubError::Usage(format!("device '{name}' is revoked"))),
            Some((role, scopes, _)) => {
                Ok(PeerInfo::new(name, Role::parse(&role).map_err(|e| HubError::Usage(e.to_string()))?, serde_json::from_str(&scopes)?))
            }
            None => Err(HubError::Usage(format!("no device named '{name}'"))),
        }
    }
}
