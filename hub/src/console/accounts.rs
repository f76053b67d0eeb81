//! Console accounts and sessions, kept in `DATA/console.db`.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes);
//! sessions are random 32-byte tokens of which only a SHA-256 hash is stored, each with its own
//! CSRF token. A session ends after [`SESSION_IDLE_MS`] without use or [`SESSION_MAX_MS`] in
//! all; `logout everywhere` deletes every session of the user. Failed sign-ins are counted per
//! account and per client address ([`Limiter`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use sangam_core::{now_ms, Role};

use crate::HubError;

/// A session unused this long ends.
pub const SESSION_IDLE_MS: i64 = 12 * 3600 * 1000;
/// No session lasts longer than this.
pub const SESSION_MAX_MS: i64 = 7 * 24 * 3600 * 1000;
/// Failed sign-ins allowed per account, and per client address, within [`LOCK_WINDOW`].
pub const FAILS_PER_USER: usize = 5;
pub const FAILS_PER_ADDRESS: usize = 20;
pub const LOCK_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A console user as listed (never with the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub name: String,
    pub display: String,
    pub role: Role,
    /// The scopes a coordinator sees; an admin sees every scope (`None`).
    pub scopes: Option<Vec<String>>,
    pub disabled: bool,
}

impl User {
    /// Whether this user may see records of `scope`.
    pub fn sees(&self, scope: &str) -> bool {
        self.scopes.as_ref().is_none_or(|s| s.iter().any(|x| x == scope))
    }
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

pub struct Accounts {
    conn: Mutex<Connection>,
    /// A hash verified when the account does not exist, so both take as long.
    dummy: String,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    hex::encode(raw)
}

fn hash_password(pw: &str) -> Result<String, HubError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::Usage(format!("cannot hash the password: {e}")))
}

fn verify(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

fn check_name(name: &str) -> Result<(), HubError> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c)) {
        return Err(HubError::Usage("a user name is 1-64 letters, digits, '-', '_', '.' or '@'".into()));
    }
    Ok(())
}

impl Accounts {
    pub fn open(dir: &Path) -> Result<Accounts, HubError> {
        sangam_core::files::private_dir(dir)?;
        let conn = sangam_core::store::key::open_sqlite(&dir.join("console.db"), crate::datakey::get())?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS users (
                name TEXT PRIMARY KEY,
                display TEXT NOT NULL,
                role TEXT NOT NULL,
                scopes TEXT,                 -- JSON list; NULL: every scope (admins)
                hash TEXT NOT NULL,          -- Argon2id PHC string
                created_ms INTEGER NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE IF NOT EXISTS sessions (
                token_hash BLOB PRIMARY KEY,
                user TEXT NOT NULL,
                csrf TEXT NOT NULL,
                created_ms INTEGER NOT NULL,
                seen_ms INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);",
        )?;
        Ok(Accounts { conn: Mutex::new(conn), dummy: hash_password("not a password")? })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds (or, with `replace`, resets) an account. Coordinators need scopes; admins see all.
    pub fn add(&self, name: &str, display: &str, role: Role, scopes: &[String], password: &str, replace: bool) -> Result<(), HubError> {
        check_name(name)?;
        if password.chars().count() < 10 {
            return Err(HubError::Usage("a console password is at least 10 characters".into()));
        }
        let scopes = match role {
            Role::FieldWorker => {
                return Err(HubError::Usage("console accounts are for coordinators and admins; field workers use their phones".into()))
            }
            Role::Coordinator if scopes.is_empty() => return Err(HubError::Usage("a coordinator needs at least one --scope".into())),
            Role::Coordinator => Some(serde_json::to_string(scopes)?),
            Role::Admin => None,
        };
        let hash = hash_password(password)?;
        let display = if display.trim().is_empty() { name } else { display.trim() };
        let c = self.lock();
        let exists: bool = c.query_row("SELECT count(*) FROM users WHERE name = ?1", [name], |r| r.get::<_, i64>(0))? > 0;
        if exists && !replace {
            return Err(HubError::Usage(format!("a user named '{name}' exists; pass --replace to reset it")));
        }
        c.execute(
            "INSERT INTO users(name, display, role, scopes, hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(name) DO UPDATE SET display = ?2, role = ?3, scopes = ?4, hash = ?5, disabled = 0",
            params![name, display, role.as_str(), scopes, hash, now_ms()],
        )?;
        // A reset password ends every session the old one opened.
        c.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
        Ok(())
    }

    pub fn list(&self) -> Result<Vec<User>, HubError> {
        let c = self.lock();
        let mut st = c.prepare("SELECT name, display, role, scopes, disabled FROM users ORDER BY name")?;
        let rows = st.query_map([], user_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Disables an account and ends its sessions.
    pub fn disable(&self, name: &str) -> Result<(), HubError> {
        let c = self.lock();
        if c.execute("UPDATE users SET disabled = 1 WHERE name = ?1", [name])? == 0 {
            return Err(HubError::Usage(format!("no user named '{name}'")));
        }
        c.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
        Ok(())
    }

    /// The account, if `password` is its password and it is not disabled. Takes as long for
    /// an unknown name as for a wrong password.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, HubError> {
        let row: Option<(User, String)> = {
            let c = self.lock();
            c.query_row("SELECT name, display, role, scopes, disabled, hash FROM users WHERE name = ?1", [name], |r| {
                Ok((user_from_row(r)?, r.get(5)?))
            })
            .optional()?
        };
        match row {
            Some((user, hash)) => Ok((verify(password, &hash) && !user.disabled).then_some(user)),
            None => {
                let _ = verify(password, &self.dummy);
                Ok(None)
            }
        }
    }

    /// Opens a session; returns its token (for the cookie) and the session.
    pub fn open_session(&self, user: User) -> Result<(String, Session), HubError> {
        let token = random_token();
        let csrf = random_token();
        let now = now_ms();
        let c = self.lock();
        c.execute(
            "INSERT INTO sessions(token_hash, user, csrf, created_ms, seen_ms) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![token_hash(&token), user.name, csrf, now],
        )?;
        // Expired sessions go whenever someone signs in.
        c.execute("DELETE FROM sessions WHERE seen_ms < ?1 OR created_ms < ?2", params![now - SESSION_IDLE_MS, now - SESSION_MAX_MS])?;
        Ok((token, Session { user, csrf }))
    }

    /// The live session a cookie's token names (and its use recorded).
    pub fn session(&self, token: &str) -> Result<Option<Session>, HubError> {
        let now = now_ms();
        let h = token_hash(token);
        let c = self.lock();
        let row: Option<(User, String, i64, i64)> = c
            .query_row(
                "SELECT u.name, u.display, u.role, u.scopes, u.disabled, s.csrf, s.created_ms, s.seen_ms
                 FROM sessions s JOIN users u ON u.name = s.user WHERE s.token_hash = ?1",
                [&h],
                |r| Ok((user_from_row(r)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .optional()?;
        let Some((user, csrf, created, seen)) = row else { return Ok(None) };
        if user.disabled || seen < now - SESSION_IDLE_MS || created < now - SESSION_MAX_MS {
            c.execute("DELETE FROM sessions WHERE token_hash = ?1", [&h])?;
            return Ok(None);
        }
        if now - seen > 60_000 {
            c.execute("UPDATE sessions SET seen_ms = ?2 WHERE token_hash = ?1", params![&h, now])?;
        }
        Ok(Some(Session { user, csrf }))
    }

    pub fn close_session(&self, token: &str) -> Result<(), HubError> {
        self.lock().execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash(token)])?;
        Ok(())
    }

    /// Ends every session of `user` (on every browser).
    pub fn close_all(&self, user: &str) -> Result<usize, HubError> {
        Ok(self.lock().execute("DELETE FROM sessions WHERE user = ?1", [user])?)
    }
}

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    let scopes: Option<String> = r.get(3)?;
    let role = Role::parse(&role).unwrap_or(Role::Coordinator);
    Ok(User {
        name: r.get(0)?,
        display: r.get(1)?,
        // An account whose scopes cannot be read sees nothing, not everything.
        scopes: match (role, scopes) {
            (Role::Admin, None) => None,
            (_, Some(s)) => Some(serde_json::from_str(&s).unwrap_or_default()),
            (_, None) => Some(Vec::new()),
        },
        role,
        disabled: r.get::<_, i64>(4)? != 0,
    })
}

/// Failed sign-ins per key (an account or a client address) within [`LOCK_WINDOW`].
#[derive(Default)]
pub struct Limiter(Mutex<HashMap<String, Vec<Instant>>>);

impl Limiter {
    /// How long until `key` may try again, if it has used up `allowed` failures.
    pub fn locked(&self, key: &str, allowed: usize) -> Option<Duration> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let list = m.get_mut(key)?;
        list.retain(|t| t.elapsed() < LOCK_WINDOW);
        if list.len() < allowed {
            return None;
        }
        list.first().map(|t| LOCK_WINDOW.saturating_sub(t.elapsed()))
    }

    pub fn fail(&self, key: &str) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, l| l.iter().any(|t| t.elapsed() < LOCK_WINDOW));
        }
        m.entry(key.to_string()).or_default().push(Instant::now());
    }

    pub fn clear(&self, key: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}
