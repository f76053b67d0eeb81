//! Who is using a store: a person's identity and the role that decides what they may do.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What a user may do: field workers collect and edit their own records; coordinators and
/// admins also review, resolve conflicts and merge (docs/ARCHITECTURE.md, "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    FieldWorker,
    Coordinator,
    Admin,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::FieldWorker => "field-worker",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Result<Role> {
        match s {
            "field-worker" => Ok(Role::FieldWorker),
            "coordinator" => Ok(Role::Coordinator),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::invalid("role must be field-worker, coordinator or admin")),
        }
    }
    /// Coordinators and admins may review, resolve conflicts and merge.
    pub fn can_coordinate(&self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }
}

/// The person using this store; recorded on every change they make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: String,
    pub display_name: String,
    pub role: Role,
}

impl Identity {
    pub fn new(user_id: &str, display_name: &str, role: Role) -> Self {
        Identity { user_id: user_id.into(), display_name: display_name.into(), role }
    }
    pub fn field_worker(user_id: &str, display_name: &str) -> Self {
        Self::new(user_id, display_name, Role::FieldWorker)
    }
    pub fn coordinator(user_id: &str, display_name: &str) -> Self {
        Self::new(user_id, display_name, Role::Coordinator)
    }

    /// Checks that the identity can sign changes: a user id is required, without control
    /// characters (the author encoding uses 0x1f as a separator).
    pub(crate) fn check(&self) -> Result<()> {
        check_identity(self)
    }
}

fn check_identity(id: &Identity) -> Result<()> {
    if id.user_id.trim().is_empty() {
        return Err(Error::invalid("a user id is required"));
    }
    if id.user_id.contains('\u{1f}') {
        return Err(Error::invalid(
            "a user id must not contain control characters",
        ));
    }
    Ok(())
}
