//! Where this store stands with the stores it syncs with: the hub it last synced with and
//! its cursor there (`sync_state`), the scopes that hub enrolled it for, how its last syncs
//! went (kept across restarts, for a sync status a person understands), and, on a hub, the
//! secret that seals the cursors it hands out.

use rusqlite::{params, OptionalExtension};

use super::{Inner, Store};
use crate::model::checks::now_ms;
use crate::Result;

/// The `sync_state` row of this device's hub.
pub const UPSTREAM: &str = "upstream";

/// Where a device stands with its hub.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Upstream {
    /// The hub's store id (`None` before the first sync).
    pub(crate) hub_store: Option<String>,
    /// The (sealed) cursor the hub last gave.
    pub(crate) cursor: i64,
    /// The hub's token naming that cursor's position.
    pub(crate) token: Option<[u8; 8]>,
}

impl Inner {
    /// Records where this device now stands with its hub.
    pub(crate) fn save_upstream(&self, up: &Upstream) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_state(peer, peer_store, cursor, token, updated_at) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(peer) DO UPDATE SET peer_store = ?2, cursor = ?3, token = ?4, updated_at = ?5",
            params![UPSTREAM, up.hub_store, up.cursor, up.token.map(|t| t.to_vec()), now_ms()],
        )?;
        Ok(())
    }

    /// Records the scopes the hub enrolled this device for (kept in memory too).
    pub(crate) fn set_enrolled(&mut self, scopes: &[String]) -> Result<()> {
        if self.enrolled.as_deref() != Some(scopes) {
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('enrolled_scopes', ?1)",
                [serde_json::to_vec(scopes)?],
            )?;
            self.enrolled = Some(scopes.to_vec());
        }
        Ok(())
    }

    /// Records the public key of this device's hub (its bundles are known by it).
    pub(crate) fn set_hub_key(&self, key: &crate::sign::PublicKey) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO meta(key, value) VALUES ('hub_key', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1 WHERE value IS NOT ?1")?
            .execute([&key[..]])?;
        Ok(())
    }

    /// This hub's secret for sealing cursors, made on first use.
    pub(crate) fn cursor_key(&self) -> Result<[u8; 32]> {
        let found: Option<Vec<u8>> =
            self.conn.query_row("SELECT value FROM meta WHERE key = 'cursor_key'", [], |r| r.get(0)).optional()?;
        if let Some(k) = found.and_then(|k| <[u8; 32]>::try_from(k).ok()) {
            return Ok(k);
        }
        let mut k = [0u8; 32];
        k[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        k[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('cursor_key', ?1)", [&k[..]])?;
        Ok(k)
    }
}

impl Store {
    /// The hub store that has registered this device's key (it proved the key in a request the
    /// hub answered), so later requests to it need not carry the proof.
    #[cfg(feature = "client")]
    pub(crate) fn proved_to(&self) -> Result<Option<String>> {
        self.read(|c| {
            let v: Option<Vec<u8>> = c.query_row("SELECT value FROM meta WHERE key = 'proved_to'", [], |r| r.get(0)).optional()?;
            Ok(v.and_then(|v| String::from_utf8(v).ok()))
        })
    }

    #[cfg(feature = "client")]
    pub(crate) fn set_proved_to(&self, hub_store: &str) -> Result<()> {
        self.read(|c| {
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('proved_to', ?1)", [hub_store.as_bytes()])?;
            Ok(())
        })
    }

    /// The public key of the hub this device last synced with (`None` before the first sync).
    pub fn hub_key(&self) -> Result<Option<crate::sign::PublicKey>> {
        self.read(|c| {
            let k: Option<Vec<u8>> = c.query_row("SELECT value FROM meta WHERE key = 'hub_key'", [], |r| r.get(0)).optional()?;
            Ok(k.and_then(|k| k.try_into().ok()))
        })
    }

    /// Where this device stands with its hub.
    pub(crate) fn upstream(&self) -> Result<Upstream> {
        self.read(|c| {
            let row: Option<(Option<String>, i64, Option<Vec<u8>>)> = c
                .query_row("SELECT peer_store, cursor, token FROM sync_state WHERE peer = ?1", [UPSTREAM], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            Ok(match row {
                Some((hub_store, cursor, token)) => Upstream { hub_store, cursor, token: token.and_then(|t| t.try_into().ok()) },
                None => Upstream::default(),
            })
        })
    }
}

/// How this device's syncs with its hub have gone, kept across restarts: when one last
/// finished, and the failure since then, if any (a sync that finishes clears it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncStatus {
    pub last_ok_ms: Option<i64>,
    pub last_failure: Option<SyncFailure>,
}

/// A sync that did not finish: when, what kind of trouble, and the message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncFailure {
    pub at_ms: i64,
    /// `network` (the hub could not be reached or the link broke), `auth` (the hub no longer
    /// knows this device: re-enrol), `forbidden`, `incompatible` (update the app), `storage`
    /// (this device's own storage), `other`.
    pub kind: String,
    pub message: String,
}

fn failure_kind(e: &crate::Error) -> &'static str {
    use crate::Error::*;
    match e {
        Network(_) => "network",
        Auth(_) => "auth",
        Forbidden(_) => "forbidden",
        Incompatible(_) | SchemaTooNew { .. } => "incompatible",
        Sqlite(_) | Io(_) | Corrupt { .. } | WrongKey | KeyNeeded => "storage",
        _ => "other",
    }
}

impl Store {
    /// How the last syncs went (see [`SyncStatus`]).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        self.read(|c| {
            let get = |key: &str| -> rusqlite::Result<Option<Vec<u8>>> {
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()
            };
            let last_ok_ms = get("last_sync_ok")?.and_then(|v| String::from_utf8(v).ok()).and_then(|v| v.parse().ok());
            let last_failure = get("last_sync_failure")?.and_then(|v| serde_json::from_slice(&v).ok());
            Ok(SyncStatus { last_ok_ms, last_failure })
        })
    }

    /// Keeps how a sync ended: a finished one clears the failure; a cancelled one (the person
    /// stopped it) changes nothing.
    pub(crate) fn note_sync_outcome<T>(&self, outcome: &Result<T>) -> Result<()> {
        let g = self.lock();
        match outcome {
            Ok(_) => {
                g.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('last_sync_ok', ?1)", [now_ms().to_string().as_bytes()])?;
                g.conn.execute("DELETE FROM meta WHERE key = 'last_sync_failure'", [])?;
            }
            Err(crate::Error::Cancelled) => {}
            Err(e) => {
                let f = SyncFailure { at_ms: now_ms(), kind: failure_kind(e).to_string(), message: e.to_string().chars().take(500).collect() };
                g.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('last_sync_failure', ?1)", [serde_json::to_vec(&f)?])?;
            }
        }
        Ok(())
    }
}
