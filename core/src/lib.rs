//! `sangam-core`: the record store of Sangam, an offline-first field-data system.
//!
//! Every record (a survey response, a household, a coalition meeting, an action item) is an
//! Automerge document persisted in SQLite by [`Store`]. Concurrent edits merge; concurrent
//! writes to one field are kept and shown as conflicts ([`Store::conflicts`]); nothing a field
//! worker typed is lost to a crash, a duplicate delivery or a hostile peer.
//!
//! Start with [`Store::open`]; see `docs/ARCHITECTURE.md` for the layers.

pub mod chunks;
pub mod credential;
pub mod doc;
mod error;
pub mod export;
pub mod files;
pub mod forms;
pub mod incoming;
pub mod media;
pub mod policy;
pub mod model;
pub mod record;
pub mod sign;
pub mod store;
pub mod sync;
mod value;

pub use doc::{ChangeAuthor, ConflictValue, FieldConflict, HistoryEntry};
pub use error::{Error, Result};
pub use export::{ExportOptions, ExportProgress, ExportReport, ExportedFile};
pub use forms::{FormDefinition, FormState, InspectReport, LiveForm};
pub use model::action::{Action, ActionFilter, ActionStatus, ActionUpdate, NewAction};
pub use record::duplicates::{
    ConflictedAttr, DuplicateCandidate, DuplicateOptions, MatchReason, MergeFollowUp, MergeRecord,
    MergeReport, UnmergeReport,
};
pub use record::form::{LeftOut, MigrationReport, ValidationReport};
pub use model::meeting::{Attendee, Decision, Meeting, NewAttendee, NewMeeting};
pub use model::response::{NewResponse, RepeatRow, Response, ResponseFilter, ResponseStatus};
pub use model::review::{Review, ReviewComment, ReviewEvent, ReviewFilter, ReviewItem, ReviewState};
pub use record::conflicts::{field_value_from_json, RecordConflicts};
pub use model::subject::{NewSubject, Subject, SubjectQuery};
pub use model::checks::{iso_utc, now_ms};
pub use model::{Identity, Kind, RecordSummary, Role};
pub use store::{ApplyOutcome, DayCount, Overview, ResponsePage, ResponseQuery, ResponseRow, ResponseSort, Store, StoreKey, SyncFailure, SyncStatus};
pub use value::FieldValue;
