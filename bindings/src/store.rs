//! `SangamStore`: the whole domain API over one device store. One-line bodies; the logic is
//! in `sangam-core`.

use std::collections::HashMap;
use std::sync::Arc;

use sangam_core as core;
use sangam_core::sync::client::SyncOptions;
use sangam_core::Store;

use crate::error::guard;
use crate::sync::{CancelToken, SyncProgressListener};
use crate::views::*;
use crate::ApiError;

/// A device's record store (one SQLite file).
#[derive(uniffi::Object)]
pub struct SangamStore(Store);

type R<T> = Result<T, ApiError>;

impl SangamStore {
    pub(crate) fn core(&self) -> &Store {
        &self.0
    }
}

fn clock() -> core::forms::expr::Clock {
    core::forms::expr::Clock::system()
}

#[uniffi::export]
impl SangamStore {
    /// Opens (or creates) the store at `path`. A corrupt file is moved aside and reported as
    /// `ApiError::Storage`; opening again starts a fresh store.
    #[uniffi::constructor]
    pub fn open(path: String, user: UserInfo) -> R<Arc<Self>> {
        guard(|| Ok(Arc::new(SangamStore(Store::open(path, user.into())?))))
    }

    /// Opens (or creates) the store at `path` encrypted under `key` (32 bytes the platform's
    /// key store holds: Android Keystore, iOS Keychain). A clear store is encrypted in place
    /// first, losing nothing. A wrong key is `ApiError::Key`, with the file left as it was.
    #[uniffi::constructor]
    pub fn open_encrypted(path: String, user: UserInfo, key: Vec<u8>) -> R<Arc<Self>> {
        guard(|| {
            let key = core::StoreKey::from_bytes(&key)?;
            Ok(Arc::new(SangamStore(Store::open_encrypted(path, user.into(), &key)?)))
        })
    }

    /// Whether the store's file is encrypted.
    pub fn is_encrypted(&self) -> R<bool> {
        guard(|| Ok(self.0.is_encrypted()))
    }

    /// Re-encrypts the store under `new_key`. Keep the old key until this returns (a crash
    /// during it leaves the store under the old key).
    pub fn rekey(&self, new_key: Vec<u8>) -> R<()> {
        guard(|| Ok(self.0.rekey(&core::StoreKey::from_bytes(&new_key)?)?))
    }

    /// A store in memory (for tests and previews).
    #[uniffi::constructor]
    pub fn open_in_memory(user: UserInfo) -> R<Arc<Self>> {
        guard(|| Ok(Arc::new(SangamStore(Store::open_in_memory(user.into())?))))
    }

    pub fn device_id(&self) -> R<String> {
        guard(|| Ok(self.0.device_id()))
    }

    pub fn set_user(&self, user: UserInfo) -> R<()> {
        guard(|| Ok(self.0.set_identity(user.into())?))
    }

    /// Writes everything to the main database file (call when the app goes to background).
    pub fn shutdown(&self) -> R<()> {
        guard(|| Ok(self.0.checkpoint()?))
    }

    // ---- subjects ----

    pub fn create_subject(&self, subject_type: String, scope: String, attrs: HashMap<String, AnswerValue>) -> R<String> {
        guard(|| {
            Ok(self.0.create_subject(core::NewSubject { subject_type, scope, attrs: from_map(attrs) })?)
        })
    }

    /// Sets `set` and removes `remove` in one change.
    pub fn update_subject(&self, id: String, set: HashMap<String, AnswerValue>, remove: Vec<String>) -> R<()> {
        guard(|| {
            let mut ch: std::collections::BTreeMap<String, Option<core::FieldValue>> =
                set.into_iter().map(|(k, v)| (k, Some(v.into()))).collect();
            ch.extend(remove.into_iter().map(|k| (k, None)));
            Ok(self.0.update_subject(&id, ch)?)
        })
    }

    pub fn subject(&self, id: String) -> R<SubjectView> {
        guard(|| Ok(self.0.subject(&id)?.into()))
    }

    pub fn search_subjects(&self, query: SubjectSearch) -> R<Vec<RecordRow>> {
        guard(|| Ok(rows(self.0.search_subjects(&query.into())?)))
    }

    // ---- responses and forms ----

    /// Creates a response and starts it as ODK does: questions with a `default` (a literal,
    /// or an expression such as `today()`) get it, saved with the response.
    pub fn create_response(&self, form_id: String, form_version: String, scope: String, subject_id: Option<String>) -> R<String> {
        guard(|| {
            let id = self.0.create_response(core::NewResponse { form_id, form_version, scope, subject_id })?;
            self.0.start_response(&id, clock())?;
            Ok(id)
        })
    }

    /// Saves one answer durably (call on every change: "saved as you go").
    pub fn set_answer(&self, id: String, name: String, value: AnswerValue) -> R<()> {
        guard(|| Ok(self.0.set_answer(&id, &name, &value.into())?))
    }

    pub fn clear_answer(&self, id: String, name: String) -> R<()> {
        guard(|| Ok(self.0.clear_answer(&id, &name)?))
    }

    /// Adds a row to a repeat, with the defaults and `once()` values its form gives a new row.
    pub fn add_repeat_row(&self, id: String, repeat: String) -> R<String> {
        guard(|| Ok(self.0.start_repeat_row(&id, &repeat, None, clock())?))
    }

    /// Adds a row to a repeat inside a repeat, belonging to `parent_row` of `parent_repeat`,
    /// with the defaults and `once()` values its form gives a new row.
    pub fn add_nested_repeat_row(&self, id: String, repeat: String, parent_repeat: String, parent_row: String) -> R<String> {
        guard(|| Ok(self.0.start_repeat_row(&id, &repeat, Some((&parent_repeat, &parent_row)), clock())?))
    }

    pub fn set_row_answer(&self, id: String, repeat: String, row_id: String, name: String, value: Option<AnswerValue>) -> R<()> {
        guard(|| Ok(self.0.set_row_answer(&id, &repeat, &row_id, &name, value.map(Into::into).as_ref())?))
    }

    pub fn remove_repeat_row(&self, id: String, repeat: String, row_id: String) -> R<()> {
        guard(|| Ok(self.0.remove_repeat_row(&id, &repeat, &row_id)?))
    }

    pub fn response(&self, id: String) -> R<ResponseView> {
        guard(|| Ok(response_view(self.0.response(&id)?, self.0.is_unsynced(&id)?)))
    }

    pub fn list_responses(&self, query: ResponseQuery) -> R<Vec<RecordRow>> {
        guard(|| Ok(rows(self.0.list_responses(&query.into())?)))
    }

    /// Published forms this device has (they arrive with sync).
    pub fn list_forms(&self, scope: Option<String>) -> R<Vec<RecordRow>> {
        guard(|| Ok(rows(self.0.list_forms(scope.as_deref())?)))
    }

    /// The live form state of a response in `language` (e.g. "English (en)", "Hindi (hi)").
    pub fn form_state(&self, response_id: String, language: Option<String>) -> R<FormStateView> {
        guard(|| Ok(self.0.response_form_state(&response_id, language.as_deref(), clock())?.into()))
    }

    /// Validates and marks the response submitted; violations are flagged, never dropped.
    pub fn submit_response(&self, response_id: String, language: Option<String>) -> R<ValidationResult> {
        guard(|| Ok(self.0.submit_response(&response_id, language.as_deref(), clock())?.into()))
    }

    /// Moves a draft to the newest version of its form, keeping every answer that still fits.
    pub fn move_draft_to_newest(&self, response_id: String) -> R<MigrationResult> {
        guard(|| Ok(self.0.move_draft_to_newest(&response_id)?.into()))
    }

    // ---- meetings and actions ----

    pub fn create_meeting(&self, m: MeetingInput) -> R<String> {
        guard(|| Ok(self.0.create_meeting(m.into())?))
    }

    pub fn add_agenda_item(&self, id: String, item: String) -> R<()> {
        guard(|| Ok(self.0.add_agenda_item(&id, &item)?))
    }

    pub fn add_attendee(&self, id: String, a: AttendeeInput) -> R<String> {
        guard(|| Ok(self.0.add_attendee(&id, a.into())?))
    }

    pub fn set_attendance(&self, id: String, attendee_id: String, present: bool) -> R<()> {
        guard(|| Ok(self.0.set_attendance(&id, &attendee_id, present)?))
    }

    /// Inserts text into the minutes at `pos` (Unicode code points).
    pub fn minutes_insert(&self, id: String, pos: u64, text: String) -> R<()> {
        guard(|| Ok(self.0.minutes_insert(&id, pos as usize, &text)?))
    }

    pub fn minutes_delete(&self, id: String, pos: u64, len: u64) -> R<()> {
        guard(|| Ok(self.0.minutes_delete(&id, pos as usize, len as usize)?))
    }

    /// Replaces the minutes by a minimal edit (an editor's whole text on each change).
    pub fn minutes_replace(&self, id: String, text: String) -> R<()> {
        guard(|| Ok(self.0.minutes_replace(&id, &text)?))
    }

    pub fn add_decision(&self, id: String, text: String) -> R<String> {
        guard(|| Ok(self.0.add_decision(&id, &text)?))
    }

    pub fn meeting(&self, id: String) -> R<MeetingView> {
        guard(|| Ok(self.0.meeting(&id)?.into()))
    }

    pub fn list_meetings(&self, scope: Option<String>, limit: u32) -> R<Vec<RecordRow>> {
        guard(|| Ok(rows(self.0.list_meetings(scope.as_deref(), limit)?)))
    }

    pub fn create_action(&self, a: ActionInput) -> R<String> {
        guard(|| Ok(self.0.create_action(a.into())?))
    }

    pub fn update_action(&self, id: String, changes: ActionChanges) -> R<()> {
        guard(|| Ok(self.0.update_action(&id, changes.into())?))
    }

    pub fn action(&self, id: String) -> R<ActionView> {
        guard(|| Ok(self.0.action(&id)?.into()))
    }

    pub fn list_actions(&self, query: ActionQuery) -> R<Vec<RecordRow>> {
        guard(|| Ok(rows(self.0.list_actions(&query.into())?)))
    }

    // ---- any record ----

    pub fn delete_record(&self, id: String) -> R<()> {
        guard(|| Ok(self.0.delete_record(&id)?))
    }

    pub fn conflicts(&self, id: String) -> R<Vec<FieldConflictView>> {
        guard(|| Ok(self.0.conflicts(&id)?.into_iter().map(Into::into).collect()))
    }

    /// Resolves a conflict by writing `value` (coordinators only); recorded in history.
    pub fn resolve_conflict(&self, id: String, path: String, value: AnswerValue) -> R<()> {
        guard(|| Ok(self.0.resolve_conflict(&id, &path, &value.into())?))
    }

    /// Resolves a conflict by picking the value at `index` of those listed (coordinators
    /// only); any field, a review or a merge record included. Recorded in history.
    pub fn resolve_conflict_pick(&self, id: String, path: String, index: u32) -> R<()> {
        guard(|| Ok(self.0.resolve_conflict_pick(&id, &path, index as usize)?))
    }

    pub fn history(&self, id: String) -> R<Vec<HistoryEntryView>> {
        guard(|| Ok(self.0.history(&id)?.into_iter().map(Into::into).collect()))
    }

    // ---- sync and bundles ----

    /// Records with changes the hub does not have yet.
    pub fn unsynced_count(&self) -> R<i64> {
        guard(|| Ok(self.0.unsynced_count()?))
    }

    /// When a sync last finished, and the failure since then (kept across restarts).
    pub fn sync_status(&self) -> R<crate::views::SyncStatusView> {
        guard(|| Ok(self.0.sync_status()?.into()))
    }

    /// Syncs with the hub; blocks until done (call from a background thread or WorkManager).
    pub fn sync(&self, hub_url: String, token: String, listener: Option<Arc<dyn SyncProgressListener>>, cancel: Option<Arc<CancelToken>>) -> R<SyncResult> {
        guard(|| {
            let report = |p: &core::sync::SyncProgress| {
                if let Some(l) = &listener {
                    l.on_progress(p.into());
                }
            };
            let opts = SyncOptions { progress: Some(&report), cancel: cancel.as_ref().map(|c| &c.0), ..Default::default() };
            Ok(self.0.sync(&hub_url, &token, &opts)?.into())
        })
    }

    /// A bundle file's bytes: everything (or only what the hub lacks) for carrying by hand.
    pub fn export_bundle(&self, only_unsynced: bool, scopes: Vec<String>) -> R<Vec<u8>> {
        guard(|| Ok(self.0.export_bundle(&core::sync::BundleOptions { scopes, only_unsynced })?))
    }

    /// As `export_bundle`, sealed to this phone's hub (known from its last sync): only that hub
    /// can read the file, and it refuses it if one byte changed. A phone that never synced gets
    /// `ApiError::InvalidInput`.
    pub fn export_sealed_bundle(&self, only_unsynced: bool, scopes: Vec<String>) -> R<Vec<u8>> {
        guard(|| Ok(self.0.export_sealed_bundle(&core::sync::BundleOptions { scopes, only_unsynced })?))
    }

    /// Imports a bundle; a damaged one is refused whole (`ApiError::InvalidInput`).
    pub fn import_bundle(&self, bytes: Vec<u8>) -> R<BundleResult> {
        guard(|| Ok(self.0.import_bundle_on_device(&bytes)?.into()))
    }
}

