//! What a sync or a bundle import reports.

use sangam_core::sync::{BundleReport, SyncProgress, SyncReport};

#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct SyncProgressInfo {
    pub round_trips: u32,
    pub docs_sent: u64,
    pub docs_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl From<&SyncProgress> for SyncProgressInfo {
    fn from(p: &SyncProgress) -> Self {
        SyncProgressInfo {
            round_trips: p.round_trips,
            docs_sent: p.docs_sent,
            docs_received: p.docs_received,
            bytes_sent: p.bytes_sent,
            bytes_received: p.bytes_received,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Rejected {
    pub id: String,
    pub reason: String,
}

fn rejected(r: Vec<(String, String)>) -> Vec<Rejected> {
    r.into_iter().map(|(id, reason)| Rejected { id, reason }).collect()
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncResult {
    pub progress: SyncProgressInfo,
    pub rejected: Vec<Rejected>,
    pub new_conflicts: Vec<String>,
    pub reset: bool,
    /// Whole records from the hub this phone could not read at all, with the reason.
    pub unreadable: Vec<String>,
}

impl From<SyncReport> for SyncResult {
    fn from(r: SyncReport) -> Self {
        SyncResult {
            progress: (&r.progress).into(),
            rejected: rejected(r.rejected),
            new_conflicts: r.new_conflicts,
            reset: r.reset,
            unreadable: r.unreadable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BundleResult {
    pub changed: u64,
    pub unchanged: u64,
    pub pending: u64,
    pub rejected: Vec<Rejected>,
    /// With whose authority the writer's changes were taken, in words (a coordinator's when
    /// this phone's hub vouched for the writer; otherwise a field worker's).
    pub taken_as: String,
}

impl From<BundleReport> for BundleResult {
    fn from(r: BundleReport) -> Self {
        BundleResult { changed: r.changed, unchanged: r.unchanged, pending: r.pending, rejected: rejected(r.rejected), taken_as: r.taken_as }
    }
}

/// How this device's syncs have gone, kept across restarts: what a sync status screen shows
/// ("last synced 2 hours ago"; "the last try failed: no network").
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncStatusView {
    /// When a sync last finished.
    pub last_ok_ms: Option<i64>,
    /// The failure since then, if any: when, its kind (`network`, `auth`, `forbidden`,
    /// `incompatible`, `storage`, `other`) and the core's message.
    pub failed_at_ms: Option<i64>,
    pub failure_kind: Option<String>,
    pub failure_message: Option<String>,
}

impl From<sangam_core::SyncStatus> for SyncStatusView {
    fn from(s: sangam_core::SyncStatus) -> Self {
        SyncStatusView {
            last_ok_ms: s.last_ok_ms,
            failed_at_ms: s.last_failure.as_ref().map(|f| f.at_ms),
            failure_kind: s.last_failure.as_ref().map(|f| f.kind.clone()),
            failure_message: s.last_failure.map(|f| f.message),
        }
    }
}
