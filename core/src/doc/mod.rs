//! Helpers over Automerge documents, one concept per file: the panic guard around untrusted
//! bytes, validation of those bytes, authors, heads, typed reads and writes of fields, conflict
//! listing, JSON rendering and history.
//!
//! Automerge 0.12 panics on some malformed input whose checksums are valid (see
//! docs/LIMITS.md). Every call that touches bytes from outside this store runs inside
//! [`guard`], on a copy of the live document, so a panic becomes an error and the live document
//! stays as it was.

mod authors;
mod conflicts;
mod guard;
mod heads;
mod history;
mod json;
mod read;
mod validate;
mod write;

pub use authors::ChangeAuthor;
pub(crate) use authors::*;
pub use conflicts::{ConflictValue, FieldConflict};
pub(crate) use conflicts::*;
pub(crate) use guard::guard;
pub(crate) use heads::*;
pub use history::HistoryEntry;
pub(crate) use history::*;
pub(crate) use json::*;
pub(crate) use read::*;
pub(crate) use validate::*;
pub(crate) use write::*;
